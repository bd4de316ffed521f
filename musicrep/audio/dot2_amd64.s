//go:build goexperiment.simd && amd64

#include "textflag.h"

// func dot2FMA(h, x, y *float32, n int) (rx, ry float32)
//
// dotAVX2 (dot_simd_amd64.go) on x and on y in one pass over h, for the first n&^7 elements: four accumulators
// per input (Y0–Y3 for x, Y4–Y7 for y) take h[i+0:8], h[i+8:16], h[i+16:24], h[i+24:32] of each block of 32, the
// 8-element tail goes to the first, and each sum is reduced as sum8 does: ((a+b)+(c+d)), low half + high half,
// then (q0+q1)+(q2+q3). The same fused multiply-adds and additions as dotAVX2, so the same bits; in assembly
// because the compiler's register allocation spilled the eight accumulators of the archsimd version.
TEXT ·dot2FMA(SB), NOSPLIT, $0-40
	MOVQ h+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ y+16(FP), DX
	MOVQ n+24(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

loop32:
	CMPQ CX, $32
	JLT  loop8
	VMOVUPS     (SI), Y8
	VFMADD231PS (DI), Y8, Y0
	VFMADD231PS (DX), Y8, Y4
	VMOVUPS     32(SI), Y9
	VFMADD231PS 32(DI), Y9, Y1
	VFMADD231PS 32(DX), Y9, Y5
	VMOVUPS     64(SI), Y10
	VFMADD231PS 64(DI), Y10, Y2
	VFMADD231PS 64(DX), Y10, Y6
	VMOVUPS     96(SI), Y11
	VFMADD231PS 96(DI), Y11, Y3
	VFMADD231PS 96(DX), Y11, Y7
	ADDQ $128, SI
	ADDQ $128, DI
	ADDQ $128, DX
	SUBQ $32, CX
	JMP  loop32

loop8:
	CMPQ CX, $8
	JLT  reduce
	VMOVUPS     (SI), Y8
	VFMADD231PS (DI), Y8, Y0
	VFMADD231PS (DX), Y8, Y4
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, DX
	SUBQ $8, CX
	JMP  loop8

reduce:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	VADDPS Y5, Y4, Y4
	VADDPS Y7, Y6, Y6
	VADDPS Y6, Y4, Y4
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VEXTRACTF128 $1, Y4, X5
	VADDPS X5, X4, X4
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X4, X4, X4
	VHADDPS X4, X4, X4
	VZEROUPPER
	MOVSS X0, rx+32(FP)
	MOVSS X4, ry+36(FP)
	RET
