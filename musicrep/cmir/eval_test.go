package cmir

import (
	"testing"

	"github.com/musicrep/musicrep/musicrep/melon"
)

// TestColdStartContinuation: on genre-coherent playlists, genre-revealing embeddings (one-hot of the top genre,
// and the raw mel statistics whose band profile depends on the genre) beat a random ranking's expected HR@k.
func TestColdStartContinuation(t *testing.T) {
	ds, err := melon.Load(syntheticMelon(t, 62))
	if err != nil {
		t.Fatal(err)
	}
	d, err := Prepare(ds, PrepareOptions{Seed: 1, CFFactors: 8, CFEpochs: 5})
	if err != nil {
		t.Fatal(err)
	}
	oneHot := &Embeddings{Name: "genre one-hot", Dim: 3}
	for _, s := range d.Songs {
		v := make([]float32, 3)
		v[s.Top] = 1
		oneHot.Rows = append(oneHot.Rows, v)
	}
	const k = 2
	chance := float64(k) / float64(len(d.Test))
	for _, e := range []*Embeddings{oneHot, RawMelStats(d)} {
		res := ColdStartContinuation(d, e, k)
		t.Logf("%s: HR@%d %.3f nDCG %.3f over %d playlists (chance %.3f)", e.Name, k, res.HitRate, res.NDCG, res.Playlists, chance)
		if res.Playlists == 0 || res.HitRate < 1.5*chance {
			t.Errorf("%s: HR@%d %.3f not above chance %.3f", e.Name, k, res.HitRate, chance)
		}
	}
}
