package melon

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzMelon: any song_meta.json, genre_gn_all.json and train.json either load into a consistent dataset or
// return an error; never a panic. Seeds: the fixture of the unit tests and cut copies of it.
func FuzzMelon(f *testing.F) {
	good := writeFixture(f, nil)
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(good, name))
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	meta, genres, train := read("song_meta.json"), read("genre_gn_all.json"), read("train.json")
	f.Add(meta, genres, train)
	f.Add(meta[:len(meta)/2], genres, train)
	f.Add(meta, genres, []byte(`[{"id": 1, "songs": [99999]}]`))
	f.Add(meta, []byte(`{"GN01": "x"}`), train)
	f.Fuzz(func(t *testing.T, meta, genres, train []byte) {
		dir := t.TempDir()
		for name, b := range map[string][]byte{"song_meta.json": meta, "genre_gn_all.json": genres, "train.json": train} {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		d, err := Load(dir)
		if err != nil {
			return
		}
		for _, p := range d.Train {
			for _, id := range p.Songs {
				if _, ok := d.Index[id]; !ok {
					t.Fatalf("playlist %d names unknown song %d but Load accepted it", p.ID, id)
				}
			}
		}
	})
}
