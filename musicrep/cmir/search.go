package cmir

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/musicrep/musicrep/evaluation"
	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/audio"
	"github.com/musicrep/musicrep/musicrep/backends"
	"github.com/musicrep/musicrep/musicrep/ckpt"
	"github.com/musicrep/musicrep/musicrep/encoder"
	"github.com/musicrep/musicrep/musicrep/index"
	"github.com/musicrep/musicrep/musicrep/joint"
	"github.com/musicrep/musicrep/musicrep/melon"
	"github.com/musicrep/musicrep/musicrep/training"
)

// LoadEmbedder loads a trained audio encoder from a checkpoint (a run directory's best/ checkpoint when it has
// one, else its newest; its best/ subdirectory; or a ckpt-*.json file) and refuses checkpoints of other
// architectures.
func LoadEmbedder(path string, backend compute.Backend) (*Embedder, *ckpt.Checkpoint, error) {
	var c *ckpt.Checkpoint
	var err error
	if backend == nil {
		if backend, err = backends.New(""); err != nil {
			return nil, nil, err
		}
	}
	if strings.HasSuffix(path, ".json") {
		c, err = ckpt.Load(path)
	} else {
		if list, _ := ckpt.List(filepath.Join(path, training.BestDir)); len(list) > 0 {
			path = filepath.Join(path, training.BestDir) // the run's chosen checkpoint, as inference.Load does
		}
		c, err = ckpt.Latest(path, nil)
	}
	if err != nil {
		return nil, nil, err
	}
	isJoint := c.Meta.Architecture == training.JointArchitectureName
	if !strings.HasPrefix(c.Meta.Architecture, training.MIRModelPrefix) && !isJoint {
		return nil, nil, fmt.Errorf("checkpoint %s holds a %q model, not a contrastive-mir audio encoder (%s) or a "+
			"joint model with the CNN audio encoder: give a run trained with musicrep cmir or musicrep train -dataset",
			c.Path, c.Meta.Architecture, strings.Join(training.MIRModelKinds(), ", "))
	}
	store := model.NewStore()
	if err := c.Restore(store); err != nil {
		return nil, nil, err
	}
	if isJoint {
		arch, err := joint.ArchitectureFromStore(store)
		if err != nil {
			return nil, nil, fmt.Errorf("checkpoint %s: %w", c.Path, err)
		}
		if i := arch.Index(musicrep.Audio); i < 0 || !arch.CNNInput(i) {
			return nil, nil, fmt.Errorf("checkpoint %s holds a joint model whose audio encoder is not the CNN "+
				"(%s), not a contrastive-mir audio encoder: it embeds audio features, not audio files", c.Path, arch)
		}
		e, err := NewJointAudioEmbedder(backend, store, arch)
		return e, c, err
	}
	cfg, err := training.CNNConfigFromStore(store, encoder.EmbeddingDim)
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoint %s: %w", c.Path, err)
	}
	e, err := NewEmbedder(backend, store, cfg)
	return e, c, err
}

// EmbedFile embeds an audio file (WAV, Ogg Vorbis, Opus, FLAC, MP3): its centred 29.1 s log-mel spectrogram
// (package audio, contrastive-mir's front-end), cut into 256-frame chunks whose embeddings are averaged. It
// returns z_d (the contrastive space) and the spectrogram.
func (e *Embedder) EmbedFile(path string) ([]float32, *audio.Mel, error) {
	mel, err := audio.MelFile(path, audio.DefaultMelOptions())
	if err != nil {
		return nil, nil, err
	}
	_, zd, err := e.Embed(mel.Data, mel.Frames)
	return zd, mel, err
}

// Nearest returns the k songs of a song embedding set (rows in Data order, as EmbedSongs gives) most similar to
// v by cosine similarity, most similar first: index.Neighbor rows of e (ties by the smaller row) and their songs.
// The search is index.Flat over the L2-normalised vectors, whose squared distance is 2 − 2·cosine (Cosine
// converts it back; a zero row, which no trained encoder gives, stays zero and reads 0.5). It is an error for v
// to be zero or for a value to be NaN or infinite.
func Nearest(ds *melon.Dataset, d *Data, e *musicrep.Embeddings, v []float32, k int) ([]index.Neighbor, []melon.Song, error) {
	if len(v) != e.Dim || e.Dim == 0 {
		return nil, nil, fmt.Errorf("cmir: a %d-d query for the %d-d song embeddings %q", len(v), e.Dim, e.Name)
	}
	q := evaluation.Normalize(v, len(v))
	if slices.Equal(q, make([]float32, len(q))) {
		return nil, nil, errors.New("cmir: the query vector is zero (no direction to compare by cosine)")
	}
	f, err := index.NewFlatShared(evaluation.Normalize(e.Data, e.Dim), e.Dim)
	if err != nil {
		return nil, nil, fmt.Errorf("cmir: song embeddings %q: %w", e.Name, err)
	}
	res, err := f.Search(q, k, index.SearchOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("cmir: query: %w", err)
	}
	songs := make([]melon.Song, len(res[0]))
	for i, nb := range res[0] {
		songs[i] = ds.Songs[ds.Index[d.Songs[nb.Index].ID]]
	}
	return res[0], songs, nil
}

// Cosine is the cosine similarity of a Nearest result: 1 − Dist/2 (Dist is the squared distance between unit
// vectors).
func Cosine(nb index.Neighbor) float64 { return 1 - nb.Dist/2 }
