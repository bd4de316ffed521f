package ckpt

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gomlx/gomlx/ml/model"
)

// FuzzCheckpoint: any pair of metadata and data files either loads into a checkpoint whose variables restore,
// or returns an error; never a panic. Seeds: a real checkpoint and damaged copies of it.
func FuzzCheckpoint(f *testing.F) {
	dir := f.TempDir()
	s := model.NewStore()
	s.SetParam("/learning_rate", 1e-3)
	path, err := Save(dir, s, Meta{Architecture: "binding", Epoch: 1, GlobalStep: 5}, 1)
	if err != nil {
		f.Fatal(err)
	}
	meta, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		f.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, c.Meta.DataFile))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(meta, data)
	f.Add(meta[:len(meta)/2], data)
	f.Add(meta, data[:len(data)/2])
	f.Add([]byte(`{"format": 1, "data_file": "x.bin", "variables": [{"path": "/w", "dtype": "Float32", "dims": [1000000, 1000000], "offset": 0, "length": 4}]}`), []byte{0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, meta, data []byte) {
		dir := t.TempDir()
		jsonPath := filepath.Join(dir, "ckpt-0000000005.json")
		if err := os.WriteFile(jsonPath, meta, 0o644); err != nil {
			t.Fatal(err)
		}
		// The data file under the names a metadata file might point to.
		for _, name := range []string{"ckpt-0000000005.bin", "x.bin"} {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		c, err := Load(jsonPath)
		if err != nil {
			return
		}
		_ = c.Restore(model.NewStore()) // may fail (e.g. bad parameter encoding), must not panic
	})
}
