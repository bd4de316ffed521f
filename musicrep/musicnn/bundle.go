package musicnn

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"sort"
	"strings"
)

// A TensorFlow checkpoint bundle (tensorflow/core/util/tensor_bundle) is two files sharing a prefix:
//
//   - PREFIX.index: a LevelDB-format sorted table (tensorflow/core/lib/io/table). Its keys are variable names;
//     the value of the empty key is a BundleHeaderProto, every other value a BundleEntryProto (dtype, shape,
//     shard id, offset, size, masked CRC-32C of the bytes).
//   - PREFIX.data-00000-of-00001: the tensors' bytes, little-endian, row-major, at the entries' offsets.
//
// musicnn's checkpoints have the prefix "DIR/" (the files are DIR/.index and DIR/.data-00000-of-00001).

// Tensor is one variable of a checkpoint, converted to float32 (the only dtype musicnn's weights use; other
// dtypes, such as the int64 global step, are listed with a nil Data).
type Tensor struct {
	Name  string
	DType int // TensorFlow DataType enum: 1 = DT_FLOAT, 9 = DT_INT64, …
	Shape []int
	Data  []float32
}

// Size is the number of elements of the tensor's shape.
func (t *Tensor) Size() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

const (
	tableMagic   = 0xdb4775248b80fb57
	footerLen    = 48
	trailerLen   = 5 // block type byte + masked CRC-32C
	dtFloat      = 1
	maxIndexSize = 64 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// unmaskCRC undoes LevelDB's CRC masking (rotate right by 15 bits after subtracting a constant).
func unmaskCRC(m uint32) uint32 {
	rot := m - 0xa282ead8
	return rot>>17 | rot<<15
}

// ReadBundle reads every tensor of the checkpoint bundle at prefix (PREFIX.index and PREFIX.data-00000-of-00001).
// It checks the table's footer magic, every block's CRC and every tensor's CRC; the error names the file and the
// record at fault.
func ReadBundle(prefix string) (map[string]*Tensor, error) {
	indexPath := prefix + ".index"
	index, err := os.ReadFile(indexPath)
	if err != nil {
		return nil, fmt.Errorf("reading the checkpoint index: %w", err)
	}
	if len(index) > maxIndexSize {
		return nil, fmt.Errorf("%s: %d bytes is too large for a checkpoint index", indexPath, len(index))
	}
	entries, err := readTable(index)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (the file is damaged or not a TensorFlow checkpoint index)", indexPath, err)
	}
	dataPath := prefix + ".data-00000-of-00001"
	data, err := os.ReadFile(dataPath)
	if err != nil {
		return nil, fmt.Errorf("reading the checkpoint data: %w", err)
	}
	out := map[string]*Tensor{}
	for _, kv := range entries {
		if kv.key == "" {
			if err := checkHeader(kv.value); err != nil {
				return nil, fmt.Errorf("%s: header: %w", indexPath, err)
			}
			continue
		}
		e, err := parseEntry(kv.value)
		if err != nil {
			return nil, fmt.Errorf("%s: entry %q: %w", indexPath, kv.key, err)
		}
		if e.shard != 0 {
			return nil, fmt.Errorf("%s: entry %q is in shard %d; only single-shard bundles are supported", indexPath,
				kv.key, e.shard)
		}
		if e.offset < 0 || e.size < 0 || e.offset+e.size > int64(len(data)) {
			return nil, fmt.Errorf("%s: tensor %q at bytes [%d, %d) lies outside the file (%d bytes): truncated?",
				dataPath, kv.key, e.offset, e.offset+e.size, len(data))
		}
		raw := data[e.offset : e.offset+e.size]
		if got := crc32.Checksum(raw, castagnoli); got != unmaskCRC(e.crc) {
			return nil, fmt.Errorf("%s: tensor %q (bytes %d–%d): CRC-32C mismatch, the file is damaged", dataPath,
				kv.key, e.offset, e.offset+e.size)
		}
		t := &Tensor{Name: kv.key, DType: e.dtype, Shape: e.shape}
		if e.dtype == dtFloat {
			if int64(t.Size())*4 != e.size {
				return nil, fmt.Errorf("%s: tensor %q: shape %v needs %d bytes, the entry says %d", indexPath, kv.key,
					e.shape, t.Size()*4, e.size)
			}
			t.Data = make([]float32, t.Size())
			for i := range t.Data {
				t.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
			}
		}
		out[kv.key] = t
	}
	return out, nil
}

