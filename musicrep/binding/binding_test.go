package binding

import (
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX idiom.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/musicrep/musicrep/musicrep/backends"

	"github.com/musicrep/musicrep/musicrep"
)

var fourModalities = []musicrep.Modality{musicrep.Audio, musicrep.Image, musicrep.Text, musicrep.Graph}

// TestNumParamsMatchesPublished checks the parameter counts of binding_music's architectures (SEEDS_SPEC A2:
// computed counts, and Lightning's printed "4.3 M", "853 K", "0.4 M").
func TestNumParamsMatchesPublished(t *testing.T) {
	for _, tc := range []struct {
		name       string
		c, e       int
		nonUniform bool
		want       int
	}{
		{"model_no_contraction (C=1, E=2)", 1, 2, false, 8230272},
		{"model.py C=2 E=2", 2, 2, false, 2509568},
		{"model.py C=4 E=2", 4, 2, false, 853440},
		{"model.py C=2 E=4 (published best)", 2, 4, false, 4346368},
		{"model_non_uniform_encoder C=4 E=2", 4, 2, true, 369536},
	} {
		arch := Architecture{Modalities: fourModalities, InputDims: []int{128, 512, 1024, 128},
			Contraction: tc.c, Expansion: tc.e, EmbeddingDim: 128, NonUniform: tc.nonUniform}
		if err := arch.Validate(); err != nil {
			t.Fatal(err)
		}
		if got := arch.NumParams(); got != tc.want {
			t.Errorf("%s: %d parameters, binding_music has %d", tc.name, got, tc.want)
		}
	}
}

// TestEmbedBuildsDeclaredVariables builds the graph for audio+graph and checks shapes, the variable count
// against NumParams, masking of a missing modality and that the store round-trips the architecture.
func TestEmbedBuildsDeclaredVariables(t *testing.T) {
	arch := Architecture{Modalities: []musicrep.Modality{musicrep.Audio, musicrep.Graph}, InputDims: []int{6, 4},
		Contraction: 2, Expansion: 4, EmbeddingDim: 5}
	store := model.NewStore()
	arch.SetInStore(store)
	back, err := ArchitectureFromStore(store)
	if err != nil {
		t.Fatal(err)
	}
	if back.String() != arch.String() {
		t.Fatalf("architecture did not round-trip: %s vs %s", back, arch)
	}
	backend, err := backends.New("")
	if err != nil {
		t.Fatal(err)
	}
	exec, err := model.NewExec(backend, store, func(scope *model.Scope, inputs []*Node) *Node {
		return Embed(scope, arch, inputs[:2], inputs[2:])
	})
	if err != nil {
		t.Fatal(err)
	}
	audio := tensors.FromFlatDataAndDimensions([]float32{1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6}, 2, 6)
	graphA := tensors.FromFlatDataAndDimensions([]float32{1, 1, 1, 1, 9, 9, 9, 9}, 2, 4)
	graphB := tensors.FromFlatDataAndDimensions([]float32{1, 1, 1, 1, -3, 7, 0, 2}, 2, 4)
	ones := tensors.FromFlatDataAndDimensions([]float32{1, 1}, 2)
	graphMissingSecond := tensors.FromFlatDataAndDimensions([]float32{1, 0}, 2)
	out, err := exec.Exec(audio, graphA, ones, graphMissingSecond)
	if err != nil {
		t.Fatal(err)
	}
	if dims := out[0].Shape().Dimensions; len(dims) != 2 || dims[0] != 2 || dims[1] != 5 {
		t.Fatalf("output shape %v, want [2 5]", dims)
	}
	total := 0
	for v := range store.IterVariables() {
		if v.Trainable && v.Shape().DType == DType {
			total += v.Shape().Size()
		}
	}
	if total != arch.NumParams() {
		t.Errorf("graph has %d parameters, NumParams says %d", total, arch.NumParams())
	}
	// With the graph modality masked out for row 1, its graph features must not matter.
	a := tensors.MustCopyFlatData[float32](out[0])
	out2, err := exec.Exec(audio, graphB, ones, graphMissingSecond)
	if err != nil {
		t.Fatal(err)
	}
	b := tensors.MustCopyFlatData[float32](out2[0])
	for j := 5; j < 10; j++ {
		if a[j] != b[j] {
			t.Fatalf("masked modality changed the embedding: %v vs %v", a[5:], b[5:])
		}
	}
}

func TestValidateErrors(t *testing.T) {
	ok := Architecture{Modalities: []musicrep.Modality{musicrep.Audio}, InputDims: []int{128}, Contraction: 2,
		Expansion: 4, EmbeddingDim: 128}
	for _, tc := range []struct {
		name   string
		mutate func(a *Architecture)
	}{
		{"no modality", func(a *Architecture) { a.Modalities = nil; a.InputDims = nil }},
		{"dims mismatch", func(a *Architecture) { a.InputDims = []int{128, 128} }},
		{"contraction too large", func(a *Architecture) { a.Contraction = 256 }},
		{"zero expansion", func(a *Architecture) { a.Expansion = 0 }},
		{"dropout 1", func(a *Architecture) { a.Dropout = 1 }},
	} {
		a := ok
		a.InputDims = []int{128}
		tc.mutate(&a)
		if err := a.Validate(); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	if err := ok.Validate(); err != nil {
		t.Errorf("valid architecture rejected: %v", err)
	}
}
