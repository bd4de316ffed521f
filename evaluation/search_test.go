package evaluation

import (
	"math"
	"math/rand"
	"runtime"
	"sort"
	"testing"
	"time"
)

// naiveTopK is the reference: float64 distances summed sequentially, full sort by (distance, index).
func naiveTopK(base []float32, dim int, queries []float32, k int, exclude func(q, i int) bool) [][]Neighbor {
	nb, nq := len(base)/dim, len(queries)/dim
	out := make([][]Neighbor, nq)
	for q := 0; q < nq; q++ {
		var all []Neighbor
		for i := 0; i < nb; i++ {
			if exclude != nil && exclude(q, i) {
				continue
			}
			d := 0.0
			for j := 0; j < dim; j++ {
				x := float64(queries[q*dim+j]) - float64(base[i*dim+j])
				d += x * x
			}
			all = append(all, Neighbor{i, d})
		}
		sort.Slice(all, func(a, b int) bool {
			if all[a].Dist != all[b].Dist {
				return all[a].Dist < all[b].Dist
			}
			return all[a].Index < all[b].Index
		})
		if k < 0 {
			k = 0
		}
		if len(all) > k {
			all = all[:k]
		}
		out[q] = all
	}
	return out
}

func randomMatrix(rng *rand.Rand, rows, dim int) []float32 {
	m := make([]float32, rows*dim)
	for i := range m {
		m[i] = float32(rng.NormFloat64())
	}
	return m
}

// Random data with duplicated rows (exact ties), compared with the naive search: same indices in the same
// order, distances equal to float64 rounding.
func TestTopKSquaredL2MatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for trial := 0; trial < 40; trial++ {
		dim := 1 + rng.Intn(70)
		nb := 1 + rng.Intn(700)
		nq := 1 + rng.Intn(30)
		base := randomMatrix(rng, nb, dim)
		// Duplicate some rows, and quantise some to create many exact ties.
		for r := 0; r < nb/5; r++ {
			src, dst := rng.Intn(nb), rng.Intn(nb)
			copy(base[dst*dim:(dst+1)*dim], base[src*dim:(src+1)*dim])
		}
		if trial%4 == 0 {
			for i := range base {
				base[i] = float32(math.Round(float64(base[i])))
			}
		}
		queries := randomMatrix(rng, nq, dim)
		for q := 0; q < nq/2; q++ { // some queries are base rows
			r := rng.Intn(nb)
			copy(queries[q*dim:(q+1)*dim], base[r*dim:(r+1)*dim])
		}
		if trial%4 == 0 {
			for i := range queries {
				queries[i] = float32(math.Round(float64(queries[i])))
			}
		}
		k := rng.Intn(nb + 5)
		var exclude func(q, i int) bool
		if trial%2 == 1 {
			exclude = func(q, i int) bool { return (q+i)%7 == 0 }
		}
		got := TopKSquaredL2(base, dim, queries, k, exclude)
		want := naiveTopK(base, dim, queries, k, exclude)
		if len(got) != nq {
			t.Fatalf("trial %d: %d result lists, want %d", trial, len(got), nq)
		}
		for q := range want {
			if len(got[q]) != len(want[q]) {
				t.Fatalf("trial %d q %d: %d results, want %d", trial, q, len(got[q]), len(want[q]))
			}
			for j := range want[q] {
				// Same order; distances agree to float64 rounding (the unrolled sum uses four partial sums).
				// Rows whose distances are within rounding of each other could legitimately swap, so an index
				// mismatch is only an error when the distances differ by more than that.
				g, w := got[q][j], want[q][j]
				if math.Abs(g.Dist-w.Dist) > 1e-9*math.Max(1, w.Dist) {
					t.Fatalf("trial %d q %d rank %d: got %+v want %+v", trial, q, j, g, w)
				}
				if g.Index != w.Index && g.Dist == w.Dist {
					t.Fatalf("trial %d q %d rank %d: tie broken differently: got %+v want %+v", trial, q, j, g, w)
				}
			}
		}
	}
}

