package audio

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// Format is an audio file format that this package decodes.
type Format int

// The formats [Open] recognises.
const (
	FormatUnknown Format = iota
	FormatWAV
	FormatVorbis // Ogg Vorbis
	FormatOpus   // Ogg Opus
	FormatFLAC
	FormatMP3
)

// SupportedFormats lists the formats in words, for error messages.
const SupportedFormats = "WAV (PCM 8/16/24/32-bit, float32/64), Ogg Vorbis, Ogg Opus, FLAC, MP3"

func (f Format) String() string {
	switch f {
	case FormatWAV:
		return "WAV"
	case FormatVorbis:
		return "Ogg Vorbis"
	case FormatOpus:
		return "Ogg Opus"
	case FormatFLAC:
		return "FLAC"
	case FormatMP3:
		return "MP3"
	}
	return "unknown"
}

// ErrUnsupportedFormat is wrapped by the error of a file whose format is none of [SupportedFormats].
var ErrUnsupportedFormat = errors.New("unsupported audio format")

// ErrTruncated is wrapped by the errors of files that end before their container or frames say they should.
var ErrTruncated = errors.New("truncated audio file")

// sniffLen is how many leading bytes [DetectFormat] needs to see.
const sniffLen = 64

// DetectFormat tells the format from the first bytes of a file (at least 64 when the file has them) and, as a hint
// for headerless MP3 streams only, the file name's extension.
func DetectFormat(header []byte, name string) (Format, error) {
	ext := strings.ToLower(filepath.Ext(name))
	switch {
	case len(header) >= 12 && (string(header[:4]) == "RIFF" || string(header[:4]) == "RIFX") &&
		string(header[8:12]) == "WAVE":
		return FormatWAV, nil
	case len(header) >= 4 && string(header[:4]) == "fLaC":
		return FormatFLAC, nil
	case len(header) >= 4 && string(header[:4]) == "OggS":
		// The first page carries the codec's identification header: 27-byte page header, the segment table, then
		// the packet.
		if len(header) >= 27 {
			body := 27 + int(header[26])
			if body < len(header) {
				p := header[body:]
				switch {
				case bytes.HasPrefix(p, []byte("\x01vorbis")):
					return FormatVorbis, nil
				case bytes.HasPrefix(p, []byte("OpusHead")):
					return FormatOpus, nil
				}
			}
		}
		return FormatUnknown, fmt.Errorf("%w: Ogg container whose first stream is neither Vorbis nor Opus; supported: %s",
			ErrUnsupportedFormat, SupportedFormats)
	case len(header) >= 3 && string(header[:3]) == "ID3":
		// ID3v2 tags precede MP3 frames (and, rarely, FLAC: flac.New skips them, but such files are not produced by
		// the reference encoders): treat as MP3 unless the extension says FLAC.
		if ext == ".flac" {
			return FormatFLAC, nil
		}
		return FormatMP3, nil
	case len(header) >= 2 && header[0] == 0xFF && header[1]&0xE6 == 0xE2:
		// MPEG audio frame sync (11 bits) with layer III (layer bits 01).
		return FormatMP3, nil
	}
	if len(header) == 0 {
		return FormatUnknown, errors.New("empty file: no audio data")
	}
	return FormatUnknown, fmt.Errorf("%w (extension %q, first bytes % x); supported: %s", ErrUnsupportedFormat, ext,
		header[:min(len(header), 8)], SupportedFormats)
}

// source is one format's decoder: it hands out interleaved blocks of samples.
type source interface {
	// next returns the next block of interleaved float32 samples, valid until the following call, or io.EOF at
	// the regular end of the stream.
	next() ([]float32, error)
}

// Stream reads decoded audio incrementally. Use [Open] or [NewStream]; call Close when done.
type Stream struct {
	name     string
	format   Format
	rate     int
	channels int
	src      source
	pending  []float32
	closer   io.Closer
	err      error
	declared int64 // frames per channel the container announces; -1 when it does not say
}

// Open opens an audio file for streaming decode; the format is sniffed from its content.
func Open(path string) (*Stream, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("audio: %w", err)
	}
	s, err := NewStream(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	s.closer = f
	return s, nil
}

