package melongen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/musicrep/musicrep/musicrep/melon"
)

// Playlists are SIMULATED: no playlist or listening data can be obtained here. Each simulated listener has
// latent tastes, and each playlist is a weighted sample of songs from one listener's tastes:
//
//   - genres: a Dirichlet(2) mixture concentrated on 1 (40%), 2 (40%) or 3 (20%) top-level genres, chosen
//     in proportion to the genres' song counts, with 5% of the mass spread evenly over all genres;
//   - artists: a Gamma(0.5) weight per artist (a sparse Dirichlet-like preference inside each genre);
//   - tempo: 75% of listeners prefer a tempo (a Gaussian of width 0.12–0.3 on the normalised tempo axis,
//     floored at 0.02), 25% do not care;
//   - activity: a log-normal weight that decides how many of the playlists the listener makes.
//
// A playlist takes its listener's genre mixture or, with probability 0.6, focuses on one of the listener's
// genres (85% of its mass); within each genre a song's weight is artist weight × song popularity (log-normal
// artist and song terms, σ 0.7 and 0.6: a chart-like skew) × tempo fit, normalised so that the genre gets
// its share.
// The playlist draws between MinLen and MaxLen songs without replacement (Efraimidis–Spirakis keys). Its
// tags are genre words of its commonest genre, a tempo word (slow/chill/mellow, groovy/midtempo/easy,
// upbeat/energetic/fast) from its songs' mean tempo, sometimes the commonest style family and a context word
// (study, party, …); its title is made from the same words.

type listener struct {
	ID       int                `json:"id"`
	Genres   map[string]float64 `json:"genres"`                // top-level genre → weight (sums to 1)
	TempoMu  float64            `json:"tempo_pref"`            // preferred normalised tempo (0 slow … 1 fast)
	TempoSig float64            `json:"tempo_width,omitempty"` // 0: no tempo preference
	Activity float64            `json:"activity"`
	artistW  []float64
}

type playlistRec struct {
	melon.Playlist
	Listener int    `json:"listener"`
	Focus    string `json:"focus_genre,omitempty"` // the genre a focused playlist concentrates on
}

