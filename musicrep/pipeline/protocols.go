package pipeline

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/musicrep/musicrep/evaluation"
	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/corpus"
)

// Row is one scored set of embeddings in a results table.
type Row struct {
	Name    string             `json:"name"`
	Kind    string             `json:"kind"` // learned, published or baseline
	Source  string             `json:"source"`
	Note    string             `json:"note,omitempty"`
	Dim     int                `json:"dim"`
	Leaks   bool               `json:"leaks,omitempty"` // built from the labels scored: an upper bound
	Metrics map[string]float64 `json:"metrics"`
	// CI95 is the 95 % bootstrap interval of each metric (held-out protocol: test artists resampled).
	CI95 map[string][2]float64 `json:"ci95,omitempty"`
}

// Comparison is the paired difference A − B of one metric between two rows of a table, over the same
// queries, with its 95 % bootstrap interval (same resamples for both rows).
type Comparison struct {
	A           string     `json:"a"`
	B           string     `json:"b"`
	Metric      string     `json:"metric"`
	Diff        float64    `json:"diff"`
	CI95        [2]float64 `json:"ci95"`
	Significant bool       `json:"significant"` // the interval excludes zero
}

// Verdict says in words what the comparison shows.
func (c Comparison) Verdict() string {
	switch {
	case !c.Significant:
		return "not significant"
	case c.Diff > 0:
		return "A better"
	default:
		return "B better"
	}
}

// Table is the result of one protocol over several embeddings.
type Table struct {
	Protocol    string   `json:"protocol"`    // "paper" or "heldout"
	Description string   `json:"description"` // data, split, relevance definition, protocol, in-sample status
	Notes       []string `json:"notes,omitempty"`
	Ks          []int    `json:"ks"`
	NumQueries  int      `json:"num_queries"`
	Rows        []Row    `json:"rows"`
	// DuplicatesRemoved lists the test tracks left out as exact duplicates (held-out protocol): each entry
	// is the removed track's id and the id of the track it duplicates.
	DuplicatesRemoved [][2]string  `json:"duplicates_removed,omitempty"`
	Comparisons       []Comparison `json:"comparisons,omitempty"`
}

// PaperEvaluation scores every embeddings set with binding_music's protocol (evaluation.PaperProtocol):
// relevance from positivesFile, all tracks searched with the query included.
func PaperEvaluation(c *corpus.Corpus, positivesFile string, opt evaluation.PaperOptions, sets []*musicrep.Embeddings) (*Table, error) {
	if err := checkSets(c, sets); err != nil {
		return nil, err
	}
	_, positives, err := corpus.LoadPairs(positivesFile, c.Index)
	if err != nil {
		return nil, err
	}
	ids := IDs(c)
	posIDs := make(map[string][]string, len(positives))
	for anchor, rows := range positives {
		list := make([]string, len(rows))
		for i, r := range rows {
			list[i] = ids[r]
		}
		posIDs[ids[anchor]] = list
	}
	if opt.Candidates == 0 {
		opt.Candidates = evaluation.DefaultPaperOptions().Candidates
	}
	if len(opt.Ks) == 0 {
		opt.Ks = evaluation.DefaultPaperOptions().Ks
	}
	t := &Table{Protocol: "paper", Ks: opt.Ks}
	for _, e := range sets {
		rep, err := evaluation.PaperProtocol(ids, e.Data, e.Dim, posIDs, opt)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name, err)
		}
		t.Description = rep.Protocol
		t.NumQueries = rep.NumQueries
		t.Rows = append(t.Rows, Row{Name: e.Name, Kind: e.Kind, Source: e.Source, Note: collapsedNote(e, e.Data),
			Dim: e.Dim, Leaks: e.Leaks, Metrics: rep.Metrics})
	}
	t.Description = fmt.Sprintf("binding_music's evaluate.ipynb protocol on %d Fairouz tracks: exact squared-L2 "+
		"search over all tracks with the query itself included (rank 1, never relevant), top %d candidates, "+
		"relevance = candidate is in the query's positives of %s, torchmetrics retrieval semantics, mean over "+
		"all %d queries", len(c.Tracks), opt.Candidates, positivesFile, len(c.Tracks))
	t.Notes = []string{
		"IN-SAMPLE: the positives are the training pairs of the learned models (and each track's nearest " +
			"neighbours in the raw audio and graph spaces), so this protocol rewards reproducing the raw spaces; " +
			"it is reported for comparison with the published numbers, not as evidence of generalisation.",
		"The graph embeddings were built from artist and genre links, so they leak those labels.",
	}
	return t, nil
}

