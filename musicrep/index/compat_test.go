package index_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/musicrep/musicrep/evaluation"
	"github.com/musicrep/musicrep/musicrep/index"
)

// TestFlatMatchesEvaluation checks that index.Flat and evaluation.TopKSquaredL2 (the exact search the evaluation
// protocols use) return the same neighbours, and that index.Neighbor converts to evaluation.Neighbor. The
// distances agree to float64 rounding (evaluation sums in four partial sums, index in order).
func TestFlatMatchesEvaluation(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	dim, n, nq, k := 32, 3000, 50, 20
	base := make([]float32, n*dim)
	for i := range base {
		base[i] = float32(rng.NormFloat64())
	}
	copy(base[dim:2*dim], base[:dim]) // a duplicate: an exact tie
	queries := base[:nq*dim]
	exclude := func(q, i int) bool { return q == i }
	f, err := index.NewFlat(base, dim)
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.Search(queries, k, index.SearchOptions{Exclude: exclude})
	if err != nil {
		t.Fatal(err)
	}
	want := evaluation.TopKSquaredL2(base, dim, queries, k, exclude)
	for q := range want {
		for j := range want[q] {
			g := evaluation.Neighbor(got[q][j])
			w := want[q][j]
			if g.Index != w.Index || math.Abs(g.Dist-w.Dist) > 1e-12*w.Dist {
				t.Fatalf("query %d rank %d: index gives %+v, evaluation %+v", q, j, g, w)
			}
		}
	}
}
