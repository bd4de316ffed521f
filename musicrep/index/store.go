package index

import (
	"math"
	"math/bits"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// store holds vectors in the packed layout of the kernels (see blockWidth) with their squared norms.
type store struct {
	dim     int
	packed  []float32 // len(norms)*dim
	norms   []float32 // squared norms, rounded to float32; +Inf for padding
	maxNorm float64   // an upper bound of every stored vector's Euclidean norm
	// rows, when not nil, is the same vectors row-major (a caller's matrix, not copied; position = row), read by
	// exactDist: a packed vector's elements lie in dim different cache lines, a row's in dim/16.
	rows []float32
}

// newStore returns a store of positions slots (rounded up to whole groups), all padding.
func newStore(dim, positions int) *store {
	p := (positions + groupWidth - 1) / groupWidth * groupWidth
	s := &store{dim: dim, packed: make([]float32, p*dim), norms: make([]float32, p)}
	inf := float32(math.Inf(1))
	for i := range s.norms {
		s.norms[i] = inf
	}
	return s
}

// storeOf packs the rows of a row-major matrix, in parallel.
func storeOf(rows []float32, dim int) *store {
	n := len(rows) / dim
	s := newStore(dim, n)
	const chunk = 4096 // rows per item: a multiple of blockWidth, so goroutines write disjoint blocks
	workers := runtime.GOMAXPROCS(0)
	maxNorms := make([]float64, workers)
	parallel(workers, (n+chunk-1)/chunk, func(w, c int) {
		for i := c * chunk; i < min((c+1)*chunk, n); i++ {
			maxNorms[w] = max(maxNorms[w], s.put(i, rows[i*dim:(i+1)*dim]))
		}
	})
	s.maxNorm = slices.Max(maxNorms)
	return s
}

func (s *store) groups() int { return len(s.norms) / groupWidth }

// set writes vector v at position pos.
func (s *store) set(pos int, v []float32) {
	s.maxNorm = max(s.maxNorm, s.put(pos, v))
}

// put writes vector v at position pos and returns an upper bound of its norm; it does not update maxNorm.
func (s *store) put(pos int, v []float32) float64 {
	dim := s.dim
	base := pos / blockWidth * blockWidth * dim
	lane := pos % blockWidth
	var sq float64
	for d, x := range v[:dim] {
		s.packed[base+d*blockWidth+lane] = x
		sq += float64(x) * float64(x)
	}
	s.norms[pos] = float32(sq)
	// sqrt(sq) is within a few float64 ulps of the true norm; the factor makes it an upper bound.
	return math.Sqrt(sq) * (1 + 1e-12)
}

// vector copies the vector at position pos into dst (len dim) and returns it.
func (s *store) vector(pos int, dst []float32) []float32 {
	dim := s.dim
	base := pos / blockWidth * blockWidth * dim
	lane := pos % blockWidth
	dst = dst[:dim]
	for d := range dst {
		dst[d] = s.packed[base+d*blockWidth+lane]
	}
	return dst
}

// exactDist is the squared L2 distance between q and the vector at pos, the reference every search result is
// defined by (SquaredL2's summation, so results agree bit for bit with it).
func (s *store) exactDist(q []float32, pos int) float64 {
	if s.rows != nil {
		return SquaredL2(q, s.rows[pos*s.dim:(pos+1)*s.dim])
	}
	return exactDistKernel(q, s.packed[pos/blockWidth*blockWidth*s.dim+pos%blockWidth:], s.dim)
}

// exactDistKernel computes SquaredL2(q[:dim], x) for the packed vector x whose element d is col[d*blockWidth]:
// exactDistGo, or its SIMD version (bit-identical) where the CPU has one.
var exactDistKernel = exactDistGo

func exactDistGo(q []float32, col []float32, dim int) float64 {
	var acc [4]float64
	body := dim - dim%4
	for d, qv := range q[:body] {
		diff := float64(qv) - float64(col[d*blockWidth])
		acc[d%4] += float64(diff * diff) // the conversion forbids fusing into a multiply-add (Go spec)
	}
	for d := body; d < dim; d++ {
		diff := float64(q[d]) - float64(col[d*blockWidth])
		acc[0] += float64(diff * diff)
	}
	return (acc[0] + acc[1]) + (acc[2] + acc[3])
}

// scanner is one worker's scratch space for scanning a store.
type scanner struct {
	keys  [maxRows * groupWidth]float32 // one kernel call's keys
	masks [maxRows]uint32
	thr   [maxRows]float32
	rows  []float32  // maxRows*dim: query rows gathered for one kernel call
	dist  []Neighbor // finalize's re-ranked candidates
	heaps []candHeap // see ensureHeaps
	exact exactHeap  // finalize's fallback
	// indexOnly: the caller needs only the index of a single nearest neighbour (k-means assignment); finalize
	// then skips the exact distance when the float32 keys already decide (the Dist it returns is NaN).
	indexOnly bool
}

func newScanner(dim int) *scanner {
	return &scanner{rows: make([]float32, maxRows*dim)}
}

// ensureHeaps makes n heaps of the given capacity, reset.
func (sc *scanner) ensureHeaps(n, capacity int) []candHeap {
	if len(sc.heaps) < n {
		sc.heaps = append(sc.heaps, make([]candHeap, n-len(sc.heaps))...)
	}
	hs := sc.heaps[:n]
	for i := range hs {
		hs[i].reset(capacity)
	}
	return hs
}

// scanRows scans groups [g0, g1) of s for nr <= maxRows query rows (q holds them contiguously, nr*dim),
// offering every admitted vector to heaps hs[r]. ids maps positions to indices (nil: the position is the
// index); qidx[r] is the query number passed to exclude. nr must be 1, 2, 4 or 6.
func (sc *scanner) scanRows(s *store, q []float32, nr int, g0, g1 int, hs []*candHeap, ids []int32, qidx []int,
	exclude func(q, i int) bool) {
	var kern groupKernel
	switch nr {
	case 6:
		kern = kernels.k6
	case 4:
		kern = kernels.k4
	case 2:
		kern = kernels.k2
	case 1:
		kern = kernels.k1
	default:
		panic("index: scanRows: nr must be 1, 2, 4 or 6")
	}
	dim := s.dim
	for g := g0; g < g1; g++ {
		for r := 0; r < nr; r++ {
			sc.thr[r] = hs[r].threshold()
		}
		off := g * groupWidth
		kern(q, dim, s.packed[off*dim:(off+groupWidth)*dim], s.norms[off:off+groupWidth], sc.thr[:nr],
			sc.keys[:], sc.masks[:])
		for r := 0; r < nr; r++ {
			m := sc.masks[r]
			h := hs[r]
			for m != 0 {
				j := bits.TrailingZeros32(m)
				m &= m - 1
				pos := off + j
				id := pos
				if ids != nil {
					id = int(ids[pos])
				}
				c := newCand(sc.keys[r*groupWidth+j], int32(id), int32(pos))
				if !h.admits(c) {
					continue
				}
				if exclude != nil && exclude(qidx[r], id) {
					continue
				}
				h.push(c)
			}
		}
	}
}

// scanMany scans groups [g0, g1) for nrows query rows lying one after another in q, in kernel calls of 6, 4,
// 2 and 1 rows.
func (sc *scanner) scanMany(s *store, q []float32, nrows int, g0, g1 int, hs []*candHeap, ids []int32, qidx []int,
	exclude func(q, i int) bool) {
	dim := s.dim
	for i := 0; i < nrows; {
		nr := rowsPerCall(nrows - i)
		sc.scanRows(s, q[i*dim:(i+nr)*dim], nr, g0, g1, hs[i:i+nr], ids, qidx[i:i+nr], exclude)
		i += nr
	}
}

// rowsPerCall is the number of query rows of the next kernel call when rest rows remain.
func rowsPerCall(rest int) int {
	switch {
	case rest >= 6:
		return 6
	case rest >= 4:
		return 4
	case rest >= 2:
		return 2
	}
	return 1
}

// heapCapacity is the number of float32 candidates kept per query for k results. Only the candidates within
// the rank tolerance of the k-th are re-ranked in float64; the others only prove that nothing outside the heap
// can be among the k nearest (see finalize).
func heapCapacity(k int) int { return k + 3 + k/8 }

// sortCands sorts by (key, index) (a strict order: indices are distinct). Heapsort with the comparison inlined
// (one uint64 comparison): for the few dozen candidates of a query several times faster than slices.SortFunc,
// whose comparison is an indirect call. When cands is the scan's max-heap, building the heap is a no-op.
func sortCands(cands []cand) {
	n := len(cands)
	for i := n/2 - 1; i >= 0; i-- {
		siftCand(cands, i, n)
	}
	for end := n - 1; end > 0; end-- {
		cands[0], cands[end] = cands[end], cands[0]
		siftCand(cands, 0, end)
	}
}

// siftCand moves h[i] down the max-heap h[:n].
func siftCand(h []cand, i, n int) {
	x := h[i]
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if r := c + 1; r < n && candLess(h[c], h[r]) {
			c = r
		}
		if !candLess(x, h[c]) {
			break
		}
		h[i] = h[c]
		i = c
	}
	h[i] = x
}

