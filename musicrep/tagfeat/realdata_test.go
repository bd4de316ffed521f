package tagfeat

import (
	"errors"
	"github.com/musicrep/musicrep/musicrep/backends"
	"github.com/musicrep/musicrep/musicrep/encoder"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX idiom.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/corpus"
)

// realInputs loads the Fairouz tracks and the installed word vectors (the words their tags need). It skips
// when the data is absent (fails if $CI is set) or the vectors are not installed (fails if
// $MUSICREP_REQUIRE_MODELS=1, as `make unit` sets).
func realInputs(t *testing.T) ([]musicrep.Track, *WordVectors, time.Duration) {
	t.Helper()
	dir, err := corpus.DataDir("")
	tracksFile := filepath.Join(dir, "fairouz", "tracks_contextualized.json")
	if err == nil {
		_, err = os.Stat(tracksFile)
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("data not found (CI is set): %v", err)
		}
		t.Skipf("data not found: %v", err)
	}
	tracks, err := corpus.LoadTracks(tracksFile)
	if err != nil {
		t.Fatal(err)
	}
	path, err := LocateWordVectors()
	if err != nil {
		if errors.Is(err, ErrVectorsMissing) && os.Getenv("MUSICREP_REQUIRE_MODELS") != "1" {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	need := NeededWords(tracks, All)
	start := time.Now()
	wv, err := LoadWordVectors(path, func(w string) bool { return need[w] })
	if err != nil {
		t.Fatal(err)
	}
	return tracks, wv, time.Since(start)
}

// TestRealFeatures checks the tag features of the 822 Fairouz tracks against facts computed independently
// with Python's json module from the same files (the tokenisation rules re-implemented there).
func TestRealFeatures(t *testing.T) {
	tracks, wv, took := realInputs(t)
	t.Logf("loaded %d of %d words (%d-d) from %s in %s", wv.Len(), wv.FileWords, wv.Dim, wv.Source, took)
	if wv.Dim != 100 || wv.FileWords != 341479 || len(tracks) != 822 {
		t.Fatalf("dim %d, %d words in the file, %d tracks; want 100, 341479, 822", wv.Dim, wv.FileWords, len(tracks))
	}
	// First values of "rock" and "rnb" as Python's json reads them.
	rock := []float32{-0.68387, 0.39176, 0.5367, -0.378, 0.42068}
	if v, ok := wv.Vector("rock"); !ok || !equalPrefix(v, rock) {
		t.Fatalf("rock = %v…, want %v…", v[:5], rock)
	}
	if v, ok := TagVector(wv, "R&B"); !ok || !equalPrefix(v, []float32{0.0075617, 0.47212, 0.18326}) {
		t.Errorf("R&B vector %v…, want rnb's", v[:3])
	}

	for _, tc := range []struct {
		set                                                   TagSet
		withTags, withVector, inVocab, oov, distinct, distOOV int
		vocab10, dropped10, truncated10                       int
	}{
		{Genres, 770, 770, 977, 0, 29, 0, 29, 0, 0},
		{Keywords, 773, 773, 6871, 55, 2937, 54, 2834, 66, 6},
		{All, 803, 803, 7845, 55, 2961, 54, 2755, 504, 334},
	} {
		f, st, err := Features(tracks, wv, tc.set)
		if err != nil {
			t.Fatal(err)
		}
		t.Log(st)
		if st.TracksWithTags != tc.withTags || st.TracksWithVector != tc.withVector || f.NumPresent() != tc.withVector ||
			st.TagsInVocab != tc.inVocab || st.TagsOOV != tc.oov || st.DistinctTags != tc.distinct ||
			st.DistinctOOV != tc.distOOV {
			t.Errorf("%s: got %+v, want tracks with tags %d, with vector %d, tags in/out %d/%d, distinct %d, OOV %d",
				tc.set, st, tc.withTags, tc.withVector, tc.inVocab, tc.oov, tc.distinct, tc.distOOV)
		}
		if tc.oov > 0 && (st.OOV[0] != TagCount{"21", 2}) {
			t.Errorf("%s: most frequent OOV tag %v, want \"21\"×2", tc.set, st.OOV[0])
		}
		seq, err := BuildSequences(tracks, wv, tc.set, 10)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s, maxTags 10: vocabulary %d, %d tags dropped over %d tracks", tc.set, seq.VocabSize(), seq.Dropped,
			seq.TracksTruncated)
		if seq.VocabSize() != tc.vocab10 || seq.Dropped != tc.dropped10 || seq.TracksTruncated != tc.truncated10 {
			t.Errorf("%s sequences: vocabulary %d, dropped %d over %d tracks; want %d, %d over %d", tc.set,
				seq.VocabSize(), seq.Dropped, seq.TracksTruncated, tc.vocab10, tc.dropped10, tc.truncated10)
		}
		switch tc.set {
		case Genres:
			// A track whose only genre is Rock has exactly rock's vector.
			i := trackIndex(t, tracks, "id02acac4a0eb2a95fed40d3e9e675333b")
			want, _ := wv.Vector("rock")
			if !f.Present[i] || !equalPrefix(f.Row(i), want) {
				t.Errorf("Rock-only track: row %v…, want rock's vector", f.Row(i)[:5])
			}
			smokeEncoders(t, seq)
		case All:
			roundTrip(t, tracks, f)
			// The first track: the mean of its 11 in-vocabulary tags (Python, float64).
			want := []float64{0.18392688181818181, 0.3057536969696969, 0.34766116666666674, 0.12601072727272727}
			row := f.Row(trackIndex(t, tracks, "id0046974fa85628f4c4aed22b11b08a62"))
			for j, w := range want {
				if math.Abs(float64(row[j])-w) > 1e-6 {
					t.Errorf("first track, all tags: row[%d] = %.8g, Python %.8g", j, row[j], w)
				}
			}
		}
	}
}

