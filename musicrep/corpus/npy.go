package corpus

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// NumPy .npy format (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
// the magic "\x93NUMPY", a major and a minor version byte, the header length (uint16 little-endian in
// version 1, uint32 in versions 2 and 3), then the header, a Python dict literal such as
// {'descr': '<f4', 'fortran_order': False, 'shape': (822, 128), } padded with spaces and ending in '\n'
// so that the data starts at a multiple of 64 bytes, then the raw data.

const npyMagic = "\x93NUMPY"

// WriteNPY writes data as a NumPy .npy file (format version 1.0, or 2.0 if the header needs it), dtype
// '<f4' (little-endian float32), C (row-major) order. shape defaults to [len(data)]; its product must be
// len(data). The write is atomic.
func WriteNPY(path string, data []float32, shape ...int) error {
	if len(shape) == 0 {
		shape = []int{len(data)}
	}
	n := 1
	for _, d := range shape {
		if d < 0 {
			return fmt.Errorf("writing %s: negative dimension in shape %v", path, shape)
		}
		n *= d
	}
	if n != len(data) {
		return fmt.Errorf("writing %s: shape %v holds %d values, data has %d", path, shape, n, len(data))
	}
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = strconv.Itoa(d)
	}
	tuple := "(" + strings.Join(dims, ", ")
	if len(shape) == 1 {
		tuple += ","
	}
	tuple += ")"
	header := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': %s, }", tuple)

	// Version 1.0 stores the header length in 2 bytes; a longer header (only for shapes of thousands
	// of dimensions) needs version 2.0 and 4 bytes.
	version, preamble := byte(1), len(npyMagic)+4
	padded := func(pre int) int { return len(header) + 1 + (64-(pre+len(header)+1)%64)%64 }
	if padded(preamble) > math.MaxUint16 {
		version, preamble = 2, len(npyMagic)+6
	}
	hlen := padded(preamble)
	header += strings.Repeat(" ", hlen-len(header)-1) + "\n"

	var b bytes.Buffer
	b.Grow(preamble + hlen + 4*len(data))
	b.WriteString(npyMagic)
	b.WriteByte(version)
	b.WriteByte(0)
	if version == 1 {
		_ = binary.Write(&b, binary.LittleEndian, uint16(len(header)))
	} else {
		_ = binary.Write(&b, binary.LittleEndian, uint32(len(header)))
	}
	b.WriteString(header)
	out := b.Bytes()
	out = append(out, make([]byte, 4*len(data))...)
	raw := out[len(out)-4*len(data):]
	for i, v := range data {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	return WriteFileAtomic(path, out)
}

// float16ToFloat32 converts an IEEE 754 half-precision value (the Melon dataset stores its mel-spectrograms as
// float16) exactly to float32.
func float16ToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: frac × 2^-24
		v := float32(frac) / (1 << 24)
		if sign != 0 {
			v = -v
		}
		return v
	case exp == 0x1f: // Inf or NaN
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
}

// ReadNPY reads a NumPy .npy file of dtype '<f2' (float16), '<f4' (float32) or '<f8' (float64, converted to float32) in C
// order, format version 1.0, 2.0 or 3.0. It rejects Fortran order, big-endian and other dtypes, data
// shorter or longer than the shape says (naming expected and actual byte counts) and non-finite values
// (including float64 values out of float32 range). Every error is a *DataError naming the file.
func ReadNPY(path string) (data []float32, shape []int, err error) {
	buf, err := readDataFile(path, "the .npy file", "")
	if err != nil {
		return nil, nil, err
	}
	return parseNPY(path, buf)
}

