package training

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX idiom.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"

	"github.com/musicrep/musicrep/evaluation"
	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/binding"
	"github.com/musicrep/musicrep/musicrep/index"
	"github.com/musicrep/musicrep/musicrep/joint"
	"github.com/musicrep/musicrep/musicrep/musicnn"
	"github.com/musicrep/musicrep/musicrep/objective"
)

// task is what differs between the models Train can train: the graph, the loss, the examples of an epoch and
// how a batch of them becomes input tensors.
type task interface {
	fmt.Stringer
	name() string                    // recorded as ckpt.Meta.Architecture
	unit() string                    // what an example is ("pairs", "tracks")
	numExamples() int                // examples per epoch
	batchSize(*model.Scope) int      // examples per step
	batchSizeParam() string          // the hyperparameter that sets it
	compatKeys() []string            // hyperparameters a resumed run must share with its checkpoint
	setInStore(*model.Store)         // records the resolved architecture
	modalities() []musicrep.Modality // the inputs the model reads
	modelFn(*model.Scope, any, []*Node) []*Node
	lossFn(labels, predictions []*Node) *Node
	batch(examples []int, seed uint64, epoch, step int) (train.Batch, error)
}

// newTask builds the task selected by the "model" hyperparameter.
func newTask(store *model.Store, ds Dataset) (task, error) {
	kind := Param[string](store.RootScope(), ParamModel)
	if strings.HasPrefix(kind, MIRModelPrefix) {
		return newMIRTask(store, ds, kind)
	}
	switch kind {
	case ArchitectureName:
		data, ok := ds.(*Data)
		if !ok {
			return nil, fmt.Errorf("model %s trains on labelled pairs of feature files; %s has none (use model=joint "+
				"or a contrastive-mir variant on it)", kind, ds.Describe())
		}
		if err := data.Validate(); err != nil {
			return nil, err
		}
		for _, f := range data.Features {
			if f.TokenIDs() {
				return nil, fmt.Errorf("the %s features in %s hold token ids (vocabulary %s), which the binding "+
					"model cannot read: give word-vector features (musicrep features -method tags), or train the "+
					"joint model (model=joint;%s=attention)", f.Modality, f.Source, f.Vocab, joint.ParamTagEncoder)
			}
		}
		arch, err := bindingArchForData(store, data)
		if err != nil {
			return nil, err
		}
		return &bindingTask{arch: arch, data: data,
			margin: Param[float64](store.RootScope(), ParamMargin)}, nil
	case JointArchitectureName:
		return newJointTask(store, ds)
	default:
		return nil, fmt.Errorf("hyperparameter %s=%q: use %s, %s or one of %s", ParamModel, kind, ArchitectureName,
			JointArchitectureName, strings.Join(MIRModelKinds(), ", "))
	}
}

// inputDims checks that the features are the modalities listed in the hyperparameter param (in
// musicrep.ModalityOrder) and returns them and their sizes as a comma-separated list.
func inputDims(store *model.Store, param string, ds Dataset) ([]musicrep.Modality, string, error) {
	mods, err := musicrep.ParseModalities(model.GetParamOr(store.RootScope(), param, ""))
	if err != nil {
		return nil, "", fmt.Errorf("hyperparameter %s: %w", param, err)
	}
	if data, ok := ds.(*Data); ok {
		if len(mods) != len(data.Features) {
			return nil, "", fmt.Errorf("model modalities %v (%s) but %d feature sets given", mods, param, len(data.Features))
		}
		n := -1
		for i, m := range mods {
			f := data.Features[i]
			if f.Modality != m {
				return nil, "", fmt.Errorf("feature set %d is %s, expected %s (order %v)", i, f.Modality, m, mods)
			}
			if n >= 0 && f.NumRows() != n {
				return nil, "", fmt.Errorf("training data: %s features (%s) have %d rows, %s has %d", f.Modality,
					f.Source, f.NumRows(), data.Features[0].Modality, n)
			}
			n = f.NumRows()
		}
	}
	dims := make([]string, len(mods))
	for i, m := range mods {
		in, ok := input(ds, m)
		if !ok {
			return nil, "", fmt.Errorf("model modalities %v (%s), but %s has no %s (it offers %v)", mods, param,
				ds.Describe(), m, ds.Inputs())
		}
		dims[i] = strconv.Itoa(in.Dim)
	}
	return mods, strings.Join(dims, ","), nil
}

// withParam returns a copy of the store's hyperparameters with key set to value (variables are not copied).
func withParam(store *model.Store, key string, value any) *model.Store {
	tmp := model.NewStore()
	for k, v := range store.IterParams() {
		tmp.SetParam(k, v)
	}
	tmp.RootScope().SetParam(key, value)
	return tmp
}

