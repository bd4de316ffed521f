package encoder

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX idiom.
	"github.com/gomlx/gomlx/core/tensors/images"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/layers/norm"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// Bands and CropFrames are the CNN's input size: 48 mel bands × a 256-frame crop (≈ 4.1 s at 16 kHz, hop 256).
const (
	Bands      = 48
	CropFrames = 256
	// EmbeddingDim is the size of z_d, the space the contrastive losses compare.
	EmbeddingDim = 128
	// CFDim is the CF modality's input: 300 factors + bias.
	CFDim = 301
	// BatchNormEpsilon and BatchNormMomentum are PyTorch's defaults (eps 1e-5; momentum 0.1, i.e. 0.9 in
	// GoMLX's convention).
	BatchNormEpsilon  = 1e-5
	BatchNormMomentum = 0.9
)

// DefaultWidths are the seven conv blocks' output channels of the published CNN.
var DefaultWidths = []int{128, 128, 256, 256, 256, 256, 512}

// pools are the seven blocks' max-pool windows (bands, frames).
var pools = [][2]int{{2, 2}, {2, 2}, {2, 2}, {2, 2}, {1, 2}, {1, 2}, {2, 2}}

// AudioConfig is the audio encoder's architecture.
type AudioConfig struct {
	Widths    []int   // conv block channels (7 values); DefaultWidths is the published model
	Hidden    int     // fc hidden units (512)
	Dropout   float64 // fc dropout (0.5)
	Scrambled bool    // feed the crop through the original trainer's reshape (see package doc)
	// Out is the size of z_d; 0 means EmbeddingDim (128, the paper's).
	Out int
}

func (c AudioConfig) out() int {
	if c.Out > 0 {
		return c.Out
	}
	return EmbeddingDim
}

// DefaultAudioConfig is the published audio encoder.
func DefaultAudioConfig() AudioConfig {
	return AudioConfig{Widths: DefaultWidths, Hidden: 512, Dropout: 0.5}
}

// FlatDim is the size of z: the last block's channels × the remaining 1 × 2 positions (48×256 input).
func (c AudioConfig) FlatDim() int { return c.Widths[len(c.Widths)-1] * 2 }

// NumParams counts the audio encoder's trainable parameters (BatchNorm scale and offset included, running
// statistics excluded), as PyTorch's sum(p.numel()) over parameters.
func (c AudioConfig) NumParams() int {
	n := 2 // input BatchNorm2d(1)
	in := 1
	for _, w := range c.Widths {
		n += 9*in*w + w + 2*w // conv weights + bias, BatchNorm
		in = w
	}
	n += c.FlatDim()*c.Hidden + c.Hidden + 2*c.Hidden // fc1 + BatchNorm1d
	n += c.Hidden*c.out() + c.out() + 2*c.out()       // fc2 + LayerNorm
	return n
}

// Validate checks the configuration.
func (c AudioConfig) Validate() error {
	if len(c.Widths) != len(pools) {
		return fmt.Errorf("encoder: the audio CNN has %d blocks, got %d widths", len(pools), len(c.Widths))
	}
	for _, w := range c.Widths {
		if w < 1 {
			return fmt.Errorf("encoder: conv widths must be ≥ 1, got %v", c.Widths)
		}
	}
	if c.Hidden < 1 || c.Dropout < 0 || c.Dropout >= 1 || c.Out < 0 {
		return fmt.Errorf("encoder: hidden %d must be ≥ 1 and dropout %g in [0, 1)", c.Hidden, c.Dropout)
	}
	return nil
}

func batchNorm(scope *model.Scope, x *Node, axis int) *Node {
	return norm.BatchNorm(scope, x, axis).Epsilon(BatchNormEpsilon).Momentum(BatchNormMomentum).
		UseBackendInference(false).Done()
}

// cnnLayerNorm is the CNN's and the CF encoder's final LayerNorm (eps 1e-6, learned gain and offset).
func cnnLayerNorm(scope *model.Scope, x *Node) *Node {
	return norm.LayerNorm(scope, x, -1).Epsilon(LayerNormEpsilon).LearnedGain(true).LearnedOffset(true).Done()
}

// conv3x3 is Conv2d(3×3, padding 1, stride 1, bias) on channels-first input, initialised like PyTorch
// (uniform ±1/√(in·9) for weights and bias).
func conv3x3(scope *model.Scope, x *Node, out int) *Node {
	in := x.Shape().Dimensions[1]
	bound := 1 / math.Sqrt(float64(in*9))
	scope = scope.WithInitializer(initializer.RandomUniformFn(scope, -bound, bound))
	y := layers.Convolution(scope, x).ChannelsAxis(images.ChannelsFirst).Channels(out).KernelSize(3).PadSame().
		UseBias(false).Done()
	b := scope.In("conv_bias").VariableWithShape("biases", shapes.Make(x.DType(), out)).NodeValue(x.Graph())
	return Add(y, Reshape(b, 1, out, 1, 1))
}

