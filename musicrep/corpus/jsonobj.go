package corpus

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// readDataFile reads a whole data file, turning "missing", "unreadable" and "empty" into DataErrors that
// say what to do. what describes the file, e.g. "the tracks file"; missingFix says what to do when it
// does not exist ("" for a generic hint).
func readDataFile(path, what, missingFix string) ([]byte, error) {
	buf, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if missingFix == "" {
			missingFix = fmt.Sprintf("check the path of %s (see DataDir and DefaultFairouzFiles)", what)
		}
		e := fileErr(path, "", missingFix, "%s does not exist", what)
		e.Err = err
		return nil, e
	case err != nil:
		e := fileErr(path, "", "check that it is a readable file", "cannot read %s: %v", what, err)
		e.Err = err
		return nil, e
	case len(bytes.TrimSpace(buf)) == 0:
		return nil, fileErr(path, "", "re-export or re-download it", "%s is empty", what)
	}
	return buf, nil
}

// member is one "key": value pair of a JSON object, with absolute byte offsets into the file.
type member struct {
	key    string
	keyOff int64
	val    []byte // the raw value, a sub-slice of the file
	valOff int64
}

// The JSON files are first validated as a whole by encoding/json (checkJSONSyntax), which gives exact
// positions for syntax errors. The validated bytes are then walked by the small scanner below, which keeps
// the key order of objects and sees duplicate keys (a decode into a map loses the order and silently keeps
// the last duplicate). Walking validated bytes needs no error handling for syntax, and it is several times
// faster than streaming the file through json.Decoder tokens and re-decoding every value.

// readObject splits the JSON object raw, found at absolute offset base of buf (the whole content of file,
// already validated by checkJSONSyntax), into its members in file order, rejecting duplicate keys. record
// names the object in errors ("" for the top level), want describes the expected content (e.g. "a JSON
// object keyed by track id") and keyWord names a key in errors (e.g. "track id").
func readObject(file string, buf []byte, base int64, raw []byte, record, want, keyWord string) ([]member, error) {
	i := wsEnd(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return nil, posErr(file, buf, base+int64(i), record, "", "must be %s, found %s", want, jsonKind(raw[i:]))
	}
	i = wsEnd(raw, i+1)
	var out []member
	seen := map[string]int64{}
	for raw[i] != '}' {
		keyOff := base + int64(i)
		end := stringEnd(raw, i)
		key := unquote(raw[i:end])
		i = wsEnd(raw, end)
		i = wsEnd(raw, i+1) // ':'
		valStart := i
		i = valueEnd(raw, i)
		if first, dup := seen[key]; dup {
			line, _ := lineCol(buf, first)
			return nil, posErr(file, buf, keyOff, record,
				"remove or rename one of them (JSON readers would silently keep only the last)",
				"%s %q appears twice (first at line %d)", keyWord, key, line)
		}
		seen[key] = keyOff
		out = append(out, member{key: key, keyOff: keyOff, val: raw[valStart:i], valOff: base + int64(valStart)})
		i = wsEnd(raw, i)
		if raw[i] == ',' {
			i = wsEnd(raw, i+1)
		}
	}
	return out, nil
}

