//go:build amd64 && !purego

#include "textflag.h"

// AVX2 + FMA group kernels (see kernel_avx2_amd64.go for the contract). Packed layout: a group is two blocks of
// blockWidth = 16 vectors, each block [dim][16]float32, the second block 64*dim bytes after the first. Keys are
// laid out [rows][groupWidth = 32]float32 (a row is 128 bytes); masks are one uint32 per row.
//
// Register use (16 YMM registers): up to 8 accumulators, 2–4 block loads and 1–4 broadcast query elements, so no
// tile spills. Accumulation is one fused multiply-add per (vector, dimension), in dimension order (the 1-row
// kernel: two interleaved halves of the dimensions, summed at the end); the key is norm − 2·dot with one rounding.

// EPI(acc0, acc1, normOff, thrOff, keyOff): keys of 16 vectors of one row from two accumulators (in place), stored
// at DI+keyOff; their 16-bit mask (key <= thr) is left in AX. Y14 holds −2 in every lane; AX, R11 are clobbered.
#define EPI(acc0, acc1, normOff, thrOff, keyOff) \
	VFMADD213PS normOff(R12), Y14, acc0; \
	VFMADD213PS normOff+32(R12), Y14, acc1; \
	VMOVUPS acc0, keyOff(DI); \
	VMOVUPS acc1, keyOff+32(DI); \
	VBROADCASTSS thrOff(R9), Y15; \
	VCMPPS $2, Y15, acc0, acc0; \
	VCMPPS $2, Y15, acc1, acc1; \
	VMOVMSKPS acc0, AX; \
	VMOVMSKPS acc1, R11; \
	SHLL $8, R11; \
	ORL R11, AX

#define ZERO8 \
	VXORPS Y0, Y0, Y0; \
	VXORPS Y1, Y1, Y1; \
	VXORPS Y2, Y2, Y2; \
	VXORPS Y3, Y3, Y3; \
	VXORPS Y4, Y4, Y4; \
	VXORPS Y5, Y5, Y5; \
	VXORPS Y6, Y6, Y6; \
	VXORPS Y7, Y7, Y7

#define MINUS2 \
	MOVL $0xc0000000, AX; \
	VMOVD AX, X14; \
	VBROADCASTSS X14, Y14

// func avx2Tile4(q *float32, dim int, grp *float32, norms *float32, thr *float32, keys *float32, masks *uint32)
//
// Four query rows (q, stride dim floats) against one group: each block in turn as a 4 × 16 tile (8 accumulators;
// per dimension 2 loads, 4 broadcasts, 8 fused multiply-adds).
TEXT ·avx2Tile4(SB), NOSPLIT, $0-56
	MOVQ dim+8(FP), CX
	MOVQ CX, DX
	SHLQ $2, DX              // DX = row stride in bytes
	LEAQ (DX)(DX*2), R8      // R8 = 3 rows
	MOVQ grp+16(FP), BX
	MOVQ norms+24(FP), R12
	MOVQ thr+32(FP), R9
	MOVQ keys+40(FP), DI
	MOVQ masks+48(FP), R10
	MOVQ $0, R13             // block number

block4:
	MOVQ q+0(FP), SI
	MOVQ dim+8(FP), CX
	ZERO8
	TESTQ CX, CX
	JZ epi4

loop4:
	VMOVUPS (BX), Y8
	VMOVUPS 32(BX), Y9
	VBROADCASTSS (SI), Y10
	VBROADCASTSS (SI)(DX*1), Y11
	VBROADCASTSS (SI)(DX*2), Y12
	VBROADCASTSS (SI)(R8*1), Y13
	VFMADD231PS Y8, Y10, Y0
	VFMADD231PS Y9, Y10, Y1
	VFMADD231PS Y8, Y11, Y2
	VFMADD231PS Y9, Y11, Y3
	VFMADD231PS Y8, Y12, Y4
	VFMADD231PS Y9, Y12, Y5
	VFMADD231PS Y8, Y13, Y6
	VFMADD231PS Y9, Y13, Y7
	ADDQ $4, SI
	ADDQ $64, BX
	DECQ CX
	JNZ loop4

