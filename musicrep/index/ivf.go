package index

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
)

// IVF defaults, FAISS's for IndexIVFFlat (its ClusteringParameters: niter 10 for IVF training, at most 256
// training points per centroid).
const (
	DefaultIterations    = 10
	DefaultPointsPerList = 256
)

// DefaultNList is the number of inverted lists for n vectors when the user gives none: FAISS's rule of thumb,
// about 4*sqrt(n), rounded to a power of two and capped at n (4,096 lists for a million vectors).
func DefaultNList(n int) int {
	target := 4 * math.Sqrt(float64(n))
	p := 1
	for p*2 <= n && float64(p*2) <= target*1.41 {
		p *= 2
	}
	return min(p, n)
}

// Recall is the fraction of the true neighbours a search found: the sum over queries of |got ∩ truth| over
// the sum of |truth| (1 when truth is empty). Only indices count, not order or distances. got and truth hold
// one list per query.
func Recall(got, truth [][]Neighbor) float64 {
	hit, total := 0, 0
	for q := range truth {
		in := make(map[int]bool, len(truth[q]))
		for _, n := range truth[q] {
			in[n.Index] = true
		}
		for _, n := range got[q] {
			if in[n.Index] {
				hit++
			}
		}
		total += len(truth[q])
	}
	if total == 0 {
		return 1
	}
	return float64(hit) / float64(total)
}

// IVFOptions configure NewIVF.
type IVFOptions struct {
	// NList is the number of inverted lists (k-means centroids), 1 <= NList <= number of vectors. FAISS's
	// guideline is about 4*sqrt(n) to 16*sqrt(n); DefaultNList(n) gives the low end.
	NList int
	// Seed makes the training deterministic: the same vectors, options and seed give the same index.
	Seed uint64
	// Iterations of Lloyd's algorithm (0: DefaultIterations).
	Iterations int
	// PointsPerList bounds the training sample to PointsPerList*NList vectors drawn at random (0:
	// DefaultPointsPerList).
	PointsPerList int
}

// IVF is an inverted-file index (IVF-Flat): every vector is stored, uncompressed, in the list of its nearest
// k-means centroid; a search scans the NProbe lists whose centroids are nearest to the query, exactly.
type IVF struct {
	dim, n, nlist int
	opt           IVFOptions // with defaults filled in
	trainPoints   int        // size of the k-means sample
	centroids     *store     // nlist centroids
	lists         *store     // every list's vectors, each list starting at a group boundary
	listStart     []int      // first group of list l
	listLen       []int      // number of vectors in list l
	ids           []int32    // index of the vector at each position of lists (-1 for padding)
	fallbacks     atomic.Int64
}

func (x *IVF) Kind() Kind { return KindIVF }
func (x *IVF) Dim() int   { return x.dim }
func (x *IVF) Len() int   { return x.n }

// NList is the number of inverted lists.
func (x *IVF) NList() int { return x.nlist }

// Options returns the build options (defaults filled in).
func (x *IVF) Options() IVFOptions { return x.opt }

// TrainingSample is the number of vectors k-means was trained on.
func (x *IVF) TrainingSample() int { return x.trainPoints }

// ListSizes returns the number of vectors in each list.
func (x *IVF) ListSizes() []int { return append([]int(nil), x.listLen...) }

// Centroids returns a copy of the centroids, a row-major NList x Dim matrix.
func (x *IVF) Centroids() []float32 {
	out := make([]float32, x.nlist*x.dim)
	for l := 0; l < x.nlist; l++ {
		x.centroids.vector(l, out[l*x.dim:(l+1)*x.dim])
	}
	return out
}

func (o IVFOptions) withDefaults() IVFOptions {
	if o.Iterations == 0 {
		o.Iterations = DefaultIterations
	}
	if o.PointsPerList == 0 {
		o.PointsPerList = DefaultPointsPerList
	}
	return o
}

