// Package objective holds musicrep's training objectives as GoMLX graph functions, each with a plain-Go
// reference implementation used by the tests.
//
// Graph-building functions panic on misuse (wrong shapes), as GoMLX graph code does.
package objective

import (
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX idiom.
)

// Defaults of the margin pair loss, as in binding_music.
const (
	// DefaultMargin is binding_music's hard-coded margin m.
	DefaultMargin = 0.5
	// PairwiseDistanceEps is the epsilon PyTorch's F.pairwise_distance adds to the difference before the norm.
	PairwiseDistanceEps = 1e-6
)

// MarginPairLoss is binding_music's Hadsell-style contrastive loss over a batch of embedding pairs:
//
//	d_i = ‖a_i − q_i + ε‖₂ (ε = 1e-6, added to every coordinate as PyTorch's pairwise_distance does)
//	L   = (1/B) Σ_i [ ½·y_i·d_i² + (1 − y_i)·max(0, m − d_i)² ]
//
// The ½ factor applies to the positive term only. anchor and query are [B, D]; labels is [B] with 1 for a
// positive pair and 0 for a negative one. It returns a scalar.
func MarginPairLoss(anchor, query, labels *Node, margin float64) *Node {
	if anchor.Rank() != 2 || !anchor.Shape().Equal(query.Shape()) {
		panic(fmt.Sprintf("MarginPairLoss: anchor %s and query %s must both be [batch, dim]", anchor.Shape(), query.Shape()))
	}
	if labels.Rank() != 1 || labels.Shape().Dimensions[0] != anchor.Shape().Dimensions[0] {
		panic(fmt.Sprintf("MarginPairLoss: labels %s must be [batch] for embeddings %s", labels.Shape(), anchor.Shape()))
	}
	labels = ConvertDType(labels, anchor.DType())
	diff := AddScalar(Sub(anchor, query), PairwiseDistanceEps)
	sq := ReduceSum(Square(diff), -1) // d²
	d := Sqrt(sq)
	pos := MulScalar(Mul(labels, sq), 0.5)
	gap := Max(Sub(Scalar(anchor.Graph(), anchor.DType(), margin), d), ZerosLike(d))
	neg := Mul(OneMinus(labels), Square(gap))
	return ReduceAllMean(Add(pos, neg))
}

// MarginPairLossReference computes MarginPairLoss in float64 plain Go; anchor and query are [B][D].
func MarginPairLossReference(anchor, query [][]float64, labels []float64, margin float64) float64 {
	var total float64
	for i := range anchor {
		var sq float64
		for j := range anchor[i] {
			diff := anchor[i][j] - query[i][j] + PairwiseDistanceEps
			sq += diff * diff
		}
		d := math.Sqrt(sq)
		gap := math.Max(margin-d, 0)
		total += 0.5*labels[i]*sq + (1-labels[i])*gap*gap
	}
	return total / float64(len(anchor))
}
