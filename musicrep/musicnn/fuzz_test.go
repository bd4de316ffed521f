package musicnn

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzTable feeds arbitrary bytes to the checkpoint index reader: it must return an error or entries, never
// panic or allocate without bound.
func FuzzTable(f *testing.F) {
	if dir, err := Locate("MSD_vgg"); err == nil {
		if b, err := os.ReadFile(filepath.Join(dir, ".index")); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("short"))
	f.Add(make([]byte, footerLen))
	f.Fuzz(func(t *testing.T, b []byte) {
		kvs, err := readTable(b)
		if err != nil {
			return
		}
		for _, kv := range kvs {
			if kv.key == "" {
				_ = checkHeader(kv.value)
				continue
			}
			_, _ = parseEntry(kv.value)
		}
	})
}
