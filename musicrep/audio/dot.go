package audio

// dot is the resampler's inner product (len(x) ≥ len(h)): four partial sums in a fixed order, so results do not
// depend on how the input was chunked. (An archsimd AVX2 version measured no faster here with Go 1.26's
// GOEXPERIMENT=simd, so there is none.)
func dot(h, x []float32) float32 {
	x = x[:len(h)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(h); i += 4 {
		s0 += h[i] * x[i]
		s1 += h[i+1] * x[i+1]
		s2 += h[i+2] * x[i+2]
		s3 += h[i+3] * x[i+3]
	}
	for ; i < len(h); i++ {
		s0 += h[i] * x[i]
	}
	return (s0 + s1) + (s2 + s3)
}
