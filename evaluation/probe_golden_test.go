package evaluation

// Golden tests of the linear probes and classification / tagging metrics against scikit-learn 1.9.1 (numpy
// 2.4.6, scipy 1.17.1, CPython 3.11.7). testdata/golden_probe.json is produced, from the repository root, by:
//
//	python3 -m venv .venv-golden
//	.venv-golden/bin/pip install -r scripts/golden/requirements.txt
//	.venv-golden/bin/python scripts/golden/make_probe_golden.py --out evaluation/testdata/golden_probe.json
//
// The inputs (synthetic, float32) live in the JSON. The reference models are scikit-learn's
// LogisticRegression fitted to a gradient below 1e-9 (newton-cholesky, tol=1e-10, cross-checked with lbfgs).

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

type probeGoldenFit struct {
	Name         string
	C            float64
	NumClasses   int `json:"num_classes"`
	Coef         []float64
	Intercept    []float64
	GradMax      float64 `json:"grad_max"`
	Proba        []float64
	Decision     []float64
	Pred         []int
	Accuracy     float64
	MacroF1      float64   `json:"macro_f1"`
	MacroAUCOvR  float64   `json:"macro_roc_auc_ovr"`
	PerClassAUC  []float64 `json:"per_class_roc_auc_ovr"`
	ROCAUC       float64   `json:"roc_auc"`
	AvgPrecision float64   `json:"average_precision"`
}

type probeGoldenLabelwise struct {
	PerLabelAUC  []*float64 `json:"per_label_roc_auc"`
	PerLabelAP   []*float64 `json:"per_label_average_precision"`
	MacroAUC     float64    `json:"macro_roc_auc"`
	MacroAP      float64    `json:"macro_average_precision"`
	AUCSkipped   []int      `json:"roc_auc_skipped"`
	APSkipped    []int      `json:"average_precision_skipped"`
	SklearnAllAP float64    `json:"sklearn_all_labels_macro_average_precision"`
}

type probeGolden struct {
	Meta       map[string]string
	Multiclass struct {
		Dim        int
		NumClasses int       `json:"num_classes"`
		NTrain     int       `json:"n_train"`
		NTest      int       `json:"n_test"`
		XTrain     []float32 `json:"x_train"`
		YTrain     []int     `json:"y_train"`
		XTest      []float32 `json:"x_test"`
		YTest      []int     `json:"y_test"`
		Fits       []probeGoldenFit
		Binary     struct {
			TrainRows []int `json:"train_rows"`
			TestRows  []int `json:"test_rows"`
			Fit       probeGoldenFit
		}
		Standardized struct {
			XTrain []float32 `json:"x_train"`
			XTest  []float32 `json:"x_test"`
			Mean   []float64
			Scale  []float64
			ZTest  []float64 `json:"z_test"`
			Fit    probeGoldenFit
		}
	}
	Multilabel struct {
		Dim        int
		NumLabels  int       `json:"num_labels"`
		NTrain     int       `json:"n_train"`
		NTest      int       `json:"n_test"`
		XTrain     []float32 `json:"x_train"`
		YTrain     []bool    `json:"y_train"`
		XTest      []float32 `json:"x_test"`
		YTest      []bool    `json:"y_test"`
		C          float64
		Coef       []float64
		Intercept  []float64
		Scores     []float64
		Metrics    probeGoldenLabelwise
		ScoresTied []float64            `json:"scores_tied"`
		Tied       probeGoldenLabelwise `json:"metrics_tied"`
		YDegen     []bool               `json:"y_degenerate"`
		Degen      probeGoldenLabelwise `json:"metrics_degenerate"`
	}
	BinaryCases []struct {
		Name         string
		Y            []bool
		Scores       []float64
		ROCAUC       float64 `json:"roc_auc"`
		AvgPrecision float64 `json:"average_precision"`
	} `json:"binary_metric_cases"`
	LabelCases []struct {
		Name     string
		YTrue    []int `json:"y_true"`
		YPred    []int `json:"y_pred"`
		Accuracy float64
		MacroF1  float64 `json:"macro_f1"`
	} `json:"label_metric_cases"`
}

