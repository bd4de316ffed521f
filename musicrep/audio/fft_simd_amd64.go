//go:build goexperiment.simd && amd64 && !amd64.v3

package audio

import (
	"simd/archsimd"
	"unsafe"
)

// Not built with GOAMD64=v3 or above, where the compiler fuses the scalar stages' multiply-adds: the vector stages,
// rounding every product, would then differ from them in the last bits.
func init() {
	if archsimd.X86.AVX2() {
		fftStages = fftStagesAVX2
	}
}

func at4d(p unsafe.Pointer, i int) archsimd.Float64x4 {
	return archsimd.LoadFloat64x4Array((*[4]float64)(unsafe.Add(p, 8*i)))
}

func st4d(p unsafe.Pointer, i int, v archsimd.Float64x4) {
	v.StoreArray((*[4]float64)(unsafe.Add(p, 8*i)))
}

// fftStagesAVX2 is fftStagesScalar with the stages of half-size ≥ 4 done four butterflies at a time, on the stage's
// contiguous twiddles: tr = wr·b − wi·d, ti = wr·d + wi·b, b = a − tr, d = c − ti, a = a + tr, c = c + ti, the same
// float64 operations in the same order (no fused multiply-adds), so the same bits (TestFFTStagesIdentical). The
// first two stages (half-size 1 and 2) stay scalar. Indices: start+j+half < m for every block; twiddles at
// half−1+j < m−1.
func fftStagesAVX2(f *powerFFT, re, im []float64) {
	m := f.m
	if m < 8 {
		fftStagesScalar(f, re, im)
		return
	}
	re, im = re[:m], im[:m]
	// Stages of half-size 1 and 2, scalar (upstream order).
	for size := 2; size <= 4; size <<= 1 {
		half, step := size/2, m/size
		for start := 0; start < m; start += size {
			a, b := re[start:start+half], re[start+half:start+size]
			c, d := im[start:start+half], im[start+half:start+size]
			for j := range a {
				wr, wi := f.wr[j*step], f.wi[j*step]
				tr := wr*b[j] - wi*d[j]
				ti := wr*d[j] + wi*b[j]
				b[j], d[j] = a[j]-tr, c[j]-ti
				a[j], c[j] = a[j]+tr, c[j]+ti
			}
		}
	}
	pr, pi := unsafe.Pointer(unsafe.SliceData(re)), unsafe.Pointer(unsafe.SliceData(im))
	if len(f.tr) < m-1 || len(f.ti) < m-1 {
		panic("audio: fft twiddle tables too short")
	}
	ptr, pti := unsafe.Pointer(unsafe.SliceData(f.tr)), unsafe.Pointer(unsafe.SliceData(f.ti))
	for half := 4; half < m; half <<= 1 {
		for start := 0; start < m; start += 2 * half {
			for j := 0; j < half; j += 4 {
				wr, wi := at4d(ptr, half-1+j), at4d(pti, half-1+j)
				a, b := at4d(pr, start+j), at4d(pr, start+half+j)
				c, d := at4d(pi, start+j), at4d(pi, start+half+j)
				tr := wr.Mul(b).Sub(wi.Mul(d))
				ti := wr.Mul(d).Add(wi.Mul(b))
				st4d(pr, start+half+j, a.Sub(tr))
				st4d(pi, start+half+j, c.Sub(ti))
				st4d(pr, start+j, a.Add(tr))
				st4d(pi, start+j, c.Add(ti))
			}
		}
	}
	archsimd.ClearAVXUpperBits()
}
