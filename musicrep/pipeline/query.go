package pipeline

import (
	"fmt"
	"strings"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/corpus"
	"github.com/musicrep/musicrep/musicrep/inference"
	"github.com/musicrep/musicrep/musicrep/results"
	"github.com/musicrep/musicrep/musicrep/space"
	"github.com/musicrep/musicrep/musicrep/textenc"
)

// TextSearch answers free-text queries ("dark heavy metal", "melancholic love song") with a joint model: the
// query is encoded by all-MiniLM-L6-v2 (the text features the model was trained on), placed in the shared space
// by the model's text encoder, and compared with the tracks' embeddings in a target space.
type TextSearch struct {
	Model  *inference.Model
	Text   *textenc.Model
	Target *space.Space // the searched embeddings
	Wrap   bool         // put the query in the training text template (see QueryText)
}

// NewTextSearch loads all-MiniLM-L6-v2 (textenc.Locate) and embeds the corpus' tracks in the target space:
// "fused" (the track embedding from every modality the track has) or a modality name ("audio": the audio
// encoder alone, i.e. text→audio retrieval). The model must be a joint model with a text encoder.
func NewTextSearch(m *inference.Model, c *corpus.Corpus, target string) (*TextSearch, error) {
	if !m.SharedSpace() || m.Index(musicrep.Text) < 0 {
		return nil, fmt.Errorf("free-text search needs a joint model with a text encoder; %s is %s with %v",
			m.Checkpoint, m.Kind, m.Modalities)
	}
	dir, err := textenc.Locate()
	if err != nil {
		return nil, err
	}
	tm, err := textenc.Load(dir, m.Backend())
	if err != nil {
		return nil, err
	}
	if tm.Dim() != m.InputDims[m.Index(musicrep.Text)] {
		return nil, fmt.Errorf("the model in %s was trained on %d-d text features, all-MiniLM-L6-v2 gives %d-d: "+
			"train it on features from `musicrep features -method minilm`", m.Checkpoint,
			m.InputDims[m.Index(musicrep.Text)], tm.Dim())
	}
	var data []float32
	if target == "" || target == "fused" {
		target = "fused"
		data, err = m.EmbedCorpus(c)
	} else {
		mod, perr := musicrep.ParseModality(target)
		if perr != nil {
			return nil, fmt.Errorf("search target %q: use fused or a modality of the model (%v)", target, m.Modalities)
		}
		f, ok := c.Features[mod]
		if !ok {
			return nil, fmt.Errorf("search target %s: no %s features loaded", target, mod)
		}
		data, err = m.EmbedModality(f)
	}
	if err != nil {
		return nil, err
	}
	s, err := space.New(target, c.Tracks, data, m.EmbeddingDim)
	if err != nil {
		return nil, err
	}
	return &TextSearch{Model: m, Text: tm, Target: s, Wrap: true}, nil
}

// QueryText is what TextSearch encodes for a query: with Wrap, the query in binding_music's lyrics template
// (summary = the query, keywords = its comma-separated parts, no emotional themes), the kind of text the text
// features of the training tracks were computed from; otherwise the query as given.
func (s *TextSearch) QueryText(query string) string {
	if !s.Wrap {
		return query
	}
	var kw []string
	for _, p := range strings.Split(query, ",") {
		if p = strings.TrimSpace(p); p != "" {
			kw = append(kw, p)
		}
	}
	t := &musicrep.Track{Lyrics: query, Summary: query, Context: kw}
	return textenc.TemplateText(t)
}

// Embed returns the query's unit vector in the shared space.
func (s *TextSearch) Embed(query string) ([]float32, error) {
	if strings.TrimSpace(query) == "" {
		return nil, fmt.Errorf("empty query")
	}
	vecs, err := s.Text.Encode([]string{s.QueryText(query)}, nil)
	if err != nil {
		return nil, err
	}
	f := &musicrep.Features{Modality: musicrep.Text, Source: "query", Dim: len(vecs[0]), Data: vecs[0],
		Present: []bool{true}}
	return s.Model.EmbedModality(f)
}

// Search returns the k tracks nearest to the query in the target space.
func (s *TextSearch) Search(query string, k int) (space.Neighbors, error) {
	v, err := s.Embed(query)
	if err != nil {
		return space.Neighbors{}, err
	}
	return s.Target.Nearest(v, k, nil), nil
}

// GenreQueries scores free-text search with genre names: for each of the `top` most common primary Deezer
// genres G, the query "G music" searches the given rows (e.g. the test tracks; nil = all) and precision@k is the
// fraction of the k results that carry genre G; chance is the fraction of the searched rows carrying G.
func GenreQueries(s *TextSearch, c *corpus.Corpus, rows []int, top, k int) (*results.Table, error) {
	_, _, names := PrimaryGenres(c.Tracks, top)
	keep := make([]bool, len(c.Tracks))
	if rows == nil {
		for r := range keep {
			keep[r] = true
		}
	}
	for _, r := range rows {
		keep[r] = true
	}
	searched := 0
	for _, ok := range keep {
		if ok {
			searched++
		}
	}
	t := &results.Table{Protocol: "text-queries", Ks: []int{k}}
	var sumP, sumC float64
	for _, g := range names {
		q := g + " music"
		v, err := s.Embed(q)
		if err != nil {
			return nil, err
		}
		nbs := s.Target.Nearest(v, k, func(r int) bool { return !keep[r] })
		hits := 0
		for j := range nbs.List {
			if hasGenre(nbs.Track(j), g) {
				hits++
			}
		}
		with := 0
		for r, ok := range keep {
			if ok && hasGenre(&c.Tracks[r], g) {
				with++
			}
		}
		p, ch := float64(hits)/float64(len(nbs.List)), float64(with)/float64(searched)
		sumP, sumC = sumP+p, sumC+ch
		t.Rows = append(t.Rows, results.Row{Name: fmt.Sprintf("%q", q), Kind: "query", Source: s.Target.Name,
			Dim: s.Target.Dim, Metrics: map[string]float64{fmt.Sprintf("precision@%d", k): p, "chance": ch}})
	}
	t.Rows = append(t.Rows, results.Row{Name: "mean", Kind: "summary", Source: s.Target.Name, Dim: s.Target.Dim,
		Metrics: map[string]float64{fmt.Sprintf("precision@%d", k): sumP / float64(len(names)),
			"chance": sumC / float64(len(names))}})
	t.NumQueries = len(names)
	t.Description = fmt.Sprintf("free-text genre queries: for each of the %d most common Deezer genres G, the "+
		"query \"G music\" (MiniLM → the joint model's text encoder) searches the %s embeddings of %d tracks; "+
		"precision@%d is the fraction of results with genre G, chance the fraction of searched tracks with G.",
		len(names), s.Target.Name, searched, k)
	return t, nil
}

func hasGenre(t *musicrep.Track, g string) bool {
	for _, x := range t.Genres {
		if strings.EqualFold(x, g) {
			return true
		}
	}
	return false
}
