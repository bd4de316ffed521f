package main

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/graphfeat"
	"github.com/musicrep/musicrep/musicrep/inference"
	"github.com/musicrep/musicrep/musicrep/pipeline"
)

// cmdFeatures computes graph features from the metadata, writes them in the seed's format (JSON + .npy) and
// compares their neighbourhoods with the shipped RandNE file.
func cmdFeatures(args []string) error {
	fs := newFlags("features")
	method := fs.String("method", "randne", "randne or deepwalk")
	dim := fs.Int("dim", 128, "feature dimension")
	seed := fs.Uint64("seed", 42, "random seed")
	out := fs.String("out", "", "output path without extension (default features/graph-METHOD)")
	data := fs.String("data", "", "data directory (default $MUSICREP_DATA or ../shared/data)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	f, err := loadData(*data, []musicrep.Modality{musicrep.Graph})
	if err != nil {
		return err
	}
	start := time.Now()
	feats, err := graphfeat.Features(f.Corpus.Tracks, *method, *dim, *seed)
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	if *out == "" {
		*out = filepath.Join("features", "graph-"+*method)
	}
	j, n, err := inference.Export(*out, pipeline.IDs(f.Corpus), feats.Data, feats.Dim)
	if err != nil {
		return err
	}
	g := graphfeat.Build(f.Corpus.Tracks)
	st := g.Stats()
	fmt.Printf("graph: %+v\n%s features for %d tracks (%d-d) in %s\nwrote %s and %s\n", st, *method,
		feats.NumRows(), feats.Dim, elapsed.Round(time.Millisecond), j, n)
	shipped := f.Corpus.Features[musicrep.Graph]
	ov := graphfeat.NeighbourOverlap(feats.Data, feats.Dim, shipped.Data, shipped.Dim, 10)
	rnd := graphfeat.RandomVectors(feats.NumRows(), feats.Dim, *seed+1)
	base := graphfeat.NeighbourOverlap(rnd, feats.Dim, shipped.Data, shipped.Dim, 10)
	fmt.Printf("overlap@10 of track neighbourhoods with the shipped %s: %.3f (random vectors: %.3f)\n",
		filepath.Base(shipped.Source), ov, base)
	fmt.Println("use them with: musicrep train -features graph=" + j)
	return nil
}
