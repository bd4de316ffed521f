package audio

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// Fuzz targets for the five decoders: any byte string either decodes or returns an error — never a panic, a
// hang or unbounded memory. Seeds are the starts of the committed test recordings (and whole small files);
// `make fuzz-smoke` runs each target briefly, and any crasher the fuzzer finds lands in testdata/fuzz/ where it
// becomes a regression test of `go test`.

// fuzzDecode decodes data as a stream and reads at most maxSamples mono samples, then, if that went without error,
// runs the streamed log-mel front-end over it with a short centred segment: the length the container declares, whatever it claims, only
// places the segment. The analysis runs at 16 kHz when the resampler's table is small (rates with a round ratio
// to 16 kHz, such as 22.05, 44.1 or 48 kHz); at other rates it runs at the stream's own rate, because building the
// table for an irregular ratio (16,000 phases for 44,101 Hz) takes seconds, which the fuzzer reports as a hang.
func fuzzDecode(t *testing.T, data []byte) {
	rate := fuzzRead(t, data)
	if rate == 0 {
		return
	}
	opt := DefaultMelOptions()
	opt.SegmentSeconds = 0.5
	if 16000/gcd(rate, 16000) > 320 {
		opt.SampleRate, opt.FMax = rate, 0
	}
	open := func() (*Stream, error) { return NewStream(bytes.NewReader(data), "fuzz") }
	want := 1 + int(math.RoundToEven(0.5*float64(opt.SampleRate)))/opt.HopSize
	if n, err := melFrames(open, opt, func(int, []float32) error { return nil }); err == nil && n != want {
		t.Fatalf("a 0.5 s segment at %d Hz gave %d frames, want %d", opt.SampleRate, n, want)
	}
}

// fuzzRead decodes data as a stream and reads at most maxSamples mono samples; it returns the stream's rate, or 0
// when NewStream refused the data or decoding failed.
func fuzzRead(t *testing.T, data []byte) int {
	const maxSamples = 1 << 18
	s, err := NewStream(bytes.NewReader(data), "fuzz")
	if err != nil {
		return 0
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
			if !errors.Is(err, io.EOF) {
				return 0 // damaged: the log-mel pass would stop at the same error
			}
			return s.SampleRate()
		}
		if n == 0 {
			return 0 // no progress: a decoder that returns (0, nil) forever would hang the caller; stop here
		}
	}
	return s.SampleRate()
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
