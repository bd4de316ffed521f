package encoder

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX idiom.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/core/tensors/images"
	"github.com/gomlx/gomlx/ml/model"
)

// refMaxPool is a naive MaxPool2d (kernel = stride = (ph, pw)) on channels-first x [b, c, h, w] and its gradient
// for the output gradient dy: each window's maximum, and dy routed to the window's first maximum in row-major
// order (PyTorch's choice; a later equal value never replaces it); tied counts the windows whose maximum occurs
// more than once.
func refMaxPool(x []float32, b, c, h, w, ph, pw int, dy []float32) (y, dx []float32, tied int) {
	ho, wo := h/ph, w/pw
	y = make([]float32, b*c*ho*wo)
	dx = make([]float32, len(x))
	for n := range b * c {
		for i := range ho {
			for j := range wo {
				best := -1
				for di := range ph {
					for dj := range pw {
						k := n*h*w + (i*ph+di)*w + j*pw + dj
						if best < 0 || x[k] > x[best] {
							best = k
						}
					}
				}
				count := 0
				for di := range ph {
					for dj := range pw {
						if x[n*h*w+(i*ph+di)*w+j*pw+dj] == x[best] {
							count++
						}
					}
				}
				if count > 1 {
					tied++
				}
				o := n*ho*wo + i*wo + j
				y[o] = x[best]
				dx[best] += dy[o]
			}
		}
	}
	return y, dx, tied
}

// TestMaxPool2DMatchesReference checks maxPool2D's output and gradient against refMaxPool, exactly, on inputs
// drawn from four values (so most windows hold ties: the spectrograms' clipped floor and ReLU zeros do that),
// and its output against GoMLX's MaxPool (the op it replaces); odd sizes drop the incomplete windows, as the
// CNN's last block does (3 × 4 → 1 × 2).
func TestMaxPool2DMatchesReference(t *testing.T) {
	backend := newBackend(t)
	const b, c = 2, 3
	for _, tc := range []struct{ h, w, ph, pw int }{{4, 8, 2, 2}, {4, 8, 1, 2}, {5, 9, 2, 2}, {3, 4, 2, 2}} {
		h, w, win := tc.h, tc.w, [2]int{tc.ph, tc.pw}
		t.Run(fmt.Sprintf("%dx%d/%dx%d", h, w, win[0], win[1]), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, uint64(win[0])))
			x := make([]float32, b*c*h*w)
			for i := range x {
				x[i] = float32(rng.IntN(4)) - 1 // -1, 0, 1, 2
			}
			ho, wo := h/win[0], w/win[1]
			dy := make([]float32, b*c*ho*wo)
			for i := range dy {
				dy[i] = float32(rng.NormFloat64())
			}
			// Both layouts; the channels-last one is transposed in and out of the graph, so all outputs and
			// gradients are compared channels-first.
			outs, err := ExecOnceN(backend, func(xn, dyn *Node) []*Node {
				y := maxPool2D(xn, win[0], win[1], false)
				ref := MaxPool(xn).ChannelsAxis(images.ChannelsFirst).WindowPerAxis(win[0], win[1]).Done()
				xl := TransposeAllAxes(xn, 0, 2, 3, 1)
				yl := TransposeAllAxes(maxPool2D(xl, win[0], win[1], true), 0, 3, 1, 2)
				dx := Gradient(ReduceAllSum(Mul(y, dyn)), xn)[0]
				dxl := Gradient(ReduceAllSum(Mul(yl, dyn)), xl)[0]
				return []*Node{y, ref, yl, dx, TransposeAllAxes(dxl, 0, 3, 1, 2)}
			}, tensors.FromFlatDataAndDimensions(x, b, c, h, w), tensors.FromFlatDataAndDimensions(dy, b, c, ho, wo))
			if err != nil {
				t.Fatal(err)
			}
			wantY, wantDX, tied := refMaxPool(x, b, c, h, w, win[0], win[1], dy)
			gotY, gomlxY := tensors.MustCopyFlatData[float32](outs[0]), tensors.MustCopyFlatData[float32](outs[1])
			lastY := tensors.MustCopyFlatData[float32](outs[2])
			gotDX, lastDX := tensors.MustCopyFlatData[float32](outs[3]), tensors.MustCopyFlatData[float32](outs[4])
			for i := range wantY {
				if gotY[i] != wantY[i] || lastY[i] != wantY[i] || gomlxY[i] != wantY[i] {
					t.Fatalf("output %d: maxPool2D %g (channels-last %g), GoMLX MaxPool %g, reference %g", i, gotY[i],
						lastY[i], gomlxY[i], wantY[i])
				}
			}
			for i := range wantDX {
				if gotDX[i] != wantDX[i] || lastDX[i] != wantDX[i] {
					t.Fatalf("gradient %d: got %g (channels-last %g), want %g (the gradient must go to the first "+
						"maximum only)", i, gotDX[i], lastDX[i], wantDX[i])
				}
			}
			if tied == 0 {
				t.Fatal("the test input has no window with a tie")
			}
			t.Logf("%d of %d windows hold a tied maximum", tied, len(wantY))
		})
	}
}

