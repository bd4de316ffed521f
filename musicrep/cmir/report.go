package cmir

import (
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/musicrep/musicrep/musicrep/backends"
	"github.com/musicrep/musicrep/musicrep/ckpt"
	"github.com/musicrep/musicrep/musicrep/corpus"
	"github.com/musicrep/musicrep/musicrep/melon"
)

// ReportOptions configures RunReport.
type ReportOptions struct {
	Dataset        string    // a Melon-layout directory
	Name           string    // results name: <ResultsRoot>/<Name>.{json,md}, checkpoints <CheckpointRoot>/<Name>/<variant>
	Preset         string    // paper, small or tiny
	Epochs         int       // overrides the preset's epochs when > 0
	BatchSize      int       // overrides the preset's batch size when > 0
	Variants       []Variant // default: the full contrastive model and the two baselines
	Seed           uint64
	CFFactors      int // default 300
	CheckpointRoot string
	ResultsRoot    string
	Fresh          bool
	Backend        compute.Backend
	Progress       io.Writer
	// Stream reads spectrograms from disk when needed instead of holding them (PrepareOptions.Stream).
	Stream bool
	// MaxSongs > 0 uses a seeded random subset of the dataset's songs (PrepareOptions.MaxSongs).
	MaxSongs int
	// LearningRates, when it has more than one value, tunes each variant: one run per learning rate (checkpoints
	// <CheckpointRoot>/<Name>/<variant>/lr-<lr>), each keeping its best epoch by validation loss, and the run
	// with the lowest best validation loss is the variant's row. Only the validation split decides. One value
	// sets the learning rate; none keeps the preset's.
	LearningRates []float64
}

// Trial is one learning rate tried for a variant.
type Trial struct {
	LearningRate float64 `json:"learning_rate"`
	BestValLoss  float64 `json:"best_val_loss"`
	BestEpoch    int     `json:"best_epoch"`
}

// Row is one embeddings set scored on the three tasks.
type Row struct {
	Name        string             `json:"name"`
	Kind        string             `json:"kind"` // learned, baseline
	Dim         int                `json:"dim"`
	Metrics     map[string]float64 `json:"metrics"`
	BestEpoch   int                `json:"best_epoch,omitempty"`
	ValLoss     float64            `json:"best_val_loss,omitempty"`
	TrainSecond float64            `json:"train_seconds,omitempty"`
	// Learned rows: the validation loss of the best constant predictor, whether the best validation loss is
	// below it, the chosen learning rate and every learning rate tried.
	ConstantLoss  float64 `json:"constant_val_loss,omitempty"`
	ConstantWhat  string  `json:"constant_predictor,omitempty"`
	BeatsConstant *bool   `json:"beats_constant,omitempty"`
	LearningRate  float64 `json:"learning_rate,omitempty"`
	Trials        []Trial `json:"tuning,omitempty"`
}

// Report is the task table.
type Report struct {
	Name        string   `json:"name"`
	Created     string   `json:"created"`
	Backend     string   `json:"backend"`
	Data        string   `json:"data"`
	Preset      string   `json:"preset"`
	Description string   `json:"description"`
	Rows        []Row    `json:"rows"`
	Notes       []string `json:"notes"`
}