// ---- binding_music's model ---------------------------------------------------------------------------------

// bindingArchForData resolves the binding architecture from the store, taking input sizes from the features.
func bindingArchForData(store *model.Store, data *Data) (binding.Architecture, error) {
	_, dims, err := inputDims(store, binding.ParamModalities, data)
	if err != nil {
		return binding.Architecture{}, err
	}
	return binding.ArchitectureFromStore(withParam(store, binding.ParamInputDims, dims))
}

type bindingTask struct {
	arch   binding.Architecture
	data   *Data
	margin float64
}

func (t *bindingTask) String() string                  { return t.arch.String() }
func (t *bindingTask) name() string                    { return ArchitectureName }
func (t *bindingTask) unit() string                    { return "pairs" }
func (t *bindingTask) numExamples() int                { return len(t.data.Anchor) }
func (t *bindingTask) setInStore(store *model.Store)   { t.arch.SetInStore(store) }
func (t *bindingTask) modalities() []musicrep.Modality { return t.arch.Modalities }
func (t *bindingTask) batchSizeParam() string          { return ParamBatchSize }
func (t *bindingTask) batchSize(scope *model.Scope) int {
	return Param[int](scope, ParamBatchSize)
}

func (t *bindingTask) compatKeys() []string {
	return []string{binding.ParamModalities, binding.ParamContraction, binding.ParamExpansion,
		binding.ParamEmbeddingDim, binding.ParamNonUniform, binding.ParamDropout, binding.ParamDropoutEverywhere,
		ParamLearningRate, ParamBatchSize, ParamShuffle, ParamSeed, ParamMargin, ParamPairs}
}

// modelFn embeds the anchors and the others of a batch (stacked into one [2B, ...] input per modality).
func (t *bindingTask) modelFn(scope *model.Scope, _ any, inputs []*Node) []*Node {
	k := len(t.arch.Modalities)
	emb := binding.Embed(scope, t.arch, inputs[:k], inputs[k:2*k])
	b := emb.Shape().Dimensions[0] / 2
	return []*Node{Slice(emb, AxisRange(0, b)), Slice(emb, AxisRange(b, 2*b))}
}

func (t *bindingTask) lossFn(labels, predictions []*Node) *Node {
	return objective.MarginPairLoss(predictions[0], predictions[1], labels[0], t.margin)
}

// batch builds, for each modality, the [2B, D] features of the anchors followed by the others, then for each
// modality the [2B] presence masks; the labels are [B].
func (t *bindingTask) batch(pairs []int, _ uint64, _, _ int) (train.Batch, error) {
	n := len(pairs)
	k := len(t.data.Features)
	inputs := make([]*tensors.Tensor, 2*k)
	for i, f := range t.data.Features {
		x := make([]float32, 2*n*f.Dim)
		mask := make([]float32, 2*n)
		for j, p := range pairs {
			for side, row := range []int32{t.data.Anchor[p], t.data.Other[p]} {
				pos := side*n + j
				copy(x[pos*f.Dim:(pos+1)*f.Dim], f.Row(int(row)))
				if f.Present[row] {
					mask[pos] = 1
				}
			}
		}
		inputs[i] = tensors.FromFlatDataAndDimensions(x, 2*n, f.Dim)
		inputs[k+i] = tensors.FromFlatDataAndDimensions(mask, 2*n)
	}
	labels := make([]float32, n)
	for j, p := range pairs {
		labels[j] = t.data.Label[p]
	}
	return train.Batch{Inputs: inputs, Labels: []*tensors.Tensor{tensors.FromFlatDataAndDimensions(labels, n)}}, nil
}

// ---- the joint model ---------------------------------------------------------------------------------------

// JointObjective is the resolved set of the joint model's training hyperparameters.
type JointObjective struct {
	Loss            string   // "infonce" (learnable temperature) or "ntxent" (fixed temperature)
	Temperature     float64  // NT-Xent's τ, or InfoNCE's initial temperature
	Pairs           [][2]int // modality index pairs aligned directly
	FusionWeight    float64  // weight of the fused-embedding terms
	MarginWeight    float64  // weight of binding_music's margin loss on fused embeddings of labelled pairs
	Margin          float64  // its margin
	ModalityDropout float64  // probability of dropping each present modality from a fused view
	SelfWeight      float64  // weight of the per-modality self-supervised terms (two noisy views of a track)
	NeighbourWeight float64  // weight of the neighbour term: fused track vs fused raw-feature neighbour
	Neighbours      int      // raw-feature neighbours per modality that count as positives
	InputDropout    float64  // feature dropout that makes those two views
	BatchSize       int      // tracks per step
	PairNames       []string // "audio-text", ... for logs
	modalities      []musicrep.Modality
}

