package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/musicrep/musicrep/musicrep/corpus"
	"github.com/musicrep/musicrep/musicrep/index"
)

const indexUsage = `usage: musicrep index SUBCOMMAND [flags]

  build   -embeddings FILE -out FILE.idx [-kind flat|ivf] [-nlist N] [-seed S] [-dim D]
          index an embeddings file (seed JSON or .npy + .ids.json, as musicrep exports them, or raw
          little-endian float32 with -dim); with ids, FILE.ids.json is written next to the index
  search  -index FILE.idx -queries FILE [-k 10] [-nprobe 16] [-out results.tsv|results.i32] [-exclude-self]
          nearest neighbours of each query (TSV on stdout by default)
  bench   -index FILE.idx -queries FILE [-k 10] [-nprobe 1,4,16,64] [-ground-truth flat|none|FILE.i32] [-reps 3]
          [-json]
          recall@k against the exact search and queries/s per nprobe, as a markdown table
  synth   -n 1000000 -dim 128 -out DIR [-queries 1000] [-clusters 100] [-seed 1]
          write a synthetic clustered catalogue (DIR/base.f32, DIR/queries.f32, DIR/meta.json)

Run "musicrep index SUBCOMMAND -h" for a subcommand's flags.
`

// cmdIndex builds, searches and benchmarks vector indexes of large catalogues (package index).
func cmdIndex(args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, indexUsage)
		return fmt.Errorf("give a subcommand: build, search, bench or synth")
	}
	switch args[0] {
	case "build":
		return indexBuild(args[1:])
	case "search":
		return indexSearch(args[1:])
	case "bench":
		return indexBench(args[1:])
	case "synth":
		return indexSynth(args[1:])
	case "-h", "-help", "--help", "help":
		fmt.Fprint(os.Stderr, indexUsage)
		return flag.ErrHelp
	}
	fmt.Fprint(os.Stderr, indexUsage)
	return fmt.Errorf("unknown subcommand %q (build, search, bench or synth)", args[0])
}

const vectorsHelp = "seed JSON vectors file or .npy (with its .ids.json), as musicrep exports embeddings; any other " +
	"extension is read as raw little-endian float32"

// readIndexVectors reads an embeddings file with the existing readers (JSON, .npy + ids sidecar), or a raw
// float32 file of dim-dimensional vectors. ids is nil for raw files.
func readIndexVectors(path string, dim int) (ids []string, data []float32, d int, err error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json", ".npy":
		ids, data, d, err = corpus.ReadVectors(path)
		if err != nil {
			return nil, nil, 0, err
		}
		if dim > 0 && dim != d {
			return nil, nil, 0, fmt.Errorf("%s holds %d-dimensional vectors, not -dim %d", path, d, dim)
		}
		return ids, data, d, nil
	}
	if dim <= 0 {
		return nil, nil, 0, fmt.Errorf("%s is read as raw float32: give the vector length with -dim (or use a "+
			".json or .npy embeddings file)", path)
	}
	data, err = index.ReadRawFloat32(path, dim)
	return nil, data, dim, err
}