// NewIVF trains the coarse quantizer on the rows of vectors (row-major, dim columns) and fills the lists.
//
// Training is k-means as FAISS does it: a sample of at most PointsPerList*NList vectors drawn with the seed,
// NList distinct sample vectors as initial centroids, Iterations rounds of Lloyd's algorithm (each vector to its
// exactly nearest centroid, ties to the smaller index; centroids to the float64 mean of their vectors), and an
// empty cluster takes half of a large one (FAISS's split: copy its centroid and move both by a relative 1/1024
// in opposite directions). Then every vector goes to the list of its nearest centroid. Assignment runs in
// parallel; the result does not depend on the number of goroutines or on the kernels.
func NewIVF(vectors []float32, dim int, opt IVFOptions) (*IVF, error) {
	n, err := checkMatrix("vectors", vectors, dim)
	if err != nil {
		return nil, err
	}
	opt = opt.withDefaults()
	switch {
	case opt.NList < 1:
		return nil, fmt.Errorf("index: IVF: NList must be at least 1, got %d (DefaultNList gives %d for %d vectors)",
			opt.NList, DefaultNList(n), n)
	case opt.NList > n:
		return nil, fmt.Errorf("index: IVF: NList %d is more than the %d vectors (use at most %d lists; "+
			"DefaultNList gives %d)", opt.NList, n, n, DefaultNList(n))
	case opt.Iterations < 0:
		return nil, fmt.Errorf("index: IVF: Iterations must be positive, got %d", opt.Iterations)
	case opt.PointsPerList < 1:
		return nil, fmt.Errorf("index: IVF: PointsPerList must be positive, got %d", opt.PointsPerList)
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x6d75736963726570)) // "musicrep"
	sample := vectors
	ns := n
	if limit := opt.PointsPerList * opt.NList; n > limit {
		ns = limit
		perm := partialPerm(rng, n, ns)
		sample = make([]float32, ns*dim)
		for i, p := range perm {
			copy(sample[i*dim:(i+1)*dim], vectors[int(p)*dim:(int(p)+1)*dim])
		}
	}
	centroids := make([]float32, opt.NList*dim)
	for i, p := range partialPerm(rng, ns, opt.NList) {
		copy(centroids[i*dim:(i+1)*dim], sample[int(p)*dim:(int(p)+1)*dim])
	}
	assign := make([]int32, ns)
	sums := make([]float64, opt.NList*dim)
	counts := make([]int, opt.NList)
	var fb atomic.Int64
	for it := 0; it < opt.Iterations; it++ {
		nearest(storeOf(centroids, dim), sample, assign, &fb)
		clear(sums)
		clear(counts)
		for i, c := range assign {
			counts[c]++
			row := sample[i*dim : (i+1)*dim]
			acc := sums[int(c)*dim : (int(c)+1)*dim]
			for d, v := range row {
				acc[d] += float64(v)
			}
		}
		for c := range counts {
			if counts[c] == 0 {
				continue
			}
			for d := 0; d < dim; d++ {
				centroids[c*dim+d] = float32(sums[c*dim+d] / float64(counts[c]))
			}
		}
		splitEmpty(rng, centroids, counts, dim, ns)
	}

	x := &IVF{dim: dim, n: n, nlist: opt.NList, opt: opt, trainPoints: ns, centroids: storeOf(centroids, dim)}
	all := make([]int32, n)
	nearest(x.centroids, vectors, all, &fb)
	x.fill(all, func(i int) []float32 { return vectors[i*dim : (i+1)*dim] })
	return x, nil
}

// fill lays out the lists from each vector's list (vectors in increasing index within a list).
func (x *IVF) fill(list []int32, vec func(i int) []float32) {
	lens := make([]int, x.nlist)
	for _, l := range list {
		lens[l]++
	}
	x.layout(lens)
	next := make([]int, x.nlist)
	for l := range next {
		next[l] = x.listStart[l] * groupWidth
	}
	for i, l := range list {
		p := next[l]
		next[l]++
		x.lists.set(p, vec(i))
		x.ids[p] = int32(i)
	}
}

// layout allocates the lists' storage for lists of the given lengths, each starting at a group boundary.
func (x *IVF) layout(lens []int) {
	x.listLen = lens
	x.listStart = make([]int, x.nlist+1)
	g := 0
	for l, c := range lens {
		x.listStart[l] = g
		g += (c + groupWidth - 1) / groupWidth
	}
	x.listStart[x.nlist] = g
	x.lists = newStore(x.dim, g*groupWidth)
	x.ids = make([]int32, g*groupWidth)
	for i := range x.ids {
		x.ids[i] = -1
	}
}

// listGroups is the group range of list l.
func (x *IVF) listGroups(l int) groupRange { return groupRange{x.listStart[l], x.listStart[l+1]} }

// partialPerm returns m distinct values of [0, n) drawn uniformly (the first m of a Fisher-Yates shuffle).
func partialPerm(rng *rand.Rand, n, m int) []int32 {
	perm := make([]int32, n)
	for i := range perm {
		perm[i] = int32(i)
	}
	for i := 0; i < m; i++ {
		j := i + rng.IntN(n-i)
		perm[i], perm[j] = perm[j], perm[i]
	}
	return perm[:m]
}

