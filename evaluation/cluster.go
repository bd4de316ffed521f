package evaluation

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"sort"
)

// KMeansOptions configures KMeans. The zero value gives the defaults.
type KMeansOptions struct {
	// NInit is the number of independent k-means++ restarts; the one with the lowest inertia is kept (ties:
	// the earliest restart). 0 means 10, scikit-learn's n_init before version 1.4; its current
	// n_init="auto" runs k-means++ once, which is cheaper but noticeably less stable on real embeddings.
	NInit int
	// MaxIter bounds the Lloyd iterations of one restart. 0 means 300 (scikit-learn's default).
	MaxIter int
	// Seed seeds the generators: restart r draws from math/rand/v2's PCG seeded with (Seed, r), so the
	// result depends only on the data, k and the options.
	Seed uint64
}

// KMeansResult is the kept restart of KMeans.
type KMeansResult struct {
	Labels     []int     // cluster of every row, in [0, K)
	Centroids  []float32 // K x Dim, row-major: the mean of each cluster's rows
	K, Dim     int
	Inertia    float64 // sum over rows of the squared Euclidean distance to their centroid (float64)
	Iterations int     // Lloyd iterations of the kept restart
	Converged  bool    // whether its assignments stopped changing before MaxIter
}

// KMeans clusters the rows of data (row-major, dim columns) into k clusters by minimising the inertia (sum
// of squared Euclidean distances to the cluster means), as sklearn.cluster.KMeans(algorithm="lloyd").
//
// Each restart starts from greedy k-means++ seeding as scikit-learn's _kmeans_plusplus: the first centre is
// a uniformly drawn row; every further centre is the best (lowest resulting potential) of 2+floor(ln k)
// candidates drawn with probability proportional to the squared distance to the nearest chosen centre. Lloyd
// iterations (assign every row to its nearest centroid, ties to the lower cluster index; move every
// centroid to the mean of its rows) run until the assignments stop changing or MaxIter is reached; when
// not converged, rows are finally re-assigned to the last centroids so that Labels, Centroids and Inertia
// agree. A cluster left empty by an iteration is re-seeded, as scikit-learn does, with the row farthest from
// its own centroid (the next farthest for the next empty cluster), and that iteration never counts as
// converged. scikit-learn's extra tolerance test on the centroid shift (tol=1e-4) is not used: the
// assignment test is stricter.
//
// All arithmetic is in float64 (distances computed from the differences, not from norms); restarts run in
// parallel but the result does not depend on GOMAXPROCS. Cost: O(NInit x iterations x n x k x dim).
//
// Errors: dim <= 0, a length that is not a multiple of dim, no rows, NaN/Inf, k < 1 or k > n, negative
// NInit or MaxIter. With fewer distinct rows than k some centroids coincide (inertia is still minimal).
func KMeans(data []float32, dim, k int, opt KMeansOptions) (*KMeansResult, error) {
	n, err := analysisRows(data, dim, "data")
	if err != nil {
		return nil, fmt.Errorf("evaluation: KMeans: %w", err)
	}
	if n == 0 {
		return nil, errors.New("evaluation: KMeans: no rows")
	}
	if k < 1 || k > n {
		return nil, fmt.Errorf("evaluation: KMeans: k must be in [1, %d] (the number of rows), got %d", n, k)
	}
	if opt.NInit < 0 || opt.MaxIter < 0 {
		return nil, fmt.Errorf("evaluation: KMeans: NInit (%d) and MaxIter (%d) must not be negative", opt.NInit, opt.MaxIter)
	}
	if opt.NInit == 0 {
		opt.NInit = 10
	}
	if opt.MaxIter == 0 {
		opt.MaxIter = 300
	}
	x := analysisFloat64(data)
	runs := make([]*KMeansResult, opt.NInit)
	analysisParallel(opt.NInit, func(r int) {
		rng := rand.New(rand.NewPCG(opt.Seed, uint64(r)))
		centers := kmeansPlusPlus(x, n, dim, k, rng)
		runs[r] = kmeansLloyd(x, n, dim, k, centers, opt.MaxIter)
	})
	best := runs[0]
	for _, r := range runs[1:] {
		if r.Inertia < best.Inertia {
			best = r
		}
	}
	return best, nil
}

