package corpus

import (
	"fmt"
	"slices"

	"github.com/musicrep/musicrep/musicrep"
)

// LoadFeatures reads one modality's vectors (a JSON vectors file, or a .npy matrix with its ids sidecar;
// see ReadVectors) and joins them to the tracks by id. index maps each track id to its row in tracks order
// (see IndexTracks); its values must be exactly 0..len(index)-1. The result has one row per track, and
// its Dim is the file's vector length.
//
// Row i is marked missing (Present[i] = false, zero row) when track i is absent from the file, and also
// when its vector is exactly all zeros: the seed wrote zero vectors for the tracks without lyrics, and a
// zero vector carries no information. Missing rows must never be used as data.
//
// A file with a vocabulary file next to it (VocabSidecar(path), see Vocab) holds token ids, not vectors (tag
// sequences): then every value must be a token id of that vocabulary, an integer in [0, vocabulary size],
// and the result's Vocab is the vocabulary file's path. A row of only padding (zeros) is missing, as above.
//
// It is an error for the file to hold ids that are not tracks (the error names the first few and gives the
// count: the file probably belongs to another dataset), for no track to be present, or, next to a vocabulary
// file, for that file to be malformed or for a value not to be one of its token ids.
func LoadFeatures(path string, m musicrep.Modality, index map[string]int) (*musicrep.Features, error) {
	if !slices.Contains(musicrep.ModalityOrder, m) {
		return nil, fmt.Errorf("loading features from %s: unknown modality %q: use one of %v", path, m, musicrep.ModalityOrder)
	}
	if err := checkIndex(index); err != nil {
		return nil, fmt.Errorf("loading %s features from %s: %w", m, path, err)
	}
	ids, data, dim, err := ReadVectors(path)
	if err != nil {
		return nil, err
	}
	vocabPath := ""
	if vp := VocabSidecar(path); fileExists(vp) {
		vocab, err := ReadVocab(vp)
		if err != nil {
			return nil, err
		}
		if err := checkTokenIDs(path, vp, vocab, ids, data, dim); err != nil {
			return nil, err
		}
		vocabPath = vp
	}
	n := len(index)
	f := &musicrep.Features{
		Modality: m,
		Source:   path,
		Dim:      dim,
		Data:     make([]float32, n*dim),
		Present:  make([]bool, n),
		Vocab:    vocabPath,
	}
	var unknown []string
	for r, id := range ids {
		row, ok := index[id]
		if !ok {
			unknown = append(unknown, id)
			continue
		}
		src := data[r*dim : (r+1)*dim]
		if isZero(src) {
			continue // explicit missing: see the doc comment
		}
		copy(f.Row(row), src)
		f.Present[row] = true
	}
	if len(unknown) > 0 {
		return nil, fileErr(path, "", "use the vectors file that belongs to this tracks file, or remove those records",
			"%d of its %d ids are not tracks: %s", len(unknown), len(ids), listNames(unknown, 5))
	}
	if f.NumPresent() == 0 {
		return nil, fileErr(path, "", "use the vectors file that belongs to this tracks file",
			"no track has a usable %s vector (%d records, all absent from the tracks or all-zero)", m, len(ids))
	}
	return f, nil
}

// isZero reports whether every value of v is zero.
func isZero(v []float32) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}

// checkIndex verifies that index maps ids to exactly the rows 0..len(index)-1.
func checkIndex(index map[string]int) error {
	if len(index) == 0 {
		return fmt.Errorf("the track index is empty: load the tracks first (LoadTracks, IndexTracks)")
	}
	seen := make([]bool, len(index))
	for id, row := range index {
		if row < 0 || row >= len(index) || seen[row] {
			return fmt.Errorf("the track index is not a numbering 0..%d of the tracks (id %q → row %d): build it with IndexTracks",
				len(index)-1, id, row)
		}
		seen[row] = true
	}
	return nil
}
