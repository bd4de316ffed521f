package evaluation

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

func crossModalClose(t *testing.T, name string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-12 {
		t.Errorf("%s = %.15g, want %.15g", name, got, want)
	}
}

func crossModalCheck(t *testing.T, r *CrossModalResult, recall []float64, mrr, median, mean float64) {
	t.Helper()
	if len(r.Recall) != len(recall) {
		t.Fatalf("len(Recall) = %d, want %d", len(r.Recall), len(recall))
	}
	for i, want := range recall {
		crossModalClose(t, "R@"+strconv.Itoa(r.Ks[i]), r.Recall[i], want)
	}
	crossModalClose(t, "MRR", r.MRR, mrr)
	crossModalClose(t, "MedianRank", r.MedianRank, median)
	crossModalClose(t, "MeanRank", r.MeanRank, mean)
}

func crossModalRanksEqual(t *testing.T, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("ranks %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("ranks %v, want %v", got, want)
		}
	}
}

// One-dimensional example computed by hand (squared distances in comments).
//
//	q0 = 0   -> c: 0, 1, 4, 25         correct 0:    rank 1
//	q1 = 10  -> c: 100, 81, 64, 25     correct 81:   2 closer, rank 3
//	q2 = 3   -> c: 9, 4, 1, 4          correct 1:    rank 1
//	q3 = 3.5 -> c: 12.25, 6.25, 2.25, 2.25  correct 2.25, 1 tie: rank 1.5 (half) or 2 (pessimistic)
var (
	cmHandQ = []float32{0, 10, 3, 3.5}
	cmHandC = []float32{0, 1, 2, 5}
)

func TestCrossModalHandExample(t *testing.T) {
	r, err := CrossModal(cmHandQ, cmHandC, 1, CrossModalOptions{Ks: []int{1, 2, 3}})
	if err != nil {
		t.Fatal(err)
	}
	crossModalRanksEqual(t, r.Ranks, []float64{1, 3, 1, 1.5})
	// MRR = (1 + 1/3 + 1 + 2/3)/4; median of 1, 1, 1.5, 3; mean 6.5/4.
	crossModalCheck(t, r, []float64{0.5, 0.75, 1}, 0.75, 1.25, 1.625)
	if r.NumQueries != 4 || r.NumCandidates != 4 || r.SkippedQueries != 0 {
		t.Errorf("counts %d/%d/%d, want 4/4/0", r.NumQueries, r.NumCandidates, r.SkippedQueries)
	}
	// Chance for n = 4: R@k = k/4, MRR = H_4/4 = 25/48, median = mean = 2.5.
	c := r.Chance
	if c.N != 4 {
		t.Errorf("Chance.N = %d", c.N)
	}
	for i, want := range []float64{0.25, 0.5, 0.75} {
		crossModalClose(t, "chance R@k", c.Recall[i], want)
	}
	crossModalClose(t, "chance MRR", c.MRR, 25.0/48)
	crossModalClose(t, "chance median", c.MedianRank, 2.5)
	crossModalClose(t, "chance mean", c.MeanRank, 2.5)

	m := r.Metrics()
	if m["R@2"] != 0.75 || m["mrr"] != r.MRR || m["median_rank"] != 1.25 || m["mean_rank"] != 1.625 || len(m) != 6 {
		t.Errorf("Metrics() = %v", m)
	}

	p, err := CrossModal(cmHandQ, cmHandC, 1, CrossModalOptions{Ks: []int{1, 2, 3}, Pessimistic: true})
	if err != nil {
		t.Fatal(err)
	}
	crossModalRanksEqual(t, p.Ranks, []float64{1, 3, 1, 2})
	crossModalCheck(t, p, []float64{0.5, 0.75, 1}, 17.0/24, 1.5, 1.75)
}

func TestCrossModalDefaultKs(t *testing.T) {
	r, err := CrossModal(cmHandQ, cmHandC, 1, CrossModalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Ks) != 3 || r.Ks[0] != 1 || r.Ks[1] != 5 || r.Ks[2] != 10 {
		t.Fatalf("Ks = %v", r.Ks)
	}
	// K above the number of candidates: every query hits; chance is 1 too.
	crossModalCheck(t, r, []float64{0.5, 1, 1}, 0.75, 1.25, 1.625)
	for i, want := range []float64{0.25, 1, 1} {
		crossModalClose(t, "chance", r.Chance.Recall[i], want)
	}
}

