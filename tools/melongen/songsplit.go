package melongen

import (
	"sort"

	"github.com/musicrep/musicrep/musicrep/melon"
)

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
func songSplitOf(seed uint64, songs []*songRec) melon.SongSplit {
	out := melon.SongSplit{By: "artist", Seed: seed, Train: []int{}, Val: []int{}, Test: []int{}}
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
