//go:build goexperiment.simd && amd64 && !amd64.v3

package vorbis

import (
	"math/bits"
	"simd/archsimd"
	"unsafe"
)

// musicrep: an AVX2 IMDCT (GOEXPERIMENT=simd) that computes upstream's transform operation for operation, four
// butterflies at a time: the same float32 additions, subtractions and multiplications on the same operands, each
// rounded once (no fused multiply-adds), so its output is bit-identical to imdctScalar's
// (TestIMDCTKernelsIdentical) and to the upstream module's (TestVorbisForkMatchesUpstream in musicrep/audio).
// Not built with GOAMD64=v3 or above: there the compiler fuses the scalar code's multiply-adds (upstream's module
// too), which this kernel, rounding every product, would no longer match bit for bit; that build keeps the scalar
// IMDCT.
func init() {
	if archsimd.X86.AVX2() {
		imdctKernel = imdctAVX2
	}
}

func imdctAVX2(t *imdctLookup, in, out []float32) {
	n := len(in) * 2
	if n < 64 || n&(n-1) != 0 {
		imdctScalar(t, in, out)
		return
	}
	imdctCheck(t, in, out)
	imdctPreAVX2(t, in, out)
	po := unsafe.Pointer(unsafe.SliceData(out))
	ld := int(ilog(n) - 1)
	for l := 0; l < ld-3; l++ {
		switch k0 := n >> uint(l+3); {
		case k0 >= 8:
			imdctStageAVX2(t, po, n, l)
		case k0 == 4:
			imdctStage4AVX2(t, po, n, l)
		case k0 == 2:
			imdctStage2AVX2(t, po, n)
		default:
			imdctStage(t, po, n, l)
		}
	}
	imdctPostAVX2(t, in, out, ld)
}

// imdctStageAVX2 is imdctStage for k0 = n>>(l+3) ≥ 8, four values of r at a time. With P1 the 8 floats holding the
// pairs (out[i1], out[i1+1]) of r = 4b+3 … 4b and P3 those of i3 = i1-k0, upstream's butterfly is, pair by pair,
// P1 ← P1 + P3 and, with D = P1 − P3 and D' its pairs swapped, P3 ← D·(a0, a0) + D'·(a1, −a1): the even lane
// (v1−v3)·a0 + (v0−v2)·a1 and the odd one (v0−v2)·a0 + (v1−v3)·(−a1), which is (v0−v2)·a0 − (v1−v3)·a1 exactly
// (negating an operand negates the rounded product, and x + (−y) is x − y). Index ranges: every group's blocks lie
// in [top−k0−8·(k0/8), top) with top = n2 − 2·k0·g ≥ 2·k0, so in [0, n2).
func imdctStageAVX2(t *imdctLookup, po unsafe.Pointer, n, l int) {
	n2 := n / 2
	k0 := n >> uint(l+3)
	groups := 1 << uint(l+1) // s2lim/2
	nb := k0 / 8
	w := t.W[t.wOff[l] : t.wOff[l]+16*nb]
	pw := unsafe.Pointer(unsafe.SliceData(w))
	for g := 0; g < groups; g++ {
		top := n2 - 2*k0*g
		for b := 0; b < nb; b++ {
			base := top - 8 - 8*b
			p1 := ld8(po, base)
			p3 := ld8(po, base-k0)
			w0 := ld8(pw, 16*b)
			w1 := ld8(pw, 16*b+8)
			d := p1.Sub(p3)
			ds := d.ConcatPermuteScalarsGrouped(1, 0, 3, 2, d)
			st8(po, base, p1.Add(p3))
			st8(po, base-k0, d.Mul(w0).Add(ds.Mul(w1)))
		}
	}
}

