package evaluation

// Linear probes on frozen embeddings: L2-penalised logistic regression, as scikit-learn 1.9.1's
// LogisticRegression(solver="lbfgs"), and a one-vs-rest set of binary ones for multi-label tagging.
//
//   - FitLogistic: multinomial (softmax) regression for numClasses >= 3, binary (sigmoid) for numClasses == 2,
//     exactly as LogisticRegression chooses between HalfMultinomialLoss and HalfBinomialLoss.
//   - FitOneVsRest: one binary model per label of a multi-label target, as
//     OneVsRestClassifier(LogisticRegression(...)).
//   - FitStandardizer / (*Standardizer).Transform: sklearn.preprocessing.StandardScaler, fitted on the
//     training rows and applied to any rows.
//   - Metrics (probe_metrics.go): Accuracy, MacroF1, ROCAUC, AveragePrecision and their label-wise macro
//     averages.
//
// The objective is scikit-learn's, with the same scaling, so that LogisticOptions.Tol means what its tol
// means for the lbfgs solver (the largest absolute component of the gradient):
//
//	f(W, b) = (1/n) sum_i logloss(y_i, W x_i + b) + 1/(2 C n) ||W||^2      (intercept b not penalised)
//
// i.e. (1/n) times the textbook sum of log-losses + ||W||^2 / (2C): the same minimiser.
// It is smooth and strictly convex in W; the minimiser is found by L-BFGS (10 correction pairs, strong Wolfe
// line search) started from zero. In the multinomial case f does not change when the same constant is added
// to every intercept; scikit-learn's lbfgs, started from zero, keeps their sum at zero up to rounding, and
// FitLogistic makes the intercepts sum to zero (up to rounding). On the golden data (probe_golden_test.go) the
// coefficients agree with scikit-learn fitted to a gradient below 1e-9 within 2e-5 relative at the default
// Tol of 1e-8, and within 2e-7 at Tol 1e-10; scikit-learn's own defaults (tol=1e-4, max_iter=100) stop
// farther from the optimum (up to 8e-3 absolute in the coefficients there), so compare with a tightly fitted
// scikit-learn model, not a default one.
//
// Everything is float64 and deterministic: the rows are split into a number of chunks that depends on n
// only, and the chunk sums are added in order, so results do not depend on GOMAXPROCS. One evaluation of f
// costs O(n x dim x rows); a fit takes some tens of them (about 6 s for 10000 x 512 features, 10 classes, on
// 2 cores).

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
)

// LogisticOptions configures FitLogistic and FitOneVsRest. The zero value gives the defaults.
type LogisticOptions struct {
	// C is the inverse L2 penalty strength, as scikit-learn's C. 0 means 1.0.
	C float64
	// MaxIter bounds the L-BFGS iterations. 0 means 1000.
	MaxIter int
	// Tol stops L-BFGS once every component of the gradient of f (the mean-scaled objective above) is at
	// most Tol in absolute value, as the gtol of scikit-learn's lbfgs. 0 means 1e-8.
	Tol float64
}

func (o LogisticOptions) withDefaults() (LogisticOptions, error) {
	if o.C < 0 || math.IsNaN(o.C) || math.IsInf(o.C, 0) || o.MaxIter < 0 || o.Tol < 0 || math.IsNaN(o.Tol) {
		return o, fmt.Errorf("C (%v) must be positive and finite, MaxIter (%d) and Tol (%v) non-negative; 0 selects the default", o.C, o.MaxIter, o.Tol)
	}
	if o.C == 0 {
		o.C = 1
	}
	if o.MaxIter == 0 {
		o.MaxIter = 1000
	}
	if o.Tol == 0 {
		o.Tol = 1e-8
	}
	return o, nil
}

// LogisticModel is a fitted FitLogistic model.
type LogisticModel struct {
	NumClasses int
	Dim        int
	// Coef is Rows() x Dim, row-major, and Intercept has Rows() values, laid out as scikit-learn's coef_ and
	// intercept_: one row per class in the multinomial case; a single row, the logit of class 1, in the
	// binary case.
	Coef      []float64
	Intercept []float64
	// Iterations, Converged, GradMax and Objective describe the optimisation: L-BFGS iterations, whether
	// the gradient tolerance was met, the final largest absolute gradient component and the final f.
	Iterations int
	Converged  bool
	GradMax    float64
	Objective  float64
}

