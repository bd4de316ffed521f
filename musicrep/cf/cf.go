// Package cf learns collaborative-filtering item vectors from playlists: implicit-feedback matrix factorisation
// with Bayesian Personalised Ranking (BPR, Rendle et al. 2009), the pairwise ranking objective LightFM's WARP and
// the implicit package's BPR optimise in different ways. contrastive-mir uses the item vectors as its CF modality:
// [Factors item factors, item bias] per song (301-d with the default 300 factors), and a playlist vector
// [Factors playlist factors, 1], so that their dot product is the model's score.
//
// Training is plain Go SGD, single-threaded and therefore deterministic for a seed: each step samples a playlist
// p, one of its songs i and a song j not in it, and ascends ln σ(x_pi − x_pj) with x_pi = u_p·v_i + b_i and L2
// regularisation, as in the implicit package's BPR.
package cf

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"time"
)

// Options configures Train. Zero values take the defaults.
type Options struct {
	Factors      int     // latent dimension (default 300, as contrastive-mir)
	Epochs       int     // passes: each samples as many triples as there are interactions (default 50)
	LearningRate float64 // SGD step (default 0.05)
	Reg          float64 // L2 regularisation of factors and biases (default 0.01)
	Seed         uint64
	Progress     io.Writer
}

func (o *Options) defaults() {
	if o.Factors == 0 {
		o.Factors = 300
	}
	if o.Epochs == 0 {
		o.Epochs = 50
	}
	if o.LearningRate == 0 {
		o.LearningRate = 0.05
	}
	if o.Reg == 0 {
		o.Reg = 0.01
	}
}

// Model holds the learned factors. Items and playlists are dense indices 0..NumItems-1, 0..NumPlaylists-1.
type Model struct {
	Factors  int
	Item     []float32 // NumItems × Factors
	ItemBias []float32 // NumItems
	User     []float32 // NumPlaylists × Factors
	NumItems int
	Wall     time.Duration
}

// Train fits BPR on playlists[p] = the item indices of playlist p (duplicates ignored) over numItems items.
func Train(playlists [][]int, numItems int, opt Options) (*Model, error) {
	opt.defaults()
	if numItems <= 1 {
		return nil, errors.New("cf: need at least two items")
	}
	sets := make([]map[int]bool, len(playlists))
	var users []int
	nnz := 0
	for p, items := range playlists {
		sets[p] = map[int]bool{}
		for _, i := range items {
			if i < 0 || i >= numItems {
				return nil, fmt.Errorf("cf: playlist %d has item %d outside 0..%d", p, i, numItems-1)
			}
			sets[p][i] = true
		}
		if len(sets[p]) > 0 && len(sets[p]) < numItems {
			users = append(users, p)
			nnz += len(sets[p])
		}
	}
	if nnz == 0 {
		return nil, errors.New("cf: no interactions to learn from")
	}
	lists := make([][]int, len(playlists))
	for p, s := range sets {
		for i := range s {
			lists[p] = append(lists[p], i)
		}
		sort.Ints(lists[p])
	}
	k := opt.Factors
	rng := rand.New(rand.NewPCG(opt.Seed, 0xcf))
	m := &Model{Factors: k, NumItems: numItems, Item: make([]float32, numItems*k), ItemBias: make([]float32, numItems),
		User: make([]float32, len(playlists)*k)}
	scale := 1 / math.Sqrt(float64(k))
	for i := range m.Item {
		m.Item[i] = float32((rng.Float64() - 0.5) * scale)
	}
	for i := range m.User {
		m.User[i] = float32((rng.Float64() - 0.5) * scale)
	}
	lr, reg := float32(opt.LearningRate), float32(opt.Reg)
	start := time.Now()
	for epoch := range opt.Epochs {
		var loss float64
		for range nnz {
			p := users[rng.IntN(len(users))]
			i := lists[p][rng.IntN(len(lists[p]))]
			j := rng.IntN(numItems)
			for sets[p][j] {
				j = rng.IntN(numItems)
			}
			u := m.User[p*k : (p+1)*k]
			vi, vj := m.Item[i*k:(i+1)*k], m.Item[j*k:(j+1)*k]
			x := m.ItemBias[i] - m.ItemBias[j]
			for f := range u {
				x += u[f] * (vi[f] - vj[f])
			}
			z := float32(1 / (1 + math.Exp(float64(x)))) // σ(−x) = ∂ ln σ(x) / ∂x
			loss -= math.Log(1/(1+math.Exp(-float64(x))) + 1e-12)
			m.ItemBias[i] += lr * (z - reg*m.ItemBias[i])
			m.ItemBias[j] += lr * (-z - reg*m.ItemBias[j])
			for f := range u {
				uf, vif, vjf := u[f], vi[f], vj[f]
				u[f] += lr * (z*(vif-vjf) - reg*uf)
				vi[f] += lr * (z*uf - reg*vif)
				vj[f] += lr * (-z*uf - reg*vjf)
			}
		}
		if opt.Progress != nil && (epoch+1)%10 == 0 || opt.Progress != nil && epoch+1 == opt.Epochs {
			fmt.Fprintf(opt.Progress, "cf: epoch %d/%d  mean −ln σ %.4f  %s\n", epoch+1, opt.Epochs, loss/float64(nnz),
				time.Since(start).Round(time.Millisecond))
		}
	}
	m.Wall = time.Since(start)
	return m, nil
}

