package cmir

import (
	"fmt"
	"math/rand/v2"
	"sort"
)

// Samples are a row's per-item outcomes on the test data, kept in the report so that intervals (and paired
// differences with other rows or runs over the same test songs and playlists) can be computed.
type Samples struct {
	TestIDs      []int         `json:"test_song_ids,omitempty"` // songs of GenreCorrect, in order
	GenreCorrect []bool        `json:"genre_correct,omitempty"`
	Playlists    *PlaylistHits `json:"continuation,omitempty"`
}

// Interval is a bootstrap estimate: the statistic on the data and the 2.5% and 97.5% percentiles over resamples.
type Interval struct {
	Value float64 `json:"value"`
	Lo    float64 `json:"lo"`
	Hi    float64 `json:"hi"`
}

// Excludes0 says whether the interval lies entirely on one side of zero.
func (iv Interval) Excludes0() bool { return iv.Lo > 0 || iv.Hi < 0 }

func (iv Interval) String() string { return fmt.Sprintf("%.3f [%.3f, %.3f]", iv.Value, iv.Lo, iv.Hi) }

// BootstrapResamples is the number of resamples of every interval.
const BootstrapResamples = 2000

// bootstrap resamples n items with replacement (seeded) and returns the percentile interval of stat, which
// gets the resampled item indices.
func bootstrap(n int, seed uint64, stat func(idx []int) float64) Interval {
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	iv := Interval{Value: stat(all)}
	if n == 0 {
		return iv
	}
	rng := rand.New(rand.NewPCG(seed, 0xb007))
	vals := make([]float64, BootstrapResamples)
	idx := make([]int, n)
	for b := range vals {
		for i := range idx {
			idx[i] = rng.IntN(n)
		}
		vals[b] = stat(idx)
	}
	sort.Float64s(vals)
	iv.Lo, iv.Hi = vals[int(0.025*float64(len(vals)))], vals[int(0.975*float64(len(vals)))-1]
	return iv
}

func accuracyOf(c []bool, idx []int) float64 {
	var n float64
	for _, i := range idx {
		if c[i] {
			n++
		}
	}
	return n / float64(len(idx))
}

func hitRateOf(p *PlaylistHits, idx []int) float64 {
	var h, n float64
	for _, i := range idx {
		h += float64(p.Hits[i])
		n += float64(p.Held[i])
	}
	if n == 0 {
		return 0
	}
	return h / n
}

// AccuracyInterval is the genre accuracy with its bootstrap interval over test songs.
func AccuracyInterval(s *Samples, seed uint64) Interval {
	return bootstrap(len(s.GenreCorrect), seed, func(idx []int) float64 { return accuracyOf(s.GenreCorrect, idx) })
}

// HitRateInterval is the continuation HR@k with its bootstrap interval over playlists.
func HitRateInterval(s *Samples, seed uint64) Interval {
	return bootstrap(len(s.Playlists.Hits), seed, func(idx []int) float64 { return hitRateOf(s.Playlists, idx) })
}

// PairedDifference is a − b for genre accuracy ("genre_accuracy") or continuation HR@k ("continuation_hr@10")
// with a paired bootstrap interval: the same resampled test songs (or playlists) for both. The two must have
// been scored on the same items.
func PairedDifference(a, b *Samples, metric string, seed uint64) (Interval, error) {
	switch metric {
	case "genre_accuracy":
		if len(a.GenreCorrect) != len(b.GenreCorrect) || fmt.Sprint(a.TestIDs) != fmt.Sprint(b.TestIDs) {
			return Interval{}, fmt.Errorf("cmir: the two rows were scored on different test songs (%d and %d): "+
				"compare runs on the same dataset split", len(a.GenreCorrect), len(b.GenreCorrect))
		}
		return bootstrap(len(a.GenreCorrect), seed, func(idx []int) float64 {
			return accuracyOf(a.GenreCorrect, idx) - accuracyOf(b.GenreCorrect, idx)
		}), nil
	case "continuation_hr@10":
		if a.Playlists == nil || b.Playlists == nil || fmt.Sprint(a.Playlists.Held) != fmt.Sprint(b.Playlists.Held) {
			return Interval{}, fmt.Errorf("cmir: the two rows were scored on different playlists: compare runs on " +
				"the same dataset split")
		}
		return bootstrap(len(a.Playlists.Hits), seed, func(idx []int) float64 {
			return hitRateOf(a.Playlists, idx) - hitRateOf(b.Playlists, idx)
		}), nil
	}
	return Interval{}, fmt.Errorf("cmir: no paired bootstrap for metric %q: use genre_accuracy or continuation_hr@10", metric)
}
