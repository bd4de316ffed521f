package audio

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/hajimehoshi/go-mp3"
)

// mp3Header is a parsed MPEG audio Layer III frame header.
type mp3Header struct {
	mpeg1    bool
	rate     int
	length   int // frame length in bytes, header included
	samples  int // samples per channel: 1152 (MPEG-1) or 576 (MPEG-2/2.5)
	mono     bool
	crc      bool
	sideInfo int
}

var (
	mp3BitratesV1 = [16]int{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, -1}
	mp3BitratesV2 = [16]int{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, -1}
	mp3Rates      = [3]int{44100, 48000, 32000}
)

// parseMP3Header parses 4 bytes as a Layer III frame header; ok is false if they are not one. Free-format
// streams (bitrate index 0) are reported as not a header.
func parseMP3Header(b []byte) (h mp3Header, ok bool) {
	if len(b) < 4 || b[0] != 0xFF || b[1]&0xE0 != 0xE0 {
		return h, false
	}
	version := (b[1] >> 3) & 3 // 3 MPEG-1, 2 MPEG-2, 0 MPEG-2.5
	layer := (b[1] >> 1) & 3   // 1 = Layer III
	brIndex := b[2] >> 4
	srIndex := (b[2] >> 2) & 3
	if version == 1 || layer != 1 || brIndex == 0 || brIndex == 15 || srIndex == 3 {
		return h, false
	}
	h.mpeg1 = version == 3
	h.rate = mp3Rates[srIndex]
	bitrate := mp3BitratesV1[brIndex]
	coef := 144000
	h.samples = 1152
	if !h.mpeg1 {
		bitrate = mp3BitratesV2[brIndex]
		coef = 72000
		h.samples = 576
		h.rate /= 2
		if version == 0 {
			h.rate /= 2
		}
	}
	h.length = coef*bitrate/h.rate + int((b[2]>>1)&1)
	h.mono = b[3]>>6 == 3
	h.crc = b[1]&1 == 0
	switch {
	case h.mpeg1 && h.mono:
		h.sideInfo = 17
	case h.mpeg1:
		h.sideInfo = 32
	case h.mono:
		h.sideInfo = 9
	default:
		h.sideInfo = 17
	}
	return h, true
}

// mp3Scan is what a pass over the frame headers tells: where the audio frames are and the gapless information of a
// LAME/Xing header.
type mp3Scan struct {
	first       mp3Header
	start, end  int64 // byte range of the audio frames (from the first frame, Xing frame included)
	frames      int   // audio frames, the Xing/Info frame excluded
	hasXing     bool
	delay, pad  int // encoder delay and padding from the LAME tag (samples per channel)
	haveGapless bool
}

// scanMP3 walks the frames of an MP3 file of the given size. It returns an error wrapping ErrTruncated if the last
// frame is cut off, so that a truncated file is never silently decoded shorter.
func scanMP3(r io.Reader, size int64) (*mp3Scan, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	var pos int64
	skip := func(n int64) error {
		c, err := io.CopyN(io.Discard, br, n)
		pos += c
		return err
	}
	// ID3v2 tags (possibly several) at the start.
	for {
		b, _ := br.Peek(10)
		if len(b) < 10 || string(b[:3]) != "ID3" {
			break
		}
		tagSize := int64(b[6]&0x7F)<<21 | int64(b[7]&0x7F)<<14 | int64(b[8]&0x7F)<<7 | int64(b[9]&0x7F)
		tagSize += 10
		if b[5]&0x10 != 0 {
			tagSize += 10 // footer
		}
		if pos+tagSize > size {
			return nil, fmt.Errorf("%w: the ID3v2 tag at byte %d (%d bytes) runs past the end of the file (%d bytes)",
				ErrTruncated, pos, tagSize, size)
		}
		if err := skip(tagSize); err != nil {
			return nil, err
		}
	}
	s := &mp3Scan{}
	// Find the first frame: its header must be followed by another valid header (or the end of the file).
	const maxJunk = 1 << 16
	for junk := 0; ; junk++ {
		b, _ := br.Peek(4)
		if len(b) < 4 {
			return nil, fmt.Errorf("no MPEG Layer III frame found (searched from byte %d to the end of the file)",
				pos-int64(junk))
		}
		if h, ok := parseMP3Header(b); ok {
			nb, _ := br.Peek(h.length + 4)
			if len(nb) == h.length+4 {
				if _, ok2 := parseMP3Header(nb[h.length:]); ok2 {
					s.first, s.start = h, pos
					break
				}
			} else if pos+int64(h.length) <= size {
				s.first, s.start = h, pos
				break
			}
		}
		if junk >= maxJunk {
			return nil, fmt.Errorf("no MPEG Layer III frame in the first %d bytes after byte %d", maxJunk,
				pos-int64(junk))
		}
		if err := skip(1); err != nil {
			return nil, err
		}
	}
	// Xing/Info and LAME tags live in the first frame, after the side information.
	if fb, _ := br.Peek(s.first.length); len(fb) == s.first.length {
		off := 4 + s.first.sideInfo
		if s.first.crc {
			off += 2
		}
		if off+8 <= len(fb) && (string(fb[off:off+4]) == "Xing" || string(fb[off:off+4]) == "Info") {
			s.hasXing = true
			flags := binary.BigEndian.Uint32(fb[off+4:])
			p := off + 8
			for bit, n := range []int{4, 4, 100, 4} { // frames, bytes, TOC, quality
				if flags&(1<<bit) != 0 {
					p += n
				}
			}
			// The LAME extension: 9-byte encoder version, then encoder delay and padding (12 bits each) at +21.
			if p+24 <= len(fb) && (bytes.HasPrefix(fb[p:], []byte("LAME")) || bytes.HasPrefix(fb[p:], []byte("Lavc")) ||
				bytes.HasPrefix(fb[p:], []byte("Lavf"))) {
				d := fb[p+21:]
				s.delay = int(d[0])<<4 | int(d[1])>>4
				s.pad = int(d[1]&0x0F)<<8 | int(d[2])
				s.haveGapless = true
			}
		}
	}
	// Walk the frames.
	index := 0
	for {
		b, _ := br.Peek(4)
		if len(b) == 0 {
			break
		}
		h, ok := parseMP3Header(b)
		if !ok {
			// Trailing tags (ID3v1 "TAG", APE "APETAGEX", Lyrics3) or junk after the last frame: the audio ends here.
			break
		}
		if pos+int64(h.length) > size {
			return nil, fmt.Errorf("%w: MP3 frame %d at byte %d is %d bytes long but the file ends at byte %d",
				ErrTruncated, index, pos, h.length, size)
		}
		if h.rate != s.first.rate {
			return nil, fmt.Errorf("MP3 frame %d at byte %d is at %d Hz, the stream started at %d Hz", index, pos,
				h.rate, s.first.rate)
		}
		if err := skip(int64(h.length)); err != nil {
			return nil, err
		}
		index++
	}
	s.end = pos
	s.frames = index
	if s.hasXing {
		s.frames--
	}
	return s, nil
}

