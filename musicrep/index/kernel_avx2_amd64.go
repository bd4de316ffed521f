//go:build amd64 && !purego

package index

import "golang.org/x/sys/cpu"

// AVX2 + FMA kernels in assembly (kernel_avx2_amd64.s), for x86 CPUs without AVX-512 (AMD Zen 2/3, most Intel
// client CPUs); they need neither cgo nor GOEXPERIMENT=simd. The same kernels written with archsimd ran at about
// a third of the machine's FMA peak: Go's register allocator copied the eight accumulators every iteration and
// kept bounds checks in the loop. The assembly keeps every tile in registers (16 YMM registers: 8 accumulators,
// the block loads and the broadcast query elements):
//   - 6 rows: each block as a 6 × 16 tile (12 accumulators; per dimension 2 loads, 6 broadcasts, 12 FMAs),
//   - 4 rows: each block as a 4 × 16 tile (per dimension 2 loads, 4 broadcasts, 8 FMAs),
//   - 2 rows: 2 × 32 (4 loads, 2 broadcasts, 8 FMAs),
//   - 1 row: 1 × 32 with the dimensions split in two interleaved halves.
//
// Each ends with VZEROUPPER.
var avx2Kernels = kernelSet{name: "avx2", k6: avx2Kernel6, k4: avx2Kernel4, k2: avx2Kernel2, k1: avx2Kernel1}

func init() {
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		exactDistKernel = exactDistAsm
		squaredL2Kernel = squaredL2Asm
		simdKernelSets = append(simdKernelSets, avx2Kernels)
		if kernels.name == scalarKernels.name {
			kernels = avx2Kernels
		}
	}
}

// The assembly tiles. q holds the rows one after another (stride dim floats); grp is one packed group
// (groupWidth*dim floats); norms its groupWidth squared norms; thr one threshold per row; keys [rows][groupWidth];
// masks one per row. The Go wrappers check the lengths, so the assembly reads and writes only inside them.
//
//go:noescape
func avx2Tile6(q *float32, dim int, grp, norms, thr, keys *float32, masks *uint32)

//go:noescape
func avx2Tile4(q *float32, dim int, grp, norms, thr, keys *float32, masks *uint32)

//go:noescape
func avx2Tile2(q *float32, dim int, grp, norms, thr, keys *float32, masks *uint32)

//go:noescape
func avx2Tile1(q *float32, dim int, grp, norms, thr, keys *float32, masks *uint32)

func avx2Kernel6(q []float32, dim int, grp, norms, thr, keys []float32, masks []uint32) {
	checkTile(6, q, dim, grp, norms, thr, keys, masks)
	avx2Tile6(&q[0], dim, &grp[0], &norms[0], &thr[0], &keys[0], &masks[0])
}

func avx2Kernel4(q []float32, dim int, grp, norms, thr, keys []float32, masks []uint32) {
	checkTile(4, q, dim, grp, norms, thr, keys, masks)
	avx2Tile4(&q[0], dim, &grp[0], &norms[0], &thr[0], &keys[0], &masks[0])
}

func avx2Kernel2(q []float32, dim int, grp, norms, thr, keys []float32, masks []uint32) {
	checkTile(2, q, dim, grp, norms, thr, keys, masks)
	avx2Tile2(&q[0], dim, &grp[0], &norms[0], &thr[0], &keys[0], &masks[0])
}

func avx2Kernel1(q []float32, dim int, grp, norms, thr, keys []float32, masks []uint32) {
	checkTile(1, q, dim, grp, norms, thr, keys, masks)
	avx2Tile1(&q[0], dim, &grp[0], &norms[0], &thr[0], &keys[0], &masks[0])
}

// checkTile panics unless the slices hold what a rows-row kernel call reads and writes (the assembly does not
// check bounds).
func checkTile(rows int, q []float32, dim int, grp, norms, thr, keys []float32, masks []uint32) {
	if dim <= 0 || len(q) < rows*dim || len(grp) < groupWidth*dim || len(norms) < groupWidth ||
		len(thr) < rows || len(keys) < rows*groupWidth || len(masks) < rows {
		panic("index: kernel called with short slices")
	}
}

//go:noescape
func exactDistAVX2(q *float32, col *float32, dim int) float64

// exactDistAsm is store.exactDist's arithmetic with AVX2 (the four partial sums in four float64 lanes).
func exactDistAsm(q []float32, col []float32, dim int) float64 {
	if dim <= 0 || len(q) < dim || len(col) < (dim-1)*blockWidth+1 {
		panic("index: exactDist called with short slices")
	}
	return exactDistAVX2(&q[0], &col[0], dim)
}

//go:noescape
func squaredL2AVX2(a, b *float32, n int) float64

func squaredL2Asm(a, b []float32) float64 {
	if len(a) == 0 {
		return 0
	}
	return squaredL2AVX2(&a[0], &b[0], len(a))
}
