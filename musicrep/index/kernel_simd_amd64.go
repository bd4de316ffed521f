//go:build goexperiment.simd && amd64

package index

import "simd/archsimd"

// AVX-512 kernels (GOEXPERIMENT=simd). Each keeps 8 accumulators of 16 float32 lanes: rows x 2 blocks for the
// 4- and 2-row kernels (broadcast query element, fused multiply-add with a block row), 1 x 2 for one row. Go's
// register allocator uses 15 vector registers, so larger tiles spill (measured: 4 rows x 2 blocks ~90 GFLOP/s
// per core on the EPYC (Zen 4) of the benchmark machine, 8 x 1 ~30, 8 x 2 ~40).
var simdKernels = kernelSet{name: "avx512", k6: simdKernel6, k4: simdKernel4, k2: simdKernel2, k1: simdKernel1}

func init() {
	if archsimd.X86.AVX512() {
		simdKernelSets = append(simdKernelSets, simdKernels)
		kernels = simdKernels
	}
}

// epilogue turns the two accumulators of one row into keys (norms - 2*dot, one rounding) and the mask.
func epilogue(a, b, n0, n1, m2 archsimd.Float32x16, thr float32, keys []float32) uint32 {
	t := archsimd.BroadcastFloat32x16(thr)
	ka := a.MulAdd(m2, n0)
	kb := b.MulAdd(m2, n1)
	store16(ka, keys[0:16])
	store16(kb, keys[16:32])
	return uint32(ka.LessEqual(t).ToBits()) | uint32(kb.LessEqual(t).ToBits())<<16
}

// simdKernel6 is the 4-row kernel then the 2-row one (a 6-row tile of two blocks would need 12 accumulators of
// 16 lanes and spill).
func simdKernel6(q []float32, dim int, grp, norms, thr, keys []float32, masks []uint32) {
	simdKernel4(q, dim, grp, norms, thr, keys, masks)
	simdKernel2(q[4*dim:], dim, grp, norms, thr[4:], keys[4*groupWidth:], masks[4:])
}

func simdKernel4(q []float32, dim int, grp, norms, thr, keys []float32, masks []uint32) {
	var a0, a1, a2, a3, b0, b1, b2, b3 archsimd.Float32x16
	q0 := q[0*dim : 1*dim]
	q1 := q[1*dim : 2*dim]
	q2 := q[2*dim : 3*dim]
	q3 := q[3*dim : 4*dim]
	y := grp[blockWidth*dim : groupWidth*dim]
	x := grp[:blockWidth*dim]
	for d := 0; d < dim; d++ {
		xv := load16(x[d*16 : d*16+16])
		yv := load16(y[d*16 : d*16+16])
		s0 := archsimd.BroadcastFloat32x16(q0[d])
		s1 := archsimd.BroadcastFloat32x16(q1[d])
		s2 := archsimd.BroadcastFloat32x16(q2[d])
		s3 := archsimd.BroadcastFloat32x16(q3[d])
		a0 = xv.MulAdd(s0, a0)
		a1 = xv.MulAdd(s1, a1)
		a2 = xv.MulAdd(s2, a2)
		a3 = xv.MulAdd(s3, a3)
		b0 = yv.MulAdd(s0, b0)
		b1 = yv.MulAdd(s1, b1)
		b2 = yv.MulAdd(s2, b2)
		b3 = yv.MulAdd(s3, b3)
	}
	n0, n1 := load16(norms[0:16]), load16(norms[16:32])
	m2 := archsimd.BroadcastFloat32x16(-2)
	keys = keys[:4*groupWidth]
	thr = thr[:4]
	masks = masks[:4]
	masks[0] = epilogue(a0, b0, n0, n1, m2, thr[0], keys[0:32])
	masks[1] = epilogue(a1, b1, n0, n1, m2, thr[1], keys[32:64])
	masks[2] = epilogue(a2, b2, n0, n1, m2, thr[2], keys[64:96])
	masks[3] = epilogue(a3, b3, n0, n1, m2, thr[3], keys[96:128])
}

