package pipeline

import (
	"fmt"
	"slices"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/corpus"
)

// Split is a deterministic split of the tracks by artist.
type Split struct {
	Seed         uint64
	TestFraction float64
	Train, Test  []int // track rows
	// Val holds the validation tracks carved from the training artists (WithValidation); empty when none.
	// They are not in Train: a model trains on Train, every choice is made on Val, Test is scored once.
	Val         []int
	ValFraction float64
	// OnValidation marks a view of a split whose Test holds its validation tracks (ValidationView): scores
	// on it are validation scores, for choosing settings.
	OnValidation bool
}

// ValidationView returns the split with its validation tracks in the place of the test tracks (and the test
// tracks set aside in Val), so that any protocol scores the validation split. It panics without a validation
// split (a programming error).
func (s *Split) ValidationView() *Split {
	if len(s.Val) == 0 {
		panic("pipeline: ValidationView of a split without validation tracks")
	}
	return &Split{Seed: s.Seed, TestFraction: s.TestFraction, ValFraction: s.ValFraction, Train: slices.Clone(s.Train),
		Test: slices.Clone(s.Val), Val: slices.Clone(s.Test), OnValidation: true}
}

// Restrict returns the split keeping only the rows for which keep is true (same seed and fraction).
func (s *Split) Restrict(keep func(row int) bool) *Split {
	out := &Split{Seed: s.Seed, TestFraction: s.TestFraction, ValFraction: s.ValFraction}
	for _, r := range s.Train {
		if keep(r) {
			out.Train = append(out.Train, r)
		}
	}
	for _, r := range s.Val {
		if keep(r) {
			out.Val = append(out.Val, r)
		}
	}
	for _, r := range s.Test {
		if keep(r) {
			out.Test = append(out.Test, r)
		}
	}
	return out
}

// Complete returns the split restricted to the tracks that have every given modality (Restrict). The
// single-modality protocols score a multi-modal model there: a missing modality is a zero vector in the raw and
// modality-alone sets, and zero vectors would crowd every neighbour list.
func (s *Split) Complete(c *corpus.Corpus, modalities []musicrep.Modality) *Split {
	return s.Restrict(func(r int) bool {
		for _, m := range modalities {
			if f, ok := c.Features[m]; !ok || !f.Present[r] {
				return false
			}
		}
		return true
	})
}

// Default split settings of the held-out protocol.
const (
	DefaultSplitSeed    = 1
	DefaultTestFraction = 0.2
)

// MakeSplit splits the corpus' tracks by artist (see corpus.SplitByArtist).
func MakeSplit(c *corpus.Corpus, seed uint64, testFraction float64) (*Split, error) {
	train, test, err := corpus.SplitByArtist(c.Tracks, testFraction, seed)
	if err != nil {
		return nil, err
	}
	return &Split{Seed: seed, TestFraction: testFraction, Train: train, Test: test}, nil
}

// DefaultValFraction is the share of the training tracks (by artist) that held-out runs keep aside as the
// validation split.
const DefaultValFraction = 0.15

// WithValidation returns a copy of the split whose training tracks are split again by artist (same rules as
// MakeSplit, seeded by the split's seed): a fraction of them becomes the validation split, the rest stays
// Train. The test tracks are unchanged.
func (s *Split) WithValidation(c *corpus.Corpus, fraction float64) (*Split, error) {
	tracks := make([]musicrep.Track, len(s.Train))
	for i, r := range s.Train {
		tracks[i] = c.Tracks[r]
	}
	fit, val, err := corpus.SplitByArtist(tracks, fraction, s.Seed+1)
	if err != nil {
		return nil, fmt.Errorf("validation split of the training tracks: %w", err)
	}
	out := &Split{Seed: s.Seed, TestFraction: s.TestFraction, ValFraction: fraction, Test: slices.Clone(s.Test)}
	for _, i := range fit {
		out.Train = append(out.Train, s.Train[i])
	}
	for _, i := range val {
		out.Val = append(out.Val, s.Train[i])
	}
	return out, nil
}

// String describes the split.
func (s *Split) String() string {
	if s.OnValidation {
		return fmt.Sprintf("split by artist (seed %d, test fraction %.2f, validation %.2f of the training tracks), "+
			"scored on its VALIDATION tracks: %d train / %d validation tracks (%d test tracks unused)", s.Seed,
			s.TestFraction, s.ValFraction, len(s.Train), len(s.Test), len(s.Val))
	}
	if len(s.Val) > 0 {
		return fmt.Sprintf("split by artist (seed %d, test fraction %.2f, validation %.2f of the training tracks): "+
			"%d train / %d validation / %d test tracks", s.Seed, s.TestFraction, s.ValFraction, len(s.Train),
			len(s.Val), len(s.Test))
	}
	return fmt.Sprintf("split by artist (seed %d, test fraction %.2f): %d train / %d test tracks", s.Seed,
		s.TestFraction, len(s.Train), len(s.Test))
}
