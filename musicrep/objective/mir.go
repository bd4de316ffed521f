package objective

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX idiom.
)

// Variant names one of contrastive-mir's training configurations (SEEDS_SPEC B3). The model kind of
// `musicrep train -set model=KIND` is "cmir-" followed by the variant.
type Variant string

// The variants.
const (
	MIRFull       Variant = "contrastive"     // L(audio,tags) + L(audio,cf) + L(cf,tags), NT-Xent τ=0.1
	MIRAudioTags  Variant = "contrastive-gnr" // L(audio,tags)
	MIRAudioCF    Variant = "contrastive-mf"  // L(audio,cf)
	MIRBaselineMF Variant = "baseline-mf"     // MSE(out_1(z_d), cf vector)
	MIRBaselineGn Variant = "baseline-gnr"    // BCE-with-logits(out_2(z_d), genre multi-hot)
	MIRBaselineMG Variant = "baseline-mf-gnr" // BCE + MSE
)

// Variants lists every variant, in the seed's order.
func Variants() []Variant {
	return []Variant{MIRFull, MIRAudioTags, MIRAudioCF, MIRBaselineMF, MIRBaselineGn, MIRBaselineMG}
}

// ParseVariant checks a variant name.
func ParseVariant(name string) (Variant, error) {
	for _, v := range Variants() {
		if string(v) == name {
			return v, nil
		}
	}
	return "", fmt.Errorf("unknown contrastive-mir variant %q: use one of %v", name, Variants())
}

// Contrastive reports whether the variant is trained with NT-Xent between views (else it is a prediction
// baseline).
func (v Variant) Contrastive() bool { return v == MIRFull || v == MIRAudioTags || v == MIRAudioCF }

// UsesTags and UsesCF report which encoders besides the audio CNN the variant trains.
func (v Variant) UsesTags() bool { return v == MIRFull || v == MIRAudioTags }

// UsesCF reports whether the variant has the CF encoder.
func (v Variant) UsesCF() bool { return v == MIRFull || v == MIRAudioCF }

// MIRPairs returns the view pairs a contrastive variant aligns, over the views [audio, tags, cf].
func (v Variant) MIRPairs() [][2]int {
	switch v {
	case MIRFull:
		return ContrastiveMIRPairs()
	case MIRAudioTags:
		return [][2]int{{0, 1}}
	case MIRAudioCF:
		return [][2]int{{0, 2}}
	}
	return nil
}

// MIRContrastiveLoss is a contrastive variant's loss over the views [audio, tags, cf] (tags or cf nil when the
// variant has no such encoder): NT-Xent with τ = DefaultTemperature summed over the variant's pairs. It also
// returns the per-pair terms, in the seed's order.
func MIRContrastiveLoss(v Variant, audio, tags, cf *Node) (*Node, []*Node) {
	if !v.Contrastive() {
		panic(fmt.Sprintf("MIRContrastiveLoss: %q is a baseline variant", v))
	}
	terms := MultiViewLossTerms([]*Node{audio, tags, cf}, v.MIRPairs(), NTXentPair(DefaultTemperature))
	return sum(terms), terms
}

// MIRPredictionLoss is a baseline variant's loss: binary cross-entropy with logits of the genre multi-hot
// (mean over all elements: softplus(x) − y·x) and/or the mean squared error of the predicted CF vector.
func MIRPredictionLoss(v Variant, cfPred, cfTarget, genreLogits, multiHot *Node) (*Node, []*Node) {
	if v.Contrastive() {
		panic(fmt.Sprintf("MIRPredictionLoss: %q is a contrastive variant", v))
	}
	var terms []*Node
	if v != MIRBaselineMF {
		y := ConvertDType(multiHot, genreLogits.DType())
		terms = append(terms, ReduceAllMean(Sub(Softplus(genreLogits), Mul(y, genreLogits))))
	}
	if v != MIRBaselineGn {
		terms = append(terms, ReduceAllMean(Square(Sub(cfPred, cfTarget))))
	}
	return sum(terms), terms
}

func sum(terms []*Node) *Node {
	total := terms[0]
	for _, t := range terms[1:] {
		total = Add(total, t)
	}
	return total
}