func simdKernel2(q []float32, dim int, grp, norms, thr, keys []float32, masks []uint32) {
	// Two rows x two blocks, with the dimension loop split in two halves accumulated separately (8
	// accumulators, so the loads and broadcasts of both halves overlap); the halves are added at the end.
	var a0, a1, b0, b1, c0, c1, e0, e1 archsimd.Float32x16
	q0 := q[0*dim : 1*dim]
	q1 := q[1*dim : 2*dim]
	y := grp[blockWidth*dim : groupWidth*dim]
	x := grp[:blockWidth*dim]
	h := dim / 2
	for d := 0; d < h; d++ {
		e := d + h
		xv := load16(x[d*16 : d*16+16])
		yv := load16(y[d*16 : d*16+16])
		xw := load16(x[e*16 : e*16+16])
		yw := load16(y[e*16 : e*16+16])
		s0 := archsimd.BroadcastFloat32x16(q0[d])
		s1 := archsimd.BroadcastFloat32x16(q1[d])
		t0 := archsimd.BroadcastFloat32x16(q0[e])
		t1 := archsimd.BroadcastFloat32x16(q1[e])
		a0 = xv.MulAdd(s0, a0)
		a1 = xv.MulAdd(s1, a1)
		b0 = yv.MulAdd(s0, b0)
		b1 = yv.MulAdd(s1, b1)
		c0 = xw.MulAdd(t0, c0)
		c1 = xw.MulAdd(t1, c1)
		e0 = yw.MulAdd(t0, e0)
		e1 = yw.MulAdd(t1, e1)
	}
	if dim%2 == 1 {
		d := dim - 1
		xv := load16(x[d*16 : d*16+16])
		yv := load16(y[d*16 : d*16+16])
		s0 := archsimd.BroadcastFloat32x16(q0[d])
		s1 := archsimd.BroadcastFloat32x16(q1[d])
		c0 = xv.MulAdd(s0, c0)
		c1 = xv.MulAdd(s1, c1)
		e0 = yv.MulAdd(s0, e0)
		e1 = yv.MulAdd(s1, e1)
	}
	n0, n1 := load16(norms[0:16]), load16(norms[16:32])
	m2 := archsimd.BroadcastFloat32x16(-2)
	keys = keys[:2*groupWidth]
	thr = thr[:2]
	masks = masks[:2]
	masks[0] = epilogue(a0.Add(c0), b0.Add(e0), n0, n1, m2, thr[0], keys[0:32])
	masks[1] = epilogue(a1.Add(c1), b1.Add(e1), n0, n1, m2, thr[1], keys[32:64])
}

func simdKernel1(q []float32, dim int, grp, norms, thr, keys []float32, masks []uint32) {
	// One row x two blocks, the dimension loop split in four interleaved quarters (8 accumulators).
	var a0, a1, a2, a3, b0, b1, b2, b3 archsimd.Float32x16
	q = q[:dim]
	y := grp[blockWidth*dim : groupWidth*dim]
	x := grp[:blockWidth*dim]
	d := 0
	for ; d+4 <= dim; d += 4 {
		s0 := archsimd.BroadcastFloat32x16(q[d])
		s1 := archsimd.BroadcastFloat32x16(q[d+1])
		s2 := archsimd.BroadcastFloat32x16(q[d+2])
		s3 := archsimd.BroadcastFloat32x16(q[d+3])
		a0 = load16(x[d*16:]).MulAdd(s0, a0)
		b0 = load16(y[d*16:]).MulAdd(s0, b0)
		a1 = load16(x[(d+1)*16:]).MulAdd(s1, a1)
		b1 = load16(y[(d+1)*16:]).MulAdd(s1, b1)
		a2 = load16(x[(d+2)*16:]).MulAdd(s2, a2)
		b2 = load16(y[(d+2)*16:]).MulAdd(s2, b2)
		a3 = load16(x[(d+3)*16:]).MulAdd(s3, a3)
		b3 = load16(y[(d+3)*16:]).MulAdd(s3, b3)
	}
	for ; d < dim; d++ {
		s0 := archsimd.BroadcastFloat32x16(q[d])
		a0 = load16(x[d*16:]).MulAdd(s0, a0)
		b0 = load16(y[d*16:]).MulAdd(s0, b0)
	}
	n0, n1 := load16(norms[0:16]), load16(norms[16:32])
	m2 := archsimd.BroadcastFloat32x16(-2)
	masks[0] = epilogue(a0.Add(a1).Add(a2.Add(a3)), b0.Add(b1).Add(b2.Add(b3)), n0, n1, m2, thr[0], keys[:32])
}
