package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/musicrep/musicrep/musicrep/cmir"
	"github.com/musicrep/musicrep/musicrep/inference"
	"github.com/musicrep/musicrep/musicrep/melon"
)

// cmdCmir trains contrastive-mir's variants on a Melon-layout dataset and writes the task table.
func cmdCmir(ctx context.Context, args []string) error {
	fs := newFlags("cmir")
	dataset := fs.String("dataset", "", "Melon-layout directory (song_meta.json, train.json, arena_mel/...), e.g. "+
		"one written by musicrep melon-generate")
	name := fs.String("name", "", "results name (default cmir-PRESET): evaluation/results/NAME.*, checkpoints/NAME/VARIANT")
	preset := fs.String("preset", "tiny", "paper (published CNN and schedule), small or tiny")
	epochs := fs.Int("epochs", 0, "override the preset's number of epochs")
	batch := fs.Int("batch", 0, "override the preset's batch size (songs per step)")
	variants := fs.String("variants", "contrastive,baseline-mf,baseline-gnr", "comma-separated: contrastive, "+
		"contrastive-gnr, contrastive-mf, baseline-mf, baseline-gnr, baseline-mf-gnr")
	cfFactors := fs.Int("cf-factors", 300, "BPR factors of the CF modality")
	seed := fs.Uint64("seed", 1, "seed of the split, CF and genre vectors")
	results := fs.String("results", filepath.Join("evaluation", "results"), "where to write NAME.json and NAME.md")
	fresh := fs.Bool("fresh", false, "discard existing checkpoints instead of resuming")
	backend := fs.String("backend", "", "GoMLX backend (default $GOMLX_BACKEND or go)")
	stream := fs.Bool("stream", false, "read spectrograms from disk when needed instead of loading them all "+
		"(for datasets larger than memory: 100,000 songs take 35 GB as float32)")
	maxSongs := fs.Int("max-songs", 0, "use a seeded random subset of this many songs (0: all)")
	compare := fs.String("compare", "", "a report JSON of another run over the same test songs and playlists "+
		"(e.g. the dataset with the test songs rendered with the training soundfont): paired bootstrap "+
		"differences of genre accuracy and HR@10 for rows of the same name")
	lrs := fs.String("lrs", "", "comma-separated learning rates: with several, each variant is trained once per "+
		"rate and the rate (and epoch) with the lowest validation loss is kept (e.g. 1e-4,1e-3,3e-3); one sets "+
		"the rate; empty keeps the preset's (1e-4)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dataset == "" {
		return fmt.Errorf("give the dataset with -dataset DIR (make one with musicrep melon-generate)")
	}
	// Range checks before any data is read or CF is fitted.
	if *maxSongs < 0 {
		return fmt.Errorf("-max-songs %d: give a positive number of songs, or 0 for all", *maxSongs)
	}
	if *epochs < 0 || *batch < 0 {
		return fmt.Errorf("-epochs %d / -batch %d: give a positive number, or 0 for the preset's", *epochs, *batch)
	}
	if *cfFactors < 1 {
		return fmt.Errorf("-cf-factors %d: BPR needs at least 1 factor (the paper: 300)", *cfFactors)
	}
	if _, ok := cmir.Presets[*preset]; !ok {
		return fmt.Errorf("-preset %q: use one of paper, small, tiny", *preset)
	}
	if *name == "" {
		*name = "cmir-" + *preset
	}
	var vs []cmir.Variant
	known := map[cmir.Variant]bool{cmir.Full: true, cmir.AudioTags: true, cmir.AudioCF: true, cmir.BaselineMF: true,
		cmir.BaselineGn: true, cmir.BaselineMG: true}
	for _, v := range strings.Split(*variants, ",") {
		v := cmir.Variant(strings.TrimSpace(v))
		if !known[v] {
			return fmt.Errorf("-variants: unknown variant %q", v)
		}
		if slices.Contains(vs, v) {
			return fmt.Errorf("-variants: %q is listed twice", v)
		}
		vs = append(vs, v)
	}
	var rates []float64
	if *lrs != "" {
		for _, f := range strings.Split(*lrs, ",") {
			r, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil || !(r > 0) {
				return fmt.Errorf("-lrs %q: %q is not a positive number", *lrs, f)
			}
			rates = append(rates, r)
		}
	}
	b, err := openBackend(*backend)
	if err != nil {
		return err
	}
	rep, err := cmir.RunReport(ctx, cmir.ReportOptions{Dataset: *dataset, Name: *name, Preset: *preset, Epochs: *epochs, BatchSize: *batch,
		Variants: vs, Seed: *seed, CFFactors: *cfFactors, ResultsRoot: *results, Fresh: *fresh, Backend: b,
		Progress: os.Stderr, Stream: *stream, MaxSongs: *maxSongs, LearningRates: rates, CompareWith: *compare})
	if err != nil {
		return err
	}
	fmt.Print(rep.Markdown())
	fmt.Printf("\nwrote %s and %s\n", filepath.Join(*results, rep.Name+".json"), filepath.Join(*results, rep.Name+".md"))
	return nil
}

