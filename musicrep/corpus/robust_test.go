package corpus

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// damageLoaders are the parsers behind the file loaders, on in-memory content.
func damageLoaders(t testing.TB) []struct {
	name  string
	valid []byte
	parse func(buf []byte) error
} {
	t.Helper()
	npy := npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", le([]float32{1, 2, 3, 4, 5, 6}))
	return []struct {
		name  string
		valid []byte
		parse func(buf []byte) error
	}{
		{"tracks", []byte(goodTracks), func(b []byte) error { _, err := parseTracks("t.json", b); return err }},
		{"vectors", []byte(goodVectors), func(b []byte) error { _, _, _, err := parseVectorsJSON("v.json", b); return err }},
		{"pairs", []byte(goodPairs), func(b []byte) error { _, _, err := parsePairs("p.json", b, goodIndex); return err }},
		{"npy", npy, func(b []byte) error { _, _, err := parseNPY("m.npy", b); return err }},
	}
}

// TestNoPanicOnDamagedFiles feeds every parser every prefix of a valid file and many randomly damaged
// copies: each must return a result or an error, never panic.
func TestNoPanicOnDamagedFiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	mutations := 20000
	if testing.Short() {
		mutations = 1000
	}
	alphabet := []byte(`{}[]",:\ 0123456789.eE-+NaInfityrulsx` + "\n\x00\xff")
	for _, l := range damageLoaders(t) {
		try := func(b []byte) {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("%s parser panicked on %q: %v", l.name, b, r)
				}
			}()
			_ = l.parse(b)
		}
		for n := 0; n < len(l.valid); n++ {
			try(bytes.Clone(l.valid[:n])) // clone: no spare capacity to read past the end
		}
		for range mutations {
			b := bytes.Clone(l.valid)
			for range 1 + rng.IntN(3) {
				b[rng.IntN(len(b))] = alphabet[rng.IntN(len(alphabet))]
			}
			try(b)
		}
	}
}

// FuzzParsers lets `go test -fuzz=FuzzParsers` explore further; the seed corpus runs as a normal test.
func FuzzParsers(f *testing.F) {
	loaders := damageLoaders(f)
	for i, l := range loaders {
		f.Add(uint8(i), l.valid)
	}
	f.Fuzz(func(t *testing.T, which uint8, b []byte) {
		_ = loaders[int(which)%len(loaders)].parse(b)
	})
}
