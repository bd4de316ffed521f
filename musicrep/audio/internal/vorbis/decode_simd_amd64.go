//go:build goexperiment.simd && amd64

package vorbis

import (
	"simd/archsimd"
	"unsafe"
)

// musicrep: AVX2 versions of the decoder's elementwise loops (GOEXPERIMENT=simd), bit-identical to the scalar ones:
// the same float32 operations on the same operands (TestElementwiseKernelsIdentical, and
// TestVorbisForkMatchesUpstream in musicrep/audio).
func init() {
	if archsimd.X86.AVX2() {
		uncouple = uncoupleAVX2
		mulInPlace = mulInPlaceAVX2
		addInterleaved2 = addInterleaved2AVX2
		interleave2 = interleave2AVX2
	}
}

var zeros8 = archsimd.BroadcastFloat32x8(0)

func ld8(p unsafe.Pointer, i int) archsimd.Float32x8 {
	return archsimd.LoadFloat32x8Array((*[8]float32)(unsafe.Add(p, 4*i)))
}

func st8(p unsafe.Pointer, i int, v archsimd.Float32x8) {
	v.StoreArray((*[8]float32)(unsafe.Add(p, 4*i)))
}

// uncoupleAVX2 is upstream's inverse coupling 8 values at a time, branch-free: with S = m+a and D = m−a, the four
// cases (m > 0, a > 0) → (m, D); (m > 0, a ≤ 0) → (S, m); (m ≤ 0, a > 0) → (m, S); (m ≤ 0, a ≤ 0) → (D, m) are
// selected by the two comparisons (false for NaN and ±0, as the scalar comparisons).
func uncoupleAVX2(mv, av []float32) {
	n := len(mv)
	av = av[:n]
	pm, pa := unsafe.Pointer(unsafe.SliceData(mv)), unsafe.Pointer(unsafe.SliceData(av))
	j := 0
	for ; j+8 <= n; j += 8 {
		m, a := ld8(pm, j), ld8(pa, j)
		mp, ap := m.Greater(zeros8), a.Greater(zeros8)
		s, d := m.Add(a), m.Sub(a)
		t := d.IfElse(mp, s) // the new angle when a > 0
		u := s.IfElse(mp, d) // the new magnitude when a ≤ 0
		st8(pm, j, m.IfElse(ap, u))
		st8(pa, j, t.IfElse(ap, m))
	}
	archsimd.ClearAVXUpperBits()
	if j < n {
		uncoupleScalar(mv[j:], av[j:])
	}
}

func mulInPlaceAVX2(s, w []float32) {
	n := len(s)
	w = w[:n]
	ps, pw := unsafe.Pointer(unsafe.SliceData(s)), unsafe.Pointer(unsafe.SliceData(w))
	i := 0
	for ; i+8 <= n; i += 8 {
		st8(ps, i, ld8(ps, i).Mul(ld8(pw, i)))
	}
	archsimd.ClearAVXUpperBits()
	for ; i < n; i++ {
		s[i] *= w[i]
	}
}

// zip8 interleaves x and y (8 values each) into the 16 values x0, y0, x1, y1, …: in-lane shuffles, then the 128-bit
// halves in order.
func zip8(x, y archsimd.Float32x8) (archsimd.Float32x8, archsimd.Float32x8) {
	t0 := x.ConcatPermuteScalarsGrouped(0, 1, 4, 5, y)  // x0 x1 y0 y1 | x4 x5 y4 y5
	t1 := x.ConcatPermuteScalarsGrouped(2, 3, 6, 7, y)  // x2 x3 y2 y3 | x6 x7 y6 y7
	t0 = t0.ConcatPermuteScalarsGrouped(0, 2, 1, 3, t0) // x0 y0 x1 y1 | x4 y4 x5 y5
	t1 = t1.ConcatPermuteScalarsGrouped(0, 2, 1, 3, t1) // x2 y2 x3 y3 | x6 y6 x7 y7
	return t0.ConcatPermute128Scalars(0, 2, t1), t0.ConcatPermute128Scalars(1, 3, t1)
}

func interleave2AVX2(dst, a, b []float32) {
	n := len(a)
	dst, b = dst[:2*n], b[:n]
	pd, pa, pb := unsafe.Pointer(unsafe.SliceData(dst)), unsafe.Pointer(unsafe.SliceData(a)),
		unsafe.Pointer(unsafe.SliceData(b))
	i := 0
	for ; i+8 <= n; i += 8 {
		lo, hi := zip8(ld8(pa, i), ld8(pb, i))
		st8(pd, 2*i, lo)
		st8(pd, 2*i+8, hi)
	}
	archsimd.ClearAVXUpperBits()
	for ; i < n; i++ {
		dst[2*i], dst[2*i+1] = a[i], b[i]
	}
}

// addInterleaved2AVX2 adds each a[i], b[i] to ov's value as the scalar loop does (src + ov, one rounding).
func addInterleaved2AVX2(dst, a, b, ov []float32) {
	n := len(a)
	dst, b, ov = dst[:2*n], b[:n], ov[:2*n]
	pd, pa, pb, po := unsafe.Pointer(unsafe.SliceData(dst)), unsafe.Pointer(unsafe.SliceData(a)),
		unsafe.Pointer(unsafe.SliceData(b)), unsafe.Pointer(unsafe.SliceData(ov))
	i := 0
	for ; i+8 <= n; i += 8 {
		lo, hi := zip8(ld8(pa, i), ld8(pb, i))
		st8(pd, 2*i, lo.Add(ld8(po, 2*i)))
		st8(pd, 2*i+8, hi.Add(ld8(po, 2*i+8)))
	}
	archsimd.ClearAVXUpperBits()
	for ; i < n; i++ {
		dst[2*i], dst[2*i+1] = a[i]+ov[2*i], b[i]+ov[2*i+1]
	}
}