func indexBuild(args []string) error {
	fs := newFlags("index build")
	embFile := fs.String("embeddings", "", "the vectors to index: "+vectorsHelp)
	out := fs.String("out", "", "index file to write (e.g. catalogue.idx)")
	kind := fs.String("kind", "ivf", "flat (exact search) or ivf (inverted file, approximate)")
	nlist := fs.Int("nlist", 0, "ivf: number of lists (default about 4*sqrt(n), a power of two, at most n)")
	seed := fs.Uint64("seed", 1, "ivf: k-means seed; the same seed and vectors give the same index")
	iters := fs.Int("iterations", index.DefaultIterations, "ivf: k-means iterations")
	dim := fs.Int("dim", 0, "vector length of a raw float32 -embeddings file")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *embFile == "" || *out == "" {
		return fmt.Errorf("give the vectors with -embeddings FILE and the index file with -out FILE.idx")
	}
	t0 := time.Now()
	ids, data, d, err := readIndexVectors(*embFile, *dim)
	if err != nil {
		return err
	}
	n := len(data) / d
	readTime := time.Since(t0)
	t0 = time.Now()
	var idx index.Index
	switch index.Kind(*kind) {
	case index.KindFlat:
		idx, err = index.NewFlat(data, d)
	case index.KindIVF:
		if *nlist == 0 {
			*nlist = index.DefaultNList(n)
		}
		idx, err = index.NewIVF(data, d, index.IVFOptions{NList: *nlist, Seed: *seed, Iterations: *iters})
	default:
		return fmt.Errorf("-kind %q: use flat or ivf", *kind)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", *embFile, err)
	}
	buildTime := time.Since(t0)
	t0 = time.Now()
	if err := idx.Save(*out); err != nil {
		return err
	}
	idsFile := ""
	if ids != nil {
		idsFile = corpus.IDsSidecar(*out)
		b, err := json.Marshal(ids)
		if err != nil {
			return err
		}
		if err := corpus.WriteFileAtomic(idsFile, append(b, '\n')); err != nil {
			return err
		}
	}
	saveTime := time.Since(t0)
	res := map[string]any{"index": *out, "kind": idx.Kind(), "n": n, "dim": d, "read_seconds": readTime.Seconds(),
		"build_seconds": buildTime.Seconds(), "save_seconds": saveTime.Seconds(), "kernels": index.KernelName()}
	if idsFile != "" {
		res["ids"] = idsFile
	}
	x, isIVF := idx.(*index.IVF)
	if isIVF {
		sizes := x.ListSizes()
		slices.Sort(sizes)
		res["nlist"] = x.NList()
		res["seed"] = *seed
		res["iterations"] = x.Options().Iterations
		res["training_sample"] = x.TrainingSample()
		res["list_size_min"], res["list_size_median"], res["list_size_max"] = sizes[0], sizes[len(sizes)/2], sizes[len(sizes)-1]
	}
	if *asJSON {
		return printJSON(res)
	}
	fmt.Printf("indexed %d vectors of dim %d (%s) in %.2f s (read %.2f s, save %.2f s; %s kernels)\n", n, d,
		idx.Kind(), buildTime.Seconds(), readTime.Seconds(), saveTime.Seconds(), index.KernelName())
	if isIVF {
		fmt.Printf("ivf: %d lists (sizes %d min, %d median, %d max), k-means on %d vectors, %d iterations, seed %d\n",
			x.NList(), res["list_size_min"], res["list_size_median"], res["list_size_max"], x.TrainingSample(),
			x.Options().Iterations, *seed)
	}
	fmt.Printf("wrote %s", *out)
	if idsFile != "" {
		fmt.Printf(" and %s", idsFile)
	}
	fmt.Println()
	return nil
}

// openIndex loads an index and its ids sidecar (nil when there is none).
func openIndex(path string) (index.Index, []string, error) {
	idx, err := index.Load(path)
	if err != nil {
		return nil, nil, err
	}
	side := corpus.IDsSidecar(path)
	b, err := os.ReadFile(side)
	if errors.Is(err, os.ErrNotExist) {
		return idx, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	var ids []string
	if err := json.Unmarshal(b, &ids); err != nil {
		return nil, nil, fmt.Errorf("%s: not a JSON list of ids (%v); rebuild the index or delete the file", side, err)
	}
	if len(ids) != idx.Len() {
		return nil, nil, fmt.Errorf("%s has %d ids but %s indexes %d vectors; rebuild the index", side, len(ids), path,
			idx.Len())
	}
	return idx, ids, nil
}

// readQueries reads the queries for an index: an embeddings file of the index's dimension, or raw float32.
func readQueries(path string, idx index.Index, indexPath string) ([]string, []float32, error) {
	dim := 0
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json", ".npy":
	default:
		dim = idx.Dim()
	}
	ids, data, d, err := readIndexVectors(path, dim)
	if err != nil {
		return nil, nil, err
	}
	if d != idx.Dim() {
		return nil, nil, fmt.Errorf("the queries %s are %d-dimensional but the index %s is %d-dimensional (query "+
			"with embeddings from the same model)", path, d, indexPath, idx.Dim())
	}
	return ids, data, nil
}

type searchFlags struct {
	index, queries string
	k, nprobe      int
}