var (
	probeGoldenOnce sync.Once
	probeGoldenData *probeGolden
	probeGoldenErr  error
)

func loadProbeGolden(t testing.TB) *probeGolden {
	t.Helper()
	probeGoldenOnce.Do(func() {
		raw, err := os.ReadFile(filepath.Join("testdata", "golden_probe.json"))
		if err != nil {
			probeGoldenErr = err
			return
		}
		probeGoldenData = new(probeGolden)
		probeGoldenErr = json.Unmarshal(raw, probeGoldenData)
	})
	if probeGoldenErr != nil {
		t.Fatal(probeGoldenErr)
	}
	return probeGoldenData
}

// probeMaxRel is max_i |a_i - b_i| / max(|b_i|, floor).
func probeMaxRel(t *testing.T, what string, a, b []float64, floor float64) float64 {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d values, golden %d", what, len(a), len(b))
	}
	worst := 0.0
	for i := range a {
		worst = max(worst, math.Abs(a[i]-b[i])/max(math.Abs(b[i]), floor))
	}
	return worst
}

func probeGather(x []float32, dim int, rows []int) []float32 {
	out := make([]float32, 0, len(rows)*dim)
	for _, r := range rows {
		out = append(out, x[r*dim:(r+1)*dim]...)
	}
	return out
}