// NewStream decodes audio from r; name is used in error messages and as a format hint (its extension). MP3 needs
// to scan its frames first: if r is not an io.ReadSeeker it is read into memory.
func NewStream(r io.Reader, name string) (*Stream, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	header, err := br.Peek(sniffLen)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("audio: %s: %w", name, err)
	}
	format, err := DetectFormat(header, name)
	if err != nil {
		return nil, fmt.Errorf("audio: %s: %w", name, err)
	}
	s := &Stream{name: name, format: format}
	switch format {
	case FormatWAV:
		s.src, s.rate, s.channels, err = newWAVSource(br, name)
	case FormatVorbis:
		s.src, s.rate, s.channels, err = newVorbisSource(br, name)
	case FormatOpus:
		s.src, s.rate, s.channels, err = newOpusSource(br, name)
	case FormatFLAC:
		s.src, s.rate, s.channels, err = newFLACSource(br, name)
	case FormatMP3:
		var rs io.ReadSeeker
		if seeker, ok := r.(io.ReadSeeker); ok {
			// Nothing has been consumed from br beyond its buffer: rewind the underlying reader.
			if _, err := seeker.Seek(0, io.SeekStart); err == nil {
				rs = seeker
			}
		}
		if rs == nil {
			data, err := io.ReadAll(br)
			if err != nil {
				return nil, fmt.Errorf("audio: %s: %w", name, err)
			}
			rs = bytes.NewReader(data)
		}
		s.src, s.rate, s.channels, err = newMP3Source(rs, name)
	}
	if err != nil {
		return nil, err
	}
	if s.rate <= 0 || s.channels <= 0 {
		return nil, fmt.Errorf("audio: %s: invalid %s stream: %d Hz, %d channels", name, format, s.rate, s.channels)
	}
	s.declared = -1
	if d, ok := s.src.(interface{ declaredFrames() int64 }); ok {
		s.declared = d.declaredFrames()
	}
	if o, ok := s.src.(oggSource); ok {
		if ra, size, ok := readerAtSize(r); ok {
			s.declared = o.framesFromEnd(ra, size)
		}
	}
	if s.declared > maxDeclaredFrames {
		s.declared = -1 // a damaged header: the length is found by decoding
	}
	// A header may claim anything: a 96 KB WAV declaring 1 Hz would be resampled to 16,000 times as many
	// samples. Real recordings lie well inside these bounds.
	if s.rate < MinSampleRate || s.rate > MaxSampleRate || s.channels > MaxChannels {
		return nil, fmt.Errorf("audio: %s: the %s header claims %d Hz and %d channels; musicrep reads %d–%d Hz and at "+
			"most %d channels (a damaged header, or not an audio recording): re-encode the file", name, format,
			s.rate, s.channels, MinSampleRate, MaxSampleRate, MaxChannels)
	}
	return s, nil
}

// maxDeclaredFrames bounds the length a container may claim (2^40 frames: 16 days at 768 kHz); a larger claim is
// ignored, not trusted.
const maxDeclaredFrames = 1 << 40

// The sample rates and channel counts a stream may declare (NewStream refuses others).
const (
	MinSampleRate = 4000
	MaxSampleRate = 768000
	MaxChannels   = 64
)

// readerAtSize gives random access to r and its size when r is a regular file, a *bytes.Reader or similar.
func readerAtSize(r io.Reader) (io.ReaderAt, int64, bool) {
	ra, ok := r.(io.ReaderAt)
	if !ok {
		return nil, 0, false
	}
	switch v := r.(type) {
	case interface{ Stat() (os.FileInfo, error) }:
		fi, err := v.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			return nil, 0, false
		}
		return ra, fi.Size(), true
	case interface{ Size() int64 }:
		return ra, v.Size(), true
	}
	return nil, 0, false
}

// declaredFrames is the length in frames (samples per channel) that the container announces, before decoding:
// the WAV data chunk's size, FLAC's STREAMINFO sample count, the MP3 frame count (less the LAME encoder delay and
// padding), the granule position of the last Ogg page of a seekable file. It is -1 when the container does not
// say (a streamed WAV, a FLAC without the count, an Ogg stream that is not a file). It is a claim: the decoded
// length can differ when the file is damaged, and [MelFile] checks it.
func (s *Stream) declaredFrames() int64 { return s.declared }

// DeclaredFrames is the length in frames that the container announces before decoding, -1 when it does not say
// (see declaredFrames: a claim, which a damaged file can contradict).
func (s *Stream) DeclaredFrames() int64 { return s.declared }

// Name is the file name given to [Open] or [NewStream].
func (s *Stream) Name() string { return s.name }

// Format is the sniffed file format.
func (s *Stream) Format() Format { return s.format }

// SampleRate is the stream's sample rate in Hz.
func (s *Stream) SampleRate() int { return s.rate }

// Channels is the number of interleaved channels.
func (s *Stream) Channels() int { return s.channels }

// Close closes the file opened by [Open].
func (s *Stream) Close() error {
	if s.closer != nil {
		err := s.closer.Close()
		s.closer = nil
		return err
	}
	return nil
}

