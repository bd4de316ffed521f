package tagfeat

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/musicrep/musicrep/musicrep"
)

// TagSet selects which of a track's tags are used.
type TagSet string

// The tag sets.
const (
	// Genres are the Deezer album genres (Track.Genres).
	Genres TagSet = "genres"
	// Keywords are the LLM keywords and emotional themes of the lyrics (Track.Context, then Track.Emotional);
	// tracks without lyrics have none.
	Keywords TagSet = "keywords"
	// All is Genres, then Keywords.
	All TagSet = "all"
)

// TagSets lists the valid tag sets.
var TagSets = []TagSet{Genres, Keywords, All}

// ParseTagSet converts "genres", "keywords" or "all" to a TagSet.
func ParseTagSet(name string) (TagSet, error) {
	for _, s := range TagSets {
		if string(s) == strings.ToLower(strings.TrimSpace(name)) {
			return s, nil
		}
	}
	return "", fmt.Errorf("unknown tag set %q: use one of genres, keywords, all", name)
}

// Tags returns the tags of t in set, in the order genres, context, emotional, each list in stored order.
// Tags are compared by TagKey: a tag repeating an earlier one (in any spelling) is dropped, and tags with
// no letter or digit are skipped. An unknown set panics (use ParseTagSet for user input).
func Tags(t *musicrep.Track, set TagSet) []string {
	var lists [][]string
	switch set {
	case Genres:
		lists = [][]string{t.Genres}
	case Keywords:
		lists = [][]string{t.Context, t.Emotional}
	case All:
		lists = [][]string{t.Genres, t.Context, t.Emotional}
	default:
		panic(fmt.Sprintf("tagfeat.Tags: unknown tag set %q: use one of %v", set, TagSets))
	}
	var out []string
	seen := map[string]bool{}
	for _, l := range lists {
		for _, tag := range l {
			k := TagKey(tag)
			if k == "" || seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, tag)
		}
	}
	return out
}

// TagWords returns the words of a tag: lowercased runs of letters and digits (every other rune separates
// words). "desire_for_freedom" → [desire for freedom]; "R&B" → [r b]; "Rap/Hip Hop" → [rap hip hop].
func TagWords(tag string) []string {
	return strings.FieldsFunc(strings.ToLower(tag), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// TagKey is the identity of a tag: lowercased, white space trimmed and collapsed to single spaces ("Love" →
// "love", " Hard  Rock" → "hard rock"). Tags with the same key are the same tag and have the same vector;
// punctuation is kept, so "hip-hop" and "hip hop" are different tags (the first is one vocabulary word).
// The key is empty for a tag with no letter or digit.
func TagKey(tag string) string {
	if len(TagWords(tag)) == 0 {
		return ""
	}
	return strings.Join(strings.Fields(strings.ToLower(tag)), " ")
}

// aliases maps a whole lowercased tag to the vocabulary word that stands for it.
var aliases = map[string]string{
	"r&b": "rnb", // the wink vocabulary has no one-letter words, so r, b are unknown; "rnb" is a music word
}

// wholeTag is the whole lowercased tag, after the alias table: looked up as one word first.
func wholeTag(tag string) string {
	w := TagKey(tag)
	if a, ok := aliases[w]; ok {
		return a
	}
	return w
}

// NeededWords returns every vocabulary word that the tags of tracks in the given sets may look up: each
// tag's whole form (see the package documentation) and its words. Pass it to LoadWordVectors as the
// keep-set.
func NeededWords(tracks []musicrep.Track, sets ...TagSet) map[string]bool {
	need := map[string]bool{}
	for i := range tracks {
		for _, set := range sets {
			for _, tag := range Tags(&tracks[i], set) {
				need[wholeTag(tag)] = true
				for _, w := range TagWords(tag) {
					need[w] = true
				}
			}
		}
	}
	return need
}

// TagVector returns the vector of a tag (see the package documentation): the vector of the whole lowercased
// tag (after the alias table) if the vocabulary holds it, else the mean of its known words' vectors. ok is
// false when the tag is out of vocabulary.
func TagVector(wv *WordVectors, tag string) (vec []float32, ok bool) {
	if v, ok := wv.Vector(wholeTag(tag)); ok {
		return append([]float32(nil), v...), true
	}
	var sum []float64
	n := 0
	for _, w := range TagWords(tag) {
		v, ok := wv.Vector(w)
		if !ok {
			continue
		}
		if sum == nil {
			sum = make([]float64, wv.Dim)
		}
		for j, x := range v {
			sum[j] += float64(x)
		}
		n++
	}
	if n == 0 {
		return nil, false
	}
	vec = make([]float32, wv.Dim)
	for j := range sum {
		vec[j] = float32(sum[j] / float64(n))
	}
	return vec, true
}

// LoadWordVectorsFor locates the installed word vectors (LocateWordVectors) and loads the words the tags of
// tracks need in every tag set.
func LoadWordVectorsFor(tracks []musicrep.Track) (*WordVectors, error) {
	path, err := LocateWordVectors()
	if err != nil {
		return nil, err
	}
	need := NeededWords(tracks, All)
	return LoadWordVectors(path, func(w string) bool { return need[w] })
}