// Tolerances: coefficients and intercepts 1e-6 relative (floor 1e-3) at Tol 1e-10 and 1e-4 relative at the
// default Tol; probabilities 1e-6 absolute. Predictions must be identical (the script guarantees a margin of
// 1e-6 between the two best classes). The metrics of Go's own probabilities may differ from scikit-learn's
// only through pairs of test scores closer than 1e-6 (each such pair can move the AUC by 1/(P N)).
func TestProbeGoldenLogistic(t *testing.T) {
	g := loadProbeGolden(t)
	mc := &g.Multiclass
	type fitCase struct {
		fit           probeGoldenFit
		xtr, xte      []float32
		ytr, yte      []int
		n, nte, k     int
		standardizeOf bool
	}
	var cases []fitCase
	for _, f := range mc.Fits {
		cases = append(cases, fitCase{fit: f, xtr: mc.XTrain, xte: mc.XTest, ytr: mc.YTrain, yte: mc.YTest, n: mc.NTrain, nte: mc.NTest, k: mc.NumClasses})
	}
	b := mc.Binary
	btr, bte := make([]int, len(b.TrainRows)), make([]int, len(b.TestRows))
	for i, r := range b.TrainRows {
		btr[i] = mc.YTrain[r]
	}
	for i, r := range b.TestRows {
		bte[i] = mc.YTest[r]
	}
	cases = append(cases, fitCase{fit: b.Fit, xtr: probeGather(mc.XTrain, mc.Dim, b.TrainRows), xte: probeGather(mc.XTest, mc.Dim, b.TestRows),
		ytr: btr, yte: bte, n: len(btr), nte: len(bte), k: 2})
	s := mc.Standardized
	cases = append(cases, fitCase{fit: s.Fit, xtr: s.XTrain, xte: s.XTest, ytr: mc.YTrain, yte: mc.YTest, n: mc.NTrain, nte: mc.NTest, k: mc.NumClasses, standardizeOf: true})

	for _, c := range cases {
		t.Run(c.fit.Name, func(t *testing.T) {
			xtr, xte := c.xtr, c.xte
			if c.standardizeOf {
				st, err := FitStandardizer(xtr, c.n, mc.Dim)
				if err != nil {
					t.Fatal(err)
				}
				if d := max(probeMaxRel(t, "mean", st.Mean, s.Mean, 1e-3), probeMaxRel(t, "scale", st.Scale, s.Scale, 1e-3)); d > 1e-12 {
					t.Errorf("StandardScaler mean/scale differ by %.3g relative", d)
				}
				if xtr, err = st.Transform(xtr); err != nil {
					t.Fatal(err)
				}
				if xte, err = st.Transform(xte); err != nil {
					t.Fatal(err)
				}
				z := make([]float64, len(xte))
				for i, v := range xte {
					z[i] = float64(v)
				}
				if d := probeMaxRel(t, "z_test", z, s.ZTest, 1); d > 1e-6 {
					t.Errorf("standardised test rows differ by %.3g (float32 rounding is ~1e-7)", d)
				}
			}
			for _, tc := range []struct {
				tol, coefTol float64
			}{{1e-10, 1e-6}, {0, 1e-4}} {
				m, err := FitLogistic(xtr, c.n, mc.Dim, c.ytr, c.k, LogisticOptions{C: c.fit.C, Tol: tc.tol})
				if err != nil {
					t.Fatal(err)
				}
				if !m.Converged {
					t.Errorf("Tol %g: not converged after %d iterations (gradient %.3g)", tc.tol, m.Iterations, m.GradMax)
				}
				dc := probeMaxRel(t, "coef", m.Coef, c.fit.Coef, 1e-3)
				di := probeMaxRel(t, "intercept", m.Intercept, c.fit.Intercept, 1e-3)
				if dc > tc.coefTol || di > tc.coefTol {
					t.Errorf("Tol %g: coef differ from sklearn by %.3g, intercepts by %.3g relative (limit %g)", tc.tol, dc, di, tc.coefTol)
				}
				p, err := m.PredictProba(xte)
				if err != nil {
					t.Fatal(err)
				}
				dp := probeMaxRel(t, "proba", p, c.fit.Proba, 1)
				dec, _ := m.Decision(xte)
				dd := probeMaxRel(t, "decision", dec, c.fit.Decision, 1)
				if dp > 100*tc.coefTol || dd > 100*tc.coefTol {
					t.Errorf("Tol %g: probabilities differ by %.3g, decision values by %.3g", tc.tol, dp, dd)
				}
				t.Logf("Tol %g: %d iterations, gradient %.2g: coef %.2g, intercept %.2g rel; proba %.2g, decision %.2g abs",
					tc.tol, m.Iterations, m.GradMax, dc, di, dp, dd)
				if tc.tol != 1e-10 {
					continue
				}
				pred, _ := m.Predict(xte)
				for i := range pred {
					if pred[i] != c.fit.Pred[i] {
						t.Fatalf("test row %d: predicted %d, sklearn %d", i, pred[i], c.fit.Pred[i])
					}
				}
				acc, _ := Accuracy(c.yte, pred)
				f1, _ := MacroF1(c.yte, pred)
				if acc != c.fit.Accuracy || math.Abs(f1-c.fit.MacroF1) > 1e-12 {
					t.Errorf("accuracy %v macro-F1 %v, sklearn %v %v", acc, f1, c.fit.Accuracy, c.fit.MacroF1)
				}
				probeCheckProbaMetrics(t, c.fit, c.yte, c.fit.Proba, c.k, 1e-9, "sklearn's probabilities")
				near := 0.0
				for _, v := range probeNearTies(probeOneHot(c.yte, c.k), c.fit.Proba, c.k) {
					near = max(near, v)
				}
				if near > 0 {
					t.Logf("near-tied test scores: Go's metrics may differ from sklearn's by up to %.3g", near)
				}
				probeCheckProbaMetrics(t, c.fit, c.yte, p, c.k, 1e-9+near, "Go's probabilities")
			}
		})
	}
}

// probeNearTies returns, for every column l of scores (n x L), the number of (positive, negative) row pairs
// whose scores are closer than 1e-6, divided by P N: the most the ROC-AUC can move when scores that differ
// from scikit-learn's by less than 1e-6 swap such pairs (0 for a column where it is undefined).
func probeNearTies(y []bool, scores []float64, numLabels int) []float64 {
	n := len(y) / numLabels
	out := make([]float64, numLabels)
	for l := range out {
		pos, pairs := 0, 0
		for i := 0; i < n; i++ {
			if !y[i*numLabels+l] {
				continue
			}
			pos++
			for j := 0; j < n; j++ {
				if !y[j*numLabels+l] && math.Abs(scores[i*numLabels+l]-scores[j*numLabels+l]) < 1e-6 {
					pairs++
				}
			}
		}
		if pos > 0 && pos < n {
			out[l] = float64(pairs) / float64(pos*(n-pos))
		}
	}
	return out
}