// Rows is the number of linear functions of the model: NumClasses, or 1 for a binary model.
func (m *LogisticModel) Rows() int {
	if m.NumClasses == 2 {
		return 1
	}
	return m.NumClasses
}

// FitLogistic fits an L2-penalised logistic regression to n rows of x (row-major, dim columns) with labels
// in [0, numClasses): multinomial for numClasses >= 3, binary (class 1 positive) for numClasses == 2. The
// result minimises scikit-learn's objective (see the file comment); check Converged, which is false when
// MaxIter was reached first (or when the line search could make no further progress, for badly scaled
// features: standardise them).
//
// Errors: sizes that do not match, NaN/Inf features, numClasses < 2, a label outside [0, numClasses), a
// class without any training row (scikit-learn would silently learn one class fewer), bad options.
func FitLogistic(x []float32, n, dim int, labels []int, numClasses int, opt LogisticOptions) (*LogisticModel, error) {
	fail := func(err error) (*LogisticModel, error) { return nil, fmt.Errorf("evaluation: FitLogistic: %w", err) }
	if err := probeCheckMatrix(x, n, dim, "x"); err != nil {
		return fail(err)
	}
	opt, err := opt.withDefaults()
	if err != nil {
		return fail(err)
	}
	if numClasses < 2 {
		return fail(fmt.Errorf("numClasses must be at least 2, got %d", numClasses))
	}
	if len(labels) != n {
		return fail(fmt.Errorf("%d labels for %d rows", len(labels), n))
	}
	counts := make([]int, numClasses)
	for i, c := range labels {
		if c < 0 || c >= numClasses {
			return fail(fmt.Errorf("label of row %d is %d, outside [0, %d)", i, c, numClasses))
		}
		counts[c]++
	}
	for c, k := range counts {
		if k == 0 {
			return fail(fmt.Errorf("class %d has no training row: renumber the classes present to 0..K-1 or add examples", c))
		}
	}
	rows := numClasses
	if numClasses == 2 {
		rows = 1
	}
	p := &probeProblem{x: x, n: n, dim: dim, rows: rows, labels: labels, invC: 1 / opt.C}
	w := make([]float64, rows*(dim+1))
	res := probeLBFGS(p.eval, w, opt.MaxIter, opt.Tol)
	m := &LogisticModel{NumClasses: numClasses, Dim: dim, Coef: make([]float64, rows*dim), Intercept: make([]float64, rows),
		Iterations: res.iterations, Converged: res.converged, GradMax: res.gradMax, Objective: res.f}
	p.unpack(w, m.Coef, m.Intercept)
	if rows > 1 {
		mean := 0.0
		for _, b := range m.Intercept {
			mean += b
		}
		mean /= float64(rows)
		for r := range m.Intercept {
			m.Intercept[r] -= mean
		}
	}
	return m, nil
}

// Decision returns the n x Rows() matrix (row-major) of linear scores W x + b of the rows of x, as
// scikit-learn's decision_function (a single column for a binary model).
func (m *LogisticModel) Decision(x []float32) ([]float64, error) {
	n, err := probeRows(x, m.Dim, "x")
	if err != nil {
		return nil, fmt.Errorf("evaluation: LogisticModel: %w", err)
	}
	return probeLinear(x, n, m.Dim, m.Coef, m.Intercept), nil
}

// PredictProba returns the n x NumClasses matrix (row-major) of class probabilities of the rows of x: the
// softmax of the decision values, or (1-p, p) with p = sigmoid for a binary model.
func (m *LogisticModel) PredictProba(x []float32) ([]float64, error) {
	z, err := m.Decision(x)
	if err != nil {
		return nil, err
	}
	n := len(z) / m.Rows()
	out := make([]float64, n*m.NumClasses)
	for i := 0; i < n; i++ {
		if m.NumClasses == 2 {
			p := probeSigmoid(z[i])
			out[2*i], out[2*i+1] = 1-p, p
			continue
		}
		probeSoftmax(z[i*m.NumClasses:(i+1)*m.NumClasses], out[i*m.NumClasses:(i+1)*m.NumClasses])
	}
	return out, nil
}