// mp3DecoderDelay is the delay of the MPEG Layer III synthesis filterbank (529 samples), which gapless decoders
// (mpg123, as used by libsndfile) remove together with the encoder delay.
const mp3DecoderDelay = 529

type mp3Source struct {
	dec      *mp3.Decoder
	skip     int   // samples per channel still to drop at the start
	left     int64 // samples per channel still to output; -1 when unknown (no gapless info)
	raw      []byte
	out      []float32
	channels int
	declared int64
}

func (m *mp3Source) declaredFrames() int64 { return m.declared }

func newMP3Source(rs io.ReadSeeker, name string) (source, int, int, error) {
	size, err := rs.Seek(0, io.SeekEnd)
	if err == nil {
		_, err = rs.Seek(0, io.SeekStart)
	}
	if err != nil {
		return nil, 0, 0, fmt.Errorf("audio: %s: %w", name, err)
	}
	scan, err := scanMP3(rs, size)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("audio: %s: MP3: %w", name, err)
	}
	ra, ok := rs.(io.ReaderAt)
	if !ok {
		if _, err := rs.Seek(0, io.SeekStart); err != nil {
			return nil, 0, 0, fmt.Errorf("audio: %s: %w", name, err)
		}
		data, err := io.ReadAll(rs)
		if err != nil {
			return nil, 0, 0, fmt.Errorf("audio: %s: %w", name, err)
		}
		ra = bytes.NewReader(data)
	}
	// go-mp3 sees exactly the audio frames (tags cut off), so it never meets a partial frame.
	dec, err := mp3.NewDecoder(io.NewSectionReader(ra, scan.start, scan.end-scan.start))
	if err != nil {
		return nil, 0, 0, fmt.Errorf("audio: %s: MP3: %w", name, err)
	}
	m := &mp3Source{dec: dec, left: -1, raw: make([]byte, 4*4096), channels: 2}
	if scan.first.mono {
		m.channels = 1
	}
	if scan.hasXing {
		// go-mp3 decodes the Xing/Info frame as a frame of silence.
		m.skip = scan.first.samples
	}
	m.declared = int64(scan.frames * scan.first.samples)
	if scan.haveGapless {
		m.skip += scan.delay + mp3DecoderDelay
		m.left = int64(scan.frames*scan.first.samples - scan.delay - scan.pad)
		m.declared = m.left
		if m.left < 0 {
			m.declared = -1
		}
	}
	return m, scan.first.rate, m.channels, nil
}

func (m *mp3Source) next() ([]float32, error) {
	for {
		if m.left == 0 {
			return nil, io.EOF
		}
		n, err := io.ReadFull(m.dec, m.raw)
		n -= n % 4
		if n == 0 {
			if err == nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, io.EOF
			}
			return nil, fmt.Errorf("MP3: %w", err)
		}
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("MP3: %w", err)
		}
		frames := n / 4 // go-mp3 always writes 16-bit stereo
		raw := m.raw[:n]
		if m.skip > 0 {
			d := min(m.skip, frames)
			m.skip -= d
			raw = raw[4*d:]
			frames -= d
		}
		if m.left >= 0 && int64(frames) > m.left {
			frames = int(m.left)
			raw = raw[:4*frames]
		}
		if m.left > 0 {
			m.left -= int64(frames)
		}
		if frames == 0 {
			continue
		}
		if cap(m.out) < frames*m.channels {
			m.out = make([]float32, frames*m.channels)
		}
		out := m.out[:frames*m.channels]
		if m.channels == 1 {
			for i := range out {
				out[i] = float32(int16(binary.LittleEndian.Uint16(raw[4*i:]))) / (1 << 15)
			}
		} else {
			for i := range out {
				out[i] = float32(int16(binary.LittleEndian.Uint16(raw[2*i:]))) / (1 << 15)
			}
		}
		return out, nil
	}
}
