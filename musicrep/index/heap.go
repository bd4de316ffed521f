package index

import (
	"cmp"
	"math"
	"slices"
)

// Neighbor is one search result: the row of the indexed matrix and its squared L2 distance to the query,
// computed exactly in float64 from the float32 vectors (SquaredL2).
type Neighbor struct {
	Index int
	Dist  float64
}

// cand is a candidate of the float32 scan: its key (squared distance minus the query's squared norm), its index
// in the indexed matrix and its position in the packed storage.
type cand struct {
	key float32
	id  int32
	pos int32
}

// candLess orders candidates by key, then index: the scan's notion of "better".
func candLess(a, b cand) bool {
	return a.key < b.key || (a.key == b.key && a.id < b.id)
}

func candCmp(a, b cand) int {
	if c := cmp.Compare(a.key, b.key); c != 0 {
		return c
	}
	return cmp.Compare(a.id, b.id)
}

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
	return c.h[0].key
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
			if !candLess(h[p], h[i]) {
				break
			}
			h[i], h[p] = h[p], h[i]
			i = p
		}
		c.h = h
		return
	}
	h[0] = x
	n, i := len(h), 0
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		w := l
		if r := l + 1; r < n && candLess(h[l], h[r]) {
			w = r
		}
		if !candLess(h[i], h[w]) {
			return
		}
		h[i], h[w] = h[w], h[i]
		i = w
	}
}

// better orders exact results by distance, then index.
func better(a, b Neighbor) int {
	if c := cmp.Compare(a.Dist, b.Dist); c != 0 {
		return c
	}
	return cmp.Compare(a.Index, b.Index)
}

// sortNeighbors sorts by (distance, index).
func sortNeighbors(ns []Neighbor) { slices.SortFunc(ns, better) }

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
