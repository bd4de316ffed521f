package main

import (
	"encoding/json"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/musicrep/musicrep/musicrep/audio/audiotest"

	"github.com/musicrep/musicrep/musicrep/musicnn"
)

func TestParseInterleaved(t *testing.T) {
	for _, c := range []struct {
		args []string
		pos  []string
		out  string
		k    int
	}{
		{[]string{"DIR", "-out", "LIB"}, []string{"DIR"}, "LIB", 0},
		{[]string{"-out", "LIB", "DIR"}, []string{"DIR"}, "LIB", 0},
		{[]string{"a", "-k", "3", "b", "-out", "x"}, []string{"a", "b"}, "x", 3},
		{[]string{"-out", "x", "--", "-k", "b"}, []string{"-k", "b"}, "x", 0},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		out := fs.String("out", "", "")
		k := fs.Int("k", 0, "")
		pos, err := parseInterleaved(fs, c.args)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(pos, c.pos) || *out != c.out || *k != c.k {
			t.Errorf("%q: positional %q, -out %q, -k %d; want %q, %q, %d", c.args, pos, *out, *k, c.pos, c.out, c.k)
		}
	}
}

// writeToneWAV writes a 16 kHz mono PCM16 WAV.
func writeToneWAV(t *testing.T, path string, seconds, freq float64) {
	audiotest.WriteToneWAV(t, path, seconds, freq, false)
}

func TestLibraryCLIErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"library"}, "usage"},
		{[]string{"library", "nope"}, "unknown library command"},
		{[]string{"library", "scan", "DIR"}, "give one folder and -out"},
		{[]string{"library", "scan", "a", "b", "-out", "x"}, "give one folder and -out"},
		{[]string{"library", "scan", "a", "-out", "x", "-workers", "-1"}, "must be between"},
		{[]string{"library", "scan", "a", "-out", "x", "-max-files", "-1"}, "must not be negative"},
		{[]string{"library", "scan", "a", "-out", "x", "-max-seconds", "-3"}, "must not be negative"},
		{[]string{"library", "scan", "a", "-out", "x", "-balance", "artist"}, "only with -max-files"},
		{[]string{"library", "scan", "a", "-out", "x", "-max-files", "2", "-balance", "mood"}, "unknown label"},
		{[]string{"library", "tags"}, "-library LIB is required"},
		{[]string{"library", "tags", "-library", t.TempDir()}, "scan a folder first"},
		{[]string{"library", "eval", "-library", "x", "-label", "mood"}, "use album, artist, genre or folder"},
		{[]string{"library", "eval", "-library", "x", "-json", "-markdown"}, "give one"},
		{[]string{"tag"}, "usage: musicrep tag"},
		{[]string{"tag", "-k", "0", "x.ogg"}, "between 1 and 50"},
	} {
		_, stderr, code := run(t, ".", c.args...)
		if code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("%q: exit %d, stderr %q; want an error saying %q", c.args, code, stderr, c.want)
		}
	}
}

