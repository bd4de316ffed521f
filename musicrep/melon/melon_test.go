package melon

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/musicrep/musicrep/musicrep/corpus"
)

// writeFixture writes a small dataset in the Melon layout and returns its directory.
func writeFixture(t testing.TB, edit func(songs *[]Song, train *[]Playlist)) string {
	t.Helper()
	dir := t.TempDir()
	songs := []Song{
		{ID: 12, Name: "a", AlbumID: 1, ArtistIDs: []int{7}, ArtistNames: []string{"x"}, Genres: []string{"GN0900"},
			DetailGenres: []string{"GN0901"}, IssueDate: "20140512"},
		{ID: 525514, Name: "b", AlbumID: 2, ArtistIDs: []int{8}, ArtistNames: []string{"y"}, Genres: []string{"GN0100"}},
		{ID: 3000, Name: "c", AlbumID: 2, ArtistIDs: []int{8}, ArtistNames: []string{"y"}},
	}
	train := []Playlist{{ID: 61281, Title: "p", Tags: []string{"록"}, Songs: []int{12, 525514}, LikeCount: 71}}
	if edit != nil {
		edit(&songs, &train)
	}
	write := func(name string, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("song_meta.json", songs)
	write("genre_gn_all.json", map[string]string{"GN0100": "발라드", "GN0900": "POP", "GN0901": "세부장르전체"})
	write("train.json", train)
	write("val.json", []Playlist{{ID: 5, Songs: []int{3000}}})
	mel := make([]float32, Bands*4)
	for i := range mel {
		mel[i] = float32(i) - 100
	}
	p := MelPath(dir, 525514)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := corpus.WriteNPY(p, mel, Bands, 4); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestLoadAndMel(t *testing.T) {
	dir := writeFixture(t, nil)
	d, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Songs) != 3 || len(d.Train) != 1 || len(d.Val) != 1 || len(d.Test) != 0 || len(d.Genres) != 3 {
		t.Fatalf("loaded %s", d.Stats())
	}
	if got := MelPath(dir, 525514); got != filepath.Join(dir, "arena_mel", "525", "525514.npy") {
		t.Errorf("MelPath(525514) = %s", got)
	}
	if got := MelPath(dir, 12); got != filepath.Join(dir, "arena_mel", "0", "12.npy") {
		t.Errorf("ids below 1000 go to folder 0: %s", got)
	}
	data, frames, err := d.Mel(525514)
	if err != nil || frames != 4 || data[5] != -95 {
		t.Fatalf("Mel: %v frames %d data[5] %v", err, frames, data[5])
	}
	if _, _, err := d.Mel(12); err == nil || !strings.Contains(err.Error(), "12.npy") {
		t.Errorf("missing spectrogram: %v", err)
	}
	if TopGenre("GN0901") != "GN0900" {
		t.Error("TopGenre")
	}
	if !strings.Contains(d.Stats(), "3 songs (1 with mel-spectrograms)") {
		t.Errorf("Stats: %s", d.Stats())
	}
}

func TestLoadBadInput(t *testing.T) {
	for name, tc := range map[string]struct {
		edit func(*[]Song, *[]Playlist)
		want string
	}{
		"duplicate song": {func(s *[]Song, _ *[]Playlist) { (*s)[2].ID = 12 }, "song id 12 appears twice"},
		"unknown song":   {func(_ *[]Song, p *[]Playlist) { (*p)[0].Songs = append((*p)[0].Songs, 99) }, "names song 99"},
		"unknown genre":  {func(s *[]Song, _ *[]Playlist) { (*s)[1].Genres = []string{"GN4200"} }, `genre "GN4200"`},
		"duplicate playlist": {func(_ *[]Song, p *[]Playlist) { (*p)[0].ID = 5 },
			"playlist id 5 (entry 0) is also in"},
	} {
		_, err := Load(writeFixture(t, tc.edit))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: want an error containing %q, got %v", name, tc.want, err)
		}
	}
	// Truncated and mistyped JSON.
	dir := writeFixture(t, nil)
	b, _ := os.ReadFile(filepath.Join(dir, "train.json"))
	_ = os.WriteFile(filepath.Join(dir, "train.json"), b[:len(b)/2], 0o644)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "train.json: malformed JSON at byte") {
		t.Errorf("truncated: %v", err)
	}
	_ = os.WriteFile(filepath.Join(dir, "train.json"), []byte(`[{"id": "x"}]`), 0o644)
	// Go 1.27's encoding/json names the field with its path from the top (`field "0.id"`: record 0), Go 1.26's
	// without it.
	if _, err := Load(dir); err == nil || !regexp.MustCompile(`field "(0\.)?id"`).MatchString(err.Error()) {
		t.Errorf("mistyped: %v", err)
	}
	_ = os.Remove(filepath.Join(dir, "train.json"))
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "train.json") {
		t.Errorf("missing train.json: %v", err)
	}
	// Bad spectrograms: wrong band count, NaN.
	dir = writeFixture(t, nil)
	d, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := corpus.WriteNPY(MelPath(dir, 525514), make([]float32, 40*3), 40, 3); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Mel(525514); err == nil || !strings.Contains(err.Error(), "48 mel bands") {
		t.Errorf("40 bands: %v", err)
	}
	bad := make([]float32, Bands*2)
	bad[7] = float32(math.NaN())
	if err := corpus.WriteNPY(MelPath(dir, 525514), bad, Bands, 2); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Mel(525514); err == nil || !strings.Contains(err.Error(), "element [3, 1]: non-finite") {
		t.Errorf("NaN: %v", err)
	}
}
