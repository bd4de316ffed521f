package audio

import (
	"errors"
	"fmt"
	"io"

	"github.com/mewkiz/flac"
)

// countingReader counts the bytes read through it, for error positions.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

type flacSource struct {
	stream   *flac.Stream
	cr       *countingReader
	channels int
	scale    float32
	total    uint64 // samples per channel announced by STREAMINFO; 0 = unknown
	decoded  uint64
	frames   int
	out      []float32
}

func newFLACSource(r io.Reader, name string) (source, int, int, error) {
	cr := &countingReader{r: r}
	stream, err := flac.New(cr)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("%w: the metadata blocks are cut off at byte %d", ErrTruncated, cr.n)
		}
		return nil, 0, 0, fmt.Errorf("audio: %s: FLAC: %w", name, err)
	}
	info := stream.Info
	if info.BitsPerSample < 4 || info.BitsPerSample > 32 || info.NChannels < 1 {
		return nil, 0, 0, fmt.Errorf("audio: %s: FLAC: STREAMINFO says %d channels of %d bits", name,
			info.NChannels, info.BitsPerSample)
	}
	f := &flacSource{
		stream:   stream,
		cr:       cr,
		channels: int(info.NChannels),
		scale:    1 / float32(uint64(1)<<(info.BitsPerSample-1)),
		total:    info.NSamples,
	}
	return f, int(info.SampleRate), f.channels, nil
}

func (f *flacSource) declaredFrames() int64 {
	if f.total == 0 || f.total > 1<<62 {
		return -1
	}
	return int64(f.total)
}

func (f *flacSource) next() ([]float32, error) {
	fr, err := f.stream.ParseNext()
	if err != nil {
		if errors.Is(err, io.EOF) {
			if f.total != 0 && f.decoded < f.total {
				return nil, fmt.Errorf("%w: FLAC stream ends after frame %d (sample %d of %d announced by "+
					"STREAMINFO) at byte %d", ErrTruncated, f.frames, f.decoded, f.total, f.cr.n)
			}
			return nil, io.EOF
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: FLAC frame %d (from sample %d) is cut off; the file ends at byte %d",
				ErrTruncated, f.frames, f.decoded, f.cr.n)
		}
		return nil, fmt.Errorf("FLAC frame %d (from sample %d, read up to byte %d): %w", f.frames, f.decoded,
			f.cr.n, err)
	}
	if len(fr.Subframes) != f.channels {
		return nil, fmt.Errorf("FLAC frame %d has %d channels, STREAMINFO says %d", f.frames, len(fr.Subframes),
			f.channels)
	}
	n := int(fr.BlockSize)
	if cap(f.out) < n*f.channels {
		f.out = make([]float32, n*f.channels)
	}
	out := f.out[:n*f.channels]
	// Frames may have a different bit depth from STREAMINFO in theory; the scale follows the frame header.
	scale := f.scale
	if fr.BitsPerSample != 0 {
		scale = 1 / float32(uint64(1)<<(fr.BitsPerSample-1))
	}
	for c, sub := range fr.Subframes {
		if len(sub.Samples) < n {
			return nil, fmt.Errorf("FLAC frame %d channel %d has %d samples, want %d", f.frames, c,
				len(sub.Samples), n)
		}
		for i, v := range sub.Samples[:n] {
			out[i*f.channels+c] = float32(v) * scale
		}
	}
	f.frames++
	f.decoded += uint64(n)
	return out, nil
}