// kmeansPlusPlus returns k initial centres (k x dim, float64) by scikit-learn's greedy k-means++.
func kmeansPlusPlus(x []float64, n, dim, k int, rng *rand.Rand) []float64 {
	centers := make([]float64, k*dim)
	first := rng.IntN(n)
	copy(centers, x[first*dim:(first+1)*dim])
	closest := make([]float64, n)
	pot := 0.0
	for i := 0; i < n; i++ {
		closest[i] = analysisSqDist(x[i*dim:(i+1)*dim], centers[:dim])
		pot += closest[i]
	}
	trials := 2 + int(math.Log(float64(k)))
	cum := make([]float64, n)
	cand := make([]int, trials)
	candDist := make([][]float64, trials)
	for t := range candDist {
		candDist[t] = make([]float64, n)
	}
	for c := 1; c < k; c++ {
		s := 0.0
		for i, d := range closest {
			s += d
			cum[i] = s
		}
		for t := range cand {
			v := rng.Float64() * pot
			// numpy.searchsorted(side="left"): the first i with cum[i] >= v, clipped to n-1.
			cand[t] = min(sort.SearchFloat64s(cum, v), n-1)
		}
		bestT, bestPot := 0, math.Inf(1)
		for t, ci := range cand {
			row := x[ci*dim : (ci+1)*dim]
			p := 0.0
			for i := 0; i < n; i++ {
				d := min(closest[i], analysisSqDist(x[i*dim:(i+1)*dim], row))
				candDist[t][i] = d
				p += d
			}
			if p < bestPot {
				bestT, bestPot = t, p
			}
		}
		pot = bestPot
		copy(closest, candDist[bestT])
		ci := cand[bestT]
		copy(centers[c*dim:(c+1)*dim], x[ci*dim:(ci+1)*dim])
	}
	return centers
}

// kmeansLloyd runs Lloyd iterations from the given centres (modified in place) and returns the restart's result.
func kmeansLloyd(x []float64, n, dim, k int, centers []float64, maxIter int) *KMeansResult {
	labels := make([]int, n)
	old := make([]int, n)
	for i := range old {
		old[i] = -1
	}
	dist := make([]float64, n)
	sums := make([]float64, k*dim)
	counts := make([]int, k)
	assign := func() {
		for i := 0; i < n; i++ {
			row := x[i*dim : (i+1)*dim]
			bc, bd := 0, math.Inf(1)
			for c := 0; c < k; c++ {
				if d := analysisSqDist(row, centers[c*dim:(c+1)*dim]); d < bd {
					bc, bd = c, d
				}
			}
			labels[i], dist[i] = bc, bd
		}
	}
	res := &KMeansResult{K: k, Dim: dim}
	for it := 1; it <= maxIter; it++ {
		res.Iterations = it
		assign()
		clear(sums)
		clear(counts)
		for i, c := range labels {
			counts[c]++
			s := sums[c*dim : (c+1)*dim]
			for t, v := range x[i*dim : (i+1)*dim] {
				s[t] += v
			}
		}
		relocated := kmeansRelocateEmpty(x, dim, labels, dist, sums, counts)
		for c := 0; c < k; c++ {
			if counts[c] == 0 {
				continue // unreachable unless every row was needed elsewhere; keep the old centre
			}
			inv := 1 / float64(counts[c])
			for t := 0; t < dim; t++ {
				centers[c*dim+t] = sums[c*dim+t] * inv
			}
		}
		if !relocated && slices.Equal(labels, old) {
			res.Converged = true
			break
		}
		copy(old, labels)
	}
	if !res.Converged {
		assign()
	}
	inertia := 0.0
	for i, c := range labels {
		inertia += analysisSqDist(x[i*dim:(i+1)*dim], centers[c*dim:(c+1)*dim])
	}
	res.Labels = labels
	res.Inertia = inertia
	res.Centroids = make([]float32, k*dim)
	for i, v := range centers {
		res.Centroids[i] = float32(v)
	}
	return res
}

// kmeansRelocateEmpty gives every empty cluster the row farthest from its current centroid (dist), as
// scikit-learn's _relocate_empty_clusters_dense: the row's values become the empty cluster's sum and are
// removed from its old cluster's sum. Labels are left unchanged (the next assignment step fixes them). It
// reports whether anything moved.
func kmeansRelocateEmpty(x []float64, dim int, labels []int, dist, sums []float64, counts []int) bool {
	var empty []int
	for c, m := range counts {
		if m == 0 {
			empty = append(empty, c)
		}
	}
	if len(empty) == 0 {
		return false
	}
	order := make([]int, len(labels))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return dist[order[a]] > dist[order[b]] })
	for e, c := range empty {
		if e >= len(order) {
			break
		}
		far := order[e]
		oldC := labels[far]
		if counts[oldC] <= 1 {
			continue // would empty another cluster
		}
		row := x[far*dim : (far+1)*dim]
		for t, v := range row {
			sums[oldC*dim+t] -= v
			sums[c*dim+t] = v
		}
		counts[oldC]--
		counts[c] = 1
	}
	return true
}

