package evaluation

import (
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
