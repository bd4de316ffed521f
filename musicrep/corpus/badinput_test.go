package corpus

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/musicrep/musicrep/musicrep"
)

// writeFile writes content to a new file name in a fresh temporary directory and returns its path.
func writeFile(t testing.TB, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// call runs f, turning a panic into a test failure.
func call(t *testing.T, f func() error) (err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("panic: %v", r)
		}
	}()
	return f()
}

// wantError checks that err is non-nil and that its message names path and contains every want.
func wantError(t *testing.T, err error, path string, wants ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one mentioning %q", wants)
	}
	msg := err.Error()
	for _, w := range append([]string{path}, wants...) {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q\n does not contain %q", msg, w)
		}
	}
	t.Logf("error: %s", msg)
}

const goodTracks = `{
    "id1": {
        "track_title": "A", "artist_name": "X", "album_name": "Al", "deezer_id": "1", "discogs_id": "",
        "genres": ["Rock", "Pop"], "image": "img", "preview_url": "mp3",
        "lyrics": {"lyrics": "la la", "summary": "s", "context": ["c1", "c2"], "emotional": ["e"]}
    },
    "id2": {
        "track_title": "B", "artist_name": "Y", "genres": [],
        "lyrics": {"lyrics": "", "summary": "", "context": "", "emotional": ""}
    },
    "id3": {"track_title": "C", "artist_name": "Y", "extra": {"ignored": [1, 2]}}
}
`

var goodIndex = map[string]int{"id1": 0, "id2": 1, "id3": 2}

