package corpus

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/musicrep/musicrep/musicrep"
)

// LoadTracks reads a tracks file (tracks_contextualized.json): a JSON object keyed by track id, each value
// an object with the fields
//
//	track_title, artist_name                      required, non-empty strings
//	album_name, deezer_id, image, preview_url     optional strings
//	discogs_id                                    optional string (checked, not kept)
//	genres                                        optional list of strings
//	lyrics                                        optional object {lyrics, summary, context, emotional}
//
// where lyrics.lyrics and lyrics.summary are strings and lyrics.context and lyrics.emotional are lists of
// strings or, for tracks without lyrics, the empty string "" (read as nil). A null value counts as a
// missing field. Unknown fields are ignored.
//
// The tracks are returned in the file's key order, the canonical "tracks order" of the dataset. It is an
// error for the file to be missing, empty, malformed or truncated, not to be an object, to hold no track,
// to repeat a track id, to use an empty id, or to hold a record of the wrong shape; every error is a
// *DataError naming the file, the track and the position.
func LoadTracks(path string) ([]musicrep.Track, error) {
	buf, err := readDataFile(path, "the tracks file", "")
	if err != nil {
		return nil, err
	}
	return parseTracks(path, buf)
}

// parseTracks parses the content buf of the tracks file path.
func parseTracks(path string, buf []byte) ([]musicrep.Track, error) {
	if err := checkJSONSyntax(path, buf); err != nil {
		return nil, err
	}
	members, err := readObject(path, buf, 0, buf, "", `a JSON object keyed by track id ({"id…": {"track_title": …}, …})`, "track id")
	if err != nil {
		return nil, err
	}
	if len(members) == 0 {
		return nil, fileErr(path, "", "give at least one track", "the file holds no track ({})")
	}
	tracks := make([]musicrep.Track, len(members))
	for i, m := range members {
		record := fmt.Sprintf("track %d", i)
		switch {
		case m.key == "":
			return nil, posErr(path, buf, m.keyOff, record, "give every track a unique, non-empty id",
				"empty track id")
		case strings.TrimSpace(m.key) != m.key:
			return nil, posErr(path, buf, m.keyOff, record,
				"remove the spaces: ids are matched exactly across files",
				"track id %q has leading or trailing whitespace", m.key)
		case HasControl(m.key):
			return nil, posErr(path, buf, m.keyOff, record,
				"remove the control characters: ids are written into tab-separated and line-based outputs",
				"track id %q contains a control character (tab, newline, …)", m.key)
		}
		record = fmt.Sprintf("track %d (id %q)", i, m.key)
		if m.val[0] != '{' {
			return nil, posErr(path, buf, m.valOff, record,
				`make it an object {"track_title": …, "artist_name": …, …}`,
				"the track must be a JSON object, found %s", jsonKind(m.val))
		}
		if err := decodeTrack(path, buf, record, m, &tracks[i]); err != nil {
			return nil, err
		}
	}
	return tracks, nil
}

// decodeTrack fills t from the track record m.
func decodeTrack(path string, buf []byte, record string, m member, t *musicrep.Track) error {
	fields, err := readObject(path, buf, m.valOff, m.val, record, "a JSON object", "field")
	if err != nil {
		return err
	}
	f := newFieldSet(path, buf, record, m.valOff, fields)
	t.ID = m.key
	for _, s := range []struct {
		key      string
		dst      *string
		required bool
	}{
		{"track_title", &t.Title, true},
		{"artist_name", &t.Artist, true},
		{"album_name", &t.Album, false},
		{"deezer_id", &t.DeezerID, false},
		{"image", &t.ImageURL, false},
		{"preview_url", &t.PreviewURL, false},
		{"discogs_id", new(string), false},
	} {
		if *s.dst, err = f.str(s.key, s.required); err != nil {
			return err
		}
		if s.required && strings.TrimSpace(*s.dst) == "" {
			fm, _ := f.get(s.key)
			return f.errAt(fm, "give a non-empty value", "field %q is empty", s.key)
		}
	}
	if t.Genres, err = f.strList("genres", false); err != nil {
		return err
	}
	lm, ok := f.get("lyrics")
	if !ok {
		return nil
	}
	if lm.val[0] != '{' {
		return f.errAt(lm, `make it an object {"lyrics": "…", "summary": "…", "context": […], "emotional": […]} or remove it`,
			"field %q must be an object, found %s", "lyrics", jsonKind(lm.val))
	}
	lyrRecord := record + ", field \"lyrics\""
	lfields, err := readObject(path, buf, lm.valOff, lm.val, lyrRecord, "a JSON object", "field")
	if err != nil {
		return err
	}
	lf := newFieldSet(path, buf, lyrRecord, lm.valOff, lfields)
	if t.Lyrics, err = lf.str("lyrics", false); err != nil {
		return err
	}
	if t.Summary, err = lf.str("summary", false); err != nil {
		return err
	}
	if t.Context, err = lf.strList("context", true); err != nil {
		return err
	}
	if t.Emotional, err = lf.strList("emotional", true); err != nil {
		return err
	}
	return nil
}

// IndexTracks maps each track id to its row (position in tracks). It returns an error naming both rows
// when an id repeats.
func IndexTracks(tracks []musicrep.Track) (map[string]int, error) {
	index := make(map[string]int, len(tracks))
	for i, t := range tracks {
		if j, dup := index[t.ID]; dup {
			return nil, fmt.Errorf("track id %q is used by tracks %d and %d: ids must be unique", t.ID, j, i)
		}
		index[t.ID] = i
	}
	return index, nil
}

// HasControl reports whether s holds a control character (tab, newline, carriage return, other C0/C1
// codes). Ids with one would break the line- and tab-separated outputs they are written into.
func HasControl(s string) bool {
	return strings.IndexFunc(s, unicode.IsControl) >= 0
}
