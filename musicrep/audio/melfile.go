package audio

import (
	"fmt"
	"math"
)

// melStream is the chunked STFT: samples at the analysis rate are pushed in any chunks, each frame is computed as
// soon as its FrameSize samples are in and handed to emit, and only the samples the next frame needs are kept.
type melStream struct {
	a        *melAnalyzer
	buf      []float32
	bufStart int // absolute index of buf[0]
	n        int // samples pushed
	t        int // next frame
	tmp      []float32
	emit     func(t int, frame []float32) error
}

func newMelStream(opt MelOptions, emit func(t int, frame []float32) error) *melStream {
	return &melStream{a: newMelAnalyzer(opt), tmp: make([]float32, opt.Bands), emit: emit}
}

func (s *melStream) next(n int) error {
	s.a.analyze(s.buf, s.bufStart, n, s.t, s.tmp, 1)
	s.t++
	return s.emit(s.t-1, s.tmp)
}

func (s *melStream) push(x []float32) error {
	s.buf = append(s.buf, x...)
	s.n += len(x)
	hop, half := s.a.opt.HopSize, s.a.opt.FrameSize/2
	for s.t*hop+half <= s.n {
		if err := s.next(s.n); err != nil {
			return err
		}
	}
	// Keep from the first sample of the next frame on.
	if keep := s.t*hop - half; keep > s.bufStart {
		drop := min(keep-s.bufStart, len(s.buf))
		if drop > len(s.buf)/2 {
			n := copy(s.buf, s.buf[drop:])
			s.buf = s.buf[:n]
			s.bufStart += drop
		}
	}
	return nil
}

// finish computes the remaining frames (zero padding after the end) and returns the number of frames.
func (s *melStream) finish() (int, error) {
	total := frameCount(s.n, s.a.opt.HopSize)
	for s.t < total {
		if err := s.next(s.n); err != nil {
			return s.t, err
		}
	}
	return total, nil
}

