// Package audiotest writes small audio files for tests: 16 kHz mono PCM16 WAVs of tones.
package audiotest

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// WriteToneWAV writes seconds of a freq-Hz tone (amplitude 0.3 of full scale ~0.61) as a 16 kHz mono PCM16 WAV at
// path, creating its folder. modulated adds a slow amplitude modulation (1 + 0.5·sin(i/800)), so that frames
// differ over time.
func WriteToneWAV(t testing.TB, path string, seconds, freq float64, modulated bool) {
	t.Helper()
	n := int(seconds * 16000)
	b := make([]byte, 44+2*n)
	copy(b, "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+2*n))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], 1)     // PCM
	binary.LittleEndian.PutUint16(b[22:], 1)     // mono
	binary.LittleEndian.PutUint32(b[24:], 16000) // sample rate
	binary.LittleEndian.PutUint32(b[28:], 32000) // byte rate
	binary.LittleEndian.PutUint16(b[32:], 2)     // block align
	binary.LittleEndian.PutUint16(b[34:], 16)    // bits per sample
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(2*n))
	for i := range n {
		v := 0.3 * math.Sin(2*math.Pi*freq*float64(i)/16000)
		if modulated {
			v *= 1 + 0.5*math.Sin(float64(i)/800)
		}
		binary.LittleEndian.PutUint16(b[44+2*i:], uint16(int16(v*20000)))
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
