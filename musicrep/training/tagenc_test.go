package training

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/ckpt"
	"github.com/musicrep/musicrep/musicrep/encoder"
	"github.com/musicrep/musicrep/musicrep/joint"
)

// Sizes of the synthetic tag sequences.
const (
	seqVocab   = 24 // distinct tags
	seqDim     = 8  // word-vector size
	seqMaxTags = 6  // sequence length
)

// WithTagSequences replaces the tags modality of jointData by tag sequences with the same cluster structure:
// cluster c owns tags c·6+1 … c·6+6 (4 clusters × 6 = the 24-tag vocabulary), each track has 2–5 distinct tags of
// its cluster plus sometimes one random tag, and every fifth track has no tag (a zero row, missing). The table
// holds random word vectors (row 0 zeros), as the vocabulary file does.
func withTagSequences(d *Data, label []int, seed uint64) *Data {
	rng := rand.New(rand.NewPCG(seed, 3))
	n := len(label)
	f := &musicrep.Features{Modality: musicrep.Tags, Source: "synthetic-seq", Dim: seqMaxTags,
		Data: make([]float32, n*seqMaxTags), Present: make([]bool, n), Vocab: "synthetic.vocab.json"}
	for i := range n {
		if i%5 == 4 {
			continue
		}
		f.Present[i] = true
		row := f.Row(i)
		perm := rng.Perm(6)
		k := 2 + rng.IntN(4)
		for j := range k {
			row[j] = float32(label[i]*6 + perm[j] + 1)
		}
		if rng.IntN(3) == 0 {
			row[k] = float32(1 + rng.IntN(seqVocab))
		}
	}
	table := make([]float32, (seqVocab+1)*seqDim)
	for k := seqDim; k < len(table); k++ {
		table[k] = float32(rng.NormFloat64())
	}
	out := *d
	out.Features = append(out.Features[:2:2], f)
	out.TagVectors, out.TagDim = table, seqDim
	return &out
}

func seqData(n int, seed uint64) *Data {
	d, label := jointData(n, 4, seed)
	return withTagSequences(d, label, seed)
}

// TestJointTagEncodersLearn: with the tags as id sequences, the joint model with contrastive-mir's tag encoders
// (self-attention, mean) learns on clustered data; the self and neighbour terms work on ids too (token dropout,
// neighbours by the mean word vector).
func TestJointTagEncodersLearn(t *testing.T) {
	for _, settings := range []string{"joint_tag_encoder=attention", "joint_tag_encoder=mean",
		"joint_tag_encoder=attention;joint_self_weight=0.5;joint_neighbour_weight=1"} {
		t.Run(settings, func(t *testing.T) {
			cfg := jointConfig(t, "num_epochs=8;"+settings)
			cfg.Data = seqData(96, 5)
			res, err := Train(context.Background(), *cfg)
			if err != nil {
				t.Fatal(err)
			}
			first, last := res.EpochLosses[0], res.EpochLosses[len(res.EpochLosses)-1]
			t.Logf("%s: epoch losses %.4f → %.4f (%s)", settings, first, last, res.Model)
			if !(last < 0.8*first) {
				t.Errorf("loss did not fall enough: %.4f → %.4f", first, last)
			}
			a := jointArchOf(t, res)
			if a.TagVocab != seqVocab || a.TagDim != seqDim || a.InputDims[2] != seqMaxTags {
				t.Errorf("tag vocabulary not recorded: %+v", a)
			}
			if !strings.Contains(res.Model, "tags: 6 tag ids → ") {
				t.Errorf("model line does not name the tag encoder: %s", res.Model)
			}
		})
	}
}

