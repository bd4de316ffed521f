package cmir

import (
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX idiom.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/musicrep/musicrep/musicrep/backends"
)

// TestVariantsLearn: every variant's loss falls over a few Adam steps on one fixed synthetic batch whose
// modalities share a hidden class (narrow CNN so the pure-Go backend's convolutions stay fast), and the full
// model logs its three terms.
func TestVariantsLearn(t *testing.T) {
	backend, err := backends.New("")
	if err != nil {
		t.Fatal(err)
	}
	const b, classes, vocab, maxTags = 8, 4, 6, 3
	rng := rand.New(rand.NewPCG(1, 2))
	mel := make([]float32, b*Bands*CropFrames)
	cf := make([]float32, b*CFDim)
	ids := make([]int32, b*maxTags)
	hot := make([]float32, b*vocab)
	for i := range b {
		c := i % classes
		for j := range Bands * CropFrames {
			mel[i*Bands*CropFrames+j] = float32(rng.NormFloat64()) + float32(c*((j/CropFrames)%3))
		}
		for j := range CFDim {
			cf[i*CFDim+j] = float32(rng.NormFloat64()*0.1) + float32((c+j)%classes)
		}
		ids[i*maxTags] = int32(c + 1)
		hot[i*vocab+c] = 1
	}
	table := make([]float32, (vocab+1)*EmbeddingDim)
	for i := EmbeddingDim; i < len(table); i++ {
		table[i] = float32(rng.NormFloat64())
	}
	audio := AudioConfig{Widths: []int{2, 2, 4, 4, 4, 4, 4}, Hidden: 16, Dropout: 0}
	inputs := []*tensors.Tensor{tensors.FromFlatDataAndDimensions(mel, b, Bands, CropFrames),
		tensors.FromFlatDataAndDimensions(cf, b, CFDim), tensors.FromFlatDataAndDimensions(ids, b, maxTags),
		tensors.FromFlatDataAndDimensions(hot, b, vocab)}
	for _, v := range []Variant{Full, AudioTags, AudioCF, BaselineMF, BaselineGn, BaselineMG} {
		store := model.NewStore()
		var nTerms int
		modelFn := func(scope *model.Scope, _ any, in []*Node) []*Node {
			loss, terms := Loss(scope, v, audio, TagConfig{Vocab: vocab, Dim: EmbeddingDim, Table: table, Heads: 4},
				Batch{Mel: in[0], CF: in[1], GenreIDs: in[2], MultiHot: in[3]})
			nTerms = len(terms)
			return []*Node{loss}
		}
		trainer := train.NewTrainer(backend, store, modelFn, func(_, p []*Node) *Node { return p[0] },
			optimizer.Adam().LearningRate(1e-3).Done(), nil, nil)
		var first, last float64
		for step := range 12 {
			metrics, err := trainer.TrainStep(train.Batch{Inputs: inputs, Labels: []*tensors.Tensor{tensors.FromScalar(float32(0))}})
			if err != nil {
				t.Fatalf("%s: %v", v, err)
			}
			loss := float64(tensors.ToScalar[float32](metrics[0]))
			if step == 0 {
				first = loss
			}
			last = loss
		}
		t.Logf("%s: loss %.4f → %.4f (%d terms)", v, first, last, nTerms)
		if !(last < first) {
			t.Errorf("%s: loss did not fall: %.4f → %.4f", v, first, last)
		}
		if v == Full && nTerms != 3 {
			t.Errorf("full model logs %d terms, want 3", nTerms)
		}
	}
}
