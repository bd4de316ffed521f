package corpus

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzNPY: any byte string either parses as a finite float32 matrix of the shape it declares or returns an
// error; never a panic. Seeds: valid files of each dtype and version written by WriteNPY and by hand.
func FuzzNPY(f *testing.F) {
	dir := f.TempDir()
	p := filepath.Join(dir, "a.npy")
	if err := WriteNPY(p, []float32{1, 2, 3, 4, 5, 6}, 2, 3); err != nil {
		f.Fatal(err)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add(data[:20])
	f.Add([]byte("\x93NUMPY\x01\x00\x46\x00{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }          \n\x00\x3c\x00\x40"))
	f.Add([]byte("\x93NUMPY\x02\x00\x44\x00\x00\x00{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1), }  \n\x00\x00\x00\x00\x00\x00\xf0\x3f"))
	f.Fuzz(func(t *testing.T, buf []byte) {
		vals, shape, err := parseNPY("fuzz.npy", buf)
		if err != nil {
			return
		}
		n := 1
		for _, d := range shape {
			if d < 0 {
				t.Fatalf("negative dimension in %v", shape)
			}
			n *= d
		}
		if n != len(vals) {
			t.Fatalf("shape %v holds %d values, got %d", shape, n, len(vals))
		}
	})
}
