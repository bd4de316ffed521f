package evaluation

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// probeBlobs draws n rows of dim Gaussian features around k random class means (spread sep), labels cycling.
func probeBlobs(seed uint64, n, dim, k int, sep float64) ([]float32, []int) {
	rng := rand.New(rand.NewPCG(seed, 7))
	means := make([]float64, k*dim)
	for i := range means {
		means[i] = sep * rng.NormFloat64()
	}
	x := make([]float32, n*dim)
	y := make([]int, n)
	for i := 0; i < n; i++ {
		y[i] = i % k
		for j := 0; j < dim; j++ {
			x[i*dim+j] = float32(means[y[i]*dim+j] + rng.NormFloat64())
		}
	}
	return x, y
}

// The analytic gradient of the objective against central finite differences, binary and multinomial.
func TestProbeObjectiveGradient(t *testing.T) {
	for _, k := range []int{2, 4} {
		x, y := probeBlobs(1, 40, 5, k, 1)
		rows := k
		if k == 2 {
			rows = 1
		}
		p := &probeProblem{x: x, n: 40, dim: 5, rows: rows, labels: y, invC: 1 / 0.7}
		rng := rand.New(rand.NewPCG(2, 2))
		w := make([]float64, rows*6)
		for i := range w {
			w[i] = 0.5 * rng.NormFloat64()
		}
		g := make([]float64, len(w))
		p.eval(w, g)
		scratch := make([]float64, len(w))
		worst := 0.0
		for i := range w {
			h := 1e-6
			wp, wm := slices.Clone(w), slices.Clone(w)
			wp[i] += h
			wm[i] -= h
			fd := (p.eval(wp, scratch) - p.eval(wm, scratch)) / (2 * h)
			worst = max(worst, math.Abs(fd-g[i]))
		}
		if worst > 1e-8 {
			t.Errorf("k=%d: gradient differs from finite differences by %.3g", k, worst)
		}
	}
}

// The objective against a direct transcription of scikit-learn's formula.
func TestProbeObjectiveValue(t *testing.T) {
	x, y := probeBlobs(3, 30, 3, 3, 1)
	w := []float64{0.1, -0.2, 0.3, 0.05, -0.1, 0.2, 0.0, -0.3, 0.4, 0.2, 0.1, -0.15}
	const c = 2.5
	p := &probeProblem{x: x, n: 30, dim: 3, rows: 3, labels: y, invC: 1 / c}
	got := p.eval(w, make([]float64, len(w)))
	want, pen := 0.0, 0.0
	for i := 0; i < 30; i++ {
		var z [3]float64
		for r := 0; r < 3; r++ {
			z[r] = w[r*4+3]
			for j := 0; j < 3; j++ {
				z[r] += w[r*4+j] * float64(x[i*3+j])
			}
		}
		want += -math.Log(math.Exp(z[y[i]]) / (math.Exp(z[0]) + math.Exp(z[1]) + math.Exp(z[2])))
	}
	for r := 0; r < 3; r++ {
		for j := 0; j < 3; j++ {
			pen += w[r*4+j] * w[r*4+j]
		}
	}
	want = want/30 + pen/(2*c*30)
	if math.Abs(got-want) > 1e-14 {
		t.Errorf("objective %.17g, formula %.17g", got, want)
	}
}

