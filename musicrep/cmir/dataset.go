package cmir

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/encoder"
	"github.com/musicrep/musicrep/musicrep/training"
)

// Data is a training.Dataset: audio = a 48 × 256 log-mel crop per song (random in training, the first one with
// a nil rng), cf = its CF vector (301 values; absent for songs outside the CF model), tags = its genre and
// sub-genre ids (at most MaxTags, 0 = padding) over the word2vec genre table. Training rows are Data.Train,
// validation rows Data.Val; the test songs are never trained on.
var _ training.Dataset = (*Data)(nil)

// Describe implements training.Dataset.
func (d *Data) Describe() string { return d.Description }

// NumTracks implements training.Dataset.
func (d *Data) NumTracks() int { return len(d.Songs) }

// Inputs implements training.Dataset.
func (d *Data) Inputs() []training.Input {
	src := "Melon-layout dataset"
	if d.source != nil {
		src = d.source.Dir
	}
	return []training.Input{
		{Modality: musicrep.Audio, Kind: training.MelInput, Dim: encoder.Bands * encoder.CropFrames, Source: src + " arena_mel"},
		{Modality: musicrep.Tags, Kind: training.TokenInput, Dim: MaxTags, Source: src + " genre codes"},
		{Modality: musicrep.CF, Kind: training.VectorInput, Dim: encoder.CFDim, Source: "BPR on " + src + " playlists"},
	}
}

// Present implements training.Dataset.
func (d *Data) Present(m musicrep.Modality, row int32) bool {
	s := &d.Songs[row]
	switch m {
	case musicrep.Audio:
		return true
	case musicrep.Tags:
		return len(s.GenreIDs) > 0
	case musicrep.CF:
		return s.CF != nil
	}
	return false
}

// Gather implements training.Dataset.
func (d *Data) Gather(m musicrep.Modality, rows []int32, rng *rand.Rand) (*tensors.Tensor, error) {
	n := len(rows)
	switch m {
	case musicrep.Audio:
		const size = encoder.Bands * encoder.CropFrames
		mel := make([]float32, n*size)
		for j, r := range rows {
			s := &d.Songs[r]
			start := 0
			if rng != nil && s.Frames > encoder.CropFrames {
				start = rng.IntN(s.Frames - encoder.CropFrames)
			}
			full, err := d.SongMel(int(r))
			if err != nil {
				return nil, err
			}
			crop(mel[j*size:(j+1)*size], full, s.Frames, start)
		}
		return tensors.FromFlatDataAndDimensions(mel, n, size), nil
	case musicrep.CF:
		x := make([]float32, n*encoder.CFDim)
		for j, r := range rows {
			copy(x[j*encoder.CFDim:(j+1)*encoder.CFDim], d.Songs[r].CF)
		}
		return tensors.FromFlatDataAndDimensions(x, n, encoder.CFDim), nil
	case musicrep.Tags:
		x := make([]float32, n*MaxTags)
		for j, r := range rows {
			for k, g := range d.Songs[r].GenreIDs {
				x[j*MaxTags+k] = float32(g)
			}
		}
		return tensors.FromFlatDataAndDimensions(x, n, MaxTags), nil
	}
	return nil, fmt.Errorf("cmir: the dataset has no %s input (it has audio, tags and cf)", m)
}

// Split implements training.Dataset.
func (d *Data) Split() (train, val []int32) { return rows32(d.Train), rows32(d.Val) }

func rows32(idx []int) []int32 {
	out := make([]int32, len(idx))
	for i, x := range idx {
		out[i] = int32(x)
	}
	return out
}

// TagTable implements training.Dataset: the word2vec genre vectors.
func (d *Data) TagTable() ([]float32, int) { return d.Table, encoder.EmbeddingDim }

// Provenance implements training.Dataset.
func (d *Data) Provenance() map[string]string { return nil }

// Fingerprint implements training.Dataset: digests of the songs and their spectrogram lengths, the split, the
// genre ids and table, and the CF vectors (resuming on another dataset, seed or split is refused).
func (d *Data) Fingerprint() map[string]string {
	digest := func(write func(h func(v ...any))) string {
		sum := sha256.New()
		write(func(v ...any) {
			for _, x := range v {
				_ = binary.Write(sum, binary.LittleEndian, x)
			}
		})
		return hex.EncodeToString(sum.Sum(nil))[:16]
	}
	return map[string]string{
		"songs": digest(func(w func(...any)) {
			for _, s := range d.Songs {
				w(int64(s.ID), int64(s.Frames))
			}
		}),
		"tracks": digest(func(w func(...any)) {
			for _, part := range [][]int{d.Train, d.Val, d.Test} {
				w(int64(len(part)))
				for _, i := range part {
					w(int64(i))
				}
			}
		}),
		"tags": digest(func(w func(...any)) {
			for _, s := range d.Songs {
				w(int64(len(s.GenreIDs)))
				w(s.GenreIDs)
			}
			w(d.Table)
		}),
		"features/cf": digest(func(w func(...any)) {
			for _, s := range d.Songs {
				w(int64(len(s.CF)))
				w(s.CF)
			}
		}),
	}
}
