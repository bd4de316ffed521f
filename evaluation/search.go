package evaluation

import (
	"fmt"

	"github.com/musicrep/musicrep/musicrep/index"
)

// nearest returns, for every query row, the k base rows nearest in squared L2 distance (index.SquaredL2),
// ties by the smaller base row: the exact search of index.Flat. exclude, when not nil, drops base row i from
// query q's results (see index.SearchOptions.Exclude). When fewer than k rows qualify, all of them are
// returned. The callers have validated the matrices (finite values, whole rows) and k > 0.
func nearest(base []float32, dim int, queries []float32, k int, exclude func(q, i int) bool) ([][]index.Neighbor, error) {
	if len(queries) == 0 {
		return [][]index.Neighbor{}, nil
	}
	f, err := index.NewFlatShared(base, dim)
	if err != nil {
		return nil, err
	}
	return f.Search(queries, k, index.SearchOptions{Exclude: exclude})
}

// TopKSquaredL2 is the exact k-nearest-neighbour search of index.Flat over plain row-major matrices: for every
// query row, the k base rows nearest in squared L2 distance (index.SquaredL2), sorted by increasing distance,
// ties by the smaller base row. exclude, when not nil, is called as exclude(q, i) and drops base row i from
// query q's results; it must be safe for concurrent use. When fewer than k rows remain, all are returned;
// k <= 0 or an empty base gives empty lists.
//
// It panics if dim <= 0, if len(base) or len(queries) is not a multiple of dim, or if a value is NaN or
// infinite (validate data first; the protocol functions of this package return those as errors).
//
// Deprecated: build an index.Flat once (index.NewFlat) and call its Search, which returns data problems as
// errors.
func TopKSquaredL2(base []float32, dim int, queries []float32, k int, exclude func(q, i int) bool) [][]index.Neighbor {
	if dim <= 0 {
		panic(fmt.Sprintf("evaluation: TopKSquaredL2: dim must be positive, got %d", dim))
	}
	if len(base)%dim != 0 || len(queries)%dim != 0 {
		panic(fmt.Sprintf("evaluation: TopKSquaredL2: len(base)=%d and len(queries)=%d must be multiples of dim=%d",
			len(base), len(queries), dim))
	}
	out := make([][]index.Neighbor, len(queries)/dim)
	if len(out) == 0 {
		return out
	}
	if k <= 0 || len(base) == 0 {
		for i := range out {
			out[i] = []index.Neighbor{}
		}
		return out
	}
	res, err := nearest(base, dim, queries, k, exclude)
	if err != nil {
		panic("evaluation: TopKSquaredL2: " + err.Error())
	}
	return res
}
