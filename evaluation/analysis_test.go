package evaluation

import (
	"path/filepath"
	"testing"
	"time"
)

// analysisVGGish returns all 822 VGGish rows (file order) from the shared data folder, or skips.
func analysisVGGish(tb testing.TB) ([]float32, int) {
	tb.Helper()
	f := readEmbeddings(tb, filepath.Join(fairouzDir(tb), "embeddings", "audio", "vggish.json"))
	return f.Data, f.Dim
}

// TestAnalysisTimings822 times the analysis functions on the full 822 x 128 VGGish matrix (t-SNE is timed
// by TestGoldenTSNE/real822). It only logs; run with -v to see the numbers.
func TestAnalysisTimings822(t *testing.T) {
	if testing.Short() {
		t.Skip("timings skipped under -short")
	}
	data, dim := analysisVGGish(t)
	start := time.Now()
	km, err := KMeans(data, dim, 10, KMeansOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tKM := time.Since(start)
	start = time.Now()
	sil, err := Silhouette(data, dim, km.Labels)
	if err != nil {
		t.Fatal(err)
	}
	tSil := time.Since(start)
	start = time.Now()
	p, err := PCA(data, dim, 2)
	if err != nil {
		t.Fatal(err)
	}
	tPCA := time.Since(start)
	t.Logf("822x%d: KMeans k=10 NInit=10 %v (%d iterations, inertia %.4f); Silhouette %v (%.4f); PCA 2 %v (ratios %.4f)",
		dim, tKM.Round(time.Millisecond), km.Iterations, km.Inertia, tSil.Round(time.Millisecond), sil,
		tPCA.Round(time.Millisecond), p.ExplainedVarianceRatio)
}

func BenchmarkKMeans822(b *testing.B) {
	data, dim := analysisVGGish(b)
	for b.Loop() {
		if _, err := KMeans(data, dim, 10, KMeansOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSilhouette822(b *testing.B) {
	data, dim := analysisVGGish(b)
	labels := make([]int, len(data)/dim)
	for i := range labels {
		labels[i] = i % 10
	}
	for b.Loop() {
		if _, err := Silhouette(data, dim, labels); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPCA822(b *testing.B) {
	data, dim := analysisVGGish(b)
	for b.Loop() {
		if _, err := PCA(data, dim, 2); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTSNE822(b *testing.B) {
	data, dim := analysisVGGish(b)
	for b.Loop() {
		if _, err := TSNE(data, dim, TSNEOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
