package corpus

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
)

// ReadVectorsJSON reads a vectors file: a JSON list of {"id": string, "embedding": [numbers]} records,
// the seed's format for every modality file and every joint-embedding export. It returns the ids in file
// order and the vectors as one row-major matrix of len(ids) rows and dim columns. Other keys in a record
// are ignored. Each decimal is rounded straight to the nearest float32, as encoding/json does for a
// float32 (the Fairouz audio file holds float32 values; the graph files hold float64 ones).
//
// It is an error for the file to be missing, empty, malformed or truncated, to be an empty list, for a
// record to lack its id or embedding, to repeat an id, to have an embedding of another length than the
// first record's, or to hold a value that is not finite in float32. Python's json module writes NaN,
// Infinity and -Infinity as bare literals, which are not JSON; they are reported as such, with the record
// and the position in the embedding. Every error is a *DataError.
//
// The file is parsed by a dedicated scanner (an 822×128 file of 2.3 MB loads in a few milliseconds).
func ReadVectorsJSON(path string) (ids []string, data []float32, dim int, err error) {
	buf, err := readDataFile(path, "the vectors file", "")
	if err != nil {
		return nil, nil, 0, err
	}
	return parseVectorsJSON(path, buf)
}

// parseVectorsJSON parses the content buf of the vectors file path.
func parseVectorsJSON(path string, buf []byte) (ids []string, data []float32, dim int, err error) {
	p := &vecParser{file: path, buf: buf}
	return p.parse()
}

// vecParser is a small JSON scanner specialised for the vectors format.
type vecParser struct {
	file string
	buf  []byte
	pos  int
}

const vectorsShape = `[{"id": "…", "embedding": [numbers]}, …]`

func (p *vecParser) errAt(off int, record, fix, format string, args ...any) error {
	return posErr(p.file, p.buf, int64(off), record, fix, format, args...)
}