// Learns separable structure; the fitted point is a stationary point; results do not depend on GOMAXPROCS
// (n > probeChunkRows, so the objective is split into chunks).
func TestProbeFitLearnsAndIsDeterministic(t *testing.T) {
	const n, dim, k = 3000, 16, 5
	all, labels := probeBlobs(4, n+500, dim, k, 1.5)
	x, y := all[:n*dim], labels[:n]
	xte, yte := all[n*dim:], labels[n:]
	fit := func(procs int) *LogisticModel {
		old := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(old)
		m, err := FitLogistic(x, n, dim, y, k, LogisticOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	m1, m8 := fit(1), fit(8)
	if !slices.Equal(m1.Coef, m8.Coef) || !slices.Equal(m1.Intercept, m8.Intercept) {
		t.Errorf("coefficients depend on GOMAXPROCS")
	}
	if !m1.Converged {
		t.Errorf("not converged: %d iterations, gradient %.3g", m1.Iterations, m1.GradMax)
	}
	sum := 0.0
	for _, b := range m1.Intercept {
		sum += b
	}
	if math.Abs(sum) > 1e-12 {
		t.Errorf("intercepts sum to %v, want 0", sum)
	}
	// Train-set and test-set accuracy well above chance (0.2).
	pred, _ := m1.Predict(xte)
	acc, _ := Accuracy(yte, pred)
	if acc < 0.8 {
		t.Errorf("test accuracy %.3f on well-separated classes", acc)
	}
	p, _ := m1.PredictProba(xte)
	for i := 0; i < 500; i++ {
		s := 0.0
		for c := 0; c < k; c++ {
			s += p[i*k+c]
		}
		if math.Abs(s-1) > 1e-12 || probeArgmax(p[i*k:(i+1)*k]) != pred[i] {
			t.Fatalf("row %d: probabilities sum to %v, argmax %d, Predict %d", i, s, probeArgmax(p[i*k:(i+1)*k]), pred[i])
		}
	}
	t.Logf("%d iterations, gradient %.2g, test accuracy %.3f", m1.Iterations, m1.GradMax, acc)
}

// Perfectly separable data with a weak penalty: the weights grow large but stay finite and the fit converges.
func TestProbeSeparable(t *testing.T) {
	x := []float32{-2, -1, -0.5, 0.5, 1, 2}
	y := []int{0, 0, 0, 1, 1, 1}
	m, err := FitLogistic(x, 6, 1, y, 2, LogisticOptions{C: 1e4})
	if err != nil {
		t.Fatal(err)
	}
	if !m.Converged || math.IsNaN(m.Coef[0]) || m.Coef[0] < 5 {
		t.Errorf("converged %v after %d iterations, coef %v (gradient %.3g)", m.Converged, m.Iterations, m.Coef, m.GradMax)
	}
	pred, _ := m.Predict(x)
	if !slices.Equal(pred, y) {
		t.Errorf("predictions %v", pred)
	}
}

func TestProbeStandardizer(t *testing.T) {
	x := []float32{1, 5, 10, 2, 5, 20, 3, 5, 30}
	s, err := FitStandardizer(x, 3, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Mean, []float64{2, 5, 20}) || s.Scale[1] != 1 || math.Abs(s.Scale[0]-math.Sqrt(2.0/3)) > 1e-15 {
		t.Errorf("mean %v scale %v", s.Mean, s.Scale)
	}
	z, _ := s.Transform(x)
	if z[1] != 0 || z[4] != 0 || math.Abs(float64(z[0])+math.Sqrt(1.5)) > 1e-6 {
		t.Errorf("transformed %v", z)
	}
}

// ROC-AUC and AP against naive definitions (all positive/negative pairs, ties 1/2; precision at every
// positive's threshold) on random scores with many ties.
func TestProbeRankMetricsNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for trial := 0; trial < 200; trial++ {
		n := 2 + rng.IntN(60)
		levels := 1 + rng.IntN(8)
		y := make([]bool, n)
		s := make([]float64, n)
		for i := range y {
			y[i] = rng.Float64() < 0.3
			s[i] = float64(rng.IntN(levels)) - 2
		}
		y[0], y[1] = true, false
		var wins float64
		pos, neg := 0, 0
		for i := range y {
			if y[i] {
				pos++
			} else {
				neg++
			}
		}
		apNaive := 0.0
		for i := range y {
			if !y[i] {
				continue
			}
			above, abovePos := 0, 0
			for j := range y {
				if !y[j] {
					if s[i] > s[j] {
						wins++
					} else if s[i] == s[j] {
						wins += 0.5
					}
				}
				if s[j] >= s[i] {
					above++
					if y[j] {
						abovePos++
					}
				}
			}
			apNaive += float64(abovePos) / float64(above) / float64(pos)
		}
		auc, err := ROCAUC(y, s)
		if err != nil {
			t.Fatal(err)
		}
		ap, err := AveragePrecision(y, s)
		if err != nil {
			t.Fatal(err)
		}
		if want := wins / float64(pos*neg); math.Abs(auc-want) > 1e-15 || math.Abs(ap-apNaive) > 1e-12 {
			t.Fatalf("trial %d: AUC %v AP %v, naive %v %v", trial, auc, ap, want, apNaive)
		}
	}
}

func TestProbeLabelwiseSkips(t *testing.T) {
	// 3 rows x 3 labels: label 0 normal, label 1 no positives, label 2 all positive.
	y := []bool{true, false, true, false, false, true, true, false, true}
	s := []float64{0.9, 0.1, 0.5, 0.2, 0.3, 0.5, 0.8, 0.2, 0.4}
	auc, err := MacroROCAUC(y, s, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(auc.Skipped, []int{1, 2}) || auc.Macro != 1 || !math.IsNaN(auc.PerLabel[1]) {
		t.Errorf("ROC-AUC %+v", auc)
	}
	ap, err := MacroAveragePrecision(y, s, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ap.Skipped, []int{1}) || ap.Macro != 1 || ap.PerLabel[2] != 1 {
		t.Errorf("AP %+v", ap)
	}
	ovr, err := MacroROCAUCOvR([]int{0, 2, 0, 2}, []float64{.8, .1, .1, .2, .2, .6, .5, .4, .1, .1, .1, .8}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ovr.Skipped, []int{1}) || ovr.Macro != 1 {
		t.Errorf("OvR %+v", ovr)
	}
}

// Bad input: every case must fail with an error mentioning the given fragment.
func TestProbeErrors(t *testing.T) {
	x := []float32{0, 1, 1, 0, 2, 2, 3, 1}
	nan := slices.Clone(x)
	nan[5] = float32(math.NaN())
	ok := LogisticOptions{}
	for _, c := range []struct {
		name, want string
		err        func() error
	}{
		{"x length", "want n*dim", func() error { _, err := FitLogistic(x[:7], 4, 2, []int{0, 1, 0, 1}, 2, ok); return err }},
		{"labels length", "3 labels for 4 rows", func() error { _, err := FitLogistic(x, 4, 2, []int{0, 1, 0}, 2, ok); return err }},
		{"label range", "outside [0, 2)", func() error { _, err := FitLogistic(x, 4, 2, []int{0, 1, 2, 1}, 2, ok); return err }},
		{"negative label", "outside [0, 3)", func() error { _, err := FitLogistic(x, 4, 2, []int{0, -1, 2, 1}, 3, ok); return err }},
		{"empty class", "class 1 has no training row", func() error { _, err := FitLogistic(x, 4, 2, []int{0, 0, 2, 2}, 3, ok); return err }},
		{"one class", "at least 2", func() error { _, err := FitLogistic(x, 4, 2, []int{0, 0, 0, 0}, 1, ok); return err }},
		{"NaN feature", "row 2 column 1 is NaN", func() error { _, err := FitLogistic(nan, 4, 2, []int{0, 1, 0, 1}, 2, ok); return err }},
		{"negative C", "C (-1)", func() error { _, err := FitLogistic(x, 4, 2, []int{0, 1, 0, 1}, 2, LogisticOptions{C: -1}); return err }},
		{"no rows", "n >= 1", func() error { _, err := FitLogistic(nil, 0, 2, nil, 2, ok); return err }},
		{"ovr y length", "y has 7 values", func() error { _, err := FitOneVsRest(x, 4, 2, make([]bool, 7), 2, ok); return err }},
		{"ovr constant label", "label 0 has 0 positive rows", func() error { _, err := FitOneVsRest(x, 4, 2, make([]bool, 8), 2, ok); return err }},
		{"ovr NaN", "is NaN", func() error {
			_, err := FitOneVsRest(nan, 4, 2, []bool{true, false, false, true, true, false, false, true}, 2, ok)
			return err
		}},
		{"standardizer NaN", "is NaN", func() error { _, err := FitStandardizer(nan, 4, 2); return err }},
		{"predict dim", "not a multiple of dim=2", func() error {
			m, err := FitLogistic(x, 4, 2, []int{0, 1, 0, 1}, 2, ok)
			if err != nil {
				return nil
			}
			_, err = m.PredictProba(x[:3])
			return err
		}},
		{"predict NaN", "is NaN", func() error {
			m, err := FitLogistic(x, 4, 2, []int{0, 1, 0, 1}, 2, ok)
			if err != nil {
				return nil
			}
			_, err = m.Predict(nan)
			return err
		}},
		{"accuracy lengths", "3 true and 2 predicted", func() error { _, err := Accuracy([]int{1, 2, 3}, []int{1, 2}); return err }},
		{"f1 empty", "non-zero lengths", func() error { _, err := MacroF1(nil, nil); return err }},
		{"auc one class", "needs both classes", func() error { _, err := ROCAUC([]bool{true, true}, []float64{1, 2}); return err }},
		{"auc NaN", "row 1 is NaN", func() error { _, err := ROCAUC([]bool{true, false}, []float64{1, math.NaN()}); return err }},
		{"auc lengths", "need equal", func() error { _, err := ROCAUC([]bool{true, false}, []float64{1}); return err }},
		{"ap no positive", "no positive", func() error { _, err := AveragePrecision([]bool{false, false}, []float64{1, 2}); return err }},
		{"macro all skipped", "undefined for every label", func() error {
			_, err := MacroROCAUC([]bool{true, true, true, true}, []float64{1, 2, 3, 4}, 2)
			return err
		}},
		{"macro shape", "multiples of numLabels=3", func() error { _, err := MacroAveragePrecision(make([]bool, 4), make([]float64, 4), 3); return err }},
		{"ovr label range", "outside [0, 2)", func() error { _, err := MacroROCAUCOvR([]int{0, 2}, make([]float64, 4), 2); return err }},
	} {
		err := c.err()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}
