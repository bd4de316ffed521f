package training

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/ml/model"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/ckpt"
	"github.com/musicrep/musicrep/musicrep/joint"
)

// jointData builds n tracks in `clusters` clusters with three modalities (noisy views of per-modality cluster
// centres of different sizes); every third track lacks the text modality. All tracks are training tracks.
func jointData(n, clusters int, seed uint64) (*Data, []int) {
	rng := rand.New(rand.NewPCG(seed, 2))
	mods := []musicrep.Modality{musicrep.Audio, musicrep.Text, musicrep.Tags}
	dims := []int{12, 20, 6}
	label := make([]int, n)
	for i := range label {
		label[i] = rng.IntN(clusters)
	}
	d := &Data{Description: "synthetic joint clusters"}
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
			if mods[mi] == musicrep.Text && i%3 == 0 {
				continue // missing: zero row
			}
			f.Present[i] = true
			for j := range dim {
				f.Data[i*dim+j] = centres[label[i]][j] + 0.4*float32(rng.NormFloat64())
			}
		}
		d.Features = append(d.Features, f)
	}
	for i := range n {
		d.Tracks = append(d.Tracks, int32(i))
	}
	return d, label
}

func jointConfig(t *testing.T, settings string) *Config {
	t.Helper()
	store, err := NewStore("", "model=joint;joint_modalities=audio,text,tags;joint_dim=8;joint_hidden=16;"+
		"joint_batch_size=16;num_epochs=3;"+settings)
	if err != nil {
		t.Fatal(err)
	}
	return &Config{Store: store, Dir: filepath.Join(t.TempDir(), "joint")}
}

// TestJointTrainLearns: the joint model's loss falls on clustered data with a missing modality, for both
// contrastive losses and with the margin term.
func TestJointTrainLearns(t *testing.T) {
	for _, settings := range []string{"", "joint_loss=ntxent;joint_temperature=0.1", "joint_fusion=mean",
		"joint_margin_weight=0.5", "joint_neighbour_weight=1;joint_self_weight=0.5"} {
		t.Run(settings, func(t *testing.T) {
			cfg := jointConfig(t, "num_epochs=8;"+settings)
			data, label := jointData(96, 4, 5)
			if strings.Contains(settings, "margin") {
				for i := range 96 {
					for range 4 {
						j := (i + 1 + rand.IntN(95)) % 96
						data.Anchor, data.Other = append(data.Anchor, int32(i)), append(data.Other, int32(j))
						l := float32(0)
						if label[i] == label[j] {
							l = 1
						}
						data.Label = append(data.Label, l)
					}
				}
			}
			cfg.Data = data
			res, err := Train(context.Background(), *cfg)
			if err != nil {
				t.Fatal(err)
			}
			first, last := res.EpochLosses[0], res.EpochLosses[len(res.EpochLosses)-1]
			t.Logf("%s: epoch losses %.4f → %.4f (%s)", settings, first, last, res.Model)
			if !(last < 0.8*first) {
				t.Errorf("loss did not fall enough: %.4f → %.4f", first, last)
			}
			if a := jointArchOf(t, res); a.Dim != 8 || len(a.Modalities) != 3 {
				t.Errorf("architecture not recorded: %+v", a)
			}
		})
	}
}

// TestJointBadSettings: clear errors for impossible settings.
func TestJointBadSettings(t *testing.T) {
	data, _ := jointData(16, 2, 1)
	for settings, want := range map[string]string{
		"joint_pairs=audio-graph":   "not a pair of two of the model's modalities",
		"joint_loss=mse":            "use infonce or ntxent",
		"joint_batch_size=1":        "must be ≥ 2",
		"joint_modality_dropout=1":  "must be in [0, 1)",
		"joint_modalities=audio":    "model modalities [audio] (joint_modalities) but 3 feature sets",
		"joint_margin_weight=1":     "needs labelled pairs",
		"model=clip":                "use binding, joint or one of cmir-contrastive",
		"joint_fusion=max":          `use "attention" or "mean"`,
		"joint_temperature=-1":      "must be > 0",
		"joint_dropout=1.5":         "must be in [0, 1)",
		"joint_pairs=audio-audio":   "not a pair",
		"joint_pairs=text-tags,foo": "not a pair",
	} {
		cfg := jointConfig(t, settings)
		cfg.Data = data
		_, err := Train(context.Background(), *cfg)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: want an error containing %q, got %v", settings, want, err)
		}
	}
	cfg := jointConfig(t, "")
	cfg.Data = &Data{Features: data.Features}
	if _, err := Train(context.Background(), *cfg); err == nil || !strings.Contains(err.Error(), "no training tracks") {
		t.Errorf("empty split: got %v", err)
	}
}

// TestRawNeighbours compares the neighbour lists with a naive cosine search over the training rows.
func TestRawNeighbours(t *testing.T) {
	data, _ := jointData(40, 3, 4)
	rows := []int32{}
	for r := int32(0); r < 40; r += 2 {
		rows = append(rows, r)
	}
	// An exact duplicate of row 2's audio in row 4: never a positive of row 2 (distance 0).
	a := data.Features[0]
	copy(a.Row(4), a.Row(2))
	const k = 3
	got := RawNeighbours(data.Features, rows, k)
	cos := func(x, y []float32) float64 {
		var d, nx, ny float64
		for i := range x {
			d += float64(x[i]) * float64(y[i])
			nx += float64(x[i]) * float64(x[i])
			ny += float64(y[i]) * float64(y[i])
		}
		return d / math.Sqrt(nx*ny)
	}
	for r := range int32(40) {
		want := map[int32]bool{}
		if r%2 == 0 {
			for _, f := range data.Features {
				if !f.Present[r] {
					continue
				}
				var cands []int32
				for _, o := range rows {
					if o != r && f.Present[o] && cos(f.Row(int(r)), f.Row(int(o))) < 1-1e-7 {
						cands = append(cands, o)
					}
				}
				sort.Slice(cands, func(i, j int) bool {
					return cos(f.Row(int(r)), f.Row(int(cands[i]))) > cos(f.Row(int(r)), f.Row(int(cands[j])))
				})
				for _, o := range cands[:k] {
					want[o] = true
				}
			}
		}
		if len(got[r]) != len(want) {
			t.Fatalf("row %d: %d neighbours %v, naive search gives %d %v", r, len(got[r]), got[r], len(want), want)
		}
		for _, o := range got[r] {
			if !want[o] {
				t.Fatalf("row %d: neighbour %d not among the naive ones %v", r, o, want)
			}
		}
	}
}

// jointArchOf rebuilds the joint architecture a run's checkpoint records.
func jointArchOf(t *testing.T, res *Result) joint.Architecture {
	t.Helper()
	c, err := ckpt.Load(res.Checkpoint)
	if err != nil {
		t.Fatal(err)
	}
	store := model.NewStore()
	if err := c.Restore(store); err != nil {
		t.Fatal(err)
	}
	a, err := joint.ArchitectureFromStore(store)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
