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
	}
}

var zeros8 = archsimd.BroadcastFloat32x8(0)

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
