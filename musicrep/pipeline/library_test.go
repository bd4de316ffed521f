package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/musicrep/musicrep/musicrep/corpus"
	"github.com/musicrep/musicrep/musicrep/inference"
	"github.com/musicrep/musicrep/musicrep/library"
)

// writeLibrary writes a library folder as `musicrep library scan` would: tracks.json (4 albums by 4 artists, 6
// tracks each) and the feature sets musicnn (200-d), musicnn-tags (100-d) and text (384-d), with album
// structure in the audio and tags and artist structure in the text.
func writeLibrary(t *testing.T, dir string) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 7))
	const albums, per = 4, 6
	var tracks []library.Track
	var ids []string
	dims := map[string]int{library.SetMusicnn: 200, library.SetMusicnnTags: 100, library.SetText: 384}
	centre := map[string][][]float32{}
	for s, d := range dims {
		for range albums {
			c := make([]float32, d)
			for j := range c {
				c[j] = float32(rng.NormFloat64())
			}
			centre[s] = append(centre[s], c)
		}
	}
	data := map[string][]float32{}
	for a := range albums {
		for i := range per {
			id := fmt.Sprintf("%012x", a*100+i+1)
			ids = append(ids, id)
			tracks = append(tracks, library.Track{ID: id, Path: fmt.Sprintf("album%d/%d.ogg", a, i),
				Folder: fmt.Sprintf("album%d", a), Title: fmt.Sprintf("Song %d", i), Artist: fmt.Sprintf("Artist %d", a),
				Album: fmt.Sprintf("Album %d", a), Genre: "Test", Duration: 30, Format: "ogg", SHA256: id})
			for s, d := range dims {
				for j := range d {
					v := centre[s][a][j] + 1.5*float32(rng.NormFloat64())
					if s == library.SetMusicnnTags {
						v = float32(1 / (1 + math.Exp(-float64(v))))
					}
					data[s] = append(data[s], v)
				}
			}
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, library.FeaturesDir), 0o755); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(tracks)
	if err := os.WriteFile(filepath.Join(dir, library.TracksFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	for s, d := range dims {
		if err := corpus.WriteVectorsNPY(filepath.Join(dir, library.FeaturesDir, s+".npy"), ids, data[s], d); err != nil {
			t.Fatal(err)
		}
	}
}

// TestJointOnLibrary trains the joint model on a library (audio = musicnn, text = metadata MiniLM, tags = musicnn
// tags), resumes it, embeds the library with it and scores the model's sets next to the scan's: the sets are
// marked in-sample, and the ones whose training read the metadata text as leaking album/artist/genre; a model
// without text leaks nothing. A re-scanned library leaves stale model sets out with a note.
func TestJointOnLibrary(t *testing.T) {
	dir := t.TempDir()
	lib := filepath.Join(dir, "lib")
	writeLibrary(t, lib)
	ckRoot := filepath.Join(dir, "checkpoints")
	settings := "model=joint;joint_dim=16;joint_hidden=32;joint_batch_size=8;num_epochs=6;learning_rate=3e-3"
	opt := LibraryTrainOptions{Library: lib, Name: "lj", Settings: settings, CheckpointRoot: ckRoot}
	res, l, err := TrainOnLibrary(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	if first, last := res.EpochLosses[0], res.EpochLosses[len(res.EpochLosses)-1]; !(last < first) {
		t.Errorf("loss did not fall: %v", res.EpochLosses)
	}
	if !strings.Contains(res.Model, "audio 200") || !strings.Contains(res.Model, "text 384") ||
		!strings.Contains(res.Model, "tags 100") {
		t.Errorf("model %q: want audio 200, text 384, tags 100 inputs", res.Model)
	}
	// Resuming a finished run trains nothing more; the same run on a changed library is refused.
	again, _, err := TrainOnLibrary(context.Background(), opt)
	if err != nil || again.GlobalStep != res.GlobalStep || len(again.EpochLosses) != 0 {
		t.Fatalf("resume: err %v, step %d (want %d), %d epochs run", err, again.GlobalStep, res.GlobalStep,
			len(again.EpochLosses))
	}
	m, err := inference.Load(res.Dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	sets, err := EmbedLibrary(l, m, "lj")
	if err != nil {
		t.Fatal(err)
	}
	if len(sets) != 2 || sets[0].Name != "model-lj" || sets[1].Name != "model-lj-audio" {
		t.Fatalf("sets %+v: want model-lj and model-lj-audio", sets)
	}
	for _, s := range sets {
		if !s.InSample || !slices.Equal(s.Leaks, library.MetadataLabels) || s.Inputs["text"] != library.SetText {
			t.Errorf("set %s: in-sample %v, leaks %v, inputs %v", s.Name, s.InSample, s.Leaks, s.Inputs)
		}
	}
	// The written sets are what the model computes (the audio view = the audio encoder alone).
	l2, err := library.Open(lib)
	if err != nil {
		t.Fatal(err)
	}
	feats, err := l2.ModalityFeatures(m.Modalities)
	if err != nil {
		t.Fatal(err)
	}
	want, err := m.EmbedModality(feats[0])
	if err != nil {
		t.Fatal(err)
	}
	got := l2.Sets["model-lj-audio"]
	if got == nil || got.Dim != 16 || !slices.Equal(got.Data, want) {
		t.Fatalf("model-lj-audio as read back differs from the model's audio embeddings")
	}
	rep, err := l2.Evaluate("album")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"model-lj", "model-lj-audio", library.SetMusicnn, library.SetText, library.ChanceRow} {
		if _, ok := rep.Metrics[s]; !ok {
			t.Errorf("eval has no row %s (rows %v)", s, rep.Sets())
		}
	}
	if !slices.Equal(rep.Leaks, []string{library.SetText, "model-lj", "model-lj-audio"}) ||
		!slices.Equal(rep.InSample, []string{"model-lj", "model-lj-audio"}) {
		t.Errorf("leaks %v, in-sample %v", rep.Leaks, rep.InSample)
	}
	// The albums are in the audio features: the trained audio view keeps them far above chance.
	if p, c := rep.Metrics["model-lj-audio"]["precision@10"], rep.Metrics[library.ChanceRow]["precision@10"]; !(p > c+0.2) {
		t.Errorf("audio view precision@10 %.3f vs chance %.3f", p, c)
	}
	for _, s := range []string{"model-lj-audio", library.SetMusicnn, library.ChanceRow} {
		iv, v := rep.CI95[s]["precision@10"], rep.Metrics[s]["precision@10"]
		if !(iv[0] <= v && v <= iv[1]) {
			t.Errorf("%s: precision@10 %.3f outside its interval %v", s, v, iv)
		}
	}
	withMusicnn := map[string]bool{}
	for _, c := range rep.Differences {
		if c.B == library.SetMusicnn && c.Metric == "precision@10" {
			withMusicnn[c.A] = true
		}
	}
	if !withMusicnn["model-lj-audio"] || !withMusicnn["model-lj"] || withMusicnn[library.SetText] {
		t.Errorf("paired differences with musicnn: %v (want the model sets only)", withMusicnn)
	}
	if folder, err := l2.Evaluate("folder"); err != nil || len(folder.Leaks) != 0 {
		t.Errorf("by folder: err %v, leaks %v (the metadata text does not hold the folder)", err, folder.Leaks)
	}

	// A model without the text modality reads nothing built from the labels.
	opt2 := opt
	opt2.Name, opt2.Settings = "lj-at", settings+";joint_modalities=audio,tags"
	res2, _, err := TrainOnLibrary(context.Background(), opt2)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := inference.Load(res2.Dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	sets2, err := EmbedLibrary(l2, m2, "lj-at")
	if err != nil {
		t.Fatal(err)
	}
	if len(sets2) != 2 || len(sets2[0].Leaks) != 0 || !sets2[0].InSample {
		t.Errorf("audio+tags model sets: %+v", sets2)
	}

	// A model on the binding architecture, or model=binding on a library, is refused with a reason.
	bad := opt
	bad.Name, bad.Settings = "lb", "model=binding"
	if _, _, err := TrainOnLibrary(context.Background(), bad); err == nil || !strings.Contains(err.Error(), "model=joint") {
		t.Errorf("model=binding on a library: %v", err)
	}

	// After a re-scan with other tracks, the model sets no longer match: left out, with a note.
	var tracks []library.Track
	b, _ := os.ReadFile(filepath.Join(lib, library.TracksFile))
	_ = json.Unmarshal(b, &tracks)
	tracks[0].ID, tracks[1].ID = tracks[1].ID, tracks[0].ID
	b, _ = json.Marshal(tracks)
	if err := os.WriteFile(filepath.Join(lib, library.TracksFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{library.SetMusicnn, library.SetMusicnnTags, library.SetText} {
		p := filepath.Join(lib, library.FeaturesDir, s+".npy")
		ids, data, dim, err := corpus.ReadVectors(p)
		if err != nil {
			t.Fatal(err)
		}
		ids[0], ids[1] = ids[1], ids[0]
		data[0] += 1 // and the features changed too
		if err := corpus.WriteVectorsNPY(p, ids, data, dim); err != nil {
			t.Fatal(err)
		}
	}
	l3, err := library.Open(lib)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := l3.Sets["model-lj"]; ok || len(l3.Notes) != 4 || !strings.Contains(l3.Notes[0], "library embed") {
		t.Errorf("stale model sets: present %v, notes %q", ok, l3.Notes)
	}
	if _, _, err := TrainOnLibrary(context.Background(), opt); err == nil || !strings.Contains(err.Error(), "other inputs") {
		t.Errorf("resuming on a changed library: %v", err)
	}
}
