package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTagEncoderCLI runs the joint model with contrastive-mir's attention tag encoder from the CLI at smoke size:
// tag sequences computed by `musicrep features -method tags-seq` (ids plus their vocabulary file), a held-out
// train run on audio + tags, the joint report with the committed text features (no raw baseline of the ids), and
// the clear error when the tag encoder and the features do not match.
func TestTagEncoderCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two joint models")
	}
	data := dataDir(t)
	env := modelEnv(t)
	text, _ := filepath.Abs(filepath.Join("..", "..", "features", "text.npy"))
	if _, err := os.Stat(text); err != nil {
		t.Fatalf("the committed text features are missing: %v", err)
	}
	work := t.TempDir()
	runE := func(args ...string) (string, string, int) {
		t.Helper()
		for _, e := range env {
			k, v, _ := strings.Cut(e, "=")
			t.Setenv(k, v)
		}
		return run(t, work, args...)
	}
	stdout, stderr, code := runE("features", "-method", "tags-seq", "-data", data)
	if code != 0 || !strings.Contains(stdout, "773 present, up to 16 tag ids each") ||
		!strings.Contains(stdout, "joint_tag_encoder=attention") {
		t.Fatalf("features tags-seq: exit %d:\n%s%s", code, stdout, stderr)
	}
	seq := "features/tags-tags-seq.json"
	for _, f := range []string{seq, "features/tags-tags-seq.npy", "features/tags-tags-seq.vocab.json"} {
		if _, err := os.Stat(filepath.Join(work, f)); err != nil {
			t.Fatalf("features tags-seq did not write %s: %v", f, err)
		}
	}
	stdout, stderr, code = runE("train", "-name", "ja", "-heldout", "-preset", "tiny", "-data", data,
		"-features", "tags="+seq, "-set", "model=joint;joint_modalities=audio,tags;joint_tag_encoder=attention")
	if code != 0 || !strings.Contains(stdout, "tags: 16 tag ids → 4-head self-attention encoder") {
		t.Fatalf("train with the attention tag encoder: exit %d:\n%s%s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(work, "embeddings", "ja.tags.npy")); err != nil {
		t.Errorf("train did not export the tags embeddings: %v", err)
	}
	stdout, stderr, code = runE("joint", "-name", "jta", "-preset", "tiny", "-data", data,
		"-features", "tags="+seq+",text="+text,
		"-set", "joint_modalities=audio,text,tags;joint_tag_encoder=attention;joint_batch_size=64;joint_hidden=32;joint_dim=16")
	if code != 0 {
		t.Fatalf("joint with the attention tag encoder: exit %d:\n%s", code, stderr)
	}
	for _, want := range []string{"4-head self-attention encoder", "joint (tags alone)", "raw audio", "raw text",
		"concat L2-normalised audio+text |", "text→tags learned", "## Cross-modal retrieval"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("joint report lacks %q:\n%s", want, stdout)
		}
	}
	for _, unwanted := range []string{"| raw tags |", "concat L2-normalised audio+text+tags"} {
		if strings.Contains(stdout, unwanted) {
			t.Errorf("joint report scores the tag ids as a raw baseline (%q):\n%s", unwanted, stdout)
		}
	}
	// The dense encoder on tag ids, and the attention encoder on word-vector features, fail clearly.
	_, stderr, code = runE("train", "-name", "jm", "-preset", "tiny", "-data", data, "-features", "tags="+seq,
		"-set", "model=joint;joint_modalities=audio,tags;joint_tag_encoder=mlp")
	if code == 0 || !strings.Contains(stderr, "holds token ids (tag sequences") {
		t.Errorf("mlp encoder on tag ids: exit %d: %s", code, stderr)
	}
	tags, _ := filepath.Abs(filepath.Join("..", "..", "features", "tags.npy"))
	_, stderr, code = runE("train", "-name", "jv", "-preset", "tiny", "-data", data, "-features", "tags="+tags,
		"-set", "model=joint;joint_modalities=audio,tags;joint_tag_encoder=mean")
	if code == 0 || !strings.Contains(stderr, "needs tags features that hold token ids") {
		t.Errorf("mean encoder on vectors: exit %d: %s", code, stderr)
	}
}