// jointObjectiveFromStore reads the objective hyperparameters for the given modalities.
func jointObjectiveFromStore(scope *model.Scope, mods []musicrep.Modality) (JointObjective, error) {
	o := JointObjective{
		Loss:            Param[string](scope, ParamJointLoss),
		Temperature:     Param[float64](scope, ParamJointTemperature),
		FusionWeight:    Param[float64](scope, ParamJointFusionWeight),
		MarginWeight:    Param[float64](scope, ParamJointMarginWeight),
		Margin:          Param[float64](scope, ParamMargin),
		ModalityDropout: Param[float64](scope, ParamJointModalityDropout),
		SelfWeight:      Param[float64](scope, ParamJointSelfWeight),
		NeighbourWeight: Param[float64](scope, ParamJointNeighbourWeight),
		Neighbours:      Param[int](scope, ParamJointNeighbours),
		InputDropout:    Param[float64](scope, ParamJointInputDropout),
		BatchSize:       Param[int](scope, ParamJointBatchSize),
		modalities:      mods,
	}
	switch {
	case o.Loss != "infonce" && o.Loss != "ntxent":
		return o, fmt.Errorf("hyperparameter %s=%q: use infonce or ntxent", ParamJointLoss, o.Loss)
	case !(o.Temperature > 0):
		return o, fmt.Errorf("hyperparameter %s=%g must be > 0", ParamJointTemperature, o.Temperature)
	case o.ModalityDropout < 0 || o.ModalityDropout >= 1:
		return o, fmt.Errorf("hyperparameter %s=%g must be in [0, 1)", ParamJointModalityDropout, o.ModalityDropout)
	case o.BatchSize < 2:
		return o, fmt.Errorf("hyperparameter %s=%d must be ≥ 2 (contrastive losses need negatives)",
			ParamJointBatchSize, o.BatchSize)
	case o.FusionWeight < 0 || o.MarginWeight < 0 || o.SelfWeight < 0:
		return o, fmt.Errorf("hyperparameters %s, %s and %s must be ≥ 0", ParamJointFusionWeight,
			ParamJointMarginWeight, ParamJointSelfWeight)
	case o.NeighbourWeight < 0 || o.Neighbours < 1:
		return o, fmt.Errorf("hyperparameters %s=%g must be ≥ 0 and %s=%d ≥ 1", ParamJointNeighbourWeight,
			o.NeighbourWeight, ParamJointNeighbours, o.Neighbours)
	case o.NeighbourWeight > 0 && o.MarginWeight > 0:
		return o, fmt.Errorf("hyperparameters %s and %s both draw each track's partner: use one of them",
			ParamJointNeighbourWeight, ParamJointMarginWeight)
	case o.InputDropout < 0 || o.InputDropout >= 1:
		return o, fmt.Errorf("hyperparameter %s=%g must be in [0, 1)", ParamJointInputDropout, o.InputDropout)
	}
	index := map[musicrep.Modality]int{}
	for i, m := range mods {
		index[m] = i
	}
	spec := strings.TrimSpace(Param[string](scope, ParamJointPairs))
	if spec == "none" {
		// no direct modality-pair terms
	} else if spec == "all" || spec == "" {
		for a := range mods {
			for b := a + 1; b < len(mods); b++ {
				o.Pairs = append(o.Pairs, [2]int{a, b})
			}
		}
	} else {
		for _, p := range strings.Split(spec, ",") {
			x, y, ok := strings.Cut(strings.TrimSpace(p), "-")
			ia, okA := index[musicrep.Modality(x)]
			ib, okB := index[musicrep.Modality(y)]
			if !ok || !okA || !okB || ia == ib {
				return o, fmt.Errorf("hyperparameter %s=%q: %q is not a pair of two of the model's modalities %v "+
					"(write e.g. audio-text,audio-tags, all or none)", ParamJointPairs, spec, p, mods)
			}
			o.Pairs = append(o.Pairs, [2]int{ia, ib})
		}
	}
	for _, p := range o.Pairs {
		o.PairNames = append(o.PairNames, string(mods[p[0]])+"-"+string(mods[p[1]]))
	}
	if len(o.Pairs) == 0 && o.FusionWeight == 0 && o.MarginWeight == 0 && o.SelfWeight == 0 && o.NeighbourWeight == 0 {
		return o, fmt.Errorf("joint model: nothing to train: one modality (%v), %s=0 and %s=0", mods,
			ParamJointFusionWeight, ParamJointMarginWeight)
	}
	return o, nil
}

type jointTask struct {
	arch     joint.Architecture
	obj      JointObjective
	ds       Dataset
	train    []int32         // training rows
	val      []int32         // validation rows (datasets with a validation split: the loss is scored on them)
	data     *Data           // ds when it is feature files (the margin and neighbour terms need them)
	byAnchor map[int32][]int // pair indices per anchor row, for the margin term
	nbrs     [][]int32       // positive partners per row, for the neighbour term
}

