package evaluation

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/musicrep/musicrep/musicrep/index"
)

// GenreRetrieval is the genre-relevance retrieval primitive of the held-out evaluation. data holds one row
// per track of an evaluation set (typically a test split, embedded by a model that never saw it), genres[i]
// the genres of track i. For every track with at least one genre (tracks with none are skipped as queries,
// but stay in the database), the candidates are ALL OTHER tracks of the set (the query itself is excluded),
// ranked by squared L2 distance (ties by smaller index); a candidate is relevant when it shares at least one
// genre with the query. RankMetrics is applied with scores = -distance to the full candidate list, so
// recall@K is true recall over the set and ndcg@K's ideal uses every relevant track of the set.
//
// The returned map has, for every K in ks, the keys precision@K, recall@K, hit_rate@K,
// average_precision@K, reciprocal_rank@K and ndcg@K (means over the queries used), plus map@K, the mean
// average precision at K, which is the same number as average_precision@K: note that it follows
// torchmetrics and normalises each query's AP by the relevant items within the top K (not by
// min(K, #relevant) as some IR definitions do; that one is average_precision_ir@K). precision@K divides by K
// even when K exceeds the number of candidates. The int is the number of queries used (tracks with >= 1 genre).
//
// Errors: dim <= 0, len(data) != len(genres)*dim, NaN/Inf, fewer than 2 tracks, a non-positive K, no
// query with a genre.
func GenreRetrieval(data []float32, dim int, genres [][]string, ks []int) (map[string]float64, int, error) {
	s, err := GenreRetrievalScores(data, dim, genres, RetrievalOptions{Ks: ks})
	if err != nil {
		return nil, 0, err
	}
	return s.Means(), len(s.Queries), nil
}

// RetrievalOptions configures GenreRetrievalScores.
type RetrievalOptions struct {
	Ks []int // cut-offs (required)
	// Artists, when non-nil (one per track), adds the same-artist-excluded variant of every metric, keyed
	// "other_artist_<metric>@K": the query's list then holds only candidates by other artists, so neighbours
	// that match because they are the same artist's other songs no longer count.
	Artists []string
}

// QueryScores holds per-query metric values: Values[key][j] is the value of metric key for query j, whose
// row in the scored set is Queries[j]. Means averages them; ClusterBootstrap puts intervals on the means.
type QueryScores struct {
	Queries []int
	Values  map[string][]float64
}

// Means returns the mean of every metric over the queries (0 for no queries).
func (s *QueryScores) Means() map[string]float64 {
	out := make(map[string]float64, len(s.Values))
	for k, v := range s.Values {
		sum := 0.0
		for _, x := range v {
			sum += x
		}
		if len(v) > 0 {
			out[k] = sum / float64(len(v))
		}
	}
	return out
}

// Add stores the values of other (same queries, in the same order) under its keys.
func (s *QueryScores) Add(other *QueryScores) error {
	if len(other.Queries) != len(s.Queries) {
		return fmt.Errorf("evaluation: QueryScores.Add: %d queries, want %d", len(other.Queries), len(s.Queries))
	}
	for j, q := range other.Queries {
		if s.Queries[j] != q {
			return fmt.Errorf("evaluation: QueryScores.Add: query %d is row %d, want row %d", j, q, s.Queries[j])
		}
	}
	for k, v := range other.Values {
		s.Values[k] = v
	}
	return nil
}

