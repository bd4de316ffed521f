package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/musicrep/musicrep/musicrep/corpus"
)

// TestIndexCommands runs `musicrep index` end to end on a small synthetic catalogue: synth, build (ivf and flat),
// search (TSV and raw int32 output) and bench, whose recall must grow with nprobe to 1 at nprobe = nlist; then
// builds from an embeddings JSON file with ids and searches it with -exclude-self.
func TestIndexCommands(t *testing.T) {
	work := t.TempDir()
	mustRun := func(args ...string) string {
		t.Helper()
		stdout, stderr, code := run(t, work, args...)
		if code != 0 {
			t.Fatalf("musicrep %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
		}
		return stdout
	}
	out := mustRun("index", "synth", "-n", "3000", "-dim", "16", "-queries", "40", "-clusters", "8", "-out", "cat")
	if !strings.Contains(out, "base.f32 (3000 x 16)") {
		t.Errorf("synth output: %s", out)
	}
	out = mustRun("index", "build", "-embeddings", "cat/base.f32", "-dim", "16", "-kind", "ivf", "-nlist", "32",
		"-out", "ivf.idx")
	if !strings.Contains(out, "indexed 3000 vectors of dim 16 (ivf)") || !strings.Contains(out, "32 lists") {
		t.Errorf("build output: %s", out)
	}
	mustRun("index", "build", "-embeddings", "cat/base.f32", "-dim", "16", "-kind", "flat", "-out", "flat.idx")

	mustRun("index", "search", "-index", "ivf.idx", "-queries", "cat/queries.f32", "-k", "5", "-nprobe", "4",
		"-out", "res.tsv")
	tsv, err := os.ReadFile(filepath.Join(work, "res.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(tsv)), "\n")
	if len(lines) != 1+40*5 || !strings.HasPrefix(lines[0], "query\trank\tindex") {
		t.Errorf("res.tsv: %d lines (want 201), header %q", len(lines), lines[0])
	}
	mustRun("index", "search", "-index", "flat.idx", "-queries", "cat/queries.f32", "-k", "5", "-out", "res.i32")
	if st, err := os.Stat(filepath.Join(work, "res.i32")); err != nil || st.Size() != 40*5*4 {
		t.Errorf("res.i32: %v, %v bytes (want %d)", err, st, 40*5*4)
	}

	// k beyond the catalogue is clamped to it (it once allocated k entries per query: out of memory).
	mustRun("index", "search", "-index", "flat.idx", "-queries", "cat/queries.f32", "-k", "2000000000", "-out", "all.i32")
	if st, err := os.Stat(filepath.Join(work, "all.i32")); err != nil || st.Size() != 40*3000*4 {
		t.Errorf("all.i32: %v, %v bytes (want %d)", err, st, 40*3000*4)
	}

	var rep benchJSON
	out = mustRun("index", "bench", "-index", "ivf.idx", "-queries", "cat/queries.f32", "-k", "10",
		"-nprobe", "1,4,32", "-reps", "1", "-json")
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("bench -json: %v\n%s", err, out)
	}
	if len(rep.Rows) != 4 {
		t.Fatalf("bench rows: %+v, want ground truth + 3 nprobes", rep.Rows)
	}
	prev := 0.0
	for _, r := range rep.Rows[1:] {
		if r.Recall == nil || *r.Recall < prev || r.QPS <= 0 {
			t.Errorf("nprobe %d: recall %v (previous %v), %v queries/s", r.NProbe, r.Recall, prev, r.QPS)
			continue
		}
		prev = *r.Recall
	}
	if prev != 1 {
		t.Errorf("recall at nprobe = nlist is %v, want 1", prev)
	}
	// The same recall from a ground-truth file written by the flat index.
	mustRun("index", "search", "-index", "flat.idx", "-queries", "cat/queries.f32", "-k", "10", "-out", "gt.i32")
	out = mustRun("index", "bench", "-index", "ivf.idx", "-queries", "cat/queries.f32", "-k", "10",
		"-nprobe", "1,32", "-reps", "1", "-json", "-ground-truth", "gt.i32")
	var fromFile benchJSON
	if err := json.Unmarshal([]byte(out), &fromFile); err != nil {
		t.Fatal(err)
	}
	if r := fromFile.Rows; len(r) != 2 || *r[0].Recall != *rep.Rows[1].Recall || *r[1].Recall != 1 {
		t.Errorf("bench -ground-truth gt.i32: rows %+v, want recalls %v and 1", r, *rep.Rows[1].Recall)
	}
	out = mustRun("index", "bench", "-index", "flat.idx", "-queries", "cat/queries.f32", "-reps", "1")
	if !strings.Contains(out, "| flat (exact) | 1.0000 |") {
		t.Errorf("flat bench table:\n%s", out)
	}

	// An embeddings file with ids, as musicrep exports them.
	ids := make([]string, 50)
	vecs := make([]float32, 50*4)
	for i := range ids {
		ids[i] = fmt.Sprintf("track-%02d", i)
		for d := 0; d < 4; d++ {
			vecs[i*4+d] = float32((i*7+d*3)%11) - 5
		}
	}
	emb := filepath.Join(work, "emb.json")
	if err := corpus.WriteVectorsJSON(emb, ids, vecs, 4); err != nil {
		t.Fatal(err)
	}
	out = mustRun("index", "build", "-embeddings", emb, "-kind", "flat", "-out", "emb.idx")
	if !strings.Contains(out, "emb.ids.json") {
		t.Errorf("build did not write the ids sidecar: %s", out)
	}
	out = mustRun("index", "search", "-index", "emb.idx", "-queries", emb, "-k", "1", "-exclude-self")
	for _, line := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		f := strings.Split(line, "\t")
		if len(f) != 5 || !strings.HasPrefix(f[0], "track-") || f[0] == f[3] {
			t.Errorf("search -exclude-self line %q: want query id, rank, index, another track's id, distance", line)
		}
	}
}

// benchJSON is the part of `musicrep index bench -json` the tests read.
type benchJSON struct {
	Rows []struct {
		NProbe int      `json:"nprobe"`
		Recall *float64 `json:"recall"`
		QPS    float64  `json:"queries_per_second"`
	} `json:"rows"`
}

// TestIndexErrors checks that bad input to `musicrep index` fails with a message naming the problem.
func TestIndexErrors(t *testing.T) {
	work := t.TempDir()
	if _, stderr, code := run(t, work, "index", "synth", "-n", "200", "-dim", "8", "-queries", "5", "-out", "c"); code != 0 {
		t.Fatal(stderr)
	}
	if _, stderr, code := run(t, work, "index", "build", "-embeddings", "c/base.f32", "-dim", "8", "-kind", "flat",
		"-out", "f.idx"); code != 0 {
		t.Fatal(stderr)
	}
	if err := os.WriteFile(filepath.Join(work, "bad.idx"), []byte("MRINDEX\x00 but cut short"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := corpus.WriteVectorsJSON(filepath.Join(work, "q3.json"), []string{"a", "b"}, []float32{1, 2, 3, 4, 5, 6},
		3); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"no subcommand", []string{"index"}, "give a subcommand"},
		{"unknown subcommand", []string{"index", "shrink"}, `unknown subcommand "shrink"`},
		{"raw without dim", []string{"index", "build", "-embeddings", "c/base.f32", "-out", "x.idx"}, "-dim"},
		{"raw wrong dim", []string{"index", "build", "-embeddings", "c/base.f32", "-dim", "7", "-out", "x.idx"},
			"7-dimensional"},
		{"nlist above n", []string{"index", "build", "-embeddings", "c/base.f32", "-dim", "8", "-nlist", "500",
			"-out", "x.idx"}, "NList 500 is more than the 200 vectors"},
		{"bad kind", []string{"index", "build", "-embeddings", "c/base.f32", "-dim", "8", "-kind", "hnsw", "-out",
			"x.idx"}, `-kind "hnsw"`},
		{"corrupt index", []string{"index", "search", "-index", "bad.idx", "-queries", "c/queries.f32"}, "bad.idx: truncated"},
		{"query dim", []string{"index", "search", "-index", "f.idx", "-queries", "q3.json"},
			"q3.json are 3-dimensional but the index f.idx is 8-dimensional"},
		{"k zero", []string{"index", "search", "-index", "f.idx", "-queries", "c/queries.f32", "-k", "0"},
			"k must be at least 1"},
		{"nprobe zero", []string{"index", "search", "-index", "f.idx", "-queries", "c/queries.f32", "-nprobe", "0"},
			"-nprobe 0"},
		{"bad nprobe list", []string{"index", "bench", "-index", "f.idx", "-queries", "c/queries.f32", "-nprobe", "x"},
			"-nprobe"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, stderr, code := run(t, work, c.args...)
			if code == 0 {
				t.Fatal("exit 0, want failure")
			}
			if !strings.Contains(stderr, c.want) {
				t.Errorf("stderr does not mention %q:\n%s", c.want, stderr)
			}
		})
	}
}
