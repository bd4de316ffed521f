//go:build goexperiment.simd && amd64

package cf

import (
	"simd/archsimd"
	"unsafe"
)

// The AVX2 + FMA step (GOEXPERIMENT=simd): 8 float32 lanes, two accumulators in the dot product (a fused
// multiply-add has a latency of 4 cycles and two issue ports); the Factors % 8 tail runs in scalar code. The
// rows are addressed through unsafe pointers after one length check per call: with slice expressions the loop
// spent more instructions on bounds checks and spills than on arithmetic. Both vector loops end with
// VZEROUPPER: without it the SSE code that follows (the scalar float32 arithmetic of σ, math.Exp's assembly
// in a first version) paid the AVX–SSE transition penalty, and a whole step ran 4× slower than the scalar one
// (measured).
var simdKernels = kernelSet{name: "avx2", step: simdStep}

func init() {
	if archsimd.X86.AVX2() && archsimd.X86.FMA() {
		kernels = simdKernels
	}
}

// ld loads the 8 floats at byte offset off from p; the caller has checked that they lie inside the row.
func ld(p unsafe.Pointer, off uintptr) archsimd.Float32x8 {
	return archsimd.LoadFloat32x8Array((*[8]float32)(unsafe.Add(p, off)))
}

func st(v archsimd.Float32x8, p unsafe.Pointer, off uintptr) {
	v.StoreArray((*[8]float32)(unsafe.Add(p, off)))
}

func simdStep(u, vi, vj []float32, bi, bj *float32, lr, reg, a float32) float32 {
	n := len(u)
	if len(vi) < n || len(vj) < n {
		panic("cf: simdStep: item rows shorter than the playlist row")
	}
	pu := unsafe.Pointer(unsafe.SliceData(u))
	pi, pj := unsafe.Pointer(unsafe.SliceData(vi)), unsafe.Pointer(unsafe.SliceData(vj))
	end16, end8 := uintptr(n&^15)*4, uintptr(n&^7)*4

	var a0, a1 archsimd.Float32x8
	off := uintptr(0)
	for ; off < end16; off += 64 {
		a0 = ld(pi, off).Sub(ld(pj, off)).MulAdd(ld(pu, off), a0)
		a1 = ld(pi, off+32).Sub(ld(pj, off+32)).MulAdd(ld(pu, off+32), a1)
	}
	if off < end8 {
		a0 = ld(pi, off).Sub(ld(pj, off)).MulAdd(ld(pu, off), a0)
	}
	s := a0.Add(a1)
	var h [4]float32
	s.GetLo().Add(s.GetHi()).StoreArray(&h)
	archsimd.ClearAVXUpperBits()
	dot := (h[0] + h[1]) + (h[2] + h[3])
	for f := n &^ 7; f < n; f++ {
		dot += u[f] * (vi[f] - vj[f])
	}

	x := *bi - *bj + dot
	z := sigmoidNeg(x)
	*bi += lr * (z - reg**bi)
	*bj += lr * (-z - reg**bj)
	c := lr * z

	av, cv, nc := archsimd.BroadcastFloat32x8(a), archsimd.BroadcastFloat32x8(c), archsimd.BroadcastFloat32x8(-c)
	for off := uintptr(0); off < end8; off += 32 {
		uv, iv, jv := ld(pu, off), ld(pi, off), ld(pj, off)
		st(iv.Sub(jv).MulAdd(cv, uv.Mul(av)), pu, off)
		st(uv.MulAdd(cv, iv.Mul(av)), pi, off)
		st(uv.MulAdd(nc, jv.Mul(av)), pj, off)
	}
	archsimd.ClearAVXUpperBits()
	for f := n &^ 7; f < n; f++ {
		uf, vif, vjf := u[f], vi[f], vj[f]
		u[f] = a*uf + c*(vif-vjf)
		vi[f] = a*vif + c*uf
		vj[f] = a*vjf - c*uf
	}
	return x
}
