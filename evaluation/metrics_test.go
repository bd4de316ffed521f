package evaluation

import (
	"math"
	"math/rand"
	"sort"
	"testing"
)

// naiveRankMetrics is an independent, deliberately simple implementation of the torchmetrics 1.3.2
// semantics (stable tie order), written from the definitions rather than from RankMetrics' code.
func naiveRankMetrics(scores []float64, rel []bool, k int) Metrics {
	n := len(scores)
	// rank[i]: 0-based position of item i when sorting by descending score, ties by list position.
	rank := make([]int, n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if scores[j] > scores[i] || (scores[j] == scores[i] && j < i) {
				rank[i]++
			}
		}
	}
	R := 0
	for _, r := range rel {
		if r {
			R++
		}
	}
	if R == 0 {
		return Metrics{}
	}
	var m Metrics
	r := 0
	first := -1
	for i := 0; i < n; i++ {
		if rel[i] && rank[i] < k {
			r++
			if first < 0 || rank[i] < first {
				first = rank[i]
			}
		}
	}
	m.Precision = float64(r) / float64(k)
	m.Recall = float64(r) / float64(R)
	if r > 0 {
		m.HitRate = 1
		m.ReciprocalRank = 1 / float64(first+1)
		sum := 0.0
		for i := 0; i < n; i++ {
			if !rel[i] || rank[i] >= k {
				continue
			}
			above := 0 // relevant items ranked at or above item i
			for j := 0; j < n; j++ {
				if rel[j] && rank[j] <= rank[i] {
					above++
				}
			}
			sum += float64(above) / float64(rank[i]+1)
		}
		m.AveragePrecision = sum / float64(r)
	}
	disc := func(p int) float64 {
		if p >= k {
			return 0
		}
		return 1 / math.Log2(float64(p+2))
	}
	dcg := 0.0
	for i := 0; i < n; i++ {
		if !rel[i] {
			continue
		}
		greater, equal := 0, 0
		for j := 0; j < n; j++ {
			if scores[j] > scores[i] {
				greater++
			} else if scores[j] == scores[i] {
				equal++
			}
		}
		avg := 0.0
		for p := greater; p < greater+equal; p++ {
			avg += disc(p)
		}
		dcg += avg / float64(equal)
	}
	idcg := 0.0
	for p := 0; p < R; p++ {
		idcg += disc(p)
	}
	m.NDCG = dcg / idcg
	return m
}

func metricsClose(a, b Metrics, tol float64) bool {
	av, bv := a.values(), b.values()
	for i := range av {
		if math.Abs(av[i]-bv[i]) > tol {
			return false
		}
	}
	return true
}

func randomList(rng *rand.Rand) ([]float64, []bool) {
	n := rng.Intn(61)
	scores := make([]float64, n)
	rel := make([]bool, n)
	levels := 1 + rng.Intn(8) // few levels -> many ties
	pRel := []float64{0, 0.1, 0.3, 0.7, 1}[rng.Intn(5)]
	tied := rng.Intn(2) == 0
	for i := range scores {
		if tied {
			scores[i] = float64(rng.Intn(levels)) / 3
		} else {
			scores[i] = rng.NormFloat64()
		}
		rel[i] = rng.Float64() < pRel
	}
	return scores, rel
}

func TestRankMetricsMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	for trial := 0; trial < 20000; trial++ {
		scores, rel := randomList(rng)
		k := 1 + rng.Intn(len(scores)+10) // includes k > len
		got := RankMetrics(scores, rel, k)
		want := naiveRankMetrics(scores, rel, k)
		if !metricsClose(got, want, 1e-12) {
			t.Fatalf("trial %d k=%d scores=%v rel=%v:\n got  %+v\n want %+v", trial, k, scores, rel, got, want)
		}
	}
}

