package index

import (
	"math"
	"strings"
	"testing"
)

// TestBadInput checks that every invalid input is an error that says what to change.
func TestBadInput(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	good := []float32{0, 1, 1, 0, 1, 1, 2, 2}
	flat, err := NewFlat(good, 2)
	if err != nil {
		t.Fatal(err)
	}
	ivf, err := NewIVF(good, 2, IVFOptions{NList: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		run  func() error
		want string
	}{
		{"flat dim 0", func() error { _, err := NewFlat(good, 0); return err }, "dim must be positive, got 0"},
		{"flat dim negative", func() error { _, err := NewFlat(good, -3); return err }, "dim must be positive, got -3"},
		{"flat ragged", func() error { _, err := NewFlat(good, 3); return err }, "not a whole number of 3-dimensional"},
		{"flat empty", func() error { _, err := NewFlat(nil, 4); return err }, "vectors: empty"},
		{"flat NaN", func() error { _, err := NewFlat([]float32{1, 2, 3, nan}, 2); return err },
			"vector 1 has NaN at position 1"},
		{"flat Inf", func() error { _, err := NewFlat([]float32{inf, 2}, 2); return err }, "vector 0 has +Inf at position 0"},
		{"flat huge", func() error { _, err := NewFlat([]float32{3e18, 0}, 2); return err }, "rescale the vectors"},
		{"ivf nlist 0", func() error { _, err := NewIVF(good, 2, IVFOptions{}); return err }, "NList must be at least 1"},
		{"ivf nlist above n", func() error { _, err := NewIVF(good, 2, IVFOptions{NList: 5}); return err },
			"NList 5 is more than the 4 vectors (use at most 4 lists"},
		{"ivf iterations", func() error { _, err := NewIVF(good, 2, IVFOptions{NList: 1, Iterations: -1}); return err },
			"Iterations must be positive"},
		{"ivf NaN", func() error { _, err := NewIVF([]float32{nan, 0}, 2, IVFOptions{NList: 1}); return err }, "NaN"},
		{"ivf empty", func() error { _, err := NewIVF(nil, 2, IVFOptions{NList: 1}); return err }, "vectors: empty"},
		{"k 0", func() error { _, err := flat.Search(good[:2], 0, SearchOptions{}); return err }, "k must be at least 1, got 0"},
		{"k negative", func() error { _, err := ivf.Search(good[:2], -1, SearchOptions{}); return err }, "got -1"},
		{"query dim", func() error { _, err := flat.Search([]float32{1, 2, 3}, 1, SearchOptions{}); return err },
			"index's dimension 2"},
		{"no queries", func() error { _, err := ivf.Search(nil, 1, SearchOptions{}); return err }, "queries: empty"},
		{"query NaN", func() error { _, err := flat.Search([]float32{0, 0, nan, 0}, 1, SearchOptions{}); return err },
			"queries: vector 1 has NaN"},
		{"nprobe negative", func() error { _, err := ivf.Search(good[:2], 1, SearchOptions{NProbe: -2}); return err },
			"nprobe must be positive"},
		{"synth dim", func() error { _, _, err := Synthetic(SynthOptions{N: 3, Dim: 0}); return err }, "dim must be positive"},
		{"synth intrinsic", func() error {
			_, _, err := Synthetic(SynthOptions{N: 3, Dim: 4, IntrinsicDim: 5})
			return err
		}, "intrinsic dim must be in [1, dim=4]"},
	} {
		err := c.run()
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q does not say %q", c.name, err, c.want)
		}
	}
	// NProbe above NList is capped, not an error.
	if _, err := ivf.Search(good[:2], 1, SearchOptions{NProbe: 99}); err != nil {
		t.Errorf("nprobe above nlist: %v", err)
	}
}
