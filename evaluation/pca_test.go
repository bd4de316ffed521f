package evaluation

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// randomSymmetric returns Q diag(vals) Q^T for a random orthogonal Q (Gram-Schmidt of a Gaussian matrix).
func randomSymmetric(vals []float64, seed uint64) []float64 {
	n := len(vals)
	rng := rand.New(rand.NewPCG(seed, 1))
	q := make([]float64, n*n) // rows are the orthonormal vectors
	for i := 0; i < n; i++ {
		row := q[i*n : (i+1)*n]
		for {
			for t := range row {
				row[t] = rng.NormFloat64()
			}
			for j := 0; j < i; j++ {
				d := 0.0
				for t := range row {
					d += row[t] * q[j*n+t]
				}
				for t := range row {
					row[t] -= d * q[j*n+t]
				}
			}
			norm := math.Sqrt(analysisSqDist(row, make([]float64, n)))
			if norm > 1e-3 {
				for t := range row {
					row[t] /= norm
				}
				break
			}
		}
	}
	a := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			s := 0.0
			for k := 0; k < n; k++ {
				s += q[k*n+i] * vals[k] * q[k*n+j]
			}
			a[i*n+j] = s
		}
	}
	return a
}

// Tolerances: residual ||A v - lambda v|| <= 1e-11 ||A|| and orthonormality within 1e-12, both far above
// the float64 backward error of tred2/tql2 (~n eps ||A||).
func TestPCASymEigen(t *testing.T) {
	cases := map[string][]float64{
		"1x1":      {3},
		"2x2":      {-1, 2},
		"distinct": {5, 4, 3, 2, 1, 0.5, 0.25, 0.1, -2, 7},
		"repeated": {3, 3, 3, 1, 1, 0, 0, 0},
		"zero":     {0, 0, 0, 0},
		"wide":     {1e6, 1, 1e-6, 1e-12, 2e6},
	}
	rng := rand.New(rand.NewPCG(1, 1))
	big := make([]float64, 60)
	for i := range big {
		big[i] = rng.NormFloat64() * 10
	}
	cases["random60"] = big
	for name, vals := range cases {
		n := len(vals)
		a := randomSymmetric(vals, 5)
		got, vecs, err := pcaSymEigen(a, n)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := slices.Clone(vals)
		slices.Sort(want)
		norm := 0.0
		for _, v := range vals {
			norm = max(norm, math.Abs(v))
		}
		for j := 0; j < n; j++ {
			if math.Abs(got[j]-want[j]) > 1e-11*max(norm, 1) {
				t.Errorf("%s: eigenvalue %d = %v, want %v", name, j, got[j], want[j])
			}
			if j > 0 && got[j] < got[j-1] {
				t.Errorf("%s: eigenvalues not ascending", name)
			}
			v := vecs[j*n : (j+1)*n]
			res := 0.0
			for i := 0; i < n; i++ {
				s := 0.0
				for k := 0; k < n; k++ {
					s += a[i*n+k] * v[k]
				}
				res += (s - got[j]*v[i]) * (s - got[j]*v[i])
			}
			if math.Sqrt(res) > 1e-11*max(norm, 1) {
				t.Errorf("%s: residual of eigenpair %d is %.3g", name, j, math.Sqrt(res))
			}
			for l := 0; l <= j; l++ {
				d := 0.0
				for k := 0; k < n; k++ {
					d += v[k] * vecs[l*n+k]
				}
				want := 0.0
				if l == j {
					want = 1
				}
				if math.Abs(d-want) > 1e-12 {
					t.Errorf("%s: <v%d, v%d> = %v", name, j, l, d)
				}
			}
		}
	}
}

// correlatedData returns n rows of dim columns with distinct variances along random directions plus an
// offset, so centring matters.
func correlatedData(n, dim int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 3))
	mix := make([]float64, dim*dim)
	for i := range mix {
		mix[i] = rng.NormFloat64()
	}
	out := make([]float32, n*dim)
	z := make([]float64, dim)
	for i := 0; i < n; i++ {
		for t := range z {
			z[t] = rng.NormFloat64() * float64(dim-t)
		}
		for j := 0; j < dim; j++ {
			s := 5.0 + float64(j)
			for t := 0; t < dim; t++ {
				s += mix[j*dim+t] * z[t]
			}
			out[i*dim+j] = float32(s)
		}
	}
	return out
}