// groupRange is a range [lo, hi) of groups of a store.
type groupRange struct{ lo, hi int }

// finalize turns one query's float32 candidates into its k exact nearest neighbours, appended to out.
//
// cands are the best candidates of the scan by (key, index), in any order; bound is a key that every
// non-excluded vector of the scope missing from cands reaches or exceeds (+Inf when cands hold all of them).
// Let a_k be the k-th smallest candidate key and tol = rankTolerance. A vector with key > a_k + tol is farther,
// in exact float64 distance, than each of the k best candidates, so it is not among the k nearest. Hence: when
// bound > a_k + tol, the answer is among the candidates with key <= a_k + tol (usually about k of them), whose
// distances are recomputed exactly in float64 and sorted by (distance, index). Otherwise (many near-ties at the
// k-th distance, e.g. duplicated vectors) the scope is scanned again for every vector with key <= a_k + tol,
// each re-ranked exactly: the result is the same exact answer, only slower. It reports whether it fell back.
func (sc *scanner) finalize(s *store, q []float32, qi int, cands []cand, bound float32, k int, scope []groupRange,
	ids []int32, exclude func(q, i int) bool, out []Neighbor) ([]Neighbor, bool) {
	if len(cands) == 0 || k <= 0 {
		return out, false
	}
	kk := min(k, len(cands))
	// Sorted by key, the candidates' exact distances below come nearly in order, which the insertion sort of
	// sortNeighbors finishes in about one comparison each.
	sortCands(cands)
	var qq float64
	for _, v := range q {
		qq += float64(v) * float64(v)
	}
	tol := rankTolerance(math.Sqrt(qq)*(1+1e-12), s.maxNorm, s.dim)
	lim := float64(cands[kk-1].key()) + tol
	if kk < k {
		lim = math.Inf(1) // fewer candidates than k: everything the scan dropped is needed
	}
	if math.IsInf(float64(bound), 1) || float64(bound) > lim {
		if sc.indexOnly && kk == 1 && (len(cands) == 1 || float64(cands[1].key()) > lim) {
			return append(out, Neighbor{Index: int(cands[0].id()), Dist: math.NaN()}), false
		}
		sc.dist = sc.dist[:0]
		for _, c := range cands {
			if float64(c.key()) > lim {
				break
			}
			sc.dist = append(sc.dist, Neighbor{Index: int(c.id()), Dist: s.exactDist(q, int(c.pos))})
		}
		sortNeighbors(sc.dist)
		return append(out, sc.dist[:kk]...), false
	}
	// Fallback: exact re-rank of every vector of the scope with key <= lim.
	thr := thresholdAbove(lim)
	sc.exact.h = sc.exact.h[:0]
	sc.exact.k = k
	dim := s.dim
	for _, gr := range scope {
		for g := gr.lo; g < gr.hi; g++ {
			off := g * groupWidth
			sc.thr[0] = thr
			kernels.k1(q, dim, s.packed[off*dim:(off+groupWidth)*dim], s.norms[off:off+groupWidth], sc.thr[:1],
				sc.keys[:], sc.masks[:])
			for m := sc.masks[0]; m != 0; m &= m - 1 {
				pos := off + bits.TrailingZeros32(m)
				id := pos
				if ids != nil {
					id = int(ids[pos])
				}
				if exclude != nil && exclude(qi, id) {
					continue
				}
				sc.exact.offer(Neighbor{Index: id, Dist: s.exactDist(q, pos)})
			}
		}
	}
	res := sc.exact.h
	sortNeighbors(res)
	return append(out, res...), true
}

