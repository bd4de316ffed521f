package index

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sort"
	"sync"
)

// SynthOptions describe a synthetic catalogue (see Synthetic).
type SynthOptions struct {
	N, Queries, Dim int
	// Clusters is the number of mixture components (default 100).
	Clusters int
	// IntrinsicDim is the dimension of each cluster's random subspace (default 16, at most Dim).
	IntrinsicDim int
	Seed         uint64
}

// Synthetic returns a catalogue of opt.N vectors and opt.Queries query vectors drawn from the same mixture,
// both row-major with opt.Dim columns and unit norm, like normalised embeddings. The mixture has opt.Clusters
// components with log-normal weights; a component is a random unit centre plus a Gaussian spread (radius 0.4
// to 0.8, drawn per component) in a random opt.IntrinsicDim-dimensional subspace, plus isotropic noise of
// radius 0.1, and each point is then normalised. Low intrinsic dimension is what makes real embedding
// catalogues searchable by an IVF; i.i.d. Gaussian vectors in 128 dimensions have no useful neighbour
// structure. The output depends only on the options (not on the number of goroutines).
func Synthetic(opt SynthOptions) (base, queries []float32, err error) {
	if opt.Clusters == 0 {
		opt.Clusters = 100
	}
	if opt.IntrinsicDim == 0 {
		opt.IntrinsicDim = min(16, opt.Dim)
	}
	switch {
	case opt.N < 1 || opt.Queries < 0:
		return nil, nil, fmt.Errorf("index: synthetic: need at least 1 vector and no negative number of queries, got n=%d, queries=%d", opt.N, opt.Queries)
	case opt.Dim < 1:
		return nil, nil, fmt.Errorf("index: synthetic: dim must be positive, got %d", opt.Dim)
	case opt.Clusters < 1:
		return nil, nil, fmt.Errorf("index: synthetic: clusters must be positive, got %d", opt.Clusters)
	case opt.IntrinsicDim < 1 || opt.IntrinsicDim > opt.Dim:
		return nil, nil, fmt.Errorf("index: synthetic: intrinsic dim must be in [1, dim=%d], got %d", opt.Dim, opt.IntrinsicDim)
	case opt.N > maxLen || opt.Queries > maxLen:
		return nil, nil, fmt.Errorf("index: synthetic: at most %d vectors", maxLen)
	}
	dim, r, c := opt.Dim, opt.IntrinsicDim, opt.Clusters
	rng := rand.New(rand.NewPCG(opt.Seed, 0))
	centres := make([]float64, c*dim)
	basis := make([]float64, c*dim*r) // per cluster, dim x r
	spread := make([]float64, c)
	cum := make([]float64, c)
	total := 0.0
	for j := 0; j < c; j++ {
		row := centres[j*dim : (j+1)*dim]
		var sq float64
		for d := range row {
			row[d] = rng.NormFloat64()
			sq += row[d] * row[d]
		}
		for d := range row {
			row[d] /= math.Sqrt(sq)
		}
		for i := range basis[j*dim*r : (j+1)*dim*r] {
			basis[j*dim*r+i] = rng.NormFloat64() / math.Sqrt(float64(dim))
		}
		spread[j] = (0.4 + 0.4*rng.Float64()) / math.Sqrt(float64(r))
		total += math.Exp(0.5 * rng.NormFloat64())
		cum[j] = total
	}
	gen := func(out []float32, stream uint64) {
		const chunk = 4096
		n := len(out) / dim
		nChunks := (n + chunk - 1) / chunk
		var wg sync.WaitGroup
		sem := make(chan struct{}, runtime.GOMAXPROCS(0))
		for ch := 0; ch < nChunks; ch++ {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				rng := rand.New(rand.NewPCG(opt.Seed, stream+uint64(ch)))
				z := make([]float64, r)
				x := make([]float64, dim)
				for i := ch * chunk; i < min(n, (ch+1)*chunk); i++ {
					j := sort.SearchFloat64s(cum, rng.Float64()*total)
					j = min(j, c-1)
					for t := range z {
						z[t] = rng.NormFloat64() * spread[j]
					}
					b := basis[j*dim*r : (j+1)*dim*r]
					var sq float64
					for d := range x {
						v := centres[j*dim+d] + 0.1/math.Sqrt(float64(dim))*rng.NormFloat64()
						for t, zt := range z {
							v += b[d*r+t] * zt
						}
						x[d] = v
						sq += v * v
					}
					inv := 1 / math.Sqrt(sq)
					for d, v := range x {
						out[i*dim+d] = float32(v * inv)
					}
				}
			}()
		}
		wg.Wait()
	}
	base = make([]float32, opt.N*dim)
	queries = make([]float32, opt.Queries*dim)
	gen(base, 1)
	gen(queries, 1<<40)
	return base, queries, nil
}
