package cmir

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// W2VOptions configures GenreWord2Vec. Zero values take the defaults.
type W2VOptions struct {
	Dim       int     // vector size (128, as contrastive-mir)
	Epochs    int     // passes over the documents (5, gensim's default)
	Negatives int     // negative samples per positive (5)
	Alpha     float64 // initial learning rate, decayed linearly to 1e-4·Alpha (0.025)
	Seed      uint64
}

// GenreWord2Vec learns genre vectors from co-occurrence, as contrastive-mir's train_genre_w2v.py does with
// gensim: every document (e.g. the genre codes of one song, or of one playlist's songs) is one sentence whose
// window spans the whole document. This is skip-gram with negative sampling (unigram^0.75 noise) in plain Go,
// single-threaded and deterministic for a seed (gensim's CBOW default with 4 workers is not deterministic). docs
// hold token ids 0..vocab-1. It returns (vocab+1) × Dim rows: row 0 zeros (padding), row i+1 the vector of token i,
// the layout of the shipped embedding_matrix_128.npy.
func GenreWord2Vec(docs [][]int, vocab int, opt W2VOptions) ([]float32, error) {
	if opt.Dim == 0 {
		opt.Dim = 128
	}
	if opt.Epochs == 0 {
		opt.Epochs = 5
	}
	if opt.Negatives == 0 {
		opt.Negatives = 5
	}
	if opt.Alpha == 0 {
		opt.Alpha = 0.025
	}
	count := make([]float64, vocab)
	pairs := 0
	for d, doc := range docs {
		for _, t := range doc {
			if t < 0 || t >= vocab {
				return nil, fmt.Errorf("cmir: word2vec document %d has token %d outside 0..%d", d, t, vocab-1)
			}
			count[t]++
		}
		pairs += len(doc) * (len(doc) - 1)
	}
	if pairs == 0 {
		return nil, fmt.Errorf("cmir: word2vec needs documents with at least two tokens")
	}
	// Noise distribution: unigram^0.75, as a cumulative table.
	cum := make([]float64, vocab)
	var total float64
	for i, c := range count {
		total += math.Pow(c, 0.75)
		cum[i] = total
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x3232))
	noise := func() int {
		x := rng.Float64() * total
		lo, hi := 0, vocab-1
		for lo < hi {
			mid := (lo + hi) / 2
			if cum[mid] < x {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		return lo
	}
	d := opt.Dim
	in := make([]float64, vocab*d)
	out := make([]float64, vocab*d)
	for i := range in {
		in[i] = (rng.Float64() - 0.5) / float64(d)
	}
	grad := make([]float64, d)
	sigmoid := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	step, steps := 0, opt.Epochs*pairs
	for range opt.Epochs {
		for _, doc := range docs {
			for a, center := range doc {
				for b, ctx := range doc {
					if a == b {
						continue
					}
					alpha := opt.Alpha * math.Max(1e-4, 1-float64(step)/float64(steps))
					step++
					v := in[center*d : (center+1)*d]
					clear(grad)
					for k := 0; k <= opt.Negatives; k++ {
						target, label := ctx, 1.0
						if k > 0 {
							if target = noise(); target == ctx {
								continue
							}
							label = 0
						}
						u := out[target*d : (target+1)*d]
						var dot float64
						for f := range v {
							dot += v[f] * u[f]
						}
						g := alpha * (label - sigmoid(dot))
						for f := range v {
							grad[f] += g * u[f]
							u[f] += g * v[f]
						}
					}
					for f := range v {
						v[f] += grad[f]
					}
				}
			}
		}
	}
	table := make([]float32, (vocab+1)*d)
	for i := range vocab {
		for f := range d {
			table[(i+1)*d+f] = float32(in[i*d+f])
		}
	}
	return table, nil
}
