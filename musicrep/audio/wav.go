package audio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// WAV format tags.
const (
	wavFormatPCM        = 1
	wavFormatFloat      = 3
	wavFormatExtensible = 0xFFFE
)

// maxFmtChunk bounds the fmt chunk's size (16 bytes for PCM, 18 or 40 with extensions; a few more are tolerated).
const maxFmtChunk = 1 << 10

// wavSource reads a RIFF/WAVE file's data chunk. It is a plain chunk walker: fmt must precede data (as RIFF
// requires), other chunks are skipped.
type wavSource struct {
	r        io.Reader
	name     string
	pos      int64 // byte offset in the file of the next unread byte
	left     int64 // bytes of the data chunk still to read; -1 when the size is unknown (streamed WAV)
	dataEnd  int64
	format   int // wavFormatPCM or wavFormatFloat
	bits     int
	channels int
	frame    int // bytes per frame
	order    binary.ByteOrder
	raw      []byte
	out      []float32
}

func newWAVSource(r io.Reader, name string) (source, int, int, error) {
	w := &wavSource{r: r, name: name, order: binary.LittleEndian}
	fail := func(format string, args ...any) (source, int, int, error) {
		return nil, 0, 0, fmt.Errorf("audio: %s: WAV: "+format, append([]any{name}, args...)...)
	}
	var hdr [12]byte
	if err := w.readFull(hdr[:]); err != nil {
		return fail("RIFF header: %w", err)
	}
	if string(hdr[:4]) == "RIFX" {
		w.order = binary.BigEndian
	}
	rate := 0
	haveFmt := false
	for {
		var ch [8]byte
		chunkAt := w.pos
		if err := w.readFull(ch[:]); err != nil {
			if errors.Is(err, io.EOF) {
				return fail("no data chunk (file ends at byte %d)", chunkAt)
			}
			return fail("chunk header at byte %d: %w", chunkAt, err)
		}
		id, size := string(ch[:4]), int64(w.order.Uint32(ch[4:]))
		switch id {
		case "fmt ":
			if size < 16 || size > maxFmtChunk {
				// The size is read before anything is allocated: a header claiming 4 GB must not get 4 GB.
				return fail("fmt chunk at byte %d claims %d bytes; a fmt chunk holds 16 to 40 (a damaged header)",
					chunkAt, size)
			}
			body := make([]byte, size)
			if err := w.readFull(body); err != nil {
				return fail("fmt chunk at byte %d: %w", chunkAt, err)
			}
			tag := int(w.order.Uint16(body[0:]))
			w.channels = int(w.order.Uint16(body[2:]))
			rate = int(w.order.Uint32(body[4:]))
			blockAlign := int(w.order.Uint16(body[12:]))
			w.bits = int(w.order.Uint16(body[14:]))
			if tag == wavFormatExtensible {
				if size < 40 {
					return fail("WAVE_FORMAT_EXTENSIBLE fmt chunk at byte %d is %d bytes, want 40", chunkAt, size)
				}
				tag = int(w.order.Uint16(body[24:])) // first two bytes of the sub-format GUID
			}
			if tag != wavFormatPCM && tag != wavFormatFloat {
				return fail("sample format tag %#x is not supported (PCM integer or IEEE float only; compressed WAV "+
					"such as ADPCM or µ-law is not)", tag)
			}
			w.format = tag
			switch {
			case tag == wavFormatPCM && (w.bits == 8 || w.bits == 16 || w.bits == 24 || w.bits == 32):
			case tag == wavFormatFloat && (w.bits == 32 || w.bits == 64):
			default:
				return fail("%d-bit samples with format tag %d are not supported (PCM 8/16/24/32, float 32/64)",
					w.bits, tag)
			}
			if w.channels < 1 || rate < 1 {
				return fail("fmt chunk says %d channels at %d Hz", w.channels, rate)
			}
			w.frame = w.channels * w.bits / 8
			if blockAlign != w.frame {
				return fail("block align %d does not match %d channels × %d bits", blockAlign, w.channels, w.bits)
			}
			if size%2 == 1 {
				w.skip(1)
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return fail("data chunk at byte %d comes before the fmt chunk", chunkAt)
			}
			w.left = size
			if size == 0xFFFFFFFF {
				w.left = -1 // streamed WAV with an unfinalised header: read to the end of the file
			}
			w.dataEnd = w.pos + size
			w.raw = make([]byte, 4096*w.frame)
			return w, rate, w.channels, nil
		default:
			if err := w.skip(size + size%2); err != nil {
				return fail("chunk %q at byte %d (%d bytes): %w", id, chunkAt, size, err)
			}
		}
	}
}