// RunReport trains the variants on a Melon-layout dataset (resuming finished runs), embeds every song with each
// variant's best-validation checkpoint (z, the flattened CNN output, averaged over 256-frame chunks, as
// contrastive-mir's encode.py), and scores the test songs on the paper's tasks next to two baselines that need
// no training: the raw mel statistics and the same CNN with random weights. Writes <ResultsRoot>/<Name>.json, .md.
func RunReport(ctx context.Context, opt ReportOptions) (*Report, error) {
	if len(opt.Variants) == 0 {
		opt.Variants = []Variant{Full, BaselineMF, BaselineGn}
	}
	if opt.CheckpointRoot == "" {
		opt.CheckpointRoot = "checkpoints"
	}
	if opt.ResultsRoot == "" {
		opt.ResultsRoot = filepath.Join("evaluation", "results")
	}
	if opt.Backend == nil {
		var err error
		if opt.Backend, err = backends.New(""); err != nil {
			return nil, err
		}
	}
	logf := func(format string, args ...any) {
		if opt.Progress != nil {
			fmt.Fprintf(opt.Progress, format+"\n", args...)
		}
	}
	ds, err := melon.Load(opt.Dataset)
	if err != nil {
		return nil, err
	}
	logf("cmir: %s", ds.Stats())
	data, err := Prepare(ds, PrepareOptions{Seed: opt.Seed, CFFactors: opt.CFFactors, Progress: opt.Progress,
		Stream: opt.Stream, MaxSongs: opt.MaxSongs})
	if err != nil {
		return nil, err
	}
	rep := &Report{Name: opt.Name, Created: time.Now().UTC().Format(time.RFC3339), Backend: backends.Describe(opt.Backend),
		Data: data.Description, Preset: opt.Preset}
	settings := map[string]any{}
	if opt.Epochs > 0 {
		settings[ParamEpochs] = opt.Epochs
	}
	if opt.BatchSize > 0 {
		settings[ParamBatch] = opt.BatchSize
	}
	score := func(e *Embeddings, kind string) (Row, error) {
		p, err := LinearProbe(data, e)
		if err != nil {
			return Row{}, err
		}
		c := ColdStartContinuation(data, e, 10)
		return Row{Name: e.Name, Kind: kind, Dim: e.Dim, Metrics: map[string]float64{
			"genre_accuracy": p.Accuracy, "genre_macro_f1": p.MacroF1, "genre_roc_auc": p.GenreROCAUC,
			"continuation_hr@10": c.HitRate, "continuation_ndcg@10": c.NDCG,
			"tag_roc_auc": p.TagROCAUC, "tag_pr_auc": p.TagPRAUC}}, nil
	}
	var audio AudioConfig
	for _, v := range opt.Variants {
		store, err := NewStore(v, opt.Preset, settings)
		if err != nil {
			return nil, err
		}
		if audio, err = AudioConfigFromStore(store); err != nil {
			return nil, err
		}
		lrs := opt.LearningRates
		if len(lrs) == 0 {
			lrs = []float64{model.GetParamOr(store.RootScope(), ParamLR, 1e-4)}
		}
		var res *TrainResult
		var trials []Trial
		var chosen float64
		for _, lr := range lrs {
			dir := filepath.Join(opt.CheckpointRoot, opt.Name, string(v))
			if len(lrs) > 1 {
				dir = filepath.Join(dir, "lr-"+strconv.FormatFloat(lr, 'g', -1, 64))
			}
			s := map[string]any{ParamLR: lr}
			for k, x := range settings {
				s[k] = x
			}
			store, err := NewStore(v, opt.Preset, s)
			if err != nil {
				return nil, err
			}
			logf("== training %s, learning rate %g → %s", v, lr, dir)
			r, err := Train(ctx, data, TrainConfig{Dir: dir, Store: store, Backend: opt.Backend, Progress: opt.Progress,
				Fresh: opt.Fresh})
			if err != nil {
				return nil, err
			}
			trials = append(trials, Trial{LearningRate: lr, BestValLoss: r.BestValLoss, BestEpoch: r.BestEpoch})
			if res == nil || r.BestValLoss < res.BestValLoss {
				res, chosen = r, lr
			}
		}
		if len(lrs) > 1 {
			logf("== %s: learning rate %g chosen on validation (best val loss %.4f at epoch %d; constant predictor "+
				"%.4f)", v, chosen, res.BestValLoss, res.BestEpoch, res.Constant.Loss)
		}
		best, err := ckpt.Load(res.Best)
		if err != nil {
			return nil, err
		}
		trained := model.NewStore()
		if err := best.Restore(trained); err != nil {
			return nil, err
		}
		emb, err := NewEmbedder(opt.Backend, trained, audio)
		if err != nil {
			return nil, err
		}
		e, err := EmbedSongsProgress(emb, data, string(v), false, opt.Progress)
		if err != nil {
			return nil, err
		}
		row, err := score(e, "learned")
		if err != nil {
			return nil, err
		}
		row.BestEpoch, row.ValLoss, row.TrainSecond = res.BestEpoch, res.BestValLoss, res.Wall.Seconds()
		beats := res.BestValLoss < res.Constant.Loss
		row.ConstantLoss, row.ConstantWhat, row.BeatsConstant = res.Constant.Loss, res.Constant.What, &beats
		row.LearningRate, row.Trials = chosen, trials
		rep.Rows = append(rep.Rows, row)
	}
	// Baselines without training. The untrained CNN's weights are drawn from a seed (an unseeded store draws
	// a cryptographically random one, and the row would change from run to run).
	randomStore := model.NewStore()
	randomStore.SetParam(model.ParamInitialSeed, int64(opt.Seed)+0x5eed)
	randomEmb, err := NewEmbedder(opt.Backend, randomStore, audio)
	if err != nil {
		return nil, err
	}
	random, err := EmbedSongsProgress(randomEmb, data, "same CNN, random weights (untrained)", false, opt.Progress)
	if err != nil {
		return nil, err
	}
	raw, err := RawMelStats(data)
	if err != nil {
		return nil, err
	}
	for _, e := range []*Embeddings{random, raw} {
		row, err := score(e, "baseline")
		if err != nil {
			return nil, err
		}
		rep.Rows = append(rep.Rows, row)
	}
	// Oracle rows: continuation from metadata alone (no audio), the ceiling the learned rows can be read against.
	for _, by := range []string{"genre", "artist"} {
		c, err := MetadataContinuation(data, by, 10, opt.Seed)
		if err != nil {
			return nil, err
		}
		rep.Rows = append(rep.Rows, Row{Name: "metadata oracle: same " + map[string]string{"genre": "top genre",
			"artist": "artist"}[by], Kind: "oracle", Metrics: map[string]float64{"continuation_hr@10": c.HitRate,
			"continuation_ndcg@10": c.NDCG}})
	}
	rep.Description = fmt.Sprintf("contrastive-mir's tasks on the %d test songs (%d training songs fit the probes): "+
		"genre classification = multinomial logistic regression (C=1, standardised features) on frozen song "+
		"embeddings predicting the top-level genre (accuracy, macro-F1, macro one-vs-rest ROC-AUC); playlist "+
		"continuation = cold start: playlists' test songs held out, every test song a candidate, ranked by cosine "+
		"to the centroid of the playlist's other songs (HR@10, nDCG@10); automatic tagging = one-vs-rest logistic "+
		"regressions for the sub-genres (macro ROC-AUC and PR-AUC). Song embedding = z (flattened CNN output) "+
		"averaged over 256-frame chunks of the song's mel-spectrogram, from each variant's best-validation checkpoint. "+
		"Constant predictor = the validation loss of the best input-independent prediction (training genre "+
		"frequencies, training-mean CF vector, or equal embeddings for NT-Xent); a variant whose best validation "+
		"loss is not below it learned nothing visible on validation. Oracle rows score continuation by metadata "+
		"alone (visible songs sharing the candidate's top genre or artist).", len(data.Test), len(data.Train))
	rep.Notes = []string{"The playlists of generated datasets are simulated from latent listener tastes (see the " +
		"dataset's README): continuation numbers measure agreement with that simulation, not with real listeners."}
	return rep, rep.Write(opt.ResultsRoot)
}

