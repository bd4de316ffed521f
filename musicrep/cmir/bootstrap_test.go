package cmir

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBootstrapIntervals(t *testing.T) {
	// 60 of 100 right: the percentile interval should match the normal approximation ±1.96·√(p(1−p)/n) ≈ ±0.096.
	c := make([]bool, 100)
	for i := range 60 {
		c[i] = true
	}
	s := &Samples{GenreCorrect: c, TestIDs: make([]int, 100)}
	iv := AccuracyInterval(s, 1)
	if iv.Value != 0.6 || math.Abs(iv.Lo-0.504) > 0.03 || math.Abs(iv.Hi-0.696) > 0.03 {
		t.Errorf("accuracy interval %v, want about 0.6 [0.504, 0.696]", iv)
	}
	// A row compared with itself: difference exactly 0; with a row right on 10 more songs: the difference 0.1
	// and a paired interval narrower than the unpaired one, excluding 0.
	if d, err := PairedDifference(s, s, "genre_accuracy", 1); err != nil || d.Value != 0 || d.Lo != 0 || d.Hi != 0 {
		t.Errorf("self difference %v, %v", d, err)
	}
	c2 := append([]bool(nil), c...)
	for i := 60; i < 70; i++ {
		c2[i] = true
	}
	s2 := &Samples{GenreCorrect: c2, TestIDs: make([]int, 100)}
	d, err := PairedDifference(s2, s, "genre_accuracy", 1)
	if err != nil || math.Abs(d.Value-0.1) > 1e-12 || !d.Excludes0() || d.Hi-d.Lo > iv.Hi-iv.Lo {
		t.Errorf("paired difference %v, %v", d, err)
	}
	// Hit rate is micro-averaged over held-out songs.
	p := &Samples{Playlists: &PlaylistHits{Hits: []int{1, 0, 3}, Held: []int{2, 2, 4}}}
	if hr := HitRateInterval(p, 1); math.Abs(hr.Value-0.5) > 1e-12 || hr.Lo > hr.Value || hr.Hi < hr.Value {
		t.Errorf("hit rate %v, want 0.5 inside its interval", hr)
	}
	if _, err := PairedDifference(s, &Samples{GenreCorrect: c[:50], TestIDs: make([]int, 50)}, "genre_accuracy", 1); err == nil {
		t.Error("rows on different test songs were compared")
	}
}

// TestReportDifferences recomputes the musicnn rows' paired differences of the committed melon-600 report
// (evaluation/results/cmir-melon600-e15-musicnn-lr1e-3.json, written before Report.Differences existed) and
// checks them against the numbers evaluation/RESULTS.md published from a separate driver, and their values
// against the rows' own metrics.
func TestReportDifferences(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "evaluation", "results", "cmir-melon600-e15-musicnn-lr1e-3.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if err := r.addIntervals(1, ""); err != nil {
		t.Fatal(err)
	}
	metric := map[string]map[string]float64{}
	for _, row := range r.Rows {
		metric[row.Name] = row.Metrics
	}
	// RESULTS.md: joint on frozen musicnn − musicnn alone: genre accuracy 0.015 [−0.061, 0.091], HR@10 0.111
	// [0.053, 0.171]. The report has no fine-tuned row, so that is the only pair.
	want := map[string][3]float64{"genre_accuracy": {0.015, -0.061, 0.091}, "continuation_hr@10": {0.111, 0.053, 0.171}}
	if len(r.Differences) != 2 {
		t.Fatalf("%d differences, want 2 (one pair, two metrics): %+v", len(r.Differences), r.Differences)
	}
	for _, d := range r.Differences {
		if d.Row != JointMusicnnRowName || d.Other != MusicnnRowName {
			t.Errorf("difference of %q and %q, want %q − %q", d.Row, d.Other, JointMusicnnRowName, MusicnnRowName)
		}
		w := want[d.Metric]
		if math.Abs(d.Diff.Value-w[0]) > 5e-4 || math.Abs(d.Diff.Lo-w[1]) > 5e-4 || math.Abs(d.Diff.Hi-w[2]) > 5e-4 {
			t.Errorf("%s: %v, want %.3f [%.3f, %.3f]", d.Metric, d.Diff, w[0], w[1], w[2])
		}
		if naive := metric[d.Row][d.Metric] - metric[d.Other][d.Metric]; math.Abs(d.Diff.Value-naive) > 1e-9 {
			t.Errorf("%s: value %v, the rows' metrics differ by %v", d.Metric, d.Diff.Value, naive)
		}
	}
	if md := r.Markdown(); !strings.Contains(md, "joint (frozen musicnn audio, shared space) − musicnn (pretrained "+
		"MSD_musicnn, frozen), continuation_hr@10: 0.111 [0.053, 0.171] (excludes 0)") {
		t.Errorf("the Markdown lacks the HR@10 difference:\n%s", md)
	}
}