// GenreRetrievalScores is GenreRetrieval with the per-query values kept (the keys of GenreRetrieval,
// average_precision_ir@K, and with opt.Artists the other_artist_ variants).
//
// average_precision_ir@K is the textbook AP@K: the sum of precision@rank over the relevant items within the
// top K, divided by min(K, R) where R is the number of relevant candidates (0 when R = 0). It is never above
// torchmetrics' average_precision@K, which divides by the relevant items found within the top K.
func GenreRetrievalScores(data []float32, dim int, genres [][]string, opt RetrievalOptions) (*QueryScores, error) {
	n := len(genres)
	ks := opt.Ks
	if err := checkMatrix(data, dim, n, "data"); err != nil {
		return nil, fmt.Errorf("evaluation: GenreRetrieval: %w", err)
	}
	if n < 2 {
		return nil, fmt.Errorf("evaluation: GenreRetrieval: need at least 2 tracks, got %d", n)
	}
	if len(ks) == 0 {
		return nil, errors.New("evaluation: GenreRetrieval: no cut-offs")
	}
	for _, k := range ks {
		if k <= 0 {
			return nil, fmt.Errorf("evaluation: GenreRetrieval: cut-off k must be positive, got %d", k)
		}
	}
	if opt.Artists != nil && len(opt.Artists) != n {
		return nil, fmt.Errorf("evaluation: GenreRetrieval: %d artists for %d tracks", len(opt.Artists), n)
	}
	sets := genreSets(genres)
	queries := genreQueries(genres)
	if len(queries) == 0 {
		return nil, errors.New("evaluation: GenreRetrieval: no track has a genre")
	}
	qdata := GatherRows(data, dim, queries)
	res, err := nearest(data, dim, qdata, n-1, func(q, i int) bool { return queries[q] == i })
	if err != nil {
		return nil, fmt.Errorf("evaluation: GenreRetrieval: %w", err)
	}

	out := &QueryScores{Queries: queries, Values: map[string][]float64{}}
	prefixes := []string{""}
	if opt.Artists != nil {
		prefixes = append(prefixes, "other_artist_")
	}
	for _, prefix := range prefixes {
		for _, k := range ks {
			for _, name := range append(slices.Clone(MetricNames), "map", "average_precision_ir") {
				out.Values[prefix+metricKey(name, k)] = make([]float64, len(queries))
			}
		}
	}
	scores := make([]float64, 0, n-1)
	rel := make([]bool, 0, n-1)
	for qi, q := range queries {
		for _, prefix := range prefixes {
			scores, rel = scores[:0], rel[:0]
			for _, nb := range res[qi] {
				if prefix != "" && opt.Artists[nb.Index] == opt.Artists[q] {
					continue
				}
				scores = append(scores, -nb.Dist)
				rel = append(rel, sharesGenre(sets[q], sets[nb.Index]))
			}
			storeRankMetrics(out.Values, prefix, qi, scores, rel, ks)
		}
	}
	return out, nil
}

// storeRankMetrics writes query qi's metrics for a ranked candidate list (scores descending ties stable).
func storeRankMetrics(values map[string][]float64, prefix string, qi int, scores []float64, rel []bool, ks []int) {
	if len(scores) == 0 { // every candidate excluded: nothing relevant can be found
		return
	}
	ms := RankMetricsAt(scores, rel, ks)
	total := 0
	for _, r := range rel {
		if r {
			total++
		}
	}
	for ki, k := range ks {
		v := ms[ki].values()
		for t, name := range MetricNames {
			values[prefix+metricKey(name, k)][qi] = v[t]
		}
		values[prefix+metricKey("map", k)][qi] = v[3]
		values[prefix+metricKey("average_precision_ir", k)][qi] = irAveragePrecision(scores, rel, k, total)
	}
}

// irAveragePrecision is AP@k normalised by min(k, total relevant), over a list ranked by descending score
// (ties in list order).
func irAveragePrecision(scores []float64, rel []bool, k, total int) float64 {
	if total == 0 {
		return 0
	}
	order := make([]int, len(scores))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return scores[order[a]] > scores[order[b]] })
	hits, sum := 0, 0.0
	for p, i := range order[:min(k, len(order))] {
		if rel[i] {
			hits++
			sum += float64(hits) / float64(p+1)
		}
	}
	return sum / float64(min(k, total))
}

// genreQueries returns the rows that have at least one genre.
func genreQueries(genres [][]string) []int {
	var queries []int
	for i, g := range genres {
		if len(g) > 0 {
			queries = append(queries, i)
		}
	}
	return queries
}

