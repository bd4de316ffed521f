package musicrep

import "fmt"

// Embeddings is one set of vectors, one per item (a track of a corpus, a song of a dataset): row i of Data is
// the embedding of IDs[i]. Learned, published and raw-feature (baseline) sets all use it; the evaluation and
// the report tables score it.
type Embeddings struct {
	Name   string
	Kind   string // "learned", "published" or "baseline"
	Source string // file or description
	Note   string // caveats, e.g. in-sample or label leakage
	// Leaks marks embeddings built from (or trained on features built from) the labels a protocol scores:
	// shown as upper bounds, never as baselines or winners.
	Leaks bool
	IDs   []string  // one per row
	Dim   int       // vector length
	Data  []float32 // row-major, len(IDs) × Dim
}

// Len returns the number of rows.
func (e *Embeddings) Len() int { return len(e.IDs) }

// Row returns row i (a slice into Data).
func (e *Embeddings) Row(i int) []float32 { return e.Data[i*e.Dim : (i+1)*e.Dim] }

// Rows returns a copy of the set holding only the given rows, in that order (with their ids); the other
// fields are kept. It panics if a row is out of range.
func (e *Embeddings) Rows(rows []int) *Embeddings {
	out := *e
	out.IDs = make([]string, len(rows))
	out.Data = make([]float32, 0, len(rows)*e.Dim)
	for i, r := range rows {
		out.IDs[i] = e.IDs[r]
		out.Data = append(out.Data, e.Row(r)...)
	}
	return &out
}

// Check reports an inconsistent set: a non-positive Dim, or Data that does not hold one Dim-long row per id.
func (e *Embeddings) Check() error {
	if e.Dim <= 0 {
		return fmt.Errorf("embeddings %q: dimension %d (must be positive)", e.Name, e.Dim)
	}
	if len(e.Data) != len(e.IDs)*e.Dim {
		return fmt.Errorf("embeddings %q: %d values for %d ids of dimension %d", e.Name, len(e.Data), len(e.IDs), e.Dim)
	}
	return nil
}
