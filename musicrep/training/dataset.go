package training

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/musicrep/musicrep/musicrep"
)

// InputKind says what a dataset gives a model for one modality, and so which encoders can read it.
type InputKind string

// The input kinds.
const (
	// VectorInput is one frozen feature vector per track ([n, Dim]): the seed's features, MiniLM text, word-vector
	// tags, collaborative-filtering factors.
	VectorInput InputKind = "vectors"
	// MelInput is a log-mel crop per track, flattened ([n, Dim] with Dim = bands × frames, 48 × 256 for the audio
	// CNN), drawn at random in training.
	MelInput InputKind = "mel"
	// TokenInput is a padded sequence of token ids per track stored as floats ([n, Dim], 0 = padding), read
	// through an embedding table (Dataset.TagTable).
	TokenInput InputKind = "tokens"
	// PatchInput is one of musicnn's 3 s input patches per track, flattened ([n, Dim] with Dim = 187 frames × 96
	// bands, musicnn's own front-end), drawn at random among the track's patches in training: what the joint
	// model's musicnn audio encoder (joint_audio_encoder=musicnn) reads.
	PatchInput InputKind = "musicnn-patches"
)

// Input describes one modality of a dataset.
type Input struct {
	Modality musicrep.Modality
	Kind     InputKind
	Dim      int
	Source   string // where it comes from, for messages
}

// A Dataset is what a run trains on: tracks with some modalities each (presence masks), a training and a
// validation split of them, and the model inputs of any rows. Data (feature files plus labelled pairs: Fairouz,
// or any features a user supplies) and cmir.Data (a Melon-layout dataset: mel crops, CF vectors, genre tag ids)
// implement it.
type Dataset interface {
	// Describe says what the data is, for logs and checkpoints.
	Describe() string
	NumTracks() int
	// Inputs lists the modalities the dataset offers, in musicrep.ModalityOrder.
	Inputs() []Input
	// Present reports whether track row has modality m.
	Present(m musicrep.Modality, row int32) bool
	// Gather returns modality m's [len(rows), Dim] input for the rows. rng draws what is random per example (a
	// mel crop's start); nil takes the deterministic choice (the first crop).
	Gather(m musicrep.Modality, rows []int32, rng *rand.Rand) (*tensors.Tensor, error)
	// Split returns the rows trained on and the rows of the validation split (nil when it has none).
	Split() (train, val []int32)
	// TagTable returns the initial embedding table of token inputs, (vocabulary + 1) × dim, row 0 the padding;
	// nil when the dataset has no token input.
	TagTable() (table []float32, dim int)
	// Fingerprint digests everything a run trains on (checkpoints record it; resuming on other data is refused).
	Fingerprint() map[string]string
	// Provenance is more provenance recorded in checkpoints (e.g. how derived features were built).
	Provenance() map[string]string
}

// input returns the description of modality m in ds.
func input(ds Dataset, m musicrep.Modality) (Input, bool) {
	for _, in := range ds.Inputs() {
		if in.Modality == m {
			return in, true
		}
	}
	return Input{}, false
}

// Describe implements Dataset.
func (d *Data) Describe() string { return d.Description }

// NumTracks implements Dataset.
func (d *Data) NumTracks() int {
	if len(d.Features) == 0 {
		return 0
	}
	return d.Features[0].NumRows()
}

// Inputs implements Dataset: one input per feature set, token ids where the features hold them.
func (d *Data) Inputs() []Input {
	out := make([]Input, len(d.Features))
	for i, f := range d.Features {
		kind := VectorInput
		if f.TokenIDs() {
			kind = TokenInput
		}
		out[i] = Input{Modality: f.Modality, Kind: kind, Dim: f.Dim, Source: f.Source}
	}
	return out
}

func (d *Data) features(m musicrep.Modality) *musicrep.Features {
	for _, f := range d.Features {
		if f.Modality == m {
			return f
		}
	}
	return nil
}

// Present implements Dataset.
func (d *Data) Present(m musicrep.Modality, row int32) bool {
	f := d.features(m)
	return f != nil && f.Present[row]
}

// Gather implements Dataset (features are fixed: rng is not used).
func (d *Data) Gather(m musicrep.Modality, rows []int32, _ *rand.Rand) (*tensors.Tensor, error) {
	f := d.features(m)
	if f == nil {
		return nil, fmt.Errorf("training data has no %s features", m)
	}
	x := make([]float32, len(rows)*f.Dim)
	for j, r := range rows {
		copy(x[j*f.Dim:(j+1)*f.Dim], f.Row(int(r)))
	}
	return tensors.FromFlatDataAndDimensions(x, len(rows), f.Dim), nil
}

// Split implements Dataset: the training tracks; feature datasets choose epochs outside the trainer (package
// pipeline's validator), so they have no validation rows here.
func (d *Data) Split() (train, val []int32) { return d.Tracks, nil }

// TagTable implements Dataset.
func (d *Data) TagTable() ([]float32, int) { return d.TagVectors, d.TagDim }

// Provenance implements Dataset.
func (d *Data) Provenance() map[string]string { return d.Info }

// checkDataset checks what every model needs of a dataset: tracks, inputs of sensible sizes, training rows in
// range.
func checkDataset(ds Dataset) error {
	n := ds.NumTracks()
	if n == 0 || len(ds.Inputs()) == 0 {
		return errors.New("training data has no tracks or no modality")
	}
	train, val := ds.Split()
	for _, rows := range [][]int32{train, val} {
		for _, r := range rows {
			if r < 0 || int(r) >= n {
				return fmt.Errorf("training data: track row %d outside the %d tracks", r, n)
			}
		}
	}
	return nil
}
