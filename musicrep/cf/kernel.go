package cf

// A BPR step on one (playlist u, positive item vi, negative item vj) triple, over the Factors floats of each row
// and the two item biases bi, bj:
//
//	x  = bi − bj + Σ_f u[f]·(vi[f] − vj[f]),   z = σ(−x) = 1 / (1 + eˣ),   c = lr·z,   a = 1 − lr·reg
//	bi ← bi + lr·(z − reg·bi),   bj ← bj + lr·(−z − reg·bj)
//	u  ← a·u  + c·(vi − vj)
//	vi ← a·vi + c·u
//	vj ← a·vj − c·u        (all right-hand sides read the values before the step)
//
// the SGD ascent step of ln σ(x) with L2 regularisation, written as one scale and one multiply-add per float.
// It returns x. The SIMD kernel (kernel_simd_amd64.go) and the scalar one differ in summation order and in fused
// multiply-adds, so a model trained with one differs from the other's in the last bits (each is deterministic
// for a seed).
type stepKernel func(u, vi, vj []float32, bi, bj *float32, lr, reg, a float32) float32

type kernelSet struct {
	name string
	step stepKernel
}

// scalarKernels are plain Go; they run everywhere.
var scalarKernels = kernelSet{name: "scalar", step: scalarStep}

// kernels is the set in use: the AVX2 one when this binary was built with GOEXPERIMENT=simd and the CPU has
// AVX2 and FMA (kernel_simd_amd64.go), else scalarKernels.
var kernels = scalarKernels

// KernelName says which BPR kernels this binary uses: "avx2" or "scalar".
func KernelName() string { return kernels.name }

func scalarStep(u, vi, vj []float32, bi, bj *float32, lr, reg, a float32) float32 {
	x := *bi - *bj + scalarDot(u, vi, vj)
	z := sigmoidNeg(x)
	*bi += lr * (z - reg**bi)
	*bj += lr * (-z - reg**bj)
	scalarUpdate(u, vi, vj, a, lr*z)
	return x
}

// scalarDot keeps four partial sums, so the additions do not wait on each other (one running sum made the
// baseline's dot product latency-bound: 64 dependent additions per sample).
func scalarDot(u, vi, vj []float32) float32 {
	n := len(u)
	vi, vj = vi[:n], vj[:n]
	var s0, s1, s2, s3 float32
	f := 0
	for ; f+4 <= n; f += 4 {
		s0 += u[f] * (vi[f] - vj[f])
		s1 += u[f+1] * (vi[f+1] - vj[f+1])
		s2 += u[f+2] * (vi[f+2] - vj[f+2])
		s3 += u[f+3] * (vi[f+3] - vj[f+3])
	}
	for ; f < n; f++ {
		s0 += u[f] * (vi[f] - vj[f])
	}
	return (s0 + s1) + (s2 + s3)
}

func scalarUpdate(u, vi, vj []float32, a, c float32) {
	n := len(u)
	vi, vj = vi[:n], vj[:n]
	for f := range n {
		uf, vif, vjf := u[f], vi[f], vj[f]
		u[f] = a*uf + c*(vif-vjf)
		vi[f] = a*vif + c*uf
		vj[f] = a*vjf - c*uf
	}
}
