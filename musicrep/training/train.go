package training

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/backends"
	"github.com/musicrep/musicrep/musicrep/ckpt"
)

// Architecture names recorded in checkpoints (ckpt.Meta.Architecture) and selected by the "model"
// hyperparameter.
const (
	ArchitectureName      = "binding" // binding_music's model (package binding)
	JointArchitectureName = "joint"   // per-modality encoders with fusion (package joint)
)

// LossLogFile is the per-step loss log in a run directory (CSV: epoch,step,loss).
const LossLogFile = "loss.csv"

// Data is what a run trains on: the features of every track (one matrix per modality, in the order of
// musicrep.ModalityOrder, all with the same rows), the labelled pairs (row indices into them; the binding
// model's examples, optional for the joint model) and the training tracks (the joint model's examples).
type Data struct {
	Features    []*musicrep.Features
	Anchor      []int32
	Other       []int32
	Label       []float32 // 1 positive, 0 negative
	Tracks      []int32   // rows the joint model trains on (e.g. the training split)
	Description string    // provenance, recorded in checkpoints
	// Info holds more provenance recorded in the checkpoint's Info (e.g. how derived features were built, so
	// that export can rebuild them).
	Info map[string]string
	// TagVectors is the initial embedding table of the joint model's attention or mean tag encoder, when the tags
	// features hold token ids (Features.Vocab set): (vocabulary size + 1) × TagDim, row-major, row 0 the
	// padding (zeros), row i the word vector of token i (corpus.Vocab.Table).
	TagVectors []float32
	TagDim     int
}

// Validate checks the data's consistency for a binding-model run.
func (d *Data) Validate() error {
	if len(d.Features) == 0 {
		return errors.New("training data has no modality features")
	}
	n := d.Features[0].NumRows()
	for _, f := range d.Features {
		if f.NumRows() != n {
			return fmt.Errorf("training data: %s features (%s) have %d rows, %s has %d", f.Modality, f.Source,
				f.NumRows(), d.Features[0].Modality, n)
		}
	}
	if len(d.Anchor) == 0 {
		return errors.New("training data has no pairs: the pair set (or the split it was restricted to) is empty")
	}
	if len(d.Other) != len(d.Anchor) || len(d.Label) != len(d.Anchor) {
		return fmt.Errorf("training data: %d anchors, %d others, %d labels", len(d.Anchor), len(d.Other), len(d.Label))
	}
	for i := range d.Anchor {
		if d.Anchor[i] < 0 || int(d.Anchor[i]) >= n || d.Other[i] < 0 || int(d.Other[i]) >= n {
			return fmt.Errorf("training data: pair %d references row %d/%d outside the %d tracks", i, d.Anchor[i],
				d.Other[i], n)
		}
	}
	return nil
}

// Config configures one training run.
type Config struct {
	// Dir is the run directory (checkpoints/<name>): checkpoints and the loss log go there.
	Dir string
	// Store holds the hyperparameters (see NewStore). It must have no variables yet.
	Store *model.Store
	// Data to train on: feature files with pairs (*Data) or any Dataset (e.g. a Melon-layout cmir.Data).
	Data Dataset
	// Backend to run on; nil means backends.New("").
	Backend compute.Backend
	// Progress receives human-readable progress lines; nil for none.
	Progress io.Writer
	// OnStep, if set, is called after every step (for live plots in notebooks).
	OnStep func(StepInfo)
	// Fresh discards existing checkpoints in Dir instead of resuming from them.
	Fresh bool
	// AllowChangedInputs resumes even when the checkpoint was trained on other inputs (Data.Fingerprint).
	AllowChangedInputs bool
}

// StepInfo describes one finished training step.
type StepInfo struct {
	Epoch, Epochs     int // 0-based epoch, total epochs
	Step, StepsPerEp  int // step within the epoch (1-based) and steps per epoch
	GlobalStep        int64
	Loss              float64
	EpochMeanLoss     float64 // mean loss of the epoch so far
	ValLoss           float64 // validation loss after the epoch (EpochFinished, datasets with a validation split)
	Best              bool    // the epoch's checkpoint is the best so far by validation loss (kept in Dir/best)
	PairsPerSecond    float64
	EpochFinished     bool
	CheckpointWritten string
}

