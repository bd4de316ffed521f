package evaluation

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

// naiveClusterBootstrap draws the same resamples as ClusterBootstrap (same generator, same order), but
// builds each resample as an explicit list of query values and averages it.
func naiveClusterBootstrap(values []float64, clusters []string, resamples int, seed uint64) [2]float64 {
	var names []string
	for _, c := range clusters {
		if !slices.Contains(names, c) {
			names = append(names, c)
		}
	}
	rng := rand.New(rand.NewPCG(seed, 0x6d75736963726570))
	draws := make([][]int, resamples)
	for b := range draws {
		for range names {
			draws[b] = append(draws[b], rng.IntN(len(names)))
		}
	}
	means := make([]float64, resamples)
	for b, d := range draws {
		var list []float64
		for _, c := range d {
			for j, cl := range clusters {
				if cl == names[c] {
					list = append(list, values[j])
				}
			}
		}
		s := 0.0
		for _, v := range list {
			s += v
		}
		means[b] = s / float64(len(list))
	}
	sort.Float64s(means)
	pct := func(p float64) float64 { // numpy.percentile, linear
		h := (float64(len(means)) - 1) * p
		f := math.Floor(h)
		if int(f)+1 >= len(means) {
			return means[len(means)-1]
		}
		return means[int(f)] + (h-f)*(means[int(f)+1]-means[int(f)])
	}
	return [2]float64{pct(0.025), pct(0.975)}
}

func TestClusterBootstrapMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var values, other []float64
	var clusters []string
	for j := range 90 {
		clusters = append(clusters, fmt.Sprintf("artist%d", rng.IntN(17)))
		values = append(values, rng.Float64())
		other = append(other, float64(j%2))
	}
	got := ClusterBootstrap(map[string][]float64{"a": values, "b": other}, clusters, 500, 11)
	for key, v := range map[string][]float64{"a": values, "b": other} {
		want := naiveClusterBootstrap(v, clusters, 500, 11)
		for i := range 2 {
			if math.Abs(got[key][i]-want[i]) > 1e-12 {
				t.Errorf("%s: interval %v, naive %v", key, got[key], want)
			}
		}
	}
}

// With one query per cluster the bootstrap interval of a mean of 0/1 values approaches the normal
// approximation p ± 1.96·sqrt(p(1−p)/n).
func TestClusterBootstrapNormalApproximation(t *testing.T) {
	n := 2000
	values := make([]float64, n)
	clusters := make([]string, n)
	rng := rand.New(rand.NewPCG(5, 6))
	for j := range values {
		if rng.Float64() < 0.3 {
			values[j] = 1
		}
		clusters[j] = fmt.Sprint(j)
	}
	p := mean(values)
	half := 1.96 * math.Sqrt(p*(1-p)/float64(n))
	ci := ClusterBootstrap(map[string][]float64{"x": values}, clusters, 4000, 1)["x"]
	if math.Abs(ci[0]-(p-half)) > 0.15*half || math.Abs(ci[1]-(p+half)) > 0.15*half {
		t.Errorf("interval %v, normal approximation [%v, %v]", ci, p-half, p+half)
	}
	// The same values in 100 clusters of 20 identical outcomes: far fewer independent units, so a much
	// wider interval.
	for j := range values {
		clusters[j] = fmt.Sprint(j / 20)
		values[j] = values[(j/20)*20]
	}
	wide := ClusterBootstrap(map[string][]float64{"x": values}, clusters, 4000, 1)["x"]
	if wide[1]-wide[0] < 3*(ci[1]-ci[0]) {
		t.Errorf("clustered interval %v is not much wider than the independent one %v", wide, ci)
	}
}

func TestPercentile(t *testing.T) {
	v := []float64{1, 2, 3, 4, 5}
	for _, c := range []struct{ p, want float64 }{{0, 1}, {100, 5}, {50, 3}, {2.5, 1.1}, {97.5, 4.9}} {
		if got := Percentile(v, c.p); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("Percentile(%v) = %v, want %v", c.p, got, c.want)
		}
	}
}

