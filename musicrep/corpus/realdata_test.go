package corpus

import (
	"encoding/json"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/musicrep/musicrep/musicrep"
)

// fairouzDir locates the real data; it skips the test when the data is absent, unless $CI is set.
func fairouzDir(t testing.TB) string {
	t.Helper()
	dir, err := DataDir("")
	if err == nil {
		tracks, _, _, _ := DefaultFairouzFiles(dir)
		if _, serr := os.Stat(tracks); serr != nil {
			err = serr
		}
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("real data not found under CI: %v", err)
		}
		t.Skipf("real data not found: %v", err)
	}
	return dir
}

// fairouzCache holds the real corpus, loaded once per test binary by fairouz.
var fairouzCache struct {
	c   *Corpus
	err error
}

func fairouz(t *testing.T) (*Corpus, string, string) {
	t.Helper()
	dir := fairouzDir(t)
	tracks, feats, p51, p6 := DefaultFairouzFiles(dir)
	if fairouzCache.c == nil && fairouzCache.err == nil {
		fairouzCache.c, fairouzCache.err = Load(tracks, feats)
	}
	if fairouzCache.err != nil {
		t.Fatalf("Load: %v", fairouzCache.err)
	}
	return fairouzCache.c, p51, p6
}

func TestRealTracks(t *testing.T) {
	c, _, _ := fairouz(t)
	if got := len(c.Tracks); got != 822 {
		t.Fatalf("got %d tracks, want 822", got)
	}
	if got, want := c.Tracks[0].ID, "id0046974fa85628f4c4aed22b11b08a62"; got != want {
		t.Errorf("first track in file order: got %s, want %s", got, want)
	}
	if got := c.Tracks[0].Title; got != "True Colors" {
		t.Errorf("first track title: got %q, want %q", got, "True Colors")
	}
	noLyrics, artists := 0, map[string]bool{}
	for i, tr := range c.Tracks {
		if c.Index[tr.ID] != i {
			t.Fatalf("Index[%s] = %d, want %d", tr.ID, c.Index[tr.ID], i)
		}
		artists[tr.Artist] = true
		if !tr.HasLyrics() {
			noLyrics++
			if tr.Context != nil || tr.Emotional != nil || tr.Summary != "" {
				t.Errorf("track %s without lyrics: context %q, emotional %q, summary %q; want all empty",
					tr.ID, tr.Context, tr.Emotional, tr.Summary)
			}
		} else if len(tr.Emotional) != 5 || len(tr.Context) == 0 {
			t.Errorf("track %s: %d emotional and %d context items, want 5 and ≥1", tr.ID, len(tr.Emotional), len(tr.Context))
		}
		if tr.PreviewURL == "" || tr.DeezerID == "" || tr.ImageURL == "" {
			t.Errorf("track %s: empty preview, deezer id or image", tr.ID)
		}
	}
	if noLyrics != 49 {
		t.Errorf("got %d tracks without lyrics, want 49", noLyrics)
	}
	if len(artists) != 309 {
		t.Errorf("got %d distinct artists, want 309", len(artists))
	}
}

// TestRealTracksMatchStdlib cross-checks LoadTracks against a plain encoding/json decode.
func TestRealTracksMatchStdlib(t *testing.T) {
	c, _, _ := fairouz(t)
	buf, err := os.ReadFile(c.TracksFile)
	if err != nil {
		t.Fatal(err)
	}
	var std map[string]struct {
		Title  string   `json:"track_title"`
		Artist string   `json:"artist_name"`
		Album  string   `json:"album_name"`
		Genres []string `json:"genres"`
		Lyrics struct {
			Lyrics    string `json:"lyrics"`
			Summary   string `json:"summary"`
			Context   any    `json:"context"`
			Emotional any    `json:"emotional"`
		} `json:"lyrics"`
	}
	if err := json.Unmarshal(buf, &std); err != nil {
		t.Fatal(err)
	}
	if len(std) != len(c.Tracks) {
		t.Fatalf("stdlib sees %d tracks, LoadTracks %d", len(std), len(c.Tracks))
	}
	for _, tr := range c.Tracks {
		s := std[tr.ID]
		if s.Title != tr.Title || s.Artist != tr.Artist || s.Album != tr.Album || s.Lyrics.Lyrics != tr.Lyrics ||
			s.Lyrics.Summary != tr.Summary || !slices.Equal(s.Genres, tr.Genres) ||
			!sameList(s.Lyrics.Context, tr.Context) || !sameList(s.Lyrics.Emotional, tr.Emotional) {
			t.Fatalf("track %s differs from the stdlib decode", tr.ID)
		}
	}
}

