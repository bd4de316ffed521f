package audio

import (
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	upstream "github.com/jfreymuth/vorbis"

	"github.com/musicrep/musicrep/musicrep/audio/internal/vorbis"
)

// compareWithUpstream decodes every packet of an Ogg Vorbis file with musicrep's copy of the Vorbis decoder
// (internal/vorbis, github.com/jfreymuth/vorbis v1.0.2 with faster bit reading, Huffman decoding and residue
// interleaving) and with the upstream module, and fails unless every decoded sample is bit-identical. It returns
// the number of samples compared.
func compareWithUpstream(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := oggDemuxer{r: f}
	var mine vorbis.Decoder
	var ref upstream.Decoder
	var bufMine, bufRef []float32
	samples := 0
	for i := 0; ; i++ {
		p, err := d.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if i < 3 {
			errMine, errRef := mine.ReadHeader(p.data), ref.ReadHeader(p.data)
			if (errMine == nil) != (errRef == nil) {
				t.Fatalf("%s: header %d: error %v here, %v upstream", path, i, errMine, errRef)
			}
			if i == 2 {
				bufMine, bufRef = make([]float32, mine.BufferSize()), make([]float32, ref.BufferSize())
			}
			continue
		}
		outMine, errMine := mine.DecodeInto(p.data, bufMine)
		outRef, errRef := ref.DecodeInto(p.data, bufRef)
		if (errMine == nil) != (errRef == nil) || len(outMine) != len(outRef) {
			t.Fatalf("%s: packet %d: %d samples (error %v) here, %d (error %v) upstream", path, i, len(outMine),
				errMine, len(outRef), errRef)
		}
		for j := range outMine {
			if math.Float32bits(outMine[j]) != math.Float32bits(outRef[j]) {
				t.Fatalf("%s: packet %d sample %d: %g here, %g upstream", path, i, j, outMine[j], outRef[j])
			}
		}
		samples += len(outMine)
	}
	return samples
}

// The copy of the Vorbis decoder decodes bit for bit as the upstream module does, on the fixtures and, when
// wesnoth-1.16-music is installed (not under -short), on its 41 tracks.
func TestVorbisForkMatchesUpstream(t *testing.T) {
	files := []string{"testdata/northerners_35s.ogg", "testdata/battle-epic_head.ogg"}
	if !testing.Short() {
		more, _ := filepath.Glob("/usr/share/games/wesnoth/1.16/data/core/music/*.ogg")
		files = append(files, more...)
	}
	for _, path := range files {
		n := compareWithUpstream(t, path)
		t.Logf("%s: %d samples identical", filepath.Base(path), n)
	}
}