// Work sizes of the exact search.
const (
	// maxQueryBlock is the most queries a worker takes at once: each block streams the whole base from memory
	// once, so larger blocks mean less memory traffic (and coarser load balancing).
	maxQueryBlock = 256
	// chunkBytes is the size of the slice of the base (in packed vectors) that a block's queries all scan before
	// moving on, so that it is read from the CPU cache rather than memory.
	chunkBytes = 128 << 10
	// minRangeGroups is the smallest slice of the base given to one worker when there are too few queries to
	// keep every worker busy and the base is split instead.
	minRangeGroups = 64
)

// queryBlock is the number of queries per work item of searchStore: at most about maxQueryBlock, a whole number
// of 6-row kernel calls, and a number of items that the workers share evenly (822 queries on 2 workers: 210, 210,
// 210 and 192 rather than 256, 256, 256 and 54, which left one worker 512 queries and the other 310).
func queryBlock(nq, workers int) int {
	items := (nq + maxQueryBlock - 1) / maxQueryBlock
	items = (items + workers - 1) / workers * workers
	qb := (nq + items - 1) / items
	return (qb + maxRows - 1) / maxRows * maxRows
}

// searchStore finds, for each of the nq rows of queries, the k nearest vectors of s (exact, see finalize),
// parallel over runtime.GOMAXPROCS(0) goroutines, and calls emit(q, neighbours) once per query from those
// goroutines (neighbours is reused after emit returns). fallbacks counts the queries that needed the fallback.
//
// With indexOnly (k = 1 only), the distances may be NaN: only the index is exact.
func searchStore(s *store, queries []float32, k int, exclude func(q, i int) bool, fallbacks *atomic.Int64,
	indexOnly bool, emit func(q int, ns []Neighbor)) {
	dim := s.dim
	nq := len(queries) / dim
	if nq == 0 {
		return
	}
	workers := runtime.GOMAXPROCS(0)
	qb := queryBlock(nq, workers)
	nBlocks := (nq + qb - 1) / qb
	ng := s.groups()
	nRanges := 1
	if nBlocks < workers {
		nRanges = min((2*workers+nBlocks-1)/nBlocks, max(1, ng/minRangeGroups))
	}
	chunk := max(1, chunkBytes/(groupWidth*dim*4))
	capacity := heapCapacity(k)
	whole := []groupRange{{0, ng}}

	type partial struct {
		cands []cand
		bound float32
	}
	var parts [][]partial // [query][range], only when nRanges > 1
	if nRanges > 1 {
		parts = make([][]partial, nq)
		for i := range parts {
			parts[i] = make([]partial, nRanges)
		}
	}
	bounds := func(r int) (int, int) { return r * ng / nRanges, (r + 1) * ng / nRanges }
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := newScanner(dim)
			sc.indexOnly = indexOnly && k == 1
			hp := make([]*candHeap, qb)
			qidx := make([]int, qb)
			var out []Neighbor
			for {
				item := int(next.Add(1) - 1)
				if item >= nBlocks*nRanges {
					return
				}
				b, r := item/nRanges, item%nRanges
				q0 := b * qb
				q1 := min(q0+qb, nq)
				m := q1 - q0
				hs := sc.ensureHeaps(m, capacity)
				for i := range m {
					hp[i] = &hs[i]
					qidx[i] = q0 + i
				}
				lo, hi := bounds(r)
				for c0 := lo; c0 < hi; c0 += chunk {
					sc.scanMany(s, queries[q0*dim:q1*dim], m, c0, min(c0+chunk, hi), hp[:m], nil,
						qidx[:m], exclude)
				}
				for i := range m {
					h := &hs[i]
					bound := float32(math.Inf(1))
					if h.full() {
						bound = h.h[0].key()
					}
					if nRanges > 1 {
						parts[q0+i][r] = partial{cands: slices.Clone(h.h), bound: bound}
						continue
					}
					var fell bool
					out, fell = sc.finalize(s, queries[(q0+i)*dim:(q0+i+1)*dim], q0+i, h.h, bound, k, whole, nil,
						exclude, out[:0])
					if fell {
						fallbacks.Add(1)
					}
					emit(q0+i, out)
				}
			}
		}()
	}
	wg.Wait()
	if nRanges == 1 {
		return
	}
	// Merge the ranges' candidates per query, then finalize.
	next.Store(0)
	for w := 0; w < min(workers, nq); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := newScanner(dim)
			sc.indexOnly = indexOnly && k == 1
			var out []Neighbor
			var all []cand
			for {
				qi := int(next.Add(1) - 1)
				if qi >= nq {
					return
				}
				all = all[:0]
				bound := float32(math.Inf(1))
				for _, p := range parts[qi] {
					all = append(all, p.cands...)
					bound = min(bound, p.bound)
				}
				if len(all) > capacity {
					slices.SortFunc(all, candCmp)
					bound = min(bound, all[capacity].key())
					all = all[:capacity]
				}
				var fell bool
				out, fell = sc.finalize(s, queries[qi*dim:(qi+1)*dim], qi, all, bound, k, whole, nil, exclude, out[:0])
				if fell {
					fallbacks.Add(1)
				}
				emit(qi, out)
			}
		}()
	}
	wg.Wait()
}
