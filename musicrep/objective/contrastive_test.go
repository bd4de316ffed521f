package objective

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/gobackend"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX idiom.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// randomViews returns two [n][d] views of the same items: zb = za + noise·N(0,1).
func randomViews(rng *rand.Rand, n, d int, noise float64) (za, zb [][]float64) {
	za = make([][]float64, n)
	zb = make([][]float64, n)
	for i := range n {
		za[i] = make([]float64, d)
		zb[i] = make([]float64, d)
		for j := range d {
			za[i][j] = rng.NormFloat64()
			zb[i][j] = za[i][j] + noise*rng.NormFloat64()
		}
	}
	return
}

func toTensor(m [][]float64) *tensors.Tensor {
	f, r, c := flat(m)
	return tensors.FromFlatDataAndDimensions(f, r, c)
}

func closeRel(got, want, rel float64) bool {
	return math.Abs(got-want) <= rel*math.Max(1, math.Abs(want))
}

func newBackend(t *testing.T) compute.Backend {
	t.Helper()
	backend, err := gobackend.New("")
	if err != nil {
		t.Fatal(err)
	}
	return backend
}

// graphNTXent returns the graph NTXent loss and its gradient with respect to za (flattened).
func graphNTXent(t *testing.T, za, zb [][]float64, temperature float64) (float64, []float64) {
	t.Helper()
	outs := MustExecOnceN(newBackend(t), func(a, b *Node) []*Node {
		loss := NTXent(a, b, temperature)
		return []*Node{loss, Gradient(loss, a)[0]}
	}, toTensor(za), toTensor(zb))
	return tensors.ToScalar[float64](outs[0]), tensors.MustCopyFlatData[float64](outs[1])
}

// graphInfoNCE returns the graph InfoNCE loss and its gradients with respect to za (flattened) and logitScale.
func graphInfoNCE(t *testing.T, za, zb [][]float64, logitScale float64) (float64, []float64, float64) {
	t.Helper()
	outs := MustExecOnceN(newBackend(t), func(a, b, s *Node) []*Node {
		loss := InfoNCE(a, b, s)
		grads := Gradient(loss, a, s)
		return []*Node{loss, grads[0], grads[1]}
	}, toTensor(za), toTensor(zb), tensors.FromScalar(logitScale))
	return tensors.ToScalar[float64](outs[0]), tensors.MustCopyFlatData[float64](outs[1]),
		tensors.ToScalar[float64](outs[2])
}

// finiteDiffCheck compares grad (flattened over x) with central finite differences of f.
func finiteDiffCheck(t *testing.T, x [][]float64, grad []float64, f func() float64) {
	t.Helper()
	const h = 1e-6
	for i := range x {
		for j := range x[i] {
			orig := x[i][j]
			x[i][j] = orig + h
			plus := f()
			x[i][j] = orig - h
			minus := f()
			x[i][j] = orig
			numeric := (plus - minus) / (2 * h)
			got := grad[i*len(x[i])+j]
			if math.Abs(got-numeric) > 1e-6*math.Max(1, math.Abs(numeric)) {
				t.Fatalf("gradient[%d][%d]: autodiff %.10g, finite difference %.10g", i, j, got, numeric)
			}
		}
	}
}

// TestNTXentMatchesReference compares the graph loss with the plain-Go reference over sizes and temperatures.
func TestNTXentMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, tc := range []struct {
		name        string
		n, d        int
		noise       float64
		temperature float64
	}{
		{"N=1", 1, 3, 0.5, 0.1},
		{"N=2 t=1", 2, 4, 1, 1},
		{"N=8 t=0.1 aligned", 8, 16, 0.1, 0.1},
		{"N=16 t=0.5", 16, 8, 1, 0.5},
		{"N=32 t=0.1 noisy", 32, 32, 3, 0.1},
		{"N=64 t=0.07", 64, 20, 0.3, 0.07},
	} {
		t.Run(tc.name, func(t *testing.T) {
			za, zb := randomViews(rng, tc.n, tc.d, tc.noise)
			want := NTXentReference(za, zb, tc.temperature)
			got, _ := graphNTXent(t, za, zb, tc.temperature)
			if !closeRel(got, want, 1e-9) {
				t.Errorf("graph loss %.15g, reference %.15g", got, want)
			}
		})
	}
}

