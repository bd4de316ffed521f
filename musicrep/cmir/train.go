package cmir

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX idiom.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"

	"github.com/musicrep/musicrep/musicrep/backends"
	"github.com/musicrep/musicrep/musicrep/ckpt"
)

// ArchitectureName is recorded in contrastive-mir checkpoints.
const ArchitectureName = "cmir"

// Hyperparameter keys (stored in checkpoints).
const (
	ParamVariant     = "cmir_variant"
	ParamWidths      = "cmir_widths"
	ParamHidden      = "cmir_hidden"
	ParamDropout     = "cmir_dropout"
	ParamScrambled   = "cmir_scrambled"
	ParamVocab       = "cmir_genre_vocab"
	ParamSubGenres   = "cmir_sub_genres"
	ParamLR          = "learning_rate"
	ParamWeightDecay = "weight_decay"
	ParamBatch       = "batch_size"
	ParamEpochs      = "num_epochs"
	ParamSeed        = "seed"
)

// Presets are the training sizes: "paper" is the published model and schedule (Adam 1e-4, weight decay 1e-4,
// batch 128, 400 epochs); "small" a narrow CNN for benchmarks on CPU; "tiny" a smoke run for CI.
var Presets = map[string]map[string]any{
	"paper": {ParamWidths: "128,128,256,256,256,256,512", ParamHidden: 512, ParamBatch: 128, ParamEpochs: 400},
	"small": {ParamWidths: "16,16,32,32,32,32,64", ParamHidden: 128, ParamBatch: 64, ParamEpochs: 30},
	"tiny":  {ParamWidths: "4,4,8,8,8,8,8", ParamHidden: 32, ParamBatch: 16, ParamEpochs: 2},
}

// NewStore returns a store with the defaults, the preset and then "k=v;k=v" settings.
func NewStore(variant Variant, preset string, settings map[string]any) (*model.Store, error) {
	p, ok := Presets[preset]
	if !ok {
		return nil, fmt.Errorf("cmir: unknown preset %q: use paper, small or tiny", preset)
	}
	store := model.NewStore()
	scope := store.RootScope()
	scope.SetParams(map[string]any{ParamVariant: string(variant), ParamDropout: 0.5, ParamScrambled: false,
		ParamLR: 1e-4, ParamWeightDecay: 1e-4, ParamSeed: 42})
	scope.SetParams(p)
	scope.SetParams(settings)
	return store, nil
}

// AudioConfigFromStore reads the audio encoder's architecture.
func AudioConfigFromStore(store *model.Store) (AudioConfig, error) {
	scope := store.RootScope()
	c := AudioConfig{Hidden: model.GetParamOr(scope, ParamHidden, 512), Dropout: model.GetParamOr(scope, ParamDropout, 0.5),
		Scrambled: model.GetParamOr(scope, ParamScrambled, false)}
	for _, w := range strings.Split(model.GetParamOr(scope, ParamWidths, ""), ",") {
		v, err := strconv.Atoi(strings.TrimSpace(w))
		if err != nil {
			return c, fmt.Errorf("cmir: %s=%q: want 7 comma-separated integers", ParamWidths, model.GetParamOr(scope, ParamWidths, ""))
		}
		c.Widths = append(c.Widths, v)
	}
	return c, c.Validate()
}

// TrainConfig configures Train.
type TrainConfig struct {
	Dir      string // checkpoints: Dir/ckpt-*.{json,bin} (resume) and Dir/best/ (lowest validation loss)
	Store    *model.Store
	Backend  compute.Backend
	Progress io.Writer
	Fresh    bool
}

// TrainResult summarises a run.
type TrainResult struct {
	Epochs      int
	TrainLoss   []float64 // per epoch run in this call
	ValLoss     []float64
	BestValLoss float64
	BestEpoch   int
	Best        string // best checkpoint
	Wall        time.Duration
	ResumedFrom string
	// Constant is the validation loss of the best constant predictor (ConstantValidationLoss): a best validation
	// loss that is not below it means the run learned nothing the validation songs can see.
	Constant ConstantLoss
}

