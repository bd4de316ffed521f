package audio

// dotKernel is the resampler's inner product: the AVX-512 or AVX2 one when this binary was built with
// GOEXPERIMENT=simd and the CPU has them (dot_simd_amd64.go), else dotScalar. Each gives the same result for the
// same (h, x) whatever the call's context, so the resampler stays chunk-invariant; they differ from each other in
// the last bits (summation order, fused multiply-adds), well within the goldens' tolerances (mel_golden_test.go).
var dotKernel = dotScalar

// dotKernelName says which inner product the resampler uses: "avx512", "avx2" or "scalar".
var dotKernelName = "scalar"

func dot(h, x []float32) float32 { return dotKernel(h, x) }

// dot2Kernel computes dot(h, x) and dot(h, y) in one pass over h (the resampler's phase-major blocks: two outputs
// of the same filter phase). Each result is bit-identical to dotKernel's on the same operands: the same
// accumulators, in the same order, per output (TestDot2Kernel).
var dot2Kernel = func(h, x, y []float32) (float32, float32) { return dotKernel(h, x), dotKernel(h, y) }

// dotScalar is the plain-Go inner product (len(x) ≥ len(h)): four partial sums in a fixed order.
func dotScalar(h, x []float32) float32 {
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
