package cmir

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/ckpt"
	"github.com/musicrep/musicrep/musicrep/encoder"
	"github.com/musicrep/musicrep/musicrep/joint"
	"github.com/musicrep/musicrep/musicrep/melon"
	"github.com/musicrep/musicrep/musicrep/musicnn"
	"github.com/musicrep/musicrep/musicrep/objective"
	"github.com/musicrep/musicrep/musicrep/results"
	"github.com/musicrep/musicrep/musicrep/training"
)

// ReportOptions configures RunReport.
type ReportOptions struct {
	Dataset        string              // a Melon-layout directory
	Name           string              // results name: <ResultsRoot>/<Name>.{json,md}, checkpoints <CheckpointRoot>/<Name>/<variant>
	Preset         string              // paper, small or tiny
	Epochs         int                 // overrides the preset's epochs when > 0
	BatchSize      int                 // overrides the preset's batch size when > 0
	Variants       []objective.Variant // default: the full contrastive model and the two baselines
	Seed           uint64
	CFFactors      int // default 300
	CFThreads      int // BPR goroutines (cf.Options.Threads): 0 or 1 sequential and deterministic, more Hogwild
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
	// Joint, when not empty, adds a row for the joint model trained on the same dataset with contrastive-mir's
	// CNN as its audio encoder (JointSettings(Joint): the preset's CNN, modalities audio, cf and tags), scored on
	// its audio alone in the shared space: "default", or settings of the joint model ("joint_dim=64;...").
	Joint string
	// Musicnn, when set (MSD_musicnn from musicnn.Load), adds the pretrained musicnn features of every song
	// (SongMusicnn, from the dataset's audio; cached in MusicnnCache, default DIR/musicnn/MODEL) as a frozen
	// baseline row, and, with Joint, a second joint row whose audio modality is those frozen features read by
	// the dense encoder (joint_audio_encoder=mlp) next to the CNN trained from scratch.
	Musicnn        *musicnn.Model
	MusicnnCache   string
	MusicnnWorkers int
	// MusicnnFinetune, with Joint, adds a third joint row whose audio encoder is the pretrained musicnn network
	// fine-tuned on musicnn's input patches of the songs (joint_audio_encoder=musicnn; SongPatches), scored from
	// the mean of its patch embeddings. It needs the dataset's audio and the musicnn weights.
	MusicnnFinetune bool
	// MusicnnFinetuneSet holds settings of the fine-tuned row's joint model only, applied after the derived ones
	// and Joint (e.g. "num_epochs=3": a shorter budget than the other joint rows, the full network's backward
	// pass per patch being slow on a CPU); the report's description records the settings used.
	MusicnnFinetuneSet string
	// MusicnnFinetunePatches > 0 embeds each song for the fine-tuned row from its central MusicnnFinetunePatches
	// patches only (CentralPatches; 0: all), bounding the full network's forward passes on a CPU; training still
	// draws from all of a song's patches.
	MusicnnFinetunePatches int
	// CompareWith is a report JSON of another run over the same test songs and playlists (e.g. the same dataset
	// with the test songs rendered with another soundfont): rows of the same name get paired bootstrap
	// differences (this run − that one) of genre accuracy and continuation HR@10.
	CompareWith string
}

// JointRowName names the joint model's row and checkpoint directory in the task table.
const JointRowName = "joint (audio CNN, shared space)"

// JointMusicnnRowName names the row of the joint model whose audio is the frozen musicnn features.
const JointMusicnnRowName = "joint (frozen musicnn audio, shared space)"

// JointFinetuneRowName names the row of the joint model whose audio encoder is musicnn, fine-tuned.
const JointFinetuneRowName = "joint (musicnn fine-tuned, shared space)"

// JointMusicnnSettings is the joint model of the JointMusicnnRowName row: JointSettings with the dense audio
// encoder on the frozen musicnn features instead of the CNN.
func JointMusicnnSettings(extra string) string {
	return strings.Replace(JointSettings(extra), "joint_audio_encoder=cnn", "joint_audio_encoder=mlp", 1)
}

// FinetuneSettings is the joint model of the JointFinetuneRowName row: JointSettings with the musicnn audio
// encoder (joint_audio_encoder=musicnn) instead of the CNN.
func FinetuneSettings(extra string) string {
	return strings.Replace(JointSettings(extra), "joint_audio_encoder=cnn", "joint_audio_encoder=musicnn", 1)
}

