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
// next bits p (the first in bit 0), is entry<<4 | length when the walk ends at a leaf within those bits (length
// 1 … huffmanTableBits, so 4 bits), and node<<4 with length 0 when it has not: the walk goes on bit by bit from
// that node. It is built by walking the tree as Lookup does, so decoding gives the same entries, also on incomplete
// trees and past the end of a packet (where Read1 gives zeros, as the zero bits beyond the data in peek do).
// Entries are 32 bits (4 KiB a table, which the L1 cache holds more of than the 64-bit entries of before); a code
// whose entry or node numbers do not fit in 28 bits keeps the bit-by-bit walk.
type huffmanTable []uint32

func newHuffmanTable(h huffmanCode) huffmanTable {
	if len(h) < 2 || len(h) >= 1<<28 {
		return nil // a single-entry or empty code (Lookup handles it as upstream does), or one too large to pack
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
			t[p] = (i>>1)<<4 | uint32(k+1)
		} else {
			t[p] = i << 4
		}
	}
	return t
}

// lookup is Lookup through the table.
func (t huffmanTable) lookup(h huffmanCode, r *bitReader) uint32 {
	e := t[r.peek()&(1<<huffmanTableBits-1)]
	if k := e & 0xf; k != 0 {
		r.skip(uint(k))
		return e >> 4
	}
	r.skip(huffmanTableBits)
	i := e >> 4
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
