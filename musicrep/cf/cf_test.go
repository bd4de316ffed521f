package cf

import (
	"encoding/json"
	"math"
	"os"
	"testing"
	"time"
)

type golden struct {
	NumItems  int     `json:"num_items"`
	Visible   [][]int `json:"visible"`
	HeldOut   [][]int `json:"held_out"`
	Reference struct {
		Implicit struct {
			HR      float64 `json:"hr@10"`
			NDCG    float64 `json:"ndcg@10"`
			Seconds float64 `json:"fit_seconds"`
		} `json:"implicit_bpr"`
	} `json:"reference"`
}

func loadGolden(t testing.TB) *golden {
	b, err := os.ReadFile("testdata/cf_synthetic.json")
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return &g
}

// TestBPRMatchesImplicit trains on the synthetic playlists of scripts/golden/cf.py with the same settings as the
// implicit package's reference run (64 factors, 60 epochs, lr 0.05, reg 0.01) and requires playlist-continuation
// quality within 15 % of implicit's BPR, and far above the popularity baseline.
func TestBPRMatchesImplicit(t *testing.T) {
	g := loadGolden(t)
	start := time.Now()
	m, err := Train(g.Visible, g.NumItems, Options{Factors: 64, Epochs: 60, LearningRate: 0.05, Reg: 0.01, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	got := Evaluate(m.Score, g.Visible, g.HeldOut, 10)
	pop := Evaluate(Popularity(g.Visible, g.NumItems), g.Visible, g.HeldOut, 10)
	ref := g.Reference.Implicit
	t.Logf("musicrep BPR HR@10 %.4f nDCG@10 %.4f (%s); implicit BPR %.4f / %.4f (%.2f s); popularity %.4f / %.4f",
		got.HitRate, got.NDCG, time.Since(start).Round(time.Millisecond), ref.HR, ref.NDCG, ref.Seconds, pop.HitRate, pop.NDCG)
	if got.HitRate < 0.85*ref.HR || got.NDCG < 0.85*ref.NDCG {
		t.Errorf("HR@10 %.4f / nDCG@10 %.4f: more than 15 %% below implicit's %.4f / %.4f", got.HitRate, got.NDCG,
			ref.HR, ref.NDCG)
	}
	if got.HitRate < 2*pop.HitRate {
		t.Errorf("HR@10 %.4f is not twice the popularity baseline %.4f", got.HitRate, pop.HitRate)
	}
	vecs := m.ItemVectors()
	if len(vecs) != g.NumItems*65 || vecs[64] != m.ItemBias[0] {
		t.Error("ItemVectors: want [factors, bias] per item")
	}
}

// TestEvaluateByHand checks the metrics on a hand-computed ranking.
func TestEvaluateByHand(t *testing.T) {
	scores := func(int) []float32 { return []float32{5, 4, 3, 2, 1} } // ranking 0,1,2,3,4
	// Item 0 is visible (excluded), so the top 2 are items 1 and 2; held out: 2 and 4.
	res := Evaluate(scores, [][]int{{0}}, [][]int{{2, 4}}, 2)
	if res.HitRate != 0.5 || res.HeldOut != 2 || res.Playlists != 1 {
		t.Fatalf("%+v", res)
	}
	want := (1 / math.Log2(3)) / (1 + 1/math.Log2(3)) // hit at rank 2; ideal: ranks 1 and 2
	if math.Abs(res.NDCG-want) > 1e-12 {
		t.Errorf("nDCG %.6f, want %.6f", res.NDCG, want)
	}
}

func TestTrainErrorsAndDeterminism(t *testing.T) {
	if _, err := Train([][]int{{0, 5}}, 3, Options{}); err == nil {
		t.Error("item out of range accepted")
	}
	if _, err := Train([][]int{{}}, 3, Options{}); err == nil {
		t.Error("no interactions accepted")
	}
	pl := [][]int{{0, 1}, {1, 2}, {2, 3}}
	a, _ := Train(pl, 5, Options{Factors: 4, Epochs: 3, Seed: 9})
	b, _ := Train(pl, 5, Options{Factors: 4, Epochs: 3, Seed: 9})
	for i := range a.Item {
		if a.Item[i] != b.Item[i] {
			t.Fatal("two runs with one seed differ")
		}
	}
	vis, held := HoldOut([][]int{{1, 2, 3, 4, 5}, {7}}, 0.2, 1)
	if len(vis[0]) != 4 || len(held[0]) != 1 || len(vis[1]) != 1 || len(held[1]) != 0 {
		t.Errorf("HoldOut: %v %v", vis, held)
	}
}

// BenchmarkBPRSynthetic times one training run on the synthetic data (compare with implicit's fit_seconds in
// testdata/cf_synthetic.json, measured by scripts/golden/cf.py with one thread).
func BenchmarkBPRSynthetic(b *testing.B) {
	g := loadGolden(b)
	for b.Loop() {
		if _, err := Train(g.Visible, g.NumItems, Options{Factors: 64, Epochs: 60, LearningRate: 0.05, Reg: 0.01, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}
