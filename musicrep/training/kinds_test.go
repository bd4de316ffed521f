package training_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/ckpt"
	"github.com/musicrep/musicrep/musicrep/cmir"
	"github.com/musicrep/musicrep/musicrep/melon"
	"github.com/musicrep/musicrep/musicrep/melon/melontest"
	"github.com/musicrep/musicrep/musicrep/training"
)

// clusterFeatures is a feature dataset (training.Data) of n tracks in 4 clusters with audio (16-d) and graph
// (8-d) features and labelled pairs (same cluster = positive).
func clusterFeatures(n int) *training.Data {
	rng := rand.New(rand.NewPCG(7, 1))
	d := &training.Data{Description: "synthetic clusters"}
	for mi, dim := range []int{16, 8} {
		centres := make([][]float64, 4)
		for c := range centres {
			for range dim {
				centres[c] = append(centres[c], rng.NormFloat64())
			}
		}
		f := &musicrep.Features{Modality: []musicrep.Modality{musicrep.Audio, musicrep.Graph}[mi], Source: "synthetic",
			Dim: dim, Data: make([]float32, n*dim), Present: make([]bool, n)}
		for i := range n {
			f.Present[i] = i%7 != 3 || mi == 0 // some tracks lack the graph
			for j := range dim {
				f.Data[i*dim+j] = float32(centres[i%4][j] + 0.3*rng.NormFloat64())
			}
		}
		d.Features = append(d.Features, f)
	}
	for i := range n {
		d.Tracks = append(d.Tracks, int32(i))
		for range 4 {
			j := rng.IntN(n)
			d.Anchor, d.Other = append(d.Anchor, int32(i)), append(d.Other, int32(j))
			d.Label = append(d.Label, map[bool]float32{true: 1, false: 0}[i%4 == j%4])
		}
	}
	return d
}

// melonDir holds the dataset melonData writes; TestMain removes it.
var melonDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if melonDir != "" {
		_ = os.RemoveAll(melonDir)
	}
	os.Exit(code)
}

// melonData prepares a small synthetic Melon-layout dataset once per test binary.
var melonData = sync.OnceValues(func() (*cmir.Data, error) {
	dir, err := os.MkdirTemp("", "musicrep-kinds-")
	if err != nil {
		return nil, err
	}
	melonDir = dir
	ds, err := melon.Load(melontest.WriteDir(dir, 80))
	if err != nil {
		return nil, err
	}
	return cmir.Prepare(ds, cmir.PrepareOptions{Seed: 1, CFFactors: 8, CFEpochs: 5})
})

// modelKind is one row of the tables below: a model kind with small settings and the dataset it reads.
type modelKind struct {
	name     string
	settings string
	data     func(t *testing.T) training.Dataset
}

func modelKinds() []modelKind {
	features := func(*testing.T) training.Dataset { return clusterFeatures(64) }
	mel := func(t *testing.T) training.Dataset {
		d, err := melonData()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	// The Melon-layout dataset with frozen audio feature vectors (as cmir.SongMusicnn's musicnn features): here
	// 24-d vectors of the song's top genre plus noise, read by the joint model's dense audio encoder.
	frozen := func(t *testing.T) training.Dataset {
		d, err := melonData()
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(3, 3))
		e := &musicrep.Embeddings{Name: "synthetic frozen audio features", Dim: 24}
		for _, s := range d.Songs {
			e.IDs = append(e.IDs, strconv.Itoa(s.ID))
			for j := range 24 {
				v := 0.5 * rng.NormFloat64()
				if j%8 == s.Top {
					v += 2
				}
				e.Data = append(e.Data, float32(v))
			}
		}
		a, err := cmir.WithAudioFeatures(d, e)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	const cnn = "cmir_widths=2,2,4,4,4,4,4;cmir_hidden=8;"
	return []modelKind{
		{"binding", "model=binding;batch_size=16;binding_contraction=1;binding_expansion=2;binding_embedding_dim=8;binding_dropout=0.2", features},
		{"joint", "model=joint;joint_modalities=audio,graph;joint_dim=8;joint_hidden=16;joint_batch_size=16", features},
		{"cmir-contrastive", "model=cmir-contrastive;batch_size=16;" + cnn, mel},
		{"cmir-baseline-mf-gnr", "model=cmir-baseline-mf-gnr;batch_size=16;" + cnn, mel},
		{"joint-cnn", "model=joint;joint_audio_encoder=cnn;joint_modalities=audio,cf,tags;joint_dim=8;joint_hidden=16;" +
			"joint_batch_size=16;" + cnn, mel},
		{"joint-frozen-audio", "model=joint;joint_modalities=audio,cf,tags;joint_dim=8;joint_hidden=16;" +
			"joint_batch_size=16", frozen},
	}
}

func trainKind(t *testing.T, k modelKind, dir string, epochs string, ctx context.Context,
	onStep func(training.StepInfo)) (*training.Result, error) {
	t.Helper()
	store, err := training.NewStore("", k.settings+";num_epochs="+epochs)
	if err != nil {
		t.Fatal(err)
	}
	return training.Train(ctx, training.Config{Dir: dir, Store: store, Data: k.data(t), OnStep: onStep})
}

// variables reads every float32 variable of a checkpoint.
func variables(t *testing.T, path string) map[string][]float32 {
	t.Helper()
	c, err := ckpt.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]float32{}
	for p, v := range c.Values {
		if v.DType().String() == "Float32" {
			out[p] = tensors.MustCopyFlatData[float32](v)
		}
	}
	return out
}