// A random ranking has expected precision@K = R/(n−1) and recall@K = K/(n−1) for every query (R relevant
// among the n−1 candidates, K <= n−1).
func TestChanceGenreRetrieval(t *testing.T) {
	var genres [][]string
	var artists []string
	for i := range 30 {
		genres = append(genres, []string{[]string{"rock", "pop", "jazz"}[i%3]})
		artists = append(artists, fmt.Sprint(i/3))
	}
	s, err := ChanceGenreRetrieval(genres, RetrievalOptions{Ks: []int{5}, Artists: artists}, 4000, 1)
	if err != nil {
		t.Fatal(err)
	}
	for qi := range s.Queries {
		// 9 other tracks share the genre among 29 candidates; same-artist lists drop 2 candidates, both of
		// other genres (each artist has three genres), so 9 of 27.
		checks := map[string]float64{"precision@5": 9.0 / 29 * 5 / 5, "recall@5": 5.0 / 29,
			"other_artist_precision@5": 9.0 / 27, "other_artist_recall@5": 5.0 / 27}
		for key, want := range checks {
			if got := s.Values[key][qi]; math.Abs(got-want) > 0.02 {
				t.Fatalf("query %d: %s = %v, want about %v", qi, key, got, want)
			}
		}
	}
	if _, err := ChanceGenreRetrieval(genres[:1], RetrievalOptions{Ks: []int{5}}, 1, 1); err == nil {
		t.Error("one track accepted")
	}
}

func TestChanceKNNAndMajority(t *testing.T) {
	train := [][]string{{"rock"}, {"rock"}, {"rock"}, {"pop"}}
	test := [][]string{{"rock"}, {"pop"}, nil, {"jazz", "rock"}}
	g, q, correct := MajorityGenre(train, test)
	if g != "rock" || !slices.Equal(q, []int{0, 1, 3}) || !slices.Equal(correct, []float64{1, 0, 1}) {
		t.Errorf("MajorityGenre = %q %v %v", g, q, correct)
	}
	// k = 1: a random training track; rock with probability 3/4, pop 1/4.
	q, c, err := ChanceKNNAccuracy(train, test, 1, 8000, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{0.75, 0.25, 0.75}
	for i := range q {
		if math.Abs(c[i]-want[i]) > 0.02 {
			t.Errorf("query %d: chance accuracy %v, want about %v", q[i], c[i], want[i])
		}
	}
	// k = 4: all training tracks vote, rock wins always.
	_, c, _ = ChanceKNNAccuracy(train, test, 10, 50, 2)
	if !slices.Equal(c, []float64{1, 0, 1}) {
		t.Errorf("k covering the training set: %v", c)
	}
}

func TestExactDuplicates(t *testing.T) {
	data := []float32{1, 2, 3, 4, 1, 2, 0, 0, 3, 4, 1, 2}
	got := ExactDuplicates(data, 2)
	want := [][]int{{0, 2, 5}, {1, 4}}
	if len(got) != len(want) {
		t.Fatalf("ExactDuplicates = %v, want %v", got, want)
	}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("group %d = %v, want %v", i, got[i], want[i])
		}
	}
	// -0 and +0 differ in bits: not duplicates (a vector that differs anywhere is a different recording).
	if d := ExactDuplicates([]float32{0, float32(math.Copysign(0, -1))}, 1); len(d) != 0 {
		t.Errorf("signed zeros grouped: %v", d)
	}
}

func TestDifferences(t *testing.T) {
	a := &QueryScores{Queries: []int{1, 2}, Values: map[string][]float64{"p": {1, 0.5}, "only": {1, 1}}}
	b := &QueryScores{Queries: []int{1, 2}, Values: map[string][]float64{"p": {0.25, 0.5}}}
	d, err := Differences(a, b)
	if err != nil || !slices.Equal(d.Values["p"], []float64{0.75, 0}) || len(d.Values) != 1 {
		t.Errorf("Differences = %v, %v", d, err)
	}
	if _, err := Differences(a, &QueryScores{Queries: []int{1, 3}}); err == nil {
		t.Error("different queries accepted")
	}
}

func TestCollapsed(t *testing.T) {
	same := []float32{1, 2, 1, 2, 1, 2}
	if !Collapsed(same, 2) {
		t.Error("identical rows not flagged")
	}
	if !Collapsed(make([]float32, 6), 2) {
		t.Error("all-zero rows not flagged")
	}
	if Collapsed([]float32{1, 2, 1, 2.5, 1, 2}, 2) {
		t.Error("distinct rows flagged")
	}
}