func (s *searchFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.index, "index", "", "index file written by musicrep index build")
	fs.StringVar(&s.queries, "queries", "", "query vectors: "+vectorsHelp+" (of the index's dimension)")
	fs.IntVar(&s.k, "k", 10, "neighbours per query")
}

func indexSearch(args []string) error {
	fs := newFlags("index search")
	var sf searchFlags
	sf.register(fs)
	nprobe := fs.Int("nprobe", index.DefaultNProbe, "ivf: lists scanned per query (more: better recall, slower)")
	out := fs.String("out", "", "write the results here: .i32 for raw little-endian int32 indices (queries x k, "+
		"-1 pads), else TSV (default: TSV on stdout)")
	excludeSelf := fs.Bool("exclude-self", false, "the queries are catalogue vectors: leave each out of its own "+
		"results (same id, or same row for raw files)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if sf.index == "" || sf.queries == "" {
		return fmt.Errorf("give the index with -index FILE.idx and the queries with -queries FILE")
	}
	idx, ids, err := openIndex(sf.index)
	if err != nil {
		return err
	}
	qids, qs, err := readQueries(sf.queries, idx, sf.index)
	if err != nil {
		return err
	}
	if sf.k < 1 {
		return fmt.Errorf("-k %d: k must be at least 1", sf.k)
	}
	if *nprobe < 1 {
		return fmt.Errorf("-nprobe %d: scan at least 1 list", *nprobe)
	}
	if sf.k > idx.Len() {
		// More neighbours than the catalogue holds would only add padding (and memory).
		fmt.Fprintf(os.Stderr, "musicrep index search: -k %d is more than the %d catalogue vectors; using k=%d\n",
			sf.k, idx.Len(), idx.Len())
		sf.k = idx.Len()
	}
	opt := index.SearchOptions{NProbe: *nprobe}
	if *excludeSelf {
		if ids != nil && qids != nil {
			row := make(map[string]int, len(ids))
			for i, id := range ids {
				row[id] = i
			}
			self := make([]int, len(qids))
			for q, id := range qids {
				if i, ok := row[id]; ok {
					self[q] = i
				} else {
					self[q] = -1
				}
			}
			opt.Exclude = func(q, i int) bool { return self[q] == i }
		} else {
			opt.Exclude = func(q, i int) bool { return q == i }
		}
	}
	t0 := time.Now()
	res, err := idx.Search(qs, sf.k, opt)
	if err != nil {
		return err
	}
	elapsed := time.Since(t0)
	if strings.EqualFold(filepath.Ext(*out), ".i32") {
		v := make([]byte, 0, 4*len(res)*sf.k)
		for _, ns := range res {
			for j := 0; j < sf.k; j++ {
				i := -1
				if j < len(ns) {
					i = ns[j].Index
				}
				u := uint32(int32(i))
				v = append(v, byte(u), byte(u>>8), byte(u>>16), byte(u>>24)) // little-endian
			}
		}
		if err := corpus.WriteFileAtomic(*out, v); err != nil {
			return err
		}
	} else {
		w := os.Stdout
		var f *os.File
		if *out != "" {
			if f, err = os.Create(*out); err != nil {
				return err
			}
			w = f
		}
		bw := bufio.NewWriter(w)
		fmt.Fprintln(bw, "query\trank\tindex\tid\tsquared_distance")
		for q, ns := range res {
			qn := strconv.Itoa(q)
			if qids != nil {
				qn = qids[q]
			}
			for r, nb := range ns {
				id := ""
				if ids != nil {
					id = ids[nb.Index]
				}
				fmt.Fprintf(bw, "%s\t%d\t%d\t%s\t%.9g\n", qn, r+1, nb.Index, id, nb.Dist)
			}
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		if f != nil {
			if err := f.Close(); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(os.Stderr, "musicrep index search: %d queries, k=%d, %s in %.3f s (%.0f queries/s)\n", len(res), sf.k,
		describeSearch(idx, *nprobe), elapsed.Seconds(), float64(len(res))/elapsed.Seconds())
	if *out != "" {
		fmt.Fprintf(os.Stderr, "wrote %s\n", *out)
	}
	return nil
}

func describeSearch(idx index.Index, nprobe int) string {
	if x, ok := idx.(*index.IVF); ok {
		return fmt.Sprintf("ivf nprobe %d of %d lists", min(nprobe, x.NList()), x.NList())
	}
	return "flat (exact)"
}

// benchRow is one line of `musicrep index bench`.
type benchRow struct {
	NProbe        int       `json:"nprobe"` // 0: exact search
	Recall        *float64  `json:"recall,omitempty"`
	QueriesPerSec float64   `json:"queries_per_second"`
	MedianSeconds float64   `json:"median_seconds"`
	Seconds       []float64 `json:"seconds"`
	ListsFraction float64   `json:"lists_fraction,omitempty"`
	Exact         bool      `json:"exact,omitempty"` // the exact search (flat, or ivf scanning all lists)
}

func indexBench(args []string) error {
	fs := newFlags("index bench")
	var sf searchFlags
	sf.register(fs)
	nprobes := fs.String("nprobe", "1,4,16,64", "ivf: comma-separated lists scanned per query")
	gt := fs.String("ground-truth", "flat", "flat: recall against the exact search of the same vectors (ivf: all "+
		"lists, which equals a flat index); none: no recall; or a .i32 file of the true neighbours (as written by "+
		"musicrep index search -out FILE.i32)")
	reps := fs.Int("reps", 3, "timed repetitions per setting, after one untimed warm-up (the median is reported)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if sf.index == "" || sf.queries == "" {
		return fmt.Errorf("give the index with -index FILE.idx and the queries with -queries FILE")
	}
	if *gt != "flat" && *gt != "none" && !strings.EqualFold(filepath.Ext(*gt), ".i32") {
		return fmt.Errorf("-ground-truth %q: use flat, none or a .i32 file written by musicrep index search", *gt)
	}
	if *reps < 1 {
		return fmt.Errorf("-reps %d: at least 1", *reps)
	}
	probes, err := parseKs(*nprobes)
	if err != nil {
		return fmt.Errorf("-nprobe: %w", err)
	}
	idx, _, err := openIndex(sf.index)
	if err != nil {
		return err
	}
	_, qs, err := readQueries(sf.queries, idx, sf.index)
	if err != nil {
		return err
	}
	nq := len(qs) / idx.Dim()
	var truth [][]index.Neighbor
	if *gt != "flat" && *gt != "none" {
		if truth, err = readTruth(*gt, nq, sf.k); err != nil {
			return err
		}
	}
	timeit := func(np int) ([][]index.Neighbor, []float64, error) {
		var res [][]index.Neighbor
		var secs []float64
		for r := 0; r <= *reps; r++ {
			t0 := time.Now()
			var err error
			if res, err = idx.Search(qs, sf.k, index.SearchOptions{NProbe: np}); err != nil {
				return nil, nil, err
			}
			if r > 0 {
				secs = append(secs, time.Since(t0).Seconds())
			}
		}
		return res, secs, nil
	}
	row := func(np int, secs []float64) benchRow {
		med := median(secs)
		return benchRow{NProbe: np, MedianSeconds: med, Seconds: secs, QueriesPerSec: float64(nq) / med}
	}
	x, isIVF := idx.(*index.IVF)
	var rows []benchRow
	if *gt == "flat" || !isIVF {
		exactProbe := 0
		if isIVF {
			exactProbe = x.NList()
		}
		res, secs, err := timeit(exactProbe)
		if err != nil {
			return err
		}
		if *gt == "flat" {
			truth = res
		}
		r := row(0, secs)
		r.Exact = true
		if truth != nil {
			rec := index.Recall(res, truth)
			r.Recall = &rec
		}
		rows = append(rows, r)
	}
	if isIVF {
		for _, np := range probes {
			res, secs, err := timeit(np)
			if err != nil {
				return err
			}
			r := row(np, secs)
			r.ListsFraction = float64(min(np, x.NList())) / float64(x.NList())
			if truth != nil {
				rec := index.Recall(res, truth)
				r.Recall = &rec
			}
			rows = append(rows, r)
		}
	}
	if *asJSON {
		return printJSON(map[string]any{"index": sf.index, "queries": sf.queries, "kind": idx.Kind(), "n": idx.Len(),
			"dim": idx.Dim(), "num_queries": nq, "k": sf.k, "reps": *reps, "kernels": index.KernelName(), "rows": rows})
	}
	exact := "flat (exact)"
	if isIVF {
		exact = fmt.Sprintf("exact (all %d lists)", x.NList())
	}
	fmt.Printf("%s: %s, %d vectors of dim %d; %d queries, k=%d; median of %d runs; %s kernels\n\n", sf.index,
		idx.Kind(), idx.Len(), idx.Dim(), nq, sf.k, *reps, index.KernelName())
	fmt.Printf("| search | recall@%d | queries/s | ms per query |\n|---|---:|---:|---:|\n", sf.k)
	for _, r := range rows {
		name := exact
		if r.NProbe > 0 {
			name = fmt.Sprintf("nprobe %d (%.1f%% of lists)", r.NProbe, 100*r.ListsFraction)
		}
		rec := "–"
		if r.Recall != nil {
			rec = fmt.Sprintf("%.4f", *r.Recall)
		}
		fmt.Printf("| %s | %s | %.0f | %.3f |\n", name, rec, r.QueriesPerSec, 1000*r.MedianSeconds/float64(nq))
	}
	return nil
}

// readTruth reads true neighbour indices, nq rows of at least k little-endian int32 (-1 for none), as written
// by `musicrep index search -out FILE.i32`.
func readTruth(path string, nq, k int) ([][]index.Neighbor, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) == 0 || len(b)%(4*nq) != 0 || len(b)/(4*nq) < k {
		return nil, fmt.Errorf("%s: %d bytes is not %d rows of at least k=%d int32 neighbour indices (write it "+
			"with musicrep index search -k %d -out FILE.i32 on the same queries)", path, len(b), nq, k, k)
	}
	width := len(b) / (4 * nq)
	truth := make([][]index.Neighbor, nq)
	for q := range truth {
		for j := 0; j < k; j++ {
			o := 4 * (q*width + j)
			if i := int32(uint32(b[o]) | uint32(b[o+1])<<8 | uint32(b[o+2])<<16 | uint32(b[o+3])<<24); i >= 0 {
				truth[q] = append(truth[q], index.Neighbor{Index: int(i)})
			}
		}
	}
	return truth, nil
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func indexSynth(args []string) error {
	fs := newFlags("index synth")
	n := fs.Int("n", 1000000, "catalogue vectors")
	nq := fs.Int("queries", 1000, "query vectors (drawn from the same mixture, not in the catalogue)")
	dim := fs.Int("dim", 128, "dimension")
	clusters := fs.Int("clusters", 100, "mixture components")
	intrinsic := fs.Int("intrinsic-dim", 16, "dimension of each component's subspace")
	seed := fs.Uint64("seed", 1, "random seed: the same seed and sizes give the same files")
	out := fs.String("out", "", "output directory")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("give the output directory with -out DIR")
	}
	t0 := time.Now()
	base, qs, err := index.Synthetic(index.SynthOptions{N: *n, Queries: *nq, Dim: *dim, Clusters: *clusters,
		IntrinsicDim: min(*intrinsic, *dim), Seed: *seed})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	bp, qp := filepath.Join(*out, "base.f32"), filepath.Join(*out, "queries.f32")
	if err := index.WriteRawFloat32(bp, base); err != nil {
		return err
	}
	if err := index.WriteRawFloat32(qp, qs); err != nil {
		return err
	}
	meta := map[string]any{"n": *n, "queries": *nq, "dim": *dim, "clusters": *clusters,
		"intrinsic_dim": min(*intrinsic, *dim), "seed": *seed, "format": "raw little-endian float32, row-major, unit norm"}
	b, _ := json.MarshalIndent(meta, "", "  ")
	mp := filepath.Join(*out, "meta.json")
	if err := corpus.WriteFileAtomic(mp, append(b, '\n')); err != nil {
		return err
	}
	fmt.Printf("wrote %s (%d x %d), %s (%d x %d) and %s in %.1f s\n", bp, *n, *dim, qp, *nq, *dim, mp,
		time.Since(t0).Seconds())
	return nil
}
