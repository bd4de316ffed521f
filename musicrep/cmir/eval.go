package cmir

import (
	"fmt"
	"math"

	"github.com/musicrep/musicrep/musicrep/cf"
)

// Embeddings are one vector per song of a Data (rows in Data.Songs order).
type Embeddings struct {
	Name string
	Dim  int
	Rows [][]float32
}

// EmbedSongs embeds every song with a trained encoder: z_d (the 128-d contrastive space) when contrastive is
// true, else z (the flattened CNN output, what contrastive-mir's encode.py saves for downstream tasks).
func EmbedSongs(e *Embedder, d *Data, name string, contrastive bool) (*Embeddings, error) {
	out := &Embeddings{Name: name}
	for i := range d.Songs {
		z, zd, err := e.Embed(d.Songs[i].Mel, d.Songs[i].Frames)
		if err != nil {
			return nil, fmt.Errorf("song %d: %w", d.Songs[i].ID, err)
		}
		if contrastive {
			z = zd
		}
		out.Rows = append(out.Rows, z)
	}
	out.Dim = len(out.Rows[0])
	return out, nil
}

// RawMelStats is the raw-feature baseline: per song, the mean and standard deviation of each mel band over time
// (96 values), the summary a user could compute without any model.
func RawMelStats(d *Data) *Embeddings {
	out := &Embeddings{Name: "raw mel statistics", Dim: 2 * Bands}
	for _, s := range d.Songs {
		v := make([]float32, 2*Bands)
		for b := range Bands {
			row := s.Mel[b*s.Frames : (b+1)*s.Frames]
			var sum, sq float64
			for _, x := range row {
				sum += float64(x)
				sq += float64(x) * float64(x)
			}
			m := sum / float64(len(row))
			v[b] = float32(m)
			v[Bands+b] = float32(math.Sqrt(math.Max(0, sq/float64(len(row))-m*m)))
		}
		out.Rows = append(out.Rows, v)
	}
	return out
}

// ColdStartContinuation evaluates playlist continuation for new songs, the use of audio embeddings that CF cannot
// serve: for every playlist with at least two songs outside the test split and at least one test song, the
// non-test songs are visible, the test songs are held out, and every test song is a candidate, ranked by cosine
// similarity to the centroid of the visible songs' embeddings. Metrics: HR@k and nDCG@k (cf.Evaluate).
func ColdStartContinuation(d *Data, e *Embeddings, k int) cf.Continuation {
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
		cands[c] = unit(e.Rows[i])
	}
	var visible, held [][]int
	var centroids [][]float64
	for _, p := range d.Playlists {
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
		cen := make([]float64, e.Dim)
		for _, i := range vis {
			for j, x := range unit(e.Rows[i]) {
				cen[j] += x
			}
		}
		centroids = append(centroids, cen)
		visible = append(visible, nil) // no candidate is visible
		held = append(held, h)
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
	return cf.Evaluate(score, visible, held, k)
}
