package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/musicrep/musicrep/musicrep/corpus"
)

var binaryPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "musicrep-cli")
	if err != nil {
		panic(err)
	}
	binaryPath = filepath.Join(dir, "musicrep")
	out, err := exec.Command("go", "build", "-o", binaryPath, ".").CombinedOutput()
	if err != nil {
		panic(string(out))
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

func dataDir(t *testing.T) string {
	t.Helper()
	dir, err := corpus.DataDir("")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI needs the shared data: %v", err)
		}
		t.Skip(err)
	}
	abs, _ := filepath.Abs(dir)
	return abs
}

// run executes the CLI in workdir and returns stdout, stderr and the exit code.
func run(t *testing.T, workdir string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binaryPath, args...)
	cmd.Dir = workdir
	cmd.Env = append(os.Environ(), "GOMLX_BACKEND=go")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if exitErr, ok := err.(*exec.ExitError); ok {
		code = exitErr.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return stdout.String(), stderr.String(), code
}

// TestPaperProtocolContract checks the CLI contract scripts rely on: one JSON object whose "metrics" map has
// the 24 keys, equal to the published table.
func TestPaperProtocolContract(t *testing.T) {
	data := dataDir(t)
	stdout, stderr, code := run(t, t.TempDir(), "eval", "-protocol", "paper",
		"-embeddings", filepath.Join(data, "fairouz/reference/published_joint_c2e4_51k.json"),
		"-positives", filepath.Join(data, "fairouz/positives_negatives_more_negatives.json"),
		"-candidates", "50", "-k", "10,15,20,25", "-json", "-data", data)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var out struct {
		Metrics   map[string]float64 `json:"metrics"`
		Baselines []struct {
			Name    string             `json:"name"`
			Metrics map[string]float64 `json:"metrics"`
		} `json:"baselines"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, stdout)
	}
	// Published values: binding_music notebooks/evaluate.ipynb (also in ../shared/data/fairouz/README.md).
	want := map[string]float64{"precision@10": 0.3281022, "recall@25": 0.62133265, "hit_rate@15": 0.96836984,
		"average_precision@20": 0.3920268, "reciprocal_rank@25": 0.3655893, "ndcg@10": 0.32183042}
	if len(out.Metrics) != 24 {
		t.Errorf("metrics has %d keys, want 24: %v", len(out.Metrics), out.Metrics)
	}
	for k, v := range want {
		if got, ok := out.Metrics[k]; !ok || got-v > 1e-4 || v-got > 1e-4 {
			t.Errorf("%s = %v, published %v", k, got, v)
		}
	}
	if len(out.Baselines) != 3 {
		t.Errorf("want 3 baselines (raw audio, raw graph, concatenation), got %d", len(out.Baselines))
	}

	// Exact-k variant.
	stdout, stderr, code = run(t, t.TempDir(), "eval", "-protocol", "paper", "-embeddings",
		filepath.Join(data, "fairouz/reference/published_joint_c2e4_51k.json"), "-candidates", "10", "-k", "10",
		"-json", "-baselines=false", "-data", data)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatal(err)
	}
	if out.Metrics["recall@10"] != out.Metrics["hit_rate@10"] {
		t.Errorf("exact-k variant: recall@10 %v should equal hit_rate@10 %v", out.Metrics["recall@10"],
			out.Metrics["hit_rate@10"])
	}
}

// TestTrainExportEvalReproduce is the smoke run of the real entry points with the tiny preset on the 6k pairs:
// train (held out), export from the checkpoint, evaluate both protocols, and the reproduce job.
func TestTrainExportEvalReproduce(t *testing.T) {
	if testing.Short() {
		t.Skip("trains models")
	}
	data := dataDir(t)
	work := t.TempDir()
	_, stderr, code := run(t, work, "train", "-name", "smoke", "-preset", "tiny", "-set", "pairs=6k", "-heldout",
		"-data", data)
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "backend: ") {
		t.Errorf("train does not say which backend runs:\n%s", stderr)
	}
	for _, f := range []string{"checkpoints/smoke/loss.csv", "embeddings/smoke.json", "embeddings/smoke.npy",
		"embeddings/smoke.ids.json"} {
		if _, err := os.Stat(filepath.Join(work, f)); err != nil {
			t.Errorf("train did not write %s", f)
		}
	}
	// Export again from the checkpoint to another file: same vectors.
	if _, stderr, code = run(t, work, "export", "-checkpoint", "checkpoints/smoke", "-out", "again", "-data", data); code != 0 {
		t.Fatalf("export: exit %d: %s", code, stderr)
	}
	a, _ := os.ReadFile(filepath.Join(work, "embeddings/smoke.json"))
	b, _ := os.ReadFile(filepath.Join(work, "again.json"))
	if !bytes.Equal(a, b) {
		t.Error("export from the checkpoint differs from the embeddings written after training")
	}
	stdout, stderr, code := run(t, work, "eval", "-protocol", "heldout", "-embeddings", "embeddings/smoke.json",
		"-json", "-data", data)
	if code != 0 {
		t.Fatalf("eval heldout: exit %d: %s", code, stderr)
	}
	var held struct {
		Metrics   map[string]float64    `json:"metrics"`
		CI95      map[string][2]float64 `json:"ci95"`
		Baselines []struct {
			Name string `json:"name"`
			Kind string `json:"kind"`
		} `json:"baselines"`
	}
	if err := json.Unmarshal([]byte(stdout), &held); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, b := range held.Baselines {
		kinds = append(kinds, b.Kind)
	}
	// raw audio, leak-free graph, their concatenation, binding_music's graph (leaking), chance, majority.
	if _, ok := held.Metrics["knn_genre_accuracy@10"]; !ok || len(held.Baselines) != 6 ||
		!slices.Contains(kinds, "chance") || !slices.Contains(kinds, "majority") {
		t.Errorf("heldout output lacks k-NN accuracy, baselines, chance or majority: %s", stdout)
	}
	if ci, ok := held.CI95["precision@10"]; !ok || !(ci[0] <= held.Metrics["precision@10"] && held.Metrics["precision@10"] <= ci[1]) {
		t.Errorf("heldout output: precision@10 %v, interval %v", held.Metrics["precision@10"], ci)
	}

	// The main job, tiny.
	stdout, stderr, code = run(t, work, "reproduce", "-preset", "tiny", "-set", "pairs=6k", "-data", data)
	if code != 0 {
		t.Fatalf("reproduce: exit %d: %s", code, stderr)
	}
	for _, f := range []string{"evaluation/results/binding-c2e4-51k-tiny.json", "evaluation/results/binding-c2e4-51k-tiny.md"} {
		if _, err := os.Stat(filepath.Join(work, f)); err != nil {
			t.Errorf("reproduce did not write %s", f)
		}
	}
	for _, want := range []string{"raw audio", "raw graph", "concat L2-normalised audio+graph", "IN-SAMPLE",
		"leak"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("reproduce output lacks %q", want)
		}
	}
}

// TestCLIErrors checks that bad input gives a clear message and a non-zero exit.
func TestCLIErrors(t *testing.T) {
	data := dataDir(t)
	work := t.TempDir()
	bad := filepath.Join(work, "bad.json")
	if err := os.WriteFile(bad, []byte(`[{"id": "x", "embedding": [1, 2]}, {"id": "y", "embedding": [1`), 0o644); err != nil {
		t.Fatal(err)
	}
	wrongDims := filepath.Join(work, "dims.json")
	if err := os.WriteFile(wrongDims, []byte(`[{"id": "x", "embedding": [1, 2]}, {"id": "y", "embedding": [1, 2, 3]}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown command", []string{"frobnicate"}, "unknown command"},
		{"stray argument", []string{"export", "-checkpoint", "x", "stray", "-out", "/tmp/x"}, `unexpected argument "stray"`},
		{"run name with a path", []string{"train", "-name", "../../x", "-preset", "tiny", "-data", data}, "use letters, digits"},
		{"negative validation share", []string{"train", "-name", "x", "-heldout", "-val-fraction", "-0.1", "-data", data}, "-val-fraction"},
		{"cmir negative batch", []string{"cmir", "-dataset", "nowhere", "-batch", "-1"}, "-batch -1"},
		{"cmir no CF factors", []string{"cmir", "-dataset", "nowhere", "-cf-factors", "0"}, "-cf-factors 0"},
		{"cmir no CF threads", []string{"cmir", "-dataset", "nowhere", "-cf-threads", "0"}, "-cf-threads 0"},
		{"cmir unknown preset", []string{"cmir", "-dataset", "nowhere", "-preset", "nonsense"}, `-preset "nonsense"`},
		{"cmir duplicate variant", []string{"cmir", "-dataset", "nowhere", "-variants", "contrastive,contrastive"}, "listed twice"},
		{"embed-audio negative k", []string{"embed-audio", "-checkpoint", "x", "-k", "-3", "a.ogg"}, "-k -3"},
		{"eval on an unknown side", []string{"eval", "-protocol", "heldout", "-embeddings", "x.json", "-on", "train"}, "use test or validation"},
		{"unknown preset", []string{"train", "-name", "x", "-preset", "huge", "-data", data}, "unknown preset"},
		{"unknown hyperparameter", []string{"hparams", "-set", "learning_rat=1"}, "unknown hyperparameter"},
		{"missing modality", []string{"train", "-name", "x", "-set", "binding_modalities=audio,image", "-data", data}, "image"},
		{"no name", []string{"train", "-data", data}, "-name"},
		{"truncated embeddings", []string{"eval", "-embeddings", bad, "-baselines=false", "-positives", bad}, "bad.json"},
		{"inconsistent dims", []string{"eval", "-embeddings", wrongDims, "-baselines=false", "-positives", bad}, "dims.json"},
		{"ids not tracks", []string{"eval", "-protocol", "heldout", "-embeddings", wrongDims, "-data", data}, "dims.json"},
		{"missing checkpoint", []string{"export", "-checkpoint", filepath.Join(work, "nope"), "-data", data}, "nope"},
		{"bad backend", []string{"train", "-name", "x", "-backend", "tpu", "-data", data}, "not available"},
		{"bad k", []string{"eval", "-embeddings", bad, "-k", "ten"}, "ten"},
		{"cmir finetune without joint", []string{"cmir", "-dataset", "nowhere", "-musicnn-finetune"}, "give -joint too"},
		{"cmir finetune settings without finetune", []string{"cmir", "-dataset", "nowhere", "-joint", "default",
			"-musicnn-finetune-set", "num_epochs=1"}, "give -musicnn-finetune too"},
		{"cmir finetune settings unknown", []string{"cmir", "-dataset", "nowhere", "-joint", "default",
			"-musicnn-finetune", "-musicnn-finetune-set", "num_epoch=1"}, "num_epoch"},
		{"cmir finetune patches without finetune", []string{"cmir", "-dataset", "nowhere", "-joint", "default",
			"-musicnn-finetune-patches", "1"}, "with -musicnn-finetune"},
		{"two musicnn audio inputs", []string{"train", "-name", "x", "-dataset", "nowhere", "-musicnn", "-musicnn-patches"}, "give one"},
		{"library and dataset", []string{"train", "-name", "x", "-dataset", "nowhere", "-library", "lib"}, "not both"},
		{"binding on a library", []string{"train", "-name", "x", "-library", "nowhere", "-set", "model=binding"}, "model=joint"},
		{"library embed without checkpoint", []string{"library", "embed", "-library", "nowhere"}, "-checkpoint"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := run(t, work, tc.args...)
			if code == 0 {
				t.Fatalf("exit 0, want failure")
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr does not mention %q:\n%s", tc.want, stderr)
			}
		})
	}
}

// TestUserFeatureFiles trains on a modality the data directory lacks, from a user file that covers only some
// tracks (the others are missing that modality), and checks the bad-flag message.
func TestUserFeatureFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	data := dataDir(t)
	work := t.TempDir()
	tracks, err := corpus.LoadTracks(filepath.Join(data, "fairouz/tracks_contextualized.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	var vecs []float32
	for i, tr := range tracks {
		if !tr.HasLyrics() {
			continue // like a lyrics-text file: no vector for tracks without lyrics
		}
		ids = append(ids, tr.ID)
		for j := range 16 {
			vecs = append(vecs, float32((i*31+j*17)%23)/23-0.5)
		}
	}
	textFile := filepath.Join(work, "text16.json")
	if err := corpus.WriteVectorsJSON(textFile, ids, vecs, 16); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := run(t, work, "train", "-name", "withtext", "-preset", "tiny",
		"-set", "pairs=6k;binding_modalities=audio,text", "-features", "text="+textFile, "-data", data)
	if code != 0 {
		t.Fatalf("train with a user text file: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "text 16→8") {
		t.Errorf("model did not use the 16-d text features:\n%s", stderr)
	}
	if _, stderr, code = run(t, work, "export", "-checkpoint", "checkpoints/withtext", "-features", "text="+textFile,
		"-out", "withtext", "-data", data); code != 0 {
		t.Fatalf("export: exit %d: %s", code, stderr)
	}
	gotIDs, _, dim, err := corpus.ReadVectors(filepath.Join(work, "withtext.json"))
	if err != nil || len(gotIDs) != len(tracks) || dim != 128 {
		t.Fatalf("export wrote %d ids of dim %d (%v); want every track, lyric-less ones included", len(gotIDs), dim, err)
	}
	// Graph features computed by musicrep from the metadata, then used for training.
	stdout, stderr, code := run(t, work, "features", "-method", "randne", "-out", "g", "-data", data)
	if code != 0 || !strings.Contains(stdout, "overlap@10") {
		t.Fatalf("features: exit %d: %s%s", code, stdout, stderr)
	}
	if _, stderr, code = run(t, work, "train", "-name", "owngraph", "-preset", "tiny", "-set", "pairs=6k",
		"-features", "graph=g.npy", "-data", data); code != 0 {
		t.Fatalf("train on computed graph features: exit %d: %s", code, stderr)
	}
	_, stderr, code = run(t, work, "train", "-name", "x", "-features", "lyrics:"+textFile, "-data", data)
	if code == 0 || !strings.Contains(stderr, "modality=path") {
		t.Errorf("bad -features accepted or unclear: %s", stderr)
	}
}

// export stops at a damaged newest checkpoint unless told to fall back to the newest intact one.
func TestExportDamagedCheckpoint(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	data := dataDir(t)
	work := t.TempDir()
	if _, stderr, code := run(t, work, "train", "-name", "dmg", "-preset", "tiny", "-set", "pairs=6k;num_epochs=2",
		"-data", data); code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	bins, _ := filepath.Glob(filepath.Join(work, "checkpoints/dmg/ckpt-*.bin"))
	if len(bins) != 2 {
		t.Fatalf("want 2 checkpoints, got %v", bins)
	}
	slices.Sort(bins)
	if err := os.Truncate(bins[1], 100); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := run(t, work, "export", "-checkpoint", "checkpoints/dmg", "-out", "x", "-data", data)
	if code == 0 || !strings.Contains(stderr, "damaged") || !strings.Contains(stderr, "-fallback") {
		t.Errorf("export of a damaged newest checkpoint: exit %d: %s", code, stderr)
	}
	if _, stderr, code = run(t, work, "export", "-checkpoint", "checkpoints/dmg", "-out", "x", "-fallback", "-data", data); code != 0 {
		t.Errorf("export -fallback: exit %d: %s", code, stderr)
	}
}

// Resuming a run on other inputs is refused with a message naming what changed: a run trained on all pairs
// then resumed as "held out" would otherwise become a held-out model that saw the test pairs.
func TestResumeOnOtherInputsRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	data := dataDir(t)
	work := t.TempDir()
	if _, stderr, code := run(t, work, "train", "-name", "r", "-preset", "tiny", "-set", "pairs=6k", "-data", data); code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	_, stderr, code := run(t, work, "train", "-name", "r", "-preset", "tiny", "-set", "pairs=6k;num_epochs=2",
		"-heldout", "-val-fraction", "0", "-data", data)
	if code == 0 || !strings.Contains(stderr, "other inputs") || !strings.Contains(stderr, "training pairs") {
		t.Errorf("resume as held out: exit %d: %s", code, stderr)
	}
	// The same inputs resume; -allow-changed-inputs overrides.
	if _, stderr, code = run(t, work, "train", "-name", "r", "-preset", "tiny", "-set", "pairs=6k;num_epochs=2",
		"-data", data); code != 0 {
		t.Errorf("resume on the same inputs: exit %d: %s", code, stderr)
	}
	if _, stderr, code = run(t, work, "train", "-name", "r", "-preset", "tiny", "-set", "pairs=6k;num_epochs=3",
		"-heldout", "-val-fraction", "0", "-allow-changed-inputs", "-data", data); code != 0 {
		t.Errorf("-allow-changed-inputs: exit %d: %s", code, stderr)
	}
}
