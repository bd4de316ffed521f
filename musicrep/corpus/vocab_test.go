package corpus

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/musicrep/musicrep/musicrep"
)

const goodVocab = `{"vocab": ["love", "rain", "night"], "dim": 2, "table": [0, 0, 1, 0.5, -1, 2, 0.25, 0.75],
 "source": "wink.json", "tag_set": "keywords", "max_tags": 3}`

// writeSeq writes a tag-sequence feature file (JSON) and, unless vocab is "", its vocabulary file.
func writeSeq(t *testing.T, rows, vocab string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "tags-seq.json")
	if err := os.WriteFile(path, []byte(rows), 0o644); err != nil {
		t.Fatal(err)
	}
	if vocab != "" {
		if err := os.WriteFile(VocabSidecar(path), []byte(vocab), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

var seqIndex = map[string]int{"id1": 0, "id2": 1, "id3": 2}

// TestLoadTokenIDs: a feature file with a vocabulary file next to it loads as token ids (Vocab set, an all-padding
// row missing); without it, the same file is vectors.
func TestLoadTokenIDs(t *testing.T) {
	rows := `[{"id": "id1", "embedding": [1, 3, 0]}, {"id": "id2", "embedding": [0, 0, 0]},
	          {"id": "id3", "embedding": [2, 0, 0]}]`
	path := writeSeq(t, rows, goodVocab)
	f, err := LoadFeatures(path, musicrep.Tags, seqIndex)
	if err != nil {
		t.Fatal(err)
	}
	if !f.TokenIDs() || f.Vocab != VocabSidecar(path) || !strings.HasSuffix(f.Vocab, "tags-seq.vocab.json") {
		t.Fatalf("Vocab = %q", f.Vocab)
	}
	if f.Dim != 3 || !f.Present[0] || f.Present[1] || !f.Present[2] || f.Row(2)[0] != 2 {
		t.Fatalf("rows: %+v", f)
	}
	v, err := ReadVocab(f.Vocab)
	if err != nil {
		t.Fatal(err)
	}
	if v.Size() != 3 || v.Dim != 2 || v.Table[7] != 0.75 || v.TagSet != "keywords" || v.MaxTags != 3 {
		t.Fatalf("vocab: %+v", v)
	}
	// WriteVocab round-trips exactly.
	out := filepath.Join(t.TempDir(), "v.vocab.json")
	if err := WriteVocab(out, v); err != nil {
		t.Fatal(err)
	}
	w, err := ReadVocab(out)
	if err != nil {
		t.Fatal(err)
	}
	for i := range v.Table {
		if w.Table[i] != v.Table[i] {
			t.Fatalf("table[%d]: %g after a round trip, want %g", i, w.Table[i], v.Table[i])
		}
	}
	plain := writeSeq(t, rows, "")
	if f, err := LoadFeatures(plain, musicrep.Tags, seqIndex); err != nil || f.TokenIDs() {
		t.Fatalf("without a vocabulary file: %v, Vocab %q", err, f.Vocab)
	}
}

// TestLoadTokenIDsErrors: ids that do not fit the vocabulary, and malformed vocabulary files, fail with the file,
// the record and what to do.
func TestLoadTokenIDsErrors(t *testing.T) {
	good := `[{"id": "id1", "embedding": [1, 3, 0]}, {"id": "id2", "embedding": [2, 0, 0]}]`
	for _, tc := range []struct {
		name, rows, vocab string
		inVocab           bool // the error names the vocabulary file (else the feature file)
		wants             []string
	}{
		{"id out of range", `[{"id": "id1", "embedding": [1, 3, 0]}, {"id": "id2", "embedding": [4, 0, 0]}]`, goodVocab,
			false, []string{`record 1 (id "id2")`, "value 4 at position 0 is outside the vocabulary", "[0, 3]",
				"musicrep features -method tags-seq"}},
		{"negative id", `[{"id": "id1", "embedding": [-1, 0, 0]}]`, goodVocab, false,
			[]string{`record 0 (id "id1")`, "value -1", "outside the vocabulary"}},
		{"non-integral id", `[{"id": "id1", "embedding": [1, 2.5, 0]}]`, goodVocab, false,
			[]string{`record 0 (id "id1")`, "value 2.5 at position 1 is not an integer", "remove"}},
		{"truncated JSON", good, `{"vocab": ["love", "rain"], "dim": 2, "table": [0, 0, 1, 2, 3, 4]`, true,
			[]string{"unexpected end of JSON"}},
		{"malformed JSON", good, `{"vocab": ["love" "rain"], "dim": 2, "table": [0, 0, 1, 2, 3, 4]}`, true,
			[]string{"byte 18"}},
		{"not an object", good, `["love"]`, true, []string{"must be a JSON object"}},
		{"no table", good, `{"vocab": ["love"], "dim": 2}`, true, []string{`has no "table"`}},
		{"wrong type", good, `{"vocab": "love", "dim": 2, "table": [0, 0, 1, 2]}`, true,
			[]string{`"vocab"`, "found a JSON string"}},
		{"table size", good, `{"vocab": ["love", "rain", "night"], "dim": 2, "table": [0, 0, 1, 2]}`, true,
			[]string{`"table" has 4 values, want (len(vocab)+1)·dim = (3+1)·2 = 8`}},
		{"padding row", good, `{"vocab": ["love"], "dim": 2, "table": [0, 1, 1, 2]}`, true,
			[]string{"table row 0", "padding row must be zeros"}},
		{"repeated token", good, `{"vocab": ["love", "love"], "dim": 1, "table": [0, 1, 2]}`, true,
			[]string{"vocab entry 1", `token "love" appears twice`}},
		{"zero dim", good, `{"vocab": [], "dim": 0, "table": []}`, true, []string{`"dim" is 0`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeSeq(t, tc.rows, tc.vocab)
			err := call(t, func() error { _, err := LoadFeatures(path, musicrep.Tags, seqIndex); return err })
			named := path
			if tc.inVocab {
				named = VocabSidecar(path)
			}
			wantError(t, err, named, tc.wants...)
		})
	}
}
