package index

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
)

// ReadRawFloat32 reads a file of raw little-endian float32 values (numpy's x.astype("<f4").tofile(path)) holding
// vectors of length dim, and returns them as a row-major matrix. It is an error for the file to be empty or not a
// whole number of vectors; the values are not checked (NewFlat, NewIVF and Search do that).
func ReadRawFloat32(path string, dim int) ([]float32, error) {
	if dim <= 0 {
		return nil, fmt.Errorf("index: %s: a raw float32 file needs the vector length (dim), got %d", path, dim)
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
	if size == 0 || size%int64(4*dim) != 0 {
		return nil, fmt.Errorf("index: %s: %d bytes is not a whole, non-zero number of %d-dimensional float32 vectors "+
			"(%d bytes each; check -dim)", path, size, dim, 4*dim)
	}
	out := make([]float32, size/4)
	r := bufio.NewReaderSize(f, 1<<20)
	buf := make([]byte, 1<<16)
	for i := 0; i < len(out); {
		m := min(len(buf)/4, len(out)-i)
		if _, err := io.ReadFull(r, buf[:4*m]); err != nil {
			return nil, fmt.Errorf("index: reading %s: %w", path, err)
		}
		for j := 0; j < m; j++ {
			out[i+j] = math.Float32frombits(binary.LittleEndian.Uint32(buf[4*j:]))
		}
		i += m
	}
	return out, nil
}

// WriteRawFloat32 writes v as raw little-endian float32 values to path, atomically (see Index.Save).
func WriteRawFloat32(path string, v []float32) error {
	return writeFileAtomic(path, func(w io.Writer) error {
		for i := 0; i < len(v); i += 1 << 16 {
			if err := writeF32(w, v[i:min(i+1<<16, len(v))]); err != nil {
				return err
			}
		}
		return nil
	}, nil)
}
