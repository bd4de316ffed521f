package evaluation

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/musicrep/musicrep/musicrep/index"
)

// CrossModalOptions configures CrossModal. The zero value ranks by squared L2 with the half tie rule,
// cut-offs 1, 5 and 10, and every row present in both modalities.
type CrossModalOptions struct {
	// Ks are the recall cut-offs. Default [1, 5, 10]. Every K must be positive; a K above the number of
	// candidates gives recall 1.
	Ks []int
	// Cosine ranks by cosine similarity instead of squared L2: both matrices are L2-normalised row by row
	// (Normalize) before the squared-L2 ranking, which orders like 2 - 2 cos. A present row that is all
	// zeros is then an error (its cosine is undefined). Rows that are exact positive multiples of each other
	// need not normalise to bit-identical vectors, so they need not tie exactly.
	Cosine bool
	// Pessimistic changes the tie rule: a candidate at exactly the same distance as the correct item counts
	// fully against it (rank = 1 + closer + tied) instead of half (rank = 1 + closer + tied/2, the default).
	Pessimistic bool
	// QueryPresent, when not nil, has one entry per row: false means the query modality of that row is
	// missing, and the row is not used as a query (its query values are not read, so they may be NaN).
	QueryPresent []bool
	// CandidatePresent, when not nil, has one entry per row: false means the candidate modality of that row
	// is missing; the row is excluded from every query's candidate list (its values are not read), and the
	// query of that row is skipped too, since its correct item does not exist.
	CandidatePresent []bool
}

// CrossModalChance holds the expected metrics of a random ranking of N candidates (RandomBaseline).
type CrossModalChance struct {
	N  int
	Ks []int
	// Recall[i] is R@Ks[i] = min(Ks[i], N) / N.
	Recall []float64
	// MRR is H_N / N, the mean of 1/r for r uniform on 1..N.
	MRR float64
	// MedianRank and MeanRank are (N + 1) / 2: the median and the mean of a rank uniform on 1..N (the
	// median over a finite number of random queries scatters around it).
	MedianRank float64
	MeanRank   float64
}

// CrossModalResult is the outcome of CrossModal.
type CrossModalResult struct {
	Ks []int
	// Recall[i] is R@Ks[i]: the fraction of queries whose correct item has rank <= Ks[i].
	Recall []float64
	// MRR is the mean of 1/rank.
	MRR float64
	// MedianRank is the median of the ranks (the mean of the two middle ranks for an even count);
	// MeanRank their mean. 1 is perfect.
	MedianRank float64
	MeanRank   float64
	// NumQueries is the number of queries scored: rows present in both modalities.
	NumQueries int
	// NumCandidates is the number of candidates every query is ranked against (present candidate rows,
	// the correct item included).
	NumCandidates int
	// SkippedQueries counts rows not scored (query or candidate modality missing).
	SkippedQueries int
	// Queries lists the row indices scored, increasing; Ranks[i] is the rank of the correct item of row
	// Queries[i] (a multiple of 0.5 under the half tie rule).
	Queries []int
	Ranks   []float64
	// Chance is RandomBaseline(NumCandidates, Ks): what a random ranking scores on the same sizes.
	Chance CrossModalChance
}

// Metrics returns the result as a map with keys "R@K" for every K in Ks, "mrr", "median_rank" and
// "mean_rank".
func (r *CrossModalResult) Metrics() map[string]float64 {
	return crossModalMetrics(r.Ks, r.Recall, r.MRR, r.MedianRank, r.MeanRank)
}

// Metrics returns the chance values with the same keys as CrossModalResult.Metrics.
func (c CrossModalChance) Metrics() map[string]float64 {
	return crossModalMetrics(c.Ks, c.Recall, c.MRR, c.MedianRank, c.MeanRank)
}

func crossModalMetrics(ks []int, recall []float64, mrr, median, mean float64) map[string]float64 {
	m := make(map[string]float64, len(ks)+3)
	for i, k := range ks {
		m[fmt.Sprintf("R@%d", k)] = recall[i]
	}
	m["mrr"] = mrr
	m["median_rank"] = median
	m["mean_rank"] = mean
	return m
}

