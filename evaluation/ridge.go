package evaluation

import (
	"fmt"
	"math"
)

// LinearMap is an affine map y = (x − XMean)·W + YMean fitted by ridge regression (Ridge).
type LinearMap struct {
	DX, DY int
	XMean  []float64 // [DX]
	YMean  []float64 // [DY]
	W      []float64 // [DX × DY], row-major
}

// Ridge fits y ≈ (x − x̄)·W + ȳ by least squares with an L2 penalty lambda·‖W‖² on n rows of x (n × dx) and
// y (n × dy), both row-major: W = (XcᵀXc + λI)⁻¹ XcᵀYc with centred Xc, Yc, solved by Cholesky factorisation
// in float64. It is the "raw features + linear map" baseline of cross-modal retrieval: it maps one
// modality's raw features into another's without any learned representation. lambda must be > 0.
func Ridge(x []float32, dx int, y []float32, dy int, lambda float64) (*LinearMap, error) {
	if dx <= 0 || dy <= 0 || len(x)%dx != 0 || len(y)%dy != 0 || len(x)/dx != len(y)/dy {
		return nil, fmt.Errorf("evaluation: Ridge: x (%d values, dim %d) and y (%d values, dim %d) must have the "+
			"same number of rows", len(x), dx, len(y), dy)
	}
	if !(lambda > 0) {
		return nil, fmt.Errorf("evaluation: Ridge: lambda must be > 0, got %g", lambda)
	}
	n := len(x) / dx
	if n == 0 {
		return nil, fmt.Errorf("evaluation: Ridge: no rows to fit")
	}
	m := &LinearMap{DX: dx, DY: dy, XMean: make([]float64, dx), YMean: make([]float64, dy), W: make([]float64, dx*dy)}
	for i := range n {
		for j := range dx {
			m.XMean[j] += float64(x[i*dx+j]) / float64(n)
		}
		for j := range dy {
			m.YMean[j] += float64(y[i*dy+j]) / float64(n)
		}
	}
	a := make([]float64, dx*dx) // XcᵀXc + λI
	b := make([]float64, dx*dy) // XcᵀYc
	xc := make([]float64, dx)
	for i := range n {
		for j := range dx {
			xc[j] = float64(x[i*dx+j]) - m.XMean[j]
		}
		for j := range dx {
			if xc[j] == 0 {
				continue
			}
			row := a[j*dx : (j+1)*dx]
			for k := range dx {
				row[k] += xc[j] * xc[k]
			}
			brow := b[j*dy : (j+1)*dy]
			for k := range dy {
				brow[k] += xc[j] * (float64(y[i*dy+k]) - m.YMean[k])
			}
		}
	}
	for j := range dx {
		a[j*dx+j] += lambda
	}
	// Cholesky: a = L·Lᵀ (lower triangle of a overwritten by L).
	for j := range dx {
		s := a[j*dx+j]
		for k := range j {
			s -= a[j*dx+k] * a[j*dx+k]
		}
		if s <= 0 {
			return nil, fmt.Errorf("evaluation: Ridge: the system is not positive definite (raise lambda)")
		}
		a[j*dx+j] = math.Sqrt(s)
		for i := j + 1; i < dx; i++ {
			s := a[i*dx+j]
			for k := range j {
				s -= a[i*dx+k] * a[j*dx+k]
			}
			a[i*dx+j] = s / a[j*dx+j]
		}
	}
	// Solve L·Z = B, then Lᵀ·W = Z, column by column of B.
	z := make([]float64, dx)
	for c := range dy {
		for i := range dx {
			s := b[i*dy+c]
			for k := range i {
				s -= a[i*dx+k] * z[k]
			}
			z[i] = s / a[i*dx+i]
		}
		for i := dx - 1; i >= 0; i-- {
			s := z[i]
			for k := i + 1; k < dx; k++ {
				s -= a[k*dx+i] * m.W[k*dy+c]
			}
			m.W[i*dy+c] = s / a[i*dx+i]
		}
	}
	return m, nil
}

// Apply maps the rows of x (row-major, DX columns) to DY columns.
func (m *LinearMap) Apply(x []float32) []float32 {
	n := len(x) / m.DX
	out := make([]float32, n*m.DY)
	xc := make([]float64, m.DX)
	acc := make([]float64, m.DY)
	for i := range n {
		for j := range m.DX {
			xc[j] = float64(x[i*m.DX+j]) - m.XMean[j]
		}
		copy(acc, m.YMean)
		for j, v := range xc {
			if v == 0 {
				continue
			}
			w := m.W[j*m.DY : (j+1)*m.DY]
			for k := range acc {
				acc[k] += v * w[k]
			}
		}
		for k, v := range acc {
			out[i*m.DY+k] = float32(v)
		}
	}
	return out
}