// Result summarises a finished (or interrupted) run.
type Result struct {
	Dir string
	// Validation: the validation loss after every epoch run in this call (models trained on a dataset with a
	// validation split), the best one over the whole run, its epoch and its checkpoint (Dir/best).
	ValLosses      []float64
	BestValLoss    float64
	BestEpoch      int
	Best           string
	Checkpoint     string              // last checkpoint written or resumed from
	Model          string              // one-line description of the model
	Modalities     []musicrep.Modality // the inputs the model reads
	Epochs         int
	GlobalStep     int64
	ResumedFrom    string
	EpochLosses    []float64 // mean loss of each epoch run in this call
	Wall           time.Duration
	PairsPerSecond float64
	Backend        string
}

// Train runs (or resumes) a training run. When ctx is cancelled it writes a checkpoint at the current step and
// returns ctx.Err(); calling Train again with the same Dir resumes exactly there.
func Train(ctx context.Context, cfg Config) (res *Result, err error) {
	if cfg.Data == nil || reflect.ValueOf(cfg.Data).IsNil() {
		return nil, errors.New("training: no data given")
	}
	if cfg.Dir == "" {
		return nil, errors.New("training: no run directory given")
	}
	backend := cfg.Backend
	if backend == nil {
		if backend, err = backends.New(""); err != nil {
			return nil, err
		}
	}
	store := cfg.Store
	logf := func(format string, args ...any) {
		if cfg.Progress != nil {
			_, _ = fmt.Fprintf(cfg.Progress, format+"\n", args...)
		}
	}
	// Model: the "model" hyperparameter picks the task; modalities from the hyperparameters, input sizes from
	// the features.
	tk, err := newTask(store, cfg.Data)
	if err != nil {
		return nil, err
	}
	// Data parallelism is a setting of this run (checked before anything on disk changes), not of the model.
	dataParallelN := Param[int](store.RootScope(), ParamDataParallel)
	if err := checkDataParallel(backend, dataParallelN, tk.batchSizeParam(), tk.batchSize(store.RootScope()),
		tk.numExamples()); err != nil {
		return nil, err
	}

	// One run per directory at a time.
	unlock, err := ckpt.Lock(cfg.Dir)
	if err != nil {
		return nil, err
	}
	defer unlock()

	// Resume?
	res = &Result{Dir: cfg.Dir, Backend: backends.Describe(backend), Model: tk.String(), BestValLoss: math.Inf(1)}
	res.Modalities = tk.modalities()
	var resumed *ckpt.Checkpoint
	if cfg.Fresh {
		if err := removeRun(cfg.Dir); err != nil {
			return nil, err
		}
	} else {
		resumed, err = ckpt.Latest(cfg.Dir, func(msg string) { logf("warning: %s", msg) })
		if err != nil && !errors.Is(err, ckpt.ErrNoCheckpoint) {
			return nil, err
		}
		if errors.Is(err, ckpt.ErrNoCheckpoint) && hasCheckpointFiles(cfg.Dir) {
			return nil, fmt.Errorf("%w; remove %s or pass -fresh to start over", err, cfg.Dir)
		}
	}
	inputs := cfg.Data.Fingerprint()
	if resumed != nil {
		if err := checkCompatible(resumed, store, tk); err != nil {
			return nil, err
		}
		if err := checkInputs(resumed, inputs); err != nil {
			if !cfg.AllowChangedInputs {
				return nil, err
			}
			logf("warning: %v (continuing: changed inputs allowed)", err)
		}
		fresh := model.NewStore()
		if err := resumed.Restore(fresh); err != nil {
			return nil, err
		}
		// Keep run-length settings the user may change when resuming (e.g. more epochs).
		for _, key := range []string{ParamEpochs, ParamCheckpointEvery, ParamKeepCheckpoints} {
			if v, ok := store.GetParam("/" + key); ok {
				fresh.SetParam("/"+key, v)
			}
		}
		fresh.SetParam("/"+ParamDataParallel, dataParallelN) // the devices of this run, not of the checkpoint's
		store = fresh
		res.ResumedFrom = resumed.Path
		if b, err := ckpt.Latest(filepath.Join(cfg.Dir, BestDir), nil); err == nil {
			if v, err := strconv.ParseFloat(b.Meta.Info[ValLossInfo], 64); err == nil {
				res.BestValLoss, res.BestEpoch, res.Best = v, b.Meta.Epoch, b.Path
			}
		}
		logf("resuming from %s (epoch %d, step %d of that epoch, global step %d)", resumed.Path,
			resumed.Meta.Epoch, resumed.Meta.StepInEpoch, resumed.Meta.GlobalStep)
	}
	scope := store.RootScope()
	seed := Param[int](scope, ParamSeed)
	if resumed == nil {
		store.SetParam(model.ParamInitialSeed, int64(seed)+1)
		tk.setInStore(store)
	}
	lr := Param[float64](scope, ParamLearningRate)
	batchSize := tk.batchSize(scope)
	epochs := Param[int](scope, ParamEpochs)
	shuffle := Param[bool](scope, ParamShuffle)
	dropLast := Param[bool](scope, ParamDropLast)
	wd := Param[float64](scope, ParamWeightDecay)
	every := max(1, Param[int](scope, ParamCheckpointEvery))
	keep := Param[int](scope, ParamKeepCheckpoints)
	if batchSize < 1 || epochs < 1 || lr <= 0 || wd < 0 {
		return nil, fmt.Errorf("training: batch_size=%d, num_epochs=%d and learning_rate=%g must be positive, "+
			"weight_decay=%g ≥ 0", batchSize, epochs, lr, wd)
	}

	numPairs := tk.numExamples()
	var par *dataParallel
	if dataParallelN > 1 {
		if par, err = newDataParallel(dataParallelN); err != nil {
			return nil, err
		}
	}
	stepsPerEpoch := par.stepsPerEpoch(numPairs, batchSize)
	if dropLast {
		stepsPerEpoch = numPairs / batchSize
	}
	if stepsPerEpoch == 0 {
		return nil, fmt.Errorf("training: %d %s and %s with batch size %d: no full batch; lower the batch size",
			numPairs, tk.unit(), ParamDropLast, batchSize)
	}
	startEpoch, startStep := 0, 0
	if resumed != nil {
		startEpoch, startStep = resumed.Meta.Epoch, resumed.Meta.StepInEpoch
	}
	logf("backend: %s", res.Backend)
	logf("model: %s", tk)
	logf("data: %s; %d %s, batch %d, %d steps/epoch, epochs %d..%d of %d, shuffle=%v, seed=%d",
		cfg.Data.Describe(), numPairs, tk.unit(), batchSize, stepsPerEpoch, startEpoch+1, epochs, epochs, shuffle, seed)
	if par != nil {
		logf("data-parallel: each batch split over %d devices (%d %s each), variables replicated",
			par.numDevices(), batchSize/par.numDevices(), tk.unit())
		if last := numPairs % batchSize; last != par.usable(last) {
			logf("data-parallel: the last batch of each epoch has %d %s, not a multiple of %d: %d of them are "+
				"skipped each epoch", last, tk.unit(), par.numDevices(), last-par.usable(last))
		}
	}

	opt := optimizer.Adam().LearningRate(lr).Done()
	var trainer *train.Trainer
	if err := backends.Catch(func() {
		trainer = train.NewTrainer(backend, store, tk.modelFn, withWeightDecay(store, tk.lossFn, wd), opt, nil, nil)
	}); err != nil {
		return nil, fmt.Errorf("building the trainer: %w", err)
	}

	// Loss log: drop rows past the checkpoint we resume from, then append.
	lossPath := filepath.Join(cfg.Dir, LossLogFile)
	var resumeStep int64
	if resumed != nil {
		resumeStep = resumed.Meta.GlobalStep
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, err
	}
	if err := truncateLossLog(lossPath, resumeStep); err != nil {
		return nil, err
	}
	lossFile, err := os.OpenFile(lossPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening loss log: %w", err)
	}
	defer func() { _ = lossFile.Close() }()
	lossLog := bufio.NewWriter(lossFile)
	if info, _ := lossFile.Stat(); info != nil && info.Size() == 0 {
		_, _ = lossLog.WriteString("epoch,step,loss\n")
	}

	globalStep := resumeStep
	val, _ := tk.(validating)
	var valLoss func() (float64, error)
	if val != nil {
		if valLoss, err = validationLoss(backend, store, tk, val, uint64(seed), batchSize); err != nil {
			return nil, err
		}
	}
	var epochInfo map[string]string // Info of the checkpoint written at an epoch's end (its validation loss)
	save := func(epoch, stepInEpoch int) (string, error) {
		if err := lossLog.Flush(); err != nil {
			return "", err
		}
		_ = lossFile.Sync()
		info := map[string]string{"data": cfg.Data.Describe(), "backend": res.Backend, "model": tk.String()}
		for k, v := range cfg.Data.Provenance() {
			info[k] = v
		}
		for k, v := range epochInfo {
			info[k] = v
		}
		for k, v := range inputs {
			info[inputInfoPrefix+k] = v
		}
		return ckpt.Save(cfg.Dir, store, ckpt.Meta{
			Architecture: tk.name(), Epoch: epoch, StepInEpoch: stepInEpoch, GlobalStep: globalStep, Info: info,
		}, keep)
	}

	start := time.Now()
	pairsDone := 0
	for epoch := startEpoch; epoch < epochs; epoch++ {
		order := epochOrder(numPairs, shuffle, uint64(seed), epoch)
		var sum float64
		var count int
		first := 0
		if epoch == startEpoch {
			first = startStep
		}
		epochStart := time.Now()
		for step := first; step < stepsPerEpoch; step++ {
			if ctx.Err() != nil {
				path, err := save(epoch, step)
				if err != nil {
					return res, fmt.Errorf("interrupted, and saving a checkpoint failed: %w", err)
				}
				res.Checkpoint = path
				res.Epochs, res.GlobalStep, res.Wall = epoch, globalStep, time.Since(start)
				logf("interrupted: checkpoint %s written at epoch %d step %d; run again to resume", path, epoch+1, step)
				return res, ctx.Err()
			}
			lo, hi := step*batchSize, min(numPairs, (step+1)*batchSize)
			if par != nil {
				hi = lo + par.usable(hi-lo)
			}
			batch, err := tk.batch(order[lo:hi], uint64(seed), epoch, step)
			if err != nil {
				return res, fmt.Errorf("training batch %d (epoch %d): %w", step+1, epoch+1, err)
			}
			var metrics []*tensors.Tensor
			var stepErr error
			if err := backends.Catch(func() {
				if par != nil {
					metrics, stepErr = par.step(trainer, batch)
				} else {
					metrics, stepErr = trainer.TrainStep(batch)
				}
			}); err != nil || stepErr != nil {
				err = errors.Join(err, stepErr)
				return res, fmt.Errorf("training step %d (epoch %d): %w", globalStep+1, epoch+1, err)
			}
			loss := tensorFloat(metrics[0])
			for _, m := range metrics {
				m.MustFinalizeAll()
			}
			if math.IsNaN(loss) || math.IsInf(loss, 0) {
				return res, fmt.Errorf("training diverged: loss %v at global step %d (epoch %d); lower %s "+
					"(now %g) or check the features for extreme values", loss, globalStep+1, epoch+1,
					ParamLearningRate, lr)
			}
			globalStep++
			pairsDone += hi - lo
			sum += loss
			count++
			fmt.Fprintf(lossLog, "%d,%d,%.8g\n", epoch, globalStep, loss)
			info := StepInfo{Epoch: epoch, Epochs: epochs, Step: step + 1, StepsPerEp: stepsPerEpoch,
				GlobalStep: globalStep, Loss: loss, EpochMeanLoss: sum / float64(count),
				PairsPerSecond: float64(pairsDone) / time.Since(start).Seconds()}
			if step == stepsPerEpoch-1 {
				info.EpochFinished = true
				epochInfo = nil
				vl := math.NaN()
				if valLoss != nil {
					if vl, err = valLoss(); err != nil {
						return res, fmt.Errorf("validation loss after epoch %d: %w", epoch+1, err)
					}
					res.ValLosses = append(res.ValLosses, vl)
					info.ValLoss = vl
					epochInfo = map[string]string{ValLossInfo: strconv.FormatFloat(vl, 'g', -1, 64)}
				}
				if (epoch+1)%every == 0 || epoch+1 == epochs || valLoss != nil {
					path, err := save(epoch+1, 0)
					if err != nil {
						return res, fmt.Errorf("saving checkpoint after epoch %d: %w", epoch+1, err)
					}
					res.Checkpoint = path
					info.CheckpointWritten = path
					if valLoss != nil && vl < res.BestValLoss {
						if res.Best, err = ckpt.Keep(path, filepath.Join(cfg.Dir, BestDir)); err != nil {
							return res, err
						}
						res.BestValLoss, res.BestEpoch = vl, epoch+1
						info.Best = true
					}
				}
				epochInfo = nil
			}
			if cfg.OnStep != nil {
				cfg.OnStep(info)
			}
		}
		mean := sum / math.Max(1, float64(count))
		res.EpochLosses = append(res.EpochLosses, mean)
		elapsed := time.Since(start)
		done := epoch + 1 - startEpoch
		eta := time.Duration(float64(elapsed) / float64(done) * float64(epochs-epoch-1))
		valText := ""
		if n := len(res.ValLosses); n > 0 {
			valText = fmt.Sprintf("  val loss %.6f", res.ValLosses[n-1])
			if res.BestEpoch == epoch+1 {
				valText += " (best)"
			}
		}
		logf("epoch %d/%d  mean loss %.6f%s  %.0f %s/s  epoch %s  elapsed %s  eta %s", epoch+1, epochs, mean, valText,
			float64(count*batchSize)/time.Since(epochStart).Seconds(), tk.unit(), time.Since(epochStart).Round(time.Millisecond),
			elapsed.Round(time.Second), eta.Round(time.Second))
	}
	if err := lossLog.Flush(); err != nil {
		return res, err
	}
	res.Epochs, res.GlobalStep, res.Wall = epochs, globalStep, time.Since(start)
	if res.Wall > 0 {
		res.PairsPerSecond = float64(pairsDone) / res.Wall.Seconds()
	}
	if res.Checkpoint == "" && resumed != nil {
		res.Checkpoint = resumed.Path
	}
	return res, nil
}

