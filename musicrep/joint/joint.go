// Package joint is musicrep's multi-modal model: every modality has its own encoder into one shared
// d-dimensional space, so a track can be placed there from any single modality, and a fusion head combines
// whichever modalities a track has into one track embedding.
//
//	modality m:  x_m ─ row L2-normalise·√D_m ─ Linear(D_m→H) ─ GELU ─ Dropout ─ Linear(H→d) ─ L2-normalise ─ z_m
//	tags as ids: ids ─ encoder.SelfAttention or encoder.Mean (table D_w-d) ─ Linear(D_w→d) ─ L2-normalise ─ z_tags
//	audio, cnn:  48×256 log-mel crop ─ contrastive-mir's CNN (encoder.AudioCNN) ─ z_d ─ L2-normalise ─ z_audio
//	audio, musicnn: 187×96 musicnn patch ─ MSD_musicnn to its 200-d penultimate layer (initialised from the
//	             checkpoint, fine-tuned; batch norm with frozen moving statistics) ─ Linear(200→d) ─ L2-normalise
//	fusion:      w = masked softmax over the present modalities of Linear(d→1)(z_m)   ("attention")
//	             or uniform over the present modalities                                ("mean")
//	             f = Σ_m w_m z_m;  f ← f + Linear(H→d)(GELU(Linear(d→H)(f)));  f ← f/‖f‖
//
// The tags modality has its dense encoder by default (ParamTagEncoder "mlp", on mean word-vector features); with
// "attention" or "mean" its features are tag sequences (token ids, musicrep.Features.Vocab set) and its encoder
// is contrastive-mir's TagSelfAttentionEncoder or TagMeanEncoder (package encoder), whose embedding table is a
// model variable initialised from the word vectors (Architecture.TagTable) and saved with the checkpoint.
//
// Missing modalities are masked (never encoded from their zero rows), and a row with no modality at all gives
// the zero vector. Training (package training) samples modality dropout on the host, aligns the modality
// embeddings pairwise with a masked contrastive loss (CLIP's InfoNCE with a learnable temperature, or
// contrastive-mir's NT-Xent), aligns the fused embedding of a modality-dropped view with every modality
// embedding, and can add binding_music's margin pair loss on fused embeddings.
//
// Every architecture choice is a hyperparameter in the model.Store (the Param* constants; defaults in
// training.DefaultHyperparameters), so a checkpoint rebuilds the same model.
package joint

import (
	"fmt"
	"math"
	"strings"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX idiom.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/encoder"
	"github.com/musicrep/musicrep/musicrep/musicnn"
)

// Hyperparameter keys of the joint model's architecture.
const (
	// ParamModalities is the comma-separated list of modalities with an encoder, e.g. "audio,image,text,tags".
	ParamModalities = "joint_modalities"
	// ParamInputDims is one feature size per modality (in musicrep.ModalityOrder), taken from the feature files.
	ParamInputDims = "joint_input_dims"
	// ParamDim is d, the size of the shared space.
	ParamDim = "joint_dim"
	// ParamHidden is H, the hidden width of each encoder and of the fusion MLP.
	ParamHidden = "joint_hidden"
	// ParamDropout is the dropout rate inside the encoders.
	ParamDropout = "joint_dropout"
	// ParamFusion selects the fusion weights: "attention" (learned, masked softmax) or "mean".
	ParamFusion = "joint_fusion"
	// ParamTagEncoder selects the encoder of the tags modality: "mlp" (the dense encoder of every modality, on
	// word-vector features), "attention" (contrastive-mir's 4-head tag self-attention) or "mean" (its tag mean
	// encoder); the last two read tag sequences (token ids, `musicrep features -method tags-seq`).
	ParamTagEncoder = "joint_tag_encoder"
	// ParamTagHeads is the number of attention heads of the "attention" tag encoder (contrastive-mir: 4).
	ParamTagHeads = "joint_tag_heads"
	// ParamTagVocab is the number of distinct tags of the tag encoders (their table has one more row, the
	// padding); taken from the tags features' vocabulary file.
	ParamTagVocab = "joint_tag_vocab"
	// ParamTagDim is the size of the tag encoders' word vectors; taken from the vocabulary file. The sequence
	// length (max tags) is the tags modality's input dim (ParamInputDims).
	ParamTagDim = "joint_tag_dim"
	// ParamAudioEncoder selects the encoder of the audio modality: "mlp" (the dense encoder of every modality,
	// on frozen audio features) or "cnn" (contrastive-mir's audio CNN on log-mel crops, 48 bands × 256 frames,
	// as a Melon-layout dataset gives them; its widths come from the cmir_ CNN keys) or "musicnn" (the pretrained
	// MSD_musicnn network on musicnn's 3 s input patches, its variables initialised from the checkpoint and
	// fine-tuned, batch normalisation in inference mode with the checkpoint's moving statistics frozen; its
	// 200-d penultimate features projected into the space).
	ParamAudioEncoder = "joint_audio_encoder"
)

