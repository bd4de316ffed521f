package index

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// naiveSearch is the reference: SquaredL2 to every vector, sorted by (distance, index).
func naiveSearch(base []float32, dim int, queries []float32, k int, exclude func(q, i int) bool) [][]Neighbor {
	n, nq := len(base)/dim, len(queries)/dim
	out := make([][]Neighbor, nq)
	for q := 0; q < nq; q++ {
		var all []Neighbor
		for i := 0; i < n; i++ {
			if exclude != nil && exclude(q, i) {
				continue
			}
			all = append(all, Neighbor{Index: i, Dist: SquaredL2(queries[q*dim:(q+1)*dim], base[i*dim:(i+1)*dim])})
		}
		slices.SortFunc(all, better)
		out[q] = all[:min(k, len(all))]
	}
	return out
}

func randMatrix(rng *rand.Rand, n, dim int, scale float32) []float32 {
	v := make([]float32, n*dim)
	for i := range v {
		v[i] = float32(rng.NormFloat64()) * scale
	}
	return v
}

// clustered returns n unit vectors from a mixture of c Gaussian clusters (noise norm about `noise` relative to
// the unit centres), the kind of data embeddings are.
func clustered(rng *rand.Rand, n, dim, c int, noise float64) []float32 {
	centres := make([]float64, c*dim)
	for i := range centres {
		centres[i] = rng.NormFloat64() / math.Sqrt(float64(dim))
	}
	v := make([]float32, n*dim)
	sigma := noise / math.Sqrt(float64(dim))
	for i := 0; i < n; i++ {
		ci := rng.IntN(c)
		var sq float64
		row := make([]float64, dim)
		for d := range row {
			row[d] = centres[ci*dim+d] + sigma*rng.NormFloat64()
			sq += row[d] * row[d]
		}
		for d := range row {
			v[i*dim+d] = float32(row[d] / math.Sqrt(sq))
		}
	}
	return v
}

// withKernels runs f once per available kernel set (scalar always; AVX-512 and AVX2 when compiled in and supported).
func withKernels(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	sets := append([]kernelSet{scalarKernels}, simdKernelSets...)
	saved := kernels
	defer func() { kernels = saved }()
	for _, ks := range sets {
		kernels = ks
		t.Run(ks.name, f)
	}
}