// imdctPreAVX2 is imdctPre four values of j at a time, in pairs (one pair per j). Per j, upstream computes
// v0 = (−x3)·a0 + (−x1)·a1, v1 = (−x3)·a1 − (−x1)·a0, v2 = y0·a2 + y2·a3, v3 = y0·a3 − y2·a2 from x1 = in[4j+1],
// x3 = in[4j+3], y0 = in[n2−4j−4], y2 = in[n2−4j−2], then out[n4+2j…] = (v2+v0, v3+v1) and
// out[2j…] = ((v2−v0)·a4 + (v3−v1)·a5, (v3−v1)·a4 − (v2−v0)·a5). Here (v0, v1) = x3·(−a0, −a1) + x1·(−a1, a0) and
// (v2, v3) = y0·(a2, a3) + y2·(a3, −a2), the same values bit for bit ((−x)·a = x·(−a) = −(x·a) exactly, and
// p − q = p + (−q)); x1, x3, y0, y2 are gathered from in with 128-bit and in-lane shuffles (no arithmetic).
// Index ranges: j < n8 in steps of 4; in indices [4j, 4j+16) and [n2−4j−16, n2−4j) lie in [0, n2); out indices
// [2j, 2j+8) ⊂ [0, n4) and [n4+2j, n4+2j+8) ⊂ [n4, n2); PA holds 48 floats per step.
func imdctPreAVX2(t *imdctLookup, in, out []float32) {
	n := len(in) * 2
	n2, n4, n8 := n/2, n/4, n/8
	if len(t.PA) < 12*n8 {
		panic("vorbis: imdct tables too short")
	}
	pi, po := unsafe.Pointer(unsafe.SliceData(in)), unsafe.Pointer(unsafe.SliceData(out))
	pp := unsafe.Pointer(unsafe.SliceData(t.PA))
	for j := 0; j < n8; j += 4 {
		l0, l1 := ld8(pi, 4*j), ld8(pi, 4*j+8)    // blocks of 4: j, j+1 | j+2, j+3
		a := l0.ConcatPermute128Scalars(0, 2, l1) // blocks j | j+2
		b := l0.ConcatPermute128Scalars(1, 3, l1) // blocks j+1 | j+3
		x3 := a.ConcatPermuteScalarsGrouped(3, 3, 7, 7, b)
		x1 := a.ConcatPermuteScalarsGrouped(1, 1, 5, 5, b)
		m0, m1 := ld8(pi, n2-4*j-16), ld8(pi, n2-4*j-8) // blocks j+3, j+2 | j+1, j
		c := m1.ConcatPermute128Scalars(1, 3, m0)       // blocks j | j+2
		d := m1.ConcatPermute128Scalars(0, 2, m0)       // blocks j+1 | j+3
		y0 := c.ConcatPermuteScalarsGrouped(0, 0, 4, 4, d)
		y2 := c.ConcatPermuteScalarsGrouped(2, 2, 6, 6, d)
		w := 12 * j
		p01 := x3.Mul(ld8(pp, w)).Add(x1.Mul(ld8(pp, w+8)))
		p23 := y0.Mul(ld8(pp, w+16)).Add(y2.Mul(ld8(pp, w+24)))
		q := p23.Sub(p01)
		qs := q.ConcatPermuteScalarsGrouped(1, 0, 3, 2, q)
		st8(po, n4+2*j, p23.Add(p01))
		st8(po, 2*j, q.Mul(ld8(pp, w+32)).Add(qs.Mul(ld8(pp, w+40))))
	}
}