// wsEnd returns the offset of the first byte at or after i that is not JSON whitespace.
func wsEnd(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the offset just past the valid JSON string that starts at b[i] == '"'.
func stringEnd(b []byte, i int) int {
	i++
	for {
		q := bytes.IndexByte(b[i:], '"')
		if q < 0 {
			return len(b) // cannot happen in validated JSON
		}
		i += q
		// The quote is escaped when an odd number of backslashes precedes it.
		n := 0
		for j := i - 1; b[j] == '\\'; j-- {
			n++
		}
		i++
		if n%2 == 0 {
			return i
		}
	}
}

// valueEnd returns the offset just past the valid JSON value that starts at b[i].
func valueEnd(b []byte, i int) int {
	depth := 0
	for i < len(b) {
		switch b[i] {
		case '"':
			i = stringEnd(b, i)
			if depth == 0 {
				return i
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1
			}
		default:
			if depth == 0 { // number or literal
				for i < len(b) && strings.IndexByte(" \t\r\n,]}", b[i]) < 0 {
					i++
				}
				return i
			}
		}
		i++
	}
	return i
}

// unquote decodes a valid JSON string literal (quotes included). Like encoding/json, it turns invalid
// UTF-8 and unpaired surrogates into U+FFFD.
func unquote(q []byte) string {
	b := q[1 : len(q)-1]
	i := bytes.IndexByte(b, '\\')
	if i < 0 {
		if utf8.Valid(b) {
			return string(b)
		}
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	out := make([]byte, 0, len(b))
	out = append(out, b[:i]...)
	for i < len(b) {
		c := b[i]
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		i++
		switch c = b[i]; c {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := hex4(b[i+1 : i+5])
			i += 4
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if i+6 < len(b) && b[i+1] == '\\' && b[i+2] == 'u' {
					r2 = hex4(b[i+3 : i+7])
				}
				if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
					r = d
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
		default: // '"', '\\', '/'
			out = append(out, c)
		}
		i++
	}
	if !utf8.Valid(out) {
		return strings.ToValidUTF8(string(out), "\uFFFD")
	}
	return string(out)
}

// hex4 decodes 4 hex digits.
func hex4(h []byte) rune {
	var r rune
	for _, c := range h {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		}
	}
	return r
}

// fieldSet gives typed access to the members of one record, producing DataErrors that name the file,
// the record and the field.
type fieldSet struct {
	file   string
	buf    []byte
	record string
	byKey  map[string]member
	where  int64 // offset of the record, for errors about missing fields
}

func newFieldSet(file string, buf []byte, record string, where int64, members []member) *fieldSet {
	set := &fieldSet{file: file, buf: buf, record: record, byKey: make(map[string]member, len(members)), where: where}
	for _, m := range members {
		set.byKey[m.key] = m
	}
	return set
}

func (f *fieldSet) errAt(m member, fix, format string, args ...any) error {
	return posErr(f.file, f.buf, m.valOff, f.record, fix, format, args...)
}

// get returns the member for key; ok is false when the key is absent or its value is null.
func (f *fieldSet) get(key string) (member, bool) {
	m, ok := f.byKey[key]
	if !ok || bytes.Equal(m.val, []byte("null")) {
		return m, false
	}
	return m, true
}

// str decodes a string field. A missing (or null) field is an error when required, "" otherwise.
func (f *fieldSet) str(key string, required bool) (string, error) {
	m, ok := f.get(key)
	if !ok {
		if required {
			return "", posErr(f.file, f.buf, f.where, f.record,
				fmt.Sprintf("add a %q string field", key), "field %q is missing", key)
		}
		return "", nil
	}
	if m.val[0] != '"' {
		return "", f.errAt(m, "", "field %q must be a string, found %s", key, jsonKind(m.val))
	}
	return unquote(m.val), nil
}

// strList decodes a list-of-strings field. A missing (or null) field gives nil. When emptyStringOK is
// set, the empty string "" is accepted as "no list" and also gives nil.
func (f *fieldSet) strList(key string, emptyStringOK bool) ([]string, error) {
	m, ok := f.get(key)
	if !ok {
		return nil, nil
	}
	if emptyStringOK && bytes.Equal(m.val, []byte(`""`)) {
		return nil, nil
	}
	want := "a list of strings"
	if emptyStringOK {
		want += ` (or "" when there is none)`
	}
	if m.val[0] != '[' {
		return nil, f.errAt(m, "", "field %q must be %s, found %s", key, want, jsonKind(m.val))
	}
	var out []string
	for i, j := 0, wsEnd(m.val, 1); m.val[j] != ']'; i++ {
		end := valueEnd(m.val, j)
		if m.val[j] != '"' {
			return nil, posErr(f.file, f.buf, m.valOff+int64(j), f.record, "",
				"field %q must be %s, but item %d is %s", key, want, i, jsonKind(m.val[j:end]))
		}
		out = append(out, unquote(m.val[j:end]))
		if j = wsEnd(m.val, end); m.val[j] == ',' {
			j = wsEnd(m.val, j+1)
		}
	}
	if out == nil {
		out = []string{}
	}
	return out, nil
}
