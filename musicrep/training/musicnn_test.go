package training_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/cmir"
	"github.com/musicrep/musicrep/musicrep/melon"
	"github.com/musicrep/musicrep/musicrep/melon/melontest"
	"github.com/musicrep/musicrep/musicrep/musicnn"
	"github.com/musicrep/musicrep/musicrep/training"
)

// musicnnPatchData is a small Melon-layout dataset (8 training and 4 validation songs) whose audio input is
// two identical synthetic musicnn patches per song, a band profile per top genre plus noise.
func musicnnPatchData(t *testing.T) *cmir.MusicnnPatches {
	t.Helper()
	if _, err := musicnn.Locate("MSD_musicnn"); err != nil {
		if os.Getenv("MUSICREP_REQUIRE_MODELS") == "1" {
			t.Fatal(err)
		}
		t.Skipf("skipping: %v", err)
	}
	ds, err := melon.Load(melontest.Write(t, 62))
	if err != nil {
		t.Fatal(err)
	}
	d, err := cmir.Prepare(ds, cmir.PrepareOptions{Seed: 1, CFFactors: 8, CFEpochs: 5})
	if err != nil {
		t.Fatal(err)
	}
	d.Train, d.Val = d.Train[:8], d.Val[:4]
	rng := rand.New(rand.NewPCG(5, 5))
	p := &cmir.MusicnnPatches{Data: d, Patches: make([][]float32, len(d.Songs))}
	for i, s := range d.Songs {
		patch := make([]float32, musicnn.PatchValues)
		for k := range patch {
			patch[k] = float32(2 + math.Sin(float64(k%musicnn.Bands)/float64(3+s.Top)) + 0.3*rng.NormFloat64())
		}
		p.Patches[i] = append(slices.Clone(patch), patch...)
	}
	return p
}

const musicnnSettings = "model=joint;joint_audio_encoder=musicnn;joint_modalities=audio,tags;joint_dim=8;" +
	"joint_hidden=16;joint_batch_size=8;joint_modality_dropout=0;learning_rate=1e-3"

func trainMusicnn(t *testing.T, ds training.Dataset, dir, settings string, ctx context.Context,
	onStep func(training.StepInfo)) (*training.Result, error) {
	t.Helper()
	store, err := training.NewStore("", settings)
	if err != nil {
		t.Fatal(err)
	}
	return training.Train(ctx, training.Config{Dir: dir, Store: store, Data: ds, OnStep: onStep})
}

// TestJointMusicnnEncoder fine-tunes the pretrained musicnn audio encoder inside the joint model (audio and tags;
// one step per epoch on the same 8 songs): the loss falls; a run interrupted in its second epoch and resumed
// ends with bit-identical weights and loss log; a run directory of the joint model with another audio encoder
// is refused. (TestMusicnnEncoderStartsAsMusicnn in package joint checks the initial encoder against musicnn.)
func TestJointMusicnnEncoder(t *testing.T) {
	if testing.Short() {
		t.Skip("trains musicnn")
	}
	if b := os.Getenv("GOMLX_BACKEND"); (b == "" || b == "go") && os.Getenv("MUSICREP_MUSICNN_FINETUNE") != "1" {
		t.Skip("fine-tuning musicnn on the pure-Go backend takes long: run with GOMLX_BACKEND=xla:cpu -tags xla, " +
			"or set MUSICREP_MUSICNN_FINETUNE=1")
	}
	ds := musicnnPatchData(t)
	whole := filepath.Join(t.TempDir(), "whole")
	res, err := trainMusicnn(t, ds, whole, musicnnSettings+";num_epochs=4", context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("epoch losses %v, validation %v; %s", res.EpochLosses, res.ValLosses, res.Model)
	if first, last := res.EpochLosses[0], res.EpochLosses[len(res.EpochLosses)-1]; !(last < first) {
		t.Errorf("loss did not fall: %v", res.EpochLosses)
	}
	if !strings.Contains(res.Model, "MSD_musicnn (fine-tuned, batch norm frozen)") {
		t.Errorf("model %q", res.Model)
	}
	want, err := trainMusicnn(t, ds, filepath.Join(t.TempDir(), "three"), musicnnSettings+";num_epochs=3",
		context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err = trainMusicnn(t, ds, cut, musicnnSettings+";num_epochs=3", ctx, func(s training.StepInfo) {
		if s.Epoch == 1 && s.Step == 1 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: want context.Canceled, got %v", err)
	}
	got, err := trainMusicnn(t, ds, cut, musicnnSettings+";num_epochs=3", context.Background(), nil)
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
	// Fine-tuned: the first timbral kernel moved away from the checkpoint; the moving statistics did not.
	init, err := musicnn.ReadWeights("MSD_musicnn", "")
	if err != nil {
		t.Fatal(err)
	}
	for p, x := range a {
		if !slices.Equal(x, b[p]) {
			t.Fatalf("variable %s differs after resuming", p)
		}
		name, ok := strings.CutPrefix(p, "/encoder/audio/musicnn/")
		if !ok {
			continue
		}
		start := slices.Equal(x, tensors.MustCopyFlatData[float32](init[name]))
		if frozen := strings.Contains(name, "/moving_"); frozen != start && (frozen || name == "conv2d/kernel") {
			t.Errorf("%s: equal to the checkpoint's value: %v", p, start)
		}
	}
	// The joint model with the dense audio encoder on vectors, then the musicnn encoder in its directory.
	e := &musicrep.Embeddings{Name: "vectors", Dim: 4}
	for _, s := range ds.Songs {
		e.IDs = append(e.IDs, strconv.Itoa(s.ID))
		e.Data = append(e.Data, 1, 2, 3, float32(s.Top))
	}
	vec, err := cmir.WithAudioFeatures(ds.Data, e)
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "mlp")
	if _, err := trainMusicnn(t, vec, other, strings.Replace(musicnnSettings, "joint_audio_encoder=musicnn",
		"joint_audio_encoder=mlp", 1)+";num_epochs=1", context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := trainMusicnn(t, ds, other, musicnnSettings+";num_epochs=2", context.Background(), nil); err == nil ||
		!strings.Contains(err.Error(), "joint_audio_encoder=mlp") {
		t.Errorf("the musicnn encoder in a run of the dense one: %v", err)
	}
	// Patches for the dense encoder, or vectors for the musicnn one: refused before training.
	if _, err := trainMusicnn(t, vec, filepath.Join(t.TempDir(), "x"), musicnnSettings+";num_epochs=1",
		context.Background(), nil); err == nil || !strings.Contains(err.Error(), "input patches") {
		t.Errorf("musicnn encoder on vectors: %v", err)
	}
}
