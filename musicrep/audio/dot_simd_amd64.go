//go:build goexperiment.simd && amd64

package audio

import (
	"simd/archsimd"
	"unsafe"
)

// SIMD inner products for the resampler (GOEXPERIMENT=simd). The 496 taps of the default 44.1 → 16 kHz filter are
// 31 vectors of 16 float32 (62 of 8): four accumulators (so the fused multiply-adds do not wait on each other) of fused multiply-adds, then a tree reduction of the lanes; a scalar
// tail handles lengths that are not a multiple of the vector width.
func init() {
	switch {
	case archsimd.X86.AVX512():
		dotKernel, dotKernelName = dotAVX512, "avx512"
	case archsimd.X86.AVX2() && archsimd.X86.FMA():
		dotKernel, dotKernelName = dotAVX2, "avx2"
		dot2Kernel = dot2AVX2
	}
}

// The loops advance unsafe pointers: the bounds (i+w ≤ n = len(h) = len(x)) are checked by the loop conditions;
// slicing each vector safely costs more instructions than the multiply-adds, and advancing pointers instead of
// indexing saves the address arithmetic (AVX2: 38 -> 33.5 ns per 496-tap dot, min of 3000 blocks of 100 calls).
// The AVX-512 version has not run on this project's Zen 3 test machine (no AVX-512): TestDotKernel checks it on
// any machine that has it.
func at16(p unsafe.Pointer, i int) archsimd.Float32x16 {
	return archsimd.LoadFloat32x16Array((*[16]float32)(unsafe.Add(p, 4*i)))
}

func at8(p unsafe.Pointer, i int) archsimd.Float32x8 {
	return archsimd.LoadFloat32x8Array((*[8]float32)(unsafe.Add(p, 4*i)))
}

func dotAVX512(h, x []float32) float32 {
	n := len(h)
	x = x[:n]
	ph, px := unsafe.Pointer(unsafe.SliceData(h)), unsafe.Pointer(unsafe.SliceData(x))
	var a, b, c, d archsimd.Float32x16
	i := 0
	for ; i+64 <= n; i += 64 {
		a = at16(ph, 0).MulAdd(at16(px, 0), a)
		b = at16(ph, 16).MulAdd(at16(px, 16), b)
		c = at16(ph, 32).MulAdd(at16(px, 32), c)
		d = at16(ph, 48).MulAdd(at16(px, 48), d)
		ph, px = unsafe.Add(ph, 256), unsafe.Add(px, 256)
	}
	for ; i+16 <= n; i += 16 {
		a = at16(ph, 0).MulAdd(at16(px, 0), a)
		ph, px = unsafe.Add(ph, 64), unsafe.Add(px, 64)
	}
	s := a.Add(b).Add(c.Add(d))
	r := sum8(s.GetLo().Add(s.GetHi()))
	if i < n {
		r += dotScalar(h[i:], x[i:])
	}
	return r
}

func dotAVX2(h, x []float32) float32 {
	n := len(h)
	x = x[:n]
	ph, px := unsafe.Pointer(unsafe.SliceData(h)), unsafe.Pointer(unsafe.SliceData(x))
	var a, b, c, d archsimd.Float32x8
	i := 0
	for ; i+32 <= n; i += 32 {
		a = at8(ph, 0).MulAdd(at8(px, 0), a)
		b = at8(ph, 8).MulAdd(at8(px, 8), b)
		c = at8(ph, 16).MulAdd(at8(px, 16), c)
		d = at8(ph, 24).MulAdd(at8(px, 24), d)
		ph, px = unsafe.Add(ph, 128), unsafe.Add(px, 128)
	}
	for ; i+8 <= n; i += 8 {
		a = at8(ph, 0).MulAdd(at8(px, 0), a)
		ph, px = unsafe.Add(ph, 32), unsafe.Add(px, 32)
	}
	r := sum8(a.Add(b).Add(c.Add(d)))
	if i < n {
		r += dotScalar(h[i:], x[i:])
	}
	return r
}

// sum8 adds the 8 lanes of v pairwise and leaves the AVX state clean: VZEROUPPER before any scalar (SSE-encoded)
// instruction runs. Without it every later SSE instruction in the process pays for the dirty upper halves (measured
// on this Zen 3 KVM machine: the AVX2 dot product took 158 ns instead of 40 ns, slower than the scalar loop, and a
// 128-bit version 7 µs).
func sum8(v archsimd.Float32x8) float32 {
	q := v.GetLo().Add(v.GetHi())
	var out [4]float32
	q.StoreArray(&out)
	archsimd.ClearAVXUpperBits()
	// The pairwise order of two AddPairs steps (Go 1.26's archsimd had them, 1.27's does not): the same sums.
	return (out[0] + out[1]) + (out[2] + out[3])
}

// dot2FMA is in dot2_amd64.s.
//
//go:noescape
func dot2FMA(h, x, y *float32, n int) (rx, ry float32)

// dot2AVX2 is dotAVX2 on two inputs at once (dot2FMA, assembly), with dotAVX2's scalar tail: each result is
// bit-identical to dotAVX2's.
func dot2AVX2(h, x, y []float32) (float32, float32) {
	n := len(h)
	x, y = x[:n], y[:n]
	if n == 0 {
		return 0, 0
	}
	rx, ry := dot2FMA(&h[0], &x[0], &y[0], n)
	if i := n &^ 7; i < n {
		rx += dotScalar(h[i:], x[i:])
		ry += dotScalar(h[i:], y[i:])
	}
	return rx, ry
}