// TestAudioCNNLayoutsAgree runs the audio CNN channels-first and channels-last (audioLayout) on the same
// variables and input, in training mode (BatchNorm on batch statistics; dropout 0 so both see the same graph),
// and checks that z, z_d and the gradients of a fixed projection of z_d with respect to the input and to every
// trainable variable agree to float64 rounding: the layout changes the order of the sums, not the model; and
// that the biases that BatchNorm cancels (the convolutions', fc1's) get no gradient. The input has a clipped floor, so max-pool windows hold ties, as on real spectrograms.
func TestAudioCNNLayoutsAgree(t *testing.T) {
	backend := newBackend(t)
	defer func(v int) { audioLayout = v }(audioLayout)
	// Widths that are multiples of 16 (the widest SIMD vector): the Go backend's minor-axis broadcasts then never
	// read past a tensor's end (see audioLayout).
	cfg := AudioConfig{Widths: []int{16, 16, 16, 16, 16, 16, 16}, Hidden: 16, Dropout: 0}
	const batch = 3
	rng := rand.New(rand.NewPCG(5, 6))
	mel := make([]float64, batch*Bands*CropFrames)
	for i := range mel {
		mel[i] = max(-40+15*rng.NormFloat64(), -50) // the clipped floor
	}
	proj := make([]float64, batch*EmbeddingDim)
	for i := range proj {
		proj[i] = rng.NormFloat64()
	}
	store := model.NewStore()
	var names []string
	run := func(layout int) [][]float64 {
		audioLayout = layout
		outs, err := model.ExecOnceN(backend, store, func(scope *model.Scope, m, p *Node) []*Node {
			g := m.Graph()
			scope.SetTraining(g, true)
			z, zd := AudioCNN(scope, cfg, m)
			loss := ReduceAllSum(Mul(zd, p))
			wrt := []*Node{m}
			names = []string{"input"}
			for v := range store.IterVariables() {
				if v.Trainable && strings.HasPrefix(v.Scope(), "/audio") {
					wrt = append(wrt, v.NodeValue(g))
					names = append(names, v.Path())
				}
			}
			return append([]*Node{z, zd}, Gradient(loss, wrt...)...)
		}, tensors.FromFlatDataAndDimensions(mel, batch, Bands, CropFrames),
			tensors.FromFlatDataAndDimensions(proj, batch, EmbeddingDim))
		if err != nil {
			t.Fatal(err)
		}
		flat := make([][]float64, len(outs))
		for i, o := range outs {
			flat[i] = tensors.MustCopyFlatData[float64](o)
		}
		return flat
	}
	first := run(layoutChannelsFirst)
	last := run(layoutChannelsLast)
	if len(first) != len(last) {
		t.Fatalf("%d outputs channels-first, %d channels-last", len(first), len(last))
	}
	labels := append([]string{"z", "z_d"}, names...)
	for i := range first {
		scale := maxAbs(first[i])
		worst := 0.0
		for j := range first[i] {
			worst = max(worst, math.Abs(first[i][j]-last[i][j]))
		}
		if strings.HasSuffix(labels[i], "/conv_bias/biases") || labels[i] == "/audio/fc1/biases" {
			// A bias before BatchNorm (the convolutions', fc1's) cancels in the normalisation: its gradient is
			// zero up to rounding, in both layouts, relative to the next output (a weight or γ gradient).
			if ref := maxAbs(first[i+1]); scale > 1e-9*ref || maxAbs(last[i]) > 1e-9*ref {
				t.Errorf("%s: gradient %.3g / %.3g (channels-first / -last), want ≈ 0 (the BatchNorm's γ gradient reaches %.3g)",
					labels[i], scale, maxAbs(last[i]), ref)
			}
			t.Logf("%-40s largest |value| %.3g (≈ 0, as it must be)", labels[i], max(scale, maxAbs(last[i])))
			continue
		}
		// float64 sums in another order: agreement to 1e-8 of the output's largest magnitude (the input
		// BatchNorm's γ gradient, a sum of 393,216 terms of both signs that nearly cancel, differs by ~2e-9 of
		// itself; in float32 it moved by a third of its size with the order of the sums).
		if worst > 1e-8*scale {
			t.Errorf("%s: channels-first and channels-last differ by %.3g (largest magnitude %.3g)", labels[i], worst, scale)
		}
		t.Logf("%-40s max |difference| %.3g, largest |value| %.3g", labels[i], worst, scale)
	}
}
