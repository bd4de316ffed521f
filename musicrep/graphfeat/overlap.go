package graphfeat

import (
	"fmt"
	"math/rand/v2"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/index"
)

// NeighbourOverlap compares two embeddings of the same n rows (a: n×dimA, b: n×dimB, row-major): the
// mean over rows i of |kNN_a(i) ∩ kNN_b(i)|/k, where kNN_x(i) are the k rows nearest to row i in squared
// L2 distance in x (exact search with index.Flat, ties by smaller index, row i itself
// excluded). 1 means identical neighbourhoods; two unrelated embeddings score about k/(n−1). k is capped
// at n−1. It panics if a dimension is not positive, if a length is not a multiple of its dimension, if the
// row counts differ or if k <= 0 or n < 2.
func NeighbourOverlap(a []float32, dimA int, b []float32, dimB int, k int) float64 {
	if dimA <= 0 || dimB <= 0 || len(a)%dimA != 0 || len(b)%dimB != 0 {
		panic(fmt.Sprintf("graphfeat: NeighbourOverlap: bad shapes: len(a)=%d dimA=%d len(b)=%d dimB=%d",
			len(a), dimA, len(b), dimB))
	}
	n := len(a) / dimA
	if len(b)/dimB != n {
		panic(fmt.Sprintf("graphfeat: NeighbourOverlap: a has %d rows but b has %d", n, len(b)/dimB))
	}
	if k <= 0 || n < 2 {
		panic(fmt.Sprintf("graphfeat: NeighbourOverlap: need k > 0 and at least 2 rows, got k=%d n=%d", k, n))
	}
	k = min(k, n-1)
	self := func(q, i int) bool { return q == i }
	na, nb := selfNeighbours(a, dimA, k, self), selfNeighbours(b, dimB, k, self)
	var sum float64
	set := map[int]bool{}
	for i := 0; i < n; i++ {
		clear(set)
		for _, x := range na[i] {
			set[x.Index] = true
		}
		common := 0
		for _, x := range nb[i] {
			if set[x.Index] {
				common++
			}
		}
		sum += float64(common) / float64(k)
	}
	return sum / float64(n)
}

// RandomVectors returns n×dim standard Gaussian vectors (seeded PCG): a baseline for NeighbourOverlap.
func RandomVectors(n, dim int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, ^seed))
	out := make([]float32, n*dim)
	for i := range out {
		out[i] = float32(rng.NormFloat64())
	}
	return out
}

// Methods are the names Features accepts.
var Methods = []string{"randne", "deepwalk"}

// Features builds the graph of tracks and embeds it with method "randne" (RandNE with karateclub's
// defaults) or "deepwalk" (DeepWalk with the defaults of DeepWalkOptions), both seeded with seed. The result
// has Modality musicrep.Graph, Source "graphfeat:<method>", Dim dim and every row Present, row-aligned with
// tracks.
func Features(tracks []musicrep.Track, method string, dim int, seed uint64) (*musicrep.Features, error) {
	return FeaturesFiltered(tracks, method, dim, seed, EdgeFilter{})
}

// FeaturesFiltered is Features on the graph that BuildFiltered builds with the given edge filter; the
// filter is described in the result's Source ("graphfeat:<method> [<filter>]") unless it keeps every edge.
func FeaturesFiltered(tracks []musicrep.Track, method string, dim int, seed uint64, filter EdgeFilter) (*musicrep.Features, error) {
	if len(tracks) == 0 {
		return nil, fmt.Errorf("graphfeat: no tracks to embed")
	}
	if dim <= 0 {
		return nil, fmt.Errorf("graphfeat: dim must be positive, got %d", dim)
	}
	g := BuildFiltered(tracks, filter)
	var data []float32
	switch method {
	case "randne":
		if dim > g.NumNodes() {
			return nil, fmt.Errorf("graphfeat: randne needs dim <= the number of graph nodes (%d), got %d",
				g.NumNodes(), dim)
		}
		data = RandNE(g, dim, RandNEOptions{Seed: seed})
	case "deepwalk":
		data = DeepWalk(g, dim, DeepWalkOptions{Seed: seed})
	default:
		return nil, fmt.Errorf("graphfeat: unknown method %q: use one of %v", method, Methods)
	}
	present := make([]bool, len(tracks))
	for i := range present {
		present[i] = true
	}
	source := "graphfeat:" + method
	if filter.NoGenres || filter.GenreTracks != nil || filter.Hidden != nil {
		source += " [" + filter.String() + "]"
	}
	leak := ""
	if !filter.NoGenres && filter.GenreTracks == nil {
		leak = "genre: the graph links every track to its genres"
	}
	return &musicrep.Features{
		Leak:     leak,
		Modality: musicrep.Graph,
		Source:   source,
		Dim:      dim,
		Data:     data,
		Present:  present,
	}, nil
}

// selfNeighbours is the k nearest rows of every row of x (index.Flat); it panics on invalid values, as the
// function's documentation says.
func selfNeighbours(x []float32, dim, k int, exclude func(q, i int) bool) [][]index.Neighbor {
	f, err := index.NewFlat(x, dim)
	if err == nil {
		var res [][]index.Neighbor
		if res, err = f.Search(x, k, index.SearchOptions{Exclude: exclude}); err == nil {
			return res
		}
	}
	panic("graphfeat: NeighbourOverlap: " + err.Error())
}
