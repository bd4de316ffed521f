package evaluation

import (
	"math"
	"math/rand"
	"sort"
	"testing"

	"github.com/musicrep/musicrep/musicrep/index"
)

// naiveTopK is the reference: index.SquaredL2 to every base row, full sort by (distance, index).
func naiveTopK(base []float32, dim int, queries []float32, k int, exclude func(q, i int) bool) [][]index.Neighbor {
	nb, nq := len(base)/dim, len(queries)/dim
	out := make([][]index.Neighbor, nq)
	for q := 0; q < nq; q++ {
		var all []index.Neighbor
		for i := 0; i < nb; i++ {
			if exclude != nil && exclude(q, i) {
				continue
			}
			all = append(all, index.Neighbor{Index: i, Dist: index.SquaredL2(queries[q*dim:(q+1)*dim], base[i*dim:(i+1)*dim])})
		}
		sort.Slice(all, func(a, b int) bool {
			if all[a].Dist != all[b].Dist {
				return all[a].Dist < all[b].Dist
			}
			return all[a].Index < all[b].Index
		})
		out[q] = all[:min(max(k, 0), len(all))]
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

// Random data with duplicated rows (exact ties), compared with the naive search: the same neighbours in the
// same order with bit-identical distances.
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
				if got[q][j] != want[q][j] {
					t.Fatalf("trial %d q %d rank %d: got %+v want %+v", trial, q, j, got[q][j], want[q][j])
				}
			}
		}
	}
}

func TestTopKSquaredL2Hand(t *testing.T) {
	// 1-d base points 0, 2, 2, 5, -1; query 1.
	base := []float32{0, 2, 2, 5, -1}
	got := TopKSquaredL2(base, 1, []float32{1}, 4, nil)[0]
	want := []index.Neighbor{{Index: 0, Dist: 1}, {Index: 1, Dist: 1}, {Index: 2, Dist: 1}, {Index: 4, Dist: 4}}
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
		"NaN":       func() { TopKSquaredL2([]float32{1, float32(math.NaN())}, 1, []float32{1}, 1, nil) },
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
