package cmir

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/musicrep/musicrep/musicrep/encoder"
	"github.com/musicrep/musicrep/musicrep/melon"
	"github.com/musicrep/musicrep/musicrep/melon/melontest"
	"github.com/musicrep/musicrep/musicrep/objective"
	"github.com/musicrep/musicrep/musicrep/training"
)

// TestEmbedFileAndNearest trains a tiny encoder, reloads it from its best checkpoint, embeds a real Ogg Vorbis
// excerpt through the mel front-end, and ranks the dataset's songs; another architecture's checkpoint is refused.
func TestEmbedFileAndNearest(t *testing.T) {
	dir := melontest.Write(t, 62)
	ds, err := melon.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Prepare(ds, PrepareOptions{Seed: 1, CFFactors: 8, CFEpochs: 5})
	if err != nil {
		t.Fatal(err)
	}
	run := filepath.Join(t.TempDir(), "run")
	if _, err := trainVariant(d, run, objective.MIRFull, "num_epochs=1", nil); err != nil {
		t.Fatal(err)
	}
	e, c, err := LoadEmbedder(filepath.Join(run, "best"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Meta.Architecture != training.MIRModelPrefix+string(objective.MIRFull) {
		t.Errorf("architecture %q", c.Meta.Architecture)
	}
	// A fixture longer than the 29.1 s centred segment (the folder also holds short Ogg excerpts).
	v, mel, err := e.EmbedFile("../audio/testdata/northerners_35s.ogg")
	if err != nil {
		t.Fatal(err)
	}
	if mel.Bands != encoder.Bands || mel.Frames < encoder.CropFrames || len(v) != encoder.EmbeddingDim {
		t.Fatalf("mel %d×%d, embedding %d", mel.Bands, mel.Frames, len(v))
	}
	songs, err := EmbedSongs(e, d, "songs", true)
	if err != nil {
		t.Fatal(err)
	}
	nbs, near, err := Nearest(ds, d, songs, v, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(nbs) != 5 || len(near) != 5 || Cosine(nbs[0]) < Cosine(nbs[4]) || Cosine(nbs[0]) > 1+1e-6 {
		t.Fatalf("neighbours %+v", nbs)
	}
	// The cosine read from the search agrees with a direct computation.
	row := songs.Row(nbs[0].Index)
	var dot, nv, nr float64
	for i := range v {
		dot += float64(v[i]) * float64(row[i])
		nv += float64(v[i]) * float64(v[i])
		nr += float64(row[i]) * float64(row[i])
	}
	if want := dot / math.Sqrt(nv*nr); math.Abs(Cosine(nbs[0])-want) > 1e-5 {
		t.Errorf("cosine %v, direct %v", Cosine(nbs[0]), want)
	}
	if near[0].ID != d.Songs[nbs[0].Index].ID {
		t.Errorf("song %d for row %d (song %d)", near[0].ID, nbs[0].Index, d.Songs[nbs[0].Index].ID)
	}
	if _, _, err := LoadEmbedder("../../checkpoints/joint-paper", nil); err == nil ||
		!strings.Contains(err.Error(), "joint model whose audio encoder is not the CNN") {
		t.Errorf("joint checkpoint accepted or unclear: %v", err)
	}
}