func sameNeighbors(t *testing.T, what string, got, want [][]Neighbor) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d result lists, want %d", what, len(got), len(want))
	}
	bad := 0
	for q := range want {
		if !slices.Equal(got[q], want[q]) {
			if bad < 3 {
				t.Errorf("%s: query %d:\n got %v\nwant %v", what, q, got[q], want[q])
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d queries differ", what, bad, len(want))
	}
}

// TestFlatEqualsNaive checks that Flat returns exactly the float64 brute force (indices, distances, order) on
// random data, clustered unit vectors, duplicated vectors (exact ties, more copies than the heap holds),
// near-duplicates within float32 rounding (the exactness guard), integer grids (many equal distances), odd
// dimensions, k larger than the base, and with an exclude function; under every kernel set.
func TestFlatEqualsNaive(t *testing.T) {
	withKernels(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		type tc struct {
			name         string
			base, qs     []float32
			dim, k       int
			exclude      func(q, i int) bool
			wantFallback bool
		}
		var cases []tc
		// Random Gaussian, several dims (odd ones exercise kernel tails) and sizes (padding).
		for _, dim := range []int{1, 3, 17, 64, 128} {
			for _, n := range []int{1, 31, 33, 700} {
				cases = append(cases, tc{name: fmt.Sprintf("gauss-n%d-d%d", n, dim), base: randMatrix(rng, n, dim, 1),
					qs: randMatrix(rng, 13, dim, 1), dim: dim, k: 10})
			}
		}
		cases = append(cases, tc{name: "clustered", base: clustered(rng, 3000, 32, 20, 0.5),
			qs: clustered(rng, 37, 32, 20, 0.5), dim: 32, k: 25})
		// 60 copies of each of 10 vectors: every query has 60 exact ties at each distance, more than the heap.
		{
			dim := 24
			protos := randMatrix(rng, 10, dim, 1)
			var base []float32
			for c := 0; c < 60; c++ {
				for p := 0; p < 10; p++ {
					base = append(base, protos[p*dim:(p+1)*dim]...)
				}
			}
			cases = append(cases, tc{name: "duplicates", base: base, qs: randMatrix(rng, 9, dim, 1), dim: dim, k: 10,
				wantFallback: true})
			// Queries equal to base vectors, excluding themselves and every copy's twin at i%10 == q%10.
			cases = append(cases, tc{name: "duplicates-exclude", base: base, qs: base[:9*dim], dim: dim, k: 7,
				exclude: func(q, i int) bool { return i%10 == q%10 && i%3 == 0 }})
		}
		// Near-duplicates: perturbations of one vector at the float32 ulp level, so float32 keys cannot order them.
		{
			dim := 40
			proto := randMatrix(rng, 1, dim, 1)
			var base []float32
			for i := 0; i < 500; i++ {
				for d := 0; d < dim; d++ {
					x := proto[d]
					for s := rng.IntN(5) - 2; s != 0; {
						if s > 0 {
							x = math.Nextafter32(x, float32(math.Inf(1)))
							s--
						} else {
							x = math.Nextafter32(x, float32(math.Inf(-1)))
							s++
						}
					}
					base = append(base, x)
				}
			}
			qs := append(slices.Clone(proto), randMatrix(rng, 4, dim, 0.01)...)
			for d := 0; d < dim; d++ {
				qs[dim+d] += proto[d]
			}
			cases = append(cases, tc{name: "near-duplicates", base: base, qs: qs[:2*dim], dim: dim, k: 10,
				wantFallback: true})
		}
		// Integer grid: many exactly equal distances between distinct vectors.
		{
			dim := 3
			var base []float32
			for i := 0; i < 512; i++ {
				base = append(base, float32(i%8), float32(i/8%8), float32(i/64))
			}
			cases = append(cases, tc{name: "grid", base: base, qs: []float32{3.5, 3.5, 3.5, 0, 0, 0, 7, 2, 4}, dim: dim,
				k: 30})
		}
		cases = append(cases, tc{name: "k-above-n", base: randMatrix(rng, 20, 8, 1), qs: randMatrix(rng, 3, 8, 1),
			dim: 8, k: 50})
		cases = append(cases, tc{name: "exclude-all-but-3", base: randMatrix(rng, 100, 8, 1),
			qs: randMatrix(rng, 5, 8, 1), dim: 8, k: 10, exclude: func(q, i int) bool { return i > 2 }})
		cases = append(cases, tc{name: "large-scale", base: randMatrix(rng, 300, 16, 1e15), qs: randMatrix(rng, 4, 16, 1e15),
			dim: 16, k: 5})
		cases = append(cases, tc{name: "tiny-scale", base: randMatrix(rng, 300, 16, 1e-20),
			qs: randMatrix(rng, 4, 16, 1e-20), dim: 16, k: 5})
		// Many queries (several query blocks and workers) and few (the base is split across workers).
		cases = append(cases, tc{name: "many-queries", base: randMatrix(rng, 400, 8, 1), qs: randMatrix(rng, 700, 8, 1),
			dim: 8, k: 3})
		cases = append(cases, tc{name: "one-query-split-base", base: randMatrix(rng, 20000, 8, 1),
			qs: randMatrix(rng, 1, 8, 1), dim: 8, k: 12})
		for _, c := range cases {
			f, err := NewFlat(c.base, c.dim)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			got, err := f.Search(c.qs, c.k, SearchOptions{Exclude: c.exclude})
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			sameNeighbors(t, c.name, got, naiveSearch(c.base, c.dim, c.qs, c.k, c.exclude))
			if c.wantFallback && f.fallbacks.Load() == 0 {
				t.Errorf("%s: the exact fallback never ran; the case does not test it", c.name)
			}
		}
	})
}

// TestSquaredL2 checks the distance against a plain float64 sum (equal up to float64 rounding; exact on
// integers) and that it is the same for equal rows, whatever their position.
func TestSquaredL2(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, dim := range []int{1, 3, 4, 5, 31, 32, 33, 128} {
		a, b := randMatrix(rng, 1, dim, 1), randMatrix(rng, 1, dim, 1)
		var want float64
		for d := range a {
			diff := float64(a[d]) - float64(b[d])
			want += diff * diff
		}
		if got := SquaredL2(a, b); math.Abs(got-want) > 1e-13*want {
			t.Errorf("dim %d: SquaredL2 = %v, plain sum %v", dim, got, want)
		}
		if got := SquaredL2(a, a); got != 0 {
			t.Errorf("dim %d: distance to itself %v", dim, got)
		}
		ia, ib := make([]float32, dim), make([]float32, dim)
		var exact float64
		for d := range ia {
			ia[d], ib[d] = float32(rng.IntN(9)-4), float32(rng.IntN(9)-4)
			exact += float64((ia[d] - ib[d]) * (ia[d] - ib[d]))
		}
		if got := SquaredL2(ia, ib); got != exact {
			t.Errorf("dim %d: integer vectors: %v, want %v", dim, got, exact)
		}
	}
}
