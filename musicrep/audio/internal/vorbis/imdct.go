package vorbis

import (
	"math"
	"math/bits"
	"reflect"
	"unsafe"
)

type imdctLookup struct {
	A, B, C []float32
	// musicrep: the butterfly twiddles of the stages with k0 ≥ 8, laid out for 8-float vectors (imdctW):
	// W[wOff[l]:] holds stage l's blocks of 16 floats.
	W    []float32
	wOff []int
	// musicrep: for imdctAVX2's last steps: Bs is B with each pair swapped; CD holds, per 4 values of k < n/8,
	// four 8-float vectors of C's pairs (c0, c1): (c1, c1), (c0, −c0), (−c1, c1), (c0, c0).
	Bs, CD []float32
	// musicrep: for imdctPreAVX2, per 4 values of j < n/8, six 8-float vectors of pairs (one pair per j):
	// (−a0, −a1), (−a1, a0), (a2, a3), (a3, −a2), (a4, a4), (a5, −a5) with imdctPre's a0 … a5 of that j.
	PA []float32
}

func generateIMDCTLookup(n int, l *imdctLookup) {
	l.A = make([]float32, n/2)
	l.B = make([]float32, n/2)
	l.C = make([]float32, n/4)
	fn := float64(n)
	for k := 0; k < n/4; k++ {
		fk := float64(k)
		l.A[2*k] = float32(math.Cos(4 * fk * math.Pi / fn))
		l.A[2*k+1] = float32(-math.Sin(4 * fk * math.Pi / fn))
		l.B[2*k] = float32(math.Cos((2*fk + 1) * math.Pi / fn / 2))
		l.B[2*k+1] = float32(math.Sin((2*fk + 1) * math.Pi / fn / 2))
	}
	for k := 0; k < n/8; k++ {
		fk := float64(k)
		l.C[2*k] = float32(math.Cos(2 * (2*fk + 1) * math.Pi / fn))
		l.C[2*k+1] = float32(-math.Sin(2 * (2*fk + 1) * math.Pi / fn))
	}
	l.W, l.wOff = imdctW(n, l.A)
	l.Bs = make([]float32, n/2)
	for k := 0; k < n/4; k++ {
		l.Bs[2*k], l.Bs[2*k+1] = l.B[2*k+1], l.B[2*k]
	}
	l.PA = make([]float32, 0, 12*n/8)
	for j0 := 0; j0+4 <= n/8; j0 += 4 {
		var v [6][8]float32
		for q := 0; q < 4; q++ {
			j := j0 + q
			a0, a1 := l.A[n/2-2*j-1], l.A[n/2-2*j-2]
			a2, a3 := l.A[n/4-2*j-1], l.A[n/4-2*j-2]
			a4, a5 := l.A[n/2-4-4*j], l.A[n/2-3-4*j]
			v[0][2*q], v[0][2*q+1] = -a0, -a1
			v[1][2*q], v[1][2*q+1] = -a1, a0
			v[2][2*q], v[2][2*q+1] = a2, a3
			v[3][2*q], v[3][2*q+1] = a3, -a2
			v[4][2*q], v[4][2*q+1] = a4, a4
			v[5][2*q], v[5][2*q+1] = a5, -a5
		}
		for i := range v {
			l.PA = append(l.PA, v[i][:]...)
		}
	}
	l.CD = make([]float32, 0, 4*n/4)
	for k0 := 0; k0+4 <= n/8; k0 += 4 {
		var v [4][8]float32
		for q := 0; q < 4; q++ {
			c0, c1 := l.C[2*(k0+q)], l.C[2*(k0+q)+1]
			v[0][2*q], v[0][2*q+1] = c1, c1
			v[1][2*q], v[1][2*q+1] = c0, -c0
			v[2][2*q], v[2][2*q+1] = -c1, c1
			v[3][2*q], v[3][2*q+1] = c0, c0
		}
		for i := range v {
			l.CD = append(l.CD, v[i][:]...)
		}
	}
}

