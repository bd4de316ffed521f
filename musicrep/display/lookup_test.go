package display

import (
	"errors"
	"strings"
	"testing"

	"github.com/janpfeifer/must"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/space"
)

func TestClosest(t *testing.T) {
	names := []string{"Metallica", "Megadeth", "Madonna", "Metallica", "The Weeknd", "System of A Down"}
	for _, tc := range []struct {
		query string
		want  string
	}{
		{"Metalica", "Metallica"},
		{"weeknd", "The Weeknd"},
		{"system of a down", "System of A Down"},
		{"Megadet", "Megadeth"},
	} {
		got := Closest(tc.query, names, 3)
		if len(got) == 0 || got[0] != tc.want {
			t.Errorf("Closest(%q) = %v, want %q first", tc.query, got, tc.want)
		}
		if len(got) > 1 && got[0] == got[1] {
			t.Errorf("Closest(%q) = %v has duplicates", tc.query, got)
		}
	}
}

func TestLookupsNameTheClosestMatches(t *testing.T) {
	tracks := []musicrep.Track{
		{ID: "a", Title: "Enter Sandman", Artist: "Metallica", Genres: []string{"Metal"}},
		{ID: "b", Title: "Blinding Lights", Artist: "The Weeknd", Genres: []string{"R&B", "Pop"}},
		{ID: "c", Title: "Chop Suey!", Artist: "System of A Down", Genres: []string{"Metal"}},
	}
	// must (github.com/janpfeifer/must) is what the notebooks use with these functions; importing it here keeps it a
	// direct requirement of go.mod.
	s := must.M1(space.New("test", tracks, []float32{1, 0, 0, 1, 1, 1}, 2))
	var err error
	if c, err := ArtistCentroid(s, "metallica"); err != nil || len(c) != 2 {
		t.Errorf("ArtistCentroid(metallica) = %v, %v", c, err)
	}
	_, err = ArtistCentroid(s, "Metalica")
	var nf *NotFoundError
	if !errors.As(err, &nf) || nf.Closest[0] != "Metallica" || !strings.Contains(err.Error(), `no artist "Metalica"; closest: "Metallica"`) {
		t.Errorf("ArtistCentroid(Metalica) error = %v", err)
	}
	if _, err := GenreCentroid(s, "Metl"); err == nil || !strings.Contains(err.Error(), `closest: "Metal"`) {
		t.Errorf("GenreCentroid(Metl) error = %v", err)
	}
	if row, err := FindTrack(tracks, "chop suey"); err != nil || row != 2 {
		t.Errorf("FindTrack(chop suey) = %d, %v", row, err)
	}
	if _, err := FindTrack(tracks, "Blindng Lights"); err == nil || !strings.Contains(err.Error(), "Blinding Lights — The Weeknd") {
		t.Errorf("FindTrack(Blindng Lights) error = %v", err)
	}
	if h := ErrorHTML(err); !strings.Contains(h, "Cannot continue") || !strings.Contains(h, "Metalica") {
		t.Errorf("ErrorHTML = %s", h)
	}
}
