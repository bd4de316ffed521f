package cmir

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
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
	ds, err := melon.Load(syntheticMelon(t, 62))
	if err != nil {
		t.Fatal(err)
	}
	d, err := Prepare(ds, PrepareOptions{Seed: 1, CFFactors: 8, CFEpochs: 5})
	if err != nil {
		t.Fatal(err)
	}
	if d.SkippedNoMel != 1 || d.SkippedShort != 1 || len(d.Songs) != 60 {
		t.Fatalf("songs %d, skipped %d/%d", len(d.Songs), d.SkippedNoMel, d.SkippedShort)
	}
	if len(d.Train)+len(d.Val)+len(d.Test) != 60 || len(d.Test) != 6 || len(d.Val) != 6 {
		t.Fatalf("split %d/%d/%d", len(d.Train), len(d.Val), len(d.Test))
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
