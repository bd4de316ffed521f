package cmir

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX idiom.
	"github.com/gomlx/gomlx/ml/model"

	"github.com/musicrep/musicrep/musicrep/objective"
	"github.com/musicrep/musicrep/musicrep/tagfeat"
)

// Variant names contrastive-mir's training configurations (SEEDS_SPEC B3).
type Variant string

// The variants.
const (
	Full       Variant = "contrastive"     // L(audio,tags) + L(audio,cf) + L(cf,tags), NT-Xent τ=0.1
	AudioTags  Variant = "contrastive-gnr" // L(audio,tags)
	AudioCF    Variant = "contrastive-mf"  // L(audio,cf)
	BaselineMF Variant = "baseline-mf"     // MSE(out_1(z_d), cf vector)
	BaselineGn Variant = "baseline-gnr"    // BCE-with-logits(out_2(z_d), genre multi-hot)
	BaselineMG Variant = "baseline-mf-gnr" // BCE + MSE
)

// Batch is one training batch as graph inputs: mel crops [B, 48, 256], CF vectors [B, 301], genre ids [B, L]
// (int32, 0 = padding, id = genre index + 1) and the genre multi-hot [B, numGenres] (baselines).
type Batch struct {
	Mel, CF, GenreIDs, MultiHot *Node
}

// TagConfig is the genre encoder's configuration: a vocabulary of genres with initial vectors.
type TagConfig struct {
	Vocab int       // number of genres (ids 1..Vocab; 0 = padding)
	Dim   int       // embedding size (128: the encoder's d_model must equal it)
	Table []float32 // (Vocab+1) × Dim initial vectors (row 0 zeros); nil when the variable already exists
	Heads int       // 4
}

// Loss builds the training loss of a variant and returns it with its per-term values (for logging, in the
// seed's order: for Full, audio–tags, audio–cf, cf–tags).
func Loss(scope *model.Scope, v Variant, audio AudioConfig, tags TagConfig, b Batch) (*Node, []*Node) {
	_, zd := AudioEncoder(scope, audio, b.Mel)
	switch v {
	case Full, AudioTags, AudioCF:
		views := []*Node{zd, nil, nil}
		var pairs [][2]int
		if v != AudioCF {
			views[1] = tagfeat.SelfAttention(scope.In("tags"), b.GenreIDs, tags.Table, tags.Vocab, tags.Dim, tags.Heads, 0.1)
		}
		if v != AudioTags {
			views[2] = CFEncoder(scope, b.CF)
		}
		switch v {
		case Full:
			pairs = objective.ContrastiveMIRPairs()
		case AudioTags:
			pairs = [][2]int{{0, 1}}
		default:
			pairs = [][2]int{{0, 2}}
		}
		terms := objective.MultiViewLossTerms(views, pairs, objective.NTXentPair(objective.DefaultTemperature))
		total := terms[0]
		for _, t := range terms[1:] {
			total = Add(total, t)
		}
		return total, terms
	case BaselineMF, BaselineGn, BaselineMG:
		numGenres := b.MultiHot.Shape().Dimensions[1]
		cfPred, logits := Heads(scope, zd, numGenres)
		var terms []*Node
		if v != BaselineMF {
			// BCE with logits, mean over all elements: softplus(x) − y·x.
			y := ConvertDType(b.MultiHot, logits.DType())
			bce := ReduceAllMean(Sub(Softplus(logits), Mul(y, logits)))
			terms = append(terms, bce)
		}
		if v != BaselineGn {
			terms = append(terms, ReduceAllMean(Square(Sub(cfPred, b.CF))))
		}
		total := terms[0]
		for _, t := range terms[1:] {
			total = Add(total, t)
		}
		return total, terms
	}
	panic(fmt.Sprintf("cmir: unknown variant %q", v))
}
