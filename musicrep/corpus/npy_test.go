package corpus

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func nan() float64 { return math.NaN() }

// npyFile builds .npy bytes with an arbitrary header dict and payload, padded like NumPy does.
func npyFile(version byte, dict string, payload []byte) []byte {
	pre := 10
	if version >= 2 {
		pre = 12
	}
	h := dict + strings.Repeat(" ", (64-(pre+len(dict)+1)%64)%64) + "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY")
	b.WriteByte(version)
	b.WriteByte(0)
	if version == 1 {
		_ = binary.Write(&b, binary.LittleEndian, uint16(len(h)))
	} else {
		_ = binary.Write(&b, binary.LittleEndian, uint32(len(h)))
	}
	b.WriteString(h)
	b.Write(payload)
	return b.Bytes()
}

func le(values any) []byte {
	var b bytes.Buffer
	_ = binary.Write(&b, binary.LittleEndian, values)
	return b.Bytes()
}

func TestNPYRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name  string
		data  []float32
		shape []int
	}{
		{"matrix", []float32{1, 2, 3, 4, 5, 6.5}, []int{2, 3}},
		{"vector", []float32{-1, 0, 1e-30}, nil},
		{"3-d", make([]float32, 24), []int{2, 3, 4}},
		{"empty", []float32{}, []int{0, 128}},
	} {
		path := filepath.Join(dir, tc.name+".npy")
		if err := WriteNPY(path, tc.data, tc.shape...); err != nil {
			t.Fatal(err)
		}
		buf, _ := os.ReadFile(path)
		hlen := int(binary.LittleEndian.Uint16(buf[8:10]))
		if buf[6] != 1 || (10+hlen)%64 != 0 || buf[10+hlen-1] != '\n' {
			t.Errorf("%s: header not v1.0 padded to 64 bytes: %q", tc.name, buf[:10+hlen])
		}
		data, shape, err := ReadNPY(path)
		if err != nil {
			t.Fatal(err)
		}
		want := tc.shape
		if want == nil {
			want = []int{len(tc.data)}
		}
		if !slices.Equal(shape, want) || !slices.Equal(data, tc.data) {
			t.Errorf("%s: got %v %v, want %v %v", tc.name, shape, data, want, tc.data)
		}
	}
	// The header NumPy itself writes for a (822, 128) float32 array.
	path := filepath.Join(dir, "m.npy")
	if err := WriteNPY(path, make([]float32, 822*128), 822, 128); err != nil {
		t.Fatal(err)
	}
	buf, _ := os.ReadFile(path)
	want := "{'descr': '<f4', 'fortran_order': False, 'shape': (822, 128), }"
	if got := string(buf[10 : 10+len(want)]); got != want {
		t.Errorf("header %q, want %q", got, want)
	}
	if err := WriteNPY(path, make([]float32, 5), 2, 3); err == nil {
		t.Error("shape/data mismatch: no error")
	}
}

func TestReadNPYVariants(t *testing.T) {
	for _, tc := range []struct {
		name  string
		file  []byte
		data  []float32
		shape []int
	}{
		{"f8 v1", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", le([]float64{1, 2.5, -3, 0.1})),
			[]float32{1, 2.5, -3, 0.1}, []int{2, 2}},
		{"f4 v2 no trailing comma", npyFile(2, `{"descr": "<f4", "shape": (3,), "fortran_order": False}`, le([]float32{1, 2, 3})),
			[]float32{1, 2, 3}, []int{3}},
		{"scalar", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", le([]float32{7})),
			[]float32{7}, []int{}},
	} {
		path := writeFile(t, "x.npy", string(tc.file))
		data, shape, err := ReadNPY(path)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !slices.Equal(shape, tc.shape) || !slices.Equal(data, tc.data) {
			t.Errorf("%s: got %v %v, want %v %v", tc.name, shape, data, tc.shape, tc.data)
		}
	}
}

