package training

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX idiom.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/encoder"
	"github.com/musicrep/musicrep/musicrep/objective"
)

// MIRModelPrefix starts the model kinds of contrastive-mir's variants: model=cmir-contrastive,
// cmir-contrastive-gnr, cmir-contrastive-mf, cmir-baseline-mf, cmir-baseline-gnr, cmir-baseline-mf-gnr.
const MIRModelPrefix = "cmir-"

// Hyperparameters of contrastive-mir's models. The CNN keys also shape the joint model's audio encoder when
// joint_audio_encoder=cnn.
const (
	ParamCNNWidths    = encoder.ParamCNNWidths
	ParamCNNHidden    = encoder.ParamCNNHidden
	ParamCNNDropout   = encoder.ParamCNNDropout
	ParamCNNScrambled = encoder.ParamCNNScrambled
	ParamMIRVocab     = "cmir_genre_vocab"
	ParamMIRTagHeads  = "cmir_tag_heads" // heads of the genre self-attention encoder (contrastive-mir: 4)
)

// MIRModelKinds lists the model kinds of contrastive-mir's variants.
func MIRModelKinds() []string {
	var out []string
	for _, v := range objective.Variants() {
		out = append(out, MIRModelPrefix+string(v))
	}
	return out
}

// CNNConfigFromStore reads the audio CNN's architecture (the cmir_ keys), with z_d of size out.
func CNNConfigFromStore(store *model.Store, out int) (encoder.AudioConfig, error) {
	return encoder.AudioConfigFromStore(store.RootScope(), out)
}

// mirTask trains one of contrastive-mir's variants on a dataset with mel crops (audio), genre tag ids (tags)
// and, for the variants that use them, CF vectors (cf).
type mirTask struct {
	variant objective.Variant
	cnn     encoder.AudioConfig
	ds      Dataset
	train   []int32
	val     []int32
	vocab   int       // genre codes (ids 1..vocab)
	table   []float32 // initial genre vectors, (vocab+1) × EmbeddingDim
	heads   int
	batch0  int
}

func newMIRTask(store *model.Store, ds Dataset, kind string) (*mirTask, error) {
	v, err := objective.ParseVariant(strings.TrimPrefix(kind, MIRModelPrefix))
	if err != nil {
		return nil, fmt.Errorf("hyperparameter %s=%q: %w", ParamModel, kind, err)
	}
	if err := checkDataset(ds); err != nil {
		return nil, err
	}
	t := &mirTask{variant: v, ds: ds, heads: Param[int](store.RootScope(), ParamMIRTagHeads),
		batch0: Param[int](store.RootScope(), ParamBatchSize)}
	if t.cnn, err = CNNConfigFromStore(store, encoder.EmbeddingDim); err != nil {
		return nil, err
	}
	need := map[musicrep.Modality]InputKind{musicrep.Audio: MelInput, musicrep.Tags: TokenInput, musicrep.CF: VectorInput}
	for m, kind := range need {
		in, ok := input(ds, m)
		if !ok || in.Kind != kind {
			return nil, fmt.Errorf("model %s needs a dataset with %s input for %s (a Melon-layout dataset: "+
				"-dataset DIR); %s offers %v", kind, kind, m, ds.Describe(), ds.Inputs())
		}
	}
	if in, _ := input(ds, musicrep.Audio); in.Dim != encoder.Bands*encoder.CropFrames {
		return nil, fmt.Errorf("model %s: audio crops of %d values, the CNN reads %d×%d", kind, in.Dim,
			encoder.Bands, encoder.CropFrames)
	}
	if in, _ := input(ds, musicrep.CF); in.Dim != encoder.CFDim {
		return nil, fmt.Errorf("model %s: CF vectors of %d values, the CF encoder reads %d", kind, in.Dim, encoder.CFDim)
	}
	table, dim := ds.TagTable()
	if dim != encoder.EmbeddingDim || len(table) < 2*dim || len(table)%dim != 0 {
		return nil, fmt.Errorf("model %s: the genre table has %d values of dimension %d; the tag encoder needs "+
			"(codes+1)×%d", kind, len(table), dim, encoder.EmbeddingDim)
	}
	t.table, t.vocab = table, len(table)/dim-1
	t.train, t.val = ds.Split()
	if len(t.train) < t.batch0 {
		return nil, fmt.Errorf("model %s: %d training songs but %s=%d: lower %s", kind, len(t.train), ParamBatchSize,
			t.batch0, ParamBatchSize)
	}
	if len(t.val) < 2 {
		return nil, fmt.Errorf("model %s: the validation split has %d songs; it needs at least 2 (the epoch is "+
			"chosen on its loss)", kind, len(t.val))
	}
	return t, nil
}