func crossModalRandom(rng *rand.Rand, n, dim int) []float32 {
	x := make([]float32, n*dim)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

func TestCrossModalIdentical(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n, dim = 200, 16
	x := crossModalRandom(rng, n, dim)
	for _, cos := range []bool{false, true} {
		r, err := CrossModal(x, x, dim, CrossModalOptions{Cosine: cos})
		if err != nil {
			t.Fatal(err)
		}
		crossModalCheck(t, r, []float64{1, 1, 1}, 1, 1, 1)
		if r.NumQueries != n || r.NumCandidates != n {
			t.Errorf("counts %d/%d", r.NumQueries, r.NumCandidates)
		}
	}
	// Scaling by 2 keeps the direction (and normalises to the same bits): perfect under cosine only.
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = 2 * v
	}
	r, err := CrossModal(x, y, dim, CrossModalOptions{Cosine: true})
	if err != nil {
		t.Fatal(err)
	}
	crossModalCheck(t, r, []float64{1, 1, 1}, 1, 1, 1)
	r, err = CrossModal(x, y, dim, CrossModalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Recall[0] == 1 {
		t.Errorf("squared L2 on a scaled copy gave R@1 = 1; expected scale to matter")
	}
}

// Points 0..4 on a line, candidate row i = point 4-i. Query i's correct item is at distance |2i-4|:
// ranks 5, 4, 1, 4, 5 (no ties).
func TestCrossModalReversed(t *testing.T) {
	q := []float32{0, 1, 2, 3, 4}
	c := []float32{4, 3, 2, 1, 0}
	r, err := CrossModal(q, c, 1, CrossModalOptions{Ks: []int{1, 4, 5}})
	if err != nil {
		t.Fatal(err)
	}
	crossModalRanksEqual(t, r.Ranks, []float64{5, 4, 1, 4, 5})
	crossModalCheck(t, r, []float64{0.2, 0.6, 1}, (0.2+0.25+1+0.25+0.2)/5, 4, 3.8)
	// Reversed pairing of distinct random points in 4-D: the correct item is no longer the query's own
	// point, so the result must fall short of the perfect identity pairing.
	rng := rand.New(rand.NewPCG(5, 6))
	const n, dim = 50, 4
	x := crossModalRandom(rng, n, dim)
	rev := make([]float32, len(x))
	for i := 0; i < n; i++ {
		copy(rev[i*dim:(i+1)*dim], x[(n-1-i)*dim:(n-i)*dim])
	}
	rr, err := CrossModal(x, rev, dim, CrossModalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rr.MRR >= 1 || rr.MedianRank <= 1 {
		t.Errorf("reversed pairing MRR %v median %v", rr.MRR, rr.MedianRank)
	}
}

// crossModalNaive is the O(n^2 dim) reference: float64 distances accumulated in order.
func crossModalNaive(q, c []float32, dim int, qp, cp []bool, ks []int, pessimistic bool) (rows []int, ranks []float64, recall []float64, mrr, median, mean float64, ncand int) {
	n := len(q) / dim
	present := func(m []bool, i int) bool { return m == nil || m[i] }
	dist := func(a, b []float32) float64 {
		s := 0.0
		for t := range a {
			d := float64(a[t]) - float64(b[t])
			s += d * d
		}
		return s
	}
	for j := 0; j < n; j++ {
		if present(cp, j) {
			ncand++
		}
	}
	recall = make([]float64, len(ks))
	for i := 0; i < n; i++ {
		if !present(qp, i) || !present(cp, i) {
			continue
		}
		qi := q[i*dim : (i+1)*dim]
		d := dist(qi, c[i*dim:(i+1)*dim])
		rank := 1.0
		for j := 0; j < n; j++ {
			if j == i || !present(cp, j) {
				continue
			}
			dj := dist(qi, c[j*dim:(j+1)*dim])
			switch {
			case dj < d:
				rank++
			case dj == d && pessimistic:
				rank++
			case dj == d:
				rank += 0.5
			}
		}
		rows = append(rows, i)
		ranks = append(ranks, rank)
		mrr += 1 / rank
		mean += rank
		for a, k := range ks {
			if rank <= float64(k) {
				recall[a]++
			}
		}
	}
	m := float64(len(ranks))
	for a := range recall {
		recall[a] /= m
	}
	// Median by selection on a copy (insertion sort: independent of the implementation's sort).
	s := append([]float64(nil), ranks...)
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	if len(s)%2 == 1 {
		median = s[len(s)/2]
	} else {
		median = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return rows, ranks, recall, mrr / m, median, mean / m, ncand
}

func TestCrossModalNaiveReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	ks := []int{1, 3, 5, 10, 50}
	sawTie := false
	for trial := 0; trial < 24; trial++ {
		n := 1 + rng.IntN(300)
		dim := 1 + rng.IntN(40)
		q := make([]float32, n*dim)
		c := make([]float32, n*dim)
		coarse := trial%2 == 0 // small integers: many exact ties and duplicate rows
		for i := range q {
			if coarse {
				q[i] = float32(rng.IntN(3))
				c[i] = float32(rng.IntN(3))
			} else {
				q[i] = float32(rng.NormFloat64())
				c[i] = q[i] + float32(0.8*rng.NormFloat64())
			}
		}
		var qp, cp []bool
		if trial%3 != 0 {
			qp, cp = make([]bool, n), make([]bool, n)
			for i := range qp {
				qp[i] = i == 0 || rng.Float64() < 0.8
				cp[i] = i == 0 || rng.Float64() < 0.8
				if !qp[i] && rng.IntN(2) == 0 {
					q[i*dim] = float32(math.NaN()) // missing rows are never read
				}
				if !cp[i] && rng.IntN(2) == 0 {
					c[i*dim] = float32(math.Inf(1))
				}
			}
		}
		for _, pess := range []bool{false, true} {
			r, err := CrossModal(q, c, dim, CrossModalOptions{Ks: ks, Pessimistic: pess, QueryPresent: qp, CandidatePresent: cp})
			if err != nil {
				t.Fatalf("trial %d: %v", trial, err)
			}
			rows, ranks, recall, mrr, median, mean, ncand := crossModalNaive(q, c, dim, qp, cp, ks, pess)
			if len(rows) != len(r.Queries) {
				t.Fatalf("trial %d: %d queries, want %d", trial, len(r.Queries), len(rows))
			}
			for i := range rows {
				if rows[i] != r.Queries[i] {
					t.Fatalf("trial %d: Queries %v, want %v", trial, r.Queries, rows)
				}
			}
			crossModalRanksEqual(t, r.Ranks, ranks)
			for _, rk := range ranks {
				sawTie = sawTie || rk != math.Trunc(rk)
			}
			crossModalCheck(t, r, recall, mrr, median, mean)
			if r.NumCandidates != ncand || r.NumQueries != len(rows) || r.SkippedQueries != n-len(rows) {
				t.Errorf("trial %d: counts %d/%d/%d", trial, r.NumQueries, r.NumCandidates, r.SkippedQueries)
			}
			want := RandomBaseline(ncand, ks)
			for i := range ks {
				if r.Chance.Recall[i] != want.Recall[i] {
					t.Errorf("trial %d: chance %v, want %v", trial, r.Chance, want)
				}
			}
		}
	}
	if !sawTie {
		t.Error("no tied rank in the coarse trials: the reference comparison does not exercise ties")
	}
}

// Cosine ranking against a float64 cosine-similarity reference on continuous data (no ties).
func TestCrossModalCosineReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	const n, dim = 120, 8
	q := crossModalRandom(rng, n, dim)
	c := make([]float32, len(q))
	for i := range c {
		c[i] = float32(float64(q[i])*(1+3*rng.Float64()) + 0.7*rng.NormFloat64())
	}
	r, err := CrossModal(q, c, dim, CrossModalOptions{Cosine: true})
	if err != nil {
		t.Fatal(err)
	}
	cos := func(a, b []float32) float64 {
		var ab, aa, bb float64
		for t := range a {
			ab += float64(a[t]) * float64(b[t])
			aa += float64(a[t]) * float64(a[t])
			bb += float64(b[t]) * float64(b[t])
		}
		return ab / math.Sqrt(aa*bb)
	}
	for i := 0; i < n; i++ {
		s := cos(q[i*dim:(i+1)*dim], c[i*dim:(i+1)*dim])
		rank := 1.0
		for j := 0; j < n; j++ {
			if j != i && cos(q[i*dim:(i+1)*dim], c[j*dim:(j+1)*dim]) > s {
				rank++
			}
		}
		if r.Ranks[i] != rank {
			t.Errorf("query %d: rank %v, want %v", i, r.Ranks[i], rank)
		}
	}
}

func TestCrossModalMasks(t *testing.T) {
	q := append([]float32(nil), cmHandQ...)
	c := append([]float32(nil), cmHandC...)
	q[0] = float32(math.NaN()) // query modality of row 0 missing
	c[2] = float32(math.NaN()) // candidate modality of row 2 missing
	opt := CrossModalOptions{
		Ks:               []int{1, 2},
		QueryPresent:     []bool{false, true, true, true},
		CandidatePresent: []bool{true, true, false, true},
	}
	r, err := CrossModal(q, c, 1, opt)
	if err != nil {
		t.Fatal(err)
	}
	// Rows 1 and 3 are scored against candidates 0, 1, 3:
	//   q1 = 10  -> 100, 81, 25: correct 81, rank 2
	//   q3 = 3.5 -> 12.25, 6.25, 2.25: correct 2.25, rank 1 (the tying candidate 2 is gone)
	if len(r.Queries) != 2 || r.Queries[0] != 1 || r.Queries[1] != 3 {
		t.Fatalf("Queries = %v", r.Queries)
	}
	crossModalRanksEqual(t, r.Ranks, []float64{2, 1})
	crossModalCheck(t, r, []float64{0.5, 1}, 0.75, 1.5, 1.5)
	if r.NumQueries != 2 || r.NumCandidates != 3 || r.SkippedQueries != 2 || r.Chance.N != 3 {
		t.Errorf("counts %d/%d/%d chance n %d", r.NumQueries, r.NumCandidates, r.SkippedQueries, r.Chance.N)
	}
	crossModalClose(t, "chance MRR", r.Chance.MRR, (1+0.5+1.0/3)/3)

	// Only the candidate mask: row 2 is skipped as a query (no correct item) and out of every list.
	r, err = CrossModal(cmHandQ, cmHandC, 1, CrossModalOptions{CandidatePresent: []bool{true, true, false, true}})
	if err != nil {
		t.Fatal(err)
	}
	crossModalRanksEqual(t, r.Ranks, []float64{1, 2, 1})
}

func TestCrossModalErrors(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(-1))
	cases := []struct {
		name string
		q, c []float32
		dim  int
		opt  CrossModalOptions
		want string
	}{
		{"dim zero", []float32{1, 2}, []float32{1, 2}, 0, CrossModalOptions{}, "dim must be positive"},
		{"queries not multiple", []float32{1, 2, 3}, []float32{1, 2, 3, 4}, 2, CrossModalOptions{}, "queries has 3 values"},
		{"candidates not multiple", []float32{1, 2}, []float32{1, 2, 3}, 2, CrossModalOptions{}, "candidates has 3 values"},
		{"row mismatch", []float32{1, 2, 3, 4}, []float32{1, 2}, 2, CrossModalOptions{}, "rows must be paired"},
		{"nan query", []float32{1, nan}, []float32{1, 2}, 2, CrossModalOptions{}, "queries row 0 column 1 is NaN"},
		{"inf candidate", []float32{1, 2, 3, 4}, []float32{1, 2, 3, inf}, 2, CrossModalOptions{}, "candidates row 1 column 1 is -Inf"},
		{"nan in candidate of a skipped query", []float32{1, 2}, []float32{nan, 2}, 1,
			CrossModalOptions{QueryPresent: []bool{false, true}}, "candidates row 0 column 0 is NaN"},
		{"no rows", nil, nil, 3, CrossModalOptions{}, "no queries"},
		{"all masked", []float32{1, 2}, []float32{1, 2}, 1, CrossModalOptions{QueryPresent: []bool{false, false}}, "no queries"},
		{"no candidates", []float32{1, 2}, []float32{1, 2}, 1, CrossModalOptions{CandidatePresent: []bool{false, false}}, "no queries"},
		{"query mask length", []float32{1, 2}, []float32{1, 2}, 1, CrossModalOptions{QueryPresent: []bool{true}}, "QueryPresent has 1 entries"},
		{"candidate mask length", []float32{1, 2}, []float32{1, 2}, 1, CrossModalOptions{CandidatePresent: []bool{true, true, true}}, "CandidatePresent has 3 entries"},
		{"bad k", []float32{1, 2}, []float32{1, 2}, 1, CrossModalOptions{Ks: []int{1, 0}}, "cut-off k must be positive"},
		{"cosine zero row", []float32{1, 0, 0, 0}, []float32{1, 0, 0, 1}, 2, CrossModalOptions{Cosine: true}, "queries row 1 is all zeros"},
	}
	for _, tc := range cases {
		r, err := CrossModal(tc.q, tc.c, tc.dim, tc.opt)
		if err == nil {
			t.Errorf("%s: no error (result %+v)", tc.name, r)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "evaluation: CrossModal: ") {
			t.Errorf("%s: error %q, want it to contain %q", tc.name, err, tc.want)
		}
	}
	// A zero row is fine without Cosine, and a zero row whose modality is missing is fine with it.
	if _, err := CrossModal([]float32{1, 0, 0, 0}, []float32{1, 0, 0, 1}, 2, CrossModalOptions{}); err != nil {
		t.Errorf("zero row, squared L2: %v", err)
	}
	if _, err := CrossModal([]float32{1, 0, 0, 0}, []float32{1, 0, 0, 1}, 2,
		CrossModalOptions{Cosine: true, QueryPresent: []bool{true, false}}); err != nil {
		t.Errorf("zero row masked out, cosine: %v", err)
	}
}