// Predict returns the most probable class of every row of x (the first one on exact ties, as numpy's argmax;
// class 1 in the binary case only when its decision value is > 0, as scikit-learn).
func (m *LogisticModel) Predict(x []float32) ([]int, error) {
	z, err := m.Decision(x)
	if err != nil {
		return nil, err
	}
	rows := m.Rows()
	out := make([]int, len(z)/rows)
	for i := range out {
		if rows == 1 {
			if z[i] > 0 {
				out[i] = 1
			}
			continue
		}
		out[i] = probeArgmax(z[i*rows : (i+1)*rows])
	}
	return out, nil
}

// OneVsRestModel is a fitted FitOneVsRest model: one binary logistic regression per label.
type OneVsRestModel struct {
	NumLabels int
	Dim       int
	// Coef is NumLabels x Dim (row-major) and Intercept has NumLabels values: row l is the binary model of
	// label l, as estimators_[l].coef_ / intercept_ of scikit-learn's OneVsRestClassifier.
	Coef      []float64
	Intercept []float64
	// Per label: L-BFGS iterations, convergence, final largest absolute gradient component.
	Iterations []int
	Converged  []bool
	GradMax    []float64
}

// FitOneVsRest fits one binary L2-penalised logistic regression per label of a multi-label target: y is
// n x numLabels (row-major), y[i*numLabels+l] telling whether row i carries label l. Each label is fitted
// independently with the same options, exactly as FitLogistic with numClasses == 2.
//
// Errors: as FitLogistic, and a label with no positive or no negative training row (scikit-learn's
// OneVsRestClassifier would fall back to a constant predictor with a warning): drop such labels first.
func FitOneVsRest(x []float32, n, dim int, y []bool, numLabels int, opt LogisticOptions) (*OneVsRestModel, error) {
	fail := func(err error) (*OneVsRestModel, error) { return nil, fmt.Errorf("evaluation: FitOneVsRest: %w", err) }
	if err := probeCheckMatrix(x, n, dim, "x"); err != nil {
		return fail(err)
	}
	opt, err := opt.withDefaults()
	if err != nil {
		return fail(err)
	}
	if numLabels < 1 {
		return fail(fmt.Errorf("numLabels must be positive, got %d", numLabels))
	}
	if len(y) != n*numLabels {
		return fail(fmt.Errorf("y has %d values, want n*numLabels = %d*%d", len(y), n, numLabels))
	}
	m := &OneVsRestModel{NumLabels: numLabels, Dim: dim, Coef: make([]float64, numLabels*dim),
		Intercept: make([]float64, numLabels), Iterations: make([]int, numLabels), Converged: make([]bool, numLabels),
		GradMax: make([]float64, numLabels)}
	labels := make([]int, n)
	for l := 0; l < numLabels; l++ {
		pos := 0
		for i := 0; i < n; i++ {
			labels[i] = 0
			if y[i*numLabels+l] {
				labels[i] = 1
				pos++
			}
		}
		if pos == 0 || pos == n {
			return fail(fmt.Errorf("label %d has %d positive rows out of %d: a binary model needs both classes; drop the label", l, pos, n))
		}
		p := &probeProblem{x: x, n: n, dim: dim, rows: 1, labels: labels, invC: 1 / opt.C}
		w := make([]float64, dim+1)
		res := probeLBFGS(p.eval, w, opt.MaxIter, opt.Tol)
		p.unpack(w, m.Coef[l*dim:(l+1)*dim], m.Intercept[l:l+1])
		m.Iterations[l], m.Converged[l], m.GradMax[l] = res.iterations, res.converged, res.gradMax
	}
	return m, nil
}

// Scores returns the n x NumLabels matrix (row-major) of label probabilities sigmoid(w_l . x + b_l), as
// OneVsRestClassifier.predict_proba for a multi-label target.
func (m *OneVsRestModel) Scores(x []float32) ([]float64, error) {
	n, err := probeRows(x, m.Dim, "x")
	if err != nil {
		return nil, fmt.Errorf("evaluation: OneVsRestModel: %w", err)
	}
	z := probeLinear(x, n, m.Dim, m.Coef, m.Intercept)
	for i, v := range z {
		z[i] = probeSigmoid(v)
	}
	return z, nil
}

// AllConverged reports whether every label's fit converged.
func (m *OneVsRestModel) AllConverged() bool {
	for _, c := range m.Converged {
		if !c {
			return false
		}
	}
	return true
}

// Standardizer is a fitted StandardScaler: Transform maps every column j to (x - Mean[j]) / Scale[j].
type Standardizer struct {
	Dim int
	// Mean and Scale (population standard deviation, ddof = 0) of every column of the fitting rows; a
	// column whose standard deviation is below 10 x machine epsilon gets Scale 1, as scikit-learn.
	Mean, Scale []float64
}

