package training

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/ckpt"
)

// syntheticData builds n tracks in `clusters` clusters with two modalities (noisy views of the cluster
// centre), and pairs labelled 1 within a cluster and 0 across clusters.
func syntheticData(n, clusters, pairsPerTrack int, seed uint64) *Data {
	rng := rand.New(rand.NewPCG(seed, 1))
	dims := []int{16, 8}
	mods := []musicrep.Modality{musicrep.Audio, musicrep.Graph}
	label := make([]int, n)
	for i := range label {
		label[i] = i % clusters
	}
	d := &Data{Description: "synthetic clusters"}
	for mi, dim := range dims {
		centres := make([][]float32, clusters)
		for c := range centres {
			centres[c] = make([]float32, dim)
			for j := range centres[c] {
				centres[c][j] = float32(rng.NormFloat64())
			}
		}
		f := &musicrep.Features{Modality: mods[mi], Source: "synthetic", Dim: dim,
			Data: make([]float32, n*dim), Present: make([]bool, n)}
		for i := range n {
			f.Present[i] = true
			for j := range dim {
				f.Data[i*dim+j] = centres[label[i]][j] + 0.3*float32(rng.NormFloat64())
			}
		}
		d.Features = append(d.Features, f)
	}
	for i := range n {
		for range pairsPerTrack {
			j := rng.IntN(n)
			d.Anchor = append(d.Anchor, int32(i))
			d.Other = append(d.Other, int32(j))
			if label[i] == label[j] {
				d.Label = append(d.Label, 1)
			} else {
				d.Label = append(d.Label, 0)
			}
		}
	}
	return d
}

func newTestStore(t *testing.T, settings string) *Config {
	t.Helper()
	store, err := NewStore("", "num_epochs=3;contraction=1;"+settings)
	if err == nil {
		t.Fatal("expected an error for the unknown hyperparameter 'contraction'")
	}
	store, err = NewStore("", "num_epochs=3;binding_contraction=1;binding_expansion=2;binding_embedding_dim=8;"+settings)
	if err != nil {
		t.Fatal(err)
	}
	return &Config{Store: store, Dir: filepath.Join(t.TempDir(), "run")}
}

// TestTrainLearns is the "can it learn" test: on clustered synthetic data the loss must fall and positives
// must end up closer than negatives.
func TestTrainLearns(t *testing.T) {
	cfg := newTestStore(t, "num_epochs=6")
	cfg.Data = syntheticData(96, 4, 8, 7)
	res, err := Train(context.Background(), *cfg)
	if err != nil {
		t.Fatal(err)
	}
	first, last := res.EpochLosses[0], res.EpochLosses[len(res.EpochLosses)-1]
	t.Logf("epoch losses %v (%.0f pairs/s)", res.EpochLosses, res.PairsPerSecond)
	if !(last < 0.5*first) {
		t.Errorf("loss did not fall enough: first epoch %.4f, last %.4f", first, last)
	}
	rows, err := ReadLossLog(cfg.Dir)
	if err != nil {
		t.Fatalf("loss log: %v", err)
	}
	if int64(len(rows)) != res.GlobalStep || rows[len(rows)-1].Step != res.GlobalStep {
		t.Errorf("loss log has %d rows for %d steps", len(rows), res.GlobalStep)
	}
}

func variables(t *testing.T, dir string) map[string][]float32 {
	t.Helper()
	c, err := ckpt.Latest(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]float32{}
	for path, v := range c.Values {
		if v.DType().String() == "Float32" {
			out[path] = tensors.MustCopyFlatData[float32](v)
		}
	}
	return out
}

// TestResumeRefusesOtherArchitecture checks that a run directory holding another configuration is not
// silently reused.
func TestResumeRefusesOtherArchitecture(t *testing.T) {
	cfg := newTestStore(t, "num_epochs=1")
	cfg.Data = syntheticData(32, 2, 4, 3)
	if _, err := Train(context.Background(), *cfg); err != nil {
		t.Fatal(err)
	}
	other, err := NewStore("", "num_epochs=1;binding_contraction=1;binding_expansion=3;binding_embedding_dim=8")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Store = other
	_, err = Train(context.Background(), *cfg)
	if err == nil {
		t.Fatal("expected an error resuming with another expansion factor")
	}
	t.Log(err)
}
