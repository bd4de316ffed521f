package cmir

import (
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/audio"
	"github.com/musicrep/musicrep/musicrep/backends"
	"github.com/musicrep/musicrep/musicrep/ckpt"
	"github.com/musicrep/musicrep/musicrep/encoder"
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

// Neighbour is one nearest song.
type Neighbour struct {
	Song   melon.Song
	Cosine float64
}

// Nearest ranks the rows of a song embedding set (Data order) by cosine similarity to v.
func Nearest(ds *melon.Dataset, d *Data, e *Embeddings, v []float32, k int) []Neighbour {
	cos := func(a, b []float32) float64 {
		var dot, na, nb float64
		for i := range a {
			dot += float64(a[i]) * float64(b[i])
			na += float64(a[i]) * float64(a[i])
			nb += float64(b[i]) * float64(b[i])
		}
		return dot / math.Sqrt(na*nb+1e-30)
	}
	out := make([]Neighbour, len(d.Songs))
	for i, s := range d.Songs {
		out[i] = Neighbour{Song: ds.Songs[ds.Index[s.ID]], Cosine: cos(v, e.Rows[i])}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Cosine > out[j].Cosine })
	return out[:min(k, len(out))]
}