// Names returns the sorted variable names of a bundle.
func Names(m map[string]*Tensor) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

type keyValue struct {
	key   string
	value []byte
}

type blockHandle struct{ offset, size uint64 }

func readHandle(b []byte) (blockHandle, []byte, error) {
	off, n := binary.Uvarint(b)
	if n <= 0 {
		return blockHandle{}, nil, errors.New("bad block handle")
	}
	size, m := binary.Uvarint(b[n:])
	if m <= 0 {
		return blockHandle{}, nil, errors.New("bad block handle")
	}
	return blockHandle{off, size}, b[n+m:], nil
}

// block returns the contents of the block at h, checking its trailer (uncompressed, CRC).
func block(file []byte, h blockHandle) ([]byte, error) {
	end := h.offset + h.size + trailerLen
	if h.offset > uint64(len(file)) || end > uint64(len(file)) || end < h.offset {
		return nil, fmt.Errorf("block at %d (%d bytes) lies outside the file (%d bytes)", h.offset, h.size, len(file))
	}
	contents := file[h.offset : h.offset+h.size]
	typ := file[h.offset+h.size]
	if typ != 0 {
		return nil, fmt.Errorf("block at %d is compressed (type %d); only uncompressed tables are supported",
			h.offset, typ)
	}
	want := unmaskCRC(binary.LittleEndian.Uint32(file[h.offset+h.size+1:]))
	crc := crc32.Update(crc32.Checksum(contents, castagnoli), castagnoli, []byte{typ})
	if crc != want {
		return nil, fmt.Errorf("block at %d: CRC-32C mismatch", h.offset)
	}
	return contents, nil
}

// blockEntries decodes the prefix-compressed key/value entries of one block.
func blockEntries(b []byte) ([]keyValue, error) {
	if len(b) < 4 {
		return nil, errors.New("block shorter than its restart count")
	}
	nRestarts := binary.LittleEndian.Uint32(b[len(b)-4:])
	if uint64(nRestarts)*4+4 > uint64(len(b)) {
		return nil, errors.New("block restart array larger than the block")
	}
	data := b[:len(b)-4-4*int(nRestarts)]
	var out []keyValue
	var last []byte
	for len(data) > 0 {
		var v [3]uint64
		for i := range v {
			x, n := binary.Uvarint(data)
			if n <= 0 {
				return nil, errors.New("bad entry header in block")
			}
			v[i], data = x, data[n:]
		}
		shared, unshared, vlen := v[0], v[1], v[2]
		if shared > uint64(len(last)) || unshared+vlen > uint64(len(data)) {
			return nil, errors.New("entry lengths exceed the block")
		}
		key := append(append([]byte{}, last[:shared]...), data[:unshared]...)
		out = append(out, keyValue{string(key), data[unshared : unshared+vlen]})
		last = key
		data = data[unshared+vlen:]
	}
	return out, nil
}

// readTable returns every key/value of a LevelDB-format table, in key order.
func readTable(file []byte) ([]keyValue, error) {
	if len(file) < footerLen {
		return nil, fmt.Errorf("%d bytes is shorter than a table footer", len(file))
	}
	footer := file[len(file)-footerLen:]
	if binary.LittleEndian.Uint64(footer[40:]) != tableMagic {
		return nil, errors.New("no table magic number at the end")
	}
	_, rest, err := readHandle(footer) // metaindex (unused)
	if err != nil {
		return nil, err
	}
	ih, _, err := readHandle(rest)
	if err != nil {
		return nil, err
	}
	ib, err := block(file, ih)
	if err != nil {
		return nil, fmt.Errorf("index block: %w", err)
	}
	idx, err := blockEntries(ib)
	if err != nil {
		return nil, fmt.Errorf("index block: %w", err)
	}
	var out []keyValue
	for _, e := range idx {
		h, _, err := readHandle(e.value)
		if err != nil {
			return nil, fmt.Errorf("index entry %q: %w", e.key, err)
		}
		b, err := block(file, h)
		if err != nil {
			return nil, err
		}
		kvs, err := blockEntries(b)
		if err != nil {
			return nil, fmt.Errorf("block at %d: %w", h.offset, err)
		}
		out = append(out, kvs...)
	}
	return out, nil
}