// FitStandardizer computes the column means and standard deviations of n rows of x (row-major, dim columns).
// Fit it on the training rows only and Transform both training and test rows with it.
func FitStandardizer(x []float32, n, dim int) (*Standardizer, error) {
	if err := probeCheckMatrix(x, n, dim, "x"); err != nil {
		return nil, fmt.Errorf("evaluation: FitStandardizer: %w", err)
	}
	s := &Standardizer{Dim: dim, Mean: make([]float64, dim), Scale: make([]float64, dim)}
	for i := 0; i < n; i++ {
		for j, v := range x[i*dim : (i+1)*dim] {
			s.Mean[j] += float64(v)
		}
	}
	for j := range s.Mean {
		s.Mean[j] /= float64(n)
	}
	for i := 0; i < n; i++ {
		for j, v := range x[i*dim : (i+1)*dim] {
			d := float64(v) - s.Mean[j]
			s.Scale[j] += d * d
		}
	}
	for j := range s.Scale {
		s.Scale[j] = math.Sqrt(s.Scale[j] / float64(n))
		if s.Scale[j] < 10*0x1p-52 {
			s.Scale[j] = 1
		}
	}
	return s, nil
}

// Transform returns the standardised rows of x (computed in float64, rounded to float32).
func (s *Standardizer) Transform(x []float32) ([]float32, error) {
	if _, err := probeRows(x, s.Dim, "x"); err != nil {
		return nil, fmt.Errorf("evaluation: Standardizer: %w", err)
	}
	out := make([]float32, len(x))
	for i, v := range x {
		j := i % s.Dim
		out[i] = float32((float64(v) - s.Mean[j]) / s.Scale[j])
	}
	return out, nil
}

// ---- validation and small numeric helpers ------------------------------------------------------------------

// probeRows checks a row-major matrix with dim columns (finite values) and returns its number of rows.
func probeRows(x []float32, dim int, name string) (int, error) {
	if dim <= 0 {
		return 0, fmt.Errorf("%s: dim must be positive, got %d", name, dim)
	}
	if len(x)%dim != 0 {
		return 0, fmt.Errorf("%s: %d values is not a multiple of dim=%d", name, len(x), dim)
	}
	for i, v := range x {
		if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, fmt.Errorf("%s: row %d column %d is %v: remove or impute non-finite features", name, i/dim, i%dim, v)
		}
	}
	return len(x) / dim, nil
}

// probeCheckMatrix checks that x holds n >= 1 finite rows of dim columns.
func probeCheckMatrix(x []float32, n, dim int, name string) error {
	if n < 1 || dim < 1 {
		return fmt.Errorf("%s: need n >= 1 rows and dim >= 1 columns, got n=%d dim=%d", name, n, dim)
	}
	if len(x) != n*dim {
		return fmt.Errorf("%s has %d values, want n*dim = %d*%d", name, len(x), n, dim)
	}
	_, err := probeRows(x, dim, name)
	return err
}

// probeLinear returns the n x rows matrix x W^T + b for coef (rows x dim) and intercept (rows).
func probeLinear(x []float32, n, dim int, coef, intercept []float64) []float64 {
	rows := len(intercept)
	out := make([]float64, n*rows)
	for i := 0; i < n; i++ {
		xi := x[i*dim : (i+1)*dim]
		for r := 0; r < rows; r++ {
			out[i*rows+r] = intercept[r] + probeDot(coef[r*dim:(r+1)*dim], xi)
		}
	}
	return out
}

// probeDot is w . x with four interleaved accumulators (a fixed summation order: deterministic).
func probeDot(w []float64, x []float32) float64 {
	w = w[:len(x)]
	var s0, s1, s2, s3 float64
	j := 0
	for ; j+4 <= len(x); j += 4 {
		xs, ws := x[j:j+4:j+4], w[j:j+4:j+4]
		s0 += ws[0] * float64(xs[0])
		s1 += ws[1] * float64(xs[1])
		s2 += ws[2] * float64(xs[2])
		s3 += ws[3] * float64(xs[3])
	}
	for ; j < len(x); j++ {
		s0 += w[j] * float64(x[j])
	}
	return (s0 + s1) + (s2 + s3)
}

