package space

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/musicrep/musicrep/musicrep"
)

// clustered builds tracks of 4 artists whose vectors are the artist's centre plus small noise.
func clustered(t *testing.T, noise float64) *Space {
	t.Helper()
	rng := rand.New(rand.NewPCG(5, 6))
	const dim, perArtist = 8, 12
	var tracks []musicrep.Track
	var data []float32
	for a := range 4 {
		centre := make([]float64, dim)
		for j := range centre {
			centre[j] = rng.NormFloat64() * 3
		}
		for i := range perArtist {
			tracks = append(tracks, musicrep.Track{ID: fmt.Sprintf("id%d_%d", a, i), Title: fmt.Sprintf("song %d", i),
				Artist: fmt.Sprintf("Artist %d", a), Genres: []string{fmt.Sprintf("G%d", a%2)}})
			for j := range dim {
				data = append(data, float32(centre[j]+noise*rng.NormFloat64()))
			}
		}
	}
	s, err := New("synthetic", tracks, data, dim)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNearestAndCentroids(t *testing.T) {
	s := clustered(t, 0.1)
	i, err := s.Find("song 3 — Artist 2")
	if err != nil {
		t.Fatal(err)
	}
	nbs := s.Nearest(s.Row(i), 5, func(r int) bool { return r == i })
	if len(nbs.List) != 5 {
		t.Fatalf("%d neighbours, want 5", len(nbs.List))
	}
	for j, nb := range nbs.List {
		if nbs.Track(j).Artist != "Artist 2" || nb.Index == i {
			t.Errorf("neighbour %s of %s", nbs.Track(j).Artist, s.Tracks[i].Artist)
		}
	}
	for j := 1; j < len(nbs.List); j++ {
		if nbs.List[j].Dist < nbs.List[j-1].Dist {
			t.Error("neighbours not sorted by distance")
		}
	}
	c := s.ArtistCentroid("artist 1")
	var want float64
	for r := 12; r < 24; r++ {
		want += float64(s.Row(r)[0])
	}
	if d := float64(c[0]) - want/12; d > 1e-5 || d < -1e-5 {
		t.Errorf("centroid[0] = %v, want %v", c[0], want/12)
	}
	if s.GenreCentroid("nope") != nil {
		t.Error("centroid of an empty group should be nil")
	}
	if _, err := s.Find("no such song"); err == nil {
		t.Error("Find of an unknown track should fail")
	}
}

// TestAnalogy: with tight artist clusters, track − own artist + other artist lands in the other artist's
// cluster every time, while the unmodified track almost never does.
func TestAnalogy(t *testing.T) {
	s := clustered(t, 0.1)
	r, err := Analogy(s, "artist", AnalogyOptions{K: 5, Queries: 100, Seed: 1, MaxGroups: 4})
	if err != nil {
		t.Fatal(err)
	}
	if r.HitRate != 1 || r.Baseline != 0 {
		t.Errorf("hit rate %.2f (want 1), baseline %.2f (want 0)", r.HitRate, r.Baseline)
	}
	if r.ChanceRate <= 0 || r.ChanceRate >= 1 {
		t.Errorf("chance rate %v", r.ChanceRate)
	}
	// Pure noise: with K=1 the hit rate stays near chance (≈ 12/47).
	noisy := clustered(t, 100)
	r2, err := Analogy(noisy, "artist", AnalogyOptions{K: 1, Queries: 300, Seed: 1, MaxGroups: 4})
	if err != nil {
		t.Fatal(err)
	}
	if r2.HitRate > r2.ChanceRate+0.2 {
		t.Errorf("noise space scored %.2f, chance %.2f", r2.HitRate, r2.ChanceRate)
	}
	if _, err := Analogy(s, "mood", AnalogyOptions{}); err == nil {
		t.Error("unknown kind accepted")
	}
}
