package graphfeat

import (
	"strings"
	"testing"

	"github.com/musicrep/musicrep/musicrep"
)

// reachable returns the nodes reachable from start (breadth first).
func reachable(g *Graph, start int) map[int]bool {
	seen := map[int]bool{start: true}
	queue := []int{start}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, u := range g.Adj[v] {
			if !seen[int(u)] {
				seen[int(u)] = true
				queue = append(queue, int(u))
			}
		}
	}
	return seen
}

func TestBuildFilteredTiny(t *testing.T) {
	tracks := []musicrep.Track{
		{ID: "t1", Artist: "A", Album: "X", Genres: []string{"rock", "pop"}},
		{ID: "t2", Artist: "A", Album: "X", Genres: []string{"rock"}},
		{ID: "t3", Artist: "B", Album: "Y", Genres: []string{"pop"}},
		{ID: "t4", Artist: "A", Album: "Z", Genres: []string{"jazz"}}, // held out, but shares artist A with t1, t2
	}
	hidden := []bool{false, false, false, true}
	cases := []struct {
		name   string
		filter EdgeFilter
		want   Stats
	}{
		{"all edges", EdgeFilter{}, Stats{Nodes: 12, Tracks: 4, Artists: 2, Albums: 3, Genres: 3, Edges: 16,
			TrackGenre: 5, TrackArtist: 4, TrackAlbum: 4, AlbumArtist: 3}},
		{"no genres", EdgeFilter{NoGenres: true}, Stats{Nodes: 9, Tracks: 4, Artists: 2, Albums: 3, Edges: 11,
			TrackArtist: 4, TrackAlbum: 4, AlbumArtist: 3}},
		{"training genres only", EdgeFilter{GenreTracks: []bool{true, true, true, false}}, Stats{Nodes: 11,
			Tracks: 4, Artists: 2, Albums: 3, Genres: 2, Edges: 15, TrackGenre: 4, TrackArtist: 4, TrackAlbum: 4,
			AlbumArtist: 3}},
		// t4 loses its edge to the shared artist A and so does its album Z (only t4 links Z): t4 keeps Z alone.
		{"leak-free", LeakFree(hidden), Stats{Nodes: 9, Tracks: 4, Artists: 2, Albums: 3, Edges: 9,
			TrackArtist: 3, TrackAlbum: 4, AlbumArtist: 2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := BuildFiltered(tracks, c.filter)
			s := g.Stats()
			s.MinDegree, s.MaxDegree, s.MeanDegree, s.Isolated = 0, 0, 0, 0
			if s != c.want {
				t.Fatalf("Stats = %+v\nwant    %+v", s, c.want)
			}
		})
	}
	g := BuildFiltered(tracks, LeakFree(hidden))
	r := reachable(g, 3)
	for v := range 3 {
		if r[v] {
			t.Errorf("held-out track t4 reaches training track %s in the leak-free graph", tracks[v].ID)
		}
	}
	if s := LeakFree(hidden).String(); !strings.Contains(s, "no genre edges") || !strings.Contains(s, "1 held-out") {
		t.Errorf("LeakFree.String() = %q", s)
	}
}

// On the synthetic corpus (artists share genres), held-out tracks are connected to the training tracks only
// through genre nodes: the full graph connects them, the leak-free one never does.
func TestLeakFreeSeparatesHeldOutArtists(t *testing.T) {
	tracks := synthTracks()
	hidden := make([]bool, len(tracks))
	for i, tr := range tracks {
		hidden[i] = tr.Artist == "artist0" || tr.Artist == "artist7"
	}
	full := Build(tracks)
	if r := reachable(full, 0); !r[len(tracks)-1] {
		t.Fatal("the full synthetic graph should be connected")
	}
	g := BuildFiltered(tracks, LeakFree(hidden))
	for i := range tracks {
		if !hidden[i] {
			continue
		}
		r := reachable(g, i)
		for j := range tracks {
			if r[j] && !hidden[j] {
				t.Fatalf("held-out track %s reaches training track %s", tracks[i].ID, tracks[j].ID)
			}
			if r[j] && tracks[j].Artist != tracks[i].Artist {
				t.Fatalf("held-out track %s reaches another artist's track %s", tracks[i].ID, tracks[j].ID)
			}
		}
	}
	f, err := FeaturesFiltered(tracks, "randne", 16, 1, LeakFree(hidden))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(f.Source, "no genre edges") {
		t.Errorf("Source = %q, want the filter described", f.Source)
	}
}
