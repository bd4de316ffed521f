package cmir

import (
	"context"
	"github.com/gomlx/compute"
	"github.com/musicrep/musicrep/musicrep/encoder"
	"github.com/musicrep/musicrep/musicrep/melon/melontest"
	"github.com/musicrep/musicrep/musicrep/objective"
	"github.com/musicrep/musicrep/musicrep/training"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/musicrep/musicrep/musicrep/melon"
)

func TestPrepare(t *testing.T) {
	_, d := preparedSynthetic(t)
	if d.SkippedNoMel != 1 || d.SkippedShort != 1 || len(d.Songs) != 60 {
		t.Fatalf("songs %d, skipped %d/%d", len(d.Songs), d.SkippedNoMel, d.SkippedShort)
	}
	if len(d.Train)+len(d.Val)+len(d.Test) != 60 || len(d.Test) < 6 || len(d.Val) < 6 || len(d.Train) < 36 {
		t.Fatalf("split %d/%d/%d", len(d.Train), len(d.Val), len(d.Test))
	}
	// No dataset song_split.json here: the songs are grouped by artist, so no artist is on two sides.
	side := map[int]string{}
	for name, rows := range map[string][]int{"train": d.Train, "val": d.Val, "test": d.Test} {
		for _, i := range rows {
			for _, a := range d.Songs[i].Artists {
				if other, ok := side[a]; ok && other != name {
					t.Fatalf("artist %d has songs in %s and %s", a, other, name)
				}
				side[a] = name
			}
		}
	}
	for _, i := range d.Test {
		if d.Songs[i].CF != nil {
			t.Fatal("a test song has a CF vector")
		}
	}
	for _, i := range append(d.Train, d.Val...) {
		if len(d.Songs[i].CF) != encoder.CFDim {
			t.Fatal("a training song lacks its CF vector")
		}
	}
	if len(d.Vocab) != 9 || len(d.TopGenres) != 3 || len(d.SubGenres) != 6 || len(d.Table) != 10*encoder.EmbeddingDim {
		t.Fatalf("vocab %d top %d sub %d table %d", len(d.Vocab), len(d.TopGenres), len(d.SubGenres), len(d.Table))
	}
	s := d.Songs[0]
	if len(s.GenreIDs) != 2 || s.Top < 0 || len(s.Sub) != 1 {
		t.Fatalf("song 0: %+v", s.GenreIDs)
	}
}

