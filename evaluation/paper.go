package evaluation

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/musicrep/musicrep/musicrep/index"
)

// PaperOptions configures PaperProtocol. Zero values take the defaults of binding_music's evaluate.ipynb.
type PaperOptions struct {
	// Candidates is the number of neighbours retrieved per query (the list torchmetrics sees). Default 50.
	// Candidates equal to the single cut-off (e.g. Candidates 10, Ks [10]) is the exact-k variant of
	// model.ipynb / load_checkpoint.ipynb, where recall@k equals hit_rate@k.
	Candidates int
	// Ks are the metric cut-offs. Default [10, 15, 20, 25].
	Ks []int
	// StableTies orders exactly tied scores (duplicate embeddings) by search order (smaller index first)
	// instead of reproducing torch's CPU tie order (the default, TiesTorchCPU, which is what the published
	// numbers were computed with). Only precision, recall, hit_rate, average_precision and reciprocal_rank
	// can change, and only for queries whose candidate list contains exactly equal distances.
	StableTies bool
}

// DefaultPaperOptions returns the evaluate.ipynb settings: 50 candidates, cut-offs 10, 15, 20, 25.
func DefaultPaperOptions() PaperOptions {
	return PaperOptions{Candidates: 50, Ks: []int{10, 15, 20, 25}}
}

// Report is the result of a protocol run.
type Report struct {
	// Protocol says what the numbers represent: data, relevance, search space and in-sample status.
	Protocol string
	// NumQueries is the number of queries averaged over.
	NumQueries int
	// QueriesWithoutPositives counts queries that have no entry (or an empty list) in the positives map;
	// they are included in the averages with every metric 0.
	QueriesWithoutPositives int
	Candidates              int
	Ks                      []int
	// Metrics maps "<name>@<k>" to the mean over queries, for every name in MetricNames and every k in Ks:
	// precision@K, recall@K, hit_rate@K, average_precision@K, reciprocal_rank@K, ndcg@K.
	Metrics map[string]float64
}