// gamma draws from Gamma(shape, 1) (Marsaglia–Tsang, with the shape < 1 boost).
func gamma(rng *rand.Rand, shape float64) float64 {
	if shape < 1 {
		return gamma(rng, shape+1) * math.Pow(rng.Float64(), 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := rng.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := rng.Float64()
		if math.Log(u) < 0.5*x*x+d-d*v+d*math.Log(v) {
			return d * v
		}
	}
}

// weightedPick returns an index with probability proportional to w.
func weightedPick(rng *rand.Rand, w []float64) int {
	var sum float64
	for _, x := range w {
		sum += x
	}
	u := rng.Float64() * sum
	for i, x := range w {
		u -= x
		if u < 0 {
			return i
		}
	}
	return len(w) - 1
}

// tempoClass buckets a tempo (beats per minute): 0 slow, 1 mid, 2 fast.
func tempoClass(bpm float64) int {
	switch {
	case bpm < 95:
		return 0
	case bpm > 135:
		return 2
	}
	return 1
}

// simulateListeners draws the latent tastes. With lazyArtists the artist weights are not drawn here (they would
// take listeners × artists memory: 3 GB for the large size) but computed when needed by lazyArtistWeight.
func simulateListeners(rng *rand.Rand, n int, genres []string, genreSongs map[string][]int, nArtists int,
	lazyArtists bool) []listener {
	pop := make([]float64, len(genres))
	for i, g := range genres {
		pop[i] = float64(len(genreSongs[g]))
	}
	out := make([]listener, n)
	for l := range out {
		k := 1
		if u := rng.Float64(); u > 0.8 {
			k = 3
		} else if u > 0.4 {
			k = 2
		}
		k = min(k, len(genres))
		w := append([]float64(nil), pop...)
		mix := map[string]float64{}
		var total float64
		chosen := map[int]float64{}
		for range k {
			i := weightedPick(rng, w)
			w[i] = 0
			chosen[i] = gamma(rng, 2)
			total += chosen[i]
		}
		for i, g := range genres {
			mix[g] = 0.05 / float64(len(genres))
			if x, ok := chosen[i]; ok {
				mix[g] += 0.95 * x / total
			}
		}
		lis := listener{ID: l, Genres: mix, Activity: math.Exp(0.8 * rng.NormFloat64()), TempoMu: rng.Float64()}
		if rng.Float64() < 0.75 {
			lis.TempoSig = 0.12 + 0.18*rng.Float64()
		}
		if !lazyArtists {
			lis.artistW = make([]float64, nArtists)
			for a := range lis.artistW {
				lis.artistW[a] = gamma(rng, 0.5)
			}
		}
		out[l] = lis
	}
	return out
}

// simulatePlaylists draws n playlists from the listeners' tastes.
func simulatePlaylists(rng *rand.Rand, n int, ls []listener, songs []*songRec, genres []string,
	genreSongs map[string][]int, minLen, maxLen int) []playlistRec {
	activity := make([]float64, len(ls))
	for i, l := range ls {
		activity[i] = l.Activity
	}
	start := time.Date(2013, 1, 1, 0, 0, 0, 0, time.UTC)
	span := time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC).Sub(start)
	out := make([]playlistRec, n)
	weights := make([]float64, len(songs))
	for p := range out {
		l := ls[weightedPick(rng, activity)]
		mix := l.Genres
		focus := ""
		if rng.Float64() < 0.6 {
			gw := make([]float64, len(genres))
			for i, g := range genres {
				gw[i] = l.Genres[g]
			}
			focus = genres[weightedPick(rng, gw)]
			mix = map[string]float64{}
			for g, x := range l.Genres {
				mix[g] = 0.15 * x
			}
			mix[focus] += 0.85
		}
		// Song weights: genre share × normalised (artist weight × popularity × tempo fit).
		for i := range weights {
			weights[i] = 0
		}
		for _, g := range genres {
			var z float64
			for _, i := range genreSongs[g] {
				s := songs[i]
				w := l.artistW[s.Artist] * s.Pop
				if l.TempoSig > 0 && s.Tempo > 0 {
					d := (s.TempoNorm - l.TempoMu) / l.TempoSig
					w *= math.Exp(-0.5*d*d) + 0.02
				}
				weights[i] = w
				z += w
			}
			for _, i := range genreSongs[g] {
				if z > 0 {
					weights[i] *= mix[g] / z
				}
			}
		}
		length := min(minLen+rng.IntN(maxLen-minLen+1), len(songs))
		type keyed struct {
			i   int
			key float64
		}
		var cand []keyed
		for i, w := range weights {
			if w > 0 {
				cand = append(cand, keyed{i, math.Log(rng.Float64()) / w})
			} else {
				rng.Float64() // keep the random stream independent of which weights are zero
			}
		}
		sort.Slice(cand, func(a, b int) bool {
			if cand[a].key != cand[b].key {
				return cand[a].key > cand[b].key
			}
			return cand[a].i < cand[b].i
		})
		if len(cand) > length {
			cand = cand[:length]
		}
		rec := playlistRec{Listener: l.ID, Focus: focus}
		for _, c := range cand {
			rec.Songs = append(rec.Songs, songs[c.i].ID)
		}
		rec.Title, rec.Tags = describePlaylist(rng, songs, cand2idx(cand, func(k keyed) int { return k.i }))
		rec.LikeCount = int(math.Exp(2 + 1.5*rng.NormFloat64()))
		rec.UpdatedAt = start.Add(time.Duration(rng.Int64N(int64(span/time.Second))) * time.Second).
			Format("2006-01-02 15:04:05.000")
		out[p] = rec
	}
	return out
}

