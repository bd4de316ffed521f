package evaluation

import (
	"path/filepath"
	"testing"
)

// analysisVGGish returns all 822 VGGish rows (file order) from the shared data folder, or skips.
func analysisVGGish(tb testing.TB) ([]float32, int) {
	tb.Helper()
	f := readEmbeddings(tb, filepath.Join(fairouzDir(tb), "embeddings", "audio", "vggish.json"))
	return f.Data, f.Dim
}

// The analysis functions on all 822 VGGish rows: their values are checked against scikit-learn by the
// golden tests (TestGoldenKMeans, TestGoldenSilhouette, TestGoldenPCA, TestGoldenTSNE: real822); their timings
// are these benchmarks (go test -run '^$' -bench 822 ./evaluation).

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
