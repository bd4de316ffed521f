package cmir

import (
	"math"
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
