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

	"github.com/musicrep/musicrep/musicrep/backends"
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

// cnnLayerNorm is the CNN's and the CF encoder's final LayerNorm (eps 1e-6, learned gain and offset).
func cnnLayerNorm(scope *model.Scope, x *Node) *Node {
	return norm.LayerNorm(scope, x, -1).Epsilon(LayerNormEpsilon).LearnedGain(true).LearnedOffset(true).Done()
}

// conv3x3 is Conv2d(3×3, padding 1, stride 1, bias), initialised like PyTorch (uniform ±1/√(in·9) for weights
// and bias), on channels-first x [B, C, H, W] or, with channelsLast, on x [B, H, W, C]. Either way the kernel
// variable is [out, in, 3, 3] (PyTorch's layout, and what layers.Convolution creates channels-first) under
// scope/conv/weights, so checkpoints do not depend on the layout. It returns the convolution without its bias, and
// the bias [out] (scope/conv_bias/biases), which the BatchNorm that follows takes (batchNorm's bias argument).
func conv3x3(scope *model.Scope, x *Node, out int, channelsLast bool) (conv, bias *Node) {
	cAxis := 1
	if channelsLast {
		cAxis = 3
	}
	in := x.Shape().Dimensions[cAxis]
	bound := 1 / math.Sqrt(float64(in*9))
	scope = scope.WithInitializer(initializer.RandomUniformFn(scope, -bound, bound))
	kernel := scope.In("conv").VariableWithShape("weights", shapes.Make(x.DType(), out, in, 3, 3)).NodeValue(x.Graph())
	cb := Convolve(x, kernel).PadSame()
	if channelsLast {
		cb = cb.AxesConfig(ConvolveAxesConfig{
			InputBatch: 0, InputSpatial: []int{1, 2}, InputChannels: 3,
			KernelOutputChannels: 0, KernelInputChannels: 1, KernelSpatial: []int{2, 3},
			OutputBatch: 0, OutputSpatial: []int{1, 2}, OutputChannels: 3,
		})
	} else {
		cb = cb.ChannelsAxis(images.ChannelsFirst)
	}
	return cb.Done(), scope.In("conv_bias").VariableWithShape("biases", shapes.Make(x.DType(), out)).NodeValue(x.Graph())
}

// maxPool2D is PyTorch's MaxPool2d(kernel = stride = (ph, pw), no padding) on channels-first x [B, C, H, W], or
// on x [B, H, W, C] with channelsLast (rows and columns that do not fill a window are dropped, as MaxPool2d
// does): each output is its window's maximum, and the gradient goes to one element per window, the first
// maximum in row-major window order (PyTorch's and XLA's select-and-scatter choice when a window holds equal
// values).
//
// It computes what GoMLX's MaxPool computes, but as a reshape and a reduction, with a custom gradient: the
// window becomes two extra axes, the output is their ReduceMax (one pass over x), and the gradient is the output
// gradient times a one-hot mask of each window's first maximum, built in the backward pass. MaxPool's gradient is
// a select-and-scatter, which XLA's CPU compiler rewrites into a variadic reduce-window over the input and four
// int32 index arrays of its size followed by a scatter (BENCHMARKS.md, "The CNN training step on xla:cpu"); the
// mask and the product are element-wise loops and one reduction that XLA fuses. Autodiff of ReduceMax alone would
// send the gradient to every maximum of a window, which after a ReLU or on a spectrogram's clipped floor is often
// more than one.
func maxPool2D(x *Node, ph, pw int, channelsLast bool) *Node {
	if x.Rank() != 4 {
		panic(fmt.Sprintf("encoder.maxPool2D: input %s, want rank 4", x.Shape()))
	}
	hAxis := 2
	if channelsLast {
		hAxis = 1
	}
	d := x.Shape().Dimensions
	ho, wo := d[hAxis]/ph, d[hAxis+1]/pw
	if ho < 1 || wo < 1 {
		panic(fmt.Sprintf("encoder.maxPool2D: input %s is smaller than the %d×%d window", x.Shape(), ph, pw))
	}
	if ho*ph != d[hAxis] || wo*pw != d[hAxis+1] {
		// MaxPool2d drops the rows and columns that do not fill a window (they get no gradient).
		ranges := []SliceAxisSpec{AxisRange(), AxisRange(), AxisRange(), AxisRange()}
		ranges[hAxis], ranges[hAxis+1] = AxisRange(0, ho*ph), AxisRange(0, wo*pw)
		x = Slice(x, ranges...)
	}
	g := x.Graph()
	// The window's two axes follow the output's: [B, C, ho, ph, wo, pw] or [B, ho, ph, wo, pw, C].
	windowed := []int{d[0], d[1], ho, ph, wo, pw}
	posDims := []int{1, 1, 1, ph, 1, pw}
	axes := []int{3, 5}
	if channelsLast {
		windowed = []int{d[0], ho, ph, wo, pw, d[3]}
		posDims = []int{1, 1, ph, 1, pw, 1}
		axes = []int{2, 4}
	}
	xw := Reshape(x, windowed...)
	positions := make([]float32, ph*pw) // the row-major position of each window element
	for i := range positions {
		positions[i] = float32(i)
	}
	pos := BroadcastToDims(ConvertDType(Reshape(Const(g, positions), posDims...), x.DType()), windowed...)
	// The output is the window's maximum (one pass); the gradient, which autodiff would send to every maximum of
	// a window, goes to the first only.
	xs := StopGradient(xw)
	var out *Node
	xi := IdentityWithCustomGradient(xw, func(_, v *Node) *Node {
		m := BroadcastToDims(Reshape(StopGradient(out), keepDims(windowed, axes)...), windowed...)
		candidates := Where(Equal(xs, m), pos, Scalar(g, x.DType(), ph*pw))
		first := ReduceAndKeep(candidates, ReduceMin, axes...)
		return Mul(v, ConvertDType(Equal(pos, first), x.DType()))
	})
	out = ReduceMax(xi, axes...)
	return out
}