// protoFields walks the top-level fields of a protobuf message, calling f with each field number, wire type,
// varint value (wire types 0 and 5) and bytes (wire type 2).
func protoFields(b []byte, f func(num int, wire int, v uint64, payload []byte) error) error {
	for len(b) > 0 {
		tag, n := binary.Uvarint(b)
		if n <= 0 {
			return errors.New("bad protobuf tag")
		}
		b = b[n:]
		num, wire := int(tag>>3), int(tag&7)
		switch wire {
		case 0:
			v, n := binary.Uvarint(b)
			if n <= 0 {
				return errors.New("bad protobuf varint")
			}
			b = b[n:]
			if err := f(num, wire, v, nil); err != nil {
				return err
			}
		case 1:
			if len(b) < 8 {
				return errors.New("truncated protobuf fixed64")
			}
			if err := f(num, wire, binary.LittleEndian.Uint64(b), nil); err != nil {
				return err
			}
			b = b[8:]
		case 2:
			l, n := binary.Uvarint(b)
			if n <= 0 || l > uint64(len(b)-n) {
				return errors.New("bad protobuf length")
			}
			if err := f(num, wire, 0, b[n:n+int(l)]); err != nil {
				return err
			}
			b = b[n+int(l):]
		case 5:
			if len(b) < 4 {
				return errors.New("truncated protobuf fixed32")
			}
			if err := f(num, wire, uint64(binary.LittleEndian.Uint32(b)), nil); err != nil {
				return err
			}
			b = b[4:]
		default:
			return fmt.Errorf("unsupported protobuf wire type %d", wire)
		}
	}
	return nil
}

type bundleEntry struct {
	dtype        int
	shape        []int
	shard        int
	offset, size int64
	crc          uint32
}

// parseEntry decodes a BundleEntryProto: dtype=1, shape=2 (TensorShapeProto: dim=2 {size=1}), shard_id=3,
// offset=4, size=5, crc32c=6 (fixed32), slices=7 (partitioned variables: refused).
func parseEntry(b []byte) (bundleEntry, error) {
	var e bundleEntry
	err := protoFields(b, func(num, wire int, v uint64, p []byte) error {
		switch num {
		case 1:
			e.dtype = int(v)
		case 2:
			e.shape = []int{}
			return protoFields(p, func(num, wire int, v uint64, p []byte) error {
				if num != 2 {
					return nil
				}
				size := int64(0)
				if err := protoFields(p, func(num, wire int, v uint64, _ []byte) error {
					if num == 1 {
						size = int64(v)
					}
					return nil
				}); err != nil {
					return err
				}
				if size < 0 || size > 1<<31 {
					return fmt.Errorf("bad dimension %d", size)
				}
				e.shape = append(e.shape, int(size))
				return nil
			})
		case 3:
			e.shard = int(v)
		case 4:
			e.offset = int64(v)
		case 5:
			e.size = int64(v)
		case 6:
			e.crc = uint32(v)
		case 7:
			return errors.New("partitioned (sliced) variables are not supported")
		}
		return nil
	})
	return e, err
}

// checkHeader decodes the BundleHeaderProto (num_shards=1, endianness=2: 0 little, 1 big).
func checkHeader(b []byte) error {
	return protoFields(b, func(num, wire int, v uint64, _ []byte) error {
		switch {
		case num == 1 && v != 1:
			return fmt.Errorf("%d shards; only single-shard bundles are supported", v)
		case num == 2 && v != 0:
			return errors.New("big-endian bundle; only little-endian is supported")
		}
		return nil
	})
}

// trainingOnly reports the variables a trained checkpoint carries that inference never reads: optimiser slots
// and counters.
func trainingOnly(name string) bool {
	return strings.HasSuffix(name, "/Adam") || strings.HasSuffix(name, "/Adam_1") ||
		strings.HasPrefix(name, "beta1_power") || strings.HasPrefix(name, "beta2_power") || name == "global_step" ||
		bytes.Contains([]byte(name), []byte("/Momentum"))
}
