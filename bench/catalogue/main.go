// Command catalogue measures musicrep at catalogue scale: it embeds a synthetic catalogue of N tracks (default
// 1,000,000) with a trained binding model, builds exact (Flat) and approximate (IVF) indexes over the embeddings,
// and searches them, reporting wall time, throughput, peak memory and recall@10 of the IVF against the exact
// answer.
//
// The catalogue's input features are the real Fairouz tracks' audio and graph features, each synthetic track a
// real track's features plus Gaussian noise (per-dimension standard deviation × -noise, seeded): so the feature
// distribution is realistic, and the catalogue is N distinct points. The queries are the embeddings of the 822
// real tracks (first -queries of them).
//
//	go run ./bench/catalogue -checkpoint checkpoints/binding-c2e4-51k-paper -n 1000000 [-backend go|xla:cpu]
//	    [-nlist 4096] [-nprobe 1,4,16,64] [-out out/bench/catalogue]
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/backends"
	"github.com/musicrep/musicrep/musicrep/corpus"
	"github.com/musicrep/musicrep/musicrep/index"
	"github.com/musicrep/musicrep/musicrep/inference"
)

func main() {
	checkpoint := flag.String("checkpoint", "checkpoints/binding-c2e4-51k-paper", "trained binding model")
	data := flag.String("data", "", "data directory (default $MUSICREP_DATA or ../shared/data)")
	n := flag.Int("n", 1_000_000, "catalogue size")
	noise := flag.Float64("noise", 0.1, "noise added to each synthetic track's features, in per-dimension standard deviations")
	chunk := flag.Int("chunk", 65536, "tracks embedded per Embed call")
	backend := flag.String("backend", "", "GoMLX backend (default $GOMLX_BACKEND or go)")
	nlist := flag.Int("nlist", 4096, "IVF lists")
	nprobes := flag.String("nprobe", "1,4,16,64", "IVF probes to measure")
	nq := flag.Int("queries", 822, "queries (embeddings of the real tracks)")
	out := flag.String("out", "out/bench/catalogue", "output folder (embeddings.f32, index files, summary.md)")
	seed := flag.Uint64("seed", 1, "noise seed")
	flag.Parse()
	if err := run(*checkpoint, *data, *n, *noise, *chunk, *backend, *nlist, *nprobes, *nq, *out, *seed); err != nil {
		log.Fatal(err)
	}
}

// peakRSS returns the process' peak resident set size (VmHWM) in MiB, or 0 where /proc is unavailable.
func peakRSS() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

