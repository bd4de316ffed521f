package evaluation

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// analysisBlobs returns k well-separated Gaussian blobs (centres 20 apart along the axes, unit spread) of
// per points each in dim dimensions, with their true labels.
func analysisBlobs(k, per, dim int, seed uint64) ([]float32, []int) {
	rng := rand.New(rand.NewPCG(seed, 99))
	var data []float32
	var labels []int
	for c := 0; c < k; c++ {
		for p := 0; p < per; p++ {
			for t := 0; t < dim; t++ {
				v := rng.NormFloat64()
				if t == c%dim {
					v += 20 * float64(1+c/dim)
				}
				data = append(data, float32(v))
			}
			labels = append(labels, c)
		}
	}
	return data, labels
}

func analysisRandom(n, dim int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 7))
	out := make([]float32, n*dim)
	for i := range out {
		out[i] = float32(rng.NormFloat64())
	}
	return out
}

func TestNMIARIHandComputed(t *testing.T) {
	cases := []struct {
		a, b     []int
		nmi, ari float64
	}{
		// H(a) = ln 2, H(b) = 1.5 ln 2, MI = ln 2 -> NMI = 1/1.25; ARI = (1 - 1/3) / (1.5 - 1/3) = 4/7.
		{[]int{0, 0, 1, 1}, []int{0, 0, 1, 2}, 0.8, 4.0 / 7},
		// independent: MI = 0; ARI = (0 - 2/3) / (2 - 2/3) = -1/2.
		{[]int{0, 0, 1, 1}, []int{0, 1, 0, 1}, 0, -0.5},
		{[]int{0, 0, 1, 1, 2}, []int{7, 7, -3, -3, 100}, 1, 1},
		{[]int{4, 4, 4}, []int{1, 1, 1}, 1, 1},
		{[]int{4, 4, 4}, []int{1, 2, 3}, 0, 0},
		{nil, nil, 1, 1},
		{[]int{5}, []int{6}, 1, 1},
	}
	for _, c := range cases {
		if got := NMI(c.a, c.b); math.Abs(got-c.nmi) > 1e-15 {
			t.Errorf("NMI(%v, %v) = %.17g, want %v", c.a, c.b, got, c.nmi)
		}
		if got := ARI(c.a, c.b); math.Abs(got-c.ari) > 1e-15 {
			t.Errorf("ARI(%v, %v) = %.17g, want %v", c.a, c.b, got, c.ari)
		}
	}
}

// naiveNMI is MI / mean(H(a), H(b)) with MI = H(a) + H(b) - H(a, b), straight from the definitions.
func naiveNMI(a, b []int) float64 {
	h := func(key func(i int) [2]int) float64 {
		cnt := map[[2]int]float64{}
		for i := range a {
			cnt[key(i)]++
		}
		s := 0.0
		for _, c := range cnt {
			p := c / float64(len(a))
			s -= p * math.Log(p)
		}
		return s
	}
	ha := h(func(i int) [2]int { return [2]int{a[i], 0} })
	hb := h(func(i int) [2]int { return [2]int{b[i], 0} })
	hab := h(func(i int) [2]int { return [2]int{a[i], b[i]} })
	return (ha + hb - hab) / ((ha + hb) / 2)
}

// naiveARI is the Hubert-Arabie formula with binomial coefficients.
func naiveARI(a, b []int) float64 {
	c2 := func(x float64) float64 { return x * (x - 1) / 2 }
	cells, ra, rb := map[[2]int]float64{}, map[int]float64{}, map[int]float64{}
	for i := range a {
		cells[[2]int{a[i], b[i]}]++
		ra[a[i]]++
		rb[b[i]]++
	}
	var sij, sa, sb float64
	for _, v := range cells {
		sij += c2(v)
	}
	for _, v := range ra {
		sa += c2(v)
	}
	for _, v := range rb {
		sb += c2(v)
	}
	exp := sa * sb / c2(float64(len(a)))
	return (sij - exp) / ((sa+sb)/2 - exp)
}

