package evaluation

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"github.com/musicrep/musicrep/musicrep/index"
)

// DefaultResamples is the number of bootstrap resamples of ClusterBootstrap when none is given.
const DefaultResamples = 2000

// ClusterBootstrap puts a 95 % percentile interval on the mean of every metric in values by resampling
// clusters (e.g. the artists of the test tracks) with replacement: each of the resamples draws as many
// clusters as there are, uniformly with replacement, and takes the mean over all queries of the drawn
// clusters (a cluster drawn twice counts twice). The interval is the 2.5th and 97.5th percentiles of the
// resampled means (linear interpolation between order statistics, as numpy.percentile). Resampling
// clusters rather than queries keeps the songs of one artist together: they are not independent draws,
// and treating them as such would give intervals that are too narrow.
//
// clusters[j] is the cluster of query j; every slice of values must have len(clusters) entries. The draws
// depend only on seed and the number of clusters (clusters are numbered in order of first appearance), so
// the same seed gives paired resamples for two sets of values over the same queries: the interval of a
// difference is ClusterBootstrap of the per-query differences. resamples <= 0 means DefaultResamples.
// It panics on a length mismatch (a programming error); no queries give an empty map.
func ClusterBootstrap(values map[string][]float64, clusters []string, resamples int, seed uint64) map[string][2]float64 {
	if resamples <= 0 {
		resamples = DefaultResamples
	}
	for k, v := range values {
		if len(v) != len(clusters) {
			panic(fmt.Sprintf("evaluation: ClusterBootstrap: metric %s has %d values for %d queries", k, len(v), len(clusters)))
		}
	}
	out := map[string][2]float64{}
	if len(clusters) == 0 {
		return out
	}
	id := map[string]int{}
	member := make([]int, len(clusters))
	for j, c := range clusters {
		i, ok := id[c]
		if !ok {
			i = len(id)
			id[c] = i
		}
		member[j] = i
	}
	g := len(id)
	counts := make([]float64, g)
	for _, i := range member {
		counts[i]++
	}
	// The draws: resamples × g cluster indices, shared by every metric.
	rng := rand.New(rand.NewPCG(seed, 0x6d75736963726570)) // "musicrep"
	draws := make([]int, resamples*g)
	for i := range draws {
		draws[i] = rng.IntN(g)
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	sums := make([]float64, g)
	means := make([]float64, resamples)
	for _, k := range keys {
		clear(sums)
		for j, v := range values[k] {
			sums[member[j]] += v
		}
		for b := range resamples {
			s, n := 0.0, 0.0
			for _, c := range draws[b*g : (b+1)*g] {
				s += sums[c]
				n += counts[c]
			}
			means[b] = s / n
		}
		sorted := slices.Clone(means)
		sort.Float64s(sorted)
		out[k] = [2]float64{Percentile(sorted, 2.5), Percentile(sorted, 97.5)}
	}
	return out
}

// Percentile returns the p-th percentile (0..100) of sorted values, interpolating linearly between order
// statistics (numpy.percentile's default). It panics on an empty slice.
func Percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		panic("evaluation: Percentile of no values")
	}
	pos := p / 100 * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(sorted)-1)
	return sorted[lo] + (pos-float64(lo))*(sorted[hi]-sorted[lo])
}

// Differences returns the per-query differences a − b of every metric the two score sets share; they must
// score the same queries in the same order.
func Differences(a, b *QueryScores) (*QueryScores, error) {
	if !slices.Equal(a.Queries, b.Queries) {
		return nil, fmt.Errorf("evaluation: Differences: the two score sets have different queries")
	}
	out := &QueryScores{Queries: slices.Clone(a.Queries), Values: map[string][]float64{}}
	for k, va := range a.Values {
		vb, ok := b.Values[k]
		if !ok {
			continue
		}
		d := make([]float64, len(va))
		for j := range va {
			d[j] = va[j] - vb[j]
		}
		out.Values[k] = d
	}
	return out, nil
}

// ChanceGenreRetrieval is the expected score of a random ranking under GenreRetrievalScores' protocol: for
// every query, the mean over draws uniformly random orders of its candidates (same candidates, same
// relevance, with opt.Artists the same-artist-excluded lists too). Per-query values are kept so that the
// chance row gets intervals like any other. draws <= 0 means 200.
func ChanceGenreRetrieval(genres [][]string, opt RetrievalOptions, draws int, seed uint64) (*QueryScores, error) {
	n := len(genres)
	if n < 2 {
		return nil, fmt.Errorf("evaluation: ChanceGenreRetrieval: need at least 2 tracks, got %d", n)
	}
	if opt.Artists != nil && len(opt.Artists) != n {
		return nil, fmt.Errorf("evaluation: ChanceGenreRetrieval: %d artists for %d tracks", len(opt.Artists), n)
	}
	if draws <= 0 {
		draws = 200
	}
	// Random scores on identical vectors: GenreRetrievalScores' candidate lists with random tie-free order.
	sets := genreSets(genres)
	queries := genreQueries(genres)
	if len(queries) == 0 {
		return nil, fmt.Errorf("evaluation: ChanceGenreRetrieval: no track has a genre")
	}
	out := &QueryScores{Queries: queries, Values: map[string][]float64{}}
	prefixes := []string{""}
	if opt.Artists != nil {
		prefixes = append(prefixes, "other_artist_")
	}
	one := map[string][]float64{}
	keysOf := map[string][]string{}
	for _, prefix := range prefixes {
		for _, k := range opt.Ks {
			for _, name := range append(slices.Clone(MetricNames), "map", "average_precision_ir") {
				key := prefix + metricKey(name, k)
				out.Values[key] = make([]float64, len(queries))
				one[key] = make([]float64, 1)
				keysOf[prefix] = append(keysOf[prefix], key)
			}
		}
	}
	rng := rand.New(rand.NewPCG(seed, 0x6368616e6365)) // "chance"
	var scores []float64
	var rel []bool
	for qi, q := range queries {
		for _, prefix := range prefixes {
			rel = rel[:0]
			for i := range n {
				if i == q || (prefix != "" && opt.Artists[i] == opt.Artists[q]) {
					continue
				}
				rel = append(rel, sharesGenre(sets[q], sets[i]))
			}
			for range draws {
				scores = scores[:0]
				for range rel {
					scores = append(scores, rng.Float64())
				}
				for _, key := range keysOf[prefix] {
					one[key][0] = 0
				}
				storeRankMetrics(one, prefix, 0, scores, rel, opt.Ks)
				for _, key := range keysOf[prefix] {
					out.Values[key][qi] += one[key][0]
				}
			}
			for _, key := range keysOf[prefix] {
				out.Values[key][qi] /= float64(draws)
			}
		}
	}
	return out, nil
}

