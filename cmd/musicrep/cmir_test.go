package main

import (
	"github.com/musicrep/musicrep/musicrep/melon/melontest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestContrastiveMIRPipelineCLI is the tiny contrastive-mir pipeline from the CLI: generate a Melon-layout dataset
// (rendered mma styles, simulated playlists, mel-spectrograms by musicrep's front-end), train the contrastive model
// and both baselines, write the task table, and embed an audio file with the trained encoder.
func TestContrastiveMIRPipelineCLI(t *testing.T) {
	for _, tool := range []string{"mma", "fluidsynth"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("MUSICREP_REQUIRE_AUDIO") == "1" {
				t.Fatalf("%s missing: run scripts/setup-audio.sh", tool)
			}
			t.Skipf("%s missing: run scripts/setup-audio.sh", tool)
		}
	}
	work := t.TempDir()
	stdout, stderr, code := run(t, work, "melon-generate", "-out", "melon", "-size", "tiny")
	if code != 0 || !strings.Contains(stdout, "30 with mel-spectrograms") {
		t.Fatalf("melon-generate: exit %d:\n%s%s", code, stdout, stderr)
	}
	stdout, stderr, code = run(t, work, "cmir", "-dataset", "melon", "-preset", "tiny", "-cf-factors", "16")
	if code != 0 {
		t.Fatalf("cmir: exit %d:\n%s", code, stderr)
	}
	for _, want := range []string{"| contrastive | learned |", "| baseline-mf | learned |", "| baseline-gnr | learned |",
		"raw mel statistics", "random weights", "simulated"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("task table lacks %q:\n%s", want, stdout)
		}
	}
	if _, err := os.Stat(filepath.Join(work, "evaluation", "results", "cmir-tiny.json")); err != nil {
		t.Error(err)
	}
	wav := filepath.Join(work, "melon", "audio", "3.wav")
	stdout, stderr, code = run(t, work, "embed-audio", "-checkpoint", "checkpoints/cmir-tiny/contrastive/best",
		"-dataset", "melon", "-k", "3", "-out", "emb", wav)
	if code != 0 || !strings.Contains(stdout, "→ 7 chunks → 128-d embedding") || strings.Count(stdout, " (cos ") != 3 {
		t.Fatalf("embed-audio: exit %d:\n%s%s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(work, "emb.npy")); err != nil {
		t.Error(err)
	}
	// A joint checkpoint is not an audio encoder.
	_, stderr, code = run(t, work, "embed-audio", "-checkpoint", filepath.Join(repoRoot(t), "checkpoints", "joint-paper"), wav)
	if code == 0 || !strings.Contains(stderr, "not a contrastive-mir") {
		t.Errorf("embed-audio with a joint checkpoint: exit %d: %s", code, stderr)
	}
}

func repoRoot(t *testing.T) string {
	t.Helper()
	abs, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// TestTrainOnMelonCLI: `musicrep train -dataset DIR` trains contrastive-mir's model and the joint model with the
// audio CNN through the one trainer, keeps the best checkpoint by validation loss, resumes on a second call, and
// `musicrep hparams` lists the keys they use.
func TestTrainOnMelonCLI(t *testing.T) {
	work := t.TempDir()
	dir := melontest.Write(t, 62)
	stdout, stderr, code := run(t, work, "hparams")
	for _, want := range []string{"cmir_widths=128,128,256,256,256,256,512", "joint_audio_encoder=mlp", "weight_decay=0"} {
		if code != 0 || !strings.Contains(stdout, want) {
			t.Errorf("hparams lacks %q (exit %d):\n%s%s", want, code, stdout, stderr)
		}
	}
	for _, c := range []struct{ name, set string }{
		{"c1", "model=cmir-contrastive"},
		{"j1", "model=joint;joint_audio_encoder=cnn;joint_modalities=audio,cf,tags;joint_dim=16;joint_hidden=32;" +
			"joint_batch_size=16;cmir_widths=4,4,8,8,8,8,8;cmir_hidden=32"},
	} {
		args := []string{"train", "-name", c.name, "-dataset", dir, "-cf-factors", "8", "-preset", "tiny", "-set", c.set}
		stdout, stderr, code := run(t, work, args...)
		if code != 0 || !strings.Contains(stdout, "best validation loss") {
			t.Fatalf("%s: exit %d:\n%s%s", c.set, code, stdout, stderr)
		}
		if list, _ := filepath.Glob(filepath.Join(work, "checkpoints", c.name, "best", "ckpt-*.json")); len(list) != 1 {
			t.Errorf("%s: best checkpoints %v", c.name, list)
		}
		// More epochs: the second call resumes.
		_, stderr, code = run(t, work, append(args[:len(args)-1], c.set+";num_epochs=3")...)
		if code != 0 || !strings.Contains(stderr, "resuming from") {
			t.Errorf("%s: second call: exit %d:\n%s", c.name, code, stderr)
		}
	}
	// embed-audio goes on past a bad file: the good one is embedded and written, the bad one named, exit 1.
	good, _ := filepath.Abs(filepath.Join("..", "..", "musicrep", "audio", "testdata", "northerners_35s.ogg"))
	bad := filepath.Join(work, "bad.wav")
	if err := os.WriteFile(bad, []byte("RIFF\x00\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code = run(t, work, "embed-audio", "-checkpoint", "checkpoints/c1", "-out", "emb", bad, good)
	if code == 0 || !strings.Contains(stderr, "skipping "+bad) || !strings.Contains(stdout, "(1 of 2 files)") ||
		!strings.Contains(stderr, "1 of 2 files could not be embedded") {
		t.Errorf("embed-audio with a bad file: exit %d:\n%s%s", code, stdout, stderr)
	}
	// The Fairouz-only flags are refused with a Melon-layout dataset.
	_, stderr, code = run(t, work, "train", "-name", "x", "-dataset", dir, "-heldout", "-set", "model=cmir-contrastive")
	if code == 0 || !strings.Contains(stderr, "own split by artist") {
		t.Errorf("-heldout with -dataset: exit %d: %s", code, stderr)
	}
}
