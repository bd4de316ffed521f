package vorbis

import "encoding/binary"

// bitReader reads a packet's bits LSB first. (musicrep: a 64-bit buffer refilled up to 8 bytes at a time instead
// of one bit or byte per step; the results are those of upstream's reader, including its end-of-packet rule: a
// read that needs more bits than remain returns 0, consumes the rest and sets eof, and every later read returns 0.)
type bitReader struct {
	data []byte
	pos  int    // next byte of data to load into buf
	buf  uint64 // bits loaded and not yet consumed, the next one in bit 0
	n    uint   // number of valid bits in buf
	eof  bool
}

func newBitReader(data []byte) *bitReader {
	return &bitReader{data: data}
}

func (r *bitReader) EOF() bool {
	return r.eof
}

// refill loads bytes until buf holds more than 56 bits or the data is exhausted.
func (r *bitReader) refill() {
	if r.pos+8 <= len(r.data) {
		r.buf |= binary.LittleEndian.Uint64(r.data[r.pos:]) << r.n
		k := (63 - r.n) / 8 // whole bytes that fit
		r.pos += int(k)
		r.n += 8 * k
		return
	}
	for r.n <= 56 && r.pos < len(r.data) {
		r.buf |= uint64(r.data[r.pos]) << r.n
		r.pos++
		r.n += 8
	}
}

// exhaust is the end-of-packet condition.
func (r *bitReader) exhaust() {
	r.eof = true
	r.buf, r.n, r.pos = 0, 0, len(r.data)
}

func (r *bitReader) Read1() uint32 {
	if r.n == 0 {
		r.refill()
		if r.n == 0 {
			r.eof = true
			return 0
		}
	}
	b := uint32(r.buf & 1)
	r.buf >>= 1
	r.n--
	return b
}

// peek returns the next 32 bits without consuming them (zeros past the end of the packet).
func (r *bitReader) peek() uint32 {
	if r.n < 32 {
		r.refill()
	}
	return uint32(r.buf)
}

// skip consumes k ≤ 32 bits after a peek; past the end of the packet it is the end-of-packet condition.
func (r *bitReader) skip(k uint) {
	if k > r.n {
		r.exhaust()
		return
	}
	r.buf >>= k
	r.n -= k
}

func (r *bitReader) read(n uint, bits uint) uint32 {
	if n > bits {
		panic("invalid argument")
	}
	if n == 0 {
		return 0
	}
	if r.n < n {
		r.refill()
		if r.n < n {
			r.exhaust()
			return 0
		}
	}
	v := uint32(r.buf & (1<<n - 1))
	r.buf >>= n
	r.n -= n
	return v
}

func (r *bitReader) Read8(n uint) uint8 {
	return uint8(r.read(n, 8))
}

func (r *bitReader) Read16(n uint) uint16 {
	return uint16(r.read(n, 16))
}

func (r *bitReader) Read32(n uint) uint32 {
	return uint32(r.read(n, 32))
}

func (r *bitReader) ReadBool() bool {
	return r.Read8(1) == 1
}