// probeSigmoid is 1/(1+exp(-z)) without overflow.
func probeSigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// probeSoftplus is log(1+exp(z)) without overflow.
func probeSoftplus(z float64) float64 {
	if z > 0 {
		return z + math.Log1p(math.Exp(-z))
	}
	return math.Log1p(math.Exp(z))
}

// probeSoftmax writes softmax(z) to p and returns log(sum(exp(z))).
func probeSoftmax(z, p []float64) float64 {
	m := z[0]
	for _, v := range z[1:] {
		m = max(m, v)
	}
	s := 0.0
	for r, v := range z {
		p[r] = math.Exp(v - m)
		s += p[r]
	}
	for r := range p {
		p[r] /= s
	}
	return m + math.Log(s)
}

func probeArgmax(z []float64) int {
	best := 0
	for r, v := range z {
		if v > z[best] {
			best = r
		}
	}
	return best
}

// ---- the objective -------------------------------------------------------------------------------------------

// probeProblem is the penalised log-loss of one logistic regression. Parameters w are rows blocks of dim+1
// values: the coefficients of one row, then its intercept. rows == 1 is the binary loss (labels 0/1), rows
// >= 3 the multinomial one (labels in [0, rows)).
type probeProblem struct {
	x         []float32
	n, dim    int
	rows      int
	labels    []int
	invC      float64
	chunkGrad [][]float64 // per-chunk gradient buffers, reused across evaluations
}

// probeChunkRows is the number of rows above which the objective is split into parallel chunks; the number of
// chunks depends on n only, so that the floating-point sums do not depend on the machine.
const probeChunkRows = 512

func (p *probeProblem) unpack(w, coef, intercept []float64) {
	for r := 0; r < p.rows; r++ {
		copy(coef[r*p.dim:(r+1)*p.dim], w[r*(p.dim+1):r*(p.dim+1)+p.dim])
		intercept[r] = w[r*(p.dim+1)+p.dim]
	}
}

// eval returns f(w) and writes its gradient into grad.
func (p *probeProblem) eval(w, grad []float64) float64 {
	chunks := min(16, (p.n+probeChunkRows-1)/probeChunkRows)
	if len(p.chunkGrad) != chunks {
		p.chunkGrad = make([][]float64, chunks)
		for c := range p.chunkGrad {
			p.chunkGrad[c] = make([]float64, len(w))
		}
	}
	losses := make([]float64, chunks)
	body := func(c int) {
		lo, hi := c*p.n/chunks, (c+1)*p.n/chunks
		losses[c] = p.evalRows(w, p.chunkGrad[c], lo, hi)
	}
	if chunks == 1 || runtime.GOMAXPROCS(0) == 1 {
		for c := 0; c < chunks; c++ {
			body(c)
		}
	} else {
		var wg sync.WaitGroup
		for c := 0; c < chunks; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				body(c)
			}()
		}
		wg.Wait()
	}
	loss := 0.0
	clear(grad)
	for c := 0; c < chunks; c++ {
		loss += losses[c]
		for j, g := range p.chunkGrad[c] {
			grad[j] += g
		}
	}
	inv := 1 / float64(p.n)
	reg := p.invC * inv
	pen := 0.0
	for r := 0; r < p.rows; r++ {
		o := r * (p.dim + 1)
		for j := o; j < o+p.dim; j++ {
			pen += w[j] * w[j]
			grad[j] = grad[j]*inv + reg*w[j]
		}
		grad[o+p.dim] *= inv
	}
	return loss*inv + 0.5*reg*pen
}

// evalRows returns the summed log-loss of rows [lo, hi) and writes its (unscaled) gradient into g.
func (p *probeProblem) evalRows(w, g []float64, lo, hi int) float64 {
	clear(g)
	dim, stride := p.dim, p.dim+1
	loss := 0.0
	if p.rows == 1 {
		for i := lo; i < hi; i++ {
			xi := p.x[i*dim : (i+1)*dim]
			z := w[dim] + probeDot(w[:dim], xi)
			y := float64(p.labels[i])
			loss += probeSoftplus(z) - y*z
			e := probeSigmoid(z) - y
			probeAxpy32(e, xi, g[:dim])
			g[dim] += e
		}
		return loss
	}
	z := make([]float64, p.rows)
	pr := make([]float64, p.rows)
	for i := lo; i < hi; i++ {
		xi := p.x[i*dim : (i+1)*dim]
		for r := range z {
			z[r] = w[r*stride+dim] + probeDot(w[r*stride:r*stride+dim], xi)
		}
		y := p.labels[i]
		loss += probeSoftmax(z, pr) - z[y]
		pr[y] -= 1
		for r, e := range pr {
			gr := g[r*stride : (r+1)*stride]
			probeAxpy32(e, xi, gr[:dim])
			gr[dim] += e
		}
	}
	return loss
}