func probeOneHot(y []int, k int) []bool {
	out := make([]bool, len(y)*k)
	for i, c := range y {
		out[i*k+c] = true
	}
	return out
}

func probeCheckProbaMetrics(t *testing.T, f probeGoldenFit, y []int, proba []float64, k int, tol float64, what string) {
	t.Helper()
	if k == 2 {
		pos := make([]bool, len(y))
		s := make([]float64, len(y))
		for i := range y {
			pos[i], s[i] = y[i] == 1, proba[2*i+1]
		}
		auc, err := ROCAUC(pos, s)
		if err != nil {
			t.Fatal(err)
		}
		ap, err := AveragePrecision(pos, s)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(auc-f.ROCAUC) > tol || math.Abs(ap-f.AvgPrecision) > tol {
			t.Errorf("%s: ROC-AUC %.17g AP %.17g, sklearn %.17g %.17g", what, auc, ap, f.ROCAUC, f.AvgPrecision)
		}
		return
	}
	r, err := MacroROCAUCOvR(y, proba, k)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Skipped) != 0 || math.Abs(r.Macro-f.MacroAUCOvR) > tol {
		t.Errorf("%s: macro ROC-AUC OvR %.17g (skipped %v), sklearn %.17g", what, r.Macro, r.Skipped, f.MacroAUCOvR)
	}
	for c, v := range r.PerLabel {
		if math.Abs(v-f.PerClassAUC[c]) > tol {
			t.Errorf("%s: class %d ROC-AUC %.17g, sklearn %.17g", what, c, v, f.PerClassAUC[c])
		}
	}
}

func TestProbeGoldenOneVsRest(t *testing.T) {
	g := loadProbeGolden(t)
	ml := &g.Multilabel
	m, err := FitOneVsRest(ml.XTrain, ml.NTrain, ml.Dim, ml.YTrain, ml.NumLabels, LogisticOptions{C: ml.C, Tol: 1e-10})
	if err != nil {
		t.Fatal(err)
	}
	if !m.AllConverged() {
		t.Errorf("not converged: %v (gradients %v)", m.Converged, m.GradMax)
	}
	dc := probeMaxRel(t, "coef", m.Coef, ml.Coef, 1e-3)
	di := probeMaxRel(t, "intercept", m.Intercept, ml.Intercept, 1e-3)
	s, err := m.Scores(ml.XTest)
	if err != nil {
		t.Fatal(err)
	}
	ds := probeMaxRel(t, "scores", s, ml.Scores, 1)
	if dc > 1e-6 || di > 1e-6 || ds > 1e-6 {
		t.Errorf("coef %.3g, intercept %.3g relative, scores %.3g absolute from sklearn", dc, di, ds)
	}
	t.Logf("iterations %v: coef %.2g, intercept %.2g rel, scores %.2g abs", m.Iterations, dc, di, ds)

	for _, c := range []struct {
		name   string
		y      []bool
		scores []float64
		want   probeGoldenLabelwise
		tol    float64
	}{
		{"sklearn_scores", ml.YTest, ml.Scores, ml.Metrics, 1e-9},
		{"tied_scores", ml.YTest, ml.ScoresTied, ml.Tied, 1e-9},
		{"degenerate_labels", ml.YDegen, ml.ScoresTied, ml.Degen, 1e-9},
	} {
		t.Run(c.name, func(t *testing.T) {
			auc, err := MacroROCAUC(c.y, c.scores, ml.NumLabels)
			if err != nil {
				t.Fatal(err)
			}
			ap, err := MacroAveragePrecision(c.y, c.scores, ml.NumLabels)
			if err != nil {
				t.Fatal(err)
			}
			probeCheckLabelwise(t, "ROC-AUC", auc, c.want.PerLabelAUC, c.want.MacroAUC, c.want.AUCSkipped, c.tol)
			probeCheckLabelwise(t, "AP", ap, c.want.PerLabelAP, c.want.MacroAP, c.want.APSkipped, c.tol)
		})
	}
	// Metrics of Go's own scores: identical to sklearn's except where two test scores of a label (one positive,
	// one negative) are within 1e-6, which the ~1e-9 difference of the scores could swap.
	auc, err := MacroROCAUC(ml.YTest, s, ml.NumLabels)
	if err != nil {
		t.Fatal(err)
	}
	ap, err := MacroAveragePrecision(ml.YTest, s, ml.NumLabels)
	if err != nil {
		t.Fatal(err)
	}
	for l, near := range probeNearTies(ml.YTest, ml.Scores, ml.NumLabels) {
		if d := math.Abs(auc.PerLabel[l] - *ml.Metrics.PerLabelAUC[l]); d > 1e-9+near {
			t.Errorf("Go's scores, label %d: ROC-AUC %.17g, sklearn %.17g", l, auc.PerLabel[l], *ml.Metrics.PerLabelAUC[l])
		}
		if d := math.Abs(ap.PerLabel[l] - *ml.Metrics.PerLabelAP[l]); near == 0 && d > 1e-9 {
			t.Errorf("Go's scores, label %d: AP %.17g, sklearn %.17g", l, ap.PerLabel[l], *ml.Metrics.PerLabelAP[l])
		} else if near > 0 {
			t.Logf("label %d: near-tied test scores, AP %.17g vs sklearn %.17g not compared", l, ap.PerLabel[l], *ml.Metrics.PerLabelAP[l])
		}
	}
}

