package objective

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX idiom.
)

// maskedLogit is the value a masked-out logit takes: exp of it underflows to exactly 0 in float32 and float64.
const maskedLogit = -1e9

// validMask converts valid ([N], any dtype, nonzero = valid) to a boolean [N] node and the same as dtype.
func validMask(name string, za, valid *Node) (*Node, *Node) {
	n := za.Shape().Dimensions[0]
	if valid.Rank() != 1 || valid.Shape().Dimensions[0] != n {
		panic(fmt.Sprintf("%s: valid must be [%d], got %s", name, n, valid.Shape()))
	}
	b := valid
	if b.DType() != dtypes.Bool {
		b = NotEqual(valid, ZerosLike(valid))
	}
	return b, ConvertDType(b, za.DType())
}

// safeRows replaces the rows of x where valid is false by ones, so that normalising a missing (zero) row cannot
// produce NaN; those rows are masked out of every loss term, so their value does not matter.
func safeRows(x, valid *Node) *Node {
	dims := x.Shape().Dimensions
	return Where(BroadcastToDims(InsertAxes(valid, -1), dims...), x, OnesLike(x))
}

// MaskedInfoNCE is InfoNCE restricted to the rows where valid is nonzero: it equals InfoNCE computed on the
// sub-batch of valid rows (the rows of za and zb are pairs, so a row is valid when the item has both views).
// Invalid rows take part neither as positives nor as negatives and get zero gradient, and their values (e.g. the
// zero vectors of a missing modality) never produce NaN. With no valid row the loss is 0. valid is [N] (bool or
// numeric, nonzero = valid). It returns a scalar.
func MaskedInfoNCE(za, zb, valid, logitScale *Node) *Node {
	checkEmbeddingPair("MaskedInfoNCE", za, zb)
	if logitScale.Rank() != 0 {
		panic(fmt.Sprintf("MaskedInfoNCE: logitScale must be a scalar, got %s", logitScale.Shape()))
	}
	if logitScale.DType() != za.DType() {
		logitScale = ConvertDType(logitScale, za.DType())
	}
	vb, vf := validMask("MaskedInfoNCE", za, valid)
	n := za.Shape().Dimensions[0]
	g := za.Graph()
	scale := Exp(logitScale)
	a := l2Normalize(safeRows(za, vb))
	b := l2Normalize(safeRows(zb, vb))
	logits := Mul(Dot(a, Transpose(b, 0, 1)).Product(), scale) // [N, N]
	diag := Mul(ReduceSum(Mul(a, b), -1), scale)               // logits[i, i]
	fill := BroadcastToDims(Scalar(g, za.DType(), maskedLogit), n, n)
	colValid := BroadcastToDims(InsertAxes(vb, 0), n, n) // [i, j] → valid[j]
	rowValid := BroadcastToDims(InsertAxes(vb, -1), n, n)
	rowLSE := logSumExp(Where(colValid, logits, fill), 1) // over j, for each row i
	colLSE := logSumExp(Where(rowValid, logits, fill), 0) // over i, for each column j
	count := MaxScalar(ReduceAllSum(vf), 1)
	rowCE := Div(ReduceAllSum(Mul(Sub(rowLSE, diag), vf)), count)
	colCE := Div(ReduceAllSum(Mul(Sub(colLSE, diag), vf)), count)
	return MulScalar(Add(rowCE, colCE), 0.5)
}

// MaskedNTXent is NTXent (contrastive-mir's form, with the +1e-5 inside the log) restricted to the rows where
// valid is nonzero: it equals NTXent on the sub-batch of valid rows; invalid rows are neither anchors nor
// negatives, get zero gradient and cannot produce NaN. With no valid row the loss is 0. It returns a scalar.
func MaskedNTXent(za, zb, valid *Node, temperature float64) *Node {
	checkEmbeddingPair("MaskedNTXent", za, zb)
	if !(temperature > 0) {
		panic(fmt.Sprintf("MaskedNTXent: temperature must be > 0, got %g", temperature))
	}
	vb, vf := validMask("MaskedNTXent", za, valid)
	g := za.Graph()
	dtype := za.DType()
	n := za.Shape().Dimensions[0]
	z := Concatenate([]*Node{safeRows(za, vb), safeRows(zb, vb)}, 0) // [2N, d]
	v2 := Concatenate([]*Node{vf, vf}, 0)                            // [2N]
	v2b := Concatenate([]*Node{vb, vb}, 0)

	norms := rowNorms(z)
	normOuter := Mul(InsertAxes(norms, -1), InsertAxes(norms, 0))
	sim := Div(Dot(z, Transpose(z, 0, 1)).Product(), normOuter)
	rows := Iota(g, shapes.Make(dtypes.Int32, 2*n, 2*n), 0)
	cols := Iota(g, shapes.Make(dtypes.Int32, 2*n, 2*n), 1)
	offDiagonal := ConvertDType(NotEqual(rows, cols), dtype)
	partner := ConvertDType(Equal(Abs(Sub(rows, cols)), Scalar(g, dtypes.Int32, n)), dtype)
	pairValid := Mul(InsertAxes(v2, -1), InsertAxes(v2, 0)) // both i and j valid
	e := Mul(Mul(Exp(DivScalar(sim, temperature)), offDiagonal), pairValid)

	pos := ReduceSum(Mul(e, partner), -1)
	denom := Where(v2b, ReduceSum(e, -1), OnesLike(pos))
	terms := Mul(Log(AddScalar(Div(pos, denom), NTXentLogEps)), v2)
	return Neg(Div(ReduceAllSum(terms), MaxScalar(ReduceAllSum(v2), 1)))
}