// Table formats the metrics as a text table, one row per metric and one column per cut-off.
func (r *Report) Table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-18s", "metric")
	for _, k := range r.Ks {
		fmt.Fprintf(&b, " %11s", fmt.Sprintf("@%d", k))
	}
	b.WriteByte('\n')
	for _, name := range MetricNames {
		fmt.Fprintf(&b, "%-18s", name)
		for _, k := range r.Ks {
			fmt.Fprintf(&b, " %11.8f", r.Metrics[metricKey(name, k)])
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func metricKey(name string, k int) string { return fmt.Sprintf("%s@%d", name, k) }

// PaperProtocol runs the evaluation of binding_music's notebooks/evaluate.ipynb (SEEDS_SPEC A5.1):
//
//  1. exact squared-L2 search of every track against all tracks, the query itself INCLUDED (it is found at
//     rank 1 at distance 0 and is never its own positive, so P@10 <= 0.9); ties broken by smaller index,
//     i.e. by the order of ids;
//  2. the top opt.Candidates neighbours form the candidate list;
//  3. scores = softmax over the list of (1 - min-max-normalised distance) (only their order and ties
//     matter; when all distances in the list are equal the normalised distance is taken as 0 for all,
//     giving equal scores instead of the notebook's NaN);
//  4. relevance = the retrieved id is in the query's positives (used as a set);
//  5. the torchmetrics metrics at every k of opt.Ks (RankMetricsWith), averaged over all len(ids) queries.
//     Exactly tied scores (duplicate embeddings) are ordered as torch's CPU topk/argsort order them
//     (TiesTorchCPU) unless opt.StableTies is set; the published table depends on this. Scores are computed
//     in float64, so the notebook's float32 arithmetic could in principle tie two distinct, nearly equal
//     distances that stay distinct here; no such case affects the published table (it is reproduced to
//     float32 print precision).
//
// ids[i] names row i of data (row-major, dim columns). positives maps a query id to its positive ids (for
// the published numbers: positives_negatives_more_negatives.json). This protocol is transductive and
// in-sample: every track is both query and database item, and the published model was trained on the same
// positive pairs it is scored on; the positives are nearest neighbours in the single-modality input spaces,
// so raw input features already score very high under it.
//
// It returns an error for empty input, len(data) != len(ids)*dim, dim <= 0, NaN/Inf values, duplicate ids,
// an id in positives (key or value) that is not in ids, a non-positive k, or Candidates < max(Ks) or
// Candidates > len(ids).
func PaperProtocol(ids []string, data []float32, dim int, positives map[string][]string, opt PaperOptions) (*Report, error) {
	if opt.Candidates == 0 {
		opt.Candidates = 50
	}
	if len(opt.Ks) == 0 {
		opt.Ks = []int{10, 15, 20, 25}
	}
	n := len(ids)
	if n == 0 {
		return nil, errors.New("evaluation: PaperProtocol: no tracks")
	}
	if err := checkMatrix(data, dim, n, "data"); err != nil {
		return nil, fmt.Errorf("evaluation: PaperProtocol: %w", err)
	}
	rowOf := make(map[string]int, n)
	for i, id := range ids {
		if _, dup := rowOf[id]; dup {
			return nil, fmt.Errorf("evaluation: PaperProtocol: duplicate id %q (rows %d and %d)", id, rowOf[id], i)
		}
		rowOf[id] = i
	}
	maxK := 0
	for _, k := range opt.Ks {
		if k <= 0 {
			return nil, fmt.Errorf("evaluation: PaperProtocol: cut-off k must be positive, got %d", k)
		}
		maxK = max(maxK, k)
	}
	if opt.Candidates < maxK {
		return nil, fmt.Errorf("evaluation: PaperProtocol: Candidates=%d is smaller than the largest k=%d", opt.Candidates, maxK)
	}
	if opt.Candidates > n {
		return nil, fmt.Errorf("evaluation: PaperProtocol: Candidates=%d exceeds the number of tracks %d", opt.Candidates, n)
	}

	// Positives as sets of row indices; every id must be known. Keys are checked in sorted order so that
	// the error is deterministic.
	keys := make([]string, 0, len(positives))
	for q := range positives {
		keys = append(keys, q)
	}
	sort.Strings(keys)
	pos := make([]map[int]bool, n)
	for _, q := range keys {
		qi, ok := rowOf[q]
		if !ok {
			return nil, fmt.Errorf("evaluation: PaperProtocol: positives has query id %q that is not among the ids", q)
		}
		set := make(map[int]bool, len(positives[q]))
		for _, p := range positives[q] {
			pi, ok := rowOf[p]
			if !ok {
				return nil, fmt.Errorf("evaluation: PaperProtocol: positive %q of query %q is not among the ids", p, q)
			}
			set[pi] = true
		}
		pos[qi] = set
	}

	ties := TiesTorchCPU
	if opt.StableTies {
		ties = TiesStable
	}
	neighbors, err := nearest(data, dim, data, opt.Candidates, nil)
	if err != nil {
		return nil, fmt.Errorf("evaluation: PaperProtocol: %w", err)
	}
	sums := make([][6]float64, len(opt.Ks))
	noPos := 0
	scores := make([]float64, opt.Candidates)
	rel := make([]bool, opt.Candidates)
	for q := 0; q < n; q++ {
		if len(pos[q]) == 0 {
			noPos++
		}
		list := neighbors[q]
		scores = scores[:len(list)]
		rel = rel[:len(list)]
		paperScores(list, scores)
		for j, nb := range list {
			rel[j] = pos[q][nb.Index]
		}
		for ki, m := range RankMetricsWith(scores, rel, opt.Ks, ties) {
			v := m.values()
			for t := range v {
				sums[ki][t] += v[t]
			}
		}
	}

	rep := &Report{
		NumQueries:              n,
		QueriesWithoutPositives: noPos,
		Candidates:              opt.Candidates,
		Ks:                      append([]int(nil), opt.Ks...),
		Metrics:                 make(map[string]float64, 6*len(opt.Ks)),
	}
	for ki, k := range opt.Ks {
		for t, name := range MetricNames {
			rep.Metrics[metricKey(name, k)] = sums[ki][t] / float64(n)
		}
	}
	rep.Protocol = fmt.Sprintf("binding_music evaluate.ipynb protocol (TRANSDUCTIVE, IN-SAMPLE): %d tracks, dim %d; "+
		"exact squared-L2 search over all tracks with the query itself included in the index; top %d candidates; "+
		"scores softmax(1 - minmax(dist)); relevance = candidate in the query's positives set (%d queries have none); "+
		"torchmetrics 1.3.2 semantics (recall over relevant-in-candidates, AP normalised by relevant-in-top-k); "+
		"mean over all %d queries. Not a held-out evaluation: positives are single-modality nearest neighbours "+
		"and the published model was trained on them.", n, dim, opt.Candidates, noPos, n)
	return rep, nil
}

// paperScores writes softmax(1 - (d - min d)/(max d - min d)) of the listed distances into scores.
// When max d == min d every normalised distance is 0 (all scores equal).
func paperScores(list []index.Neighbor, scores []float64) {
	if len(list) == 0 {
		return
	}
	lo, hi := list[0].Dist, list[0].Dist
	for _, nb := range list {
		lo = math.Min(lo, nb.Dist)
		hi = math.Max(hi, nb.Dist)
	}
	span := hi - lo
	sum := 0.0
	for j, nb := range list {
		nd := 0.0
		if span > 0 {
			nd = (nb.Dist - lo) / span
		}
		scores[j] = math.Exp(1 - nd)
		sum += scores[j]
	}
	for j := range scores {
		scores[j] /= sum
	}
}

// checkMatrix validates a row-major matrix of rows x dim finite values.
func checkMatrix(data []float32, dim, rows int, name string) error {
	if dim <= 0 {
		return fmt.Errorf("dim must be positive, got %d", dim)
	}
	if len(data) != rows*dim {
		return fmt.Errorf("%s has %d values, want %d rows x %d = %d", name, len(data), rows, dim, rows*dim)
	}
	for i, v := range data {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("%s row %d column %d is %v", name, i/dim, i%dim, v)
		}
	}
	return nil
}
