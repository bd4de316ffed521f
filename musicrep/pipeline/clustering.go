package pipeline

import (
	"fmt"
	"sort"

	"github.com/musicrep/musicrep/evaluation"
	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/corpus"
	"github.com/musicrep/musicrep/musicrep/results"
)

// ClusteringOptions configures Clustering.
type ClusteringOptions struct {
	Genres int    // the tracks whose primary genre is one of the this-many most common primary genres; default 8
	Seed   uint64 // k-means seed
	NInit  int    // k-means restarts; default 10
	Tracks []int  // restrict to these rows (e.g. the test tracks of a split); nil = every track
}

// PrimaryGenres labels each track with its first Deezer genre, keeping only the `top` most common primary
// genres: rows lists the tracks kept, labels their genre index into names (most common first).
func PrimaryGenres(tracks []musicrep.Track, top int) (rows, labels []int, names []string) {
	count := map[string]int{}
	for _, t := range tracks {
		if len(t.Genres) > 0 {
			count[t.Genres[0]]++
		}
	}
	for g := range count {
		names = append(names, g)
	}
	sort.Slice(names, func(i, j int) bool {
		if count[names[i]] != count[names[j]] {
			return count[names[i]] > count[names[j]]
		}
		return names[i] < names[j]
	})
	if len(names) > top {
		names = names[:top]
	}
	index := map[string]int{}
	for i, g := range names {
		index[g] = i
	}
	for r, t := range tracks {
		if len(t.Genres) == 0 {
			continue
		}
		if l, ok := index[t.Genres[0]]; ok {
			rows = append(rows, r)
			labels = append(labels, l)
		}
	}
	return rows, labels, names
}

// Clustering runs k-means (k = number of genres kept) on each embeddings set, restricted to the tracks whose
// primary genre is among the most common ones, and scores the clusters against those genres: NMI and ARI of
// k-means clusters versus genre, the silhouette of the k-means clusters, and the silhouette of the genre labels
// themselves (how well genres separate in the space, no clustering involved). Vectors are used as given.
func Clustering(c *corpus.Corpus, sets []*musicrep.Embeddings, opt ClusteringOptions) (*results.Table, error) {
	if err := checkSets(c, sets); err != nil {
		return nil, err
	}
	if opt.Genres == 0 {
		opt.Genres = 8
	}
	rows, labels, names := PrimaryGenres(c.Tracks, opt.Genres)
	scope := "every track"
	if opt.Tracks != nil {
		keep := map[int]bool{}
		for _, r := range opt.Tracks {
			keep[r] = true
		}
		var kr, kl []int
		for i, r := range rows {
			if keep[r] {
				kr, kl = append(kr, r), append(kl, labels[i])
			}
		}
		rows, labels = kr, kl
		scope = fmt.Sprintf("the %d given tracks", len(opt.Tracks))
	}
	if len(names) < 2 {
		return nil, fmt.Errorf("clustering needs at least two genres, found %d", len(names))
	}
	t := &results.Table{Protocol: "clustering"}
	for _, e := range sets {
		data := evaluation.GatherRows(e.Data, e.Dim, rows)
		km, err := evaluation.KMeans(data, e.Dim, len(names), evaluation.KMeansOptions{Seed: opt.Seed, NInit: opt.NInit})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name, err)
		}
		silK, err := evaluation.Silhouette(data, e.Dim, km.Labels)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name, err)
		}
		silG, err := evaluation.Silhouette(data, e.Dim, labels)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name, err)
		}
		t.Rows = append(t.Rows, results.Row{Name: e.Name, Kind: e.Kind, Source: e.Source, Note: e.Note, Dim: e.Dim,
			Leaks: e.Leaks, Metrics: map[string]float64{
				"nmi": evaluation.NMI(labels, km.Labels), "ari": evaluation.ARI(labels, km.Labels),
				"silhouette_kmeans": silK, "silhouette_genre": silG}})
	}
	t.NumQueries = len(rows)
	t.Description = fmt.Sprintf("k-means (k=%d, k-means++, %d restarts, seed %d) on the %d tracks (of %s) whose first "+
		"Deezer genre is one of the %d most common over all tracks (%v); NMI/ARI of the clusters against that genre; "+
		"silhouette (Euclidean) of the k-means clusters and of the genre labels. In-sample for models trained on "+
		"these tracks.", len(names), restarts(opt.NInit), opt.Seed, len(rows), scope, len(names), names)
	t.Notes = []string{"The graph features were built from artist and genre links: their agreement with genre is " +
		"by construction."}
	return t, nil
}

// Map2D projects an embeddings set to two dimensions with "pca" or "tsne" (exact t-SNE, perplexity 30,
// PCA initialisation, scikit-learn's defaults). It returns n×2 coordinates.
func Map2D(e *musicrep.Embeddings, method string) ([]float32, error) {
	switch method {
	case "pca":
		p, err := evaluation.PCA(e.Data, e.Dim, 2)
		if err != nil {
			return nil, err
		}
		return p.Projected, nil
	case "tsne":
		return evaluation.TSNE(e.Data, e.Dim, evaluation.TSNEOptions{})
	}
	return nil, fmt.Errorf("map method %q: use pca or tsne", method)
}

// restarts is the number of k-means restarts evaluation.KMeans makes for NInit (0 means its default, 10).
func restarts(nInit int) int {
	if nInit == 0 {
		return 10
	}
	return nInit
}
