package encoder

import (
	"fmt"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX idiom.
	"github.com/gomlx/gomlx/ml/layers/norm"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// batchNorm is PyTorch's BatchNorm (affine, track_running_stats) over the given feature axis of x + bias (bias [C]
// or nil), with the variables of GoMLX's norm.BatchNorm (scope/batch_normalization/{scale, offset, mean, variance,
// avg_weight}, the same running averages and the same update), so checkpoints are unchanged. What differs from
// norm.BatchNorm:
//
//   - In training the gradient is BatchNorm's full gradient, through the batch mean and variance, as PyTorch's
//     autograd computes it: with x̂ = (x − μ)·r, r = 1/√(σ² + ε), d = ∂L/∂y and means over the N values of a
//     feature, ∂L/∂x = γ·r·(d − mean(d) − x̂·mean(d·x̂)), ∂L/∂γ = Σ d·x̂, ∂L/∂β = Σ d. GoMLX's norm.BatchNorm
//     holds μ and σ² constant (its gradient is γ·r·d), which trains another model than contrastive-mir's.
//   - A bias before the normalisation (a convolution's) is taken apart from x: in training it cancels in x̂ (only
//     the running mean records it), so x + bias is never formed and the bias gets no gradient — PyTorch's is
//     Σ ∂L/∂x, zero up to rounding.
//   - The graph makes few passes over x, which in the CNN's first blocks is the largest tensor of a training step:
//     the statistics are two reductions (the mean, then the centred variance, as accurate as PyTorch's two-pass
//     kernel), the output is x̂·γ + β with r a per-feature multiplier (no division by an activation-sized
//     tensor, so XLA fuses the normalisation into its consumers), the backward pass is the two reductions Σ d and
//     Σ d·x̂ (shared with ∂L/∂β and ∂L/∂γ) and one element-wise expression, and every per-feature sum takes
//     featureAxis's fast form.
//
// Outside training it normalises with the running averages: (x + bias − mean)·r·γ + β.
func batchNorm(scope *model.Scope, x, bias *Node, axis int) *Node {
	g := x.Graph()
	axis = MustAdjustAxis(axis, x)
	c := x.Shape().Dimensions[axis]
	// What norm.BatchNorm records for train.UpdateBatchNormAverages (musicrep does not call it).
	scope.Store().Scope(model.RootScopePath).SetParam(norm.AveragesUpdatesTriggerParam, true)
	s := scope.In(norm.BatchNormalizationScopeName)
	varShape := shapes.Make(x.DType(), c)
	gamma := s.WithInitializer(initializer.One).VariableWithShape("scale", varShape).SetTrainable(true).NodeValue(g)
	beta := s.WithInitializer(initializer.Zero).VariableWithShape("offset", varShape).SetTrainable(true).NodeValue(g)
	meanVar := s.WithInitializer(initializer.Zero).VariableWithShape("mean", varShape).SetTrainable(false)
	varianceVar := s.WithInitializer(initializer.One).VariableWithShape("variance", varShape).SetTrainable(false)
	weightVar := s.WithInitializer(initializer.Zero).VariableWithShape("avg_weight", varShape).SetTrainable(false)

	f := newFeatureAxis(x.Shape().Dimensions, axis)
	n := f.n
	eps := Scalar(g, x.DType(), BatchNormEpsilon)

	if !scope.IsTraining(g) {
		r := Rsqrt(Add(varianceVar.NodeValue(g), eps))
		mean := meanVar.NodeValue(g)
		if bias != nil {
			mean = Sub(mean, bias) // x + bias − running mean
		}
		xhat := Mul(Sub(x, f.broadcast(mean)), f.broadcast(r))
		return Add(Mul(xhat, f.broadcast(gamma)), f.broadcast(beta))
	}

	// Batch statistics, held constant: their gradient is written out below.
	xs := StopGradient(x)
	mean := MulScalar(f.sum(xs), 1/float64(n))
	centred := Sub(xs, f.broadcast(mean))
	variance := MulScalar(f.sum(Square(centred)), 1/float64(n))
	r := Rsqrt(Add(variance, eps))
	xhat := StopGradient(Mul(centred, f.broadcast(r)))
	if bias != nil {
		// The statistics of x + bias: the mean moves by the bias, the variance and x̂ do not.
		updateRunningAverages(g, Add(mean, StopGradient(bias)), variance, meanVar, varianceVar, weightVar)
	} else {
		updateRunningAverages(g, mean, variance, meanVar, varianceVar, weightVar)
	}

	// y = x̂·γ + β: autodiff gives ∂L/∂γ = Σ d·x̂ and ∂L/∂β = Σ d. The term xi − xi adds an exact zero whose
	// gradient reaches x as d itself, where the custom gradient applies the full formula.
	xi := IdentityWithCustomGradient(x, func(_, d *Node) *Node {
		nInv := Scalar(g, x.DType(), 1/float64(n))
		sumD := f.sum(d)
		sumDX := f.sum(Mul(d, xhat))
		dx := Sub(Sub(d, f.broadcast(Mul(sumD, nInv))), Mul(xhat, f.broadcast(Mul(sumDX, nInv))))
		return Mul(dx, f.broadcast(Mul(StopGradient(gamma), r)))
	})
	y := Add(Mul(xhat, f.broadcast(gamma)), f.broadcast(beta))
	return Add(y, Sub(xi, StopGradient(xi)))
}

// updateRunningAverages is norm.BatchNorm's update of the running mean and (biased) variance: a moving average
// with momentum BatchNormMomentum, debiased by the number of steps seen (avg_weight) so that the first steps are
// not pulled toward the initial values.
func updateRunningAverages(g *Graph, mean, variance *Node, meanVar, varianceVar, weightVar *model.Variable) {
	momentum := Scalar(g, mean.DType(), BatchNormMomentum)
	weight := OnePlus(weightVar.NodeValue(g))
	weightVar.SetNodeValue(weight)
	m := Min(momentum, OneMinus(Reciprocal(weight)))
	meanVar.SetNodeValue(Add(Mul(m, meanVar.NodeValue(g)), Mul(OneMinus(m), mean)))
	varianceVar.SetNodeValue(Add(Mul(m, varianceVar.NodeValue(g)), Mul(OneMinus(m), variance)))
}

// featureAxis sums an activation over every axis but its feature axis, and broadcasts a per-feature vector back
// to the activation's shape. With the features on the minor axis of a rank ≥ 3 activation [..., K, C] (the CNN's
// channels-last blocks on XLA) both go in two stages through [R, K·C]: XLA's CPU compiler reduces a [R, K·C]
// tensor over its major axis at memory speed (a wide vectorised row of partial sums), where the one-stage reduce
// to C outputs ran about 3× slower (one narrow row of 16 sums over 393,216 rows in the first block: 5.8–6.1 ms
// against 1.6–1.9 ms for [32, 48, 256, 16] on the project's 2-core machine). Autodiff of the two-stage broadcast is
// the two-stage sum, so the gradients of γ and β get the fast form too. (TestBatchNormMatchesPyTorch covers both
// forms: its conv case channels-first and channels-last.)
type featureAxis struct {
	dims       []int
	axis, c, n int // the feature axis, its size, and the number of values per feature
	rows, k    int // the two-stage view [rows, k·c]; k = 0 when the features are not minor or rank < 3
}

func newFeatureAxis(dims []int, axis int) featureAxis {
	f := featureAxis{dims: dims, axis: axis, c: dims[axis], n: 1}
	for i, d := range dims {
		if i != axis {
			f.n *= d
		}
	}
	if f.n < 1 {
		panic(fmt.Sprintf("encoder: a tensor of dimensions %v has no values per feature (axis %d)", dims, axis))
	}
	if r := len(dims); axis == r-1 && r >= 3 {
		f.k = dims[r-2]
		f.rows = f.n / f.k
	}
	return f
}

// sum is Σ t over every axis but the feature axis: [C].
func (f featureAxis) sum(t *Node) *Node {
	if f.k == 0 {
		var axes []int
		for i := range f.dims {
			if i != f.axis {
				axes = append(axes, i)
			}
		}
		return ReduceSum(t, axes...)
	}
	partial := ReduceSum(Reshape(t, f.rows, f.k*f.c), 0)
	return ReduceSum(Reshape(partial, f.k, f.c), 0)
}

// broadcast expands v [C] to the activation's shape along the feature axis.
func (f featureAxis) broadcast(v *Node) *Node {
	if f.k == 0 {
		shape := make([]int, len(f.dims))
		for i := range shape {
			shape[i] = 1
		}
		shape[f.axis] = f.c
		return Reshape(v, shape...)
	}
	row := Reshape(BroadcastToDims(Reshape(v, 1, f.c), f.k, f.c), 1, f.k*f.c)
	return Reshape(BroadcastToDims(row, f.rows, f.k*f.c), f.dims...)
}
