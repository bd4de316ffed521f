package tagfeat

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/musicrep/musicrep/musicrep"
)

// TagCount is a tag (its TagKey) and the number of tracks that have it.
type TagCount struct {
	Tag   string
	Count int
}

// Stats describes how a set of tracks' tags met the word vectors.
type Stats struct {
	Set              TagSet
	Tracks           int        // tracks given
	TracksWithTags   int        // tracks with at least one tag in the set
	TracksWithVector int        // tracks with at least one in-vocabulary tag (the Present rows)
	TagsInVocab      int        // (track, tag) pairs whose tag has a vector
	TagsOOV          int        // (track, tag) pairs whose tag is out of vocabulary
	DistinctTags     int        // distinct tags (TagKey)
	DistinctOOV      int        // distinct out-of-vocabulary tags
	OOV              []TagCount // every distinct OOV tag, most frequent first, ties by tag
}

// String summarises the stats in one line, naming the 10 most frequent OOV tags.
func (s Stats) String() string {
	var top []string
	for i, tc := range s.OOV {
		if i == 10 {
			top = append(top, "…")
			break
		}
		top = append(top, fmt.Sprintf("%q×%d", tc.Tag, tc.Count))
	}
	oov := "none"
	if len(top) > 0 {
		oov = strings.Join(top, ", ")
	}
	return fmt.Sprintf("tags %s: %d/%d tracks with tags, %d with a vector; %d distinct tags; %d tag uses in vocabulary, "+
		"%d out (%d distinct: %s)", s.Set, s.TracksWithTags, s.Tracks, s.TracksWithVector, s.DistinctTags, s.TagsInVocab,
		s.TagsOOV, s.DistinctOOV, oov)
}

// trackTags resolves the tags of every track: per track, the keys of its in-vocabulary tags in Tags order;
// vectors maps each in-vocabulary key to its vector.
func trackTags(tracks []musicrep.Track, wv *WordVectors, set TagSet) (keys [][]string, vectors map[string][]float32,
	st Stats, err error) {
	if wv == nil {
		return nil, nil, st, errors.New("tagfeat: no word vectors given: load them with LoadWordVectors")
	}
	if !slices.Contains(TagSets, set) {
		return nil, nil, st, fmt.Errorf("tagfeat: unknown tag set %q: use one of genres, keywords, all", set)
	}
	if len(tracks) == 0 {
		return nil, nil, st, errors.New("tagfeat: no tracks given")
	}
	st = Stats{Set: set, Tracks: len(tracks)}
	vectors = map[string][]float32{}
	oov := map[string]int{}
	distinct := map[string]bool{}
	keys = make([][]string, len(tracks))
	for i := range tracks {
		tags := Tags(&tracks[i], set)
		if len(tags) > 0 {
			st.TracksWithTags++
		}
		for _, tag := range tags {
			k := TagKey(tag)
			distinct[k] = true
			if _, known := vectors[k]; !known {
				if _, out := oov[k]; !out {
					if v, ok := TagVector(wv, k); ok {
						vectors[k] = v
					} else {
						oov[k] = 0
					}
				}
			}
			if _, out := oov[k]; out {
				oov[k]++
				st.TagsOOV++
				continue
			}
			st.TagsInVocab++
			keys[i] = append(keys[i], k)
		}
		if len(keys[i]) > 0 {
			st.TracksWithVector++
		}
	}
	st.DistinctTags = len(distinct)
	st.DistinctOOV = len(oov)
	for k, n := range oov {
		st.OOV = append(st.OOV, TagCount{k, n})
	}
	sort.Slice(st.OOV, func(a, b int) bool {
		if st.OOV[a].Count != st.OOV[b].Count {
			return st.OOV[a].Count > st.OOV[b].Count
		}
		return st.OOV[a].Tag < st.OOV[b].Tag
	})
	return keys, vectors, st, nil
}

