package vorbis

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

func imdctSlow(in []float32) []float32 {
	n := len(in)
	fn := float32(n)
	out := make([]float32, 2*n)
	for i := range out {
		var sum float32
		fi := float32(i)
		for k := 0; k < n; k++ {
			fk := float32(k)
			sum += in[k] * float32(math.Cos(float64((math.Pi/fn)*(fi+.5+fn/2)*(fk+.5))))
		}
		out[i] = sum
	}
	return out
}

func TestIMDCT(t *testing.T) {
	//rand.Seed(0)
	const blocksize = 256
	data := make([]float32, blocksize/2)
	for i := range data {
		data[i] = rand.Float32()
	}

	reference := imdctSlow(data)

	var lookup imdctLookup
	generateIMDCTLookup(blocksize, &lookup)
	result := make([]float32, blocksize)
	imdct(&lookup, data, result)

	for i := range result {
		if !equalAbs(result[i], reference[i], 1.002) {
			t.Errorf("different values at index %d (%g != %g)", i, result[i], reference[i])
			break
		}
	}
}

func BenchmarkIMDCT(b *testing.B) {
	const blocksize = 8192

	data := make([]float32, blocksize/2)
	for i := range data {
		data[i] = rand.Float32()
	}

	var lookup imdctLookup
	generateIMDCTLookup(blocksize, &lookup)
	out := make([]float32, blocksize)

	in := make([]float32, blocksize/2)

	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// the imdct function does not preserve the input,
		// reset it, otherwise everything ends up being NaN
		copy(in, data)
		imdct(&lookup, in, out)
	}
}

func equalRel(a, b, tolerance float32) bool {
	return (a > b && a/b < tolerance) || b/a < tolerance
}

func equalAbs(a, b, tolerance float32) bool {
	return a-b < tolerance && b-a < tolerance
}

// musicrep: the IMDCT (whose loops index without bounds checks) against a float64 naive transform for every Vorbis
// block size, 64 to 8192.
func TestIMDCTAllSizes(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	for n := 64; n <= 8192; n *= 2 {
		in := make([]float32, n/2)
		var scale float64
		for i := range in {
			in[i] = rng.Float32()*2 - 1
			scale += math.Abs(float64(in[i]))
		}
		ref := make([]float64, n)
		for i := range ref {
			var s float64
			for k, v := range in {
				s += float64(v) * math.Cos(math.Pi/float64(n/2)*(float64(i)+.5+float64(n/4))*(float64(k)+.5))
			}
			ref[i] = s
		}
		var lookup imdctLookup
		generateIMDCTLookup(n, &lookup)
		out := make([]float32, n)
		imdct(&lookup, append([]float32(nil), in...), out)
		for i := range out {
			if d := math.Abs(float64(out[i]) - ref[i]); d > 1e-5*scale {
				t.Fatalf("n=%d: out[%d] = %g, naive %g (|Δ| %g > %g)", n, i, out[i], ref[i], d, 1e-5*scale)
			}
		}
	}
}

// musicrep: the IMDCT in use (the AVX2 one under GOEXPERIMENT=simd on a CPU with AVX2) gives the same bits as
// upstream's scalar transform for every Vorbis block size, on inputs of mixed magnitudes and signs, zeros of both
// signs included. The output buffer starts with garbage, as the decoder's does.
func TestIMDCTKernelsIdentical(t *testing.T) {
	t.Logf("kernel in use: %s", imdctKernelName())
	rng := rand.New(rand.NewSource(7))
	for n := 64; n <= 8192; n *= 2 {
		var lookup imdctLookup
		generateIMDCTLookup(n, &lookup)
		for trial := range 20 {
			in := make([]float32, n/2)
			for i := range in {
				switch rng.Intn(10) {
				case 0:
					in[i] = 0
				case 1:
					in[i] = float32(math.Copysign(0, -1))
				default:
					in[i] = float32(rng.NormFloat64() * math.Pow(10, float64(rng.Intn(9)-6)))
				}
			}
			want, got := make([]float32, n), make([]float32, n)
			for i := range got {
				got[i], want[i] = float32(i), float32(-i)
			}
			imdctScalar(&lookup, append([]float32(nil), in...), want)
			imdct(&lookup, append([]float32(nil), in...), got)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("n=%d trial %d: out[%d] = %g (%#x), scalar %g (%#x)", n, trial, i, got[i],
						math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
				}
			}
		}
	}
}

