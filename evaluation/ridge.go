package evaluation

import (
	"fmt"
	"math"
	"math/rand/v2"
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

// DefaultRidgeLambdas is the grid RidgeCV searches when none is given: 1e-3 … 1e3, a decade apart.
var DefaultRidgeLambdas = []float64{1e-3, 1e-2, 1e-1, 1, 10, 100, 1000}

// RidgeCV chooses Ridge's lambda by k-fold cross-validation on the given rows, then refits on all of them.
// Rows with the same group (e.g. the artist) always fall in the same fold, so a fold's songs are by artists
// the fit never saw, as in a split by artist; nil groups make every row its own group. Groups are dealt to
// the folds in order of first appearance after a seeded shuffle. For each lambda, score(pred, truth, dy) is
// computed on every held-out fold (pred: the fold's rows mapped, truth: their y rows; higher is better) and
// averaged over the folds. It returns the refitted map, the chosen lambda (ties: the larger, i.e. the simpler
// map) and the mean score of every lambda, in grid order. folds is clamped to the number of groups; fewer
// than 2 groups is an error.
func RidgeCV(x []float32, dx int, y []float32, dy int, groups []string, lambdas []float64, folds int, seed uint64,
	score func(pred, truth []float32, dim int) (float64, error)) (*LinearMap, float64, []float64, error) {
	if dx <= 0 || dy <= 0 || len(x)%dx != 0 || len(y)%dy != 0 || len(x)/dx != len(y)/dy {
		return nil, 0, nil, fmt.Errorf("evaluation: RidgeCV: x (%d values, dim %d) and y (%d values, dim %d) must "+
			"have the same number of rows", len(x), dx, len(y), dy)
	}
	n := len(x) / dx
	if groups != nil && len(groups) != n {
		return nil, 0, nil, fmt.Errorf("evaluation: RidgeCV: %d groups for %d rows", len(groups), n)
	}
	if len(lambdas) == 0 {
		lambdas = DefaultRidgeLambdas
	}
	fold, nfolds, err := groupFolds(n, groups, folds, seed)
	if err != nil {
		return nil, 0, nil, err
	}
	scores := make([]float64, len(lambdas))
	for f := range nfolds {
		var fit, held []int
		for i := range n {
			if fold[i] == f {
				held = append(held, i)
			} else {
				fit = append(fit, i)
			}
		}
		xf, yf := GatherRows(x, dx, fit), GatherRows(y, dy, fit)
		xh, yh := GatherRows(x, dx, held), GatherRows(y, dy, held)
		for li, lambda := range lambdas {
			m, err := Ridge(xf, dx, yf, dy, lambda)
			if err != nil {
				return nil, 0, nil, fmt.Errorf("evaluation: RidgeCV: fold %d, lambda %g: %w", f, lambda, err)
			}
			s, err := score(m.Apply(xh), yh, dy)
			if err != nil {
				return nil, 0, nil, fmt.Errorf("evaluation: RidgeCV: fold %d, lambda %g: %w", f, lambda, err)
			}
			scores[li] += s / float64(nfolds)
		}
	}
	best := 0
	for li := range lambdas {
		if scores[li] > scores[best] || (scores[li] == scores[best] && lambdas[li] > lambdas[best]) {
			best = li
		}
	}
	m, err := Ridge(x, dx, y, dy, lambdas[best])
	if err != nil {
		return nil, 0, nil, err
	}
	return m, lambdas[best], scores, nil
}

// groupFolds deals the groups of n rows to min(folds, #groups) folds after a seeded shuffle and returns each
// row's fold and the number of folds.
func groupFolds(n int, groups []string, folds int, seed uint64) ([]int, int, error) {
	id := map[string]int{}
	var order []int
	member := make([]int, n)
	for i := range n {
		g := fmt.Sprint(i)
		if groups != nil {
			g = groups[i]
		}
		k, ok := id[g]
		if !ok {
			k = len(id)
			id[g] = k
			order = append(order, k)
		}
		member[i] = k
	}
	if len(order) < 2 || folds < 2 {
		return nil, 0, fmt.Errorf("evaluation: RidgeCV: need at least 2 folds and 2 groups (got %d folds, %d groups)",
			folds, len(order))
	}
	folds = min(folds, len(order))
	rng := rand.New(rand.NewPCG(seed, 0x7269646765)) // "ridge"
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	foldOf := make([]int, len(order))
	for pos, g := range order {
		foldOf[g] = pos % folds
	}
	out := make([]int, n)
	for i, g := range member {
		out[i] = foldOf[g]
	}
	return out, folds, nil
}