// Read fills dst with interleaved samples (a multiple of Channels) and returns how many it wrote; it returns io.EOF
// at the end of the stream and a descriptive error if the file is malformed or truncated.
func (s *Stream) Read(dst []float32) (int, error) {
	dst = dst[:len(dst)/s.channels*s.channels]
	n := 0
	for n < len(dst) {
		if len(s.pending) == 0 {
			if s.err != nil {
				break
			}
			block, err := s.src.next()
			if err != nil {
				s.err = err
				if !errors.Is(err, io.EOF) {
					s.err = fmt.Errorf("audio: %s: %w", s.name, err)
				}
				break
			}
			s.pending = block
		}
		c := copy(dst[n:], s.pending)
		s.pending = s.pending[c:]
		n += c
	}
	if n > 0 {
		return n, nil
	}
	if len(dst) == 0 && s.err == nil {
		return 0, nil
	}
	return 0, s.err
}

// ReadMono fills dst with mono samples, the mean of the channels (as librosa.load(mono=True) and Essentia's
// MonoLoader mix down), and returns how many it wrote; io.EOF at the end of the stream.
func (s *Stream) ReadMono(dst []float32) (int, error) {
	if s.channels == 1 {
		return s.Read(dst)
	}
	n := 0
	for n < len(dst) {
		if len(s.pending) == 0 {
			if s.err != nil {
				break
			}
			block, err := s.src.next()
			if err != nil {
				s.err = err
				if !errors.Is(err, io.EOF) {
					s.err = fmt.Errorf("audio: %s: %w", s.name, err)
				}
				break
			}
			s.pending = block
		}
		frames := min(len(s.pending)/s.channels, len(dst)-n)
		mixDown(dst[n:n+frames], s.pending[:frames*s.channels], s.channels)
		s.pending = s.pending[frames*s.channels:]
		n += frames
	}
	if n > 0 {
		return n, nil
	}
	return 0, s.err
}

// mixDown writes the mean of each frame's channels into dst. The sum is in float32 in channel order, as numpy's
// mean over a float32 axis of length 2 does, so stereo mixes match librosa bit for bit.
func mixDown(dst, interleaved []float32, channels int) {
	if channels == 2 {
		mixStereo(dst, interleaved)
		return
	}
	mixDownGeneral(dst, interleaved, channels)
}

// mixStereo is mixDown for two channels: mixStereoScalar, or an AVX version with the same operations
// (mix_simd_amd64.go).
var mixStereo = mixStereoScalar

func mixStereoScalar(dst, interleaved []float32) {
	interleaved = interleaved[:2*len(dst)]
	for i := range dst {
		dst[i] = (interleaved[2*i] + interleaved[2*i+1]) / 2
	}
}

func mixDownGeneral(dst, interleaved []float32, channels int) {
	inv := 1 / float32(channels)
	for i := range dst {
		var sum float32
		for _, v := range interleaved[i*channels : (i+1)*channels] {
			sum += v
		}
		dst[i] = sum * inv
	}
}

// allFinite says whether no value of x is NaN or ±Inf (exponent bits all ones): a scalar loop, or an AVX2 one
// (mix_simd_amd64.go).
var allFinite = func(x []float32) bool {
	for _, v := range x {
		if math.Float32bits(v)&0x7f800000 == 0x7f800000 {
			return false
		}
	}
	return true
}

// Audio is a decoded signal: interleaved float32 samples.
type Audio struct {
	Samples    []float32 // interleaved, len = frames × Channels
	SampleRate int
	Channels   int
}

// Frames is the number of samples per channel.
func (a *Audio) Frames() int { return len(a.Samples) / a.Channels }

// Duration in seconds.
func (a *Audio) Duration() float64 { return float64(a.Frames()) / float64(a.SampleRate) }

// Mono returns the mean of the channels (a copy when there is one channel).
func (a *Audio) Mono() []float32 {
	out := make([]float32, a.Frames())
	if a.Channels == 1 {
		copy(out, a.Samples)
		return out
	}
	mixDown(out, a.Samples, a.Channels)
	return out
}

// Decode decodes a whole file into memory.
func Decode(path string) (*Audio, error) {
	s, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return readAll(s)
}

