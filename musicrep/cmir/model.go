// Package cmir is contrastive-mir-learning (Ferraro et al. 2021) as GoMLX graph code: the audio CNN on
// 48-band mel-spectrogram crops, the collaborative-filtering encoder, the genre tag encoder (package tagfeat),
// the baselines' prediction heads and the three-way NT-Xent objective.
//
// The CNN follows ../shared/reference/SEEDS_SPEC.md B2.1 exactly when Widths is the default
// (128,128,256,256,256,256,512) and the input is 48 bands × 256 frames: seven blocks of Conv(3×3, pad 1) →
// BatchNorm → ReLU → MaxPool (2, 2, 2, 2, (1,2), (1,2), 2), flatten to 1024 = z, then Linear(1024→512) → BatchNorm
// → ReLU → Dropout(0.5) → Linear(512→128) → LayerNorm(eps 1e-6) = z_d; 3,989,762 parameters. A narrower
// Widths gives the small CI preset (the pure-Go backend's convolutions are slow; TOOLCHAIN.md).
//
// Time-frequency layout: the original trainer reshapes (256 frames × 48 bands) crops with view(-1,1,48,256) — a
// reshape, not a transpose — while its inference code feeds properly oriented (48 × 256) chunks (SEEDS_SPEC B7.1).
// musicrep uses the proper orientation, [batch, 1, 48 bands, 256 frames], for both training and inference, so a
// model sees the same layout in both; Scrambled reproduces the original training reshape for comparison.
package cmir

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX idiom.
	"github.com/gomlx/gomlx/core/tensors/images"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/layers/norm"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"

	"github.com/musicrep/musicrep/musicrep/binding"
)

// Bands and CropFrames are the CNN's input size: 48 mel bands × a 256-frame crop (≈ 4.1 s at 16 kHz, hop 256).
const (
	Bands      = 48
	CropFrames = 256
	// EmbeddingDim is the size of z_d, the space the contrastive losses compare.
	EmbeddingDim = 128
	// CFDim is the CF modality's input: 300 factors + bias.
	CFDim = 301
	// LayerNormEpsilon is the seed's eps for every LayerNorm.
	LayerNormEpsilon = 1e-6
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
	n += c.FlatDim()*c.Hidden + c.Hidden + 2*c.Hidden          // fc1 + BatchNorm1d
	n += c.Hidden*EmbeddingDim + EmbeddingDim + 2*EmbeddingDim // fc2 + LayerNorm
	return n
}

// Validate checks the configuration.
func (c AudioConfig) Validate() error {
	if len(c.Widths) != len(pools) {
		return fmt.Errorf("cmir: the audio CNN has %d blocks, got %d widths", len(pools), len(c.Widths))
	}
	for _, w := range c.Widths {
		if w < 1 {
			return fmt.Errorf("cmir: conv widths must be ≥ 1, got %v", c.Widths)
		}
	}
	if c.Hidden < 1 || c.Dropout < 0 || c.Dropout >= 1 {
		return fmt.Errorf("cmir: hidden %d must be ≥ 1 and dropout %g in [0, 1)", c.Hidden, c.Dropout)
	}
	return nil
}

func batchNorm(scope *model.Scope, x *Node, axis int) *Node {
	return norm.BatchNorm(scope, x, axis).Epsilon(BatchNormEpsilon).Momentum(BatchNormMomentum).
		UseBackendInference(false).Done()
}

func layerNorm(scope *model.Scope, x *Node) *Node {
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

// AudioEncoder maps mel crops [B, 48, 256] (bands × frames, dB) to (z [B, FlatDim], z_d [B, 128]).
func AudioEncoder(scope *model.Scope, c AudioConfig, mel *Node) (z, zd *Node) {
	if err := c.Validate(); err != nil {
		panic(err)
	}
	if mel.Rank() != 3 || mel.Shape().Dimensions[1] != Bands || mel.Shape().Dimensions[2] != CropFrames {
		panic(fmt.Sprintf("cmir.AudioEncoder: input %s, want [batch, %d bands, %d frames]", mel.Shape(), Bands, CropFrames))
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
		panic(fmt.Sprintf("cmir.AudioEncoder: flattened to %d features, expected %d", z.Shape().Dimensions[1], c.FlatDim()))
	}
	h := binding.Linear(s.In("fc1"), z, c.Hidden)
	h = activation.Relu(batchNorm(s.In("fc1_bn"), h, 1))
	h = layers.DropoutStatic(s, h, c.Dropout)
	zd = layerNorm(s.In("fc2_ln"), binding.Linear(s.In("fc2"), h, EmbeddingDim))
	return z, zd
}

// CFEncoder is contrastive-mir's CFEncoder: Linear(301→128) → ReLU → Dropout(0.3) → Linear(128→128) →
// LayerNorm(eps 1e-6); 55,424 parameters. cf is [B, 301].
func CFEncoder(scope *model.Scope, cf *Node) *Node {
	s := scope.In("cf")
	h := activation.Relu(binding.Linear(s.In("fc1"), cf, EmbeddingDim))
	h = layers.DropoutStatic(s, h, 0.3)
	return layerNorm(s.In("ln"), binding.Linear(s.In("fc2"), h, EmbeddingDim))
}

// CFEncoderParams is the CF encoder's parameter count.
const CFEncoderParams = CFDim*EmbeddingDim + EmbeddingDim + EmbeddingDim*EmbeddingDim + EmbeddingDim + 2*EmbeddingDim

// Heads is the baselines' Multiobjective: out_1 = Linear(128→301) predicts the CF vector, out_2 =
// Linear(128→numGenres) gives genre logits.
func Heads(scope *model.Scope, zd *Node, numGenres int) (cf, genreLogits *Node) {
	s := scope.In("heads")
	return binding.Linear(s.In("cf"), zd, CFDim), binding.Linear(s.In("genre"), zd, numGenres)
}