func (p *vecParser) ws() {
	for p.pos < len(p.buf) {
		switch p.buf[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// expect checks that the next non-space byte is one of chars and consumes it.
func (p *vecParser) expect(record, chars, what string) (byte, error) {
	p.ws()
	if p.pos >= len(p.buf) {
		return 0, p.errAt(p.pos, record,
			"the file is truncated or a closing bracket is missing; re-export or re-download it",
			"unexpected end of JSON (expected %s)", what)
	}
	c := p.buf[p.pos]
	if strings.IndexByte(chars, c) < 0 {
		return 0, p.errAt(p.pos, record, "fix the JSON syntax at that position",
			"malformed JSON: expected %s, found %s", what, quoteByte(c))
	}
	p.pos++
	return c, nil
}

func quoteByte(c byte) string {
	if c < 0x20 || c >= 0x7f {
		return fmt.Sprintf("byte 0x%02x", c)
	}
	return fmt.Sprintf("%q", string(c))
}

func (p *vecParser) parse() (ids []string, data []float32, dim int, err error) {
	p.ws()
	if p.pos < len(p.buf) && p.buf[p.pos] != '[' {
		return nil, nil, 0, p.errAt(p.pos, "", "write a list "+vectorsShape,
			"the file must be a JSON list of records, found %s", jsonKind(p.buf[p.pos:]))
	}
	if _, err := p.expect("", "[", "'['"); err != nil {
		return nil, nil, 0, err
	}
	p.ws()
	if p.pos < len(p.buf) && p.buf[p.pos] == ']' {
		return nil, nil, 0, p.errAt(p.pos, "", "give at least one record "+vectorsShape, "the list is empty")
	}
	seen := map[string]int{}
	var firstDimID string
	for i := 0; ; i++ {
		id, row, err := p.record(i, data)
		if err != nil {
			return nil, nil, 0, err
		}
		record := fmt.Sprintf("record %d (id %q)", i, id)
		n := len(row) - len(data)
		if i == 0 {
			dim, firstDimID = n, id
		} else if n != dim {
			return nil, nil, 0, p.errAt(p.pos-1, record,
				"every embedding in a file must have the same length; regenerate or drop this record",
				"embedding has %d values but record 0 (id %q) has %d", n, firstDimID, dim)
		}
		if j, dup := seen[id]; dup {
			return nil, nil, 0, p.errAt(p.pos-1, record, "keep one record per id",
				"id %q appears twice (records %d and %d)", id, j, i)
		}
		seen[id] = i
		ids, data = append(ids, id), row
		c, err := p.expect(record, ",]", "',' or ']' after a record")
		if err != nil {
			return nil, nil, 0, err
		}
		if c == ']' {
			break
		}
	}
	p.ws()
	if p.pos < len(p.buf) {
		return nil, nil, 0, p.errAt(p.pos, "", "remove it", "unexpected data after the list")
	}
	return ids, data, dim, nil
}

// record parses record i and appends its embedding to data.
func (p *vecParser) record(i int, data []float32) (id string, out []float32, err error) {
	record := fmt.Sprintf("record %d", i)
	p.ws()
	start := p.pos
	if p.pos < len(p.buf) && p.buf[p.pos] != '{' {
		return "", nil, p.errAt(p.pos, record, `make every item an object {"id": "…", "embedding": [numbers]}`,
			"must be a JSON object, found %s", jsonKind(p.buf[p.pos:]))
	}
	if _, err := p.expect(record, "{", "'{'"); err != nil {
		return "", nil, err
	}
	var haveID, haveEmb bool
	out = data
	var bad error // first non-finite value; reported once the id is known
	p.ws()
	if p.pos < len(p.buf) && p.buf[p.pos] == '}' {
		p.pos++
	} else {
		for {
			p.ws()
			keyOff := p.pos
			key, err := p.str(record)
			if err != nil {
				return "", nil, err
			}
			if _, err := p.expect(record, ":", "':' after a key"); err != nil {
				return "", nil, err
			}
			p.ws()
			if (key == "id" && haveID) || (key == "embedding" && haveEmb) {
				return "", nil, p.errAt(keyOff, record, "keep only one", "key %q appears twice", key)
			}
			switch key {
			case "id":
				haveID = true
				if p.pos < len(p.buf) && p.buf[p.pos] != '"' {
					return "", nil, p.errAt(p.pos, record, "", `"id" must be a string, found %s`,
						jsonKind(p.buf[p.pos:]))
				}
				if id, err = p.str(record); err != nil {
					return "", nil, err
				}
				if id == "" {
					return "", nil, p.errAt(keyOff, record, "give every record its track id", "empty id")
				}
				if HasControl(id) {
					return "", nil, p.errAt(keyOff, record, "remove the control characters from the id",
						"id %q contains a control character (tab, newline, …)", id)
				}
				record = fmt.Sprintf("record %d (id %q)", i, id)
			case "embedding":
				haveEmb = true
				if out, bad, err = p.embedding(record, out); err != nil {
					return "", nil, err
				}
			default:
				if err := p.skipValue(record); err != nil {
					return "", nil, err
				}
			}
			c, err := p.expect(record, ",}", "',' or '}' in a record")
			if err != nil {
				return "", nil, err
			}
			if c == '}' {
				break
			}
		}
	}
	switch {
	case !haveID:
		return "", nil, p.errAt(start, record, `add "id": "<track id>"`, `has no "id"`)
	case !haveEmb:
		return "", nil, p.errAt(start, record, `add "embedding": [numbers]`, `has no "embedding"`)
	case bad != nil:
		if de, ok := bad.(*DataError); ok {
			de.Record = record
		}
		return "", nil, bad
	case len(out) == len(data):
		return "", nil, p.errAt(start, record, "give at least one value", "empty embedding")
	}
	return id, out, nil
}

// embedding parses a list of numbers, appending them to out. A non-finite value is returned as bad (the
// parse goes on, so that the caller can name the record's id).
func (p *vecParser) embedding(record string, out []float32) (_ []float32, bad, err error) {
	if p.pos >= len(p.buf) {
		return nil, nil, p.errAt(p.pos, record, "the file is truncated; re-export or re-download it",
			"unexpected end of JSON (expected the embedding)")
	}
	if p.buf[p.pos] != '[' {
		return nil, nil, p.errAt(p.pos, record, "", `"embedding" must be a list of numbers, found %s`,
			jsonKind(p.buf[p.pos:]))
	}
	p.pos++
	p.ws()
	if p.pos < len(p.buf) && p.buf[p.pos] == ']' {
		p.pos++
		return out, nil, nil
	}
	for j := 0; ; j++ {
		p.ws()
		start := p.pos
		for p.pos < len(p.buf) && isNumberByte(p.buf[p.pos]) {
			p.pos++
		}
		tok := string(p.buf[start:p.pos])
		if tok == "" {
			if p.pos >= len(p.buf) {
				return nil, nil, p.errAt(p.pos, record,
					"the file is truncated; re-export or re-download it", "unexpected end of JSON in the embedding")
			}
			return nil, nil, p.errAt(p.pos, record, "", "embedding value at position %d must be a number, found %s",
				j, jsonKind(p.buf[p.pos:]))
		}
		switch tok {
		case "NaN", "Infinity", "-Infinity":
			if bad == nil {
				bad = p.errAt(start, record,
					"Python's json writes non-finite floats as bare literals, which are not JSON; "+
						"fix the vectors upstream (or drop the record) and re-export",
					"embedding has a non-finite value (%s) at position %d", tok, j)
			}
			out = append(out, 0)
		default:
			if !isJSONNumber(tok) {
				return nil, nil, p.errAt(start, record, "fix the JSON syntax at that position",
					"embedding value at position %d must be a number, found %s", j, tok)
			}
			v, perr := strconv.ParseFloat(tok, 32) // rounds the decimal straight to float32
			f := float32(v)
			if (perr != nil || math.IsInf(float64(f), 0)) && bad == nil {
				bad = p.errAt(start, record, "scale the vectors into float32 range and re-export",
					"embedding value %s at position %d is out of float32 range (Inf)", tok, j)
			}
			out = append(out, f)
		}
		c, err := p.expect(record, ",]", "',' or ']' in the embedding")
		if err != nil {
			return nil, nil, err
		}
		if c == ']' {
			return out, bad, nil
		}
	}
}

func isNumberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' ||
		c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// isJSONNumber reports whether s follows the JSON number grammar.
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// str parses a JSON string.
func (p *vecParser) str(record string) (string, error) {
	p.ws()
	if p.pos >= len(p.buf) {
		return "", p.errAt(p.pos, record, "the file is truncated; re-export or re-download it",
			"unexpected end of JSON (expected a string)")
	}
	if p.buf[p.pos] != '"' {
		return "", p.errAt(p.pos, record, "fix the JSON syntax at that position",
			"malformed JSON: expected a string, found %s", quoteByte(p.buf[p.pos]))
	}
	start := p.pos
	simple := true
	for p.pos++; p.pos < len(p.buf); p.pos++ {
		switch c := p.buf[p.pos]; {
		case c == '\\':
			simple = false
			p.pos++
		case c < 0x20:
			simple = false
		case c == '"':
			p.pos++
			if simple {
				return string(p.buf[start+1 : p.pos-1]), nil
			}
			var s string
			if err := json.Unmarshal(p.buf[start:p.pos], &s); err != nil {
				return "", p.errAt(start, record, "fix the string's escapes", "malformed JSON string: %v", err)
			}
			return s, nil
		}
	}
	return "", p.errAt(len(p.buf), record, "the file is truncated; re-export or re-download it",
		"unexpected end of JSON inside a string")
}

// skipValue skips any JSON value (for keys other than id and embedding).
func (p *vecParser) skipValue(record string) error {
	dec := json.NewDecoder(bytes.NewReader(p.buf[p.pos:]))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return p.errAt(len(p.buf), record, "the file is truncated; re-export or re-download it",
				"unexpected end of JSON")
		}
		return p.errAt(p.pos, record, "fix the JSON syntax of this value", "malformed JSON value: %v", err)
	}
	p.pos += int(dec.InputOffset())
	return nil
}

// checkVectors validates the arguments of the vector writers.
func checkVectors(path string, ids []string, data []float32, dim int) error {
	switch {
	case dim <= 0:
		return fmt.Errorf("writing %s: dim must be positive, got %d", path, dim)
	case len(ids) == 0:
		return fmt.Errorf("writing %s: no vectors (ids is empty)", path)
	case len(data) != len(ids)*dim:
		return fmt.Errorf("writing %s: %d ids × dim %d needs %d values, got %d", path, len(ids), dim,
			len(ids)*dim, len(data))
	}
	seen := make(map[string]int, len(ids))
	for i, id := range ids {
		if id == "" {
			return fmt.Errorf("writing %s: id %d is empty", path, i)
		}
		if j, dup := seen[id]; dup {
			return fmt.Errorf("writing %s: id %q is used by rows %d and %d", path, id, j, i)
		}
		seen[id] = i
	}
	if k := firstNonFinite(data); k >= 0 {
		return fmt.Errorf("writing %s: row %d (id %q) has a non-finite value (%v) at position %d", path,
			k/dim, ids[k/dim], data[k], k%dim)
	}
	return nil
}

func firstNonFinite(data []float32) int {
	for k, v := range data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return k
		}
	}
	return -1
}

