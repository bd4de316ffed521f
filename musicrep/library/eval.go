package library

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"

	"github.com/musicrep/musicrep/evaluation"
	"github.com/musicrep/musicrep/musicrep/results"
)

// EvalK is the cut-off of the library evaluation's metrics.
const EvalK = 10

// ChanceDraws is the number of random rankings the chance row averages.
const ChanceDraws = 200

// EvalResamples and EvalSeed fix the bootstrap of Evaluate's intervals.
const (
	EvalResamples        = 1000
	EvalSeed      uint64 = 13
)

// significanceTolerance is how far from 0 an interval's bound must be for a difference to count as significant.
const significanceTolerance = 1e-9

// EvalMetrics are the per-query metrics Evaluate reports, in table order; the other_artist_ ones only when
// the label is not the artist.
var EvalMetrics = []string{"precision@10", "map@10", "knn_accuracy@10", "other_artist_precision@10",
	"other_artist_map@10", "other_artist_knn_accuracy@10"}

// OtherArtistQueries is the key, in a row of EvalReport.Metrics, of the number of queries the other_artist_
// metrics average over (a count, without an interval).
const OtherArtistQueries = "other_artist_queries"

// EvalReport is the output of `musicrep library eval -json`.
type EvalReport struct {
	Label string `json:"label"`
	// N is the number of tracks with a label (the candidates); Queries the number of those whose label is
	// shared by at least one other track (a track alone with its label cannot be retrieved by it).
	N       int                           `json:"n"`
	Queries int                           `json:"queries"`
	Labels  int                           `json:"labels"`
	Metrics map[string]map[string]float64 `json:"metrics"`
	// CI95 is the 95 % bootstrap interval of every metric of Metrics (same keys; none for counts).
	CI95 map[string]map[string][2]float64 `json:"ci95"`
	// Differences are the paired differences: every feature set minus chance, and every musicnn set minus
	// mel-stats, for every metric, over the same resamples of the queries.
	Differences []results.Comparison `json:"differences"`
	// Resamples and Seed are the bootstrap's (EvalResamples, EvalSeed).
	Resamples int    `json:"resamples"`
	Seed      uint64 `json:"seed"`
	// Description says what was scored: data, relevance, protocol, in-sample status, the intervals' method.
	Description string `json:"description"`
	// Dims is each feature set's dimension.
	Dims map[string]int `json:"dims"`
	// Leaks names the feature sets built from the label itself (the metadata text knows album, artist and
	// genre): their rows are upper bounds, not results.
	Leaks []string `json:"leaks,omitempty"`
	// InSample names the sets of models trained on this library's own tracks (without labels: same-track
	// views); their rows are in-sample.
	InSample []string `json:"in_sample,omitempty"`
	Notes    []string `json:"notes,omitempty"`
}

// Sets lists the report's feature sets (every metrics row but chance): the scan's in FeatureSets order, then
// the model sets by name.
func (r *EvalReport) Sets() []string {
	var out, models []string
	for _, s := range FeatureSets {
		if _, ok := r.Metrics[s]; ok {
			out = append(out, s)
		}
	}
	for s := range r.Metrics {
		if s != ChanceRow && !slices.Contains(FeatureSets, s) {
			models = append(models, s)
		}
	}
	sort.Strings(models)
	return append(out, models...)
}

// ChanceRow is the key of the chance row in EvalReport.Metrics.
const ChanceRow = "chance"

