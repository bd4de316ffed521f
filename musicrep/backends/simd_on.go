//go:build goexperiment.simd

package backends

// SIMDEnabled reports whether this binary was built with GOEXPERIMENT=simd, which compiles the pure-Go
// backend's AVX-512 matrix multiplication.
const SIMDEnabled = true
