package library

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/musicrep/musicrep/evaluation"
	"github.com/musicrep/musicrep/musicrep/corpus"
)

// Library is a scanned library loaded for queries.
type Library struct {
	Dir    string
	Tracks []Track
	// Sets holds each feature set present, rows in Tracks order.
	Sets map[string]*Features
	// Info is LIB/scan.json (nil for a library scanned before it was written).
	Info *ScanInfo
	// Models describes the feature sets written by trained models (WriteModelSet), by set name.
	Models map[string]*ModelSet
	// Notes says what Open left out (model sets computed for other tracks).
	Notes []string
	byID  map[string]int
}

// Features is one feature set: one row of Dim values per track.
type Features struct {
	Name string
	Dim  int
	Data []float32
}

// Row returns track i's vector.
func (f *Features) Row(i int) []float32 { return f.Data[i*f.Dim : (i+1)*f.Dim] }

// Open loads LIB/tracks.json and every feature set of LIB/features.
func Open(dir string) (*Library, error) {
	b, err := os.ReadFile(filepath.Join(dir, TracksFile))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("library: %s has no %s: scan a folder first (musicrep library scan DIR -out %s)",
				dir, TracksFile, dir)
		}
		return nil, fmt.Errorf("library: %w", err)
	}
	l := &Library{Dir: dir, Sets: map[string]*Features{}, byID: map[string]int{}}
	if err := json.Unmarshal(b, &l.Tracks); err != nil {
		return nil, fmt.Errorf("library: %s: %w", filepath.Join(dir, TracksFile), err)
	}
	for i, t := range l.Tracks {
		l.byID[t.ID] = i
	}
	if b, err := os.ReadFile(filepath.Join(dir, InfoFile)); err == nil {
		l.Info = &ScanInfo{}
		if err := json.Unmarshal(b, l.Info); err != nil {
			return nil, fmt.Errorf("library: %s: %w", filepath.Join(dir, InfoFile), err)
		}
	}
	for _, s := range FeatureSets {
		path := filepath.Join(dir, FeaturesDir, s+".npy")
		if _, err := os.Stat(path); err != nil {
			continue
		}
		ids, data, dim, err := corpus.ReadVectors(path)
		if err != nil {
			return nil, fmt.Errorf("library: %w", err)
		}
		if len(ids) != len(l.Tracks) {
			return nil, fmt.Errorf("library: %s has %d rows, %s %d tracks: re-run the scan", path, len(ids),
				TracksFile, len(l.Tracks))
		}
		for i, id := range ids {
			if id != l.Tracks[i].ID {
				return nil, fmt.Errorf("library: %s row %d is %q, %s says %q: re-run the scan", path, i, id,
					TracksFile, l.Tracks[i].ID)
			}
		}
		l.Sets[s] = &Features{Name: s, Dim: dim, Data: data}
	}
	if err := l.loadModelSets(); err != nil {
		return nil, err
	}
	return l, nil
}

// File returns the path of track i's audio file: the scanned folder (scan.json) joined with the track's path.
func (l *Library) File(i int) (string, error) {
	if l.Info == nil || l.Info.Source == "" {
		return "", fmt.Errorf("library: %s has no %s (scanned by an older musicrep): the source folder is unknown; "+
			"scan again to record it", l.Dir, InfoFile)
	}
	return filepath.Join(l.Info.Source, filepath.FromSlash(l.Tracks[i].Path)), nil
}

// Index returns the position of a track by id (or unique id prefix, or exact relative path).
func (l *Library) Index(key string) (int, error) {
	if i, ok := l.byID[key]; ok {
		return i, nil
	}
	found := -1
	for i, t := range l.Tracks {
		if t.Path == key || (len(key) >= 4 && strings.HasPrefix(t.ID, key)) {
			if found >= 0 {
				return -1, fmt.Errorf("library: %q matches several tracks", key)
			}
			found = i
		}
	}
	if found < 0 {
		return -1, fmt.Errorf("library: no track with id or path %q in %s", key, l.Dir)
	}
	return found, nil
}

// Set returns a feature set by name, or an error listing the sets present.
func (l *Library) Set(name string) (*Features, error) {
	if f := l.Sets[name]; f != nil {
		return f, nil
	}
	return nil, fmt.Errorf("library: no feature set %q in %s (present: %s)", name, l.Dir,
		strings.Join(l.SetNames(), ", "))
}

// TagScore is a tag and its probability.
type TagScore struct {
	Tag  string  `json:"tag"`
	Prob float64 `json:"prob"`
}

// TopTags returns the k most probable tags of a 100-value SetMusicnnTags row (names from TagNames).
func TopTags(row []float32, k int) []TagScore {
	names := TagNames()
	out := make([]TagScore, len(row))
	for i, v := range row {
		out[i] = TagScore{names[i], float64(v)}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Prob > out[b].Prob })
	return out[:min(k, len(out))]
}

