package cmir

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/musicrep/musicrep/evaluation"
	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/cf"
	"github.com/musicrep/musicrep/musicrep/encoder"
)

// EmbedSongs embeds every song with a trained encoder: z_d (the 128-d contrastive space) when contrastive is
// true, else z (the flattened CNN output, what contrastive-mir's encode.py saves for downstream tasks). The rows
// are in Data.Songs order, the ids the songs' ids in decimal.
func EmbedSongs(e *Embedder, d *Data, name string, contrastive bool) (*musicrep.Embeddings, error) {
	return EmbedSongsProgress(e, d, name, contrastive, nil)
}

// EmbedSongsProgress is EmbedSongs with a progress line (songs done, songs/s, time left) written to progress
// about every 10 seconds; nil writes nothing.
func EmbedSongsProgress(e *Embedder, d *Data, name string, contrastive bool, progress io.Writer) (*musicrep.Embeddings, error) {
	out := &musicrep.Embeddings{Name: name, Source: "contrastive-mir audio encoder"}
	start, last := time.Now(), time.Now()
	for i := range d.Songs {
		if progress != nil && i > 0 && time.Since(last) > 10*time.Second {
			last = time.Now()
			rate := float64(i) / time.Since(start).Seconds()
			fmt.Fprintf(progress, "cmir: embedding %q: %d/%d songs, %.1f songs/s, %s left\n", name, i, len(d.Songs),
				rate, (time.Duration(float64(len(d.Songs)-i)/rate) * time.Second).Round(time.Second))
		}
		mel, err := d.SongMel(i)
		if err != nil {
			return nil, err
		}
		z, zd, err := e.Embed(mel, d.Songs[i].Frames)
		if err != nil {
			return nil, fmt.Errorf("song %d: %w", d.Songs[i].ID, err)
		}
		if contrastive {
			z = zd
		}
		out.IDs = append(out.IDs, strconv.Itoa(d.Songs[i].ID))
		out.Data = append(out.Data, z...)
		out.Dim = len(z)
	}
	return out, nil
}

// RawMelStats is the raw-feature baseline: per song, the mean and standard deviation of each mel band over time
// (96 values), the summary a user could compute without any model.
func RawMelStats(d *Data) (*musicrep.Embeddings, error) {
	out := &musicrep.Embeddings{Name: rawRowName, Kind: "baseline", Source: "per-band mel mean and standard deviation",
		Dim: 2 * encoder.Bands}
	for i, s := range d.Songs {
		mel, err := d.SongMel(i)
		if err != nil {
			return nil, err
		}
		v := make([]float32, 2*encoder.Bands)
		for b := range encoder.Bands {
			row := mel[b*s.Frames : (b+1)*s.Frames]
			var sum, sq float64
			for _, x := range row {
				sum += float64(x)
				sq += float64(x) * float64(x)
			}
			m := sum / float64(len(row))
			v[b] = float32(m)
			v[encoder.Bands+b] = float32(math.Sqrt(math.Max(0, sq/float64(len(row))-m*m)))
		}
		out.IDs = append(out.IDs, strconv.Itoa(s.ID))
		out.Data = append(out.Data, v...)
	}
	return out, nil
}

// ColdStartContinuation evaluates playlist continuation for new songs, the use of audio embeddings that CF cannot
// serve: for every playlist with at least two songs outside the test split and at least one test song, the
// non-test songs are visible, the test songs are held out, and every test song is a candidate, ranked by cosine
// similarity to the centroid of the visible songs' embeddings. Metrics: HR@k and nDCG@k (cf.Evaluate).
func ColdStartContinuation(d *Data, e *musicrep.Embeddings, k int) cf.Continuation {
	c, _ := ColdStartContinuationSamples(d, e, k)
	return c
}

// PlaylistHits are per-playlist continuation outcomes (hits in the top k and held-out songs), in the order the
// task lists the playlists, for bootstrap intervals over playlists.
type PlaylistHits struct {
	Hits []int `json:"hits"`
	Held []int `json:"held"`
}

// evaluateSamples is cf.Evaluate plus each playlist's hits, scored one playlist at a time by cf.Evaluate.
func evaluateSamples(score func(p int) []float32, visible, held [][]int, k int) (cf.Continuation, PlaylistHits) {
	var ph PlaylistHits
	for p := range held {
		r := cf.Evaluate(func(int) []float32 { return score(p) }, visible[p:p+1], held[p:p+1], k)
		ph.Hits = append(ph.Hits, int(math.Round(r.HitRate*float64(r.HeldOut))))
		ph.Held = append(ph.Held, r.HeldOut)
	}
	return cf.Evaluate(score, visible, held, k), ph
}