// clusterLabelIndex maps arbitrary integer labels to 0..m-1 in increasing label order (as numpy.unique) and returns
// the mapped labels and m.
func clusterLabelIndex(labels []int) ([]int, int) {
	u := slices.Clone(labels)
	slices.Sort(u)
	u = slices.Compact(u)
	out := make([]int, len(labels))
	for i, l := range labels {
		out[i], _ = slices.BinarySearch(u, l)
	}
	return out, len(u)
}

// clusterCell is one non-zero cell of a contingency table.
type clusterCell struct{ a, b, n int }

// clusterContingency returns the non-zero cells of the contingency table of two labelings (rows: a's labels,
// columns: b's labels, both in increasing label order) in row-major order, with the row and column sums.
func clusterContingency(a, b []int) (cells []clusterCell, rows, cols []int) {
	ai, na := clusterLabelIndex(a)
	bi, nb := clusterLabelIndex(b)
	rows, cols = make([]int, na), make([]int, nb)
	count := make(map[[2]int]int)
	for i := range ai {
		count[[2]int{ai[i], bi[i]}]++
		rows[ai[i]]++
		cols[bi[i]]++
	}
	for key, m := range count {
		cells = append(cells, clusterCell{key[0], key[1], m})
	}
	slices.SortFunc(cells, func(x, y clusterCell) int {
		if x.a != y.a {
			return x.a - y.a
		}
		return x.b - y.b
	})
	return cells, rows, cols
}

// clusterEntropy is scikit-learn's entropy of a labeling given its class sizes (natural log); 0 for one class.
func clusterEntropy(sizes []int) float64 {
	if len(sizes) <= 1 {
		return 0
	}
	total := 0.0
	for _, s := range sizes {
		total += float64(s)
	}
	lt := math.Log(total)
	h := 0.0
	for _, s := range sizes {
		if s > 0 {
			p := float64(s)
			h += (p / total) * (math.Log(p) - lt)
		}
	}
	return -h
}

// NMI is the normalized mutual information of two labelings of the same items with arithmetic-mean
// normalisation, MI / ((H(a) + H(b)) / 2), natural logarithms: sklearn.metrics.normalized_mutual_info_score
// with its default average_method="arithmetic", including its conventions: 1 when both labelings put all
// items in one cluster (or are empty), 0 when the mutual information is 0 (each term of the MI sum smaller in
// magnitude than float64 epsilon counts as 0, as in mutual_info_score). Labels are arbitrary ints (negative
// allowed); only equality matters. Symmetric in its arguments.
//
// NMI panics if the two slices differ in length.
func NMI(labelsTrue, labelsPred []int) float64 {
	if len(labelsTrue) != len(labelsPred) {
		panic(fmt.Sprintf("evaluation: NMI: %d true labels but %d predicted", len(labelsTrue), len(labelsPred)))
	}
	cells, rows, cols := clusterContingency(labelsTrue, labelsPred)
	if (len(rows) == 1 && len(cols) == 1) || (len(rows) == 0 && len(cols) == 0) {
		return 1
	}
	if len(rows) == 1 || len(cols) == 1 {
		return 0
	}
	n := float64(len(labelsTrue))
	ln := math.Log(n)
	mi := 0.0
	for _, c := range cells {
		nij := float64(c.n)
		pnm := nij / n
		outer := float64(int64(rows[c.a]) * int64(cols[c.b]))
		logOuter := -math.Log(outer) + ln + ln
		term := pnm*(math.Log(nij)-ln) + pnm*logOuter
		if math.Abs(term) < 0x1p-52 {
			term = 0
		}
		mi += term
	}
	if mi <= 0 {
		return 0
	}
	return mi / ((clusterEntropy(rows) + clusterEntropy(cols)) / 2)
}

