package audio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/musicrep/musicrep/musicrep/audio/internal/vorbis"
	"github.com/pion/opus"
)

// oggPacket is one logical packet of the first logical stream of an Ogg file.
type oggPacket struct {
	data    []byte
	granule int64 // the page's granule position if this packet is the last one completed on its page, else -1
	page    int64 // byte offset of the page on which the packet ends
	index   int   // packet number in the stream, from 0
	eos     bool  // last packet of the stream
}

// oggDemuxer splits the first logical stream of an Ogg file (RFC 3533) into packets, checking page CRCs. Pages of
// other multiplexed streams are skipped; a chained stream ends at its first end-of-stream page.
type oggDemuxer struct {
	r       io.Reader
	pos     int64
	serial  uint32
	started bool
	done    bool
	queue   []oggPacket
	partial []byte
	packets int
	lastEnd int64 // byte offset just past the last complete page
	header  [27]byte
	table   [255]byte
	body    []byte
}

var oggCRCTable = func() (t [256]uint32) {
	for i := range t {
		r := uint32(i) << 24
		for range 8 {
			if r&0x80000000 != 0 {
				r = r<<1 ^ 0x04C11DB7
			} else {
				r <<= 1
			}
		}
		t[i] = r
	}
	return t
}()

func oggCRC(crc uint32, b []byte) uint32 {
	// Slicing by 8: eight bytes per step through eight tables (oggCRCTables), then byte by byte; the same CRC as the
	// byte-at-a-time loop (TestOggCRCSlicing).
	t := &oggCRCTables
	for len(b) >= 8 {
		crc ^= binary.BigEndian.Uint32(b)
		crc = t[7][crc>>24] ^ t[6][byte(crc>>16)] ^ t[5][byte(crc>>8)] ^ t[4][byte(crc)] ^
			t[3][b[4]] ^ t[2][b[5]] ^ t[1][b[6]] ^ t[0][b[7]]
		b = b[8:]
	}
	for _, v := range b {
		crc = crc<<8 ^ oggCRCTable[byte(crc>>24)^v]
	}
	return crc
}

// oggCRCTables[k][i] is the CRC register after i followed by k zero bytes: oggCRCTables[0] = oggCRCTable.
var oggCRCTables = func() (t [8][256]uint32) {
	t[0] = oggCRCTable
	for k := 1; k < 8; k++ {
		for i := range t[k] {
			p := t[k-1][i]
			t[k][i] = p<<8 ^ oggCRCTable[p>>24]
		}
	}
	return t
}()

// next returns the next packet; io.EOF after the end-of-stream packet; an error wrapping ErrTruncated if the file
// ends before it.
func (d *oggDemuxer) next() (oggPacket, error) {
	for len(d.queue) == 0 {
		if d.done {
			return oggPacket{}, io.EOF
		}
		if err := d.readPage(); err != nil {
			return oggPacket{}, err
		}
	}
	p := d.queue[0]
	d.queue = d.queue[1:]
	return p, nil
}

