package library

import (
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
)

// synthetic builds a library of albums × tracksPerAlbum tracks whose "musicnn" features cluster by album
// (noise 0.3 around a random centre) and whose "mel-stats" features are pure noise.
func synthetic(albums, tracksPerAlbum int) *Library {
	rng := rand.New(rand.NewPCG(3, 4))
	const dim = 16
	l := &Library{Dir: "synthetic", Sets: map[string]*Features{}, byID: map[string]int{}}
	good := &Features{Name: SetMusicnn, Dim: dim}
	noise := &Features{Name: SetMelStats, Dim: dim}
	for a := range albums {
		centre := make([]float32, dim)
		for j := range centre {
			centre[j] = float32(rng.NormFloat64())
		}
		for k := range tracksPerAlbum {
			id := string(rune('a'+a)) + string(rune('0'+k))
			l.byID[id] = len(l.Tracks)
			l.Tracks = append(l.Tracks, Track{ID: id, Path: id + ".ogg", Album: "album " + string(rune('A'+a)),
				Artist: "artist " + string(rune('A'+a/2)), Folder: "f"})
			for j := range dim {
				good.Data = append(good.Data, centre[j]+float32(0.3*rng.NormFloat64()))
				noise.Data = append(noise.Data, float32(rng.NormFloat64()))
			}
		}
	}
	l.Sets[SetMusicnn], l.Sets[SetMelStats] = good, noise
	return l
}

func TestEvaluate(t *testing.T) {
	l := synthetic(6, 12)
	rep, err := l.Evaluate("album")
	if err != nil {
		t.Fatal(err)
	}
	if rep.N != 72 || rep.Queries != 72 || rep.Labels != 6 {
		t.Fatalf("n=%d queries=%d labels=%d", rep.N, rep.Queries, rep.Labels)
	}
	good, noise, chance := rep.Metrics[SetMusicnn], rep.Metrics[SetMelStats], rep.Metrics[ChanceRow]
	// 11 other tracks of the same album: a perfect ranking has precision@10 = 1, map@10 = 1, k-NN = 1.
	if math.Abs(good["precision@10"]-1) > 1e-9 || math.Abs(good["map@10"]-1) > 1e-9 ||
		good["knn_accuracy@10"] != 1 {
		t.Errorf("clustered features: %v, want precision 1, map 1, knn 1", good)
	}
	// Chance precision@10 = 11/71 per query (11 relevant among 71 candidates, 10 drawn).
	if p := chance["precision@10"]; math.Abs(p-11.0/71) > 0.01 {
		t.Errorf("chance precision@10 = %.4f, want ≈ %.4f", p, 11.0/71)
	}
	if noise["precision@10"] > 0.3 {
		t.Errorf("noise features: precision@10 = %.3f, should be near chance", noise["precision@10"])
	}
	// Two albums per artist: excluding the query's artist removes every relevant track.
	if _, ok := good["other_artist_precision@10"]; ok && good["other_artist_queries"] != 0 {
		t.Errorf("other-artist metrics computed for %v queries: every album has one artist", good["other_artist_queries"])
	}
	if _, err := l.Evaluate("mood"); err == nil {
		t.Error("an unknown label should be an error")
	}
	if _, err := synthetic(3, 1).Evaluate("album"); err == nil {
		t.Error("a library where no two tracks share the label should be an error")
	}
}

// TestTopMetrics checks precision, AP and the k-NN vote against hand-worked rankings.
func TestTopMetrics(t *testing.T) {
	labels := []string{"q", "q", "x", "q", "y", "y"}
	// Query 0; ranking: x(2), q(1), y(4), q(3), y(5). Relevant at ranks 2 and 4 → precision 2/10,
	// AP = (1/2 + 2/4)/2 = 0.5; votes: y 2, q 2, x 1 → tie between y and q broken by the nearer: q (rank 2)
	// comes before y (rank 3).
	p, ap, knn := topMetrics(0, []int{2, 1, 4, 3, 5}, labels)
	if math.Abs(p-0.2) > 1e-12 || math.Abs(ap-0.5) > 1e-12 || knn != 1 {
		t.Errorf("got precision %v, AP %v, knn %v; want 0.2, 0.5, 1", p, ap, knn)
	}
	_, _, knn = topMetrics(0, []int{4, 5, 1, 2}, labels)
	if knn != 0 {
		t.Errorf("majority y should not be the query's label")
	}
}

func TestSearch(t *testing.T) {
	l := &Library{Tracks: []Track{{ID: "a"}, {ID: "b"}, {ID: "c"}}, Sets: map[string]*Features{}}
	f := &Features{Name: SetMusicnnTags, Dim: 100, Data: make([]float32, 300)}
	for i := range 3 {
		for j := range 100 {
			f.Data[i*100+j] = 0.1
		}
	}
	f.Data[1*100+11] = 0.9 // track b: high "msd:metal"
	f.Data[2*100+0] = 0.9  // track c: high "msd:rock"
	l.Sets[SetMusicnnTags] = f
	w := make([]float64, 100)
	w[11] = 1
	res, err := l.Search(w, 3)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].ID != "b" {
		t.Errorf("a query weighting msd:metal ranks %s first, want b", res[0].ID)
	}
	if TagNames()[11] != "msd:metal" || len(TagNames()) != 100 {
		t.Errorf("tag names: %d, [11] = %s", len(TagNames()), TagNames()[11])
	}
}