// Train trains a variant on data.Train with random 256-frame crops (a new crop per song and epoch, drawn from
// (seed, epoch)), computes the validation loss on data.Val after every epoch (fixed crops, inference mode) and
// keeps the checkpoint with the lowest validation loss in Dir/best. Adam with PyTorch's coupled weight decay
// (the L2 term wd/2·‖θ‖² added to the loss), batches drop the last partial one (drop_last, as the seed).
// Interrupting (ctx) writes a checkpoint at the end of the current epoch boundary; calling Train again resumes.
func Train(ctx context.Context, data *Data, cfg TrainConfig) (res *TrainResult, err error) {
	store := cfg.Store
	if cfg.Backend == nil {
		if cfg.Backend, err = backends.New(""); err != nil {
			return nil, err
		}
	}
	logf := func(format string, args ...any) {
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, format+"\n", args...)
		}
	}
	res = &TrainResult{BestValLoss: math.Inf(1)}
	if cfg.Fresh {
		_ = os.RemoveAll(cfg.Dir)
	}
	startEpoch := 0
	if c, err := ckpt.Latest(cfg.Dir, nil); err == nil {
		if c.Meta.Architecture != ArchitectureName {
			return nil, fmt.Errorf("checkpoint %s is a %q model, not %q: use another directory", c.Path, c.Meta.Architecture, ArchitectureName)
		}
		want := model.GetParamOr(store.RootScope(), ParamVariant, "")
		if have, _ := c.Param("/" + ParamVariant); fmt.Sprint(have) != want {
			return nil, fmt.Errorf("checkpoint %s was trained as %v, this run asks for %s: use another directory or -fresh", c.Path, have, want)
		}
		fresh := model.NewStore()
		if err := c.Restore(fresh); err != nil {
			return nil, err
		}
		if v, ok := store.GetParam("/" + ParamEpochs); ok {
			fresh.SetParam("/"+ParamEpochs, v)
		}
		store = fresh
		startEpoch = c.Meta.Epoch
		res.ResumedFrom = c.Path
		if b, err := ckpt.Latest(filepath.Join(cfg.Dir, "best"), nil); err == nil {
			if v, err := strconv.ParseFloat(b.Meta.Info["val_loss"], 64); err == nil {
				res.BestValLoss, res.BestEpoch, res.Best = v, b.Meta.Epoch, b.Path
			}
		}
		logf("cmir: resuming from %s (epoch %d)", c.Path, startEpoch)
	} else if !errors.Is(err, ckpt.ErrNoCheckpoint) {
		return nil, err
	}
	scope := store.RootScope()
	audio, err := AudioConfigFromStore(store)
	if err != nil {
		return nil, err
	}
	variant := Variant(model.GetParamOr(scope, ParamVariant, string(Full)))
	batch := model.GetParamOr(scope, ParamBatch, 128)
	epochs := model.GetParamOr(scope, ParamEpochs, 400)
	seed := uint64(model.GetParamOr(scope, ParamSeed, 42))
	wd := model.GetParamOr(scope, ParamWeightDecay, 1e-4)
	lr := model.GetParamOr(scope, ParamLR, 1e-4)
	if startEpoch == 0 {
		store.SetParam(model.ParamInitialSeed, int64(seed)+1)
		scope.SetParam(ParamVocab, len(data.Vocab))
		scope.SetParam(ParamSubGenres, len(data.SubGenres))
	}
	if v := model.GetParamOr(scope, ParamVocab, 0); v != len(data.Vocab) {
		return nil, fmt.Errorf("cmir: the checkpoint has %d genre codes, the data %d: it was trained on other data", v, len(data.Vocab))
	}
	if len(data.Train) < batch {
		return nil, fmt.Errorf("cmir: %d training songs but batch size %d: lower %s", len(data.Train), batch, ParamBatch)
	}
	if len(data.Val) == 0 {
		return nil, errors.New("cmir: the validation split is empty")
	}
	if res.Constant, err = ConstantValidationLoss(data, variant, batch); err != nil {
		return nil, err
	}
	tags := TagConfig{Vocab: len(data.Vocab), Dim: EmbeddingDim, Table: data.Table, Heads: 4}
	if startEpoch > 0 {
		tags.Table = nil // restored from the checkpoint
	}
	lossGraph := func(scope *model.Scope, in []*Node) *Node {
		loss, _ := Loss(scope, variant, audio, tags, Batch{Mel: in[0], CF: in[1], GenreIDs: in[2], MultiHot: in[3]})
		return loss
	}
	trainer := newTrainer(cfg.Backend, store, lossGraph)
	valExec, err := model.NewExec(cfg.Backend, store, func(scope *model.Scope, in []*Node) *Node { return lossGraph(scope, in) })
	if err != nil {
		return nil, err
	}
	save := func(dir string, epoch int, val float64, keep int) (string, error) {
		return ckpt.Save(dir, store, ckpt.Meta{Architecture: ArchitectureName, Epoch: epoch, GlobalStep: int64(epoch),
			Info: map[string]string{"val_loss": strconv.FormatFloat(val, 'g', -1, 64), "data": data.Description,
				"variant": string(variant)}}, keep)
	}
	logf("cmir: %s, audio CNN widths %v (%d parameters), batch %d, epochs %d..%d, Adam %g + weight decay %g; "+
		"constant predictor on validation: %.4f (%s)", variant, audio.Widths, audio.NumParams(), batch, startEpoch+1,
		epochs, lr, wd, res.Constant.Loss, res.Constant.What)
	start := time.Now()
	for epoch := startEpoch; epoch < epochs; epoch++ {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		rng := rand.New(rand.NewPCG(seed, uint64(epoch)))
		order := append([]int(nil), data.Train...)
		rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
		var sum float64
		steps := len(order) / batch
		for s := range steps {
			in, err := data.batch(order[s*batch:(s+1)*batch], rng)
			if err != nil {
				return res, fmt.Errorf("cmir: batch (epoch %d): %w", epoch+1, err)
			}
			var metrics []*tensors.Tensor
			if err := catch(func() {
				metrics, err = trainer.TrainStep(train.Batch{Inputs: in, Labels: []*tensors.Tensor{tensors.FromScalar(float32(0))}})
			}); err != nil {
				return res, fmt.Errorf("cmir: training step (epoch %d): %w", epoch+1, err)
			}
			if err != nil {
				return res, fmt.Errorf("cmir: training step (epoch %d): %w", epoch+1, err)
			}
			loss := float64(tensors.ToScalar[float32](metrics[0]))
			if math.IsNaN(loss) || math.IsInf(loss, 0) {
				return res, fmt.Errorf("cmir: training diverged at epoch %d (loss %v); lower %s", epoch+1, loss, ParamLR)
			}
			sum += loss
		}
		val, err := data.validationLoss(valExec, batch, seed)
		if err != nil {
			return res, err
		}
		res.TrainLoss = append(res.TrainLoss, sum/float64(max(1, steps)))
		res.ValLoss = append(res.ValLoss, val)
		if _, err := save(cfg.Dir, epoch+1, val, 2); err != nil {
			return res, err
		}
		mark := ""
		if val < res.BestValLoss {
			res.BestValLoss, res.BestEpoch = val, epoch+1
			if res.Best, err = save(filepath.Join(cfg.Dir, "best"), epoch+1, val, 1); err != nil {
				return res, err
			}
			mark = "  (best)"
		}
		logf("cmir: epoch %d/%d  train loss %.4f  val loss %.4f (constant predictor %.4f)%s  %s", epoch+1, epochs,
			res.TrainLoss[len(res.TrainLoss)-1], val, res.Constant.Loss, mark, time.Since(start).Round(time.Millisecond))
	}
	res.Epochs, res.Wall = epochs, time.Since(start)
	return res, nil
}