// tagSequenceInput checks that the inputs suit the tag encoder: token ids only for the tags modality and only
// with the attention or mean tag encoder, which in turn needs them and the initial table (Dataset.TagTable). It
// returns the vocabulary size, that table and its dimension; nil for the dense encoder.
func tagSequenceInput(mods []musicrep.Modality, ds Dataset, tagEncoder string) (vocab int, table []float32, dim int, err error) {
	for _, m := range mods {
		in, _ := input(ds, m)
		tokens := in.Kind == TokenInput
		switch {
		case m != musicrep.Tags && tokens:
			return 0, nil, 0, fmt.Errorf("the %s input (%s) holds token ids: only the tags modality has a token "+
				"encoder; give %s feature vectors", m, in.Source, m)
		case m != musicrep.Tags:
			continue
		case tagEncoder == joint.TagEncoderMLP && tokens:
			return 0, nil, 0, fmt.Errorf("the tags input (%s) holds token ids (tag sequences) but %s=%s needs "+
				"word-vector features: set %s=attention or mean, or give vector features (musicrep features -method "+
				"tags)", in.Source, joint.ParamTagEncoder, tagEncoder, joint.ParamTagEncoder)
		case tagEncoder != joint.TagEncoderMLP && !tokens:
			return 0, nil, 0, fmt.Errorf("%s=%s needs tags features that hold token ids (tag sequences with their "+
				"vocabulary file: musicrep features -method tags-seq, then -features tags=FILE), but %s holds %d-d "+
				"vectors", joint.ParamTagEncoder, tagEncoder, in.Source, in.Dim)
		case tagEncoder == joint.TagEncoderMLP:
			continue
		}
		table, dim = ds.TagTable()
		if dim < 1 || len(table) < dim || len(table)%dim != 0 {
			return 0, nil, 0, fmt.Errorf("%s=%s: no initial tag table for the tags of %s (%d values, dimension %d): "+
				"load it from the vocabulary file (corpus.ReadVocab)", joint.ParamTagEncoder, tagEncoder, in.Source,
				len(table), dim)
		}
		vocab = len(table)/dim - 1
		if data, ok := ds.(*Data); ok {
			if err := checkTokenIDs(data.features(m), vocab); err != nil {
				return 0, nil, 0, err
			}
		}
	}
	return vocab, table, dim, nil
}