// ColdStartContinuationSamples is ColdStartContinuation with the per-playlist outcomes.
func ColdStartContinuationSamples(d *Data, e *musicrep.Embeddings, k int) (cf.Continuation, PlaylistHits) {
	isTest := map[int]int{} // song index → candidate index
	for c, i := range d.Test {
		isTest[i] = c
	}
	unit := func(v []float32) []float64 {
		out := make([]float64, len(v))
		var n float64
		for i, x := range v {
			out[i] = float64(x)
			n += float64(x) * float64(x)
		}
		n = math.Sqrt(n)
		for i := range out {
			if n > 0 {
				out[i] /= n
			}
		}
		return out
	}
	cands := make([][]float64, len(d.Test))
	for c, i := range d.Test {
		cands[c] = unit(e.Row(i))
	}
	var visible, held [][]int
	var centroids [][]float64
	for _, pl := range continuationPlaylists(d, isTest) {
		cen := make([]float64, e.Dim)
		for _, i := range pl.visible {
			for j, x := range unit(e.Row(i)) {
				cen[j] += x
			}
		}
		centroids = append(centroids, cen)
		visible = append(visible, nil) // no candidate is visible
		held = append(held, pl.held)
	}
	score := func(p int) []float32 {
		out := make([]float32, len(cands))
		for c, v := range cands {
			var s float64
			for j := range v {
				s += v[j] * centroids[p][j]
			}
			out[c] = float32(s)
		}
		return out
	}
	return evaluateSamples(score, visible, held, k)
}

// Probe holds the linear-probe results of one embeddings set on the test songs.
type Probe struct {
	Accuracy, MacroF1, GenreROCAUC float64 // genre classification (top-level genre, multinomial logistic)
	TagROCAUC, TagPRAUC            float64 // automatic tagging (sub-genres, one-vs-rest logistic), macro
	TagLabelsSkipped               int     // sub-genres without positives (or negatives) among the test songs
	TrainSongs, TestSongs          int
	// Per test song (those with a top-level genre, in Data.Test order): its id and whether the genre probe
	// predicted it right (for bootstrap intervals).
	TestIDs []int
	Correct []bool
}

// LinearProbe fits, on the training songs' frozen embeddings (standardised with training statistics), a
// multinomial logistic regression for the top-level genre and one-vs-rest logistic regressions for the
// sub-genre tags (scikit-learn's LogisticRegression objective, C=1; package evaluation), and scores the test
// songs: accuracy, macro-F1 and macro one-vs-rest ROC-AUC for genres, macro ROC-AUC and macro PR-AUC (average
// precision) for tags.
func LinearProbe(d *Data, e *musicrep.Embeddings) (*Probe, error) {
	var train, test []int
	for _, i := range d.Train {
		if d.Songs[i].Top >= 0 {
			train = append(train, i)
		}
	}
	for _, i := range d.Test {
		if d.Songs[i].Top >= 0 {
			test = append(test, i)
		}
	}
	p := &Probe{TrainSongs: len(train), TestSongs: len(test)}
	std, err := evaluation.FitStandardizer(e.Rows(train).Data, len(train), e.Dim)
	if err != nil {
		return nil, err
	}
	xTrain, err := std.Transform(e.Rows(train).Data)
	if err != nil {
		return nil, err
	}
	xTest, err := std.Transform(e.Rows(test).Data)
	if err != nil {
		return nil, err
	}
	label := func(rows []int) []int {
		out := make([]int, len(rows))
		for i, r := range rows {
			out[i] = d.Songs[r].Top
		}
		return out
	}
	k := len(d.TopGenres)
	m, err := evaluation.FitLogistic(xTrain, len(train), e.Dim, label(train), k, evaluation.LogisticOptions{C: 1})
	if err != nil {
		return nil, fmt.Errorf("%s genre probe: %w", e.Name, err)
	}
	pred, err := m.Predict(xTest)
	if err != nil {
		return nil, err
	}
	yTest := label(test)
	for j, r := range test {
		p.TestIDs = append(p.TestIDs, d.Songs[r].ID)
		p.Correct = append(p.Correct, pred[j] == yTest[j])
	}
	if p.Accuracy, err = evaluation.Accuracy(yTest, pred); err != nil {
		return nil, err
	}
	if p.MacroF1, err = evaluation.MacroF1(yTest, pred); err != nil {
		return nil, err
	}
	proba, err := m.PredictProba(xTest)
	if err != nil {
		return nil, err
	}
	if auc, err := evaluation.MacroROCAUCOvR(yTest, proba, k); err == nil {
		p.GenreROCAUC = auc.Macro
	} else {
		p.GenreROCAUC = math.NaN()
	}
	// Tagging: sub-genres, one-vs-rest, over the sub-genres that have both positive and negative training songs
	// (a label without one cannot be fitted; those are counted as skipped).
	count := make([]int, len(d.SubGenres))
	for _, r := range train {
		for _, s := range d.Songs[r].Sub {
			count[s]++
		}
	}
	column := map[int]int{}
	for s, c := range count {
		if c > 0 && c < len(train) {
			column[s] = len(column)
		}
	}
	l := len(column)
	if l == 0 {
		p.TagROCAUC, p.TagPRAUC, p.TagLabelsSkipped = math.NaN(), math.NaN(), len(d.SubGenres)
		return p, nil
	}
	tags := func(rows []int) []bool {
		out := make([]bool, len(rows)*l)
		for i, r := range rows {
			for _, s := range d.Songs[r].Sub {
				if c, ok := column[s]; ok {
					out[i*l+c] = true
				}
			}
		}
		return out
	}
	ovr, err := evaluation.FitOneVsRest(xTrain, len(train), e.Dim, tags(train), l, evaluation.LogisticOptions{C: 1})
	if err != nil {
		return nil, fmt.Errorf("%s tagging probe: %w", e.Name, err)
	}
	scores, err := ovr.Scores(xTest)
	if err != nil {
		return nil, err
	}
	yTags := tags(test)
	skipped := len(d.SubGenres) - l
	if auc, err := evaluation.MacroROCAUC(yTags, scores, l); err == nil {
		p.TagROCAUC, p.TagLabelsSkipped = auc.Macro, skipped+len(auc.Skipped)
	} else {
		p.TagROCAUC, p.TagLabelsSkipped = math.NaN(), len(d.SubGenres)
	}
	if ap, err := evaluation.MacroAveragePrecision(yTags, scores, l); err == nil {
		p.TagPRAUC = ap.Macro
	} else {
		p.TagPRAUC = math.NaN()
	}
	return p, nil
}