// MelFile computes [MelSpectrogram] of a file (mixed down to mono) without holding the decoded file, in memory
// bounded for any file length except for the spectrogram it returns. Its result is bit-identical to
// MelSpectrogram(Decode(path).Mono(), rate, opt): see [MelFrames] for how.
func MelFile(path string, opt MelOptions) (*Mel, error) {
	var frameMajor []float32
	if opt.SegmentSeconds > 0 && opt.check() == nil {
		// The segment's frame count is known before the file is read: no regrowing (up to 16 MiB; a longer segment
		// than the file is an error found later, so it must not cost its size here).
		length := math.RoundToEven(opt.SegmentSeconds * float64(opt.SampleRate))
		if values := (length/float64(opt.HopSize) + 1) * float64(opt.Bands); values <= 1<<22 {
			frameMajor = make([]float32, 0, frameCount(int(length), opt.HopSize)*opt.Bands)
		}
	}
	frames, err := MelFrames(path, opt, func(_ int, frame []float32) error {
		frameMajor = append(frameMajor, frame...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	bands := opt.Bands
	m := &Mel{Bands: bands, Frames: frames, Data: make([]float32, bands*frames), SampleRate: opt.SampleRate,
		HopSize: opt.HopSize}
	for t := range frames {
		for b := range bands {
			m.Data[b*frames+t] = frameMajor[t*bands+b]
		}
	}
	return m, nil
}

// MelFrames computes the log-mel spectrogram of a file as [MelFile] does and hands it to fn one frame at a time
// (frame t's Bands values, valid during the call); it returns the number of frames. Memory is bounded for any
// file length: the decoder's block (at most one Ogg page, FLAC frame or 32768 samples per channel), the
// resampler's filter (~0.3 MB for 44.1 → 16 kHz) and history, one STFT frame of signal, and with a centred segment
// the segment's frames (Bands × 1,820 float32, 0.35 MB for 29.1 s with the defaults), which are handed out once the
// whole file has decoded without error. (MP3 adds go-mp3's index of frame offsets, 8 bytes a frame: 1.1 MB an
// hour.) With SegmentSeconds = 0 frames are handed out as they are computed, so fn
// may see the first frames of a file whose end turns out damaged (the error is then returned).
//
// The centred segment starts at (n − length)/2 of the n resampled samples, so n must be known before the segment
// goes by: it is computed from the length the container declares (WAV data size, FLAC STREAMINFO, the MP3 frame
// count and gapless header, the last Ogg page's granule position), and only the segment is resampled and analysed
// while the rest is decoded (and checked) without being kept. The decoded length is compared with the declared
// one; when the container does not say, or says wrong, the file is decoded a second time knowing its length.
func MelFrames(path string, opt MelOptions, fn func(t int, frame []float32) error) (int, error) {
	return melFrames(func() (*Stream, error) { return Open(path) }, opt, fn)
}

// melFrames is MelFrames over any stream that open can make (again, for a second pass).
func melFrames(open func() (*Stream, error), opt MelOptions, fn func(t int, frame []float32) error) (int, error) {
	if err := opt.check(); err != nil {
		return 0, err
	}
	s, err := open()
	if err != nil {
		return 0, err
	}
	defer func() { s.Close() }()
	if opt.SegmentSeconds == 0 {
		ms := newMelStream(opt, fn)
		if _, err := streamMono(s, opt.SampleRate, opt.Resampler, 0, math.MaxInt64, ms.push); err != nil {
			return 0, err
		}
		return ms.finish()
	}
	var seg []float32 // the segment's frames, frame-major
	n := s.declaredFrames()
	for pass := 0; ; pass++ {
		var from, to int64 // the segment, in samples at the analysis rate; empty while n is unknown
		var segErr error
		if n >= 0 {
			start, length, err := segmentBounds(int(resampledLength(n, s.rate, opt.SampleRate)), opt.SampleRate,
				opt.SegmentSeconds)
			if err != nil {
				segErr = err // reported once the whole file has decoded: a damaged file is reported as such
			} else {
				from, to = int64(start), int64(start+length)
				if seg == nil {
					seg = make([]float32, 0, frameCount(length, opt.HopSize)*opt.Bands)
				}
			}
		}
		seg = seg[:0]
		ms := newMelStream(opt, func(_ int, frame []float32) error {
			seg = append(seg, frame...)
			return nil
		})
		got, err := streamMono(s, opt.SampleRate, opt.Resampler, from, to, ms.push)
		if err != nil {
			return 0, err
		}
		if got == n {
			if segErr != nil {
				return 0, fmt.Errorf("audio: %s: %w", s.name, segErr)
			}
			if _, err := ms.finish(); err != nil {
				return 0, err
			}
			break
		}
		if pass > 0 {
			return 0, fmt.Errorf("audio: %s: the %s decoder gave %d frames, then %d from the same file", s.name,
				s.format, n, got)
		}
		// The container did not say how long the stream is, or said wrong: decode again knowing it.
		n = got
		s.Close()
		if s, err = open(); err != nil {
			return 0, err
		}
	}
	bands := opt.Bands
	frames := len(seg) / bands
	for t := range frames {
		if err := fn(t, seg[t*bands:(t+1)*bands]); err != nil {
			return t, err
		}
	}
	return frames, nil
}

// ArenaMel is the arena_mel spectrogram of one audio file as the Melon layout stores it: MelFile with
// DefaultMelOptions (the centred 29.1 s at 16 kHz, 48 Slaney bands, 2 × dB), returned as the 48 × T row-major
// values and T. It has the signature of melongen.MelFunc.
func ArenaMel(path string) ([]float32, int, error) {
	m, err := MelFile(path, DefaultMelOptions())
	if err != nil {
		return nil, 0, err
	}
	return m.Data, m.Frames, nil
}
