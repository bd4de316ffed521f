package audio

import "fmt"

// melStream is the chunked STFT: samples at the analysis rate are pushed in any chunks, each frame is computed as
// soon as its 512 samples are in, and only the samples the next frame needs are kept.
type melStream struct {
	a        *melAnalyzer
	buf      []float32
	bufStart int // absolute index of buf[0]
	n        int // samples pushed
	t        int // next frame
	frames   []float32
	tmp      []float32
}

func newMelStream(opt MelOptions) *melStream {
	return &melStream{a: newMelAnalyzer(opt), tmp: make([]float32, opt.Bands)}
}

func (s *melStream) emit(n int) {
	s.a.analyze(s.buf, s.bufStart, n, s.t, s.tmp, 1)
	s.frames = append(s.frames, s.tmp...)
	s.t++
}

func (s *melStream) push(x []float32) {
	s.buf = append(s.buf, x...)
	s.n += len(x)
	hop, half := s.a.opt.HopSize, s.a.opt.FrameSize/2
	for s.t*hop+half <= s.n {
		s.emit(s.n)
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
}

// finish computes the remaining frames (zero padding after the end) and returns the band-major spectrogram.
func (s *melStream) finish() *Mel {
	total := frameCount(s.n, s.a.opt.HopSize)
	for s.t < total {
		s.emit(s.n)
	}
	bands := s.a.opt.Bands
	m := &Mel{Bands: bands, Frames: total, Data: make([]float32, bands*total), SampleRate: s.a.opt.SampleRate,
		HopSize: s.a.opt.HopSize}
	for t := range total {
		for b := range bands {
			m.Data[b*total+t] = s.frames[t*bands+b]
		}
	}
	return m
}

// MelFile computes [MelSpectrogram] of a file (mixed down to mono) without holding the decoded file: it decodes,
// mixes down and resamples in blocks of 32768 samples. Its result is bit-identical to
// MelSpectrogram(Decode(path).Mono(), rate, opt).
//
// Memory: decoding holds one block (at most one Ogg page, FLAC frame or 32768 samples per channel), the resampler
// its filter table (~0.3 MB for 44.1 → 16 kHz) and one filter length of input. With SegmentSeconds = 0 the STFT
// runs as the samples arrive and holds about one frame of signal; only the output grows (Bands × T float32: 7.2 MB
// for 10 minutes with the defaults, held twice while it is transposed at the end). With a centred
// segment the segment's position depends on the total length, which most formats do not state reliably, so the
// mono signal at the analysis rate is kept (64 KB per second at 16 kHz: 38 MB for 10 minutes, against 230 MB for
// the decoded 48 kHz stereo float32 signal, which is never held) and only the segment is analysed.
func MelFile(path string, opt MelOptions) (*Mel, error) {
	if err := opt.check(); err != nil {
		return nil, err
	}
	s, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	ms := newMelStream(opt)
	var keep []float32
	err = streamMono(s, opt.SampleRate, opt.Resampler, func(block []float32) error {
		if opt.SegmentSeconds > 0 {
			keep = append(keep, block...)
		} else {
			ms.push(block)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if opt.SegmentSeconds > 0 {
		seg, err := CentreSegment(keep, opt.SampleRate, opt.SegmentSeconds)
		if err != nil {
			return nil, fmt.Errorf("audio: %s: %w", path, err)
		}
		ms.push(seg)
	}
	return ms.finish(), nil
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
