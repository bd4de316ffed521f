package pipeline

import (
	"sort"
	"strings"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/corpus"
)

// Count is a label with its number of tracks.
type Count struct {
	Label string
	N     int
}

// ModalityCoverage describes one modality's feature file.
type ModalityCoverage struct {
	Modality musicrep.Modality
	Loaded   bool
	Dim      int
	Present  int
	Source   string
}

// PairStats describes one pairs file.
type PairStats struct {
	File                string
	Pairs, Positives    int
	SameArtistPositives float64 // fraction of positive pairs whose two tracks share the artist
	SameArtistNegatives float64
}

// Summary describes the Fairouz data for the data tour and `musicrep info`.
type Summary struct {
	Tracks, Albums, WithLyrics int
	Artists                    []Count // by number of tracks, descending
	Genres                     []Count // by number of tracks, descending
	GenresPerTrack             []int   // GenresPerTrack[k] = tracks with k genres
	Modalities                 []ModalityCoverage
	Pairs                      []PairStats
}

// Summarize computes the data summary.
func Summarize(f *Fairouz) (*Summary, error) {
	c := f.Corpus
	s := &Summary{Tracks: len(c.Tracks)}
	artists, genres, albums := map[string]int{}, map[string]int{}, map[string]bool{}
	for _, t := range c.Tracks {
		artists[t.Artist]++
		albums[strings.ToLower(t.Artist+"\x00"+t.Album)] = true
		for _, g := range t.Genres {
			genres[g]++
		}
		for len(s.GenresPerTrack) <= len(t.Genres) {
			s.GenresPerTrack = append(s.GenresPerTrack, 0)
		}
		s.GenresPerTrack[len(t.Genres)]++
		if t.HasLyrics() {
			s.WithLyrics++
		}
	}
	s.Albums = len(albums)
	s.Artists, s.Genres = sortedCounts(artists), sortedCounts(genres)
	for _, m := range musicrep.ModalityOrder {
		mc := ModalityCoverage{Modality: m}
		if feat, ok := c.Features[m]; ok {
			mc.Loaded, mc.Dim, mc.Present, mc.Source = true, feat.Dim, feat.NumPresent(), feat.Source
		}
		s.Modalities = append(s.Modalities, mc)
	}
	for _, p := range []string{f.Pairs6k, f.Pairs51k} {
		pairs, _, err := corpus.LoadPairs(p, c.Index)
		if err != nil {
			return nil, err
		}
		st := PairStats{File: p, Pairs: pairs.Len(), Positives: pairs.NumPositive()}
		var sameP, sameN float64
		for i := range pairs.Anchor {
			same := strings.EqualFold(c.Tracks[pairs.Anchor[i]].Artist, c.Tracks[pairs.Other[i]].Artist)
			if same && pairs.Label[i] == 1 {
				sameP++
			} else if same {
				sameN++
			}
		}
		st.SameArtistPositives = sameP / float64(max(1, st.Positives))
		st.SameArtistNegatives = sameN / float64(max(1, st.Pairs-st.Positives))
		s.Pairs = append(s.Pairs, st)
	}
	return s, nil
}

func sortedCounts(m map[string]int) []Count {
	out := make([]Count, 0, len(m))
	for k, v := range m {
		out = append(out, Count{k, v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].Label < out[j].Label
	})
	return out
}
