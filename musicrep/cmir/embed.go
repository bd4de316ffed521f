package cmir

import (
	"fmt"
	"github.com/musicrep/musicrep/musicrep/encoder"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX idiom.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/joint"
)

// Embedder computes song embeddings with a trained audio encoder, as contrastive-mir's encode.py does: the
// mel-spectrogram is cut into non-overlapping 256-frame chunks (a last partial chunk is dropped), each chunk is
// encoded in inference mode, and the chunk embeddings are averaged. It returns both z (the flattened CNN
// output, FlatDim values, what encode.py saves) and z_d (the 128-d contrastive space).
type Embedder struct {
	cfg  encoder.AudioConfig
	exec *model.Exec
}

// NewEmbedder builds the inference graph over a store holding a trained audio encoder.
func NewEmbedder(backend compute.Backend, store *model.Store, cfg encoder.AudioConfig) (*Embedder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if backend == nil {
		return nil, fmt.Errorf("cmir: NewEmbedder needs a backend (backends.New)")
	}
	exec, err := model.NewExec(backend, store, func(scope *model.Scope, mel *Node) []*Node {
		z, zd := encoder.AudioCNN(scope, cfg, mel)
		return []*Node{z, zd}
	})
	if err != nil {
		return nil, err
	}
	return &Embedder{cfg: cfg, exec: exec}, nil
}

// NewJointAudioEmbedder builds the inference graph of a joint model's audio encoder when it is the CNN
// (joint_audio_encoder=cnn): a song is placed in the joint model's shared space from its audio alone, z and z_d
// both being that unit-norm vector averaged over the chunks.
func NewJointAudioEmbedder(backend compute.Backend, store *model.Store, arch joint.Architecture) (*Embedder, error) {
	i := arch.Index(musicrep.Audio)
	if i < 0 || !arch.CNNInput(i) {
		return nil, fmt.Errorf("cmir: the joint model (%s) has no CNN audio encoder (train it with %s=%s)", arch,
			joint.ParamAudioEncoder, joint.AudioEncoderCNN)
	}
	if backend == nil {
		return nil, fmt.Errorf("cmir: NewJointAudioEmbedder needs a backend (backends.New)")
	}
	exec, err := model.NewExec(backend, store, func(scope *model.Scope, mel *Node) []*Node {
		n := mel.Shape().Dimensions[0]
		z := joint.EncodeModality(scope, arch, i, Reshape(mel, n, encoder.Bands*encoder.CropFrames))
		return []*Node{z, z}
	})
	if err != nil {
		return nil, err
	}
	return &Embedder{cfg: arch.CNN, exec: exec}, nil
}

// Chunks is the number of 256-frame chunks of a spectrogram with the given frame count.
func Chunks(frames int) int { return frames / encoder.CropFrames }

// Embed averages the chunk embeddings of one song's encoder.Bands × frames mel-spectrogram.
func (e *Embedder) Embed(mel []float32, frames int) (z, zd []float32, err error) {
	n := Chunks(frames)
	if n == 0 || len(mel) != encoder.Bands*frames {
		return nil, nil, fmt.Errorf("cmir: a %d-frame spectrogram (%d values) has no full %d-frame chunk", frames,
			len(mel), encoder.CropFrames)
	}
	batch := make([]float32, n*encoder.Bands*encoder.CropFrames)
	song := Song{Mel: mel, Frames: frames}
	for c := range n {
		song.Crop(batch[c*encoder.Bands*encoder.CropFrames:(c+1)*encoder.Bands*encoder.CropFrames], c*encoder.CropFrames)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cmir: embedding: %v", r)
		}
	}()
	outs, err := e.exec.Exec(tensors.FromFlatDataAndDimensions(batch, n, encoder.Bands, encoder.CropFrames))
	if err != nil {
		return nil, nil, err
	}
	mean := func(t *tensors.Tensor) []float32 {
		flat := tensors.MustCopyFlatData[float32](t)
		dim := len(flat) / n
		out := make([]float32, dim)
		for c := range n {
			for j := range dim {
				out[j] += flat[c*dim+j] / float32(n)
			}
		}
		t.MustFinalizeAll()
		return out
	}
	return mean(outs[0]), mean(outs[1]), nil
}