func TestLoadTracksGood(t *testing.T) {
	path := writeFile(t, "tracks.json", goodTracks)
	tracks, err := LoadTracks(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []musicrep.Track{
		{ID: "id1", Title: "A", Artist: "X", Album: "Al", DeezerID: "1", Genres: []string{"Rock", "Pop"},
			ImageURL: "img", PreviewURL: "mp3", Lyrics: "la la", Summary: "s", Context: []string{"c1", "c2"},
			Emotional: []string{"e"}},
		{ID: "id2", Title: "B", Artist: "Y", Genres: []string{}},
		{ID: "id3", Title: "C", Artist: "Y"},
	}
	if len(tracks) != len(want) {
		t.Fatalf("got %d tracks, want %d", len(tracks), len(want))
	}
	for i := range want {
		g, w := tracks[i], want[i]
		if g.ID != w.ID || g.Title != w.Title || g.Artist != w.Artist || g.Album != w.Album || g.DeezerID != w.DeezerID ||
			g.ImageURL != w.ImageURL || g.PreviewURL != w.PreviewURL || g.Lyrics != w.Lyrics || g.Summary != w.Summary ||
			strings.Join(g.Genres, "|") != strings.Join(w.Genres, "|") ||
			strings.Join(g.Context, "|") != strings.Join(w.Context, "|") ||
			strings.Join(g.Emotional, "|") != strings.Join(w.Emotional, "|") {
			t.Errorf("track %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
	if tracks[1].Context != nil || tracks[1].Emotional != nil {
		t.Errorf(`context/emotional "" must read as nil, got %#v, %#v`, tracks[1].Context, tracks[1].Emotional)
	}
}

func TestLoadTracksBad(t *testing.T) {
	for _, tc := range []struct {
		name, content string
		wants         []string
	}{
		{"malformed", "{\n  \"id1\": {\"track_title\": \"A\", \"artist_name\": \"X\"},,\n}", []string{"malformed JSON", "line 2"}},
		{"truncated", goodTracks[:len(goodTracks)/2], []string{"unexpected end of JSON", "truncated"}},
		{"NaN literal", `{"id1": {"track_title": "A", "artist_name": "X", "deezer_id": NaN}}`, []string{"NaN is not valid JSON", "byte 62"}},
		{"not an object", `[{"track_title": "A"}]`, []string{"must be a JSON object keyed by track id", "found a list"}},
		{"duplicate id", `{"id1": {"track_title": "A", "artist_name": "X"},` + "\n" + `"id1": {"track_title": "B", "artist_name": "Y"}}`,
			[]string{`track id "id1" appears twice (first at line 1)`, "line 2"}},
		{"empty id", `{"id1": {"track_title": "A", "artist_name": "X"}, "": {"track_title": "B", "artist_name": "Y"}}`,
			[]string{"track 1", "empty track id"}},
		{"spaces in id", `{" id1": {"track_title": "A", "artist_name": "X"}}`, []string{"track 0", "whitespace"}},
		{"tab in id", `{"id\t1": {"track_title": "A", "artist_name": "X"}}`, []string{"track 0", "control character"}},
		{"newline in id", `{"a": {"track_title": "A", "artist_name": "X"}, "b\nc": {"track_title": "A", "artist_name": "X"}}`, []string{"track 1", "control character"}},
		{"record not object", `{"id1": ["A", "X"]}`, []string{`track 0 (id "id1")`, "must be a JSON object, found a list"}},
		{"missing title", `{"id1": {"artist_name": "X"}}`, []string{`track 0 (id "id1")`, `field "track_title" is missing`}},
		{"missing artist", `{"id1": {"track_title": "A"}, "id2": {"track_title": "B"}}`, []string{`track 0 (id "id1")`, `field "artist_name" is missing`}},
		{"empty artist", `{"id1": {"track_title": "A", "artist_name": " "}}`, []string{`track 0 (id "id1")`, `field "artist_name" is empty`}},
		{"title not string", `{"id1": {"track_title": 7, "artist_name": "X"}}`, []string{`(id "id1")`, `"track_title" must be a string, found a number`}},
		{"genres not list", `{"id1": {"track_title": "A", "artist_name": "X", "genres": "Rock"}}`, []string{`(id "id1")`, `"genres" must be a list of strings, found a string`}},
		{"genre not string", `{"id1": {"track_title": "A", "artist_name": "X", "genres": ["Rock", 3]}}`, []string{`(id "id1")`, "item 1 is a number"}},
		{"lyrics not object", `{"id1": {"track_title": "A", "artist_name": "X", "lyrics": "la"}}`, []string{`(id "id1")`, `"lyrics" must be an object`}},
		{"context non-empty string", `{"id1": {"track_title": "A", "artist_name": "X", "lyrics": {"context": "love"}}}`,
			[]string{`track 0 (id "id1"), field "lyrics"`, `"context" must be a list of strings (or "" when there is none), found a string`}},
		{"duplicate field", `{"id1": {"track_title": "A", "artist_name": "X", "track_title": "B"}}`, []string{`(id "id1")`, `field "track_title" appears twice`}},
		{"empty object", `{}`, []string{"no track"}},
		{"empty file", "  \n", []string{"empty"}},
		{"trailing data", `{"id1": {"track_title": "A", "artist_name": "X"}} {}`, []string{"malformed JSON"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, "tracks.json", tc.content)
			err := call(t, func() error { _, err := LoadTracks(path); return err })
			wantError(t, err, path, tc.wants...)
			var de *DataError
			if !errors.As(err, &de) || de.File != path {
				t.Errorf("error is not a *DataError for %s: %#v", path, err)
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "nope.json")
		_, err := LoadTracks(path)
		wantError(t, err, path, "does not exist")
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("errors.Is(err, os.ErrNotExist) is false for %v", err)
		}
	})
}

const goodVectors = `[{"id": "id1", "embedding": [1, 0.5, -2e-3]}, {"id": "id2", "other": {"x": [1]}, "embedding": [0, 0, 0]},
{"embedding": [3, 4, 5], "id": "id3"}]`

func TestReadVectorsJSONGood(t *testing.T) {
	path := writeFile(t, "v.json", goodVectors)
	ids, data, dim, err := ReadVectorsJSON(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(ids, ",") != "id1,id2,id3" || dim != 3 {
		t.Fatalf("got ids %v dim %d", ids, dim)
	}
	want := []float32{1, 0.5, -2e-3, 0, 0, 0, 3, 4, 5}
	for i := range want {
		if data[i] != want[i] {
			t.Fatalf("data = %v, want %v", data, want)
		}
	}
}

func TestReadVectorsJSONBad(t *testing.T) {
	for _, tc := range []struct {
		name, content string
		wants         []string
	}{
		{"malformed", `[{"id": "a", "embedding": [1, 2]} {"id": "b", "embedding": [1, 2]}]`, []string{"record 0", "malformed JSON", "expected ',' or ']'"}},
		{"truncated", goodVectors[:len(goodVectors)/2], []string{"record 1", "unexpected end of JSON", "truncated"}},
		{"not a list", `{"id": "a", "embedding": [1]}`, []string{"must be a JSON list of records, found an object"}},
		{"empty list", ` [ ] `, []string{"the list is empty"}},
		{"record not object", `[{"id": "a", "embedding": [1]}, [1]]`, []string{"record 1", "must be a JSON object, found a list"}},
		{"missing id", `[{"id": "a", "embedding": [1]}, {"embedding": [2]}]`, []string{"record 1", `has no "id"`}},
		{"missing embedding", `[{"id": "a", "embedding": [1]}, {"id": "b"}]`, []string{`record 1 (id "b")`, `has no "embedding"`}},
		{"empty embedding", `[{"id": "a", "embedding": []}]`, []string{`record 0 (id "a")`, "empty embedding"}},
		{"id not string", `[{"id": 3, "embedding": [1]}]`, []string{"record 0", `"id" must be a string, found a number`}},
		{"inconsistent dims", `[{"id": "a", "embedding": [1, 2]}, {"id": "b", "embedding": [1, 2]}, {"id": "c", "embedding": [1, 2, 3]}]`,
			[]string{`record 2 (id "c")`, `embedding has 3 values but record 0 (id "a") has 2`}},
		{"duplicate id", `[{"id": "a", "embedding": [1]}, {"id": "b", "embedding": [2]}, {"id": "a", "embedding": [3]}]`,
			[]string{`record 2 (id "a")`, "appears twice (records 0 and 2)"}},
		{"duplicate key", `[{"id": "a", "id": "b", "embedding": [1]}]`, []string{"record 0", `key "id" appears twice`}},
		{"tab in id", `[{"id": "a", "embedding": [1]}, {"id": "b\tc", "embedding": [2]}]`, []string{"record 1", "control character"}},
		{"NaN", `[{"id": "a", "embedding": [1, 2]}, {"embedding": [1, NaN], "id": "b"}]`, []string{`record 1 (id "b")`, "non-finite value (NaN) at position 1"}},
		{"Infinity", `[{"id": "a", "embedding": [Infinity, 2]}]`, []string{`record 0 (id "a")`, "non-finite value (Infinity) at position 0"}},
		{"-Infinity", `[{"id": "a", "embedding": [1, 2]}, {"id": "b", "embedding": [1, 2]}, {"id": "c", "embedding": [1, -Infinity]}]`,
			[]string{`record 2 (id "c")`, "non-finite value (-Infinity) at position 1"}},
		{"float32 overflow", `[{"id": "a", "embedding": [1e39]}]`, []string{`record 0 (id "a")`, "out of float32 range"}},
		{"string value", `[{"id": "a", "embedding": [1, "2"]}]`, []string{`record 0 (id "a")`, "value at position 1 must be a number, found a string"}},
		{"bad number", `[{"id": "a", "embedding": [1, 01]}]`, []string{`record 0 (id "a")`, "position 1 must be a number, found 01"}},
		{"trailing data", `[{"id": "a", "embedding": [1]}] x`, []string{"unexpected data after the list"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, "vectors.json", tc.content)
			err := call(t, func() error { _, _, _, err := ReadVectorsJSON(path); return err })
			wantError(t, err, path, tc.wants...)
		})
	}
}

func TestVectorsRoundTrip(t *testing.T) {
	ids := []string{"id1", `we"ird\id`, "id3"}
	data := []float32{1, -0.1, 3.4028235e38, 1e-45, 0, -0, 0.1, 0.2, 0.3}
	dir := t.TempDir()
	for _, name := range []string{"v.json", "v.npy"} {
		path := filepath.Join(dir, name)
		write := WriteVectorsJSON
		if strings.HasSuffix(name, ".npy") {
			write = WriteVectorsNPY
		}
		if err := write(path, ids, data, 3); err != nil {
			t.Fatal(err)
		}
		gotIDs, got, dim, err := ReadVectors(path)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(gotIDs, ",") != strings.Join(ids, ",") || dim != 3 {
			t.Fatalf("%s: got ids %q dim %d", name, gotIDs, dim)
		}
		for i := range data {
			if got[i] != data[i] {
				t.Fatalf("%s: value %d: got %v, want %v", name, i, got[i], data[i])
			}
		}
	}
	for _, tc := range []struct {
		name string
		ids  []string
		data []float32
		dim  int
		want string
	}{
		{"no ids", nil, nil, 3, "no vectors"},
		{"length", ids, data[:8], 3, "needs 9 values, got 8"},
		{"dup", []string{"a", "b", "a"}, data, 3, `id "a" is used by rows 0 and 2`},
		{"nan", ids, append(data[:4:4], float32(nan()), 0, 0, 0, 0), 3, `row 1 (id "we\"ird\\id") has a non-finite value (NaN) at position 1`},
	} {
		path := filepath.Join(t.TempDir(), "bad.json")
		wantError(t, WriteVectorsJSON(path, tc.ids, tc.data, tc.dim), path, tc.want)
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: a rejected write left %s behind", tc.name, path)
		}
	}
}

func TestLoadFeatures(t *testing.T) {
	path := writeFile(t, "v.json", goodVectors)
	f, err := LoadFeatures(path, musicrep.Audio, map[string]int{"id3": 0, "id1": 1, "id2": 2, "id4": 3})
	if err != nil {
		t.Fatal(err)
	}
	if f.Dim != 3 || f.NumRows() != 4 || f.Source != path || f.Modality != musicrep.Audio {
		t.Fatalf("got %+v", f)
	}
	// id2 is all-zero and id4 absent: both missing.
	if want := []bool{true, true, false, false}; !slices.Equal(f.Present, want) {
		t.Errorf("Present = %v, want %v", f.Present, want)
	}
	if f.Row(0)[2] != 5 || f.Row(1)[1] != 0.5 || f.Row(3)[0] != 0 {
		t.Errorf("rows not joined by id: %v", f.Data)
	}

	for _, tc := range []struct {
		name, content string
		index         map[string]int
		wants         []string
	}{
		{"unknown ids", `[{"id": "id1", "embedding": [1]}, {"id": "zz", "embedding": [1]}, {"id": "yy", "embedding": [1]}]`,
			goodIndex, []string{`2 of its 3 ids are not tracks: "zz", "yy"`}},
		{"none present", `[{"id": "id1", "embedding": [0, 0]}]`, goodIndex, []string{"no track has a usable audio vector"}},
		{"bad file", `[{"id": "id1", "embedding": [NaN]}]`, goodIndex, []string{`record 0 (id "id1")`, "NaN"}},
		{"bad index", goodVectors, map[string]int{"id1": 0, "id2": 5}, []string{"not a numbering"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, "feat.json", tc.content)
			err := call(t, func() error { _, err := LoadFeatures(path, musicrep.Audio, tc.index); return err })
			wantError(t, err, path, tc.wants...)
		})
	}
}

const goodPairs = `{
    "id1": {"positives": ["id2", "id3", "id2"], "negatives": ["id3"]},
    "id2": {"positives": [], "negatives": ["id1", "id1"], "note": "ignored"},
    "id3": {"positives": ["id1"], "negatives": []}
}`

func TestLoadPairsGood(t *testing.T) {
	path := writeFile(t, "pairs.json", goodPairs)
	p, positives, err := LoadPairs(path, goodIndex)
	if err != nil {
		t.Fatal(err)
	}
	wantA := []int32{0, 0, 0, 0, 1, 1, 2}
	wantO := []int32{1, 2, 1, 2, 0, 0, 0}
	wantL := []float32{1, 1, 1, 0, 0, 0, 1}
	if p.Len() != len(wantA) || p.Source != path {
		t.Fatalf("got %d pairs from %q, want %d", p.Len(), p.Source, len(wantA))
	}
	for k := range wantA {
		if p.Anchor[k] != wantA[k] || p.Other[k] != wantO[k] || p.Label[k] != wantL[k] {
			t.Fatalf("pair %d = (%d, %d, %v), want (%d, %d, %v)", k, p.Anchor[k], p.Other[k], p.Label[k], wantA[k], wantO[k], wantL[k])
		}
	}
	if len(positives) != 2 || len(positives[0]) != 3 || positives[0][2] != 1 || positives[2][0] != 0 {
		t.Errorf("positives = %v", positives)
	}
	r, err := p.Restrict([]bool{true, false, true})
	if err != nil {
		t.Fatal(err)
	}
	if r.Len() != 3 || r.Other[0] != 2 || r.Label[1] != 0 || r.Anchor[2] != 2 {
		t.Errorf("Restrict kept %v %v %v", r.Anchor, r.Other, r.Label)
	}
	if _, err := p.Restrict([]bool{true, false, false}); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("Restrict to nothing: got %v, want an error naming %s", err, path)
	}
	if _, err := p.Restrict([]bool{true}); err == nil {
		t.Error("Restrict with a short mask: no error")
	}
}