// Tolerance 1e-12: different but algebraically equal formulas in float64.
func TestNMIARINaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 30; trial++ {
		n := 20 + rng.IntN(300)
		ka, kb := 2+rng.IntN(8), 2+rng.IntN(8)
		a, b := make([]int, n), make([]int, n)
		for i := range a {
			a[i] = rng.IntN(ka) - 3
			if rng.IntN(3) == 0 {
				b[i] = a[i] * 7 // correlated
			} else {
				b[i] = rng.IntN(kb)
			}
		}
		nmi, ari := NMI(a, b), ARI(a, b)
		if d := math.Abs(nmi - naiveNMI(a, b)); d > 1e-12 {
			t.Errorf("trial %d: NMI %v vs naive %v", trial, nmi, naiveNMI(a, b))
		}
		if d := math.Abs(ari - naiveARI(a, b)); d > 1e-12 {
			t.Errorf("trial %d: ARI %v vs naive %v", trial, ari, naiveARI(a, b))
		}
		// symmetric, and invariant to renaming the labels
		if NMI(b, a) != nmi && math.Abs(NMI(b, a)-nmi) > 1e-15 {
			t.Errorf("trial %d: NMI not symmetric", trial)
		}
		if ARI(b, a) != ari {
			t.Errorf("trial %d: ARI not symmetric", trial)
		}
		renamed := make([]int, n)
		for i, v := range a {
			renamed[i] = 1000 - 3*v
		}
		if math.Abs(NMI(renamed, b)-nmi) > 1e-15 || ARI(renamed, b) != ari {
			t.Errorf("trial %d: scores depend on label values", trial)
		}
	}
}

func TestNMIARIPanicOnLengthMismatch(t *testing.T) {
	for name, f := range map[string]func(){
		"NMI": func() { NMI([]int{1, 2}, []int{1}) },
		"ARI": func() { ARI([]int{1}, []int{1, 2}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s did not panic", name)
				}
			}()
			f()
		}()
	}
}

// naiveSilhouette follows the definition literally (float64, sqrt of summed squares).
func naiveSilhouette(data []float32, dim int, labels []int) []float64 {
	n := len(labels)
	dist := func(i, j int) float64 {
		s := 0.0
		for t := 0; t < dim; t++ {
			d := float64(data[i*dim+t]) - float64(data[j*dim+t])
			s += d * d
		}
		return math.Sqrt(s)
	}
	out := make([]float64, n)
	for i := 0; i < n; i++ {
		sum, cnt := map[int]float64{}, map[int]int{}
		for j := 0; j < n; j++ {
			if j != i {
				sum[labels[j]] += dist(i, j)
				cnt[labels[j]]++
			}
		}
		if cnt[labels[i]] == 0 {
			continue // singleton: 0
		}
		a := sum[labels[i]] / float64(cnt[labels[i]])
		b := math.Inf(1)
		for l, s := range sum {
			if l != labels[i] {
				b = math.Min(b, s/float64(cnt[l]))
			}
		}
		if m := math.Max(a, b); m > 0 {
			out[i] = (b - a) / m
		}
	}
	return out
}

// Tolerance 1e-12: same distances, sums in a different order.
func TestSilhouetteNaive(t *testing.T) {
	data := analysisRandom(80, 5, 1)
	// duplicate rows (a = 0 cases) and a singleton cluster
	copy(data[5*5:6*5], data[4*5:5*5])
	labels := make([]int, 80)
	rng := rand.New(rand.NewPCG(9, 9))
	for i := range labels {
		labels[i] = rng.IntN(4) * 10
	}
	labels[17] = -1
	labels[4], labels[5] = 30, 30
	got, err := SilhouetteSamples(data, 5, labels)
	if err != nil {
		t.Fatal(err)
	}
	want := naiveSilhouette(data, 5, labels)
	mean := 0.0
	for i := range got {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Errorf("sample %d: %v, naive %v", i, got[i], want[i])
		}
		mean += want[i]
	}
	if got[17] != 0 {
		t.Errorf("singleton silhouette %v, want 0", got[17])
	}
	s, err := Silhouette(data, 5, labels)
	if err != nil || math.Abs(s-mean/80) > 1e-12 {
		t.Errorf("Silhouette = %v, %v; want %v", s, err, mean/80)
	}
	// well-separated blobs score close to 1
	blobs, truth := analysisBlobs(3, 20, 4, 2)
	if s, _ := Silhouette(blobs, 4, truth); s < 0.8 {
		t.Errorf("blobs silhouette %v, want > 0.8", s)
	}
}

