package audio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestDetectFormat(t *testing.T) {
	oggPage := func(packet string) []byte {
		h := make([]byte, 27, 64)
		copy(h, "OggS")
		h[26] = 1
		h = append(h, byte(len(packet)))
		return append(h, packet...)
	}
	for _, tc := range []struct {
		name   string
		header []byte
		file   string
		want   Format
		errHas string
	}{
		{"wav", []byte("RIFF\x00\x00\x00\x00WAVEfmt "), "x.bin", FormatWAV, ""},
		{"flac", []byte("fLaC\x00\x00\x00\x22"), "x.ogg", FormatFLAC, ""},
		{"vorbis", oggPage("\x01vorbis"), "x.opus", FormatVorbis, ""},
		{"opus", oggPage("OpusHead"), "x.ogg", FormatOpus, ""},
		{"ogg-other", oggPage("\x80theora"), "x.ogv", FormatUnknown, "neither Vorbis nor Opus"},
		{"id3-mp3", []byte("ID3\x04\x00\x00\x00\x00\x00\x00"), "x.mp3", FormatMP3, ""},
		{"id3-flac-hint", []byte("ID3\x04\x00\x00\x00\x00\x00\x00"), "x.flac", FormatFLAC, ""},
		{"mp3-sync", []byte{0xFF, 0xFB, 0x90, 0x64}, "x", FormatMP3, ""},
		{"aac-adts", []byte{0xFF, 0xF1, 0x50, 0x80}, "x.aac", FormatUnknown, "supported: WAV"},
		{"text", []byte("hello, world"), "x.wav", FormatUnknown, "unsupported audio format"},
		{"empty", nil, "x.wav", FormatUnknown, "empty file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DetectFormat(tc.header, tc.file)
			if got != tc.want {
				t.Errorf("DetectFormat = %v, want %v (err %v)", got, tc.want, err)
			}
			if tc.errHas == "" && err != nil {
				t.Errorf("unexpected error %v", err)
			}
			if tc.errHas != "" && (err == nil || !strings.Contains(err.Error(), tc.errHas)) {
				t.Errorf("error %v, want it to contain %q", err, tc.errHas)
			}
		})
	}
}

// The fixtures decode to the rates, channel counts and lengths libsndfile gives (recorded by scripts/golden/mel.py).
func TestDecodeFixturesLikeLibsndfile(t *testing.T) {
	want := map[string]Format{".ogg": FormatVorbis, ".opus": FormatOpus, ".flac": FormatFLAC, ".mp3": FormatMP3}
	for _, g := range loadGolden(t) {
		t.Run(g.File, func(t *testing.T) {
			path := filepath.Join("testdata", g.File)
			s, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if s.Format() != want[filepath.Ext(path)] {
				t.Errorf("format %v, want %v", s.Format(), want[filepath.Ext(path)])
			}
			a, err := readAll(s)
			if err != nil {
				t.Fatal(err)
			}
			if a.SampleRate != g.SourceRate || a.Frames() != g.SourceFrames {
				t.Errorf("%d Hz, %d frames; libsndfile: %d Hz, %d frames", a.SampleRate, a.Frames(), g.SourceRate,
					g.SourceFrames)
			}
		})
	}
}

