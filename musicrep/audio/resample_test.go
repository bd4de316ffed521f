package audio

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func sine(n, rate int, freq, amp float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(amp * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
	}
	return x
}

// rmsDB is the RMS level in dB (re full-scale amplitude 1) of x[lo:hi].
func rmsDB(x []float32, lo, hi int) float64 {
	var s float64
	for _, v := range x[lo:hi] {
		s += float64(v) * float64(v)
	}
	return 10 * math.Log10(s/float64(hi-lo)+1e-300)
}

// A tone in the pass band comes out as the same tone at the new rate: its frequency and amplitude are preserved
// (the output is compared with the ideal sine sampled at 16 kHz).
func TestResamplePreservesTones(t *testing.T) {
	opt := DefaultResamplerOptions()
	for _, tc := range []struct {
		in   int
		freq float64
	}{
		{44100, 440}, {44100, 1000}, {48000, 3000}, {22050, 5000}, {44100, 7000}, {16000, 1000}, {8000, 1000},
	} {
		x := sine(tc.in, tc.in, tc.freq, 0.5) // 1 s
		y, err := Resample(x, tc.in, 16000, opt)
		if err != nil {
			t.Fatal(err)
		}
		if want := int(math.Ceil(float64(len(x)) * 16000 / float64(tc.in))); len(y) != want {
			t.Errorf("%d → 16000: %d samples, want ceil(n·16000/%d) = %d", tc.in, len(y), tc.in, want)
		}
		ideal := sine(len(y), 16000, tc.freq, 0.5)
		// Away from the edges (where the input's zero padding is felt).
		lo, hi := 2000, len(y)-2000
		diff := make([]float32, len(y))
		for i := range y {
			diff[i] = y[i] - ideal[i]
		}
		snr := rmsDB(ideal, lo, hi) - rmsDB(diff, lo, hi)
		t.Logf("%5d → 16000 Hz, %4.0f Hz tone: error %.1f dB below the signal", tc.in, tc.freq, -snr)
		if snr < 90 {
			t.Errorf("%d → 16000 Hz, %.0f Hz tone: the output differs from the ideal tone at −%.1f dB, want ≤ −90 dB",
				tc.in, tc.freq, snr)
		}
	}
}

// Tones above the output Nyquist frequency (8 kHz) are removed: what aliases back is ≥ 100 dB down.
func TestResampleRejectsAliases(t *testing.T) {
	opt := DefaultResamplerOptions()
	for _, tc := range []struct {
		in   int
		freq float64
	}{
		{44100, 8000}, {44100, 8300}, {44100, 12000}, {44100, 20000}, {48000, 9000}, {48000, 23000}, {22050, 10000},
	} {
		x := sine(tc.in, tc.in, tc.freq, 1)
		y, err := Resample(x, tc.in, 16000, opt)
		if err != nil {
			t.Fatal(err)
		}
		level := rmsDB(y, 2000, len(y)-2000) - rmsDB(x, 0, len(x))
		t.Logf("%5d → 16000 Hz, %5.0f Hz tone: %.1f dB", tc.in, tc.freq, level)
		if level > -100 {
			t.Errorf("%d → 16000 Hz: a %.0f Hz tone comes through at %.1f dB, want ≤ −100 dB", tc.in, tc.freq, level)
		}
	}
}

// Feeding the input in any chunks gives bit-identical output (MelFile relies on it).
func TestResampleChunkInvariant(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, 50000)
	for i := range x {
		x[i] = float32(rng.NormFloat64() * 0.1)
	}
	for _, rates := range [][2]int{{44100, 16000}, {22050, 16000}, {16000, 44100}, {48000, 16000}} {
		whole, err := Resample(x, rates[0], rates[1], DefaultResamplerOptions())
		if err != nil {
			t.Fatal(err)
		}
		r, err := NewResampler(rates[0], rates[1], DefaultResamplerOptions())
		if err != nil {
			t.Fatal(err)
		}
		var got []float32
		for i := 0; i < len(x); {
			n := min(1+rng.IntN(3000), len(x)-i)
			got = r.Process(got, x[i:i+n])
			i += n
		}
		got = r.Flush(got)
		if len(got) != len(whole) {
			t.Fatalf("%v: chunked %d samples, whole %d", rates, len(got), len(whole))
		}
		for i := range got {
			if got[i] != whole[i] {
				t.Fatalf("%v: sample %d differs: chunked %v, whole %v", rates, i, got[i], whole[i])
			}
		}
	}
}

