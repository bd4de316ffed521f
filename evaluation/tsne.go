package evaluation

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/musicrep/musicrep/musicrep/index"
)

// TSNEInit chooses the starting point of the t-SNE optimisation.
type TSNEInit int

const (
	// TSNEInitPCA (the default) starts from the first principal components (PCA), scaled so that the first
	// coordinate has standard deviation 1e-4: scikit-learn's default init="pca". Deterministic.
	TSNEInitPCA TSNEInit = iota
	// TSNEInitRandom starts from independent N(0, 1e-4^2) coordinates drawn from math/rand/v2's PCG seeded
	// with (Seed, 0).
	TSNEInitRandom
)

// TSNEOptions configures TSNE. The zero value gives scikit-learn's defaults.
type TSNEOptions struct {
	Components        int     // dimension of the map; 0 means 2
	Perplexity        float64 // effective number of neighbours; 0 means 30; must be < the number of rows
	EarlyExaggeration float64 // factor on P during the first 250 iterations; 0 means 12; must be >= 1
	// LearningRate is the gradient-descent step; 0 means scikit-learn's "auto": max(n / EarlyExaggeration / 4, 50).
	LearningRate float64
	// MaxIter is the total number of gradient steps (the 250 exaggerated ones included); 0 means 1000; must
	// be >= 250.
	MaxIter int
	// NIterWithoutProgress stops the second stage when the KL divergence (checked every 50 iterations) has
	// not improved for more than this many iterations; 0 means 300.
	NIterWithoutProgress int
	MinGradNorm          float64 // stop when the gain-scaled gradient norm falls to this; 0 means 1e-7
	Init                 TSNEInit
	Seed                 uint64 // used by TSNEInitRandom only
}

// TSNEResult is the outcome of FitTSNE.
type TSNEResult struct {
	Embedding    []float32 // n x Components, row-major
	Components   int
	KLDivergence float64 // KL(P || Q) of the returned embedding (without exaggeration)
	Iterations   int     // gradient steps taken (scikit-learn's n_iter_ + 1)
	LearningRate float64 // the step actually used
}

// t-SNE constants of scikit-learn's implementation (sklearn/manifold/_t_sne.py, _utils.pyx).
const (
	tsneExplorationIter = 250     // early-exaggeration stage length (_EXPLORATION_MAX_ITER)
	tsneCheckEvery      = 50      // KL divergence checked every _N_ITER_CHECK iterations
	tsneMinGain         = 0.01    // lower bound of the per-parameter gains
	tsneMachineEps      = 0x1p-52 // MACHINE_EPSILON: floor of P and Q
	tsneSearchSteps     = 100     // perplexity binary-search steps
	tsneChunks          = 16      // fixed work split of the O(n^2) loops (independent of GOMAXPROCS)
)

// TSNE embeds the rows of data (row-major, dim columns) in opt.Components dimensions (2 by default) by
// exact t-SNE and returns the map, n x Components row-major. See FitTSNE.
func TSNE(data []float32, dim int, opt TSNEOptions) ([]float32, error) {
	r, err := FitTSNE(data, dim, opt)
	if err != nil {
		return nil, err
	}
	return r.Embedding, nil
}