// TestNTXentUninformed checks that identical rows (every similarity 1) give −log(1/(2N−1) + 1e-5), ≈ ln 255 for
// N = 128.
func TestNTXentUninformed(t *testing.T) {
	for _, n := range []int{2, 5, 128} {
		row := []float64{0.3, -1.2, 2.5, 0.7}
		za := make([][]float64, n)
		zb := make([][]float64, n)
		for i := range n {
			za[i] = row
			zb[i] = []float64{0.6, -2.4, 5, 1.4} // same direction, different norm
		}
		want := -math.Log(1/float64(2*n-1) + NTXentLogEps)
		got, _ := graphNTXent(t, za, zb, DefaultTemperature)
		if !closeRel(got, want, 1e-9) {
			t.Errorf("N=%d: got %.15g, want %.15g", n, got, want)
		}
		if ref := NTXentReference(za, zb, DefaultTemperature); !closeRel(ref, want, 1e-12) {
			t.Errorf("N=%d: reference %.15g, want %.15g", n, ref, want)
		}
		if n == 128 && math.Abs(got-math.Log(255)) > 1e-2 {
			t.Errorf("N=128: got %.6g, spec says ≈ ln 255 = %.6g", got, math.Log(255))
		}
	}
}

// TestNTXentSymmetric checks that swapping the views leaves the loss unchanged (both directions are averaged).
func TestNTXentSymmetric(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	za, zb := randomViews(rng, 12, 6, 1)
	ab, _ := graphNTXent(t, za, zb, 0.2)
	ba, _ := graphNTXent(t, zb, za, 0.2)
	if !closeRel(ab, ba, 1e-12) {
		t.Errorf("NTXent(a,b)=%.15g, NTXent(b,a)=%.15g", ab, ba)
	}
}

// TestNTXentGradient checks the autodiff gradient with respect to za against central finite differences of the
// reference.
func TestNTXentGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, temperature := range []float64{0.1, 1} {
		za, zb := randomViews(rng, 6, 5, 0.7)
		_, grad := graphNTXent(t, za, zb, temperature)
		finiteDiffCheck(t, za, grad, func() float64 { return NTXentReference(za, zb, temperature) })
	}
}

// TestInfoNCEMatchesReference compares the graph loss with the plain-Go reference over sizes and scales.
func TestInfoNCEMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, tc := range []struct {
		name       string
		n, d       int
		noise      float64
		logitScale float64
	}{
		{"N=1", 1, 3, 0.5, DefaultLogitScaleInit},
		{"N=4 scale 1", 4, 4, 1, 0},
		{"N=16 CLIP init", 16, 8, 0.5, DefaultLogitScaleInit},
		{"N=32 max scale", 32, 16, 0.2, math.Log(DefaultLogitScaleMax)},
		{"N=64 noisy", 64, 24, 3, 1.5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			za, zb := randomViews(rng, tc.n, tc.d, tc.noise)
			want := InfoNCEReference(za, zb, tc.logitScale)
			got, _, _ := graphInfoNCE(t, za, zb, tc.logitScale)
			if !closeRel(got, want, 1e-9) {
				t.Errorf("graph loss %.15g, reference %.15g", got, want)
			}
		})
	}
}

// TestInfoNCEAlignedOrthogonal checks that perfectly aligned orthogonal pairs with a large scale give ~0, and
// identical rows give log N.
func TestInfoNCEAlignedOrthogonal(t *testing.T) {
	const n = 8
	za := make([][]float64, n)
	zb := make([][]float64, n)
	for i := range n {
		za[i] = make([]float64, n)
		zb[i] = make([]float64, n)
		za[i][i] = 2
		zb[i][i] = 0.5
	}
	got, _, _ := graphInfoNCE(t, za, zb, math.Log(DefaultLogitScaleMax))
	// Each row: log(1 + (N−1)·e^{−100}) ≈ 7·e^{−100}.
	if got < 0 || got > 1e-40 {
		t.Errorf("aligned orthogonal pairs: loss %g, want ~0", got)
	}
	for i := range n {
		za[i] = []float64{1, 2, 3}
		zb[i] = []float64{2, 4, 6}
	}
	got, _, _ = graphInfoNCE(t, za, zb, DefaultLogitScaleInit)
	if !closeRel(got, math.Log(n), 1e-12) {
		t.Errorf("identical rows: loss %.15g, want log N = %.15g", got, math.Log(n))
	}
}