func probeCheckLabelwise(t *testing.T, what string, got *LabelwiseScores, per []*float64, macro float64, skipped []int, tol float64) {
	t.Helper()
	if fmt.Sprint(got.Skipped) != fmt.Sprint(skipped) && !(len(got.Skipped) == 0 && len(skipped) == 0) {
		t.Errorf("%s: skipped %v, want %v", what, got.Skipped, skipped)
	}
	for l, w := range per {
		if w == nil {
			if !math.IsNaN(got.PerLabel[l]) {
				t.Errorf("%s: label %d = %v, want NaN (skipped)", what, l, got.PerLabel[l])
			}
			continue
		}
		if math.Abs(got.PerLabel[l]-*w) > tol {
			t.Errorf("%s: label %d = %.17g, sklearn %.17g", what, l, got.PerLabel[l], *w)
		}
	}
	if math.Abs(got.Macro-macro) > tol {
		t.Errorf("%s: macro %.17g, sklearn %.17g", what, got.Macro, macro)
	}
}

func TestProbeGoldenMetricCases(t *testing.T) {
	g := loadProbeGolden(t)
	for _, c := range g.BinaryCases {
		auc, err := ROCAUC(c.Y, c.Scores)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		ap, err := AveragePrecision(c.Y, c.Scores)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		if math.Abs(auc-c.ROCAUC) > 1e-12 || math.Abs(ap-c.AvgPrecision) > 1e-12 {
			t.Errorf("%s: ROC-AUC %.17g AP %.17g, sklearn %.17g %.17g", c.Name, auc, ap, c.ROCAUC, c.AvgPrecision)
		}
	}
	for _, c := range g.LabelCases {
		acc, err := Accuracy(c.YTrue, c.YPred)
		if err != nil {
			t.Fatal(err)
		}
		f1, err := MacroF1(c.YTrue, c.YPred)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(acc-c.Accuracy) > 1e-12 || math.Abs(f1-c.MacroF1) > 1e-12 {
			t.Errorf("%s: accuracy %.17g macro-F1 %.17g, sklearn %.17g %.17g", c.Name, acc, f1, c.Accuracy, c.MacroF1)
		}
	}
}
