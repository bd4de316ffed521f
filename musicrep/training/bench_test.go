package training

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/musicrep/musicrep/musicrep"
)

// BenchmarkTrainEpoch measures training throughput of the published configuration (C=2, E=4, 128-d embedding,
// batch 32) on audio+graph-sized synthetic features (822 tracks × 128 + 128), one epoch of 6,400 pairs per
// iteration. Reports pairs/s. Run with and without GOEXPERIMENT=simd to compare the Go backend's matmul paths.
func BenchmarkTrainEpoch(b *testing.B) {
	data := syntheticData(822, 20, 8, 5)
	// Widen the synthetic modalities to the real sizes (128 each).
	for i, f := range data.Features {
		wide := &musicrep.Features{Modality: f.Modality, Source: f.Source, Dim: 128,
			Data: make([]float32, f.NumRows()*128), Present: f.Present}
		for r := range f.NumRows() {
			for j := range 128 {
				wide.Data[r*128+j] = f.Data[r*f.Dim+j%f.Dim]
			}
		}
		data.Features[i] = wide
	}
	pairs := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		store, err := NewStore("", "num_epochs=1;keep_checkpoints=1")
		if err != nil {
			b.Fatal(err)
		}
		cfg := Config{Store: store, Data: data, Dir: filepath.Join(b.TempDir(), "run")}
		if _, err := Train(context.Background(), cfg); err != nil {
			b.Fatal(err)
		}
		pairs += len(data.Anchor)
	}
	b.ReportMetric(float64(pairs)/b.Elapsed().Seconds(), "pairs/s")
}