// TestLibraryCLI scans two tiny folders and runs every library command on the result.
func TestLibraryCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("runs musicnn on the Go backend")
	}
	if _, err := musicnn.Locate("MSD_musicnn"); err != nil {
		if os.Getenv("MUSICREP_REQUIRE_MODELS") == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	dir := t.TempDir()
	for i, name := range []string{"a/low1.wav", "a/low2.wav", "b/high1.wav", "b/high2.wav"} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		freq := []float64{110, 130, 2000, 2400}[i]
		writeToneWAV(t, p, 3.2, freq)
	}
	lib := filepath.Join(t.TempDir(), "lib")
	out, stderr, code := run(t, ".", "library", "scan", dir, "-out", lib, "-no-text", "-workers", "2",
		"-max-seconds", "3")
	if code != 0 || !strings.Contains(out, "4 tracks") || !strings.Contains(out, "features from the first 3 s") {
		t.Fatalf("scan: exit %d\n%s\n%s", code, out, stderr)
	}
	if b, err := os.ReadFile(filepath.Join(lib, "tracks.json")); err != nil ||
		strings.Count(string(b), `"excerpt_seconds": 3`) != 4 {
		t.Errorf("tracks.json should mark the 4 excerpts (%v):\n%s", err, b)
	}
	out, stderr, code = run(t, ".", "library", "tags", "-library", lib, "-k", "3")
	if code != 0 || strings.Count(out, "msd:")+strings.Count(out, "mtt:") != 12 {
		t.Errorf("tags: exit %d\n%s\n%s", code, out, stderr)
	}
	out, stderr, code = run(t, ".", "library", "similar", "-library", lib, "-features", "mel-stats", "-k", "1",
		"-json", "a/low1.wav")
	var nbs []struct{ Path string }
	if code != 0 || json.Unmarshal([]byte(out), &nbs) != nil || len(nbs) != 1 || nbs[0].Path != "a/low2.wav" {
		t.Errorf("similar: exit %d, %s\n%s", code, out, stderr)
	}
	out, stderr, code = run(t, ".", "library", "eval", "-library", lib, "-label", "folder", "-json")
	var rep struct {
		Label       string
		N           int
		Metrics     map[string]map[string]float64
		CI95        map[string]map[string][2]float64
		Differences []struct{ A, B string }
	}
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.N != 4 || rep.Metrics["mel-stats"] == nil ||
		rep.Metrics["chance"] == nil || rep.Metrics["musicnn"] == nil || rep.CI95["musicnn"]["precision@10"][1] == 0 ||
		len(rep.Differences) == 0 {
		t.Errorf("eval: exit %d, %s\n%s", code, out, stderr)
	}
	out, stderr, code = run(t, ".", "library", "eval", "-library", lib, "-label", "folder")
	if code != 0 || !strings.Contains(out, "chance ") || !strings.Contains(out, "musicnn − chance") ||
		!strings.Contains(out, "in-sample") {
		t.Errorf("eval (text): exit %d, %s\n%s", code, out, stderr)
	}
	out, stderr, code = run(t, ".", "library", "eval", "-library", lib, "-label", "folder", "-markdown")
	if code != 0 || !strings.Contains(out, "| chance | baseline (random ranking) |") {
		t.Errorf("eval (markdown): exit %d, %s\n%s", code, out, stderr)
	}
	// The joint model on the library (no MiniLM here: audio = musicnn, tags = musicnn tags), its embeddings
	// written into the library by train and scored by eval next to the scan's sets.
	work := t.TempDir()
	out, stderr, code = run(t, work, "train", "-name", "lib-joint", "-library", lib, "-set",
		"model=joint;joint_modalities=audio,tags;joint_dim=8;joint_hidden=16;joint_batch_size=4;num_epochs=2")
	if code != 0 || !strings.Contains(out, "wrote feature set model-lib-joint-audio (audio view; in-sample") {
		t.Fatalf("train -library: exit %d\n%s\n%s", code, out, stderr)
	}
	out, stderr, code = run(t, work, "library", "embed", "-library", lib, "-checkpoint",
		filepath.Join(work, "checkpoints", "lib-joint"), "-as", "again")
	if code != 0 || !strings.Contains(out, "wrote feature set model-again (fused view; in-sample") {
		t.Errorf("library embed: exit %d\n%s\n%s", code, out, stderr)
	}
	out, stderr, code = run(t, work, "library", "eval", "-library", lib, "-label", "folder", "-json")
	var rep2 struct {
		Metrics  map[string]map[string]float64
		InSample []string `json:"in_sample"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &rep2) != nil || rep2.Metrics["model-lib-joint-audio"] == nil ||
		!slices.Equal(rep2.InSample, []string{"model-again", "model-again-audio", "model-lib-joint", "model-lib-joint-audio"}) ||
		!maps.Equal(rep2.Metrics["model-again"], rep2.Metrics["model-lib-joint"]) {
		t.Errorf("eval with model sets: exit %d, %s\n%s", code, out, stderr)
	}
	out, stderr, code = run(t, work, "library", "eval", "-library", lib, "-label", "folder")
	if code != 0 || !strings.Contains(out, "model-lib-joint-audio") || !strings.Contains(out, "note: in-sample") {
		t.Errorf("eval table: exit %d, %s\n%s", code, out, stderr)
	}
	out, stderr, code = run(t, ".", "tag", "-json", "-models", "MSD_musicnn", filepath.Join(dir, "a", "low1.wav"))
	if code != 0 || !strings.Contains(out, `"model": "MSD_musicnn"`) {
		t.Errorf("tag: exit %d, %s\n%s", code, out, stderr)
	}
}
