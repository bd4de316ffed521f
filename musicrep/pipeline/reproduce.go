package pipeline

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gomlx/compute"

	"github.com/musicrep/musicrep/evaluation"
	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/backends"
	"github.com/musicrep/musicrep/musicrep/binding"
	"github.com/musicrep/musicrep/musicrep/inference"
	"github.com/musicrep/musicrep/musicrep/joint"
	"github.com/musicrep/musicrep/musicrep/results"
	"github.com/musicrep/musicrep/musicrep/training"
)

// TrainOptions configures TrainAndExport.
type TrainOptions struct {
	DataDir  string
	Name     string // run name: checkpoints/<Name>, embeddings/<Name>.{json,npy}
	Preset   string // training.Presets key ("" = defaults, the full published schedule)
	Settings string // "k=v;k=v" hyperparameter overrides
	Heldout  bool   // train only on pairs among the training tracks of the split
	// LeakyGraph keeps binding_music's graph features in a held-out run. By default a held-out run replaces
	// them by the split's leak-free graph (Fairouz.WithLeakFreeGraph): the published graph links every track,
	// test tracks included, to its genres, so a model using it scores genre on the labels themselves.
	LeakyGraph bool
	// ValFraction, for a held-out run, keeps this share of the training tracks (by artist) aside as a
	// validation split: the epoch is chosen on it (SelectionMetric after every checkpoint; the best checkpoint
	// is kept in <run>/best and exported). 0 trains on every training track and exports the last epoch.
	ValFraction    float64
	SplitSeed      uint64
	TestFraction   float64
	CheckpointRoot string // default "checkpoints"
	EmbeddingsRoot string // default "embeddings"
	Fresh          bool
	// AllowChangedInputs resumes a run whose checkpoint was trained on other inputs (training.Config).
	AllowChangedInputs bool
	Backend            compute.Backend
	Progress           io.Writer
	OnStep             func(training.StepInfo)
}

func (o *TrainOptions) defaults() {
	if o.CheckpointRoot == "" {
		o.CheckpointRoot = "checkpoints"
	}
	if o.EmbeddingsRoot == "" {
		o.EmbeddingsRoot = "embeddings"
	}
	if o.SplitSeed == 0 {
		o.SplitSeed = DefaultSplitSeed
	}
	if o.TestFraction == 0 {
		o.TestFraction = DefaultTestFraction
	}
}

// TrainResult is what TrainAndExport produced.
type TrainResult struct {
	Train          *training.Result
	EmbeddingsJSON string
	EmbeddingsNPY  string
	Split          *Split     // nil unless held out
	Data           string     // description of the training data
	Selection      *Selection // the epoch chosen on the validation split (held-out runs with ValFraction > 0)
	// ModalityEmbeddings: joint models only, each modality's embeddings file (JSON; NPY alongside), in which
	// tracks lacking the modality have zero vectors.
	ModalityEmbeddings map[musicrep.Modality]string
}