// Audio encoders (ParamAudioEncoder).
const (
	AudioEncoderMLP     = "mlp"
	AudioEncoderCNN     = "cnn"
	AudioEncoderMusicnn = "musicnn"
)

// MusicnnModel is the pretrained network of the musicnn audio encoder.
const MusicnnModel = "MSD_musicnn"

// Tag encoders (ParamTagEncoder).
const (
	TagEncoderMLP       = "mlp"
	TagEncoderAttention = "attention"
	TagEncoderMean      = "mean"
)

// Fusion kinds.
const (
	FusionAttention = "attention"
	FusionMean      = "mean"
)

// Architecture is the resolved set of architecture hyperparameters.
type Architecture struct {
	Modalities []musicrep.Modality // in musicrep.ModalityOrder
	InputDims  []int
	Dim        int
	Hidden     int
	Dropout    float64
	Fusion     string
	TagEncoder string // TagEncoderMLP, TagEncoderAttention or TagEncoderMean
	TagHeads   int    // heads of the attention tag encoder
	TagVocab   int    // distinct tags of the attention and mean tag encoders
	TagDim     int    // their word-vector size
	// TagTable is the initial embedding table of the attention or mean tag encoder ((TagVocab+1)×TagDim,
	// row 0 padding): needed only when its variable is created (a new training run); nil when a checkpoint is
	// loaded, whose table variable holds the (trained) values.
	TagTable []float32
	// AudioEncoder is AudioEncoderMLP or AudioEncoderCNN; CNN shapes the latter (its Out is Dim).
	AudioEncoder string
	CNN          encoder.AudioConfig
	// MusicnnInit holds the initial values of the musicnn audio encoder's variables (musicnn.ReadWeights of
	// MusicnnModel): needed only when they are created (a new training run); nil when a checkpoint is loaded.
	MusicnnInit map[string]*tensors.Tensor
}

// ArchitectureFromStore reads the architecture from the store's root scope.
func ArchitectureFromStore(store *model.Store) (Architecture, error) {
	scope := store.RootScope()
	var a Architecture
	var err error
	a.Modalities, a.InputDims, err = musicrep.ParseInputs(model.GetParamOr(scope, ParamModalities, ""),
		ParamModalities, model.GetParamOr(scope, ParamInputDims, ""), ParamInputDims)
	if err != nil {
		return a, err
	}
	a.Dim = model.GetParamOr(scope, ParamDim, 128)
	a.Hidden = model.GetParamOr(scope, ParamHidden, 512)
	a.Dropout = model.GetParamOr(scope, ParamDropout, 0.1)
	a.Fusion = model.GetParamOr(scope, ParamFusion, FusionAttention)
	// Checkpoints written before the tag encoders existed have none of these keys: the dense encoder.
	a.TagEncoder = model.GetParamOr(scope, ParamTagEncoder, TagEncoderMLP)
	a.TagHeads = model.GetParamOr(scope, ParamTagHeads, 4)
	a.TagVocab = model.GetParamOr(scope, ParamTagVocab, 0)
	a.TagDim = model.GetParamOr(scope, ParamTagDim, 0)
	// Checkpoints written before the CNN audio encoder existed have no such key: the dense encoder.
	a.AudioEncoder = model.GetParamOr(scope, ParamAudioEncoder, AudioEncoderMLP)
	if a.AudioEncoder == AudioEncoderCNN {
		if a.CNN, err = encoder.AudioConfigFromStore(scope, a.Dim); err != nil {
			return a, err
		}
	}
	return a, a.Validate()
}

