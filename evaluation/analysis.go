package evaluation

// Exploratory analysis of an embedding space: clustering against labels and 2-D maps.
//
//   - KMeans (cluster.go): k-means++ (greedy, as scikit-learn) + Lloyd iterations, NInit seeded restarts.
//   - NMI, ARI, Silhouette / SilhouetteSamples (cluster.go): scikit-learn's normalized_mutual_info_score
//     (arithmetic normalisation), adjusted_rand_score and silhouette_score / silhouette_samples.
//   - PCA (pca.go): exact PCA through the eigen-decomposition of the covariance matrix, with scikit-learn's
//     svd_flip sign convention, so projections compare directly with sklearn.decomposition.PCA.
//   - TSNE / FitTSNE / TSNEJointProbabilities / Trustworthiness (tsne.go): exact t-SNE as scikit-learn's
//     method="exact", and sklearn.manifold.trustworthiness.
//
// All of them take the package's row-major []float32 matrices, compute in float64, are deterministic (a
// seed where randomness is involved; results do not depend on GOMAXPROCS) and return errors for data
// problems (NaN/Inf, wrong sizes, too few rows). The golden tests (analysis_golden_test.go) compare them
// with scikit-learn 1.9.1 on fixed inputs; scripts/golden/make_clustering_golden.py regenerates the values.

import (
	"fmt"
	"math"
	"runtime"
	"sync"
)

// analysisRows validates a row-major matrix given to an analysis function and returns its number of rows:
// dim must be positive, len(data) a multiple of dim and every value finite.
func analysisRows(data []float32, dim int, name string) (int, error) {
	if dim <= 0 {
		return 0, fmt.Errorf("%s: dim must be positive, got %d", name, dim)
	}
	if len(data)%dim != 0 {
		return 0, fmt.Errorf("%s: %d values is not a multiple of dim=%d", name, len(data), dim)
	}
	for i, v := range data {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, fmt.Errorf("%s: row %d column %d is %v", name, i/dim, i%dim, v)
		}
	}
	return len(data) / dim, nil
}

// analysisFloat64 returns a float64 copy of data.
func analysisFloat64(data []float32) []float64 {
	out := make([]float64, len(data))
	for i, v := range data {
		out[i] = float64(v)
	}
	return out
}

// analysisSqDist is the squared Euclidean distance of two equal-length float64 vectors, accumulated in order.
func analysisSqDist(a, b []float64) float64 {
	b = b[:len(a)]
	s := 0.0
	for t, v := range a {
		d := v - b[t]
		s += d * d
	}
	return s
}

// analysisParallel calls body(c) for every chunk index c in [0, chunks) on up to GOMAXPROCS goroutines
// and waits for all of them. Each chunk is handled by exactly one call, so as long as body writes only its
// own chunk's outputs the result does not depend on the number of goroutines.
func analysisParallel(chunks int, body func(c int)) {
	workers := min(runtime.GOMAXPROCS(0), chunks)
	if workers <= 1 {
		for c := 0; c < chunks; c++ {
			body(c)
		}
		return
	}
	var mu sync.Mutex
	next := 0
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				c := next
				next++
				mu.Unlock()
				if c >= chunks {
					return
				}
				body(c)
			}
		}()
	}
	wg.Wait()
}

// analysisRowChunks splits [0, n) into at most parts contiguous ranges of near-equal length and returns
// their boundaries (len = ranges + 1). It depends only on n and parts.
func analysisRowChunks(n, parts int) []int {
	parts = max(1, min(parts, n))
	b := make([]int, parts+1)
	for p := 0; p <= parts; p++ {
		b[p] = p * n / parts
	}
	return b
}