// TopTagWeights returns the k largest of SearchWeights' 100 tag weights, with their tag names.
func TopTagWeights(w []float64, k int) []TagScore {
	names := TagNames()
	out := make([]TagScore, 0, len(w))
	for j, v := range w {
		if j < len(names) {
			out = append(out, TagScore{names[j], v})
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Prob > out[b].Prob })
	return out[:min(k, len(out))]
}

// Neighbour is a track and its cosine similarity to a query.
type Neighbour struct {
	Index  int     `json:"-"`
	ID     string  `json:"id"`
	Path   string  `json:"path"`
	Cosine float64 `json:"cosine"`
}

// Similar returns the k tracks most similar (cosine) to query in feature set f, excluding the track at exclude
// (−1 for none).
func (l *Library) Similar(f *Features, query []float32, k, exclude int) []Neighbour {
	if len(query) != f.Dim {
		panic(fmt.Sprintf("library: query of %d values for feature set %s of %d", len(query), f.Name, f.Dim))
	}
	base := evaluation.Normalize(f.Data, f.Dim)
	q := evaluation.Normalize(query, f.Dim)
	res := evaluation.TopKSquaredL2(base, f.Dim, q, k, func(_, i int) bool { return i == exclude })[0]
	out := make([]Neighbour, len(res))
	for i, nb := range res {
		t := l.Tracks[nb.Index]
		out[i] = Neighbour{Index: nb.Index, ID: t.ID, Path: t.Path, Cosine: 1 - nb.Dist/2}
	}
	return out
}

// SearchTemperature is τ of the free-text search's tag weights (see Search).
const SearchTemperature = 0.1

// SearchResult is a track scored by a free-text query.
type SearchResult struct {
	Index int     `json:"-"`
	ID    string  `json:"id"`
	Path  string  `json:"path"`
	Score float64 `json:"score"`
}

// SearchWeights returns the weight of each of the 100 tags for a query, from the MiniLM cosine similarities
// c_j between the query and the tag names: w_j = softmax_j(c_j / τ), τ = SearchTemperature. The tag names are
// embedded as written in musicnn ("female vocalists", "no vocals", …), without their msd:/mtt: prefix.
func SearchWeights(enc TextEncoder, query string) ([]float64, error) {
	names := TagNames()
	texts := []string{query}
	for _, n := range names {
		texts = append(texts, n[strings.Index(n, ":")+1:])
	}
	v, err := enc.Encode(texts, nil)
	if err != nil {
		return nil, err
	}
	cos := func(a, b []float32) float64 {
		var ab, aa, bb float64
		for i := range a {
			ab += float64(a[i]) * float64(b[i])
			aa += float64(a[i]) * float64(a[i])
			bb += float64(b[i]) * float64(b[i])
		}
		return ab / math.Sqrt(aa*bb+1e-30)
	}
	w := make([]float64, len(names))
	mx := math.Inf(-1)
	for j := range names {
		w[j] = cos(v[0], v[j+1]) / SearchTemperature
		mx = math.Max(mx, w[j])
	}
	sum := 0.0
	for j := range w {
		w[j] = math.Exp(w[j] - mx)
		sum += w[j]
	}
	for j := range w {
		w[j] /= sum
	}
	return w, nil
}

// Search scores every track for a free-text query: score_t = Σ_j w_j · z_tj, where w are SearchWeights and
// z_tj is track t's probability of tag j standardised over the library ((p_tj − mean_j) / std_j), so a tag
// that every track has (a high base rate) does not decide the ranking. It returns the k best tracks.
func (l *Library) Search(weights []float64, k int) ([]SearchResult, error) {
	f, err := l.Set(SetMusicnnTags)
	if err != nil {
		return nil, err
	}
	if len(weights) != f.Dim {
		return nil, fmt.Errorf("library: %d search weights for %d tags", len(weights), f.Dim)
	}
	n := len(l.Tracks)
	mean := make([]float64, f.Dim)
	std := make([]float64, f.Dim)
	for i := range n {
		for j, v := range f.Row(i) {
			mean[j] += float64(v)
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	for i := range n {
		for j, v := range f.Row(i) {
			d := float64(v) - mean[j]
			std[j] += d * d
		}
	}
	for j := range std {
		std[j] = math.Sqrt(std[j]/float64(n)) + 1e-6
	}
	out := make([]SearchResult, n)
	for i := range n {
		s := 0.0
		for j, v := range f.Row(i) {
			s += weights[j] * (float64(v) - mean[j]) / std[j]
		}
		out[i] = SearchResult{Index: i, ID: l.Tracks[i].ID, Path: l.Tracks[i].Path, Score: s}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Score > out[b].Score })
	return out[:min(k, n)], nil
}
