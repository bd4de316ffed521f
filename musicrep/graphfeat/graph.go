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
// |kNN_a(i) ∩ kNN_b(i)|/k with exact squared-L2 kNN (evaluation.TopKSquaredL2), the track itself
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

// Build builds the graph of the given tracks (see the package documentation).
func Build(tracks []musicrep.Track) *Graph {
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
	for _, t := range tracks {
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
	for i, t := range tracks {
		for _, gn := range t.Genres {
			if v, ok := genres[strings.TrimSpace(gn)]; ok {
				addEdge(i, v)
			}
		}
		artist, hasArtist := artists[strings.TrimSpace(t.Artist)]
		if hasArtist {
			addEdge(i, artist)
		}
		if al, ok := albums[albumKey{strings.TrimSpace(t.Artist), strings.TrimSpace(t.Album)}]; ok {
			addEdge(i, al)
			if hasArtist {
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