// FitTSNE is exact t-SNE (van der Maaten & Hinton 2008) as scikit-learn's TSNE(method="exact"), returning
// the map with its final KL divergence:
//
//   - P: squared Euclidean distances (float64, then rounded to float32 as scikit-learn does), a binary search
//     per row for the Gaussian precision whose conditional distribution has the requested perplexity (100
//     steps, entropy tolerance 1e-5), symmetrised and normalised: P_ij = (p_j|i + p_i|j) / sum, floored at
//     2^-52. Equal to scikit-learn's _joint_probabilities on the same distances (see TSNEJointProbabilities).
//   - Q: Student-t kernel with dof = max(Components-1, 1) degrees of freedom,
//     w_ij = (1 + |y_i - y_j|^2 / dof)^(-(dof+1)/2), Q_ij = max(w_ij / sum w, 2^-52).
//   - Optimisation: scikit-learn's _gradient_descent: 250 iterations with P multiplied by EarlyExaggeration
//     and momentum 0.5, then (gains and momentum buffer reset) momentum 0.8 up to MaxIter; per-parameter gains
//     (+0.2 when the gradient changes sign against the last update, x0.8 otherwise, floored at 0.01); every
//     50 iterations the KL divergence is evaluated and the second stage stops after NIterWithoutProgress
//     iterations without improvement or when the gain-scaled gradient norm is <= MinGradNorm.
//
// The gradient is the exact one, 2(dof+1)/dof * sum_j (P_ij - Q_ij) (1 + d_ij/dof)^-1 (y_i - y_j); for
// 2-D maps (dof = 1) this is scikit-learn's formula term for term (for dof > 1 scikit-learn's exact method
// uses the kernel w_ij in place of (1 + d_ij/dof)^-1). Differences from scikit-learn, which make the maps
// close but not identical: the map is optimised in float64 (scikit-learn float32), the PCA initialisation is
// this package's exact PCA (scikit-learn may use randomized SVD), and KLDivergence is evaluated on the
// returned map (scikit-learn reports the value computed before the last update).
//
// Cost: O(n^2) memory and O(n^2) time per iteration, parallel over a fixed split of the pairs (results do
// not depend on GOMAXPROCS): 822 points take about 2 s of one core for 1000 iterations. Intended for up
// to a few thousand points.
//
// Errors: invalid matrix (dim <= 0, length, NaN/Inf), fewer than 2 rows, Perplexity not in (0, n),
// Components < 0 (or > min(n, dim) with PCA initialisation), EarlyExaggeration < 1, MaxIter < 250, negative
// options.
func FitTSNE(data []float32, dim int, opt TSNEOptions) (*TSNEResult, error) {
	n, err := analysisRows(data, dim, "data")
	if err != nil {
		return nil, fmt.Errorf("evaluation: TSNE: %w", err)
	}
	if opt.Components == 0 {
		opt.Components = 2
	}
	if opt.Perplexity == 0 {
		opt.Perplexity = 30
	}
	if opt.EarlyExaggeration == 0 {
		opt.EarlyExaggeration = 12
	}
	if opt.MaxIter == 0 {
		opt.MaxIter = 1000
	}
	if opt.NIterWithoutProgress == 0 {
		opt.NIterWithoutProgress = 300
	}
	if opt.MinGradNorm == 0 {
		opt.MinGradNorm = 1e-7
	}
	switch {
	case n < 2:
		return nil, fmt.Errorf("evaluation: TSNE: need at least 2 rows, got %d", n)
	case opt.Components < 0:
		return nil, fmt.Errorf("evaluation: TSNE: Components must be positive, got %d", opt.Components)
	case !(opt.Perplexity > 0 && opt.Perplexity < float64(n)):
		return nil, fmt.Errorf("evaluation: TSNE: Perplexity must be in (0, %d) (the number of rows), got %v", n, opt.Perplexity)
	case !(opt.EarlyExaggeration >= 1):
		return nil, fmt.Errorf("evaluation: TSNE: EarlyExaggeration must be >= 1, got %v", opt.EarlyExaggeration)
	case opt.MaxIter < tsneExplorationIter:
		return nil, fmt.Errorf("evaluation: TSNE: MaxIter must be >= %d, got %d", tsneExplorationIter, opt.MaxIter)
	case opt.LearningRate < 0 || opt.NIterWithoutProgress < 0 || opt.MinGradNorm < 0:
		return nil, fmt.Errorf("evaluation: TSNE: LearningRate, NIterWithoutProgress and MinGradNorm must not be negative")
	case opt.Init != TSNEInitPCA && opt.Init != TSNEInitRandom:
		return nil, fmt.Errorf("evaluation: TSNE: unknown Init %d", opt.Init)
	}
	c := opt.Components
	lr := opt.LearningRate
	if lr == 0 {
		lr = max(float64(n)/opt.EarlyExaggeration/4, 50)
	}

	y := make([]float64, n*c)
	switch opt.Init {
	case TSNEInitPCA:
		p, err := PCA(data, dim, c)
		if err != nil {
			return nil, fmt.Errorf("evaluation: TSNE: PCA initialisation: %w", err)
		}
		mean, sq := 0.0, 0.0
		for i := 0; i < n; i++ {
			mean += float64(p.Projected[i*c])
		}
		mean /= float64(n)
		for i := 0; i < n; i++ {
			d := float64(p.Projected[i*c]) - mean
			sq += d * d
		}
		scale := 1e-4
		if std := math.Sqrt(sq / float64(n)); std > 0 {
			scale /= std
		}
		for i, v := range p.Projected {
			y[i] = float64(v) * scale
		}
	case TSNEInitRandom:
		rng := rand.New(rand.NewPCG(opt.Seed, 0))
		for i := range y {
			y[i] = 1e-4 * rng.NormFloat64()
		}
	}

	x := analysisFloat64(data)
	cond := tsneConditionalP(tsneSqDist32(x, n, dim), n, opt.Perplexity)
	s := newTSNEState(n, c, tsneJointCondensed(cond, n), y)
	cond = nil

	last := s.descend(0, tsneExplorationIter, 0.5, opt.EarlyExaggeration, lr, tsneExplorationIter, opt.MinGradNorm)
	last = s.descend(last+1, opt.MaxIter, 0.8, 1, lr, opt.NIterWithoutProgress, opt.MinGradNorm)
	kl := s.objective(1, true)
	emb := make([]float32, n*c)
	for i, v := range s.y {
		emb[i] = float32(v)
	}
	return &TSNEResult{Embedding: emb, Components: c, KLDivergence: kl, Iterations: last + 1, LearningRate: lr}, nil
}

