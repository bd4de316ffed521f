package pipeline

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/musicrep/musicrep/evaluation"
	"github.com/musicrep/musicrep/musicrep/corpus"
)

// Row is one scored set of embeddings in a results table.
type Row struct {
	Name    string             `json:"name"`
	Kind    string             `json:"kind"` // learned, published or baseline
	Source  string             `json:"source"`
	Note    string             `json:"note,omitempty"`
	Dim     int                `json:"dim"`
	Metrics map[string]float64 `json:"metrics"`
}

// Table is the result of one protocol over several embeddings.
type Table struct {
	Protocol    string   `json:"protocol"`    // "paper" or "heldout"
	Description string   `json:"description"` // data, split, relevance definition, protocol, in-sample status
	Notes       []string `json:"notes,omitempty"`
	Ks          []int    `json:"ks"`
	NumQueries  int      `json:"num_queries"`
	Rows        []Row    `json:"rows"`
}

// PaperEvaluation scores every embeddings set with binding_music's protocol (evaluation.PaperProtocol):
// relevance from positivesFile, all tracks searched with the query included.
func PaperEvaluation(c *corpus.Corpus, positivesFile string, opt evaluation.PaperOptions, sets []*Embeddings) (*Table, error) {
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
		t.Rows = append(t.Rows, Row{Name: e.Name, Kind: e.Kind, Source: e.Source, Note: e.Note, Dim: e.Dim,
			Metrics: rep.Metrics})
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
	Ks   []int // retrieval cut-offs; default 10, 25
	KNNK int   // neighbours of the k-NN genre classifier; default 10
}

// HeldoutEvaluation is the honest protocol: queries are the test tracks of split, searched among the test
// tracks only (query excluded); a candidate is relevant when it shares a Deezer genre with the query (metadata
// no model saw as a label); tracks without genres are not queries. It also reports a k-NN genre classifier
// that labels each test track with the majority genre of its nearest training tracks.
func HeldoutEvaluation(c *corpus.Corpus, split *Split, opt HeldoutOptions, sets []*Embeddings) (*Table, error) {
	if len(opt.Ks) == 0 {
		opt.Ks = []int{10, 25}
	}
	if opt.KNNK == 0 {
		opt.KNNK = 10
	}
	if len(split.Test) < 2 || len(split.Train) == 0 {
		return nil, fmt.Errorf("held-out protocol: the split has %d train and %d test tracks; both must be non-empty",
			len(split.Train), len(split.Test))
	}
	genres := func(rows []int) [][]string {
		out := make([][]string, len(rows))
		for i, r := range rows {
			out[i] = c.Tracks[r].Genres
		}
		return out
	}
	testGenres, trainGenres := genres(split.Test), genres(split.Train)
	t := &Table{Protocol: "heldout", Ks: opt.Ks}
	for _, e := range sets {
		test := evaluation.GatherRows(e.Data, e.Dim, split.Test)
		train := evaluation.GatherRows(e.Data, e.Dim, split.Train)
		metrics, nq, err := evaluation.GenreRetrieval(test, e.Dim, testGenres, opt.Ks)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name, err)
		}
		acc, _, err := evaluation.KNNGenreAccuracy(train, trainGenres, test, testGenres, e.Dim, opt.KNNK)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name, err)
		}
		metrics[fmt.Sprintf("knn_genre_accuracy@%d", opt.KNNK)] = acc
		t.NumQueries = nq
		t.Rows = append(t.Rows, Row{Name: e.Name, Kind: e.Kind, Source: e.Source, Note: e.Note, Dim: e.Dim,
			Metrics: metrics})
	}
	t.Description = fmt.Sprintf("held-out protocol on Fairouz, %s. Queries: the %d test tracks with at least one "+
		"genre, searched among the %d test tracks only (query excluded), exact squared L2. Relevance: the "+
		"candidate shares at least one Deezer genre with the query. k-NN genre accuracy: majority genre of the "+
		"%d nearest training tracks, correct if it is one of the test track's genres.", split, t.NumQueries,
		len(split.Test), opt.KNNK)
	t.Notes = []string{
		"Learned models marked 'heldout' were trained only on pairs whose two tracks are training tracks; models " +
			"trained on all pairs saw the test tracks (not held out) and are listed for contrast only.",
		"The graph embeddings (and any model or baseline that uses them) were built from track–artist–album–genre " +
			"links over all 822 tracks, test tracks included, so they encode the genre labels this protocol scores: " +
			"their numbers are an upper bound, not a fair comparison. raw audio is the leak-free baseline.",
	}
	return t, nil
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

// Markdown renders the table with the given metric columns (all when nil).
func (t *Table) Markdown(columns []string) string {
	if columns == nil {
		columns = t.MetricColumns()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "| embeddings | kind | dim | %s |\n", strings.Join(columns, " | "))
	fmt.Fprintf(&b, "|---|---|---|%s\n", strings.Repeat("---|", len(columns)))
	for _, r := range t.Rows {
		fmt.Fprintf(&b, "| %s | %s | %d |", r.Name, r.Kind, r.Dim)
		for _, c := range columns {
			if v, ok := r.Metrics[c]; ok && (c == "queries" || c == "candidates") {
				fmt.Fprintf(&b, " %.0f |", v) // counts
			} else if ok {
				fmt.Fprintf(&b, " %.4f |", v)
			} else {
				b.WriteString(" – |")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// JSON returns the table as indented JSON.
func (t *Table) JSON() ([]byte, error) { return json.MarshalIndent(t, "", "  ") }
