//go:build xla

package training

import (
	"context"
	"math"
	"os"
	"testing"

	"github.com/gomlx/compute"

	"github.com/musicrep/musicrep/musicrep/backends"
)

// TestXLAMatchesGo trains the same binding model on the pure-Go backend and on XLA's CPU plugin (build with
// -tags xla after `make xla-setup`; $MUSICREP_XLA_TEST_BACKEND names another XLA backend, e.g. xla:cuda) and
// checks that they agree. The two backends draw different random numbers
// (initialisation is computed in the graph), so both runs resume from the same checkpoint, written by the Go
// backend after one step, with dropout off: same weights, optimizer state and data order, so the per-step
// losses and final weights must match up to float32 rounding differences between the two compilers.
func TestXLAMatchesGo(t *testing.T) {
	xname := backends.XLAUnderTest()
	xb, err := backends.New(xname)
	if err != nil {
		t.Fatalf("%v (run `make xla-setup`)", err)
	}
	t.Logf("XLA backend: %s", backends.Describe(xb))
	gb, err := backends.New("go")
	if err != nil {
		t.Fatal(err)
	}
	data := syntheticData(96, 4, 8, 7)
	const settings = "num_epochs=4;binding_dropout=0"
	start := newTestStore(t, settings)
	start.Data, start.Backend = data, gb
	ctx, cancel := context.WithCancel(context.Background())
	start.OnStep = func(StepInfo) { cancel() }
	if _, err := Train(ctx, *start); err == nil {
		t.Fatal("expected an interruption error")
	}
	run := func(b compute.Backend) (*Config, *Result) {
		cfg := newTestStore(t, settings)
		cfg.Data, cfg.Backend = data, b
		if err := os.CopyFS(cfg.Dir, os.DirFS(start.Dir)); err != nil {
			t.Fatal(err)
		}
		res, err := Train(context.Background(), *cfg)
		if err != nil {
			t.Fatal(err)
		}
		if res.ResumedFrom == "" {
			t.Fatal("did not resume from the shared checkpoint")
		}
		return cfg, res
	}
	gcfg, gres := run(gb)
	xcfg, xres := run(xb)
	t.Logf("go  losses %v", gres.EpochLosses)
	t.Logf("xla losses %v", xres.EpochLosses)
	var worstRel float64
	for e := range gres.EpochLosses {
		g, x := gres.EpochLosses[e], xres.EpochLosses[e]
		worstRel = max(worstRel, math.Abs(g-x)/math.Max(math.Abs(g), 1e-12))
		if math.Abs(g-x) > 1e-3*math.Max(1, math.Abs(g)) {
			t.Errorf("epoch %d: loss %.6f on go, %.6f on %s", e, g, x, xname)
		}
	}
	t.Logf("parity binding %s: largest relative epoch-loss difference %.3g", xname, worstRel)
	gv, xv := variables(t, gcfg.Dir), variables(t, xcfg.Dir)
	var worst float64
	for path, g := range gv {
		x, ok := xv[path]
		if !ok || len(x) != len(g) {
			t.Errorf("variable %s: missing or different size on %s", path, xname)
			continue
		}
		for i := range g {
			worst = max(worst, math.Abs(float64(g[i]-x[i])))
		}
	}
	t.Logf("largest weight difference after 4 epochs: %.3g", worst)
	if worst > 1e-3 {
		t.Errorf("weights differ by up to %.3g between go and %s", worst, xname)
	}
}