// torchmetrics docstring examples (torchmetrics 1.3.2 functional retrieval docs).
func TestRankMetricsTorchmetricsExamples(t *testing.T) {
	preds := []float64{0.2, 0.3, 0.5}
	if got := RankMetrics(preds, []bool{true, false, true}, 3).AveragePrecision; math.Abs(got-0.8333333333) > 1e-9 {
		t.Errorf("average_precision example: %v, want 0.8333", got)
	}
	m := RankMetrics(preds, []bool{true, false, true}, 2)
	if m.Precision != 0.5 || m.Recall != 0.5 || m.HitRate != 1 {
		t.Errorf("precision/recall/hit_rate@2 example: %+v, want 0.5/0.5/1", m)
	}
	if got := RankMetrics(preds, []bool{false, true, false}, 3).ReciprocalRank; got != 0.5 {
		t.Errorf("reciprocal_rank example: %v, want 0.5", got)
	}
}

// Hand-computed example with ties. Scores (position: score, relevant):
// 0: 0.9 F, 1: 0.5 T, 2: 0.5 F, 3: 0.5 T, 4: 0.1 T. Ranked (stable): 0 F, 1 T, 2 F, 3 T, 4 T; R = 3.
// k = 3: r = 1 (position 1 at rank 2). precision 1/3, recall 1/3, hit 1, AP = (1/2)/1 = 0.5, RR 0.5.
// nDCG@3: tie group {1,2,3} occupies ranks 2..4, mean gain 2/3, discounts within k: 1/log2(3) + 1/log2(4).
// DCG = 2/3 * (1/log2 3 + 1/2); IDCG = 1 + 1/log2 3 + 1/2.
func TestRankMetricsHandTies(t *testing.T) {
	scores := []float64{0.9, 0.5, 0.5, 0.5, 0.1}
	rel := []bool{false, true, false, true, true}
	m := RankMetrics(scores, rel, 3)
	l3 := 1 / math.Log2(3)
	want := Metrics{Precision: 1.0 / 3, Recall: 1.0 / 3, HitRate: 1, AveragePrecision: 0.5, ReciprocalRank: 0.5,
		NDCG: 2.0 / 3 * (l3 + 0.5) / (1 + l3 + 0.5)}
	if !metricsClose(m, want, 1e-15) {
		t.Errorf("got %+v\nwant %+v", m, want)
	}
	// k > n: precision divides by k.
	if got := RankMetrics(scores, rel, 10).Precision; got != 0.3 {
		t.Errorf("precision@10 of 5 items = %v, want 3/10", got)
	}
	// No relevant item: everything 0.
	if got := RankMetrics(scores, make([]bool, 5), 3); got != (Metrics{}) {
		t.Errorf("no relevant: %+v", got)
	}
	// Empty list.
	if got := RankMetrics(nil, nil, 3); got != (Metrics{}) {
		t.Errorf("empty: %+v", got)
	}
}

func TestRankMetricsPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"length": func() { RankMetrics([]float64{1}, []bool{true, false}, 1) },
		"k0":     func() { RankMetrics([]float64{1}, []bool{true}, 0) },
		"nan":    func() { RankMetrics([]float64{math.NaN()}, []bool{true}, 1) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

// Without ties the torch tie order cannot matter; with ties only the order-sensitive metrics may change, and
// ndcg never does. The torch orders must be valid descending orders.
func TestRankMetricsTorchTies(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	for trial := 0; trial < 5000; trial++ {
		scores, rel := randomList(rng)
		ks := []int{1 + rng.Intn(len(scores)+5), 1 + rng.Intn(len(scores)+5)}
		stable := RankMetricsWith(scores, rel, ks, TiesStable)
		torch := RankMetricsWith(scores, rel, ks, TiesTorchCPU)
		distinct := map[float64]bool{}
		for _, s := range scores {
			distinct[s] = true
		}
		for i := range ks {
			if len(distinct) == len(scores) && stable[i] != torch[i] {
				t.Fatalf("no ties but tie orders disagree: %+v vs %+v", stable[i], torch[i])
			}
			if math.Abs(stable[i].NDCG-torch[i].NDCG) > 1e-12 {
				t.Fatalf("ndcg depends on tie order: %v vs %v", stable[i].NDCG, torch[i].NDCG)
			}
		}
		sorted := append([]float64(nil), scores...)
		sort.Sort(sort.Reverse(sort.Float64Slice(sorted)))
		for _, k := range ks {
			checkOrder(t, scores, sorted, torchTopKOrder(scores, k), min(k, len(scores)))
		}
		checkOrder(t, scores, sorted, torchArgsortDesc(scores), len(scores))
	}
}

// checkOrder verifies that order lists distinct positions whose scores are the first want sorted scores.
func checkOrder(t *testing.T, scores, sortedDesc []float64, order []int, want int) {
	t.Helper()
	if len(order) != want {
		t.Fatalf("order has %d entries, want %d", len(order), want)
	}
	seen := map[int]bool{}
	for p, i := range order {
		if seen[i] || i < 0 || i >= len(scores) {
			t.Fatalf("bad position %d in %v", i, order)
		}
		seen[i] = true
		if scores[i] != sortedDesc[p] {
			t.Fatalf("rank %d has score %v, want %v (order %v, scores %v)", p, scores[i], sortedDesc[p], order, scores)
		}
	}
}

// Hand trace of libstdc++ on five equal values (derivation from the GCC sources; torch.topk(k=2) runs
// nth_element(begin, begin+1, end) then sort(begin, begin+1)): median-of-three moves position 2 to the
// front, the unguarded partition swaps positions (1,4) then (2,3), giving [2 4 3 0 1] with cut 3; the range
// [0,3) is insertion-sorted (no moves for equal values). So the top 2 are positions 2 and 4.
func TestTorchTopKOrderEqualValues(t *testing.T) {
	got := torchTopKOrder([]float64{1, 1, 1, 1, 1}, 2)
	if len(got) != 2 || got[0] != 2 || got[1] != 4 {
		t.Errorf("torchTopKOrder(ones(5), 2) = %v, want [2 4]", got)
	}
	// Insertion sort (fewer than 17 elements) is stable: argsort of small equal lists is the identity.
	if got := torchArgsortDesc([]float64{3, 3, 3, 3}); got[0] != 0 || got[1] != 1 || got[2] != 2 || got[3] != 3 {
		t.Errorf("torchArgsortDesc(4 equal) = %v, want identity", got)
	}
}

// The libstdc++ transcriptions must sort / select correctly on arbitrary data, including the heap-based
// fallbacks (partial_sort, and introselect with an exhausted depth limit).
func TestSTLTranscriptions(t *testing.T) {
	rng := rand.New(rand.NewSource(9))
	for trial := 0; trial < 3000; trial++ {
		n := rng.Intn(200)
		a := make([]scored, n)
		for i := range a {
			a[i] = scored{float64(rng.Intn(1 + rng.Intn(30))), i}
		}
		want := make([]float64, n)
		for i := range a {
			want[i] = a[i].v
		}
		sort.Sort(sort.Reverse(sort.Float64Slice(want)))

		b := append([]scored(nil), a...)
		stlSort(b, 0, n)
		for i := range b {
			if b[i].v != want[i] {
				t.Fatalf("stlSort wrong at %d", i)
			}
		}
		if n == 0 {
			continue
		}
		mid := rng.Intn(n + 1)
		b = append([]scored(nil), a...)
		stlPartialSort(b, 0, mid, n)
		for i := 0; i < mid; i++ {
			if b[i].v != want[i] {
				t.Fatalf("stlPartialSort wrong at %d", i)
			}
		}
		nth := rng.Intn(n)
		for _, depth := range []int{-1, 0, 1} {
			b = append([]scored(nil), a...)
			if depth < 0 {
				stlNthElement(b, 0, nth, n)
			} else {
				stlIntroselect(b, 0, nth, n, depth)
			}
			if b[nth].v != want[nth] {
				t.Fatalf("nth_element(depth %d): b[%d]=%v, want %v", depth, nth, b[nth].v, want[nth])
			}
			for i := 0; i < nth; i++ {
				if b[i].v < b[nth].v {
					t.Fatalf("nth_element(depth %d): prefix element below nth", depth)
				}
			}
			for i := nth + 1; i < n; i++ {
				if b[i].v > b[nth].v {
					t.Fatalf("nth_element(depth %d): suffix element above nth", depth)
				}
			}
		}
	}
}