// Reading through Stream.Read / ReadMono in odd chunk sizes gives the same samples as Decode.
func TestStreamChunking(t *testing.T) {
	path := "testdata/northerners_250ms_stereo_s24.wav"
	whole, err := Decode(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var got []float32
	buf := make([]float32, 7)
	for i := 0; ; i++ {
		n, err := s.ReadMono(buf[:1+i%7])
		got = append(got, buf[:n]...)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	mono := whole.Mono()
	if len(got) != len(mono) {
		t.Fatalf("ReadMono gave %d samples, Decode %d", len(got), len(mono))
	}
	for i := range got {
		if got[i] != mono[i] {
			t.Fatalf("sample %d: ReadMono %v, Decode+Mono %v", i, got[i], mono[i])
		}
	}
}

// ffmpeg wrote the WAV fixtures from the FLAC fixture (0.25 s from 10 s): every integer and float layout decodes to
// the same samples (8-bit to within its quantisation), and the 24-bit stereo one matches the Vorbis decode.
func TestWAVLayoutsMatchFLAC(t *testing.T) {
	flac, err := Decode("testdata/loyalists_31s_22k_mono.flac")
	if err != nil {
		t.Fatal(err)
	}
	const offset = 10 * 22050
	for _, tc := range []struct {
		file string
		tol  float64
	}{
		{"loyalists_250ms_s16.wav", 0},
		{"loyalists_250ms_s24.wav", 0}, // WAVE_FORMAT_EXTENSIBLE, with a LIST chunk
		{"loyalists_250ms_s32.wav", 0},
		{"loyalists_250ms_f32.wav", 0},
		{"loyalists_250ms_f64.wav", 0},
		{"loyalists_250ms_u8.wav", 1.0 / 128},
	} {
		t.Run(tc.file, func(t *testing.T) {
			w, err := Decode(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if w.SampleRate != 22050 || w.Channels != 1 || w.Frames() != 5513 {
				t.Fatalf("%d Hz × %d, %d frames; want 22050 × 1, 5513", w.SampleRate, w.Channels, w.Frames())
			}
			var maxd float64
			for i, v := range w.Samples {
				maxd = math.Max(maxd, math.Abs(float64(v)-float64(flac.Samples[offset+i])))
			}
			if maxd > tc.tol {
				t.Errorf("max |WAV − FLAC| = %g, want ≤ %g", maxd, tc.tol)
			}
		})
	}
	t.Run("stereo-s24-vs-vorbis", func(t *testing.T) {
		ogg, err := Decode("testdata/northerners_35s.ogg")
		if err != nil {
			t.Fatal(err)
		}
		w, err := Decode("testdata/northerners_250ms_stereo_s24.wav")
		if err != nil {
			t.Fatal(err)
		}
		if w.Channels != 2 || w.SampleRate != 44100 {
			t.Fatalf("%d Hz × %d", w.SampleRate, w.Channels)
		}
		off := 10 * 44100 * 2
		var maxd float64
		for i, v := range w.Samples {
			maxd = math.Max(maxd, math.Abs(float64(v)-float64(ogg.Samples[off+i])))
		}
		// ffmpeg's Vorbis decoder vs jfreymuth/vorbis, then 24-bit quantisation.
		if maxd > 1e-5 {
			t.Errorf("max |WAV − Vorbis| = %g, want ≤ 1e-5", maxd)
		}
	})
}

// writeWAV writes a float32 mono WAV (for the NaN test).
func writeWAV(t *testing.T, path string, x []float32, rate int) {
	t.Helper()
	var b bytes.Buffer
	le := binary.LittleEndian
	b.WriteString("RIFF")
	binary.Write(&b, le, uint32(36+4*len(x)))
	b.WriteString("WAVEfmt ")
	binary.Write(&b, le, uint32(16))
	binary.Write(&b, le, uint16(3))
	binary.Write(&b, le, uint16(1))
	binary.Write(&b, le, uint32(rate))
	binary.Write(&b, le, uint32(4*rate))
	binary.Write(&b, le, uint16(4))
	binary.Write(&b, le, uint16(32))
	b.WriteString("data")
	binary.Write(&b, le, uint32(4*len(x)))
	binary.Write(&b, le, x)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// truncate copies a fixture's first fraction of bytes to a temporary file.
func truncate(t *testing.T, fixture string, keep float64) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", fixture))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "cut_"+fixture)
	if err := os.WriteFile(path, b[:int(float64(len(b))*keep)], 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.ogg")
	os.WriteFile(empty, nil, 0o644)
	text := filepath.Join(dir, "notes.mp3")
	os.WriteFile(text, []byte("these are not the samples you are looking for\n"), 0o644)
	nan := filepath.Join(dir, "nan.wav")
	x := make([]float32, 1000)
	x[777] = float32(math.NaN())
	writeWAV(t, nan, x, 16000)
	corrupt := filepath.Join(dir, "corrupt.ogg")
	b, _ := os.ReadFile("testdata/northerners_35s.ogg")
	b = bytes.Clone(b)
	b[len(b)/2] ^= 0x55
	os.WriteFile(corrupt, b, 0o644)

	for _, tc := range []struct {
		name string
		path string
		is   error
		has  []string
	}{
		{"truncated-ogg", truncate(t, "northerners_35s.ogg", 0.6), ErrTruncated, []string{"cut_northerners_35s.ogg", "byte"}},
		{"truncated-ogg-headers", truncate(t, "northerners_35s.ogg", 0.005), ErrTruncated, []string{"byte"}},
		{"truncated-opus", truncate(t, "track1_35s.opus", 0.5), ErrTruncated, []string{"cut_track1_35s.opus", "byte"}},
		{"truncated-flac", truncate(t, "loyalists_31s_22k_mono.flac", 0.7), ErrTruncated, []string{"FLAC", "frame", "byte"}},
		{"truncated-mp3", truncate(t, "knolls_35s.mp3", 0.5), ErrTruncated, []string{"MP3 frame", "at byte"}},
		{"truncated-wav", truncate(t, "loyalists_250ms_s16.wav", 0.5), ErrTruncated, []string{"data chunk should end at byte 11104"}},
		{"truncated-wav-header", truncate(t, "loyalists_250ms_s24.wav", 0.002), ErrTruncated, []string{"WAV", "fmt chunk at byte 12"}},
		{"ogg-without-eos", cutAtOggPage(t, "track1_35s.opus"), ErrTruncated, []string{"without its end-of-stream page"}},
		{"corrupt-ogg", corrupt, nil, []string{"CRC", "byte"}},
		{"empty", empty, nil, []string{"empty.ogg", "empty file"}},
		{"unsupported", text, ErrUnsupportedFormat, []string{"notes.mp3", "supported: WAV", "Ogg Vorbis", "FLAC", "MP3"}},
		{"nan", nan, nil, []string{"nan.wav", "sample 777 is NaN"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(tc.path)
			if err == nil {
				t.Fatal("Decode succeeded, want an error")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %q does not wrap %v", err, tc.is)
			}
			for _, s := range tc.has {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
			t.Logf("%v", err)
			// The streaming path reports the same problem.
			if _, err2 := MelFile(tc.path, DefaultMelOptions()); err2 == nil {
				t.Errorf("MelFile succeeded on bad input")
			}
		})
	}
}

// cutAtOggPage copies a fixture up to (excluding) the Ogg page that starts nearest its middle: a file cut cleanly
// between pages, which only the missing end-of-stream flag reveals.
func cutAtOggPage(t *testing.T, fixture string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", fixture))
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b[len(b)/2:], []byte("OggS"))
	if i < 0 {
		t.Fatal("no Ogg page in the second half")
	}
	path := filepath.Join(t.TempDir(), "pagecut_"+fixture)
	if err := os.WriteFile(path, b[:len(b)/2+i], 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// A header claiming an absurd sample rate is refused before any decoding or resampling (a 1 Hz WAV once
// made embed-audio allocate gigabytes).
func TestHeaderClaimsBounded(t *testing.T) {
	dir := t.TempDir()
	for _, rate := range []int{1, 3999, 768001} {
		p := filepath.Join(dir, fmt.Sprintf("r%d.wav", rate))
		writeWAV(t, p, make([]float32, 48000), rate)
		_, err := Load(p, 16000)
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("claims %d Hz", rate)) || !strings.Contains(err.Error(), p) {
			t.Errorf("%d Hz: %v", rate, err)
		}
	}
	p := filepath.Join(dir, "ok.wav")
	writeWAV(t, p, make([]float32, 8000), 8000)
	if x, err := Load(p, 16000); err != nil || len(x) != 16000 {
		t.Errorf("8 kHz: %d samples, %v", len(x), err)
	}
}

// A WAV fmt chunk claiming gigabytes is refused before anything is allocated (the fuzzer found one that made the
// decoder allocate 4 GB).
func TestWAVFmtChunkSizeBounded(t *testing.T) {
	b, err := os.ReadFile("testdata/loyalists_250ms_s16.wav")
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte("fmt "))
	b = bytes.Clone(b)
	binary.LittleEndian.PutUint32(b[i+4:], 0xFE000000)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = NewStream(bytes.NewReader(b), "big-fmt.wav")
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "fmt chunk at byte 12 claims 4261412864 bytes") {
		t.Errorf("err %v, want the fmt chunk's size refused", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Errorf("allocated %d bytes to refuse the header", got)
	}
}
