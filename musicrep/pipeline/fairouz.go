package pipeline

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/corpus"
	"github.com/musicrep/musicrep/musicrep/graphfeat"
	"github.com/musicrep/musicrep/musicrep/training"
)

// Fairouz is the binding_music dataset loaded from a data directory.
type Fairouz struct {
	DataDir   string
	Corpus    *corpus.Corpus
	Pairs51k  string // positives_negatives_more_negatives.json
	Pairs6k   string // positives_negatives.json
	Published string // the published joint embeddings of the c2/e4 51k model ("" when absent)
}

// LoadFairouz loads the tracks and the feature files of the given modalities (nil = every modality whose file
// exists) from dataDir (see corpus.DataDir).
func LoadFairouz(dataDir string, modalities []musicrep.Modality) (*Fairouz, error) {
	return LoadFairouzWith(dataDir, modalities, nil)
}

// LoadFairouzWith is LoadFairouz with some feature files replaced or added: extra maps a modality to a feature
// file (seed JSON format, or .npy with its .ids.json), e.g. image or lyrics-text features a user computed. Its
// modalities are always loaded.
func LoadFairouzWith(dataDir string, modalities []musicrep.Modality, extra map[musicrep.Modality]string) (*Fairouz, error) {
	tracks, files, p51, p6 := corpus.DefaultFairouzFiles(dataDir)
	for m, path := range extra {
		files[m] = path
	}
	want := map[musicrep.Modality]string{}
	for m, path := range extra {
		want[m] = path
	}
	if modalities == nil {
		for m, path := range files {
			if _, err := os.Stat(path); err == nil {
				want[m] = path
			}
		}
	} else {
		for _, m := range modalities {
			path, ok := files[m]
			if !ok {
				// Features musicrep computes itself (musicrep features) live in the features directory.
				computed := ComputedFeatureFile(m)
				if _, err := os.Stat(computed); err != nil {
					return nil, fmt.Errorf("no %s features: the Fairouz data ships only audio and graph features "+
						"(binding_music's image and lyrics-text embeddings were never published). Compute them with "+
						"`musicrep features -method %s` (writes %s), pass -features %s=PATH, or drop %s from the "+
						"modalities", m, featureMethodFor(m), computed, m, m)
				}
				path = computed
			}
			want[m] = path
		}
	}
	c, err := corpus.Load(tracks, want)
	if err != nil {
		return nil, err
	}
	if g, ok := c.Features[musicrep.Graph]; ok {
		// binding_music's graph embeddings (and any graph file given) were built with the genre edges of every
		// track: they encode the genre labels the held-out protocol scores.
		g.Leak = "genre: built from a graph with the genre edges of every track (binding_music's), test tracks included"
	}
	f := &Fairouz{DataDir: dataDir, Corpus: c, Pairs51k: p51, Pairs6k: p6}
	pub := filepath.Join(dataDir, "fairouz", "reference", "published_joint_c2e4_51k.json")
	if _, err := os.Stat(pub); err == nil {
		f.Published = pub
	}
	return f, nil
}

// FeaturesDirEnv names the directory of computed feature files (default: features/ at the repository root).
const FeaturesDirEnv = "MUSICREP_FEATURES"

