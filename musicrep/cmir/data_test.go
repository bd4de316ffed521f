package cmir

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/musicrep/musicrep/musicrep/corpus"
	"github.com/musicrep/musicrep/musicrep/melon"
)

// syntheticMelon writes a small Melon-layout dataset: n songs in 3 genres (2 sub-genres each), mel-spectrograms
// whose band profile depends on the genre, and playlists drawn mostly within one genre. Song 0 has no
// spectrogram and song 1 a too-short one.
func syntheticMelon(t testing.TB, n int) string {
	t.Helper()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(4, 5))
	genres := map[string]string{}
	var songs []melon.Song
	for g := 1; g <= 3; g++ {
		genres[fmt.Sprintf("GN%02d00", g)] = fmt.Sprintf("genre %d", g)
		for s := 1; s <= 2; s++ {
			genres[fmt.Sprintf("GN%02d%02d", g, s)] = fmt.Sprintf("genre %d.%d", g, s)
		}
	}
	for i := range n {
		g, s := i%3+1, i%2+1
		songs = append(songs, melon.Song{ID: 1000 + i, Name: fmt.Sprint("song ", i), ArtistIDs: []int{i % 7},
			Genres: []string{fmt.Sprintf("GN%02d00", g)}, DetailGenres: []string{fmt.Sprintf("GN%02d%02d", g, s)}})
		if i == 0 {
			continue
		}
		frames := 600
		if i == 1 {
			frames = 100
		}
		mel := make([]float32, Bands*frames)
		for b := range Bands {
			for f := range frames {
				mel[b*frames+f] = float32(-60+10*((b*g)%5)) + float32(rng.NormFloat64())
			}
		}
		p := melon.MelPath(dir, 1000+i)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := corpus.WriteNPY(p, mel, Bands, frames); err != nil {
			t.Fatal(err)
		}
	}
	var playlists []melon.Playlist
	for p := range 60 {
		g := p % 3
		var ids []int
		for len(ids) < 8 {
			i := rng.IntN(n)
			if i%3 == g || rng.Float64() < 0.1 {
				ids = append(ids, 1000+i)
			}
		}
		playlists = append(playlists, melon.Playlist{ID: p, Songs: ids})
	}
	for name, v := range map[string]any{"song_meta.json": songs, "genre_gn_all.json": genres,
		"train.json": playlists[:48], "val.json": playlists[48:54], "test.json": playlists[54:]} {
		b, _ := json.Marshal(v)
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

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
		if len(d.Songs[i].CF) != CFDim {
			t.Fatal("a training song lacks its CF vector")
		}
	}
	if len(d.Vocab) != 9 || len(d.TopGenres) != 3 || len(d.SubGenres) != 6 || len(d.Table) != 10*EmbeddingDim {
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
	ds, err := melon.Load(syntheticMelon(t, 62))
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
		store, err := NewStore(Full, "tiny", map[string]any{ParamEpochs: 1})
		if err != nil {
			t.Fatal(err)
		}
		res, err := Train(context.Background(), d, TrainConfig{Dir: filepath.Join(t.TempDir(), "run"), Store: store})
		if err != nil {
			t.Fatal(err)
		}
		return res.ValLoss[0]
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
	ds, err := melon.Load(syntheticMelon(t, 62))
	if err != nil {
		t.Fatal(err)
	}
	d, err := Prepare(ds, PrepareOptions{Seed: 1, CFFactors: 8, CFEpochs: 5})
	if err != nil {
		t.Fatal(err)
	}
	return ds, d
}