func TestCrossModalRandomBaseline(t *testing.T) {
	c := RandomBaseline(1, nil)
	if c.N != 1 || c.MRR != 1 || c.MedianRank != 1 || c.MeanRank != 1 || len(c.Recall) != 3 {
		t.Errorf("RandomBaseline(1) = %+v", c)
	}
	for _, v := range c.Recall {
		if v != 1 {
			t.Errorf("RandomBaseline(1) recall %v", c.Recall)
		}
	}
	c = RandomBaseline(1000, []int{1, 5, 10, 2000})
	for i, want := range []float64{0.001, 0.005, 0.01, 1} {
		crossModalClose(t, "recall", c.Recall[i], want)
	}
	// H_1000 = 7.485470860550344912656518...
	crossModalClose(t, "MRR", c.MRR, 7.485470860550345/1000)
	crossModalClose(t, "median", c.MedianRank, 500.5)
	if m := c.Metrics(); m["R@2000"] != 1 || m["mean_rank"] != 500.5 {
		t.Errorf("Metrics() = %v", m)
	}

	// Monte Carlo: random embeddings unrelated to each other score near chance.
	rng := rand.New(rand.NewPCG(31, 32))
	const n, dim = 400, 8
	r, err := CrossModal(crossModalRandom(rng, n, dim), crossModalRandom(rng, n, dim), dim, CrossModalOptions{Ks: []int{40}})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(r.MeanRank-r.Chance.MeanRank) > 40 || math.Abs(r.Recall[0]-r.Chance.Recall[0]) > 0.05 {
		t.Errorf("random data: mean rank %v (chance %v), R@40 %v (chance %v)", r.MeanRank, r.Chance.MeanRank,
			r.Recall[0], r.Chance.Recall[0])
	}

	for _, bad := range []func(){func() { RandomBaseline(0, nil) }, func() { RandomBaseline(3, []int{-1}) }} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("RandomBaseline did not panic on bad input")
				}
			}()
			bad()
		}()
	}
}