// defaultCrossModalKs are the cut-offs used when CrossModalOptions.Ks is empty.
var defaultCrossModalKs = []int{1, 5, 10}

// CrossModal evaluates paired cross-modal retrieval. queries and candidates are row-major with dim columns
// and the same number of rows n; row i of queries (say, the audio embedding of held-out track i in a shared
// space) should retrieve row i of candidates (the text embedding of the same track). Every scored query is
// ranked against all present candidate rows (the whole candidate set, not a top-k list), by squared L2
// distance, or by cosine similarity when opt.Cosine.
//
// Rank and ties: with d the distance from the query to its correct item, closer the number of other present
// candidates at a distance strictly below d and tied the number of other present candidates at exactly d,
// the rank is 1 + closer + tied/2 (ties count half: the mid-rank of the tied group, the expected rank under
// a random order of the group), or 1 + closer + tied with opt.Pessimistic. A query counts for R@K when its
// rank <= K, so under the half rule a tie group straddling K can miss. Distances are index.SquaredL2's
// (float64 accumulation from float32 inputs), so duplicate candidate rows tie exactly.
//
// The result has R@K for every K, MRR, median and mean rank, the counts, the per-query ranks and the chance
// values for the same number of candidates (RandomBaseline). The cost is O(queries x candidates x dim),
// parallel over queries.
//
// Errors: dim <= 0; len(queries) or len(candidates) not a multiple of dim; different row counts; a mask
// whose length is not the row count; a non-positive K; a NaN or Inf in a row that is read (present rows);
// an all-zero present row with Cosine; no row to score (n = 0, or every row masked out).
func CrossModal(queries []float32, candidates []float32, dim int, opt CrossModalOptions) (*CrossModalResult, error) {
	fail := func(format string, args ...any) (*CrossModalResult, error) {
		return nil, fmt.Errorf("evaluation: CrossModal: "+format, args...)
	}
	if dim <= 0 {
		return fail("dim must be positive, got %d", dim)
	}
	if len(queries)%dim != 0 {
		return fail("queries has %d values, not a multiple of dim=%d", len(queries), dim)
	}
	if len(candidates)%dim != 0 {
		return fail("candidates has %d values, not a multiple of dim=%d", len(candidates), dim)
	}
	n := len(queries) / dim
	if nc := len(candidates) / dim; nc != n {
		return fail("queries has %d rows, candidates %d: rows must be paired", n, nc)
	}
	if opt.QueryPresent != nil && len(opt.QueryPresent) != n {
		return fail("QueryPresent has %d entries, want %d", len(opt.QueryPresent), n)
	}
	if opt.CandidatePresent != nil && len(opt.CandidatePresent) != n {
		return fail("CandidatePresent has %d entries, want %d", len(opt.CandidatePresent), n)
	}
	ks := opt.Ks
	if len(ks) == 0 {
		ks = defaultCrossModalKs
	}
	for _, k := range ks {
		if k <= 0 {
			return fail("cut-off k must be positive, got %d", k)
		}
	}
	ks = append([]int(nil), ks...)
	if n == 0 {
		return nil, errors.New("evaluation: CrossModal: no queries (0 rows)")
	}

	var cand, qrows []int
	for i := 0; i < n; i++ {
		cp := opt.CandidatePresent == nil || opt.CandidatePresent[i]
		if cp {
			cand = append(cand, i)
		}
		if cp && (opt.QueryPresent == nil || opt.QueryPresent[i]) {
			qrows = append(qrows, i)
		}
	}
	if len(qrows) == 0 {
		return nil, fmt.Errorf("evaluation: CrossModal: no queries: none of the %d rows is present in both modalities", n)
	}
	if err := checkRows(queries, dim, qrows, "queries", opt.Cosine); err != nil {
		return fail("%v", err)
	}
	if err := checkRows(candidates, dim, cand, "candidates", opt.Cosine); err != nil {
		return fail("%v", err)
	}
	if opt.Cosine {
		// Only present rows are read; they are finite and non-zero, so normalising them is well defined.
		queries = Normalize(queries, dim)
		candidates = Normalize(candidates, dim)
	}

	tieWeight := 0.5
	if opt.Pessimistic {
		tieWeight = 1
	}
	ranks := make([]float64, len(qrows))
	bounds := analysisRowChunks(len(qrows), 4*max(1, len(qrows)/64))
	analysisParallel(len(bounds)-1, func(c int) {
		for qi := bounds[c]; qi < bounds[c+1]; qi++ {
			q := qrows[qi]
			qv := queries[q*dim : (q+1)*dim]
			d := index.SquaredL2(qv, candidates[q*dim:(q+1)*dim])
			closer, tied := 0, 0
			for _, j := range cand {
				if j == q {
					continue
				}
				if dj := index.SquaredL2(qv, candidates[j*dim:(j+1)*dim]); dj < d {
					closer++
				} else if dj == d {
					tied++
				}
			}
			ranks[qi] = 1 + float64(closer) + tieWeight*float64(tied)
		}
	})

	res := &CrossModalResult{
		Ks:             ks,
		Recall:         make([]float64, len(ks)),
		NumQueries:     len(qrows),
		NumCandidates:  len(cand),
		SkippedQueries: n - len(qrows),
		Queries:        qrows,
		Ranks:          ranks,
		Chance:         RandomBaseline(len(cand), ks),
	}
	nq := float64(len(qrows))
	var sumRR, sumRank float64
	for _, r := range ranks {
		sumRR += 1 / r
		sumRank += r
		for i, k := range ks {
			if r <= float64(k) {
				res.Recall[i]++
			}
		}
	}
	for i := range res.Recall {
		res.Recall[i] /= nq
	}
	res.MRR = sumRR / nq
	res.MeanRank = sumRank / nq
	res.MedianRank = medianOf(ranks)
	return res, nil
}