func TestTopKSquaredL2Hand(t *testing.T) {
	// 1-d base points 0, 2, 2, 5, -1; query 1.
	base := []float32{0, 2, 2, 5, -1}
	got := TopKSquaredL2(base, 1, []float32{1}, 4, nil)[0]
	want := []Neighbor{{0, 1}, {1, 1}, {2, 1}, {4, 4}}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	// Excluding base row 1 and asking for more than available.
	got = TopKSquaredL2(base, 1, []float32{1}, 10, func(q, i int) bool { return i == 1 })[0]
	wantIdx := []int{0, 2, 4, 3}
	for i, w := range wantIdx {
		if got[i].Index != w {
			t.Fatalf("got %v, want indices %v", got, wantIdx)
		}
	}
	if len(got) != 4 {
		t.Fatalf("got %d results, want 4", len(got))
	}
	if r := TopKSquaredL2(base, 1, []float32{1, 2}, 0, nil); len(r) != 2 || len(r[0]) != 0 || len(r[1]) != 0 {
		t.Fatalf("k=0: %v", r)
	}
	if r := TopKSquaredL2(base, 1, nil, 3, nil); len(r) != 0 {
		t.Fatalf("no queries: %v", r)
	}
	if r := TopKSquaredL2(nil, 1, []float32{1}, 3, nil); len(r) != 1 || len(r[0]) != 0 {
		t.Fatalf("empty base: %v", r)
	}
}

func TestTopKSquaredL2Panics(t *testing.T) {
	for name, f := range map[string]func(){
		"dim0":      func() { TopKSquaredL2([]float32{1}, 0, []float32{1}, 1, nil) },
		"base len":  func() { TopKSquaredL2([]float32{1, 2, 3}, 2, []float32{1, 2}, 1, nil) },
		"query len": func() { TopKSquaredL2([]float32{1, 2}, 2, []float32{1}, 1, nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

// The scale requirement: 1,000 queries over a 100,000 x 128 base in seconds. Skipped with -short.
func TestTopKSquaredL2Scale(t *testing.T) {
	if testing.Short() {
		t.Skip("scale test skipped in -short mode")
	}
	rng := rand.New(rand.NewSource(7))
	const nb, nq, dim, k = 100000, 1000, 128, 50
	base := randomMatrix(rng, nb, dim)
	queries := randomMatrix(rng, nq, dim)
	start := time.Now()
	res := TopKSquaredL2(base, dim, queries, k, nil)
	el := time.Since(start)
	t.Logf("1000 queries x 100k x 128, k=50: %v with GOMAXPROCS=%d (%.0f queries/s)", el, runtime.GOMAXPROCS(0),
		float64(nq)/el.Seconds())
	// Spot-check two queries against the naive search.
	for _, q := range []int{0, nq - 1} {
		want := naiveTopK(base, dim, queries[q*dim:(q+1)*dim], k, nil)[0]
		for j := range want {
			if res[q][j].Index != want[j].Index {
				t.Fatalf("query %d rank %d: %+v, want %+v", q, j, res[q][j], want[j])
			}
		}
	}
	if el > 2*time.Minute {
		t.Errorf("too slow: %v", el)
	}
}

func BenchmarkTopK(b *testing.B) {
	rng := rand.New(rand.NewSource(3))
	const dim, k = 128, 50
	for _, bc := range []struct {
		name     string
		nb, nq   int
		selfScan bool
	}{
		{"base822_all822queries", 822, 822, true},
		{"base100k_200queries", 100000, 200, false},
	} {
		base := randomMatrix(rng, bc.nb, dim)
		queries := base[:bc.nq*dim]
		if !bc.selfScan {
			queries = randomMatrix(rng, bc.nq, dim)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				TopKSquaredL2(base, dim, queries, k, nil)
			}
			b.ReportMetric(float64(bc.nq)*float64(b.N)/b.Elapsed().Seconds(), "queries/s")
		})
	}
}
