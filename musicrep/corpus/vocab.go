package corpus

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// Vocab is the vocabulary of a feature file whose rows hold token ids (tag sequences, `musicrep features
// -method tags-seq`): id i+1 is Words[i], id 0 is padding, and Table holds the initial embedding of every id
// (the word vectors of the tags). It is stored next to the feature file as VocabSidecar(path), one JSON object
//
//	{"vocab": ["love", …], "dim": 100, "table": [(len(vocab)+1)·dim numbers, row 0 zeros],
//	 "source": "<word-vector file>", "tag_set": "keywords", "max_tags": 16}
type Vocab struct {
	Words   []string  `json:"vocab"`              // id i+1 ↔ Words[i]
	Dim     int       `json:"dim"`                // embedding size
	Table   []float32 `json:"table"`              // (len(Words)+1)×Dim, row-major; row 0 (padding) zeros
	Source  string    `json:"source,omitempty"`   // the word-vector file the table comes from
	TagSet  string    `json:"tag_set,omitempty"`  // which of a track's tags ("keywords", ...)
	MaxTags int       `json:"max_tags,omitempty"` // sequence length of the feature file
}

// Size is the number of tokens (ids 1..Size; the table has Size()+1 rows).
func (v *Vocab) Size() int { return len(v.Words) }

// VocabSidecar returns the path of the vocabulary file that goes with a feature file: the same path with its
// extension replaced by ".vocab.json" (features/tags-tags-seq.npy and .json → features/tags-tags-seq.vocab.json).
// A feature file with such a sibling holds token ids (see LoadFeatures).
func VocabSidecar(featuresPath string) string {
	return strings.TrimSuffix(featuresPath, filepath.Ext(featuresPath)) + ".vocab.json"
}

// vocabShape describes the expected content in errors.
const vocabShape = `{"vocab": ["tag", …], "dim": D, "table": [(len(vocab)+1)·D numbers, row 0 zeros]}`

// check validates v; file names it in errors.
func (v *Vocab) check(file string) error {
	const fix = "regenerate it with its feature file (musicrep features -method tags-seq)"
	switch {
	case v.Dim < 1:
		return fileErr(file, "", fix, `"dim" is %d; it must be ≥ 1`, v.Dim)
	case len(v.Table) != (len(v.Words)+1)*v.Dim:
		return fileErr(file, "", fix, `"table" has %d values, want (len(vocab)+1)·dim = (%d+1)·%d = %d (row 0 = padding)`,
			len(v.Table), len(v.Words), v.Dim, (len(v.Words)+1)*v.Dim)
	}
	seen := make(map[string]int, len(v.Words))
	for i, w := range v.Words {
		if w == "" {
			return fileErr(file, fmt.Sprintf("vocab entry %d", i), fix, "empty token")
		}
		if j, dup := seen[w]; dup {
			return fileErr(file, fmt.Sprintf("vocab entry %d", i), fix, "token %q appears twice (entries %d and %d)", w, j, i)
		}
		seen[w] = i
	}
	for k, x := range v.Table {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fileErr(file, fmt.Sprintf("table row %d", k/v.Dim), fix, "value %d is %v", k%v.Dim, x)
		}
		if k < v.Dim && x != 0 {
			return fileErr(file, "table row 0", fix, "the padding row must be zeros, found %g at position %d", x, k)
		}
	}
	return nil
}

// WriteVocab validates v and writes it to path atomically.
func WriteVocab(path string, v *Vocab) error {
	if err := v.check(path); err != nil {
		return err
	}
	b, err := json.Marshal(v) // float32 values are written in their shortest exact form
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return WriteFileAtomic(path, append(b, '\n'))
}

// ReadVocab reads and validates a vocabulary file (see Vocab). It is an error for the file to be missing,
// malformed, to lack "vocab", "dim" or "table", to repeat a token, or for the table to have another size than
// (len(vocab)+1)·dim, a non-zero padding row or a non-finite value. Every error is a *DataError.
func ReadVocab(path string) (*Vocab, error) {
	buf, err := readDataFile(path, "the vocabulary file of a token-id feature file",
		"write it with the feature file (musicrep features -method tags-seq)")
	if err != nil {
		return nil, err
	}
	if err := checkJSONSyntax(path, buf); err != nil {
		return nil, err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(buf, &raw); err != nil {
		return nil, fileErr(path, "", "write one object "+vocabShape, "must be a JSON object, found %s",
			jsonKind(bytes.TrimSpace(buf)))
	}
	for _, key := range []string{"vocab", "dim", "table"} {
		if _, ok := raw[key]; !ok {
			return nil, fileErr(path, "", "write one object "+vocabShape, "has no %q", key)
		}
	}
	v := &Vocab{}
	if err := json.Unmarshal(buf, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, fileErr(path, "", "write one object "+vocabShape, "%q: found a JSON %s where %s is needed",
				te.Field, te.Value, te.Type)
		}
		return nil, fileErr(path, "", "write one object "+vocabShape, "%v", err)
	}
	if err := v.check(path); err != nil {
		return nil, err
	}
	return v, nil
}

// checkTokenIDs verifies that every value of the rows (a feature file read by ReadVectors) is a token id of
// the vocabulary: an integer in [0, vocab.Size()].
func checkTokenIDs(path, vocabPath string, vocab *Vocab, ids []string, data []float32, dim int) error {
	for k, x := range data {
		if x == float32(math.Trunc(float64(x))) && x >= 0 && int(x) <= vocab.Size() {
			continue
		}
		r := k / dim
		what := "not an integer"
		if x == float32(math.Trunc(float64(x))) {
			what = "outside the vocabulary"
		}
		return fileErr(path, fmt.Sprintf("record %d (id %q)", r, ids[r]),
			fmt.Sprintf("regenerate the features and %s together (musicrep features -method tags-seq), or remove %s "+
				"if this file holds vectors", filepath.Base(vocabPath), vocabPath),
			"value %g at position %d is %s: next to the vocabulary %s (%d tokens) the rows must hold token ids, "+
				"integers in [0, %d]", x, k%dim, what, vocabPath, vocab.Size(), vocab.Size())
	}
	return nil
}

// fileExists reports whether path names an existing file or directory.
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
