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

// TestResumeIsExact checks that an interrupted run resumed from its checkpoint ends with exactly the same
// weights and optimizer state as an uninterrupted run.
func TestResumeIsExact(t *testing.T) {
	data := syntheticData(64, 4, 6, 11)
	full := newTestStore(t, "binding_dropout=0.2")
	full.Data = data
	if _, err := Train(context.Background(), *full); err != nil {
		t.Fatal(err)
	}

	part := newTestStore(t, "binding_dropout=0.2")
	part.Data = data
	ctx, cancel := context.WithCancel(context.Background())
	steps := 0
	part.OnStep = func(info StepInfo) {
		steps++
		if steps == 17 { // mid-epoch (12 steps per epoch)
			cancel()
		}
	}
	if _, err := Train(ctx, *part); err == nil {
		t.Fatal("expected an interruption error")
	}
	part.OnStep = nil
	res, err := Train(context.Background(), *part)
	if err != nil {
		t.Fatal(err)
	}
	if res.ResumedFrom == "" {
		t.Fatal("second run did not resume")
	}
	rows, err := ReadLossLog(part.Dir)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if r.Step != int64(i+1) {
			t.Fatalf("loss log row %d has step %d: the resumed log repeats or skips steps", i, r.Step)
		}
	}
	if int64(len(rows)) != res.GlobalStep {
		t.Errorf("loss log has %d rows, %d steps were run", len(rows), res.GlobalStep)
	}
	a, b := variables(t, full.Dir), variables(t, part.Dir)
	for p := range b {
		if _, ok := a[p]; !ok {
			t.Log("only in resumed:", p)
		}
	}
	for p := range a {
		if _, ok := b[p]; !ok {
			t.Log("only in full:", p)
		}
	}
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("variable sets differ: %d vs %d", len(a), len(b))
	}
	for path, va := range a {
		vb := b[path]
		for i := range va {
			if va[i] != vb[i] {
				t.Fatalf("variable %s[%d]: uninterrupted %g, resumed %g", path, i, va[i], vb[i])
			}
		}
	}
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