epi4:
	MINUS2
	TESTQ R13, R13
	JNZ second4
	MOVQ norms+24(FP), R12
	EPI(Y0, Y1, 0, 0, 0)
	MOVL AX, 0(R10)
	EPI(Y2, Y3, 0, 4, 128)
	MOVL AX, 4(R10)
	EPI(Y4, Y5, 0, 8, 256)
	MOVL AX, 8(R10)
	EPI(Y6, Y7, 0, 12, 384)
	MOVL AX, 12(R10)
	MOVQ $1, R13
	JMP block4               // BX already points at the second block

second4:
	EPI(Y0, Y1, 64, 0, 64)
	SHLL $16, AX
	ORL AX, 0(R10)
	EPI(Y2, Y3, 64, 4, 192)
	SHLL $16, AX
	ORL AX, 4(R10)
	EPI(Y4, Y5, 64, 8, 320)
	SHLL $16, AX
	ORL AX, 8(R10)
	EPI(Y6, Y7, 64, 12, 448)
	SHLL $16, AX
	ORL AX, 12(R10)
	VZEROUPPER
	RET

// func avx2Tile2(q *float32, dim int, grp *float32, norms *float32, thr *float32, keys *float32, masks *uint32)
//
// Two query rows against the whole group at once: 2 × 32 (8 accumulators; per dimension 4 loads, 2 broadcasts,
// 8 fused multiply-adds).
TEXT ·avx2Tile2(SB), NOSPLIT, $0-56
	MOVQ q+0(FP), SI
	MOVQ dim+8(FP), CX
	MOVQ CX, DX
	SHLQ $2, DX              // row stride in bytes
	MOVQ grp+16(FP), BX
	MOVQ CX, R8
	SHLQ $6, R8              // R8 = 64*dim: offset of the second block
	ZERO8
	TESTQ CX, CX
	JZ epi2

loop2:
	VMOVUPS (BX), Y8
	VMOVUPS 32(BX), Y9
	VMOVUPS (BX)(R8*1), Y10
	VMOVUPS 32(BX)(R8*1), Y11
	VBROADCASTSS (SI), Y12
	VBROADCASTSS (SI)(DX*1), Y13
	VFMADD231PS Y8, Y12, Y0
	VFMADD231PS Y9, Y12, Y1
	VFMADD231PS Y10, Y12, Y2
	VFMADD231PS Y11, Y12, Y3
	VFMADD231PS Y8, Y13, Y4
	VFMADD231PS Y9, Y13, Y5
	VFMADD231PS Y10, Y13, Y6
	VFMADD231PS Y11, Y13, Y7
	ADDQ $4, SI
	ADDQ $64, BX
	DECQ CX
	JNZ loop2

epi2:
	MINUS2
	MOVQ norms+24(FP), R12
	MOVQ thr+32(FP), R9
	MOVQ keys+40(FP), DI
	MOVQ masks+48(FP), R10
	EPI(Y0, Y1, 0, 0, 0)
	MOVL AX, R13
	EPI(Y2, Y3, 64, 0, 64)
	SHLL $16, AX
	ORL R13, AX
	MOVL AX, 0(R10)
	EPI(Y4, Y5, 0, 4, 128)
	MOVL AX, R13
	EPI(Y6, Y7, 64, 4, 192)
	SHLL $16, AX
	ORL R13, AX
	MOVL AX, 4(R10)
	VZEROUPPER
	RET

// func avx2Tile1(q *float32, dim int, grp *float32, norms *float32, thr *float32, keys *float32, masks *uint32)
//
// One query row against the group: 1 × 32, the dimensions split into two interleaved halves (even and odd
// dimensions in separate accumulators, 8 in all, added at the end) so that the fused multiply-adds overlap.
TEXT ·avx2Tile1(SB), NOSPLIT, $0-56
	MOVQ q+0(FP), SI
	MOVQ dim+8(FP), CX
	MOVQ grp+16(FP), BX
	MOVQ CX, R8
	SHLQ $6, R8              // second block offset
	ZERO8
	MOVQ CX, DX
	SHRQ $1, DX              // pairs of dimensions
	JZ tail1

loop1:
	VBROADCASTSS (SI), Y12
	VBROADCASTSS 4(SI), Y13
	VFMADD231PS (BX), Y12, Y0
	VFMADD231PS 32(BX), Y12, Y1
	VFMADD231PS (BX)(R8*1), Y12, Y2
	VFMADD231PS 32(BX)(R8*1), Y12, Y3
	VFMADD231PS 64(BX), Y13, Y4
	VFMADD231PS 96(BX), Y13, Y5
	VFMADD231PS 64(BX)(R8*1), Y13, Y6
	VFMADD231PS 96(BX)(R8*1), Y13, Y7
	ADDQ $8, SI
	ADDQ $128, BX
	DECQ DX
	JNZ loop1

