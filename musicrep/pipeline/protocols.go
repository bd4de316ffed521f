package pipeline

import (
	"fmt"
	"slices"
	"strings"

	"github.com/musicrep/musicrep/evaluation"
	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/corpus"
	"github.com/musicrep/musicrep/musicrep/results"
)

// PaperEvaluation scores every embeddings set with binding_music's protocol (evaluation.PaperProtocol):
// relevance from positivesFile, all tracks searched with the query included.
func PaperEvaluation(c *corpus.Corpus, positivesFile string, opt evaluation.PaperOptions, sets []*musicrep.Embeddings) (*results.Table, error) {
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
	t := &results.Table{Protocol: "paper", Ks: opt.Ks}
	for _, e := range sets {
		rep, err := evaluation.PaperProtocol(ids, e.Data, e.Dim, posIDs, opt)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name, err)
		}
		t.Description = rep.Protocol
		t.NumQueries = rep.NumQueries
		t.Rows = append(t.Rows, results.Row{Name: e.Name, Kind: e.Kind, Source: e.Source, Note: collapsedNote(e, e.Data),
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
func HeldoutEvaluation(c *corpus.Corpus, split *Split, opt HeldoutOptions, sets []*musicrep.Embeddings) (*results.Table, error) {
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
	t := &results.Table{Protocol: "heldout", Ks: opt.Ks}
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
		t.Rows = append(t.Rows, results.Row{Name: e.Name, Kind: e.Kind, Source: e.Source, Note: collapsedNote(e, testData),
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
		t.Rows = append(t.Rows, results.Row{Name: "chance", Kind: "chance", Source: "random rankings and random neighbours",
			Note: "expected score of a uniformly random ranking of the candidates (and of 10 random training " +
				"neighbours for k-NN), 200 draws per query", Metrics: chance.Means(), CI95: score(chance)})
		maj, _, majCorrect := evaluation.MajorityGenre(trainGenres, testGenres)
		ms := &evaluation.QueryScores{Queries: chance.Queries, Values: map[string][]float64{knnKey: majCorrect}}
		t.Rows = append(t.Rows, results.Row{Name: fmt.Sprintf("majority (always %q)", maj), Kind: "majority",
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
				t.Comparisons = append(t.Comparisons, results.Comparison{A: e.Name, B: name, Metric: m, Diff: means[m],
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