// TestModelKindsLearn: every model kind's training loss falls over a few epochs on data it can learn from.
func TestModelKindsLearn(t *testing.T) {
	for _, k := range modelKinds() {
		t.Run(k.name, func(t *testing.T) {
			res, err := trainKind(t, k, filepath.Join(t.TempDir(), "run"), "6", context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			first, last := res.EpochLosses[0], res.EpochLosses[len(res.EpochLosses)-1]
			t.Logf("%s: epoch losses %.4f → %.4f; %s", k.name, first, last, res.Model)
			if !(last < first) {
				t.Errorf("loss did not fall: %v", res.EpochLosses)
			}
			if strings.HasPrefix(k.name, "cmir") || k.name == "joint-cnn" || k.name == "joint-frozen-audio" {
				// Datasets with a validation split: a loss per epoch and the best checkpoint kept.
				if len(res.ValLosses) != 6 || res.Best == "" || res.BestEpoch < 1 {
					t.Errorf("validation: losses %v, best %q at epoch %d", res.ValLosses, res.Best, res.BestEpoch)
				}
				if res.BestValLoss != slices.Min(res.ValLosses) {
					t.Errorf("best validation loss %v is not the minimum of %v", res.BestValLoss, res.ValLosses)
				}
			}
		})
	}
}

// TestModelKindsResumeExactly: a run interrupted in the middle of its second epoch and resumed ends with
// bit-identical weights, the same loss log and the same best checkpoint as an uninterrupted run.
func TestModelKindsResumeExactly(t *testing.T) {
	for _, k := range modelKinds() {
		t.Run(k.name, func(t *testing.T) {
			whole := filepath.Join(t.TempDir(), "whole")
			want, err := trainKind(t, k, whole, "3", context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			cut := filepath.Join(t.TempDir(), "cut")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			_, err = trainKind(t, k, cut, "3", ctx, func(s training.StepInfo) {
				if s.Epoch == 1 && s.Step == 1 {
					cancel()
				}
			})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("interrupted run: want context.Canceled, got %v", err)
			}
			got, err := trainKind(t, k, cut, "3", context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if got.ResumedFrom == "" {
				t.Fatal("the second call did not resume")
			}
			a, b := variables(t, want.Checkpoint), variables(t, got.Checkpoint)
			if len(a) == 0 || len(a) != len(b) {
				t.Fatalf("%d and %d variables", len(a), len(b))
			}
			for p, x := range a {
				if !slices.Equal(x, b[p]) {
					t.Fatalf("variable %s differs after resuming", p)
				}
			}
			la, _ := os.ReadFile(filepath.Join(whole, training.LossLogFile))
			lb, _ := os.ReadFile(filepath.Join(cut, training.LossLogFile))
			if string(la) != string(lb) {
				t.Errorf("loss logs differ:\n%s\nvs\n%s", la, lb)
			}
			if want.BestEpoch != got.BestEpoch || want.BestValLoss != got.BestValLoss {
				t.Errorf("best epoch %d (%v) uninterrupted, %d (%v) resumed", want.BestEpoch, want.BestValLoss,
					got.BestEpoch, got.BestValLoss)
			}
		})
	}
}

// TestModelKindsRefuseOtherCheckpoints: resuming a run directory with another model kind is refused, naming
// both.
func TestModelKindsRefuseOtherCheckpoints(t *testing.T) {
	kinds := modelKinds()
	dirs := map[string]string{}
	for _, k := range kinds {
		dirs[k.name] = filepath.Join(t.TempDir(), k.name)
		if _, err := trainKind(t, k, dirs[k.name], "1", context.Background(), nil); err != nil {
			t.Fatalf("%s: %v", k.name, err)
		}
	}
	for i, k := range kinds {
		other := kinds[(i+1)%len(kinds)]
		if arch(other) == arch(k) {
			other = kinds[(i+2)%len(kinds)]
		}
		_, err := trainKind(t, k, dirs[other.name], "2", context.Background(), nil)
		if err == nil || !strings.Contains(err.Error(), arch(other)) || !strings.Contains(err.Error(), arch(k)) {
			t.Errorf("%s in a %s run: want a refusal naming both, got %v", k.name, other.name, err)
		}
	}
}

// arch is the architecture a kind's checkpoints record.
func arch(k modelKind) string {
	if strings.HasPrefix(k.name, "joint") {
		return "joint"
	}
	return k.name
}