// Features returns the tag features of tracks (row-aligned): Modality musicrep.Tags, Dim wv.Dim, each row the
// mean of the track's distinct in-vocabulary tag vectors (TagVector); a track with none is absent (Present
// false, zero row). Source is "tagfeat:<set>:<vectors file name>".
func Features(tracks []musicrep.Track, wv *WordVectors, set TagSet) (*musicrep.Features, Stats, error) {
	keys, vectors, st, err := trackTags(tracks, wv, set)
	if err != nil {
		return nil, st, err
	}
	f := &musicrep.Features{
		Modality: musicrep.Tags,
		Source:   fmt.Sprintf("tagfeat:%s:%s", set, filepath.Base(wv.Source)),
		Dim:      wv.Dim,
		Data:     make([]float32, len(tracks)*wv.Dim),
		Present:  make([]bool, len(tracks)),
	}
	sum := make([]float64, wv.Dim)
	for i, ks := range keys {
		if len(ks) == 0 {
			continue
		}
		clear(sum)
		for _, k := range ks {
			for j, x := range vectors[k] {
				sum[j] += float64(x)
			}
		}
		row := f.Row(i)
		for j := range row {
			row[j] = float32(sum[j] / float64(len(ks)))
		}
		f.Present[i] = true
	}
	return f, st, nil
}

// Sequences are the tracks' tags as id sequences for the tag encoders (SelfAttention, Mean).
type Sequences struct {
	IDs     []int32   // len(tracks)×MaxTags, row-major; 0 = padding (after the tags)
	MaxTags int       // sequence length
	Vocab   []string  // tag keys, sorted; id i+1 ↔ Vocab[i]
	Table   []float32 // (len(Vocab)+1)×Dim, row-major; row 0 (padding) zeros, row i+1 the vector of Vocab[i]
	Dim     int       // vector length

	// Dropped counts the in-vocabulary tags beyond MaxTags that were left out, over TracksTruncated tracks.
	Dropped, TracksTruncated int
	Stats                    Stats // the tags' vocabulary statistics
}

// NumRows is the number of tracks.
func (s *Sequences) NumRows() int { return len(s.IDs) / s.MaxTags }

// VocabSize is the number of distinct tags (the table has VocabSize()+1 rows).
func (s *Sequences) VocabSize() int { return len(s.Vocab) }

// Row returns track i's ids.
func (s *Sequences) Row(i int) []int32 { return s.IDs[i*s.MaxTags : (i+1)*s.MaxTags] }

// BuildSequences turns each track's in-vocabulary tags (in Tags order, as contrastive-mir keeps the first
// tags in stored order) into at most maxTags ids, zero-padded; tags beyond maxTags are dropped and counted.
// The vocabulary is the distinct tags that occur in the sequences, sorted by key, so the ids depend only on
// the tags, not on the order of the tracks.
func BuildSequences(tracks []musicrep.Track, wv *WordVectors, set TagSet, maxTags int) (*Sequences, error) {
	if maxTags < 1 {
		return nil, fmt.Errorf("tagfeat: maxTags must be ≥ 1, got %d", maxTags)
	}
	keys, vectors, st, err := trackTags(tracks, wv, set)
	if err != nil {
		return nil, err
	}
	s := &Sequences{MaxTags: maxTags, Dim: wv.Dim, IDs: make([]int32, len(tracks)*maxTags), Stats: st}
	used := map[string]bool{}
	for i, ks := range keys {
		if len(ks) > maxTags {
			s.Dropped += len(ks) - maxTags
			s.TracksTruncated++
			keys[i] = ks[:maxTags]
		}
		for _, k := range keys[i] {
			used[k] = true
		}
	}
	for k := range used {
		s.Vocab = append(s.Vocab, k)
	}
	sort.Strings(s.Vocab)
	id := make(map[string]int32, len(s.Vocab))
	s.Table = make([]float32, (len(s.Vocab)+1)*wv.Dim)
	for i, k := range s.Vocab {
		id[k] = int32(i + 1)
		copy(s.Table[(i+1)*wv.Dim:], vectors[k])
	}
	for i, ks := range keys {
		row := s.Row(i)
		for j, k := range ks {
			row[j] = id[k]
		}
	}
	return s, nil
}
