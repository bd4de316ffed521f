package audio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// melEqualWhole checks MelFile(path) against MelSpectrogram of the whole decoded signal a (nil: decode it), bit
// for bit.
func melEqualWhole(t *testing.T, path string, a *Audio, opt MelOptions) {
	t.Helper()
	if a == nil {
		var err error
		if a, err = Decode(path); err != nil {
			t.Fatal(err)
		}
	}
	want, err := MelSpectrogram(a.Mono(), a.SampleRate, opt)
	if err != nil {
		t.Fatal(err)
	}
	got, err := MelFile(path, opt)
	if err != nil {
		t.Fatal(err)
	}
	if got.Bands != want.Bands || got.Frames != want.Frames {
		t.Fatalf("%s, segment %g s: MelFile (%d, %d), whole signal (%d, %d)", path, opt.SegmentSeconds, got.Bands,
			got.Frames, want.Bands, want.Frames)
	}
	for i := range got.Data {
		if got.Data[i] != want.Data[i] {
			t.Fatalf("%s, segment %g s: band %d frame %d: streamed %v, whole signal %v", path, opt.SegmentSeconds,
				i/got.Frames, i%got.Frames, got.Data[i], want.Data[i])
		}
	}
}

// The streamed front-end (length from the container, only the segment resampled, bounded memory) equals the
// whole-signal one bit for bit on every fixture and format, with and without the centred segment; each fixture's
// declared length is its decoded length.
func TestMelFileEqualsWholeSignalAllFormats(t *testing.T) {
	for _, c := range []struct {
		file    string
		segment float64
	}{
		{"northerners_35s.ogg", 29.1},
		{"track1_35s.opus", 29.1},
		{"loyalists_31s_22k_mono.flac", 29.1},
		{"knolls_35s.mp3", 29.1},
		{"loyalists_250ms_s16.wav", 0.1},
		{"loyalists_250ms_s24.wav", 0.1},
		{"loyalists_250ms_f64.wav", 0.2},
		{"northerners_250ms_stereo_s24.wav", 0.15},
	} {
		t.Run(c.file, func(t *testing.T) {
			path := filepath.Join("testdata", c.file)
			a, err := Decode(path)
			if err != nil {
				t.Fatal(err)
			}
			s, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			declared := s.declaredFrames()
			s.Close()
			if declared != int64(a.Frames()) {
				t.Errorf("declared %d frames, decoded %d", declared, a.Frames())
			}
			for _, seg := range []float64{c.segment, 0} {
				opt := DefaultMelOptions()
				opt.SegmentSeconds = seg
				melEqualWhole(t, path, a, opt)
			}
		})
	}
}

// Containers that do not say their length, or say a wrong one, get a second decoding pass and the same result.
func TestMelFileMissingOrWrongLength(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return bytes.Clone(b)
	}
	// A streamed WAV: data size 0xFFFFFFFF (read to the end of the file).
	x := sine(31*22050, 22050, 440, 0.3)
	writeWAV(t, filepath.Join(dir, "sine.wav"), x, 22050)
	wav, _ := os.ReadFile(filepath.Join(dir, "sine.wav"))
	binary.LittleEndian.PutUint32(wav[40:], 0xFFFFFFFF)
	streamed := write("streamed.wav", wav)
	// FLAC whose STREAMINFO says 0 samples (unknown) or fewer than it holds: bytes 18–21 of STREAMINFO's body
	// (file offset 8+10) carry the top 4 bits of the 36-bit count in their low nibble, then 32 bits.
	flac := read("loyalists_31s_22k_mono.flac")
	setCount := func(b []byte, n uint64) []byte {
		b = bytes.Clone(b)
		b[21] = b[21]&0xF0 | byte(n>>32)&0x0F
		binary.BigEndian.PutUint32(b[22:], uint32(n))
		return b
	}
	unknownFLAC := write("unknown.flac", setCount(flac, 0))
	shortFLAC := write("short.flac", setCount(flac, 22050*20))
	// Ogg with bytes after the last page: its length is not read from the end.
	ogg := write("trailing.ogg", append(read("northerners_35s.ogg"), []byte("not an Ogg page")...))

	for _, c := range []struct {
		path     string
		declared int64 // -1: unknown
	}{{streamed, -1}, {unknownFLAC, -1}, {shortFLAC, 22050 * 20}, {ogg, -1}} {
		s, err := Open(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.declaredFrames(); got != c.declared {
			t.Errorf("%s: declared %d frames, want %d", c.path, got, c.declared)
		}
		s.Close()
		melEqualWhole(t, c.path, nil, DefaultMelOptions())
	}
}

func ExampleMelFrames() {
	// Mean level of each mel band over a whole recording, however long, without holding its spectrogram.
	opt := DefaultMelOptions()
	opt.SegmentSeconds = 0
	sum := make([]float64, opt.Bands)
	frames, err := MelFrames("testdata/loyalists_31s_22k_mono.flac", opt, func(_ int, frame []float32) error {
		for b, v := range frame {
			sum[b] += float64(v)
		}
		return nil
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d frames, band 0 mean %.1f dB\n", frames, sum[0]/float64(frames))
	// Output: 1938 frames, band 0 mean 12.2 dB
}

// With GOMAXPROCS ≥ 2 the decoder runs one chunk ahead in a goroutine (monoChunks); the spectrogram is the same,
// bit for bit, as with one thread, and a consumer that stops early (an error from fn) stops the goroutine.
func TestMelFileThreadsIdentical(t *testing.T) {
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	files := []string{"testdata/northerners_35s.ogg", "testdata/knolls_35s.mp3", "testdata/loyalists_31s_22k_mono.flac"}
	var one []*Mel
	for _, f := range files {
		m, err := MelFile(f, DefaultMelOptions())
		if err != nil {
			t.Fatal(err)
		}
		one = append(one, m)
	}
	runtime.GOMAXPROCS(2)
	for i, f := range files {
		m, err := MelFile(f, DefaultMelOptions())
		if err != nil {
			t.Fatal(err)
		}
		if m.Frames != one[i].Frames {
			t.Fatalf("%s: %d frames with 2 threads, %d with 1", f, m.Frames, one[i].Frames)
		}
		for j := range m.Data {
			if math.Float32bits(m.Data[j]) != math.Float32bits(one[i].Data[j]) {
				t.Fatalf("%s: value %d is %g with 2 threads, %g with 1", f, j, m.Data[j], one[i].Data[j])
			}
		}
	}
	stopErr := errors.New("enough")
	before := runtime.NumGoroutine()
	for range 5 {
		calls := 0
		err := LoadBlocks(files[0], 16000, func([]float32) error {
			calls++
			return stopErr
		})
		if !errors.Is(err, stopErr) || calls != 1 {
			t.Fatalf("LoadBlocks stopped by fn: error %v after %d calls; want %v after 1", err, calls, stopErr)
		}
	}
	if after := runtime.NumGoroutine(); after > before {
		t.Fatalf("%d goroutines before, %d after stopping early: the decoding goroutine leaked", before, after)
	}
}