// ---- L-BFGS ----------------------------------------------------------------------------------------------------

type probeLBFGSResult struct {
	iterations int
	converged  bool
	gradMax, f float64
}

var errProbeLineSearch = errors.New("line search made no progress")

// probeLBFGS minimises f from w (updated in place) until max|grad| <= tol or maxIter iterations.
func probeLBFGS(f func(w, grad []float64) float64, w []float64, maxIter int, tol float64) probeLBFGSResult {
	const mem = 10
	np := len(w)
	g := make([]float64, np)
	fx := f(w, g)
	res := probeLBFGSResult{f: fx, gradMax: probeMaxAbs(g)}
	if res.gradMax <= tol {
		res.converged = true
		return res
	}
	var sHist, yHist [][]float64
	var rho []float64
	d := make([]float64, np)
	alpha := make([]float64, mem)
	wNew, gNew := make([]float64, np), make([]float64, np)
	first := true
	for res.iterations < maxIter {
		// Search direction: d = -H g by the two-loop recursion.
		for j := range d {
			d[j] = -g[j]
		}
		for k := len(sHist) - 1; k >= 0; k-- {
			alpha[k] = rho[k] * probeDot64(sHist[k], d)
			probeAxpy(-alpha[k], yHist[k], d)
		}
		if k := len(sHist) - 1; k >= 0 {
			gamma := probeDot64(sHist[k], yHist[k]) / probeDot64(yHist[k], yHist[k])
			for j := range d {
				d[j] *= gamma
			}
		}
		for k := range sHist {
			beta := rho[k] * probeDot64(yHist[k], d)
			probeAxpy(alpha[k]-beta, sHist[k], d)
		}
		dg := probeDot64(d, g)
		if !(dg < 0) {
			// Not a descent direction (rounding in a stale memory): restart from steepest descent.
			sHist, yHist, rho = nil, nil, nil
			for j := range d {
				d[j] = -g[j]
			}
			dg = probeDot64(d, g)
		}
		step := 1.0
		if first || len(sHist) == 0 {
			step = min(1, 1/math.Sqrt(-dg))
		}
		fNew, err := probeLineSearch(f, w, fx, g, d, dg, step, wNew, gNew)
		if err != nil {
			if len(sHist) > 0 {
				sHist, yHist, rho = nil, nil, nil
				continue
			}
			break
		}
		first = false
		res.iterations++
		s, y := make([]float64, np), make([]float64, np)
		for j := range s {
			s[j] = wNew[j] - w[j]
			y[j] = gNew[j] - g[j]
		}
		copy(w, wNew)
		copy(g, gNew)
		fx = fNew
		if sy := probeDot64(s, y); sy > 0x1p-52*probeDot64(y, y) {
			if len(sHist) == mem {
				sHist, yHist, rho = sHist[1:], yHist[1:], rho[1:]
			}
			sHist, yHist, rho = append(sHist, s), append(yHist, y), append(rho, 1/sy)
		}
		if probeMaxAbs(g) <= tol {
			res.converged = true
			break
		}
	}
	res.f, res.gradMax = fx, probeMaxAbs(g)
	res.converged = res.gradMax <= tol
	return res
}

