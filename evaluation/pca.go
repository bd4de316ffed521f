package evaluation

import (
	"errors"
	"fmt"
	"math"
)

// PCAResult is a fitted principal component analysis (see PCA).
type PCAResult struct {
	Dim         int       // input dimension
	NComponents int       // number of components kept
	Mean        []float64 // per-column mean of the fitted data (Dim)
	// Components holds the principal axes, NComponents x Dim row-major, unit length, by decreasing variance,
	// each with the sign of scikit-learn's svd_flip(u_based_decision=False): its entry of largest magnitude
	// (the first one on exact ties) is positive.
	Components []float32
	// Projected is the fitted data in the new basis, n x NComponents row-major: (x - Mean) . component.
	Projected []float32
	// ExplainedVariance is the variance along each component (covariance eigenvalue, divisor n-1, as
	// scikit-learn's explained_variance_).
	ExplainedVariance []float64
	// ExplainedVarianceRatio is ExplainedVariance divided by the total variance (the trace of the covariance).
	ExplainedVarianceRatio []float64
	// TotalVariance is the sum of the per-column variances (divisor n-1).
	TotalVariance float64
}

// PCA projects the rows of data (row-major, dim columns) onto their first `components` principal
// components, like sklearn.decomposition.PCA(n_components=components).fit_transform with an exact solver
// ("full" or "covariance_eigh"): the data are centred, the covariance matrix (divisor n-1) is formed in float64
// and diagonalised exactly (Householder tridiagonalisation + implicit QL, the EISPACK tred2/tql2
// algorithms), and the eigenvectors of the largest eigenvalues are the components.
//
// Signs follow scikit-learn's svd_flip(u_based_decision=False), used by every PCA solver since scikit-learn
// 1.5: each component is negated if needed so that its entry of largest absolute value is positive. Projected,
// Components and ExplainedVarianceRatio can therefore be compared entry by entry with scikit-learn's (to
// float32 rounding), as long as the eigenvalues involved are distinct (a component of a repeated eigenvalue is
// not unique) and the largest entry of each component is not tied in magnitude.
//
// Cost O(n x dim^2 + dim^3): about 0.1 s for 822 x 128; practical up to dim of a few thousand.
//
// Errors: dim <= 0, a length that is not a multiple of dim, NaN/Inf, fewer than 2 rows, components outside
// [1, min(n, dim)].
func PCA(data []float32, dim, components int) (*PCAResult, error) {
	n, err := analysisRows(data, dim, "data")
	if err != nil {
		return nil, fmt.Errorf("evaluation: PCA: %w", err)
	}
	if n < 2 {
		return nil, fmt.Errorf("evaluation: PCA: need at least 2 rows, got %d", n)
	}
	if components < 1 || components > min(n, dim) {
		return nil, fmt.Errorf("evaluation: PCA: components must be in [1, min(rows, dim)] = [1, %d], got %d", min(n, dim), components)
	}
	mean := make([]float64, dim)
	for i := 0; i < n; i++ {
		for t, v := range data[i*dim : (i+1)*dim] {
			mean[t] += float64(v)
		}
	}
	for t := range mean {
		mean[t] /= float64(n)
	}
	xc := make([]float64, n*dim)
	for i := range xc {
		xc[i] = float64(data[i]) - mean[i%dim]
	}
	cov := pcaCovariance(xc, n, dim)
	total := 0.0
	for t := 0; t < dim; t++ {
		total += cov[t*dim+t]
	}
	vals, vecs, err := pcaSymEigen(cov, dim)
	if err != nil {
		return nil, fmt.Errorf("evaluation: PCA: %w", err)
	}
	res := &PCAResult{
		Dim: dim, NComponents: components, Mean: mean, TotalVariance: total,
		Components:             make([]float32, components*dim),
		Projected:              make([]float32, n*components),
		ExplainedVariance:      make([]float64, components),
		ExplainedVarianceRatio: make([]float64, components),
	}
	comp := make([]float64, components*dim)
	for c := 0; c < components; c++ {
		// pcaSymEigen sorts ascending: component c is eigenpair dim-1-c (a row of vecs).
		v := comp[c*dim : (c+1)*dim]
		copy(v, vecs[(dim-1-c)*dim:(dim-c)*dim])
		top := 0
		for t := range v {
			if math.Abs(v[t]) > math.Abs(v[top]) {
				top = t
			}
		}
		if v[top] < 0 {
			for t := range v {
				v[t] = -v[t]
			}
		}
		ev := max(vals[dim-1-c], 0)
		res.ExplainedVariance[c] = ev
		if total > 0 {
			res.ExplainedVarianceRatio[c] = ev / total
		}
		for t, f := range v {
			res.Components[c*dim+t] = float32(f)
		}
	}
	for i := 0; i < n; i++ {
		row := xc[i*dim : (i+1)*dim]
		for c := 0; c < components; c++ {
			s := 0.0
			for t, f := range comp[c*dim : (c+1)*dim] {
				s += row[t] * f
			}
			res.Projected[i*components+c] = float32(s)
		}
	}
	return res, nil
}

