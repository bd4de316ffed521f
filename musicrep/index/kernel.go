package index

import "math"

// Packed storage. Vectors are stored in blocks of blockWidth vectors, each block transposed ([dim][blockWidth]
// float32: element d of the block's 16 vectors side by side), and scanned in groups of groupWidth vectors (two
// blocks). Storage is padded to whole groups; padding vectors are zero with squared norm +Inf, so their keys are
// +Inf and never pass a threshold (thresholds are at most math.MaxFloat32).
const (
	blockWidth = 16
	groupWidth = 2 * blockWidth
	// maxRows is the largest number of queries one kernel call handles.
	maxRows = 6
)

// groupKernel computes the float32 ranking keys of rows queries against one group of groupWidth packed vectors:
//
//	keys[r*groupWidth+j] = norms[j] - 2 * <q_r, x_j>
//
// where q_r = q[r*dim:(r+1)*dim], x_j is vector j of grp (groupWidth*dim floats, packed) and norms[j] its squared
// norm. It sets bit j of masks[r] when keys[r*groupWidth+j] <= thr[r]. The key is the squared L2 distance minus
// the query's squared norm, which is the same for every vector and so does not change the ranking.
//
// The kernels differ in summation order and in fusing multiply-adds; their results differ in the last bits but
// all obey the error bound of keyErrorBound, on which the exactness of the search rests.
type groupKernel func(q []float32, dim int, grp, norms, thr, keys []float32, masks []uint32)

// kernelSet holds the kernels for 6, 4, 2 and 1 query rows.
type kernelSet struct {
	name           string
	k6, k4, k2, k1 groupKernel
}

// scalarKernels are plain Go; they run everywhere.
var scalarKernels = kernelSet{name: "scalar", k6: scalarKernel6, k4: scalarKernel4, k2: scalarKernel2,
	k1: scalarKernel1}

// kernels is the set in use on amd64: the AVX-512 set when the binary is built with GOEXPERIMENT=simd and the CPU
// has AVX-512 (kernel_simd_amd64.go), else the AVX2 + FMA assembly set when the CPU has those
// (kernel_avx2_amd64.s; not with the purego build tag); else scalarKernels.
var kernels = scalarKernels

// simdKernelSets lists every SIMD kernel set this binary has and this CPU runs (the tests check each against the
// scalar one).
var simdKernelSets []kernelSet

// KernelName says which distance kernels this binary uses: "avx512" (built with GOEXPERIMENT=simd, on a CPU with
// AVX-512), "avx2" (on a CPU with AVX2 and FMA) or "scalar". Results are identical either way; only the speed
// differs.
func KernelName() string { return kernels.name }

// scalarRow computes the keys and mask of one query row against one group.
func scalarRow(q []float32, dim int, grp, norms []float32, thr float32, keys []float32) uint32 {
	var acc [groupWidth]float32
	b0 := grp[:blockWidth*dim]
	b1 := grp[blockWidth*dim : groupWidth*dim]
	q = q[:dim]
	for d, qv := range q {
		x0 := (*[blockWidth]float32)(b0[d*blockWidth : (d+1)*blockWidth])
		x1 := (*[blockWidth]float32)(b1[d*blockWidth : (d+1)*blockWidth])
		for j := range blockWidth {
			acc[j] += qv * x0[j]
			acc[blockWidth+j] += qv * x1[j]
		}
	}
	var mask uint32
	keys = keys[:groupWidth]
	norms = norms[:groupWidth]
	for j := range groupWidth {
		k := norms[j] - 2*acc[j]
		keys[j] = k
		if k <= thr {
			mask |= 1 << j
		}
	}
	return mask
}

func scalarKernel6(q []float32, dim int, grp, norms, thr, keys []float32, masks []uint32) {
	for r := range 6 {
		masks[r] = scalarRow(q[r*dim:], dim, grp, norms, thr[r], keys[r*groupWidth:])
	}
}

func scalarKernel4(q []float32, dim int, grp, norms, thr, keys []float32, masks []uint32) {
	for r := range 4 {
		masks[r] = scalarRow(q[r*dim:], dim, grp, norms, thr[r], keys[r*groupWidth:])
	}
}

func scalarKernel2(q []float32, dim int, grp, norms, thr, keys []float32, masks []uint32) {
	for r := range 2 {
		masks[r] = scalarRow(q[r*dim:], dim, grp, norms, thr[r], keys[r*groupWidth:])
	}
}

func scalarKernel1(q []float32, dim int, grp, norms, thr, keys []float32, masks []uint32) {
	masks[0] = scalarRow(q, dim, grp, norms, thr[0], keys)
}

// Error bound of the float32 keys (see keyErrorBound). u is float32's unit roundoff.
const (
	u32       = 0x1p-24
	u64       = 0x1p-53
	tinyAbs32 = 0x1p-149 // smallest positive float32: absolute rounding error bound in the subnormal range
)

// keyErrorBound returns E such that |key~(x) - (|x|^2 - 2<q,x>)| <= E for every vector x with |x| <= xMax, where
// key~ is the float32 key of any groupKernel and |q| = qNorm (real arithmetic on the right).
//
// Derivation (u = 2^-24, gamma_m = m u / (1 - m u)): the squared norm is summed in float64 and rounded once to
// float32 (error <= u |x|^2, plus float64 error, negligible); the dot product of dim float32 products summed in
// any order, with or without fused multiply-adds, has error <= gamma_dim sum |q_i x_i| <= gamma_dim |q| |x|
// (Higham, Accuracy and Stability of Numerical Algorithms, 3.1); 2*dot is exact; the final subtraction rounds
// once (error <= u (|x|^2 + 2 |q| |x|) up to second order). So E <= 2u |x|^2 + 2 (gamma_dim + u) |q| |x| plus
// second-order terms, covered by the factor 1.01 and by using gamma_(dim+2), plus an absolute term for
// subnormal intermediate results (at most one per operation).
func keyErrorBound(qNorm, xMax float64, dim int) float64 {
	m := float64(dim + 2)
	gamma := m * u32 / (1 - m*u32)
	e := 2*u32*xMax*xMax + 2*(gamma+u32)*qNorm*xMax
	return 1.01*e + 4*float64(dim+4)*tinyAbs32
}

// rankTolerance returns the tolerance tol of the exact search: a vector whose float32 key exceeds the k-th
// smallest key by more than tol is farther (in exact float64 distance, as computed by exactDist) than each of
// the k vectors with the smallest keys, so it cannot be among the k nearest. tol = 2E + 2s, where E is
// keyErrorBound and s bounds the rounding error of exactDist: a float64 sum of dim non-negative squares of
// float64 differences of float32 values, relative error <= gamma_(dim+3) in float64 (differences and squares
// round once each), on distances at most (|q| + xMax)^2.
func rankTolerance(qNorm, xMax float64, dim int) float64 {
	m := float64(dim + 3)
	s := 1.01 * m * u64 / (1 - m*u64) * (qNorm + xMax) * (qNorm + xMax)
	return 2*keyErrorBound(qNorm, xMax, dim) + 2*s
}

// thresholdAbove returns the smallest float32 >= v (v a float64), capped at math.MaxFloat32.
func thresholdAbove(v float64) float32 {
	if v >= math.MaxFloat32 {
		return math.MaxFloat32
	}
	f := float32(v)
	if float64(f) < v {
		f = math.Nextafter32(f, float32(math.Inf(1)))
	}
	return f
}
