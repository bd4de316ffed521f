package melongen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
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

// simulateListeners draws the latent tastes.
func simulateListeners(rng *rand.Rand, n int, genres []string, genreSongs map[string][]int, nArtists int) []listener {
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
		lis.artistW = make([]float64, nArtists)
		for a := range lis.artistW {
			lis.artistW[a] = gamma(rng, 0.5)
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
