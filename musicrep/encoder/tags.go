package encoder

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX idiom.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/norm"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// Variable and sub-scope names used by the encoders (relative to the scope they are given).
const (
	// EmbeddingsVariable is the [vocabSize+1, dim] tag embedding table (row 0 = padding).
	EmbeddingsVariable = "embeddings"
	// LayerNormEpsilon is the epsilon of both encoders' final LayerNorm (PyTorch's eps=1e-6 in the seed).
	LayerNormEpsilon = 1e-6
	// MaskedScore is the attention score given to padding keys, as in the seed's masked_fill(-1e9).
	MaskedScore = -1e9
)

// SelfAttentionParams is the number of trainable parameters of SelfAttention: the embedding table
// ((vocabSize+1)·dim), W_q, W_k, W_v (3·dim·heads·dim), the output projection (heads·dim·dim) and the
// LayerNorm gain and offset (2·dim). contrastive-mir's 249 genres, 128-d, 4 heads: 294,400.
func SelfAttentionParams(vocabSize, dim, heads int) int {
	return (vocabSize+1)*dim + 4*heads*dim*dim + 2*dim
}

// MeanParams is the number of trainable parameters of Mean: the projection (dim·dim) and the LayerNorm
// (2·dim); the embedding table is frozen.
func MeanParams(dim int) int { return dim*dim + 2*dim }

// HasTags returns [batch] booleans: whether each row of ids ([batch, maxTags], 0 = padding) holds a tag.
// Use it to mask tracks without tags out of a loss.
func HasTags(ids *Node) *Node {
	checkIDs("HasTags", ids)
	return ReduceLogicalOr(NotEqual(ids, ScalarZero(ids.Graph(), ids.DType())), -1)
}

// SelfAttention is contrastive-mir's TagSelfAttentionEncoder (SEEDS_SPEC B2.2): ids [batch, L] (integer,
// 0 = padding, i = row i of the table) → [batch, dim].
//
// The trainable embedding table ((vocabSize+1)×dim, EmbeddingsVariable) is initialised from table, a
// row-major (vocabSize+1)·dim slice (row 0 the padding row, zeros in the seed); table may be nil when the
// variable already exists in the scope (a loaded checkpoint). The tag embeddings e are the queries, keys and
// values: per head h, q_h = e·W_q,h, k_h = e·W_k,h, v_h = e·W_v,h (Linear dim→heads·dim without bias, sub-scopes
// "query", "key", "value"), scores = (q_h/√dim)·k_hᵀ with padding KEYS set to −1e9, softmax over the keys,
// dropout on the attention weights (training only), output_h = attention·v_h. The heads are concatenated,
// projected by Linear(heads·dim→dim, no bias, sub-scope "output"), dropped out (training only), summed over
// the L positions, padding positions included as in the seed, and layer-normalised (eps 1e-6, learned gain
// and offset).
//
// A row of only padding attends uniformly to every position (all its scores are −1e9): its output is finite,
// the LayerNorm offset while the padding row of the table is zero. Misuse (wrong ranks, sizes, table length)
// panics, as graph-building code does.
func SelfAttention(scope *model.Scope, ids *Node, table []float32, vocabSize, dim, heads int, dropout float64) *Node {
	return selfAttention(scope, ids, table, vocabSize, dim, heads, dropout, dtypes.Float32)
}

// Mean is contrastive-mir's TagMeanEncoder (SEEDS_SPEC B2.3): ids [batch, L] → [batch, dim]. The frozen
// embedding table (EmbeddingsVariable, from table as for SelfAttention) gives each position's vector,
// Linear(dim→dim, no bias, sub-scope "projection") projects it, the real (non-padding) positions are averaged
// (sum / number of tags), dropout applies when training, then LayerNorm(eps 1e-6).
//
// Deviation from the seed: padding positions are masked out explicitly, and a row without tags pools to
// zeros (the seed divides by zero: NaN), so its output is the LayerNorm offset, zero until trained.
func Mean(scope *model.Scope, ids *Node, table []float32, vocabSize, dim int, dropout float64) *Node {
	return mean(scope, ids, table, vocabSize, dim, dropout, dtypes.Float32)
}

func checkIDs(fn string, ids *Node) {
	if ids.Rank() != 2 || !ids.DType().IsInt() {
		panic(fmt.Sprintf("encoder.%s: ids must be a [batch, maxTags] integer tensor, got %s", fn, ids.Shape()))
	}
}

func checkSizes(fn string, vocabSize, dim int, dropout float64) {
	if vocabSize < 0 || dim < 1 {
		panic(fmt.Sprintf("encoder.%s: vocabSize=%d must be ≥ 0 and dim=%d ≥ 1", fn, vocabSize, dim))
	}
	if dropout < 0 || dropout >= 1 {
		panic(fmt.Sprintf("encoder.%s: dropout=%g must be in [0, 1)", fn, dropout))
	}
}

