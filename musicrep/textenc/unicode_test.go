package textenc

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// goldenUnicodeFile holds HuggingFace tokenizers' ids of "a"+c+"b" for every Unicode scalar value c
// (scripts/golden/tokenizer_unicode.py; the command that made it is in its header).
const goldenUnicodeFile = "testdata/golden_unicode.txt.gz"

// unicodeRun is one line of the golden: code points first…last all give ids.
type unicodeRun struct {
	first, last rune
	ids         []int32
}

func loadGoldenUnicode(t testing.TB) []unicodeRun {
	f, err := os.Open(goldenUnicodeFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var runs []unicodeRun
	sc := bufio.NewScanner(zr)
	for line := 1; sc.Scan(); line++ {
		if strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		fs := strings.Fields(sc.Text())
		if len(fs) != 3 {
			t.Fatalf("%s:%d: want \"first last ids\", got %q", goldenUnicodeFile, line, sc.Text())
		}
		first, err1 := strconv.ParseUint(fs[0], 16, 32)
		last, err2 := strconv.ParseUint(fs[1], 16, 32)
		if err1 != nil || err2 != nil || last < first {
			t.Fatalf("%s:%d: bad range %q", goldenUnicodeFile, line, sc.Text())
		}
		r := unicodeRun{first: rune(first), last: rune(last)}
		if fs[2] != "-" {
			for _, s := range strings.Split(fs[2], ",") {
				id, err := strconv.Atoi(s)
				if err != nil {
					t.Fatalf("%s:%d: bad id %q", goldenUnicodeFile, line, s)
				}
				r.ids = append(r.ids, int32(id))
			}
		}
		runs = append(runs, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", goldenUnicodeFile, err)
	}
	return runs
}

// TestTokenizerEveryCodePoint tokenizes "a"+c+"b" for each of the 1,112,064 Unicode scalar values c and requires
// HuggingFace's ids: the probe shows whether c is dropped, whitespace, punctuation or part of a word, and what it
// normalises to.
func TestTokenizerEveryCodePoint(t *testing.T) {
	tok, err := LoadTokenizer(modelDir(t))
	if err != nil {
		t.Fatal(err)
	}
	runs := loadGoldenUnicode(t)
	n, bad := 0, 0
	next := rune(0)
	for _, r := range runs {
		if next == 0xD800 {
			next = 0xE000 // the surrogates are not scalar values
		}
		if r.first != next {
			t.Fatalf("%s: run %X–%X does not start at U+%04X", goldenUnicodeFile, r.first, r.last, next)
		}
		next = r.last + 1
		for c := r.first; c <= r.last; c++ {
			if c >= 0xD800 && c <= 0xDFFF {
				continue
			}
			n++
			ids := tok.Encode("a" + string(c) + "b")
			got := ids[len(tok.prefixIDs) : len(ids)-len(tok.suffixIDs)]
			if !slices.Equal(got, r.ids) {
				bad++
				if bad <= 20 {
					t.Errorf("U+%04X %+q: ids %v, HuggingFace %v", c, string(c), got, r.ids)
				}
			}
		}
	}
	if next != 0x110000 {
		t.Fatalf("%s ends at U+%04X, want U+10FFFF", goldenUnicodeFile, next-1)
	}
	if n != 1112064 {
		t.Fatalf("%d code points checked, want 1,112,064", n)
	}
	if bad > 0 {
		t.Errorf("%d of %d code points tokenized differently from HuggingFace", bad, n)
	}
	t.Log(fmt.Sprintf("%d code points tokenized as HuggingFace tokenizers does", n-bad))
}

// Real text with characters that Go's Unicode 15 tables and HuggingFace's tables see differently: Arabic letters
// added in Unicode 14 (U+0898, U+08CA: unassigned for the reference, so their words become [UNK] instead of
// losing the character), emoji of Unicode ≥ 14, unassigned and tag characters, letters whose lowercase is newer
// than Go's tables, U+0130 (full lowercase mapping) and U+11938 (no decomposition for the reference). The ids are
// HuggingFace tokenizers 0.23.3's (Tokenizer.from_file(tokenizer.json).encode(text).ids).
func TestTokenizerNewerUnicodeText(t *testing.T) {
	tok, err := LoadTokenizer(modelDir(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		text string
		ids  []int32
	}{
		{"كلمة\u0898 مع\u08ca", []int32{101, 100, 100, 102}},
		{"كلمة مع", []int32{101, 1293, 23673, 22192, 19433, 1295, 29830, 102}},
		{"party \U0001FAE0 time", []int32{101, 2283, 100, 2051, 102}},
		{"x\U000E0001y \u0378z", []int32{101, 1060, 2100, 100, 102}},
		{"\uA7CC\U00010D50 İstanbul \U00011938", []int32{101, 100, 9960, 100, 102}},
	} {
		if got := tok.Encode(c.text); !slices.Equal(got, c.ids) {
			t.Errorf("%+q: ids %v, HuggingFace %v", c.text, got, c.ids)
		}
	}
}