// checkCompatible refuses to resume a checkpoint whose model or settings differ from the requested ones.
func checkCompatible(c *ckpt.Checkpoint, store *model.Store, tk task) error {
	if c.Meta.Architecture != tk.name() {
		return fmt.Errorf("checkpoint %s is a %q model, not %q: use another run name", c.Path,
			c.Meta.Architecture, tk.name())
	}
	for _, key := range tk.compatKeys() {
		want, _ := store.GetParam("/" + key)
		have, ok := c.Param("/" + key)
		if ok && fmt.Sprint(want) != fmt.Sprint(have) {
			return fmt.Errorf("checkpoint %s was trained with %s=%v but this run asks for %s=%v: use another run "+
				"name, or -fresh to discard it", c.Path, key, have, key, want)
		}
	}
	return nil
}

func hasCheckpointFiles(dir string) bool {
	list, _ := ckpt.List(dir)
	return len(list) > 0
}

func removeRun(dir string) error {
	list, err := ckpt.List(dir)
	if err != nil {
		return err
	}
	for _, p := range list {
		_ = os.Remove(p)
		_ = os.Remove(p[:len(p)-len(".json")] + ".bin")
	}
	if err := os.Remove(filepath.Join(dir, LossLogFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return os.RemoveAll(filepath.Join(dir, BestDir))
}

// truncateLossLog keeps the header and the rows with step ≤ lastStep.
func truncateLossLog(path string, lastStep int64) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	rows, err := csv.NewReader(f).ReadAll()
	_ = f.Close()
	if err != nil {
		// A torn last line after a crash: keep what parses line by line.
		rows = nil
	}
	var kept [][]string
	for i, r := range rows {
		if i == 0 || len(r) != 3 {
			continue
		}
		if s, err := strconv.ParseInt(r[1], 10, 64); err == nil && s <= lastStep {
			kept = append(kept, r)
		}
	}
	tmp := path + ".tmp"
	out, err := os.Create(tmp)
	if err != nil {
		return err
	}
	w := csv.NewWriter(out)
	_ = w.Write([]string{"epoch", "step", "loss"})
	_ = w.WriteAll(kept)
	w.Flush()
	if err := w.Error(); err != nil {
		_ = out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// epochOrder is the order in which pairs are visited in an epoch: a permutation drawn from (seed, epoch) when
// shuffling, so a resumed run visits exactly the pairs it would have; the file order otherwise.
func epochOrder(n int, shuffle bool, seed uint64, epoch int) []int {
	if !shuffle {
		order := make([]int, n)
		for i := range order {
			order[i] = i
		}
		return order
	}
	return rand.New(rand.NewPCG(seed, uint64(epoch)+0x9e3779b97f4a7c15)).Perm(n)
}

func tensorFloat(t *tensors.Tensor) float64 {
	switch v := t.Value().(type) {
	case float32:
		return float64(v)
	case float64:
		return v
	}
	return math.NaN()
}

// LossRow is one row of a run's loss log.
type LossRow struct {
	Epoch int
	Step  int64
	Loss  float64
}

// ReadLossLog reads checkpoints/<name>/loss.csv.
func ReadLossLog(runDir string) ([]LossRow, error) {
	path := filepath.Join(runDir, LossLogFile)
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := make([]LossRow, 0, len(rows))
	for i, r := range rows {
		if i == 0 {
			continue
		}
		if len(r) != 3 {
			return nil, fmt.Errorf("%s line %d: want epoch,step,loss", path, i+1)
		}
		e, err1 := strconv.Atoi(r[0])
		s, err2 := strconv.ParseInt(r[1], 10, 64)
		l, err3 := strconv.ParseFloat(r[2], 64)
		if err := errors.Join(err1, err2, err3); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", path, i+1, err)
		}
		out = append(out, LossRow{e, s, l})
	}
	return out, nil
}
