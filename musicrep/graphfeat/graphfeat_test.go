package graphfeat

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/musicrep/musicrep/musicrep"
)

func TestBuildTiny(t *testing.T) {
	tracks := []musicrep.Track{
		{ID: "t1", Artist: "A", Album: "X", Genres: []string{"rock", "pop"}},
		{ID: "t2", Artist: "A", Album: "X", Genres: []string{"rock", "rock"}}, // duplicate genre: one edge
		{ID: "t3", Artist: "B", Album: "X"},                                   // same title, other artist: new album
		{ID: "t4", Artist: "B", Album: "", Genres: []string{"pop"}},           // no album
	}
	g := Build(tracks)
	s := g.Stats()
	t.Log(s)
	want := Stats{Nodes: 10, Tracks: 4, Artists: 2, Albums: 2, Genres: 2, Edges: 13,
		TrackGenre: 4, TrackArtist: 4, TrackAlbum: 3, AlbumArtist: 2, MinDegree: 2, MaxDegree: 4, MeanDegree: 2.6}
	if s != want {
		t.Fatalf("Stats = %+v\nwant    %+v", s, want)
	}
	for i, tr := range tracks {
		if g.Nodes[i].Type != TrackNode || g.Nodes[i].Name != tr.ID {
			t.Errorf("node %d = %+v, want track %s", i, g.Nodes[i], tr.ID)
		}
	}
	wantTypes := []NodeType{TrackNode, TrackNode, TrackNode, TrackNode, ArtistNode, ArtistNode, AlbumNode, AlbumNode, GenreNode, GenreNode}
	for v, n := range g.Nodes {
		if n.Type != wantTypes[v] {
			t.Errorf("node %d has type %v, want %v", v, n.Type, wantTypes[v])
		}
	}
	if g.Nodes[7].Artist != "B" || g.Nodes[7].Name != "X" {
		t.Errorf("node 7 = %+v, want album X by B", g.Nodes[7])
	}
	// Adjacency is symmetric.
	for v, nb := range g.Adj {
		for _, u := range nb {
			if !slices.Contains(g.Adj[u], int32(v)) {
				t.Errorf("edge %d-%d is not symmetric", v, u)
			}
		}
	}
}

// synthTracks: 12 artists × 2 albums × 4 tracks; artists share genres in groups of 3, plus a genre per
// artist pair, so the graph is connected and the artist is the strongest shared node.
func synthTracks() []musicrep.Track {
	var tracks []musicrep.Track
	for a := 0; a < 12; a++ {
		for al := 0; al < 2; al++ {
			for k := 0; k < 4; k++ {
				tracks = append(tracks, musicrep.Track{
					ID:     fmt.Sprintf("a%d-al%d-t%d", a, al, k),
					Artist: fmt.Sprintf("artist%d", a),
					Album:  fmt.Sprintf("album%d", al),
					Genres: []string{fmt.Sprintf("g%d", a%4), fmt.Sprintf("h%d", (a/2)%3)},
				})
			}
		}
	}
	return tracks
}

func sqDist(x []float32, dim, i, j int) float64 {
	var s float64
	for c := 0; c < dim; c++ {
		d := float64(x[i*dim+c]) - float64(x[j*dim+c])
		s += d * d
	}
	return s
}

// checkArtistCloser asserts that same-artist track pairs are closer, on average, than other pairs.
func checkArtistCloser(t *testing.T, tracks []musicrep.Track, emb []float32, dim int) {
	t.Helper()
	var same, other float64
	var ns, no int
	for i := range tracks {
		for j := i + 1; j < len(tracks); j++ {
			d := sqDist(emb, dim, i, j)
			if tracks[i].Artist == tracks[j].Artist {
				same += d
				ns++
			} else {
				other += d
				no++
			}
		}
	}
	same /= float64(ns)
	other /= float64(no)
	t.Logf("mean squared distance: same artist %.4g, different artists %.4g (ratio %.3f)", same, other, same/other)
	if !(same < 0.7*other) {
		t.Errorf("same-artist pairs are not clearly closer: %.4g vs %.4g", same, other)
	}
}

