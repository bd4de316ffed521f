package pipeline

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/corpus"
)

// TestCommittedFeaturesAreReproducible recomputes the repository's committed feature files (features/*.npy,
// used by the reference joint run and notebook 07) with the current code: the tag features of every track
// exactly, the MiniLM text features of 12 tracks (to keep the test fast) to cosine ≥ 0.99999, and the same
// missing tracks. A committed file that the code no longer reproduces fails here.
func TestCommittedFeaturesAreReproducible(t *testing.T) {
	f := fairouz(t)
	for _, tc := range []struct {
		method string
		mod    musicrep.Modality
		limit  int
	}{{"tags", musicrep.Tags, 0}, {"minilm", musicrep.Text, 12}} {
		committed := filepath.Join(FeaturesDir(), string(tc.mod)+".npy")
		if _, err := os.Stat(committed); err != nil {
			t.Fatalf("the committed %s features are missing: %v", tc.mod, err)
		}
		ids, data, dim, err := corpus.ReadVectors(committed)
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) != len(f.Corpus.Tracks) {
			t.Fatalf("%s: %d rows, want %d", committed, len(ids), len(f.Corpus.Tracks))
		}
		res, err := ExtractFeatures(f, tc.method, FeatureOptions{Out: filepath.Join(t.TempDir(), "x"), Limit: tc.limit})
		if err != nil {
			if os.Getenv("MUSICREP_REQUIRE_MODELS") != "1" {
				t.Skip(err)
			}
			t.Fatal(err)
		}
		n := len(ids)
		if tc.limit > 0 {
			n = tc.limit
		}
		for i := range n {
			if ids[i] != f.Corpus.Tracks[i].ID {
				t.Fatalf("%s row %d is %s, want %s", committed, i, ids[i], f.Corpus.Tracks[i].ID)
			}
			got, want := res.Features.Row(i), data[i*dim:(i+1)*dim]
			var dot, ng, nw float64
			for j := range want {
				dot += float64(got[j]) * float64(want[j])
				ng += float64(got[j]) * float64(got[j])
				nw += float64(want[j]) * float64(want[j])
			}
			if nw == 0 || ng == 0 {
				if nw != ng || res.Features.Present[i] {
					t.Fatalf("%s row %d (%s): missing in one of recomputed/committed only", committed, i, ids[i])
				}
				continue
			}
			if c := dot / math.Sqrt(ng*nw); c < 0.99999 {
				t.Fatalf("%s row %d (%s): cosine %.7f with the recomputed features", committed, i, ids[i], c)
			}
		}
	}
}

// TestTagSequenceFeatures extracts the tag sequences of every track, loads them back as token ids with their
// vocabulary, builds joint training data from them (the initial tag table) and checks that the baselines leave
// them out; a later vector extraction to the same path removes the stale vocabulary file.
func TestTagSequenceFeatures(t *testing.T) {
	f := fairouz(t)
	out := filepath.Join(t.TempDir(), "seq")
	res, err := ExtractFeatures(f, TagSequenceMethod, FeatureOptions{Out: out})
	if err != nil {
		if os.Getenv("MUSICREP_REQUIRE_MODELS") != "1" {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	t.Log(res.Summary)
	if res.Vocab != out+".vocab.json" || res.Features.Dim != TagSequenceLength || res.Features.NumPresent() != 773 {
		t.Fatalf("vocab %s, dim %d, %d present", res.Vocab, res.Features.Dim, res.Features.NumPresent())
	}
	vocab, err := corpus.ReadVocab(res.Vocab)
	if err != nil {
		t.Fatal(err)
	}
	if vocab.Dim != 100 || vocab.TagSet != "keywords" || vocab.MaxTags != TagSequenceLength || vocab.Size() < 100 {
		t.Fatalf("vocabulary: %d tags, dim %d, tag set %q", vocab.Size(), vocab.Dim, vocab.TagSet)
	}
	feats, err := corpus.LoadFeatures(res.NPY, musicrep.Tags, f.Corpus.Index)
	if err != nil {
		t.Fatal(err)
	}
	if feats.Vocab != res.Vocab || feats.NumPresent() != 773 {
		t.Fatalf("loaded: vocab %q, %d present", feats.Vocab, feats.NumPresent())
	}
	// Each row is its tags' ids, then padding.
	for r := range feats.NumRows() {
		row := feats.Row(r)
		for j := 1; j < len(row); j++ {
			if row[j-1] == 0 && row[j] != 0 {
				t.Fatalf("row %d: a tag after padding: %v", r, row)
			}
		}
	}
	f.Corpus.Features[musicrep.Tags] = feats
	data, err := f.TrainingData("", []musicrep.Modality{musicrep.Audio, musicrep.Tags}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if data.TagDim != 100 || len(data.TagVectors) != (vocab.Size()+1)*100 {
		t.Fatalf("training data: tag table %d values, dim %d", len(data.TagVectors), data.TagDim)
	}
	for _, b := range Baselines(f.Corpus, []musicrep.Modality{musicrep.Audio, musicrep.Tags}) {
		if strings.Contains(b.Name, "tags") {
			t.Errorf("baseline %q scores the tag ids", b.Name)
		}
	}
	if _, err := ExtractFeatures(f, "tags", FeatureOptions{Out: out}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(res.Vocab); !os.IsNotExist(err) {
		t.Errorf("the stale vocabulary file %s is still there: %v", res.Vocab, err)
	}
}

// A -limit run never silently replaces an existing features file with a partial one.
func TestExtractFeaturesLimitKeepsExistingFile(t *testing.T) {
	f := fairouz(t)
	out := filepath.Join(t.TempDir(), "graph-randne")
	if err := os.WriteFile(out+".json", []byte("[]"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ExtractFeatures(f, "randne", FeatureOptions{Out: out, Limit: 3})
	if err == nil || !strings.Contains(err.Error(), "-force") {
		t.Fatalf("a partial run over an existing file: %v", err)
	}
	if raw, _ := os.ReadFile(out + ".json"); string(raw) != "[]" {
		t.Error("the existing file was changed")
	}
	if _, err := ExtractFeatures(f, "randne", FeatureOptions{Out: out, Limit: 3, Dim: 4, Force: true}); err != nil {
		t.Errorf("with Force: %v", err)
	}
}