// TSNEJointProbabilities returns the symmetric t-SNE input affinities P of the rows of data as a full n x n
// row-major matrix with a zero diagonal: off the diagonal, P_ij equals scikit-learn's
// squareform(_joint_probabilities(D, perplexity)) for D the squared Euclidean distances (computed in float64
// from the float32 rows, then rounded to float32 as scikit-learn does). The off-diagonal entries sum to 1
// (up to the 2^-52 floor). Errors: invalid matrix, fewer than 2 rows, perplexity not in (0, n).
func TSNEJointProbabilities(data []float32, dim int, perplexity float64) ([]float64, error) {
	n, err := analysisRows(data, dim, "data")
	if err != nil {
		return nil, fmt.Errorf("evaluation: TSNEJointProbabilities: %w", err)
	}
	if n < 2 {
		return nil, fmt.Errorf("evaluation: TSNEJointProbabilities: need at least 2 rows, got %d", n)
	}
	if !(perplexity > 0 && perplexity < float64(n)) {
		return nil, fmt.Errorf("evaluation: TSNEJointProbabilities: perplexity must be in (0, %d), got %v", n, perplexity)
	}
	p := tsneJointCondensed(tsneConditionalP(tsneSqDist32(analysisFloat64(data), n, dim), n, perplexity), n)
	full := make([]float64, n*n)
	idx := 0
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			full[i*n+j] = p[idx]
			full[j*n+i] = p[idx]
			idx++
		}
	}
	return full, nil
}

// tsneSqDist32 returns the n x n squared Euclidean distances of the rows of x (float64 sums of the squared
// differences), rounded to float32.
func tsneSqDist32(x []float64, n, dim int) []float32 {
	d := make([]float32, n*n)
	b := analysisRowChunks(n, 64)
	analysisParallel(len(b)-1, func(ch int) {
		for i := b[ch]; i < b[ch+1]; i++ {
			xi := x[i*dim : (i+1)*dim]
			for j := 0; j < n; j++ {
				if j != i {
					d[i*n+j] = float32(analysisSqDist(xi, x[j*dim:(j+1)*dim]))
				}
			}
		}
	})
	return d
}