// imdctStage4AVX2 is the stage with k0 = 4: each group of 8 floats [top−8, top) holds P3 (the pairs i3 of r = 1,
// 0) in its low half and P1 (i1 of r = 1, 0) in its high half, so one vector is one group: the halves are
// broadcast, combined as in imdctStageAVX2, and the results joined (P3's new values low, P1's high). Groups cover
// [0, n2) in steps of 8.
func imdctStage4AVX2(t *imdctLookup, po unsafe.Pointer, n, l int) {
	n2 := n / 2
	k1 := 1 << uint(l+3)
	a00, a01, a10, a11 := t.A[0], t.A[1], t.A[k1], t.A[k1+1]
	w0 := archsimd.LoadFloat32x8Array(&[8]float32{a10, a10, a00, a00, a10, a10, a00, a00})
	w1 := archsimd.LoadFloat32x8Array(&[8]float32{a11, -a11, a01, -a01, a11, -a11, a01, -a01})
	for base := 0; base+8 <= n2; base += 8 {
		v := ld8(po, base)
		x := v.ConcatPermute128Scalars(1, 1, v) // P1 | P1
		y := v.ConcatPermute128Scalars(0, 0, v) // P3 | P3
		d := x.Sub(y)
		ds := d.ConcatPermuteScalarsGrouped(1, 0, 3, 2, d)
		r := d.Mul(w0).Add(ds.Mul(w1))
		st8(po, base, r.ConcatPermute128Scalars(0, 3, x.Add(y)))
	}
}

// imdctStage2AVX2 is the last stage (k0 = 2, r = 0 only): each 4 floats [n2−4−4g, n2−4g) hold P3 (low pair) and P1
// (high pair), so a vector holds two groups, one per 128-bit half.
func imdctStage2AVX2(t *imdctLookup, po unsafe.Pointer, n int) {
	n2 := n / 2
	a0, a1 := t.A[0], t.A[1]
	w0 := archsimd.BroadcastFloat32x8(a0)
	w1 := archsimd.LoadFloat32x8Array(&[8]float32{a1, -a1, a1, -a1, a1, -a1, a1, -a1})
	for base := 0; base+8 <= n2; base += 8 {
		v := ld8(po, base)
		x := v.ConcatPermuteScalarsGrouped(2, 3, 2, 3, v) // P1, P1
		y := v.ConcatPermuteScalarsGrouped(0, 1, 0, 1, v) // P3, P3
		d := x.Sub(y)
		ds := d.ConcatPermuteScalarsGrouped(1, 0, 3, 2, d)
		r := d.Mul(w0).Add(ds.Mul(w1))
		st8(po, base, r.ConcatPermuteScalarsGrouped(0, 1, 6, 7, x.Add(y)))
	}
}

var (
	revPairs   = archsimd.LoadUint32x8Array(&[8]uint32{6, 7, 4, 5, 2, 3, 0, 1})
	rev8       = archsimd.LoadUint32x8Array(&[8]uint32{7, 6, 5, 4, 3, 2, 1, 0})
	hpairOrder = archsimd.LoadUint32x8Array(&[8]uint32{0, 1, 4, 5, 2, 3, 6, 7})
	hpairRev   = archsimd.LoadUint32x8Array(&[8]uint32{7, 6, 3, 2, 5, 4, 1, 0})
	signBits   = archsimd.BroadcastUint32x8(0x80000000)
	halfs      = archsimd.BroadcastFloat32x8(0.5)
)