// sameList compares a decoded JSON list of strings (or "") with a []string.
func sameList(v any, want []string) bool {
	if v == "" {
		return want == nil
	}
	l, ok := v.([]any)
	if !ok || len(l) != len(want) {
		return false
	}
	for i := range l {
		if l[i] != want[i] {
			return false
		}
	}
	return true
}

func TestRealFeatures(t *testing.T) {
	c, _, _ := fairouz(t)
	if got, want := c.Modalities(), []musicrep.Modality{musicrep.Audio, musicrep.Graph}; !slices.Equal(got, want) {
		t.Fatalf("Modalities() = %v, want %v", got, want)
	}
	for _, m := range c.Modalities() {
		f := c.Features[m]
		if f.NumRows() != 822 || f.Dim != 128 || f.NumPresent() != 822 || f.Modality != m {
			t.Errorf("%s: %d rows × %d, %d present; want 822 × 128, all present", m, f.NumRows(), f.Dim, f.NumPresent())
		}
		// Join check: each row must equal the raw file's vector for that id, whatever the file's order.
		// The raw file is decoded independently with encoding/json.
		buf, err := os.ReadFile(f.Source)
		if err != nil {
			t.Fatal(err)
		}
		var raw []struct {
			ID        string    `json:"id"`
			Embedding []float32 `json:"embedding"` // encoding/json rounds decimals straight to float32
		}
		if err := json.Unmarshal(buf, &raw); err != nil {
			t.Fatal(err)
		}
		moved := 0
		for r, rec := range raw {
			row := c.Index[rec.ID]
			if row != r {
				moved++
			}
			for j, v := range rec.Embedding {
				if got := f.Row(row)[j]; got != v {
					t.Fatalf("%s: track %s (row %d) value %d = %v, raw file has %v", m, rec.ID, row, j, got, v)
				}
			}
		}
		t.Logf("%s: %d of %d records are in a different position than in tracks order", m, moved, len(raw))
		if m == musicrep.Audio && moved == 0 {
			t.Errorf("audio file expected in id order, not tracks order: the join test proves nothing")
		}
	}
}

func TestRealPairs(t *testing.T) {
	c, p51, p6 := fairouz(t)
	for _, tc := range []struct {
		path     string
		pos, neg int
	}{
		{p51, 27645, 23995},
		{p6, 3288, 3087},
	} {
		p, positives, err := LoadPairs(tc.path, c.Index)
		if err != nil {
			t.Fatal(err)
		}
		if p.Len() != tc.pos+tc.neg || p.NumPositive() != tc.pos {
			t.Errorf("%s: %d pairs (%d positive), want %d (%d positive)", tc.path, p.Len(), p.NumPositive(), tc.pos+tc.neg, tc.pos)
		}
		total := 0
		for _, l := range positives {
			total += len(l)
		}
		if len(positives) != 822 || total != tc.pos {
			t.Errorf("%s: positives map has %d anchors and %d entries, want 822 and %d", tc.path, len(positives), total, tc.pos)
		}
		// Seed order: anchors in file (= tracks) order, positives then negatives.
		if p.Anchor[0] != 0 || p.Label[0] != 1 {
			t.Errorf("%s: first pair = anchor %d label %v, want anchor 0 label 1", tc.path, p.Anchor[0], p.Label[0])
		}
		for k := 1; k < p.Len(); k++ {
			if p.Anchor[k] < p.Anchor[k-1] || p.Anchor[k] == p.Anchor[k-1] && p.Label[k] > p.Label[k-1] {
				t.Fatalf("%s: pair %d breaks the anchor-then-positives-then-negatives order", tc.path, k)
			}
		}
		if got := positives[0]; len(got) == 0 || int32(got[0]) != p.Other[0] {
			t.Errorf("%s: positives[0] = %v does not start with the first pair's other %d", tc.path, got, p.Other[0])
		}
	}
}