// Evaluate scores every feature set of the library by leave-one-out retrieval of the label: each query track
// ranks every other labelled track by cosine similarity; a candidate is relevant when it has the query's label.
// Metrics at k = EvalK: precision@10 (relevant among the 10 nearest / 10), map@10 (average precision within the
// top 10, normalised by the relevant items found there, as torchmetrics' retrieval_average_precision) and
// knn_accuracy@10 (the majority label of the 10 nearest — ties to the nearest — is the query's). The other_artist_
// metrics drop the candidates by the query's own artist (not computed when the label is the artist) and average
// over the queries that keep at least one relevant candidate. The chance row is, for every query, the mean of the
// same metrics over ChanceDraws uniformly random orders of its candidates (seeded).
//
// Intervals: a percentile bootstrap over the queries. Each of EvalResamples resamples draws as many queries as
// there are, uniformly with replacement (seeded by EvalSeed; the draws depend only on the seed and the number of
// queries), and takes each metric's mean over the drawn queries (an other_artist_ metric: over the drawn queries
// it is defined for). The interval is the 2.5th and 97.5th percentiles of the resampled means (numpy.percentile's
// interpolation). Every row and every paired difference uses the same resamples. The queries are the whole
// library, not a sample from a population of libraries, and tracks of one album or artist are not independent:
// the intervals say how much the numbers depend on which of these tracks are queried, nothing more.
func (l *Library) Evaluate(label string) (*EvalReport, error) {
	var rows []int
	var labels, artists []string
	count := map[string]int{}
	for i := range l.Tracks {
		v, err := l.Tracks[i].Label(label)
		if err != nil {
			return nil, err
		}
		if v == "" {
			continue
		}
		rows = append(rows, i)
		labels = append(labels, v)
		artists = append(artists, l.Tracks[i].Artist)
		count[v]++
	}
	rep := &EvalReport{Label: label, N: len(rows), Labels: len(count), Metrics: map[string]map[string]float64{},
		CI95: map[string]map[string][2]float64{}, Resamples: EvalResamples, Seed: EvalSeed, Dims: map[string]int{}}
	var queries []int
	for qi, v := range labels {
		if count[v] >= 2 {
			queries = append(queries, qi)
		}
	}
	rep.Queries = len(queries)
	if len(queries) == 0 {
		return nil, fmt.Errorf("library: no two tracks of %s share a %s: nothing to evaluate (%d of %d tracks "+
			"have one)", l.Dir, label, len(rows), len(l.Tracks))
	}
	withArtist := label != "artist"
	perQuery := map[string]map[string][]float64{}
	var sets []string
	for _, s := range l.SetNames() {
		f := l.Sets[s]
		if f == nil {
			continue
		}
		sets = append(sets, s)
		rep.Dims[s] = f.Dim
		data := evaluation.Normalize(evaluation.GatherRows(f.Data, f.Dim, rows), f.Dim)
		rank := func(q int) []int { // candidates of query q, nearest first
			res := evaluation.TopKSquaredL2(data, f.Dim, data[q*f.Dim:(q+1)*f.Dim], len(rows),
				func(_, i int) bool { return i == q })[0]
			out := make([]int, len(res))
			for i, nb := range res {
				out[i] = nb.Index
			}
			return out
		}
		perQuery[s] = queryScores(queries, labels, artists, rank, withArtist)
		if l.leaks(s, label) {
			rep.Leaks = append(rep.Leaks, s)
		}
		if m := l.Models[s]; m != nil && m.InSample {
			rep.InSample = append(rep.InSample, s)
		}
	}
	perQuery[ChanceRow] = chanceScores(queries, labels, artists, withArtist, ChanceDraws,
		rand.New(rand.NewPCG(1, uint64(len(rows)))))
	draws := bootstrapDraws(len(queries), EvalResamples, EvalSeed)
	for s, m := range perQuery {
		rep.Metrics[s], rep.CI95[s] = map[string]float64{}, map[string][2]float64{}
		for k, v := range m {
			mean, n := nanMean(v)
			if n == 0 {
				continue
			}
			rep.Metrics[s][k] = mean
			if ci, ok := bootstrapInterval(v, draws); ok {
				rep.CI95[s][k] = ci
			}
			if strings.HasPrefix(k, "other_artist_") {
				rep.Metrics[s][OtherArtistQueries] = float64(n)
			}
		}
		if withArtist {
			if _, ok := rep.Metrics[s][OtherArtistQueries]; !ok {
				rep.Metrics[s][OtherArtistQueries] = 0
			}
		}
	}
	compare := func(a, b string) {
		for _, k := range EvalMetrics {
			va, ok1 := perQuery[a][k]
			vb, ok2 := perQuery[b][k]
			if !ok1 || !ok2 {
				continue
			}
			d := make([]float64, len(va))
			for j := range va {
				d[j] = va[j] - vb[j] // NaN where the metric is undefined for the query (same in both)
			}
			mean, n := nanMean(d)
			ci, ok := bootstrapInterval(d, draws)
			if n == 0 || !ok {
				continue
			}
			// Equal rows differ by rounding (the chance row is a mean over draws): a bound within
			// significanceTolerance of 0 counts as 0.
			rep.Differences = append(rep.Differences, results.Comparison{A: a, B: b, Metric: k, Diff: mean, CI95: ci,
				Significant: ci[0] > significanceTolerance || ci[1] < -significanceTolerance})
		}
	}
	for _, s := range sets {
		compare(s, ChanceRow)
	}
	if perQuery[SetMusicnn] != nil { // a trained model against the frozen features it started from
		for _, s := range sets {
			if l.Models[s] != nil {
				compare(s, SetMusicnn)
			}
		}
	}
	if perQuery[SetMelStats] != nil {
		for _, s := range []string{SetMusicnn, SetMusicnnMTT, SetMusicnnTags} {
			if perQuery[s] != nil {
				compare(s, SetMelStats)
			}
		}
	}
	if len(rep.InSample) > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("in-sample: %s were trained on these tracks (no labels: each "+
			"track's own modalities were its positives), and are scored on the same tracks",
			strings.Join(rep.InSample, ", ")))
	}
	rep.Notes = append(rep.Notes, l.Notes...)
	if rep.Queries < rep.N {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d tracks are alone with their %s: candidates, not queries",
			rep.N-rep.Queries, label))
	}
	data := "the library " + l.Dir
	if l.Info != nil {
		data += ", scanned from " + l.Info.Describe()
	}
	rep.Description = fmt.Sprintf("Data: %s; %d tracks labelled by %s (%d distinct values), %d queries. "+
		"Relevance: a candidate with the query's %s. Protocol: leave-one-out retrieval over the whole library "+
		"(every labelled track but the query is a candidate), cosine similarity, k = %d; no training, so nothing "+
		"is held out: the numbers describe this library (in-sample; trained model sets, if any, were also trained on it). Chance: random rankings (%d draws a query). "+
		"Intervals: 95 %% percentile bootstrap over the queries (%d resamples, seed %d), the same resamples for "+
		"every row and difference.", data, rep.N, label, rep.Labels, rep.Queries, label, EvalK, ChanceDraws,
		EvalResamples, EvalSeed)
	return rep, nil
}

