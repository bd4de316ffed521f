package training

import (
	"errors"
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/distributed"
	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/core/tensors/dtensor"
	"github.com/gomlx/gomlx/ml/train"
)

// DataParallelMeshAxis names the one axis of the device mesh a data-parallel run shards its batches along.
const DataParallelMeshAxis = "data"

// dataParallel runs training steps with each batch split along its first (example) axis over a 1-D mesh of
// devices, with every variable (weights, optimizer state) replicated on each of them. It uses GoMLX's
// AutoSharding strategy: the step's graph is the ordinary single-device program over the global batch, with
// sharding annotations on its inputs, and XLA's partitioner splits it and inserts the collectives, among them
// the all-reduce that sums the gradient contributions of the shards. So a step computes the same loss and
// update as a single device on the whole batch (up to float rounding), and batch-wide terms (contrastive
// negatives) still see the whole global batch.
type dataParallel struct {
	devices []compute.DeviceNum
	spec    *distributed.ShardingSpec // axis 0 sharded over the mesh, other axes replicated
}

// checkDataParallel validates the data_parallel setting n for the backend, a batch size set by batchParam and
// numExamples examples per epoch. It returns nil (one device, the ordinary TrainStep) for n ≤ 1.
func checkDataParallel(backend compute.Backend, n int, batchParam string, batchSize, numExamples int) error {
	switch {
	case n < 0:
		return fmt.Errorf("hyperparameter %s=%d: give the number of devices to split each batch over "+
			"(0 or 1 = one device)", ParamDataParallel, n)
	case n <= 1:
		return nil
	case backend.String() == gobackend.BackendName:
		return fmt.Errorf("hyperparameter %s=%d: the pure-Go backend (%s) runs on one device and has no "+
			"collective operations: set %s=0, or use an XLA backend with %d devices (-backend xla:cuda on a "+
			"machine with %d GPUs; xla:cpu's virtual CPU devices are for testing only)", ParamDataParallel, n,
			gobackend.BackendName, ParamDataParallel, n, n)
	case backend.NumDevices() < n:
		return fmt.Errorf("hyperparameter %s=%d: backend %s has only %d device(s): set %s to at most %d "+
			"(0 = one device), or run on a machine with more accelerators (e.g. -backend xla:cuda on a "+
			"machine with %d GPUs)", ParamDataParallel, n, backend.String(), backend.NumDevices(),
			ParamDataParallel, backend.NumDevices(), n)
	case batchSize%n != 0:
		return fmt.Errorf("hyperparameter %s=%d does not divide %s=%d: each device gets an equal share of a "+
			"batch; set %s to a multiple of %d (e.g. %d)", ParamDataParallel, n, batchParam, batchSize,
			batchParam, n, max(n, batchSize/n*n))
	case numExamples < n:
		return fmt.Errorf("hyperparameter %s=%d: only %d training examples, fewer than the devices",
			ParamDataParallel, n, numExamples)
	}
	return nil
}

// newDataParallel sets up a data-parallel run over devices 0..n-1 (n ≥ 2, checked by checkDataParallel).
func newDataParallel(n int) (*dataParallel, error) {
	mesh, err := distributed.NewDeviceMesh([]int{n}, []string{DataParallelMeshAxis})
	if err != nil {
		return nil, err
	}
	spec, err := distributed.BuildSpec(mesh).S(DataParallelMeshAxis).Done()
	if err != nil {
		return nil, err
	}
	p := &dataParallel{spec: spec}
	for i := range n {
		p.devices = append(p.devices, compute.DeviceNum(i))
	}
	return p, nil
}

// numDevices is the number of devices a batch is split over: 1 for a nil *dataParallel (one device).
func (p *dataParallel) numDevices() int {
	if p == nil {
		return 1
	}
	return len(p.devices)
}

// usable returns how many of a batch's examples a step trains on: all of them when they split evenly over the
// devices, else the largest multiple of the device count (only an epoch's last, short batch can be uneven,
// since the batch size is a multiple of it).
func (p *dataParallel) usable(examples int) int {
	return examples / p.numDevices() * p.numDevices()
}

// stepsPerEpoch is the number of steps of an epoch of numExamples examples: one per batch, the last one
// possibly short, except that a last batch shorter than the device count is skipped. A nil *dataParallel (one
// device) never skips.
func (p *dataParallel) stepsPerEpoch(numExamples, batchSize int) int {
	steps := numExamples / batchSize
	if p.usable(numExamples%batchSize) > 0 {
		steps++
	}
	return steps
}

// shard splits every input and label of a batch along its first axis, one equal part per device. It takes
// ownership of the batch's tensors (they are freed once split).
func (p *dataParallel) shard(b train.Batch) (db train.DistributedBatch, err error) {
	split := func(ts []*tensors.Tensor) ([]*dtensor.Tensor, error) {
		out := make([]*dtensor.Tensor, len(ts))
		for i, t := range ts {
			if t.Rank() == 0 || t.Shape().Dimensions[0]%p.numDevices() != 0 {
				return nil, fmt.Errorf("data-parallel batch: tensor %d of shape %s cannot be split along its "+
					"first axis over %d devices", i, t.Shape(), p.numDevices())
			}
			d, err := dtensor.ShardTensor(p.spec, t)
			if err != nil {
				return nil, err
			}
			out[i] = d
		}
		return out, nil
	}
	defer func() {
		for _, t := range append(b.Inputs, b.Labels...) {
			t.MustFinalizeAll()
		}
		if err != nil {
			err = errors.Join(err, db.Finalize())
		}
	}()
	db.Spec = b.Spec
	if db.Inputs, err = split(b.Inputs); err != nil {
		return db, err
	}
	db.Labels, err = split(b.Labels)
	return db, err
}

// step runs one training step of the trainer on the batch, split over the devices.
func (p *dataParallel) step(trainer *train.Trainer, b train.Batch) ([]*tensors.Tensor, error) {
	db, err := p.shard(b)
	if err != nil {
		return nil, err
	}
	return trainer.DistributedTrainStep(distributed.AutoSharding, p.devices, db)
}