// tsneConditionalP is scikit-learn's _binary_search_perplexity on a full n x n float32 squared-distance
// matrix: row i of the result is p_j|i = exp(-d_ij beta_i) / sum, with beta_i found by bisection (from 1,
// doubling/halving until bracketed) so that the entropy is log(perplexity) within 1e-5, at most 100 steps.
// The constants are the float32 values of the Cython code (tolerance float32(1e-5), sum floor
// float32(1e-8), perplexity passed as a C float).
func tsneConditionalP(d []float32, n int, perplexity float64) []float64 {
	tol := float64(float32(1e-5))
	floor := float64(float32(1e-8))
	desired := math.Log(float64(float32(perplexity)))
	p := make([]float64, n*n)
	b := analysisRowChunks(n, 64)
	analysisParallel(len(b)-1, func(ch int) {
		for i := b[ch]; i < b[ch+1]; i++ {
			di, pi := d[i*n:(i+1)*n], p[i*n:(i+1)*n]
			betaMin, betaMax, beta := math.Inf(-1), math.Inf(1), 1.0
			for step := 0; step < tsneSearchSteps; step++ {
				sum := 0.0
				for j, v := range di {
					if j != i {
						pi[j] = math.Exp(-float64(v) * beta)
						sum += pi[j]
					}
				}
				if sum == 0 {
					sum = floor
				}
				sumDP := 0.0
				for j, v := range di {
					pi[j] /= sum
					sumDP += float64(v) * pi[j]
				}
				diff := math.Log(sum) + beta*sumDP - desired
				if math.Abs(diff) <= tol {
					break
				}
				if diff > 0 {
					betaMin = beta
					if math.IsInf(betaMax, 1) {
						beta *= 2
					} else {
						beta = (beta + betaMax) / 2
					}
				} else {
					betaMax = beta
					if math.IsInf(betaMin, -1) {
						beta /= 2
					} else {
						beta = (beta + betaMin) / 2
					}
				}
			}
		}
	})
	return p
}

// tsneJointCondensed symmetrises the conditional probabilities (n x n) into the condensed upper triangle
// (pairs (i, j), i < j, row by row): P_ij = max((p_j|i + p_i|j) / S, 2^-52), S the sum of the full
// symmetrised matrix, as scikit-learn's _joint_probabilities.
func tsneJointCondensed(cond []float64, n int) []float64 {
	sum := 0.0
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			sum += cond[i*n+j] + cond[j*n+i]
		}
	}
	sum = max(sum, tsneMachineEps)
	out := make([]float64, 0, n*(n-1)/2)
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			out = append(out, max((cond[i*n+j]+cond[j*n+i])/sum, tsneMachineEps))
		}
	}
	return out
}

// tsneState holds the optimisation variables and scratch space of one t-SNE run.
type tsneState struct {
	n, c   int
	dof    float64
	p      []float64   // condensed joint P
	w      []float64   // condensed kernel values of the current map
	y      []float64   // the map, n x c
	grad   []float64   // gradient, n x c
	parts  [][]float64 // per-chunk gradient accumulators
	bounds []int       // row ranges of the chunks, balanced by pair count
	zs     []float64   // per-chunk kernel sums
	kls    []float64   // per-chunk KL sums
	// objective2D's coordinate-major copies of the map and per-chunk gradient views
	xs, ys   []float64
	gxs, gys [][]float64
}

func newTSNEState(n, c int, p, y []float64) *tsneState {
	s := &tsneState{n: n, c: c, dof: float64(max(c-1, 1)), p: p, y: y,
		w: make([]float64, len(p)), grad: make([]float64, n*c)}
	// Row i owns the pairs (i, j > i): split the rows so every chunk has about the same number of pairs.
	total := n * (n - 1) / 2
	chunks := max(1, min(tsneChunks, n-1))
	s.bounds = []int{0}
	acc := 0
	for i := 0; i < n; i++ {
		acc += n - 1 - i
		if len(s.bounds) < chunks && acc*chunks >= total*len(s.bounds) {
			s.bounds = append(s.bounds, i+1)
		}
	}
	if s.bounds[len(s.bounds)-1] != n {
		s.bounds = append(s.bounds, n)
	}
	k := len(s.bounds) - 1
	s.parts = make([][]float64, k)
	for i := range s.parts {
		s.parts[i] = make([]float64, n*c)
	}
	s.zs = make([]float64, k)
	s.kls = make([]float64, k)
	return s
}

