package inference

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/corpus"
	"github.com/musicrep/musicrep/musicrep/training"
)

func trainTiny(t *testing.T) (string, []*musicrep.Features) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	n := 20
	var feats []*musicrep.Features
	for _, spec := range []struct {
		m   musicrep.Modality
		dim int
	}{{musicrep.Audio, 6}, {musicrep.Graph, 4}} {
		f := &musicrep.Features{Modality: spec.m, Source: "synthetic", Dim: spec.dim,
			Data: make([]float32, n*spec.dim), Present: make([]bool, n)}
		for i := range f.Data {
			f.Data[i] = float32(rng.NormFloat64())
		}
		for i := range f.Present {
			f.Present[i] = true
		}
		feats = append(feats, f)
	}
	d := &training.Data{Features: feats, Description: "synthetic"}
	for i := range n {
		d.Anchor = append(d.Anchor, int32(i), int32(i))
		d.Other = append(d.Other, int32((i+1)%n), int32((i+7)%n))
		d.Label = append(d.Label, 1, 0)
	}
	store, err := training.NewStore("tiny", "binding_expansion=2;binding_embedding_dim=3")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "run")
	if _, err := training.Train(context.Background(), training.Config{Dir: dir, Store: store, Data: d}); err != nil {
		t.Fatal(err)
	}
	return dir, feats
}

func TestLoadEmbedExport(t *testing.T) {
	dir, feats := trainTiny(t)
	m, err := Load(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	emb, err := m.Embed(feats)
	if err != nil {
		t.Fatal(err)
	}
	if len(emb) != 20*3 {
		t.Fatalf("got %d values, want 60", len(emb))
	}
	// A track with one modality missing still embeds, differently.
	feats[1].Present[5] = false
	emb2, err := m.Embed(feats)
	if err != nil {
		t.Fatal(err)
	}
	if emb2[15] == emb[15] && emb2[16] == emb[16] && emb2[17] == emb[17] {
		t.Error("masking the graph modality of track 5 did not change its embedding")
	}
	if emb2[0] != emb[0] {
		t.Error("masking track 5 changed track 0")
	}
	// A track with no modality at all is an error.
	feats[0].Present[5] = false
	if _, err := m.Embed(feats); err == nil || !strings.Contains(err.Error(), "row 5") {
		t.Errorf("no clear error for a track without modalities: %v", err)
	}
	feats[0].Present[5], feats[1].Present[5] = true, true

	ids := make([]string, 20)
	for i := range ids {
		ids[i] = "id" + string(rune('a'+i))
	}
	base := filepath.Join(t.TempDir(), "emb")
	jsonPath, npyPath, err := Export(base, ids, emb, 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{jsonPath, npyPath} {
		gotIDs, data, dim, err := corpus.ReadVectors(p)
		if err != nil {
			t.Fatal(err)
		}
		if dim != 3 || len(gotIDs) != 20 || data[4] != emb[4] || gotIDs[19] != ids[19] {
			t.Errorf("%s did not round-trip", p)
		}
	}
	// Wrong feature sizes are refused with the file named.
	feats[0].Dim = 5
	if _, err := m.Embed(feats); err == nil || !strings.Contains(err.Error(), "synthetic") {
		t.Errorf("dimension mismatch not reported clearly: %v", err)
	}
}

// TestOtherArchitectureRefused edits a checkpoint's recorded hyperparameters or architecture name, as if it came
// from another model, and checks that loading fails with a message instead of a panic.
func TestOtherArchitectureRefused(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		edit       func(meta map[string]any)
	}{
		{"architecture name", "audio-cnn", func(meta map[string]any) { meta["architecture"] = "audio-cnn" }},
		{"expansion", "shape", func(meta map[string]any) {
			meta["params"].(map[string]any)["/binding_expansion"] = map[string]any{"type": "int", "value": 3}
		}},
		{"modalities", "no variable", func(meta map[string]any) {
			meta["params"].(map[string]any)["/binding_modalities"] = map[string]any{"type": "string", "value": "audio,text"}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, _ := trainTiny(t)
			paths, _ := filepath.Glob(filepath.Join(dir, "ckpt-*.json"))
			for _, p := range paths {
				raw, _ := os.ReadFile(p)
				var meta map[string]any
				if err := json.Unmarshal(raw, &meta); err != nil {
					t.Fatal(err)
				}
				tc.edit(meta)
				raw, _ = json.Marshal(meta)
				if err := os.WriteFile(p, raw, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := Load(dir, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("want an error mentioning %q, got %v", tc.want, err)
			}
		})
	}
}

func TestEmbedFiles(t *testing.T) {
	dir, feats := trainTiny(t)
	m, err := Load(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{"a", "b", "c"}
	tmp := t.TempDir()
	audio := filepath.Join(tmp, "audio.json")
	graph := filepath.Join(tmp, "graph.npy")
	if err := corpus.WriteVectorsJSON(audio, ids, feats[0].Data[:18], 6); err != nil {
		t.Fatal(err)
	}
	// The graph file lacks track "c" and lists "b" before "a".
	if err := corpus.WriteVectorsNPY(graph, []string{"b", "a"}, append(append([]float32{}, feats[1].Data[4:8]...), feats[1].Data[0:4]...), 4); err != nil {
		t.Fatal(err)
	}
	gotIDs, emb, err := m.EmbedFiles(map[musicrep.Modality]string{musicrep.Audio: audio, musicrep.Graph: graph})
	if err != nil {
		t.Fatal(err)
	}
	full, err := m.Embed(feats)
	if err != nil {
		t.Fatal(err)
	}
	if len(gotIDs) != 3 || gotIDs[0] != "a" {
		t.Fatalf("ids %v", gotIDs)
	}
	// Tracks a and b have both modalities: the same as embedding rows 0 and 1 of the corpus, up to float32
	// rounding: the file's 3 rows and the corpus's rows go through the model as batches of different sizes, and
	// the pure-Go backend's matrix product (compute v0.1.14) may sum in another order for another batch size
	// (measured: 2 ulp, 0.08463461 vs 0.08463463).
	for j := 0; j < 6; j++ {
		if d := math.Abs(float64(emb[j] - full[j])); d > 1e-6*math.Max(1, math.Abs(float64(full[j]))) {
			t.Fatalf("file embedding differs from corpus embedding at %d: %v vs %v", j, emb[j], full[j])
		}
	}
	if _, _, err := m.EmbedFiles(map[musicrep.Modality]string{musicrep.Text: audio}); err == nil {
		t.Error("a modality the model does not use was accepted")
	}
}