// ChanceKNNAccuracy is the expected per-query k-NN accuracy when the k "nearest" training tracks are drawn
// uniformly at random (without replacement): the mean over draws of KNNGenreCorrect's 0/1 outcome, with the
// same voting rules (proximity ties broken by draw order). Queries are the test rows with >= 1 genre.
func ChanceKNNAccuracy(trainGenres, testGenres [][]string, k, draws int, seed uint64) ([]int, []float64, error) {
	if len(trainGenres) == 0 || k <= 0 {
		return nil, nil, fmt.Errorf("evaluation: ChanceKNNAccuracy: need training tracks and k > 0 (got %d, %d)", len(trainGenres), k)
	}
	if draws <= 0 {
		draws = 200
	}
	k = min(k, len(trainGenres))
	queries := genreQueries(testGenres)
	correct := make([]float64, len(queries))
	rng := rand.New(rand.NewPCG(seed, 0x6b6e6e)) // "knn"
	nbs := make([]index.Neighbor, k)
	for qi, q := range queries {
		for range draws {
			for r, i := range rng.Perm(len(trainGenres))[:k] {
				nbs[r] = index.Neighbor{Index: i, Dist: float64(r)}
			}
			if pred, ok := voteGenre(nbs, trainGenres); ok && contains(testGenres[q], pred) {
				correct[qi]++
			}
		}
		correct[qi] /= float64(draws)
	}
	return queries, correct, nil
}

// MajorityGenre returns the genre held by the most training tracks (ties: the one seen first) and, for
// every test row with >= 1 genre, 1 when the test track has that genre: the accuracy of always predicting
// the majority class.
func MajorityGenre(trainGenres, testGenres [][]string) (string, []int, []float64) {
	count := map[string]int{}
	var order []string
	for _, gs := range trainGenres {
		seen := map[string]bool{}
		for _, g := range gs {
			if seen[g] {
				continue
			}
			seen[g] = true
			if count[g] == 0 {
				order = append(order, g)
			}
			count[g]++
		}
	}
	best := ""
	for _, g := range order {
		if best == "" || count[g] > count[best] {
			best = g
		}
	}
	queries := genreQueries(testGenres)
	correct := make([]float64, len(queries))
	for qi, q := range queries {
		if contains(testGenres[q], best) {
			correct[qi] = 1
		}
	}
	return best, queries, correct
}

// ExactDuplicates returns the groups of rows (two or more, ascending; groups ordered by their first row)
// whose vectors are bit-for-bit identical.
func ExactDuplicates(data []float32, dim int) [][]int {
	if dim <= 0 || len(data)%dim != 0 {
		panic(fmt.Sprintf("evaluation: ExactDuplicates: len(data)=%d is not a multiple of dim=%d", len(data), dim))
	}
	byRow := map[string][]int{}
	var firsts []string
	buf := make([]byte, 4*dim)
	for r := range len(data) / dim {
		for j, v := range data[r*dim : (r+1)*dim] {
			b := math.Float32bits(v)
			buf[4*j], buf[4*j+1], buf[4*j+2], buf[4*j+3] = byte(b), byte(b>>8), byte(b>>16), byte(b>>24)
		}
		key := string(buf)
		if _, ok := byRow[key]; !ok {
			firsts = append(firsts, key)
		}
		byRow[key] = append(byRow[key], r)
	}
	var out [][]int
	for _, key := range firsts {
		if len(byRow[key]) > 1 {
			out = append(out, byRow[key])
		}
	}
	return out
}

// Collapsed reports whether every row of a matrix is (numerically) the same vector: the total variance over
// the rows is below 1e-9 of the mean squared norm (or exactly 0). A collapsed embedding ranks every candidate
// by ties alone, so its retrieval scores say nothing about the model; reports flag it.
func Collapsed(data []float32, dim int) bool {
	n := len(data) / dim
	if dim <= 0 || n < 2 {
		return false
	}
	mean := make([]float64, dim)
	sq := 0.0
	for r := range n {
		for j, v := range data[r*dim : (r+1)*dim] {
			mean[j] += float64(v)
			sq += float64(v) * float64(v)
		}
	}
	variance := 0.0
	for r := range n {
		for j, v := range data[r*dim : (r+1)*dim] {
			d := float64(v) - mean[j]/float64(n)
			variance += d * d
		}
	}
	return variance == 0 || variance < 1e-9*sq
}
