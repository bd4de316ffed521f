package corpus

import "fmt"

// Pairs is a flat list of labelled (anchor, other) training pairs. Anchor and Other are rows in tracks
// order; Label is 1 for a positive pair and 0 for a negative one.
type Pairs struct {
	Source string // file the pairs came from, for messages
	Anchor []int32
	Other  []int32
	Label  []float32
}

// Len returns the number of pairs.
func (p *Pairs) Len() int { return len(p.Label) }

// NumPositive counts the pairs labelled 1.
func (p *Pairs) NumPositive() int {
	n := 0
	for _, l := range p.Label {
		if l == 1 {
			n++
		}
	}
	return n
}

// LoadPairs reads a pairs file (positives_negatives*.json): a JSON object keyed by anchor track id whose
// values are {"positives": [ids], "negatives": [ids]}. Both keys are required (an empty list is fine);
// other keys are ignored. index maps track ids to rows (see IndexTracks).
//
// The pairs come in the order the seed feeds its model: for each anchor in file order, all its positives
// (label 1) then all its negatives (label 0), duplicates kept. positives maps each anchor row to its
// positive rows in file order, duplicates kept (the relevance lists of the seed's evaluation).
//
// It is an error for the file to be missing, empty, malformed or truncated, to repeat an anchor, to name
// an anchor or a referenced id that is not a track (the error names the anchor, the list and the id), to
// lack a key, or to yield no pair at all. Every error is a *DataError.
func LoadPairs(path string, index map[string]int) (*Pairs, map[int][]int, error) {
	if err := checkIndex(index); err != nil {
		return nil, nil, fmt.Errorf("loading pairs from %s: %w", path, err)
	}
	buf, err := readDataFile(path, "the pairs file", "")
	if err != nil {
		return nil, nil, err
	}
	return parsePairs(path, buf, index)
}

// parsePairs parses the content buf of the pairs file path.
func parsePairs(path string, buf []byte, index map[string]int) (*Pairs, map[int][]int, error) {
	if err := checkJSONSyntax(path, buf); err != nil {
		return nil, nil, err
	}
	const shape = `{"<anchor id>": {"positives": [ids], "negatives": [ids]}, …}`
	anchors, err := readObject(path, buf, 0, buf, "", "a JSON object keyed by anchor id "+shape, "anchor id")
	if err != nil {
		return nil, nil, err
	}
	if len(anchors) == 0 {
		return nil, nil, fileErr(path, "", "give at least one anchor "+shape, "the file holds no anchor ({})")
	}
	p := &Pairs{Source: path}
	positives := make(map[int][]int, len(anchors))
	for _, a := range anchors {
		record := fmt.Sprintf("anchor %q", a.key)
		row, ok := index[a.key]
		if !ok {
			return nil, nil, posErr(path, buf, a.keyOff, record,
				"use the pairs file that belongs to this tracks file, or remove this anchor",
				"the anchor is not a track")
		}
		if a.val[0] != '{' {
			return nil, nil, posErr(path, buf, a.valOff, record, "write "+shape,
				"must be an object with \"positives\" and \"negatives\", found %s", jsonKind(a.val))
		}
		members, err := readObject(path, buf, a.valOff, a.val, record, "a JSON object", "key")
		if err != nil {
			return nil, nil, err
		}
		f := newFieldSet(path, buf, record, a.valOff, members)
		for _, list := range []struct {
			key   string
			label float32
		}{{"positives", 1}, {"negatives", 0}} {
			lm, present := f.byKey[list.key]
			if !present {
				return nil, nil, posErr(path, buf, a.valOff, record,
					fmt.Sprintf(`add "%s": [] (an empty list is fine)`, list.key), "key %q is missing", list.key)
			}
			if lm.val[0] != '[' {
				return nil, nil, f.errAt(lm, "", "%q must be a list of track ids, found %s", list.key, jsonKind(lm.val))
			}
			ids, err := f.strList(list.key, false)
			if err != nil {
				return nil, nil, err
			}
			for j, id := range ids {
				other, ok := index[id]
				if !ok {
					return nil, nil, f.errAt(lm, "use the pairs file that belongs to this tracks file, or remove the id",
						"%s[%d] = %q is not a track", list.key, j, id)
				}
				p.Anchor = append(p.Anchor, int32(row))
				p.Other = append(p.Other, int32(other))
				p.Label = append(p.Label, list.label)
				if list.label == 1 {
					positives[row] = append(positives[row], other)
				}
			}
		}
	}
	if p.Len() == 0 {
		return nil, nil, fileErr(path, "", "give at least one positive or negative", "the file holds no pair (every list is empty)")
	}
	return p, positives, nil
}

// Restrict returns the pairs whose anchor and other rows are both kept (keep[row] is true), in their
// original order. keep must cover every row the pairs use. It is an error for no pair to remain.
func (p *Pairs) Restrict(keep []bool) (*Pairs, error) {
	out := &Pairs{Source: p.Source}
	for k := range p.Label {
		a, o := int(p.Anchor[k]), int(p.Other[k])
		if a < 0 || a >= len(keep) || o < 0 || o >= len(keep) {
			return nil, fmt.Errorf("restricting pairs of %s: pair %d uses rows %d and %d but keep has only %d rows",
				p.Source, k, a, o, len(keep))
		}
		if keep[a] && keep[o] {
			out.Anchor = append(out.Anchor, p.Anchor[k])
			out.Other = append(out.Other, p.Other[k])
			out.Label = append(out.Label, p.Label[k])
		}
	}
	if out.Len() == 0 {
		return nil, fmt.Errorf("restricting pairs of %s: none of the %d pairs has both ends kept: keep more tracks",
			p.Source, p.Len())
	}
	return out, nil
}

// KeepRows returns a keep mask of n rows with the given rows set, for Restrict. It panics if a row is
// outside [0, n) (a programming error).
func KeepRows(n int, rows []int) []bool {
	keep := make([]bool, n)
	for _, r := range rows {
		keep[r] = true
	}
	return keep
}

// Oddities counts the pairs a user should know about: self-pairs (a track paired with itself) and pairs
// labelled both positive and negative (the same anchor and other in both lists, counted once per
// contradicting pair of entries). binding_music's 51k file has 1 and 511 of them, its 6k file 0 and 3;
// musicrep keeps them, as the published model was trained on them, and says so in the run's data description.
func (p *Pairs) Oddities() (self, contradictory int) {
	type key struct{ a, o int32 }
	pos, neg := map[key]int{}, map[key]int{}
	for k := range p.Label {
		if p.Anchor[k] == p.Other[k] {
			self++
		}
		if p.Label[k] == 1 {
			pos[key{p.Anchor[k], p.Other[k]}]++
		} else {
			neg[key{p.Anchor[k], p.Other[k]}]++
		}
	}
	for kk, n := range pos {
		contradictory += min(n, neg[kk])
	}
	return self, contradictory
}