// Write saves the report as JSON and Markdown (atomically).
func (r *Report) Write(dir string) error {
	return corpus.WriteReport(dir, r.Name, r, r.Markdown())
}

// Markdown renders the task table.
func (r *Report) Markdown() string {
	cols := []string{"genre_accuracy", "genre_macro_f1", "genre_roc_auc", "continuation_hr@10", "continuation_ndcg@10",
		"tag_roc_auc", "tag_pr_auc"}
	var b strings.Builder
	fmt.Fprintf(&b, "# contrastive-mir tasks: %s\n\nCreated %s on %s; preset %q.\n\n- Data: %s\n\n%s\n\n", r.Name,
		r.Created, r.Backend, r.Preset, r.Data, r.Description)
	fmt.Fprintf(&b, "| embeddings | kind | dim | %s | lr | best epoch | best val loss | constant predictor | "+
		"beats it |\n|---|---|---|%s---|---|---|---|---|\n", strings.Join(cols, " | "), strings.Repeat("---|", len(cols)))
	for _, row := range r.Rows {
		dim := "–"
		if row.Dim > 0 {
			dim = strconv.Itoa(row.Dim)
		}
		fmt.Fprintf(&b, "| %s | %s | %s |", row.Name, row.Kind, dim)
		for _, c := range cols {
			if v, ok := row.Metrics[c]; !ok || math.IsNaN(v) {
				b.WriteString(" – |")
			} else {
				fmt.Fprintf(&b, " %.4f |", v)
			}
		}
		if row.BestEpoch > 0 {
			beats := "–"
			if row.BeatsConstant != nil {
				beats = map[bool]string{true: "yes", false: "**no**"}[*row.BeatsConstant]
			}
			fmt.Fprintf(&b, " %g | %d | %.4f | %.4f | %s |\n", row.LearningRate, row.BestEpoch, row.ValLoss,
				row.ConstantLoss, beats)
		} else {
			b.WriteString(" – | – | – | – | – |\n")
		}
	}
	var tuned []string
	for _, row := range r.Rows {
		if len(row.Trials) > 1 {
			var ts []string
			for _, t := range row.Trials {
				ts = append(ts, fmt.Sprintf("lr %g: %.4f (epoch %d)", t.LearningRate, t.BestValLoss, t.BestEpoch))
			}
			tuned = append(tuned, fmt.Sprintf("- %s (constant predictor %.4f): %s", row.Name, row.ConstantLoss,
				strings.Join(ts, "; ")))
		}
	}
	if len(tuned) > 0 {
		fmt.Fprintf(&b, "\nLearning rate tuned on the validation split (best validation loss per learning rate):\n\n%s\n",
			strings.Join(tuned, "\n"))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "\n- %s\n", n)
	}
	return b.String()
}
