package objective

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX idiom.
	"github.com/gomlx/gomlx/ml/model"
)

// Defaults of the contrastive objectives.
const (
	// DefaultTemperature is the NT-Xent temperature every contrastive-mir-learning config uses (the function's
	// own default is 1).
	DefaultTemperature = 0.1
	// NTXentLogEps is the constant contrastive-mir-learning adds to the probability inside the log.
	NTXentLogEps = 1e-5
	// DefaultLogitScaleMax is CLIP's cap on exp(logit_scale).
	DefaultLogitScaleMax = 100.0
	// LogitScaleVariableName is the name of the variable created by LogitScaleVariable.
	LogitScaleVariableName = "logit_scale"
)

// DefaultLogitScaleInit is CLIP's initial logit scale, log(1/0.07).
var DefaultLogitScaleInit = math.Log(1 / 0.07)

func checkEmbeddingPair(name string, za, zb *Node) {
	if za.Rank() != 2 || !za.Shape().Equal(zb.Shape()) {
		panic(fmt.Sprintf("%s: za %s and zb %s must both be [batch, dim] with the same shape", name, za.Shape(), zb.Shape()))
	}
	if !za.DType().IsFloat() {
		panic(fmt.Sprintf("%s: embeddings must be floating point, got %s", name, za.DType()))
	}
}

// rowNorms returns the L2 norm of each row of the [n, d] matrix x, as [n] (no epsilon, as in PyTorch's
// x.norm(dim=1)).
func rowNorms(x *Node) *Node {
	return Sqrt(ReduceSum(Square(x), -1))
}

// NTXent is contrastive-mir-learning's utils.contrastive_loss (the symmetric NT-Xent / SimCLR form).
// za and zb are [N, d] embeddings of the same N items in two views; temperature is t (> 0). With
// z = concat(za, zb) ∈ ℝ^{2N×d}:
//
//	S[i,j] = z_i·z_j / (‖z_i‖·‖z_j‖)          (cosine similarity, no epsilon)
//	E      = exp(S/t) ⊙ (1 − I)                (diagonal zeroed)
//	p(i)   = i+N if i < N, else i−N            (positive partner)
//	L      = −(1/2N) Σ_i log( E[i,p(i)] / Σ_{j≠i} E[i,j] + 1e-5 )
//
// The denominator holds the positive, the N−1 cross-view negatives and the N−1 same-view negatives; the +1e-5
// sits inside the log, so the loss is computed directly (no log-sum-exp rewriting). A zero row gives NaN, as in
// the original. It returns a scalar.
//
// It is MaskedNTXent with every row valid.
func NTXent(za, zb *Node, temperature float64) *Node {
	checkEmbeddingPair("NTXent", za, zb)
	return MaskedNTXent(za, zb, allValid(za), temperature)
}

// allValid is the [N] mask with every row of the [N, d] za valid.
func allValid(za *Node) *Node {
	return Ones(za.Graph(), shapes.Make(dtypes.Bool, za.Shape().Dimensions[0]))
}

// NTXentReference computes NTXent in float64 plain Go; za and zb are [N][d].
func NTXentReference(za, zb [][]float64, temperature float64) float64 {
	z := append(append([][]float64{}, za...), zb...)
	m := len(z)
	n := len(za)
	norms := make([]float64, m)
	for i, r := range z {
		norms[i] = math.Sqrt(dot(r, r))
	}
	var total float64
	for i := range m {
		p := i + n
		if i >= n {
			p = i - n
		}
		var pos, denom float64
		for j := range m {
			if j == i {
				continue
			}
			e := math.Exp(dot(z[i], z[j]) / (norms[i] * norms[j]) / temperature)
			denom += e
			if j == p {
				pos = e
			}
		}
		total += math.Log(pos/denom + NTXentLogEps)
	}
	return -total / float64(m)
}

func dot(a, b []float64) float64 {
	var s float64
	for k := range a {
		s += a[k] * b[k]
	}
	return s
}

// l2Normalize divides each row of x by its L2 norm (no epsilon, as CLIP's x / x.norm(dim=-1, keepdim=True)).
func l2Normalize(x *Node) *Node {
	return Div(x, InsertAxes(rowNorms(x), -1))
}

// logSumExp reduces axis of the rank-2 x with the usual max shift, returning a rank-1 result.
func logSumExp(x *Node, axis int) *Node {
	shift := StopGradient(ReduceAndKeep(x, ReduceMax, axis))
	return Add(Log(ReduceSum(Exp(Sub(x, shift)), axis)), Reshape(shift, x.Shape().Dimensions[1-axis]))
}

// InfoNCE is CLIP's symmetric contrastive loss. za and zb are [N, d] embeddings of N matching pairs;
// logitScale is a scalar node holding log of the inverse temperature (see LogitScaleVariable). With the rows
// of za and zb L2-normalised (no epsilon):
//
//	logits = exp(logitScale) · za·zbᵀ          ([N, N])
//	L      = ½ [ CE(logits, arange(N)) + CE(logitsᵀ, arange(N)) ]
//
// where CE is the mean cross-entropy of softmax rows (computed with a stable log-sum-exp). It returns a scalar.
//
// It is MaskedInfoNCE with every row valid.
func InfoNCE(za, zb, logitScale *Node) *Node {
	checkEmbeddingPair("InfoNCE", za, zb)
	return MaskedInfoNCE(za, zb, allValid(za), logitScale)
}