// contPlaylist is one playlist of the cold-start continuation task: its visible (non-test) songs as song
// indices and its held-out test songs as candidate indices (positions in Data.Test).
type contPlaylist struct{ visible, held []int }

// continuationPlaylists lists the playlists ColdStartContinuation scores: test.json playlists (when the data
// marks them) with at least two songs outside the test split and at least one test song.
func continuationPlaylists(d *Data, isTest map[int]int) []contPlaylist {
	var out []contPlaylist
	for pi, p := range d.Playlists {
		if d.HeldPlaylist != nil && !d.HeldPlaylist[pi] {
			continue // only test.json playlists: the CF model never saw them
		}
		var vis, h []int
		for _, i := range p {
			if c, ok := isTest[i]; ok {
				h = append(h, c)
			} else {
				vis = append(vis, i)
			}
		}
		if len(vis) < 2 || len(h) == 0 {
			continue
		}
		out = append(out, contPlaylist{visible: vis, held: h})
	}
	return out
}

// MetadataContinuation is an oracle row for cold-start continuation that uses no audio: the same playlists and
// candidates as ColdStartContinuation, each test song scored by how many of the playlist's visible songs share
// its top-level genre (by "genre") or one of its artists (by "artist"), ties broken by a seeded random order.
// It is the ceiling (or floor) against which learned audio embeddings' continuation numbers can be read: the
// simulated playlists are drawn from listener tastes over genres and artists.
func MetadataContinuation(d *Data, by string, k int, seed uint64) (cf.Continuation, PlaylistHits, error) {
	shares := func(a, b *Song) bool {
		switch by {
		case "genre":
			return a.Top >= 0 && a.Top == b.Top
		default:
			for _, x := range a.Artists {
				for _, y := range b.Artists {
					if x == y {
						return true
					}
				}
			}
			return false
		}
	}
	if by != "genre" && by != "artist" {
		return cf.Continuation{}, PlaylistHits{}, fmt.Errorf("cmir: metadata continuation by %q: use genre or artist", by)
	}
	isTest := map[int]int{}
	for c, i := range d.Test {
		isTest[i] = c
	}
	pls := continuationPlaylists(d, isTest)
	rng := rand.New(rand.NewPCG(seed, 0x0acc1e))
	var visible, held [][]int
	var scores [][]float32
	for _, pl := range pls {
		s := make([]float32, len(d.Test))
		for c, i := range d.Test {
			n := 0
			for _, j := range pl.visible {
				if shares(&d.Songs[i], &d.Songs[j]) {
					n++
				}
			}
			s[c] = float32(n) + 0.5*rng.Float32()
		}
		scores = append(scores, s)
		visible = append(visible, nil)
		held = append(held, pl.held)
	}
	c, ph := evaluateSamples(func(p int) []float32 { return scores[p] }, visible, held, k)
	return c, ph, nil
}
