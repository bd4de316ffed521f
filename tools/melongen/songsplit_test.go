package melongen

import (
	"context"
	"testing"

	"github.com/musicrep/musicrep/musicrep/melon"
)

// TestSongSplitByArtist: a metadata-only 300-song dataset's song_split.json places every song once, about 10% in
// test and val, no artist on two sides, and every genre keeps training songs.
func TestSongSplitByArtist(t *testing.T) {
	needTools(t) // Generate probes the mma grooves even for metadata only
	dir := t.TempDir()
	if _, err := Generate(context.Background(), Options{Out: dir, Size: "medium", Songs: 300, Seed: 3,
		MetadataOnly: true, TestSoundFont: "/nonexistent.sf2"}); err != nil {
		t.Fatal(err)
	}
	split, err := melon.ReadSongSplit(dir)
	if err != nil || split == nil {
		t.Fatalf("song_split.json: %v", err)
	}
	ds, err := melon.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	songs := map[int]melon.Song{}
	for _, s := range ds.Songs {
		songs[s.ID] = s
	}
	side := map[int]string{}
	artistSide := map[int]string{}
	trainGenres := map[string]bool{}
	for name, ids := range map[string][]int{"train": split.Train, "val": split.Val, "test": split.Test} {
		for _, id := range ids {
			if _, dup := side[id]; dup {
				t.Fatalf("song %d is in two splits", id)
			}
			side[id] = name
			s := songs[id]
			for _, a := range s.ArtistIDs {
				if o, ok := artistSide[a]; ok && o != name {
					t.Fatalf("artist %d has songs in %s and %s", a, o, name)
				}
				artistSide[a] = name
			}
			if name == "train" {
				trainGenres[s.Genres[0]] = true
			}
		}
	}
	if len(side) != len(songs) || len(split.Test) < 30 || len(split.Test) > 60 || len(split.Val) < 30 ||
		len(split.Val) > 60 {
		t.Errorf("split %d/%d/%d of %d songs", len(split.Train), len(split.Val), len(split.Test), len(songs))
	}
	genres := map[string]bool{}
	for _, s := range songs {
		genres[s.Genres[0]] = true
	}
	if len(trainGenres) != len(genres) {
		t.Errorf("train covers %d of %d genres", len(trainGenres), len(genres))
	}
	if split.TestSoundFont != "/nonexistent.sf2" {
		t.Errorf("test soundfont %q not recorded", split.TestSoundFont)
	}
}
