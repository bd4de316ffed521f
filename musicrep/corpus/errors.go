package corpus

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// DataError is a problem found in a data file. Its message has the form
//
//	file: record: problem (line L, column C, byte B): fix
//
// where the record, the position and the fix are left out when unknown (and the line and column when the
// problem is on the first line, as in one-line files).
type DataError struct {
	File    string // path of the file
	Record  string // which record, e.g. `track "id…"`, `record 12 (id "id…")`; empty for the whole file
	Offset  int64  // byte offset of the problem in the file; -1 when unknown
	Line    int    // 1-based line of Offset; 0 when unknown
	Column  int    // 1-based column (in bytes) of Offset; 0 when unknown
	Problem string // what is wrong
	Fix     string // what the user should change; may be empty
	Err     error  // underlying error, if any
}

func (e *DataError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Record != "" {
		b.WriteString(": ")
		b.WriteString(e.Record)
	}
	b.WriteString(": ")
	b.WriteString(e.Problem)
	if e.Offset >= 0 {
		if e.Line > 1 {
			fmt.Fprintf(&b, " (line %d, column %d, byte %d)", e.Line, e.Column, e.Offset)
		} else {
			fmt.Fprintf(&b, " (byte %d)", e.Offset)
		}
	}
	if e.Fix != "" {
		b.WriteString(": ")
		b.WriteString(e.Fix)
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *DataError) Unwrap() error { return e.Err }

// fileErr builds a DataError without a position.
func fileErr(file, record, fix, format string, args ...any) *DataError {
	return &DataError{File: file, Record: record, Offset: -1, Problem: fmt.Sprintf(format, args...), Fix: fix}
}

// posErr builds a DataError at byte offset off of buf (the whole file), computing line and column.
func posErr(file string, buf []byte, off int64, record, fix, format string, args ...any) *DataError {
	e := fileErr(file, record, fix, format, args...)
	e.Offset = off
	e.Line, e.Column = lineCol(buf, off)
	return e
}

// lineCol converts a byte offset into a 1-based line and column. It returns 0, 0 for an offset outside buf.
func lineCol(buf []byte, off int64) (line, col int) {
	if buf == nil || off < 0 || off > int64(len(buf)) {
		return 0, 0
	}
	before := buf[:off]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

// checkJSONSyntax validates that buf (the content of file) is one well-formed JSON value and returns a
// DataError pointing at the first bad byte otherwise. Validating the whole file first gives exact,
// consistent positions, which encoding/json's streaming decoder does not.
func checkJSONSyntax(file string, buf []byte) error {
	var raw json.RawMessage
	err := json.Unmarshal(buf, &raw)
	if err == nil {
		return nil
	}
	var syn *json.SyntaxError
	if !errors.As(err, &syn) {
		return &DataError{File: file, Offset: -1, Problem: fmt.Sprintf("cannot parse JSON: %v", err), Err: err}
	}
	// The scanner counts the bad byte itself: it sits at Offset-1.
	off := syn.Offset - 1
	if off < 0 {
		off = 0
	}
	if syn.Offset >= int64(len(buf)) && strings.Contains(syn.Error(), "end of JSON input") {
		e := posErr(file, buf, int64(len(buf)), "",
			"the file is truncated or a closing bracket is missing; re-export or re-download it",
			"unexpected end of JSON")
		e.Err = err
		return e
	}
	fix := "fix the JSON syntax at that position"
	if lit := nonFiniteLiteralAt(buf, off); lit != "" {
		fix = fmt.Sprintf("%s is not valid JSON (Python's json writes it for non-finite floats); "+
			"replace it with a finite number or drop the record", lit)
	}
	e := posErr(file, buf, off, "", fix, "malformed JSON: %v", syn)
	e.Err = err
	return e
}

// nonFiniteLiteralAt returns "NaN", "Infinity" or "-Infinity" when buf holds that literal at or just
// before off, and "" otherwise.
func nonFiniteLiteralAt(buf []byte, off int64) string {
	for _, lit := range []string{"-Infinity", "Infinity", "NaN"} {
		for start := off - int64(len(lit)); start <= off; start++ {
			if start >= 0 && start+int64(len(lit)) <= int64(len(buf)) &&
				string(buf[start:start+int64(len(lit))]) == lit {
				return lit
			}
		}
	}
	return ""
}

// jsonKind names the JSON type of a raw value, for error messages.
func jsonKind(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}

// listNames formats up to max names and the total count, e.g. `"a", "b", … (7 in all)`.
func listNames(names []string, max int) string {
	var b strings.Builder
	for i, n := range names {
		if i == max {
			fmt.Fprintf(&b, ", … (%d in all)", len(names))
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", n)
	}
	return b.String()
}
