// Command cfmelon compares musicrep's BPR (package cf) with the implicit package's BPR on the playlists of a
// Melon-layout dataset: it holds out 20 % of every train.json playlist (seeded), trains on the rest, and reports
// HR@10 / nDCG@10 and the fit time; it writes the split to -split so bench/cf_melon.py can fit implicit on exactly
// the same data.
//
//	go run ./bench/cfmelon -dataset out/melon-medium -split out/bench/cf_melon_split.json
//	.venv-cf/bin/python bench/cf_melon.py out/bench/cf_melon_split.json
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/musicrep/musicrep/musicrep/cf"
	"github.com/musicrep/musicrep/musicrep/melon"
)

func main() {
	dataset := flag.String("dataset", "", "Melon-layout directory")
	split := flag.String("split", "", "write the held-out split here (JSON)")
	factors := flag.Int("factors", 64, "BPR factors")
	epochs := flag.Int("epochs", 50, "BPR epochs")
	threads := flag.Int("threads", 1,
		"BPR goroutines: 1 sequential (deterministic), more Hogwild; bench/cf_melon.py gives implicit as many")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the training (go tool pprof) here")
	flag.Parse()
	if *threads == 0 || *threads < -1 {
		log.Fatalf("-threads %d: give 1 (sequential), more for Hogwild, or -1 for all cores", *threads)
	}
	ds, err := melon.Load(*dataset)
	if err != nil {
		log.Fatal(err)
	}
	var playlists [][]int
	for _, p := range ds.Train {
		var items []int
		for _, s := range p.Songs {
			items = append(items, ds.Index[s])
		}
		playlists = append(playlists, items)
	}
	visible, held := cf.HoldOut(playlists, 0.2, 7)
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
	}
	start, cpu0 := time.Now(), processCPU()
	m, err := cf.Train(visible, len(ds.Songs), cf.Options{Factors: *factors, Epochs: *epochs, LearningRate: 0.05,
		Reg: 0.01, Seed: 1, Threads: *threads})
	if err != nil {
		log.Fatal(err)
	}
	fit, fitCPU := time.Since(start), processCPU()-cpu0
	pprof.StopCPUProfile()
	res := cf.Evaluate(m.Score, visible, held, 10)
	pop := cf.Evaluate(cf.Popularity(visible, len(ds.Songs)), visible, held, 10)
	out := map[string]any{"num_items": len(ds.Songs), "visible": visible, "held_out": held, "factors": *factors,
		"epochs": *epochs, "threads": *threads, "kernels": cf.KernelName(), "musicrep": map[string]any{"hr@10": res.HitRate, "ndcg@10": res.NDCG, "fit_seconds": fit.Seconds(),
			"fit_cpu_seconds": fitCPU.Seconds(), "hits": res.Hits},
		"popularity": map[string]any{"hr@10": pop.HitRate, "ndcg@10": pop.NDCG, "hits": pop.Hits}}
	fmt.Printf("musicrep BPR (%d factors, %d epochs, %d threads, %s kernels): HR@10 %.4f nDCG@10 %.4f, fit %.2f s (%.2f CPU-s); popularity HR@10 %.4f nDCG@10 %.4f; %d playlists, %d held-out songs\n",
		*factors, *epochs, *threads, cf.KernelName(), res.HitRate, res.NDCG, fit.Seconds(), fitCPU.Seconds(), pop.HitRate, pop.NDCG, res.Playlists, res.HeldOut)
	if *split != "" {
		b, _ := json.Marshal(out)
		if err := os.WriteFile(*split, b, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

// processCPU returns the user + system CPU time of this process (on a shared machine wall time also counts the
// other processes' turns; CPU time counts this one's, all its threads together).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
