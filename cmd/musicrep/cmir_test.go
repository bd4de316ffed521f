package main

import (
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
