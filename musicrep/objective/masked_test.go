package objective

import (
	"math"
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX idiom.
	"github.com/gomlx/gomlx/core/tensors"
)

// subset keeps the rows of m where valid is true.
func subset(m [][]float64, valid []bool) [][]float64 {
	var out [][]float64
	for i, r := range m {
		if valid[i] {
			out = append(out, r)
		}
	}
	return out
}

func maskTensor(valid []bool) *tensors.Tensor {
	v := make([]float64, len(valid))
	for i, ok := range valid {
		if ok {
			v[i] = 1
		}
	}
	return tensors.FromFlatDataAndDimensions(v, len(v))
}

// zeroInvalid sets the invalid rows to zero vectors, as a missing modality's features are.
func zeroInvalid(m [][]float64, valid []bool) {
	for i := range m {
		if !valid[i] {
			for j := range m[i] {
				m[i][j] = 0
			}
		}
	}
}

// maskedLosses returns both masked losses and their gradients with respect to za.
func maskedLosses(t *testing.T, za, zb [][]float64, valid []bool, logitScale, temperature float64) (info float64,
	infoGrad []float64, nt float64, ntGrad []float64) {
	t.Helper()
	outs := MustExecOnceN(newBackend(t), func(a, b, v, s *Node) []*Node {
		l1 := MaskedInfoNCE(a, b, v, s)
		l2 := MaskedNTXent(a, b, v, temperature)
		return []*Node{l1, Gradient(l1, a)[0], l2, Gradient(l2, a)[0]}
	}, toTensor(za), toTensor(zb), maskTensor(valid), tensors.FromScalar(logitScale))
	return tensors.ToScalar[float64](outs[0]), tensors.MustCopyFlatData[float64](outs[1]),
		tensors.ToScalar[float64](outs[2]), tensors.MustCopyFlatData[float64](outs[3])
}

// TestMaskedLossesEqualSubBatch: the masked losses equal the plain references on the valid rows only, the
// invalid (zero) rows get exactly zero gradient, and the gradient of the valid rows matches finite differences
// of the sub-batch reference.
func TestMaskedLossesEqualSubBatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, valid := range [][]bool{
		{true, true, true, true, true, true},
		{true, false, true, true, false, true},
		{false, true, false, false, true, false},
		{false, false, false, true, false, false},
	} {
		za, zb := randomViews(rng, len(valid), 5, 0.8)
		zeroInvalid(za, valid)
		zeroInvalid(zb, valid)
		const logitScale, temperature = 1.3, 0.1
		info, infoGrad, nt, ntGrad := maskedLosses(t, za, zb, valid, logitScale, temperature)
		sa, sb := subset(za, valid), subset(zb, valid)
		if want := InfoNCEReference(sa, sb, logitScale); !closeRel(info, want, 1e-10) {
			t.Errorf("valid=%v: MaskedInfoNCE %.12g, InfoNCE on the valid rows %.12g", valid, info, want)
		}
		if want := NTXentReference(sa, sb, temperature); !closeRel(nt, want, 1e-10) {
			t.Errorf("valid=%v: MaskedNTXent %.12g, NTXent on the valid rows %.12g", valid, nt, want)
		}
		for name, grad := range map[string][]float64{"MaskedInfoNCE": infoGrad, "MaskedNTXent": ntGrad} {
			for i, ok := range valid {
				for j := range 5 {
					g := grad[i*5+j]
					if math.IsNaN(g) || (!ok && g != 0) {
						t.Fatalf("%s valid=%v: gradient[%d][%d] = %g (invalid rows must get exactly 0)", name,
							valid, i, j, g)
					}
				}
			}
		}
		// Finite differences over the valid rows.
		subGrad := func(grad []float64) []float64 {
			var out []float64
			for i, ok := range valid {
				if ok {
					out = append(out, grad[i*5:(i+1)*5]...)
				}
			}
			return out
		}
		finiteDiffCheck(t, sa, subGrad(infoGrad), func() float64 { return InfoNCEReference(sa, sb, logitScale) })
		finiteDiffCheck(t, sa, subGrad(ntGrad), func() float64 { return NTXentReference(sa, sb, temperature) })
	}
}

// TestMaskedLossesNoValidRow: with every row masked the losses are 0 (not NaN).
func TestMaskedLossesNoValidRow(t *testing.T) {
	valid := []bool{false, false, false}
	za := [][]float64{{0, 0}, {0, 0}, {0, 0}}
	zb := [][]float64{{0, 0}, {0, 0}, {0, 0}}
	info, infoGrad, nt, ntGrad := maskedLosses(t, za, zb, valid, 2, 0.1)
	if info != 0 || nt != 0 {
		t.Errorf("no valid row: MaskedInfoNCE %g, MaskedNTXent %g, want 0", info, nt)
	}
	for i := range infoGrad {
		if infoGrad[i] != 0 || ntGrad[i] != 0 {
			t.Fatalf("no valid row: nonzero gradient %g / %g", infoGrad[i], ntGrad[i])
		}
	}
}
