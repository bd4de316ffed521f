package index

import (
	"cmp"
	"math"
)

// Neighbor is one search result: the row of the indexed matrix and its squared L2 distance to the query,
// computed exactly in float64 from the float32 vectors (SquaredL2).
type Neighbor struct {
	Index int
	Dist  float64
}

// cand is a candidate of the float32 scan: its key (squared distance minus the query's squared norm), its index
// in the indexed matrix and its position in the packed storage. The key and index are packed into one integer
// whose order is the scan's order (key, then index), so that the heap compares one uint64: its sift loops then
// compile to conditional moves rather than unpredictable branches (measured: the heap was a third of a search
// of the 822 published embeddings).
type cand struct {
	ord uint64 // orderBits(key)<<32 | index
	pos int32
}

func newCand(key float32, id, pos int32) cand {
	return cand{ord: uint64(orderBits(key))<<32 | uint64(uint32(id)), pos: pos}
}

// key is the candidate's float32 key (−0 comes back as +0).
func (c cand) key() float32 { return fromOrderBits(uint32(c.ord >> 32)) }

// id is the candidate's index (non-negative).
func (c cand) id() int32 { return int32(uint32(c.ord)) }

// orderBits maps a float32 that is not NaN to a uint32 of the same order (−0 and +0 both to +0's).
func orderBits(f float32) uint32 {
	if f == 0 {
		f = 0
	}
	b := math.Float32bits(f)
	if b>>31 != 0 {
		return ^b
	}
	return b | 1<<31
}

func fromOrderBits(b uint32) float32 {
	if b>>31 != 0 {
		return math.Float32frombits(b &^ (1 << 31))
	}
	return math.Float32frombits(^b)
}

// candLess orders candidates by key, then index: the scan's notion of "better".
func candLess(a, b cand) bool { return a.ord < b.ord }

func candCmp(a, b cand) int { return cmp.Compare(a.ord, b.ord) }

// candHeap is a bounded max-heap of candidates (the worst on top) holding at most capacity entries.
type candHeap struct {
	h        []cand
	capacity int
}

func (c *candHeap) reset(capacity int) {
	c.h = c.h[:0]
	c.capacity = capacity
}

func (c *candHeap) full() bool { return len(c.h) == c.capacity }

// threshold is the largest key that can still enter the heap (ties are decided by index in offer).
func (c *candHeap) threshold() float32 {
	if len(c.h) < c.capacity {
		return math.MaxFloat32
	}
	return c.h[0].key()
}

// admits reports whether x would enter the heap.
func (c *candHeap) admits(x cand) bool {
	return len(c.h) < c.capacity || candLess(x, c.h[0])
}

// push adds x, which must be admitted.
func (c *candHeap) push(x cand) {
	h := c.h
	if len(h) < c.capacity {
		h = append(h, x)
		i := len(h) - 1
		for i > 0 {
			p := (i - 1) / 2
			if h[p].ord >= x.ord {
				break
			}
			h[i] = h[p]
			i = p
		}
		h[i] = x
		c.h = h
		return
	}
	h[0] = x
	siftCand(h, 0, len(h))
}

// better orders exact results by distance, then index.
func better(a, b Neighbor) int {
	if c := cmp.Compare(a.Dist, b.Dist); c != 0 {
		return c
	}
	return cmp.Compare(a.Index, b.Index)
}

// neighborLess orders exact results by distance, then index (distances are never NaN here).
func neighborLess(a, b Neighbor) bool {
	return a.Dist < b.Dist || (a.Dist == b.Dist && a.Index < b.Index)
}

// sortNeighbors sorts by (distance, index): insertion sort (the comparison inlined) when the input is nearly
// sorted — finalize's exact distances come in the order of their float32 keys — else heapsort.
func sortNeighbors(ns []Neighbor) {
	n := len(ns)
	moves := 0
	for i := 1; i < n; i++ {
		x := ns[i]
		j := i
		for ; j > 0 && neighborLess(x, ns[j-1]); j-- {
			ns[j] = ns[j-1]
		}
		ns[j] = x
		if moves += i - j; moves > 4*n {
			break // far from sorted: heapsort the rest below
		}
	}
	if moves <= 4*n {
		return
	}
	for i := n/2 - 1; i >= 0; i-- {
		siftNeighbor(ns, i, n)
	}
	for end := n - 1; end > 0; end-- {
		ns[0], ns[end] = ns[end], ns[0]
		siftNeighbor(ns, 0, end)
	}
}

func siftNeighbor(h []Neighbor, i, n int) {
	x := h[i]
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if r := c + 1; r < n && neighborLess(h[c], h[r]) {
			c = r
		}
		if !neighborLess(x, h[c]) {
			break
		}
		h[i] = h[c]
		i = c
	}
	h[i] = x
}

// exactHeap is a bounded max-heap of exact results (the worst on top), used by the fallback scan.
type exactHeap struct {
	h []Neighbor
	k int
}

func (e *exactHeap) offer(n Neighbor) {
	h := e.h
	if len(h) < e.k {
		h = append(h, n)
		i := len(h) - 1
		for i > 0 {
			p := (i - 1) / 2
			if better(h[p], h[i]) >= 0 {
				break
			}
			h[i], h[p] = h[p], h[i]
			i = p
		}
		e.h = h
		return
	}
	if better(n, h[0]) >= 0 {
		return
	}
	h[0] = n
	m, i := len(h), 0
	for {
		l := 2*i + 1
		if l >= m {
			return
		}
		w := l
		if r := l + 1; r < m && better(h[l], h[r]) < 0 {
			w = r
		}
		if better(h[i], h[w]) >= 0 {
			return
		}
		h[i], h[w] = h[w], h[i]
		i = w
	}
}