// WriteVectorsJSON writes vectors in the seed's JSON format, [{"id": "…", "embedding": [numbers]}, …], with
// one row of data (dim values) per id. Values are written in the shortest form that reads back to the
// same float32. The write is atomic. It is an error to pass no ids, mismatched lengths, empty or repeated
// ids, or non-finite values.
func WriteVectorsJSON(path string, ids []string, data []float32, dim int) error {
	if err := checkVectors(path, ids, data, dim); err != nil {
		return err
	}
	b := make([]byte, 0, len(data)*12+len(ids)*60)
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ", "...)
		}
		qid, err := json.Marshal(id)
		if err != nil {
			return fmt.Errorf("writing %s: id %d: %w", path, i, err)
		}
		b = append(b, `{"id": `...)
		b = append(b, qid...)
		b = append(b, `, "embedding": [`...)
		for j, v := range data[i*dim : (i+1)*dim] {
			if j > 0 {
				b = append(b, ", "...)
			}
			b = strconv.AppendFloat(b, float64(v), 'g', -1, 32)
		}
		b = append(b, "]}"...)
	}
	b = append(b, "]\n"...)
	return WriteFileAtomic(path, b)
}

// IDsSidecar returns the path of the ids file that goes with a .npy vectors file: the same path with
// ".npy" replaced by ".ids.json" (vggish.npy → vggish.ids.json). It holds the JSON list of the row ids.
func IDsSidecar(npyPath string) string {
	return strings.TrimSuffix(npyPath, filepath.Ext(npyPath)) + ".ids.json"
}