// TestEvaluateIntervals checks the bootstrap: every interval holds its point estimate, a brute-force
// re-computation (explicit resampled query lists, plain means, numpy-style percentiles) gives the same bounds, the
// intervals narrow with more queries, and the paired differences say "not significant" exactly when they
// contain 0.
func TestEvaluateIntervals(t *testing.T) {
	l := synthetic(6, 12)
	// A third, half-informative set: the musicnn features plus as much noise (so that it differs from both).
	mix := &Features{Name: SetMusicnnTags, Dim: 16}
	rng := rand.New(rand.NewPCG(9, 9))
	for _, v := range l.Sets[SetMusicnn].Data {
		mix.Data = append(mix.Data, v+float32(1.5*rng.NormFloat64()))
	}
	l.Sets[SetMusicnnTags] = mix
	// One folder: every track is relevant to every query, every ranking scores 1; the chance row is a mean of
	// 200 ones, equal up to rounding, and no difference may come out significant.
	rep, err := l.Evaluate("folder")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Metrics[SetMusicnn]["precision@10"] != 1 {
		t.Errorf("one folder: precision@10 = %v, want 1", rep.Metrics[SetMusicnn]["precision@10"])
	}
	for _, c := range rep.Differences {
		if c.Significant {
			t.Errorf("one folder: %+v is significant", c)
		}
	}
	rep, err = l.Evaluate("album")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Resamples != EvalResamples || len(rep.CI95) != 4 {
		t.Fatalf("resamples %d, intervals for %d rows", rep.Resamples, len(rep.CI95))
	}
	for s, m := range rep.Metrics {
		for k, v := range m {
			if k == OtherArtistQueries {
				continue
			}
			ci, ok := rep.CI95[s][k]
			if !ok {
				t.Errorf("%s %s: no interval", s, k)
				continue
			}
			if !(ci[0] <= v+1e-12 && v <= ci[1]+1e-12) {
				t.Errorf("%s %s = %.4f outside its interval %v", s, k, v, ci)
			}
		}
	}
	// Brute force for the mixed set's precision@10 and the musicnn − mixed difference: recompute each
	// query's precision@10 by sorting cosines, resample with the documented draws, take percentiles by hand.
	n := len(l.Tracks)
	per := map[string][]float64{}
	for _, s := range []string{SetMusicnn, SetMusicnnTags} {
		f := l.Sets[s]
		for q := range n {
			type cand struct {
				i   int
				cos float64
			}
			var cs []cand
			for i := range n {
				if i != q {
					cs = append(cs, cand{i, cosine(f.Row(q), f.Row(i))})
				}
			}
			sort.Slice(cs, func(a, b int) bool { return cs[a].cos > cs[b].cos })
			hits := 0
			for _, c := range cs[:10] {
				if l.Tracks[c.i].Album == l.Tracks[q].Album {
					hits++
				}
			}
			per[s] = append(per[s], float64(hits)/10)
		}
	}
	percentile := func(v []float64, p float64) float64 { // numpy.percentile, linear
		s := append([]float64{}, v...)
		sort.Float64s(s)
		pos := p / 100 * float64(len(s)-1)
		lo := int(pos)
		if lo+1 >= len(s) {
			return s[lo]
		}
		return s[lo] + (pos-float64(lo))*(s[lo+1]-s[lo])
	}
	brute := func(v []float64) [2]float64 {
		r := rand.New(rand.NewPCG(EvalSeed, uint64(n)))
		var means []float64
		for range EvalResamples {
			sum := 0.0
			for range n {
				sum += v[r.IntN(n)]
			}
			means = append(means, sum/float64(n))
		}
		return [2]float64{percentile(means, 2.5), percentile(means, 97.5)}
	}
	mean := func(v []float64) float64 {
		s := 0.0
		for _, x := range v {
			s += x
		}
		return s / float64(len(v))
	}
	if got, want := rep.Metrics[SetMusicnnTags]["precision@10"], mean(per[SetMusicnnTags]); math.Abs(got-want) > 1e-9 {
		t.Errorf("mixed precision@10 = %.6f, brute force %.6f", got, want)
	}
	if got, want := rep.CI95[SetMusicnnTags]["precision@10"], brute(per[SetMusicnnTags]); math.Abs(got[0]-want[0]) > 1e-9 ||
		math.Abs(got[1]-want[1]) > 1e-9 {
		t.Errorf("mixed precision@10 interval %v, brute force %v", got, want)
	}
	if want := rep.CI95[SetMusicnnTags]["precision@10"]; want[1]-want[0] < 0.02 {
		t.Errorf("mixed precision@10 interval %v: too narrow to test anything", want)
	}
	diff := make([]float64, n)
	for j := range diff {
		diff[j] = per[SetMusicnn][j] - per[SetMusicnnTags][j]
	}
	var seen int
	for _, c := range rep.Differences {
		if c.Significant != (c.CI95[0] > 1e-9 || c.CI95[1] < -1e-9) {
			t.Errorf("%s − %s %s: significant=%v with interval %v", c.A, c.B, c.Metric, c.Significant, c.CI95)
		}
		if c.A == SetMusicnnTags && c.B == SetMelStats && c.Metric == "precision@10" {
			seen++
		}
		if c.A == SetMusicnn && c.B == ChanceRow && c.Metric == "precision@10" {
			seen++
			if !c.Significant || c.Diff < 0.8 {
				t.Errorf("clustered − chance: %+v, want a large significant difference", c)
			}
		}
		if c.A == SetMelStats && c.B == ChanceRow && c.Metric == "precision@10" {
			seen++
			if c.Significant {
				t.Errorf("noise − chance: %+v, want not significant", c)
			}
		}
	}
	// Identical rows (up to rounding): every difference is "not significant".
	l.Sets[SetMelStats] = l.Sets[SetMusicnn]
	same, err := l.Evaluate("album")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range same.Differences {
		if c.B == SetMelStats && c.A == SetMusicnn && c.Significant {
			t.Errorf("identical sets: %+v is significant", c)
		}
	}
	if seen != 3 {
		t.Errorf("missing differences (%d of 3 found): %+v", seen, rep.Differences)
	}
	// The brute-force interval of a paired difference, through the same code path as the report's.
	if got, want := mustInterval(t, diff, bootstrapDraws(n, EvalResamples, EvalSeed)), brute(diff); math.Abs(got[0]-want[0]) > 1e-9 ||
		math.Abs(got[1]-want[1]) > 1e-9 {
		t.Errorf("difference interval %v, brute force %v", got, want)
	}
	// More queries, narrower intervals: the noise set on 6×12 vs 12×48 tracks.
	big, err := synthetic(12, 48).Evaluate("album")
	if err != nil {
		t.Fatal(err)
	}
	width := func(r *EvalReport) float64 {
		ci := r.CI95[SetMelStats]["precision@10"]
		return ci[1] - ci[0]
	}
	if w1, w2 := width(rep), width(big); !(w2 < 0.7*w1) {
		t.Errorf("interval width with 72 queries %.4f, with 576 %.4f: should shrink (≈ 1/√8)", w1, w2)
	}
	var text strings.Builder
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"chance ", "mel-stats − chance", "not significant", "in-sample", "[", "95 %"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, text.String())
		}
	}
	md := rep.Markdown()
	for _, want := range []string{"| chance |", "| mel-stats | chance | precision@10 |", "not significant", "–"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown report lacks %q:\n%s", want, md)
		}
	}
}