// HeldoutOptions configures HeldoutEvaluation.
type HeldoutOptions struct {
	Ks        []int  // retrieval cut-offs; default 10, 25
	KNNK      int    // neighbours of the k-NN genre classifier; default 10
	Resamples int    // bootstrap resamples of the intervals; default evaluation.DefaultResamples
	Seed      uint64 // seed of the bootstrap and of the chance row's random draws; default 1
	// KeepDuplicates keeps test tracks whose audio features exactly equal another track's (removed by
	// default: a duplicate is found by any embedding of its twin, which says nothing about genre).
	KeepDuplicates bool
	// NoChance leaves out the chance and majority rows.
	NoChance bool
	// CompareOnly limits the paired comparisons to the learned rows with these names (all leak-free learned
	// rows when empty).
	CompareOnly []string
}

// HeldoutEvaluation is the honest protocol: queries are the test tracks of split, searched among the test
// tracks only (query excluded); a candidate is relevant when it shares a Deezer genre with the query (metadata
// no model saw as a label); tracks without genres are not queries. Every retrieval metric is also reported
// with the query's own artist's tracks removed from its candidates (other_artist_…), and a k-NN genre
// classifier labels each test track with the majority genre of its nearest training tracks. Exact duplicate
// tracks (identical audio features) are removed from the test tracks and listed. Every metric gets a 95 %
// interval from a bootstrap over test artists; a chance row (random rankings, random neighbours) and a
// majority row (always the most common training genre) are added, and every learned row is compared with
// every leak-free baseline and chance by paired bootstrap differences.
func HeldoutEvaluation(c *corpus.Corpus, split *Split, opt HeldoutOptions, sets []*musicrep.Embeddings) (*Table, error) {
	if err := checkSets(c, sets); err != nil {
		return nil, err
	}
	if len(opt.Ks) == 0 {
		opt.Ks = []int{10, 25}
	}
	if opt.KNNK == 0 {
		opt.KNNK = 10
	}
	if opt.Seed == 0 {
		opt.Seed = 1
	}
	if opt.Resamples <= 0 {
		opt.Resamples = evaluation.DefaultResamples
	}
	if len(split.Test) < 2 || len(split.Train) == 0 {
		return nil, fmt.Errorf("held-out protocol: the split has %d train and %d test tracks; both must be non-empty",
			len(split.Train), len(split.Test))
	}
	t := &Table{Protocol: "heldout", Ks: opt.Ks}
	test := split.Test
	if !opt.KeepDuplicates {
		test, t.DuplicatesRemoved = dropDuplicates(c, split)
	}
	genres := func(rows []int) [][]string {
		out := make([][]string, len(rows))
		for i, r := range rows {
			out[i] = c.Tracks[r].Genres
		}
		return out
	}
	testGenres, trainGenres := genres(test), genres(split.Train)
	artists := make([]string, len(test))
	for i, r := range test {
		artists[i] = c.Tracks[r].Artist
	}
	knnKey := fmt.Sprintf("knn_genre_accuracy@%d", opt.KNNK)
	ropt := evaluation.RetrievalOptions{Ks: opt.Ks, Artists: artists}
	var clusters []string
	score := func(s *evaluation.QueryScores) map[string][2]float64 {
		if clusters == nil {
			for _, q := range s.Queries {
				clusters = append(clusters, artists[q])
			}
		}
		return evaluation.ClusterBootstrap(s.Values, clusters, opt.Resamples, opt.Seed)
	}
	perQuery := make([]*evaluation.QueryScores, 0, len(sets)+1)
	for _, e := range sets {
		testData := evaluation.GatherRows(e.Data, e.Dim, test)
		trainData := evaluation.GatherRows(e.Data, e.Dim, split.Train)
		s, err := evaluation.GenreRetrievalScores(testData, e.Dim, testGenres, ropt)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name, err)
		}
		_, correct, err := evaluation.KNNGenreCorrect(trainData, trainGenres, testData, testGenres, e.Dim, opt.KNNK)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name, err)
		}
		s.Values[knnKey] = correct
		t.NumQueries = len(s.Queries)
		perQuery = append(perQuery, s)
		t.Rows = append(t.Rows, Row{Name: e.Name, Kind: e.Kind, Source: e.Source, Note: collapsedNote(e, testData),
			Dim: e.Dim, Leaks: e.Leaks, Metrics: s.Means(), CI95: score(s)})
	}
	var chance *evaluation.QueryScores
	if !opt.NoChance {
		var err error
		if chance, err = evaluation.ChanceGenreRetrieval(testGenres, ropt, 200, opt.Seed); err != nil {
			return nil, err
		}
		_, correct, err := evaluation.ChanceKNNAccuracy(trainGenres, testGenres, opt.KNNK, 200, opt.Seed)
		if err != nil {
			return nil, err
		}
		chance.Values[knnKey] = correct
		t.NumQueries = len(chance.Queries)
		t.Rows = append(t.Rows, Row{Name: "chance", Kind: "chance", Source: "random rankings and random neighbours",
			Note: "expected score of a uniformly random ranking of the candidates (and of 10 random training " +
				"neighbours for k-NN), 200 draws per query", Metrics: chance.Means(), CI95: score(chance)})
		maj, _, majCorrect := evaluation.MajorityGenre(trainGenres, testGenres)
		ms := &evaluation.QueryScores{Queries: chance.Queries, Values: map[string][]float64{knnKey: majCorrect}}
		t.Rows = append(t.Rows, Row{Name: fmt.Sprintf("majority (always %q)", maj), Kind: "majority",
			Source: "the most common genre of the training tracks", Note: "a classifier baseline: it has no ranking",
			Metrics: ms.Means(), CI95: score(ms)})
	}
	// Paired comparisons: every leak-free learned or published row against every leak-free baseline and chance.
	metrics := []string{fmt.Sprintf("precision@%d", opt.Ks[0]), fmt.Sprintf("other_artist_precision@%d", opt.Ks[0]), knnKey}
	for i, e := range sets {
		if e.Kind == "baseline" || e.Leaks || (len(opt.CompareOnly) > 0 && !slices.Contains(opt.CompareOnly, e.Name)) {
			continue
		}
		var against []int
		for j, b := range sets {
			if b.Kind == "baseline" && !b.Leaks {
				against = append(against, j)
			}
		}
		if chance != nil {
			against = append(against, -1)
		}
		for _, j := range against {
			other, name := chance, "chance"
			if j >= 0 {
				other, name = perQuery[j], sets[j].Name
			}
			d, err := evaluation.Differences(perQuery[i], other)
			if err != nil {
				return nil, err
			}
			ci := score(d)
			means := d.Means()
			for _, m := range metrics {
				lohi := ci[m]
				t.Comparisons = append(t.Comparisons, Comparison{A: e.Name, B: name, Metric: m, Diff: means[m],
					CI95: lohi, Significant: lohi[0] > 0 || lohi[1] < 0})
			}
		}
	}
	side := "test"
	if split.OnValidation {
		side = "validation"
	}
	t.Description = fmt.Sprintf("held-out protocol on Fairouz, %s. Queries: the %d %s tracks with at least one "+
		"genre, searched among the %d %s tracks only (query excluded), exact squared L2. Relevance: the "+
		"candidate shares at least one Deezer genre with the query. other_artist_*: the same with the query's "+
		"artist's other tracks removed from its candidates. average_precision@K is torchmetrics' AP (normalised "+
		"by the relevant items found in the top K; map@K is the same number); average_precision_ir@K is the "+
		"textbook AP@K (normalised by min(K, relevant candidates)). k-NN genre accuracy: majority genre of the "+
		"%d nearest training tracks, correct if it is one of the %s track's genres. Intervals: 95 %% "+
		"percentile bootstrap over the %s tracks' artists (%d resamples, seed %d).", split, t.NumQueries, side,
		len(test), side, opt.KNNK, side, side, opt.Resamples, opt.Seed)
	t.Notes = []string{
		"Learned models marked 'heldout' were trained only on tracks (and pairs) of the training split; models " +
			"trained on all pairs saw the test tracks (not held out) and are listed for contrast only.",
		"Rows marked LEAKS were built from the genre labels this protocol scores (binding_music's graph links " +
			"every track, test tracks included, to its genres): upper bounds, not baselines.",
	}
	if len(t.DuplicatesRemoved) > 0 {
		var list []string
		for _, d := range t.DuplicatesRemoved {
			list = append(list, d[0]+" (= "+d[1]+")")
		}
		t.Notes = append(t.Notes, fmt.Sprintf("%d test tracks removed as exact audio duplicates of another track: %s.",
			len(list), strings.Join(list, ", ")))
	}
	return t, nil
}