// TestInfoNCEGradient checks the autodiff gradients with respect to za and logitScale against central finite
// differences of the reference.
func TestInfoNCEGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, logitScale := range []float64{0, DefaultLogitScaleInit} {
		za, zb := randomViews(rng, 6, 5, 0.7)
		_, grad, gradScale := graphInfoNCE(t, za, zb, logitScale)
		finiteDiffCheck(t, za, grad, func() float64 { return InfoNCEReference(za, zb, logitScale) })
		const h = 1e-6
		numeric := (InfoNCEReference(za, zb, logitScale+h) - InfoNCEReference(za, zb, logitScale-h)) / (2 * h)
		if math.Abs(gradScale-numeric) > 1e-6*math.Max(1, math.Abs(numeric)) {
			t.Errorf("logitScale=%g: d/dscale autodiff %.10g, finite difference %.10g", logitScale, gradScale, numeric)
		}
	}
}

// TestLogitScaleVariable checks the variable's name, initial value, dtype and the clamp at log(max).
func TestLogitScaleVariable(t *testing.T) {
	for _, tc := range []struct {
		name     string
		dtype    dtypes.DType
		init     float64
		maxScale float64
		want     float64
	}{
		{"CLIP init float64", dtypes.Float64, DefaultLogitScaleInit, 0, DefaultLogitScaleInit},
		{"CLIP init float32", dtypes.Float32, DefaultLogitScaleInit, DefaultLogitScaleMax, DefaultLogitScaleInit},
		{"clamped at default max", dtypes.Float64, 10, 0, math.Log(DefaultLogitScaleMax)},
		{"clamped at other max", dtypes.Float64, 3, 10, math.Log(10)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := model.NewStore()
			exec, err := model.NewExec(newBackend(t), store, func(scope *model.Scope, x *Node) []*Node {
				s := LogitScaleVariable(scope.In("clip"), x.Graph(), tc.dtype, tc.init, tc.maxScale)
				loss := Mul(s, x)
				grads := scope.BuildTrainableVariablesGradientsGraph(loss)
				return []*Node{ConvertDType(s, dtypes.Float64), ConvertDType(grads[0], dtypes.Float64)}
			})
			if err != nil {
				t.Fatal(err)
			}
			x := tensors.FromScalar(float32(2))
			if tc.dtype == dtypes.Float64 {
				x = tensors.FromScalar(2.0)
			}
			out, err := exec.Exec(x)
			if err != nil {
				t.Fatal(err)
			}
			tol := 1e-12
			if tc.dtype == dtypes.Float32 {
				tol = 1e-6
			}
			if got := tensors.ToScalar[float64](out[0]); !closeRel(got, tc.want, tol) {
				t.Errorf("logit scale %.15g, want %.15g", got, tc.want)
			}
			// d(s·x)/d logit_scale is x = 2 below the cap and 0 where the clamp is active.
			wantGrad := 2.0
			if tc.want != tc.init {
				wantGrad = 0
			}
			if got := tensors.ToScalar[float64](out[1]); got != wantGrad {
				t.Errorf("gradient with respect to the variable %g, want %g", got, wantGrad)
			}
			v := store.RootScope().In("clip").GetVariable(LogitScaleVariableName)
			if v == nil {
				t.Fatalf("variable %q not found in /clip", LogitScaleVariableName)
			}
			if v.Shape().Rank() != 0 || v.DType() != tc.dtype || !v.Trainable {
				t.Errorf("variable shape %s trainable=%v, want scalar %s trainable", v.Shape(), v.Trainable, tc.dtype)
			}
			stored := v.MustValue()
			var got float64
			if tc.dtype == dtypes.Float32 {
				got = float64(tensors.ToScalar[float32](stored))
			} else {
				got = tensors.ToScalar[float64](stored)
			}
			if !closeRel(got, tc.init, tol) {
				t.Errorf("stored value %.15g, want init %.15g (unclipped)", got, tc.init)
			}
		})
	}
}

