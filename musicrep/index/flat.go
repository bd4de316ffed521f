package index

import (
	"sync/atomic"
)

// Flat is an exact index: a search scans every vector (see the package documentation for how).
type Flat struct {
	s         *store
	n         int
	fallbacks atomic.Int64 // queries that needed the exact fallback scan (tests, diagnostics)
}

// NewFlat indexes the rows of vectors, a row-major matrix with dim columns; vector i is row i. The vectors are
// copied. It is an error for vectors to be empty, for dim not to divide its length, or for a value to be NaN
// or infinite.
func NewFlat(vectors []float32, dim int) (*Flat, error) {
	n, err := checkMatrix("vectors", vectors, dim)
	if err != nil {
		return nil, err
	}
	return &Flat{s: storeOf(vectors, dim), n: n}, nil
}

// NewFlatShared is NewFlat that also keeps vectors itself (not a copy) to re-rank candidates exactly: reading a
// vector's contiguous row is several times faster than gathering it from the packed copy, which matters when a
// search re-ranks many candidates per scanned vector (small catalogues, e.g. the paper protocol's 822 songs).
// Results are identical to NewFlat's. vectors must not be modified while the index is in use.
func NewFlatShared(vectors []float32, dim int) (*Flat, error) {
	f, err := NewFlat(vectors, dim)
	if err != nil {
		return nil, err
	}
	f.s.rows = vectors[: f.n*dim : f.n*dim]
	return f, nil
}

func (f *Flat) Kind() Kind { return KindFlat }
func (f *Flat) Dim() int   { return f.s.dim }
func (f *Flat) Len() int   { return f.n }

// Search returns the exact k nearest neighbours of each query row (see Index.Search); opt.NProbe is ignored.
// The distances are SquaredL2's, the indices and order those of a brute force with SquaredL2 sorted by
// (distance, index).
func (f *Flat) Search(queries []float32, k int, opt SearchOptions) ([][]Neighbor, error) {
	nq, err := checkSearch(queries, f.s.dim, k)
	if err != nil {
		return nil, err
	}
	out := make([][]Neighbor, nq)
	// One allocation for every query's results (query q's at [q*kk, q*kk+kk)), not one per query: at the paper
	// protocol's sizes the garbage collector's work was a visible share of a search.
	kk := min(k, f.n)
	all := make([]Neighbor, nq*kk)
	searchStore(f.s, queries, k, opt.Exclude, &f.fallbacks, false, func(q int, ns []Neighbor) {
		out[q] = all[q*kk : q*kk+copy(all[q*kk:(q+1)*kk], ns) : (q+1)*kk]
	})
	return out, nil
}

// Vectors returns a copy of the indexed vectors as a row-major matrix.
func (f *Flat) Vectors() []float32 {
	dim := f.s.dim
	out := make([]float32, f.n*dim)
	for i := 0; i < f.n; i++ {
		f.s.vector(i, out[i*dim:(i+1)*dim])
	}
	return out
}
