package audio

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/dsp/fourier"
)

// powerFFT against a naive DFT (float64, O(n²)) and against gonum's real FFT, for every power-of-two size from 4
// to 4096 on random frames: agreement within 1e-12 of the frame's total power (Parseval: Σ|X|² = n·Σx²).
func TestPowerFFT(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for n := 4; n <= 4096; n *= 2 {
		f := newPowerFFT(n)
		x := make([]float64, n)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		var energy float64
		for _, v := range x {
			energy += v * v
		}
		energy *= float64(n)
		got := make([]float64, n/2+1)
		f.power(x, got)
		g := fourier.NewFFT(n)
		coeffs := g.Coefficients(nil, x)
		for k := range got {
			ref := real(coeffs[k])*real(coeffs[k]) + imag(coeffs[k])*imag(coeffs[k])
			if math.Abs(got[k]-ref) > 1e-12*energy {
				t.Fatalf("n=%d bin %d: %g, gonum %g", n, k, got[k], ref)
			}
			if n <= 512 {
				var re, im float64
				for j, v := range x {
					s, c := math.Sincos(-2 * math.Pi * float64(j*k%n) / float64(n))
					re += v * c
					im += v * s
				}
				if naive := re*re + im*im; math.Abs(got[k]-naive) > 1e-12*energy {
					t.Fatalf("n=%d bin %d: %g, naive DFT %g", n, k, got[k], naive)
				}
			}
		}
	}
	if newPowerFFT(48) != nil || newPowerFFT(2) != nil {
		t.Error("newPowerFFT accepts a size that is not a power of two ≥ 4")
	}
}

func BenchmarkPowerSpectrum(b *testing.B) {
	x := make([]float64, 512)
	for i := range x {
		x[i] = math.Sin(float64(i) * 0.3)
	}
	out := make([]float64, 257)
	b.Run("powerFFT", func(b *testing.B) {
		f := newPowerFFT(512)
		for b.Loop() {
			f.power(x, out)
		}
	})
	b.Run("gonum", func(b *testing.B) {
		g := fourier.NewFFT(512)
		c := make([]complex128, 257)
		for b.Loop() {
			g.Coefficients(c, x)
			for k, v := range c {
				out[k] = real(v)*real(v) + imag(v)*imag(v)
			}
		}
	})
}

// The FFT stages in use (AVX2 under GOEXPERIMENT=simd) give the same bits as the scalar ones for every power-of-two
// size up to 8192.
func TestFFTStagesIdentical(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for n := 4; n <= 8192; n *= 2 {
		f := newPowerFFT(n)
		re, im := make([]float64, f.m), make([]float64, f.m)
		for i := range re {
			re[i], im[i] = rng.NormFloat64(), rng.NormFloat64()
		}
		re2, im2 := append([]float64(nil), re...), append([]float64(nil), im...)
		fftStagesScalar(f, re, im)
		fftStages(f, re2, im2)
		for i := range re {
			if math.Float64bits(re[i]) != math.Float64bits(re2[i]) || math.Float64bits(im[i]) != math.Float64bits(im2[i]) {
				t.Fatalf("n=%d: bin %d: %g%+gi, scalar %g%+gi", n, i, re2[i], im2[i], re[i], im[i])
			}
		}
	}
}