func TestLoadPairsBad(t *testing.T) {
	for _, tc := range []struct {
		name, content string
		wants         []string
	}{
		{"malformed", `{"id1": {"positives": ["id2"] "negatives": []}}`, []string{"malformed JSON", "byte 30"}},
		{"truncated", goodPairs[:len(goodPairs)/2], []string{"unexpected end of JSON"}},
		{"unknown other", `{"id1": {"positives": ["id2"], "negatives": ["id2", "idX"]}}`, []string{`anchor "id1"`, `negatives[1] = "idX" is not a track`}},
		{"unknown anchor", `{"id1": {"positives": ["id2"], "negatives": []}, "idX": {"positives": [], "negatives": []}}`,
			[]string{`anchor "idX"`, "the anchor is not a track"}},
		{"duplicate anchor", `{"id1": {"positives": ["id2"], "negatives": []},` + "\n" + `"id1": {"positives": [], "negatives": []}}`,
			[]string{`anchor id "id1" appears twice (first at line 1)`, "line 2"}},
		{"missing key", `{"id1": {"positives": ["id2"]}}`, []string{`anchor "id1"`, `key "negatives" is missing`}},
		{"null list", `{"id1": {"positives": null, "negatives": []}}`, []string{`anchor "id1"`, `"positives" must be a list of track ids, found null`}},
		{"id not string", `{"id1": {"positives": ["id2", 3], "negatives": []}}`, []string{`anchor "id1"`, "item 1 is a number"}},
		{"value not object", `{"id1": ["id2"]}`, []string{`anchor "id1"`, "found a list"}},
		{"empty object", `{}`, []string{"no anchor"}},
		{"no pairs", `{"id1": {"positives": [], "negatives": []}}`, []string{"no pair"}},
		{"not an object", `[]`, []string{"must be a JSON object keyed by anchor id"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, "pairs.json", tc.content)
			err := call(t, func() error { _, _, err := LoadPairs(path, goodIndex); return err })
			wantError(t, err, path, tc.wants...)
		})
	}
}

