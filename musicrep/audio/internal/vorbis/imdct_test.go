package vorbis

import (
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