// Transform projects new rows (row-major, r.Dim columns) onto the fitted components: (x - Mean) . component,
// n x NComponents. Errors: a length that is not a multiple of Dim, NaN/Inf.
func (r *PCAResult) Transform(data []float32) ([]float32, error) {
	n, err := analysisRows(data, r.Dim, "data")
	if err != nil {
		return nil, fmt.Errorf("evaluation: PCAResult.Transform: %w", err)
	}
	out := make([]float32, n*r.NComponents)
	for i := 0; i < n; i++ {
		row := data[i*r.Dim : (i+1)*r.Dim]
		for c := 0; c < r.NComponents; c++ {
			s := 0.0
			for t, f := range r.Components[c*r.Dim : (c+1)*r.Dim] {
				s += (float64(row[t]) - r.Mean[t]) * float64(f)
			}
			out[i*r.NComponents+c] = float32(s)
		}
	}
	return out, nil
}

// pcaCovariance returns Xc^T Xc / (n-1) (dim x dim, row-major) for centred rows xc, parallel over blocks of
// output rows (deterministic: every entry is one ordered sum over the rows).
func pcaCovariance(xc []float64, n, dim int) []float64 {
	cov := make([]float64, dim*dim)
	bounds := analysisRowChunks(dim, 32)
	analysisParallel(len(bounds)-1, func(ch int) {
		for a := bounds[ch]; a < bounds[ch+1]; a++ {
			out := cov[a*dim : (a+1)*dim]
			for i := 0; i < n; i++ {
				row := xc[i*dim : (i+1)*dim]
				va := row[a]
				if va == 0 {
					continue
				}
				for b := a; b < dim; b++ {
					out[b] += va * row[b]
				}
			}
		}
	})
	inv := 1 / float64(n-1)
	for a := 0; a < dim; a++ {
		for b := a; b < dim; b++ {
			v := cov[a*dim+b] * inv
			cov[a*dim+b] = v
			cov[b*dim+a] = v
		}
	}
	return cov
}

// pcaSymEigen diagonalises the symmetric n x n matrix a (row-major; only read). It returns the eigenvalues in
// ascending order and the eigenvectors as the ROWS of an n x n row-major matrix (row j belongs to value j),
// orthonormal to working precision. It is the EISPACK tred2 (Householder reduction to tridiagonal form) and
// tql2 (implicit QL with shifts) pair, as in JAMA's EigenvalueDecomposition (public domain). The error is
// only returned if QL fails to converge (30 x n sweeps on one eigenvalue), which finite input does not cause.
func pcaSymEigen(a []float64, n int) ([]float64, []float64, error) {
	// V[i][j] = v[i*n+j]; tred2 works on columns as JAMA does.
	v := append([]float64(nil), a...)
	d := make([]float64, n)
	e := make([]float64, n)
	pcaTred2(v, d, e, n)
	// tql2 rotates pairs of columns of V: work on the transpose so those are contiguous rows.
	w := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			w[j*n+i] = v[i*n+j]
		}
	}
	if err := pcaTql2(w, d, e, n); err != nil {
		return nil, nil, err
	}
	return d, w, nil
}

