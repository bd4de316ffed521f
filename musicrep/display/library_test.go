package display

import (
	"encoding/base64"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/musicrep/musicrep/musicrep/library"
)

// TestClipHTML cuts 0.5 s from 1 s into a 16 kHz WAV: the embedded WAV holds exactly those samples.
func TestClipHTML(t *testing.T) {
	x := make([]float32, 3*16000)
	for i := range x {
		x[i] = float32(0.5 * math.Sin(float64(i)/7))
	}
	path := filepath.Join(t.TempDir(), "a.wav")
	if err := os.WriteFile(path, WAV(x, 16000), 0o644); err != nil {
		t.Fatal(err)
	}
	h, err := ClipHTML(path, 1, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`base64,([A-Za-z0-9+/=]+)`).FindStringSubmatch(h)
	if m == nil {
		t.Fatalf("no data URI in %.200s", h)
	}
	b, err := base64.StdEncoding.DecodeString(m[1])
	if err != nil {
		t.Fatal(err)
	}
	pcm := b[44:]
	if len(pcm) != 2*8000 {
		t.Fatalf("clip has %d samples, want 8000", len(pcm)/2)
	}
	for i := 0; i < 8000; i += 997 {
		got := float64(int16(binary.LittleEndian.Uint16(pcm[2*i:]))) / 32767
		if math.Abs(got-float64(x[16000+i])) > 2e-4 {
			t.Fatalf("sample %d of the clip = %.5f, want the file's sample %d = %.5f", i, got, 16000+i, x[16000+i])
		}
	}
	if _, err := ClipHTML(filepath.Join(t.TempDir(), "missing.wav"), 0, 1); err == nil {
		t.Error("a missing file should be an error")
	}
}

func TestLibraryMapAndTable(t *testing.T) {
	l := &library.Library{Dir: "lib", Sets: map[string]*library.Features{}}
	f := &library.Features{Name: library.SetMusicnn, Dim: 3}
	tags := &library.Features{Name: library.SetMusicnnTags, Dim: 100, Data: make([]float32, 400)}
	for i, a := range []string{"A", "A", "B", "B"} {
		l.Tracks = append(l.Tracks, library.Track{ID: string(rune('a' + i)), Path: string(rune('a'+i)) + ".ogg",
			Title: "t<" + string(rune('a'+i)) + ">", Artist: a, Duration: 125})
		f.Data = append(f.Data, float32(i), float32(i*i), 1)
		tags.Data[i*100+i] = 0.9
	}
	l.Sets[library.SetMusicnn], l.Sets[library.SetMusicnnTags] = f, tags
	svg, err := LibraryMapSVG(l, library.SetMusicnn, "artist")
	if err != nil {
		t.Fatal(err)
	}
	if c := parseXML(t, svg); c["circle"] != 4 {
		t.Errorf("map has %d points, want 4", c["circle"])
	}
	if !strings.Contains(svg, "A (2)") || !strings.Contains(svg, "1. t&lt;a&gt; — A") {
		t.Errorf("map lacks the legend or a tooltip:\n%s", svg)
	}
	if _, err := LibraryMapSVG(l, library.SetMelStats, "artist"); err == nil {
		t.Error("a missing feature set should be an error")
	}
	h, err := LibraryTracksHTML(l, []int{2, 0}, LibraryTracksOptions{Caption: "c", Tags: 1,
		Extra: []LibraryColumn{{Header: "score", Cell: func(i int) string { return "s" + string(rune('0'+i)) }}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<td class=\"l\">3</td><td class=\"l\">s2</td><td class=\"l\">t&lt;c&gt;</td>",
		"msd:" + library.TagNames()[2][4:] + " 0.90", "2:05"} {
		if !strings.Contains(h, want) {
			t.Errorf("table lacks %q:\n%s", want, h)
		}
	}
	// Players need the source folder (scan.json): without it, a clear error.
	if _, err := LibraryTracksHTML(l, []int{0}, LibraryTracksOptions{Players: 1, ClipSecs: 1}); err == nil ||
		!strings.Contains(err.Error(), "scan.json") {
		t.Errorf("players without scan.json: %v", err)
	}
}