// AudioCNN maps mel crops [B, 48, 256] (bands × frames, dB) to (z [B, FlatDim], z_d [B, Out]).
func AudioCNN(scope *model.Scope, c AudioConfig, mel *Node) (z, zd *Node) {
	if err := c.Validate(); err != nil {
		panic(err)
	}
	if mel.Rank() != 3 || mel.Shape().Dimensions[1] != Bands || mel.Shape().Dimensions[2] != CropFrames {
		panic(fmt.Sprintf("encoder.AudioCNN: input %s, want [batch, %d bands, %d frames]", mel.Shape(), Bands, CropFrames))
	}
	b := mel.Shape().Dimensions[0]
	var x *Node
	if c.Scrambled {
		// The seed's view(-1,1,48,256) of a (256 frames × 48 bands) crop: transpose to frames-major, then
		// reinterpret the same memory as 48 × 256.
		x = Reshape(Transpose(mel, 1, 2), b, 1, Bands, CropFrames)
	} else {
		x = Reshape(mel, b, 1, Bands, CropFrames)
	}
	s := scope.In("audio")
	x = batchNorm(s.In("input_bn"), x, 1)
	for i, w := range c.Widths {
		bs := s.In("block%d", i+1)
		x = conv3x3(bs.In("conv"), x, w)
		x = activation.Relu(batchNorm(bs.In("bn"), x, 1))
		x = MaxPool(x).ChannelsAxis(images.ChannelsFirst).WindowPerAxis(pools[i][0], pools[i][1]).Done()
	}
	z = Reshape(x, b, -1)
	if z.Shape().Dimensions[1] != c.FlatDim() {
		panic(fmt.Sprintf("encoder.AudioCNN: flattened to %d features, expected %d", z.Shape().Dimensions[1], c.FlatDim()))
	}
	h := Linear(s.In("fc1"), z, c.Hidden)
	h = activation.Relu(batchNorm(s.In("fc1_bn"), h, 1))
	h = layers.DropoutStatic(s, h, c.Dropout)
	zd = cnnLayerNorm(s.In("fc2_ln"), Linear(s.In("fc2"), h, c.out()))
	return z, zd
}

// CFEncoder is contrastive-mir's CFEncoder: Linear(301→128) → ReLU → Dropout(0.3) → Linear(128→128) →
// LayerNorm(eps 1e-6); 55,424 parameters. cf is [B, 301].
func CFEncoder(scope *model.Scope, cf *Node) *Node {
	s := scope.In("cf")
	h := activation.Relu(Linear(s.In("fc1"), cf, EmbeddingDim))
	h = layers.DropoutStatic(s, h, 0.3)
	return cnnLayerNorm(s.In("ln"), Linear(s.In("fc2"), h, EmbeddingDim))
}

// CFEncoderParams is the CF encoder's parameter count.
const CFEncoderParams = CFDim*EmbeddingDim + EmbeddingDim + EmbeddingDim*EmbeddingDim + EmbeddingDim + 2*EmbeddingDim

// Heads is the baselines' Multiobjective: out_1 = Linear(128→301) predicts the CF vector, out_2 =
// Linear(128→numGenres) gives genre logits.
func Heads(scope *model.Scope, zd *Node, numGenres int) (cf, genreLogits *Node) {
	s := scope.In("heads")
	return Linear(s.In("cf"), zd, CFDim), Linear(s.In("genre"), zd, numGenres)
}

// Hyperparameter keys of the audio CNN (declared with their defaults and docs in training.Declared; the model
// kinds cmir-* and the joint model with joint_audio_encoder=cnn read them).
const (
	ParamCNNWidths    = "cmir_widths"    // the seven conv block widths, comma-separated
	ParamCNNHidden    = "cmir_hidden"    // fc hidden units
	ParamCNNDropout   = "cmir_dropout"   // fc dropout
	ParamCNNScrambled = "cmir_scrambled" // feed crops through the original trainer's reshape
)

// AudioConfigFromStore reads the audio CNN's architecture from a store's hyperparameters, with z_d of size out;
// a key the store lacks takes the published model's value.
func AudioConfigFromStore(scope *model.Scope, out int) (AudioConfig, error) {
	def := DefaultAudioConfig()
	c := AudioConfig{Hidden: model.GetParamOr(scope, ParamCNNHidden, def.Hidden),
		Dropout:   model.GetParamOr(scope, ParamCNNDropout, def.Dropout),
		Scrambled: model.GetParamOr(scope, ParamCNNScrambled, false), Out: out}
	widths := make([]string, len(def.Widths))
	for i, w := range def.Widths {
		widths[i] = strconv.Itoa(w)
	}
	text := model.GetParamOr(scope, ParamCNNWidths, strings.Join(widths, ","))
	for _, w := range strings.Split(text, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(w))
		if err != nil {
			return c, fmt.Errorf("hyperparameter %s=%q: want 7 comma-separated integers", ParamCNNWidths, text)
		}
		c.Widths = append(c.Widths, v)
	}
	return c, c.Validate()
}
