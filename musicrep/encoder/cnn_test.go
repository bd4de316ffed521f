package encoder

import (
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX idiom.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/musicrep/musicrep/musicrep/backends"
)

// TestPublishedParamCount: the default audio encoder has the seed's 3,989,762 parameters (SEEDS_SPEC B2.1) and
// the CF encoder its 55,424 (B2.4).
func TestPublishedParamCount(t *testing.T) {
	if n := DefaultAudioConfig().NumParams(); n != 3989762 {
		t.Errorf("audio encoder: %d parameters, the published model has 3,989,762", n)
	}
	if CFEncoderParams != 55424 {
		t.Errorf("CF encoder: %d parameters, the published model has 55,424", CFEncoderParams)
	}
	if DefaultAudioConfig().FlatDim() != 1024 {
		t.Errorf("z has %d features, want 1024", DefaultAudioConfig().FlatDim())
	}
}

// countTrainable sums the sizes of the store's trainable variables under a scope prefix.
func countTrainable(store *model.Store, prefix string) int {
	n := 0
	for v := range store.IterVariables() {
		if v.Trainable && len(v.Scope()) >= len(prefix) && v.Scope()[:len(prefix)] == prefix {
			n += v.Shape().Size()
		}
	}
	return n
}

// TestGraphMatchesConfig builds a narrow encoder and the CF encoder, checks the output shapes and that the
// variables created equal NumParams / CFEncoderParams, and that the scrambled layout changes the output.
func TestGraphMatchesConfig(t *testing.T) {
	backend, err := backends.New("")
	if err != nil {
		t.Fatal(err)
	}
	cfg := AudioConfig{Widths: []int{4, 4, 8, 8, 8, 8, 8}, Hidden: 16, Dropout: 0.5}
	mel := make([]float32, 2*Bands*CropFrames)
	for i := range mel {
		mel[i] = float32((i*37)%101)/10 - 5
	}
	cf := make([]float32, 2*CFDim)
	for i := range cf {
		cf[i] = float32(i%7) / 7
	}
	run := func(scrambled bool) ([]float32, *model.Store) {
		store := model.NewStore()
		c := cfg
		c.Scrambled = scrambled
		outs, err := model.ExecOnceN(backend, store, func(scope *model.Scope, m, cfIn *Node) []*Node {
			z, zd := AudioCNN(scope, c, m)
			return []*Node{z, zd, CFEncoder(scope, cfIn)}
		}, tensors.FromFlatDataAndDimensions(mel, 2, Bands, CropFrames), tensors.FromFlatDataAndDimensions(cf, 2, CFDim))
		if err != nil {
			t.Fatal(err)
		}
		if d := outs[0].Shape().Dimensions; d[0] != 2 || d[1] != cfg.FlatDim() {
			t.Fatalf("z shape %v", d)
		}
		if d := outs[1].Shape().Dimensions; d[0] != 2 || d[1] != EmbeddingDim {
			t.Fatalf("z_d shape %v", d)
		}
		if d := outs[2].Shape().Dimensions; d[0] != 2 || d[1] != EmbeddingDim {
			t.Fatalf("CF output shape %v", d)
		}
		return tensors.MustCopyFlatData[float32](outs[1]), store
	}
	proper, store := run(false)
	if got := countTrainable(store, "/audio"); got != cfg.NumParams() {
		t.Errorf("the audio graph has %d trainable parameters, NumParams says %d", got, cfg.NumParams())
	}
	if got := countTrainable(store, "/cf"); got != CFEncoderParams {
		t.Errorf("the CF graph has %d trainable parameters, want %d", got, CFEncoderParams)
	}
	scrambled, _ := run(true)
	same := true
	for i := range proper {
		same = same && proper[i] == scrambled[i]
	}
	if same {
		t.Error("the scrambled layout gave the same output as the proper one")
	}
}
