package evaluation

import "math/bits"

// This file reproduces the order in which PyTorch's CPU kernels return TIED values, so that the
// order-sensitive torchmetrics metrics can be recomputed bit-for-bit in the presence of exactly equal scores
// (duplicate embeddings give exactly equal distances). PyTorch (2.x, CPU, float tensors):
//
//   - torch.topk (aten/src/ATen/native/TopKImpl.h, topk_impl_loop): pairs (value, position) are selected with
//     std::partial_sort when k*64 <= n, else with std::nth_element(begin, begin+k-1, end) followed (sorted=True)
//     by std::sort(begin, begin+k-1), all with the comparator "x.value > y.value";
//   - torch.argsort(descending=True), stable=False (aten/src/ATen/native/cpu/SortingKernel.cpp): std::sort of
//     (value, position) pairs with the same comparator.
//
// The functions below are transcriptions of the libstdc++ (GCC) algorithms behind those calls
// (__introsort_loop, __final_insertion_sort, __introselect, __heap_select, __adjust_heap, ...). They are only
// used to order ties: for distinct scores every algorithm yields the same descending order.

type scored struct {
	v   float64
	pos int
}

func descLess(a, b scored) bool { return a.v > b.v }

// floorLog2 is libstdc++'s std::__lg.
func floorLog2(n int) int { return bits.Len(uint(n)) - 1 }

// torchTopKOrder returns the positions torch.topk(values, k, largest=True, sorted=True) returns, in order.
func torchTopKOrder(values []float64, k int) []int {
	n := len(values)
	k = min(k, n)
	q := make([]scored, n)
	for j, v := range values {
		q[j] = scored{v, j}
	}
	if k > 0 {
		if k*64 <= n {
			stlPartialSort(q, 0, k, n)
		} else {
			stlNthElement(q, 0, k-1, n)
			stlSort(q, 0, k-1)
		}
	}
	out := make([]int, k)
	for j := range out {
		out[j] = q[j].pos
	}
	return out
}

// torchArgsortDesc returns torch.argsort(values, descending=True) (stable=False) on CPU.
func torchArgsortDesc(values []float64) []int {
	q := make([]scored, len(values))
	for j, v := range values {
		q[j] = scored{v, j}
	}
	stlSort(q, 0, len(q))
	out := make([]int, len(q))
	for j := range out {
		out[j] = q[j].pos
	}
	return out
}

const stlThreshold = 16 // libstdc++ _S_threshold

// stlSort is std::sort on a[first:last].
func stlSort(a []scored, first, last int) {
	if first == last {
		return
	}
	stlIntrosortLoop(a, first, last, 2*floorLog2(last-first))
	stlFinalInsertionSort(a, first, last)
}

func stlIntrosortLoop(a []scored, first, last, depth int) {
	for last-first > stlThreshold {
		if depth == 0 {
			stlPartialSort(a, first, last, last)
			return
		}
		depth--
		cut := stlUnguardedPartitionPivot(a, first, last)
		stlIntrosortLoop(a, cut, last, depth)
		last = cut
	}
}

func stlFinalInsertionSort(a []scored, first, last int) {
	if last-first > stlThreshold {
		stlInsertionSort(a, first, first+stlThreshold)
		for i := first + stlThreshold; i < last; i++ {
			stlUnguardedLinearInsert(a, i)
		}
	} else {
		stlInsertionSort(a, first, last)
	}
}

func stlInsertionSort(a []scored, first, last int) {
	if first == last {
		return
	}
	for i := first + 1; i < last; i++ {
		if descLess(a[i], a[first]) {
			v := a[i]
			copy(a[first+1:i+1], a[first:i])
			a[first] = v
		} else {
			stlUnguardedLinearInsert(a, i)
		}
	}
}

func stlUnguardedLinearInsert(a []scored, last int) {
	v := a[last]
	next := last - 1
	for descLess(v, a[next]) {
		a[last] = a[next]
		last = next
		next--
	}
	a[last] = v
}

func stlUnguardedPartitionPivot(a []scored, first, last int) int {
	mid := first + (last-first)/2
	stlMoveMedianToFirst(a, first, first+1, mid, last-1)
	return stlUnguardedPartition(a, first+1, last, first)
}

func stlMoveMedianToFirst(a []scored, result, x, y, z int) {
	switch {
	case descLess(a[x], a[y]):
		switch {
		case descLess(a[y], a[z]):
			a[result], a[y] = a[y], a[result]
		case descLess(a[x], a[z]):
			a[result], a[z] = a[z], a[result]
		default:
			a[result], a[x] = a[x], a[result]
		}
	case descLess(a[x], a[z]):
		a[result], a[x] = a[x], a[result]
	case descLess(a[y], a[z]):
		a[result], a[z] = a[z], a[result]
	default:
		a[result], a[y] = a[y], a[result]
	}
}

func stlUnguardedPartition(a []scored, first, last, pivot int) int {
	for {
		for descLess(a[first], a[pivot]) {
			first++
		}
		last--
		for descLess(a[pivot], a[last]) {
			last--
		}
		if !(first < last) {
			return first
		}
		a[first], a[last] = a[last], a[first]
		first++
	}
}

// stlNthElement is std::nth_element(first, nth, last).
func stlNthElement(a []scored, first, nth, last int) {
	if first == last || nth == last {
		return
	}
	stlIntroselect(a, first, nth, last, 2*floorLog2(last-first))
}

func stlIntroselect(a []scored, first, nth, last, depth int) {
	for last-first > 3 {
		if depth == 0 {
			stlHeapSelect(a, first, nth+1, last)
			a[first], a[nth] = a[nth], a[first]
			return
		}
		depth--
		cut := stlUnguardedPartitionPivot(a, first, last)
		if cut <= nth {
			first = cut
		} else {
			last = cut
		}
	}
	stlInsertionSort(a, first, last)
}

// stlPartialSort is std::partial_sort(first, middle, last).
func stlPartialSort(a []scored, first, middle, last int) {
	stlHeapSelect(a, first, middle, last)
	for middle-first > 1 { // __sort_heap
		middle--
		stlPopHeap(a, first, middle, middle)
	}
}

func stlHeapSelect(a []scored, first, middle, last int) {
	stlMakeHeap(a, first, middle)
	for i := middle; i < last; i++ {
		if descLess(a[i], a[first]) {
			stlPopHeap(a, first, middle, i)
		}
	}
}

func stlMakeHeap(a []scored, first, last int) {
	n := last - first
	if n < 2 {
		return
	}
	for parent := (n - 2) / 2; ; parent-- {
		stlAdjustHeap(a, first, parent, n, a[first+parent])
		if parent == 0 {
			return
		}
	}
}

func stlPopHeap(a []scored, first, last, result int) {
	v := a[result]
	a[result] = a[first]
	stlAdjustHeap(a, first, 0, last-first, v)
}

func stlAdjustHeap(a []scored, first, hole, n int, v scored) {
	top := hole
	second := hole
	for second < (n-1)/2 {
		second = 2 * (second + 1)
		if descLess(a[first+second], a[first+second-1]) {
			second--
		}
		a[first+hole] = a[first+second]
		hole = second
	}
	if n&1 == 0 && second == (n-2)/2 {
		second = 2 * (second + 1)
		a[first+hole] = a[first+second-1]
		hole = second - 1
	}
	// __push_heap
	parent := (hole - 1) / 2
	for hole > top && descLess(a[first+parent], v) {
		a[first+hole] = a[first+parent]
		hole = parent
		parent = (hole - 1) / 2
	}
	a[first+hole] = v
}