// newTrainer is Train's trainer (also what BenchmarkAudioTrainStep times): the loss of lossGraph plus PyTorch
// Adam's coupled weight decay (the gradient gets wd·θ, i.e. the loss wd/2·‖θ‖² over the trainable float
// variables), minimised by Adam with the store's learning rate.
func newTrainer(backend compute.Backend, store *model.Store, lossGraph func(*model.Scope, []*Node) *Node) *train.Trainer {
	scope := store.RootScope()
	wd := model.GetParamOr(scope, ParamWeightDecay, 1e-4)
	modelFn := func(scope *model.Scope, _ any, in []*Node) []*Node {
		loss := lossGraph(scope, in)
		if wd > 0 {
			var l2 *Node
			for v := range scope.Store().IterVariables() {
				if !v.Trainable || !v.Shape().DType.IsFloat() || strings.Contains(v.Scope(), "optimizer") {
					continue
				}
				sq := ReduceAllSum(Square(v.NodeValue(loss.Graph())))
				if l2 == nil {
					l2 = sq
				} else {
					l2 = Add(l2, sq)
				}
			}
			if l2 != nil {
				loss = Add(loss, MulScalar(ConvertDType(l2, loss.DType()), wd/2))
			}
		}
		return []*Node{loss}
	}
	lr := model.GetParamOr(scope, ParamLR, 1e-4)
	return train.NewTrainer(backend, store, modelFn, func(_, p []*Node) *Node { return p[0] },
		optimizer.Adam().LearningRate(lr).Done(), nil, nil)
}

