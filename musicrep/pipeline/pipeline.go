// Package pipeline ties musicrep's pieces into the jobs the CLI and notebooks run: load the Fairouz data,
// build training sets (all pairs, or pairs within a training split), score learned embeddings and the trivial
// baselines under the paper and held-out protocols, and the end-to-end `reproduce` job.
package pipeline

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/musicrep/musicrep/evaluation"
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

// Split is a deterministic split of the tracks by artist.
type Split struct {
	Seed         uint64
	TestFraction float64
	Train, Test  []int // track rows
	// Val holds the validation tracks carved from the training artists (WithValidation); empty when none.
	// They are not in Train: a model trains on Train, every choice is made on Val, Test is scored once.
	Val         []int
	ValFraction float64
	// OnValidation marks a view of a split whose Test holds its validation tracks (ValidationView): scores
	// on it are validation scores, for choosing settings.
	OnValidation bool
}

// ValidationView returns the split with its validation tracks in the place of the test tracks (and the test
// tracks set aside in Val), so that any protocol scores the validation split. It panics without a validation
// split (a programming error).
func (s *Split) ValidationView() *Split {
	if len(s.Val) == 0 {
		panic("pipeline: ValidationView of a split without validation tracks")
	}
	return &Split{Seed: s.Seed, TestFraction: s.TestFraction, ValFraction: s.ValFraction, Train: slices.Clone(s.Train),
		Test: slices.Clone(s.Val), Val: slices.Clone(s.Test), OnValidation: true}
}

// Restrict returns the split keeping only the rows for which keep is true (same seed and fraction).
func (s *Split) Restrict(keep func(row int) bool) *Split {
	out := &Split{Seed: s.Seed, TestFraction: s.TestFraction, ValFraction: s.ValFraction}
	for _, r := range s.Train {
		if keep(r) {
			out.Train = append(out.Train, r)
		}
	}
	for _, r := range s.Val {
		if keep(r) {
			out.Val = append(out.Val, r)
		}
	}
	for _, r := range s.Test {
		if keep(r) {
			out.Test = append(out.Test, r)
		}
	}
	return out
}