func newJointTask(store *model.Store, ds Dataset) (*jointTask, error) {
	if err := checkDataset(ds); err != nil {
		return nil, err
	}
	mods, dims, err := inputDims(store, joint.ParamModalities, ds)
	if err != nil {
		return nil, err
	}
	// The modalities in their canonical order (what the checkpoint records), before a checkpoint is compared.
	names, _ := musicrep.FormatInputs(mods, nil)
	store.RootScope().SetParam(joint.ParamModalities, names)
	if Param[string](store.RootScope(), joint.ParamTagEncoder) == TagEncoderAuto {
		enc := joint.TagEncoderMLP
		if in, ok := input(ds, musicrep.Tags); ok && in.Kind == TokenInput {
			enc = joint.TagEncoderAttention
		}
		store.RootScope().SetParam(joint.ParamTagEncoder, enc) // resolved before a checkpoint is compared
	}
	resolved := withParam(store, joint.ParamInputDims, dims)
	vocab, table, tagDim, err := tagSequenceInput(mods, ds, Param[string](store.RootScope(), joint.ParamTagEncoder))
	if err != nil {
		return nil, err
	}
	if table != nil {
		resolved = withParam(withParam(resolved, joint.ParamTagVocab, vocab), joint.ParamTagDim, tagDim)
	}
	arch, err := joint.ArchitectureFromStore(resolved)
	if err != nil {
		return nil, err
	}
	arch.TagTable = table
	if i := arch.Index(musicrep.Audio); i >= 0 && arch.MusicnnInput(i) {
		// The pretrained weights the encoder starts from (a resumed run's checkpoint overrides them).
		if arch.MusicnnInit, err = musicnn.ReadWeights(joint.MusicnnModel, ""); err != nil {
			return nil, fmt.Errorf("%s=%s starts from the pretrained %s: %w", joint.ParamAudioEncoder,
				joint.AudioEncoderMusicnn, joint.MusicnnModel, err)
		}
	}
	if err := arch.Validate(); err != nil {
		return nil, err
	}
	for i, m := range arch.Modalities {
		in, _ := input(ds, m)
		if (in.Kind == PatchInput) != arch.MusicnnInput(i) {
			return nil, fmt.Errorf("the %s input of %s is %s, and %s=%s: the musicnn audio encoder reads musicnn "+
				"patches (-musicnn-patches on a Melon-layout dataset with its audio), and musicnn patches need it",
				m, ds.Describe(), in.Kind, joint.ParamAudioEncoder, arch.AudioEncoder)
		}
		if in.Kind == MelInput && !arch.CNNInput(i) {
			return nil, fmt.Errorf("the %s input of %s is log-mel crops: set %s=%s to read them with the CNN", m,
				ds.Describe(), joint.ParamAudioEncoder, joint.AudioEncoderCNN)
		}
		if arch.CNNInput(i) && in.Kind != MelInput {
			return nil, fmt.Errorf("%s=%s reads log-mel crops, but the %s input of %s is %s (train on a "+
				"Melon-layout dataset: -dataset DIR)", joint.ParamAudioEncoder, joint.AudioEncoderCNN, m,
				ds.Describe(), in.Kind)
		}
	}
	obj, err := jointObjectiveFromStore(store.RootScope(), arch.Modalities)
	if err != nil {
		return nil, err
	}
	if i := arch.Index(musicrep.Audio); i >= 0 && arch.CNNInput(i) && (obj.SelfWeight > 0 || obj.NeighbourWeight > 0 ||
		obj.MarginWeight > 0) {
		return nil, fmt.Errorf("%s=%s: the CNN's batch statistics are computed once per step, so the terms that "+
			"encode a second view or partner (%s, %s, %s) are not available with it: set them to 0",
			joint.ParamAudioEncoder, joint.AudioEncoderCNN, ParamJointSelfWeight, ParamJointNeighbourWeight,
			ParamJointMarginWeight)
	}
	train, val := ds.Split()
	if len(train) == 0 {
		return nil, errors.New("joint model: no training tracks (the split is empty?)")
	}
	t := &jointTask{arch: arch, obj: obj, ds: ds, train: train, val: val}
	data, _ := ds.(*Data)
	if (obj.NeighbourWeight > 0 || obj.MarginWeight > 0) && data == nil {
		return nil, fmt.Errorf("joint model: %s and %s need feature files (and pairs): %s has none",
			ParamJointNeighbourWeight, ParamJointMarginWeight, ds.Describe())
	}
	t.data = data
	if obj.NeighbourWeight > 0 {
		feats := slices.Clone(data.Features)
		for i, f := range feats {
			if arch.TokenInput(i) { // neighbours by the mean word vector of the tags, not by the ids
				feats[i] = meanTokenVectors(f, data.TagVectors, data.TagDim)
			}
		}
		t.nbrs = RawNeighbours(feats, data.Tracks, obj.Neighbours)
	}
	if obj.MarginWeight > 0 {
		if err := data.Validate(); err != nil {
			return nil, fmt.Errorf("joint model with %s=%g needs labelled pairs: %w", ParamJointMarginWeight,
				obj.MarginWeight, err)
		}
		t.byAnchor = map[int32][]int{}
		for i, a := range data.Anchor {
			t.byAnchor[a] = append(t.byAnchor[a], i)
		}
	}
	return t, nil
}

func (t *jointTask) String() string {
	s := fmt.Sprintf("%s; %s loss (τ=%g%s) on pairs [%s]", t.arch, t.obj.Loss, t.obj.Temperature,
		map[bool]string{true: " initial, learnable", false: ""}[t.obj.Loss == "infonce"], strings.Join(t.obj.PairNames, " "))
	if t.obj.FusionWeight > 0 {
		s += fmt.Sprintf(" + %g×fusion terms (modality dropout %g)", t.obj.FusionWeight, t.obj.ModalityDropout)
	}
	if t.obj.NeighbourWeight > 0 {
		s += fmt.Sprintf(" + %g×neighbour term (%d raw-feature neighbours per modality)", t.obj.NeighbourWeight,
			t.obj.Neighbours)
	}
	if t.obj.SelfWeight > 0 {
		s += fmt.Sprintf(" + %g×per-modality self terms (input dropout %g)", t.obj.SelfWeight, t.obj.InputDropout)
	}
	if t.obj.MarginWeight > 0 {
		s += fmt.Sprintf(" + %g×margin pair loss (margin %g)", t.obj.MarginWeight, t.obj.Margin)
	}
	return s
}
func (t *jointTask) name() string                    { return JointArchitectureName }
func (t *jointTask) unit() string                    { return "tracks" }
func (t *jointTask) numExamples() int                { return len(t.train) }
func (t *jointTask) batchSize(*model.Scope) int      { return t.obj.BatchSize }
func (t *jointTask) batchSizeParam() string          { return ParamJointBatchSize }
func (t *jointTask) setInStore(store *model.Store)   { t.arch.SetInStore(store) }
func (t *jointTask) modalities() []musicrep.Modality { return t.arch.Modalities }