func TestRandNE(t *testing.T) {
	tracks := synthTracks()
	g := Build(tracks)
	const dim = 16
	a := RandNE(g, dim, RandNEOptions{Seed: 7})
	b := RandNE(g, dim, RandNEOptions{Seed: 7})
	c := RandNE(g, dim, RandNEOptions{Seed: 8})
	if len(a) != len(tracks)*dim {
		t.Fatalf("len = %d, want %d", len(a), len(tracks)*dim)
	}
	if !slices.Equal(a, b) {
		t.Error("RandNE is not deterministic for a fixed seed")
	}
	if slices.Equal(a, c) {
		t.Error("RandNE ignores the seed")
	}
	for _, x := range a {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			t.Fatal("non-finite value")
		}
	}
	checkArtistCloser(t, tracks, a, dim)
	// Standardised columns over all nodes: mean 0, std 1.
	all := RandNEAll(g, dim, RandNEOptions{Seed: 7})
	n := g.NumNodes()
	for j := 0; j < dim; j++ {
		var m, v float64
		for i := 0; i < n; i++ {
			m += all[i*dim+j]
		}
		m /= float64(n)
		for i := 0; i < n; i++ {
			v += (all[i*dim+j] - m) * (all[i*dim+j] - m)
		}
		if math.Abs(m) > 1e-9 || math.Abs(v/float64(n)-1) > 1e-9 {
			t.Fatalf("column %d: mean %g var %g", j, m, v/float64(n))
		}
	}
	// The projection has orthonormal columns.
	u := orthonormalGaussian(n, dim, 3)
	for p := 0; p < dim; p++ {
		for q := 0; q < dim; q++ {
			var d float64
			for i := 0; i < n; i++ {
				d += u[i*dim+p] * u[i*dim+q]
			}
			want := 0.0
			if p == q {
				want = 1
			}
			if math.Abs(d-want) > 1e-12 {
				t.Fatalf("U0 column %d·%d = %g, want %g", p, q, d, want)
			}
		}
	}
	// Variants run and also keep artists together.
	v := RandNE(g, dim, RandNEOptions{Seed: 7, Alphas: []float64{0.5, 0.5, 1}, Alpha0: 1, Unnormalized: true, NoStandardize: true})
	checkArtistCloser(t, tracks, v, dim)
}

func TestDeepWalk(t *testing.T) {
	tracks := synthTracks()
	g := Build(tracks)
	const dim = 16
	opt := DeepWalkOptions{Seed: 5, WalksPerNode: 10, WalkLength: 20}
	a := DeepWalk(g, dim, opt)
	b := DeepWalk(g, dim, opt)
	if len(a) != len(tracks)*dim {
		t.Fatalf("len = %d, want %d", len(a), len(tracks)*dim)
	}
	if !slices.Equal(a, b) {
		t.Error("DeepWalk is not deterministic for a fixed seed")
	}
	opt.Seed = 6
	if slices.Equal(a, DeepWalk(g, dim, opt)) {
		t.Error("DeepWalk ignores the seed")
	}
	checkArtistCloser(t, tracks, a, dim)

	walks := Walks(g, DeepWalkOptions{Seed: 1, WalksPerNode: 2, WalkLength: 7}, newRand(1))
	if len(walks) != 2*g.NumNodes() {
		t.Fatalf("%d walks, want %d", len(walks), 2*g.NumNodes())
	}
	for _, w := range walks {
		if len(w) != 7 {
			t.Fatalf("walk of length %d, want 7", len(w))
		}
		for i := 1; i < len(w); i++ {
			if !slices.Contains(g.Adj[w[i-1]], w[i]) {
				t.Fatalf("walk step %d-%d is not an edge", w[i-1], w[i])
			}
		}
	}
}

func TestNeighbourOverlap(t *testing.T) {
	x := RandomVectors(50, 8, 1)
	if o := NeighbourOverlap(x, 8, x, 8, 5); o != 1 {
		t.Errorf("self overlap = %g, want 1", o)
	}
	// Scaling and appending a constant column keep the neighbours.
	y := make([]float32, 50*9)
	for i := 0; i < 50; i++ {
		for j := 0; j < 8; j++ {
			y[i*9+j] = 3 * x[i*8+j]
		}
		y[i*9+8] = 42
	}
	if o := NeighbourOverlap(x, 8, y, 9, 5); o != 1 {
		t.Errorf("overlap with a scaled copy = %g, want 1", o)
	}
	z := RandomVectors(50, 8, 2)
	if o := NeighbourOverlap(x, 8, z, 8, 5); o > 0.3 {
		t.Errorf("overlap of unrelated random vectors = %g, expected near 5/49", o)
	}
}

func TestFeatures(t *testing.T) {
	tracks := synthTracks()
	for _, m := range Methods {
		f, err := Features(tracks, m, 8, 1)
		if err != nil {
			t.Fatal(err)
		}
		if f.Modality != musicrep.Graph || f.Source != "graphfeat:"+m || f.Dim != 8 ||
			f.NumRows() != len(tracks) || f.NumPresent() != len(tracks) || len(f.Data) != 8*len(tracks) {
			t.Errorf("%s: bad Features %+v", m, f)
		}
	}
	if _, err := Features(tracks, "node2vec", 8, 1); err == nil {
		t.Error("unknown method accepted")
	}
	if _, err := Features(tracks, "randne", 0, 1); err == nil {
		t.Error("dim 0 accepted")
	}
	if _, err := Features(nil, "randne", 8, 1); err == nil {
		t.Error("no tracks accepted")
	}
}
