package index

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func testIndexes(t *testing.T) (base, qs []float32, dim int, flat *Flat, ivf *IVF) {
	t.Helper()
	rng := rand.New(rand.NewPCG(5, 6))
	dim = 12
	base = clustered(rng, 1500, dim, 8, 0.7)
	qs = clustered(rng, 20, dim, 8, 0.7)
	var err error
	if flat, err = NewFlat(base, dim); err != nil {
		t.Fatal(err)
	}
	if ivf, err = NewIVF(base, dim, IVFOptions{NList: 16, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	return
}

// TestSaveLoadRoundTrip checks that a loaded index has the same kind, shape, options and search results, and
// that saving it again gives the same bytes.
func TestSaveLoadRoundTrip(t *testing.T) {
	_, qs, dim, flat, ivf := testIndexes(t)
	dir := t.TempDir()
	for _, idx := range []Index{flat, ivf} {
		p := filepath.Join(dir, string(idx.Kind())+".idx")
		if err := idx.Save(p); err != nil {
			t.Fatal(err)
		}
		got, err := Load(p)
		if err != nil {
			t.Fatal(err)
		}
		if got.Kind() != idx.Kind() || got.Dim() != dim || got.Len() != idx.Len() {
			t.Errorf("%s: loaded kind %s dim %d len %d, want %s %d %d", p, got.Kind(), got.Dim(), got.Len(),
				idx.Kind(), dim, idx.Len())
		}
		for _, np := range []int{1, 3, 16} {
			want, _ := idx.Search(qs, 7, SearchOptions{NProbe: np})
			res, err := got.Search(qs, 7, SearchOptions{NProbe: np})
			if err != nil {
				t.Fatal(err)
			}
			sameNeighbors(t, p, res, want)
		}
		if x, ok := got.(*IVF); ok {
			if x.Options() != ivf.Options() || !equalF32(x.Centroids(), ivf.Centroids()) {
				t.Errorf("%s: options %+v / centroids differ from the saved index's %+v", p, x.Options(), ivf.Options())
			}
		}
		p2 := p + ".again"
		if err := got.Save(p2); err != nil {
			t.Fatal(err)
		}
		a, _ := os.ReadFile(p)
		b, _ := os.ReadFile(p2)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: saving the loaded index gives other bytes", p)
		}
	}
	if v := flat.Vectors(); len(v) != flat.Len()*dim {
		t.Errorf("Vectors: %d values", len(v))
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*"))
	if len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

func equalF32(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// resum recomputes the header checksum of an edited index file (and, when payloadToo, the payload checksum),
// producing files that pass the checksums but lie.
func resum(b []byte, payloadToo bool) []byte {
	if payloadToo {
		binary.LittleEndian.PutUint32(b[56:], crc32.Checksum(b[headerSize:], castagnoli))
	}
	binary.LittleEndian.PutUint32(b[60:], crc32.Checksum(b[:60], castagnoli))
	return b
}

// TestLoadErrors checks that every kind of bad file gives an error that names the file and says what is wrong.
func TestLoadErrors(t *testing.T) {
	_, _, dim, flat, ivf := testIndexes(t)
	dir := t.TempDir()
	fp, ip := filepath.Join(dir, "flat.idx"), filepath.Join(dir, "ivf.idx")
	if err := flat.Save(fp); err != nil {
		t.Fatal(err)
	}
	if err := ivf.Save(ip); err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile(fp)
	goodIVF, _ := os.ReadFile(ip)
	cp := func(b []byte) []byte { return append([]byte(nil), b...) }
	le := binary.LittleEndian
	cases := []struct {
		name string
		data []byte // nil: the file does not exist
		want string
	}{
		{"missing", nil, "no such file"},
		{"empty", []byte{}, "truncated: 0 bytes"},
		{"short header", good[:20], "truncated: 20 bytes"},
		{"header only", good[:headerSize], "truncated: 0 of"},
		{"cut payload", good[:len(good)-5], "truncated:"},
		{"cut ivf payload", goodIVF[:len(goodIVF)/2], "truncated:"},
		{"trailing bytes", append(cp(good), 1, 2, 3), "3 unexpected bytes"},
		{"wrong magic", append([]byte("PK\x03\x04 not an index"), good[18:]...), "not a musicrep index file"},
		{"text file", []byte("id,embedding\n"), "not a musicrep index file"},
		{"npy file", append([]byte("\x93NUMPY\x01\x00"), good[8:]...), "not a musicrep index file"},
		{"header bit flip", func() []byte { b := cp(good); b[17] ^= 1; return b }(), "corrupt header"},
		{"payload bit flip", func() []byte { b := cp(good); b[headerSize+100] ^= 0x10; return b }(), "corrupt payload"},
		{"ivf payload bit flip", func() []byte { b := cp(goodIVF); b[len(b)-3] ^= 0x10; return b }(), "corrupt payload"},
		{"version", func() []byte { b := cp(good); le.PutUint32(b[8:], 2); return resum(b, false) }(), "format version 2"},
		{"kind", func() []byte { b := cp(good); le.PutUint32(b[12:], 7); return resum(b, false) }(), "unknown index kind 7"},
		{"dim mismatch", func() []byte { b := cp(good); le.PutUint32(b[24:], uint32(dim+1)); return resum(b, false) }(),
			"wrong dim or size"},
		{"n zero", func() []byte { b := cp(good); le.PutUint64(b[16:], 0); return resum(b, false) }(), "n=0"},
		{"nlist above n", func() []byte { b := cp(goodIVF); le.PutUint32(b[28:], 5000); return resum(b, false) }(),
			"nlist=5000"},
		{"NaN vector", func() []byte {
			b := cp(good)
			le.PutUint32(b[headerSize+4*dim*3+2*4:], math.Float32bits(float32(math.NaN())))
			return resum(b, true)
		}(), "corrupt: vector 3 has NaN at position 2"},
		{"repeated id", func() []byte {
			b := cp(goodIVF)
			off := headerSize + 4*16*dim + 4*16
			copy(b[off+4:off+8], b[off:off+4])
			return resum(b, true)
		}(), "out of range or repeated"},
		{"list sizes", func() []byte {
			b := cp(goodIVF)
			off := headerSize + 4*16*dim
			le.PutUint32(b[off:], le.Uint32(b[off:])+1)
			return resum(b, true)
		}(), "list sizes add up to"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".idx")
			if c.data != nil {
				if err := os.WriteFile(p, c.data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			idx, err := Load(p)
			if err == nil {
				t.Fatalf("loaded %s (%T), want an error", p, idx)
			}
			t.Log(err)
			if !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q should name %s and say %q", err, p, c.want)
			}
		})
	}
}

// TestSaveAtomic checks that a failed save leaves the previous file untouched and no temporary file, and that
// saving into a missing directory fails with the path.
func TestSaveAtomic(t *testing.T) {
	_, _, _, flat, _ := testIndexes(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "x.idx")
	if err := os.WriteFile(p, []byte("previous"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk full")
	h := &header{kind: kindFlatID, n: 1, dim: 1, payloadLen: 4}
	err := writeAtomic(p, h, func(w io.Writer) error {
		_, _ = w.Write([]byte{1, 2})
		return boom
	})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), p) {
		t.Errorf("error %v should wrap %v and name %s", err, boom, p)
	}
	if b, _ := os.ReadFile(p); string(b) != "previous" {
		t.Errorf("the previous file was changed to %q", b)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
	if err := flat.Save(p); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p); err != nil {
		t.Errorf("overwritten file: %v", err)
	}
	missing := filepath.Join(dir, "no", "such", "dir", "x.idx")
	if err := flat.Save(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("saving into a missing directory: %v, want an error naming %s", err, missing)
	}
}