func (t *jointTask) compatKeys() []string {
	return []string{ParamModel, joint.ParamModalities, joint.ParamDim, joint.ParamHidden, joint.ParamDropout,
		joint.ParamFusion, joint.ParamAudioEncoder, joint.ParamTagEncoder, joint.ParamTagHeads, ParamJointLoss, ParamJointTemperature, ParamJointPairs, ParamJointFusionWeight,
		ParamJointMarginWeight, ParamJointModalityDropout, ParamJointBatchSize, ParamJointSelfWeight,
		ParamJointInputDropout, ParamJointNeighbourWeight, ParamJointNeighbours, ParamLearningRate, ParamShuffle,
		ParamSeed}
}

// jointBatch names the graph inputs of a joint step (k modalities, B tracks). Partner fields are set with the
// margin or the neighbour term: a partner per track (the other track of a labelled pair, or a raw-feature
// neighbour).
type jointBatch struct {
	X            []*Node // [B, D_i] inputs of the tracks (features, flattened mel crops or token ids)
	Full         []*Node // [B] presence masks
	ViewA, ViewB []*Node // [B] masks of the two fused views (presence with modality dropout)
	Partner      []*Node // [B, D_i] partner inputs
	PartnerMask  []*Node // [B] partner presence masks
	Neighbour    *Node   // [B] 1 where the partner is a real neighbour
}

// unpackJoint names the trainer's positional inputs, in the order rowsBatch appends them.
func unpackJoint(in []*Node, k int) jointBatch {
	b := jointBatch{X: in[:k], Full: in[k : 2*k], ViewA: in[2*k : 3*k], ViewB: in[3*k : 4*k]}
	if len(in) > 4*k {
		b.Partner, b.PartnerMask, b.Neighbour = in[4*k:5*k], in[5*k:6*k], in[6*k]
	}
	return b
}

func (t *jointTask) modelFn(scope *model.Scope, _ any, in []*Node) []*Node {
	k := len(t.arch.Modalities)
	nb := unpackJoint(in, k)
	x, full, viewA, viewB := nb.X, nb.Full, nb.ViewA, nb.ViewB
	z := make([]*Node, k)
	for i := range k {
		z[i] = joint.EncodeModality(scope, t.arch, i, x[i])
	}
	g := x[0].Graph()
	dtype := x[0].DType()
	lossScope := scope.In("objective")
	var pairLoss func(a, b, valid *Node) *Node
	if t.obj.Loss == "infonce" {
		scale := objective.LogitScaleVariable(lossScope, g, dtype, -math.Log(t.obj.Temperature), 0)
		pairLoss = func(a, b, valid *Node) *Node { return objective.MaskedInfoNCE(a, b, valid, scale) }
	} else {
		pairLoss = func(a, b, valid *Node) *Node { return objective.MaskedNTXent(a, b, valid, t.obj.Temperature) }
	}
	total := ScalarZero(g, dtype)
	for _, p := range t.obj.Pairs {
		total = Add(total, pairLoss(z[p[0]], z[p[1]], Mul(full[p[0]], full[p[1]])))
	}
	if t.obj.FusionWeight > 0 {
		fa := joint.Fuse(scope, t.arch, z, viewA)
		fb := joint.Fuse(scope, t.arch, z, viewB)
		anyA, anyB := anyPresent(viewA), anyPresent(viewB)
		fusion := pairLoss(fa, fb, Mul(anyA, anyB))
		for i := range k {
			fusion = Add(fusion, pairLoss(fa, z[i], Mul(anyA, full[i])))
		}
		total = Add(total, MulScalar(fusion, t.obj.FusionWeight))
	}
	if t.obj.SelfWeight > 0 {
		// Two views of each modality's features with independent feature dropout (active in training only):
		// instance discrimination within the modality keeps its own neighbourhood structure in the shared space.
		self := ScalarZero(g, dtype)
		aug := scope.In("augment")
		for i := range k {
			m := string(t.arch.Modalities[i])
			v1 := joint.EncodeModality(scope, t.arch, i, t.inputDropout(aug.In("%s_1", m), i, x[i]))
			v2 := joint.EncodeModality(scope, t.arch, i, t.inputDropout(aug.In("%s_2", m), i, x[i]))
			self = Add(self, pairLoss(v1, v2, full[i]))
		}
		total = Add(total, MulScalar(self, t.obj.SelfWeight))
	}
	if t.obj.MarginWeight > 0 || t.obj.NeighbourWeight > 0 {
		fFull := joint.Fuse(scope, t.arch, z, full)
		pz := make([]*Node, k)
		for i := range k {
			pz[i] = joint.EncodeModality(scope, t.arch, i, nb.Partner[i])
		}
		fPartner := joint.Fuse(scope, t.arch, pz, nb.PartnerMask)
		if t.obj.NeighbourWeight > 0 {
			valid := nb.Neighbour // 1 where the track has a neighbour partner
			total = Add(total, MulScalar(pairLoss(fFull, fPartner, valid), t.obj.NeighbourWeight))
		}
		return []*Node{total, fFull, fPartner}
	}
	return []*Node{total}
}

