package tagfeat

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/musicrep/musicrep/musicrep"
)

func TestTagWordsAndKey(t *testing.T) {
	for _, tc := range []struct {
		tag   string
		words []string
		key   string
	}{
		{"desire_for_freedom", []string{"desire", "for", "freedom"}, "desire_for_freedom"},
		{"R&B", []string{"r", "b"}, "r&b"},
		{"Rap/Hip Hop", []string{"rap", "hip", "hop"}, "rap/hip hop"},
		{"  Hard   Rock ", []string{"hard", "rock"}, "hard rock"},
		{"hip-hop", []string{"hip", "hop"}, "hip-hop"},
		{"Élan vital", []string{"élan", "vital"}, "élan vital"},
		{"80s", []string{"80s"}, "80s"},
		{"don't", []string{"don", "t"}, "don't"},
		{"--", nil, ""},
		{"", nil, ""},
	} {
		if got := TagWords(tc.tag); !slices.Equal(got, tc.words) {
			t.Errorf("TagWords(%q) = %q, want %q", tc.tag, got, tc.words)
		}
		if got := TagKey(tc.tag); got != tc.key {
			t.Errorf("TagKey(%q) = %q, want %q", tc.tag, got, tc.key)
		}
	}
}

var testTracks = []musicrep.Track{
	{ID: "a", Genres: []string{"Rock", "R&B"}, Context: []string{"love", "Desire_for_freedom"}, Emotional: []string{"Love", "zzqx"}},
	{ID: "b", Genres: []string{"Rap/Hip Hop"}},
	{ID: "c", Context: []string{"qqq"}, Emotional: []string{"--"}},
	{ID: "d"},
	{ID: "e", Genres: []string{"hip-hop", "Hip Hop", "rock"}},
}

func TestTags(t *testing.T) {
	for _, tc := range []struct {
		track int
		set   TagSet
		want  []string
	}{
		{0, Genres, []string{"Rock", "R&B"}},
		{0, Keywords, []string{"love", "Desire_for_freedom", "zzqx"}},
		{0, All, []string{"Rock", "R&B", "love", "Desire_for_freedom", "zzqx"}},
		{2, Keywords, []string{"qqq"}},
		{3, All, nil},
		{4, Genres, []string{"hip-hop", "Hip Hop", "rock"}},
	} {
		if got := Tags(&testTracks[tc.track], tc.set); !slices.Equal(got, tc.want) {
			t.Errorf("Tags(track %d, %s) = %q, want %q", tc.track, tc.set, got, tc.want)
		}
	}
	if _, err := ParseTagSet("Keywords "); err != nil {
		t.Error(err)
	}
	if _, err := ParseTagSet("moods"); err == nil {
		t.Error("ParseTagSet accepted an unknown set")
	}
}

// testVectors: 2-d vectors for the words of testTracks.
func testVectors(t *testing.T) *WordVectors {
	t.Helper()
	wv, err := NewWordVectors(2, map[string][]float32{
		"rock": {1, 0}, "rnb": {0, 1}, "love": {2, 2}, "desire": {1, 3}, "for": {0, 0}, "freedom": {2, 0},
		"rap": {3, 3}, "hip": {0, 6}, "hop": {6, 0}, "hip-hop": {9, 9},
	})
	if err != nil {
		t.Fatal(err)
	}
	return wv
}

func TestTagVector(t *testing.T) {
	wv := testVectors(t)
	for _, tc := range []struct {
		tag  string
		want []float32 // nil: OOV
	}{
		{"Rock", []float32{1, 0}},
		{"R&B", []float32{0, 1}},                // alias → rnb
		{"desire_for_freedom", []float32{1, 1}}, // mean of desire, for, freedom
		{"Rap/Hip Hop", []float32{3, 3}},        // mean of rap, hip, hop
		{"hip-hop", []float32{9, 9}},            // whole tag is a word
		{"Hip Hop", []float32{3, 3}},            // mean of hip, hop
		{"love zzqx", []float32{2, 2}},          // unknown words are skipped
		{"zzqx", nil},                           // OOV
		{"r b", nil},                            // the alias is for "r&b" only
	} {
		got, ok := TagVector(wv, tc.tag)
		if ok != (tc.want != nil) || !slices.Equal(got, tc.want) {
			t.Errorf("TagVector(%q) = %v, %v; want %v", tc.tag, got, ok, tc.want)
		}
	}
	need := NeededWords(testTracks, Genres)
	for _, w := range []string{"rock", "rnb", "r", "b", "rap/hip hop", "rap", "hip", "hop", "hip-hop", "hip hop"} {
		if !need[w] {
			t.Errorf("NeededWords(genres) lacks %q: %v", w, need)
		}
	}
	if need["love"] {
		t.Error("NeededWords(genres) has a keyword")
	}
}