// TrainAndExport trains (or resumes) a model (binding or joint, from the "model" hyperparameter) on the Fairouz
// data and exports the embeddings of every track; for a joint model also each modality's embeddings.
func TrainAndExport(ctx context.Context, f *Fairouz, opt TrainOptions) (*TrainResult, error) {
	opt.defaults()
	if err := ValidateRunName(opt.Name); err != nil {
		return nil, err
	}
	store, err := training.NewStore(opt.Preset, opt.Settings)
	if err != nil {
		return nil, err
	}
	isJoint := fmt.Sprint(mustParam(store, training.ParamModel)) == training.JointArchitectureName
	modParam := binding.ParamModalities
	pairsFile := f.PairsFile(fmt.Sprint(mustParam(store, training.ParamPairs)))
	if isJoint {
		modParam = joint.ParamModalities
		if w, _ := mustParam(store, training.ParamJointMarginWeight).(float64); w == 0 {
			pairsFile = "" // the joint model's contrastive terms need no pairs
		}
	}
	mods, err := musicrep.ParseModalities(fmt.Sprint(mustParam(store, modParam)))
	if err != nil {
		return nil, err
	}
	res := &TrainResult{}
	if opt.Heldout {
		if res.Split, err = MakeSplit(f.Corpus, opt.SplitSeed, opt.TestFraction); err != nil {
			return nil, err
		}
		if opt.ValFraction > 0 {
			if res.Split, err = res.Split.WithValidation(f.Corpus, opt.ValFraction); err != nil {
				return nil, err
			}
		}
		if slices.Contains(mods, musicrep.Graph) && !opt.LeakyGraph {
			if f, err = f.WithLeakFreeGraph(res.Split); err != nil {
				return nil, err
			}
		}
	}
	data, err := f.TrainingData(pairsFile, mods, res.Split)
	if err != nil {
		return nil, err
	}
	if res.Split != nil && slices.Contains(mods, musicrep.Graph) && !opt.LeakyGraph {
		data.Info = LeakFreeGraphInfo(res.Split)
	}
	res.Data = data.Description
	if opt.Backend == nil {
		if opt.Backend, err = backends.New(""); err != nil {
			return nil, err
		}
	}
	dir := filepath.Join(opt.CheckpointRoot, opt.Name)
	onStep := opt.OnStep
	var val *validator
	if res.Split != nil && len(res.Split.Val) > 0 {
		if val, err = newValidator(f, res.Split, dir, opt.Backend, opt.Fresh); err != nil {
			return res, err
		}
		onStep = func(info training.StepInfo) {
			val.onStep(info)
			if info.CheckpointWritten != "" && opt.Progress != nil && val.err == nil {
				e := info.Epoch + 1
				fmt.Fprintf(opt.Progress, "validation %s after epoch %d: %.4f (best %.4f, epoch %d)\n",
					SelectionMetric, e, val.sel.Curve[e], val.sel.Best, val.sel.BestEpoch)
			}
			if opt.OnStep != nil {
				opt.OnStep(info)
			}
		}
	}
	res.Train, err = training.Train(ctx, training.Config{Dir: dir, Store: store, Data: data, Backend: opt.Backend,
		Progress: opt.Progress, OnStep: onStep, Fresh: opt.Fresh, AllowChangedInputs: opt.AllowChangedInputs})
	if err != nil {
		return res, err
	}
	from := dir
	if val != nil {
		if val.err != nil {
			return res, val.err
		}
		if val.sel.Checkpoint == "" {
			return res, fmt.Errorf("%s: no checkpoint was scored on the validation split; train with -fresh", dir)
		}
		res.Selection, from = val.sel, filepath.Join(dir, BestDir)
	}
	m, err := inference.Load(from, opt.Backend)
	if err != nil {
		return res, err
	}
	emb, err := m.EmbedCorpus(f.Corpus)
	if err != nil {
		return res, err
	}
	res.EmbeddingsJSON, res.EmbeddingsNPY, err = inference.Export(filepath.Join(opt.EmbeddingsRoot, opt.Name),
		IDs(f.Corpus), emb, m.EmbeddingDim)
	if err != nil || m.Kind != training.JointArchitectureName {
		return res, err
	}
	// A joint model also places each modality alone in the shared space: embeddings/<name>.<modality>.*
	res.ModalityEmbeddings = map[musicrep.Modality]string{}
	for _, mod := range m.Modalities {
		e, err := m.EmbedModality(f.Corpus.Features[mod])
		if err != nil {
			return res, err
		}
		j, _, err := inference.Export(filepath.Join(opt.EmbeddingsRoot, opt.Name+"."+string(mod)), IDs(f.Corpus), e,
			m.EmbeddingDim)
		if err != nil {
			return res, err
		}
		res.ModalityEmbeddings[mod] = j
	}
	return res, nil
}

// ModelModalities returns the input modalities the store's hyperparameters select: binding_modalities for the
// binding model, joint_modalities for the joint model.
func ModelModalities(store interface {
	GetParam(string) (any, bool)
}) ([]musicrep.Modality, error) {
	key := binding.ParamModalities
	if fmt.Sprint(mustParam(store, training.ParamModel)) == training.JointArchitectureName {
		key = joint.ParamModalities
	}
	mods, err := musicrep.ParseModalities(fmt.Sprint(mustParam(store, key)))
	if err != nil {
		return nil, fmt.Errorf("hyperparameter %s: %w", key, err)
	}
	return mods, nil
}

func mustParam(store interface {
	GetParam(string) (any, bool)
}, key string) any {
	v, _ := store.GetParam("/" + key)
	return v
}

// openJob fills opt's defaults and opens a report job (results.Open) named opt.Name, writing under *root; opt's
// backend and *root become the job's (the defaults when they were unset).
func openJob(opt *TrainOptions, root *string) (*results.Job, error) {
	opt.defaults()
	job, err := results.Open(opt.Name, *root, opt.Backend, opt.Progress)
	if err != nil {
		return nil, err
	}
	*root, opt.Backend = job.Root, job.Backend
	return job, nil
}

// ReproduceOptions configures Reproduce.
type ReproduceOptions struct {
	TrainOptions
	ResultsRoot string // default "evaluation/results"
	// Seeds is the number of artist splits (split seeds SplitSeed, SplitSeed+1, …) on which the held-out model
	// is trained and scored; the report gives each split's table and the mean over splits with a t interval.
	// 0 means 1.
	Seeds int
}

