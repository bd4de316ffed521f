package textenc

import (
	"encoding/json"
	"math"
	"os"
	"sync"
	"testing"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/corpus"
)

// requireModelsEnv, when "1", turns a missing model into a test failure instead of a skip (the Makefile sets it).
const requireModelsEnv = "MUSICREP_REQUIRE_MODELS"

// modelDir locates the weights, skipping the test (or failing under MUSICREP_REQUIRE_MODELS=1) when absent.
func modelDir(t testing.TB) string {
	t.Helper()
	dir, err := Locate()
	if err != nil {
		if os.Getenv(requireModelsEnv) == "1" {
			t.Fatalf("%s=1 and the model is missing: %v", requireModelsEnv, err)
		}
		t.Skipf("skipping: %v", err)
	}
	return dir
}

var shared struct {
	once  sync.Once
	model *Model
	err   error
}

// sharedModel loads the model once per test binary.
func sharedModel(t testing.TB) *Model {
	t.Helper()
	dir := modelDir(t)
	shared.once.Do(func() { shared.model, shared.err = Load(dir, nil) })
	if shared.err != nil {
		t.Fatalf("Load(%s): %v", dir, shared.err)
	}
	return shared.model
}

// golden is testdata/golden_minilm.json, written by scripts/golden/minilm.py.
type golden struct {
	Meta   map[string]any `json:"meta"`
	Tracks []struct {
		ID        string    `json:"id"`
		HasLyrics bool      `json:"has_lyrics"`
		Source    Source    `json:"source"`
		Text      string    `json:"text"`
		InputIDs  []int32   `json:"input_ids"`
		Vector    []float32 `json:"vector"`
	} `json:"tracks"`
	Extras []struct {
		Text     string    `json:"text"`
		InputIDs []int32   `json:"input_ids"`
		Vector   []float32 `json:"vector"`
	} `json:"extras"`
	AllIDs []struct {
		ID     string `json:"id"`
		Source Source `json:"source"`
		Len    int    `json:"len"`
		SHA256 string `json:"sha256"`
	} `json:"all_ids"`
}

func loadGolden(t testing.TB) *golden {
	t.Helper()
	buf, err := os.ReadFile("testdata/golden_minilm.json")
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(buf, &g); err != nil {
		t.Fatalf("testdata/golden_minilm.json: %v", err)
	}
	return &g
}

// realTracks loads the Fairouz tracks, skipping when the data is absent (failing under $CI).
func realTracks(t testing.TB) []musicrep.Track {
	t.Helper()
	dir, err := corpus.DataDir("")
	var tracks []musicrep.Track
	if err == nil {
		path, _, _, _ := corpus.DefaultFairouzFiles(dir)
		tracks, err = corpus.LoadTracks(path)
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("real data not found under CI: %v", err)
		}
		t.Skipf("real data not found: %v", err)
	}
	return tracks
}

func cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return ab / math.Sqrt(aa*bb)
}
