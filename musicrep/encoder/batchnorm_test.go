package encoder

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX idiom.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/layers/norm"
	"github.com/gomlx/gomlx/ml/model"
)

// bnGolden is testdata/batchnorm_golden.json, written by testdata/batchnorm_golden.py with PyTorch (float64).
type bnGolden struct {
	Command string
	Torch   string
	Cases   []struct {
		Name                                       string
		Shape                                      []int
		X, Gamma, Beta, Proj, Y, DX, DGamma, DBeta []float64
		Mean, Variance                             []float64 // the batch's mean and biased variance
	}
}

// TestBatchNormMatchesPyTorch runs batchNorm in training mode followed by ReLU, as the CNN uses it, on the golden
// cases (a channels-first conv activation and a dense layer's, with a large common offset) and compares the
// output, the gradients of Σ proj·y with respect to x, γ and β, and the running averages after one step with
// PyTorch's: in float64 to 1e-9, in float32 to 1e-4 of each quantity's largest magnitude; the conv case also
// channels-last (feature axis 3). GoMLX's norm.BatchNorm, which holds the batch statistics constant, fails the
// ∂L/∂x comparison (checked below), so the test can tell the two gradients apart.
func TestBatchNormMatchesPyTorch(t *testing.T) {
	raw, err := os.ReadFile("testdata/batchnorm_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var golden bnGolden
	if err := json.Unmarshal(raw, &golden); err != nil {
		t.Fatalf("testdata/batchnorm_golden.json: %v (regenerate it with %s)", err, golden.Command)
	}
	backend := newBackend(t)
	for _, c := range golden.Cases {
		for _, dtype := range []dtypes.DType{dtypes.Float64, dtypes.Float32} {
			layouts := []bool{false}
			if len(c.Shape) == 4 {
				layouts = append(layouts, true)
			}
			for _, last := range layouts {
				tol := 1e-9
				if dtype == dtypes.Float32 {
					tol = 1e-4
				}
				name := c.Name + "/" + dtype.String()
				if last {
					name += "/channels-last"
				}
				t.Run(name, func(t *testing.T) {
					store := model.NewStore()
					store.VariableWithValue("/bn/batch_normalization/scale", asTensor(c.Gamma, dtype, len(c.Gamma)))
					store.VariableWithValue("/bn/batch_normalization/offset", asTensor(c.Beta, dtype, len(c.Beta)))
					outs, err := model.ExecOnceN(backend, store, func(scope *model.Scope, x, proj *Node) []*Node {
						g := x.Graph()
						scope.SetTraining(g, true)
						axis := 1
						if last {
							x, proj, axis = transpose4(x), transpose4(proj), 3
						}
						y := activation.Relu(batchNorm(scope.In("bn"), x, nil, axis))
						loss := ReduceAllSum(Mul(proj, y))
						scale := store.GetVariable("/bn/batch_normalization/scale").NodeValue(g)
						offset := store.GetVariable("/bn/batch_normalization/offset").NodeValue(g)
						grads := Gradient(loss, x, scale, offset)
						if last {
							y, grads[0] = untranspose4(y), untranspose4(grads[0])
						}
						return append([]*Node{y}, grads...)
					}, asTensor(c.X, dtype, c.Shape...), asTensor(c.Proj, dtype, c.Shape...))
					if err != nil {
						t.Fatal(err)
					}
					for i, want := range [][]float64{c.Y, c.DX, c.DGamma, c.DBeta} {
						label := []string{"y", "∂L/∂x", "∂L/∂γ", "∂L/∂β"}[i]
						compareClose(t, label, asFloat64(outs[i]), want, tol)
					}
					// One training step's running averages: the first step's debiased momentum is 0, so they
					// are the batch's mean and biased variance.
					for i, want := range [][]float64{c.Mean, c.Variance} {
						path := []string{"/bn/batch_normalization/mean", "/bn/batch_normalization/variance"}[i]
						compareClose(t, path, asFloat64(store.GetVariable(path).MustValue()), want, tol)
					}
				})
			}
		}
	}

	// The first case through GoMLX's norm.BatchNorm (γ = 1, β = 0 on both sides): its ∂L/∂x, which holds the batch
	// statistics constant, differs from the full gradient by far more than the tolerances above.
	c := golden.Cases[0]
	outs, err := model.ExecOnceN(backend, model.NewStore(), func(scope *model.Scope, x, proj *Node) []*Node {
		scope.SetTraining(x.Graph(), true)
		ours := ReduceAllSum(Mul(proj, activation.Relu(batchNorm(scope.In("ours"), x, nil, 1))))
		theirs := ReduceAllSum(Mul(proj, activation.Relu(norm.BatchNorm(scope.In("gomlx"), x, 1).
			Epsilon(BatchNormEpsilon).UseBackendInference(false).Done())))
		return []*Node{Gradient(ours, x)[0], Gradient(theirs, x)[0]}
	}, asTensor(c.X, dtypes.Float64, c.Shape...), asTensor(c.Proj, dtypes.Float64, c.Shape...))
	if err != nil {
		t.Fatal(err)
	}
	if d := relDiff(asFloat64(outs[1]), asFloat64(outs[0])); d < 1e-2 {
		t.Fatalf("norm.BatchNorm's ∂L/∂x is within %.3g of the full gradient: the test cannot tell them apart", d)
	} else {
		t.Logf("norm.BatchNorm's ∂L/∂x differs from the full gradient by %.3g of its largest magnitude", d)
	}
}

// transpose4 and untranspose4 move a rank-4 tensor's axis 1 to the end and back.
func transpose4(x *Node) *Node   { return TransposeAllAxes(x, 0, 2, 3, 1) }
func untranspose4(x *Node) *Node { return TransposeAllAxes(x, 0, 3, 1, 2) }

func asTensor(v []float64, dtype dtypes.DType, dims ...int) *tensors.Tensor {
	if dtype == dtypes.Float64 {
		return tensors.FromFlatDataAndDimensions(append([]float64(nil), v...), dims...)
	}
	f := make([]float32, len(v))
	for i, x := range v {
		f[i] = float32(x)
	}
	return tensors.FromFlatDataAndDimensions(f, dims...)
}

func asFloat64(t *tensors.Tensor) []float64 {
	if t.DType() == dtypes.Float64 {
		return tensors.MustCopyFlatData[float64](t)
	}
	f := tensors.MustCopyFlatData[float32](t)
	out := make([]float64, len(f))
	for i, x := range f {
		out[i] = float64(x)
	}
	return out
}

// relDiff is the largest |got − want| over the largest |want|.
func relDiff(got, want []float64) float64 {
	worst := 0.0
	for i := range want {
		worst = max(worst, math.Abs(got[i]-want[i]))
	}
	return worst / maxAbs(want)
}

func compareClose(t *testing.T, label string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, PyTorch %d", label, len(got), len(want))
	}
	if d := relDiff(got, want); d > tol || math.IsNaN(d) {
		t.Errorf("%s: differs from PyTorch by %.3g of its largest magnitude (tolerance %g)", label, d, tol)
	} else {
		t.Logf("%-36s relative difference %.3g", label, d)
	}
}