// WriteVectorsNPY writes vectors as a [len(ids), dim] float32 .npy file plus its ids sidecar
// (IDsSidecar(path)). Each file is written atomically; the sidecar is written first.
func WriteVectorsNPY(path string, ids []string, data []float32, dim int) error {
	if err := checkVectors(path, ids, data, dim); err != nil {
		return err
	}
	b, err := json.Marshal(ids)
	if err != nil {
		return fmt.Errorf("writing %s: %w", IDsSidecar(path), err)
	}
	if err := WriteFileAtomic(IDsSidecar(path), append(b, '\n')); err != nil {
		return err
	}
	return WriteNPY(path, data, len(ids), dim)
}

// ReadVectors reads vectors from a JSON vectors file (see ReadVectorsJSON) or, for a path ending in
// ".npy", from a [n, dim] NumPy matrix and its ids sidecar (see IDsSidecar and ReadNPY).
func ReadVectors(path string) (ids []string, data []float32, dim int, err error) {
	if !strings.EqualFold(filepath.Ext(path), ".npy") {
		return ReadVectorsJSON(path)
	}
	data, shape, err := ReadNPY(path)
	if err != nil {
		return nil, nil, 0, err
	}
	if len(shape) != 2 || shape[0] == 0 || shape[1] == 0 {
		return nil, nil, 0, fileErr(path, "", "save a matrix with one row per id (np.save(path, x.reshape(n, dim)))",
			"a vectors .npy file must be a non-empty 2-D matrix [n, dim], found shape %v", shape)
	}
	side := IDsSidecar(path)
	ids, err = readIDList(side)
	if err != nil {
		return nil, nil, 0, err
	}
	if len(ids) != shape[0] {
		return nil, nil, 0, fileErr(side, "", fmt.Sprintf("write one id per row of %s", path),
			"holds %d ids but %s has %d rows", len(ids), path, shape[0])
	}
	return ids, data, shape[1], nil
}

// readIDList reads a JSON list of unique, non-empty ids.
func readIDList(path string) ([]string, error) {
	buf, err := readDataFile(path, "the ids file of a .npy vectors file",
		"write the JSON list of row ids next to the .npy (WriteVectorsNPY does)")
	if err != nil {
		return nil, err
	}
	if err := checkJSONSyntax(path, buf); err != nil {
		return nil, err
	}
	var items []json.RawMessage
	if err := json.Unmarshal(buf, &items); err != nil {
		return nil, fileErr(path, "", `write a JSON list of ids ["id…", …]`, "must be a JSON list, found %s",
			jsonKind(buf))
	}
	if len(items) == 0 {
		return nil, fileErr(path, "", "write one id per row", "the list is empty")
	}
	ids := make([]string, len(items))
	seen := make(map[string]int, len(items))
	for i, it := range items {
		record := fmt.Sprintf("item %d", i)
		if it[0] != '"' {
			return nil, fileErr(path, record, "", "must be a string id, found %s", jsonKind(it))
		}
		if err := json.Unmarshal(it, &ids[i]); err != nil {
			return nil, fileErr(path, record, "", "%v", err)
		}
		if ids[i] == "" {
			return nil, fileErr(path, record, "give every row its track id", "empty id")
		}
		if HasControl(ids[i]) {
			return nil, fileErr(path, record, "remove the control characters from the id",
				"id %q contains a control character (tab, newline, …)", ids[i])
		}
		if j, dup := seen[ids[i]]; dup {
			return nil, fileErr(path, record, "keep one row per id", "id %q appears twice (items %d and %d)",
				ids[i], j, i)
		}
		seen[ids[i]] = i
	}
	return ids, nil
}