func TestResamplerOptionsChecked(t *testing.T) {
	for _, opt := range []ResamplerOptions{{0, 1, 100}, {0.9, 0.8, 100}, {0.9, 1, 10}} {
		if _, err := NewResampler(44100, 16000, opt); err == nil {
			t.Errorf("NewResampler accepted %+v", opt)
		}
	}
	if _, err := NewResampler(0, 16000, DefaultResamplerOptions()); err == nil {
		t.Error("NewResampler accepted a zero rate")
	}
	// 96,001 → 16,000 Hz would need 16,000 phases of 1,080 taps (69 MB): refused before the table is built.
	if _, err := NewResampler(96001, 16000, DefaultResamplerOptions()); err == nil ||
		!strings.Contains(err.Error(), "too irregular") {
		t.Errorf("NewResampler(96001 → 16000): %v, want the ratio refused as too irregular", err)
	}
}

// The resampler's inner product (SIMD when built with GOEXPERIMENT=simd on a CPU that has it, else scalar) agrees
// with a float64 reference within float32 rounding for every length (vector bodies and scalar tails), and gives the
// same result for the same operands wherever they lie in memory.
func TestDotKernel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n <= 140; n++ {
		h := make([]float32, n)
		x := make([]float32, n+7)
		for i := range h {
			h[i] = float32(rng.NormFloat64())
		}
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		for off := range 8 {
			var ref, abs float64
			for i := range h {
				ref += float64(h[i]) * float64(x[off+i])
				abs += math.Abs(float64(h[i]) * float64(x[off+i]))
			}
			got := dot(h, x[off:])
			// Each of the n products and sums rounds once in float32: |error| ≤ n·2⁻²⁴·Σ|h·x| (a loose bound).
			if tol := float64(n+1) * 0x1p-24 * abs; math.Abs(float64(got)-ref) > tol {
				t.Errorf("%s dot, n=%d offset %d: %g, float64 reference %g (tolerance %g)", dotKernelName, n, off,
					got, ref, tol)
			}
			y := append([]float32(nil), x[off:off+n]...)
			if again := dot(h, y); again != got {
				t.Errorf("%s dot, n=%d: %g on a copy of the input, %g in place", dotKernelName, n, again, got)
			}
		}
	}
	t.Logf("dot kernel: %s", dotKernelName)
}

// The two-output inner product gives, for each output, the same bits as the one-output one.
func TestDot2Kernel(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for n := 0; n <= 540; n++ {
		h, x, y := make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range h {
			h[i], x[i], y[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64()), float32(rng.NormFloat64())
		}
		gx, gy := dot2Kernel(h, x, y)
		if wx, wy := dot(h, x), dot(h, y); math.Float32bits(gx) != math.Float32bits(wx) ||
			math.Float32bits(gy) != math.Float32bits(wy) {
			t.Fatalf("%s, n=%d: dot2 gave %g, %g; dot %g, %g", dotKernelName, n, gx, gy, wx, wy)
		}
	}
}

// The stereo mixdown and the finiteness check in use (AVX2 under GOEXPERIMENT=simd) against the scalar loops.
func TestMixKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for n := 0; n <= 40; n++ {
		x := make([]float32, 2*n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		got, want := make([]float32, n), make([]float32, n)
		mixStereo(got, x)
		mixStereoScalar(want, x)
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("n=%d: mix[%d] = %g, scalar %g", n, i, got[i], want[i])
			}
		}
		if !allFinite(x) {
			t.Fatalf("n=%d: finite samples reported non-finite", n)
		}
		for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))} {
			for i := range x {
				y := append([]float32(nil), x...)
				y[i] = bad
				if allFinite(y) {
					t.Fatalf("n=%d: %v at %d not found", n, bad, i)
				}
			}
		}
	}
}
