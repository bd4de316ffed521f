package cmir

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/musicrep/musicrep/musicrep/encoder"
	"github.com/musicrep/musicrep/musicrep/internal/cputime"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/musicrep/musicrep/musicrep/backends"
	"github.com/musicrep/musicrep/musicrep/training"
)

// Audio CNN benchmarks (bench/cnn.sh runs them against bench/torch_cmir.py, the same model in PyTorch).
//
// Configuration, from the environment:
//
//	GOMLX_BACKEND               the backend, through backends.New("") ("go" by default; "xla:cpu" needs -tags xla)
//	MUSICREP_CNN_BENCH_PRESET   paper (the published widths, 3,989,762 CNN parameters; default) or small / tiny
//	                            (training.Presets: narrower CNNs)
//	MUSICREP_CNN_BENCH_BATCH    songs per step (default 32; the paper trains with 128)
//	MUSICREP_CNN_BENCH_WARMUP   untimed steps after building the graph (default 2; at least 1)
//
// One song is one 256-frame crop (48 bands × 256 frames), as in a training batch. Each benchmark builds its
// graph once per test process (cached across -test.count repetitions), runs MUSICREP_CNN_BENCH_WARMUP untimed
// steps (compilation and first-run costs), and times b.Loop iterations of one batch each; -test.benchtime=Nx runs N
// of them per repetition. Both report songs/s and cpu-ms/op (the process's CPU time per step, all threads).

const (
	// benchVocab is contrastive-mir's genre vocabulary: 249 genre codes (the seed's 250×128 table, row 0 padding).
	benchVocab = 249
	// benchSongFrames is each synthetic song's length: the seed's HDF5 rows keep 1,300 frames.
	benchSongFrames = 1300
)

// benchConfig reads the benchmark configuration from the environment.
func benchConfig(b *testing.B) (preset string, batch, warmup int) {
	preset = os.Getenv("MUSICREP_CNN_BENCH_PRESET")
	if preset == "" {
		preset = "paper"
	}
	if _, err := training.NewStore(preset, "model=cmir-contrastive"); err != nil {
		b.Fatalf("MUSICREP_CNN_BENCH_PRESET=%q: use paper, small or tiny", preset)
	}
	batch = 32
	if s := os.Getenv("MUSICREP_CNN_BENCH_BATCH"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 2 {
			b.Fatalf("MUSICREP_CNN_BENCH_BATCH=%q: want an integer ≥ 2 (NT-Xent needs negatives)", s)
		}
		batch = v
	}
	warmup = 2
	if s := os.Getenv("MUSICREP_CNN_BENCH_WARMUP"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			b.Fatalf("MUSICREP_CNN_BENCH_WARMUP=%q: want an integer ≥ 1 (the first step compiles)", s)
		}
		warmup = v
	}
	return preset, batch, warmup
}

var benchBackend = sync.OnceValues(func() (compute.Backend, error) { return backends.New("") })

// benchData is a synthetic Data of 2·batch training songs with the real shapes: 48 × 1,300 mel frames (dB-like
// values), 301-d CF vectors, 1–10 genre ids out of 249 and a 250 × 128 genre table (row 0 zeros). Fixed seed.
func benchData(batch int) *Data {
	rng := rand.New(rand.NewPCG(7, uint64(batch)))
	d := &Data{Vocab: make([]string, benchVocab), Table: make([]float32, (benchVocab+1)*encoder.EmbeddingDim)}
	for i := range d.Vocab {
		d.Vocab[i] = fmt.Sprintf("GN%04d", i)
	}
	for i := encoder.EmbeddingDim; i < len(d.Table); i++ {
		d.Table[i] = float32(rng.NormFloat64())
	}
	for i := range 2 * batch {
		s := Song{ID: i, Mel: make([]float32, encoder.Bands*benchSongFrames), Frames: benchSongFrames, CF: make([]float32, encoder.CFDim)}
		for j := range s.Mel {
			s.Mel[j] = float32(-40 + 15*rng.NormFloat64())
		}
		for j := range s.CF {
			s.CF[j] = float32(0.1 * rng.NormFloat64())
		}
		for _, g := range rng.Perm(benchVocab)[:1+rng.IntN(MaxTags)] {
			s.GenreIDs = append(s.GenreIDs, int32(g+1))
		}
		d.Songs = append(d.Songs, s)
		d.Train = append(d.Train, i)
	}
	d.Val = d.Train[:2] // the trainer wants a validation split; the benchmark never scores it
	return d
}

// trainBench is one training step of training.Train for a contrastive-mir variant (training.Stepper).
type trainBench struct {
	stepper *training.Stepper
	audio   encoder.AudioConfig
}

// newTrainBench builds the trainer of the variant objective.MIRFull (three-way NT-Xent, τ = 0.1, with the CF and tag
// self-attention encoders; Adam with PyTorch's coupled weight decay) with the preset's hyperparameters (Adam 1e-4,
// weight decay 1e-4) and the given batch size, exactly as training.Train builds it.
func newTrainBench(backend compute.Backend, preset string, batch int) (*trainBench, error) {
	store, err := training.NewStore(preset, fmt.Sprintf("model=cmir-contrastive;batch_size=%d", batch))
	if err != nil {
		return nil, err
	}
	audio, err := training.CNNConfigFromStore(store, encoder.EmbeddingDim)
	if err != nil {
		return nil, err
	}
	st, err := training.NewStepper(backend, store, benchData(batch))
	if err != nil {
		return nil, err
	}
	return &trainBench{stepper: st, audio: audio}, nil
}

