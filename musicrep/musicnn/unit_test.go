package musicnn

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRoundFloat16(t *testing.T) {
	inf := float32(math.Inf(1))
	for _, c := range []struct{ in, want float32 }{
		{0, 0},
		{1, 1},
		{1 + 1.0/2048, 1},                   // halfway between 1 and 1+2^-10: ties to even
		{1 + 3.0/2048, 1 + 2.0/1024},        // halfway, rounds up to the even mantissa
		{1 + 1.0/2048 + 1e-7, 1 + 1.0/1024}, // just above halfway
		{10000, 10000},
		{65504, 65504},
		{65519, 65504},
		{65520, inf},
		{-70000, -inf},
		{6e-8, 5.9604645e-08},          // smallest subnormal, 2^-24
		{2e-8, 0},                      // below half the smallest subnormal
		{0.1, 0.0999755859375},         // np.float16(0.1)
		{3.14159265, 3.140625},         // np.float16(np.pi)
		{4.8164062, 4.81640625},        // a float16 value stays
		{1e-5, 1.0013580322265625e-05}, // np.float16(1e-5), a subnormal
	} {
		if got := RoundFloat16(c.in); got != c.want {
			t.Errorf("RoundFloat16(%g) = %g, want %g", c.in, got, c.want)
		}
	}
}

func TestLogCompress(t *testing.T) {
	for _, c := range []struct{ in, want float32 }{
		{0, 0},
		{1, 4},             // log10(10001) = 4.0000434 → float16 4
		{1e-4, 0.30102539}, // log10(2) in float16
		// Above 6.55, musicnn's float16 product overflows (+Inf); the fix computes it in float32.
		{100, 6},
		{7, RoundFloat16(float32(math.Log10(70001)))},
	} {
		if got := LogCompress(c.in); got != c.want {
			t.Errorf("LogCompress(%g) = %.8g, want %.8g", c.in, got, c.want)
		}
	}
}

// TestFrontEndFrames checks librosa's frame count (1 + n/256 centred frames), the patching (whole patches
// only), the block-size independence of the stream, and the repeat padding of a signal shorter than a patch.
func TestFrontEndFrames(t *testing.T) {
	signal := make([]float32, 3*PatchFrames*HopSize+1000)
	for i := range signal {
		signal[i] = float32(0.3 * math.Sin(float64(i)*0.05) * math.Sin(float64(i)*0.0007))
	}
	run := func(x []float32, block int) ([]float32, int64) {
		fe := NewFrontEnd()
		var out []float32
		emit := func(p []float32) error { out = append(out, p...); return nil }
		for lo := 0; lo < len(x); lo += block {
			if err := fe.Push(x[lo:min(len(x), lo+block)], emit); err != nil {
				t.Fatal(err)
			}
		}
		frames, err := fe.Finish(emit)
		if err != nil {
			t.Fatal(err)
		}
		return out, frames
	}
	a, frames := run(signal, len(signal))
	if want := int64(1 + len(signal)/HopSize); frames != want {
		t.Errorf("frames = %d, want %d", frames, want)
	}
	if len(a) != 3*PatchValues {
		t.Errorf("%d patches, want 3", len(a)/PatchValues)
	}
	b, _ := run(signal, 777)
	if maxAbsDiff(a, b) != 0 {
		t.Errorf("blocks of 777 samples give other patches than one block")
	}
	short, frames := run(signal[:HopSize*50], 1000)
	if frames != 51 || len(short) != PatchValues {
		t.Fatalf("short signal: %d frames, %d values", frames, len(short))
	}
	for i := range PatchValues {
		if short[i] != short[i%(51*Bands)] {
			t.Fatalf("short signal: value %d is not the repeat of frame %d", i, i/Bands%51)
		}
	}
	if none, _ := run(nil, 1); len(none) != 0 {
		t.Errorf("empty signal: %d values, want no patch", len(none))
	}
}

func TestReadBundleErrors(t *testing.T) {
	dir, err := Locate("MSD_musicnn")
	if err != nil {
		t.Skipf("skipping: %v", err)
	}
	index, err := os.ReadFile(filepath.Join(dir, ".index"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, ".data-00000-of-00001"))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	write := func(name string, index, data []byte) string {
		d := filepath.Join(tmp, name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if index != nil {
			if err := os.WriteFile(filepath.Join(d, ".index"), index, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if data != nil {
			if err := os.WriteFile(filepath.Join(d, ".data-00000-of-00001"), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	flip := func(b []byte, i int) []byte {
		c := append([]byte{}, b...)
		c[i] ^= 0x40
		return c
	}
	for _, c := range []struct {
		name, dir, want string
	}{
		{"no index", write("noindex", nil, data), "no checkpoint index"},
		{"no data", write("nodata", index, nil), "reading the checkpoint data"},
		{"truncated index", write("shortindex", index[:len(index)-10], data), "no table magic"},
		{"damaged index", write("badindex", flip(index, 100), data), "CRC-32C mismatch"},
		{"truncated data", write("shortdata", index, data[:len(data)/2]), "outside the file"},
		{"damaged data", write("baddata", index, flip(data, len(data)/3)), "CRC-32C mismatch"},
		{"not a checkpoint", write("garbage", []byte("hello"), data), "shorter than a table footer"},
	} {
		_, err := Load("MSD_musicnn", c.dir, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one saying %q", c.name, err, c.want)
		}
	}
	if _, err := Load("MSD_musicnn", filepath.Join(tmp, "noindex"), nil); !errors.Is(err, ErrModelMissing) {
		t.Errorf("a missing index should wrap ErrModelMissing: %v", err)
	}
	// The vgg checkpoint is not a musicnn one: the error names the missing variable.
	vgg, err := Locate("MSD_vgg")
	if err == nil {
		if _, err := Load("MSD_musicnn", vgg, nil); err == nil || !strings.Contains(err.Error(), "not a MSD_musicnn checkpoint") {
			t.Errorf("loading MSD_vgg's checkpoint as MSD_musicnn: %v", err)
		}
	}
}
