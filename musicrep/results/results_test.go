package results

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAcrossSplits(t *testing.T) {
	mk := func(p float64, maj string, diff float64) *Table {
		return &Table{Protocol: "heldout", Rows: []Row{
			{Name: "model", Kind: "learned", Metrics: map[string]float64{"precision@10": p}},
			{Name: `majority (always "` + maj + `")`, Kind: "majority", Metrics: map[string]float64{"knn": 0.3}},
		}, Comparisons: []Comparison{{A: "model", B: "raw audio", Metric: "precision@10", Diff: diff}}}
	}
	got, err := AcrossSplits([]*Table{mk(1, "Rock", 0.1), mk(2, "Pop", 0.2), mk(3, "Rock", 0.3)})
	if err != nil {
		t.Fatal(err)
	}
	// mean 2, sd 1, t(0.975, 2) = 4.302653 → half width 4.302653/√3.
	half := 4.302652729911275 / math.Sqrt(3)
	r := got.Rows[0]
	if math.Abs(r.Metrics["precision@10"]-2) > 1e-12 || math.Abs(r.CI95["precision@10"][0]-(2-half)) > 1e-9 ||
		math.Abs(r.CI95["precision@10"][1]-(2+half)) > 1e-9 {
		t.Errorf("row %+v, want 2 ± %v", r, half)
	}
	c := got.Comparisons[0]
	if math.Abs(c.Diff-0.2) > 1e-12 || math.Abs(c.CI95[1]-c.CI95[0]-2*half*0.1) > 1e-9 || c.Significant {
		t.Errorf("comparison %+v", c)
	}
	bad := mk(1, "Rock", 0)
	bad.Rows[0].Name = "other"
	if _, err := AcrossSplits([]*Table{mk(1, "Rock", 0), bad}); err == nil {
		t.Error("tables with different rows accepted")
	}
	if _, err := AcrossSplits([]*Table{mk(1, "Rock", 0)}); err == nil {
		t.Error("a single table accepted")
	}
}

func TestJob(t *testing.T) {
	var progress bytes.Buffer
	dir := t.TempDir()
	job, err := Open("run", dir, nil, &progress)
	if err != nil {
		t.Fatal(err)
	}
	if job.Name != "run" || job.Created == "" || job.Backend == nil || job.Header.Backend == "" || job.Root != dir {
		t.Errorf("job %+v", job)
	}
	job.Logf("== step %d", 1)
	if progress.String() != "== step 1\n" {
		t.Errorf("progress %q", progress.String())
	}
	report := struct {
		Header
		Value int `json:"value"`
	}{job.Header, 7}
	if err := Write(job.Root, job.Name, report, "# run\n"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "run.json"))
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(b, &back); err != nil || back["name"] != "run" || back["value"] != 7.0 ||
		!strings.HasPrefix(string(b), "{\n  \"name\": \"run\",\n  \"created\"") {
		t.Errorf("report JSON %s (%v)", b, err)
	}
	if md, err := os.ReadFile(filepath.Join(dir, "run.md")); err != nil || string(md) != "# run\n" {
		t.Errorf("markdown %q (%v)", md, err)
	}
	if job, err := Open("x", "", nil, nil); err != nil || job.Root != DefaultRoot {
		t.Errorf("default root: %+v, %v", job, err)
	}
}