// SplitReport is one split's held-out result in a Report.
type SplitReport struct {
	Seed      uint64         `json:"seed"`
	Split     string         `json:"split"`
	Selection *Selection     `json:"selection,omitempty"`
	Heldout   *results.Table `json:"heldout"`
}

// Report is the output of Reproduce, written as JSON and Markdown.
type Report struct {
	results.Header
	Preset      string             `json:"preset"`
	Settings    string             `json:"settings,omitempty"`
	Models      map[string]string  `json:"models"` // run name → architecture and training data
	WallSeconds map[string]float64 `json:"wall_seconds"`
	Paper       *results.Table     `json:"paper"`
	Heldout     *results.Table     `json:"heldout"` // the first split's held-out table
	// Splits holds every split's held-out result (one per seed); AcrossSplits the mean of each row's metrics
	// over the splits with a 95 % t interval over splits (only with two or more splits).
	Splits       []SplitReport  `json:"splits"`
	AcrossSplits *results.Table `json:"across_splits,omitempty"`
}

// Reproduce is the main job: train the published best configuration (C=2, E=4, 51k pairs) on the available
// modalities, once on all pairs (as published) and once on the training split only (on opt.Seeds splits;
// with opt.ValFraction the epoch is chosen on a validation split of the training artists, and with a graph
// modality the split's leak-free graph replaces binding_music's), export them, and score them with the
// trivial baselines under the paper and the held-out protocols. It writes <ResultsRoot>/<Name>.json and .md.
func Reproduce(ctx context.Context, f *Fairouz, opt ReproduceOptions) (*Report, error) {
	job, err := openJob(&opt.TrainOptions, &opt.ResultsRoot)
	if err != nil {
		return nil, err
	}
	logf := job.Logf
	rep := &Report{Header: job.Header, Preset: opt.Preset, Settings: opt.Settings,
		Models: map[string]string{}, WallSeconds: map[string]float64{}}

	// 1. As published: all pairs.
	logf("== training %s on all pairs (as published; transductive)", opt.Name)
	all, err := TrainAndExport(ctx, f, opt.TrainOptions)
	if err != nil {
		return nil, err
	}
	rep.Models[opt.Name] = all.Train.Model + "; " + all.Data
	rep.WallSeconds[opt.Name] = all.Train.Wall.Seconds()

	// 2. The paper protocol (in-sample).
	learnedAll, err := LoadEmbeddings(all.EmbeddingsJSON, f.Corpus)
	if err != nil {
		return nil, err
	}
	learnedAll.Note = "trained on all pairs, including those it is scored on"
	mods := all.Train.Modalities
	paperSets := []*musicrep.Embeddings{learnedAll}
	if f.Published != "" {
		pub, err := LoadEmbeddings(f.Published, f.Corpus)
		if err != nil {
			return nil, err
		}
		pub.Name, pub.Kind = "published c2e4 51k (audio+image+text+graph)", "published"
		pub.Note = "binding_music's exported embeddings (4 modalities, 200 epochs, trained on these pairs)"
		paperSets = append(paperSets, pub)
	}
	paperSets = append(paperSets, Baselines(f.Corpus, mods)...)
	logf("== paper protocol")
	if rep.Paper, err = PaperEvaluation(f.Corpus, f.Pairs51k, evaluation.DefaultPaperOptions(), paperSets); err != nil {
		return nil, err
	}

	// 3. Held out: pairs among training tracks only, on each split; the epoch chosen on its validation split.
	for i := range max(opt.Seeds, 1) {
		hopt := opt.TrainOptions
		hopt.Heldout, hopt.SplitSeed = true, opt.SplitSeed+uint64(i)
		hopt.Name = opt.Name + "-heldout"
		if i > 0 {
			hopt.Name = fmt.Sprintf("%s-heldout-s%d", opt.Name, hopt.SplitSeed)
		}
		logf("== training %s on the training split (seed %d) only", hopt.Name, hopt.SplitSeed)
		held, err := TrainAndExport(ctx, f, hopt)
		if err != nil {
			return nil, err
		}
		rep.Models[hopt.Name] = held.Train.Model + "; " + held.Data
		rep.WallSeconds[hopt.Name] = held.Train.Wall.Seconds()
		learnedHeld, err := LoadEmbeddings(held.EmbeddingsJSON, f.Corpus)
		if err != nil {
			return nil, err
		}
		learnedHeld.Name = opt.Name + "-heldout"
		learnedHeld.Note = "trained on pairs among training tracks only"
		if held.Selection != nil {
			learnedHeld.Note += fmt.Sprintf(", epoch %d chosen on the validation split (%s %.4f)",
				held.Selection.BestEpoch, held.Selection.Metric, held.Selection.Best)
		}
		if slices.Contains(mods, musicrep.Graph) && !opt.LeakyGraph {
			learnedHeld.Note += ", with the split's leak-free graph features"
		} else if slices.Contains(mods, musicrep.Graph) {
			learnedHeld.Note += ", with binding_music's graph features (LEAKS genre)"
			learnedHeld.Leaks = true
		}
		notHeld := *learnedAll
		notHeld.Note = "NOT held out: trained on pairs that include the test tracks, with binding_music's graph; " +
			"listed for contrast"
		notHeld.Leaks = slices.Contains(mods, musicrep.Graph)
		heldBase, err := f.HeldoutBaselines(held.Split, mods)
		if err != nil {
			return nil, err
		}
		logf("== held-out protocol, split seed %d", hopt.SplitSeed)
		tab, err := HeldoutEvaluation(f.Corpus, held.Split, HeldoutOptions{},
			append([]*musicrep.Embeddings{learnedHeld, &notHeld}, heldBase...))
		if err != nil {
			return nil, err
		}
		rep.Splits = append(rep.Splits, SplitReport{Seed: hopt.SplitSeed, Split: held.Split.String(),
			Selection: held.Selection, Heldout: tab})
	}
	rep.Heldout = rep.Splits[0].Heldout
	if len(rep.Splits) > 1 {
		tables := make([]*results.Table, len(rep.Splits))
		for i, sr := range rep.Splits {
			tables[i] = sr.Heldout
		}
		if rep.AcrossSplits, err = results.AcrossSplits(tables); err != nil {
			return nil, err
		}
	}
	if err := rep.Write(opt.ResultsRoot); err != nil {
		return rep, err
	}
	return rep, nil
}