// batch builds the graph inputs for songs: random crops, CF vectors (zeros when absent), genre ids, multi-hot
// sub-genres (the baselines' genre targets).
func (d *Data) batch(songs []int, rng *rand.Rand) ([]*tensors.Tensor, error) {
	n := len(songs)
	mel := make([]float32, n*Bands*CropFrames)
	cfv := make([]float32, n*CFDim)
	ids := make([]int32, n*MaxTags)
	hot := make([]float32, n*max(1, len(d.Vocab)))
	for j, i := range songs {
		s := &d.Songs[i]
		start := 0
		if s.Frames > CropFrames {
			start = rng.IntN(s.Frames - CropFrames)
		}
		full, err := d.SongMel(i)
		if err != nil {
			return nil, err
		}
		crop(mel[j*Bands*CropFrames:(j+1)*Bands*CropFrames], full, s.Frames, start)
		copy(cfv[j*CFDim:(j+1)*CFDim], s.CF)
		copy(ids[j*MaxTags:(j+1)*MaxTags], s.GenreIDs)
		for _, g := range s.GenreIDs {
			hot[j*len(d.Vocab)+int(g)-1] = 1
		}
	}
	return []*tensors.Tensor{tensors.FromFlatDataAndDimensions(mel, n, Bands, CropFrames),
		tensors.FromFlatDataAndDimensions(cfv, n, CFDim), tensors.FromFlatDataAndDimensions(ids, n, MaxTags),
		tensors.FromFlatDataAndDimensions(hot, n, max(1, len(d.Vocab)))}, nil
}

// validationLoss is the mean loss over the validation songs in batches (the last batch may be smaller), with
// crops drawn from a fixed seed so epochs are comparable.
func (d *Data) validationLoss(exec *model.Exec, batch int, seed uint64) (float64, error) {
	rng := rand.New(rand.NewPCG(seed, 0xfa1))
	var sum float64
	var count int
	for lo := 0; lo < len(d.Val); lo += batch {
		hi := min(len(d.Val), lo+batch)
		if hi-lo < 2 {
			break // NT-Xent needs negatives
		}
		in, err := d.batch(d.Val[lo:hi], rng)
		if err != nil {
			return 0, fmt.Errorf("cmir: validation batch: %w", err)
		}
		args := make([]any, len(in))
		for i, t := range in {
			args[i] = t
		}
		var out []*tensors.Tensor
		if cerr := catch(func() { out, err = exec.Exec(args...) }); cerr != nil || err != nil {
			return 0, fmt.Errorf("cmir: validation loss: %w", errors.Join(cerr, err))
		}
		sum += float64(tensors.ToScalar[float32](out[0])) * float64(hi-lo)
		count += hi - lo
	}
	if count == 0 {
		return 0, errors.New("cmir: fewer than two validation songs")
	}
	return sum / float64(count), nil
}

func catch(fn func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	fn()
	return nil
}
