package graphfeat

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/musicrep/musicrep/musicrep/corpus"
)

// TestRealData checks the graph of the Fairouz tracks and compares our RandNE and DeepWalk with the shipped
// RandNE file (embeddings/graph/randne.json, made by karateclub) by nearest-neighbour overlap. It is
// skipped when the data is absent, unless $CI is set.
func TestRealData(t *testing.T) {
	dir, err := corpus.DataDir("")
	if err == nil {
		_, err = os.Stat(filepath.Join(dir, "fairouz", "tracks_contextualized.json"))
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("data not found (CI is set): %v", err)
		}
		t.Skipf("data not found: %v", err)
	}
	tracks, err := corpus.LoadTracks(filepath.Join(dir, "fairouz", "tracks_contextualized.json"))
	if err != nil {
		t.Fatal(err)
	}
	g := Build(tracks)
	s := g.Stats()
	t.Log(s)
	if s.Tracks != 822 || s.Artists != 309 || s.Albums != 545 || s.Genres != 29 {
		t.Errorf("node counts: %d tracks, %d artists, %d albums, %d genres; want 822, 309, 545, 29",
			s.Tracks, s.Artists, s.Albums, s.Genres)
	}

	// The shipped RandNE vectors, joined to tracks by id.
	shippedPath := filepath.Join(dir, "fairouz", "embeddings", "graph", "randne.json")
	ids, raw, sdim, err := corpus.ReadVectorsJSON(shippedPath)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skipf("shipped RandNE file unavailable: %v", err)
	}
	index, err := corpus.IndexTracks(tracks)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != len(tracks) {
		t.Fatalf("%s has %d vectors for %d tracks", shippedPath, len(ids), len(tracks))
	}
	shipped := make([]float32, len(tracks)*sdim)
	for r, id := range ids {
		i, ok := index[id]
		if !ok {
			t.Fatalf("%s: unknown track id %q", shippedPath, id)
		}
		copy(shipped[i*sdim:(i+1)*sdim], raw[r*sdim:(r+1)*sdim])
	}

	const dim, k = 128, 10
	start := time.Now()
	ours := RandNE(g, dim, RandNEOptions{Seed: 42})
	tRand := time.Since(start)
	start = time.Now()
	dw := DeepWalk(g, dim, DeepWalkOptions{Seed: 42, WalksPerNode: 5}) // half the default, for test time
	tDW := time.Since(start)
	random := RandomVectors(len(tracks), dim, 99)

	oRand := NeighbourOverlap(ours, dim, shipped, sdim, k)
	oDW := NeighbourOverlap(dw, dim, shipped, sdim, k)
	oBase := NeighbourOverlap(random, dim, shipped, sdim, k)
	oSeeds := NeighbourOverlap(ours, dim, RandNE(g, dim, RandNEOptions{Seed: 43}), dim, k)
	t.Logf("timings: RandNE %v, DeepWalk %v (%d nodes, dim %d)", tRand.Round(time.Millisecond), tDW.Round(time.Millisecond), g.NumNodes(), dim)
	t.Logf("overlap@%d with shipped randne.json: our RandNE %.3f, our DeepWalk %.3f, random vectors %.3f (chance k/(n-1) = %.3f)",
		k, oRand, oDW, oBase, float64(k)/float64(len(tracks)-1))
	t.Logf("overlap@%d of our RandNE seed 42 vs seed 43: %.3f; our DeepWalk vs our RandNE: %.3f",
		k, oSeeds, NeighbourOverlap(dw, dim, ours, dim, k))
	if testing.Verbose() {
		for _, v := range []struct {
			name string
			opt  RandNEOptions
		}{
			{"no standardisation", RandNEOptions{Seed: 42, NoStandardize: true}},
			{"alphas [0.5 0.5 1]", RandNEOptions{Seed: 42, Alphas: []float64{0.5, 0.5, 1}}},
			{"alphas [1 1 1], U0 weight 1", RandNEOptions{Seed: 42, Alphas: []float64{1, 1, 1}, Alpha0: 1}},
			{"raw adjacency", RandNEOptions{Seed: 42, Unnormalized: true}},
		} {
			t.Logf("  RandNE variant %-28s overlap@%d with shipped %.3f", v.name, k,
				NeighbourOverlap(RandNE(g, dim, v.opt), dim, shipped, sdim, k))
		}
	}
	if !(oRand > 3*oBase && oRand > 0.1) {
		t.Errorf("our RandNE overlap@%d %.3f is not clearly above the random baseline %.3f", k, oRand, oBase)
	}
	if !(oDW > 3*oBase && oDW > 0.1) {
		t.Errorf("our DeepWalk overlap@%d %.3f is not clearly above the random baseline %.3f", k, oDW, oBase)
	}
}
