// Package musicrep holds the root types shared by every musicrep package: modalities, track metadata and
// per-modality feature matrices. It contains no graph (model) code.
//
// Vocabulary used throughout musicrep:
//   - features: frozen per-modality input vectors (VGGish audio, RandNE graph, ...), one matrix per modality;
//   - embeddings: vectors in the learned joint space;
//   - logits: scaled similarities used by contrastive objectives.
package musicrep

import (
	"fmt"
	"strconv"
	"strings"
)

// Modality names one kind of input a track may carry.
type Modality string

// The modalities of the binding_music system.
const (
	Audio Modality = "audio"
	Image Modality = "image"
	Text  Modality = "text"
	Graph Modality = "graph"
	// Tags are word-vector features of a track's tags (genre names, LLM keywords and emotional themes);
	// binding_music has no such modality, contrastive-mir's genre encoder does.
	Tags Modality = "tags"
	// CF is a collaborative-filtering vector learned from playlist co-occurrence (contrastive-mir's BPR factors).
	CF Modality = "cf"
)

// ModalityOrder is the order in which modality encoders are concatenated inside the binding model:
// [audio, image, text, graph], as in binding_music's forward(), followed by musicrep's own tags modality.
// Any subset keeps this relative order.
var ModalityOrder = []Modality{Audio, Image, Text, Graph, Tags, CF}

// ParseModality converts a name ("audio", "image", "text", "graph") to a Modality.
func ParseModality(name string) (Modality, error) {
	for _, m := range ModalityOrder {
		if string(m) == strings.ToLower(strings.TrimSpace(name)) {
			return m, nil
		}
	}
	return "", fmt.Errorf("unknown modality %q: use one of audio, image, text, graph, tags", name)
}

// ParseModalities parses a comma-separated list of modality names, returning them sorted in ModalityOrder.
// Duplicates are an error.
func ParseModalities(list string) ([]Modality, error) {
	seen := map[Modality]bool{}
	for _, part := range strings.Split(list, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		m, err := ParseModality(part)
		if err != nil {
			return nil, err
		}
		if seen[m] {
			return nil, fmt.Errorf("modality %q listed twice in %q", m, list)
		}
		seen[m] = true
	}
	if len(seen) == 0 {
		return nil, fmt.Errorf("no modality given in %q: name at least one of audio, image, text, graph, tags", list)
	}
	return SortModalities(keys(seen)), nil
}

func keys(set map[Modality]bool) []Modality {
	out := make([]Modality, 0, len(set))
	for m := range set {
		out = append(out, m)
	}
	return out
}

// SortModalities returns the given modalities in ModalityOrder (unknown ones are dropped).
func SortModalities(ms []Modality) []Modality {
	set := map[Modality]bool{}
	for _, m := range ms {
		set[m] = true
	}
	out := make([]Modality, 0, len(ms))
	for _, m := range ModalityOrder {
		if set[m] {
			out = append(out, m)
		}
	}
	return out
}

// Track is the metadata of one track, as in binding_music's tracks_contextualized.json.
type Track struct {
	ID         string
	Title      string
	Artist     string
	Album      string
	DeezerID   string
	Genres     []string // Deezer album genres; may be empty.
	ImageURL   string   // cover image URL
	PreviewURL string   // 30 s MP3 preview URL
	Lyrics     string   // empty for tracks without lyrics
	Summary    string   // LLM summary of the lyrics
	Context    []string // LLM keywords
	Emotional  []string // LLM emotional themes
}

// HasLyrics reports whether the track has non-empty lyrics.
func (t *Track) HasLyrics() bool { return strings.TrimSpace(t.Lyrics) != "" }

// Features is one modality's frozen input vectors for a list of tracks, row-aligned with that list.
// A track may lack the modality: then Present[i] is false and its row holds zeros that must never be used
// as data (models mask it, baselines skip it).
//
// Tag sequences are the one kind of feature that is not a vector: their rows hold token ids (integers stored
// as float32, 0 = padding, id i = entry i of a vocabulary), and Vocab names the vocabulary file. Such rows
// are the input of a token encoder (contrastive-mir's tag self-attention or mean); they must never be used
// as vectors (distances, baselines, normalisation).
type Features struct {
	Modality Modality
	Source   string    // file the vectors came from, for error messages
	Dim      int       // vector length (for token ids: the sequence length, max tags)
	Data     []float32 // row-major, len = len(Present)*Dim
	Present  []bool    // Present[i] reports whether row i holds a real vector
	// Vocab is the path of the vocabulary file when the rows hold token ids (tag sequences; see
	// corpus.ReadVocab), "" for vectors.
	Vocab string
	// Leak, when not empty, says which labels these features were built from (e.g. a graph with the genre
	// edges of every track): they must not be scored as a baseline for predicting those labels, only shown
	// as an upper bound.
	Leak string
}

// TokenIDs reports whether the rows hold token ids (a vocabulary is attached) rather than vectors.
func (f *Features) TokenIDs() bool { return f.Vocab != "" }

// NumRows returns the number of rows (tracks).
func (f *Features) NumRows() int { return len(f.Present) }

// Row returns row i (a slice into Data).
func (f *Features) Row(i int) []float32 { return f.Data[i*f.Dim : (i+1)*f.Dim] }

// NumPresent counts the rows that hold a real vector.
func (f *Features) NumPresent() int {
	n := 0
	for _, p := range f.Present {
		if p {
			n++
		}
	}
	return n
}

// ParseInputs reads a model's inputs from the text of two hyperparameters: the modalities (comma-separated, see
// ParseModalities) and their input sizes (comma-separated integers, possibly empty before the data fills them).
// The names of the two hyperparameters go into the errors.
func ParseInputs(modalities, modalitiesKey, dims, dimsKey string) ([]Modality, []int, error) {
	mods, err := ParseModalities(modalities)
	if err != nil {
		return nil, nil, fmt.Errorf("hyperparameter %s: %w", modalitiesKey, err)
	}
	var sizes []int
	for _, part := range strings.Split(dims, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		d, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil {
			return nil, nil, fmt.Errorf("hyperparameter %s=%q: %q is not an integer", dimsKey, dims, part)
		}
		sizes = append(sizes, d)
	}
	return mods, sizes, nil
}

// FormatInputs is the inverse of ParseInputs: the modalities and the sizes as comma-separated lists.
func FormatInputs(mods []Modality, dims []int) (modalities, sizes string) {
	names := make([]string, len(mods))
	for i, m := range mods {
		names[i] = string(m)
	}
	texts := make([]string, len(dims))
	for i, d := range dims {
		texts[i] = strconv.Itoa(d)
	}
	return strings.Join(names, ","), strings.Join(texts, ",")
}
