package library

import (
	"math"
	"math/rand/v2"
	"testing"
)

// synthetic builds a library of albums × tracksPerAlbum tracks whose "musicnn" features cluster by album
// (noise 0.3 around a random centre) and whose "mel-stats" features are pure noise.
func synthetic(albums, tracksPerAlbum int) *Library {
	rng := rand.New(rand.NewPCG(3, 4))
	const dim = 16
	l := &Library{Dir: "synthetic", Sets: map[string]*Features{}, byID: map[string]int{}}
	good := &Features{Name: SetMusicnn, Dim: dim}
	noise := &Features{Name: SetMelStats, Dim: dim}
	for a := range albums {
		centre := make([]float32, dim)
		for j := range centre {
			centre[j] = float32(rng.NormFloat64())
		}
		for k := range tracksPerAlbum {
			id := string(rune('a'+a)) + string(rune('0'+k))
			l.byID[id] = len(l.Tracks)
			l.Tracks = append(l.Tracks, Track{ID: id, Path: id + ".ogg", Album: "album " + string(rune('A'+a)),
				Artist: "artist " + string(rune('A'+a/2)), Folder: "f"})
			for j := range dim {
				good.Data = append(good.Data, centre[j]+float32(0.3*rng.NormFloat64()))
				noise.Data = append(noise.Data, float32(rng.NormFloat64()))
			}
		}
	}
	l.Sets[SetMusicnn], l.Sets[SetMelStats] = good, noise
	return l
}

func TestEvaluate(t *testing.T) {
	l := synthetic(6, 12)
	rep, err := l.Evaluate("album")
	if err != nil {
		t.Fatal(err)
	}
	if rep.N != 72 || rep.Queries != 72 || rep.Labels != 6 {
		t.Fatalf("n=%d queries=%d labels=%d", rep.N, rep.Queries, rep.Labels)
	}
	good, noise, chance := rep.Metrics[SetMusicnn], rep.Metrics[SetMelStats], rep.Metrics[ChanceRow]
	// 11 other tracks of the same album: a perfect ranking has precision@10 = 1, map@10 = 1, k-NN = 1.
	if math.Abs(good["precision@10"]-1) > 1e-9 || math.Abs(good["map@10"]-1) > 1e-9 ||
		good["knn_accuracy@10"] != 1 {
		t.Errorf("clustered features: %v, want precision 1, map 1, knn 1", good)
	}
	// Chance precision@10 = 11/71 per query (11 relevant among 71 candidates, 10 drawn).
	if p := chance["precision@10"]; math.Abs(p-11.0/71) > 0.01 {
		t.Errorf("chance precision@10 = %.4f, want ≈ %.4f", p, 11.0/71)
	}
	if noise["precision@10"] > 0.3 {
		t.Errorf("noise features: precision@10 = %.3f, should be near chance", noise["precision@10"])
	}
	// Two albums per artist: excluding the query's artist removes every relevant track.
	if _, ok := good["other_artist_precision@10"]; ok && good["other_artist_queries"] != 0 {
		t.Errorf("other-artist metrics computed for %v queries: every album has one artist", good["other_artist_queries"])
	}
	if _, err := l.Evaluate("mood"); err == nil {
		t.Error("an unknown label should be an error")
	}
	if _, err := synthetic(3, 1).Evaluate("album"); err == nil {
		t.Error("a library where no two tracks share the label should be an error")
	}
}

// TestTopMetrics checks precision, AP and the k-NN vote against hand-worked rankings.
func TestTopMetrics(t *testing.T) {
	labels := []string{"q", "q", "x", "q", "y", "y"}
	// Query 0; ranking: x(2), q(1), y(4), q(3), y(5). Relevant at ranks 2 and 4 → precision 2/10,
	// AP = (1/2 + 2/4)/2 = 0.5; votes: y 2, q 2, x 1 → tie between y and q broken by the nearer: q (rank 2)
	// comes before y (rank 3).
	p, ap, knn := topMetrics(0, []int{2, 1, 4, 3, 5}, labels)
	if math.Abs(p-0.2) > 1e-12 || math.Abs(ap-0.5) > 1e-12 || knn != 1 {
		t.Errorf("got precision %v, AP %v, knn %v; want 0.2, 0.5, 1", p, ap, knn)
	}
	_, _, knn = topMetrics(0, []int{4, 5, 1, 2}, labels)
	if knn != 0 {
		t.Errorf("majority y should not be the query's label")
	}
}

func TestSearch(t *testing.T) {
	l := &Library{Tracks: []Track{{ID: "a"}, {ID: "b"}, {ID: "c"}}, Sets: map[string]*Features{}}
	f := &Features{Name: SetMusicnnTags, Dim: 100, Data: make([]float32, 300)}
	for i := range 3 {
		for j := range 100 {
			f.Data[i*100+j] = 0.1
		}
	}
	f.Data[1*100+11] = 0.9 // track b: high "msd:metal"
	f.Data[2*100+0] = 0.9  // track c: high "msd:rock"
	l.Sets[SetMusicnnTags] = f
	w := make([]float64, 100)
	w[11] = 1
	res, err := l.Search(w, 3)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].ID != "b" {
		t.Errorf("a query weighting msd:metal ranks %s first, want b", res[0].ID)
	}
	if TagNames()[11] != "msd:metal" || len(TagNames()) != 100 {
		t.Errorf("tag names: %d, [11] = %s", len(TagNames()), TagNames()[11])
	}
}