// BenchmarkIMDCTKernels runs upstream's scalar IMDCT and the one in use on the block sizes of the usual 44.1 kHz
// encodings (256 and 2048).
func BenchmarkIMDCTKernels(b *testing.B) {
	for _, n := range []int{256, 2048} {
		for _, k := range []struct {
			name string
			f    func(*imdctLookup, []float32, []float32)
		}{{"scalar", imdctScalar}, {imdctKernelName(), imdct}} {
			b.Run(fmt.Sprintf("n=%d/%s", n, k.name), func(b *testing.B) {
				rng := rand.New(rand.NewSource(1))
				data := make([]float32, n/2)
				for i := range data {
					data[i] = rng.Float32()*2 - 1
				}
				var lookup imdctLookup
				generateIMDCTLookup(n, &lookup)
				in, out := make([]float32, n/2), make([]float32, n)
				for b.Loop() {
					copy(in, data)
					k.f(&lookup, in, out)
				}
			})
		}
	}
}

// musicrep: the decoder's elementwise loops in use (AVX2 under GOEXPERIMENT=simd) against the scalar ones, bit for
// bit, for every length up to 70 (vector bodies and tails) on values with both signs, zeros of both signs and the
// equal-magnitude cases of the coupling.
func TestElementwiseKernelsIdentical(t *testing.T) {
	rng := rand.New(rand.NewSource(9))
	val := func() float32 {
		switch rng.Intn(8) {
		case 0:
			return 0
		case 1:
			return float32(math.Copysign(0, -1))
		case 2:
			return float32(rng.Intn(5) - 2)
		default:
			return float32(rng.NormFloat64())
		}
	}
	same := func(a, b []float32) bool {
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
				return false
			}
		}
		return true
	}
	for n := 0; n <= 70; n++ {
		for range 20 {
			m, a, w := make([]float32, n), make([]float32, n), make([]float32, n)
			for i := range m {
				m[i], a[i], w[i] = val(), val(), val()
			}
			m1, a1 := append([]float32(nil), m...), append([]float32(nil), a...)
			m2, a2 := append([]float32(nil), m...), append([]float32(nil), a...)
			uncoupleScalar(m1, a1)
			uncouple(m2, a2)
			if !same(m1, m2) || !same(a1, a2) {
				t.Fatalf("n=%d: uncouple %v %v, scalar %v %v (from %v %v)", n, m2, a2, m1, a1, m, a)
			}
			s1, s2 := append([]float32(nil), m...), append([]float32(nil), m...)
			for i := range s1 {
				s1[i] *= w[i]
			}
			mulInPlace(s2, w)
			if !same(s1, s2) {
				t.Fatalf("n=%d: mulInPlace %v, scalar %v", n, s2, s1)
			}
			ov := make([]float32, 2*n)
			for i := range ov {
				ov[i] = val()
			}
			want, got := make([]float32, 2*n), make([]float32, 2*n)
			for i := range m {
				want[2*i], want[2*i+1] = m[i]+ov[2*i], a[i]+ov[2*i+1]
			}
			addInterleaved2(got, m, a, ov)
			if !same(want, got) {
				t.Fatalf("n=%d: addInterleaved2 %v, scalar %v", n, got, want)
			}
			for i := range m {
				want[2*i], want[2*i+1] = m[i], a[i]
			}
			interleave2(got, m, a)
			if !same(want, got) {
				t.Fatalf("n=%d: interleave2 %v, scalar %v", n, got, want)
			}
		}
	}
}