// splitEmpty gives each empty cluster half of a cluster drawn with probability proportional to its size - 1,
// as FAISS's k-means does.
func splitEmpty(rng *rand.Rand, centroids []float32, counts []int, dim, n int) {
	const eps = 1.0 / 1024
	k := len(counts)
	if n <= k {
		return
	}
	for ci := 0; ci < k; ci++ {
		if counts[ci] != 0 {
			continue
		}
		cj := 0
		for ; ; cj = (cj + 1) % k {
			p := float64(counts[cj]-1) / float64(n-k)
			if rng.Float64() < p {
				break
			}
		}
		copy(centroids[ci*dim:(ci+1)*dim], centroids[cj*dim:(cj+1)*dim])
		for d := 0; d < dim; d++ {
			if d%2 == 0 {
				centroids[ci*dim+d] *= 1 + eps
				centroids[cj*dim+d] *= 1 - eps
			} else {
				centroids[ci*dim+d] *= 1 - eps
				centroids[cj*dim+d] *= 1 + eps
			}
		}
		counts[ci] = counts[cj] / 2
		counts[cj] -= counts[ci]
	}
}

// nearest sets out[i] to the index of the centroid nearest to row i of rows (exact, ties to the smaller index).
func nearest(c *store, rows []float32, out []int32, fallbacks *atomic.Int64) {
	searchStore(c, rows, 1, nil, fallbacks, true, func(q int, ns []Neighbor) { out[q] = int32(ns[0].Index) })
}

// Search returns the k nearest neighbours of each query row among the vectors of its opt.NProbe nearest lists
// (see Index.Search). Within the scanned lists the result is exact, as Flat's: with NProbe = NList it equals
// Flat's result.
func (x *IVF) Search(queries []float32, k int, opt SearchOptions) ([][]Neighbor, error) {
	nq, err := checkSearch(queries, x.dim, k)
	if err != nil {
		return nil, err
	}
	nprobe := opt.NProbe
	if nprobe == 0 {
		nprobe = DefaultNProbe
	}
	if nprobe < 0 {
		return nil, fmt.Errorf("index: IVF: nprobe must be positive, got %d", nprobe)
	}
	nprobe = min(nprobe, x.nlist)
	out := make([][]Neighbor, nq)
	x.search(queries, nq, k, nprobe, opt.Exclude, func(q int, ns []Neighbor) {
		out[q] = append(make([]Neighbor, 0, len(ns)), ns...)
	})
	return out, nil
}

// ivfQueryBlock is the most queries searched together. Within a block the (query, list) pairs are grouped by
// list and the lists are shared out among the goroutines, so each probed list is read from memory once per
// block and scanned for all the block's queries that probe it, 4 at a time: with many queries per list this is
// what makes a large NProbe cheap (memory traffic, not arithmetic, bounds an IVF scan).
var ivfQueryBlock = 16384 // a variable for the tests

// parallel runs f(worker, item) for items [0, n) on up to workers goroutines, handing out items in order.
func parallel(workers, n int, f func(w, item int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < min(workers, n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				f(w, i)
			}
		}()
	}
	wg.Wait()
}

