package graphfeat

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
)

// DeepWalkOptions configures DeepWalk. Zero fields take the defaults given in brackets.
type DeepWalkOptions struct {
	Seed         uint64  // seeds the walks, the window shrinking, the negatives and the initialisation
	WalkLength   int     // nodes per walk, start included [40]
	WalksPerNode int     // walks started from every node [10]
	Window       int     // maximal skip-gram window on each side [5]
	Negatives    int     // negative samples per (centre, context) pair [5]
	Epochs       int     // passes over the walks [1]
	LearningRate float64 // initial SGD learning rate, decayed linearly to LearningRate·1e−4 [0.025]
	// Subsample is word2vec's frequent-token threshold s [1e−3]; negative disables subsampling.
	Subsample float64
}

func (o DeepWalkOptions) withDefaults() DeepWalkOptions {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.WalkLength, 40)
	def(&o.WalksPerNode, 10)
	def(&o.Window, 5)
	def(&o.Negatives, 5)
	def(&o.Epochs, 1)
	if o.LearningRate <= 0 {
		o.LearningRate = 0.025
	}
	if o.Subsample == 0 {
		o.Subsample = 1e-3
	}
	return o
}

// Walks returns WalksPerNode uniform random walks of WalkLength nodes from every node, in rounds (every
// node once per round, in a shuffled order). A walk stops early at a node without neighbours.
func Walks(g *Graph, opt DeepWalkOptions, rng *rand.Rand) [][]int32 {
	opt = opt.withDefaults()
	n := g.NumNodes()
	walks := make([][]int32, 0, n*opt.WalksPerNode)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	for r := 0; r < opt.WalksPerNode; r++ {
		rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, start := range order {
			w := make([]int32, 1, opt.WalkLength)
			w[0] = int32(start)
			for len(w) < opt.WalkLength {
				nb := g.Adj[w[len(w)-1]]
				if len(nb) == 0 {
					break
				}
				w = append(w, nb[rng.IntN(len(nb))])
			}
			walks = append(walks, w)
		}
	}
	return walks
}

// DeepWalk embeds every node of g with DeepWalk (random walks + skip-gram with negative sampling, see the
// package documentation) and returns the rows of the track nodes (g.NumTracks × dim, row-major). It panics
// if dim <= 0.
func DeepWalk(g *Graph, dim int, opt DeepWalkOptions) []float32 {
	all := DeepWalkAll(g, dim, opt)
	return slices.Clone(all[:g.NumTracks*dim])
}

// DeepWalkAll is DeepWalk for all nodes (g.NumNodes() × dim, row-major, node order).
func DeepWalkAll(g *Graph, dim int, opt DeepWalkOptions) []float32 {
	if dim <= 0 {
		panic(fmt.Sprintf("graphfeat: DeepWalk: dim must be positive, got %d", dim))
	}
	opt = opt.withDefaults()
	n := g.NumNodes()
	rng := rand.New(rand.NewPCG(opt.Seed, opt.Seed^0xd1b54a32d192ed03))
	walks := Walks(g, opt, rng)

	// Unigram^0.75 table for negative sampling.
	counts := make([]float64, n)
	total := 0
	for _, w := range walks {
		for _, v := range w {
			counts[v]++
		}
		total += len(w)
	}
	cum := make([]float64, n)
	var acc float64
	for v, c := range counts {
		acc += math.Pow(c, 0.75)
		cum[v] = acc
	}
	sampleNeg := func() int32 {
		x := rng.Float64() * acc
		v := sort.SearchFloat64s(cum, x)
		if v >= n {
			v = n - 1
		}
		return int32(v)
	}

	in := make([]float32, n*dim)  // syn0: the embedding
	out := make([]float32, n*dim) // syn1neg
	for i := range in {
		in[i] = float32((rng.Float64() - 0.5) / float64(dim))
	}
	grad := make([]float32, dim)

	// Frequent-node subsampling, as word2vec/gensim: a token of frequency f is kept with probability
	// (√(f/s)+1)·s/f.
	keep := make([]float64, n)
	for v, c := range counts {
		keep[v] = 1
		if opt.Subsample > 0 && c > 0 {
			f := c / float64(total)
			keep[v] = min(1, (math.Sqrt(f/opt.Subsample)+1)*opt.Subsample/f)
		}
	}

	steps := float64(opt.Epochs) * float64(total)
	done := 0.0
	lr0 := opt.LearningRate
	sent := make([]int32, 0, opt.WalkLength)
	for ep := 0; ep < opt.Epochs; ep++ {
		for _, walk := range walks {
			sent = sent[:0]
			for _, v := range walk {
				if keep[v] >= 1 || rng.Float64() < keep[v] {
					sent = append(sent, v)
				}
			}
			lr := float32(lr0 * max(1e-4, 1-done/steps)) // updated once per walk, as gensim per batch
			done += float64(len(walk))
			for pos, centre := range sent {
				b := rng.IntN(opt.Window) // effective window Window-b, as word2vec
				lo, hi := max(0, pos-opt.Window+b), min(len(sent)-1, pos+opt.Window-b)
				for c := lo; c <= hi; c++ {
					if c == pos {
						continue
					}
					// word2vec convention: the context node's input vector predicts the centre node.
					ctx := in[int(sent[c])*dim : (int(sent[c])+1)*dim]
					g := grad[:len(ctx)]
					clear(g)
					for k := 0; k <= opt.Negatives; k++ {
						target, label := centre, float32(1)
						if k > 0 {
							target, label = sampleNeg(), 0
							if target == centre {
								continue
							}
						}
						o := out[int(target)*dim : (int(target)+1)*dim]
						o = o[:len(ctx)]
						gr := (label - sigmoid(dot32(ctx, o))) * lr
						for j, x := range o {
							g[j] += gr * x
							o[j] += gr * ctx[j]
						}
					}
					for j, x := range g {
						ctx[j] += x
					}
				}
			}
		}
	}
	return in
}

// dot32 is the dot product of two equal-length vectors, with four partial sums.
func dot32(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	j := 0
	for ; j+4 <= len(a); j += 4 {
		s0 += a[j] * b[j]
		s1 += a[j+1] * b[j+1]
		s2 += a[j+2] * b[j+2]
		s3 += a[j+3] * b[j+3]
	}
	for ; j < len(a); j++ {
		s0 += a[j] * b[j]
	}
	return (s0 + s1) + (s2 + s3)
}

func sigmoid(x float32) float32 {
	if x > 6 {
		return 1
	}
	if x < -6 {
		return 0
	}
	return float32(1 / (1 + math.Exp(-float64(x))))
}
