package index

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzIndexFile: any byte string either loads as an index that answers a search, or returns an error; never
// a panic. Seeds: a small flat and a small IVF index file, whole and cut.
func FuzzIndexFile(f *testing.F) {
	dir := f.TempDir()
	vecs := make([]float32, 40*4)
	for i := range vecs {
		vecs[i] = float32(i%7) - 3
	}
	flat, err := NewFlat(vecs, 4)
	if err != nil {
		f.Fatal(err)
	}
	ivf, err := NewIVF(vecs, 4, IVFOptions{NList: 4, Seed: 1})
	if err != nil {
		f.Fatal(err)
	}
	for name, idx := range map[string]interface{ Save(string) error }{"flat.idx": flat, "ivf.idx": ivf} {
		p := filepath.Join(dir, name)
		if err := idx.Save(p); err != nil {
			f.Fatal(err)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		f.Add(data[:len(data)/2])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "f.idx")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		idx, err := Load(p)
		if err != nil {
			return
		}
		q := make([]float32, idx.Dim())
		if _, err := idx.Search(q, 3, SearchOptions{NProbe: 2}); err != nil {
			return
		}
	})
}
