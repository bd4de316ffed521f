// Package melontest writes small synthetic Melon-layout datasets for tests.
package melontest

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

// Write writes a small Melon-layout dataset: n songs in 3 genres (2 sub-genres each), mel-spectrograms
// whose band profile depends on the genre, and playlists drawn mostly within one genre. Song 0 has no
// spectrogram and song 1 a too-short one.
func Write(t testing.TB, n int) string {
	t.Helper()
	return write(t.TempDir(), n, func(err error) { t.Fatal(err) })
}

// WriteDir writes the same dataset into dir (for tests that share one dataset across a test binary); it
// returns dir, or "" when writing failed.
func WriteDir(dir string, n int) string {
	failed := false
	out := write(dir, n, func(error) { failed = true })
	if failed {
		return ""
	}
	return out
}

func write(dir string, n int, fail func(error)) string {
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
		mel := make([]float32, melon.Bands*frames)
		for b := range melon.Bands {
			for f := range frames {
				mel[b*frames+f] = float32(-60+10*((b*g)%5)) + float32(rng.NormFloat64())
			}
		}
		p := melon.MelPath(dir, 1000+i)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			fail(err)
		}
		if err := corpus.WriteNPY(p, mel, melon.Bands, frames); err != nil {
			fail(err)
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
			fail(err)
		}
	}
	return dir
}