// ItemVectors returns contrastive-mir's CF modality: per item [factors, bias] (NumItems × (Factors+1)).
func (m *Model) ItemVectors() []float32 {
	k := m.Factors
	out := make([]float32, m.NumItems*(k+1))
	for i := range m.NumItems {
		copy(out[i*(k+1):], m.Item[i*k:(i+1)*k])
		out[i*(k+1)+k] = m.ItemBias[i]
	}
	return out
}

// Score returns the score of every item for playlist p: u_p·v_i + b_i.
func (m *Model) Score(p int) []float32 {
	k := m.Factors
	u := m.User[p*k : (p+1)*k]
	out := make([]float32, m.NumItems)
	for i := range out {
		s := m.ItemBias[i]
		v := m.Item[i*k : (i+1)*k]
		for f := range u {
			s += u[f] * v[f]
		}
		out[i] = s
	}
	return out
}

// Continuation holds playlist-continuation metrics: HitRate@K is the fraction of held-out songs ranked in the top
// K (the playlist's visible songs excluded from the ranking), NDCG@K the mean per-playlist normalised DCG.
type Continuation struct {
	K         int
	HitRate   float64
	NDCG      float64
	Playlists int
	HeldOut   int
}

// Evaluate scores held-out songs: for each playlist p with held-out songs heldOut[p] (and visible songs
// visible[p], which the model saw), rank all items by scores(p) excluding the visible ones.
func Evaluate(scores func(p int) []float32, visible, heldOut [][]int, k int) Continuation {
	res := Continuation{K: k}
	var hits, ndcg float64
	for p, held := range heldOut {
		if len(held) == 0 {
			continue
		}
		s := scores(p)
		skip := map[int]bool{}
		for _, i := range visible[p] {
			skip[i] = true
		}
		idx := make([]int, 0, len(s))
		for i := range s {
			if !skip[i] {
				idx = append(idx, i)
			}
		}
		sort.SliceStable(idx, func(a, b int) bool { return s[idx[a]] > s[idx[b]] })
		if len(idx) > k {
			idx = idx[:k]
		}
		want := map[int]bool{}
		for _, i := range held {
			want[i] = true
		}
		var dcg, ideal float64
		for r, i := range idx {
			if want[i] {
				hits++
				dcg += 1 / math.Log2(float64(r+2))
			}
		}
		for r := range min(len(want), k) {
			ideal += 1 / math.Log2(float64(r+2))
		}
		ndcg += dcg / ideal
		res.Playlists++
		res.HeldOut += len(want)
	}
	if res.Playlists > 0 {
		res.HitRate = hits / float64(res.HeldOut)
		res.NDCG = ndcg / float64(res.Playlists)
	}
	return res
}

// Popularity returns a scorer that ranks items by how many training playlists contain them (the trivial baseline).
func Popularity(playlists [][]int, numItems int) func(int) []float32 {
	count := make([]float32, numItems)
	for _, items := range playlists {
		seen := map[int]bool{}
		for _, i := range items {
			if !seen[i] {
				seen[i] = true
				count[i]++
			}
		}
	}
	return func(int) []float32 { return count }
}

// HoldOut splits each playlist's songs into visible and held-out parts: the last fraction (at least one, when
// the playlist has two or more songs) of a seeded shuffle is held out.
func HoldOut(playlists [][]int, fraction float64, seed uint64) (visible, heldOut [][]int) {
	rng := rand.New(rand.NewPCG(seed, 0x401d))
	visible = make([][]int, len(playlists))
	heldOut = make([][]int, len(playlists))
	for p, items := range playlists {
		s := append([]int(nil), items...)
		rng.Shuffle(len(s), func(a, b int) { s[a], s[b] = s[b], s[a] })
		n := int(math.Round(fraction * float64(len(s))))
		if n == 0 && len(s) >= 2 {
			n = 1
		}
		visible[p], heldOut[p] = s[:len(s)-n], s[len(s)-n:]
	}
	return visible, heldOut
}
