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
	"math/bits"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"sync"
	"time"
)

// Options configures Train. Zero values take the defaults.
type Options struct {
	Factors      int     // latent dimension (default 300, as contrastive-mir)
	Epochs       int     // passes: each samples as many triples as there are interactions (default 50)
	LearningRate float64 // SGD step (default 0.05)
	Reg          float64 // L2 regularisation of factors and biases (default 0.01)
	Seed         uint64
	// Threads: 0 or 1 trains sequentially, deterministic for a seed (the default). n > 1 runs n goroutines of
	// Hogwild SGD (Niu, Recht, Ré and Wright 2011) that update the shared factors without locks, as the implicit
	// package's BPR does with its threads: faster on several cores, not reproducible from run to run. Negative:
	// runtime.GOMAXPROCS(0) goroutines.
	Threads  int
	Progress io.Writer
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
	if o.Threads == 0 {
		o.Threads = 1
	}
	if o.Threads < 0 {
		o.Threads = runtime.GOMAXPROCS(0)
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

// splitMix is SplitMix64 (Steele, Lea and Flood 2014): one add and two multiply-xorshifts per 64-bit draw,
// inlined in the sampling loop (math/rand/v2's PCG behind the Rand interface cost about 7 % of the time). Each
// Hogwild goroutine has its own, as each of implicit's threads has its own RNG.
type splitMix struct{ s uint64 }

func (r *splitMix) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// intn returns a draw in [0, n) by Lemire's multiply-shift: the high word of next()·n (bias at most n/2⁶⁴).
func (r *splitMix) intn(n int) int {
	hi, _ := bits.Mul64(r.next(), uint64(n))
	return int(hi)
}

func (r *splitMix) float64() float64 { return float64(r.next()>>11) * 0x1p-53 }

// maxBitsetBits bounds the playlist × item bitset that answers "is j in playlist p" with one load (16 MiB);
// larger problems search the playlist's sorted items instead. Both give the same answers, so the same model.
var maxBitsetBits = 1 << 27

// trainer holds the read-only training data and the shared model of one Train call.
type trainer struct {
	m                 *Model
	users             []int     // playlists with at least one and fewer than numItems items
	lists             [][]int32 // sorted distinct items per playlist
	liked             []uint64  // bitset, playlist-major, words per playlist = stride; nil: search lists
	stride            int
	lrA, lr, reg      float32 // lrA = 1 − lr·reg
	numItems, factors int
}

func (t *trainer) has(p, j int) bool {
	if t.liked != nil {
		return t.liked[p*t.stride+j>>6]&(1<<(j&63)) != 0
	}
	_, ok := slices.BinarySearch(t.lists[p], int32(j))
	return ok
}

// run takes n SGD steps; it returns Σ −ln σ(x) over them when track is set.
func (t *trainer) run(r *splitMix, n int, track bool) float64 {
	k, users, lists, numItems := t.factors, t.users, t.lists, t.numItems
	item, user, bias := t.m.Item, t.m.User, t.m.ItemBias
	dot, update := kernels.dot, kernels.update
	lr, reg, a := t.lr, t.reg, t.lrA
	var loss float64
	for range n {
		p := users[r.intn(len(users))]
		l := lists[p]
		i := int(l[r.intn(len(l))])
		j := r.intn(numItems)
		for t.has(p, j) {
			j = r.intn(numItems)
		}
		u := user[p*k : p*k+k]
		vi, vj := item[i*k:i*k+k], item[j*k:j*k+k]
		x := bias[i] - bias[j] + dot(u, vi, vj)
		z := 1 / (1 + expf(x)) // σ(−x) = ∂ ln σ(x) / ∂x
		if track {
			loss += softplus(-float64(x))
		}
		bias[i] += lr * (z - reg*bias[i])
		bias[j] += lr * (-z - reg*bias[j])
		update(u, vi, vj, a, lr*z)
	}
	return loss
}

// expf is eˣ in float32 (Cephes' expf: x = n·ln 2 + r, |r| ≤ ln 2 / 2, a degree-6 polynomial for eʳ, 2ⁿ put in
// the exponent bits), within 2 ulp of math.Exp for |x| ≤ 87 (TestExpf) and clamped beyond, where σ is 0 or 1 in
// float32 anyway. Inlined in the loop; math.Exp's float64 assembly call was a quarter of the step time.
func expf(x float32) float32 {
	x = min(max(x, -87), 88)
	n := float32(int32(x*1.44269504088896341+0.5+128)) - 128 // floor(x·log₂e + ½); the offset keeps the truncation a floor
	r := x - n*0.693359375 + n*2.12194440e-4                 // ln 2 split in two parts
	p := float32(1.9875691500e-4)
	p = p*r + 1.3981999507e-3
	p = p*r + 8.3334519073e-3
	p = p*r + 4.1665795894e-2
	p = p*r + 1.6666665459e-1
	p = p*r + 5.0000001201e-1
	return (p*r*r + r + 1) * math.Float32frombits(uint32(int32(n)+127)<<23)
}

// softplus(y) = ln(1 + eʸ) = −ln σ(−y), without overflow.
func softplus(y float64) float64 {
	if y > 0 {
		return y + math.Log1p(math.Exp(-y))
	}
	return math.Log1p(math.Exp(y))
}

// Train fits BPR on playlists[p] = the item indices of playlist p (duplicates ignored) over numItems items.
func Train(playlists [][]int, numItems int, opt Options) (*Model, error) {
	opt.defaults()
	if numItems <= 1 {
		return nil, errors.New("cf: need at least two items")
	}
	t := &trainer{numItems: numItems, factors: opt.Factors, lists: make([][]int32, len(playlists))}
	nnz := 0
	for p, items := range playlists {
		l := make([]int32, 0, len(items))
		for _, i := range items {
			if i < 0 || i >= numItems {
				return nil, fmt.Errorf("cf: playlist %d has item %d outside 0..%d", p, i, numItems-1)
			}
			l = append(l, int32(i))
		}
		slices.Sort(l)
		l = slices.Compact(l)
		t.lists[p] = l
		if len(l) > 0 && len(l) < numItems {
			t.users = append(t.users, p)
			nnz += len(l)
		}
	}
	if nnz == 0 {
		return nil, errors.New("cf: no interactions to learn from")
	}
	if t.stride = (numItems + 63) / 64; len(playlists)*t.stride*64 <= maxBitsetBits {
		t.liked = make([]uint64, len(playlists)*t.stride)
		for p, l := range t.lists {
			for _, i := range l {
				t.liked[p*t.stride+int(i)>>6] |= 1 << (i & 63)
			}
		}
	}
	k := opt.Factors
	rng := &splitMix{s: opt.Seed ^ 0xcf}
	m := &Model{Factors: k, NumItems: numItems, Item: make([]float32, numItems*k), ItemBias: make([]float32, numItems),
		User: make([]float32, len(playlists)*k)}
	t.m = m
	scale := 1 / math.Sqrt(float64(k))
	for i := range m.Item {
		m.Item[i] = float32((rng.float64() - 0.5) * scale)
	}
	for i := range m.User {
		m.User[i] = float32((rng.float64() - 0.5) * scale)
	}
	t.lr, t.reg = float32(opt.LearningRate), float32(opt.Reg)
	t.lrA = 1 - t.lr*t.reg
	// Hogwild: goroutine w has its own generator; w = 0 continues the one above, so Threads = 1 is the
	// sequential run. Each goroutine takes its share of the epoch's nnz steps; epochs end together.
	rngs := []*splitMix{rng}
	for w := 1; w < opt.Threads; w++ {
		rngs = append(rngs, &splitMix{s: (&splitMix{s: opt.Seed ^ uint64(w)<<32}).next()})
	}
	losses := make([]float64, len(rngs))
	start := time.Now()
	for epoch := range opt.Epochs {
		track := opt.Progress != nil && ((epoch+1)%10 == 0 || epoch+1 == opt.Epochs)
		if len(rngs) == 1 {
			losses[0] = t.run(rng, nnz, track)
		} else {
			var wg sync.WaitGroup
			for w, r := range rngs {
				n := nnz / len(rngs)
				if w < nnz%len(rngs) {
					n++
				}
				wg.Go(func() { losses[w] = t.run(r, n, track) })
			}
			wg.Wait()
		}
		if track {
			var loss float64
			for _, l := range losses {
				loss += l
			}
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