// pairOffset is the condensed index of the pair (i, i+1).
func (s *tsneState) pairOffset(i int) int { return i*s.n - i*(i+1)/2 }

// objective fills s.grad with the gradient of KL(exag*P || Q) at s.y and returns the divergence when
// withKL (NaN otherwise).
func (s *tsneState) objective(exag float64, withKL bool) float64 {
	if s.c == 2 && s.dof == 1 {
		return s.objective2D(exag, withKL)
	}
	return s.objectiveGeneric(exag, withKL)
}

// objectiveGeneric is objective for any map dimension and degrees of freedom.
func (s *tsneState) objectiveGeneric(exag float64, withKL bool) float64 {
	n, c, y := s.n, s.c, s.y
	alpha := s.dof
	power := -(alpha + 1) / 2
	chunks := len(s.bounds) - 1
	analysisParallel(chunks, func(ch int) {
		z := 0.0
		idx := s.pairOffset(s.bounds[ch])
		for i := s.bounds[ch]; i < s.bounds[ch+1]; i++ {
			yi := y[i*c : (i+1)*c]
			for j := i + 1; j < n; j++ {
				d := analysisSqDist(yi, y[j*c:(j+1)*c])
				var w float64
				if alpha == 1 {
					w = 1 / (1 + d)
				} else {
					w = math.Pow(1+d/alpha, power)
				}
				s.w[idx] = w
				z += w
				idx++
			}
		}
		s.zs[ch] = z
	})
	z := 0.0
	for _, v := range s.zs {
		z += v
	}
	z *= 2
	analysisParallel(chunks, func(ch int) {
		g := s.parts[ch]
		clear(g)
		kl := 0.0
		idx := s.pairOffset(s.bounds[ch])
		for i := s.bounds[ch]; i < s.bounds[ch+1]; i++ {
			yi := y[i*c : (i+1)*c]
			gi := g[i*c : (i+1)*c]
			for j := i + 1; j < n; j++ {
				w := s.w[idx]
				pij := exag * s.p[idx]
				q := max(w/z, tsneMachineEps)
				if withKL {
					kl += pij * math.Log(max(pij, tsneMachineEps)/q)
				}
				f := w
				yj := y[j*c : (j+1)*c]
				if alpha != 1 {
					f = 1 / (1 + analysisSqDist(yi, yj)/alpha)
				}
				m := (pij - q) * f
				gj := g[j*c : (j+1)*c]
				for t := range gi {
					dt := m * (yi[t] - yj[t])
					gi[t] += dt
					gj[t] -= dt
				}
				idx++
			}
		}
		s.kls[ch] = kl
	})
	factor := 2 * (alpha + 1) / alpha
	clear(s.grad)
	kl := 0.0
	for ch := 0; ch < chunks; ch++ {
		for t, v := range s.parts[ch] {
			s.grad[t] += v
		}
		kl += s.kls[ch]
	}
	for t := range s.grad {
		s.grad[t] *= factor
	}
	if !withKL {
		return math.NaN()
	}
	return 2 * kl
}