func (t *trainBench) step() error { return t.stepper.Step() }

type benchKey struct {
	backend, preset string
	batch, warmup   int
}

var (
	benchMu       sync.Mutex
	trainBenches  = map[benchKey]*trainBench{}
	inferBenches  = map[benchKey]*Embedder{}
	benchSongMels = map[int][]float32{}
)

func benchKeyFor(b *testing.B) (benchKey, compute.Backend) {
	backend, err := benchBackend()
	if err != nil {
		b.Fatal(err)
	}
	preset, batch, warmup := benchConfig(b)
	return benchKey{backend: backend.Name(), preset: preset, batch: batch, warmup: warmup}, backend
}

// BenchmarkAudioTrainStep times one training step of Train for the variant objective.MIRFull (contrastive: audio CNN + CF
// encoder + tag self-attention encoder, three-way NT-Xent τ = 0.1, Adam 1e-4 with coupled weight decay 1e-4):
// the host-side batch (random 256-frame crops, CF vectors, genre ids, multi-hot) as Train builds it, forward,
// backward, the Adam update and reading the loss back. Compilation and the warm-up steps are not timed.
func BenchmarkAudioTrainStep(b *testing.B) {
	key, backend := benchKeyFor(b)
	benchMu.Lock()
	defer benchMu.Unlock()
	t := trainBenches[key]
	if t == nil {
		var err error
		if t, err = newTrainBench(backend, key.preset, key.batch); err != nil {
			b.Fatal(err)
		}
		for i := range key.warmup {
			start := time.Now()
			if err := t.step(); err != nil {
				b.Fatalf("warm-up step: %v", err)
			}
			b.Logf("warm-up step %d (not timed): %s", i+1, time.Since(start).Round(time.Millisecond))
		}
		trainBenches[key] = t
	}
	b.Logf("%s; preset %s: CNN widths %v, %d audio parameters; batch %d; %d warm-up steps",
		backends.Describe(backend), key.preset, t.audio.Widths, t.audio.NumParams(), key.batch, key.warmup)
	cpu0 := cputime.Process()
	for b.Loop() {
		if err := t.step(); err != nil {
			b.Fatal(err)
		}
	}
	reportCNNBench(b, key.batch, cputime.Process()-cpu0)
}

// BenchmarkAudioInference times Embedder.Embed on a spectrogram of batch × 256 frames: the audio encoder in
// inference mode (BatchNorm on its moving averages, no dropout) on batch crops at once, returning z and z_d
// averaged over the crops, as the embed command runs it. Weights are the fresh initialisation (the speed does
// not depend on them). Compilation and the warm-up calls are not timed.
func BenchmarkAudioInference(b *testing.B) {
	key, backend := benchKeyFor(b)
	benchMu.Lock()
	defer benchMu.Unlock()
	store, err := training.NewStore(key.preset, "model=cmir-contrastive")
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := training.CNNConfigFromStore(store, encoder.EmbeddingDim)
	if err != nil {
		b.Fatal(err)
	}
	frames := key.batch * encoder.CropFrames
	mel := benchSongMels[key.batch]
	if mel == nil {
		rng := rand.New(rand.NewPCG(11, uint64(key.batch)))
		mel = make([]float32, encoder.Bands*frames)
		for i := range mel {
			mel[i] = float32(-40 + 15*rng.NormFloat64())
		}
		benchSongMels[key.batch] = mel
	}
	e := inferBenches[key]
	if e == nil {
		store.SetParam(model.ParamInitialSeed, int64(43))
		if e, err = NewEmbedder(backend, store, cfg); err != nil {
			b.Fatal(err)
		}
		for i := range key.warmup {
			start := time.Now()
			if _, _, err := e.Embed(mel, frames); err != nil {
				b.Fatalf("warm-up: %v", err)
			}
			b.Logf("warm-up call %d (not timed): %s", i+1, time.Since(start).Round(time.Millisecond))
		}
		inferBenches[key] = e
	}
	b.Logf("%s; preset %s: CNN widths %v, %d audio parameters; batch %d; %d warm-up steps",
		backends.Describe(backend), key.preset, cfg.Widths, cfg.NumParams(), key.batch, key.warmup)
	cpu0 := cputime.Process()
	for b.Loop() {
		z, zd, err := e.Embed(mel, frames)
		if err != nil {
			b.Fatal(err)
		}
		if len(z) != cfg.FlatDim() || len(zd) != encoder.EmbeddingDim {
			b.Fatalf("embedding sizes %d, %d", len(z), len(zd))
		}
	}
	reportCNNBench(b, key.batch, cputime.Process()-cpu0)
}

// reportCNNBench reports the benchmarks' metrics: songs/s (wall time) and cpu-ms/op, the process's user + system
// CPU time per step (all threads; on a shared machine it moves less with the other processes' load than wall
// time does, so bench/cnn.sh's A/B comparisons report both).
func reportCNNBench(b *testing.B, batch int, cpu time.Duration) {
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "songs/s")
	b.ReportMetric(float64(cpu.Microseconds())/1e3/float64(b.N), "cpu-ms/op")
}
