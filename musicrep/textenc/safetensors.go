package textenc

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
)

// safeTensor is one tensor of a safetensors file, converted to float32 when its dtype is a float type.
type safeTensor struct {
	DType string
	Shape []int
	Data  []float32 // nil for integer and boolean dtypes (not converted)
}

// safetensorsFile is the content of a .safetensors file.
type safetensorsFile struct {
	Path     string
	Tensors  map[string]*safeTensor
	Metadata map[string]string
}

// dtypeSizes lists the dtypes of the safetensors format and their size in bytes.
var dtypeSizes = map[string]int{
	"F64": 8, "F32": 4, "F16": 2, "BF16": 2,
	"I64": 8, "I32": 4, "I16": 2, "I8": 1, "U64": 8, "U32": 4, "U16": 2, "U8": 1, "BOOL": 1,
	"F8_E4M3": 1, "F8_E5M2": 1,
}

// readSafetensors reads a safetensors file (https://github.com/huggingface/safetensors: an 8-byte little-endian
// header length N, N bytes of JSON header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {…}},
// then the data buffer, offsets relative to its start). F32, F16, BF16 and F64 tensors are converted to float32;
// other dtypes are listed with nil Data. Every error names the file and, where it applies, the tensor.
func readSafetensors(path string) (*safetensorsFile, error) {
	buf, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading safetensors file: %w", err)
	}
	return parseSafetensors(path, buf)
}

func parseSafetensors(path string, buf []byte) (*safetensorsFile, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("safetensors file %s: %s: the file is damaged or not a safetensors file "+
			"(reinstall the model: %s)", path, fmt.Sprintf(format, args...), InstallHint)
	}
	if len(buf) < 8 {
		return nil, fail("truncated: %d bytes, less than the 8-byte header length", len(buf))
	}
	n := binary.LittleEndian.Uint64(buf[:8])
	if n > uint64(len(buf)-8) {
		return nil, fail("truncated: the header claims %d bytes but only %d follow the length field", n, len(buf)-8)
	}
	header := bytes.TrimRight(buf[8:8+n], " ")
	data := buf[8+n:]
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(header, &raw); err != nil {
		return nil, fail("malformed JSON header: %v", err)
	}
	f := &safetensorsFile{Path: path, Tensors: make(map[string]*safeTensor, len(raw))}
	names := make([]string, 0, len(raw))
	for name := range raw {
		names = append(names, name)
	}
	sort.Strings(names)
	type span struct {
		begin, end uint64
		name       string
	}
	var spans []span
	for _, name := range names {
		if name == "__metadata__" {
			if err := json.Unmarshal(raw[name], &f.Metadata); err != nil {
				return nil, fail("__metadata__ is not a string→string object: %v", err)
			}
			continue
		}
		var entry struct {
			DType       string    `json:"dtype"`
			Shape       []int     `json:"shape"`
			DataOffsets *[]uint64 `json:"data_offsets"`
		}
		dec := json.NewDecoder(bytes.NewReader(raw[name]))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&entry); err != nil {
			return nil, fail("tensor %q: malformed entry %s: %v", name, raw[name], err)
		}
		size, ok := dtypeSizes[entry.DType]
		if !ok {
			return nil, fail("tensor %q: unknown dtype %q", name, entry.DType)
		}
		if entry.DataOffsets == nil || len(*entry.DataOffsets) != 2 {
			return nil, fail("tensor %q: data_offsets must be [begin, end]", name)
		}
		begin, end := (*entry.DataOffsets)[0], (*entry.DataOffsets)[1]
		count := uint64(1)
		for _, d := range entry.Shape {
			if d < 0 {
				return nil, fail("tensor %q: negative dimension in shape %v", name, entry.Shape)
			}
			count *= uint64(d)
		}
		switch {
		case begin > end:
			return nil, fail("tensor %q: data_offsets [%d, %d] run backwards", name, begin, end)
		case end > uint64(len(data)):
			return nil, fail("truncated: tensor %q needs bytes [%d, %d) of the data buffer, which has %d bytes",
				name, begin, end, len(data))
		case end-begin != count*uint64(size):
			return nil, fail("tensor %q: %s %v needs %d bytes, data_offsets [%d, %d] give %d", name, entry.DType,
				entry.Shape, count*uint64(size), begin, end, end-begin)
		}
		spans = append(spans, span{begin, end, name})
		t := &safeTensor{DType: entry.DType, Shape: entry.Shape}
		t.Data = toFloat32(entry.DType, data[begin:end])
		f.Tensors[name] = t
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].begin < spans[j].begin })
	for i := 1; i < len(spans); i++ {
		if spans[i].begin < spans[i-1].end {
			return nil, fail("tensors %q and %q overlap in the data buffer", spans[i-1].name, spans[i].name)
		}
	}
	return f, nil
}

// toFloat32 converts little-endian float data to float32; it returns nil for non-float dtypes.
func toFloat32(dtype string, b []byte) []float32 {
	le := binary.LittleEndian
	var out []float32
	switch dtype {
	case "F32":
		out = make([]float32, len(b)/4)
		for i := range out {
			out[i] = math.Float32frombits(le.Uint32(b[4*i:]))
		}
	case "F64":
		out = make([]float32, len(b)/8)
		for i := range out {
			out[i] = float32(math.Float64frombits(le.Uint64(b[8*i:])))
		}
	case "BF16":
		out = make([]float32, len(b)/2)
		for i := range out {
			out[i] = math.Float32frombits(uint32(le.Uint16(b[2*i:])) << 16)
		}
	case "F16":
		out = make([]float32, len(b)/2)
		for i := range out {
			out[i] = halfToFloat32(le.Uint16(b[2*i:]))
		}
	}
	return out
}

// halfToFloat32 converts an IEEE 754 binary16 value to float32 (exactly: every half is a float32).
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0 && mant == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: mant × 2^-24
		v := float32(mant) * float32(math.Ldexp(1, -24))
		if sign != 0 {
			v = -v
		}
		return v
	case exp == 0x1f: // Inf or NaN
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}

// float32Tensor returns the named tensor, checking that it is a float tensor of the given shape.
func (f *safetensorsFile) float32Tensor(name string, shape ...int) ([]float32, error) {
	t, ok := f.Tensors[name]
	if !ok {
		return nil, fmt.Errorf("safetensors file %s has no tensor %q: it is not a BERT model of the expected "+
			"layout (reinstall the model: %s)", f.Path, name, InstallHint)
	}
	if t.Data == nil {
		return nil, fmt.Errorf("safetensors file %s: tensor %q has dtype %s, want a float dtype", f.Path, name, t.DType)
	}
	if fmt.Sprint(t.Shape) != fmt.Sprint(shape) {
		return nil, fmt.Errorf("safetensors file %s: tensor %q has shape %v, config.json implies %v", f.Path, name,
			t.Shape, shape)
	}
	return t.Data, nil
}