// objective2D is objective for 2-D maps (dof = 1), with the inner loops written out on separate coordinate
// arrays; it computes the same quantities in the same order, except that Q is w * (1/Z) instead of w / Z (a
// last-bit difference).
func (s *tsneState) objective2D(exag float64, withKL bool) float64 {
	n := s.n
	if s.xs == nil {
		s.xs, s.ys = make([]float64, n), make([]float64, n)
		s.gxs, s.gys = make([][]float64, len(s.parts)), make([][]float64, len(s.parts))
		for ch := range s.parts {
			s.gxs[ch], s.gys[ch] = s.parts[ch][:n], s.parts[ch][n:2*n]
		}
	}
	xs, ys := s.xs, s.ys
	for i := 0; i < n; i++ {
		xs[i], ys[i] = s.y[2*i], s.y[2*i+1]
	}
	chunks := len(s.bounds) - 1
	analysisParallel(chunks, func(ch int) {
		z := 0.0
		idx := s.pairOffset(s.bounds[ch])
		for i := s.bounds[ch]; i < s.bounds[ch+1]; i++ {
			m := n - 1 - i
			xi, yi := xs[i], ys[i]
			ws := s.w[idx : idx+m]
			rx, ry := xs[i+1:n], ys[i+1:n]
			rx, ry = rx[:len(ws)], ry[:len(ws)]
			for k := range ws {
				dx := xi - rx[k]
				dy := yi - ry[k]
				w := 1 / (1 + (dx*dx + dy*dy))
				ws[k] = w
				z += w
			}
			idx += m
		}
		s.zs[ch] = z
	})
	z := 0.0
	for _, v := range s.zs {
		z += v
	}
	invZ := 1 / (2 * z)
	analysisParallel(chunks, func(ch int) {
		gxs, gys := s.gxs[ch], s.gys[ch]
		clear(gxs)
		clear(gys)
		kl := 0.0
		idx := s.pairOffset(s.bounds[ch])
		for i := s.bounds[ch]; i < s.bounds[ch+1]; i++ {
			m := n - 1 - i
			xi, yi := xs[i], ys[i]
			ws := s.w[idx : idx+m]
			ps := s.p[idx : idx+m]
			rx, ry := xs[i+1:n], ys[i+1:n]
			gx, gy := gxs[i+1:n], gys[i+1:n]
			ps, rx, ry, gx, gy = ps[:len(ws)], rx[:len(ws)], ry[:len(ws)], gx[:len(ws)], gy[:len(ws)]
			sx, sy := 0.0, 0.0
			for k, w := range ws {
				q := w * invZ
				if q < tsneMachineEps {
					q = tsneMachineEps
				}
				f := (exag*ps[k] - q) * w
				dx := (xi - rx[k]) * f
				dy := (yi - ry[k]) * f
				sx += dx
				sy += dy
				gx[k] -= dx
				gy[k] -= dy
			}
			gxs[i] += sx
			gys[i] += sy
			if withKL {
				for k, w := range ws {
					pij := exag * ps[k]
					kl += pij * math.Log(max(pij, tsneMachineEps)/max(w*invZ, tsneMachineEps))
				}
			}
			idx += m
		}
		s.kls[ch] = kl
	})
	clear(s.grad)
	kl := 0.0
	for ch := 0; ch < chunks; ch++ {
		gxs, gys := s.gxs[ch], s.gys[ch]
		for i := 0; i < n; i++ {
			s.grad[2*i] += gxs[i]
			s.grad[2*i+1] += gys[i]
		}
		kl += s.kls[ch]
	}
	for t := range s.grad {
		s.grad[t] *= 4
	}
	if !withKL {
		return math.NaN()
	}
	return 2 * kl
}

// descend is scikit-learn's _gradient_descent from iteration it0 up to maxIter (exclusive) with fresh gains
// and momentum buffer; it returns the index of the last iteration run (it0-1 when none).
func (s *tsneState) descend(it0, maxIter int, momentum, exag, lr float64, withoutProgress int, minGradNorm float64) int {
	update := make([]float64, len(s.y))
	gains := make([]float64, len(s.y))
	for i := range gains {
		gains[i] = 1
	}
	bestErr, bestIter, last := math.MaxFloat64, it0, it0-1
	for i := it0; i < maxIter; i++ {
		last = i
		check := (i+1)%tsneCheckEvery == 0
		kl := s.objective(exag, check || i == maxIter-1)
		for t, g := range s.grad {
			if update[t]*g < 0 {
				gains[t] += 0.2
			} else {
				gains[t] *= 0.8
			}
			gains[t] = max(gains[t], tsneMinGain)
			g *= gains[t]
			s.grad[t] = g
			update[t] = momentum*update[t] - lr*g
			s.y[t] += update[t]
		}
		if check {
			norm := 0.0
			for _, g := range s.grad {
				norm += g * g
			}
			if kl < bestErr {
				bestErr, bestIter = kl, i
			} else if i-bestIter > withoutProgress {
				break
			}
			if math.Sqrt(norm) <= minGradNorm {
				break
			}
		}
	}
	return last
}