// ARI is the adjusted Rand index of two labelings of the same items, sklearn.metrics.adjusted_rand_score:
// from the pair-confusion counts (ordered pairs) tp, fp, fn, tn,
//
//	ARI = 2 (tp*tn - fn*fp) / ((tp+fn)(fn+tn) + (tp+fp)(fp+tn)),
//
// 1 when fp = fn = 0 (identical partitions, including empty input and single items). It is 1 for equal
// partitions, about 0 for independent ones and can be negative. Counts are exact integers (math/big), so
// large inputs do not overflow. Symmetric in its arguments.
//
// ARI panics if the two slices differ in length.
func ARI(a, b []int) float64 {
	if len(a) != len(b) {
		panic(fmt.Sprintf("evaluation: ARI: %d labels against %d", len(a), len(b)))
	}
	cells, rows, cols := clusterContingency(a, b)
	var sumSq, sumRows, sumCols int64
	for _, c := range cells {
		sumSq += int64(c.n) * int64(c.n)
	}
	for _, r := range rows {
		sumRows += int64(r) * int64(r)
	}
	for _, c := range cols {
		sumCols += int64(c) * int64(c)
	}
	n := int64(len(a))
	// scikit-learn's pair_confusion_matrix: C[1,1]=tp, C[0,1]=fp, C[1,0]=fn, C[0,0]=tn.
	tp := big.NewInt(sumSq - n)
	fp := big.NewInt(sumCols - sumSq)
	fn := big.NewInt(sumRows - sumSq)
	tn := new(big.Int).Mul(big.NewInt(n), big.NewInt(n))
	tn.Sub(tn, fp).Sub(tn, fn).Sub(tn, big.NewInt(sumSq))
	if fn.Sign() == 0 && fp.Sign() == 0 {
		return 1
	}
	num := new(big.Int).Sub(new(big.Int).Mul(tp, tn), new(big.Int).Mul(fn, fp))
	d1 := new(big.Int).Mul(new(big.Int).Add(tp, fn), new(big.Int).Add(fn, tn))
	d2 := new(big.Int).Mul(new(big.Int).Add(tp, fp), new(big.Int).Add(fp, tn))
	den := d1.Add(d1, d2)
	fnum, _ := new(big.Float).SetInt(num).Float64()
	fden, _ := new(big.Float).SetInt(den).Float64()
	return 2 * fnum / fden
}

// Silhouette is the mean silhouette coefficient of the rows of data (row-major, dim columns) under the
// given labels, with Euclidean distances: sklearn.metrics.silhouette_score(metric="euclidean") without
// sampling. See SilhouetteSamples for the per-row values and conventions.
func Silhouette(data []float32, dim int, labels []int) (float64, error) {
	s, err := SilhouetteSamples(data, dim, labels)
	if err != nil {
		return 0, err
	}
	sum := 0.0
	for _, v := range s {
		sum += v
	}
	return sum / float64(len(s)), nil
}

// SilhouetteSamples returns the silhouette coefficient of every row, sklearn.metrics.silhouette_samples:
// s(i) = (b - a) / max(a, b), where a is the mean Euclidean distance from row i to the other rows of its
// cluster and b the smallest mean distance from row i to the rows of another cluster. A row alone in its
// cluster gets 0, as does a row with a = b = 0 (duplicates). Labels are arbitrary ints.
//
// Distances are computed exactly in float64 from the differences (scikit-learn uses the norm expansion,
// which agrees to about 1e-12 on ordinary data). Cost O(n^2 x dim), parallel over rows; the result does not
// depend on GOMAXPROCS.
//
// Errors: dim <= 0, a length that is not a multiple of dim, NaN/Inf, len(labels) != rows, and fewer than 2 or
// more than n-1 distinct labels (the coefficient is undefined, as scikit-learn's ValueError).
func SilhouetteSamples(data []float32, dim int, labels []int) ([]float64, error) {
	n, err := analysisRows(data, dim, "data")
	if err != nil {
		return nil, fmt.Errorf("evaluation: Silhouette: %w", err)
	}
	if len(labels) != n {
		return nil, fmt.Errorf("evaluation: Silhouette: %d labels for %d rows", len(labels), n)
	}
	lab, m := clusterLabelIndex(labels)
	if m < 2 || m > n-1 {
		return nil, fmt.Errorf("evaluation: Silhouette: number of distinct labels is %d; valid values are 2 to n-1 = %d", m, n-1)
	}
	size := make([]int, m)
	for _, l := range lab {
		size[l]++
	}
	x := analysisFloat64(data)
	out := make([]float64, n)
	bounds := analysisRowChunks(n, 64)
	analysisParallel(len(bounds)-1, func(ch int) {
		sums := make([]float64, m)
		for i := bounds[ch]; i < bounds[ch+1]; i++ {
			clear(sums)
			xi := x[i*dim : (i+1)*dim]
			for j := 0; j < n; j++ {
				if j != i {
					sums[lab[j]] += math.Sqrt(analysisSqDist(xi, x[j*dim:(j+1)*dim]))
				}
			}
			own := lab[i]
			if size[own] == 1 {
				out[i] = 0
				continue
			}
			a := sums[own] / float64(size[own]-1)
			b := math.Inf(1)
			for c, s := range sums {
				if c != own {
					b = min(b, s/float64(size[c]))
				}
			}
			if den := max(a, b); den > 0 {
				out[i] = (b - a) / den
			}
		}
	})
	return out, nil
}
