package evaluation

import (
	"math"
	"math/rand"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/musicrep/musicrep/musicrep/index"
)

var testGenreNames = []string{"rock", "pop", "jazz", "folk", "tarab"}

func randomGenres(rng *rand.Rand, n int) [][]string {
	out := make([][]string, n)
	for i := range out {
		for _, g := range testGenreNames {
			if rng.Float64() < 0.3 {
				out[i] = append(out[i], g)
			}
		}
	}
	return out
}

func sqDist64(a, b []float32) float64 {
	d := 0.0
	for j := range a {
		x := float64(a[j]) - float64(b[j])
		d += x * x
	}
	return d
}

// naiveNeighbors lists all rows of base except skip (-1 for none) sorted by (distance, index).
func naiveNeighbors(base []float32, dim int, q []float32, skip int) []index.Neighbor {
	var out []index.Neighbor
	for i := 0; i < len(base)/dim; i++ {
		if i != skip {
			out = append(out, index.Neighbor{Index: i, Dist: sqDist64(q, base[i*dim:(i+1)*dim])})
		}
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].Dist != out[b].Dist {
			return out[a].Dist < out[b].Dist
		}
		return out[a].Index < out[b].Index
	})
	return out
}

// The hand example below with artists: A and B by artist x, C by y, D by z. Same-artist candidates removed:
// A's list is C(.25) F, D(9) F: R=0, all 0. B's list is D(1) F, C(2.25) T: R=1, @1 0, @2 P .5, R 1, AP_ir .5.
// C's list is unchanged (no other track by y): A(.25) F, B(2.25) T, D F: as without the exclusion.
func TestGenreRetrievalOtherArtists(t *testing.T) {
	data := []float32{0, 2, 0.5, 3}
	genres := [][]string{{"rock"}, {"pop", "rock"}, {"pop"}, nil}
	s, err := GenreRetrievalScores(data, 1, genres, RetrievalOptions{Ks: []int{1, 2}, Artists: []string{"x", "x", "y", "z"}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]float64{
		"other_artist_precision@2":            {0, 0.5, 0.5},
		"other_artist_recall@2":               {0, 1, 1},
		"other_artist_average_precision_ir@2": {0, 0.5, 0.5},
		"other_artist_precision@1":            {0, 0, 0},
		"precision@2":                         {0.5, 0.5, 0.5},
	}
	for k, w := range want {
		if !slices.Equal(s.Values[k], w) {
			t.Errorf("%s = %v, want %v", k, s.Values[k], w)
		}
	}
	if !slices.Equal(s.Queries, []int{0, 1, 2}) {
		t.Errorf("queries = %v", s.Queries)
	}
	if _, err := GenreRetrievalScores(data, 1, genres, RetrievalOptions{Ks: []int{1}, Artists: []string{"x"}}); err == nil {
		t.Error("artists of the wrong length accepted")
	}
}

// Hand example (1-d). A=0 [rock], B=2 [pop rock], C=0.5 [pop], D=3 [] (not a query).
//
//	A: C(0.25) F, B(4) T, D(9) F; R=1.  @1 all 0. @2: P .5, R 1, hit 1, AP .5, RR .5, nDCG l3.
//	B: D(1) F, C(2.25) T, A(4) T; R=2.  @1 all 0. @2: P .5, R .5, hit 1, AP .5, RR .5, nDCG l3/(1+l3).
//	C: A(.25) F, B(2.25) T, D(6.25) F; R=1. @1 all 0. @2: P .5, R 1, hit 1, AP .5, RR .5, nDCG l3.
//
// with l3 = 1/log2(3).
func TestGenreRetrievalHand(t *testing.T) {
	data := []float32{0, 2, 0.5, 3}
	genres := [][]string{{"rock"}, {"pop", "rock"}, {"pop"}, nil}
	got, nq, err := GenreRetrieval(data, 1, genres, []int{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	if nq != 3 {
		t.Fatalf("queries used = %d, want 3", nq)
	}
	l3 := 1 / math.Log2(3)
	want := map[string]float64{
		"precision@1": 0, "recall@1": 0, "hit_rate@1": 0, "average_precision@1": 0, "map@1": 0,
		"reciprocal_rank@1": 0, "ndcg@1": 0,
		"precision@2": 0.5, "recall@2": 2.5 / 3, "hit_rate@2": 1, "average_precision@2": 0.5, "map@2": 0.5,
		"reciprocal_rank@2": 0.5, "ndcg@2": (2*l3 + l3/(1+l3)) / 3,
		// Textbook AP@K, normalised by min(K, R): A .5/1, B .5/2, C .5/1.
		"average_precision_ir@1": 0, "average_precision_ir@2": 1.25 / 3,
	}
	if len(got) != len(want) {
		t.Errorf("got %d keys, want %d: %v", len(got), len(want), got)
	}
	for k, w := range want {
		if v, ok := got[k]; !ok || math.Abs(v-w) > 1e-12 {
			t.Errorf("%s = %v, want %v", k, v, w)
		}
	}
}

func TestGenreRetrievalMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewSource(21))
	for trial := 0; trial < 30; trial++ {
		n, dim := 2+rng.Intn(80), 1+rng.Intn(9)
		data := randomMatrix(rng, n, dim)
		for r := 0; r < n/6; r++ { // duplicates -> ties
			src, dst := rng.Intn(n), rng.Intn(n)
			copy(data[dst*dim:(dst+1)*dim], data[src*dim:(src+1)*dim])
		}
		genres := randomGenres(rng, n)
		ks := []int{1, 2 + rng.Intn(n+3)}
		got, nq, err := GenreRetrieval(data, dim, genres, ks)
		if err != nil {
			if strings.Contains(err.Error(), "no track has a genre") {
				continue
			}
			t.Fatal(err)
		}
		sums := map[string]float64{}
		used := 0
		for q := 0; q < n; q++ {
			if len(genres[q]) == 0 {
				continue
			}
			used++
			list := naiveNeighbors(data, dim, data[q*dim:(q+1)*dim], q)
			scores := make([]float64, len(list))
			rel := make([]bool, len(list))
			for j, nb := range list {
				scores[j] = -nb.Dist
				for _, g := range genres[nb.Index] {
					if contains(genres[q], g) {
						rel[j] = true
					}
				}
			}
			for _, k := range ks {
				v := naiveRankMetrics(scores, rel, k).values()
				for t, name := range MetricNames {
					sums[metricKey(name, k)] += v[t]
				}
			}
		}
		if nq != used {
			t.Fatalf("queries used %d, want %d", nq, used)
		}
		for key, s := range sums {
			if math.Abs(got[key]-s/float64(used)) > 1e-9 {
				t.Fatalf("trial %d %s = %v, naive %v", trial, key, got[key], s/float64(used))
			}
		}
		for _, k := range ks {
			if got[metricKey("map", k)] != got[metricKey("average_precision", k)] {
				t.Fatalf("map@%d differs from average_precision@%d", k, k)
			}
		}
	}
}

func TestGenreRetrievalErrors(t *testing.T) {
	g := [][]string{{"a"}, {"a"}}
	for name, f := range map[string]func() error{
		"dim":    func() error { _, _, err := GenreRetrieval([]float32{1, 2}, 0, g, []int{1}); return err },
		"length": func() error { _, _, err := GenreRetrieval([]float32{1, 2, 3}, 1, g, []int{1}); return err },
		"nan": func() error {
			_, _, err := GenreRetrieval([]float32{1, float32(math.NaN())}, 1, g, []int{1})
			return err
		},
		"one track": func() error { _, _, err := GenreRetrieval([]float32{1}, 1, g[:1], []int{1}); return err },
		"k0":        func() error { _, _, err := GenreRetrieval([]float32{1, 2}, 1, g, []int{0}); return err },
		"no ks":     func() error { _, _, err := GenreRetrieval([]float32{1, 2}, 1, g, nil); return err },
		"no genres": func() error {
			_, _, err := GenreRetrieval([]float32{1, 2}, 1, [][]string{nil, {}}, []int{1})
			return err
		},
	} {
		if f() == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// Hand example (1-d). Train: t0=0 [rock], t1=1 [pop], t2=2 [pop jazz], t3=10 [jazz], t4=11 [].
//
//	a=0.4 [rock]:  k=1 t0 -> rock OK;            k=2 t0 rock, t1 pop: 1-1 tie, nearest t0 -> rock OK
//	b=0.6 [pop]:   k=1 t1 -> pop OK;             k=2 t1 pop, t0 rock: tie, nearest t1 -> pop OK
//	c=2.2 [jazz]:  k=1 t2 -> pop (listed first); k=2 t2, t1 -> pop 2, jazz 1 -> pop: both wrong
//	d=10.4 [jazz]: k=1 t3 -> jazz OK;            k=2 t3 jazz, t4 no genre -> jazz OK
//	e=5 []:        not evaluated
//	f=0.5 [rock]:  t0 and t1 tie at 0.25, t0 (smaller index) first: k=1 rock OK; k=2 rock/pop tie -> rock OK
func TestKNNGenreAccuracyHand(t *testing.T) {
	train := []float32{0, 1, 2, 10, 11}
	trainG := [][]string{{"rock"}, {"pop"}, {"pop", "jazz"}, {"jazz"}, nil}
	test := []float32{0.4, 0.6, 2.2, 10.4, 5, 0.5}
	testG := [][]string{{"rock"}, {"pop"}, {"jazz"}, {"jazz"}, nil, {"rock"}}
	for _, k := range []int{1, 2} {
		acc, n, err := KNNGenreAccuracy(train, trainG, test, testG, 1, k)
		if err != nil {
			t.Fatal(err)
		}
		if n != 5 || math.Abs(acc-0.8) > 1e-15 {
			t.Errorf("k=%d: acc %v n %d, want 0.8 and 5", k, acc, n)
		}
	}
	// k larger than the training set: all five vote, pop 2, jazz 2, rock 1, and the nearest holder of pop or
	// jazz decides. a: t1 -> pop, wrong; b: t1 -> pop, OK; c: t2 lists pop first -> pop, wrong; d: t3 -> jazz,
	// OK; f: t0 holds neither, t1 -> pop, wrong. Accuracy 2/5.
	acc, n, err := KNNGenreAccuracy(train, trainG, test, testG, 1, 50)
	if err != nil {
		t.Fatal(err)
	}
	if n != 5 || math.Abs(acc-0.4) > 1e-15 {
		t.Errorf("k=50: acc %v n %d, want 0.4 and 5", acc, n)
	}
}

// Hand example: 1-d points 0 [rock], 1 [rock], 5 [pop], 6 [jazz], 20 [] with k=1: 0->1 rock OK, 1->0 rock OK,
// 5->6 jazz wrong, 6->5 pop wrong; 20 is not a query. Accuracy 2/4.
func TestLeaveOneOutKNNAccuracyHand(t *testing.T) {
	data := []float32{0, 1, 5, 6, 20}
	g := [][]string{{"rock"}, {"rock"}, {"pop"}, {"jazz"}, nil}
	acc, n, err := LeaveOneOutKNNAccuracy(data, g, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 || acc != 0.5 {
		t.Errorf("acc %v n %d, want 0.5 and 4", acc, n)
	}
}

// naiveVote implements the documented voting rule independently: count, then nearest holder, then that
// holder's list order.
func naiveVote(neighbors []index.Neighbor, genres [][]string) (string, bool) {
	count := map[string]int{}
	for _, nb := range neighbors {
		seen := map[string]bool{}
		for _, g := range genres[nb.Index] {
			if !seen[g] {
				seen[g] = true
				count[g]++
			}
		}
	}
	maxV := 0
	for _, v := range count {
		maxV = max(maxV, v)
	}
	if maxV == 0 {
		return "", false
	}
	for _, nb := range neighbors {
		for _, g := range genres[nb.Index] {
			if count[g] == maxV {
				return g, true
			}
		}
	}
	return "", false
}

func TestKNNMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewSource(33))
	for trial := 0; trial < 40; trial++ {
		dim := 1 + rng.Intn(6)
		ntr, nte := 1+rng.Intn(60), 1+rng.Intn(40)
		tr, te := randomMatrix(rng, ntr, dim), randomMatrix(rng, nte, dim)
		if trial%3 == 0 { // coarse values -> ties in distance
			for i := range tr {
				tr[i] = float32(math.Round(float64(tr[i])))
			}
			for i := range te {
				te[i] = float32(math.Round(float64(te[i])))
			}
		}
		trG, teG := randomGenres(rng, ntr), randomGenres(rng, nte)
		k := 1 + rng.Intn(9)

		acc, n, err := KNNGenreAccuracy(tr, trG, te, teG, dim, k)
		if err != nil {
			t.Fatal(err)
		}
		correct, used := 0, 0
		for q := 0; q < nte; q++ {
			if len(teG[q]) == 0 {
				continue
			}
			used++
			nb := naiveNeighbors(tr, dim, te[q*dim:(q+1)*dim], -1)
			if len(nb) > k {
				nb = nb[:k]
			}
			if g, ok := naiveVote(nb, trG); ok && contains(teG[q], g) {
				correct++
			}
		}
		if n != used || (used > 0 && math.Abs(acc-float64(correct)/float64(used)) > 1e-15) {
			t.Fatalf("trial %d: acc %v n %d, naive %d/%d", trial, acc, n, correct, used)
		}

		if ntr < 2 {
			continue
		}
		acc, n, err = LeaveOneOutKNNAccuracy(tr, trG, dim, k)
		if err != nil {
			t.Fatal(err)
		}
		correct, used = 0, 0
		for q := 0; q < ntr; q++ {
			if len(trG[q]) == 0 {
				continue
			}
			used++
			nb := naiveNeighbors(tr, dim, tr[q*dim:(q+1)*dim], q)
			if len(nb) > k {
				nb = nb[:k]
			}
			if g, ok := naiveVote(nb, trG); ok && contains(trG[q], g) {
				correct++
			}
		}
		if n != used || (used > 0 && math.Abs(acc-float64(correct)/float64(used)) > 1e-15) {
			t.Fatalf("trial %d LOO: acc %v n %d, naive %d/%d", trial, acc, n, correct, used)
		}
	}
}

func TestKNNErrors(t *testing.T) {
	g := [][]string{{"a"}}
	if _, _, err := KNNGenreAccuracy([]float32{1}, g, []float32{1}, g, 1, 0); err == nil {
		t.Error("k=0: no error")
	}
	if _, _, err := KNNGenreAccuracy([]float32{1, 2}, g, []float32{1}, g, 1, 1); err == nil {
		t.Error("train length: no error")
	}
	if _, _, err := KNNGenreAccuracy(nil, nil, []float32{1}, g, 1, 1); err == nil {
		t.Error("empty train: no error")
	}
	if _, _, err := KNNGenreAccuracy([]float32{1}, g, []float32{float32(math.Inf(1))}, g, 1, 1); err == nil {
		t.Error("Inf: no error")
	}
	if _, _, err := LeaveOneOutKNNAccuracy([]float32{1}, g, 1, 1); err == nil {
		t.Error("LOO single track: no error")
	}
	if acc, n, err := KNNGenreAccuracy([]float32{1}, g, []float32{1}, [][]string{nil}, 1, 1); err != nil || n != 0 || acc != 0 {
		t.Errorf("no labelled test track: %v %v %v", acc, n, err)
	}
}

func TestNormalize(t *testing.T) {
	got := Normalize([]float32{3, 4, 0, 0, -2, 0}, 2)
	want := []float32{0.6, 0.8, 0, 0, -1, 0}
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 1e-7 {
			t.Fatalf("Normalize = %v, want %v", got, want)
		}
	}
	rng := rand.New(rand.NewSource(2))
	m := randomMatrix(rng, 50, 7)
	orig := append([]float32(nil), m...)
	n := Normalize(m, 7)
	for r := 0; r < 50; r++ {
		s := 0.0
		for j := 0; j < 7; j++ {
			s += float64(n[r*7+j]) * float64(n[r*7+j])
		}
		if math.Abs(s-1) > 1e-6 {
			t.Fatalf("row %d norm^2 %v", r, s)
		}
	}
	for i := range m {
		if m[i] != orig[i] {
			t.Fatal("Normalize modified its input")
		}
	}
}

func TestConcat(t *testing.T) {
	got, dim, err := Concat(Block{[]float32{1, 2, 3, 4}, 2}, Block{[]float32{5, 6}, 1})
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{1, 2, 5, 3, 4, 6}
	if dim != 3 || len(got) != len(want) {
		t.Fatalf("Concat = %v dim %d", got, dim)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Concat = %v, want %v", got, want)
		}
	}
	if _, _, err := Concat(Block{[]float32{1, 2, 3, 4}, 2}, Block{[]float32{5, 6, 7}, 1}); err == nil {
		t.Error("row mismatch: no error")
	}
	if _, _, err := Concat(Block{[]float32{1, 2, 3}, 2}); err == nil {
		t.Error("ragged block: no error")
	}
	if _, _, err := Concat(Block{[]float32{1}, 0}); err == nil {
		t.Error("dim 0: no error")
	}
	if d, n, err := Concat(); d != nil || n != 0 || err != nil {
		t.Error("no blocks")
	}
}
