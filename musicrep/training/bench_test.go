package training

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/gomlx/gomlx/ml/model"

	"github.com/musicrep/musicrep/musicrep"
)

// BenchmarkTrainEpoch measures training throughput of the published configuration (C=2, E=4, 128-d embedding,
// batch 32) on audio+graph-sized synthetic features (822 tracks × 128 + 128), one epoch of 6,576 pairs per
// iteration. Reports pairs/s. Run with and without GOEXPERIMENT=simd to compare the Go backend's matmul paths.
func BenchmarkTrainEpoch(b *testing.B) {
	data := benchWideData()
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

// benchWideData is BenchmarkTrainEpoch's data: 822 synthetic tracks with audio and graph features of the real
// sizes (128 each) and 6,576 labelled pairs (8 per track).
func benchWideData() *Data {
	data := syntheticData(822, 20, 8, 5)
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
	return data
}

// BenchmarkTrainEpochSteady measures steady-state training throughput of the published configuration, like
// BenchmarkTrainEpoch but without the one-off costs: one Train call runs a warm-up epoch (graph building and
// compilation of the full-batch and last-batch shapes) and then b.N timed epochs; one op is one epoch of
// 6,576 pairs (206 steps of batch 32, the last of 16), shuffled. Intermediate checkpoints are off; the timed
// span includes the per-step loss log and the final checkpoint write (~1.8 MB) that Train always does.
// This is the number comparable with bench/torch_binding.py, which also excludes warm-up.
// The backend is $GOMLX_BACKEND (backends.New); $MUSICREP_TRAIN_BENCH_SET adds hyperparameter settings, e.g.
// "batch_size=1024" (scripts/gpu-check.sh compares batch 32 and 1024 on xla:cuda with PyTorch on CUDA).
func BenchmarkTrainEpochSteady(b *testing.B) {
	data := benchWideData()
	settings := "checkpoint_every_epochs=1000000;keep_checkpoints=1"
	if extra := os.Getenv("MUSICREP_TRAIN_BENCH_SET"); extra != "" {
		settings += ";" + extra
	}
	store, err := NewStore("", settings)
	if err != nil {
		b.Fatal(err)
	}
	store.RootScope().SetParam(ParamEpochs, 1+b.N)
	cfg := Config{Store: store, Data: data, Dir: filepath.Join(b.TempDir(), "run"),
		OnStep: func(info StepInfo) {
			if info.EpochFinished && info.Epoch == 0 {
				b.ResetTimer() // the warm-up epoch is not timed
			}
		}}
	b.ResetTimer()
	res, err := Train(context.Background(), cfg)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if res.Epochs != 1+b.N {
		b.Fatalf("trained %d epochs, want %d", res.Epochs, 1+b.N)
	}
	b.Logf("backend %s; batch %d", res.Backend, model.GetParamOr(store.RootScope(), ParamBatchSize, 0))
	b.ReportMetric(float64(b.N*len(data.Anchor))/b.Elapsed().Seconds(), "pairs/s")
}