// imdctW lays out the twiddles of the butterfly stages l with k0 = n>>(l+3) ≥ 8 for a kernel that processes four
// butterflies (four consecutive r) at a time (musicrep). In stage l, butterfly (r, s2) combines the pairs at
// i1 = n/2-2-2r-k0·s2 and i3 = i1-k0 with the twiddle (a0, a1) = (A[r·k1], A[r·k1+1]), k1 = 1<<(l+3). Block b
// covers r = 4b … 4b+3; the 8 floats at n/2-8-8b-k0·s2 hold the pairs of r = 4b+3, 4b+2, 4b+1, 4b (in memory
// order), so block b stores 16 floats: W0 = (a0, a0) per pair in that order, then W1 = (a1, −a1).
func imdctW(n int, a []float32) ([]float32, []int) {
	ld := int(ilog(n) - 1)
	var w []float32
	var off []int
	for l := 0; l < ld-3; l++ {
		off = append(off, len(w))
		k0 := n >> uint(l+3)
		if k0 < 8 {
			continue
		}
		k1 := 1 << uint(l+3)
		for b := 0; b < k0/8; b++ {
			var w0, w1 [8]float32
			for q := 0; q < 4; q++ {
				r := 4*b + 3 - q
				a0, a1 := a[r*k1], a[r*k1+1]
				w0[2*q], w0[2*q+1] = a0, a0
				w1[2*q], w1[2*q+1] = a1, -a1
			}
			w = append(w, w0[:]...)
			w = append(w, w1[:]...)
		}
	}
	return w, off
}

// imdctKernel is the IMDCT in use: imdctAVX2 when the binary was built with GOEXPERIMENT=simd (and GOAMD64 below
// v3) and the CPU has AVX2 (imdct_simd_amd64.go), else imdctScalar. Both give bit-identical results (TestIMDCTKernelsIdentical).
var imdctKernel = imdctScalar

func imdct(t *imdctLookup, in, out []float32) { imdctKernel(t, in, out) }

// imdctKernelName says which IMDCT is in use (for tests and benchmarks).
func imdctKernelName() string {
	if reflect.ValueOf(imdctKernel).Pointer() == reflect.ValueOf(imdctScalar).Pointer() {
		return "scalar"
	}
	return "avx2"
}

// imdctScalar is the "inverse modified discrete cosine transform" (upstream's imdct).
func imdctScalar(t *imdctLookup, in, out []float32) {
	n := len(in) * 2
	imdctCheck(t, in, out)
	imdctPre(t, in, out)
	po := unsafe.Pointer(unsafe.SliceData(out))
	ld := int(ilog(n) - 1)
	for l := 0; l < ld-3; l++ {
		imdctStage(t, po, n, l)
	}
	imdctPost(t, in, out, ld)
}

// imdctCheck panics unless the buffers and tables fit a transform of len(in)·2 samples.
// musicrep: the loops index through pointers, without bounds checks (the index ranges are noted at each loop;
// all lie inside the lengths checked here); the arithmetic is upstream's, operation for operation
// (TestVorbisForkMatchesUpstream: bit-identical output).
func imdctCheck(t *imdctLookup, in, out []float32) {
	n := len(in) * 2
	if len(out) < n || len(t.A) < n/2 || len(t.B) < n/2 || len(t.C) < n/4 {
		panic("vorbis: imdct buffers too short")
	}
}

// imdctPre is the first step (upstream's first loop): in → out[:n2].
func imdctPre(t *imdctLookup, in, out []float32) {
	n := len(in) * 2
	n2, n4, n8 := n/2, n/4, n/8
	pi, po := unsafe.Pointer(unsafe.SliceData(in)), unsafe.Pointer(unsafe.SliceData(out))
	pa := unsafe.Pointer(unsafe.SliceData(t.A))

	// more of these steps could be done in place, but we need two arrays anyway
	// j < n8: A indices in [n2-4-4(n8-1), n2-1] = [0, n2), in indices in [0, n2), out indices in [0, n2).
	for j := 0; j < n8; j++ {
		a0 := ldf(pa, n2-2*j-1)
		a1 := ldf(pa, n2-2*j-2)
		a2 := ldf(pa, n4-2*j-1)
		a3 := ldf(pa, n4-2*j-2)
		a4 := ldf(pa, n2-4-4*j)
		a5 := ldf(pa, n2-3-4*j)
		v0 := (-ldf(pi, 4*j+3))*a0 + (-ldf(pi, 4*j+1))*a1
		v1 := (-ldf(pi, 4*j+3))*a1 - (-ldf(pi, 4*j+1))*a0
		v2 := (ldf(pi, n2-4*j-4))*a2 + (ldf(pi, n2-4*j-2))*a3
		v3 := (ldf(pi, n2-4*j-4))*a3 - (ldf(pi, n2-4*j-2))*a2
		stf(po, n4+2*j+1, v3+v1)
		stf(po, n4+2*j, v2+v0)
		stf(po, 2*j+1, (v3-v1)*a4-(v2-v0)*a5)
		stf(po, 2*j, (v2-v0)*a4+(v3-v1)*a5)
	}
}