// JointSettings is the joint model ReportOptions.Joint asks for: model=joint with the CNN audio encoder over the
// audio, cf and tags of the dataset, then the given settings ("default" adds none).
func JointSettings(extra string) string {
	s := "model=joint;joint_audio_encoder=cnn;joint_modalities=audio,cf,tags"
	for _, part := range strings.Split(extra, ";") {
		if part = strings.TrimSpace(part); part != "" && part != "default" {
			s += ";" + part
		}
	}
	return s
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
	// Bootstrap 95% intervals: CI95 per metric (genre accuracy over test songs, continuation HR@10 over
	// playlists), VsRaw the paired difference with the raw mel statistics row.
	CI95    map[string]Interval `json:"ci95,omitempty"`
	VsRaw   map[string]Interval `json:"minus_raw_mel_ci95,omitempty"`
	Samples *Samples            `json:"samples,omitempty"`
}

// Comparison is a paired difference of one row and metric between this run and CompareWith.
type Comparison struct {
	Row    string   `json:"row"`
	Metric string   `json:"metric"`
	Other  string   `json:"other"` // the other report's name
	Diff   Interval `json:"this_minus_other"`
}

// RowDifference is a paired difference of two rows of the same report (Row minus Other, same resamples).
type RowDifference struct {
	Row    string   `json:"row"`
	Other  string   `json:"other"`
	Metric string   `json:"metric"`
	Diff   Interval `json:"row_minus_other"`
}

// Report is the task table.
type Report struct {
	results.Header
	Data        string       `json:"data"`
	Preset      string       `json:"preset"`
	Description string       `json:"description"`
	Rows        []Row        `json:"rows"`
	Comparisons []Comparison `json:"comparisons,omitempty"`
	// Differences between the musicnn rows, when the report has both rows of a pair: the joint model on frozen
	// musicnn features minus those features alone, and the fine-tuned joint model minus each of them.
	Differences []RowDifference `json:"differences,omitempty"`
	Notes       []string        `json:"notes"`
}

// differencePairs are the pairs of rows whose paired differences a report lists (Report.Differences).
var differencePairs = [][2]string{
	{JointMusicnnRowName, MusicnnRowName},
	{JointFinetuneRowName, JointMusicnnRowName},
	{JointFinetuneRowName, MusicnnRowName},
}

// rawRowName is the name of the raw mel statistics row (RawMelStats), the reference of Row.VsRaw.
const rawRowName = "raw mel statistics"

// addIntervals fills each row's bootstrap intervals and, with compareWith, the comparisons with another run.
func (r *Report) addIntervals(seed uint64, compareWith string) error {
	var raw *Samples
	for _, row := range r.Rows {
		if row.Name == rawRowName {
			raw = row.Samples
		}
	}
	metrics := []string{"genre_accuracy", "continuation_hr@10"}
	for i := range r.Rows {
		row := &r.Rows[i]
		if row.Samples == nil {
			continue
		}
		row.CI95, row.VsRaw = map[string]Interval{}, map[string]Interval{}
		if len(row.Samples.GenreCorrect) > 0 {
			row.CI95["genre_accuracy"] = AccuracyInterval(row.Samples, seed)
		}
		if row.Samples.Playlists != nil {
			row.CI95["continuation_hr@10"] = HitRateInterval(row.Samples, seed)
		}
		if raw == nil || row.Name == rawRowName {
			continue
		}
		for _, m := range metrics {
			if _, ok := row.CI95[m]; !ok {
				continue
			}
			d, err := PairedDifference(row.Samples, raw, m, seed)
			if err != nil {
				return err
			}
			row.VsRaw[m] = d
		}
	}
	byName := map[string]*Samples{}
	for _, row := range r.Rows {
		byName[row.Name] = row.Samples
	}
	r.Differences = nil
	for _, p := range differencePairs {
		a, b := byName[p[0]], byName[p[1]]
		if a == nil || b == nil {
			continue
		}
		for _, m := range metrics {
			d, err := PairedDifference(a, b, m, seed)
			if err != nil {
				return fmt.Errorf("cmir: %s − %s: %w", p[0], p[1], err)
			}
			r.Differences = append(r.Differences, RowDifference{Row: p[0], Other: p[1], Metric: m, Diff: d})
		}
	}
	if compareWith == "" {
		return nil
	}
	b, err := os.ReadFile(compareWith)
	if err != nil {
		return fmt.Errorf("cmir: the report to compare with: %w", err)
	}
	var other Report
	if err := json.Unmarshal(b, &other); err != nil {
		return fmt.Errorf("cmir: %s: %w (give a report JSON written by musicrep cmir)", compareWith, err)
	}
	for _, row := range r.Rows {
		for _, o := range other.Rows {
			if o.Name != row.Name || o.Samples == nil || row.Samples == nil {
				continue
			}
			for _, m := range metrics {
				if _, ok := row.CI95[m]; !ok {
					continue
				}
				d, err := PairedDifference(row.Samples, o.Samples, m, seed)
				if err != nil {
					return fmt.Errorf("%s, row %q: %w", compareWith, row.Name, err)
				}
				r.Comparisons = append(r.Comparisons, Comparison{Row: row.Name, Metric: m, Other: other.Name, Diff: d})
			}
		}
	}
	return nil
}