// keepDims is dims with the given axes set to 1.
func keepDims(dims, axes []int) []int {
	k := append([]int(nil), dims...)
	for _, a := range axes {
		k[a] = 1
	}
	return k
}

// audioLayout selects AudioCNN's layout: layoutAuto is channels-last on XLA and channels-first on the pure-Go
// backend; tests force one or the other to compare them. On the Go backend channels-last would put the biases' and
// BatchNorm's per-channel broadcasts on the minor axis, where compute v0.1.14's SIMD kernels (Go 1.27.3's
// archsimd LoadFloat32x8Part) read up to 32 bytes past the end of the activation when the channel count is not a
// multiple of the vector width: a segmentation fault when the tensor ends the Go heap's mapped memory (seen with
// the tiny preset's 4 channels in TestTrainOnMelonCLI).
var audioLayout = layoutAuto

const (
	layoutAuto = iota
	layoutChannelsFirst
	layoutChannelsLast
)

// AudioCNN maps mel crops [B, 48, 256] (bands × frames, dB) to (z [B, FlatDim], z_d [B, Out]).
func AudioCNN(scope *model.Scope, c AudioConfig, mel *Node) (z, zd *Node) {
	if err := c.Validate(); err != nil {
		panic(err)
	}
	if mel.Rank() != 3 || mel.Shape().Dimensions[1] != Bands || mel.Shape().Dimensions[2] != CropFrames {
		panic(fmt.Sprintf("encoder.AudioCNN: input %s, want [batch, %d bands, %d frames]", mel.Shape(), Bands, CropFrames))
	}
	b := mel.Shape().Dimensions[0]
	x := mel
	if c.Scrambled {
		// The seed's view(-1,1,48,256) of a (256 frames × 48 bands) crop: transpose to frames-major, then
		// reinterpret the same memory as 48 × 256.
		x = Transpose(mel, 1, 2)
	}
	// On XLA the blocks run channels-last ([B, bands, frames, C]), the layout XLA's CPU convolutions use: channels-first
	// made XLA transpose every block's activations before and after each convolution, forward and backward
	// (BENCHMARKS.md, "The CNN training step on xla:cpu"). The result is the same model: z is flattened in
	// PyTorch's channels-first order and the variables keep PyTorch's shapes.
	channelsLast := audioLayout == layoutChannelsLast || (audioLayout == layoutAuto && !backends.IsGo(mel.Graph().Backend()))
	cAxis := 1
	if channelsLast {
		cAxis = 3
		x = Reshape(x, b, Bands, CropFrames, 1)
	} else {
		x = Reshape(x, b, 1, Bands, CropFrames)
	}
	s := scope.In("audio")
	x = batchNorm(s.In("input_bn"), x, nil, cAxis)
	for i, w := range c.Widths {
		bs := s.In("block%d", i+1)
		conv, bias := conv3x3(bs.In("conv"), x, w, channelsLast)
		x = activation.Relu(batchNorm(bs.In("bn"), conv, bias, cAxis))
		x = maxPool2D(x, pools[i][0], pools[i][1], channelsLast)
	}
	if channelsLast {
		x = TransposeAllAxes(x, 0, 3, 1, 2) // flatten as PyTorch does: channel-major
	}
	z = Reshape(x, b, -1)
	if z.Shape().Dimensions[1] != c.FlatDim() {
		panic(fmt.Sprintf("encoder.AudioCNN: flattened to %d features, expected %d", z.Shape().Dimensions[1], c.FlatDim()))
	}
	h := Linear(s.In("fc1"), z, c.Hidden)
	h = activation.Relu(batchNorm(s.In("fc1_bn"), h, nil, 1))
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