// parseNPY parses the content buf of the .npy file path.
func parseNPY(path string, buf []byte) (data []float32, shape []int, err error) {
	bad := func(fix, format string, args ...any) error {
		return fileErr(path, "", fix, format, args...)
	}
	const resave = "save it with numpy.save(path, numpy.ascontiguousarray(x, dtype='<f4'))"
	if len(buf) < len(npyMagic)+4 || string(buf[:len(npyMagic)]) != npyMagic {
		return nil, nil, bad(resave, "not a .npy file (missing the \\x93NUMPY magic)")
	}
	major := buf[len(npyMagic)]
	var hlen, hstart int
	switch major {
	case 1:
		hlen, hstart = int(binary.LittleEndian.Uint16(buf[8:10])), 10
	case 2, 3:
		if len(buf) < 12 {
			return nil, nil, bad("re-save it", "truncated .npy header")
		}
		hlen, hstart = int(binary.LittleEndian.Uint32(buf[8:12])), 12
	default:
		return nil, nil, bad(resave, ".npy format version %d.%d is not supported (1.0, 2.0 and 3.0 are)",
			major, buf[len(npyMagic)+1])
	}
	if hstart+hlen > len(buf) {
		return nil, nil, bad("the file is truncated; re-save it",
			"truncated .npy header: it claims %d bytes, the file has %d after the preamble", hlen, len(buf)-hstart)
	}
	header := string(buf[hstart : hstart+hlen])
	dict, err := parsePyDict(header)
	if err != nil {
		return nil, nil, bad(resave, "cannot parse the .npy header %q: %v", strings.TrimSpace(header), err)
	}
	descr, ok := dict["descr"].(string)
	if !ok {
		return nil, nil, bad(resave, "the .npy header has no simple 'descr' (structured dtypes are not supported): %q",
			strings.TrimSpace(header))
	}
	fortran, ok := dict["fortran_order"].(bool)
	if !ok {
		return nil, nil, bad(resave, "the .npy header has no boolean 'fortran_order'")
	}
	shapeAny, ok := dict["shape"].([]int)
	if !ok {
		return nil, nil, bad(resave, "the .npy header has no 'shape' tuple")
	}
	shape = shapeAny
	var itemSize int
	switch descr {
	case "<f2":
		itemSize = 2
	case "<f4":
		itemSize = 4
	case "<f8":
		itemSize = 8
	case ">f2", ">f4", ">f8":
		return nil, nil, bad(resave, "big-endian dtype %q is not supported", descr)
	default:
		return nil, nil, bad(resave, "dtype %q is not supported (only '<f2' float16, '<f4' float32 and '<f8' float64)", descr)
	}
	if fortran {
		return nil, nil, bad(resave, "Fortran-order (column-major) arrays are not supported")
	}
	count := 1
	for _, d := range shape {
		if d < 0 || (d > 0 && count > math.MaxInt/itemSize/d) {
			return nil, nil, bad(resave, "invalid shape %v", shape)
		}
		count *= d
	}
	want, have := count*itemSize, len(buf)-hstart-hlen
	if have < want {
		return nil, nil, bad("the file is truncated; re-save or re-download it",
			"truncated data: shape %v of %s needs %d bytes, the file has %d", shape, descr, want, have)
	}
	if have > want {
		return nil, nil, bad(resave, "%d unexpected bytes after the data: shape %v of %s needs %d bytes, the file has %d",
			have-want, shape, descr, want, have)
	}
	raw := buf[hstart+hlen:]
	data = make([]float32, count)
	for i := range data {
		if itemSize == 2 {
			data[i] = float16ToFloat32(binary.LittleEndian.Uint16(raw[2*i:]))
			continue
		}
		if itemSize == 4 {
			data[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
			continue
		}
		v := math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
		data[i] = float32(v)
		if math.IsInf(float64(data[i]), 0) && !math.IsInf(v, 0) {
			return nil, nil, fileErr(path, "element "+unravel(i, shape), "scale the data into float32 range before saving",
				"float64 value %g is out of float32 range", v)
		}
	}
	if k := firstNonFinite(data); k >= 0 {
		return nil, nil, fileErr(path, "element "+unravel(k, shape), "replace or drop non-finite values before saving",
			"non-finite value %v", data[k])
	}
	return data, shape, nil
}

// unravel formats the C-order multi-index of flat index k, e.g. "[3, 17]".
func unravel(k int, shape []int) string {
	idx := make([]string, len(shape))
	for i := len(shape) - 1; i >= 0; i-- {
		if shape[i] == 0 {
			return fmt.Sprintf("[%d]", k)
		}
		idx[i] = strconv.Itoa(k % shape[i])
		k /= shape[i]
	}
	return "[" + strings.Join(idx, ", ") + "]"
}

// parsePyDict parses the Python dict literal of a .npy header. Values may be strings, True/False,
// integers or tuples of integers; lists (structured dtypes) are reported as unsupported.
func parsePyDict(s string) (map[string]any, error) {
	p := pyParser{s: s}
	p.ws()
	if !p.eat('{') {
		return nil, fmt.Errorf("expected '{'")
	}
	out := map[string]any{}
	for {
		p.ws()
		if p.eat('}') {
			break
		}
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		p.ws()
		if !p.eat(':') {
			return nil, fmt.Errorf("expected ':' after %q", key)
		}
		p.ws()
		if out[key], err = p.value(); err != nil {
			return nil, fmt.Errorf("value of %q: %w", key, err)
		}
		p.ws()
		if p.eat('}') {
			break
		}
		if !p.eat(',') {
			return nil, fmt.Errorf("expected ',' or '}' after the value of %q", key)
		}
	}
	if strings.TrimSpace(s[p.i:]) != "" {
		return nil, fmt.Errorf("unexpected text after the dict")
	}
	return out, nil
}

type pyParser struct {
	s string
	i int
}

func (p *pyParser) ws() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *pyParser) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *pyParser) str() (string, error) {
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", fmt.Errorf("expected a quoted string at %d", p.i)
	}
	q := p.s[p.i]
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", fmt.Errorf("unterminated string")
	}
	v := p.s[p.i+1 : p.i+1+end]
	p.i += end + 2
	return v, nil
}

func (p *pyParser) int() (int, error) {
	start := p.i
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	v, err := strconv.Atoi(p.s[start:p.i])
	if err != nil {
		return 0, fmt.Errorf("expected an integer at %d", start)
	}
	p.eat('L') // Python 2 long suffix
	return v, nil
}

func (p *pyParser) value() (any, error) {
	switch {
	case p.i >= len(p.s):
		return nil, fmt.Errorf("missing value")
	case p.s[p.i] == '\'' || p.s[p.i] == '"':
		return p.str()
	case strings.HasPrefix(p.s[p.i:], "True"):
		p.i += 4
		return true, nil
	case strings.HasPrefix(p.s[p.i:], "False"):
		p.i += 5
		return false, nil
	case p.s[p.i] == '(':
		p.i++
		dims := []int{}
		for {
			p.ws()
			if p.eat(')') {
				return dims, nil
			}
			d, err := p.int()
			if err != nil {
				return nil, err
			}
			dims = append(dims, d)
			p.ws()
			if p.eat(')') {
				return dims, nil
			}
			if !p.eat(',') {
				return nil, fmt.Errorf("expected ',' or ')' in a tuple")
			}
		}
	case p.s[p.i] == '[':
		return nil, fmt.Errorf("structured dtypes (lists) are not supported")
	default:
		return p.int()
	}
}
