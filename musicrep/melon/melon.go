// Package melon reads the Melon Playlist Dataset layout (Kakao Arena / Ferraro et al. 2021), which
// contrastive-mir-learning trains on, and validates it:
//
//	song_meta.json      [{"id": 0, "song_name": "...", "album_id": 1, "album_name": "...",
//	                      "artist_id_basket": [2], "artist_name_basket": ["..."],
//	                      "song_gn_gnr_basket": ["GN0900"], "song_gn_dtl_gnr_basket": ["GN0901"],
//	                      "issue_date": "20140512"}, ...]   one entry per song; ids are unique integers
//	genre_gn_all.json   {"GN0100": "발라드", "GN0101": "세부장르전체", ...}: genre code → name; GNxx00 codes are
//	                      top-level genres, GNxxyy (yy ≠ 00) their sub-genres
//	train.json, val.json, test.json
//	                    [{"id": 61281, "plylst_title": "...", "tags": ["..."], "songs": [525514, ...],
//	                      "like_cnt": 71, "updt_date": "2013-12-19 18:36:19.000"}, ...]   playlists
//	arena_mel/<id/1000>/<id>.npy
//	                    the song's mel-spectrogram, 48 mel bands × T frames (16 kHz, 512-sample frames, hop 256,
//	                    dB; the original dataset stores float16)
//
// The Melon data itself cannot be downloaded here; musicrep generates datasets in this layout from real
// instrument sounds (issue 5) and reads either the same way.
package melon

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/musicrep/musicrep/musicrep/corpus"
)

// Song is one entry of song_meta.json.
type Song struct {
	ID           int      `json:"id"`
	Name         string   `json:"song_name"`
	AlbumID      int      `json:"album_id"`
	AlbumName    string   `json:"album_name"`
	ArtistIDs    []int    `json:"artist_id_basket"`
	ArtistNames  []string `json:"artist_name_basket"`
	Genres       []string `json:"song_gn_gnr_basket"`     // top-level genre codes (GNxx00)
	DetailGenres []string `json:"song_gn_dtl_gnr_basket"` // sub-genre codes (GNxxyy)
	IssueDate    string   `json:"issue_date"`             // YYYYMMDD ("00000000" when unknown)
}

// Playlist is one entry of train.json, val.json or test.json.
type Playlist struct {
	ID        int      `json:"id"`
	Title     string   `json:"plylst_title"`
	Tags      []string `json:"tags"`
	Songs     []int    `json:"songs"`
	LikeCount int      `json:"like_cnt"`
	UpdatedAt string   `json:"updt_date"`
}

// Dataset is a loaded Melon-layout directory.
type Dataset struct {
	Dir              string
	Songs            []Song
	Index            map[int]int       // song id → position in Songs
	Genres           map[string]string // genre code → name
	Train, Val, Test []Playlist
}

// Bands is the number of mel bands of the Melon spectrograms.
const Bands = 48

var genreCode = regexp.MustCompile(`^GN[0-9]{4}$`)