// TestJointTagAttentionResumeIsExact: an interrupted run with the attention tag encoder (dropout inside it)
// resumes to exactly the weights of an uninterrupted run; the trained embedding table is in the checkpoint and
// no longer equals the initial word vectors.
func TestJointTagAttentionResumeIsExact(t *testing.T) {
	data := seqData(64, 9)
	const settings = "joint_tag_encoder=attention;joint_self_weight=0.5"
	full := jointConfig(t, settings)
	full.Data = data
	if _, err := Train(context.Background(), *full); err != nil {
		t.Fatal(err)
	}
	part := jointConfig(t, settings)
	part.Data = data
	ctx, cancel := context.WithCancel(context.Background())
	steps := 0
	part.OnStep = func(StepInfo) {
		if steps++; steps == 6 { // mid-epoch (4 steps per epoch)
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
	a, b := variables(t, full.Dir), variables(t, part.Dir)
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("variable sets differ: %d vs %d", len(a), len(b))
	}
	for path, va := range a {
		for i := range va {
			if va[i] != b[path][i] {
				t.Fatalf("variable %s[%d]: uninterrupted %g, resumed %g", path, i, va[i], b[path][i])
			}
		}
	}
	table := a["/encoder/tags/attention/embeddings"]
	if len(table) != len(data.TagVectors) {
		t.Fatalf("embedding table has %d values, want %d", len(table), len(data.TagVectors))
	}
	changed := false
	for i := range table {
		changed = changed || table[i] != data.TagVectors[i]
	}
	if !changed {
		t.Error("the attention encoder's embedding table was not trained")
	}
}

// TestJointTagEncoderParams: the checkpoint holds exactly the variables Architecture.VariableShapes lists for the
// tags encoder, and their trainable parameters are encoder.SelfAttentionParams (4 heads) or encoder.MeanParams
// (frozen table) plus the projection Linear(TagDim→d).
func TestJointTagEncoderParams(t *testing.T) {
	for _, enc := range []string{joint.TagEncoderAttention, joint.TagEncoderMean} {
		t.Run(enc, func(t *testing.T) {
			cfg := jointConfig(t, "num_epochs=1;joint_tag_encoder="+enc)
			cfg.Data = seqData(32, 2)
			res, err := Train(context.Background(), *cfg)
			if err != nil {
				t.Fatal(err)
			}
			c, err := ckpt.Latest(cfg.Dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			const d = 8 // joint_dim of jointConfig
			want := encoder.SelfAttentionParams(seqVocab, seqDim, 4) + seqDim*d + d
			wantFrozen := 0
			if enc == joint.TagEncoderMean {
				want, wantFrozen = encoder.MeanParams(seqDim)+seqDim*d+d, (seqVocab+1)*seqDim
			}
			shapes := jointArchOf(t, res).VariableShapes()
			trainable, frozen, listed := 0, 0, 0
			for _, v := range c.Meta.Variables {
				if !strings.HasPrefix(v.Path, "/encoder/tags/") {
					continue
				}
				size := 1
				for _, x := range v.Dims {
					size *= x
				}
				if v.Trainable {
					trainable += size
				} else {
					frozen += size
				}
				if s, ok := shapes[v.Path]; !ok || fmt.Sprint(s) != fmt.Sprint(v.Dims) {
					t.Errorf("variable %s %v: VariableShapes has %v", v.Path, v.Dims, s)
				}
				if v.Trainable == jointArchOf(t, res).FrozenVariable(v.Path) {
					t.Errorf("variable %s: trainable %v, FrozenVariable %v", v.Path, v.Trainable,
						jointArchOf(t, res).FrozenVariable(v.Path))
				}
				listed++
			}
			for path := range shapes {
				if strings.HasPrefix(path, "/encoder/tags/") {
					listed--
				}
			}
			if trainable != want || frozen != wantFrozen || listed != 0 {
				t.Errorf("tags encoder: %d trainable + %d frozen parameters (%d variables unlisted), want %d + %d",
					trainable, frozen, listed, want, wantFrozen)
			}
			if got := jointArchOf(t, res).TagEncoderParams(); got != want {
				t.Errorf("TagEncoderParams = %d, want %d", got, want)
			}
			total := 0
			for _, v := range c.Meta.Variables {
				if _, ok := shapes[v.Path]; ok && v.Trainable {
					size := 1
					for _, x := range v.Dims {
						size *= x
					}
					total += size
				}
			}
			if total != jointArchOf(t, res).NumParams() {
				t.Errorf("NumParams = %d, the checkpoint's model variables hold %d trainable values",
					jointArchOf(t, res).NumParams(), total)
			}
		})
	}
}

// TestJointTagEncoderMismatch: clear errors when the tag encoder and the tags features do not match, or the ids
// do not fit the vocabulary.
func TestJointTagEncoderMismatch(t *testing.T) {
	vectors, _ := jointData(16, 2, 1)
	for _, tc := range []struct {
		name, settings string
		data           func() *Data
		want           string
	}{
		{"attention on vectors", "joint_tag_encoder=attention", func() *Data { return vectors },
			"joint_tag_encoder=attention needs tags features that hold token ids"},
		{"mlp on ids", "joint_tag_encoder=mlp", func() *Data { return seqData(16, 1) }, "holds token ids (tag sequences"},
		{"unknown encoder", "joint_tag_encoder=lstm", func() *Data { return seqData(16, 1) }, `use "mlp", "attention" or "mean"`},
		{"no table", "joint_tag_encoder=mean", func() *Data {
			d := seqData(16, 1)
			d.TagVectors = nil
			return d
		}, "no initial tag table"},
		{"id out of range", "joint_tag_encoder=attention", func() *Data {
			d := seqData(16, 1)
			d.Features[2].Data[0] = seqVocab + 1
			return d
		}, "value 25 is not a token id"},
		{"ids in another modality", "joint_tag_encoder=attention", func() *Data {
			d := seqData(16, 1)
			audio := *d.Features[0]
			audio.Vocab = "x.vocab.json"
			d.Features = []*musicrep.Features{&audio, d.Features[1], d.Features[2]}
			return d
		}, "only the tags modality has a token encoder"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := jointConfig(t, tc.settings)
			cfg.Data = tc.data()
			_, err := Train(context.Background(), *cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error containing %q, got %v", tc.want, err)
			}
			t.Log(err)
		})
	}
	// The binding model refuses token ids.
	cfg := newTestStore(t, "binding_modalities=audio,tags")
	d := seqData(16, 1)
	d.Features = []*musicrep.Features{d.Features[0], d.Features[2]}
	d.Anchor, d.Other, d.Label = []int32{0}, []int32{1}, []float32{1}
	cfg.Data = d
	if _, err := Train(context.Background(), *cfg); err == nil || !strings.Contains(err.Error(), "binding model cannot read") {
		t.Fatalf("binding on ids: got %v", err)
	}
}
