// Package graphfeat computes graph-modality features for musicrep tracks in plain Go: it builds the
// track/artist/album/genre graph of binding_music and embeds its nodes with RandNE or DeepWalk.
//
// # The graph
//
// Build follows the graph of binding_music (sister repo FairouzConf, GraphEmbedder/functions.py::
// tracks_to_networkx, see SEEDS_SPEC.md A1.2), made undirected as karateclub requires. Its nodes are typed:
//
//   - one track node per track, node i = track i, in tracks order (so the first len(tracks) nodes are the
//     tracks and their embedding rows are row-aligned with the tracks list);
//   - then one artist node per distinct Track.Artist, in order of first appearance;
//   - then one album node per distinct (Artist, Album) pair with a non-empty Album, in order of first
//     appearance (two artists' albums with the same title are different albums);
//   - then one genre node per distinct genre name, in order of first appearance.
//
// Edges are track–genre (one per distinct genre of the track), track–artist, track–album and album–artist.
// The graph is simple: duplicate edges collapse into one, and there are no self loops. Names are compared
// after strings.TrimSpace; empty artist, album and genre names create no node and no edge.
//
// # Leak-free graphs
//
// The genre edges make every embedding of the full graph encode the genres of all tracks, held-out tracks
// included, so a model or baseline that reads it "predicts" genre from the labels themselves. BuildFiltered
// and FeaturesFiltered take an EdgeFilter: LeakFree(test) drops every genre edge and cuts held-out tracks from
// metadata nodes they share with training tracks (musicrep's held-out protocol builds its graph this way for
// each split); the unfiltered graph stays available as an upper bound, labelled as leaking.
//
// # RandNE
//
// RandNE (Zhang et al., "Billion-scale Network Embedding with Iterative Random Projection", ICDM 2018)
// projects the high-order proximity matrix onto a random subspace without forming it: U_0 is an n×dim
// Gaussian matrix whose columns are orthonormalised (Gram–Schmidt, which gives the Q factor of a QR
// decomposition up to column signs), U_k = Â·U_{k−1}, and the embedding is Σ_k α_k U_k.
//
// The defaults reproduce karateclub's RandNE (karateclub/node_embedding/neighbourhood/randne.py), which
// made the shipped song_nodes_RandNE_embedding.json / embeddings/graph/randne.json: Â = D⁻¹A (row-normalised
// adjacency, the random-walk transition matrix), alphas [0.5, 0.5] weighting U_1 and U_2 (so order 2, and
// no U_0 term), the sum divided by Σα, and finally every column standardised over all nodes
// ((x − mean)/std, population std), as recent karateclub versions do. The standardisation is why the
// shipped vectors have norms near √128 ≈ 11.3 (8.85–17.59) rather than the ~0.1 of an unstandardised
// orthonormal projection. RandNEOptions can switch each of these off, add the paper's U_0 term (Alpha0) or
// a longer series (more Alphas). Our random numbers are not NumPy's, so our vectors differ from the
// shipped ones coordinate by coordinate; only geometry-level properties (nearest neighbours) are
// comparable, see NeighbourOverlap.
//
// # DeepWalk
//
// DeepWalk (Perozzi et al., KDD 2014) runs WalksPerNode uniform random walks of WalkLength nodes from every
// node (math/rand/v2 PCG, seeded) and trains a skip-gram model with negative sampling (word2vec SGNS) on
// them with plain SGD in Go, as word2vec/gensim do: frequent nodes are subsampled (threshold 1e−3), for
// each centre node the window is shrunk uniformly at random to 1..Window on each side, Negatives negative
// nodes are drawn from the walk-token distribution raised to the power 0.75, and the learning rate decays
// linearly from LearningRate to LearningRate·1e−4 over Epochs passes. Input vectors start uniform in
// ±0.5/dim and output vectors at zero; the input vectors are the embedding. Training is single-threaded so
// that a seed gives bit-identical output. Differences from karateclub's DeepWalk (gensim, hierarchical
// softmax, 4 Hogwild threads, walks of 80): negative sampling, and walks of 40 by default to keep the cost
// down. The cost is about WalksPerNode·WalkLength·nodes·(2·Window·0.6)·(1+Negatives)·6·dim flops: on the
// Fairouz graph (1,705 nodes, dim 128) the defaults (10 walks of 40, window 5, 5 negatives, 1 epoch) take
// about 5 s on one core, 5 walks about 2.7 s, karateclub's walk length 80 about 11 s.
//
// # Comparing embeddings
//
// NeighbourOverlap measures how much two embeddings of the same tracks agree: the mean over tracks of
// |kNN_a(i) ∩ kNN_b(i)|/k with exact squared-L2 kNN (index.Flat), the track itself
// excluded. Two unrelated embeddings score about k/(n−1) (≈0.012 for k=10, n=822); the tests log the
// values of our RandNE and DeepWalk against the shipped RandNE file next to a random-vector baseline.
//
// Features wraps it all into a musicrep.Features of modality Graph, row-aligned with the tracks.
package graphfeat

import (
	"fmt"
	"strings"

	"github.com/musicrep/musicrep/musicrep"
)