// KNNGenreAccuracy is k-nearest-neighbour genre classification of a held-out set. Every test track with at
// least one genre is assigned the genre with the most votes among its k nearest training tracks (exact
// squared L2, ties in distance by smaller training index); each neighbour casts one vote for each of its
// genres. Ties in votes are broken by proximity: the tied genre held by the nearest neighbour wins; among
// tied genres of that same neighbour, the one listed first in its genre list wins. The prediction is correct
// when it is one of the test track's genres. Test tracks whose k neighbours have no genre at all get no
// prediction and count as wrong. k larger than the training set uses the whole training set.
//
// It returns the accuracy and n, the number of test tracks with >= 1 genre (accuracy 0 when n = 0).
// Errors: dim <= 0, k <= 0, matrix/genre length mismatches, NaN/Inf, empty training set.
func KNNGenreAccuracy(trainData []float32, trainGenres [][]string, testData []float32, testGenres [][]string, dim, k int) (acc float64, n int, err error) {
	queries, correct, err := KNNGenreCorrect(trainData, trainGenres, testData, testGenres, dim, k)
	if err != nil || len(queries) == 0 {
		return 0, 0, err
	}
	return mean(correct), len(queries), nil
}

// KNNGenreCorrect is KNNGenreAccuracy per query: the test rows with >= 1 genre (in order) and, for each,
// 1 when the k-NN prediction is one of its genres, else 0.
func KNNGenreCorrect(trainData []float32, trainGenres [][]string, testData []float32, testGenres [][]string, dim, k int) (queries []int, correct []float64, err error) {
	if err := checkMatrix(trainData, dim, len(trainGenres), "trainData"); err != nil {
		return nil, nil, fmt.Errorf("evaluation: KNNGenreAccuracy: %w", err)
	}
	if err := checkMatrix(testData, dim, len(testGenres), "testData"); err != nil {
		return nil, nil, fmt.Errorf("evaluation: KNNGenreAccuracy: %w", err)
	}
	if k <= 0 {
		return nil, nil, fmt.Errorf("evaluation: KNNGenreAccuracy: k must be positive, got %d", k)
	}
	if len(trainGenres) == 0 {
		return nil, nil, errors.New("evaluation: KNNGenreAccuracy: empty training set")
	}
	queries = genreQueries(testGenres)
	res, err := nearest(trainData, dim, GatherRows(testData, dim, queries), k, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("evaluation: KNNGenreAccuracy: %w", err)
	}
	correct = make([]float64, len(queries))
	for qi, q := range queries {
		if pred, ok := voteGenre(res[qi], trainGenres); ok && contains(testGenres[q], pred) {
			correct[qi] = 1
		}
	}
	return queries, correct, nil
}