// SetInStore writes the architecture into the store's hyperparameters.
func (a Architecture) SetInStore(store *model.Store) {
	scope := store.RootScope()
	names, dims := musicrep.FormatInputs(a.Modalities, a.InputDims)
	scope.SetParam(ParamModalities, names)
	scope.SetParam(ParamInputDims, dims)
	scope.SetParam(ParamDim, a.Dim)
	scope.SetParam(ParamHidden, a.Hidden)
	scope.SetParam(ParamDropout, a.Dropout)
	scope.SetParam(ParamFusion, a.Fusion)
	scope.SetParam(ParamTagEncoder, a.TagEncoder)
	scope.SetParam(ParamTagHeads, a.TagHeads)
	scope.SetParam(ParamTagVocab, a.TagVocab)
	scope.SetParam(ParamTagDim, a.TagDim)
	scope.SetParam(ParamAudioEncoder, a.AudioEncoder)
}

// CNNInput reports whether modality i is audio read by the CNN (flattened 48 × 256 log-mel crops).
func (a Architecture) CNNInput(i int) bool {
	return a.Modalities[i] == musicrep.Audio && a.AudioEncoder == AudioEncoderCNN
}

// MusicnnInput reports whether modality i is audio read by the musicnn network (flattened 187 × 96 patches).
func (a Architecture) MusicnnInput(i int) bool {
	return a.Modalities[i] == musicrep.Audio && a.AudioEncoder == AudioEncoderMusicnn
}

// musicnnScope is the sub-scope of the audio encoder holding musicnn's variables, under their checkpoint names.
const musicnnScope = "musicnn"

// musicnnFrozen reports whether a musicnn checkpoint variable stays as loaded: the batch normalisation moving
// statistics (inference mode; γ and β are trained).
func musicnnFrozen(name string) bool {
	return strings.HasSuffix(name, "/moving_mean") || strings.HasSuffix(name, "/moving_variance")
}

// musicnnVariables lists the musicnn variables the encoder uses (the tag layer dense_1 left out), by checkpoint
// name.
func musicnnVariables() map[string][]int {
	spec, err := musicnn.SpecByName(MusicnnModel)
	if err != nil {
		panic(err)
	}
	out := map[string][]int{}
	for name, dims := range spec.Variables() {
		if !strings.HasPrefix(name, "dense_1/") {
			out[name] = dims
		}
	}
	return out
}

