package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gomlx/compute"

	"github.com/musicrep/musicrep/evaluation"
	"github.com/musicrep/musicrep/musicrep/ckpt"
	"github.com/musicrep/musicrep/musicrep/corpus"
	"github.com/musicrep/musicrep/musicrep/inference"
	"github.com/musicrep/musicrep/musicrep/training"
)

// SelectionMetric is what a held-out run maximises on its validation split to choose its epoch: genre
// precision@10 among the validation tracks (the held-out protocol's headline metric, on validation).
const SelectionMetric = "precision@10"

// BestDir is the run subdirectory holding the checkpoint chosen on the validation split (inference.Load
// prefers it).
const BestDir = inference.BestDir

// selectionFile records a run's validation curve next to its checkpoints.
const selectionFile = "validation.json"

// Selection is how a held-out run chose its epoch: the validation metric after every checkpointed epoch and
// the best one, whose checkpoint is kept in <run>/best and exported.
type Selection struct {
	Metric     string          `json:"metric"`
	Split      string          `json:"split"`
	Curve      map[int]float64 `json:"curve"` // epoch → validation metric
	BestEpoch  int             `json:"best_epoch"`
	Best       float64         `json:"best"`
	Checkpoint string          `json:"checkpoint"`
}

// validator scores checkpoints on the validation tracks of a split.
type validator struct {
	f       *Fairouz
	split   *Split
	backend compute.Backend
	dir     string
	sel     *Selection
	err     error
}

func newValidator(f *Fairouz, split *Split, dir string, backend compute.Backend, fresh bool) (*validator, error) {
	v := &validator{f: f, split: split, backend: backend, dir: dir,
		sel: &Selection{Metric: SelectionMetric, Split: split.String(), Curve: map[int]float64{}}}
	path := filepath.Join(dir, selectionFile)
	if list, _ := ckpt.List(dir); len(list) == 0 {
		// No checkpoint to resume from: training starts over, and so does the choice (a committed reference run
		// keeps only its best/ checkpoint and this record).
		fresh = true
	}
	if fresh {
		for _, p := range []string{path, filepath.Join(dir, BestDir)} {
			if err := os.RemoveAll(p); err != nil {
				return nil, err
			}
		}
		return v, nil
	}
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return v, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raw, v.sel); err != nil {
		return nil, fmt.Errorf("%s: %v; delete it (and %s) to choose the epoch again", path, err,
			filepath.Join(dir, BestDir))
	}
	if v.sel.Split != split.String() {
		return nil, fmt.Errorf("%s was made on another split (%s), this run uses %s: train with -fresh", path,
			v.sel.Split, split)
	}
	return v, nil
}

// score returns the validation metric of the model in a checkpoint.
func (v *validator) score(jsonPath string) (float64, error) {
	m, err := inference.Load(jsonPath, v.backend)
	if err != nil {
		return 0, err
	}
	emb, err := m.EmbedCorpus(v.f.Corpus)
	if err != nil {
		return 0, err
	}
	genres := make([][]string, len(v.split.Val))
	for i, r := range v.split.Val {
		genres[i] = v.f.Corpus.Tracks[r].Genres
	}
	s, err := evaluation.GenreRetrievalScores(evaluation.GatherRows(emb, m.EmbeddingDim, v.split.Val), m.EmbeddingDim,
		genres, evaluation.RetrievalOptions{Ks: []int{10}})
	if err != nil {
		return 0, fmt.Errorf("validation split: %w", err)
	}
	return s.Means()[SelectionMetric], nil
}

// onStep scores every checkpoint written at an epoch's end and keeps the best one in <run>/best.
func (v *validator) onStep(info training.StepInfo) {
	if v.err != nil || info.CheckpointWritten == "" || !info.EpochFinished {
		return
	}
	epoch := info.Epoch + 1
	val, err := v.score(info.CheckpointWritten)
	if err != nil {
		v.err = fmt.Errorf("scoring epoch %d on the validation split: %w", epoch, err)
		return
	}
	v.sel.Curve[epoch] = val
	if v.sel.Checkpoint == "" || val > v.sel.Best {
		kept, err := ckpt.Keep(info.CheckpointWritten, filepath.Join(v.dir, BestDir))
		if err != nil {
			v.err = err
			return
		}
		v.sel.Best, v.sel.BestEpoch, v.sel.Checkpoint = val, epoch, kept
	}
	raw, err := json.MarshalIndent(v.sel, "", "  ")
	if err == nil {
		err = corpus.WriteFileAtomic(filepath.Join(v.dir, selectionFile), raw)
	}
	if err != nil {
		v.err = err
	}
}
