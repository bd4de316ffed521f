package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/musicrep/musicrep/musicrep/tagfeat"
	"github.com/musicrep/musicrep/musicrep/textenc"
)

// modelEnv locates the pretrained weights from the package directory (the CLI runs in a temporary directory,
// where the walk-up search cannot find the repository's .venv and models/) and returns them as environment
// settings; it skips, or fails under MUSICREP_REQUIRE_MODELS=1, when they are not installed.
func modelEnv(t *testing.T) []string {
	t.Helper()
	minilm, err1 := textenc.Locate()
	vectors, err2 := tagfeat.LocateWordVectors()
	if err1 != nil || err2 != nil {
		if os.Getenv("MUSICREP_REQUIRE_MODELS") == "1" {
			t.Fatalf("pretrained weights missing: %v %v", err1, err2)
		}
		t.Skipf("pretrained weights missing (run make models): %v %v", err1, err2)
	}
	abs, _ := filepath.Abs(minilm)
	absV, _ := filepath.Abs(vectors)
	return []string{textenc.EnvDir + "=" + abs, "MUSICREP_WORD_VECTORS=" + absV}
}

// TestJointPipelineCLI runs the joint model's whole path from the CLI with smoke-size settings: features
// computed by musicrep (tags for every track, MiniLM text for the first 24 tracks only, so most tracks miss a
// modality), a held-out joint run with its report, free-text queries, and the clear errors around them.
func TestJointPipelineCLI(t *testing.T) {
	data := dataDir(t)
	env := modelEnv(t)
	work := t.TempDir()
	runE := func(args ...string) (string, string, int) {
		t.Helper()
		for _, e := range env {
			k, v, _ := strings.Cut(e, "=")
			t.Setenv(k, v)
		}
		return run(t, work, args...)
	}
	stdout, stderr, code := runE("features", "-method", "tags", "-data", data)
	if code != 0 || !strings.Contains(stdout, "773/822 tracks with tags") {
		t.Fatalf("features tags: exit %d:\n%s%s", code, stdout, stderr)
	}
	stdout, stderr, code = runE("features", "-method", "minilm", "-limit", "24", "-data", data)
	if code != 0 || !strings.Contains(stdout, "384-d") {
		t.Fatalf("features minilm: exit %d:\n%s%s", code, stdout, stderr)
	}
	for _, f := range []string{"features/text.json", "features/text.npy", "features/tags.json", "features/tags.npy"} {
		if _, err := os.Stat(filepath.Join(work, f)); err != nil {
			t.Fatalf("features not written to the default place: %v", err)
		}
	}
	stdout, stderr, code = runE("joint", "-name", "jt", "-preset", "tiny", "-data", data,
		"-set", "joint_batch_size=64;joint_hidden=32;joint_dim=16")
	if code != 0 {
		t.Fatalf("joint: exit %d:\n%s", code, stderr)
	}
	for _, want := range []string{"## Cross-modal retrieval", "audio→text learned", "text→tags baseline",
		"tags→audio chance", "joint (fused audio+text+tags)", "raw audio", "concat L2-normalised audio+text+tags",
		"## Free-text genre queries", "## Embedding arithmetic", "## Clustering", "other_artist_precision@10 |"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("joint report lacks %q:\n%s", want, stdout)
		}
	}
	for _, f := range []string{"evaluation/results/jt.json", "evaluation/results/jt.md", "embeddings/jt.json",
		"embeddings/jt.audio.json", "embeddings/jt.text.npy", "checkpoints/jt"} {
		if _, err := os.Stat(filepath.Join(work, f)); err != nil {
			t.Errorf("joint did not write %s: %v", f, err)
		}
	}
	// Several artist splits: the held-out table of each and their mean (audio and tags, which most tracks have).
	stdout, stderr, code = runE("joint", "-name", "jt2", "-preset", "tiny", "-data", data, "-seeds", "2",
		"-set", "joint_modalities=audio,tags;joint_batch_size=64;joint_hidden=32;joint_dim=16")
	if code != 0 {
		t.Fatalf("joint -seeds 2: exit %d:\n%s", code, stderr)
	}
	for _, want := range []string{"Held-out genre retrieval, split seed 2", "mean over 2 splits", "t interval over splits"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("joint -seeds 2 report lacks %q:\n%s", want, stdout)
		}
	}
	stdout, stderr, code = runE("query", "-checkpoint", "checkpoints/jt", "-k", "3", "-data", data,
		"dark heavy metal", "melancholic love song")
	if code != 0 || strings.Count(stdout, "\n") != 8 || !strings.Contains(stdout, `"dark heavy metal" → fused`) {
		t.Fatalf("query: exit %d:\n%s%s", code, stdout, stderr)
	}
	// Clear errors: a binding checkpoint cannot answer text queries; a modality without features.
	if _, stderr, code = runE("train", "-name", "b", "-preset", "tiny", "-set", "pairs=6k", "-data", data); code != 0 {
		t.Fatalf("binding train: %s", stderr)
	}
	_, stderr, code = runE("query", "-checkpoint", "checkpoints/b", "-data", data, "x")
	if code == 0 || !strings.Contains(stderr, "needs a joint model with a text encoder") {
		t.Errorf("query on a binding model: exit %d: %s", code, stderr)
	}
	_, stderr, code = runE("train", "-name", "j2", "-preset", "tiny", "-data", data, "-set",
		"model=joint;joint_modalities=audio,image")
	if code == 0 || !strings.Contains(stderr, "no image features") {
		t.Errorf("joint on a modality without features: exit %d: %s", code, stderr)
	}
}