// queryScores returns every metric of every query (in queries order), given each query's ranking of the other
// candidates; an other_artist_ metric is NaN for a query without a relevant candidate by another artist.
func queryScores(queries []int, labels, artists []string, rank func(q int) []int, withArtist bool) map[string][]float64 {
	out := newScores(len(queries), withArtist)
	for qj, q := range queries {
		storeScores(out, qj, q, rank(q), labels, artists, withArtist, 1)
	}
	return out
}

func newScores(n int, withArtist bool) map[string][]float64 {
	out := map[string][]float64{}
	for _, k := range EvalMetrics {
		if withArtist || !strings.HasPrefix(k, "other_artist_") {
			out[k] = make([]float64, n)
		}
	}
	return out
}

// storeScores adds weight × the metrics of query q (at position qj) for the ranking order; order needs only to
// hold the first EvalK candidates, and the first EvalK candidates by another artist.
func storeScores(out map[string][]float64, qj, q int, order []int, labels, artists []string, withArtist bool, weight float64) {
	p, ap, knn := topMetrics(q, order, labels)
	out[fmt.Sprintf("precision@%d", EvalK)][qj] += weight * p
	out[fmt.Sprintf("map@%d", EvalK)][qj] += weight * ap
	out[fmt.Sprintf("knn_accuracy@%d", EvalK)][qj] += weight * knn
	if !withArtist {
		return
	}
	keys := []string{fmt.Sprintf("other_artist_precision@%d", EvalK), fmt.Sprintf("other_artist_map@%d", EvalK),
		fmt.Sprintf("other_artist_knn_accuracy@%d", EvalK)}
	if !hasOtherArtistRelevant(q, labels, artists) {
		for _, k := range keys {
			out[k][qj] = math.NaN()
		}
		return
	}
	var other []int
	for _, i := range order {
		if otherArtist(q, i, artists) {
			other = append(other, i)
		}
	}
	p, ap, knn = topMetrics(q, other, labels)
	out[keys[0]][qj] += weight * p
	out[keys[1]][qj] += weight * ap
	out[keys[2]][qj] += weight * knn
}

