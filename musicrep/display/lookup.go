package display

import (
	"fmt"
	"html"
	"sort"
	"strings"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/space"
)

// NotFoundError is a lookup by name that matched nothing: it names the value and the closest existing ones, so a
// typo in a notebook's parameters cell reads as a message, not a panic.
type NotFoundError struct {
	What    string   // "artist", "genre", "track", ...
	Name    string   // the value looked up
	Closest []string // the nearest existing names, best first
}

func (e *NotFoundError) Error() string {
	msg := fmt.Sprintf("no %s %q", e.What, e.Name)
	if len(e.Closest) > 0 {
		msg += "; closest: " + quoteAll(e.Closest)
	}
	return msg
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// Closest returns up to n of names nearest to query: case-insensitive edit distance, where a name that contains
// the query (or is contained in it) counts as near. Duplicates are dropped.
func Closest(query string, names []string, n int) []string {
	q := strings.ToLower(strings.TrimSpace(query))
	type scored struct {
		name string
		d    int
	}
	seen := map[string]bool{}
	var all []scored
	for _, name := range names {
		if seen[name] {
			continue
		}
		seen[name] = true
		l := strings.ToLower(name)
		d := editDistance(q, l)
		if q != "" && (strings.Contains(l, q) || strings.Contains(q, l)) {
			d = min(d, abs(len(l)-len(q))/4)
		}
		all = append(all, scored{name, d})
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].d != all[j].d {
			return all[i].d < all[j].d
		}
		return all[i].name < all[j].name
	})
	var out []string
	for i := 0; i < n && i < len(all); i++ {
		out = append(out, all[i].name)
	}
	return out
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// editDistance is the Levenshtein distance between a and b, by runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// FindTrack returns the row of the track whose id is query, or else of the first track whose "title — artist"
// contains it (case-insensitive, as space.Find), or a *NotFoundError naming the closest titles.
func FindTrack(tracks []musicrep.Track, query string) (int, error) {
	for i := range tracks {
		if tracks[i].ID == query {
			return i, nil
		}
	}
	q := strings.ToLower(query)
	names := make([]string, len(tracks))
	for i, t := range tracks {
		names[i] = t.Title + " — " + t.Artist
		if q != "" && strings.Contains(strings.ToLower(names[i]), q) {
			return i, nil
		}
	}
	return -1, &NotFoundError{What: "track (id, or part of “title — artist”)", Name: query, Closest: Closest(query, names, 5)}
}

// ArtistCentroid is the mean vector of an artist's tracks (names compared case-insensitively), or a
// *NotFoundError naming the closest artists.
func ArtistCentroid(s *space.Space, artist string) ([]float32, error) {
	if c := s.ArtistCentroid(artist); c != nil {
		return c, nil
	}
	var names []string
	for _, t := range s.Tracks {
		names = append(names, t.Artist)
	}
	return nil, &NotFoundError{What: "artist", Name: artist, Closest: Closest(artist, names, 5)}
}

// GenreCentroid is the mean vector of the tracks carrying a genre, or a *NotFoundError naming the closest genres.
func GenreCentroid(s *space.Space, genre string) ([]float32, error) {
	if c := s.GenreCentroid(genre); c != nil {
		return c, nil
	}
	var names []string
	for _, t := range s.Tracks {
		names = append(names, t.Genres...)
	}
	return nil, &NotFoundError{What: "genre", Name: genre, Closest: Closest(genre, names, 5)}
}

// ErrorHTML renders an error as a short message box (no stack trace).
func ErrorHTML(err error) string {
	return `<div class="musicrep-error" style="border-left:4px solid #c33;background:#fdf0f0;padding:6px 10px;` +
		`margin:4px 0;font-size:13px;max-width:900px"><b>Cannot continue:</b> ` +
		strings.ReplaceAll(html.EscapeString(err.Error()), "\n", "<br>") +
		`<br><small>Change the parameters cell at the top and run the notebook again.</small></div>`
}

// ShowError displays err as a message (not a panic) and reports whether there was one, for the errors a reader
// can fix in the parameters cell:
//
//	row, err := display.FindTrack(s, trackQuery)
//	if display.ShowError(err) {
//		return
//	}
func ShowError(err error) bool {
	if err == nil {
		return false
	}
	Show(ErrorHTML(err))
	return true
}
