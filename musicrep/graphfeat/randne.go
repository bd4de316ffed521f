package graphfeat

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// RandNEOptions configures RandNE. The zero value gives karateclub's defaults (see the package
// documentation) with seed 0.
type RandNEOptions struct {
	// Seed seeds the Gaussian projection (math/rand/v2 PCG).
	Seed uint64
	// Alphas weights U_1, U_2, ... ; its length is the order of the series. Nil means karateclub's
	// default [0.5, 0.5].
	Alphas []float64
	// Alpha0 weights U_0, the orthogonal random projection itself (the k=0 term of the paper's
	// Σ_{k=0}^{q} α_k U_k). karateclub has no such term: the default is 0.
	Alpha0 float64
	// Unnormalized propagates with the raw adjacency A instead of the row-normalised D⁻¹A.
	Unnormalized bool
	// KeepScale skips the division by the sum of the weights.
	KeepScale bool
	// NoStandardize skips the final per-column standardisation ((x − mean)/std over all nodes).
	NoStandardize bool
}

// DefaultAlphas are karateclub's RandNE weights for U_1 and U_2.
var DefaultAlphas = []float64{0.5, 0.5}

// RandNE embeds every node of g with RandNE and returns the rows of the track nodes (g.NumTracks × dim,
// row-major, tracks order). See the package documentation for the algorithm. It panics if dim <= 0 or
// dim > g.NumNodes() (the projection needs dim orthonormal columns of length NumNodes).
func RandNE(g *Graph, dim int, opt RandNEOptions) []float32 {
	all := RandNEAll(g, dim, opt)
	out := make([]float32, g.NumTracks*dim)
	for i := range out {
		out[i] = float32(all[i])
	}
	return out
}

// RandNEAll is RandNE for all nodes, in float64 (g.NumNodes() × dim, row-major, node order).
func RandNEAll(g *Graph, dim int, opt RandNEOptions) []float64 {
	n := g.NumNodes()
	if dim <= 0 || dim > n {
		panic(fmt.Sprintf("graphfeat: RandNE: dim must be in [1, %d] (the number of nodes), got %d", n, dim))
	}
	alphas := opt.Alphas
	if alphas == nil {
		alphas = DefaultAlphas
	}
	u := orthonormalGaussian(n, dim, opt.Seed)
	emb := make([]float64, n*dim)
	sum := opt.Alpha0
	if opt.Alpha0 != 0 {
		for i, x := range u {
			emb[i] = opt.Alpha0 * x
		}
	}
	next := make([]float64, n*dim)
	for _, a := range alphas {
		propagate(g, u, next, dim, !opt.Unnormalized)
		u, next = next, u
		for i, x := range u {
			emb[i] += a * x
		}
		sum += a
	}
	if !opt.KeepScale && sum != 0 {
		for i := range emb {
			emb[i] /= sum
		}
	}
	if !opt.NoStandardize {
		standardizeColumns(emb, n, dim)
	}
	return emb
}

// propagate sets dst = Â·src where Â is A or D⁻¹A (nodes of degree 0 get a zero row).
func propagate(g *Graph, src, dst []float64, dim int, normalize bool) {
	for v, nb := range g.Adj {
		row := dst[v*dim : (v+1)*dim]
		clear(row)
		for _, u := range nb {
			s := src[int(u)*dim : (int(u)+1)*dim]
			for j := range row {
				row[j] += s[j]
			}
		}
		if normalize && len(nb) > 0 {
			inv := 1 / float64(len(nb))
			for j := range row {
				row[j] *= inv
			}
		}
	}
}

// orthonormalGaussian returns an n×dim row-major matrix with orthonormal columns: Gaussian entries
// orthonormalised by modified Gram–Schmidt, applied twice for numerical orthogonality. It requires dim <= n.
func orthonormalGaussian(n, dim int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	// Work on columns (dim × n) for contiguous access.
	cols := make([][]float64, dim)
	for j := range cols {
		cols[j] = make([]float64, n)
	}
	for i := 0; i < n; i++ { // row-major draw order, as np.random.normal((n, dim)) would
		for j := 0; j < dim; j++ {
			cols[j][i] = rng.NormFloat64()
		}
	}
	for j := range cols {
		c := cols[j]
		for pass := 0; pass < 2; pass++ {
			for k := 0; k < j; k++ {
				p := cols[k]
				var d float64
				for i := range c {
					d += c[i] * p[i]
				}
				for i := range c {
					c[i] -= d * p[i]
				}
			}
		}
		var norm float64
		for _, x := range c {
			norm += x * x
		}
		norm = math.Sqrt(norm)
		if norm == 0 { // probability zero with Gaussian draws and dim <= n
			panic("graphfeat: RandNE: degenerate random projection")
		}
		for i := range c {
			c[i] /= norm
		}
	}
	out := make([]float64, n*dim)
	for j, c := range cols {
		for i, x := range c {
			out[i*dim+j] = x
		}
	}
	return out
}

// standardizeColumns makes every column of the n×dim matrix zero-mean with unit population standard
// deviation; a constant column is only centred.
func standardizeColumns(x []float64, n, dim int) {
	for j := 0; j < dim; j++ {
		var mean float64
		for i := 0; i < n; i++ {
			mean += x[i*dim+j]
		}
		mean /= float64(n)
		var vr float64
		for i := 0; i < n; i++ {
			d := x[i*dim+j] - mean
			vr += d * d
		}
		sd := math.Sqrt(vr / float64(n))
		for i := 0; i < n; i++ {
			x[i*dim+j] -= mean
			if sd > 0 {
				x[i*dim+j] /= sd
			}
		}
	}
}
