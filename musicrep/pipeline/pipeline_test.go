package pipeline

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/corpus"
	"github.com/musicrep/musicrep/musicrep/inference"
	"github.com/musicrep/musicrep/musicrep/results"
)

func fairouz(t *testing.T) *Fairouz {
	t.Helper()
	dir, err := corpus.DataDir("")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	f, err := LoadFairouz(dir, []musicrep.Modality{musicrep.Audio, musicrep.Graph})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestHeldoutTrainingDataStaysInSplit(t *testing.T) {
	f := fairouz(t)
	split, err := MakeSplit(f.Corpus, DefaultSplitSeed, DefaultTestFraction)
	if err != nil {
		t.Fatal(err)
	}
	d, err := f.TrainingData(f.Pairs51k, []musicrep.Modality{musicrep.Graph, musicrep.Audio}, split)
	if err != nil {
		t.Fatal(err)
	}
	test := map[int]bool{}
	for _, r := range split.Test {
		test[r] = true
	}
	for i := range d.Anchor {
		if test[int(d.Anchor[i])] || test[int(d.Other[i])] {
			t.Fatalf("pair %d touches test track", i)
		}
	}
	if d.Features[0].Modality != musicrep.Audio || len(d.Anchor) >= 51640 || len(d.Anchor) == 0 {
		t.Errorf("features %s first, %d pairs", d.Features[0].Modality, len(d.Anchor))
	}
	artists := map[string]bool{}
	for _, r := range split.Train {
		artists[strings.ToLower(f.Corpus.Tracks[r].Artist)] = true
	}
	for _, r := range split.Test {
		if artists[strings.ToLower(f.Corpus.Tracks[r].Artist)] {
			t.Fatalf("artist %q on both sides", f.Corpus.Tracks[r].Artist)
		}
	}
}

func TestBaselines(t *testing.T) {
	f := fairouz(t)
	b := Baselines(f.Corpus, nil)
	if len(b) != 3 || b[2].Dim != 256 {
		t.Fatalf("baselines: %d sets, last dim %d", len(b), b[len(b)-1].Dim)
	}
	if !b[1].Leaks || !strings.Contains(b[1].Note, "LEAKS") || !b[2].Leaks || b[0].Leaks {
		t.Errorf("leak marks: audio %v, graph %v (%q), concat %v", b[0].Leaks, b[1].Leaks, b[1].Note, b[2].Leaks)
	}
	// Each half of a concatenated row has unit norm (the raw graph rows have norms 9–18).
	for _, row := range []int{0, 100, 821} {
		for half := range 2 {
			var s float64
			for _, v := range b[2].Data[row*256+half*128 : row*256+(half+1)*128] {
				s += float64(v) * float64(v)
			}
			if math.Abs(s-1) > 1e-5 {
				t.Errorf("row %d half %d has squared norm %v", row, half, s)
			}
		}
	}
}

func TestLoadEmbeddingsErrors(t *testing.T) {
	f := fairouz(t)
	dir := t.TempDir()
	ids := IDs(f.Corpus)
	data := make([]float32, len(ids)*2)
	// Missing tracks.
	p := filepath.Join(dir, "short.json")
	if err := corpus.WriteVectorsJSON(p, ids[:10], data[:20], 2); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadEmbeddings(p, f.Corpus); err == nil || !strings.Contains(err.Error(), "812 tracks") {
		t.Errorf("missing tracks: %v", err)
	}
	// Unknown id.
	bad := append([]string{"idNOTATRACK"}, ids[1:]...)
	p = filepath.Join(dir, "unknown.json")
	if err := corpus.WriteVectorsJSON(p, bad, data, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadEmbeddings(p, f.Corpus); err == nil || !strings.Contains(err.Error(), "idNOTATRACK") {
		t.Errorf("unknown id: %v", err)
	}
	// The published file loads and is joined by id.
	e, err := LoadEmbeddings(f.Published, f.Corpus)
	if err != nil {
		t.Fatal(err)
	}
	if e.Dim != 128 {
		t.Errorf("published dim %d", e.Dim)
	}
}

func TestHeldoutEvaluationReal(t *testing.T) {
	f := fairouz(t)
	split, err := MakeSplit(f.Corpus, DefaultSplitSeed, DefaultTestFraction)
	if err != nil {
		t.Fatal(err)
	}
	base, err := f.HeldoutBaselines(split, nil)
	if err != nil {
		t.Fatal(err)
	}
	tab, err := HeldoutEvaluation(f.Corpus, split, HeldoutOptions{Resamples: 300}, base)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]results.Row{}
	for _, r := range tab.Rows {
		rows[r.Name] = r
		for k, v := range r.Metrics {
			if ci, ok := r.CI95[k]; !ok || ci[0] > v+1e-12 || ci[1] < v-1e-12 {
				t.Errorf("%s %s = %v, interval %v does not contain it", r.Name, k, v, ci)
			}
		}
	}
	audio, leaky, leakFree := rows["raw audio"], rows["raw graph (binding_music's RandNE)"], rows["raw graph (leak-free RandNE)"]
	chance, majority := rows["chance"], rows[`majority (always "Rock")`]
	if !leaky.Leaks || leakFree.Leaks || audio.Leaks {
		t.Errorf("leak marks: binding_music's graph %v, leak-free graph %v, audio %v", leaky.Leaks, leakFree.Leaks, audio.Leaks)
	}
	// The published graph was built from genre links: it must beat audio at genre retrieval by a wide margin,
	// while the leak-free graph knows only artists and albums: below chance once same-artist tracks are gone.
	key := "other_artist_precision@10"
	if !(leaky.Metrics[key] > audio.Metrics[key]+0.2) || !(leakFree.Metrics[key] < chance.Metrics[key]+0.02) {
		t.Errorf("%s: leaking graph %.3f, leak-free graph %.3f, audio %.3f, chance %.3f", key, leaky.Metrics[key],
			leakFree.Metrics[key], audio.Metrics[key], chance.Metrics[key])
	}
	// Chance: P@10 is the mean share of relevant candidates (~0.18 here); majority "Rock" k-NN ~0.31.
	if p := chance.Metrics["precision@10"]; p < 0.15 || p > 0.21 {
		t.Errorf("chance precision@10 = %.3f", p)
	}
	if a := majority.Metrics["knn_genre_accuracy@10"]; a < 0.25 || a > 0.37 {
		t.Errorf("majority accuracy = %.3f", a)
	}
	if len(tab.DuplicatesRemoved) != 2 {
		t.Errorf("duplicates removed: %v, want the 2 exact audio duplicates of the test split", tab.DuplicatesRemoved)
	}
	if tab.NumQueries == 0 || tab.NumQueries > len(split.Test) {
		t.Errorf("%d queries for %d test tracks", tab.NumQueries, len(split.Test))
	}
	md := tab.Markdown(nil)
	if !strings.Contains(md, "raw audio") || !strings.Contains(md, "knn_genre_accuracy@10") || !strings.Contains(md, "LEAKS") {
		t.Errorf("markdown lacks rows or columns:\n%s", md)
	}
	// Baselines are not compared with each other: only learned rows get comparisons.
	if len(tab.Comparisons) != 0 {
		t.Errorf("comparisons among baselines: %v", tab.Comparisons)
	}
}

// TestSummarize checks the data summary against the counts published in SEEDS_SPEC A1.
func TestSummarize(t *testing.T) {
	s, err := Summarize(fairouz(t))
	if err != nil {
		t.Fatal(err)
	}
	if s.Tracks != 822 || len(s.Artists) != 309 || len(s.Genres) != 29 || s.WithLyrics != 773 || s.Albums != 545 {
		t.Errorf("tracks %d artists %d genres %d lyrics %d albums %d", s.Tracks, len(s.Artists), len(s.Genres),
			s.WithLyrics, s.Albums)
	}
	if s.Artists[0].Label != "The Weeknd" || s.Artists[0].N != 83 || s.Genres[0] != (Count{"Rock", 187}) {
		t.Errorf("top artist %v, top genre %v", s.Artists[0], s.Genres[0])
	}
	want := []int{52, 638, 73, 49, 4, 6}
	for k, n := range want {
		if s.GenresPerTrack[k] != n {
			t.Errorf("%d tracks with %d genres, want %d", s.GenresPerTrack[k], k, n)
		}
	}
	// SEEDS_SPEC A1.3: same-artist rate 20.8% of positives vs 0.2% of negatives in the 51k file.
	p := s.Pairs[1]
	if p.Pairs != 51640 || p.SameArtistPositives < 0.2 || p.SameArtistPositives > 0.216 || p.SameArtistNegatives > 0.005 {
		t.Errorf("51k pairs: %+v", p)
	}
}

func TestClusteringAndMaps(t *testing.T) {
	f := fairouz(t)
	rows, labels, names := PrimaryGenres(f.Corpus.Tracks, 8)
	if len(names) != 8 || len(rows) != len(labels) || len(rows) < 500 {
		t.Fatalf("%d genres, %d tracks", len(names), len(rows))
	}
	base := Baselines(f.Corpus, nil)
	tab, err := Clustering(f.Corpus, base[:2], ClusteringOptions{Seed: 1, NInit: 2})
	if err != nil {
		t.Fatal(err)
	}
	audio, graph := tab.Rows[0].Metrics, tab.Rows[1].Metrics
	// The graph was built from genre links: its clusters must agree with genre far more than audio's.
	if !(graph["nmi"] > audio["nmi"]) || audio["nmi"] <= 0 || audio["nmi"] >= 1 {
		t.Errorf("NMI audio %.3f graph %.3f", audio["nmi"], graph["nmi"])
	}
	xy, err := Map2D(base[0], "pca")
	if err != nil || len(xy) != 2*len(f.Corpus.Tracks) {
		t.Fatalf("pca map: %v, %d values", err, len(xy))
	}
	if _, err := Map2D(base[0], "umap"); err == nil {
		t.Error("unknown map method accepted")
	}
}

func TestWithValidation(t *testing.T) {
	f := fairouz(t)
	split, err := MakeSplit(f.Corpus, DefaultSplitSeed, DefaultTestFraction)
	if err != nil {
		t.Fatal(err)
	}
	v, err := split.WithValidation(f.Corpus, DefaultValFraction)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(v.Test, split.Test) || len(v.Train)+len(v.Val) != len(split.Train) {
		t.Fatalf("validation split: %s (from %s)", v, split)
	}
	if got := float64(len(v.Val)) / float64(len(split.Train)); math.Abs(got-DefaultValFraction) > 0.03 {
		t.Errorf("validation share %.3f, want about %.2f", got, DefaultValFraction)
	}
	side := map[string]string{}
	for name, rows := range map[string][]int{"train": v.Train, "val": v.Val, "test": v.Test} {
		for _, r := range rows {
			a := strings.ToLower(strings.TrimSpace(f.Corpus.Tracks[r].Artist))
			if s, ok := side[a]; ok && s != name {
				t.Fatalf("artist %q is in %s and %s", a, s, name)
			}
			side[a] = name
		}
	}
	if _, err := split.WithValidation(f.Corpus, 1.5); err == nil {
		t.Error("fraction 1.5 accepted")
	}
}

// A held-out run with a validation split scores every epoch's checkpoint on the validation tracks, keeps the
// best in <run>/best and exports that one; resuming with more epochs continues the same curve.
func TestHeldoutSelection(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	f := fairouz(t)
	dir := t.TempDir()
	opt := TrainOptions{Name: "sel", Preset: "tiny", Settings: "pairs=6k;num_epochs=3", Heldout: true,
		ValFraction: DefaultValFraction, CheckpointRoot: filepath.Join(dir, "ck"), EmbeddingsRoot: filepath.Join(dir, "emb")}
	res, err := TrainAndExport(context.Background(), f, opt)
	if err != nil {
		t.Fatal(err)
	}
	sel := res.Selection
	if sel == nil || len(sel.Curve) != 3 {
		t.Fatalf("selection %+v, want a curve over 3 epochs", sel)
	}
	for e, v := range sel.Curve {
		if v > sel.Best || (v == sel.Best && e < sel.BestEpoch) {
			t.Errorf("epoch %d scored %v, but epoch %d (%v) was kept", e, v, sel.BestEpoch, sel.Best)
		}
	}
	// The exported embeddings are those of the kept checkpoint, embedded with the run's leak-free graph.
	m, err := inference.Load(filepath.Join(dir, "ck", "sel", BestDir), nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Meta.Epoch != sel.BestEpoch {
		t.Errorf("best/ holds epoch %d, selection says %d", m.Meta.Epoch, sel.BestEpoch)
	}
	lf, err := f.ForCheckpoint(m.Meta.Info)
	if err != nil {
		t.Fatal(err)
	}
	want, err := m.EmbedCorpus(lf.Corpus)
	if err != nil {
		t.Fatal(err)
	}
	got, err := LoadEmbeddings(res.EmbeddingsJSON, f.Corpus)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Data, want) {
		t.Error("exported embeddings are not the best checkpoint's")
	}
	// Resume to 4 epochs: the curve gains one epoch, the first three are kept.
	opt.Settings = "pairs=6k;num_epochs=4"
	res2, err := TrainAndExport(context.Background(), f, opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(res2.Selection.Curve) != 4 || res2.Selection.Curve[2] != sel.Curve[2] {
		t.Errorf("resumed curve %v, first run %v", res2.Selection.Curve, sel.Curve)
	}
	// Another split on resume is refused.
	opt.SplitSeed = 7
	if _, err := TrainAndExport(context.Background(), f, opt); err == nil || !strings.Contains(err.Error(), "another split") {
		t.Errorf("resume on another split: %v", err)
	}
}

// binding_music's pair files hold a few self-pairs and contradictory pairs (counted independently in Python
// with sets: 51k file 1 self-pair and 511 anchor–other pairs in both lists, 6k file 0 and 3).
func TestPairOdditiesReal(t *testing.T) {
	f := fairouz(t)
	for _, c := range []struct {
		file       string
		self, both int
	}{{f.Pairs51k, 1, 511}, {f.Pairs6k, 0, 3}} {
		p, _, err := corpus.LoadPairs(c.file, f.Corpus.Index)
		if err != nil {
			t.Fatal(err)
		}
		if self, both := p.Oddities(); self != c.self || both != c.both {
			t.Errorf("%s: %d self-pairs, %d contradictory; want %d, %d", c.file, self, both, c.self, c.both)
		}
	}
}

// A collapsed embedding (every track the same vector) is scored, but its row says so.
func TestCollapsedEmbeddingsFlagged(t *testing.T) {
	f := fairouz(t)
	split, err := MakeSplit(f.Corpus, DefaultSplitSeed, DefaultTestFraction)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]float32, 4*len(f.Corpus.Tracks))
	for i := range data {
		data[i] = 0.5
	}
	e := &musicrep.Embeddings{Name: "flat", Kind: "learned", IDs: IDs(f.Corpus), Dim: 4, Data: data}
	tab, err := HeldoutEvaluation(f.Corpus, split, HeldoutOptions{Resamples: 50, NoChance: true}, []*musicrep.Embeddings{e})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tab.Rows[0].Note, "COLLAPSED") {
		t.Errorf("note %q", tab.Rows[0].Note)
	}
}