// TestMultiViewLoss checks that the multi-view loss equals the sum of its per-pair terms and of the reference
// terms, for NTXent over contrastive-mir's three pairs and for InfoNCE over a custom pair list.
func TestMultiViewLoss(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	audio, tags := randomViews(rng, 10, 6, 0.5)
	_, cf := randomViews(rng, 10, 6, 0.5)
	views := [][][]float64{audio, tags, cf}
	for _, tc := range []struct {
		name  string
		pairs [][2]int
		loss  PairLoss
		ref   func(a, b [][]float64) float64
	}{
		{"contrastive-mir NTXent", ContrastiveMIRPairs(), NTXentPair(DefaultTemperature),
			func(a, b [][]float64) float64 { return NTXentReference(a, b, DefaultTemperature) }},
		{"single pair", [][2]int{{0, 2}}, NTXentPair(1),
			func(a, b [][]float64) float64 { return NTXentReference(a, b, 1) }},
		{"InfoNCE two pairs", [][2]int{{1, 0}, {2, 0}},
			func(a, b *Node) *Node { return InfoNCE(a, b, Scalar(a.Graph(), a.DType(), 2.0)) },
			func(a, b [][]float64) float64 { return InfoNCEReference(a, b, 2) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			outs := MustExecOnceN(newBackend(t), func(a, b, c *Node) []*Node {
				nodes := []*Node{a, b, c}
				return append([]*Node{MultiViewLoss(nodes, tc.pairs, tc.loss)},
					MultiViewLossTerms(nodes, tc.pairs, tc.loss)...)
			}, toTensor(audio), toTensor(tags), toTensor(cf))
			total := tensors.ToScalar[float64](outs[0])
			var sumTerms float64
			for k, o := range outs[1:] {
				term := tensors.ToScalar[float64](o)
				p := tc.pairs[k]
				if want := tc.ref(views[p[0]], views[p[1]]); !closeRel(term, want, 1e-9) {
					t.Errorf("term %d %v: %.15g, reference %.15g", k, p, term, want)
				}
				sumTerms += term
			}
			if !closeRel(total, sumTerms, 1e-12) {
				t.Errorf("total %.15g, sum of terms %.15g", total, sumTerms)
			}
			if want := MultiViewLossReference(views, tc.pairs, tc.ref); !closeRel(total, want, 1e-9) {
				t.Errorf("total %.15g, reference %.15g", total, want)
			}
		})
	}
}

// TestContrastivePanics checks that shape misuse panics.
func TestContrastivePanics(t *testing.T) {
	for _, tc := range []struct {
		name string
		fn   func(a, b *Node)
	}{
		{"NTXent shape mismatch", func(a, b *Node) { NTXent(a, Slice(b, AxisRange(0, 2)), 0.1) }},
		{"NTXent zero temperature", func(a, b *Node) { NTXent(a, b, 0) }},
		{"InfoNCE non-scalar scale", func(a, b *Node) { InfoNCE(a, b, a) }},
		{"MultiView out of range", func(a, b *Node) { MultiViewLoss([]*Node{a, b}, [][2]int{{0, 2}}, NTXentPair(1)) }},
		{"MultiView no pairs", func(a, b *Node) { MultiViewLoss([]*Node{a, b}, nil, NTXentPair(1)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewGraph(newBackend(t), "panics")
			a := Parameter(g, "a", tensors.FromFlatDataAndDimensions(make([]float64, 12), 3, 4).Shape())
			b := Parameter(g, "b", a.Shape())
			defer func() {
				if recover() == nil {
					t.Errorf("no panic")
				}
			}()
			tc.fn(a, b)
		})
	}
}
