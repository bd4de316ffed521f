package training

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute"

	"github.com/musicrep/musicrep/musicrep/backends"
)

// fakeDevices is a backend that only answers its name and device count, for checkDataParallel.
type fakeDevices struct {
	compute.Backend
	name    string
	devices int
}

func (f fakeDevices) String() string  { return f.name }
func (f fakeDevices) NumDevices() int { return f.devices }

// TestCheckDataParallel: the data_parallel settings a backend, batch size and data allow, and the messages of
// those they do not.
func TestCheckDataParallel(t *testing.T) {
	xla4 := fakeDevices{name: "xla", devices: 4}
	for _, tc := range []struct {
		name              string
		backend           compute.Backend
		n, batch, numExpl int
		want              []string // nil: no error
	}{
		{"off", fakeDevices{name: "go", devices: 1}, 0, 32, 100, nil},
		{"one device", fakeDevices{name: "go", devices: 1}, 1, 32, 100, nil},
		{"all devices", xla4, 4, 32, 100, nil},
		{"some devices", xla4, 2, 32, 100, nil},
		{"negative", xla4, -2, 32, 100, []string{"data_parallel=-2", "0 or 1 = one device"}},
		{"pure Go", fakeDevices{name: "go", devices: 1}, 2, 32, 100,
			[]string{"data_parallel=2", "pure-Go backend", "data_parallel=0", "xla:cuda"}},
		{"too many devices", xla4, 8, 32, 100,
			[]string{"data_parallel=8", "only 4 device(s)", "at most 4", "xla:cuda", "8 GPUs"}},
		{"batch not divisible", xla4, 4, 30, 100, []string{"data_parallel=4", "batch_size=30", "e.g. 28"}},
		{"fewer examples than devices", xla4, 4, 32, 3, []string{"only 3 training examples"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkDataParallel(tc.backend, tc.n, ParamBatchSize, tc.batch, tc.numExpl)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("expected an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestDataParallelOnGoBackend: asking the pure-Go backend for data-parallel training fails before anything is
// written, saying what to change.
func TestDataParallelOnGoBackend(t *testing.T) {
	b, err := backends.New("go")
	if err != nil {
		t.Fatal(err)
	}
	cfg := newTestStore(t, "num_epochs=1;data_parallel=2")
	cfg.Data, cfg.Backend = syntheticData(32, 2, 4, 3), b
	_, err = Train(context.Background(), *cfg)
	if err == nil || !strings.Contains(err.Error(), "pure-Go backend") || !strings.Contains(err.Error(), "xla:cuda") {
		t.Fatalf("want an error naming the pure-Go backend and xla:cuda, got %v", err)
	}
	if _, statErr := os.Stat(cfg.Dir); !os.IsNotExist(statErr) {
		t.Errorf("run directory %s was created", cfg.Dir)
	}
}

// TestDataParallelHyperparameter: data_parallel is declared with the other hyperparameters (so `musicrep
// hparams` lists it and -set accepts it), 0 by default.
func TestDataParallelHyperparameter(t *testing.T) {
	if v, ok := DefaultHyperparameters()[ParamDataParallel]; !ok || v != 0 {
		t.Fatalf("DefaultHyperparameters()[%q] = %v, %v; want 0", ParamDataParallel, v, ok)
	}
	store, err := NewStore("", "data_parallel=8")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(Hyperparameters(store), "data_parallel=8") {
		t.Errorf("Hyperparameters does not list data_parallel=8: %v", Hyperparameters(store))
	}
}

// TestDataParallelSteps: the steps of an epoch and the examples each trains on, on one device and split over 4.
func TestDataParallelSteps(t *testing.T) {
	four, err := newDataParallel(4)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		par                    *dataParallel
		examples, batch, steps int
		lastUsed               int // examples the last step trains on
	}{
		{nil, 64, 32, 2, 32},
		{nil, 66, 32, 3, 2},
		{four, 64, 32, 2, 32},
		{four, 70, 32, 3, 4},  // last batch of 6 cut to 4
		{four, 66, 32, 2, 32}, // last batch of 2 skipped
		{four, 3 * 32, 32, 3, 32},
	} {
		steps := tc.par.stepsPerEpoch(tc.examples, tc.batch)
		lo, hi := (steps-1)*tc.batch, min(tc.examples, steps*tc.batch)
		if used := tc.par.usable(hi - lo); steps != tc.steps || used != tc.lastUsed {
			t.Errorf("%d devices, %d examples in batches of %d: %d steps, the last on %d examples; want %d and %d",
				tc.par.numDevices(), tc.examples, tc.batch, steps, used, tc.steps, tc.lastUsed)
		}
	}
}