func TestFeatures(t *testing.T) {
	wv := testVectors(t)
	f, st, err := Features(testTracks, wv, All)
	if err != nil {
		t.Fatal(err)
	}
	if f.Modality != musicrep.Tags || f.Dim != 2 || f.NumRows() != len(testTracks) {
		t.Fatalf("features %s dim %d rows %d", f.Modality, f.Dim, f.NumRows())
	}
	// Track a: rock (1,0), r&b (0,1), love (2,2), desire_for_freedom (1,1); zzqx OOV → mean (1, 1).
	// Track b: rap/hip hop (3,3). Track c: qqq OOV, "--" is no tag. Track d: none.
	// Track e: hip-hop (9,9), hip hop (3,3), rock (1,0) → (13/3, 4).
	want := [][]float32{{1, 1}, {3, 3}, {0, 0}, {0, 0}, {13.0 / 3, 4}}
	wantPresent := []bool{true, true, false, false, true}
	for i := range want {
		if f.Present[i] != wantPresent[i] || math.Abs(float64(f.Row(i)[0]-want[i][0])) > 1e-6 ||
			math.Abs(float64(f.Row(i)[1]-want[i][1])) > 1e-6 {
			t.Errorf("row %d = %v present %v, want %v present %v", i, f.Row(i), f.Present[i], want[i], wantPresent[i])
		}
	}
	wantStats := Stats{Set: All, Tracks: 5, TracksWithTags: 4, TracksWithVector: 3, TagsInVocab: 8, TagsOOV: 2,
		DistinctTags: 9, DistinctOOV: 2, OOV: []TagCount{{"qqq", 1}, {"zzqx", 1}}}
	if st.String() != wantStats.String() || !slices.Equal(st.OOV, wantStats.OOV) {
		t.Errorf("stats\n%v\nwant\n%v", st, wantStats)
	}
	if !strings.Contains(st.String(), `"qqq"×1`) {
		t.Errorf("stats string %q does not list the OOV tags", st)
	}
	if _, _, err := Features(testTracks, nil, All); err == nil {
		t.Error("nil word vectors accepted")
	}
	if _, _, err := Features(testTracks, wv, "moods"); err == nil {
		t.Error("unknown set accepted")
	}
	if _, _, err := Features(nil, wv, All); err == nil {
		t.Error("no tracks accepted")
	}
}

func TestBuildSequences(t *testing.T) {
	wv := testVectors(t)
	s, err := BuildSequences(testTracks, wv, All, 3)
	if err != nil {
		t.Fatal(err)
	}
	// Track a keeps rock, r&b, love (desire_for_freedom dropped); e keeps all three. Vocabulary, sorted:
	wantVocab := []string{"hip hop", "hip-hop", "love", "r&b", "rap/hip hop", "rock"}
	if !slices.Equal(s.Vocab, wantVocab) {
		t.Fatalf("vocab %q, want %q", s.Vocab, wantVocab)
	}
	wantIDs := []int32{
		6, 4, 3,
		5, 0, 0,
		0, 0, 0,
		0, 0, 0,
		2, 1, 6,
	}
	if !slices.Equal(s.IDs, wantIDs) || s.NumRows() != 5 || s.VocabSize() != 6 {
		t.Fatalf("ids %v, want %v", s.IDs, wantIDs)
	}
	if s.Dropped != 1 || s.TracksTruncated != 1 {
		t.Errorf("dropped %d tags over %d tracks, want 1 over 1", s.Dropped, s.TracksTruncated)
	}
	wantTable := []float32{0, 0, 3, 3, 9, 9, 2, 2, 0, 1, 3, 3, 1, 0}
	if !slices.Equal(s.Table, wantTable) || s.Dim != 2 {
		t.Errorf("table %v, want %v", s.Table, wantTable)
	}
	if _, err := BuildSequences(testTracks, wv, All, 0); err == nil {
		t.Error("maxTags 0 accepted")
	}
}