// HeldoutColumns are the held-out protocol's headline columns in reports.
var HeldoutColumns = []string{"precision@10", "other_artist_precision@10", "average_precision@10",
	"average_precision_ir@10", "ndcg@10", "knn_genre_accuracy@10"}

// Write saves the report as <dir>/<name>.json and <dir>/<name>.md (atomically).
func (r *Report) Write(dir string) error {
	return results.Write(dir, r.Name, r, r.Markdown())
}

// Markdown renders the report.
func (r *Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# musicrep reproduce: %s\n\n", r.Name)
	fmt.Fprintf(&b, "Created %s on %s; preset %q", r.Created, r.Backend, r.Preset)
	if r.Settings != "" {
		fmt.Fprintf(&b, ", settings %q", r.Settings)
	}
	b.WriteString(".\n\n## Models\n\n")
	for name, desc := range r.Models {
		if w := r.WallSeconds[name]; w >= 1 {
			fmt.Fprintf(&b, "- **%s** (trained in %.0f s): %s\n", name, w, desc)
		} else {
			fmt.Fprintf(&b, "- **%s** (already trained; resumed): %s\n", name, desc)
		}
	}
	tables := []*results.Table{r.Paper}
	titles := []string{"paper protocol"}
	for _, sr := range r.Splits {
		tables = append(tables, sr.Heldout)
		title := fmt.Sprintf("held-out protocol, split seed %d", sr.Seed)
		if sr.Selection != nil {
			title += fmt.Sprintf(" (epoch %d chosen on validation: %s %.4f)", sr.Selection.BestEpoch,
				sr.Selection.Metric, sr.Selection.Best)
		}
		titles = append(titles, title)
	}
	if len(r.Splits) == 0 && r.Heldout != nil {
		tables, titles = append(tables, r.Heldout), append(titles, "held-out protocol")
	}
	if r.AcrossSplits != nil {
		tables = append(tables, r.AcrossSplits)
		titles = append(titles, fmt.Sprintf("held-out protocol, mean over %d splits", len(r.Splits)))
	}
	for i, t := range tables {
		if t == nil {
			continue
		}
		fmt.Fprintf(&b, "\n## %s\n\n%s\n\n", titles[i], t.Description)
		cols := []string{"precision@10", "recall@10", "hit_rate@10", "average_precision@10",
			"reciprocal_rank@10", "ndcg@10", "precision@25", "recall@25"}
		if t.Protocol == "heldout" {
			cols = HeldoutColumns
		}
		b.WriteString(t.Markdown(cols))
		b.WriteString("\n")
		if c := t.ComparisonsMarkdown(); c != "" {
			how := "same queries, bootstrap over test artists"
			if t == r.AcrossSplits {
				how = "mean over splits of each split's difference, t interval over splits"
			}
			fmt.Fprintf(&b, "Paired differences (%s):\n\n%s\n", how, c)
		}
		if t == r.AcrossSplits {
			continue // its rows' notes are those of the per-split tables
		}
		for _, row := range t.Rows {
			if row.Note != "" {
				fmt.Fprintf(&b, "- *%s*: %s\n", row.Name, row.Note)
			}
		}
		for _, n := range t.Notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	return b.String()
}
