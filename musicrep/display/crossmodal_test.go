package display

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/index"
	"github.com/musicrep/musicrep/musicrep/plot"
	"github.com/musicrep/musicrep/musicrep/results"
	"github.com/musicrep/musicrep/musicrep/space"
)

func crossModalTable() *results.Table {
	row := func(name, kind string, r10, med float64) results.Row {
		return results.Row{Name: name + " " + kind, Kind: kind, Metrics: map[string]float64{"R@1": r10 / 4,
			"R@10": r10, "mrr": r10 / 2, "median_rank": med, "queries": 150, "candidates": 160}}
	}
	return &results.Table{Protocol: "crossmodal", Ks: []int{1, 10}, Description: "DESC", Notes: []string{"NOTE"},
		Rows: []results.Row{
			row("audio→text", "learned", 0.3, 20), row("audio→text", "baseline", 0.2, 30),
			row("audio→text", "chance", 0.06, 80),
			row("text→audio", "learned", 0.1, 50), row("text→audio", "baseline", 0.4, 10),
			row("text→audio", "chance", 0.06, 80)}}
}

func TestCrossModalHTML(t *testing.T) {
	h := CrossModalHTML(crossModalTable())
	for _, want := range []string{"DESC", "NOTE", "audio→text", "ridge map", `<td class="best">0.300</td>`,
		`<td class="best">20.0</td>`, `<td class="best">0.400</td>`, `<td class="best">10.0</td>`, "<td>150</td>"} {
		if !strings.Contains(h, want) {
			t.Errorf("cross-modal table lacks %q: %s", want, h)
		}
	}
	if strings.Contains(h, `<td class="best">80.0</td>`) {
		t.Error("the highest median rank is marked best; lower is better")
	}
	if n := strings.Count(h, ">text→audio<"); n != 1 {
		t.Errorf("pair label shown %d times, want once per block", n)
	}
}

func TestCrossModalBars(t *testing.T) {
	svg := CrossModalBarsSVG(crossModalTable(), "R@10", "R@10")
	if !strings.HasPrefix(svg, "<svg") || strings.Count(svg, "<rect") != 1+3+6 { // background, legend, bars
		t.Errorf("want 6 bars and a 3-entry legend: %s", svg)
	}
	if !strings.Contains(svg, "text→audio, raw features + ridge map: 0.4") {
		t.Errorf("bar tooltip missing: %s", svg)
	}
	nan := GroupedBarsSVG([]string{"a", "b"}, []string{"s"}, [][]float64{{1, math.NaN()}}, plot.Options{})
	if strings.Count(nan, "<rect") != 1+1+1 {
		t.Errorf("a NaN value should draw no bar: %s", nan)
	}
}

func TestMergedResults(t *testing.T) {
	a := &results.Table{Protocol: "heldout", Description: "A", Rows: []results.Row{
		{Name: "joint", Kind: "learned", Dim: 128, Metrics: map[string]float64{"precision@10": 0.4}},
		{Name: "raw audio", Kind: "baseline", Dim: 128, Note: "leak-free", Metrics: map[string]float64{"precision@10": 0.5}}}}
	b := &results.Table{Protocol: "clustering", Description: "B", Rows: []results.Row{
		{Name: "raw audio", Kind: "baseline", Dim: 128, Note: "leak-free", Metrics: map[string]float64{"nmi": 0.1}},
		{Name: "joint", Kind: "learned", Dim: 128, Metrics: map[string]float64{"nmi": 0.3}}}}
	h := MergedResultsHTML("cap", []*results.Table{a, b}, [][]string{{"precision@10"}, {"nmi", "ari"}})
	for _, want := range []string{`<th colspan="1" style="text-align:center">heldout</th>`,
		`<th colspan="2" style="text-align:center">clustering</th>`, "<th>nmi</th>", `<td class="best">0.500</td>`, "<th>precision@10</th>",
		`<td class="best">0.300</td>`, "<li>A</li>", "<li>B</li>", `<tr class="learned">`} {
		if !strings.Contains(h, want) {
			t.Errorf("merged table lacks %q: %s", want, h)
		}
	}
	if strings.Count(h, "leak-free") != 1 {
		t.Errorf("a row note should be listed once: %s", h)
	}
	// joint's row: precision 0.400, nmi 0.300 (matched by name, not position), ari missing.
	if !strings.Contains(h, `<td>0.400</td><td class="best">0.300</td><td>–</td>`) {
		t.Errorf("rows not matched by name: %s", h)
	}
}

func TestQueriesHTML(t *testing.T) {
	tr := []musicrep.Track{{Title: "<A>", Artist: "X", Genres: []string{"Pop"}}, {Title: "B", Artist: "Y"}}
	res := []QueryResult{{Query: "sad song", Target: "fused", Neighbors: space.Neighbors{Tracks: tr,
		List: []index.Neighbor{{Index: 0, Dist: 0.5}, {Index: 1, Dist: 0.7}}}}}
	h := QueriesHTML("cap", res, "split", func(r int) string { return []string{"test", "train"}[r] })
	for _, want := range []string{"&lt;A&gt;", "(no genre)", ">sad song<", ">train<", ">split</th>", "0.700"} {
		if !strings.Contains(h, want) {
			t.Errorf("queries table lacks %q: %s", want, h)
		}
	}
	if strings.Count(h, "sad song") != 1 {
		t.Error("the query should label only its first row")
	}
}

func TestLiveTextOutsideNotebookCopies(t *testing.T) {
	old := os.Stdout
	r, w, _ := os.Pipe()
	os.Stdout = w
	l := NewLiveText()
	l.Write([]byte("a\nb"))
	w.Close()
	os.Stdout = old
	var buf bytes.Buffer
	buf.ReadFrom(r)
	if buf.String() != "a\nb" {
		t.Errorf("got %q", buf.String())
	}
}

func TestSettingsJoint(t *testing.T) {
	t.Setenv("MUSICREP_DATA", t.TempDir())
	t.Setenv("MUSICREP_NB_JOINT", "")
	s, err := Settings()
	if err != nil {
		t.Fatal(err)
	}
	if s.Joint != filepath.Join(s.RepoDir, "checkpoints", ReferenceJointRun) ||
		s.JointEmb != filepath.Join(s.RepoDir, "embeddings", ReferenceJointRun+".json") {
		t.Errorf("default joint run %s, %s", s.Joint, s.JointEmb)
	}
	t.Setenv("MUSICREP_NB_JOINT", "/x/checkpoints/jt100/")
	if s, err = Settings(); err != nil {
		t.Fatal(err)
	}
	if s.Joint != "/x/checkpoints/jt100" || s.JointEmb != "/x/embeddings/jt100.json" {
		t.Errorf("MUSICREP_NB_JOINT: %s, %s", s.Joint, s.JointEmb)
	}
}
