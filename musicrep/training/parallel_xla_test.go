//go:build xla

package training

import (
	"context"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute"

	"github.com/musicrep/musicrep/musicrep/backends"
)

// xlaCPU returns the XLA CPU backend; the tests need its (virtual) devices.
func xlaCPU(t *testing.T) compute.Backend {
	t.Helper()
	b, err := backends.New("xla:cpu")
	if err != nil {
		t.Fatalf("%v (run `make xla-setup`)", err)
	}
	return b
}

// configFn makes a test run's Config from hyperparameter settings (newTestStore, jointConfig).
type configFn func(t *testing.T, settings string) *Config

// goBackend returns the pure-Go backend, which compiles graphs faster than XLA: it writes the shared start.
func goBackend(t *testing.T) compute.Backend {
	t.Helper()
	b, err := backends.New("go")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sharedStart writes, with a run on backend b interrupted after its first step, the checkpoint the compared
// runs resume from: the same weights, optimizer state and data order for all of them (initialisation is drawn
// in the graph, so runs on different devices or backends would not start from the same weights).
func sharedStart(t *testing.T, mk configFn, b compute.Backend, data *Data, settings string) string {
	t.Helper()
	start := mk(t, settings)
	start.Data, start.Backend = data, b
	ctx, cancel := context.WithCancel(context.Background())
	start.OnStep = func(StepInfo) { cancel() }
	if _, err := Train(ctx, *start); err == nil {
		t.Fatal("expected an interruption error")
	}
	return start.Dir
}

// resumeFrom trains, on backend b, a run that starts as a copy of the run directory from.
func resumeFrom(t *testing.T, mk configFn, b compute.Backend, data *Data, from, settings string) (*Config,
	*Result, []StepInfo) {
	t.Helper()
	cfg := mk(t, settings)
	cfg.Data, cfg.Backend = data, b
	if err := os.CopyFS(cfg.Dir, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
	var steps []StepInfo
	cfg.OnStep = func(info StepInfo) { steps = append(steps, info) }
	res, err := Train(context.Background(), *cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.ResumedFrom == "" {
		t.Fatal("did not resume from the shared checkpoint")
	}
	return cfg, res, steps
}

// maxWeightDiff is the largest absolute difference between the float32 variables (weights and optimizer state)
// of two runs' last checkpoints; it fails the test when their variable sets differ. Run a is the single-device
// reference. Weights whose gradient is 0 in exact arithmetic are left out (and logged): the loss does not depend
// on them (a bias shared by both sides of a difference, or by all the scores of a softmax), and the
// single-device run's Adam second moment says so (root mean square gradient below 1e-6, against 1e-3 to 1e-1
// for the others). Their gradient is rounding noise (~1e-8 or exactly 0), different when the batch is summed in
// shards, and Adam, dividing it by its own root mean square, moves them by up to the learning rate per step: a
// difference that says nothing about the data-parallel step.
func maxWeightDiff(t *testing.T, dirA, dirB string) float64 {
	t.Helper()
	a, b := variables(t, dirA), variables(t, dirB)
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("checkpoints hold %d and %d float32 variables", len(a), len(b))
	}
	var worst float64
	for path, va := range a {
		vb, ok := b[path]
		if !ok || len(vb) != len(va) {
			t.Fatalf("variable %s: missing or of another size in %s", path, dirB)
		}
		var w, scale float64
		for i := range va {
			w = max(w, math.Abs(float64(va[i]-vb[i])))
			scale = max(scale, math.Abs(float64(va[i])))
		}
		if v, ok := a["/AdamOptimizer"+path+"_2nd_moment"]; ok && slices.Max(v) < 1e-12 {
			t.Logf("variable %s: gradient numerically 0 on one device, left out (difference %.3g)", path, w)
			continue
		}
		if w > 1e-6 {
			t.Logf("variable %s: largest difference %.3g (largest value %.3g)", path, w, scale)
		}
		worst = max(worst, w)
	}
	return worst
}

// sameSteps checks that a data-parallel run on n devices made the same steps as the single-device run, with
// losses within the relative tolerance tol, and returns the largest relative loss difference.
func sameSteps(t *testing.T, n int, single, parallel []StepInfo, tol float64) float64 {
	t.Helper()
	if len(parallel) != len(single) {
		t.Fatalf("%d steps on %d devices, %d on one", len(parallel), n, len(single))
	}
	var worst float64
	for i, s := range parallel {
		want := single[i]
		if s.GlobalStep != want.GlobalStep || s.Epoch != want.Epoch || s.Step != want.Step {
			t.Fatalf("step %d is epoch %d step %d (global %d) on %d devices, epoch %d step %d (global %d) on one",
				i, s.Epoch, s.Step, s.GlobalStep, n, want.Epoch, want.Step, want.GlobalStep)
		}
		rel := math.Abs(s.Loss-want.Loss) / math.Max(1e-3, math.Abs(want.Loss))
		worst = max(worst, rel)
		if rel > tol {
			t.Errorf("global step %d: loss %.8g on %d devices, %.8g on one", s.GlobalStep, s.Loss, n, want.Loss)
		}
	}
	return worst
}

// TestXLADataParallelMatchesSingleDevice trains the binding model on xla:cpu on one device and with the batch
// split over 2 and 4 of its virtual devices (data_parallel), all resuming from the same checkpoint with the same
// global batch: the loss of every step and the final weights and optimizer state must agree up to float32
// rounding, since the mean over the global batch is the same computation. With dropout off as the main case; a
// run with dropout checks that XLA's partitioner also draws the single-device dropout masks (it generates the
// random numbers of the whole batch on every device and keeps each device's rows).
//
// Tolerances: losses within 1e-4 relative (measured ≤ 6e-7); weights and optimizer state within 1e-4 absolute
// (measured ≤ 5e-8 on 2 devices, ≤ 1e-6 on 4). /fusion/output/biases is left out (see maxWeightDiff): the
// margin loss depends only on anchor − other, so its gradient is 0 in exact arithmetic — exactly 0 on one
// device, rounding noise when 4 shards' contributions are summed — and it ends up to 6e-5 apart on 4 devices.
func TestXLADataParallelMatchesSingleDevice(t *testing.T) {
	b := xlaCPU(t)
	t.Logf("backend: %s", backends.Describe(b))
	data := syntheticData(96, 4, 8, 7) // 768 pairs, 24 steps of 32 per epoch
	for _, tc := range []struct {
		dropout string
		devices []int
	}{{"0", []int{2, 4}}, {"0.3", []int{2}}} {
		settings := "num_epochs=2;binding_dropout=" + tc.dropout
		from := sharedStart(t, newTestStore, goBackend(t), data, settings)
		single, _, ssteps := resumeFrom(t, newTestStore, b, data, from, settings)
		for _, n := range tc.devices {
			t.Run(fmt.Sprintf("dropout=%s/devices=%d", tc.dropout, n), func(t *testing.T) {
				if b.NumDevices() < n {
					t.Skipf("xla:cpu has %d devices", b.NumDevices())
				}
				cfg, res, steps := resumeFrom(t, newTestStore, b, data, from, fmt.Sprintf("%s;%s=%d", settings, ParamDataParallel, n))
				worstLoss := sameSteps(t, n, ssteps, steps, 1e-4)
				rows, err := ReadLossLog(cfg.Dir)
				if err != nil {
					t.Fatal(err)
				}
				if int64(len(rows)) != res.GlobalStep {
					t.Errorf("loss log has %d rows for %d steps", len(rows), res.GlobalStep)
				}
				w := maxWeightDiff(t, single.Dir, cfg.Dir)
				t.Logf("%d devices: %d steps, largest relative loss difference %.3g, largest weight difference %.3g",
					n, len(steps), worstLoss, w)
				if w > 1e-4 {
					t.Errorf("weights differ by up to %.3g between %d devices and one", w, n)
				}
			})
		}
	}
}

// TestXLADataParallelResume interrupts a data_parallel=2 run (dropout on) mid-epoch and resumes it, once again
// on 2 devices, which must end with exactly the weights of the uninterrupted data-parallel run, and once on a
// single device (the checkpoint holds ordinary, unsharded values), which must end within float32 rounding of it.
func TestXLADataParallelResume(t *testing.T) {
	b := xlaCPU(t)
	data := syntheticData(64, 4, 6, 11) // 384 pairs, 12 steps per epoch
	const settings = "binding_dropout=0.2;data_parallel=2"
	full := newTestStore(t, settings)
	full.Data, full.Backend = data, b
	fres, err := Train(context.Background(), *full)
	if err != nil {
		t.Fatal(err)
	}
	part := newTestStore(t, settings)
	part.Data, part.Backend = data, b
	ctx, cancel := context.WithCancel(context.Background())
	steps := 0
	part.OnStep = func(StepInfo) {
		if steps++; steps == 17 { // mid-epoch
			cancel()
		}
	}
	if _, err := Train(ctx, *part); err == nil {
		t.Fatal("expected an interruption error")
	}
	for _, tc := range []struct {
		n   int
		tol float64
	}{{2, 0}, {0, 1e-5}} {
		t.Run(fmt.Sprintf("data_parallel=%d", tc.n), func(t *testing.T) {
			cfg, res, _ := resumeFrom(t, newTestStore, b, data, part.Dir,
				fmt.Sprintf("binding_dropout=0.2;data_parallel=%d", tc.n))
			if res.GlobalStep != fres.GlobalStep {
				t.Fatalf("resumed run ended at global step %d, uninterrupted at %d", res.GlobalStep, fres.GlobalStep)
			}
			rows, err := ReadLossLog(cfg.Dir)
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range rows {
				if r.Step != int64(i+1) {
					t.Fatalf("loss log row %d has step %d: the resumed log repeats or skips steps", i, r.Step)
				}
			}
			if int64(len(rows)) != res.GlobalStep {
				t.Errorf("loss log has %d rows, %d steps were run", len(rows), res.GlobalStep)
			}
			w := maxWeightDiff(t, full.Dir, cfg.Dir)
			t.Logf("resumed with data_parallel=%d: largest weight difference to the uninterrupted run %.3g", tc.n, w)
			if w > tc.tol {
				t.Errorf("weights differ by up to %.3g (tolerance %g)", w, tc.tol)
			}
		})
	}
}

// TestXLADataParallelJoint runs the joint model (InfoNCE with a learnable temperature over every modality pair,
// fusion terms, a missing modality) on one device and on 4, from the same checkpoint with dropout off: the
// contrastive losses take their negatives from the whole global batch in both, so the steps must agree.
func TestXLADataParallelJoint(t *testing.T) {
	if testing.Short() {
		t.Skip("compiling the joint model for XLA takes ~5-10 s a run; skipped with -short")
	}
	b := xlaCPU(t)
	if b.NumDevices() < 4 {
		t.Skipf("xla:cpu has %d devices", b.NumDevices())
	}
	data, _ := jointData(64, 4, 9) // 4 batches of 16 per epoch
	const settings = "num_epochs=2;joint_dropout=0"
	from := sharedStart(t, jointConfig, goBackend(t), data, settings)
	single, _, ssteps := resumeFrom(t, jointConfig, b, data, from, settings)
	cfg, _, steps := resumeFrom(t, jointConfig, b, data, from, settings+";data_parallel=4")
	worst := sameSteps(t, 4, ssteps, steps, 1e-4)
	w := maxWeightDiff(t, single.Dir, cfg.Dir)
	t.Logf("joint model on 4 devices: %d steps, largest relative loss difference %.3g, weight difference %.3g",
		len(steps), worst, w)
	if w > 1e-4 {
		t.Errorf("weights differ by up to %.3g between 4 devices and one", w)
	}
}

// TestXLADataParallelShortLastBatch: an epoch's last batch, shorter than the others and not a multiple of the
// device count, is cut to one (70 pairs in batches of 32 on 4 devices: 32, 32, then 4 of the last 6), and
// progress says so. TestDataParallelSteps covers the arithmetic, including a skipped last batch.
func TestXLADataParallelShortLastBatch(t *testing.T) {
	b := xlaCPU(t)
	if b.NumDevices() < 4 {
		t.Skipf("xla:cpu has %d devices", b.NumDevices())
	}
	cfg := newTestStore(t, "num_epochs=1;data_parallel=4")
	cfg.Data, cfg.Backend = syntheticData(35, 2, 2, 3), b
	var log strings.Builder
	cfg.Progress = &log
	var steps []StepInfo
	cfg.OnStep = func(info StepInfo) { steps = append(steps, info) }
	res, err := Train(context.Background(), *cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.GlobalStep != 3 || len(steps) != 3 {
		t.Fatalf("%d steps (%d OnStep calls), want 3", res.GlobalStep, len(steps))
	}
	if steps[0].StepsPerEp != 3 || !steps[2].EpochFinished || res.Checkpoint == "" {
		t.Errorf("%d steps per epoch, want 3; last step ends the epoch: %v; checkpoint %q", steps[0].StepsPerEp,
			steps[2].EpochFinished, res.Checkpoint)
	}
	if !strings.Contains(log.String(), "has 6 pairs, not a multiple of 4: 2 of them are skipped each epoch") {
		t.Errorf("progress does not say that examples are skipped:\n%s", log.String())
	}
}

// TestXLADataParallelErrors checks the settings a data-parallel run refuses, with messages that say what to
// change, before anything is written.
func TestXLADataParallelErrors(t *testing.T) {
	b := xlaCPU(t)
	n := b.NumDevices()
	data := syntheticData(32, 2, 4, 3)
	data.Tracks = []int32{0, 1, 2, 3, 4, 5, 6, 7} // for the joint model
	for _, tc := range []struct {
		name, settings string
		want           []string
	}{
		{"more devices than the backend", fmt.Sprintf("data_parallel=%d", n+1),
			[]string{"data_parallel", fmt.Sprintf("%d device(s)", n), "xla:cuda"}},
		{"batch not divisible", "data_parallel=3;batch_size=32", []string{"data_parallel=3", "batch_size=32"}},
		{"joint batch not divisible", "model=joint;joint_modalities=audio,graph;data_parallel=4;joint_batch_size=30",
			[]string{"data_parallel=4", "joint_batch_size=30"}},
		{"negative", "data_parallel=-1", []string{"data_parallel=-1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := newTestStore(t, "num_epochs=1;"+tc.settings)
			cfg.Data, cfg.Backend = data, b
			_, err := Train(context.Background(), *cfg)
			if err == nil {
				t.Fatal("expected an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if _, statErr := os.Stat(cfg.Dir); !os.IsNotExist(statErr) {
				t.Errorf("run directory %s was created", cfg.Dir)
			}
		})
	}
}