// Complete returns the split restricted to the tracks that have every given modality (Restrict). The
// single-modality protocols score a multi-modal model there: a missing modality is a zero vector in the raw and
// modality-alone sets, and zero vectors would crowd every neighbour list.
func (s *Split) Complete(c *corpus.Corpus, modalities []musicrep.Modality) *Split {
	return s.Restrict(func(r int) bool {
		for _, m := range modalities {
			if f, ok := c.Features[m]; !ok || !f.Present[r] {
				return false
			}
		}
		return true
	})
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

// HeldoutBaselines returns the trivial baselines of the held-out protocol for the given modalities (nil: all
// loaded): each raw modality and their concatenation, with the graph features rebuilt leak-free for the
// split (WithLeakFreeGraph), followed by binding_music's own graph features as an upper bound marked as
// leaking (when loaded).
func (f *Fairouz) HeldoutBaselines(split *Split, modalities []musicrep.Modality) ([]*musicrep.Embeddings, error) {
	if modalities == nil {
		modalities = f.Corpus.Modalities()
	}
	if !slices.Contains(modalities, musicrep.Graph) {
		return Baselines(f.Corpus, modalities), nil
	}
	lf, err := f.WithLeakFreeGraph(split)
	if err != nil {
		return nil, err
	}
	out := Baselines(lf.Corpus, modalities)
	for _, e := range out {
		if e.Name == "raw graph" {
			e.Name = "raw graph (leak-free RandNE)"
			e.Note = "RandNE of the graph without genre edges, test tracks cut from metadata shared with training"
		}
	}
	for _, e := range Baselines(f.Corpus, []musicrep.Modality{musicrep.Graph}) {
		e.Name = "raw graph (binding_music's RandNE)"
		out = append(out, e)
	}
	return out, nil
}

// Default split settings of the held-out protocol.
const (
	DefaultSplitSeed    = 1
	DefaultTestFraction = 0.2
)

// MakeSplit splits the corpus' tracks by artist (see corpus.SplitByArtist).
func MakeSplit(c *corpus.Corpus, seed uint64, testFraction float64) (*Split, error) {
	train, test, err := corpus.SplitByArtist(c.Tracks, testFraction, seed)
	if err != nil {
		return nil, err
	}
	return &Split{Seed: seed, TestFraction: testFraction, Train: train, Test: test}, nil
}

// DefaultValFraction is the share of the training tracks (by artist) that held-out runs keep aside as the
// validation split.
const DefaultValFraction = 0.15

// WithValidation returns a copy of the split whose training tracks are split again by artist (same rules as
// MakeSplit, seeded by the split's seed): a fraction of them becomes the validation split, the rest stays
// Train. The test tracks are unchanged.
func (s *Split) WithValidation(c *corpus.Corpus, fraction float64) (*Split, error) {
	tracks := make([]musicrep.Track, len(s.Train))
	for i, r := range s.Train {
		tracks[i] = c.Tracks[r]
	}
	fit, val, err := corpus.SplitByArtist(tracks, fraction, s.Seed+1)
	if err != nil {
		return nil, fmt.Errorf("validation split of the training tracks: %w", err)
	}
	out := &Split{Seed: s.Seed, TestFraction: s.TestFraction, ValFraction: fraction, Test: slices.Clone(s.Test)}
	for _, i := range fit {
		out.Train = append(out.Train, s.Train[i])
	}
	for _, i := range val {
		out.Val = append(out.Val, s.Train[i])
	}
	return out, nil
}

// String describes the split.
func (s *Split) String() string {
	if s.OnValidation {
		return fmt.Sprintf("split by artist (seed %d, test fraction %.2f, validation %.2f of the training tracks), "+
			"scored on its VALIDATION tracks: %d train / %d validation tracks (%d test tracks unused)", s.Seed,
			s.TestFraction, s.ValFraction, len(s.Train), len(s.Test), len(s.Val))
	}
	if len(s.Val) > 0 {
		return fmt.Sprintf("split by artist (seed %d, test fraction %.2f, validation %.2f of the training tracks): "+
			"%d train / %d validation / %d test tracks", s.Seed, s.TestFraction, s.ValFraction, len(s.Train),
			len(s.Val), len(s.Test))
	}
	return fmt.Sprintf("split by artist (seed %d, test fraction %.2f): %d train / %d test tracks", s.Seed,
		s.TestFraction, len(s.Train), len(s.Test))
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

// IDs returns the corpus' track ids in row order.
func IDs(c *corpus.Corpus) []string {
	ids := make([]string, len(c.Tracks))
	for i, t := range c.Tracks {
		ids[i] = t.ID
	}
	return ids
}

// LoadEmbeddings reads an embeddings file (seed JSON format, or .npy with its .ids.json) and joins it to the
// corpus by id: the rows of the result are in the corpus' track order. Every track must have a vector and every id must be a track.
func LoadEmbeddings(path string, c *corpus.Corpus) (*musicrep.Embeddings, error) {
	ids, data, dim, err := corpus.ReadVectors(path)
	if err != nil {
		return nil, err
	}
	out := make([]float32, len(c.Tracks)*dim)
	seen := make([]bool, len(c.Tracks))
	var unknown []string
	for i, id := range ids {
		row, ok := c.Index[id]
		if !ok {
			unknown = append(unknown, id)
			continue
		}
		seen[row] = true
		copy(out[row*dim:(row+1)*dim], data[i*dim:(i+1)*dim])
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("%s: %d ids are not tracks of %s (first: %s); embed the same tracks file", path,
			len(unknown), c.TracksFile, unknown[0])
	}
	var missing []string
	for row, ok := range seen {
		if !ok {
			missing = append(missing, c.Tracks[row].ID)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: %d tracks of %s have no embedding (first: %s); export every track", path,
			len(missing), c.TracksFile, missing[0])
	}
	return &musicrep.Embeddings{Name: strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)), Kind: "learned",
		Source: path, IDs: IDs(c), Dim: dim, Data: out}, nil
}

