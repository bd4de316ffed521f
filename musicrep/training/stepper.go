package training

import (
	"errors"
	"fmt"
	"math"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"

	"github.com/musicrep/musicrep/musicrep/backends"
)

// Stepper runs a run's training steps one at a time, built exactly as Train builds them (the task's graph and
// batches, coupled weight decay, Adam), without checkpoints or logs: what the benchmarks time.
type Stepper struct {
	tk        task
	trainer   *train.Trainer
	seed      uint64
	batchSize int
	shuffle   bool
	epoch     int
	step      int
	order     []int
	// Model describes the model in one line.
	Model string
}

// NewStepper builds the trainer of store's model on data (one device).
func NewStepper(backend compute.Backend, store *model.Store, data Dataset) (*Stepper, error) {
	if data == nil {
		return nil, errors.New("training: no data given")
	}
	tk, err := newTask(store, data)
	if err != nil {
		return nil, err
	}
	scope := store.RootScope()
	seed := Param[int](scope, ParamSeed)
	store.SetParam(model.ParamInitialSeed, int64(seed)+1)
	tk.setInStore(store)
	s := &Stepper{tk: tk, seed: uint64(seed), batchSize: tk.batchSize(scope), shuffle: Param[bool](scope, ParamShuffle),
		Model: tk.String()}
	if s.batchSize < 1 || s.batchSize > tk.numExamples() {
		return nil, fmt.Errorf("training: batch size %d for %d %s", s.batchSize, tk.numExamples(), tk.unit())
	}
	opt := optimizer.Adam().LearningRate(Param[float64](scope, ParamLearningRate)).Done()
	if err := backends.Catch(func() {
		s.trainer = train.NewTrainer(backend, store, tk.modelFn,
			withWeightDecay(store, tk.lossFn, Param[float64](scope, ParamWeightDecay)), opt, nil, nil)
	}); err != nil {
		return nil, err
	}
	return s, nil
}

// Step builds the next full batch (host side, as Train: the epoch's order, crops and views from the seed),
// runs one training step and checks the loss.
func (s *Stepper) Step() error {
	if s.order == nil || (s.step+1)*s.batchSize > len(s.order) {
		if s.order != nil {
			s.epoch++
		}
		s.order, s.step = epochOrder(s.tk.numExamples(), s.shuffle, s.seed, s.epoch), 0
	}
	b, err := s.tk.batch(s.order[s.step*s.batchSize:(s.step+1)*s.batchSize], s.seed, s.epoch, s.step)
	if err != nil {
		return err
	}
	s.step++
	var metrics []*tensors.Tensor
	if cerr := backends.Catch(func() { metrics, err = s.trainer.TrainStep(b) }); cerr != nil || err != nil {
		return errors.Join(cerr, err)
	}
	loss := tensorFloat(metrics[0])
	for _, m := range metrics {
		m.MustFinalizeAll()
	}
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return fmt.Errorf("loss %v", loss)
	}
	return nil
}
