//go:build !goexperiment.simd

package backends

// SIMDEnabled reports whether this binary was built with GOEXPERIMENT=simd, which compiles the pure-Go
// backend's SIMD (AVX2/AVX-512) matrix multiplication kernels.
const SIMDEnabled = false
