//go:build goexperiment.simd && amd64

package audio

import (
	"simd/archsimd"
	"unsafe"
)

// AVX2 versions of the front-end's per-sample loops between decoder and resampler (GOEXPERIMENT=simd): the stereo
// mixdown (VHADDPS adds each frame's two samples with one rounding, as the scalar x[2i] + x[2i+1]; ·½ is /2
// exactly) and the finiteness check (the largest |bits| of 8 lanes against the exponent mask). TestMixKernels
// checks both against the scalar loops.
func init() {
	if archsimd.X86.AVX2() {
		mixStereo = mixStereoAVX2
		allFinite = allFiniteAVX2
	}
}

var (
	hpairOrder = archsimd.LoadUint32x8Array(&[8]uint32{0, 1, 4, 5, 2, 3, 6, 7})
	halfs      = archsimd.BroadcastFloat32x8(0.5)
	absMask    = archsimd.BroadcastUint32x8(0x7fffffff)
)

func mixStereoAVX2(dst, interleaved []float32) {
	n := len(dst)
	interleaved = interleaved[:2*n]
	pd, px := unsafe.Pointer(unsafe.SliceData(dst)), unsafe.Pointer(unsafe.SliceData(interleaved))
	i := 0
	for ; i+8 <= n; i += 8 {
		s := at8(px, 2*i).ConcatAddPairsGrouped(at8(px, 2*i+8)) // frames i+0, 1, 4, 5 | 2, 3, 6, 7
		s.Permute(hpairOrder).Mul(halfs).StoreArray((*[8]float32)(unsafe.Add(pd, 4*i)))
	}
	archsimd.ClearAVXUpperBits()
	mixStereoScalar(dst[i:], interleaved[2*i:])
}

func allFiniteAVX2(x []float32) bool {
	n := len(x)
	p := unsafe.Pointer(unsafe.SliceData(x))
	var m archsimd.Uint32x8
	i := 0
	for ; i+8 <= n; i += 8 {
		m = m.Max(at8(p, i).AsUint32x8().And(absMask))
	}
	var lanes [8]uint32
	m.StoreArray(&lanes)
	archsimd.ClearAVXUpperBits()
	for _, v := range lanes {
		if v >= 0x7f800000 {
			return false
		}
	}
	for _, v := range x[i:] {
		if v != v || v > 3.4028235e38 || v < -3.4028235e38 {
			return false
		}
	}
	return true
}
