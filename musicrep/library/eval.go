package library

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"

	"github.com/musicrep/musicrep/evaluation"
)

// EvalK is the cut-off of the library evaluation's metrics.
const EvalK = 10

// ChanceDraws is the number of random rankings the chance row averages.
const ChanceDraws = 200

// EvalReport is the output of `musicrep library eval -json`.
type EvalReport struct {
	Label string `json:"label"`
	// N is the number of tracks with a label (the candidates); Queries the number of those whose label is
	// shared by at least one other track (a track alone with its label cannot be retrieved by it).
	N       int                           `json:"n"`
	Queries int                           `json:"queries"`
	Labels  int                           `json:"labels"`
	Metrics map[string]map[string]float64 `json:"metrics"`
	// Leaks names the feature sets built from the label itself (the metadata text knows album, artist and
	// genre): their rows are upper bounds, not results.
	Leaks []string `json:"leaks,omitempty"`
	// InSample names the sets of models trained on this library's own tracks (without labels: same-track
	// views); their rows are in-sample.
	InSample []string `json:"in_sample,omitempty"`
	// CI95 holds 95 % bootstrap intervals of precision@10, map@10 and knn_accuracy@10 per set (chance
	// included), resampling the queries' artists (ClusterBootstrapSeed); MinusMusicnn the paired intervals of
	// each set's difference with the musicnn set (same resamples).
	CI95         map[string]map[string][2]float64 `json:"ci95,omitempty"`
	MinusMusicnn map[string]map[string][2]float64 `json:"minus_musicnn_ci95,omitempty"`
	Notes        []string                         `json:"notes,omitempty"`
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
// metrics drop the candidates by the query's own artist (not computed when the label is the artist). The chance
// row is the mean of the same metrics over ChanceDraws random rankings (seeded).
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
	rep := &EvalReport{Label: label, N: len(rows), Labels: len(count), Metrics: map[string]map[string]float64{}}
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
	// Per-query values of the main metrics, per set, for the intervals.
	values := map[string]map[string][]float64{}
	perQuery := func(set string) map[string][]float64 {
		m := map[string][]float64{}
		for _, k := range intervalMetrics {
			m[k] = make([]float64, len(queries))
		}
		values[set] = m
		return m
	}
	for _, s := range l.SetNames() {
		f := l.Sets[s]
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
		rep.Metrics[s] = scoreRankings(queries, labels, artists, rank, withArtist, perQuery(s))
		if l.leaks(s, label) {
			rep.Leaks = append(rep.Leaks, s)
		}
		if m := l.Models[s]; m != nil && m.InSample {
			rep.InSample = append(rep.InSample, s)
		}
	}
	rng := rand.New(rand.NewPCG(1, uint64(len(rows))))
	chance := map[string]float64{}
	chanceQ := perQuery(ChanceRow)
	for range ChanceDraws {
		m := scoreRankings(queries, labels, artists, func(q int) []int {
			perm := rng.Perm(len(rows))
			out := perm[:0]
			for _, i := range perm {
				if i != q {
					out = append(out, i)
				}
			}
			return out
		}, withArtist, chanceQ)
		for k, v := range m {
			chance[k] += v / ChanceDraws
		}
	}
	for _, v := range values[ChanceRow] {
		for j := range v {
			v[j] /= ChanceDraws
		}
	}
	rep.Metrics[ChanceRow] = chance
	// Intervals: the queries' artists are the clusters (one artist's tracks are not independent draws).
	clusters := make([]string, len(queries))
	for j, q := range queries {
		clusters[j] = artists[q]
		if clusters[j] == "" {
			clusters[j] = fmt.Sprintf("\x00track %d", q) // no artist: its own cluster
		}
	}
	rep.CI95, rep.MinusMusicnn = map[string]map[string][2]float64{}, map[string]map[string][2]float64{}
	for s, v := range values {
		rep.CI95[s] = evaluation.ClusterBootstrap(v, clusters, 0, ClusterBootstrapSeed)
		ref, ok := values[SetMusicnn]
		if !ok || s == SetMusicnn {
			continue
		}
		diff := map[string][]float64{}
		for k, x := range v {
			d := make([]float64, len(x))
			for j := range x {
				d[j] = x[j] - ref[k][j]
			}
			diff[k] = d
		}
		rep.MinusMusicnn[s] = evaluation.ClusterBootstrap(diff, clusters, 0, ClusterBootstrapSeed)
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
	return rep, nil
}

// ClusterBootstrapSeed seeds the library evaluation's bootstrap intervals.
const ClusterBootstrapSeed = 1

// intervalMetrics are the metrics the evaluation puts intervals on.
var intervalMetrics = []string{fmt.Sprintf("precision@%d", EvalK), fmt.Sprintf("map@%d", EvalK),
	fmt.Sprintf("knn_accuracy@%d", EvalK)}

// scoreRankings averages the metrics over the queries, given each query's ranking of the other candidates; it
// adds each query's precision, AP and k-NN accuracy to perQuery's slices (intervalMetrics), when not nil.
func scoreRankings(queries []int, labels, artists []string, rank func(q int) []int, withArtist bool,
	perQuery map[string][]float64) map[string]float64 {
	sum := map[string]float64{}
	nOther := 0
	for j, q := range queries {
		order := rank(q)
		p, ap, knn := topMetrics(q, order, labels)
		if perQuery != nil {
			for i, v := range []float64{p, ap, knn} {
				perQuery[intervalMetrics[i]][j] += v
			}
		}
		sum[fmt.Sprintf("precision@%d", EvalK)] += p
		sum[fmt.Sprintf("map@%d", EvalK)] += ap
		sum[fmt.Sprintf("knn_accuracy@%d", EvalK)] += knn
		if withArtist {
			var other []int
			for _, i := range order {
				if artists[q] == "" || artists[i] != artists[q] {
					other = append(other, i)
				}
			}
			relevant := false
			for _, i := range other {
				if labels[i] == labels[q] {
					relevant = true
					break
				}
			}
			if relevant {
				p, ap, knn := topMetrics(q, other, labels)
				sum[fmt.Sprintf("other_artist_precision@%d", EvalK)] += p
				sum[fmt.Sprintf("other_artist_map@%d", EvalK)] += ap
				sum[fmt.Sprintf("other_artist_knn_accuracy@%d", EvalK)] += knn
				nOther++
			}
		}
	}
	out := map[string]float64{}
	for k, v := range sum {
		if len(k) > 13 && k[:13] == "other_artist_" {
			out[k] = v / float64(max(nOther, 1))
		} else {
			out[k] = v / float64(len(queries))
		}
	}
	if withArtist {
		out["other_artist_queries"] = float64(nOther)
	}
	return out
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