func mean(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// LeaveOneOutKNNAccuracy is KNNGenreAccuracy within one set: every track with at least one genre is
// classified by its k nearest OTHER tracks of the same set (itself excluded). Same voting and tie rules.
// Errors: dim <= 0, k <= 0, length mismatch, NaN/Inf, fewer than 2 tracks.
func LeaveOneOutKNNAccuracy(data []float32, genres [][]string, dim, k int) (acc float64, n int, err error) {
	if err := checkMatrix(data, dim, len(genres), "data"); err != nil {
		return 0, 0, fmt.Errorf("evaluation: LeaveOneOutKNNAccuracy: %w", err)
	}
	if k <= 0 {
		return 0, 0, fmt.Errorf("evaluation: LeaveOneOutKNNAccuracy: k must be positive, got %d", k)
	}
	if len(genres) < 2 {
		return 0, 0, fmt.Errorf("evaluation: LeaveOneOutKNNAccuracy: need at least 2 tracks, got %d", len(genres))
	}
	var queries []int
	for i, g := range genres {
		if len(g) > 0 {
			queries = append(queries, i)
		}
	}
	res, err := nearest(data, dim, GatherRows(data, dim, queries), k, func(q, i int) bool { return queries[q] == i })
	if err != nil {
		return 0, 0, fmt.Errorf("evaluation: LeaveOneOutKNNAccuracy: %w", err)
	}
	correct := 0
	for qi, q := range queries {
		if pred, ok := voteGenre(res[qi], genres); ok && contains(genres[q], pred) {
			correct++
		}
	}
	if len(queries) == 0 {
		return 0, 0, nil
	}
	return float64(correct) / float64(len(queries)), len(queries), nil
}

// voteGenre returns the majority genre among the neighbours (sorted nearest first), ties broken by the
// nearest neighbour holding a tied genre, then by that neighbour's genre-list order.
func voteGenre(neighbors []index.Neighbor, genres [][]string) (string, bool) {
	votes := map[string]int{}
	type firstSeen struct{ rank, pos int }
	first := map[string]firstSeen{}
	for r, nb := range neighbors {
		seen := map[string]bool{} // a neighbour votes once per distinct genre
		for p, g := range genres[nb.Index] {
			if seen[g] {
				continue
			}
			seen[g] = true
			votes[g]++
			if _, ok := first[g]; !ok {
				first[g] = firstSeen{r, p}
			}
		}
	}
	best, found := "", false
	for g, v := range votes {
		if !found {
			best, found = g, true
			continue
		}
		bv, fb, fg := votes[best], first[best], first[g]
		if v > bv || (v == bv && (fg.rank < fb.rank || (fg.rank == fb.rank && fg.pos < fb.pos))) {
			best = g
		}
	}
	return best, found
}

// Normalize returns a copy of data (row-major, dim columns) with every row scaled to unit L2 norm (norm
// computed in float64). Zero rows stay zero. It panics if dim <= 0 or len(data) is not a multiple of dim.
func Normalize(data []float32, dim int) []float32 {
	if dim <= 0 || len(data)%dim != 0 {
		panic(fmt.Sprintf("evaluation: Normalize: len(data)=%d is not a multiple of dim=%d", len(data), dim))
	}
	out := make([]float32, len(data))
	for r := 0; r < len(data); r += dim {
		row := data[r : r+dim]
		s := 0.0
		for _, v := range row {
			s += float64(v) * float64(v)
		}
		if s == 0 {
			continue
		}
		inv := 1 / math.Sqrt(s)
		for j, v := range row {
			out[r+j] = float32(float64(v) * inv)
		}
	}
	return out
}

// Block is one row-major matrix (Dim columns) for Concat.
type Block struct {
	Data []float32
	Dim  int
}

// Concat joins blocks column-wise: row i of the result is row i of every block in order. It returns the
// data and its total dimension, or an error when a block has Dim <= 0, a length that is not a multiple of
// its Dim, or a row count different from the first block's. No blocks gives (nil, 0, nil).
func Concat(blocks ...Block) ([]float32, int, error) {
	if len(blocks) == 0 {
		return nil, 0, nil
	}
	rows, total := -1, 0
	for b, bl := range blocks {
		if bl.Dim <= 0 || len(bl.Data)%bl.Dim != 0 {
			return nil, 0, fmt.Errorf("evaluation: Concat: block %d has %d values, not a multiple of dim %d", b, len(bl.Data), bl.Dim)
		}
		r := len(bl.Data) / bl.Dim
		if rows >= 0 && r != rows {
			return nil, 0, fmt.Errorf("evaluation: Concat: block %d has %d rows, block 0 has %d", b, r, rows)
		}
		rows = r
		total += bl.Dim
	}
	out := make([]float32, 0, rows*total)
	for r := 0; r < rows; r++ {
		for _, bl := range blocks {
			out = append(out, bl.Data[r*bl.Dim:(r+1)*bl.Dim]...)
		}
	}
	return out, total, nil
}

func genreSets(genres [][]string) []map[string]bool {
	sets := make([]map[string]bool, len(genres))
	for i, gs := range genres {
		s := make(map[string]bool, len(gs))
		for _, g := range gs {
			s[g] = true
		}
		sets[i] = s
	}
	return sets
}

func sharesGenre(a, b map[string]bool) bool {
	if len(b) < len(a) {
		a, b = b, a
	}
	for g := range a {
		if b[g] {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// GatherRows returns the given rows of a row-major matrix with dim columns, in the given order.
func GatherRows(data []float32, dim int, rows []int) []float32 {
	out := make([]float32, 0, len(rows)*dim)
	for _, r := range rows {
		out = append(out, data[r*dim:(r+1)*dim]...)
	}
	return out
}