// imdctPostAVX2 is imdctPost with its loops vectorised, operation for operation:
//   - bit reversal and the reordering into in: one pass reading out's block rev(k) for each k (no swaps; pure data
//     movement, as upstream's two passes);
//   - the C step, 4 values of k at a time: X = in[2k…] holds the pairs (v0, v1), Y = in[n2−8−2k…] reversed pairwise
//     the pairs (v2, v3); with S = X+Y, D = X−Y, N = Y−X, upstream's four outputs are, per pair,
//     ((S₀ + c1·D₀) + c0·S₁, (D₁ + c1·S₁) + (−c0)·D₀)·½ at 2k and ((S₀ + (−c1)·D₀) − c0·S₁, (N₁ + c1·S₁) − c0·D₀)·½
//     at n2−2−2k (x·½ is x/2 exactly; x + (−c)·y is x − c·y exactly; N₁ = v3−v1 is upstream's −v1+v3);
//   - the B step, 8 values of k at a time, with horizontal additions/subtractions (VHADDPS/VHSUBPS round each
//     v0·b0 + v1·b1 once, as the scalar code does);
//   - the output's symmetries: reversed, negated copies (negation flips the sign bit, as Go's unary minus does).
func imdctPostAVX2(t *imdctLookup, in, out []float32, ld int) {
	n := len(in) * 2
	n2, n4, n8 := n/2, n/4, n/8
	n3_4 := n - n4
	pi, po := unsafe.Pointer(unsafe.SliceData(in)), unsafe.Pointer(unsafe.SliceData(out))
	if len(t.Bs) < n2 || len(t.CD) < 4*n4 {
		panic("vorbis: imdct tables too short")
	}
	pb, pbs, pcd := unsafe.Pointer(unsafe.SliceData(t.B)), unsafe.Pointer(unsafe.SliceData(t.Bs)),
		unsafe.Pointer(unsafe.SliceData(t.CD))
	// k < n8, rev(k) < n8: out indices in [0, n2), in indices in [0, n2).
	sh := uint(32 - ld + 3)
	for k := 0; k < n8; k++ {
		j := int(bits.Reverse32(uint32(k)) >> sh)
		src := (*[4]float32)(unsafe.Add(po, 16*j))
		stf(pi, n2-1-2*k, src[0])
		stf(pi, n2-2-2*k, src[1])
		stf(pi, n4-1-2*k, src[2])
		stf(pi, n4-2-2*k, src[3])
	}
	// k < n8 in steps of 4: in indices [2k, 2k+8) ⊂ [0, n4) and [n2−8−2k, n2−2k) ⊂ [n4, n2); CD: 32 floats per step.
	for k := 0; k < n8; k += 4 {
		x := ld8(pi, 2*k)
		y := ld8(pi, n2-8-2*k).Permute(revPairs)
		s, d, nn := x.Add(y), x.Sub(y), y.Sub(x)
		b1 := d.ConcatPermuteScalarsGrouped(0, 5, 2, 7, s)  // (D₀, S₁)
		a1 := s.ConcatPermuteScalarsGrouped(0, 5, 2, 7, d)  // (S₀, D₁)
		a2 := s.ConcatPermuteScalarsGrouped(0, 5, 2, 7, nn) // (S₀, N₁)
		b1s := b1.ConcatPermuteScalarsGrouped(1, 0, 3, 2, b1)
		c := 8 * k
		lo := a1.Add(ld8(pcd, c).Mul(b1)).Add(ld8(pcd, c+8).Mul(b1s)).Mul(halfs)
		hi := a2.Add(ld8(pcd, c+16).Mul(b1)).Sub(ld8(pcd, c+24).Mul(b1s)).Mul(halfs)
		st8(po, 2*k, lo)
		st8(po, n2-8-2*k, hi.Permute(revPairs))
	}
	// k < n4 in steps of 8: out and B indices [2k, 2k+16) ⊂ [0, n2); in indices [k, k+8) and [n2−8−k, n2−k).
	for k := 0; k < n4; k += 8 {
		o1, o2 := ld8(po, 2*k), ld8(po, 2*k+8)
		p := o1.Mul(ld8(pb, 2*k)).ConcatAddPairsGrouped(o2.Mul(ld8(pb, 2*k+8)))
		q := o1.Mul(ld8(pbs, 2*k)).ConcatSubPairsGrouped(o2.Mul(ld8(pbs, 2*k+8)))
		st8(pi, k, p.Permute(hpairOrder))
		st8(pi, n2-8-k, q.Permute(hpairRev))
	}
	// out[i] = in[i+n4] (i < n4), out[n3_4+m] = −in[m] (m < n4), out[n4+k] = −in[n2−1−k] (k < n2).
	copy(out[:n4], in[n4:n2])
	for m := 0; m < n4; m += 8 {
		st8(po, n3_4+m, ld8(pi, m).AsUint32x8().Xor(signBits).AsFloat32x8())
	}
	for k := 0; k < n2; k += 8 {
		st8(po, n4+k, ld8(pi, n2-8-k).Permute(rev8).AsUint32x8().Xor(signBits).AsFloat32x8())
	}
	archsimd.ClearAVXUpperBits()
}