func equalPrefix(v, prefix []float32) bool {
	if len(v) < len(prefix) {
		return false
	}
	for j, x := range prefix {
		if v[j] != x {
			return false
		}
	}
	return true
}

func trackIndex(t *testing.T, tracks []musicrep.Track, id string) int {
	t.Helper()
	for i := range tracks {
		if tracks[i].ID == id {
			return i
		}
	}
	t.Fatalf("track %s not found", id)
	return -1
}

// smokeEncoders runs both encoders over every track's genre sequence (52 tracks have none): the outputs
// must be finite and the rows without tags equal the LayerNorm offset (zero before training).
func smokeEncoders(t *testing.T, seq *Sequences) {
	t.Helper()
	ids := tensors.FromFlatDataAndDimensions(seq.IDs, seq.NumRows(), seq.MaxTags)
	backend, err := backends.New("")
	if err != nil {
		t.Fatal(err)
	}
	for _, selfAttention := range []bool{true, false} {
		exec, err := model.NewExec(backend, model.NewStore(), func(scope *model.Scope, x *Node) *Node {
			if selfAttention {
				return encoder.SelfAttention(scope, x, seq.Table, seq.VocabSize(), seq.Dim, 4, 0.1)
			}
			return encoder.Mean(scope, x, seq.Table, seq.VocabSize(), seq.Dim, 0.1)
		})
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Exec(ids)
		if err != nil {
			t.Fatal(err)
		}
		data := tensors.MustCopyFlatData[float32](out[0])
		empty := 0
		for i := range seq.NumRows() {
			row := data[i*seq.Dim : (i+1)*seq.Dim]
			noTags := seq.Row(i)[0] == 0
			if noTags {
				empty++
			}
			for _, x := range row {
				if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) || (noTags && x != 0) {
					t.Fatalf("selfAttention=%v: track %d (tags %v): output %v…", selfAttention, i, seq.Row(i), row[:4])
				}
			}
		}
		if empty != 52 {
			t.Errorf("%d tracks without genres, want 52", empty)
		}
	}
}

// roundTrip writes features as the CLI does (corpus.WriteVectorsJSON / WriteVectorsNPY via inference.Export)
// and reads them back with corpus.LoadFeatures: tracks without tags (zero rows) come back absent.
func roundTrip(t *testing.T, tracks []musicrep.Track, f *musicrep.Features) {
	t.Helper()
	ids := make([]string, len(tracks))
	for i := range tracks {
		ids[i] = tracks[i].ID
	}
	index, err := corpus.IndexTracks(tracks)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, path := range []string{filepath.Join(dir, "tags.json"), filepath.Join(dir, "tags.npy")} {
		write := corpus.WriteVectorsJSON
		if filepath.Ext(path) == ".npy" {
			write = corpus.WriteVectorsNPY
		}
		if err := write(path, ids, f.Data, f.Dim); err != nil {
			t.Fatal(err)
		}
		back, err := corpus.LoadFeatures(path, musicrep.Tags, index)
		if err != nil {
			t.Fatal(err)
		}
		if back.NumPresent() != f.NumPresent() || back.Dim != f.Dim {
			t.Fatalf("%s: %d present rows of dim %d read back, wrote %d of dim %d", path, back.NumPresent(), back.Dim,
				f.NumPresent(), f.Dim)
		}
		for i := range f.Present {
			if back.Present[i] != f.Present[i] || !equalPrefix(back.Row(i), f.Row(i)) {
				t.Fatalf("%s: row %d differs after the round trip", path, i)
			}
		}
	}
}