// pcaTred2 reduces the symmetric matrix in v to tridiagonal form by orthogonal similarity transformations,
// accumulating them in v; d and e receive the diagonal and subdiagonal (e[0] = 0).
func pcaTred2(v, d, e []float64, n int) {
	at := func(i, j int) *float64 { return &v[i*n+j] }
	for j := 0; j < n; j++ {
		d[j] = *at(n-1, j)
	}
	for i := n - 1; i > 0; i-- {
		scale, h := 0.0, 0.0
		for k := 0; k < i; k++ {
			scale += math.Abs(d[k])
		}
		if scale == 0 {
			e[i] = d[i-1]
			for j := 0; j < i; j++ {
				d[j] = *at(i-1, j)
				*at(i, j) = 0
				*at(j, i) = 0
			}
		} else {
			for k := 0; k < i; k++ {
				d[k] /= scale
				h += d[k] * d[k]
			}
			f := d[i-1]
			g := math.Sqrt(h)
			if f > 0 {
				g = -g
			}
			e[i] = scale * g
			h -= f * g
			d[i-1] = f - g
			for j := 0; j < i; j++ {
				e[j] = 0
			}
			for j := 0; j < i; j++ {
				f = d[j]
				*at(j, i) = f
				g = e[j] + *at(j, j)*f
				for k := j + 1; k <= i-1; k++ {
					g += *at(k, j) * d[k]
					e[k] += *at(k, j) * f
				}
				e[j] = g
			}
			f = 0
			for j := 0; j < i; j++ {
				e[j] /= h
				f += e[j] * d[j]
			}
			hh := f / (h + h)
			for j := 0; j < i; j++ {
				e[j] -= hh * d[j]
			}
			for j := 0; j < i; j++ {
				f = d[j]
				g = e[j]
				for k := j; k <= i-1; k++ {
					*at(k, j) -= f*e[k] + g*d[k]
				}
				d[j] = *at(i-1, j)
				*at(i, j) = 0
			}
		}
		d[i] = h
	}
	for i := 0; i < n-1; i++ {
		*at(n-1, i) = *at(i, i)
		*at(i, i) = 1
		h := d[i+1]
		if h != 0 {
			for k := 0; k <= i; k++ {
				d[k] = *at(k, i+1) / h
			}
			for j := 0; j <= i; j++ {
				g := 0.0
				for k := 0; k <= i; k++ {
					g += *at(k, i+1) * *at(k, j)
				}
				for k := 0; k <= i; k++ {
					*at(k, j) -= g * d[k]
				}
			}
		}
		for k := 0; k <= i; k++ {
			*at(k, i+1) = 0
		}
	}
	for j := 0; j < n; j++ {
		d[j] = *at(n-1, j)
		*at(n-1, j) = 0
	}
	*at(n-1, n-1) = 1
	e[0] = 0
}

// pcaTql2 finds the eigenvalues (into d, ascending) and eigenvectors of the symmetric tridiagonal matrix (d, e)
// by the implicit QL method, applying the rotations to the accumulated transformation. w holds the
// TRANSPOSE of tred2's V (row j = column j of V); on return row j is the eigenvector of d[j].
func pcaTql2(w, d, e []float64, n int) error {
	for i := 1; i < n; i++ {
		e[i-1] = e[i]
	}
	e[n-1] = 0
	f, tst1 := 0.0, 0.0
	const eps = 0x1p-52
	for l := 0; l < n; l++ {
		tst1 = max(tst1, math.Abs(d[l])+math.Abs(e[l]))
		m := l
		for m < n-1 && math.Abs(e[m]) > eps*tst1 {
			m++
		}
		if m > l {
			for iter := 0; ; iter++ {
				if iter >= 30*n {
					return errors.New("eigen-decomposition did not converge")
				}
				g := d[l]
				p := (d[l+1] - g) / (2 * e[l])
				r := math.Hypot(p, 1)
				if p < 0 {
					r = -r
				}
				d[l] = e[l] / (p + r)
				d[l+1] = e[l] * (p + r)
				dl1 := d[l+1]
				h := g - d[l]
				for i := l + 2; i < n; i++ {
					d[i] -= h
				}
				f += h
				p = d[m]
				c, c2, c3 := 1.0, 1.0, 1.0
				el1 := e[l+1]
				s, s2 := 0.0, 0.0
				for i := m - 1; i >= l; i-- {
					c3 = c2
					c2 = c
					s2 = s
					g = c * e[i]
					h = c * p
					r = math.Hypot(p, e[i])
					e[i+1] = s * r
					s = e[i] / r
					c = p / r
					p = c*d[i] - s*g
					d[i+1] = h + s*(c*g+s*d[i])
					wi, wi1 := w[i*n:(i+1)*n], w[(i+1)*n:(i+2)*n]
					for k := range wi1 {
						hk := wi1[k]
						wi1[k] = s*wi[k] + c*hk
						wi[k] = c*wi[k] - s*hk
					}
				}
				p = -s * s2 * c3 * el1 * e[l] / dl1
				e[l] = s * p
				d[l] = c * p
				if !(math.Abs(e[l]) > eps*tst1) {
					break
				}
			}
		}
		d[l] += f
		e[l] = 0
	}
	// Selection sort, ascending, moving eigenvector rows along.
	for i := 0; i < n-1; i++ {
		k, p := i, d[i]
		for j := i + 1; j < n; j++ {
			if d[j] < p {
				k, p = j, d[j]
			}
		}
		if k != i {
			d[k], d[i] = d[i], p
			wi, wk := w[i*n:(i+1)*n], w[k*n:(k+1)*n]
			for t := range wi {
				wi[t], wk[t] = wk[t], wi[t]
			}
		}
	}
	return nil
}
