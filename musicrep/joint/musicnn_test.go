package joint

import (
	"math"
	"math/rand/v2"
	"os"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX idiom.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/musicrep/musicrep/musicrep/backends"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/musicnn"
)

// TestMusicnnEncoderStartsAsMusicnn: the musicnn audio encoder, initialised from the checkpoint, computes the
// same 200-d penultimate features as musicnn.Model (the frozen tagger, golden-tested against TensorFlow) on the
// same patches, within 1e-5; its moving statistics are frozen, everything else trainable.
func TestMusicnnEncoderStartsAsMusicnn(t *testing.T) {
	if testing.Short() {
		t.Skip("runs musicnn twice on the Go backend")
	}
	dir, err := musicnn.Locate(MusicnnModel)
	if err != nil {
		if os.Getenv("MUSICREP_REQUIRE_MODELS") == "1" {
			t.Fatal(err)
		}
		t.Skipf("skipping: %v", err)
	}
	backend, err := backends.New("")
	if err != nil {
		t.Fatal(err)
	}
	ref, err := musicnn.Load(MusicnnModel, dir, backend)
	if err != nil {
		t.Fatal(err)
	}
	init, err := musicnn.ReadWeights(MusicnnModel, dir)
	if err != nil {
		t.Fatal(err)
	}
	// Two patches of log-mel-like values (musicnn's log10(10000·x+1) lies in [0, ~5]).
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 2
	x := make([]float32, n*musicnn.PatchValues)
	for i := range x {
		x[i] = float32(2 + math.Sin(float64(i%musicnn.Bands)/7) + 0.5*rng.NormFloat64())
	}
	want, err := ref.Run(x)
	if err != nil {
		t.Fatal(err)
	}
	a := Architecture{Modalities: []musicrep.Modality{musicrep.Audio}, InputDims: []int{musicnn.PatchValues}, Dim: 8,
		Hidden: 8, Fusion: FusionMean, TagEncoder: TagEncoderMLP, AudioEncoder: AudioEncoderMusicnn, MusicnnInit: init}
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	store := model.NewStore()
	exec, err := model.NewExec(backend, store, func(scope *model.Scope, in *Node) *Node {
		return MusicnnFeatures(scope.In("encoder").In("audio"), a, in)
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Exec(tensors.FromFlatDataAndDimensions(x, n, musicnn.PatchValues))
	if err != nil {
		t.Fatal(err)
	}
	got := tensors.MustCopyFlatData[float32](out[0])
	if len(got) != len(want.Penultimate) {
		t.Fatalf("%d values, want %d", len(got), len(want.Penultimate))
	}
	worst := 0.0
	for i := range got {
		worst = math.Max(worst, math.Abs(float64(got[i]-want.Penultimate[i])))
	}
	t.Logf("max |encoder − musicnn.Model| over %d penultimate values: %.3g", len(got), worst)
	if worst > 1e-5 {
		t.Errorf("the initial encoder differs from musicnn by %g (> 1e-5)", worst)
	}
	// Every variable of the architecture is there with its shape; the moving statistics are not trained.
	shapes := a.VariableShapes()
	trainable, frozen := 0, 0
	for v := range store.IterVariables() {
		dims, ok := shapes[v.Path()]
		if !ok {
			t.Errorf("variable %s is not in VariableShapes", v.Path())
			continue
		}
		if len(dims) != v.Shape().Rank() {
			t.Errorf("variable %s: shape %s, VariableShapes says %v", v.Path(), v.Shape(), dims)
		}
		if v.Trainable == a.FrozenVariable(v.Path()) {
			t.Errorf("variable %s: trainable %v, FrozenVariable %v", v.Path(), v.Trainable, a.FrozenVariable(v.Path()))
		}
		if v.Trainable {
			trainable++
		} else {
			frozen++
		}
	}
	if frozen != 2*11 || trainable < 30 {
		t.Errorf("%d frozen variables (want the 2 moving statistics of 11 batch norms), %d trainable", frozen, trainable)
	}
}