// InfoNCEReference computes InfoNCE in float64 plain Go; za and zb are [N][d], logitScale is log of the
// inverse temperature.
func InfoNCEReference(za, zb [][]float64, logitScale float64) float64 {
	n := len(za)
	scale := math.Exp(logitScale)
	normalize := func(x [][]float64) [][]float64 {
		out := make([][]float64, len(x))
		for i, r := range x {
			norm := math.Sqrt(dot(r, r))
			out[i] = make([]float64, len(r))
			for k, v := range r {
				out[i][k] = v / norm
			}
		}
		return out
	}
	a, b := normalize(za), normalize(zb)
	logits := make([][]float64, n)
	for i := range n {
		logits[i] = make([]float64, n)
		for j := range n {
			logits[i][j] = scale * dot(a[i], b[j])
		}
	}
	lse := func(get func(k int) float64) float64 {
		maxV := math.Inf(-1)
		for k := range n {
			maxV = math.Max(maxV, get(k))
		}
		var s float64
		for k := range n {
			s += math.Exp(get(k) - maxV)
		}
		return maxV + math.Log(s)
	}
	var rowCE, colCE float64
	for i := range n {
		rowCE += lse(func(j int) float64 { return logits[i][j] }) - logits[i][i]
		colCE += lse(func(j int) float64 { return logits[j][i] }) - logits[i][i]
	}
	return 0.5 * (rowCE + colCE) / float64(n)
}

// LogitScaleVariable creates (or reuses) the trainable scalar variable "logit_scale" of the given dtype in
// scope, initialised to init (CLIP: DefaultLogitScaleInit = log(1/0.07)), and returns its value in g clamped to
// ≤ log(maxScale), so exp(logit_scale) never exceeds maxScale (CLIP: DefaultLogitScaleMax = 100; maxScale ≤ 0
// selects that default). Above the cap the returned node has zero gradient, as CLIP's clamp. The stored value
// itself is not clipped.
func LogitScaleVariable(scope *model.Scope, g *Graph, dtype dtypes.DType, init, maxScale float64) *Node {
	if maxScale <= 0 {
		maxScale = DefaultLogitScaleMax
	}
	if !dtype.IsFloat() {
		panic(fmt.Sprintf("LogitScaleVariable: dtype must be floating point, got %s", dtype))
	}
	v := scope.WithInitializer(func(g *Graph, shape shapes.Shape) *Node {
		return Scalar(g, shape.DType, init)
	}).VariableWithShape(LogitScaleVariableName, shapes.Make(dtype))
	return MinScalar(v.NodeValue(g), math.Log(maxScale))
}

// PairLoss is a loss between two [N, d] views of the same N items, returning a scalar.
type PairLoss func(za, zb *Node) *Node

// NTXentPair returns NTXent with a fixed temperature as a PairLoss.
func NTXentPair(temperature float64) PairLoss {
	return func(za, zb *Node) *Node { return NTXent(za, zb, temperature) }
}

// ContrastiveMIRPairs returns contrastive-mir-learning's three pairs for views ordered
// (0: audio, 1: tags, 2: cf): audio–tags, audio–cf, cf–tags, in the order the original sums and logs them.
func ContrastiveMIRPairs() [][2]int {
	return [][2]int{{0, 1}, {0, 2}, {2, 1}}
}

// MultiViewLossTerms evaluates loss(views[p[0]], views[p[1]]) for each pair p in pairs, in order (the per-pair
// terms the original logs as /1, /2, /3). It panics on an empty pairs list or an out-of-range or nil view.
func MultiViewLossTerms(views []*Node, pairs [][2]int, loss PairLoss) []*Node {
	if len(pairs) == 0 {
		panic("MultiViewLoss: no pairs given")
	}
	terms := make([]*Node, len(pairs))
	for k, p := range pairs {
		for _, idx := range p {
			if idx < 0 || idx >= len(views) || views[idx] == nil {
				panic(fmt.Sprintf("MultiViewLoss: pair %d %v refers to a missing view (have %d views)", k, p, len(views)))
			}
		}
		terms[k] = loss(views[p[0]], views[p[1]])
		if terms[k].Rank() != 0 {
			panic(fmt.Sprintf("MultiViewLoss: pair loss for %v returned %s, want a scalar", p, terms[k].Shape()))
		}
	}
	return terms
}

// MultiViewLoss is the unweighted sum of a pairwise loss over chosen view pairs: Σ_{(a,b) ∈ pairs}
// loss(views[a], views[b]). views are [N, d_k] embeddings of the same N items (index = view id); pairs are
// index pairs into views. contrastive-mir-learning's full model is
// MultiViewLoss([]*Node{audio, tags, cf}, ContrastiveMIRPairs(), NTXentPair(DefaultTemperature)).
// It returns a scalar.
func MultiViewLoss(views []*Node, pairs [][2]int, loss PairLoss) *Node {
	terms := MultiViewLossTerms(views, pairs, loss)
	total := terms[0]
	for _, t := range terms[1:] {
		total = Add(total, t)
	}
	return total
}

// MultiViewLossReference computes MultiViewLoss in plain Go with a reference pair loss; views[k] is [N][d_k].
func MultiViewLossReference(views [][][]float64, pairs [][2]int, loss func(za, zb [][]float64) float64) float64 {
	var total float64
	for _, p := range pairs {
		total += loss(views[p[0]], views[p[1]])
	}
	return total
}