func (t *mirTask) String() string {
	s := fmt.Sprintf("contrastive-mir %s: audio CNN widths %v, hidden %d (%d parameters)", t.variant, t.cnn.Widths,
		t.cnn.Hidden, t.cnn.NumParams())
	if t.variant.UsesTags() {
		s += fmt.Sprintf(" + %d-head genre self-attention over %d codes", t.heads, t.vocab)
	}
	if t.variant.UsesCF() {
		s += " + CF MLP"
	}
	if t.variant.Contrastive() {
		return s + fmt.Sprintf("; NT-Xent τ=%g on %v", objective.DefaultTemperature, t.variant.MIRPairs())
	}
	return s + "; prediction heads (" + map[objective.Variant]string{objective.MIRBaselineMF: "MSE of the CF vector",
		objective.MIRBaselineGn: "BCE of the genre multi-hot", objective.MIRBaselineMG: "BCE + MSE"}[t.variant] + ")"
}
func (t *mirTask) name() string                 { return MIRModelPrefix + string(t.variant) }
func (t *mirTask) unit() string                 { return "songs" }
func (t *mirTask) numExamples() int             { return len(t.train) }
func (t *mirTask) batchSizeParam() string       { return ParamBatchSize }
func (t *mirTask) batchSize(s *model.Scope) int { return Param[int](s, ParamBatchSize) }
func (t *mirTask) modalities() []musicrep.Modality {
	mods := []musicrep.Modality{musicrep.Audio}
	if t.variant.UsesTags() || !t.variant.Contrastive() {
		mods = append(mods, musicrep.Tags) // the baselines predict the genre multi-hot
	}
	if t.variant.UsesCF() || !t.variant.Contrastive() {
		mods = append(mods, musicrep.CF) // and the CF vector
	}
	return mods
}
func (t *mirTask) setInStore(store *model.Store) { store.RootScope().SetParam(ParamMIRVocab, t.vocab) }

func (t *mirTask) compatKeys() []string {
	return []string{ParamModel, ParamCNNWidths, ParamCNNHidden, ParamCNNDropout, ParamCNNScrambled,
		ParamMIRTagHeads, ParamLearningRate, ParamWeightDecay, ParamBatchSize, ParamShuffle, ParamSeed, ParamDropLast}
}

// mirBatch names the graph inputs of a contrastive-mir step.
type mirBatch struct {
	Mel  *Node // [B, 48·256] log-mel crops
	CF   *Node // [B, 301] CF vectors (zeros for songs without one)
	Tags *Node // [B, MaxTags] genre ids as floats, 0 = padding
}

func (t *mirTask) modelFn(scope *model.Scope, _ any, in []*Node) []*Node {
	b := mirBatch{Mel: in[0], CF: in[1], Tags: in[2]}
	n := b.Mel.Shape().Dimensions[0]
	_, zd := encoder.AudioCNN(scope, t.cnn, Reshape(b.Mel, n, encoder.Bands, encoder.CropFrames))
	ids := ConvertDType(b.Tags, dtypes.Int32)
	if t.variant.Contrastive() {
		var tags, cf *Node
		if t.variant.UsesTags() {
			tags = encoder.SelfAttention(scope.In("tags"), ids, t.table, t.vocab, encoder.EmbeddingDim, t.heads, 0.1)
		}
		if t.variant.UsesCF() {
			cf = encoder.CFEncoder(scope, b.CF)
		}
		loss, _ := objective.MIRContrastiveLoss(t.variant, zd, tags, cf)
		return []*Node{loss}
	}
	cfPred, logits := encoder.Heads(scope, zd, t.vocab)
	// The genre multi-hot over codes 1..vocab, from the ids (padding 0 dropped).
	hot := ReduceMax(OneHot(ids, t.vocab+1, zd.DType()), 1)
	hot = Slice(hot, AxisRange(), AxisRange(1))
	loss, _ := objective.MIRPredictionLoss(t.variant, cfPred, b.CF, logits, hot)
	return []*Node{loss}
}

func (t *mirTask) lossFn(_, predictions []*Node) *Node { return predictions[0] }

// batch gathers the songs' inputs; the crop of each song is drawn from (seed, epoch, step), so a resumed run
// sees the same crops.
func (t *mirTask) batch(examples []int, seed uint64, epoch, step int) (train.Batch, error) {
	rows := make([]int32, len(examples))
	for j, e := range examples {
		rows[j] = t.train[e]
	}
	return t.rowsBatch(rows, rand.New(rand.NewPCG(seed^0x636d6972, uint64(epoch)<<32|uint64(step))))
}

func (t *mirTask) rowsBatch(rows []int32, rng *rand.Rand) (train.Batch, error) {
	var in []*tensors.Tensor
	for _, m := range []musicrep.Modality{musicrep.Audio, musicrep.CF, musicrep.Tags} {
		x, err := t.ds.Gather(m, rows, rng)
		if err != nil {
			for _, y := range in {
				y.MustFinalizeAll()
			}
			return train.Batch{}, err
		}
		in = append(in, x)
	}
	return train.Batch{Inputs: in, Labels: []*tensors.Tensor{tensors.FromScalar(float32(0))}}, nil
}

// validation implements validating: the validation songs in order in batches of the training batch size (the
// last smaller; one of fewer than two songs is left out: NT-Xent needs negatives), each with crops drawn from
// a fixed seed, so every epoch is scored on the same crops.
func (t *mirTask) validation(seed uint64, batchSize int) (int, func(i int) (train.Batch, int, error)) {
	return validationBatches(t.val, batchSize, func(rows []int32, i int) (train.Batch, error) {
		return t.rowsBatch(rows, rand.New(rand.NewPCG(seed, 0xfa1<<32|uint64(i))))
	})
}

// validationBatches cuts the validation rows into batches of batchSize in order (the last one smaller; one of
// fewer than two rows is left out: contrastive losses need negatives); build makes batch i from its rows.
func validationBatches(val []int32, batchSize int, build func(rows []int32, i int) (train.Batch, error)) (int,
	func(i int) (train.Batch, int, error)) {
	n := len(val) / batchSize
	if len(val)%batchSize >= 2 {
		n++
	}
	return n, func(i int) (train.Batch, int, error) {
		rows := val[i*batchSize : min(len(val), (i+1)*batchSize)]
		b, err := build(rows, i)
		return b, len(rows), err
	}
}