// TestPrepareStreamAndSubset: a streaming Data reads the same spectrograms from disk that an in-memory one
// holds, so training is identical; MaxSongs keeps a seeded random subset.
func TestPrepareStreamAndSubset(t *testing.T) {
	ds, err := melon.Load(melontest.Write(t, 62))
	if err != nil {
		t.Fatal(err)
	}
	opt := PrepareOptions{Seed: 1, CFFactors: 8, CFEpochs: 5}
	mem, err := Prepare(ds, opt)
	if err != nil {
		t.Fatal(err)
	}
	opt.Stream = true
	str, err := Prepare(ds, opt)
	if err != nil {
		t.Fatal(err)
	}
	for i := range str.Songs {
		if str.Songs[i].Mel != nil {
			t.Fatalf("streaming Data holds song %d's spectrogram", i)
		}
		m, err := str.SongMel(i)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(m, mem.Songs[i].Mel) {
			t.Fatalf("song %d: streamed spectrogram differs from the in-memory one", i)
		}
	}
	loss := func(d *Data) float64 {
		res, err := trainVariant(d, filepath.Join(t.TempDir(), "run"), objective.MIRFull, "num_epochs=1", nil)
		if err != nil {
			t.Fatal(err)
		}
		return res.ValLosses[0]
	}
	if a, b := loss(mem), loss(str); a != b {
		t.Errorf("validation loss %v in memory, %v streamed", a, b)
	}
	// A file that changes under a streaming Data is an error, not a silent mismatch.
	path := filepath.Join(ds.Dir, "arena_mel", strconv.Itoa(str.Songs[0].ID/1000), strconv.Itoa(str.Songs[0].ID)+".npy")
	if err := os.WriteFile(path, []byte("not an npy file"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := str.SongMel(0); err == nil || !strings.Contains(err.Error(), strconv.Itoa(str.Songs[0].ID)) {
		t.Errorf("damaged file: want an error naming the song, got %v", err)
	}

	opt = PrepareOptions{Seed: 3, CFFactors: 8, CFEpochs: 5, MaxSongs: 40, SongsOnly: true}
	a, err := Prepare(ds, opt)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Prepare(ds, opt)
	if n := len(a.Songs) + a.SkippedNoMel + a.SkippedShort; n != 40 || len(b.Songs) != len(a.Songs) {
		t.Fatalf("MaxSongs 40 considered %d songs (kept %d and %d)", n, len(a.Songs), len(b.Songs))
	}
	for i := range a.Songs {
		if a.Songs[i].ID != b.Songs[i].ID {
			t.Fatal("the subset is not deterministic")
		}
	}
}

// preparedSynthetic loads the 62-song synthetic Melon dataset of syntheticMelon and prepares it with the small CF
// settings the unit tests share.
func preparedSynthetic(t *testing.T) (*melon.Dataset, *Data) {
	t.Helper()
	ds, err := melon.Load(melontest.Write(t, 62))
	if err != nil {
		t.Fatal(err)
	}
	d, err := Prepare(ds, PrepareOptions{Seed: 1, CFFactors: 8, CFEpochs: 5})
	if err != nil {
		t.Fatal(err)
	}
	return ds, d
}

// trainVariant trains a contrastive-mir variant with the tiny preset through training.Train.
func trainVariant(d *Data, dir string, v objective.Variant, settings string, backend compute.Backend) (*training.Result, error) {
	store, err := training.NewStore("tiny", "model="+training.MIRModelPrefix+string(v)+";"+settings)
	if err != nil {
		return nil, err
	}
	return training.Train(context.Background(), training.Config{Dir: dir, Store: store, Data: d, Backend: backend})
}

// TestPrepareReportsSkippedSongs: every song left out is listed with its reason (missing, corrupt, too short), and a
// dataset whose unreadable spectrograms exceed MaxUnreadableShare is refused, naming the count and the first one.
func TestPrepareReportsSkippedSongs(t *testing.T) {
	dir := melontest.Write(t, 62)
	if err := os.WriteFile(melon.MelPath(dir, 1005), []byte("\x93NUMPY truncated"), 0o644); err != nil {
		t.Fatal(err)
	}
	ds, err := melon.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	d, err := Prepare(ds, PrepareOptions{Seed: 1, CFFactors: 8, CFEpochs: 2, Progress: &log})
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[int]string{}
	for _, s := range d.Skipped {
		reasons[s.ID] = s.Reason
	}
	if len(d.Skipped) != 3 || !strings.Contains(reasons[1001], "shorter than") || reasons[1000] == "" ||
		!strings.Contains(reasons[1005], "1005") {
		t.Fatalf("skipped %v", d.Skipped)
	}
	if !strings.Contains(log.String(), "song 1005: ") || !strings.Contains(log.String(), "3 songs left out") {
		t.Errorf("the log does not list the skipped songs:\n%s", log.String())
	}
	// 2 unreadable of 62 is 3 %; 5 of 62 is 8 %: refused.
	for _, id := range []int{1010, 1011, 1012} {
		if err := os.WriteFile(melon.MelPath(dir, id), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, err = Prepare(ds, PrepareOptions{Seed: 1, CFFactors: 8, CFEpochs: 2})
	if err == nil || !strings.Contains(err.Error(), "5 of 62 songs have an unreadable or missing spectrogram") {
		t.Fatalf("want a refusal above the threshold, got %v", err)
	}
}