func TestPCAProperties(t *testing.T) {
	const n, dim = 300, 6
	data := correlatedData(n, dim, 1)
	full, err := PCA(data, dim, dim)
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for c := 0; c < dim; c++ {
		comp := full.Components[c*dim : (c+1)*dim]
		// unit norm, sign convention: the entry of largest magnitude is positive
		norm, top := 0.0, 0
		for j, v := range comp {
			norm += float64(v) * float64(v)
			if math.Abs(float64(v)) > math.Abs(float64(comp[top])) {
				top = j
			}
		}
		if math.Abs(norm-1) > 1e-6 || comp[top] < 0 {
			t.Errorf("component %d: norm^2 %v, largest entry %v", c, norm, comp[top])
		}
		// the variance of the projected column is the explained variance
		v := 0.0
		for i := 0; i < n; i++ {
			p := float64(full.Projected[i*dim+c])
			v += p * p
		}
		v /= n - 1
		if relDiff(v, full.ExplainedVariance[c], 1e-300) > 1e-6 {
			t.Errorf("component %d: projected variance %v, explained variance %v", c, v, full.ExplainedVariance[c])
		}
		if c > 0 && full.ExplainedVariance[c] > full.ExplainedVariance[c-1] {
			t.Errorf("explained variances not decreasing")
		}
		sum += full.ExplainedVarianceRatio[c]
	}
	if math.Abs(sum-1) > 1e-12 {
		t.Errorf("ratios of all components sum to %v", sum)
	}
	// all components: the projection is a rotation, the data are recovered
	for i := 0; i < n; i++ {
		for j := 0; j < dim; j++ {
			x := full.Mean[j]
			for c := 0; c < dim; c++ {
				x += float64(full.Projected[i*dim+c]) * float64(full.Components[c*dim+j])
			}
			if math.Abs(x-float64(data[i*dim+j])) > 1e-4*(1+math.Abs(x)) {
				t.Fatalf("row %d col %d reconstructed %v, was %v", i, j, x, data[i*dim+j])
			}
		}
	}
	// a truncated fit is the prefix of the full one; Transform reproduces Projected
	two, err := PCA(data, dim, 2)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := two.Transform(data)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		for c := 0; c < 2; c++ {
			if two.Projected[i*2+c] != full.Projected[i*dim+c] {
				t.Fatalf("truncated projection differs at %d,%d", i, c)
			}
			if math.Abs(float64(tr[i*2+c]-two.Projected[i*2+c])) > 1e-5*(1+math.Abs(float64(tr[i*2+c]))) {
				t.Fatalf("Transform differs at %d,%d: %v vs %v", i, c, tr[i*2+c], two.Projected[i*2+c])
			}
		}
	}
}

func TestPCAKnownAxis(t *testing.T) {
	// points along (-0.6, 0.8) (largest entry 0.8 positive) with a small orthogonal spread uncorrelated with
	// the position along the axis (so the axes are exactly (-0.6, 0.8) and (0.8, 0.6))
	var data []float32
	for i := -10; i <= 10; i++ {
		s, o := float64(i), 0.01*float64(1-2*(i&1))
		data = append(data, float32(-0.6*s+0.8*o+1), float32(0.8*s+0.6*o-2))
	}
	r, err := PCA(data, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{-0.6, 0.8, 0.8, 0.6}
	for i, w := range want {
		if math.Abs(float64(r.Components[i])-w) > 1e-6 {
			t.Errorf("components %v, want %v", r.Components, want)
			break
		}
	}
	if r.ExplainedVarianceRatio[0] < 0.999 {
		t.Errorf("explained variance ratio %v", r.ExplainedVarianceRatio)
	}
	if math.Abs(float64(r.Projected[0])+10) > 1e-3 || math.Abs(float64(r.Projected[40])-10) > 1e-3 {
		t.Errorf("projections %v ... %v, want -10 ... 10", r.Projected[0], r.Projected[40])
	}
}

func TestPCAErrors(t *testing.T) {
	data := analysisRandom(5, 3, 1)
	bad := slices.Clone(data)
	bad[0] = float32(math.NaN())
	for name, c := range map[string]struct {
		data    []float32
		dim, nc int
	}{
		"zero components": {data, 3, 0},
		"too many":        {data, 3, 4},
		"one row":         {data[:3], 3, 1},
		"NaN":             {bad, 3, 1},
		"dim":             {data, 0, 1},
		"ragged":          {data[:14], 3, 1},
	} {
		if _, err := PCA(c.data, c.dim, c.nc); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	r, _ := PCA(data, 3, 2)
	if _, err := r.Transform(data[:4]); err == nil {
		t.Error("Transform of a ragged matrix: no error")
	}
}
