package evaluation

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"testing"
)

// The perplexity search must hit log(perplexity) within its tolerance (float32(1e-5)) on every row, and the
// joint P must be symmetric, floored at 2^-52 and sum to 1.
func TestTSNEPerplexityAndJointP(t *testing.T) {
	const n, dim = 90, 7
	data := correlatedData(n, dim, 4)
	for _, perp := range []float64{2, 5, 30, 60} {
		cond := tsneConditionalP(tsneSqDist32(analysisFloat64(data), n, dim), n, perp)
		for i := 0; i < n; i++ {
			h, s := 0.0, 0.0
			for j := 0; j < n; j++ {
				if p := cond[i*n+j]; p > 0 {
					h -= p * math.Log(p)
					s += p
				}
			}
			if math.Abs(h-math.Log(perp)) > 1.01e-5 || math.Abs(s-1) > 1e-12 || cond[i*n+i] != 0 {
				t.Fatalf("perplexity %v row %d: entropy %v (want %v), sum %v", perp, i, h, math.Log(perp), s)
			}
		}
		p, err := TSNEJointProbabilities(data, dim, perp)
		if err != nil {
			t.Fatal(err)
		}
		total := 0.0
		for i := 0; i < n; i++ {
			if p[i*n+i] != 0 {
				t.Fatalf("diagonal %v", p[i*n+i])
			}
			for j := 0; j < n; j++ {
				if j != i {
					if p[i*n+j] != p[j*n+i] || p[i*n+j] < 0x1p-52 {
						t.Fatalf("P[%d,%d] = %v, P[%d,%d] = %v", i, j, p[i*n+j], j, i, p[j*n+i])
					}
					total += p[i*n+j]
				}
			}
		}
		if math.Abs(total-1) > 1e-12 {
			t.Errorf("perplexity %v: P sums to %v", perp, total)
		}
	}
}

// newTestTSNEState builds a state with random joint P (full sum 1) and a random map.
func newTestTSNEState(n, c int, seed uint64) *tsneState {
	rng := rand.New(rand.NewPCG(seed, 5))
	p := make([]float64, n*(n-1)/2)
	sum := 0.0
	for i := range p {
		p[i] = rng.Float64()
		sum += 2 * p[i]
	}
	for i := range p {
		p[i] /= sum
	}
	y := make([]float64, n*c)
	for i := range y {
		y[i] = rng.NormFloat64()
	}
	return newTSNEState(n, c, p, y)
}

// The analytic gradient must match central finite differences of the KL divergence (h = 1e-5: truncation
// ~1e-10, rounding ~1e-11), relative tolerance 1e-6; for 2-D maps the written-out and the generic code
// must agree to 1e-12. (With early exaggeration the "gradient" is, by design, the same formula with P scaled,
// not the derivative of KL(12P || Q), so only exaggeration 1 is differentiated numerically.)
func TestTSNEGradient(t *testing.T) {
	for _, c := range []int{1, 2, 3} {
		s := newTestTSNEState(13, c, uint64(c))
		for _, exag := range []float64{1} {
			s.objective(exag, true)
			grad := slices.Clone(s.grad)
			scale := 0.0
			for _, g := range grad {
				scale = max(scale, math.Abs(g))
			}
			const h = 1e-5
			for k := range s.y {
				orig := s.y[k]
				s.y[k] = orig + h
				up := s.objective(exag, true)
				s.y[k] = orig - h
				down := s.objective(exag, true)
				s.y[k] = orig
				num := (up - down) / (2 * h)
				if math.Abs(num-grad[k]) > 1e-6*scale {
					t.Errorf("c=%d exag=%v: dKL/dy[%d] analytic %.9g, numeric %.9g", c, exag, k, grad[k], num)
				}
			}
		}
	}
	s := newTestTSNEState(50, 2, 9)
	kl2 := s.objective2D(12, true)
	g2 := slices.Clone(s.grad)
	klg := s.objectiveGeneric(12, true)
	if math.Abs(kl2-klg) > 1e-12*math.Abs(klg) {
		t.Errorf("KL: 2-D path %v, generic %v", kl2, klg)
	}
	for k := range g2 {
		if math.Abs(g2[k]-s.grad[k]) > 1e-12*(1+math.Abs(s.grad[k])) {
			t.Fatalf("gradient %d: 2-D path %v, generic %v", k, g2[k], s.grad[k])
		}
	}
}