// embeddingTable returns the [vocabSize+1, dim] table variable's value, creating it from table if needed.
func embeddingTable(fn string, scope *model.Scope, g *Graph, table []float32, vocabSize, dim int, dtype dtypes.DType,
	trainable bool) *Node {
	rows := vocabSize + 1
	want := shapes.Make(dtype, rows, dim)
	if v := scope.GetVariable(EmbeddingsVariable); v != nil {
		if !v.Shape().Equal(want) {
			panic(fmt.Sprintf("encoder.%s: variable %s/%s has shape %s, the encoder needs %s (vocabSize+1, dim)",
				fn, scope.Scope(), EmbeddingsVariable, v.Shape(), want))
		}
		return v.SetTrainable(trainable).NodeValue(g)
	}
	if len(table) != rows*dim {
		panic(fmt.Sprintf("encoder.%s: table has %d values, want (vocabSize+1)·dim = %d·%d = %d (row 0 = padding)",
			fn, len(table), rows, dim, rows*dim))
	}
	var t *tensors.Tensor
	switch dtype {
	case dtypes.Float32:
		t = tensors.FromFlatDataAndDimensions(append([]float32(nil), table...), rows, dim)
	case dtypes.Float64:
		data := make([]float64, len(table))
		for i, x := range table {
			data[i] = float64(x)
		}
		t = tensors.FromFlatDataAndDimensions(data, rows, dim)
	default:
		panic(fmt.Sprintf("encoder.%s: unsupported dtype %s", fn, dtype))
	}
	return scope.VariableWithValue(EmbeddingsVariable, t).SetTrainable(trainable).NodeValue(g)
}

// linearNoBias applies x·W with W [in, out] initialised like PyTorch's nn.Linear (uniform ±1/√in), over the
// last axis of x.
func linearNoBias(scope *model.Scope, x *Node, out int) *Node {
	in := x.Shape().Dimensions[x.Rank()-1]
	bound := 1 / math.Sqrt(float64(in))
	scope = scope.WithInitializer(initializer.RandomUniformFn(scope, -bound, bound))
	w := scope.VariableWithShape("weights", shapes.Make(x.DType(), in, out)).NodeValue(x.Graph())
	return Einsum("bli,io->blo", x, w)
}

func layerNorm(scope *model.Scope, x *Node) *Node {
	return norm.LayerNorm(scope, x, -1).Epsilon(LayerNormEpsilon).LearnedGain(true).LearnedOffset(true).
		ScaleNormalization(true).Done()
}

func selfAttention(scope *model.Scope, ids *Node, table []float32, vocabSize, dim, heads int, dropout float64,
	dtype dtypes.DType) *Node {
	checkIDs("SelfAttention", ids)
	checkSizes("SelfAttention", vocabSize, dim, dropout)
	if heads < 1 {
		panic(fmt.Sprintf("tagfeat.SelfAttention: heads=%d must be ≥ 1", heads))
	}
	g := ids.Graph()
	batch, length := ids.Shape().Dimensions[0], ids.Shape().Dimensions[1]
	emb := Gather(embeddingTable("SelfAttention", scope, g, table, vocabSize, dim, dtype, true), InsertAxes(ids, -1))
	splitHeads := func(x *Node) *Node { // [B, L, H·dim] → [B, H, L, dim]
		return TransposeAllDims(Reshape(x, batch, length, heads, dim), 0, 2, 1, 3)
	}
	q := splitHeads(linearNoBias(scope.In("query"), emb, heads*dim))
	k := splitHeads(linearNoBias(scope.In("key"), emb, heads*dim))
	v := splitHeads(linearNoBias(scope.In("value"), emb, heads*dim))
	q = DivScalar(q, math.Sqrt(float64(dim)))
	scores := Einsum("bhqd,bhkd->bhqk", q, k)
	keyIsTag := NotEqual(ids, ScalarZero(g, ids.DType()))                                            // [B, L]
	keyIsTag = BroadcastToDims(Reshape(keyIsTag, batch, 1, 1, length), scores.Shape().Dimensions...) // [B, H, L, L]
	scores = Where(keyIsTag, scores, BroadcastToDims(Scalar(g, dtype, MaskedScore), scores.Shape().Dimensions...))
	attention := Softmax(scores, -1)
	attention = layers.DropoutStatic(scope, attention, dropout)
	out := Einsum("bhqk,bhkd->bhqd", attention, v)                             // [B, H, L, dim]
	out = Reshape(TransposeAllDims(out, 0, 2, 1, 3), batch, length, heads*dim) // [B, L, H·dim]
	out = linearNoBias(scope.In("output"), out, dim)
	out = layers.DropoutStatic(scope, out, dropout)
	out = ReduceSum(out, 1) // [B, dim]
	return layerNorm(scope, out)
}

func mean(scope *model.Scope, ids *Node, table []float32, vocabSize, dim int, dropout float64, dtype dtypes.DType) *Node {
	checkIDs("Mean", ids)
	checkSizes("Mean", vocabSize, dim, dropout)
	g := ids.Graph()
	emb := Gather(embeddingTable("Mean", scope, g, table, vocabSize, dim, dtype, false), InsertAxes(ids, -1))
	h := linearNoBias(scope.In("projection"), emb, dim)                     // [B, L, dim]
	isTag := ConvertDType(NotEqual(ids, ScalarZero(g, ids.DType())), dtype) // [B, L]
	h = Mul(h, InsertAxes(isTag, -1))
	count := Max(ReduceSum(isTag, -1), ScalarOne(g, dtype)) // [B]
	pooled := Div(ReduceSum(h, 1), InsertAxes(count, -1))
	pooled = layers.DropoutStatic(scope, pooled, dropout)
	return layerNorm(scope, pooled)
}