// inputDropout makes one noisy view of modality i's features for the self terms: feature dropout of vectors, or,
// for token ids, token dropout (a dropped tag becomes padding; ids are never scaled). Training graphs only.
func (t *jointTask) inputDropout(scope *model.Scope, i int, x *Node) *Node {
	if !t.arch.TokenInput(i) {
		return layers.DropoutStatic(scope, x, t.obj.InputDropout)
	}
	kept := GreaterThan(layers.DropoutStatic(scope, OnesLike(x), t.obj.InputDropout), ZerosLike(x))
	return Where(kept, x, ZerosLike(x))
}

func (t *jointTask) lossFn(labels, predictions []*Node) *Node {
	if t.obj.MarginWeight > 0 {
		margin := objective.MarginPairLoss(predictions[1], predictions[2], labels[0], t.obj.Margin)
		return Add(predictions[0], MulScalar(margin, t.obj.MarginWeight))
	}
	return predictions[0]
}

// anyPresent is 1 for the rows where at least one of the masks is 1.
func anyPresent(masks []*Node) *Node {
	sum := masks[0]
	for _, m := range masks[1:] {
		sum = Add(sum, m)
	}
	return MinScalar(sum, 1)
}

// batch builds the inputs for a batch of training tracks. The modality dropout of the two fused views, the mel
// crops and the partner of each track (margin term) are drawn from (seed, epoch, step), so a resumed run sees
// the same batches.
func (t *jointTask) batch(examples []int, seed uint64, epoch, step int) (train.Batch, error) {
	rows := make([]int32, len(examples))
	for j, e := range examples {
		rows[j] = t.train[e]
	}
	return t.rowsBatch(rows, rand.New(rand.NewPCG(seed^0x6a6f696e74, uint64(epoch)<<32|uint64(step))))
}

