package objective

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute/gobackend"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX idiom.
	"github.com/gomlx/gomlx/core/tensors"
)

func randomPairs(rng *rand.Rand, b, d int, scale float64) (a, q [][]float64, y []float64) {
	a = make([][]float64, b)
	q = make([][]float64, b)
	y = make([]float64, b)
	for i := range b {
		a[i] = make([]float64, d)
		q[i] = make([]float64, d)
		for j := range d {
			a[i][j] = rng.NormFloat64() * scale
			q[i][j] = a[i][j] + rng.NormFloat64()*scale
		}
		y[i] = float64(rng.IntN(2))
	}
	return
}

func flat(m [][]float64) ([]float64, int, int) {
	out := make([]float64, 0, len(m)*len(m[0]))
	for _, r := range m {
		out = append(out, r...)
	}
	return out, len(m), len(m[0])
}

func graphLossAndGrad(t *testing.T, a, q [][]float64, y []float64, margin float64) (float64, []float64) {
	t.Helper()
	backend, err := gobackend.New("")
	if err != nil {
		t.Fatal(err)
	}
	af, b, d := flat(a)
	qf, _, _ := flat(q)
	outs := MustExecOnceN(backend, func(anchor, query, labels *Node) []*Node {
		loss := MarginPairLoss(anchor, query, labels, margin)
		return []*Node{loss, Gradient(loss, anchor)[0]}
	}, tensors.FromFlatDataAndDimensions(af, b, d), tensors.FromFlatDataAndDimensions(qf, b, d),
		tensors.FromFlatDataAndDimensions(y, b))
	return tensors.ToScalar[float64](outs[0]), tensors.MustCopyFlatData[float64](outs[1])
}

// TestMarginPairLossMatchesReference compares the graph loss with the plain-Go reference on batches where the
// distances fall on both sides of the margin.
func TestMarginPairLossMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		name   string
		b, d   int
		scale  float64
		margin float64
	}{
		{"inside margin", 32, 8, 0.05, 0.5},
		{"outside margin", 32, 8, 1, 0.5},
		{"mixed", 64, 128, 0.03, 0.5},
		{"other margin", 16, 4, 0.2, 1.0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, q, y := randomPairs(rng, tc.b, tc.d, tc.scale)
			want := MarginPairLossReference(a, q, y, tc.margin)
			got, _ := graphLossAndGrad(t, a, q, y, tc.margin)
			if math.Abs(got-want) > 1e-12*math.Max(1, math.Abs(want)) {
				t.Errorf("graph loss %.15g, reference %.15g", got, want)
			}
		})
	}
}

// TestMarginPairLossHandValues checks single pairs computed by hand, including the ½ on positives only and ε.
func TestMarginPairLossHandValues(t *testing.T) {
	eps := PairwiseDistanceEps
	cases := []struct {
		name string
		a, q []float64
		y    float64
		want float64
	}{
		// Positive pair at distance 3-4-5: ½·d² with d computed from (diff+ε).
		{"positive", []float64{3, 4}, []float64{0, 0}, 1, 0.5 * ((3+eps)*(3+eps) + (4+eps)*(4+eps))},
		// Negative pair beyond the margin: zero.
		{"negative far", []float64{3, 4}, []float64{0, 0}, 0, 0},
		// Negative pair at distance ~0.3 < 0.5: (0.5−d)², no ½.
		{"negative near", []float64{0.3, 0}, []float64{0, 0}, 0,
			math.Pow(0.5-math.Sqrt((0.3+eps)*(0.3+eps)+eps*eps), 2)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := graphLossAndGrad(t, [][]float64{tc.a}, [][]float64{tc.q}, []float64{tc.y}, DefaultMargin)
			if math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("got %.15g, want %.15g", got, tc.want)
			}
		})
	}
}

// TestMarginPairLossGradient checks the autodiff gradient with respect to the anchors against central finite
// differences of the plain-Go reference.
func TestMarginPairLossGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	a, q, y := randomPairs(rng, 16, 6, 0.15)
	_, grad := graphLossAndGrad(t, a, q, y, DefaultMargin)
	const h = 1e-6
	for i := range a {
		for j := range a[i] {
			orig := a[i][j]
			a[i][j] = orig + h
			plus := MarginPairLossReference(a, q, y, DefaultMargin)
			a[i][j] = orig - h
			minus := MarginPairLossReference(a, q, y, DefaultMargin)
			a[i][j] = orig
			numeric := (plus - minus) / (2 * h)
			got := grad[i*len(a[i])+j]
			if math.Abs(got-numeric) > 1e-6*math.Max(1, math.Abs(numeric)) {
				t.Fatalf("gradient[%d][%d]: autodiff %.10g, finite difference %.10g", i, j, got, numeric)
			}
		}
	}
}