// Validate checks that the architecture can be built.
func (a Architecture) Validate() error {
	switch {
	case len(a.Modalities) == 0:
		return fmt.Errorf("joint model needs at least one modality (%s)", ParamModalities)
	case len(a.InputDims) != len(a.Modalities):
		return fmt.Errorf("joint model: %d modalities (%v) but %d input dims (%v); set %s to one size per modality",
			len(a.Modalities), a.Modalities, len(a.InputDims), a.InputDims, ParamInputDims)
	case a.Dim < 1 || a.Hidden < 1:
		return fmt.Errorf("joint model: %s=%d and %s=%d must be ≥ 1", ParamDim, a.Dim, ParamHidden, a.Hidden)
	case a.Dropout < 0 || a.Dropout >= 1:
		return fmt.Errorf("joint model: %s=%g must be in [0, 1)", ParamDropout, a.Dropout)
	case a.Fusion != FusionAttention && a.Fusion != FusionMean:
		return fmt.Errorf("joint model: %s=%q: use %q or %q", ParamFusion, a.Fusion, FusionAttention, FusionMean)
	}
	for i, d := range a.InputDims {
		if d < 1 {
			return fmt.Errorf("joint model: input dim %d for %s must be ≥ 1", d, a.Modalities[i])
		}
	}
	switch a.AudioEncoder {
	case "", AudioEncoderMLP:
	case AudioEncoderCNN:
		if i := a.Index(musicrep.Audio); i >= 0 && a.InputDims[i] != encoder.Bands*encoder.CropFrames {
			return fmt.Errorf("joint model: %s=cnn reads %d×%d log-mel crops, but the audio input has %d values "+
				"(train on a Melon-layout dataset: -dataset DIR)", ParamAudioEncoder, encoder.Bands,
				encoder.CropFrames, a.InputDims[i])
		}
	case AudioEncoderMusicnn:
		if i := a.Index(musicrep.Audio); i >= 0 && a.InputDims[i] != musicnn.PatchValues {
			return fmt.Errorf("joint model: %s=musicnn reads musicnn's %d×%d input patches, but the audio input has "+
				"%d values (train on a Melon-layout dataset with its audio: -dataset DIR -musicnn-patches)",
				ParamAudioEncoder, musicnn.PatchFrames, musicnn.Bands, a.InputDims[i])
		}
		if a.MusicnnInit != nil {
			for name, dims := range musicnnVariables() {
				t := a.MusicnnInit[name]
				if t == nil || fmt.Sprint(t.Shape().Dimensions) != fmt.Sprint(dims) {
					return fmt.Errorf("joint model: the initial musicnn weights lack %s %v (musicnn.ReadWeights(%q))",
						name, dims, MusicnnModel)
				}
			}
		}
	default:
		return fmt.Errorf("joint model: %s=%q: use %q, %q or %q", ParamAudioEncoder, a.AudioEncoder, AudioEncoderMLP,
			AudioEncoderCNN, AudioEncoderMusicnn)
	}
	switch a.TagEncoder {
	case TagEncoderMLP, TagEncoderAttention, TagEncoderMean:
	default:
		return fmt.Errorf("joint model: %s=%q: use %q, %q or %q", ParamTagEncoder, a.TagEncoder, TagEncoderMLP,
			TagEncoderAttention, TagEncoderMean)
	}
	if a.Index(musicrep.Tags) < 0 || a.TagEncoder == TagEncoderMLP {
		return nil
	}
	switch {
	case a.TagVocab < 1 || a.TagDim < 1:
		return fmt.Errorf("joint model: %s=%s needs the tag vocabulary: %s=%d and %s=%d must be ≥ 1 (they are "+
			"taken from the tags features' vocabulary file, musicrep features -method tags-seq)", ParamTagEncoder,
			a.TagEncoder, ParamTagVocab, a.TagVocab, ParamTagDim, a.TagDim)
	case a.TagEncoder == TagEncoderAttention && a.TagHeads < 1:
		return fmt.Errorf("joint model: %s=%d must be ≥ 1", ParamTagHeads, a.TagHeads)
	case a.TagTable != nil && len(a.TagTable) != (a.TagVocab+1)*a.TagDim:
		return fmt.Errorf("joint model: the initial tag table has %d values, want (%s+1)·%s = (%d+1)·%d = %d",
			len(a.TagTable), ParamTagVocab, ParamTagDim, a.TagVocab, a.TagDim, (a.TagVocab+1)*a.TagDim)
	}
	return nil
}

// TokenInput reports whether modality i reads token ids (the tags modality with the attention or mean tag
// encoder) rather than feature vectors.
func (a Architecture) TokenInput(i int) bool {
	return a.Modalities[i] == musicrep.Tags && a.TagEncoder != TagEncoderMLP
}

// Index returns the position of modality m in a.Modalities, or -1.
func (a Architecture) Index(m musicrep.Modality) int {
	for i, x := range a.Modalities {
		if x == m {
			return i
		}
	}
	return -1
}

// VariableShapes lists every variable of the model (path → shape), for checkpoint checks: the trainable ones
// and the frozen embedding table of the mean tag encoder (see FrozenVariable).
func (a Architecture) VariableShapes() map[string][]int {
	out := map[string][]int{}
	for i, m := range a.Modalities {
		p := "/encoder/" + string(m)
		if a.TokenInput(i) {
			for path, dims := range a.tagEncoderShapes() {
				out[path] = dims
			}
			continue
		}
		if a.CNNInput(i) {
			continue // counted by CNNParams
		}
		if a.MusicnnInput(i) {
			for name, dims := range musicnnVariables() {
				out[p+"/"+musicnnScope+"/"+name] = dims
			}
			out[p+"/output/weights"] = []int{musicnn.PenultimateDim, a.Dim}
			out[p+"/output/biases"] = []int{a.Dim}
			continue
		}
		out[p+"/hidden/weights"] = []int{a.InputDims[i], a.Hidden}
		out[p+"/hidden/biases"] = []int{a.Hidden}
		out[p+"/output/weights"] = []int{a.Hidden, a.Dim}
		out[p+"/output/biases"] = []int{a.Dim}
	}
	if a.Fusion == FusionAttention {
		out["/fusion/score/weights"] = []int{a.Dim, 1}
		out["/fusion/score/biases"] = []int{1}
	}
	out["/fusion/hidden/weights"] = []int{a.Dim, a.Hidden}
	out["/fusion/hidden/biases"] = []int{a.Hidden}
	out["/fusion/output/weights"] = []int{a.Hidden, a.Dim}
	out["/fusion/output/biases"] = []int{a.Dim}
	return out
}