// FeaturesDir is where `musicrep features` writes and the loaders look for computed features: $MUSICREP_FEATURES,
// else features/ in the musicrep checkout containing the working directory (found by walking up to its go.mod,
// so notebooks in notebooks/ and tests in package directories share it), else ./features.
func FeaturesDir() string {
	if d := os.Getenv(FeaturesDirEnv); d != "" {
		return d
	}
	dir, err := os.Getwd()
	for err == nil {
		if b, e := os.ReadFile(filepath.Join(dir, "go.mod")); e == nil && strings.Contains(string(b),
			"module github.com/musicrep/musicrep\n") {
			return filepath.Join(dir, "features")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return "features"
}

// ComputedFeatureFile is the default file of a computed modality: FeaturesDir()/<modality>.json, or
// <modality>.npy (with .ids.json) when only that exists (the repository commits the .npy files of its reference
// features).
func ComputedFeatureFile(m musicrep.Modality) string {
	base := filepath.Join(FeaturesDir(), string(m))
	if _, err := os.Stat(base + ".json"); err != nil {
		if _, err := os.Stat(base + ".npy"); err == nil {
			return base + ".npy"
		}
	}
	return base + ".json"
}

func featureMethodFor(m musicrep.Modality) string {
	switch m {
	case musicrep.Text:
		return "minilm"
	case musicrep.Tags:
		return "tags"
	case musicrep.Graph:
		return "randne"
	}
	return "(none: no extractor for " + string(m) + " yet)"
}

// PairsFile resolves the "pairs" hyperparameter: "51k", "6k" or a path.
func (f *Fairouz) PairsFile(name string) string {
	switch name {
	case "51k", "":
		return f.Pairs51k
	case "6k":
		return f.Pairs6k
	}
	return name
}

// LeakFreeGraphSeed seeds the RandNE projection of the leak-free graph features.
const LeakFreeGraphSeed = 1

// WithLeakFreeGraph returns a copy of f whose graph features are RandNE (karateclub's defaults, as the
// published features) of the leak-free graph of the split: no genre edges, and test tracks cut from any
// artist or album node they share with training tracks (graphfeat.LeakFree). The dimension is that of the
// loaded graph features (128 when none are loaded). The other modalities are shared with f, not copied.
func (f *Fairouz) WithLeakFreeGraph(split *Split) (*Fairouz, error) {
	dim := 128
	if g, ok := f.Corpus.Features[musicrep.Graph]; ok {
		dim = g.Dim
	}
	test := make([]bool, len(f.Corpus.Tracks))
	for _, r := range append(slices.Clone(split.Test), split.Val...) {
		test[r] = true
	}
	g, err := graphfeat.FeaturesFiltered(f.Corpus.Tracks, "randne", dim, LeakFreeGraphSeed, graphfeat.LeakFree(test))
	if err != nil {
		return nil, err
	}
	g.Source = fmt.Sprintf("graphfeat:randne, leak-free graph of the split with seed %d (%s)", split.Seed,
		graphfeat.LeakFree(test))
	out := *f
	c := *f.Corpus
	c.Features = maps.Clone(f.Corpus.Features)
	c.Features[musicrep.Graph] = g
	out.Corpus = &c
	return &out, nil
}

// Checkpoint Info keys that record a run's leak-free graph features (LeakFreeGraphInfo).
const (
	InfoGraphFeatures = "graph_features"
	InfoSplitSeed     = "split_seed"
	InfoTestFraction  = "test_fraction"
	InfoValFraction   = "val_fraction"
)

// LeakFreeGraphInfo is the checkpoint provenance of a run trained on the split's leak-free graph features.
func LeakFreeGraphInfo(split *Split) map[string]string {
	return map[string]string{InfoGraphFeatures: "leak-free", InfoSplitSeed: fmt.Sprint(split.Seed),
		InfoTestFraction: fmt.Sprint(split.TestFraction), InfoValFraction: fmt.Sprint(split.ValFraction)}
}

// ForCheckpoint returns f with the graph features a checkpoint was trained on: the leak-free graph of its
// split when its Info says so (LeakFreeGraphInfo), else f itself.
func (f *Fairouz) ForCheckpoint(info map[string]string) (*Fairouz, error) {
	if info[InfoGraphFeatures] != "leak-free" {
		return f, nil
	}
	var seed uint64
	var frac float64
	if _, err := fmt.Sscan(info[InfoSplitSeed], &seed); err != nil {
		return nil, fmt.Errorf("checkpoint info %s=%q: %w", InfoSplitSeed, info[InfoSplitSeed], err)
	}
	if _, err := fmt.Sscan(info[InfoTestFraction], &frac); err != nil {
		return nil, fmt.Errorf("checkpoint info %s=%q: %w", InfoTestFraction, info[InfoTestFraction], err)
	}
	split, err := MakeSplit(f.Corpus, seed, frac)
	if err != nil {
		return nil, err
	}
	var val float64
	if v := info[InfoValFraction]; v != "" && v != "0" {
		if _, err := fmt.Sscan(v, &val); err != nil {
			return nil, fmt.Errorf("checkpoint info %s=%q: %w", InfoValFraction, v, err)
		}
		if split, err = split.WithValidation(f.Corpus, val); err != nil {
			return nil, err
		}
	}
	return f.WithLeakFreeGraph(split)
}

// TrainingData builds a training set: the features of the given modalities, the training tracks (all tracks,
// or with a split only its training tracks) and, unless pairsFile is "", the labelled pairs of pairsFile (with a
// split, only pairs whose two tracks are both training tracks). The binding model trains on the pairs, the
// joint model on the tracks (and on the pairs only with its margin term).
func (f *Fairouz) TrainingData(pairsFile string, modalities []musicrep.Modality, split *Split) (*training.Data, error) {
	n := len(f.Corpus.Tracks)
	d := &training.Data{}
	var desc string
	if split != nil {
		for _, r := range split.Train {
			d.Tracks = append(d.Tracks, int32(r))
		}
		desc = fmt.Sprintf("the %d training tracks of the %s", len(d.Tracks), split)
	} else {
		for r := range n {
			d.Tracks = append(d.Tracks, int32(r))
		}
		desc = fmt.Sprintf("all %d tracks (transductive)", n)
	}
	if pairsFile != "" {
		pairs, _, err := corpus.LoadPairs(pairsFile, f.Corpus.Index)
		if err != nil {
			return nil, err
		}
		desc = fmt.Sprintf("%s, %d pairs over all %d tracks (transductive, as published)", filepath.Base(pairsFile),
			pairs.Len(), n)
		if self, both := pairs.Oddities(); self+both > 0 {
			desc += fmt.Sprintf(" [kept as published: %d self-pairs, %d pairs labelled both positive and negative]",
				self, both)
		}
		if split != nil {
			pairs, err = pairs.Restrict(corpus.KeepRows(n, split.Train))
			if err != nil {
				return nil, fmt.Errorf("%s restricted to the training split: %w", pairsFile, err)
			}
			desc = fmt.Sprintf("%s restricted to the training tracks of the %s: %d pairs", filepath.Base(pairsFile),
				split, pairs.Len())
		}
		d.Anchor, d.Other, d.Label = pairs.Anchor, pairs.Other, pairs.Label
	}
	for _, m := range musicrep.SortModalities(modalities) {
		feat, ok := f.Corpus.Features[m]
		if !ok {
			return nil, fmt.Errorf("no %s features loaded; available: %v", m, f.Corpus.Modalities())
		}
		d.Features = append(d.Features, feat)
		if feat.TokenIDs() && m == musicrep.Tags {
			// Tag sequences: the joint model's tag encoder starts from the vocabulary's word vectors.
			vocab, err := corpus.ReadVocab(feat.Vocab)
			if err != nil {
				return nil, err
			}
			d.TagVectors, d.TagDim = vocab.Table, vocab.Dim
		}
	}
	names := make([]string, len(d.Features))
	for i, feat := range d.Features {
		names[i] = fmt.Sprintf("%s (%s, %d-d)", feat.Modality, filepath.Base(feat.Source), feat.Dim)
		if feat.TokenIDs() {
			names[i] = fmt.Sprintf("%s (%s, up to %d tag ids, vocabulary %s)", feat.Modality,
				filepath.Base(feat.Source), feat.Dim, filepath.Base(feat.Vocab))
		}
	}
	d.Description = desc + "; modalities " + strings.Join(names, ", ")
	return d, nil
}