// imdctStage is stage l of the butterflies (upstream's loop body, musicrep: a function of its own, shared with
// imdctAVX2 for the stages it does not vectorise).
// musicrep: the butterflies index out through a pointer, without bounds checks. Every index is in [0, n2):
// the largest is i0 = i1+1 = n2-1 (r = 0); since 2r ≤ k0-2 (rlim = k0/2) and s2lim·k0 = n2, the last i3 is
// n2-2-k0-2r-2·k0·(s2lim/2-1) = k0-2-2r ≥ 0. The arithmetic is upstream's, operation for operation
// (TestVorbisForkMatchesUpstream: bit-identical output).
func imdctStage(t *imdctLookup, po unsafe.Pointer, n, l int) {
	n2 := n / 2
	k0 := n >> uint(l+3)
	k1 := 1 << uint(l+3)
	rlim := n >> uint(l+4)
	s2lim := 1 << uint(l+2)
	for r := 0; r < rlim; r++ {
		a0 := t.A[r*k1]
		a1 := t.A[r*k1+1]
		i1 := n2 - 2 - 2*r
		i3 := n2 - 2 - k0 - 2*r
		for s2 := 0; s2 < s2lim; s2 += 2 {
			p1 := (*[2]float32)(unsafe.Add(po, 4*i1)) // out[i1], out[i0]
			p3 := (*[2]float32)(unsafe.Add(po, 4*i3)) // out[i3], out[i2]
			v0, v1 := p1[1], p1[0]
			v2, v3 := p3[1], p3[0]
			p1[1] = v0 + v2
			p1[0] = v1 + v3
			p3[1] = (v0-v2)*a0 - (v1-v3)*a1
			p3[0] = (v1-v3)*a0 + (v0-v2)*a1
			i1 -= 2 * k0
			i3 -= 2 * k0
		}
	}
}

// imdctPost is what follows the butterflies: bit reversal, twiddles C and B, and the output's symmetries.
func imdctPost(t *imdctLookup, in, out []float32, ld int) {
	n := len(in) * 2
	n2, n4, n8 := n/2, n/4, n/8
	n3_4 := n - n4
	pi, po := unsafe.Pointer(unsafe.SliceData(in)), unsafe.Pointer(unsafe.SliceData(out))
	pb, pc := unsafe.Pointer(unsafe.SliceData(t.B)), unsafe.Pointer(unsafe.SliceData(t.C))
	for i := 0; i < n8; i++ {
		j := int(bits.Reverse32(uint32(i)) >> uint(32-ld+3))
		if i < j {
			out[4*j], out[4*i] = out[4*i], out[4*j]
			out[4*j+1], out[4*i+1] = out[4*i+1], out[4*j+1]
			out[4*j+2], out[4*i+2] = out[4*i+2], out[4*j+2]
			out[4*j+3], out[4*i+3] = out[4*i+3], out[4*j+3]
		}
	}
	for k := 0; k < n8; k++ {
		in[n2-1-2*k] = out[4*k]
		in[n2-2-2*k] = out[4*k+1]
		in[n4-1-2*k] = out[4*k+2]
		in[n4-2-2*k] = out[4*k+3]
	}
	// k < n8: i0, i1 in [0, n4), i2, i3 in [n4, n2); C has n4 values.
	i0 := 0
	i1 := 1
	i2 := n2 - 2
	i3 := n2 - 1
	for k := 0; k < n8; k++ {
		v0, v1 := ldf(pi, i0), ldf(pi, i1)
		v2, v3 := ldf(pi, i2), ldf(pi, i3)
		c0 := ldf(pc, i0)
		c1 := ldf(pc, i1)
		stf(po, i0, (v0+v2+c1*(v0-v2)+c0*(v1+v3))/2)
		stf(po, i2, (v0+v2-c1*(v0-v2)-c0*(v1+v3))/2)
		stf(po, i1, (v1-v3+c1*(v1+v3)-c0*(v0-v2))/2)
		stf(po, i3, (-v1+v3+c1*(v1+v3)-c0*(v0-v2))/2)
		i0 += 2
		i1 += 2
		i2 -= 2
		i3 -= 2
	}
	// k < n4: B and out indices 2k, 2k+1 < n2; in indices k and n2-1-k in [0, n2).
	for k := 0; k < n4; k++ {
		b0 := ldf(pb, 2*k)
		b1 := ldf(pb, 2*k+1)
		v0 := ldf(po, 2*k)
		v1 := ldf(po, 2*k+1)
		stf(pi, k, v0*b0+v1*b1)
		stf(pi, n2-1-k, v0*b1-v1*b0)
	}
	// Upstream: out[i] = in[i+n4] and out[n-i-1] = -in[n-i-n3_4-1] for i < n4, out[i] = -in[n3_4-i-1] for n4 ≤ i
	// < n3_4; here as slice loops.
	copy(out[:n4], in[n4:n2])
	head, tail := in[:n4], out[n3_4:n]
	tail = tail[:len(head)]
	for m, v := range head {
		tail[m] = -v // i = n4-1-m
	}
	mid, src := out[n4:n3_4], in[:n2]
	src = src[:len(mid)]
	for k := range mid {
		mid[k] = -src[len(src)-1-k]
	}
}

