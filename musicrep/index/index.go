// Package index finds nearest neighbours in large embedding catalogues (millions of tracks) by squared L2
// distance, on the CPU, in pure Go.
//
//   - Flat is exact: it scans every vector. Its answer equals a brute force with SquaredL2 bit for bit (indices,
//     distances, and ties broken by the smaller index).
//   - IVF is approximate, an inverted file like FAISS's IndexIVFFlat: k-means splits the catalogue into NList
//     lists, a query scans the NProbe lists whose centroids are nearest. Within the scanned lists the answer is
//     exact, so with NProbe = NList it equals Flat's.
//
// Both save to and load from one binary file (Save, Load), written atomically and checked by a checksum.
//
// # How the search is exact and fast
//
// Vectors are stored packed (blocks of 16 vectors, transposed) with their squared norms. The scan computes a
// float32 key |x|^2 - 2<q,x> (the squared distance minus |q|^2) for tiles of 4 queries x 32 vectors and keeps
// the best k + 3 + k/8 keys per query in a bounded heap. Flat gives each goroutine a block of up to 256 queries
// that scans the base slice by slice, each slice reused from the CPU cache by all the block's queries. IVF
// groups a block of up to 16,384 queries by probed list and shares the lists among the goroutines, so each
// probed list is read from memory once per block whatever NProbe is.
//
// Then the candidates are re-ranked in float64. The float32 error of a key is bounded (keyErrorBound), so only
// candidates within a proven tolerance of the k-th key can be among the k nearest; their exact distances are
// computed and sorted. When the heap cannot prove that nothing it dropped qualifies (many near-ties, e.g.
// duplicated vectors), the query's scope is scanned again for every vector within the tolerance. The result
// never depends on the float32 rounding, so it is the same with the AVX-512 kernels (GOEXPERIMENT=simd builds on
// CPUs that have it), the AVX2 + FMA assembly kernels (any amd64 build, on CPUs that have them) and the portable
// scalar ones, and so is an IVF built from the same seed.
//
// Data problems (NaN or infinite values, empty input, a k or an NList out of range, corrupt files) are returned
// as errors that say what to change. Searches are safe for concurrent use; an index is immutable once built.
package index

import (
	"fmt"
	"math"
	"runtime"
)

// Kind names an index type; it is also the -kind of `musicrep index build`.
type Kind string

const (
	KindFlat Kind = "flat"
	KindIVF  Kind = "ivf"
)

// Index is what Flat and IVF have in common.
type Index interface {
	// Kind is KindFlat or KindIVF.
	Kind() Kind
	// Dim is the length of every vector.
	Dim() int
	// Len is the number of indexed vectors.
	Len() int
	// Search returns, for each row of the row-major queries matrix (Dim columns), the k nearest indexed
	// vectors by squared L2 distance, sorted by increasing distance, ties by the smaller index. When fewer
	// than k vectors qualify, all of them are returned.
	Search(queries []float32, k int, opt SearchOptions) ([][]Neighbor, error)
	// Save writes the index to path atomically (a temporary file in the same directory, synced, then renamed).
	Save(path string) error
}

// SearchOptions are the optional settings of a search.
type SearchOptions struct {
	// NProbe is the number of inverted lists an IVF search scans per query (0: DefaultNProbe; capped at NList).
	// Flat ignores it.
	NProbe int
	// Exclude, when not nil, is called as Exclude(q, i) for query row q and indexed vector i before i enters
	// q's results; excluded vectors are never returned (e.g. drop a track from its own neighbours). It is
	// called from several goroutines at once and must be safe for that.
	Exclude func(q, i int) bool
}

// DefaultNProbe is the IVF NProbe used when SearchOptions.NProbe is 0.
const DefaultNProbe = 16

// maxLen is the most vectors an index holds (positions are int32, with room for padding).
const maxLen = 1 << 30

// maxSquaredNorm is the largest squared norm a vector may have: beyond it float32 keys could overflow.
const maxSquaredNorm = 1e36

// checkMatrix validates a row-major matrix of vectors named what ("vectors", "queries") and returns its row
// count.
func checkMatrix(what string, v []float32, dim int) (int, error) {
	if dim <= 0 {
		return 0, fmt.Errorf("index: %s: dim must be positive, got %d (give the length of one vector)", what, dim)
	}
	if len(v)%dim != 0 {
		return 0, fmt.Errorf("index: %s: %d values is not a whole number of %d-dimensional vectors (check dim)",
			what, len(v), dim)
	}
	n := len(v) / dim
	if n == 0 {
		return 0, fmt.Errorf("index: %s: empty (give at least one vector)", what)
	}
	if n > maxLen {
		return 0, fmt.Errorf("index: %s: %d vectors, at most %d are supported (split the catalogue)", what, n, maxLen)
	}
	// In parallel chunks; the error reported is the first bad vector's, as a sequential check would find.
	const chunk = 8192
	errs := make([]error, (n+chunk-1)/chunk)
	parallel(runtime.GOMAXPROCS(0), len(errs), func(_, c int) {
		for i := c * chunk; i < min((c+1)*chunk, n); i++ {
			if errs[c] = checkVector(what, i, v[i*dim:(i+1)*dim]); errs[c] != nil {
				return
			}
		}
	})
	for _, err := range errs {
		if err != nil {
			return 0, err
		}
	}
	return n, nil
}

// checkVector reports a non-finite value or an oversized norm in vector i.
func checkVector(what string, i int, row []float32) error {
	var sq float64
	for d, x := range row {
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("index: %s: vector %d has %v at position %d (remove or repair it: NaN and "+
				"infinite values cannot be searched)", what, i, x, d)
		}
		sq += f * f
	}
	if sq > maxSquaredNorm {
		return fmt.Errorf("index: %s: vector %d has squared norm %.3g, above %.0e (rescale the vectors)",
			what, i, sq, maxSquaredNorm)
	}
	return nil
}

// checkSearch validates a search's queries and k against an index of dimension dim.
func checkSearch(queries []float32, dim, k int) (int, error) {
	if k <= 0 {
		return 0, fmt.Errorf("index: k must be at least 1, got %d", k)
	}
	if dim > 0 && len(queries)%dim != 0 {
		return 0, fmt.Errorf("index: queries: %d values is not a whole number of vectors of the index's dimension %d "+
			"(the queries must have the index's dimension)", len(queries), dim)
	}
	return checkMatrix("queries", queries, dim)
}
