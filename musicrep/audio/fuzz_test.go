package audio

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// Fuzz targets for the five decoders: any byte string either decodes or returns an error — never a panic, a
// hang or unbounded memory. Seeds are the starts of the committed test recordings (and whole small files);
// `make fuzz-smoke` runs each target briefly, and any crasher the fuzzer finds lands in testdata/fuzz/ where it
// becomes a regression test of `go test`.

// fuzzDecode decodes data as a stream and reads at most maxSamples mono samples.
func fuzzDecode(t *testing.T, data []byte) {
	const maxSamples = 1 << 18
	s, err := NewStream(bytes.NewReader(data), "fuzz")
	if err != nil {
		return
	}
	defer s.Close()
	if s.SampleRate() < MinSampleRate || s.SampleRate() > MaxSampleRate || s.Channels() < 1 || s.Channels() > MaxChannels {
		t.Fatalf("NewStream accepted %d Hz, %d channels", s.SampleRate(), s.Channels())
	}
	buf := make([]float32, 4096)
	total := 0
	for total < maxSamples {
		n, err := s.ReadMono(buf)
		total += n
		if n < 0 || n > len(buf) {
			t.Fatalf("ReadMono returned n=%d for a buffer of %d", n, len(buf))
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && err.Error() == "" {
				t.Fatal("an error without a message")
			}
			return
		}
		if n == 0 {
			return // no progress: a decoder that returns (0, nil) forever would hang the caller; stop here
		}
	}
}

// seeds adds the first 64, 512, 4096 and 16384 bytes of each test file, and each whole file up to 64 KiB.
func seeds(f *testing.F, files ...string) {
	for _, name := range files {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		for _, n := range []int{64, 512, 4096, 16384} {
			if n < len(data) {
				f.Add(data[:n])
			}
		}
		if len(data) <= 64<<10 {
			f.Add(data)
		}
	}
}

func FuzzWAV(f *testing.F) {
	seeds(f, "loyalists_250ms_s16.wav", "loyalists_250ms_u8.wav", "loyalists_250ms_f32.wav",
		"northerners_250ms_stereo_s24.wav")
	f.Fuzz(fuzzDecode)
}

func FuzzVorbis(f *testing.F) {
	seeds(f, "northerners_35s.ogg")
	f.Fuzz(fuzzDecode)
}

func FuzzOpus(f *testing.F) {
	seeds(f, "track1_35s.opus")
	f.Fuzz(fuzzDecode)
}

func FuzzFLAC(f *testing.F) {
	seeds(f, "loyalists_31s_22k_mono.flac")
	f.Fuzz(fuzzDecode)
}

func FuzzMP3(f *testing.F) {
	seeds(f, "knolls_35s.mp3")
	f.Fuzz(fuzzDecode)
}
