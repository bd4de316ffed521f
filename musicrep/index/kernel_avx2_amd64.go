//go:build goexperiment.simd && amd64

package index

import "simd/archsimd"

// AVX2 + FMA kernels (GOEXPERIMENT=simd), for x86 CPUs without AVX-512 (AMD Zen 2/3, most Intel client CPUs):
// eight float32 lanes, so a group of 32 packed vectors is four half-blocks. With 16 vector registers, one row
// against the four half-blocks needs 4 accumulators; two rows (8 accumulators, 4 loads and 2 broadcasts per
// dimension) is the largest tile that does not spill, so the 4-row kernel is two 2-row passes. Each kernel ends
// with VZEROUPPER (archsimd.ClearAVXUpperBits): SSE code that runs after dirty upper halves pays for it on some
// CPUs (measured on a Zen 3 KVM guest by the audio package's dot product, musicrep/audio/dot_simd_amd64.go).
var avx2Kernels = kernelSet{name: "avx2", k4: avx2Kernel4, k2: avx2Kernel2, k1: avx2Kernel1}

func init() {
	if archsimd.X86.AVX2() && archsimd.X86.FMA() {
		simdKernelSets = append(simdKernelSets, avx2Kernels)
		if kernels.name == scalarKernels.name {
			kernels = avx2Kernels
		}
	}
}

func load8(s []float32) archsimd.Float32x8 { return archsimd.LoadFloat32x8(s[:8]) }

// epilogue8 turns the four accumulators of one row (vectors 0–7, 8–15, 16–23, 24–31 of the group) into keys
// (norms − 2·dot, one rounding) and the mask.
func epilogue8(a0, a1, a2, a3 archsimd.Float32x8, norms []float32, thr float32, keys []float32) uint32 {
	t := archsimd.BroadcastFloat32x8(thr)
	m2 := archsimd.BroadcastFloat32x8(-2)
	norms = norms[:groupWidth]
	keys = keys[:groupWidth]
	k0 := a0.MulAdd(m2, load8(norms[0:8]))
	k1 := a1.MulAdd(m2, load8(norms[8:16]))
	k2 := a2.MulAdd(m2, load8(norms[16:24]))
	k3 := a3.MulAdd(m2, load8(norms[24:32]))
	k0.Store(keys[0:8])
	k1.Store(keys[8:16])
	k2.Store(keys[16:24])
	k3.Store(keys[24:32])
	return uint32(k0.LessEqual(t).ToBits()) | uint32(k1.LessEqual(t).ToBits())<<8 |
		uint32(k2.LessEqual(t).ToBits())<<16 | uint32(k3.LessEqual(t).ToBits())<<24
}

func avx2Kernel4(q []float32, dim int, grp, norms, thr, keys []float32, masks []uint32) {
	avx2Kernel2(q, dim, grp, norms, thr, keys, masks)
	avx2Kernel2(q[2*dim:], dim, grp, norms, thr[2:], keys[2*groupWidth:], masks[2:])
}

func avx2Kernel2(q []float32, dim int, grp, norms, thr, keys []float32, masks []uint32) {
	var a0, a1, a2, a3, b0, b1, b2, b3 archsimd.Float32x8
	q0 := q[0*dim : 1*dim]
	q1 := q[1*dim : 2*dim]
	x := grp[:blockWidth*dim]
	y := grp[blockWidth*dim : groupWidth*dim]
	for d := range dim {
		x0, x1 := load8(x[d*16:d*16+8]), load8(x[d*16+8:d*16+16])
		y0, y1 := load8(y[d*16:d*16+8]), load8(y[d*16+8:d*16+16])
		s0 := archsimd.BroadcastFloat32x8(q0[d])
		s1 := archsimd.BroadcastFloat32x8(q1[d])
		a0 = x0.MulAdd(s0, a0)
		a1 = x1.MulAdd(s0, a1)
		a2 = y0.MulAdd(s0, a2)
		a3 = y1.MulAdd(s0, a3)
		b0 = x0.MulAdd(s1, b0)
		b1 = x1.MulAdd(s1, b1)
		b2 = y0.MulAdd(s1, b2)
		b3 = y1.MulAdd(s1, b3)
	}
	thr = thr[:2]
	masks = masks[:2]
	keys = keys[:2*groupWidth]
	masks[0] = epilogue8(a0, a1, a2, a3, norms, thr[0], keys[0:groupWidth])
	masks[1] = epilogue8(b0, b1, b2, b3, norms, thr[1], keys[groupWidth:2*groupWidth])
	archsimd.ClearAVXUpperBits()
}

func avx2Kernel1(q []float32, dim int, grp, norms, thr, keys []float32, masks []uint32) {
	// One row x four half-blocks, the dimension loop split in two interleaved halves (8 accumulators).
	var a0, a1, a2, a3, c0, c1, c2, c3 archsimd.Float32x8
	q = q[:dim]
	x := grp[:blockWidth*dim]
	y := grp[blockWidth*dim : groupWidth*dim]
	d := 0
	for ; d+2 <= dim; d += 2 {
		s := archsimd.BroadcastFloat32x8(q[d])
		t := archsimd.BroadcastFloat32x8(q[d+1])
		e := d + 1
		a0 = load8(x[d*16:d*16+8]).MulAdd(s, a0)
		a1 = load8(x[d*16+8:d*16+16]).MulAdd(s, a1)
		a2 = load8(y[d*16:d*16+8]).MulAdd(s, a2)
		a3 = load8(y[d*16+8:d*16+16]).MulAdd(s, a3)
		c0 = load8(x[e*16:e*16+8]).MulAdd(t, c0)
		c1 = load8(x[e*16+8:e*16+16]).MulAdd(t, c1)
		c2 = load8(y[e*16:e*16+8]).MulAdd(t, c2)
		c3 = load8(y[e*16+8:e*16+16]).MulAdd(t, c3)
	}
	if d < dim {
		s := archsimd.BroadcastFloat32x8(q[d])
		a0 = load8(x[d*16:d*16+8]).MulAdd(s, a0)
		a1 = load8(x[d*16+8:d*16+16]).MulAdd(s, a1)
		a2 = load8(y[d*16:d*16+8]).MulAdd(s, a2)
		a3 = load8(y[d*16+8:d*16+16]).MulAdd(s, a3)
	}
	masks[0] = epilogue8(a0.Add(c0), a1.Add(c1), a2.Add(c2), a3.Add(c3), norms, thr[0], keys[:groupWidth])
	archsimd.ClearAVXUpperBits()
}
