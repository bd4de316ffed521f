package index

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Benchmark data. Sizes come from the environment:
//
//	MUSICREP_INDEX_BENCH_N        catalogue size (default 100000)
//	MUSICREP_INDEX_BENCH_QUERIES  queries (default 1000)
//	MUSICREP_INDEX_BENCH_DIM      dimension (default 128)
//	MUSICREP_INDEX_BENCH_NLIST    IVF lists (default 1024)
//	MUSICREP_INDEX_BENCH_NPROBE   comma-separated NProbe values, one sub-benchmark each (default 1,4,16,64)
//	MUSICREP_INDEX_BENCH_DIR      read DIR/base.f32 and DIR/queries.f32 (raw little-endian float32, as written by
//	                              `musicrep index synth` and bench/search_bench.py gen) instead of generating a
//	                              Synthetic catalogue; N and QUERIES then follow from the file sizes
//
// k is 10. BenchmarkIVFSearch reports recall@10 against Flat.
var bench struct {
	once          sync.Once
	base, queries []float32
	dim, nlist    int
	nprobes       []int
	flat          *Flat
	ivf           *IVF
	truth         [][]Neighbor
	err           error
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func benchData(b *testing.B, needIVF bool) {
	b.Helper()
	bench.once.Do(func() {
		bench.dim = envInt("MUSICREP_INDEX_BENCH_DIM", 128)
		bench.nlist = envInt("MUSICREP_INDEX_BENCH_NLIST", 1024)
		for _, s := range strings.Split(os.Getenv("MUSICREP_INDEX_BENCH_NPROBE"), ",") {
			if v, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && v > 0 {
				bench.nprobes = append(bench.nprobes, v)
			}
		}
		if len(bench.nprobes) == 0 {
			bench.nprobes = []int{1, 4, 16, 64}
		}
		if dir := os.Getenv("MUSICREP_INDEX_BENCH_DIR"); dir != "" {
			if bench.base, bench.err = ReadRawFloat32(filepath.Join(dir, "base.f32"), bench.dim); bench.err != nil {
				return
			}
			if bench.queries, bench.err = ReadRawFloat32(filepath.Join(dir, "queries.f32"), bench.dim); bench.err != nil {
				return
			}
		} else {
			bench.base, bench.queries, bench.err = Synthetic(SynthOptions{N: envInt("MUSICREP_INDEX_BENCH_N", 100000),
				Queries: envInt("MUSICREP_INDEX_BENCH_QUERIES", 1000), Dim: bench.dim, Seed: 1})
			if bench.err != nil {
				return
			}
		}
		if bench.flat, bench.err = NewFlat(bench.base, bench.dim); bench.err != nil {
			return
		}
		bench.truth, bench.err = bench.flat.Search(bench.queries, 10, SearchOptions{})
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	if needIVF && bench.ivf == nil {
		var err error
		if bench.ivf, err = NewIVF(bench.base, bench.dim, IVFOptions{NList: bench.nlist, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFlatSearch: exact top-10 of every query over the whole catalogue.
func BenchmarkFlatSearch(b *testing.B) {
	benchData(b, false)
	nq := len(bench.queries) / bench.dim
	b.ResetTimer()
	for b.Loop() {
		if _, err := bench.flat.Search(bench.queries, 10, SearchOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(nq)*float64(b.N)/b.Elapsed().Seconds(), "queries/s")
}

// BenchmarkIVFSearch: top-10 of every query with each NProbe, and its recall@10 against Flat.
func BenchmarkIVFSearch(b *testing.B) {
	benchData(b, true)
	nq := len(bench.queries) / bench.dim
	for _, np := range bench.nprobes {
		b.Run(fmt.Sprintf("nprobe=%d", np), func(b *testing.B) {
			var res [][]Neighbor
			for b.Loop() {
				var err error
				if res, err = bench.ivf.Search(bench.queries, 10, SearchOptions{NProbe: np}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(nq)*float64(b.N)/b.Elapsed().Seconds(), "queries/s")
			b.ReportMetric(Recall(res, bench.truth), "recall@10")
		})
	}
}

// BenchmarkIVFBuild: k-means training and list assignment (NewIVF) of the whole catalogue.
func BenchmarkIVFBuild(b *testing.B) {
	benchData(b, false)
	for b.Loop() {
		if _, err := NewIVF(bench.base, bench.dim, IVFOptions{NList: bench.nlist, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGroupKernels times the kernels in use (KernelName) on four packed groups that stay in the CPU cache,
// in GFLOP/s (2 flops per multiply-add): how close the distance arithmetic comes to the machine's peak, apart
// from memory traffic and the candidate heaps.
func BenchmarkGroupKernels(b *testing.B) {
	const dim = 128
	rng := rand.New(rand.NewPCG(1, 1))
	s := newStore(dim, 4*groupWidth)
	v := make([]float32, dim)
	for i := range 4 * groupWidth {
		for d := range v {
			v[d] = float32(rng.NormFloat64())
		}
		s.set(i, v)
	}
	q := make([]float32, 6*dim)
	for i := range q {
		q[i] = float32(rng.NormFloat64())
	}
	keys := make([]float32, 6*groupWidth)
	masks := make([]uint32, 6)
	thr := make([]float32, 6)
	for _, c := range []struct {
		name string
		rows int
		k    groupKernel
	}{{"k6", 6, kernels.k6}, {"k4", 4, kernels.k4}, {"k2", 2, kernels.k2}, {"k1", 1, kernels.k1}} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				g := i & 3
				c.k(q, dim, s.packed[g*groupWidth*dim:], s.norms[g*groupWidth:], thr, keys, masks)
			}
			b.ReportMetric(float64(b.N)*float64(c.rows*groupWidth*dim*2)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