// TestBatchNormBias checks that batchNorm(x, bias) is batchNorm(x + bias, nil): the same output and ∂L/∂x in
// training, the same running mean and variance after a step, and the same output in inference; and that the bias
// gets no gradient in training (PyTorch's, Σ ∂L/∂x, is zero up to rounding).
func TestBatchNormBias(t *testing.T) {
	backend := newBackend(t)
	const b, c, h, w = 2, 3, 4, 5
	rng := rand.New(rand.NewPCG(3, 4))
	x, proj := make([]float64, b*h*w*c), make([]float64, b*h*w*c)
	for i := range x {
		x[i], proj[i] = 3+2*rng.NormFloat64(), rng.NormFloat64()
	}
	bias := []float64{5, -7, 0.5}
	run := func(training, split bool) [][]float64 {
		store := model.NewStore()
		outs, err := model.ExecOnceN(backend, store, func(scope *model.Scope, x, proj, bias *Node) []*Node {
			scope.SetTraining(x.Graph(), training)
			var y *Node
			if split {
				y = batchNorm(scope.In("bn"), x, bias, 3)
			} else {
				y = batchNorm(scope.In("bn"), Add(x, Reshape(bias, 1, 1, 1, c)), nil, 3)
			}
			if !training {
				return []*Node{y}
			}
			grads := Gradient(ReduceAllSum(Mul(proj, y)), x, bias)
			return []*Node{y, grads[0], grads[1]}
		}, asTensor(x, dtypes.Float64, b, h, w, c), asTensor(proj, dtypes.Float64, b, h, w, c), asTensor(bias, dtypes.Float64, c))
		if err != nil {
			t.Fatal(err)
		}
		var res [][]float64
		for _, o := range outs {
			res = append(res, asFloat64(o))
		}
		if training {
			for _, name := range []string{"mean", "variance"} {
				res = append(res, asFloat64(store.GetVariable("/bn/batch_normalization/"+name).MustValue()))
			}
		}
		return res
	}
	split, joined := run(true, true), run(true, false)
	for i, label := range []string{"y", "∂L/∂x", "∂L/∂bias", "running mean", "running variance"} {
		if label == "∂L/∂bias" {
			if maxAbs(split[i]) != 0 {
				t.Errorf("∂L/∂bias = %v, want 0 (the bias cancels in training)", split[i])
			}
			t.Logf("∂L/∂bias through x + bias (zero up to rounding): %.3g, largest |∂L/∂x| %.3g", maxAbs(joined[i]), maxAbs(joined[1]))
			continue
		}
		if d := relDiff(split[i], joined[i]); d > 1e-12 {
			t.Errorf("%s: batchNorm(x, bias) and batchNorm(x + bias) differ by %.3g", label, d)
		}
	}
	if d := relDiff(run(false, true)[0], run(false, false)[0]); d > 1e-12 {
		t.Errorf("inference: batchNorm(x, bias) and batchNorm(x + bias) differ by %.3g", d)
	}
}

// maxAbs is the largest |v[i]|.
func maxAbs(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = max(m, math.Abs(x))
	}
	return m
}
