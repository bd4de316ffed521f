package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/musicrep/musicrep/musicrep/backends"
	"github.com/musicrep/musicrep/musicrep/cmir"
)

// cmdCmir trains contrastive-mir's variants on a Melon-layout dataset and writes the task table.
func cmdCmir(ctx context.Context, args []string) error {
	fs := newFlags("cmir")
	dataset := fs.String("dataset", "", "Melon-layout directory (song_meta.json, train.json, arena_mel/...), e.g. "+
		"one written by musicrep melon-generate")
	name := fs.String("name", "", "results name (default cmir-PRESET): evaluation/results/NAME.*, checkpoints/NAME/VARIANT")
	preset := fs.String("preset", "tiny", "paper (published CNN and schedule), small or tiny")
	epochs := fs.Int("epochs", 0, "override the preset's number of epochs")
	variants := fs.String("variants", "contrastive,baseline-mf,baseline-gnr", "comma-separated: contrastive, "+
		"contrastive-gnr, contrastive-mf, baseline-mf, baseline-gnr, baseline-mf-gnr")
	cfFactors := fs.Int("cf-factors", 300, "BPR factors of the CF modality")
	seed := fs.Uint64("seed", 1, "seed of the split, CF and genre vectors")
	results := fs.String("results", filepath.Join("evaluation", "results"), "where to write NAME.json and NAME.md")
	fresh := fs.Bool("fresh", false, "discard existing checkpoints instead of resuming")
	backend := fs.String("backend", "", "GoMLX backend (default $GOMLX_BACKEND or go)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dataset == "" {
		return fmt.Errorf("give the dataset with -dataset DIR (make one with musicrep melon-generate)")
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
		vs = append(vs, v)
	}
	b, err := backends.New(*backend)
	if err != nil {
		return err
	}
	rep, err := cmir.RunReport(ctx, cmir.ReportOptions{Dataset: *dataset, Name: *name, Preset: *preset, Epochs: *epochs,
		Variants: vs, Seed: *seed, CFFactors: *cfFactors, ResultsRoot: *results, Fresh: *fresh, Backend: b,
		Progress: os.Stderr})
	if err != nil {
		return err
	}
	fmt.Print(rep.Markdown())
	fmt.Printf("\nwrote %s and %s\n", filepath.Join(*results, rep.Name+".json"), filepath.Join(*results, rep.Name+".md"))
	return nil
}