func (d *oggDemuxer) readPage() error {
	at := d.pos
	n, err := io.ReadFull(d.r, d.header[:])
	d.pos += int64(n)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%w: Ogg stream ends at byte %d without its end-of-stream page (%d packets read)",
				ErrTruncated, at, d.packets)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("%w: Ogg page header at byte %d is cut off at byte %d", ErrTruncated, at, d.pos)
		}
		return fmt.Errorf("Ogg page at byte %d: %w", at, err)
	}
	h := d.header[:]
	if string(h[:4]) != "OggS" {
		return fmt.Errorf("no Ogg page at byte %d (found % x, want \"OggS\"): the file is corrupt", at, h[:4])
	}
	if h[4] != 0 {
		return fmt.Errorf("Ogg page at byte %d has version %d, want 0", at, h[4])
	}
	flags := h[5]
	granule := int64(binary.LittleEndian.Uint64(h[6:]))
	serial := binary.LittleEndian.Uint32(h[14:])
	nseg := int(h[26])
	table := d.table[:nseg]
	n, err = io.ReadFull(d.r, table)
	d.pos += int64(n)
	if err != nil {
		return fmt.Errorf("%w: Ogg page at byte %d is cut off at byte %d (segment table)", ErrTruncated, at, d.pos)
	}
	size := 0
	for _, s := range table {
		size += int(s)
	}
	if cap(d.body) < size {
		d.body = make([]byte, size)
	}
	body := d.body[:size]
	n, err = io.ReadFull(d.r, body)
	d.pos += int64(n)
	if err != nil {
		return fmt.Errorf("%w: Ogg page at byte %d (%d-byte body) is cut off at byte %d", ErrTruncated, at, size,
			d.pos)
	}
	want := binary.LittleEndian.Uint32(h[22:])
	clear(h[22:26])
	crc := oggCRC(oggCRC(oggCRC(0, h), table), body)
	binary.LittleEndian.PutUint32(h[22:], want)
	if crc != want {
		return fmt.Errorf("Ogg page at byte %d fails its CRC check (stored %#08x, computed %#08x): the file is corrupt",
			at, want, crc)
	}
	d.lastEnd = d.pos
	if !d.started {
		if flags&0x02 == 0 {
			return fmt.Errorf("first Ogg page at byte %d is not a beginning-of-stream page", at)
		}
		d.serial, d.started = serial, true
	} else if serial != d.serial {
		return nil // another logical stream (e.g. a multiplexed video or a second chained stream's header)
	}
	if flags&0x01 == 0 {
		d.partial = d.partial[:0]
	} else if len(d.partial) == 0 && d.packets > 0 {
		// A continuation page whose start we never saw (after a hole): drop the continued fragment.
		skip := 0
		for skip < nseg && table[skip] == 255 {
			skip++
		}
		off := 0
		for _, s := range table[:min(skip+1, nseg)] {
			off += int(s)
		}
		table, body = table[min(skip+1, nseg):], body[off:]
	}
	off := 0
	first := len(d.queue)
	for _, s := range table {
		d.partial = append(d.partial, body[off:off+int(s)]...)
		off += int(s)
		if s < 255 {
			pkt := oggPacket{data: bytes.Clone(d.partial), granule: -1, page: at, index: d.packets}
			d.packets++
			d.queue = append(d.queue, pkt)
			d.partial = d.partial[:0]
		}
	}
	if len(d.queue) > first {
		d.queue[len(d.queue)-1].granule = granule
	}
	if flags&0x04 != 0 {
		d.done = true
		if len(d.queue) > 0 {
			d.queue[len(d.queue)-1].eos = true
		}
	}
	return nil
}

// oggSource is a Vorbis or Opus source: its length is the granule position of the stream's last page, which
// framesFromEnd reads from the end of the file.
type oggSource interface {
	framesFromEnd(ra io.ReaderAt, size int64) int64
}

// oggMaxPage is the largest Ogg page: a 27-byte header, 255 lacing values and 255 segments of 255 bytes.
const oggMaxPage = 27 + 255 + 255*255

// oggEndGranule finds the last page of the file (it starts within the last oggMaxPage bytes) that belongs to the
// logical stream serial, passes its CRC check and ends the stream, and returns its granule position; -1 when there
// is none (a truncated file, a chained or multiplexed stream whose last page is another stream's).
func oggEndGranule(ra io.ReaderAt, size int64, serial uint32) int64 {
	start := max(0, size-oggMaxPage)
	tail := make([]byte, size-start)
	if n, err := ra.ReadAt(tail, start); n != len(tail) && err != nil {
		return -1
	}
	for i := bytes.LastIndex(tail, []byte("OggS")); i >= 0; i = bytes.LastIndex(tail[:i], []byte("OggS")) {
		h := tail[i:]
		if len(h) < 27 || len(h) < 27+int(h[26]) {
			continue
		}
		plen := 27 + int(h[26])
		for _, s := range h[27 : 27+int(h[26])] {
			plen += int(s)
		}
		if plen != len(h) { // the stream's last page ends the file
			continue
		}
		if h[4] != 0 || binary.LittleEndian.Uint32(h[14:]) != serial || h[5]&0x04 == 0 {
			return -1
		}
		page := bytes.Clone(h)
		want := binary.LittleEndian.Uint32(page[22:])
		clear(page[22:26])
		if oggCRC(0, page) != want {
			return -1
		}
		return int64(binary.LittleEndian.Uint64(h[6:]))
	}
	return -1
}

