// Package space works with one set of embeddings of a track catalogue: nearest neighbours with metadata,
// artist and genre centroids, and embedding arithmetic ("this track − its artist + another artist") with an
// analogy score that can be compared across embeddings (learned joint space versus raw features).
package space

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/index"
)

// Space is a set of vectors, one per track, with the tracks' metadata. Data must not change once searched.
type Space struct {
	Name   string
	Tracks []musicrep.Track
	Dim    int
	Data   []float32 // row-major, len(Tracks) × Dim
	rowOf  map[string]int

	flatOnce sync.Once
	flat     *index.Flat // the exact search over Data, built by the first Nearest
	flatErr  error
}

// New builds a space; data has one row per track.
func New(name string, tracks []musicrep.Track, data []float32, dim int) (*Space, error) {
	if dim <= 0 || len(data) != len(tracks)*dim {
		return nil, fmt.Errorf("space %s: %d values for %d tracks of dimension %d", name, len(data), len(tracks), dim)
	}
	for i, v := range data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("space %s: track %s has a non-finite value", name, tracks[i/dim].ID)
		}
	}
	s := &Space{Name: name, Tracks: tracks, Dim: dim, Data: data, rowOf: map[string]int{}}
	for i, t := range tracks {
		s.rowOf[t.ID] = i
	}
	return s, nil
}

// Row returns the vector of track i.
func (s *Space) Row(i int) []float32 { return s.Data[i*s.Dim : (i+1)*s.Dim] }

// Find returns the row of a track given its id, or the first track whose "title — artist" contains query
// (case-insensitive).
func (s *Space) Find(query string) (int, error) {
	if i, ok := s.rowOf[query]; ok {
		return i, nil
	}
	q := strings.ToLower(query)
	for i, t := range s.Tracks {
		if strings.Contains(strings.ToLower(t.Title+" — "+t.Artist), q) {
			return i, nil
		}
	}
	return -1, fmt.Errorf("no track with id or title/artist matching %q", query)
}

// Neighbors is the answer of Nearest: the nearest rows (index.Neighbor: row of the space and squared L2
// distance), nearest first, with the space's tracks for their metadata (Track).
type Neighbors struct {
	List   []index.Neighbor
	Tracks []musicrep.Track // the space's tracks: List[i].Index is a position in it
}

// Track returns the track of the i-th neighbour.
func (n Neighbors) Track(i int) *musicrep.Track { return &n.Tracks[n.List[i].Index] }

// Nearest returns the k tracks nearest to v (squared L2, index.Flat: exact, ties by the smaller row),
// skipping the rows for which skip returns true. It panics if v does not have the space's dimension or the
// space's vectors cannot be indexed (New checks them).
func (s *Space) Nearest(v []float32, k int, skip func(row int) bool) Neighbors {
	if len(v) != s.Dim {
		panic(fmt.Sprintf("space %s: query of dimension %d, space has %d", s.Name, len(v), s.Dim))
	}
	out := Neighbors{List: []index.Neighbor{}, Tracks: s.Tracks}
	if k <= 0 || len(s.Tracks) == 0 {
		return out
	}
	s.flatOnce.Do(func() { s.flat, s.flatErr = index.NewFlat(s.Data, s.Dim) })
	if s.flatErr != nil {
		panic(fmt.Sprintf("space %s: %v", s.Name, s.flatErr))
	}
	var opt index.SearchOptions
	if skip != nil {
		opt.Exclude = func(_, i int) bool { return skip(i) }
	}
	res, err := s.flat.Search(v, k, opt)
	if err != nil {
		panic(fmt.Sprintf("space %s: %v", s.Name, err))
	}
	out.List = res[0]
	return out
}

// Centroid is the mean vector of the rows selected by keep; it returns nil when none is selected.
func (s *Space) Centroid(keep func(t *musicrep.Track) bool) []float32 {
	var rows []int
	for i := range s.Tracks {
		if keep(&s.Tracks[i]) {
			rows = append(rows, i)
		}
	}
	return s.meanOf(rows, -1)
}

// meanOf is the mean of the given rows, leaving out row skip; nil when no row remains.
func (s *Space) meanOf(rows []int, skip int) []float32 {
	sum := make([]float64, s.Dim)
	n := 0
	for _, r := range rows {
		if r == skip {
			continue
		}
		n++
		for j, v := range s.Row(r) {
			sum[j] += float64(v)
		}
	}
	if n == 0 {
		return nil
	}
	out := make([]float32, s.Dim)
	for j := range out {
		out[j] = float32(sum[j] / float64(n))
	}
	return out
}

// ArtistCentroid is the mean of an artist's tracks (artist names compared case-insensitively).
func (s *Space) ArtistCentroid(artist string) []float32 {
	return s.Centroid(func(t *musicrep.Track) bool { return strings.EqualFold(t.Artist, artist) })
}

// GenreCentroid is the mean of the tracks that carry a genre.
func (s *Space) GenreCentroid(genre string) []float32 {
	return s.Centroid(func(t *musicrep.Track) bool { return hasGenre(t, genre) })
}

func hasGenre(t *musicrep.Track, genre string) bool {
	for _, g := range t.Genres {
		if strings.EqualFold(g, genre) {
			return true
		}
	}
	return false
}