tail1:
	TESTQ $1, CX
	JZ sum1
	VBROADCASTSS (SI), Y12
	VFMADD231PS (BX), Y12, Y0
	VFMADD231PS 32(BX), Y12, Y1
	VFMADD231PS (BX)(R8*1), Y12, Y2
	VFMADD231PS 32(BX)(R8*1), Y12, Y3

sum1:
	VADDPS Y4, Y0, Y0
	VADDPS Y5, Y1, Y1
	VADDPS Y6, Y2, Y2
	VADDPS Y7, Y3, Y3
	MINUS2
	MOVQ norms+24(FP), R12
	MOVQ thr+32(FP), R9
	MOVQ keys+40(FP), DI
	MOVQ masks+48(FP), R10
	EPI(Y0, Y1, 0, 0, 0)
	MOVL AX, R13
	EPI(Y2, Y3, 64, 0, 64)
	SHLL $16, AX
	ORL R13, AX
	MOVL AX, 0(R10)
	VZEROUPPER
	RET

// func exactDistAVX2(q *float32, col *float32, dim int) float64
//
// SquaredL2's float64 sum for one packed vector: col points at the vector's element 0; element d lies 64*d bytes
// further (its block's stride). The four float64 lanes are SquaredL2's four partial sums (element d into lane
// d mod 4: four strided loads, widened, subtracted, squared and added without fusing, as the Go code rounds);
// the last dim%4 elements go into lane 0, then (s0+s1)+(s2+s3). The result is bit-identical to store.exactDist.
TEXT ·exactDistAVX2(SB), NOSPLIT, $0-32
	MOVQ q+0(FP), SI
	MOVQ col+8(FP), BX
	MOVQ dim+16(FP), CX
	VXORPD Y0, Y0, Y0
	MOVQ CX, DX
	SHRQ $2, DX
	JZ rest

loopd:
	VMOVSS (BX), X1
	VINSERTPS $0x10, 64(BX), X1, X1
	VINSERTPS $0x20, 128(BX), X1, X1
	VINSERTPS $0x30, 192(BX), X1, X1
	VCVTPS2PD X1, Y1
	VCVTPS2PD (SI), Y2
	VSUBPD Y1, Y2, Y2
	VMULPD Y2, Y2, Y2
	VADDPD Y2, Y0, Y0
	ADDQ $16, SI
	ADDQ $256, BX
	DECQ DX
	JNZ loopd

rest:
	VEXTRACTF128 $1, Y0, X4  // lanes 2, 3; X0 keeps lanes 0, 1
	ANDQ $3, CX
	JZ sumd

taild:
	VCVTSS2SD (SI), X2, X2
	VCVTSS2SD (BX), X1, X1
	VSUBSD X1, X2, X2
	VMULSD X2, X2, X2
	VADDSD X2, X0, X0
	ADDQ $4, SI
	ADDQ $64, BX
	DECQ CX
	JNZ taild

sumd:
	VHADDPD X4, X0, X5       // (s0+s1, s2+s3)
	VUNPCKHPD X5, X5, X6
	VADDSD X6, X5, X5
	VMOVSD X5, ret+24(FP)
	VZEROUPPER
	RET

// func squaredL2AVX2(a *float32, b *float32, n int) float64
//
// SquaredL2 of two contiguous vectors with the same arithmetic as exactDistAVX2 (bit-identical to the Go code).
TEXT ·squaredL2AVX2(SB), NOSPLIT, $0-32
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), BX
	MOVQ n+16(FP), CX
	VXORPD Y0, Y0, Y0
	MOVQ CX, DX
	SHRQ $2, DX
	JZ restc

loopc:
	VCVTPS2PD (SI), Y2
	VCVTPS2PD (BX), Y1
	VSUBPD Y1, Y2, Y2
	VMULPD Y2, Y2, Y2
	VADDPD Y2, Y0, Y0
	ADDQ $16, SI
	ADDQ $16, BX
	DECQ DX
	JNZ loopc

restc:
	VEXTRACTF128 $1, Y0, X4
	ANDQ $3, CX
	JZ sumc

