package training

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX idiom.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"

	"github.com/musicrep/musicrep/musicrep/backends"
)

// BestDir is the run subdirectory holding the checkpoint with the best validation score (inference.Load
// prefers it).
const BestDir = "best"

// ValLossInfo is the checkpoint Info key of the validation loss after the checkpoint's epoch.
const ValLossInfo = "val_loss"

// validating is implemented by the tasks that score a validation split after every epoch: n batches, batch i
// built deterministically with its number of examples.
type validating interface {
	validation(seed uint64, batchSize int) (n int, batch func(i int) (train.Batch, int, error))
}

// validationLoss returns (nil when the data has no validation split) a function computing the task's loss over its validation batches in inference mode
// (no dropout, BatchNorm with its moving statistics), each batch's mean weighted by its size.
func validationLoss(backend compute.Backend, store *model.Store, tk task, v validating, seed uint64,
	batchSize int) (func() (float64, error), error) {
	n, batch := v.validation(seed, batchSize)
	if n == 0 {
		return nil, nil // no validation split
	}
	var numInputs int
	newExec := func() (*model.Exec, error) {
		return model.NewExec(backend, store, func(scope *model.Scope, in []*Node) *Node {
			return tk.lossFn(in[numInputs:], tk.modelFn(scope, nil, in[:numInputs]))
		})
	}
	exec, err := newExec()
	if err != nil {
		return nil, err
	}
	// A backend that prefers constants for variables (the pure-Go backend since GoMLX v0.28.16 / compute v0.1.14)
	// gets, in a graph not marked as training, every initialised variable embedded as a constant when the graph is
	// compiled: a validation executable kept across epochs would go on scoring the first epoch's weights (seen as
	// the same validation loss after every epoch, and caught by TestModelKindsResumeExactly). There, a new
	// executable is built for each validation pass; XLA takes the variables as parameters and keeps its compiled
	// graph.
	fresh := backend.Capabilities().PreferConstantsForVariables
	first := true
	return func() (float64, error) {
		if fresh && !first {
			exec.Finalize()
			if exec, err = newExec(); err != nil {
				return 0, err
			}
		}
		first = false
		var sum float64
		var count int
		for i := range n {
			b, size, err := batch(i)
			if err != nil {
				return 0, err
			}
			numInputs = len(b.Inputs)
			args := make([]any, 0, len(b.Inputs)+len(b.Labels))
			for _, t := range append(append([]*tensors.Tensor{}, b.Inputs...), b.Labels...) {
				args = append(args, t)
			}
			var out []*tensors.Tensor
			if cerr := backends.Catch(func() { out, err = exec.Exec(args...) }); cerr != nil || err != nil {
				return 0, fmt.Errorf("validation batch %d: %w", i+1, errors.Join(cerr, err))
			}
			sum += tensorFloat(out[0]) * float64(size)
			count += size
			for _, t := range out {
				t.MustFinalizeAll()
			}
		}
		return sum / float64(count), nil
	}, nil
}

// withWeightDecay adds PyTorch Adam's coupled weight decay to a loss: wd/2·‖θ‖² over the trainable float
// variables (the optimizer's own state excluded), so the gradient gets wd·θ.
func withWeightDecay(store *model.Store, lossFn func(labels, predictions []*Node) *Node,
	wd float64) func(labels, predictions []*Node) *Node {
	if wd == 0 {
		return lossFn
	}
	return func(labels, predictions []*Node) *Node {
		loss := lossFn(labels, predictions)
		var l2 *Node
		for v := range store.IterVariables() {
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
		if l2 == nil {
			return loss
		}
		return Add(loss, MulScalar(ConvertDType(l2, loss.DType()), wd/2))
	}
}