func mustInterval(t *testing.T, v []float64, draws [][]int) [2]float64 {
	t.Helper()
	ci, ok := bootstrapInterval(v, draws)
	if !ok {
		t.Fatal("no interval")
	}
	return ci
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

// TestOtherArtistIntervals checks the other_artist_ metrics: NaN queries (no relevant candidate by another
// artist) are left out of the means and of the resamples, and the count is reported.
func TestOtherArtistIntervals(t *testing.T) {
	v := []float64{1, math.NaN(), 0, math.NaN()}
	if m, n := nanMean(v); m != 0.5 || n != 2 {
		t.Errorf("nanMean = %v, %d", m, n)
	}
	// Resamples: {0,0,1,1} → mean 1; {1,3,1,3} → none (skipped); {2,2,2,0} → 0.25.
	ci, ok := bootstrapInterval(v, [][]int{{0, 0, 1, 1}, {1, 3, 1, 3}, {2, 2, 2, 0}})
	if !ok || math.Abs(ci[0]-(0.25+0.025*0.75)) > 1e-12 || math.Abs(ci[1]-(0.25+0.975*0.75)) > 1e-12 {
		t.Errorf("interval %v, want [%v, %v]", ci, 0.25+0.025*0.75, 0.25+0.975*0.75)
	}
	// Albums shared across artists: album X by artists 1 and 2, album Y by artist 1 only.
	l := &Library{Dir: "t", Sets: map[string]*Features{}, byID: map[string]int{}}
	f := &Features{Name: SetMusicnn, Dim: 2}
	for i, tr := range []struct{ album, artist string }{{"X", "1"}, {"X", "2"}, {"X", "1"}, {"Y", "1"}, {"Y", "1"}} {
		l.Tracks = append(l.Tracks, Track{ID: string(rune('a' + i)), Album: tr.album, Artist: tr.artist})
		f.Data = append(f.Data, float32(i+1), 1)
	}
	l.Sets[SetMusicnn] = f
	rep, err := l.Evaluate("album")
	if err != nil {
		t.Fatal(err)
	}
	// Queries with a relevant candidate by another artist: the three X tracks; the Y tracks have none.
	if got := rep.Metrics[SetMusicnn][OtherArtistQueries]; got != 3 {
		t.Errorf("other-artist queries = %v, want 3", got)
	}
	if got := rep.Metrics[ChanceRow][OtherArtistQueries]; got != 3 {
		t.Errorf("chance other-artist queries = %v, want 3", got)
	}
}