// checkSets reports an embeddings set whose rows are not the corpus' tracks in corpus order (the order
// LoadEmbeddings and Baselines give), which the protocols index by corpus row.
func checkSets(c *corpus.Corpus, sets []*musicrep.Embeddings) error {
	for _, e := range sets {
		if err := e.Check(); err != nil {
			return err
		}
		if e.Len() != len(c.Tracks) {
			return fmt.Errorf("embeddings %q: %d rows for the %d tracks of %s (load them with LoadEmbeddings, which "+
				"joins a file to the corpus by id)", e.Name, e.Len(), len(c.Tracks), c.TracksFile)
		}
		for i, id := range e.IDs {
			if id != c.Tracks[i].ID {
				return fmt.Errorf("embeddings %q: row %d is %q, the corpus' track %d is %q (load them with "+
					"LoadEmbeddings, which puts the rows in corpus order)", e.Name, i, id, i, c.Tracks[i].ID)
			}
		}
	}
	return nil
}

// Baselines returns the trivial baselines for the given modalities: each raw modality alone, and (with two or
// more) the concatenation of the L2-normalised raw modalities. Tracks missing a modality keep a zero block.
// nil modalities means every loaded modality. Features holding token ids (tag sequences) are left out: ids are
// labels, not coordinates, so distances between rows of ids mean nothing (their word-vector counterpart,
// `musicrep features -method tags`, is the raw tags baseline).
func Baselines(c *corpus.Corpus, modalities []musicrep.Modality) []*musicrep.Embeddings {
	if modalities == nil {
		modalities = c.Modalities()
	}
	var out []*musicrep.Embeddings
	var blocks []evaluation.Block
	ids := IDs(c)
	for _, m := range musicrep.SortModalities(modalities) {
		f, ok := c.Features[m]
		if !ok || f.TokenIDs() {
			continue
		}
		note := ""
		if f.Leak != "" {
			note = "LEAKS " + f.Leak + "; an upper bound, not a baseline"
		}
		out = append(out, &musicrep.Embeddings{Name: "raw " + string(m), Kind: "baseline", Leaks: f.Leak != "",
			Source: f.Source, Note: note, IDs: ids, Dim: f.Dim, Data: slices.Clone(f.Data)})
		blocks = append(blocks, evaluation.Block{Data: evaluation.Normalize(f.Data, f.Dim), Dim: f.Dim})
	}
	if len(blocks) >= 2 {
		data, total, err := evaluation.Concat(blocks...)
		if err != nil {
			panic(err) // cannot happen: every block has one row per track
		}
		names := make([]string, len(out))
		note, leaks := "", false
		for i, e := range out {
			names[i] = strings.TrimPrefix(e.Name, "raw ")
			if e.Leaks {
				note, leaks = "LEAKS genre through the "+names[i]+" features; an upper bound, not a baseline", true
			}
		}
		out = append(out, &musicrep.Embeddings{Name: "concat L2-normalised " + strings.Join(names, "+"), Kind: "baseline",
			Leaks: leaks, Source: "concatenation of the L2-normalised raw features", Note: note, IDs: ids, Dim: total, Data: data})
	}
	return out
}

// ValidateRunName checks a run name before it becomes part of paths (checkpoints/<name>,
// embeddings/<name>.json, evaluation/results/<name>.md): letters, digits, '.', '_' and '-', not starting with
// '.', at most 100 characters. A name such as "../../x" would otherwise write outside those folders.
func ValidateRunName(name string) error {
	if name == "" {
		return fmt.Errorf("no run name given: pass -name NAME")
	}
	if len(name) > 100 || name[0] == '.' || strings.IndexFunc(name, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-')
	}) >= 0 {
		return fmt.Errorf("run name %q: use letters, digits, '.', '_' and '-' only (no '/', no leading '.', at most "+
			"100 characters): it names checkpoints/NAME and embeddings/NAME.*", name)
	}
	return nil
}