func TestRealSplitByArtist(t *testing.T) {
	c, p51, _ := fairouz(t)
	train, test, err := SplitByArtist(c.Tracks, 0.2, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(train)+len(test) != 822 {
		t.Fatalf("train %d + test %d != 822", len(train), len(test))
	}
	if frac := float64(len(test)) / 822; frac < 0.18 || frac > 0.22 {
		t.Errorf("test fraction %.3f, want about 0.2", frac)
	}
	trainArtists := map[string]bool{}
	for _, i := range train {
		trainArtists[c.Tracks[i].Artist] = true
	}
	for _, i := range test {
		if trainArtists[c.Tracks[i].Artist] {
			t.Fatalf("artist %q is on both sides", c.Tracks[i].Artist)
		}
	}
	train2, test2, _ := SplitByArtist(c.Tracks, 0.2, 1)
	if !slices.Equal(train, train2) || !slices.Equal(test, test2) {
		t.Error("same seed gave a different split")
	}
	_, test3, _ := SplitByArtist(c.Tracks, 0.2, 2)
	if slices.Equal(test, test3) {
		t.Error("another seed gave the same split")
	}
	// Restricting the pairs to the train side keeps only train–train pairs.
	pairs, _, err := LoadPairs(p51, c.Index)
	if err != nil {
		t.Fatal(err)
	}
	keep := KeepRows(len(c.Tracks), train)
	rp, err := pairs.Restrict(keep)
	if err != nil {
		t.Fatal(err)
	}
	for k := range rp.Label {
		if !keep[rp.Anchor[k]] || !keep[rp.Other[k]] {
			t.Fatalf("restricted pair %d uses a test track", k)
		}
	}
	t.Logf("split seed 1: train %d, test %d tracks; 51k pairs %d → %d train–train", len(train), len(test), pairs.Len(), rp.Len())
}

func TestRealVectorsSpeed(t *testing.T) {
	dir := fairouzDir(t)
	_, feats, _, _ := DefaultFairouzFiles(dir)
	start := time.Now()
	ids, data, dim, err := ReadVectorsJSON(feats[musicrep.Audio])
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 822 || dim != 128 || len(data) != 822*128 {
		t.Fatalf("got %d ids × %d (%d values), want 822 × 128", len(ids), dim, len(data))
	}
	if !slices.IsSorted(ids) {
		t.Error("the audio file is expected to be sorted by id")
	}
	t.Logf("ReadVectorsJSON(vggish.json): %v", elapsed)
	// The target is well under 100 ms; the bound is loose so that slow CI machines and -race pass.
	if elapsed > time.Second {
		t.Errorf("ReadVectorsJSON took %v, want well under 100 ms", elapsed)
	}
}

// TestRealTruncated cuts the real tracks and vectors files in half.
func TestRealTruncated(t *testing.T) {
	dir := fairouzDir(t)
	tracks, feats, p51, _ := DefaultFairouzFiles(dir)
	for _, tc := range []struct {
		src  string
		load func(string) error
	}{
		{tracks, func(p string) error { _, err := LoadTracks(p); return err }},
		{feats[musicrep.Audio], func(p string) error { _, _, _, err := ReadVectorsJSON(p); return err }},
		{p51, func(p string) error { _, _, err := LoadPairs(p, map[string]int{"x": 0}); return err }},
	} {
		buf, err := os.ReadFile(tc.src)
		if err != nil {
			t.Fatal(err)
		}
		path := writeFile(t, "half.json", string(buf[:len(buf)/2]))
		wantError(t, tc.load(path), path, "unexpected end of JSON", "truncated")
	}
}

func BenchmarkReadVectorsJSON(b *testing.B) {
	dir := fairouzDir(b)
	_, feats, _, _ := DefaultFairouzFiles(dir)
	for b.Loop() {
		if _, _, _, err := ReadVectorsJSON(feats[musicrep.Audio]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoadTracks(b *testing.B) {
	dir := fairouzDir(b)
	tracks, _, _, _ := DefaultFairouzFiles(dir)
	for b.Loop() {
		if _, err := LoadTracks(tracks); err != nil {
			b.Fatal(err)
		}
	}
}