// NodeType is the kind of a graph node.
type NodeType uint8

// The node types of the graph.
const (
	TrackNode NodeType = iota
	ArtistNode
	AlbumNode
	GenreNode
)

func (t NodeType) String() string {
	switch t {
	case TrackNode:
		return "track"
	case ArtistNode:
		return "artist"
	case AlbumNode:
		return "album"
	case GenreNode:
		return "genre"
	}
	return fmt.Sprintf("NodeType(%d)", uint8(t))
}

// Node is one graph node.
type Node struct {
	Type NodeType
	// Name is the track id, the artist name, the album title or the genre name.
	Name string
	// Artist is the album's artist for album nodes, empty otherwise.
	Artist string
}

// Graph is an undirected simple graph over typed nodes. Nodes 0..NumTracks−1 are the tracks in tracks
// order; then come the artists, the albums and the genres (see the package documentation).
type Graph struct {
	Nodes     []Node
	Adj       [][]int32 // Adj[v]: the neighbours of node v, each listed once, in insertion order
	NumTracks int
	NumEdges  int
}

// NumNodes returns the number of nodes.
func (g *Graph) NumNodes() int { return len(g.Nodes) }

// Degree returns the number of neighbours of node v.
func (g *Graph) Degree(v int) int { return len(g.Adj[v]) }

// EdgeFilter chooses which edges BuildFiltered keeps. The zero value keeps every edge: binding_music's graph,
// whose track–genre edges cover every track, so embeddings of it encode the genre labels of all tracks.
type EdgeFilter struct {
	// NoGenres drops every track–genre edge (and the genre nodes).
	NoGenres bool
	// GenreTracks, when non-nil and NoGenres is false, keeps track i's genre edges only where GenreTracks[i]
	// (e.g. the training tracks of a split: their genres are training labels).
	GenreTracks []bool
	// Hidden, when non-nil, marks held-out tracks: a hidden track keeps no edge to an artist or album node that
	// a non-hidden track also links to, so no path through shared metadata reaches the training tracks. With a
	// split by artist such nodes do not exist; with any other split this is what keeps the graph leak-free.
	Hidden []bool
}

// LeakFree is the edge filter of musicrep's held-out protocol for a split whose held-out tracks are marked in
// test: no genre edges at all (genre is what the protocol scores) and test tracks cut from every metadata node
// they share with training tracks. What remains links each track to its artist and album.
func LeakFree(test []bool) EdgeFilter { return EdgeFilter{NoGenres: true, Hidden: test} }

// String describes the filter in a few words (for provenance strings).
func (f EdgeFilter) String() string {
	var parts []string
	switch {
	case f.NoGenres:
		parts = append(parts, "no genre edges")
	case f.GenreTracks != nil:
		n := 0
		for _, ok := range f.GenreTracks {
			if ok {
				n++
			}
		}
		parts = append(parts, fmt.Sprintf("genre edges of %d tracks only", n))
	default:
		parts = append(parts, "all edges (track–genre edges of every track: leaks genre)")
	}
	if f.Hidden != nil {
		n := 0
		for _, h := range f.Hidden {
			if h {
				n++
			}
		}
		parts = append(parts, fmt.Sprintf("%d held-out tracks cut from shared metadata nodes", n))
	}
	return strings.Join(parts, "; ")
}

// Build builds the graph of the given tracks (see the package documentation), every edge kept.
func Build(tracks []musicrep.Track) *Graph { return BuildFiltered(tracks, EdgeFilter{}) }