// tagEncoderShapes lists the variables of the attention or mean tag encoder (in the sub-scope named after it,
// /encoder/tags/attention or /encoder/tags/mean) and of its projection into the space (/encoder/tags/output).
func (a Architecture) tagEncoderShapes() map[string][]int {
	p := "/encoder/" + string(musicrep.Tags)
	e := p + "/" + a.TagEncoder
	v, w := a.TagVocab, a.TagDim
	out := map[string][]int{
		e + "/" + encoder.EmbeddingsVariable: {v + 1, w},
		e + "/layer_normalization/gain":      {w},
		e + "/layer_normalization/offset":    {w},
		p + "/output/weights":                {w, a.Dim},
		p + "/output/biases":                 {a.Dim},
	}
	if a.TagEncoder == TagEncoderAttention {
		h := a.TagHeads
		out[e+"/query/weights"] = []int{w, h * w}
		out[e+"/key/weights"] = []int{w, h * w}
		out[e+"/value/weights"] = []int{w, h * w}
		out[e+"/output/weights"] = []int{h * w, w}
	} else {
		out[e+"/projection/weights"] = []int{w, w}
	}
	return out
}

// FrozenVariable reports whether the variable at path is part of the model but not trained: the embedding
// table of the mean tag encoder (contrastive-mir freezes it) and the musicnn encoder's batch normalisation
// moving statistics.
func (a Architecture) FrozenVariable(path string) bool {
	if a.AudioEncoder == AudioEncoderMusicnn &&
		strings.HasPrefix(path, "/encoder/"+string(musicrep.Audio)+"/"+musicnnScope+"/") && musicnnFrozen(path) {
		return true
	}
	return a.TagEncoder == TagEncoderMean && a.Index(musicrep.Tags) >= 0 &&
		path == "/encoder/"+string(musicrep.Tags)+"/"+TagEncoderMean+"/"+encoder.EmbeddingsVariable
}

// TagEncoderParams is the number of trainable parameters of the attention or mean tag encoder with its
// projection into the space (encoder.SelfAttentionParams or encoder.MeanParams, plus TagDim·d + d); 0 for the
// dense encoder.
func (a Architecture) TagEncoderParams() int {
	i := a.Index(musicrep.Tags)
	if i < 0 || !a.TokenInput(i) {
		return 0
	}
	proj := a.TagDim*a.Dim + a.Dim
	if a.TagEncoder == TagEncoderAttention {
		return encoder.SelfAttentionParams(a.TagVocab, a.TagDim, a.TagHeads) + proj
	}
	return encoder.MeanParams(a.TagDim) + proj
}

// NumParams is the number of trainable parameters of the model (the training objective may add a temperature).
func (a Architecture) NumParams() int {
	n := 0
	if i := a.Index(musicrep.Audio); i >= 0 && a.CNNInput(i) {
		n += a.CNN.NumParams()
	}
	for path, dims := range a.VariableShapes() {
		if a.FrozenVariable(path) {
			continue
		}
		size := 1
		for _, d := range dims {
			size *= d
		}
		n += size
	}
	return n
}