// ldf and stf read and write element i of the float32 array at p (musicrep).
func ldf(p unsafe.Pointer, i int) float32 { return *(*float32)(unsafe.Add(p, 4*i)) }

func stf(p unsafe.Pointer, i int, v float32) { *(*float32)(unsafe.Add(p, 4*i)) = v }

// original c code from stb_vorbis

/*
// this is the original version of the above code, if you want to optimize it from scratch
void inverse_mdct_naive(float *buffer, int n)
{
   float s;
   float A[1 << 12], B[1 << 12], C[1 << 11];
   int i,k,k2,k4, n2 = n >> 1, n4 = n >> 2, n8 = n >> 3, l;
   int n3_4 = n - n4, ld;
   // how can they claim this only uses N words?!
   // oh, because they're only used sparsely, whoops
   float u[1 << 13], X[1 << 13], v[1 << 13], w[1 << 13];
   // set up twiddle factors

   for (k=k2=0; k < n4; ++k,k2+=2) {
      A[k2  ] = (float)  cos(4*k*M_PI/n);
      A[k2+1] = (float) -sin(4*k*M_PI/n);
      B[k2  ] = (float)  cos((k2+1)*M_PI/n/2);
      B[k2+1] = (float)  sin((k2+1)*M_PI/n/2);
   }
   for (k=k2=0; k < n8; ++k,k2+=2) {
      C[k2  ] = (float)  cos(2*(k2+1)*M_PI/n);
      C[k2+1] = (float) -sin(2*(k2+1)*M_PI/n);
   }

   // IMDCT algorithm from "The use of multirate filter banks for coding of high quality digital audio"
   // Note there are bugs in that pseudocode, presumably due to them attempting
   // to rename the arrays nicely rather than representing the way their actual
   // implementation bounces buffers back and forth. As a result, even in the
   // "some formulars corrected" version, a direct implementation fails. These
   // are noted below as "paper bug".

   // copy and reflect spectral data
   for (k=0; k < n2; ++k) u[k] = buffer[k];
   for (   ; k < n ; ++k) u[k] = -buffer[n - k - 1];
   // kernel from paper
   // step 1
   for (k=k2=k4=0; k < n4; k+=1, k2+=2, k4+=4) {
      v[n-k4-1] = (u[k4] - u[n-k4-1]) * A[k2]   - (u[k4+2] - u[n-k4-3])*A[k2+1];
      v[n-k4-3] = (u[k4] - u[n-k4-1]) * A[k2+1] + (u[k4+2] - u[n-k4-3])*A[k2];
   }
   // step 2
   for (k=k4=0; k < n8; k+=1, k4+=4) {
      w[n2+3+k4] = v[n2+3+k4] + v[k4+3];
      w[n2+1+k4] = v[n2+1+k4] + v[k4+1];
      w[k4+3]    = (v[n2+3+k4] - v[k4+3])*A[n2-4-k4] - (v[n2+1+k4]-v[k4+1])*A[n2-3-k4];
      w[k4+1]    = (v[n2+1+k4] - v[k4+1])*A[n2-4-k4] + (v[n2+3+k4]-v[k4+3])*A[n2-3-k4];
   }
   // step 3
   ld = ilog(n) - 1; // ilog is off-by-one from normal definitions
   for (l=0; l < ld-3; ++l) {
      int k0 = n >> (l+2), k1 = 1 << (l+3);
      int rlim = n >> (l+4), r4, r;
      int s2lim = 1 << (l+2), s2;
      for (r=r4=0; r < rlim; r4+=4,++r) {
         for (s2=0; s2 < s2lim; s2+=2) {
            u[n-1-k0*s2-r4] = w[n-1-k0*s2-r4] + w[n-1-k0*(s2+1)-r4];
            u[n-3-k0*s2-r4] = w[n-3-k0*s2-r4] + w[n-3-k0*(s2+1)-r4];
            u[n-1-k0*(s2+1)-r4] = (w[n-1-k0*s2-r4] - w[n-1-k0*(s2+1)-r4]) * A[r*k1]
                                - (w[n-3-k0*s2-r4] - w[n-3-k0*(s2+1)-r4]) * A[r*k1+1];
            u[n-3-k0*(s2+1)-r4] = (w[n-3-k0*s2-r4] - w[n-3-k0*(s2+1)-r4]) * A[r*k1]
                                + (w[n-1-k0*s2-r4] - w[n-1-k0*(s2+1)-r4]) * A[r*k1+1];
         }
      }
      if (l+1 < ld-3) {
         // paper bug: ping-ponging of u&w here is omitted
         memcpy(w, u, sizeof(u));
      }
   }

   // step 4
   for (i=0; i < n8; ++i) {
      int j = bit_reverse(i) >> (32-ld+3);
      assert(j < n8);
      if (i == j) {
         // paper bug: original code probably swapped in place; if copying,
         //            need to directly copy in this case
         int i8 = i << 3;
         v[i8+1] = u[i8+1];
         v[i8+3] = u[i8+3];
         v[i8+5] = u[i8+5];
         v[i8+7] = u[i8+7];
      } else if (i < j) {
         int i8 = i << 3, j8 = j << 3;
         v[j8+1] = u[i8+1], v[i8+1] = u[j8 + 1];
         v[j8+3] = u[i8+3], v[i8+3] = u[j8 + 3];
         v[j8+5] = u[i8+5], v[i8+5] = u[j8 + 5];
         v[j8+7] = u[i8+7], v[i8+7] = u[j8 + 7];
      }
   }
   // step 5
   for (k=0; k < n2; ++k) {
      w[k] = v[k*2+1];
   }
   // step 6
   for (k=k2=k4=0; k < n8; ++k, k2 += 2, k4 += 4) {
      u[n-1-k2] = w[k4];
      u[n-2-k2] = w[k4+1];
      u[n3_4 - 1 - k2] = w[k4+2];
      u[n3_4 - 2 - k2] = w[k4+3];
   }
   // step 7
   for (k=k2=0; k < n8; ++k, k2 += 2) {
      v[n2 + k2 ] = ( u[n2 + k2] + u[n-2-k2] + C[k2+1]*(u[n2+k2]-u[n-2-k2]) + C[k2]*(u[n2+k2+1]+u[n-2-k2+1]))/2;
      v[n-2 - k2] = ( u[n2 + k2] + u[n-2-k2] - C[k2+1]*(u[n2+k2]-u[n-2-k2]) - C[k2]*(u[n2+k2+1]+u[n-2-k2+1]))/2;
      v[n2+1+ k2] = ( u[n2+1+k2] - u[n-1-k2] + C[k2+1]*(u[n2+1+k2]+u[n-1-k2]) - C[k2]*(u[n2+k2]-u[n-2-k2]))/2;
      v[n-1 - k2] = (-u[n2+1+k2] + u[n-1-k2] + C[k2+1]*(u[n2+1+k2]+u[n-1-k2]) - C[k2]*(u[n2+k2]-u[n-2-k2]))/2;
   }
   // step 8
   for (k=k2=0; k < n4; ++k,k2 += 2) {
      X[k]      = v[k2+n2]*B[k2  ] + v[k2+1+n2]*B[k2+1];
      X[n2-1-k] = v[k2+n2]*B[k2+1] - v[k2+1+n2]*B[k2  ];
   }

   // decode kernel to output
   // determined the following value experimentally
   // (by first figuring out what made inverse_mdct_slow work); then matching that here
   // (probably vorbis encoder premultiplies by n or n/2, to save it on the decoder?)
   s = 0.5; // theoretically would be n4

   // [[[ note! the s value of 0.5 is compensated for by the B[] in the current code,
   //     so it needs to use the "old" B values to behave correctly, or else
   //     set s to 1.0 ]]]
   for (i=0; i < n4  ; ++i) buffer[i] = s * X[i+n4];
   for (   ; i < n3_4; ++i) buffer[i] = -s * X[n3_4 - i - 1];
   for (   ; i < n   ; ++i) buffer[i] = -s * X[i - n3_4];
}
*/
