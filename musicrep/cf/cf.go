// Package cf learns collaborative-filtering item vectors from playlists: implicit-feedback matrix factorisation
// with Bayesian Personalised Ranking (BPR, Rendle et al. 2009), the pairwise ranking objective LightFM's WARP and
// the implicit package's BPR optimise in different ways. contrastive-mir uses the item vectors as its CF modality:
// [Factors item factors, item bias] per song (301-d with the default 300 factors), and a playlist vector
// [Factors playlist factors, 1], so that their dot product is the model's score.
//
// Training is Go SGD, single-threaded and therefore deterministic for a seed by default (Options.Threads > 1
// runs Hogwild goroutines instead): each step samples a playlist p, one of its songs i and a song j not in it, and
// ascends ln σ(x_pi − x_pj) with x_pi = u_p·v_i + b_i and L2 regularisation, as in the implicit package's BPR.
// The step is one AVX2 kernel when built with GOEXPERIMENT=simd on a CPU with AVX2 and FMA (KernelName), plain Go
// otherwise; the two give models that differ in the last bits.
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
	users             []span    // playlists with at least one and fewer than numItems items
	items             []int32   // every playlist's sorted distinct items, one after the other
	lists             [][]int32 // playlist p's part of items
	liked             []uint64  // bitset, playlist-major, words per playlist = stride; nil: search lists
	stride            int
	lrA, lr, reg      float32 // lrA = 1 − lr·reg
	numItems, factors int
	touched           []float32 // per goroutine: the prefetching loads' sum, kept so that the compiler keeps the loads
}

// span locates a playlist's items in trainer.items: one load gives all three (a [][]int32 took two dependent
// loads before the positive item's row could be fetched).
type span struct{ p, start, n int32 }

// draw samples a training triple: a playlist p uniformly, one of its items i uniformly, a negative j uniformly
// among the items not in p.
func (t *trainer) draw(r *splitMix) (p, i, j int) {
	s := t.users[r.intn(len(t.users))]
	p = int(s.p)
	i = int(t.items[int(s.start)+r.intn(int(s.n))])
	for {
		j = r.intn(t.numItems)
		if t.liked != nil {
			if t.liked[p*t.stride+j>>6]&(1<<(j&63)) == 0 {
				return p, i, j
			}
		} else if _, in := slices.BinarySearch(t.lists[p], int32(j)); !in {
			return p, i, j
		}
	}
}

// run takes n SGD steps as goroutine w; it returns Σ −ln σ(x) over them when track is set. The next triple is
// drawn before the current step and its rows are touched (one load per 64-byte line), so that their cache misses
// overlap the step's arithmetic instead of following it; the draws stay in the same order, so the result is the
// same.
func (t *trainer) run(w int, r *splitMix, n int, track bool) float64 {
	k := t.factors
	item, user, bias := t.m.Item, t.m.User, t.m.ItemBias
	step := kernels.step
	lr, reg, a := t.lr, t.reg, t.lrA
	var loss float64
	var touch float32
	if n == 0 {
		return 0
	}
	p, i, j := t.draw(r)
	for s := range n {
		cp, ci, cj := p, i, j
		if s+1 < n {
			p, i, j = t.draw(r)
			u, vi, vj := user[p*k:p*k+k], item[i*k:i*k+k], item[j*k:j*k+k]
			for f := 0; f < k; f += 16 {
				touch += u[f] + vi[f] + vj[f]
			}
		}
		x := step(user[cp*k:cp*k+k], item[ci*k:ci*k+k], item[cj*k:cj*k+k], &bias[ci], &bias[cj], lr, reg, a)
		if track {
			loss += softplus(-float64(x))
		}
	}
	t.touched[w] += touch
	return loss
}

// σ(−x) = 1 / (1 + eˣ) comes from a table of its values at steps of 1/64 on [−16, 16], linearly interpolated
// (as word2vec's EXP_TABLE, with interpolation): absolute error 3.1e-6 at most (TestSigmoid: ≤ 4e-6), the table's
// end values beyond (σ(−16) ≈ 1.1e-7). The SGD step waits on σ: math.Exp's call, then a Cephes float32 exp (a
// chain of 25 dependent operations) took 20–25 % of the step's time; the table is a multiply-add, two loads and
// one more.
const (
	sigmoidSteps = 64 // table entries per unit of x
	sigmoidRange = 16
	sigmoidLast  = 2 * sigmoidRange * sigmoidSteps
)

var sigmoidTable = func() (t [sigmoidLast + 2]float32) {
	for i := range t {
		t[i] = float32(1 / (1 + math.Exp(float64(i)/sigmoidSteps-sigmoidRange)))
	}
	return t
}()

// sigmoidNeg returns σ(−x).
func sigmoidNeg(x float32) float32 {
	y := x*sigmoidSteps + sigmoidRange*sigmoidSteps
	if !(y > 0) { // also NaN
		return sigmoidTable[0]
	}
	if y >= sigmoidLast {
		return sigmoidTable[sigmoidLast]
	}
	i := int(y)
	f := y - float32(i)
	pair := (*[2]float32)(sigmoidTable[i : i+2])
	return pair[0] + f*(pair[1]-pair[0])
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
	if numItems > math.MaxInt32 {
		return nil, fmt.Errorf("cf: %d items: at most %d (indices are int32)", numItems, math.MaxInt32)
	}
	t := &trainer{numItems: numItems, factors: opt.Factors, lists: make([][]int32, len(playlists))}
	nnz := 0
	for p, items := range playlists {
		start := len(t.items)
		for _, i := range items {
			if i < 0 || i >= numItems {
				return nil, fmt.Errorf("cf: playlist %d has item %d outside 0..%d", p, i, numItems-1)
			}
			t.items = append(t.items, int32(i))
		}
		if len(t.items) > math.MaxInt32 {
			return nil, fmt.Errorf("cf: more than %d interactions (at playlist %d): train on a subset", math.MaxInt32, p)
		}
		slices.Sort(t.items[start:])
		t.items = t.items[:start+len(slices.Compact(t.items[start:]))]
		if n := len(t.items) - start; n > 0 && n < numItems {
			t.users = append(t.users, span{p: int32(p), start: int32(start), n: int32(n)})
			nnz += n
		}
	}
	for _, s := range t.users {
		t.lists[s.p] = t.items[s.start : s.start+s.n : s.start+s.n]
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
	t.touched = make([]float32, len(rngs))
	start := time.Now()
	for epoch := range opt.Epochs {
		track := opt.Progress != nil && ((epoch+1)%10 == 0 || epoch+1 == opt.Epochs)
		if len(rngs) == 1 {
			losses[0] = t.run(0, rng, nnz, track)
		} else {
			var wg sync.WaitGroup
			for w, r := range rngs {
				n := nnz / len(rngs)
				if w < nnz%len(rngs) {
					n++
				}
				wg.Go(func() { losses[w] = t.run(w, r, n, track) })
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
// Hits[p] is the number of playlist p's held-out songs in its top K (0 where it has none), for paired
// comparisons and bootstrap intervals over playlists.
type Continuation struct {
	K         int
	HitRate   float64
	NDCG      float64
	Playlists int
	HeldOut   int
	Hits      []int
}

// Evaluate scores held-out songs: for each playlist p with held-out songs heldOut[p] (and visible songs
// visible[p], which the model saw), rank all items by scores(p) excluding the visible ones.
func Evaluate(scores func(p int) []float32, visible, heldOut [][]int, k int) Continuation {
	res := Continuation{K: k, Hits: make([]int, len(heldOut))}
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
				res.Hits[p]++
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
