package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMelonGenerateDerivedCLI renders the tiny dataset, derives 60 songs of its families from it with
// -derive-from (short spectrograms with -frames), and checks that size large is refused without a base and with
// a base that lacks most families (naming them and suggesting -size medium).
func TestMelonGenerateDerivedCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("renders the tiny dataset (~30 s); skipped with -short")
	}
	for _, tool := range []string{"mma", "fluidsynth"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("MUSICREP_REQUIRE_AUDIO") == "1" {
				t.Fatalf("%s missing: run scripts/setup-audio.sh", tool)
			}
			t.Skipf("%s missing: run scripts/setup-audio.sh", tool)
		}
	}
	work := t.TempDir()
	_, stderr, code := run(t, work, "melon-generate", "-size", "large", "-out", "large")
	if code == 0 || !strings.Contains(stderr, "-derive-from") {
		t.Errorf("-size large without -derive-from: exit %d: %s", code, stderr)
	}
	stdout, stderr, code := run(t, work, "melon-generate", "-out", "melon", "-size", "tiny", "-keep-audio=false")
	if code != 0 || !strings.Contains(stdout, "30 with mel-spectrograms") {
		t.Fatalf("melon-generate: exit %d:\n%s%s", code, stdout, stderr)
	}
	_, stderr, code = run(t, work, "melon-generate", "-size", "large", "-derive-from", "melon", "-out", "large")
	if code == 0 || !strings.Contains(stderr, "GN0103 Samba") || !strings.Contains(stderr, "-size medium") {
		t.Errorf("-size large from a tiny base: exit %d: %s", code, stderr)
	}
	stdout, stderr, code = run(t, work, "melon-generate", "-size", "tiny", "-songs", "60", "-derive-from", "melon",
		"-frames", "256", "-out", "derived")
	if code != 0 || !strings.Contains(stdout, "derived 60 float16 spectrograms") ||
		!strings.Contains(stdout, "60 train / 10 val / 10 test") {
		t.Fatalf("derive: exit %d:\n%s%s", code, stdout, stderr)
	}
	raw, err := os.ReadFile(filepath.Join(work, "derived", "arena_mel", "0", "0.npy"))
	if err != nil || len(raw) != 128+2*48*256 || !strings.Contains(string(raw[:128]), "'<f2'") {
		t.Errorf("derived spectrogram: %d bytes, %v", len(raw), err)
	}
	readme, _ := os.ReadFile(filepath.Join(work, "derived", "README.md"))
	if !strings.Contains(string(readme), "DERIVED, not rendered") ||
		!strings.Contains(string(readme), "-songs 60 -derive-from melon -frames 256") {
		t.Errorf("README.md does not say how the spectrograms were derived:\n%s", readme)
	}
}
