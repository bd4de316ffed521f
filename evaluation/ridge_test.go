package evaluation

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestRidgeNormalEquations: the fitted W satisfies the ridge normal equations (XcᵀXc + λI)W = XcᵀYc, checked
// by direct float64 matrix products, and a noiseless affine map is recovered when λ is tiny.
func TestRidgeNormalEquations(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n, dx, dy = 50, 7, 3
	truth := make([]float64, dx*dy)
	for i := range truth {
		truth[i] = rng.NormFloat64()
	}
	x := make([]float32, n*dx)
	y := make([]float32, n*dy)
	for i := range n {
		for j := range dx {
			x[i*dx+j] = float32(rng.NormFloat64() + 2)
		}
		for k := range dy {
			s := 0.5 * float64(k)
			for j := range dx {
				s += float64(x[i*dx+j]) * truth[j*dy+k]
			}
			y[i*dy+k] = float32(s)
		}
	}
	for _, lambda := range []float64{1e-9, 3} {
		m, err := Ridge(x, dx, y, dy, lambda)
		if err != nil {
			t.Fatal(err)
		}
		// Residual of the normal equations.
		for j := range dx {
			for k := range dy {
				lhs := lambda * m.W[j*dy+k]
				rhs := 0.0
				for i := range n {
					xj := float64(x[i*dx+j]) - m.XMean[j]
					pred := 0.0
					for l := range dx {
						pred += (float64(x[i*dx+l]) - m.XMean[l]) * m.W[l*dy+k]
					}
					lhs += xj * pred
					rhs += xj * (float64(y[i*dy+k]) - m.YMean[k])
				}
				if math.Abs(lhs-rhs) > 1e-8*math.Max(1, math.Abs(rhs)) {
					t.Fatalf("λ=%g: normal equation [%d,%d]: %g ≠ %g", lambda, j, k, lhs, rhs)
				}
			}
		}
		if lambda < 1e-6 {
			pred := m.Apply(x)
			for i := range y {
				if math.Abs(float64(pred[i]-y[i])) > 1e-3 {
					t.Fatalf("noiseless fit: prediction %g, target %g", pred[i], y[i])
				}
			}
		}
	}
	if _, err := Ridge(x, dx, y[:dy*3], dy, 1); err == nil {
		t.Error("row mismatch accepted")
	}
	if _, err := Ridge(x, dx, y, dy, 0); err == nil {
		t.Error("lambda 0 accepted")
	}
}

func negMSE(pred, truth []float32, dim int) (float64, error) {
	s := 0.0
	for i := range pred {
		d := float64(pred[i]) - float64(truth[i])
		s += d * d
	}
	return -s / float64(len(pred)), nil
}

// RidgeCV on a noisy problem with many inputs: a huge lambda predicts the mean and loses, a moderate one
// beats near-least-squares; each lambda's score equals a fold-by-fold recomputation; rows of one group never
// straddle folds.
func TestRidgeCV(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	const n, dx, dy = 200, 40, 2
	x := make([]float32, n*dx)
	y := make([]float32, n*dy)
	groups := make([]string, n)
	for i := range n {
		groups[i] = fmt.Sprint(i / 4) // 50 groups of 4 rows
		for j := range dx {
			x[i*dx+j] = float32(rng.NormFloat64())
		}
		for k := range dy {
			y[i*dy+k] = x[i*dx+k] + 2*float32(rng.NormFloat64())
		}
	}
	lambdas := []float64{1e-4, 30, 1e5}
	m, lambda, scores, err := RidgeCV(x, dx, y, dy, groups, lambdas, 5, 1, negMSE)
	if err != nil {
		t.Fatal(err)
	}
	if lambda != 30 || m == nil {
		t.Errorf("chose lambda %g (scores %v), want 30", lambda, scores)
	}
	fold, nf, err := groupFolds(n, groups, 5, 1)
	if err != nil || nf != 5 {
		t.Fatal(nf, err)
	}
	for i := range n {
		if fold[i] != fold[(i/4)*4] {
			t.Fatalf("group %s straddles folds", groups[i])
		}
	}
	for li, l := range lambdas {
		want := 0.0
		for f := range nf {
			var fit, held []int
			for i := range n {
				if fold[i] == f {
					held = append(held, i)
				} else {
					fit = append(fit, i)
				}
			}
			mm, err := Ridge(GatherRows(x, dx, fit), dx, GatherRows(y, dy, fit), dy, l)
			if err != nil {
				t.Fatal(err)
			}
			s, _ := negMSE(mm.Apply(GatherRows(x, dx, held)), GatherRows(y, dy, held), dy)
			want += s / float64(nf)
		}
		if math.Abs(scores[li]-want) > 1e-9 {
			t.Errorf("lambda %g: score %v, recomputed %v", l, scores[li], want)
		}
	}
	if _, _, _, err := RidgeCV(x, dx, y, dy, make([]string, n), lambdas, 5, 1, negMSE); err == nil {
		t.Error("a single group accepted")
	}
}