// String describes the architecture in one line.
func (a Architecture) String() string {
	parts := make([]string, len(a.Modalities))
	for i, m := range a.Modalities {
		parts[i] = fmt.Sprintf("%s %d", m, a.InputDims[i])
		if a.CNNInput(i) {
			parts[i] = fmt.Sprintf("%s: %d×%d log-mel crops → CNN widths %v", m, encoder.Bands, encoder.CropFrames,
				a.CNN.Widths)
		}
		if a.MusicnnInput(i) {
			parts[i] = fmt.Sprintf("%s: %d×%d musicnn patches → %s (fine-tuned, batch norm frozen) → 200-d", m,
				musicnn.PatchFrames, musicnn.Bands, MusicnnModel)
		}
		if a.TokenInput(i) {
			enc := "mean encoder (frozen table)"
			if a.TagEncoder == TagEncoderAttention {
				enc = fmt.Sprintf("%d-head self-attention encoder", a.TagHeads)
			}
			parts[i] = fmt.Sprintf("%s: %d tag ids → %s over %d×%d word vectors", m, a.InputDims[i], enc,
				a.TagVocab+1, a.TagDim)
		}
	}
	s := fmt.Sprintf("joint d=%d H=%d [%s] → per-modality encoders → %s fusion (%d params)", a.Dim, a.Hidden,
		strings.Join(parts, ", "), a.Fusion, a.NumParams())
	if a.Dropout > 0 {
		s += fmt.Sprintf(", dropout %g", a.Dropout)
	}
	return s
}

// enter returns the sub-scope name of scope, entering it with In the first time and with Shared afterwards: the
// encoders and the fusion head are applied several times in one training graph (two fused views, the partners of
// the margin term), always with the same weights.
func enter(scope *model.Scope, name string) (sub *model.Scope) {
	defer func() {
		if recover() != nil {
			sub = scope.Shared("%s", name)
		}
	}()
	return scope.In("%s", name)
}

// l2Normalize divides each row of x by max(‖x‖, 1e-12): zero rows stay zero.
func l2Normalize(x *Node) *Node {
	norm := Sqrt(ReduceSum(Square(x), -1))
	return Div(x, InsertAxes(MaxScalar(norm, 1e-12), -1))
}

// EncodeModality maps the [B, D_i] features of modality i to its unit-norm [B, d] embedding in the shared space.
// Rows of missing tracks produce some vector; the caller masks them. For a token-input modality (TokenInput)
// x holds token ids as floats (0 = padding), which are converted to int32 for the tag encoder.
func EncodeModality(scope *model.Scope, a Architecture, i int, x *Node) *Node {
	if x.Rank() != 2 || x.Shape().Dimensions[1] != a.InputDims[i] {
		panic(fmt.Sprintf("joint.EncodeModality: %s features have shape %s, the model expects [batch, %d]",
			a.Modalities[i], x.Shape(), a.InputDims[i]))
	}
	s := enter(enter(scope, "encoder"), string(a.Modalities[i]))
	if a.CNNInput(i) {
		// The CNN's BatchNorm keeps batch statistics: it is built once per graph (Validate of the objective).
		b := x.Shape().Dimensions[0]
		_, zd := encoder.AudioCNN(s, a.CNN, Reshape(x, b, encoder.Bands, encoder.CropFrames))
		return l2Normalize(zd)
	}
	if a.MusicnnInput(i) {
		return l2Normalize(encoder.Linear(enter(s, "output"), MusicnnFeatures(s, a, x), a.Dim))
	}
	if a.TokenInput(i) {
		ids := ConvertDType(x, dtypes.Int32)
		enc := enter(s, a.TagEncoder)
		var h *Node // [B, TagDim]
		if a.TagEncoder == TagEncoderAttention {
			h = encoder.SelfAttention(enc, ids, a.TagTable, a.TagVocab, a.TagDim, a.TagHeads, a.Dropout)
		} else {
			h = encoder.Mean(enc, ids, a.TagTable, a.TagVocab, a.TagDim, a.Dropout)
		}
		return l2Normalize(encoder.Linear(enter(s, "output"), h, a.Dim))
	}
	h := MulScalar(l2Normalize(x), math.Sqrt(float64(a.InputDims[i])))
	h = activation.Gelu(encoder.Linear(enter(s, "hidden"), h, a.Hidden))
	h = layers.DropoutStatic(s, h, a.Dropout)
	return l2Normalize(encoder.Linear(enter(s, "output"), h, a.Dim))
}