// cmdEmbedAudio embeds audio files with a trained contrastive-mir audio encoder and lists the nearest songs of a
// Melon-layout dataset.
func cmdEmbedAudio(args []string) error {
	fs := newFlags("embed-audio")
	ck := fs.String("checkpoint", "", "a contrastive-mir run (checkpoints/NAME/VARIANT, or its best/ folder)")
	dataset := fs.String("dataset", "", "Melon-layout directory whose songs are searched (optional)")
	k := fs.Int("k", 10, "nearest songs per file")
	out := fs.String("out", "", "write the embeddings (seed JSON format + .npy) to this path without extension")
	backend := fs.String("backend", "", "GoMLX backend (default $GOMLX_BACKEND or go)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *ck == "" || fs.NArg() == 0 {
		return fmt.Errorf("usage: musicrep embed-audio -checkpoint checkpoints/NAME/VARIANT/best [-dataset DIR] FILE...")
	}
	if *k < 1 {
		return fmt.Errorf("-k %d: list at least 1 nearest song", *k)
	}
	for _, a := range fs.Args() {
		if strings.HasPrefix(a, "-") {
			return fmt.Errorf("embed-audio: %q after the files is not read as a flag: put every flag before the files", a)
		}
	}
	b, err := openBackend(*backend)
	if err != nil {
		return err
	}
	e, c, err := cmir.LoadEmbedder(*ck, b)
	if err != nil {
		return err
	}
	fmt.Printf("model: %s (%s)\n", c.Path, c.Meta.Info["variant"])
	var ds *melon.Dataset
	var data *cmir.Data
	var songs *cmir.Embeddings
	if *dataset != "" {
		if ds, err = melon.Load(*dataset); err != nil {
			return err
		}
		if data, err = cmir.Prepare(ds, cmir.PrepareOptions{SongsOnly: true}); err != nil {
			return err
		}
		if songs, err = cmir.EmbedSongs(e, data, "songs", true); err != nil {
			return err
		}
	}
	var ids []string
	var vecs []float32
	for _, path := range fs.Args() {
		v, mel, err := e.EmbedFile(path)
		if err != nil {
			return err
		}
		ids = append(ids, path)
		vecs = append(vecs, v...)
		fmt.Printf("%s: %d mel frames → %d chunks → %d-d embedding\n", path, mel.Frames, cmir.Chunks(mel.Frames), len(v))
		if songs == nil {
			continue
		}
		for i, nb := range cmir.Nearest(ds, data, songs, v, *k) {
			var names []string
			for _, g := range append(append([]string{}, nb.Song.Genres...), nb.Song.DetailGenres...) {
				names = append(names, ds.Genres[g])
			}
			fmt.Printf("%3d. %-36s %-24s %s  (cos %.3f)\n", i+1, clip(nb.Song.Name, 36),
				clip(strings.Join(nb.Song.ArtistNames, ", "), 24), strings.Join(names, " / "), nb.Cosine)
		}
	}
	if *out != "" {
		j, n, err := inference.Export(*out, ids, vecs, len(vecs)/len(ids))
		if err != nil {
			return err
		}
		fmt.Printf("wrote %s and %s\n", j, n)
	}
	return nil
}