func TestTSNEMapAndDeterminism(t *testing.T) {
	data, truth := analysisBlobs(3, 25, 6, 3)
	const dim = 6
	res, err := FitTSNE(data, dim, TSNEOptions{Perplexity: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Embedding) != 75*2 || res.Iterations < 250 || res.Iterations > 1000 || !(res.KLDivergence >= 0) {
		t.Fatalf("result: %d values, %d iterations, KL %v", len(res.Embedding), res.Iterations, res.KLDivergence)
	}
	if res.LearningRate != 50 {
		t.Errorf("auto learning rate %v, want max(75/12/4, 50) = 50", res.LearningRate)
	}
	if s, _ := Silhouette(res.Embedding, 2, truth); s < 0.7 {
		t.Errorf("blobs are not separated in the map: silhouette %v", s)
	}
	if tr := Trustworthiness(data, dim, res.Embedding, 2, 5); tr < 0.9 {
		t.Errorf("trustworthiness %v", tr)
	}
	again, _ := TSNE(data, dim, TSNEOptions{Perplexity: 10})
	prev := runtime.GOMAXPROCS(1)
	single, _ := TSNE(data, dim, TSNEOptions{Perplexity: 10})
	runtime.GOMAXPROCS(prev)
	if !slices.Equal(again, res.Embedding) || !slices.Equal(single, res.Embedding) {
		t.Error("t-SNE differs between runs / GOMAXPROCS")
	}
	r1, _ := TSNE(data, dim, TSNEOptions{Perplexity: 10, Init: TSNEInitRandom, Seed: 1})
	r1b, _ := TSNE(data, dim, TSNEOptions{Perplexity: 10, Init: TSNEInitRandom, Seed: 1})
	r2, _ := TSNE(data, dim, TSNEOptions{Perplexity: 10, Init: TSNEInitRandom, Seed: 2})
	if !slices.Equal(r1, r1b) || slices.Equal(r1, r2) {
		t.Error("random init: same seed must repeat, different seeds must differ")
	}
	// a 3-D map (dof = 2) works too
	m3, err := FitTSNE(data, dim, TSNEOptions{Perplexity: 10, Components: 3, MaxIter: 300})
	if err != nil || len(m3.Embedding) != 75*3 || m3.Iterations != 300 {
		t.Fatalf("3-D map: %v, %d iterations", err, m3.Iterations)
	}
}

func TestTSNEErrors(t *testing.T) {
	data := analysisRandom(20, 3, 1)
	bad := slices.Clone(data)
	bad[5] = float32(math.NaN())
	for name, c := range map[string]struct {
		data []float32
		opt  TSNEOptions
	}{
		"perplexity >= n":    {data, TSNEOptions{}},
		"negative perp":      {data, TSNEOptions{Perplexity: -1}},
		"MaxIter < 250":      {data, TSNEOptions{Perplexity: 5, MaxIter: 100}},
		"NaN":                {bad, TSNEOptions{Perplexity: 5}},
		"components > dim":   {data, TSNEOptions{Perplexity: 5, Components: 4}},
		"negative comps":     {data, TSNEOptions{Perplexity: 5, Components: -2}},
		"exaggeration < 1":   {data, TSNEOptions{Perplexity: 5, EarlyExaggeration: 0.5}},
		"negative rate":      {data, TSNEOptions{Perplexity: 5, LearningRate: -1}},
		"unknown init":       {data, TSNEOptions{Perplexity: 5, Init: 7}},
		"one row":            {data[:3], TSNEOptions{Perplexity: 0.5}},
		"ragged":             {data[:10], TSNEOptions{Perplexity: 2}},
		"negative min grad":  {data, TSNEOptions{Perplexity: 5, MinGradNorm: -1}},
		"negative no-progr.": {data, TSNEOptions{Perplexity: 5, NIterWithoutProgress: -1}},
	} {
		if _, err := TSNE(c.data, 3, c.opt); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := TSNEJointProbabilities(data, 3, 20); err == nil {
		t.Error("TSNEJointProbabilities with perplexity = n: no error")
	}
}

// naiveTrustworthiness ranks every row by a full sort (ties by index) and applies the formula.
func naiveTrustworthiness(high []float32, hd int, low []float32, ld, k int) float64 {
	n := len(high) / hd
	dist := func(x []float32, d, i, j int) float64 {
		return analysisSqDist(analysisFloat64(x[i*d:(i+1)*d]), analysisFloat64(x[j*d:(j+1)*d]))
	}
	sorted := func(x []float32, d, i int) []int {
		var idx []int
		for j := 0; j < n; j++ {
			if j != i {
				idx = append(idx, j)
			}
		}
		sort.SliceStable(idx, func(a, b int) bool { return dist(x, d, i, idx[a]) < dist(x, d, i, idx[b]) })
		return idx
	}
	t := 0
	for i := 0; i < n; i++ {
		rank := map[int]int{}
		for r, j := range sorted(high, hd, i) {
			rank[j] = r + 1
		}
		for _, j := range sorted(low, ld, i)[:k] {
			t += max(0, rank[j]-k)
		}
	}
	return 1 - float64(t)*(2/(float64(n*k)*(2*float64(n)-3*float64(k)-1)))
}

func TestTrustworthinessNaive(t *testing.T) {
	high := analysisRandom(40, 6, 2)
	low := analysisRandom(40, 2, 3)
	for _, k := range []int{1, 3, 7, 19} {
		got, want := Trustworthiness(high, 6, low, 2, k), naiveTrustworthiness(high, 6, low, 2, k)
		if got != want {
			t.Errorf("k=%d: %v, naive %v", k, got, want)
		}
	}
	if got := Trustworthiness(high, 6, high, 6, 5); got != 1 {
		t.Errorf("identity map: %v, want 1", got)
	}
	// a map keeping the first two coordinates of data living in 2-D is perfect too
	flat := make([]float32, 0, 40*3)
	for i := 0; i < 40; i++ {
		flat = append(flat, low[2*i], low[2*i+1], 0)
	}
	if got := Trustworthiness(flat, 3, low, 2, 5); got != 1 {
		t.Errorf("isometric map: %v, want 1", got)
	}
	for name, f := range map[string]func(){
		"k = n/2":  func() { Trustworthiness(high, 6, low, 2, 20) },
		"k = 0":    func() { Trustworthiness(high, 6, low, 2, 0) },
		"rows":     func() { Trustworthiness(high, 6, low[:78], 2, 3) },
		"NaN":      func() { Trustworthiness(high, 6, append(slices.Clone(low[:79]), float32(math.NaN())), 2, 3) },
		"low dim0": func() { Trustworthiness(high, 6, low, 0, 3) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