func run(checkpoint, data string, n int, noise float64, chunk int, backendName string, nlist int, nprobes string,
	nq int, out string, seed uint64) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	dir, err := corpus.DataDir(data)
	if err != nil {
		return err
	}
	tracksFile, files, _, _ := corpus.DefaultFairouzFiles(dir)
	b, err := backends.New(backendName)
	if err != nil {
		return err
	}
	m, err := inference.Load(checkpoint, b)
	if err != nil {
		return err
	}
	want := map[musicrep.Modality]string{}
	for _, mod := range m.Modalities {
		want[mod] = files[mod]
	}
	c, err := corpus.Load(tracksFile, want)
	if err != nil {
		return err
	}
	var md strings.Builder
	logf := func(format string, args ...any) {
		line := fmt.Sprintf(format, args...)
		fmt.Fprintln(os.Stderr, line)
		md.WriteString(line + "\n")
	}
	logf("# Catalogue scale: %d synthetic tracks\n", n)
	logf("- %s; model %s (%v → %d-d); backend %s; GOMAXPROCS %d", time.Now().UTC().Format(time.RFC3339), checkpoint,
		m.Modalities, m.EmbeddingDim, backends.Describe(b), runtime.GOMAXPROCS(0))
	logf("- catalogue: track r = real track (r mod %d)'s features + N(0, (%.2f·σ_dim)²) noise, seed %d", len(c.Tracks), noise, seed)

	// The real tracks' embeddings are the queries.
	feats := make([]*musicrep.Features, len(m.Modalities))
	for i, mod := range m.Modalities {
		feats[i] = c.Features[mod]
	}
	realEmb, err := m.Embed(feats)
	if err != nil {
		return err
	}
	nq = min(nq, len(c.Tracks))
	queries := realEmb[:nq*m.EmbeddingDim]

	// Per-dimension standard deviations of the real features.
	sigma := make([][]float64, len(feats))
	for i, f := range feats {
		sigma[i] = make([]float64, f.Dim)
		rows := f.NumRows()
		for j := range f.Dim {
			var s, s2 float64
			for r := range rows {
				v := float64(f.Data[r*f.Dim+j])
				s += v
				s2 += v * v
			}
			mean := s / float64(rows)
			sigma[i][j] = math.Sqrt(max(0, s2/float64(rows)-mean*mean))
		}
	}

	// Embed the catalogue chunk by chunk (features are generated per chunk; only the embeddings are kept).
	dim := m.EmbeddingDim
	emb := make([]float32, 0, n*dim)
	var embedWall time.Duration
	start := time.Now()
	for lo := 0; lo < n; lo += chunk {
		hi := min(n, lo+chunk)
		rng := rand.New(rand.NewPCG(seed, uint64(lo)))
		part := make([]*musicrep.Features, len(feats))
		for i, f := range feats {
			p := &musicrep.Features{Modality: f.Modality, Source: "synthetic", Dim: f.Dim,
				Data: make([]float32, (hi-lo)*f.Dim), Present: make([]bool, hi-lo)}
			for r := lo; r < hi; r++ {
				src := r % f.NumRows()
				p.Present[r-lo] = true
				for j := range f.Dim {
					p.Data[(r-lo)*f.Dim+j] = f.Data[src*f.Dim+j] + float32(noise*sigma[i][j]*rng.NormFloat64())
				}
			}
			part[i] = p
		}
		t0 := time.Now()
		e, err := m.Embed(part)
		if err != nil {
			return fmt.Errorf("embedding tracks %d..%d: %w", lo, hi-1, err)
		}
		embedWall += time.Since(t0)
		emb = append(emb, e...)
		fmt.Fprintf(os.Stderr, "\rembedded %d/%d (%.0f tracks/s)", hi, n, float64(hi)/embedWall.Seconds())
	}
	fmt.Fprintln(os.Stderr)
	logf("\n| step | wall | throughput | peak RSS so far |")
	logf("|---|---:|---:|---:|")
	logf("| embed %d tracks (model forward only; feature synthesis excluded) | %s | %.0f tracks/s | %.0f MiB |", n,
		embedWall.Round(time.Millisecond), float64(n)/embedWall.Seconds(), peakRSS())
	logf("| synthesize features + embed (whole loop) | %s | | |", time.Since(start).Round(time.Millisecond))
	if err := index.WriteRawFloat32(filepath.Join(out, "embeddings.f32"), emb); err != nil {
		return err
	}

	t0 := time.Now()
	flat, err := index.NewFlat(emb, dim)
	if err != nil {
		return err
	}
	logf("| build Flat | %s | | %.0f MiB |", time.Since(t0).Round(time.Millisecond), peakRSS())
	t0 = time.Now()
	exact, err := flat.Search(queries, 10, index.SearchOptions{})
	if err != nil {
		return err
	}
	d := time.Since(t0)
	logf("| exact top-10, %d queries | %s | %.1f queries/s | %.0f MiB |", nq, d.Round(time.Millisecond),
		float64(nq)/d.Seconds(), peakRSS())
	t0 = time.Now()
	ivf, err := index.NewIVF(emb, dim, index.IVFOptions{NList: nlist, Seed: seed})
	if err != nil {
		return err
	}
	logf("| build IVF (nlist %d, k-means on %d points) | %s | | %.0f MiB |", nlist, ivf.TrainingSample(),
		time.Since(t0).Round(time.Millisecond), peakRSS())
	t0 = time.Now()
	if err := ivf.Save(filepath.Join(out, "catalogue.ivf")); err != nil {
		return err
	}
	logf("| save IVF | %s | | |", time.Since(t0).Round(time.Millisecond))
	for _, s := range strings.Split(nprobes, ",") {
		p, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("-nprobe: %q is not an integer", s)
		}
		t0 = time.Now()
		got, err := ivf.Search(queries, 10, index.SearchOptions{NProbe: p})
		if err != nil {
			return err
		}
		d := time.Since(t0)
		hits := 0
		for q := range got {
			in := map[int]bool{}
			for _, e := range exact[q] {
				in[e.Index] = true
			}
			for _, g := range got[q] {
				if in[g.Index] {
					hits++
				}
			}
		}
		logf("| IVF top-10, nprobe %d: recall@10 %.4f | %s | %.1f queries/s | %.0f MiB |", p,
			float64(hits)/float64(10*len(got)), d.Round(time.Millisecond), float64(nq)/d.Seconds(), peakRSS())
	}
	return os.WriteFile(filepath.Join(out, "summary.md"), []byte(md.String()), 0o644)
}