// probeLineSearch finds a step t along d satisfying the strong Wolfe conditions (c1 = 1e-4, c2 = 0.9), or,
// close to the optimum where f can no longer resolve the decrease, the approximate Wolfe conditions of
// Hager and Zhang (f within rounding of f0 and a directional derivative in [c2, 2 c1 - 1] x dg). It writes
// the accepted point and its gradient into wNew and gNew and returns f there.
func probeLineSearch(f func(w, grad []float64) float64, w []float64, f0 float64, g0, d []float64, dg0, t float64,
	wNew, gNew []float64) (float64, error) {
	const c1, c2 = 1e-4, 0.9
	epsF := 1e-12 * math.Abs(f0)
	phi := func(t float64) (float64, float64) {
		for j := range w {
			wNew[j] = w[j] + t*d[j]
		}
		fv := f(wNew, gNew)
		return fv, probeDot64(gNew, d)
	}
	// sufficient reports the (possibly approximate) sufficient-decrease condition; curvature the strong one.
	sufficient := func(t, ft, dt float64) bool {
		if ft <= f0+c1*t*dg0 {
			return true
		}
		return ft <= f0+epsF && dt <= (2*c1-1)*dg0
	}
	curvature := func(dt float64) bool { return math.Abs(dt) <= -c2*dg0 }

	tPrev, fPrev, dPrev := 0.0, f0, dg0
	var tLo, fLo, dLo, tHi, fHi, dHi float64
	zoom := false
	for it := 0; it < 40; it++ {
		ft, dt := phi(t)
		if math.IsNaN(ft) || math.IsInf(ft, 0) {
			// Overflow far along d: shrink.
			tLo, fLo, dLo, tHi, fHi, dHi = tPrev, fPrev, dPrev, t, math.Inf(1), 0
			zoom = true
			break
		}
		if !sufficient(t, ft, dt) || (it > 0 && ft >= fPrev) {
			tLo, fLo, dLo, tHi, fHi, dHi = tPrev, fPrev, dPrev, t, ft, dt
			zoom = true
			break
		}
		if curvature(dt) {
			return ft, nil
		}
		if dt >= 0 {
			tLo, fLo, dLo, tHi, fHi, dHi = t, ft, dt, tPrev, fPrev, dPrev
			zoom = true
			break
		}
		tPrev, fPrev, dPrev = t, ft, dt
		t *= 4
	}
	if !zoom {
		return 0, errProbeLineSearch
	}
	for it := 0; it < 60; it++ {
		lo, hi := min(tLo, tHi), max(tLo, tHi)
		width := hi - lo
		if width <= 1e-16*max(hi, 1e-300) {
			break
		}
		t := probeCubicMin(tLo, fLo, dLo, tHi, fHi, dHi)
		if math.IsNaN(t) || t < lo+0.1*width || t > hi-0.1*width {
			t = lo + 0.5*width
		}
		ft, dt := phi(t)
		if math.IsNaN(ft) || math.IsInf(ft, 0) || !sufficient(t, ft, dt) || ft >= fLo {
			tHi, fHi, dHi = t, ft, dt
			continue
		}
		if curvature(dt) {
			return ft, nil
		}
		if dt*(tHi-tLo) >= 0 {
			tHi, fHi, dHi = tLo, fLo, dLo
		}
		tLo, fLo, dLo = t, ft, dt
	}
	// No Wolfe point found: accept the best point seen if it decreased f.
	if tLo > 0 && fLo < f0 {
		fv, _ := phi(tLo)
		return fv, nil
	}
	return 0, errProbeLineSearch
}

// probeCubicMin is the minimiser of the cubic interpolating (a, fa, da) and (b, fb, db), NaN when undefined.
func probeCubicMin(a, fa, da, b, fb, db float64) float64 {
	if math.IsInf(fb, 0) || math.IsInf(fa, 0) {
		return math.NaN()
	}
	d1 := da + db - 3*(fa-fb)/(a-b)
	disc := d1*d1 - da*db
	if disc < 0 {
		return math.NaN()
	}
	d2 := math.Copysign(math.Sqrt(disc), b-a)
	return b - (b-a)*(db+d2-d1)/(db-da+2*d2)
}

func probeDot64(a, b []float64) float64 {
	b = b[:len(a)]
	s := 0.0
	for j, v := range a {
		s += v * b[j]
	}
	return s
}

func probeAxpy(a float64, x, y []float64) {
	y = y[:len(x)]
	for j, v := range x {
		y[j] += a * v
	}
}

// probeAxpy32 is y += a x.
func probeAxpy32(a float64, x []float32, y []float64) {
	y = y[:len(x)]
	j := 0
	for ; j+4 <= len(x); j += 4 {
		xs, ys := x[j:j+4:j+4], y[j:j+4:j+4]
		ys[0] += a * float64(xs[0])
		ys[1] += a * float64(xs[1])
		ys[2] += a * float64(xs[2])
		ys[3] += a * float64(xs[3])
	}
	for ; j < len(x); j++ {
		y[j] += a * float64(x[j])
	}
}

func probeMaxAbs(a []float64) float64 {
	m := 0.0
	for _, v := range a {
		m = max(m, math.Abs(v))
	}
	return m
}