func TestLoadCorpus(t *testing.T) {
	dir := t.TempDir()
	tracks := filepath.Join(dir, "tracks.json")
	vec := filepath.Join(dir, "graph.npy")
	if err := os.WriteFile(tracks, []byte(goodTracks), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteVectorsNPY(vec, []string{"id2", "id1"}, []float32{1, 2, 3, 4}, 2); err != nil {
		t.Fatal(err)
	}
	c, err := Load(tracks, map[musicrep.Modality]string{musicrep.Graph: vec})
	if err != nil {
		t.Fatal(err)
	}
	if m := c.Modalities(); len(m) != 1 || m[0] != musicrep.Graph {
		t.Fatalf("Modalities() = %v", m)
	}
	g := c.Features[musicrep.Graph]
	if g.Row(0)[0] != 3 || g.Row(1)[1] != 2 || g.Present[2] || g.NumPresent() != 2 {
		t.Errorf("graph features %+v", g)
	}
	if _, err := Load(tracks, map[musicrep.Modality]string{"smell": vec}); err == nil {
		t.Error("unknown modality: no error")
	}
	if _, err := Load(tracks, map[musicrep.Modality]string{musicrep.Text: ""}); err == nil {
		t.Error("empty path: no error")
	}
	missing := filepath.Join(dir, "text.json")
	_, err = Load(tracks, map[musicrep.Modality]string{musicrep.Text: missing})
	wantError(t, err, missing, "does not exist")
	// Sidecar problems.
	if err := os.WriteFile(IDsSidecar(vec), []byte(`["id2"]`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(tracks, map[musicrep.Modality]string{musicrep.Graph: vec})
	wantError(t, err, IDsSidecar(vec), "holds 1 ids but", "has 2 rows")
	if err := os.Remove(IDsSidecar(vec)); err != nil {
		t.Fatal(err)
	}
	_, err = Load(tracks, map[musicrep.Modality]string{musicrep.Graph: vec})
	wantError(t, err, IDsSidecar(vec), "does not exist")
}

func TestDataDir(t *testing.T) {
	dir := t.TempDir()
	if got, err := DataDir(dir); err != nil || got != dir {
		t.Errorf("DataDir(%q) = %q, %v", dir, got, err)
	}
	if _, err := DataDir(filepath.Join(dir, "nope")); err == nil || !strings.Contains(err.Error(), "MUSICREP_DATA") {
		t.Errorf("DataDir(missing) error %v, want instructions", err)
	}
	t.Setenv(DataDirEnv, dir)
	if got, err := DataDir(""); err != nil || got != dir {
		t.Errorf("DataDir with $%s = %q, %v", DataDirEnv, got, err)
	}
	// Walk up from a nested working directory to a sibling shared/data.
	root := t.TempDir()
	data := filepath.Join(root, "shared", "data")
	nested := filepath.Join(root, "main", "a", "b")
	for _, d := range []string{data, nested} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv(DataDirEnv, "")
	t.Chdir(nested)
	got, err := DataDir("")
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := filepath.EvalSymlinks(data); mustEval(t, got) != want {
		t.Errorf("DataDir from %s = %q, want %q", nested, got, data)
	}
}

func mustEval(t *testing.T, p string) string {
	t.Helper()
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSplitByArtistSmall(t *testing.T) {
	var tracks []musicrep.Track
	for i, a := range []string{"A", "a ", "B", "C", "C", "D", "E", "F", "G", "H"} {
		tracks = append(tracks, musicrep.Track{ID: string(rune('p' + i)), Artist: a})
	}
	train, test, err := SplitByArtist(tracks, 0.3, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(train)+len(test) != len(tracks) || len(test) != 3 {
		t.Errorf("train %v test %v: want 3 test tracks", train, test)
	}
	side := map[string]string{}
	for name, rows := range map[string][]int{"train": train, "test": test} {
		for _, r := range rows {
			a := strings.ToLower(strings.TrimSpace(tracks[r].Artist))
			if s, ok := side[a]; ok && s != name {
				t.Errorf("artist %q on both sides", a)
			}
			side[a] = name
		}
	}
	for _, tc := range []struct {
		name   string
		tracks []musicrep.Track
		frac   float64
		want   string
	}{
		{"zero", tracks, 0, "must be in (0, 1)"},
		{"one", tracks, 1, "must be in (0, 1)"},
		{"nan", tracks, nan(), "must be in (0, 1)"},
		{"one artist", tracks[:2], 0.5, "empty side"},
		{"no artist", []musicrep.Track{{ID: "x"}, {ID: "y", Artist: "Y"}}, 0.5, `track 0 (id "x") has no artist`},
	} {
		if _, _, err := SplitByArtist(tc.tracks, tc.frac, 1); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestUnquote checks the string decoder of the JSON walker against encoding/json.
func TestUnquote(t *testing.T) {
	for _, q := range []string{
		`""`, `"plain"`, `"a\"b\\c\/d"`, `"\b\f\n\r\t"`, `"\u00e9\u4e2d"`, `"\ud83c\udfb5 note"`,
		`"lone \ud83c high"`, `"lone \udfb5 low"`, `"\ud83c\u0041"`, `"\\\""`, `"\\"`, "\"bad \xff utf8\"", `"é中🎵"`,
	} {
		var want string
		if err := json.Unmarshal([]byte(q), &want); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if got := unquote([]byte(q)); got != want {
			t.Errorf("unquote(%s) = %q, want %q", q, got, want)
		}
		if end := stringEnd([]byte(q+`, "x"`), 0); end != len(q) {
			t.Errorf("stringEnd(%s) = %d, want %d", q, end, len(q))
		}
	}
}