tailc:
	VCVTSS2SD (SI), X2, X2
	VCVTSS2SD (BX), X1, X1
	VSUBSD X1, X2, X2
	VMULSD X2, X2, X2
	VADDSD X2, X0, X0
	ADDQ $4, SI
	ADDQ $4, BX
	DECQ CX
	JNZ tailc

sumc:
	VHADDPD X4, X0, X5
	VUNPCKHPD X5, X5, X6
	VADDSD X6, X5, X5
	VMOVSD X5, ret+24(FP)
	VZEROUPPER
	RET

// func avx2Tile6(q *float32, dim int, grp *float32, norms *float32, thr *float32, keys *float32, masks *uint32)
//
// Six query rows against one group: each block in turn as a 6 × 16 tile (12 accumulators; per dimension 2 loads,
// 6 broadcasts, 12 fused multiply-adds: more arithmetic per byte of the block than the 4-row tile, and enough
// independent accumulators to cover the multiply-add latency).
TEXT ·avx2Tile6(SB), NOSPLIT, $0-56
	MOVQ dim+8(FP), CX
	MOVQ CX, DX
	SHLQ $2, DX              // DX = row stride in bytes
	LEAQ (DX)(DX*2), R8      // 3 rows
	LEAQ (DX)(DX*4), R14     // 5 rows
	MOVQ grp+16(FP), BX
	MOVQ norms+24(FP), R12
	MOVQ thr+32(FP), R9
	MOVQ keys+40(FP), DI
	MOVQ masks+48(FP), R10
	MOVQ $0, R13             // block number

block6:
	MOVQ q+0(FP), SI
	MOVQ dim+8(FP), CX
	ZERO8
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	TESTQ CX, CX
	JZ epi6

loop6:
	VMOVUPS (BX), Y12
	VMOVUPS 32(BX), Y13
	VBROADCASTSS (SI), Y14
	VBROADCASTSS (SI)(DX*1), Y15
	VFMADD231PS Y12, Y14, Y0
	VFMADD231PS Y13, Y14, Y1
	VFMADD231PS Y12, Y15, Y2
	VFMADD231PS Y13, Y15, Y3
	VBROADCASTSS (SI)(DX*2), Y14
	VBROADCASTSS (SI)(R8*1), Y15
	VFMADD231PS Y12, Y14, Y4
	VFMADD231PS Y13, Y14, Y5
	VFMADD231PS Y12, Y15, Y6
	VFMADD231PS Y13, Y15, Y7
	VBROADCASTSS (SI)(DX*4), Y14
	VBROADCASTSS (SI)(R14*1), Y15
	VFMADD231PS Y12, Y14, Y8
	VFMADD231PS Y13, Y14, Y9
	VFMADD231PS Y12, Y15, Y10
	VFMADD231PS Y13, Y15, Y11
	ADDQ $4, SI
	ADDQ $64, BX
	DECQ CX
	JNZ loop6

epi6:
	MINUS2
	TESTQ R13, R13
	JNZ second6
	EPI(Y0, Y1, 0, 0, 0)
	MOVL AX, 0(R10)
	EPI(Y2, Y3, 0, 4, 128)
	MOVL AX, 4(R10)
	EPI(Y4, Y5, 0, 8, 256)
	MOVL AX, 8(R10)
	EPI(Y6, Y7, 0, 12, 384)
	MOVL AX, 12(R10)
	EPI(Y8, Y9, 0, 16, 512)
	MOVL AX, 16(R10)
	EPI(Y10, Y11, 0, 20, 640)
	MOVL AX, 20(R10)
	MOVQ $1, R13
	JMP block6               // BX already points at the second block

second6:
	EPI(Y0, Y1, 64, 0, 64)
	SHLL $16, AX
	ORL AX, 0(R10)
	EPI(Y2, Y3, 64, 4, 192)
	SHLL $16, AX
	ORL AX, 4(R10)
	EPI(Y4, Y5, 64, 8, 320)
	SHLL $16, AX
	ORL AX, 8(R10)
	EPI(Y6, Y7, 64, 12, 448)
	SHLL $16, AX
	ORL AX, 12(R10)
	EPI(Y8, Y9, 64, 16, 576)
	SHLL $16, AX
	ORL AX, 16(R10)
	EPI(Y10, Y11, 64, 20, 704)
	SHLL $16, AX
	ORL AX, 20(R10)
	VZEROUPPER
	RET
