package corpus

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/musicrep/musicrep/musicrep"
)

// SplitByArtist splits tracks (by row) into a train and a test side such that no artist has tracks on
// both sides, and the test side holds about testFraction of the tracks.
//
// Artists are compared after trimming spaces and lower-casing. They are shuffled with a PCG generator
// seeded by seed (math/rand/v2), then assigned greedily: each artist in turn goes to the test side if
// that brings the test size closer to round(testFraction × len(tracks)), else to the train side. The
// split is therefore deterministic for a seed, and a prolific artist that would overshoot the target
// stays in train. Both returned row lists are sorted.
//
// It is an error for testFraction to be outside (0, 1), for a track to have no artist, or for a side to
// end up empty (e.g. too few artists).
func SplitByArtist(tracks []musicrep.Track, testFraction float64, seed uint64) (train, test []int, err error) {
	if !(testFraction > 0 && testFraction < 1) {
		return nil, nil, fmt.Errorf("split by artist: test fraction %v must be in (0, 1), e.g. 0.2", testFraction)
	}
	var artists []string
	groups := map[string][]int{}
	for i, t := range tracks {
		a := strings.ToLower(strings.TrimSpace(t.Artist))
		if a == "" {
			return nil, nil, fmt.Errorf("split by artist: track %d (id %q) has no artist: fill its artist_name", i, t.ID)
		}
		if _, ok := groups[a]; !ok {
			artists = append(artists, a)
		}
		groups[a] = append(groups[a], i)
	}
	rng := rand.New(rand.NewPCG(seed, 0x6d75736963726570)) // second word: "musicrep"
	rng.Shuffle(len(artists), func(i, j int) { artists[i], artists[j] = artists[j], artists[i] })
	target := int(math.Round(testFraction * float64(len(tracks))))
	for _, a := range artists {
		g := groups[a]
		if abs(len(test)+len(g)-target) < abs(len(test)-target) {
			test = append(test, g...)
		} else {
			train = append(train, g...)
		}
	}
	if len(train) == 0 || len(test) == 0 {
		return nil, nil, fmt.Errorf("split by artist: %d tracks by %d artists give an empty side at test fraction %v (train %d, test %d): use more tracks or another fraction",
			len(tracks), len(artists), testFraction, len(train), len(test))
	}
	slices.Sort(train)
	slices.Sort(test)
	return train, test, nil
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