func TestReadNPYBad(t *testing.T) {
	good := npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", le(make([]float32, 6)))
	for _, tc := range []struct {
		name  string
		file  []byte
		wants []string
	}{
		{"truncated data", good[:len(good)-5], []string{"truncated data", "needs 24 bytes, the file has 19"}},
		{"truncated header", good[:40], []string{"truncated .npy header"}},
		{"extra data", append(slices.Clone(good), 0, 0, 0, 0), []string{"4 unexpected bytes after the data"}},
		{"not npy", []byte("hello world, not numpy"), []string{"not a .npy file"}},
		{"int dtype", npyFile(1, "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", le([]int32{1, 2})),
			[]string{`dtype "<i4" is not supported`}},
		{"float16 truncated", npyFile(1, "{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }", le([]int16{1, 2})),
			[]string{"truncated data"}},
		{"big-endian", npyFile(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", make([]byte, 8)),
			[]string{`big-endian dtype ">f4"`}},
		{"fortran", npyFile(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 1), }", make([]byte, 8)),
			[]string{"Fortran-order"}},
		{"structured", npyFile(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", make([]byte, 4)),
			[]string{"structured dtypes"}},
		{"version 4", append([]byte("\x93NUMPY\x04\x00"), good[8:]...), []string{"version 4.0 is not supported"}},
		{"NaN", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", le([]float32{1, 2, 3, float32(nan())})),
			[]string{"element [1, 1]", "non-finite value NaN"}},
		{"f8 overflow", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", le([]float64{1e300})),
			[]string{"element [0]", "float64 value 1e+300 is out of float32 range"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, "bad.npy", string(tc.file))
			err := call(t, func() error { _, _, err := ReadNPY(path); return err })
			wantError(t, err, path, tc.wants...)
		})
	}
}

func TestAtomicWrites(t *testing.T) {
	dir := t.TempDir()
	ids, data := []string{"a", "b"}, []float32{1, 2, 3, 4}
	steps := []func() error{
		func() error { return WriteVectorsJSON(filepath.Join(dir, "v.json"), ids, data, 2) },
		func() error { return WriteVectorsJSON(filepath.Join(dir, "v.json"), ids, data, 2) }, // overwrite
		func() error { return WriteNPY(filepath.Join(dir, "m.npy"), data, 2, 2) },
		func() error { return WriteVectorsNPY(filepath.Join(dir, "w.npy"), ids, data, 2) },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	// Failing writes: invalid arguments, and a destination that cannot be replaced (a directory).
	if err := os.Mkdir(filepath.Join(dir, "busy.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteVectorsJSON(filepath.Join(dir, "busy.json"), ids, data, 2); err == nil {
		t.Error("writing over a directory: no error")
	}
	if err := WriteNPY(filepath.Join(dir, "bad.npy"), data, 3); err == nil {
		t.Error("bad shape: no error")
	}
	if err := WriteFileAtomic(filepath.Join(dir, "no", "such", "dir.json"), []byte("x")); err == nil {
		t.Error("missing directory: no error")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"busy.json", "m.npy", "v.json", "w.ids.json", "w.npy"}; !slices.Equal(names, want) {
		t.Errorf("directory holds %q, want %q (no temporary files)", names, want)
	}
	st, err := os.Stat(filepath.Join(dir, "v.json"))
	if err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("v.json: mode %v, err %v; want 0644", st.Mode(), err)
	}
	if _, err := os.Stat(filepath.Join(dir, "bad.npy")); !errors.Is(err, os.ErrNotExist) {
		t.Error("a rejected WriteNPY created its file")
	}
}

// TestReadNPYFloat16 reads a float16 array (the Melon mel-spectrograms' dtype); the bytes and the expected values
// come from NumPy 2.4.6: np.array([0, 1, -2.5, 65504, 6.1e-5, 5.96e-8, -0.0, 0.333, -1e-7], dtype='<f2') and
// its .astype(np.float32), covering normal, largest, subnormal and negative-zero values.
func TestReadNPYFloat16(t *testing.T) {
	raw, _ := hex.DecodeString("0000003c00c1ff7bff030100008054350280")
	want := []float32{0, 1, -2.5, 65504, 6.097555160522461e-05, 5.960464477539063e-08, 0, 0.3330078125,
		-1.1920928955078125e-07}
	header := "{'descr': '<f2', 'fortran_order': False, 'shape': (9,), }"
	for (10+len(header)+1)%64 != 0 {
		header += " "
	}
	header += "\n"
	buf := append([]byte("\x93NUMPY\x01\x00"), byte(len(header)), byte(len(header)>>8))
	buf = append(append(buf, header...), raw...)
	path := filepath.Join(t.TempDir(), "f16.npy")
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	data, shape, err := ReadNPY(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(shape) != 1 || shape[0] != 9 {
		t.Fatalf("shape %v", shape)
	}
	for i := range want {
		if data[i] != want[i] {
			t.Errorf("value %d: got %g, NumPy gives %g", i, data[i], want[i])
		}
	}
	if !math.Signbit(float64(data[6])) {
		t.Error("negative zero lost its sign")
	}
}