// RunReport trains the variants on a Melon-layout dataset (resuming finished runs), embeds every song with each
// variant's best-validation checkpoint (z, the flattened CNN output, averaged over 256-frame chunks, as
// contrastive-mir's encode.py), and scores the test songs on the paper's tasks next to two baselines that need
// no training: the raw mel statistics and the same CNN with random weights. Writes <ResultsRoot>/<Name>.json, .md.
func RunReport(ctx context.Context, opt ReportOptions) (*Report, error) {
	if len(opt.Variants) == 0 {
		opt.Variants = []objective.Variant{objective.MIRFull, objective.MIRBaselineMF, objective.MIRBaselineGn}
	}
	if opt.CheckpointRoot == "" {
		opt.CheckpointRoot = "checkpoints"
	}
	job, err := results.Open(opt.Name, opt.ResultsRoot, opt.Backend, opt.Progress)
	if err != nil {
		return nil, err
	}
	opt.ResultsRoot, opt.Backend = job.Root, job.Backend
	logf := job.Logf
	ds, err := melon.Load(opt.Dataset)
	if err != nil {
		return nil, err
	}
	logf("cmir: %s", ds.Stats())
	data, err := Prepare(ds, PrepareOptions{Seed: opt.Seed, CFFactors: opt.CFFactors, CFThreads: opt.CFThreads,
		Progress: opt.Progress, Stream: opt.Stream, MaxSongs: opt.MaxSongs})
	if err != nil {
		return nil, err
	}
	rep := &Report{Header: job.Header, Data: data.Description, Preset: opt.Preset}
	var settings []string
	if opt.Epochs > 0 {
		settings = append(settings, fmt.Sprintf("%s=%d", training.ParamEpochs, opt.Epochs))
	}
	if opt.BatchSize > 0 {
		settings = append(settings, fmt.Sprintf("%s=%d", training.ParamBatchSize, opt.BatchSize))
	}
	newStore := func(model string, extra ...string) (*model.Store, error) {
		if strings.Contains(model, "model=joint") {
			// Everything the joint model shares with the variants is in its settings already.
			return training.NewStore("", strings.Join(append([]string{model}, extra...), ";"))
		}
		all := append([]string{model}, settings...)
		return training.NewStore(opt.Preset, strings.Join(append(all, extra...), ";"))
	}
	score := func(e *musicrep.Embeddings, kind string) (Row, error) {
		p, err := LinearProbe(data, e)
		if err != nil {
			return Row{}, err
		}
		c, hits := ColdStartContinuationSamples(data, e, 10)
		metrics := map[string]float64{
			"genre_accuracy": p.Accuracy, "genre_macro_f1": p.MacroF1, "genre_roc_auc": p.GenreROCAUC,
			"continuation_hr@10": c.HitRate, "continuation_ndcg@10": c.NDCG,
			"tag_roc_auc": p.TagROCAUC, "tag_pr_auc": p.TagPRAUC}
		for k, v := range metrics {
			if math.IsNaN(v) { // undefined (e.g. ROC-AUC when the test songs have one genre): left out, "–" in the table
				delete(metrics, k)
			}
		}
		return Row{Name: e.Name, Kind: kind, Dim: e.Dim, Metrics: metrics,
			Samples: &Samples{TestIDs: p.TestIDs, GenreCorrect: p.Correct, Playlists: &hits}}, nil
	}
	// The models trained here: the variants, and the joint model with the CNN audio encoder when asked.
	type trained struct {
		name     string
		settings string
		variant  objective.Variant // "" for the joint models
		musicnn  bool              // the joint model on the frozen musicnn features
		finetune bool              // the joint model with the musicnn encoder on patches
	}
	var patches *MusicnnPatches
	if opt.MusicnnFinetune && opt.Joint != "" {
		logf("cmir: musicnn input patches of every song (centred %.1f s)", MusicnnSeconds)
		if patches, err = SongPatches(ctx, data); err != nil {
			return nil, err
		}
	}
	var mn *musicrep.Embeddings
	var mnData *AudioFeatures
	if opt.Musicnn != nil {
		if mn, err = SongMusicnn(ctx, data, MusicnnOptions{Model: opt.Musicnn, CacheDir: opt.MusicnnCache,
			Workers: opt.MusicnnWorkers, Progress: opt.Progress}); err != nil {
			return nil, err
		}
		if mnData, err = WithAudioFeatures(data, mn); err != nil {
			return nil, err
		}
	}
	var models []trained
	for _, v := range opt.Variants {
		models = append(models, trained{name: string(v), settings: training.ParamModel + "=" + training.MIRModelPrefix +
			string(v), variant: v})
	}
	if opt.Joint != "" {
		// The joint model gets the variants' CNN, batch size, epochs and learning rate (the preset's for
		// contrastive-mir), then the settings asked for.
		ref, err := newStore(training.ParamModel + "=" + training.MIRModelPrefix + string(objective.MIRFull))
		if err != nil {
			return nil, err
		}
		sc := ref.RootScope()
		derived := fmt.Sprintf("%s=%s;%s=%d;%s=%g;%s=%d;%s=%d;%s=%g", training.ParamCNNWidths,
			training.Param[string](sc, training.ParamCNNWidths), training.ParamCNNHidden,
			training.Param[int](sc, training.ParamCNNHidden), training.ParamCNNDropout,
			training.Param[float64](sc, training.ParamCNNDropout), training.ParamJointBatchSize,
			training.Param[int](sc, training.ParamBatchSize), training.ParamEpochs,
			training.Param[int](sc, training.ParamEpochs), training.ParamLearningRate,
			training.Param[float64](sc, training.ParamLearningRate))
		models = append(models, trained{name: JointRowName, settings: JointSettings(derived + ";" + opt.Joint)})
		if mnData != nil {
			models = append(models, trained{name: JointMusicnnRowName, musicnn: true,
				settings: JointMusicnnSettings(derived + ";" + opt.Joint)})
		}
		if patches != nil {
			models = append(models, trained{name: JointFinetuneRowName, finetune: true,
				settings: FinetuneSettings(derived + ";" + opt.Joint + ";" + opt.MusicnnFinetuneSet)})
		}
	}
	var audio encoder.AudioConfig
	for _, m := range models {
		store, err := newStore(m.settings)
		if err != nil {
			return nil, err
		}
		if audio, err = training.CNNConfigFromStore(store, encoder.EmbeddingDim); err != nil {
			return nil, err
		}
		var constant *ConstantLoss
		if m.variant != "" {
			batch := training.Param[int](store.RootScope(), training.ParamBatchSize)
			c, err := ConstantValidationLoss(data, m.variant, batch)
			if err != nil {
				return nil, err
			}
			constant = &c
		}
		lrs := opt.LearningRates
		if len(lrs) == 0 {
			lrs = []float64{training.Param[float64](store.RootScope(), training.ParamLearningRate)}
		}
		var res *training.Result
		var trials []Trial
		var chosen float64
		for _, lr := range lrs {
			dir := filepath.Join(opt.CheckpointRoot, opt.Name, m.name)
			if len(lrs) > 1 {
				dir = filepath.Join(dir, "lr-"+strconv.FormatFloat(lr, 'g', -1, 64))
			}
			store, err := newStore(m.settings, fmt.Sprintf("%s=%g", training.ParamLearningRate, lr))
			if err != nil {
				return nil, err
			}
			floor := ""
			if constant != nil {
				floor = fmt.Sprintf("; constant predictor on validation: %.4f (%s)", constant.Loss, constant.What)
			}
			logf("== training %s, learning rate %g → %s%s", m.name, lr, dir, floor)
			var ds training.Dataset = data
			if m.musicnn {
				ds = mnData
			}
			if m.finetune {
				ds = patches
			}
			r, err := training.Train(ctx, training.Config{Dir: dir, Store: store, Data: ds, Backend: opt.Backend,
				Progress: opt.Progress, Fresh: opt.Fresh})
			if err != nil {
				return nil, err
			}
			trials = append(trials, Trial{LearningRate: lr, BestValLoss: r.BestValLoss, BestEpoch: r.BestEpoch})
			if res == nil || r.BestValLoss < res.BestValLoss {
				res, chosen = r, lr
			}
		}
		if len(lrs) > 1 {
			logf("== %s: learning rate %g chosen on validation (best val loss %.4f at epoch %d)", m.name, chosen,
				res.BestValLoss, res.BestEpoch)
		}
		best, err := ckpt.Load(res.Best)
		if err != nil {
			return nil, err
		}
		weights := model.NewStore()
		if err := best.Restore(weights); err != nil {
			return nil, err
		}
		var e *musicrep.Embeddings
		if m.musicnn {
			e, err = JointAudioFeatureEmbeddings(opt.Backend, weights, mn, m.name)
		} else if m.finetune {
			e, err = JointMusicnnEmbeddings(opt.Backend, weights, patches, m.name, opt.MusicnnFinetunePatches)
		} else {
			var emb *Embedder
			if m.variant != "" {
				emb, err = NewEmbedder(opt.Backend, weights, audio)
			} else {
				var arch joint.Architecture
				if arch, err = joint.ArchitectureFromStore(weights); err == nil {
					emb, err = NewJointAudioEmbedder(opt.Backend, weights, arch)
				}
			}
			if err != nil {
				return nil, err
			}
			e, err = EmbedSongsProgress(emb, data, m.name, false, opt.Progress)
		}
		if err != nil {
			return nil, err
		}
		row, err := score(e, "learned")
		if err != nil {
			return nil, err
		}
		row.BestEpoch, row.ValLoss, row.TrainSecond = res.BestEpoch, res.BestValLoss, res.Wall.Seconds()
		if constant != nil {
			beats := res.BestValLoss < constant.Loss
			row.ConstantLoss, row.ConstantWhat, row.BeatsConstant = constant.Loss, constant.What, &beats
		}
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
	baselines := []*musicrep.Embeddings{random, raw}
	if mn != nil {
		baselines = append(baselines, mn)
	}
	for _, e := range baselines {
		row, err := score(e, "baseline")
		if err != nil {
			return nil, err
		}
		rep.Rows = append(rep.Rows, row)
	}
	// Oracle rows: continuation from metadata alone (no audio), the ceiling the learned rows can be read against.
	for _, by := range []string{"genre", "artist"} {
		c, hits, err := MetadataContinuation(data, by, 10, opt.Seed)
		if err != nil {
			return nil, err
		}
		rep.Rows = append(rep.Rows, Row{Name: "metadata oracle: same " + map[string]string{"genre": "top genre",
			"artist": "artist"}[by], Kind: "oracle", Metrics: map[string]float64{"continuation_hr@10": c.HitRate,
			"continuation_ndcg@10": c.NDCG}, Samples: &Samples{Playlists: &hits}})
	}
	if err := rep.addIntervals(opt.Seed, opt.CompareWith); err != nil {
		return nil, err
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
	if opt.Joint != "" {
		rep.Description += fmt.Sprintf(" The %q row is musicrep's joint model (%s) trained by the same trainer on the "+
			"same songs, with contrastive-mir's CNN as its audio encoder; its song embedding is the audio encoder's "+
			"unit vector in the shared space averaged over the chunks (test songs have audio only).", JointRowName,
			JointSettings(opt.Joint))
	}
	if patches != nil {
		rep.Description += fmt.Sprintf(" The %q row is the joint model with the pretrained MSD_musicnn network as its "+
			"audio encoder (joint_audio_encoder=musicnn: weights initialised from the checkpoint and fine-tuned by the "+
			"contrastive objective, batch normalisation in inference mode with the checkpoint's moving statistics "+
			"frozen) on musicnn's 3 s input patches of the songs' centred %.1f s (one random patch per song and "+
			"step); its song embedding is the mean of its patch embeddings.", JointFinetuneRowName, MusicnnSeconds)
		if opt.MusicnnFinetunePatches > 0 {
			rep.Description += fmt.Sprintf(" Its song embedding is the mean over the song's central %d patch(es) "+
				"only (the frozen musicnn rows: all patches), to bound the full network's forward passes on a CPU; "+
				"training drew from all patches.", opt.MusicnnFinetunePatches)
		}
		if opt.MusicnnFinetuneSet != "" {
			rep.Description += fmt.Sprintf(" That row's own settings, applied after the other joint rows': %s.",
				opt.MusicnnFinetuneSet)
		}
	}
	if mn != nil {
		rep.Description += fmt.Sprintf(" The %q row is the pretrained musicnn tagger's features, frozen (%s; musicnn's "+
			"own front-end on the dataset's 16 kHz audio: 96 Slaney bands, log10(10000·x+1), 3 s patches; trained on "+
			"the Million Song Dataset's last.fm tags, not on this data).", MusicnnRowName, mn.Source)
		if opt.Joint != "" {
			rep.Description += fmt.Sprintf(" The %q row is the same joint model (%s) with those frozen features as its "+
				"audio modality, read by the dense encoder; its song embedding is the audio encoder's unit vector in the "+
				"shared space.", JointMusicnnRowName, JointMusicnnSettings(opt.Joint))
		}
	}
	rep.Notes = []string{"The playlists of generated datasets are simulated from latent listener tastes (see the " +
		"dataset's README): continuation numbers measure agreement with that simulation, not with real listeners."}
	return rep, rep.Write(opt.ResultsRoot)
}

// Write saves the report as JSON and Markdown (atomically).
func (r *Report) Write(dir string) error {
	return results.Write(dir, r.Name, r, r.Markdown())
}

// Table returns the task table as a results.Table (what display.ResultsHTML shows): one row per embeddings
// set with its metrics; a learned row's note gives its best validation epoch and loss against the constant
// predictor, and says when it did not beat it.
func (r *Report) Table() *results.Table {
	t := &results.Table{Protocol: "contrastive-mir tasks", Description: r.Description, Notes: r.Notes}
	for _, row := range r.Rows {
		out := results.Row{Name: row.Name, Kind: row.Kind, Dim: row.Dim, Metrics: row.Metrics}
		if row.Kind == "learned" {
			out.Note = fmt.Sprintf("best validation loss %.4f at epoch %d (constant predictor: %.4f, %s); "+
				"trained in %.1f s", row.ValLoss, row.BestEpoch, row.ConstantLoss, row.ConstantWhat, row.TrainSecond)
			if row.BeatsConstant != nil && !*row.BeatsConstant {
				out.Note += " — NOT below its constant predictor: it learned nothing usable"
			}
		}
		t.Rows = append(t.Rows, out)
	}
	return t
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
	var ivs []string
	for _, row := range r.Rows {
		var parts []string
		for _, m := range []string{"genre_accuracy", "continuation_hr@10"} {
			if iv, ok := row.CI95[m]; ok {
				part := fmt.Sprintf("%s %s", m, iv)
				if d, ok := row.VsRaw[m]; ok {
					sig := "not significant"
					if d.Excludes0() {
						sig = "excludes 0"
					}
					part += fmt.Sprintf(" (minus raw mel statistics: %s, %s)", d, sig)
				}
				parts = append(parts, part)
			}
		}
		if len(parts) > 0 {
			ivs = append(ivs, fmt.Sprintf("- %s: %s", row.Name, strings.Join(parts, "; ")))
		}
	}
	if len(ivs) > 0 {
		fmt.Fprintf(&b, "\nBootstrap 95%% intervals (%d resamples; genre accuracy over test songs, HR@10 over "+
			"playlists; differences paired):\n\n%s\n", BootstrapResamples, strings.Join(ivs, "\n"))
	}
	if len(r.Comparisons) > 0 {
		fmt.Fprintf(&b, "\nThis run minus %s (paired bootstrap 95%% intervals over the same test songs/playlists):\n\n",
			r.Comparisons[0].Other)
		for _, c := range r.Comparisons {
			sig := "not significant"
			if c.Diff.Excludes0() {
				sig = "excludes 0"
			}
			fmt.Fprintf(&b, "- %s, %s: %s (%s)\n", c.Row, c.Metric, c.Diff, sig)
		}
	}
	if len(r.Differences) > 0 {
		b.WriteString("\nPaired differences between rows (same resamples):\n\n")
		for _, d := range r.Differences {
			sig := "not significant"
			if d.Diff.Excludes0() {
				sig = "excludes 0"
			}
			fmt.Fprintf(&b, "- %s − %s, %s: %s (%s)\n", d.Row, d.Other, d.Metric, d.Diff, sig)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "\n- %s\n", n)
	}
	return b.String()
}