// RandomBaseline returns the expected cross-modal metrics of a uniformly random ranking of n candidates
// (exactly one of them correct): R@k = min(k, n)/n, MRR = H_n/n (H_n the n-th harmonic number) and median
// and mean rank (n+1)/2. A nil or empty ks means [1, 5, 10]. It panics if n <= 0 or a k is not positive.
func RandomBaseline(n int, ks []int) CrossModalChance {
	if n <= 0 {
		panic(fmt.Sprintf("evaluation: RandomBaseline: n must be positive, got %d", n))
	}
	if len(ks) == 0 {
		ks = defaultCrossModalKs
	}
	c := CrossModalChance{N: n, Ks: append([]int(nil), ks...), Recall: make([]float64, len(ks))}
	for i, k := range ks {
		if k <= 0 {
			panic(fmt.Sprintf("evaluation: RandomBaseline: cut-off k must be positive, got %d", k))
		}
		c.Recall[i] = float64(min(k, n)) / float64(n)
	}
	h := 0.0
	for i := n; i >= 1; i-- { // smallest terms first
		h += 1 / float64(i)
	}
	c.MRR = h / float64(n)
	c.MedianRank = float64(n+1) / 2
	c.MeanRank = c.MedianRank
	return c
}

// checkRows checks that the listed rows of a row-major matrix are finite and, when nonZero, not all zeros.
func checkRows(data []float32, dim int, rows []int, name string, nonZero bool) error {
	for _, r := range rows {
		zero := true
		for t, v := range data[r*dim : (r+1)*dim] {
			f := float64(v)
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return fmt.Errorf("%s row %d column %d is %v", name, r, t, v)
			}
			if v != 0 {
				zero = false
			}
		}
		if nonZero && zero {
			return fmt.Errorf("%s row %d is all zeros: cosine similarity is undefined", name, r)
		}
	}
	return nil
}

// medianOf returns the median of a non-empty slice (the mean of the two middle values for an even length)
// without modifying it.
func medianOf(x []float64) float64 {
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}