// dropDuplicates returns the test rows without exact audio duplicates, and the removed (id, twin id) pairs.
// Within a group of identical audio vectors the training tracks stay (the model trained on them) and so does
// the first test track when no training track is in the group.
func dropDuplicates(c *corpus.Corpus, split *Split) ([]int, [][2]string) {
	audio, ok := c.Features[musicrep.Audio]
	if !ok || audio.TokenIDs() {
		return split.Test, nil
	}
	var rows []int
	for _, part := range [][]int{split.Train, split.Test} {
		for _, r := range part {
			if audio.Present[r] {
				rows = append(rows, r)
			}
		}
	}
	isTest := map[int]bool{}
	for _, r := range split.Test {
		isTest[r] = true
	}
	drop := map[int]bool{}
	var removed [][2]string
	for _, group := range evaluation.ExactDuplicates(evaluation.GatherRows(audio.Data, audio.Dim, rows), audio.Dim) {
		keep := rows[group[0]] // train rows come first in rows, so a training twin is kept
		for _, g := range group[1:] {
			if r := rows[g]; isTest[r] {
				drop[r] = true
				removed = append(removed, [2]string{c.Tracks[r].ID, c.Tracks[keep].ID})
			}
		}
	}
	if len(drop) == 0 {
		return split.Test, nil
	}
	var out []int
	for _, r := range split.Test {
		if !drop[r] {
			out = append(out, r)
		}
	}
	return out, removed
}

