package cmir

import (
	"github.com/musicrep/musicrep/musicrep/encoder"
	"math"
	"testing"

	"github.com/gomlx/gomlx/ml/model"
	"github.com/musicrep/musicrep/musicrep/backends"
)

// TestEmbedAveragesChunks: a 3.5-chunk song embeds as the mean of its three full chunks embedded one by one
// (the partial chunk is dropped), and too-short input is an error.
func TestEmbedAveragesChunks(t *testing.T) {
	backend, err := backends.New("")
	if err != nil {
		t.Fatal(err)
	}
	cfg := encoder.AudioConfig{Widths: []int{2, 2, 4, 4, 4, 4, 4}, Hidden: 8, Dropout: 0.5}
	e, err := NewEmbedder(backend, model.NewStore(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	frames := 3*encoder.CropFrames + encoder.CropFrames/2
	mel := make([]float32, encoder.Bands*frames)
	for i := range mel {
		mel[i] = float32(math.Sin(float64(i) * 0.013))
	}
	z, zd, err := e.Embed(mel, frames)
	if err != nil {
		t.Fatal(err)
	}
	if len(z) != cfg.FlatDim() || len(zd) != encoder.EmbeddingDim {
		t.Fatalf("sizes %d, %d", len(z), len(zd))
	}
	song := Song{Mel: mel, Frames: frames}
	want := make([]float32, encoder.EmbeddingDim)
	chunk := make([]float32, encoder.Bands*encoder.CropFrames)
	for c := range 3 {
		song.Crop(chunk, c*encoder.CropFrames)
		_, one, err := e.Embed(chunk, encoder.CropFrames)
		if err != nil {
			t.Fatal(err)
		}
		for j := range want {
			want[j] += one[j] / 3
		}
	}
	for j := range want {
		if math.Abs(float64(want[j]-zd[j])) > 1e-5 {
			t.Fatalf("z_d[%d] = %g, mean of the chunks %g", j, zd[j], want[j])
		}
	}
	if _, _, err := e.Embed(make([]float32, encoder.Bands*100), 100); err == nil {
		t.Error("a 100-frame spectrogram was accepted")
	}
}