func (w *wavSource) declaredFrames() int64 {
	if w.left < 0 {
		return -1
	}
	return w.left / int64(w.frame)
}

func (w *wavSource) readFull(p []byte) error {
	n, err := io.ReadFull(w.r, p)
	w.pos += int64(n)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: the file ends at byte %d", ErrTruncated, w.pos)
	}
	return err
}

func (w *wavSource) skip(n int64) error {
	c, err := io.CopyN(io.Discard, w.r, n)
	w.pos += c
	if err != nil {
		return fmt.Errorf("%w: the file ends at byte %d", ErrTruncated, w.pos)
	}
	return nil
}

func (w *wavSource) next() ([]float32, error) {
	if w.left == 0 {
		return nil, io.EOF
	}
	want := int64(len(w.raw))
	if w.left > 0 && w.left < want {
		want = w.left
	}
	n, err := io.ReadFull(w.r, w.raw[:want])
	w.pos += int64(n)
	if w.left > 0 {
		w.left -= int64(n)
	}
	if err != nil {
		if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("WAV: read at byte %d: %w", w.pos, err)
		}
		if w.left > 0 {
			return nil, fmt.Errorf("%w: WAV data chunk should end at byte %d but the file ends at byte %d",
				ErrTruncated, w.dataEnd, w.pos)
		}
		w.left = 0 // unknown-size data chunk: the end of the file is the end of the data
		if n == 0 {
			return nil, io.EOF
		}
	}
	if n%w.frame != 0 {
		if w.left == 0 || err != nil {
			return nil, fmt.Errorf("%w: WAV data ends at byte %d inside a %d-byte sample frame", ErrTruncated,
				w.pos, w.frame)
		}
		// A short read in the middle of the data: read the rest of the frame.
		rest := w.frame - n%w.frame
		m, err := io.ReadFull(w.r, w.raw[n:n+rest])
		w.pos += int64(m)
		w.left -= int64(m)
		if err != nil {
			return nil, fmt.Errorf("%w: WAV data ends at byte %d inside a sample frame", ErrTruncated, w.pos)
		}
		n += m
	}
	return w.convert(w.raw[:n]), nil
}

// convert maps raw samples to float32 in [-1, 1) as libsndfile does: integers divided by 2^(bits-1) (8-bit WAV is
// unsigned, offset 128); floats as stored.
func (w *wavSource) convert(b []byte) []float32 {
	count := len(b) / (w.bits / 8)
	if cap(w.out) < count {
		w.out = make([]float32, count)
	}
	out := w.out[:count]
	switch {
	case w.format == wavFormatFloat && w.bits == 32:
		for i := range out {
			out[i] = math.Float32frombits(w.order.Uint32(b[4*i:]))
		}
	case w.format == wavFormatFloat && w.bits == 64:
		for i := range out {
			out[i] = float32(math.Float64frombits(w.order.Uint64(b[8*i:])))
		}
	case w.bits == 8:
		for i := range out {
			out[i] = float32(int(b[i])-128) / 128
		}
	case w.bits == 16:
		for i := range out {
			out[i] = float32(int16(w.order.Uint16(b[2*i:]))) / (1 << 15)
		}
	case w.bits == 24:
		for i := range out {
			var v int32
			if w.order == binary.LittleEndian {
				v = int32(uint32(b[3*i])<<8|uint32(b[3*i+1])<<16|uint32(b[3*i+2])<<24) >> 8
			} else {
				v = int32(uint32(b[3*i+2])<<8|uint32(b[3*i+1])<<16|uint32(b[3*i])<<24) >> 8
			}
			out[i] = float32(v) / (1 << 23)
		}
	case w.bits == 32:
		for i := range out {
			out[i] = float32(float64(int32(w.order.Uint32(b[4*i:]))) / (1 << 31))
		}
	}
	return out
}
