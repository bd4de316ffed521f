package vorbis

import "errors"

type floorData struct {
	floor     floor
	data      interface{}
	noResidue bool
}

func (d *Decoder) decodePacket(r *bitReader, out []float32) ([]float32, error) {
	if r.ReadBool() {
		return nil, errors.New("vorbis: decoding error")
	}
	modeNumber := r.Read8(ilog(len(d.modes) - 1))
	mode := d.modes[modeNumber]
	// decode window type
	blocktype := mode.blockflag
	longWindow := mode.blockflag == 1
	blocksize := d.blocksize[blocktype]
	spectrumSize := uint32(blocksize / 2)
	windowPrev, windowNext := false, false
	window := windowType{blocksize, blocksize, blocksize}
	if longWindow {
		windowPrev = r.ReadBool()
		windowNext = r.ReadBool()
		if !windowPrev {
			window.prev = d.blocksize[0]
		}
		if !windowNext {
			window.next = d.blocksize[0]
		}
	}

	mapping := &d.mappings[mode.mapping]
	if d.floorBuffer == nil {
		d.floorBuffer = make([]floorData, d.channels)
	}
	for ch := range d.residueBuffer {
		d.residueBuffer[ch] = d.residueBuffer[ch][:spectrumSize]
		for i := range d.residueBuffer[ch] {
			d.residueBuffer[ch][i] = 0
		}
	}

	d.decodeFloors(r, d.floorBuffer, mapping, spectrumSize)
	d.decodeResidue(r, d.residueBuffer, mapping, d.floorBuffer, spectrumSize)
	d.inverseCoupling(mapping, d.residueBuffer)
	d.applyFloor(d.floorBuffer, d.residueBuffer)

	// inverse MDCT
	for ch := range d.rawBuffer {
		d.rawBuffer[ch] = d.rawBuffer[ch][:blocksize]
		imdct(&d.lookup[blocktype], d.residueBuffer[ch], d.rawBuffer[ch])
	}

	// apply window and overlap
	d.applyWindow(&window, d.rawBuffer)
	center := blocksize / 2
	offset := d.blocksize[1]/4 - d.blocksize[0]/4
	n := 0
	if d.hasOverlap {
		n = blocksize / 2
		if longWindow && !windowPrev {
			n -= offset
		}
		if !longWindow && !d.overlapShort {
			n += offset
		}
		if out == nil {
			out = make([]float32, n*d.channels)
		}
	}
	if longWindow {
		start := 0
		if !windowPrev {
			start = offset
		}
		if d.hasOverlap {
			d.addChannels(out, start, center, d.overlap[start*d.channels:])
		}
		d.overlapShort = false
	} else /*short window*/ {
		if d.hasOverlap {
			if d.overlapShort {
				d.addChannels(out, 0, center, d.overlap[offset*d.channels:])
			} else {
				copy(out[:offset*d.channels], d.overlap)
				d.addChannels(out[offset*d.channels:], 0, center, d.overlap[offset*d.channels:])
			}
		}
		d.overlapShort = true
	}

	if !d.hasOverlap {
		n = 0
	}
	overlapCenter := d.blocksize[1] / 4
	oStart := overlapCenter - center/2
	oEnd := overlapCenter + center/2
	clear(d.overlap[:oStart*d.channels])
	if len(d.rawBuffer) == 2 {
		interleave2(d.overlap[oStart*2:], d.rawBuffer[0][center:center+oEnd-oStart],
			d.rawBuffer[1][center:center+oEnd-oStart])
	} else {
		for ch := range d.rawBuffer {
			src := d.rawBuffer[ch][center : center+oEnd-oStart]
			dst := d.overlap[oStart*d.channels+ch:]
			j := 0
			for _, v := range src {
				dst[j] = v
				j += d.channels
			}
		}
	}
	clear(d.overlap[oEnd*d.channels:])
	d.hasOverlap = true

	return out[:n*d.channels], nil
}

// addChannels sets out[j·c+ch] = rawBuffer[ch][from+j] + ov[j·c+ch] for j < to−from and every channel ch, c
// channels (musicrep: upstream's overlap-add loops; stereo through addInterleaved2, the same additions).
func (d *Decoder) addChannels(out []float32, from, to int, ov []float32) {
	if len(d.rawBuffer) == 2 && d.channels == 2 {
		addInterleaved2(out, d.rawBuffer[0][from:to], d.rawBuffer[1][from:to], ov)
		return
	}
	for ch := range d.rawBuffer {
		addInterleaved(out[ch:], d.rawBuffer[ch][from:to], ov[ch:], d.channels)
	}
}

