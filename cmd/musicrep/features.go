package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/graphfeat"
	"github.com/musicrep/musicrep/musicrep/pipeline"
)

// cmdFeatures computes one modality's features from the raw metadata with musicrep's own extractors (MiniLM
// text, word-vector tags, tag sequences, graph embeddings), writes them in the seed's format (JSON + .npy; tag
// sequences also their .vocab.json) and, for graph methods, compares their neighbourhoods with the shipped
// RandNE file.
func cmdFeatures(args []string) error {
	fs := newFlags("features")
	var help strings.Builder
	for _, n := range pipeline.FeatureMethodNames() {
		fmt.Fprintf(&help, "\n  %s (%s): %s", n, pipeline.FeatureMethods[n].Modality, pipeline.FeatureMethods[n].Description)
	}
	method := fs.String("method", "randne", "extractor:"+help.String())
	dim := fs.Int("dim", 128, "graph methods: feature dimension")
	seed := fs.Uint64("seed", 42, "graph methods: random seed")
	limit := fs.Int("limit", 0, "compute only the first N tracks (the others are written as missing); 0 = all")
	force := fs.Bool("force", false, "with -limit: replace an existing features file with the partial one")
	out := fs.String("out", "", "output path without extension (default features/MODALITY for minilm and tags, "+
		"features/MODALITY-METHOD otherwise; $"+pipeline.FeaturesDirEnv+" moves features/)")
	data := fs.String("data", "", "data directory (default $MUSICREP_DATA or ../shared/data)")
	backend := fs.String("backend", "", "GoMLX backend for minilm (default $GOMLX_BACKEND or go)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *limit < 0 || *dim < 1 {
		return fmt.Errorf("-limit %d / -dim %d: give -limit >= 0 (0 = all tracks) and -dim >= 1", *limit, *dim)
	}
	fm, ok := pipeline.FeatureMethods[*method]
	if !ok {
		return fmt.Errorf("-method %q: use one of %s", *method, strings.Join(pipeline.FeatureMethodNames(), ", "))
	}
	f, err := loadData(*data, nil)
	if err != nil {
		return err
	}
	opt := pipeline.FeatureOptions{Out: *out, Dim: *dim, Seed: *seed, Limit: *limit, Force: *force, Progress: os.Stderr}
	if fm.Modality == musicrep.Text {
		if opt.Backend, err = openBackend(*backend); err != nil {
			return err
		}
	}
	res, err := pipeline.ExtractFeatures(f, *method, opt)
	if err != nil {
		return err
	}
	if res.Summary != "" {
		fmt.Println(res.Summary)
	}
	feats := res.Features
	if res.Vocab != "" {
		fmt.Printf("%s features (%s) for %d tracks, %d present, up to %d tag ids each, in %s\nwrote %s, %s and "+
			"the vocabulary %s\n", *method, fm.Modality, feats.NumRows(), feats.NumPresent(), feats.Dim,
			res.Elapsed.Round(time.Millisecond), res.JSON, res.NPY, res.Vocab)
	} else {
		fmt.Printf("%s features (%s) for %d tracks, %d present, %d-d, in %s\nwrote %s and %s\n", *method, fm.Modality,
			feats.NumRows(), feats.NumPresent(), feats.Dim, res.Elapsed.Round(time.Millisecond), res.JSON, res.NPY)
	}
	if shipped, ok := f.Corpus.Features[musicrep.Graph]; ok && fm.Modality == musicrep.Graph {
		ov := graphfeat.NeighbourOverlap(feats.Data, feats.Dim, shipped.Data, shipped.Dim, 10)
		rnd := graphfeat.RandomVectors(feats.NumRows(), feats.Dim, *seed+1)
		base := graphfeat.NeighbourOverlap(rnd, feats.Dim, shipped.Data, shipped.Dim, 10)
		fmt.Printf("overlap@10 of track neighbourhoods with the shipped %s: %.3f (random vectors: %.3f)\n",
			filepath.Base(shipped.Source), ov, base)
	}
	if res.Vocab != "" {
		fmt.Printf("use them with the joint model's tag encoders: musicrep train -features %s=%s -set "+
			"\"model=joint;joint_tag_encoder=attention\" (or mean)\n", fm.Modality, res.JSON)
	} else if fm.Default {
		fmt.Printf("training and evaluation pick them up for the %s modality (e.g. musicrep train -set "+
			"\"model=joint\")\n", fm.Modality)
	} else {
		fmt.Printf("use them with: musicrep train -features %s=%s\n", fm.Modality, res.JSON)
	}
	return nil
}
