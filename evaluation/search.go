package evaluation

import (
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
)

// Neighbor is one search result: the row index into the base matrix and its squared L2 distance to the query.
type Neighbor struct {
	Index int
	Dist  float64
}

// better reports whether a ranks strictly before b: smaller distance first, then smaller base index.
func better(a, b Neighbor) bool {
	if a.Dist != b.Dist {
		return a.Dist < b.Dist
	}
	return a.Index < b.Index
}

// Tiling of the exact search. A worker takes queryBlock queries at a time and scans the base in chunks of
// baseChunk rows, so each chunk (baseChunk*dim*4 bytes) is reused from cache by every query of the block.
const (
	queryBlock = 8
	baseChunk  = 256
)

// TopKSquaredL2 returns, for every query row, the k base rows nearest to it in squared Euclidean distance,
// sorted by increasing distance with ties broken by the smaller base index. This is an exact (brute force)
// search: distances are sum_j (q_j - x_j)^2 with the differences and the accumulation in float64, computed
// from the float32 inputs (four partial sums per row, so the result equals the sequential float64 sum up to
// float64 rounding; identical base rows always get bit-identical distances, so duplicates tie exactly).
//
// base and queries are row-major with dim columns. exclude, when not nil, is called as exclude(q, i) for a
// query row q and a base row i that would otherwise enter q's current top k; excluded rows are never returned
// (use it to drop the query itself from its own results). exclude must be safe for concurrent use. When fewer
// than k rows remain, all of them are returned. k <= 0 gives empty lists. Queries are processed in parallel
// by runtime.GOMAXPROCS(0) goroutines, each keeping a bounded heap per query. Inputs containing NaN give an
// unspecified order; validate them first (the protocol functions of this package do).
//
// It panics if dim <= 0 or if len(base) or len(queries) is not a multiple of dim.
func TopKSquaredL2(base []float32, dim int, queries []float32, k int, exclude func(q, i int) bool) [][]Neighbor {
	if dim <= 0 {
		panic(fmt.Sprintf("evaluation: TopKSquaredL2: dim must be positive, got %d", dim))
	}
	if len(base)%dim != 0 || len(queries)%dim != 0 {
		panic(fmt.Sprintf("evaluation: TopKSquaredL2: len(base)=%d and len(queries)=%d must be multiples of dim=%d",
			len(base), len(queries), dim))
	}
	nb, nq := len(base)/dim, len(queries)/dim
	out := make([][]Neighbor, nq)
	if nq == 0 {
		return out
	}
	if k > nb {
		k = nb
	}
	if k <= 0 {
		for i := range out {
			out[i] = []Neighbor{}
		}
		return out
	}

	nBlocks := (nq + queryBlock - 1) / queryBlock
	workers := runtime.GOMAXPROCS(0)
	if workers > nBlocks {
		workers = nBlocks
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := newSearcher(dim, k)
			for {
				b := int(next.Add(1) - 1)
				if b >= nBlocks {
					return
				}
				q0 := b * queryBlock
				q1 := min(q0+queryBlock, nq)
				s.searchBlock(base, nb, queries, q0, q1, exclude, out)
			}
		}()
	}
	wg.Wait()
	return out
}

// searcher holds one worker's scratch space.
type searcher struct {
	dim, k int
	qf     [][]float64  // float64 copies of the block's queries
	heaps  [][]Neighbor // bounded max-heaps (worst on top), one per query of the block
}

func newSearcher(dim, k int) *searcher {
	s := &searcher{dim: dim, k: k, qf: make([][]float64, queryBlock), heaps: make([][]Neighbor, queryBlock)}
	for i := range s.qf {
		s.qf[i] = make([]float64, dim)
		s.heaps[i] = make([]Neighbor, 0, k)
	}
	return s
}

func (s *searcher) searchBlock(base []float32, nb int, queries []float32, q0, q1 int,
	exclude func(q, i int) bool, out [][]Neighbor) {
	dim, k := s.dim, s.k
	m := q1 - q0
	for j := 0; j < m; j++ {
		row := queries[(q0+j)*dim : (q0+j+1)*dim]
		qf := s.qf[j]
		for t, v := range row {
			qf[t] = float64(v)
		}
		s.heaps[j] = s.heaps[j][:0]
	}
	for c0 := 0; c0 < nb; c0 += baseChunk {
		c1 := min(c0+baseChunk, nb)
		for j := 0; j < m; j++ {
			qf := s.qf[j]
			h := s.heaps[j]
			q := q0 + j
			for i := c0; i < c1; i++ {
				full := len(h) == k
				var bound float64
				if full {
					bound = h[0].Dist
				}
				d, ok := sqDist(qf, base[i*dim:(i+1)*dim], full, bound)
				if !ok {
					continue
				}
				if full && (d > h[0].Dist || (d == h[0].Dist && i > h[0].Index)) {
					continue
				}
				if exclude != nil && exclude(q, i) {
					continue
				}
				n := Neighbor{Index: i, Dist: d}
				if !full {
					h = append(h, n)
					heapUp(h, len(h)-1)
				} else {
					h[0] = n
					heapDown(h, 0)
				}
			}
			s.heaps[j] = h
		}
	}
	for j := 0; j < m; j++ {
		res := make([]Neighbor, len(s.heaps[j]))
		copy(res, s.heaps[j])
		sort.Slice(res, func(a, b int) bool { return better(res[a], res[b]) })
		out[q0+j] = res
	}
}

// sqDist returns the squared L2 distance between q (float64) and x (float32). When prune is set it may stop
// early and return ok=false once a partial sum already exceeds bound (partial sums of non-negative terms
// never exceed the final sum, so this never drops a row that would enter the heap).
func sqDist(q []float64, x []float32, prune bool, bound float64) (float64, bool) {
	x = x[:len(q)]
	var s0, s1, s2, s3 float64
	// Blocks of 32 with a pruning check after each; the slicing pattern below lets the compiler drop the
	// bounds checks of the inner loop.
	for len(q) >= 32 && len(x) >= 32 {
		qb, xb := q[:32], x[:32]
		for len(qb) >= 4 && len(xb) >= 4 {
			d0 := qb[0] - float64(xb[0])
			d1 := qb[1] - float64(xb[1])
			d2 := qb[2] - float64(xb[2])
			d3 := qb[3] - float64(xb[3])
			s0 += d0 * d0
			s1 += d1 * d1
			s2 += d2 * d2
			s3 += d3 * d3
			qb, xb = qb[4:], xb[4:]
		}
		q, x = q[32:], x[32:]
		if prune && (s0+s1)+(s2+s3) > bound {
			return 0, false
		}
	}
	for len(q) >= 4 && len(x) >= 4 {
		d0 := q[0] - float64(x[0])
		d1 := q[1] - float64(x[1])
		d2 := q[2] - float64(x[2])
		d3 := q[3] - float64(x[3])
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
		q, x = q[4:], x[4:]
	}
	for i := range q {
		d := q[i] - float64(x[i])
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3), true
}

// worse reports whether a ranks after b (max-heap order: the worst neighbour sits at the root).
func worse(a, b Neighbor) bool { return better(b, a) }

func heapUp(h []Neighbor, i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !worse(h[i], h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func heapDown(h []Neighbor, i int) {
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		w := l
		if r := l + 1; r < n && worse(h[r], h[l]) {
			w = r
		}
		if !worse(h[w], h[i]) {
			return
		}
		h[i], h[w] = h[w], h[i]
		i = w
	}
}