// addInterleaved2 sets dst[2i] = a[i] + ov[2i] and dst[2i+1] = b[i] + ov[2i+1] (len(b) = len(a)); interleave2 sets
// dst[2i] = a[i], dst[2i+1] = b[i] (musicrep: the stereo overlap-add and overlap save; AVX2 versions in
// decode_simd_amd64.go).
var (
	addInterleaved2 = func(dst, a, b, ov []float32) {
		if len(a) == 0 {
			return
		}
		addInterleaved(dst, a, ov, 2)
		addInterleaved(dst[1:], b, ov[1:], 2)
	}
	interleave2 = func(dst, a, b []float32) {
		dst, b = dst[:2*len(a)], b[:len(a)]
		for i, v := range a {
			dst[2*i], dst[2*i+1] = v, b[i]
		}
	}
)

// addInterleaved sets dst[i·c] = src[i] + ov[i·c] for every i < len(src) (musicrep: upstream indexes
// out[i*channels+ch] and overlap[(start+i)*channels+ch] in the loop; same additions).
func addInterleaved(dst, src, ov []float32, c int) {
	j := 0
	for _, v := range src {
		dst[j] = v + ov[j]
		j += c
	}
}

func (d *Decoder) decodeFloors(r *bitReader, floors []floorData, mapping *mapping, n uint32) {
	for ch := range floors {
		floor := d.floors[mapping.submaps[mapping.mux[ch]].floor]
		data := floor.Decode(r, d.codebooks, n)
		floors[ch] = floorData{floor, data, data == nil}
	}

	for i := 0; i < int(mapping.couplingSteps); i++ {
		if !floors[mapping.magnitude[i]].noResidue || !floors[mapping.angle[i]].noResidue {
			floors[mapping.magnitude[i]].noResidue = false
			floors[mapping.angle[i]].noResidue = false
		}
	}
}

func (d *Decoder) decodeResidue(r *bitReader, out [][]float32, mapping *mapping, floors []floorData, n uint32) {
	for i := range mapping.submaps {
		doNotDecode := d.doNotDecode[:0] // musicrep: buffers reused between packets
		tmp := d.residueVectors[:0]
		for j := 0; j < d.channels; j++ {
			if mapping.mux[j] == uint8(i) {
				doNotDecode = append(doNotDecode, floors[j].noResidue)
				tmp = append(tmp, out[j])
			}
		}
		d.residues[mapping.submaps[i].residue].Decode(r, doNotDecode, n, d.codebooks, tmp)
		d.doNotDecode, d.residueVectors = doNotDecode, tmp
	}
}

func (d *Decoder) inverseCoupling(mapping *mapping, residueVectors [][]float32) {
	for i := mapping.couplingSteps; i > 0; i-- {
		magnitudeVector := residueVectors[mapping.magnitude[i-1]]
		angleVector := residueVectors[mapping.angle[i-1]]
		uncouple(magnitudeVector, angleVector)
	}
}

// uncouple is the body of upstream's coupling loop (musicrep: a function of its own, so that an AVX2 version,
// decode_simd_amd64.go, can take its place).
var uncouple = uncoupleScalar

func uncoupleScalar(magnitudeVector, angleVector []float32) {
	angleVector = angleVector[:len(magnitudeVector)]
	for j := range magnitudeVector {
		m := magnitudeVector[j]
		a := angleVector[j]
		if m > 0 {
			if a > 0 {
				a = m - a // musicrep: upstream's "m, a = m, m-a", which go vet flags as a self-assignment
			} else {
				a, m = m, m+a
			}
		} else {
			if a > 0 {
				a = m + a // upstream: "m, a = m, m+a"
			} else {
				a, m = m, m-a
			}
		}
		magnitudeVector[j] = m
		angleVector[j] = a
	}
}

func (d *Decoder) applyFloor(floors []floorData, residueVectors [][]float32) {
	for ch := range residueVectors {
		if floors[ch].data != nil {
			floors[ch].floor.Apply(residueVectors[ch], floors[ch].data)
		} else {
			for i := range residueVectors[ch] {
				residueVectors[ch][i] = 0
			}
		}
	}
}