// MetricColumns returns the table's metric keys in a stable, readable order.
func (t *Table) MetricColumns() []string {
	seen := map[string]bool{}
	var keys []string
	for _, r := range t.Rows {
		for k := range r.Metrics {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	order := map[string]int{"precision": 0, "recall": 1, "hit_rate": 2, "average_precision": 3, "map": 3,
		"reciprocal_rank": 4, "ndcg": 5, "knn_genre_accuracy": 6}
	sort.Slice(keys, func(i, j int) bool {
		ni, ki := splitKey(keys[i])
		nj, kj := splitKey(keys[j])
		if ki != kj {
			return ki < kj
		}
		if order[ni] != order[nj] {
			return order[ni] < order[nj]
		}
		return ni < nj
	})
	return keys
}

func splitKey(key string) (string, int) {
	name, k, _ := strings.Cut(key, "@")
	var n int
	_, _ = fmt.Sscan(k, &n)
	return name, n
}

// Markdown renders the table with the given metric columns (all when nil). A metric with an interval is
// written "value (lo–hi)"; rows that leak the scored labels say so in their kind.
func (t *Table) Markdown(columns []string) string {
	if columns == nil {
		columns = t.MetricColumns()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "| embeddings | kind | dim | %s |\n", strings.Join(columns, " | "))
	fmt.Fprintf(&b, "|---|---|---|%s\n", strings.Repeat("---|", len(columns)))
	for _, r := range t.Rows {
		kind := r.Kind
		if r.Leaks {
			kind += ", LEAKS"
		}
		dim := fmt.Sprint(r.Dim)
		if r.Dim == 0 {
			dim = "–"
		}
		fmt.Fprintf(&b, "| %s | %s | %s |", r.Name, kind, dim)
		for _, c := range columns {
			v, ok := r.Metrics[c]
			ci, hasCI := r.CI95[c]
			switch {
			case ok && (c == "queries" || c == "candidates"):
				fmt.Fprintf(&b, " %.0f |", v) // counts
			case ok && hasCI:
				fmt.Fprintf(&b, " %.3f (%.3f–%.3f) |", v, ci[0], ci[1])
			case ok:
				fmt.Fprintf(&b, " %.4f |", v)
			default:
				b.WriteString(" – |")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// ComparisonsMarkdown renders the paired comparisons (nothing when there are none).
func (t *Table) ComparisonsMarkdown() string {
	if len(t.Comparisons) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("| A | B | metric | A − B | 95 % interval | verdict |\n|---|---|---|---|---|---|\n")
	for _, c := range t.Comparisons {
		fmt.Fprintf(&b, "| %s | %s | %s | %+.3f | [%+.3f, %+.3f] | %s |\n", c.A, c.B, c.Metric, c.Diff, c.CI95[0],
			c.CI95[1], c.Verdict())
	}
	return b.String()
}

// JSON returns the table as indented JSON.
func (t *Table) JSON() ([]byte, error) { return json.MarshalIndent(t, "", "  ") }

// AcrossSplits summarises the same protocol run on several splits: row i of the result is row i of every
// table (the tables must list the same rows in the same order, as Reproduce builds them), its metrics the
// mean over the splits and its interval the 95 % Student t interval of that mean over splits
// (mean ± t(0.975, n−1)·sd/√n). This interval measures how much the numbers move from one split of the artists
// to another, which the per-split bootstrap (over the test artists of one split) does not see.
func AcrossSplits(tables []*Table) (*Table, error) {
	if len(tables) < 2 {
		return nil, fmt.Errorf("across splits: need at least 2 tables, got %d", len(tables))
	}
	first := tables[0]
	out := &Table{Protocol: first.Protocol, Ks: first.Ks, NumQueries: first.NumQueries,
		Description: fmt.Sprintf("%s protocol, mean over %d artist splits; intervals: 95 %% Student t interval "+
			"of the mean over splits.", first.Protocol, len(tables))}
	n := float64(len(tables))
	tq := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: n - 1}.Quantile(0.975)
	for i, r := range first.Rows {
		name := r.Name
		if r.Kind == "majority" {
			name = "majority (each split's most common training genre)"
		}
		row := Row{Name: name, Kind: r.Kind, Source: r.Source, Dim: r.Dim, Leaks: r.Leaks,
			Metrics: map[string]float64{}, CI95: map[string][2]float64{}}
		row.Note = fmt.Sprintf("mean over %d splits", len(tables))
		for key := range r.Metrics {
			var vals []float64
			for ti, t := range tables {
				if len(t.Rows) != len(first.Rows) || (t.Rows[i].Name != r.Name && t.Rows[i].Kind != "majority") {
					return nil, fmt.Errorf("across splits: table %d does not list the same rows as table 0 (row %d)", ti, i)
				}
				v, ok := t.Rows[i].Metrics[key]
				if !ok {
					return nil, fmt.Errorf("across splits: table %d, row %s has no %s", ti, r.Name, key)
				}
				vals = append(vals, v)
			}
			m, sd := stat.MeanStdDev(vals, nil)
			half := tq * sd / math.Sqrt(n)
			row.Metrics[key], row.CI95[key] = m, [2]float64{m - half, m + half}
		}
		out.Rows = append(out.Rows, row)
	}
	// Comparisons present in every table: the mean paired difference over splits, t interval over splits.
	for ci, c := range first.Comparisons {
		var diffs []float64
		for _, t := range tables {
			if ci < len(t.Comparisons) && t.Comparisons[ci].Metric == c.Metric && t.Comparisons[ci].B == c.B {
				diffs = append(diffs, t.Comparisons[ci].Diff)
			}
		}
		if len(diffs) != len(tables) {
			continue
		}
		m, sd := stat.MeanStdDev(diffs, nil)
		half := tq * sd / math.Sqrt(n)
		lohi := [2]float64{m - half, m + half}
		out.Comparisons = append(out.Comparisons, Comparison{A: c.A, B: c.B, Metric: c.Metric, Diff: m, CI95: lohi,
			Significant: lohi[0] > 0 || lohi[1] < 0})
	}
	return out, nil
}

// collapsedNote is the embeddings' note, with a warning first when the scored rows are all the same vector.
func collapsedNote(e *musicrep.Embeddings, scored []float32) string {
	if !evaluation.Collapsed(scored, e.Dim) {
		return e.Note
	}
	w := "COLLAPSED: every scored track has the same vector, so the ranking is decided by ties alone and these " +
		"numbers say nothing about the model (a diverged or untrained run?)"
	if e.Note != "" {
		w += "; " + e.Note
	}
	return w
}