func TestSilhouetteErrors(t *testing.T) {
	data := analysisRandom(6, 2, 1)
	bad := slices.Clone(data)
	bad[3] = float32(math.NaN())
	for name, c := range map[string]struct {
		data   []float32
		dim    int
		labels []int
	}{
		"one label":     {data, 2, []int{1, 1, 1, 1, 1, 1}},
		"all distinct":  {data, 2, []int{0, 1, 2, 3, 4, 5}},
		"label count":   {data, 2, []int{0, 1}},
		"NaN":           {bad, 2, []int{0, 0, 0, 1, 1, 1}},
		"dim":           {data, 0, []int{0, 0, 0, 1, 1, 1}},
		"ragged matrix": {data[:5], 2, []int{0, 0, 0, 1, 1, 1}},
	} {
		if _, err := Silhouette(c.data, c.dim, c.labels); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestKMeansBlobs(t *testing.T) {
	data, truth := analysisBlobs(5, 30, 6, 1)
	res, err := KMeans(data, 6, 5, KMeansOptions{Seed: 42})
	if err != nil {
		t.Fatal(err)
	}
	if ari := ARI(res.Labels, truth); ari != 1 {
		t.Errorf("ARI against the blobs %v, want 1", ari)
	}
	if !res.Converged || res.Iterations < 1 {
		t.Errorf("converged %v after %d iterations", res.Converged, res.Iterations)
	}
	checkKMeansConsistent(t, data, 6, res)
}

// checkKMeansConsistent checks the Lloyd fixed point: every row is assigned to its nearest centroid, every
// centroid is the mean of its rows (to float32 rounding), and Inertia is the sum of squared distances.
func checkKMeansConsistent(t *testing.T, data []float32, dim int, res *KMeansResult) {
	t.Helper()
	n, k := len(data)/dim, res.K
	x := analysisFloat64(data)
	c64 := analysisFloat64(res.Centroids)
	inertia := 0.0
	sums := make([]float64, k*dim)
	cnt := make([]int, k)
	for i := 0; i < n; i++ {
		l := res.Labels[i]
		d := analysisSqDist(x[i*dim:(i+1)*dim], c64[l*dim:(l+1)*dim])
		inertia += d
		for c := 0; c < k; c++ {
			if dc := analysisSqDist(x[i*dim:(i+1)*dim], c64[c*dim:(c+1)*dim]); dc < d-1e-9*(1+d) {
				t.Fatalf("row %d assigned to %d (%.9g) but centroid %d is nearer (%.9g)", i, l, d, c, dc)
			}
		}
		cnt[l]++
		for j := 0; j < dim; j++ {
			sums[l*dim+j] += x[i*dim+j]
		}
	}
	for c := 0; c < k; c++ {
		for j := 0; cnt[c] > 0 && j < dim; j++ {
			m := sums[c*dim+j] / float64(cnt[c])
			if math.Abs(m-c64[c*dim+j]) > 1e-6*(1+math.Abs(m)) {
				t.Fatalf("centroid %d[%d] = %v, mean of its rows %v", c, j, c64[c*dim+j], m)
			}
		}
	}
	if math.Abs(inertia-res.Inertia) > 1e-6*(1+inertia) {
		t.Errorf("Inertia %v, recomputed %v", res.Inertia, inertia)
	}
}

func TestKMeansDeterministic(t *testing.T) {
	data := analysisRandom(300, 8, 5)
	a, err := KMeans(data, 8, 7, KMeansOptions{Seed: 11, NInit: 4})
	if err != nil {
		t.Fatal(err)
	}
	checkKMeansConsistent(t, data, 8, a)
	prev := runtime.GOMAXPROCS(1)
	b, _ := KMeans(data, 8, 7, KMeansOptions{Seed: 11, NInit: 4})
	runtime.GOMAXPROCS(prev)
	if !slices.Equal(a.Labels, b.Labels) || a.Inertia != b.Inertia || !slices.Equal(a.Centroids, b.Centroids) {
		t.Errorf("KMeans differs between runs / GOMAXPROCS")
	}
	// more restarts never give a worse best inertia (restarts 0..3 are included in 0..9)
	c, _ := KMeans(data, 8, 7, KMeansOptions{Seed: 11, NInit: 10})
	if c.Inertia > a.Inertia {
		t.Errorf("NInit 10 inertia %v > NInit 4 inertia %v", c.Inertia, a.Inertia)
	}
}

func TestKMeansEdgeCases(t *testing.T) {
	data := analysisRandom(40, 3, 8)
	// k = 1: the centroid is the mean, the inertia the total sum of squares
	r, err := KMeans(data, 3, 1, KMeansOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkKMeansConsistent(t, data, 3, r)
	// k = n: every row its own cluster
	r, err = KMeans(data, 3, 40, KMeansOptions{NInit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if r.Inertia != 0 {
		t.Errorf("k = n: inertia %v, want 0", r.Inertia)
	}
	// fewer distinct rows than k: no failure, zero inertia
	dup := make([]float32, 0, 30)
	for i := 0; i < 10; i++ {
		dup = append(dup, data[(i%3)*3:(i%3)*3+3]...)
	}
	r, err = KMeans(dup, 3, 5, KMeansOptions{NInit: 2, MaxIter: 20})
	if err != nil {
		t.Fatal(err)
	}
	if r.Inertia != 0 || len(r.Labels) != 10 {
		t.Errorf("duplicates: inertia %v, %d labels", r.Inertia, len(r.Labels))
	}
	for _, l := range r.Labels {
		if l < 0 || l >= 5 {
			t.Errorf("label %d out of range", l)
		}
	}
	// MaxIter = 1: not converged, but labels still match the returned centroids
	big := analysisRandom(500, 2, 3)
	r, err = KMeans(big, 2, 12, KMeansOptions{NInit: 1, MaxIter: 1})
	if err != nil {
		t.Fatal(err)
	}
	if r.Iterations != 1 || r.Converged {
		t.Errorf("MaxIter 1: %d iterations, converged %v", r.Iterations, r.Converged)
	}
	x := analysisFloat64(big)
	c := analysisFloat64(r.Centroids)
	for i, l := range r.Labels {
		d := analysisSqDist(x[2*i:2*i+2], c[2*l:2*l+2])
		for o := 0; o < 12; o++ {
			if analysisSqDist(x[2*i:2*i+2], c[2*o:2*o+2]) < d-1e-9 {
				t.Fatalf("MaxIter 1: row %d not at its nearest centroid", i)
			}
		}
	}
}

func TestKMeansErrors(t *testing.T) {
	data := analysisRandom(10, 2, 1)
	bad := slices.Clone(data)
	bad[7] = float32(math.Inf(1))
	for name, c := range map[string]struct {
		data   []float32
		dim, k int
		opt    KMeansOptions
	}{
		"k=0":      {data, 2, 0, KMeansOptions{}},
		"k>n":      {data, 2, 11, KMeansOptions{}},
		"Inf":      {bad, 2, 3, KMeansOptions{}},
		"empty":    {nil, 2, 1, KMeansOptions{}},
		"dim":      {data, -1, 2, KMeansOptions{}},
		"ragged":   {data[:9], 2, 2, KMeansOptions{}},
		"NInit<0":  {data, 2, 2, KMeansOptions{NInit: -1}},
		"MaxIter<": {data, 2, 2, KMeansOptions{MaxIter: -5}},
	} {
		if _, err := KMeans(c.data, c.dim, c.k, c.opt); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
