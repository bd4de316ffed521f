package evaluation

import (
	"fmt"
	"math"
	"sort"
)

// Metrics holds the six ranked-list metrics of one query at one cut-off k, with the semantics of
// torchmetrics 1.3.2's functional retrieval metrics (see RankMetrics).
type Metrics struct {
	Precision        float64 // retrieval_precision(top_k=k), adaptive_k=False
	Recall           float64 // retrieval_recall(top_k=k)
	HitRate          float64 // retrieval_hit_rate(top_k=k)
	AveragePrecision float64 // retrieval_average_precision(top_k=k)
	ReciprocalRank   float64 // retrieval_reciprocal_rank(top_k=k)
	NDCG             float64 // retrieval_normalized_dcg(top_k=k)
}

// MetricNames lists the metric key prefixes used in reports, in table order. A report key is
// prefix + "@" + k, e.g. "precision@10".
var MetricNames = []string{"precision", "recall", "hit_rate", "average_precision", "reciprocal_rank", "ndcg"}

// values returns the metrics in MetricNames order.
func (m Metrics) values() [6]float64 {
	return [6]float64{m.Precision, m.Recall, m.HitRate, m.AveragePrecision, m.ReciprocalRank, m.NDCG}
}

// TieOrder chooses how items with exactly equal scores are ordered by the order-sensitive metrics
// (precision, recall, hit_rate, average_precision, reciprocal_rank). ndcg never depends on it: it averages
// over ties.
type TieOrder int

const (
	// TiesStable orders equal scores by their position in the given list (a stable sort). For a
	// distance-sorted candidate list this is the search order: smaller base index first.
	TiesStable TieOrder = iota
	// TiesTorchCPU orders equal scores exactly as torchmetrics does on CPU: precision, average_precision and
	// reciprocal_rank use torch.topk(top_k) and recall, hit_rate use torch.argsort(descending=True), whose tie
	// orders come from libstdc++'s nth_element/sort/partial_sort (see torchorder.go); the order may differ
	// between cut-offs, as it does in torchmetrics.
	TiesTorchCPU
)

// RankMetrics computes the metrics of one query with the semantics of torchmetrics 1.3.2's functional
// retrieval metrics called as metric(preds=scores, target=relevant, top_k=k). The list given is the whole
// candidate list torchmetrics sees (for the paper protocol, the 50 retrieved items), scores are "higher is
// better". Let n = len(scores), R = #relevant in the whole list, and r = #relevant among the top min(k, n)
// items:
//
//   - precision = r / k (k, not min(k, n): torchmetrics' default adaptive_k=False); 0 when R = 0.
//   - recall = r / R (relevant among the candidates, not among all positives of the query); 0 when R = 0.
//   - hit_rate = 1 if r > 0 else 0.
//   - average_precision = mean over the relevant items inside the top k of (their index among the relevant
//     items, 1-based) / (their rank); it is normalised by r, the relevant items within the top k, not by R;
//     0 when r = 0.
//   - reciprocal_rank = 1 / rank of the first relevant item within the top k, else 0.
//   - ndcg = DCG@k / IDCG@k with binary gains and discount 1/log2(rank+1). DCG averages the gains over groups
//     of tied scores (sklearn's _tie_average_dcg as translated by torchmetrics' _dcg_sample_scores with
//     ignore_ties=False): each group of equal scores contributes (mean gain of the group) x (sum of the
//     discounts of the ranks it occupies, discounts beyond k being 0). IDCG sorts the candidates' own targets
//     (sum of the first min(k, R) discounts). 0 when R = 0.
//
// Ties between equal scores are ordered by position in the list (TiesStable); RankMetricsWith can instead
// reproduce torch's CPU tie order. Scores must not be NaN.
// RankMetrics panics if len(scores) != len(relevant), if k <= 0 or if a score is NaN.
func RankMetrics(scores []float64, relevant []bool, k int) Metrics {
	return RankMetricsWith(scores, relevant, []int{k}, TiesStable)[0]
}

// RankMetricsAt is RankMetrics for several cut-offs at once (the list is sorted only once). The result has
// one entry per element of ks, in the same order.
func RankMetricsAt(scores []float64, relevant []bool, ks []int) []Metrics {
	return RankMetricsWith(scores, relevant, ks, TiesStable)
}

// RankMetricsWith is RankMetricsAt with a choice of tie order.
func RankMetricsWith(scores []float64, relevant []bool, ks []int, ties TieOrder) []Metrics {
	if len(scores) != len(relevant) {
		panic(fmt.Sprintf("evaluation: RankMetrics: %d scores but %d relevance flags", len(scores), len(relevant)))
	}
	for i, s := range scores {
		if math.IsNaN(s) {
			panic(fmt.Sprintf("evaluation: RankMetrics: score %d is NaN", i))
		}
	}
	for _, k := range ks {
		if k <= 0 {
			panic(fmt.Sprintf("evaluation: RankMetrics: k must be positive, got %d", k))
		}
	}
	n := len(scores)
	stable := make([]int, n)
	for i := range stable {
		stable[i] = i
	}
	sort.SliceStable(stable, func(a, b int) bool { return scores[stable[a]] > scores[stable[b]] })
	totalRel := 0
	for _, r := range relevant {
		if r {
			totalRel++
		}
	}
	// Tie groups in ranked order (their membership does not depend on the tie order).
	var groupEnd []int
	for p := 1; p < n; p++ {
		if scores[stable[p]] != scores[stable[p-1]] {
			groupEnd = append(groupEnd, p)
		}
	}
	if n > 0 {
		groupEnd = append(groupEnd, n)
	}
	argsort := stable
	if ties == TiesTorchCPU {
		argsort = torchArgsortDesc(scores)
	}

	out := make([]Metrics, len(ks))
	for ki, k := range ks {
		if totalRel == 0 {
			continue
		}
		kk := min(k, n)
		top := stable[:kk]
		if ties == TiesTorchCPU {
			top = torchTopKOrder(scores, kk)
		}
		var m Metrics
		hits, apSum := 0, 0.0
		for p, i := range top {
			if relevant[i] {
				hits++
				apSum += float64(hits) / float64(p+1)
				if hits == 1 {
					m.ReciprocalRank = 1 / float64(p+1)
				}
			}
		}
		m.Precision = float64(hits) / float64(k)
		if hits > 0 {
			m.AveragePrecision = apSum / float64(hits)
		}
		argHits := 0
		for _, i := range argsort[:kk] {
			if relevant[i] {
				argHits++
			}
		}
		m.Recall = float64(argHits) / float64(totalRel)
		if argHits > 0 {
			m.HitRate = 1
		}

		// Tie-averaged DCG over the tie groups; discounts beyond k are zero.
		dcg, start := 0.0, 0
		for _, end := range groupEnd {
			if start >= kk {
				break
			}
			gain := 0
			for p := start; p < end; p++ {
				if relevant[stable[p]] {
					gain++
				}
			}
			disc := 0.0
			for p := start; p < min(end, kk); p++ {
				disc += discount(p)
			}
			dcg += float64(gain) / float64(end-start) * disc
			start = end
		}
		idcg := 0.0
		for p := 0; p < min(kk, totalRel); p++ {
			idcg += discount(p)
		}
		if idcg > 0 {
			m.NDCG = dcg / idcg
		}
		out[ki] = m
	}
	return out
}

// discount is the DCG discount of 0-based rank p: 1/log2(p+2).
func discount(p int) float64 { return 1 / math.Log2(float64(p)+2) }
