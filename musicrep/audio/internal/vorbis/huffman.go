package vorbis

type huffmanCode []uint32

// Lookup walks the code tree one bit at a time: node i's children are h[i] and h[i+1]; an odd value is a leaf
// (entry·2+1), an even one the next node.
func (h huffmanCode) Lookup(r *bitReader) uint32 {
	i := uint32(0)
	for i&1 == 0 {
		i = h[i+r.Read1()]
	}
	return i >> 1
}

// huffmanTableBits is the number of bits the first-level table of a codebook decodes at once (musicrep).
const huffmanTableBits = 10

// huffmanTable decodes the first huffmanTableBits bits of a code with one lookup (musicrep). Entry p, for the
// next bits p (the first in bit 0), is leaf<<32 | entry<<8 | length when the walk ends at a leaf within those bits
// (length ≥ 1 bits), and node<<8 with length 0 when it has not: the walk goes on bit by bit from that node. It
// is built by walking the tree as Lookup does, so decoding gives the same entries, also on incomplete trees and
// past the end of a packet (where Read1 gives zeros, as the zero bits beyond the data in peek do).
type huffmanTable []uint64

const huffmanLeaf = 1 << 32

func newHuffmanTable(h huffmanCode) huffmanTable {
	if len(h) < 2 {
		return nil // a single-entry or empty code: Lookup handles it as upstream does
	}
	t := make(huffmanTable, 1<<huffmanTableBits)
	for p := range t {
		i := uint32(0)
		var k uint
		for k = 0; k < huffmanTableBits; k++ {
			next := i + uint32(p>>k)&1
			if int(next) >= len(h) {
				return nil // a malformed tree that Lookup would index out of range: keep upstream's behaviour
			}
			i = h[next]
			if i&1 == 1 {
				break
			}
		}
		if i&1 == 1 {
			t[p] = huffmanLeaf | uint64(i>>1)<<8 | uint64(k+1)
		} else {
			t[p] = uint64(i) << 8
		}
	}
	return t
}

// lookup is Lookup through the table.
func (t huffmanTable) lookup(h huffmanCode, r *bitReader) uint32 {
	e := t[r.peek()&(1<<huffmanTableBits-1)]
	if e&huffmanLeaf != 0 {
		r.skip(uint(e & 0xff))
		return uint32(e>>8) & 0xffffff
	}
	r.skip(huffmanTableBits)
	i := uint32(e >> 8)
	for i&1 == 0 {
		i = h[i+r.Read1()]
	}
	return i >> 1
}

type huffmanBuilder struct {
	code      huffmanCode
	minLength []uint8
}

func newHuffmanBuilder(size uint32) *huffmanBuilder {
	return &huffmanBuilder{
		code:      make(huffmanCode, size),
		minLength: make([]uint8, size/2),
	}
}

func (t *huffmanBuilder) Put(entry uint32, length uint8) {
	t.put(0, entry, length-1)
}

func (t *huffmanBuilder) put(index, entry uint32, length uint8) bool {
	if length < t.minLength[index/2] {
		return false
	}
	if length == 0 {
		if t.code[index] == 0 {
			t.code[index] = entry*2 + 1
			return true
		}
		if t.code[index+1] == 0 {
			t.code[index+1] = entry*2 + 1
			t.minLength[index/2] = 1
			return true
		}
		t.minLength[index/2] = 1
		return false
	}
	if t.code[index]&1 == 0 {
		if t.code[index] == 0 {
			t.code[index] = t.findEmpty(index + 2)
		}
		if t.put(t.code[index], entry, length-1) {
			return true
		}
	}
	if t.code[index+1]&1 == 0 {
		if t.code[index+1] == 0 {
			t.code[index+1] = t.findEmpty(index + 2)
		}
		if t.put(t.code[index+1], entry, length-1) {
			return true
		}
	}
	t.minLength[index/2] = length + 1
	return false
}

func (t *huffmanBuilder) findEmpty(index uint32) uint32 {
	for t.code[index] != 0 {
		index += 2
	}
	return index
}