func cand2idx[T any](xs []T, f func(T) int) []int {
	out := make([]int, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

// describePlaylist makes a playlist's title and tags from its commonest genre, family and mean tempo.
func describePlaylist(rng *rand.Rand, songs []*songRec, idx []int) (string, []string) {
	genreCount := map[string]int{}
	famCount := map[string]int{}
	var tempoSum float64
	var tempoN int
	for _, i := range idx {
		s := songs[i]
		genreCount[s.Top]++
		famCount[s.FamilyName]++
		if s.Tempo > 0 {
			tempoSum += float64(s.Tempo)
			tempoN++
		}
	}
	top := argmaxCount(genreCount)
	fam := argmaxCount(famCount)
	class := 1
	knownTempo := 2*tempoN >= len(idx) // real recordings have no tempo: no tempo word when they dominate
	if tempoN > 0 {
		class = tempoClass(tempoSum / float64(tempoN))
	}
	g, _ := topGenre(top)
	genreWord := g.Tags[0]
	if rng.Float64() < 0.4 {
		genreWord = pick(rng, g.Tags)
	}
	tempoWord := pick(rng, tempoTags[class][:])
	ctxWord := pick(rng, contextTags[class][:])
	tags := []string{genreWord}
	if rng.Float64() < 0.7 && knownTempo {
		tags = append(tags, tempoWord)
	}
	if fam != "" && rng.Float64() < 0.4 {
		tags = append(tags, strings.ToLower(fam))
	}
	if rng.Float64() < 0.4 {
		tags = append(tags, ctxWord)
	}
	tags = dedupe(tags)
	format := pick(rng, titleFormats)
	if !knownTempo {
		format = strings.ReplaceAll(format, "%[1]s ", "")
	}
	title := fmt.Sprintf(format, tempoWord, genreWord, ctxWord)
	return title, tags
}

func argmaxCount(m map[string]int) string {
	best, bestN := "", -1
	for _, k := range sortedKeys(m) {
		if m[k] > bestN {
			best, bestN = k, m[k]
		}
	}
	return best
}

func dedupe(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// The scalable sampler (Size.Scalable). simulatePlaylists costs O(songs) per playlist (every song's weight,
// a key for each, a sort) and simulateListeners O(artists) memory per listener: for 100,000 songs, 150,000
// playlists and 30,000 listeners that is ~10^10 operations and 3 GB. simulatePlaylistsScalable draws from the
// same model with another random stream in O(playlist length) expected time per playlist:
//
//   - a listener's Gamma(0.5) artist weights are a hash of (seed, listener, artist) (lazyArtistWeight:
//     erfinv(u)² for a uniform u, which is Gamma(0.5)-distributed), computed when a table needs them;
//   - playlists are grouped by listener; for each genre a listener's playlists draw from, one cumulative table
//     over the genre's (artist, genre) units of artist weight × the unit's summed popularity is built;
//   - a playlist draws songs one at a time: a genre by its mixture, a unit from the listener's table, a song
//     of the unit by popularity, accepted with probability tempo fit / 1.02 (rejection sampling gives
//     exactly the weights artist × popularity × tempo fit within the genre); a song already drawn is drawn
//     again, which is sampling without replacement, as Efraimidis–Spirakis keys do in simulatePlaylists;
//   - each playlist has its own random stream (seed, playlist index): the result does not depend on the
//     number of workers.

// lazyArtistWeight is listener l's Gamma(0.5) weight for artist a: erfinv(u)² for a uniform u hashed from
// (seed, l, a) (the Gamma(0.5) CDF is erf(√x)).
func lazyArtistWeight(seed uint64, l, a int) float64 {
	h := splitmix(seed ^ splitmix(uint64(l)<<32|uint64(uint32(a))) ^ 0x6c69737465)
	e := math.Erfinv((float64(h>>11) + 0.5) / (1 << 53))
	return e * e
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// unit is the songs of one artist in one genre, with cumulative popularities.
type unit struct {
	artist int
	songs  []int // indices into the songs
	cumPop []float64
}

// searchCum returns the first index whose cumulative weight exceeds u (u in [0, cum[last])).
func searchCum(cum []float64, u float64) int {
	return min(sort.Search(len(cum), func(i int) bool { return cum[i] > u }), len(cum)-1)
}

func simulatePlaylistsScalable(seed uint64, n int, ls []listener, songs []*songRec, genres []string,
	genreSongs map[string][]int, minLen, maxLen, workers int) []playlistRec {
	// Units per genre, listener-independent.
	units := make([][]unit, len(genres))
	for gi, g := range genres {
		at := map[int]int{}
		for _, i := range genreSongs[g] {
			a := songs[i].Artist
			k, ok := at[a]
			if !ok {
				k = len(units[gi])
				at[a] = k
				units[gi] = append(units[gi], unit{artist: a})
			}
			u := &units[gi][k]
			prev := 0.0
			if len(u.cumPop) > 0 {
				prev = u.cumPop[len(u.cumPop)-1]
			}
			u.songs = append(u.songs, i)
			u.cumPop = append(u.cumPop, prev+songs[i].Pop)
		}
	}
	// Each playlist's listener, by activity.
	rng := stream(seed, "playlists")
	cumAct := make([]float64, len(ls))
	var acc float64
	for i, l := range ls {
		acc += l.Activity
		cumAct[i] = acc
	}
	byListener := make([][]int, len(ls))
	for p := range n {
		l := searchCum(cumAct, rng.Float64()*acc)
		byListener[l] = append(byListener[l], p)
	}
	out := make([]playlistRec, n)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range max(1, workers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for l := range jobs {
				tables := make([][]float64, len(genres))
				for _, p := range byListener[l] {
					out[p] = scalablePlaylist(seed, p, &ls[l], songs, genres, units, tables, minLen, maxLen)
				}
			}
		}()
	}
	for l := range ls {
		if len(byListener[l]) > 0 {
			jobs <- l
		}
	}
	close(jobs)
	wg.Wait()
	return out
}

// scalablePlaylist draws playlist p of listener l; tables caches the listener's per-genre unit tables.
func scalablePlaylist(seed uint64, p int, l *listener, songs []*songRec, genres []string, units [][]unit,
	tables [][]float64, minLen, maxLen int) playlistRec {
	rng := rand.New(rand.NewPCG(splitmix(seed^0x706c61796c697374), uint64(p)))
	mix := make([]float64, len(genres))
	for i, g := range genres {
		mix[i] = l.Genres[g]
	}
	focus := ""
	if rng.Float64() < 0.6 {
		fi := weightedPick(rng, mix)
		focus = genres[fi]
		for i := range mix {
			mix[i] *= 0.15
		}
		mix[fi] += 0.85
	}
	cumMix := make([]float64, len(mix))
	var total float64
	for i, x := range mix {
		total += x
		cumMix[i] = total
	}
	fit := func(s *songRec) float64 {
		if l.TempoSig <= 0 || s.Tempo <= 0 {
			return 1
		}
		d := (s.TempoNorm - l.TempoMu) / l.TempoSig
		return (math.Exp(-0.5*d*d) + 0.02) / 1.02
	}
	table := func(gi int) []float64 {
		if tables[gi] == nil {
			cum := make([]float64, len(units[gi]))
			var acc float64
			for k, u := range units[gi] {
				acc += lazyArtistWeight(seed, l.ID, u.artist) * u.cumPop[len(u.cumPop)-1]
				cum[k] = acc
			}
			tables[gi] = cum
		}
		return tables[gi]
	}
	length := min(minLen+rng.IntN(maxLen-minLen+1), len(songs))
	taken := make(map[int]bool, length)
	var idx []int
	for tries := 0; len(idx) < length && tries < 200*length+1000; tries++ {
		gi := searchCum(cumMix, rng.Float64()*total)
		cum := table(gi)
		if len(cum) == 0 || cum[len(cum)-1] <= 0 {
			continue
		}
		u := &units[gi][searchCum(cum, rng.Float64()*cum[len(cum)-1])]
		i := u.songs[searchCum(u.cumPop, rng.Float64()*u.cumPop[len(u.cumPop)-1])]
		if rng.Float64() >= fit(songs[i]) || taken[i] {
			continue
		}
		taken[i] = true
		idx = append(idx, i)
	}
	if len(idx) < length {
		// The listener's weights are concentrated on few songs, all drawn: the rest by exact keys over every
		// song not yet in the playlist (rare; O(songs)).
		type keyed struct {
			i   int
			key float64
		}
		var cand []keyed
		for gi := range genres {
			cum := table(gi)
			if len(cum) == 0 || cum[len(cum)-1] <= 0 {
				continue
			}
			var z float64
			w := map[int]float64{}
			for _, u := range units[gi] {
				aw := lazyArtistWeight(seed, l.ID, u.artist)
				for k, i := range u.songs {
					pop := u.cumPop[k]
					if k > 0 {
						pop -= u.cumPop[k-1]
					}
					w[i] = aw * pop * fit(songs[i])
					z += w[i]
				}
			}
			for _, u := range units[gi] {
				for _, i := range u.songs {
					if !taken[i] && w[i] > 0 {
						cand = append(cand, keyed{i, math.Log(rng.Float64()) / (w[i] * mix[gi] / z)})
					}
				}
			}
		}
		sort.Slice(cand, func(a, b int) bool {
			if cand[a].key != cand[b].key {
				return cand[a].key > cand[b].key
			}
			return cand[a].i < cand[b].i
		})
		for _, c := range cand[:min(len(cand), length-len(idx))] {
			idx = append(idx, c.i)
		}
	}
	rec := playlistRec{Listener: l.ID, Focus: focus}
	for _, i := range idx {
		rec.Songs = append(rec.Songs, songs[i].ID)
	}
	rec.Title, rec.Tags = describePlaylist(rng, songs, idx)
	start := time.Date(2013, 1, 1, 0, 0, 0, 0, time.UTC)
	span := time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC).Sub(start)
	rec.LikeCount = int(math.Exp(2 + 1.5*rng.NormFloat64()))
	rec.UpdatedAt = start.Add(time.Duration(rng.Int64N(int64(span/time.Second))) * time.Second).
		Format("2006-01-02 15:04:05.000")
	return rec
}