// granuleTrim cuts decoded Ogg audio to what the granule positions say (RFC 7845 §4, Vorbis I spec A.2): the
// first page's granule fixes the absolute position of the first decoded sample (samples before the stream start
// are dropped), samples before preSkip (Opus) are dropped, and the last page's granule is the end of the stream.
type granuleTrim struct {
	channels int
	preSkip  int64
	abs      int64 // absolute position of the next decoded sample, once known
	known    bool
	hold     []float32
}

// push takes one packet's decoded samples and returns those to output (possibly none, or held ones).
func (t *granuleTrim) push(samples []float32, granule int64, eos bool) []float32 {
	block := samples
	if !t.known {
		t.hold = append(t.hold, samples...)
		if granule < 0 {
			return nil
		}
		block, t.hold = t.hold, nil
		t.abs = granule - int64(len(block)/t.channels)
		t.known = true
	}
	n := int64(len(block) / t.channels)
	start, end := t.abs, t.abs+n
	t.abs = end
	lo, hi := max(start, t.preSkip), end
	if eos && granule >= 0 {
		hi = min(hi, granule)
	}
	if hi <= lo {
		return nil
	}
	return block[(lo-start)*int64(t.channels) : (hi-start)*int64(t.channels)]
}

// headerPageGranule is p's granule position, or -1 when p ends on the page that also ends the stream's last header
// packet. Both specs (Vorbis I §A.2, RFC 7845 §3) make the first audio packet begin a fresh page and give header pages
// granule position 0; some encoders put audio packets on the last header page anyway and still write 0 there, while
// the next page's granule counts samples as if the stream's first decoded packet were the first one on that next page
// (libvorbisfile starts decoding there and never sees the others). Such a 0 places no audio sample: the first audio
// page's granule does, and granuleTrim then drops whatever was decoded before the stream start (measured on 13 of the
// 41 wesnoth-1.16-music files: without this rule their audio came out 128 samples late against libvorbis' oggdec;
// TestVorbisAudioOnHeaderPage).
func headerPageGranule(p oggPacket, headerPage int64) int64 {
	if p.page == headerPage {
		return -1
	}
	return p.granule
}

type vorbisSource struct {
	demux     oggDemuxer
	dec       vorbis.Decoder
	trim      granuleTrim
	buf       []float32
	setupPage int64 // byte offset of the page on which the setup header ends
}

func newVorbisSource(r io.Reader, name string) (source, int, int, error) {
	v := &vorbisSource{demux: oggDemuxer{r: r}}
	for i := range 3 {
		p, err := v.demux.next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = fmt.Errorf("%w: Ogg stream ends after %d of 3 Vorbis header packets", ErrTruncated, i)
			}
			return nil, 0, 0, fmt.Errorf("audio: %s: %w", name, err)
		}
		if err := v.dec.ReadHeader(p.data); err != nil {
			return nil, 0, 0, fmt.Errorf("audio: %s: Vorbis header packet %d (page at byte %d): %w", name, i,
				p.page, err)
		}
		v.setupPage = p.page
	}
	v.buf = make([]float32, v.dec.BufferSize())
	v.trim.channels = v.dec.Channels()
	return v, v.dec.SampleRate(), v.dec.Channels(), nil
}

// framesFromEnd is the last granule position: the stream's length when it starts at granule 0, as encoders write
// it.
func (v *vorbisSource) framesFromEnd(ra io.ReaderAt, size int64) int64 {
	return oggEndGranule(ra, size, v.demux.serial)
}

