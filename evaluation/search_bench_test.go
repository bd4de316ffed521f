package evaluation

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/musicrep/musicrep/musicrep/index"
)

// Benchmarks of the paper-protocol search used by bench/run.sh (BENCHMARKS.md) to compare musicrep's exact
// search with FAISS IndexFlatL2 and NumPy on the same vectors.
//
// Environment (all optional):
//   - MUSICREP_BENCH_SYNTH: a folder with base.f32 (100,000 × 128) and queries.f32 (1,000 × 128), raw
//     little-endian float32, row-major (bench/search_bench.py gen writes them). Without it the synthetic
//     benchmark draws its own standard-normal vectors.
//   - MUSICREP_BENCH_DUMP: a folder; each benchmark writes its neighbour lists there once, before timing
//     (<name>.idx.i32: int32 [queries × 50]; <name>.dist.f64: float64 [queries × 50]), so that the Python side
//     can check that the neighbour sets agree.

const benchK = 50

// BenchmarkTopKPublished: exact top-50 squared-L2 search of all 822 published joint embeddings
// (reference/published_joint_c2e4_51k.json) against themselves, the query included, as the paper protocol does.
func BenchmarkTopKPublished(b *testing.B) {
	emb := readEmbeddings(b, filepath.Join(fairouzDir(b), "reference", "published_joint_c2e4_51k.json"))
	nq := len(emb.IDs)
	dumpNeighbors(b, "go_published", TopKSquaredL2(emb.Data, emb.Dim, emb.Data, benchK, nil))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		TopKSquaredL2(emb.Data, emb.Dim, emb.Data, benchK, nil)
	}
	b.ReportMetric(float64(nq)*float64(b.N)/b.Elapsed().Seconds(), "queries/s")
}

// BenchmarkPaperProtocolPublished: the whole paper protocol on the published embeddings (search, scores,
// torchmetrics metrics at 10, 15, 20, 25), data already in memory.
func BenchmarkPaperProtocolPublished(b *testing.B) {
	dir := fairouzDir(b)
	emb := readEmbeddings(b, filepath.Join(dir, "reference", "published_joint_c2e4_51k.json"))
	pos := readPositives(b, filepath.Join(dir, "positives_negatives_more_negatives.json"))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := PaperProtocol(emb.IDs, emb.Data, emb.Dim, pos, DefaultPaperOptions()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(emb.IDs))*float64(b.N)/b.Elapsed().Seconds(), "queries/s")
}

// BenchmarkTopKSynthetic100k: exact top-50 search of 1,000 queries over 100,000 × 128 vectors.
func BenchmarkTopKSynthetic100k(b *testing.B) {
	const nb, nq, dim = 100000, 1000, 128
	var base, queries []float32
	if dir := os.Getenv("MUSICREP_BENCH_SYNTH"); dir != "" {
		base = readF32(b, filepath.Join(dir, "base.f32"), nb*dim)
		queries = readF32(b, filepath.Join(dir, "queries.f32"), nq*dim)
	} else {
		rng := rand.New(rand.NewSource(11))
		base = randomMatrix(rng, nb, dim)
		queries = randomMatrix(rng, nq, dim)
	}
	dumpNeighbors(b, "go_synth100k", TopKSquaredL2(base, dim, queries, benchK, nil))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		TopKSquaredL2(base, dim, queries, benchK, nil)
	}
	b.ReportMetric(float64(nq)*float64(b.N)/b.Elapsed().Seconds(), "queries/s")
}

func readF32(b *testing.B, path string, want int) []float32 {
	b.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	if len(raw) != 4*want {
		b.Fatalf("%s: %d bytes, want %d float32 values (%d bytes)", path, len(raw), want, 4*want)
	}
	out := make([]float32, want)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return out
}

// dumpNeighbors writes the neighbour lists to $MUSICREP_BENCH_DUMP (when set); every list must hold benchK
// entries.
func dumpNeighbors(b *testing.B, name string, res [][]index.Neighbor) {
	b.Helper()
	dir := os.Getenv("MUSICREP_BENCH_DUMP")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	idx := make([]byte, 0, 4*benchK*len(res))
	dist := make([]byte, 0, 8*benchK*len(res))
	for q, list := range res {
		if len(list) != benchK {
			b.Fatalf("query %d: %d neighbours, want %d", q, len(list), benchK)
		}
		for _, n := range list {
			idx = binary.LittleEndian.AppendUint32(idx, uint32(int32(n.Index)))
			dist = binary.LittleEndian.AppendUint64(dist, math.Float64bits(n.Dist))
		}
	}
	for file, data := range map[string][]byte{name + ".idx.i32": idx, name + ".dist.f64": dist} {
		if err := os.WriteFile(filepath.Join(dir, file), data, 0o644); err != nil {
			b.Fatal(fmt.Errorf("writing neighbour dump: %w", err))
		}
	}
}
