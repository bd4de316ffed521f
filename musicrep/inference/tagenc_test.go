package inference

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/corpus"
	"github.com/musicrep/musicrep/musicrep/joint"
	"github.com/musicrep/musicrep/musicrep/training"
)

// trainTagAttention trains a tiny joint model on audio vectors and tag sequences (ids of a 10-tag vocabulary,
// up to 4 per track; every third track has no tag) with the attention tag encoder.
func trainTagAttention(t *testing.T) (string, []*musicrep.Features, []float32) {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
	const n, vocab, dim, maxTags = 24, 10, 6, 4
	audio := &musicrep.Features{Modality: musicrep.Audio, Source: "synthetic", Dim: 5, Data: make([]float32, n*5),
		Present: make([]bool, n)}
	for i := range audio.Data {
		audio.Data[i] = float32(rng.NormFloat64())
	}
	tags := &musicrep.Features{Modality: musicrep.Tags, Source: "synthetic-seq", Dim: maxTags,
		Data: make([]float32, n*maxTags), Present: make([]bool, n), Vocab: "synthetic.vocab.json"}
	for i := range n {
		audio.Present[i] = true
		if i%3 == 2 {
			continue
		}
		tags.Present[i] = true
		for j := range 1 + rng.IntN(maxTags) {
			tags.Row(i)[j] = float32(1 + rng.IntN(vocab))
		}
	}
	table := make([]float32, (vocab+1)*dim)
	for k := dim; k < len(table); k++ {
		table[k] = float32(rng.NormFloat64())
	}
	d := &training.Data{Features: []*musicrep.Features{audio, tags}, TagVectors: table, TagDim: dim,
		Description: "synthetic"}
	for i := range n {
		d.Tracks = append(d.Tracks, int32(i))
	}
	store, err := training.NewStore("tiny", "model=joint;joint_modalities=audio,tags;joint_tag_encoder=attention;"+
		"joint_dim=4;joint_hidden=8;joint_batch_size=8")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "run")
	if _, err := training.Train(context.Background(), training.Config{Dir: dir, Store: store, Data: d}); err != nil {
		t.Fatal(err)
	}
	return dir, d.Features, table
}

// TestTagAttentionCheckpoint: a joint checkpoint with the attention tag encoder rebuilds from its recorded
// architecture (the table comes from the checkpoint), places tag sequences in the space as unit vectors (zero for
// tracks without tags), embeds fused tracks, reads id files with their vocabulary, and refuses features of the
// wrong kind.
func TestTagAttentionCheckpoint(t *testing.T) {
	dir, feats, table := trainTagAttention(t)
	m, err := Load(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := m.arch.(jointArch)
	if a.TagEncoder != joint.TagEncoderAttention || a.TagVocab != 10 || a.TagDim != 6 ||
		a.TagHeads != 4 || a.TagTable != nil {
		t.Fatalf("architecture not rebuilt: %+v", a)
	}
	tags := feats[1]
	emb, err := m.EmbedModality(tags)
	if err != nil {
		t.Fatal(err)
	}
	for r := range tags.NumRows() {
		var norm float64
		for _, x := range emb[r*4 : (r+1)*4] {
			norm += float64(x) * float64(x)
		}
		if want := map[bool]float64{true: 1, false: 0}[tags.Present[r]]; math.Abs(norm-want) > 1e-5 {
			t.Errorf("row %d (tags present %v): squared norm %g, want %g", r, tags.Present[r], norm, want)
		}
	}
	fused, err := m.Embed(feats)
	if err != nil {
		t.Fatal(err)
	}
	if len(fused) != 24*4 {
		t.Fatalf("fused: %d values", len(fused))
	}

	// An id file with its vocabulary next to it embeds like the corpus rows.
	tmp := t.TempDir()
	ids := make([]string, 24)
	for i := range ids {
		ids[i] = string(rune('a'+i%26)) + strings.Repeat("x", i/26)
	}
	seqFile := filepath.Join(tmp, "tags-seq.npy")
	if err := corpus.WriteVectorsNPY(seqFile, ids, tags.Data, 4); err != nil {
		t.Fatal(err)
	}
	words := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}
	if err := corpus.WriteVocab(corpus.VocabSidecar(seqFile), &corpus.Vocab{Words: words, Dim: 6, Table: table}); err != nil {
		t.Fatal(err)
	}
	audioFile := filepath.Join(tmp, "audio.json")
	if err := corpus.WriteVectorsJSON(audioFile, ids, feats[0].Data, 5); err != nil {
		t.Fatal(err)
	}
	_, fromFiles, err := m.EmbedFiles(map[musicrep.Modality]string{musicrep.Audio: audioFile, musicrep.Tags: seqFile})
	if err != nil {
		t.Fatal(err)
	}
	for k := range fused {
		if fromFiles[k] != fused[k] {
			t.Fatalf("EmbedFiles differs from Embed at %d: %g vs %g", k, fromFiles[k], fused[k])
		}
	}

	// Vectors where ids are expected, and ids outside the vocabulary, are refused.
	bad := *tags
	bad.Data = append([]float32(nil), tags.Data...)
	bad.Data[5] = 0.5
	if _, err := m.EmbedModality(&bad); err == nil || !strings.Contains(err.Error(), "value 0.5 is not a tag id") {
		t.Errorf("non-integral id: got %v", err)
	}
	bad.Data[5] = 11
	if _, err := m.Embed([]*musicrep.Features{feats[0], &bad}); err == nil || !strings.Contains(err.Error(), "row 1") {
		t.Errorf("id outside the vocabulary: got %v", err)
	}
}

// TestDenseCheckpointLoads: a joint checkpoint written before the tag encoders existed (the committed reference
// run, whose hyperparameters have no joint_tag_* key) still loads with the dense tags encoder, the same variables
// and the same parameter count, and refuses tag sequences.
func TestDenseCheckpointLoads(t *testing.T) {
	dir := filepath.Join("..", "..", "checkpoints", "joint-paper")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("no committed joint checkpoint:", err)
	}
	m, err := Load(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.arch.(jointArch).TagEncoder != joint.TagEncoderMLP || m.arch.(jointArch).NumParams() != 643713 {
		t.Fatalf("reference checkpoint: tag encoder %q, %d params (report: 643713)", m.arch.(jointArch).TagEncoder,
			m.arch.(jointArch).NumParams())
	}
	i := m.arch.(jointArch).Index(musicrep.Tags)
	f := &musicrep.Features{Modality: musicrep.Tags, Source: "seq.json", Dim: m.InputDims[i],
		Data: make([]float32, m.InputDims[i]), Present: []bool{true}, Vocab: "seq.vocab.json"}
	if _, err := m.EmbedModality(f); err == nil || !strings.Contains(err.Error(), "hold token ids") {
		t.Errorf("token ids into the dense encoder: got %v", err)
	}
}