// Combine returns Σ weights[i]·vectors[i] (e.g. track − centroidA + centroidB with weights 1, −1, 1).
func Combine(vectors [][]float32, weights []float64) []float32 {
	if len(vectors) == 0 || len(vectors) != len(weights) {
		panic("space.Combine: need one weight per vector")
	}
	out := make([]float32, len(vectors[0]))
	for i, v := range vectors {
		if len(v) != len(out) {
			panic("space.Combine: vectors of different dimensions")
		}
		for j, x := range v {
			out[j] += float32(weights[i]) * x
		}
	}
	return out
}

// AnalogyOptions configures the analogy score.
type AnalogyOptions struct {
	K         int    // a result counts when a target-group track is among the K nearest (default 10)
	MinTracks int    // groups need at least this many tracks (default 5)
	MaxGroups int    // use the largest MaxGroups groups (default 8)
	Queries   int    // number of (track, source group, target group) queries sampled (default 400)
	Seed      uint64 // sampling seed
}

// AnalogyResult is the outcome of an analogy evaluation.
type AnalogyResult struct {
	Space      string
	Kind       string // "artist" or "genre"
	Queries    int
	HitRate    float64 // fraction of queries with a target-group track among the K nearest
	Baseline   float64 // same, when the query is the unmodified track (no arithmetic)
	ChanceRate float64 // expected hit rate of K random tracks
	Groups     []string
	K          int
}

// Analogy scores embedding arithmetic: for a track t of group A (an artist or a genre) and another group B, the
// query t − centroid(A) + centroid(B) should land among B's tracks. Centroids exclude t itself, and t is never a
// result. Baseline is the hit rate of the unmodified track t, so HitRate − Baseline is what the arithmetic adds.
// Groups are the largest ones; queries are sampled with the seed, so two spaces over the same tracks get exactly
// the same queries.
func Analogy(s *Space, kind string, opt AnalogyOptions) (*AnalogyResult, error) {
	if opt.K == 0 {
		opt.K = 10
	}
	if opt.MinTracks == 0 {
		opt.MinTracks = 5
	}
	if opt.MaxGroups == 0 {
		opt.MaxGroups = 8
	}
	if opt.Queries == 0 {
		opt.Queries = 400
	}
	groupsOf := func(t *musicrep.Track) []string {
		if kind == "artist" {
			return []string{strings.ToLower(t.Artist)}
		}
		out := make([]string, len(t.Genres))
		for i, g := range t.Genres {
			out[i] = strings.ToLower(g)
		}
		return out
	}
	if kind != "artist" && kind != "genre" {
		return nil, fmt.Errorf("analogy kind %q: use artist or genre", kind)
	}
	members := map[string][]int{}
	for i := range s.Tracks {
		for _, g := range groupsOf(&s.Tracks[i]) {
			members[g] = append(members[g], i)
		}
	}
	var groups []string
	for g, rows := range members {
		if len(rows) >= opt.MinTracks {
			groups = append(groups, g)
		}
	}
	sort.Slice(groups, func(i, j int) bool {
		if len(members[groups[i]]) != len(members[groups[j]]) {
			return len(members[groups[i]]) > len(members[groups[j]])
		}
		return groups[i] < groups[j]
	})
	if len(groups) > opt.MaxGroups {
		groups = groups[:opt.MaxGroups]
	}
	if len(groups) < 2 {
		return nil, errors.New("analogy: fewer than two groups with enough tracks")
	}
	inGroup := func(row int, g string) bool {
		for _, x := range groupsOf(&s.Tracks[row]) {
			if x == g {
				return true
			}
		}
		return false
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 99))
	res := &AnalogyResult{Space: s.Name, Kind: kind, Groups: groups, K: opt.K}
	var hits, base, chance float64
	for q := 0; q < opt.Queries; q++ {
		a := groups[rng.IntN(len(groups))]
		b := groups[rng.IntN(len(groups)-1)]
		if b == a {
			b = groups[len(groups)-1]
		}
		t := members[a][rng.IntN(len(members[a]))]
		if inGroup(t, b) {
			continue // the track already belongs to the target group
		}
		query := Combine([][]float32{s.Row(t), s.meanOf(members[a], t), s.meanOf(members[b], t)}, []float64{1, -1, 1})
		skip := func(row int) bool { return row == t }
		hit := func(nbs Neighbors) bool {
			for _, nb := range nbs.List {
				if inGroup(nb.Index, b) {
					return true
				}
			}
			return false
		}
		if hit(s.Nearest(query, opt.K, skip)) {
			hits++
		}
		if hit(s.Nearest(s.Row(t), opt.K, skip)) {
			base++
		}
		// Probability that K random other tracks include none of B's tracks.
		nb, n := float64(len(members[b])), float64(len(s.Tracks)-1)
		miss := 1.0
		for i := 0; i < opt.K; i++ {
			miss *= (n - nb - float64(i)) / (n - float64(i))
		}
		chance += 1 - miss
		res.Queries++
	}
	if res.Queries == 0 {
		return nil, errors.New("analogy: no valid query")
	}
	n := float64(res.Queries)
	res.HitRate, res.Baseline, res.ChanceRate = hits/n, base/n, chance/n
	return res, nil
}