// BuildFiltered builds the graph of the given tracks keeping the edges the filter allows. It panics when a
// mask of the filter has another length than tracks (a programming error).
func BuildFiltered(tracks []musicrep.Track, f EdgeFilter) *Graph {
	for name, mask := range map[string][]bool{"GenreTracks": f.GenreTracks, "Hidden": f.Hidden} {
		if mask != nil && len(mask) != len(tracks) {
			panic(fmt.Sprintf("graphfeat: EdgeFilter.%s has %d entries for %d tracks", name, len(mask), len(tracks)))
		}
	}
	keepGenres := func(i int) bool { return !f.NoGenres && (f.GenreTracks == nil || f.GenreTracks[i]) }
	hidden := func(i int) bool { return f.Hidden != nil && f.Hidden[i] }
	g := &Graph{NumTracks: len(tracks)}
	for _, t := range tracks {
		g.Nodes = append(g.Nodes, Node{Type: TrackNode, Name: t.ID})
	}
	type albumKey struct{ artist, album string }
	artists := map[string]int{}
	albums := map[albumKey]int{}
	genres := map[string]int{}
	// Nodes are added type by type so that all artists precede all albums, which precede all genres.
	for _, t := range tracks {
		if a := strings.TrimSpace(t.Artist); a != "" {
			if _, ok := artists[a]; !ok {
				artists[a] = len(g.Nodes)
				g.Nodes = append(g.Nodes, Node{Type: ArtistNode, Name: a})
			}
		}
	}
	for _, t := range tracks {
		k := albumKey{strings.TrimSpace(t.Artist), strings.TrimSpace(t.Album)}
		if k.album == "" {
			continue
		}
		if _, ok := albums[k]; !ok {
			albums[k] = len(g.Nodes)
			g.Nodes = append(g.Nodes, Node{Type: AlbumNode, Name: k.album, Artist: k.artist})
		}
	}
	for i, t := range tracks {
		if !keepGenres(i) {
			continue
		}
		for _, gn := range t.Genres {
			gn = strings.TrimSpace(gn)
			if gn == "" {
				continue
			}
			if _, ok := genres[gn]; !ok {
				genres[gn] = len(g.Nodes)
				g.Nodes = append(g.Nodes, Node{Type: GenreNode, Name: gn})
			}
		}
	}

	g.Adj = make([][]int32, len(g.Nodes))
	seen := map[[2]int32]bool{}
	addEdge := func(u, v int) {
		if u == v {
			return
		}
		a, b := int32(min(u, v)), int32(max(u, v))
		if seen[[2]int32{a, b}] {
			return
		}
		seen[[2]int32{a, b}] = true
		g.Adj[u] = append(g.Adj[u], int32(v))
		g.Adj[v] = append(g.Adj[v], int32(u))
		g.NumEdges++
	}
	// Metadata nodes linked by both a hidden and a visible track: hidden tracks do not link to them.
	shared := map[int]bool{}
	if f.Hidden != nil {
		by := map[int][2]bool{} // node → (linked by a visible track, linked by a hidden track)
		mark := func(node int, h bool) {
			s := by[node]
			if h {
				s[1] = true
			} else {
				s[0] = true
			}
			by[node] = s
		}
		for i, t := range tracks {
			if a, ok := artists[strings.TrimSpace(t.Artist)]; ok {
				mark(a, hidden(i))
			}
			if al, ok := albums[albumKey{strings.TrimSpace(t.Artist), strings.TrimSpace(t.Album)}]; ok {
				mark(al, hidden(i))
			}
		}
		for node, s := range by {
			if s[0] && s[1] {
				shared[node] = true
			}
		}
	}
	for i, t := range tracks {
		if keepGenres(i) {
			for _, gn := range t.Genres {
				if v, ok := genres[strings.TrimSpace(gn)]; ok {
					addEdge(i, v)
				}
			}
		}
		cut := func(node int) bool { return hidden(i) && shared[node] }
		artist, hasArtist := artists[strings.TrimSpace(t.Artist)]
		if hasArtist && !cut(artist) {
			addEdge(i, artist)
		}
		if al, ok := albums[albumKey{strings.TrimSpace(t.Artist), strings.TrimSpace(t.Album)}]; ok && !cut(al) {
			addEdge(i, al)
			if hasArtist && !cut(artist) {
				addEdge(al, artist)
			}
		}
	}
	return g
}

// Stats summarises a graph.
type Stats struct {
	Nodes, Tracks, Artists, Albums, Genres int
	Edges                                  int
	// Edge counts by kind.
	TrackGenre, TrackArtist, TrackAlbum, AlbumArtist int
	MinDegree, MaxDegree                             int
	MeanDegree                                       float64
	Isolated                                         int // nodes of degree 0
}

func (s Stats) String() string {
	return fmt.Sprintf("%d nodes (%d tracks, %d artists, %d albums, %d genres), %d edges "+
		"(track-genre %d, track-artist %d, track-album %d, album-artist %d), degree min %d / mean %.2f / max %d, %d isolated",
		s.Nodes, s.Tracks, s.Artists, s.Albums, s.Genres, s.Edges,
		s.TrackGenre, s.TrackArtist, s.TrackAlbum, s.AlbumArtist, s.MinDegree, s.MeanDegree, s.MaxDegree, s.Isolated)
}

// Stats counts the nodes by type, the edges by kind and summarises the degrees.
func (g *Graph) Stats() Stats {
	s := Stats{Nodes: len(g.Nodes), Edges: g.NumEdges}
	if len(g.Nodes) > 0 {
		s.MinDegree = len(g.Adj[0])
	}
	for v, n := range g.Nodes {
		switch n.Type {
		case TrackNode:
			s.Tracks++
		case ArtistNode:
			s.Artists++
		case AlbumNode:
			s.Albums++
		case GenreNode:
			s.Genres++
		}
		d := len(g.Adj[v])
		s.MinDegree = min(s.MinDegree, d)
		s.MaxDegree = max(s.MaxDegree, d)
		if d == 0 {
			s.Isolated++
		}
		for _, u := range g.Adj[v] {
			if int(u) < v {
				continue // count each edge once, from its smaller end
			}
			switch t := g.Nodes[u].Type; {
			case n.Type == TrackNode && t == GenreNode:
				s.TrackGenre++
			case n.Type == TrackNode && t == ArtistNode:
				s.TrackArtist++
			case n.Type == TrackNode && t == AlbumNode:
				s.TrackAlbum++
			case n.Type == ArtistNode && t == AlbumNode:
				s.AlbumArtist++
			}
		}
	}
	if len(g.Nodes) > 0 {
		s.MeanDegree = float64(2*g.NumEdges) / float64(len(g.Nodes))
	}
	return s
}