// Trustworthiness measures how well the k nearest neighbours in the low-dimensional map (low, lowDim
// columns) are true neighbours in the original space (high, highDim columns), as
// sklearn.manifold.trustworthiness(high, low, n_neighbors=k) with the Euclidean metric:
//
//	T(k) = 1 - 2 / (n k (2n - 3k - 1)) * sum_i sum_{j in N_k(i)} max(0, r(i, j) - k)
//
// where N_k(i) are the k nearest neighbours of row i in the map (itself excluded) and r(i, j) is the rank of
// j among the other rows by distance to i in the original space (1 = nearest). 1 means every map
// neighbour is among the k true nearest. Distances are exact float64; ties (equal distances) are broken by
// the smaller row index, which scikit-learn leaves to its sort, so only inputs without ties are guaranteed
// to give scikit-learn's value to the last bit. Cost O(n^2 (highDim + k)), parallel over rows.
//
// Trustworthiness panics (programmer misuse: the signature has no error) if a dim is <= 0, a length is not
// a multiple of its dim, the two matrices have different numbers of rows, a value is NaN/Inf, or k is not
// in [1, n/2) (scikit-learn raises ValueError for k >= n/2).
func Trustworthiness(high []float32, highDim int, low []float32, lowDim, k int) float64 {
	n, err := analysisRows(high, highDim, "high")
	if err != nil {
		panic("evaluation: Trustworthiness: " + err.Error())
	}
	nl, err := analysisRows(low, lowDim, "low")
	if err != nil {
		panic("evaluation: Trustworthiness: " + err.Error())
	}
	if n != nl {
		panic(fmt.Sprintf("evaluation: Trustworthiness: %d rows in high but %d in low", n, nl))
	}
	if k < 1 || float64(k) >= float64(n)/2 {
		panic(fmt.Sprintf("evaluation: Trustworthiness: k (%d) must be >= 1 and less than n/2 (%v)", k, float64(n)/2))
	}
	hx, lx := analysisFloat64(high), analysisFloat64(low)
	b := analysisRowChunks(n, 64)
	sums := make([]int64, len(b)-1)
	analysisParallel(len(b)-1, func(ch int) {
		dh := make([]float64, n)
		nn := make([]index.Neighbor, 0, k+1)
		var t int64
		for i := b[ch]; i < b[ch+1]; i++ {
			hi, li := hx[i*highDim:(i+1)*highDim], lx[i*lowDim:(i+1)*lowDim]
			nn = nn[:0]
			for j := 0; j < n; j++ {
				if j == i {
					continue
				}
				dh[j] = analysisSqDist(hi, hx[j*highDim:(j+1)*highDim])
				cand := index.Neighbor{Index: j, Dist: analysisSqDist(li, lx[j*lowDim:(j+1)*lowDim])}
				if len(nn) == k && !tsneTrustBefore(cand, nn[k-1]) {
					continue
				}
				if len(nn) < k {
					nn = append(nn, cand)
				} else {
					nn[k-1] = cand
				}
				for p := len(nn) - 1; p > 0 && tsneTrustBefore(nn[p], nn[p-1]); p-- {
					nn[p], nn[p-1] = nn[p-1], nn[p]
				}
			}
			for _, nb := range nn {
				j := nb.Index
				r := int64(1)
				for l := 0; l < n; l++ {
					if l != i && l != j && (dh[l] < dh[j] || (dh[l] == dh[j] && l < j)) {
						r++
					}
				}
				if r > int64(k) {
					t += r - int64(k)
				}
			}
		}
		sums[ch] = t
	})
	var t int64
	for _, v := range sums {
		t += v
	}
	return 1 - float64(t)*(2/(float64(n*k)*(2*float64(n)-3*float64(k)-1)))
}

// tsneTrustBefore orders map neighbours: smaller distance first, then smaller index.
func tsneTrustBefore(a, b index.Neighbor) bool {
	if a.Dist != b.Dist {
		return a.Dist < b.Dist
	}
	return a.Index < b.Index
}