func (v *vorbisSource) next() ([]float32, error) {
	for {
		p, err := v.demux.next()
		if err != nil {
			return nil, err
		}
		out, err := v.dec.DecodeInto(p.data, v.buf)
		if err != nil {
			return nil, fmt.Errorf("Vorbis packet %d (page at byte %d): %w", p.index, p.page, err)
		}
		if block := v.trim.push(out, headerPageGranule(p, v.setupPage), p.eos); len(block) > 0 {
			return block, nil
		}
		if p.eos {
			return nil, io.EOF
		}
	}
}

// opusRate is the rate Opus always decodes at here (RFC 7845: granule positions count 48 kHz samples).
const opusRate = 48000

type opusSource struct {
	demux    oggDemuxer
	dec      opus.Decoder
	trim     granuleTrim
	channels int
	gain     float32
	buf      []float32
	tagsPage int64 // byte offset of the page on which the OpusTags header ends
}

func newOpusSource(r io.Reader, name string) (source, int, int, error) {
	o := &opusSource{demux: oggDemuxer{r: r}}
	fail := func(format string, args ...any) (source, int, int, error) {
		return nil, 0, 0, fmt.Errorf("audio: %s: Opus: "+format, append([]any{name}, args...)...)
	}
	head, err := o.demux.next()
	if err != nil {
		return fail("identification header: %w", err)
	}
	h := head.data
	if len(h) < 19 || string(h[:8]) != "OpusHead" {
		return fail("first packet is not an OpusHead header")
	}
	if h[8]>>4 != 0 {
		return fail("OpusHead version %d is not supported (major version 0 only)", h[8])
	}
	channels := int(h[9])
	preSkip := int64(binary.LittleEndian.Uint16(h[10:]))
	gainQ8 := int16(binary.LittleEndian.Uint16(h[16:]))
	family := h[18]
	if family != 0 && !(family == 1 && channels <= 2 && len(h) >= 21 && h[19] == 1) {
		return fail("channel mapping family %d with %d channels is not supported (mono or stereo, one stream)",
			family, channels)
	}
	if channels < 1 || channels > 2 {
		return fail("%d channels is not supported (mono or stereo)", channels)
	}
	tags, err := o.demux.next()
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = fmt.Errorf("%w: no OpusTags packet", ErrTruncated)
		}
		return fail("comment header: %w", err)
	}
	if !bytes.HasPrefix(tags.data, []byte("OpusTags")) {
		return fail("second packet (page at byte %d) is not an OpusTags header", tags.page)
	}
	o.dec, err = opus.NewDecoderWithOutput(opusRate, channels)
	if err != nil {
		return fail("%v", err)
	}
	o.channels = channels
	o.gain = float32(math.Pow(10, float64(gainQ8)/(20*256)))
	o.trim = granuleTrim{channels: channels, preSkip: preSkip}
	o.tagsPage = tags.page
	o.buf = make([]float32, 5760*channels) // 120 ms at 48 kHz, the longest Opus packet
	return o, opusRate, channels, nil
}

// framesFromEnd is the last granule position less the pre-skip (RFC 7845 §4).
func (o *opusSource) framesFromEnd(ra io.ReaderAt, size int64) int64 {
	g := oggEndGranule(ra, size, o.demux.serial)
	if g < o.trim.preSkip {
		return -1
	}
	return g - o.trim.preSkip
}

func (o *opusSource) next() ([]float32, error) {
	for {
		p, err := o.demux.next()
		if err != nil {
			return nil, err
		}
		n, err := o.dec.DecodeToFloat32(p.data, o.buf)
		if err != nil {
			return nil, fmt.Errorf("Opus packet %d (page at byte %d): %w", p.index, p.page, err)
		}
		out := o.buf[:n*o.channels]
		if o.gain != 1 {
			for i := range out {
				out[i] *= o.gain
			}
		}
		if block := o.trim.push(out, headerPageGranule(p, o.tagsPage), p.eos); len(block) > 0 {
			return block, nil
		}
		if p.eos {
			return nil, io.EOF
		}
	}
}