// Load reads and validates a Melon-layout directory. Errors name the file, the record and what to change:
// malformed or truncated JSON, duplicate song or playlist ids, playlists naming unknown songs, songs with
// unknown or malformed genre codes, a sub-genre without its top-level genre in genre_gn_all.json. val.json and
// test.json may be absent (then empty); song_meta.json, genre_gn_all.json and train.json are required.
func Load(dir string) (*Dataset, error) {
	d := &Dataset{Dir: dir, Index: map[int]int{}}
	if err := readJSON(filepath.Join(dir, "song_meta.json"), &d.Songs, true); err != nil {
		return nil, err
	}
	if err := readJSON(filepath.Join(dir, "genre_gn_all.json"), &d.Genres, true); err != nil {
		return nil, err
	}
	for code := range d.Genres {
		if !genreCode.MatchString(code) {
			return nil, fmt.Errorf("%s: genre code %q is not of the form GN and 4 digits", filepath.Join(dir,
				"genre_gn_all.json"), code)
		}
	}
	metaPath := filepath.Join(dir, "song_meta.json")
	if len(d.Songs) == 0 {
		return nil, fmt.Errorf("%s: no songs", metaPath)
	}
	for i, s := range d.Songs {
		if j, dup := d.Index[s.ID]; dup {
			return nil, fmt.Errorf("%s: song id %d appears twice (entries %d and %d); ids must be unique", metaPath,
				s.ID, j, i)
		}
		d.Index[s.ID] = i
		for _, codes := range [][]string{s.Genres, s.DetailGenres} {
			for _, c := range codes {
				if _, ok := d.Genres[c]; !ok {
					return nil, fmt.Errorf("%s: song %d (entry %d) has genre %q, which genre_gn_all.json does not list",
						metaPath, s.ID, i, c)
				}
			}
		}
	}
	for name, dst := range map[string]*[]Playlist{"train.json": &d.Train, "val.json": &d.Val, "test.json": &d.Test} {
		if err := readJSON(filepath.Join(dir, name), dst, name == "train.json"); err != nil {
			return nil, err
		}
	}
	seen := map[int]string{}
	for _, part := range []struct {
		name string
		list []Playlist
	}{{"train.json", d.Train}, {"val.json", d.Val}, {"test.json", d.Test}} {
		path := filepath.Join(dir, part.name)
		for i, p := range part.list {
			if other, dup := seen[p.ID]; dup {
				return nil, fmt.Errorf("%s: playlist id %d (entry %d) is also in %s; playlist ids must be unique "+
					"across the splits", path, p.ID, i, other)
			}
			seen[p.ID] = part.name
			for _, s := range p.Songs {
				if _, ok := d.Index[s]; !ok {
					return nil, fmt.Errorf("%s: playlist %d (entry %d) names song %d, which song_meta.json does not "+
						"have", path, p.ID, i, s)
				}
			}
		}
	}
	return d, nil
}

func readJSON(path string, dst any, required bool) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && !required {
		return nil
	}
	if err != nil {
		return fmt.Errorf("melon dataset: %w", err)
	}
	if err := json.Unmarshal(b, dst); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return fmt.Errorf("%s: malformed JSON at byte %d of %d (truncated or corrupt file?): %v", path, se.Offset,
				len(b), err)
		case errors.As(err, &te):
			return fmt.Errorf("%s: field %q at byte %d has a %s where the Melon layout needs a %s", path, te.Field,
				te.Offset, te.Value, te.Type)
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// MelPath is where the layout keeps a song's mel-spectrogram: arena_mel/<id/1000>/<id>.npy.
func MelPath(dir string, id int) string {
	return filepath.Join(dir, "arena_mel", strconv.Itoa(id/1000), strconv.Itoa(id)+".npy")
}

// Mel reads a song's mel-spectrogram (Bands × frames, row-major: data[b*frames+t]) and checks its shape and
// values (finite).
func (d *Dataset) Mel(id int) (data []float32, frames int, err error) {
	if _, ok := d.Index[id]; !ok {
		return nil, 0, fmt.Errorf("melon dataset %s: no song %d", d.Dir, id)
	}
	path := MelPath(d.Dir, id)
	data, shape, err := corpus.ReadNPY(path)
	if err != nil {
		return nil, 0, err
	}
	if len(shape) != 2 || shape[0] != Bands {
		return nil, 0, fmt.Errorf("%s: shape %v, the Melon layout stores %d mel bands × frames", path, shape, Bands)
	}
	for i, v := range data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, 0, fmt.Errorf("%s: value %v at band %d frame %d is not finite", path, v, i/shape[1], i%shape[1])
		}
	}
	return data, shape[1], nil
}

// TopGenre returns the top-level code of a genre code: GN0901 → GN0900.
func TopGenre(code string) string {
	if len(code) != 6 {
		return code
	}
	return code[:4] + "00"
}

// Stats summarises a dataset in one line.
func (d *Dataset) Stats() string {
	withMel := 0
	for _, s := range d.Songs {
		if _, err := os.Stat(MelPath(d.Dir, s.ID)); err == nil {
			withMel++
		}
	}
	return fmt.Sprintf("%d songs (%d with mel-spectrograms), %d genre codes, playlists %d train / %d val / %d test",
		len(d.Songs), withMel, len(d.Genres), len(d.Train), len(d.Val), len(d.Test))
}