// otherArtist says whether candidate i is by another artist than query q (a query without an artist keeps
// every candidate).
func otherArtist(q, i int, artists []string) bool {
	return artists[q] == "" || artists[i] != artists[q]
}

func hasOtherArtistRelevant(q int, labels, artists []string) bool {
	for i := range labels {
		if i != q && labels[i] == labels[q] && otherArtist(q, i, artists) {
			return true
		}
	}
	return false
}

// chanceScores is queryScores for uniformly random rankings: each query's metrics are the mean over draws random
// orders of its candidates (the prefix of each order that the metrics read is drawn by a partial Fisher–Yates
// shuffle).
func chanceScores(queries []int, labels, artists []string, withArtist bool, draws int, rng *rand.Rand) map[string][]float64 {
	out := newScores(len(queries), withArtist)
	n := len(labels)
	perm := make([]int, n) // any permutation: a Fisher–Yates pass over it gives a uniformly random order
	for i := range perm {
		perm[i] = i
	}
	for qj, q := range queries {
		for range draws {
			var order []int
			nOther := 0
			for i := 0; i < n && (len(order) < EvalK || (withArtist && nOther < EvalK)); i++ {
				j := i + rng.IntN(n-i)
				perm[i], perm[j] = perm[j], perm[i]
				c := perm[i]
				if c == q {
					continue
				}
				order = append(order, c)
				if otherArtist(q, c, artists) {
					nOther++
				}
			}
			storeScores(out, qj, q, order, labels, artists, withArtist, 1/float64(draws))
		}
	}
	return out
}

// nanMean returns the mean of the values that are not NaN, and their number.
func nanMean(v []float64) (float64, int) {
	s, n := 0.0, 0
	for _, x := range v {
		if !math.IsNaN(x) {
			s += x
			n++
		}
	}
	if n == 0 {
		return math.NaN(), 0
	}
	return s / float64(n), n
}

// bootstrapDraws returns resamples × n query positions drawn uniformly with replacement.
func bootstrapDraws(n, resamples int, seed uint64) [][]int {
	rng := rand.New(rand.NewPCG(seed, uint64(n)))
	out := make([][]int, resamples)
	for b := range out {
		out[b] = make([]int, n)
		for j := range out[b] {
			out[b][j] = rng.IntN(n)
		}
	}
	return out
}

// bootstrapInterval returns the 2.5th and 97.5th percentiles of the means of values over each resample's drawn
// queries, NaN values left out; resamples that draw no defined value are skipped (false when all are).
func bootstrapInterval(values []float64, draws [][]int) ([2]float64, bool) {
	means := make([]float64, 0, len(draws))
	for _, d := range draws {
		s, n := 0.0, 0
		for _, j := range d {
			if x := values[j]; !math.IsNaN(x) {
				s += x
				n++
			}
		}
		if n > 0 {
			means = append(means, s/float64(n))
		}
	}
	if len(means) == 0 {
		return [2]float64{}, false
	}
	sort.Float64s(means)
	return [2]float64{evaluation.Percentile(means, 2.5), evaluation.Percentile(means, 97.5)}, true
}

// topMetrics computes precision@k, AP@k and k-NN accuracy of one query from its ranked candidates.
func topMetrics(q int, order []int, labels []string) (p, ap, knn float64) {
	top := order[:min(EvalK, len(order))]
	scores := make([]float64, len(top))
	rel := make([]bool, len(top))
	votes := map[string]int{}
	first := map[string]int{}
	for r, i := range top {
		scores[r] = float64(len(top) - r)
		rel[r] = labels[i] == labels[q]
		votes[labels[i]]++
		if _, ok := first[labels[i]]; !ok {
			first[labels[i]] = r
		}
	}
	m := evaluation.RankMetrics(scores, rel, EvalK)
	type lv struct {
		label string
		n, r  int
	}
	var vs []lv
	for k, n := range votes {
		vs = append(vs, lv{k, n, first[k]})
	}
	sort.Slice(vs, func(a, b int) bool {
		if vs[a].n != vs[b].n {
			return vs[a].n > vs[b].n
		}
		return vs[a].r < vs[b].r
	})
	if len(vs) > 0 && vs[0].label == labels[q] {
		knn = 1
	}
	return m.Precision, m.AveragePrecision, knn
}