func (t *jointTask) rowsBatch(rows []int32, rng *rand.Rand) (train.Batch, error) {
	n := len(rows)
	mods := t.arch.Modalities
	k := len(mods)
	gather := func(rows []int32) ([]*tensors.Tensor, error) {
		out := make([]*tensors.Tensor, k)
		for i, m := range mods {
			x, err := t.ds.Gather(m, rows, rng)
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	}
	masks := func(rows []int32) [][]float32 {
		out := make([][]float32, k)
		for i, m := range mods {
			out[i] = make([]float32, len(rows))
			for j, r := range rows {
				if t.ds.Present(m, r) {
					out[i][j] = 1
				}
			}
		}
		return out
	}
	inputs, err := gather(rows)
	if err != nil {
		return train.Batch{}, err
	}
	full := masks(rows)
	views := [2][][]float32{dropModalities(rng, full, t.obj.ModalityDropout), dropModalities(rng, full, t.obj.ModalityDropout)}
	for _, ms := range [][][]float32{full, views[0], views[1]} {
		for _, m := range ms {
			inputs = append(inputs, tensors.FromFlatDataAndDimensions(m, n))
		}
	}
	labels := make([]float32, n)
	if t.obj.MarginWeight > 0 || t.obj.NeighbourWeight > 0 {
		partners := make([]int32, n)
		valid := make([]float32, n)
		for j, r := range rows {
			if t.obj.NeighbourWeight > 0 {
				partners[j] = r
				if c := t.nbrs[r]; len(c) > 0 {
					partners[j], valid[j] = c[rng.IntN(len(c))], 1
				}
				continue
			}
			cands := t.byAnchor[r]
			if len(cands) == 0 { // a track without labelled pairs: pair it with itself as a positive
				partners[j], labels[j] = r, 1
				continue
			}
			p := cands[rng.IntN(len(cands))]
			partners[j], labels[j] = t.data.Other[p], t.data.Label[p]
		}
		px, err := gather(partners)
		if err != nil {
			return train.Batch{}, err
		}
		inputs = append(inputs, px...)
		for _, m := range masks(partners) {
			inputs = append(inputs, tensors.FromFlatDataAndDimensions(m, n))
		}
		inputs = append(inputs, tensors.FromFlatDataAndDimensions(valid, n))
	}
	return train.Batch{Inputs: inputs, Labels: []*tensors.Tensor{tensors.FromFlatDataAndDimensions(labels, n)}}, nil
}

// validation implements validating for datasets with a validation split: the validation tracks in order, in
// batches of the training batch size (a last one of fewer than two tracks left out), with modality dropout and
// crops drawn from a fixed seed, so every epoch is scored on the same views.
func (t *jointTask) validation(seed uint64, batchSize int) (int, func(i int) (train.Batch, int, error)) {
	return validationBatches(t.val, batchSize, func(rows []int32, i int) (train.Batch, error) {
		return t.rowsBatch(rows, rand.New(rand.NewPCG(seed^0x76616c, uint64(i))))
	})
}

// checkTokenIDs verifies that every value of the token-id features f is an id of a vocabulary of the given size
// (an integer in [0, vocab]): an id outside the table would be clamped silently by the embedding lookup.
func checkTokenIDs(f *musicrep.Features, vocab int) error {
	for k, x := range f.Data {
		if x != float32(math.Trunc(float64(x))) || x < 0 || int(x) > vocab {
			return fmt.Errorf("tags features %s row %d: value %g is not a token id of the vocabulary %s (integers "+
				"in [0, %d]); regenerate the features and the vocabulary together", f.Source, k/f.Dim, x, f.Vocab,
				vocab)
		}
	}
	return nil
}

// meanTokenVectors returns vector features for token-id features: each present row is the mean of its tokens'
// table rows (padding left out), which is what the word-vector tag features are, up to the tags truncated by the
// sequence length.
func meanTokenVectors(f *musicrep.Features, table []float32, dim int) *musicrep.Features {
	out := &musicrep.Features{Modality: f.Modality, Source: f.Source + " (mean word vectors)", Dim: dim,
		Data: make([]float32, f.NumRows()*dim), Present: slices.Clone(f.Present)}
	for r := range f.NumRows() {
		row := out.Row(r)
		n := 0
		for _, id := range f.Row(r) {
			if id == 0 {
				continue
			}
			n++
			for j, v := range table[int(id)*dim : (int(id)+1)*dim] {
				row[j] += v
			}
		}
		for j := range row {
			row[j] /= float32(max(n, 1))
		}
	}
	return out
}

// dropModalities returns a copy of the presence masks (one [n] slice per modality) where each present modality
// is dropped with probability p, keeping at least one present modality per row.
func dropModalities(rng *rand.Rand, full [][]float32, p float64) [][]float32 {
	k := len(full)
	out := make([][]float32, k)
	for i := range out {
		out[i] = make([]float32, len(full[i]))
	}
	for j := range full[0] {
		var present []int
		kept := 0
		for i := range k {
			if full[i][j] == 0 {
				continue
			}
			present = append(present, i)
			if rng.Float64() >= p {
				out[i][j] = 1
				kept++
			}
		}
		if kept == 0 && len(present) > 0 {
			out[present[rng.IntN(len(present))]][j] = 1
		}
	}
	return out
}

// RawNeighbours lists, for every row of the given training rows, its positive partners for the neighbour term:
// for each modality the row has, its k nearest training rows by cosine of the raw features (other rows with that
// modality; identical vectors excluded, as binding_music's positive mining excludes distance 0), merged without
// duplicates. Rows outside rows get no partners. This is binding_music's idea of positives as nearest
// neighbours in each single-modality space, computed only from the training tracks' own features.
func RawNeighbours(feats []*musicrep.Features, rows []int32, k int) [][]int32 {
	n := feats[0].NumRows()
	out := make([][]int32, n)
	seen := make([]map[int32]bool, n)
	for _, f := range feats {
		var have []int
		for _, r := range rows {
			if f.Present[r] {
				have = append(have, int(r))
			}
		}
		if len(have) < 2 {
			continue
		}
		x := evaluation.GatherRows(evaluation.Normalize(f.Data, f.Dim), f.Dim, have)
		flat, err := index.NewFlat(x, f.Dim)
		if err != nil {
			panic(fmt.Sprintf("RawNeighbours: %s features: %v", f.Modality, err))
		}
		res, err := flat.Search(x, min(len(have), k+16), index.SearchOptions{Exclude: func(q, i int) bool { return q == i }})
		if err != nil {
			panic(fmt.Sprintf("RawNeighbours: %s features: %v", f.Modality, err))
		}
		for qi, nbs := range res {
			r := have[qi]
			if seen[r] == nil {
				seen[r] = map[int32]bool{}
			}
			taken := 0
			for _, nb := range nbs {
				if taken == k {
					break
				}
				if nb.Dist == 0 {
					continue
				}
				taken++
				o := int32(have[nb.Index])
				if !seen[r][o] {
					seen[r][o] = true
					out[r] = append(out[r], o)
				}
			}
		}
	}
	return out
}