// Fuse combines per-modality embeddings z[i] ([B, d], unit norm) with masks[i] ([B], 1 present, 0 missing)
// into the unit-norm [B, d] track embedding. A row with no present modality gives the zero vector.
func Fuse(scope *model.Scope, a Architecture, z, masks []*Node) *Node {
	s := enter(scope, "fusion")
	k := len(z)
	zs := Stack(z, 1) // [B, k, d]
	m := ConvertDType(Stack(masks, 1), zs.DType())
	var w *Node // [B, k]
	if a.Fusion == FusionAttention {
		b := zs.Shape().Dimensions[0]
		scores := Reshape(encoder.Linear(enter(s, "score"), Reshape(zs, b*k, a.Dim), 1), b, k)
		scores = Where(GreaterThan(m, ZerosLike(m)), scores, BroadcastToDims(Scalar(zs.Graph(), zs.DType(), -1e9), b, k))
		w = Mul(Softmax(scores, -1), m) // rows with nothing present: uniform weights × 0 = 0
	} else {
		w = Div(m, MaxScalar(ReduceAndKeep(m, ReduceSum, -1), 1))
	}
	f := ReduceSum(Mul(zs, InsertAxes(w, -1)), 1) // [B, d]
	h := activation.Gelu(encoder.Linear(enter(s, "hidden"), f, a.Hidden))
	f = Add(f, encoder.Linear(enter(s, "output"), h, a.Dim))
	any := InsertAxes(MinScalar(ReduceSum(m, -1), 1), -1) // 0 for rows with no modality
	return Mul(l2Normalize(f), any)
}

// Embed encodes every modality and fuses them: features[i] is [B, InputDims[i]] and masks[i] is [B] for
// a.Modalities[i]. It returns the fused [B, d] embedding and the per-modality [B, d] embeddings.
func Embed(scope *model.Scope, a Architecture, features, masks []*Node) (*Node, []*Node) {
	if len(features) != len(a.Modalities) || len(masks) != len(a.Modalities) {
		panic(fmt.Sprintf("joint.Embed: %d feature inputs and %d masks for modalities %v", len(features), len(masks),
			a.Modalities))
	}
	z := make([]*Node, len(features))
	for i, x := range features {
		z[i] = EncodeModality(scope, a, i, x)
	}
	return Fuse(scope, a, z, masks), z
}

// MusicnnFeatures runs the musicnn audio encoder's network on [B, 187·96] patches (musicnn's front-end,
// flattened time-major) and returns its [B, 200] penultimate features, in inference mode: batch normalisation
// with the checkpoint's moving statistics (frozen variables), no dropout. scope is the audio encoder's scope
// (/encoder/audio); the variables live in its "musicnn" sub-scope under their checkpoint names, created from
// a.MusicnnInit the first time. Before any training step the features equal musicnn.Model's.
func MusicnnFeatures(scope *model.Scope, a Architecture, x *Node) *Node {
	g := x.Graph()
	ms := enter(scope, musicnnScope)
	want := musicnnVariables()
	spec, err := musicnn.SpecByName(MusicnnModel)
	if err != nil {
		panic(err)
	}
	get := func(name string) *Node {
		dims, ok := want[name]
		if !ok {
			return nil // the tag layer: not part of the encoder
		}
		dir, base, _ := strings.Cut(name, "/")
		sub := enter(ms, dir)
		v := sub.GetVariable(base)
		if v == nil {
			init := a.MusicnnInit[name]
			if init == nil {
				panic(fmt.Sprintf("joint.MusicnnFeatures: variable %s/%s is not in the store and no initial musicnn "+
					"weights were given (Architecture.MusicnnInit)", sub.Scope(), base))
			}
			v = sub.VariableWithValue(base, init)
		}
		if fmt.Sprint(v.Shape().Dimensions) != fmt.Sprint(dims) {
			panic(fmt.Sprintf("joint.MusicnnFeatures: variable %s/%s has shape %s, musicnn needs %v", sub.Scope(),
				base, v.Shape(), dims))
		}
		return v.SetTrainable(!musicnnFrozen(name)).NodeValue(g)
	}
	b := x.Shape().Dimensions[0]
	return musicnn.Network(spec, Reshape(x, b, musicnn.PatchFrames, musicnn.Bands), get)[1]
}