func (x *IVF) search(queries []float32, nq, k, nprobe int, exclude func(q, i int) bool, emit func(q int, ns []Neighbor)) {
	dim := x.dim
	workers := runtime.GOMAXPROCS(0)
	capacity := heapCapacity(k)
	// Heaps of 16-byte candidates: at most ~32 MB per goroutine.
	qb := min(nq, ivfQueryBlock, max(256, (32<<20)/(16*capacity)))
	scanners := make([]*scanner, workers)
	heaps := make([][]candHeap, workers) // per worker, one heap per query of the block
	for w := range scanners {
		scanners[w] = newScanner(dim)
		heaps[w] = make([]candHeap, qb)
		backing := make([]cand, qb*capacity)
		for i := range heaps[w] {
			heaps[w][i].h = backing[i*capacity : i*capacity : (i+1)*capacity]
		}
	}
	probes := make([]int32, qb*nprobe)
	byList := make([]int32, qb*nprobe) // query numbers (in the block) grouped by list
	listEnd := make([]int, x.nlist+1)  // list l's queries are byList[listEnd[l-1]:listEnd[l]] (listEnd[-1] = 0)
	const probeChunk = 64
	for q0 := 0; q0 < nq; q0 += qb {
		q1 := min(q0+qb, nq)
		m := q1 - q0
		block := queries[q0*dim : q1*dim]
		// 1. Coarse quantizer: the nprobe nearest centroids of each query (exact).
		parallel(workers, (m+probeChunk-1)/probeChunk, func(w, c int) {
			a, b := c*probeChunk, min((c+1)*probeChunk, m)
			x.probe(scanners[w], block[a*dim:b*dim], b-a, nprobe, probes[a*nprobe:b*nprobe])
		})
		// 2. Group the (query, list) pairs by list (counting sort, queries in increasing order within a list).
		clear(listEnd)
		for _, l := range probes[:m*nprobe] {
			listEnd[l+1]++
		}
		for l := 1; l <= x.nlist; l++ {
			listEnd[l] += listEnd[l-1]
		}
		for i, l := range probes[:m*nprobe] {
			byList[listEnd[l]] = int32(i / nprobe)
			listEnd[l]++
		}
		// 3. Scan: the lists are shared out; each goroutine keeps its own heap per query.
		for w := range heaps {
			for i := range heaps[w][:m] {
				heaps[w][i].reset(capacity)
			}
		}
		listChunk := max(1, x.nlist/(16*workers))
		parallel(workers, (x.nlist+listChunk-1)/listChunk, func(w, c int) {
			sc := scanners[w]
			hs := heaps[w]
			var hp [maxRows]*candHeap
			var qidx [maxRows]int
			for l := c * listChunk; l < min((c+1)*listChunk, x.nlist); l++ {
				start := 0
				if l > 0 {
					start = listEnd[l-1]
				}
				qs := byList[start:listEnd[l]]
				if len(qs) == 0 || x.listLen[l] == 0 {
					continue
				}
				gr := x.listGroups(l)
				for i := 0; i < len(qs); {
					nr := rowsPerCall(len(qs) - i)
					rows := sc.rows[:nr*dim]
					for r := 0; r < nr; r++ {
						qi := int(qs[i+r])
						copy(rows[r*dim:(r+1)*dim], block[qi*dim:(qi+1)*dim])
						hp[r] = &hs[qi]
						qidx[r] = q0 + qi
					}
					sc.scanRows(x.lists, rows, nr, gr.lo, gr.hi, hp[:nr], x.ids, qidx[:nr], exclude)
					i += nr
				}
			}
		})
		// 4. Per query: merge the goroutines' candidates and re-rank exactly (see finalize).
		const finalChunk = 64
		parallel(workers, (m+finalChunk-1)/finalChunk, func(w, c int) {
			sc := scanners[w]
			var all []cand
			var out []Neighbor
			scope := make([]groupRange, nprobe)
			for i := c * finalChunk; i < min((c+1)*finalChunk, m); i++ {
				all = all[:0]
				bound := float32(math.Inf(1))
				for v := range heaps {
					h := &heaps[v][i]
					all = append(all, h.h...)
					if h.full() {
						bound = min(bound, h.h[0].key())
					}
				}
				if len(all) > capacity {
					sortCands(all)
					bound = min(bound, all[capacity].key())
					all = all[:capacity]
				}
				for j, l := range probes[i*nprobe : (i+1)*nprobe] {
					scope[j] = x.listGroups(int(l))
				}
				var fell bool
				out, fell = sc.finalize(x.lists, block[i*dim:(i+1)*dim], q0+i, all, bound, k, scope, x.ids, exclude,
					out[:0])
				if fell {
					x.fallbacks.Add(1)
				}
				emit(q0+i, out)
			}
		})
	}
}

// probe writes the nprobe nearest lists of each of the m rows of block to probes[i*nprobe:].
func (x *IVF) probe(sc *scanner, block []float32, m, nprobe int, probes []int32) {
	dim := x.dim
	c := x.centroids
	hs := sc.ensureHeaps(m, heapCapacity(nprobe))
	hp := make([]*candHeap, m)
	qidx := make([]int, m)
	for i := range hs {
		hp[i] = &hs[i]
		qidx[i] = i
	}
	chunk := max(1, chunkBytes/(groupWidth*dim*4))
	for g0 := 0; g0 < c.groups(); g0 += chunk {
		sc.scanMany(c, block, m, g0, min(g0+chunk, c.groups()), hp, nil, qidx, nil)
	}
	whole := []groupRange{{0, c.groups()}}
	var out []Neighbor
	for i := 0; i < m; i++ {
		h := &hs[i]
		bound := float32(math.Inf(1))
		if h.full() {
			bound = h.h[0].key()
		}
		out, _ = sc.finalize(c, block[i*dim:(i+1)*dim], i, h.h, bound, nprobe, whole, nil, nil, out[:0])
		for j, nb := range out {
			probes[i*nprobe+j] = int32(nb.Index)
		}
	}
}
