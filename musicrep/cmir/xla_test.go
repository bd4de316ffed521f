//go:build xla

package cmir

import (
	"fmt"
	"github.com/musicrep/musicrep/musicrep/encoder"
	"github.com/musicrep/musicrep/musicrep/melon/melontest"
	"github.com/musicrep/musicrep/musicrep/objective"
	"github.com/musicrep/musicrep/musicrep/training"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/musicrep/musicrep/musicrep/backends"
	"github.com/musicrep/musicrep/musicrep/ckpt"
	"github.com/musicrep/musicrep/musicrep/melon"
)

// TestXLATrainMatchesGo trains the tiny contrastive-mir model (convolutions, BatchNorm, LayerNorm, the tag
// self-attention, three-way NT-Xent, Adam with weight decay) for one more epoch on the pure-Go backend and on
// XLA's CPU plugin (or $MUSICREP_XLA_TEST_BACKEND, e.g. xla:cuda), both resumed from the same Go checkpoint with the CNN's dropout off (the two backends draw
// different random numbers; the CF encoder's 0.3 and the tag encoder's 0.1 dropout are fixed by the published
// architecture and stay on, so the training steps see different masks: the training loss agrees to 1 %, the
// validation loss, in inference mode, much closer), and checks that they agree. The gradients are not bit-comparable: where a max-pool window
// holds equal values (the spectrograms' clipped floor, ReLU zeros) the two backends may route the gradient to
// different elements, both correct; measured, Adam's first moments differ by up to ~10 %. So the check is on
// what that cannot move much: the epoch's training loss (its first step is computed from identical weights),
// the validation loss, and each weight within the distance Adam can travel in the epoch's few steps
// (|update| ≲ lr per step, so 4·lr·steps bounds a disagreement). Before that, the audio encoder's inference
// from the shared checkpoint is compared directly: forward only, it must agree to float32 rounding.
func TestXLATrainMatchesGo(t *testing.T) {
	xname := backends.XLAUnderTest()
	xb, err := backends.New(xname)
	if err != nil {
		t.Fatalf("%v (run `make xla-setup`)", err)
	}
	gb, err := backends.New("go")
	if err != nil {
		t.Fatal(err)
	}
	ds, err := melon.Load(melontest.Write(t, 62))
	if err != nil {
		t.Fatal(err)
	}
	data, err := Prepare(ds, PrepareOptions{Seed: 1, CFFactors: 8, CFEpochs: 5})
	if err != nil {
		t.Fatal(err)
	}
	settings := func(epochs int) string { return fmt.Sprintf("num_epochs=%d;cmir_dropout=0", epochs) }
	base := filepath.Join(t.TempDir(), "base")
	if _, err := trainVariant(data, base, objective.MIRFull, settings(1), gb); err != nil {
		t.Fatal(err)
	}
	// Inference from the shared checkpoint: same weights, same input, forward only (no gradient to route), so
	// the two backends must agree to float32 rounding.
	const chunks = 4
	mel := make([]float32, encoder.Bands*chunks*encoder.CropFrames)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range mel {
		mel[i] = float32(-40 + 15*rng.NormFloat64())
	}
	var zd [2][]float32
	for i, b := range []compute.Backend{gb, xb} {
		e, _, err := LoadEmbedder(base, b)
		if err != nil {
			t.Fatal(err)
		}
		if _, zd[i], err = e.Embed(mel, chunks*encoder.CropFrames); err != nil {
			t.Fatal(err)
		}
	}
	var diff, scale float64
	for i := range zd[0] {
		diff = max(diff, math.Abs(float64(zd[0][i]-zd[1][i])))
		scale = max(scale, math.Abs(float64(zd[0][i])))
	}
	t.Logf("parity cmir %s: inference z_d relative difference %.3g (largest difference over largest z_d, "+
		"absolute values)", xname, diff/scale)
	if diff > 1e-3*scale {
		t.Errorf("inference from the same checkpoint: z_d differs by %.3g (largest |z_d| %.3g) between go and %s",
			diff, scale, xname)
	}
	run := func(name string, b any) (*training.Result, map[string][]float32) {
		dir := filepath.Join(t.TempDir(), name)
		if err := os.CopyFS(dir, os.DirFS(base)); err != nil {
			t.Fatal(err)
		}
		var backend compute.Backend
		switch b := b.(type) {
		case string:
			if backend, err = backends.New(b); err != nil {
				t.Fatal(err)
			}
		}
		res, err := trainVariant(data, dir, objective.MIRFull, settings(2), backend)
		if err != nil {
			t.Fatal(err)
		}
		if res.ResumedFrom == "" {
			t.Fatal("did not resume")
		}
		c, err := ckpt.Latest(dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		vars := map[string][]float32{}
		for path, v := range c.Values {
			if v.DType().String() == "Float32" {
				vars[path] = tensors.MustCopyFlatData[float32](v)
			}
		}
		return res, vars
	}
	gres, gv := run("go", "go")
	xres, xv := run("xla", xname)
	t.Logf("XLA backend: %s", backends.Describe(xb))
	t.Logf("epoch 2: train loss go %.6f xla %.6f; val loss go %.6f xla %.6f", gres.EpochLosses[0], xres.EpochLosses[0],
		gres.ValLosses[0], xres.ValLosses[0])
	for _, c := range []struct {
		name     string
		g, x, rt float64
	}{{"training", gres.EpochLosses[0], xres.EpochLosses[0], 1e-2}, {"validation", gres.ValLosses[0], xres.ValLosses[0], 1e-2}} {
		t.Logf("parity cmir %s: %s loss relative difference %.3g", xname, c.name, math.Abs(c.g-c.x)/math.Abs(c.g))
		if math.Abs(c.g-c.x) > c.rt*math.Abs(c.g) {
			t.Errorf("%s loss %.6f on go, %.6f on %s (relative tolerance %g)", c.name, c.g, c.x, xname, c.rt)
		}
	}
	steps := len(data.Train) / 16 // the tiny preset's batch
	bound := 4 * 1e-4 * float64(steps)
	var worst float64
	for path, g := range gv {
		if strings.Contains(path, "Optimizer") || strings.Contains(path, "optimizers") {
			continue
		}
		x, ok := xv[path]
		if !ok || len(x) != len(g) {
			t.Errorf("variable %s missing or resized on %s", path, xname)
			continue
		}
		var w, scale float64
		for i := range g {
			w = max(w, math.Abs(float64(g[i]-x[i])))
			scale = max(scale, math.Abs(float64(g[i])))
		}
		if strings.HasSuffix(path, "/mean") || strings.HasSuffix(path, "/variance") {
			// BatchNorm's running statistics are not trained: they average batch statistics (the input
			// layer's variance is in the hundreds of dB²), so they agree relatively.
			if w > 1e-3*scale {
				t.Errorf("%s: running statistic differs by %.3g (max |value| %.3g)", path, w, scale)
			}
			continue
		}
		worst = max(worst, w)
	}
	t.Logf("largest weight difference after one epoch (%d steps): %.3g (bound %.3g)", steps, worst, bound)
	if worst > bound {
		t.Errorf("weights differ by up to %.3g, more than Adam can move them in %d steps (%.3g)", worst, steps, bound)
	}
}
