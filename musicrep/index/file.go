package index

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
)

// File format (all little-endian). A 64-byte header:
//
//	offset size
//	 0      8   magic "MRINDEX\x00"
//	 8      4   format version (1)
//	12      4   kind: 1 flat, 2 ivf
//	16      8   n: number of vectors
//	24      4   dim
//	28      4   nlist (0 for flat)
//	32      8   seed (ivf)
//	40      4   k-means iterations (ivf)
//	44      4   points per list of the training sample (ivf)
//	48      8   payload length in bytes
//	56      4   CRC-32C (Castagnoli) of the payload
//	60      4   CRC-32C of header bytes 0..59
//
// then the payload. Flat: the n x dim float32 vectors, row-major. IVF: the nlist x dim float32 centroids, the
// nlist uint32 list sizes, the n uint32 vector indices in list order (each list's in increasing order), and the
// n x dim float32 vectors in the same order. The layout is independent of the in-memory packing, so the file
// can be read with numpy (np.fromfile(path, "<f4", offset=64) for a flat index).
const (
	fileMagic   = "MRINDEX\x00"
	fileVersion = 1
	headerSize  = 64
	kindFlatID  = 1
	kindIVFID   = 2
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

type header struct {
	kind        uint32
	n           uint64
	dim, nlist  uint32
	seed        uint64
	iterations  uint32
	pointsPer   uint32
	payloadLen  uint64
	payloadCRC  uint32
	headerCRC32 uint32
}

func (h *header) marshal() []byte {
	b := make([]byte, headerSize)
	copy(b, fileMagic)
	le := binary.LittleEndian
	le.PutUint32(b[8:], fileVersion)
	le.PutUint32(b[12:], h.kind)
	le.PutUint64(b[16:], h.n)
	le.PutUint32(b[24:], h.dim)
	le.PutUint32(b[28:], h.nlist)
	le.PutUint64(b[32:], h.seed)
	le.PutUint32(b[40:], h.iterations)
	le.PutUint32(b[44:], h.pointsPer)
	le.PutUint64(b[48:], h.payloadLen)
	le.PutUint32(b[56:], h.payloadCRC)
	le.PutUint32(b[60:], crc32.Checksum(b[:60], castagnoli))
	return b
}

// payloadLen is the payload size implied by the header's shape, or -1 when it overflows.
func (h *header) expectedPayload() (uint64, bool) {
	n, dim, nlist := h.n, uint64(h.dim), uint64(h.nlist)
	if n > maxLen || dim > 1<<24 || nlist > n {
		return 0, false
	}
	switch h.kind {
	case kindFlatID:
		return 4 * n * dim, true
	case kindIVFID:
		return 4*nlist*dim + 4*nlist + 4*n + 4*n*dim, true
	}
	return 0, false
}

// Save writes the index to path (see the file format above) atomically.
func (f *Flat) Save(path string) error {
	h := &header{kind: kindFlatID, n: uint64(f.n), dim: uint32(f.s.dim)}
	h.payloadLen = 4 * h.n * uint64(h.dim)
	return writeAtomic(path, h, func(w io.Writer) error {
		row := make([]float32, f.s.dim)
		for i := 0; i < f.n; i++ {
			if err := writeF32(w, f.s.vector(i, row)); err != nil {
				return err
			}
		}
		return nil
	})
}

// Save writes the index to path (see the file format above) atomically.
func (x *IVF) Save(path string) error {
	h := &header{kind: kindIVFID, n: uint64(x.n), dim: uint32(x.dim), nlist: uint32(x.nlist), seed: x.opt.Seed,
		iterations: uint32(x.opt.Iterations), pointsPer: uint32(x.opt.PointsPerList)}
	h.payloadLen, _ = h.expectedPayload()
	return writeAtomic(path, h, func(w io.Writer) error {
		if err := writeF32(w, x.Centroids()); err != nil {
			return err
		}
		u := make([]byte, 4)
		for _, c := range x.listLen {
			binary.LittleEndian.PutUint32(u, uint32(c))
			if _, err := w.Write(u); err != nil {
				return err
			}
		}
		for l := 0; l < x.nlist; l++ {
			p := x.listStart[l] * groupWidth
			for _, id := range x.ids[p : p+x.listLen[l]] {
				binary.LittleEndian.PutUint32(u, uint32(id))
				if _, err := w.Write(u); err != nil {
					return err
				}
			}
		}
		row := make([]float32, x.dim)
		for l := 0; l < x.nlist; l++ {
			p := x.listStart[l] * groupWidth
			for i := p; i < p+x.listLen[l]; i++ {
				if err := writeF32(w, x.lists.vector(i, row)); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func writeF32(w io.Writer, v []float32) error {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	_, err := w.Write(b)
	return err
}

// writeAtomic writes header h and the payload produced by body atomically (see writeFileAtomic), with the
// payload's checksum filled into the header.
func writeAtomic(path string, h *header, body func(w io.Writer) error) error {
	crc := crc32.New(castagnoli)
	cw := &countWriter{}
	return writeFileAtomic(path, func(w io.Writer) error {
		if _, err := w.Write(make([]byte, headerSize)); err != nil {
			return err
		}
		cw.w = io.MultiWriter(w, crc)
		if err := body(cw); err != nil {
			return err
		}
		if cw.n != h.payloadLen {
			return fmt.Errorf("internal error: wrote %d payload bytes, the header says %d", cw.n, h.payloadLen)
		}
		return nil
	}, func(f *os.File) error {
		h.payloadCRC = crc.Sum32()
		_, err := f.WriteAt(h.marshal(), 0)
		return err
	})
}

// writeFileAtomic writes what body produces to a temporary file in path's directory, lets finish (if not nil)
// patch the file, syncs it, renames it over path and syncs the directory, so that readers see the old file or
// the complete new one, never a half-written one. On error path is untouched and the temporary file removed.
// The new file has mode 0644.
func writeFileAtomic(path string, body func(w io.Writer) error, finish func(f *os.File) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("index: writing %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
			err = fmt.Errorf("index: writing %s: %w", path, err)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	if err = body(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if finish != nil {
		if err = finish(f); err != nil {
			return err
		}
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	if d, derr := os.Open(dir); derr == nil { // make the rename durable; not every platform can sync a directory
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

type countWriter struct {
	w io.Writer
	n uint64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += uint64(n)
	return n, err
}

// Load reads an index written by Save. Every error names the file and says what is wrong with it: not an
// index file (magic), a format version this build does not read, a corrupt header or payload (checksums), a
// file cut short or with trailing bytes, a shape that does not match the payload's size, or invalid content.
func Load(path string) (Index, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("index: %s: "+format, append([]any{path}, args...)...)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	size := st.Size()
	hb := make([]byte, headerSize)
	if _, err := io.ReadFull(f, hb); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			if size >= int64(len(fileMagic)) && !bytes.HasPrefix(hb, []byte(fileMagic)) {
				return nil, fail("not a musicrep index file (build one with `musicrep index build`)")
			}
			return nil, fail("truncated: %d bytes, shorter than the %d-byte header (rebuild the index)", size, headerSize)
		}
		return nil, fail("%v", err)
	}
	if !bytes.Equal(hb[:8], []byte(fileMagic)) {
		return nil, fail("not a musicrep index file (it starts with %q, not %q; build one with `musicrep index build`)",
			hb[:8], fileMagic)
	}
	le := binary.LittleEndian
	if got, want := le.Uint32(hb[60:]), crc32.Checksum(hb[:60], castagnoli); got != want {
		return nil, fail("corrupt header (checksum %08x, computed %08x); rebuild the index", got, want)
	}
	if v := le.Uint32(hb[8:]); v != fileVersion {
		return nil, fail("format version %d, this musicrep reads version %d (rebuild the index with this musicrep)",
			v, fileVersion)
	}
	h := header{kind: le.Uint32(hb[12:]), n: le.Uint64(hb[16:]), dim: le.Uint32(hb[24:]), nlist: le.Uint32(hb[28:]),
		seed: le.Uint64(hb[32:]), iterations: le.Uint32(hb[40:]), pointsPer: le.Uint32(hb[44:]),
		payloadLen: le.Uint64(hb[48:]), payloadCRC: le.Uint32(hb[56:])}
	if h.kind != kindFlatID && h.kind != kindIVFID {
		return nil, fail("unknown index kind %d (this musicrep knows 1 flat, 2 ivf)", h.kind)
	}
	if h.n == 0 || h.dim == 0 || (h.kind == kindIVFID && (h.nlist == 0 || uint64(h.nlist) > h.n)) {
		return nil, fail("corrupt header: n=%d, dim=%d, nlist=%d (rebuild the index)", h.n, h.dim, h.nlist)
	}
	want, ok := h.expectedPayload()
	if !ok || want != h.payloadLen {
		return nil, fail("corrupt header: n=%d, dim=%d, nlist=%d need a payload of %d bytes, the header says %d "+
			"(wrong dim or size; rebuild the index)", h.n, h.dim, h.nlist, want, h.payloadLen)
	}
	if got := uint64(size) - headerSize; got < h.payloadLen {
		return nil, fail("truncated: %d of %d payload bytes present (the file was cut short; rebuild the index)",
			got, h.payloadLen)
	} else if got > h.payloadLen {
		return nil, fail("%d unexpected bytes after the payload (corrupt; rebuild the index)", got-h.payloadLen)
	}
	crc := crc32.New(castagnoli)
	r := &payloadReader{r: bufio.NewReaderSize(io.TeeReader(io.LimitReader(f, int64(h.payloadLen)), crc), 1<<20)}
	var idx Index
	switch h.kind {
	case kindFlatID:
		idx, err = loadFlat(r, &h)
	case kindIVFID:
		idx, err = loadIVF(r, &h)
	}
	if r.err == nil { // after a content error, read the rest so that corruption is told from bad content
		_, r.err = io.Copy(io.Discard, r.r)
	}
	if r.err != nil {
		return nil, fail("reading the payload: %v", r.err)
	}
	if got := crc.Sum32(); got != h.payloadCRC {
		return nil, fail("corrupt payload (checksum %08x, header says %08x); rebuild the index", got, h.payloadCRC)
	}
	if err != nil {
		return nil, fail("%v", err)
	}
	return idx, nil
}

// payloadReader decodes little-endian values, remembering the first read error.
type payloadReader struct {
	r   io.Reader
	buf []byte
	err error
}

func (p *payloadReader) f32(dst []float32) {
	if p.err != nil {
		return
	}
	if cap(p.buf) < 4*len(dst) {
		p.buf = make([]byte, 4*len(dst))
	}
	b := p.buf[:4*len(dst)]
	if _, p.err = io.ReadFull(p.r, b); p.err != nil {
		return
	}
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
}

func (p *payloadReader) u32(dst []uint32) {
	if p.err != nil {
		return
	}
	if cap(p.buf) < 4*len(dst) {
		p.buf = make([]byte, 4*len(dst))
	}
	b := p.buf[:4*len(dst)]
	if _, p.err = io.ReadFull(p.r, b); p.err != nil {
		return
	}
	for i := range dst {
		dst[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
}

// checkRow reports a non-finite value or an oversized norm in a stored vector.
func checkRow(what string, i int, row []float32) error {
	var sq float64
	for d, x := range row {
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("corrupt: %s %d has %v at position %d", what, i, x, d)
		}
		sq += f * f
	}
	if sq > maxSquaredNorm {
		return fmt.Errorf("corrupt: %s %d has squared norm %.3g", what, i, sq)
	}
	return nil
}

func loadFlat(r *payloadReader, h *header) (Index, error) {
	n, dim := int(h.n), int(h.dim)
	s := newStore(dim, n)
	row := make([]float32, dim)
	var bad error
	for i := 0; i < n && r.err == nil; i++ {
		r.f32(row)
		if bad == nil {
			bad = checkRow("vector", i, row)
		}
		s.set(i, row)
	}
	if bad != nil {
		return nil, bad
	}
	return &Flat{s: s, n: n}, nil
}

func loadIVF(r *payloadReader, h *header) (Index, error) {
	n, dim, nlist := int(h.n), int(h.dim), int(h.nlist)
	centroids := make([]float32, nlist*dim)
	r.f32(centroids)
	sizes := make([]uint32, nlist)
	r.u32(sizes)
	ids := make([]uint32, n)
	r.u32(ids)
	x := &IVF{dim: dim, n: n, nlist: nlist, opt: IVFOptions{NList: nlist, Seed: h.seed, Iterations: int(h.iterations),
		PointsPerList: int(h.pointsPer)}}
	x.trainPoints = min(n, int(h.pointsPer)*nlist)
	// Validate before allocating the lists: sizes must add up to n, ids must be a permutation of [0, n).
	var bad error
	total := 0
	for _, c := range sizes {
		total += int(c)
	}
	if r.err == nil && total != n {
		bad = fmt.Errorf("corrupt: the list sizes add up to %d, not n=%d", total, n)
	}
	seen := make([]bool, n)
	for i, id := range ids {
		if bad != nil {
			break
		}
		if int(id) >= n || seen[id] {
			bad = fmt.Errorf("corrupt: vector index %d at position %d is out of range or repeated", id, i)
			break
		}
		seen[id] = true
	}
	for l := 0; l < nlist && bad == nil; l++ {
		bad = checkRow("centroid", l, centroids[l*dim:(l+1)*dim])
	}
	if bad != nil || r.err != nil {
		return nil, bad
	}
	x.centroids = storeOf(centroids, dim)
	lens := make([]int, nlist)
	for l, c := range sizes {
		lens[l] = int(c)
	}
	x.layout(lens)
	row := make([]float32, dim)
	p := 0
	for l := 0; l < nlist && r.err == nil && bad == nil; l++ {
		pos := x.listStart[l] * groupWidth
		for j := 0; j < lens[l] && r.err == nil; j++ {
			r.f32(row)
			if bad == nil {
				bad = checkRow("vector", int(ids[p]), row)
			}
			x.lists.set(pos+j, row)
			x.ids[pos+j] = int32(ids[p])
			p++
		}
	}
	if bad != nil || r.err != nil {
		return nil, bad
	}
	return x, nil
}
