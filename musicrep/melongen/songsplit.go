package melongen

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// SongSplitFile is the file, in a generated dataset, that assigns every song to the train, val or test split of
// song-level tasks (audio models, tagging, cold-start continuation). Songs are split by artist: an artist's
// songs all lie in one split, so that no test song shares an artist with a training song.
const SongSplitFile = "song_split.json"

// SongSplit is the content of SongSplitFile: song ids per split, plus how the split was made.
type SongSplit struct {
	By    string `json:"by"` // "artist"
	Seed  uint64 `json:"seed"`
	Train []int  `json:"train"`
	Val   []int  `json:"val"`
	Test  []int  `json:"test"`
	// TestSoundFont is the soundfont the test songs were rendered with when it differs from the training
	// songs' ("" when every song was rendered with the same one).
	TestSoundFont string `json:"test_soundfont,omitempty"`
}

// ReadSongSplit reads <dir>/song_split.json. A dataset without one returns (nil, nil).
func ReadSongSplit(dir string) (*SongSplit, error) {
	raw, err := os.ReadFile(filepath.Join(dir, SongSplitFile))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var s SongSplit
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("%s: %w (regenerate the dataset with musicrep melon-generate, or delete the file to "+
			"let the reader split the songs itself)", filepath.Join(dir, SongSplitFile), err)
	}
	return &s, nil
}

// splitSongsByArtist assigns each song's Split by artist: each top-level genre's artists (an artist counts under
// the genre most of its songs have) are shuffled with the seed; whole artists are then taken round-robin over
// the genres, into test until at least 10% of all songs are test songs, then (continuing the round) into val
// likewise. Every genre keeps at least one artist in train, and the rest of the artists are train.
func splitSongsByArtist(seed uint64, songs []*songRec) {
	byArtist := map[int][]*songRec{}
	for _, s := range songs {
		s.Split = "train"
		byArtist[s.Artist] = append(byArtist[s.Artist], s)
	}
	genreArtists := map[string][]int{}
	for a, ss := range byArtist {
		count := map[string]int{}
		for _, s := range ss {
			count[s.Top]++
		}
		g := argmaxCount(count)
		genreArtists[g] = append(genreArtists[g], a)
	}
	rng := stream(seed, "song-split")
	genres := sortedKeys(genreArtists)
	for _, g := range genres {
		artists := genreArtists[g]
		sort.Ints(artists)
		rng.Shuffle(len(artists), func(i, j int) { artists[i], artists[j] = artists[j], artists[i] })
		genreArtists[g] = artists[:len(artists)-1] // the last one stays in train
	}
	want := max(1, (len(songs)+5)/10)
	next := 0 // round-robin position over genres
	for _, split := range []string{"test", "val"} {
		for got := 0; got < want; {
			taken := false
			for range genres {
				g := genres[next%len(genres)]
				next++
				if len(genreArtists[g]) == 0 {
					continue
				}
				a := genreArtists[g][0]
				genreArtists[g] = genreArtists[g][1:]
				for _, s := range byArtist[a] {
					s.Split = split
				}
				got += len(byArtist[a])
				taken = true
				break
			}
			if !taken {
				break // no artist left to move out of train
			}
		}
	}
}

// songSplitOf collects the planned songs' splits (ids in ascending order).
func songSplitOf(seed uint64, songs []*songRec) SongSplit {
	out := SongSplit{By: "artist", Seed: seed, Train: []int{}, Val: []int{}, Test: []int{}}
	for _, s := range songs {
		switch s.Split {
		case "test":
			out.Test = append(out.Test, s.ID)
		case "val":
			out.Val = append(out.Val, s.ID)
		default:
			out.Train = append(out.Train, s.ID)
		}
	}
	for _, l := range [][]int{out.Train, out.Val, out.Test} {
		sort.Ints(l)
	}
	return out
}