func readAll(s *Stream) (*Audio, error) {
	a := &Audio{SampleRate: s.rate, Channels: s.channels}
	buf := make([]float32, 16384*s.channels)
	for {
		n, err := s.Read(buf)
		a.Samples = append(a.Samples, buf[:n]...)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if err := checkFinite(a.Samples, s.name, 0); err != nil {
		return nil, err
	}
	return a, nil
}

// Load decodes a file, mixes it down to mono and resamples it to rate (0 keeps the file's rate), in a streaming
// way: only the output signal is held in memory (64 KB per second at 16 kHz: 230 MB for an hour). It is the
// equivalent of librosa.load(path, sr=rate, mono=True). [LoadBlocks] hands the same signal out in blocks without
// holding it; [MelFile] and [MelFrames] never hold it.
func Load(path string, rate int) ([]float32, error) {
	var out []float32
	err := LoadBlocks(path, rate, func(block []float32) error {
		out = append(out, block...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// LoadBlocks is [Load] as a stream: it calls fn with consecutive blocks of the mono signal at rate (0 keeps the
// file's rate), each valid only during the call, in memory bounded for any file length (one block of at most
// 32768 decoded samples per channel and the resampler's filter). An error from fn stops the decoding and is
// returned; a decoding error after some blocks were handed out is returned too, so fn may have seen the first
// part of a file that turns out damaged.
func LoadBlocks(path string, rate int, fn func(block []float32) error) error {
	s, err := Open(path)
	if err != nil {
		return err
	}
	defer s.Close()
	_, err = streamMono(s, rate, DefaultResamplerOptions(), 0, math.MaxInt64, fn)
	return err
}

// streamMono decodes s to mono, resamples to rate (0: the stream's rate) and hands the output samples with index
// in [from, to) to emit, in blocks; the whole file is decoded and checked either way (a damaged end is an error),
// but the resampler computes only the samples asked for. It returns the number of frames (samples per channel)
// decoded.
func streamMono(s *Stream, rate int, ropt ResamplerOptions, from, to int64, emit func([]float32) error) (int64, error) {
	if rate == 0 {
		rate = s.rate
	}
	var rs *Resampler
	if rate != s.rate {
		var err error
		if rs, err = NewResampler(s.rate, rate, ropt); err != nil {
			return 0, fmt.Errorf("audio: %s: %w", s.name, err)
		}
		rs.window(from, to)
	}
	next, stop := monoChunks(s, 32768)
	defer stop()
	var out []float32
	var read int64
	for {
		in, err := next()
		if n := len(in); n > 0 {
			if err := checkFinite(in[:n], s.name, read); err != nil {
				return read, err
			}
			switch {
			case rs == nil:
				// Output index = input index: emit the part of [read, read+n) inside the window.
				lo, hi := max(from, read), min(to, read+int64(n))
				if lo < hi {
					if err := emit(in[lo-read : hi-read]); err != nil {
						return read, err
					}
				}
			case rs.outCount < to: // past the window, the rest is only decoded and counted
				out = rs.Process(out[:0], in[:n])
				if len(out) > 0 {
					if err := emit(out); err != nil {
						return read, err
					}
				}
			}
			read += int64(n)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return read, err
		}
	}
	if rs != nil && rs.outCount < to {
		out = rs.Flush(out[:0])
		if len(out) > 0 {
			if err := emit(out); err != nil {
				return read, err
			}
		}
	}
	return read, nil
}

// monoChunks hands out s's mono samples (ReadMono) in chunks of up to size samples: next returns the next chunk,
// valid until the following call, and the error ReadMono gave with it (io.EOF at the end); no call may follow an
// error. With GOMAXPROCS > 1 a goroutine decodes one chunk ahead, so decoding overlaps the caller's work on the
// previous chunk (resampling and the mel frames: the front-end's wall time on two cores, BENCHMARKS.md §F); the
// chunks and their order are the same either way, so results are bit-identical (TestMelFileThreadsIdentical).
// stop ends the goroutine and waits for it: call it before s is used again or closed. Memory: three chunks
// instead of one.
func monoChunks(s *Stream, size int) (next func() ([]float32, error), stop func()) {
	if runtime.GOMAXPROCS(0) < 2 {
		buf := make([]float32, size)
		return func() ([]float32, error) {
			n, err := s.ReadMono(buf)
			return buf[:n], err
		}, func() {}
	}
	type chunk struct {
		x   []float32
		err error
	}
	full := make(chan chunk, 1)
	free := make(chan []float32, 3)
	for range 3 {
		free <- make([]float32, size)
	}
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		defer close(full)
		for {
			var buf []float32
			select {
			case buf = <-free:
			case <-quit:
				return
			}
			n, err := s.ReadMono(buf)
			select {
			case full <- chunk{buf[:n], err}:
			case <-quit:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	var held []float32
	next = func() ([]float32, error) {
		if held != nil {
			free <- held[:cap(held)] // never blocks: three buffers, three slots
			held = nil
		}
		c, ok := <-full
		if !ok {
			return nil, io.EOF
		}
		held = c.x
		return c.x, c.err
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			close(quit)
			<-done
		})
	}
	return next, stop
}

// checkFinite rejects NaN and ±Inf samples (a float WAV can hold them; they would poison every frame they touch).
// offset is the index of x[0] in the signal, for the message.
func checkFinite(x []float32, name string, offset int64) error {
	if allFinite(x) {
		return nil
	}
	for i, v := range x {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("audio: %s: sample %d is %v: the signal must be finite", name, offset+int64(i), v)
		}
	}
	return nil
}
