package cmir

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/melon/melontest"
	"github.com/musicrep/musicrep/musicrep/objective"
)

// TestColdStartContinuation: on genre-coherent playlists, genre-revealing embeddings (one-hot of the top genre,
// and the raw mel statistics whose band profile depends on the genre) beat a random ranking's expected HR@k.
func TestColdStartContinuation(t *testing.T) {
	_, d := preparedSynthetic(t)
	oneHot := &musicrep.Embeddings{Name: "genre one-hot", Dim: 3}
	for _, s := range d.Songs {
		v := make([]float32, 3)
		v[s.Top] = 1
		oneHot.IDs = append(oneHot.IDs, fmt.Sprint(s.ID))
		oneHot.Data = append(oneHot.Data, v...)
	}
	const k = 2
	chance := float64(k) / float64(len(d.Test))
	raw, err := RawMelStats(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []*musicrep.Embeddings{oneHot, raw} {
		res := ColdStartContinuation(d, e, k)
		t.Logf("%s: HR@%d %.3f nDCG %.3f over %d playlists (chance %.3f)", e.Name, k, res.HitRate, res.NDCG, res.Playlists, chance)
		if res.Playlists == 0 || res.HitRate < 1.5*chance {
			t.Errorf("%s: HR@%d %.3f not above chance %.3f", e.Name, k, res.HitRate, chance)
		}
	}
}

// TestLinearProbe: genre-revealing raw features give accurate probes on the synthetic data.
func TestLinearProbe(t *testing.T) {
	_, d := preparedSynthetic(t)
	raw, err := RawMelStats(d)
	if err != nil {
		t.Fatal(err)
	}
	p, err := LinearProbe(d, raw)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("raw mel stats: %+v", *p)
	if p.Accuracy < 0.8 || p.GenreROCAUC < 0.9 {
		t.Errorf("probe on genre-dependent features: %+v", *p)
	}
}

// TestRunReportTiny runs the whole task table on the synthetic dataset with the tiny preset.
func TestRunReportTiny(t *testing.T) {
	dir := melontest.Write(t, 62)
	out := t.TempDir()
	rep, err := RunReport(context.Background(), ReportOptions{Dataset: dir, Name: "tiny", Preset: "tiny", Epochs: 1,
		CFFactors: 8, CheckpointRoot: out, ResultsRoot: out, Variants: []objective.Variant{objective.MIRFull, objective.MIRBaselineGn},
		LearningRates: []float64{1e-4, 1e-3}, Joint: "joint_dim=16;joint_hidden=32"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != 7 {
		t.Fatalf("%d rows", len(rep.Rows))
	}
	// The joint model with the CNN: trained by the same trainer with the same tuning, scored from audio alone in its
	// 16-d shared space; no constant predictor (its loss is not one of the variants').
	if j := rep.Rows[2]; j.Name != JointRowName || j.Dim != 16 || len(j.Trials) != 2 || j.BeatsConstant != nil ||
		j.Kind != "learned" || j.Metrics["genre_accuracy"] <= 0 {
		t.Errorf("joint row %+v", j)
	}
	for _, r := range rep.Rows[:2] {
		// Tuned: one trial per learning rate, the row is the lowest best validation loss, with its constant.
		if len(r.Trials) != 2 || r.BeatsConstant == nil || !(r.ConstantLoss > 0) {
			t.Fatalf("row %s: trials %+v, constant %g", r.Name, r.Trials, r.ConstantLoss)
		}
		for _, tr := range r.Trials {
			if tr.BestValLoss < r.ValLoss {
				t.Errorf("row %s kept val loss %g but lr %g had %g", r.Name, r.ValLoss, tr.LearningRate, tr.BestValLoss)
			}
		}
		if *r.BeatsConstant != (r.ValLoss < r.ConstantLoss) {
			t.Errorf("row %s: beats_constant %v with %g vs %g", r.Name, *r.BeatsConstant, r.ValLoss, r.ConstantLoss)
		}
	}
	for _, r := range rep.Rows[5:] {
		if r.Kind != "oracle" || len(r.Metrics) != 2 {
			t.Errorf("oracle row %+v", r)
		}
	}
	for _, r := range rep.Rows[:4] { // learned rows and the untrained CNN: intervals around the value, paired with raw
		acc, ok := r.CI95["genre_accuracy"]
		if _, paired := r.VsRaw["continuation_hr@10"]; !ok || !paired || acc.Lo > acc.Value || acc.Hi < acc.Value ||
			acc.Value != r.Metrics["genre_accuracy"] {
			t.Errorf("row %s: intervals %+v, vs raw %+v", r.Name, r.CI95, r.VsRaw)
		}
	}
	md, err := os.ReadFile(filepath.Join(out, "tiny.md"))
	if err != nil || !strings.Contains(string(md), "| contrastive | learned |") ||
		!strings.Contains(string(md), "raw mel statistics") {
		t.Fatalf("report: %v\n%s", err, md)
	}
	t.Log("\n" + string(md))
	// Run again over the same checkpoints (nothing left to train): every row, the untrained CNN's included,
	// must come out the same.
	rep2, err := RunReport(context.Background(), ReportOptions{Dataset: dir, Name: "tiny", Preset: "tiny", Epochs: 1,
		CFFactors: 8, CheckpointRoot: out, ResultsRoot: out, Variants: []objective.Variant{objective.MIRFull, objective.MIRBaselineGn},
		LearningRates: []float64{1e-4, 1e-3}, Joint: "joint_dim=16;joint_hidden=32"})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rep.Rows {
		if !reflect.DeepEqual(r.Metrics, rep2.Rows[i].Metrics) {
			t.Errorf("row %q changed between two runs: %v, then %v", r.Name, r.Metrics, rep2.Rows[i].Metrics)
		}
	}
}

// TestMetadataContinuation: playlists drawn within one genre (3 genres × 8 test songs each): the same-genre
// oracle ranks the 8 held-out songs of the playlist's genre first (HR@10 = 1); the same-artist oracle, with
// no artist shared across the split, ranks at random (far below 1).
func TestMetadataContinuation(t *testing.T) {
	d := &Data{}
	for i := range 60 {
		d.Songs = append(d.Songs, Song{ID: i, Top: i % 3, Artists: []int{i}})
		if i >= 36 {
			d.Test = append(d.Test, i)
		}
	}
	for g := range 3 {
		var p []int
		for i := g; i < 60; i += 3 {
			p = append(p, i)
		}
		d.Playlists = append(d.Playlists, p)
	}
	genre, hits, err := MetadataContinuation(d, "genre", 10, 1)
	if err != nil || genre.HitRate != 1 || len(hits.Hits) != 3 || hits.Hits[0] != 8 {
		t.Errorf("genre oracle: %+v, %+v, %v", genre, hits, err)
	}
	artist, _, err := MetadataContinuation(d, "artist", 10, 1)
	if err != nil || artist.HitRate > 0.8 {
		t.Errorf("artist oracle without shared artists: %+v, %v", artist, err)
	}
	if _, _, err := MetadataContinuation(d, "album", 10, 1); err == nil {
		t.Error("an unknown key was accepted")
	}
}

// With test.json playlists marked, continuation scores those only (their listeners' playlists never reached CF).
func TestContinuationOnHeldPlaylistsOnly(t *testing.T) {
	d := &Data{Test: []int{4, 5}, Playlists: [][]int{{0, 1, 4}, {2, 3, 5}, {0, 2, 5}},
		HeldPlaylist: []bool{false, true, false}}
	isTest := map[int]int{4: 0, 5: 1}
	got := continuationPlaylists(d, isTest)
	if len(got) != 1 || len(got[0].held) != 1 || got[0].held[0] != 1 || len(got[0].visible) != 2 {
		t.Fatalf("continuation playlists %+v, want only the held-out playlist {2 3 | 5}", got)
	}
	d.HeldPlaylist = nil // hand-built data without the marks: every playlist
	if got := continuationPlaylists(d, isTest); len(got) != 3 {
		t.Errorf("without marks: %d playlists, want 3", len(got))
	}
}
