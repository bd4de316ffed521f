package cmir

import (
	"github.com/musicrep/musicrep/musicrep/encoder"
	"github.com/musicrep/musicrep/musicrep/melon/melontest"
	"github.com/musicrep/musicrep/musicrep/objective"
	"github.com/musicrep/musicrep/musicrep/training"
	"path/filepath"
	"strings"
	"testing"

	"github.com/musicrep/musicrep/musicrep/melon"
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
	matches, _ := filepath.Glob("../audio/testdata/*.ogg")
	if len(matches) == 0 {
		t.Fatal("no Ogg fixture in ../audio/testdata")
	}
	v, mel, err := e.EmbedFile(matches[0])
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
	nbs := Nearest(ds, d, songs, v, 5)
	if len(nbs) != 5 || nbs[0].Cosine < nbs[4].Cosine {
		t.Fatalf("neighbours %+v", nbs)
	}
	if _, _, err := LoadEmbedder("../../checkpoints/joint-paper", nil); err == nil ||
		!strings.Contains(err.Error(), "joint model whose audio encoder is not the CNN") {
		t.Errorf("joint checkpoint accepted or unclear: %v", err)
	}
}
