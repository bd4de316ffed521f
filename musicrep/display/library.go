package display

import (
	"errors"
	"fmt"
	"html"
	"math"
	"strings"

	"github.com/musicrep/musicrep/evaluation"
	"github.com/musicrep/musicrep/musicrep/audio"
	"github.com/musicrep/musicrep/musicrep/library"
	"github.com/musicrep/musicrep/musicrep/plot"
)

// LibraryProgress returns a callback for library.ScanOptions.Progress that shows the scan's advance in one line
// updated in place (files done of the total, whether each was analysed, cached or failed, minutes of audio
// analysed per second).
func LibraryProgress() func(library.Progress) {
	lt := NewLiveText()
	return func(p library.Progress) {
		state := "analysed"
		switch {
		case p.Failed:
			state = "FAILED (see scan-errors.json)"
		case p.Cached:
			state = "cached"
		}
		fmt.Fprintf(lt, "[%d/%d, %s, %.3g min of audio/s] %s: %s\n", p.Done, p.Total, p.Elapsed.Round(1e9),
			p.AudioSeconds/60/math.Max(p.Elapsed.Seconds(), 1e-9), p.Path, state)
	}
}

// labelOf returns a track's label value, "(no LABEL)" when it has none.
func labelOf(t *library.Track, label string) string {
	v, err := t.Label(label)
	if err != nil || v == "" {
		return "(no " + label + ")"
	}
	return v
}

// trackName is a track's title, or its path when it has none.
func trackName(t *library.Track) string {
	if t.Title != "" {
		return t.Title
	}
	return t.Path
}

// LibraryMapSVG draws every track of a library on the first two principal components of a feature set (the
// rows L2-normalised first, the geometry that cosine similarity sees), coloured by a label (album, artist,
// genre, folder), each point numbered by its row + 1 (the "#" of LibraryTracksHTML) with a tooltip naming it.
func LibraryMapSVG(l *library.Library, set, colourBy string) (string, error) {
	f, err := l.Set(set)
	if err != nil {
		return "", err
	}
	if _, err := (&library.Track{}).Label(colourBy); err != nil {
		return "", err
	}
	if len(l.Tracks) < 3 {
		return "", fmt.Errorf("display: a map needs at least 3 tracks, %s has %d", l.Dir, len(l.Tracks))
	}
	p, err := evaluation.PCA(evaluation.Normalize(f.Data, f.Dim), f.Dim, 2)
	if err != nil {
		return "", fmt.Errorf("display: map of %s: %w", set, err)
	}
	pts := make([]plot.Point, len(l.Tracks))
	for i := range l.Tracks {
		t := &l.Tracks[i]
		pts[i] = plot.Point{X: float64(p.Projected[2*i]), Y: float64(p.Projected[2*i+1]), Group: labelOf(t, colourBy),
			Tooltip: fmt.Sprintf("%d. %s — %s", i+1, trackName(t), labelOf(t, colourBy)), Label: fmt.Sprint(i + 1)}
	}
	return plot.Scatter(pts, plot.Options{
		Title: fmt.Sprintf("%d tracks, %s features (PCA of the normalised rows), coloured by %s", len(l.Tracks),
			set, colourBy),
		XLabel: fmt.Sprintf("PC1 (%.0f %% of the variance)", 100*p.ExplainedVarianceRatio[0]),
		YLabel: fmt.Sprintf("PC2 (%.0f %%)", 100*p.ExplainedVarianceRatio[1]), Width: 720, Height: 420}), nil
}

// errClipDone stops decoding once a clip is read.
var errClipDone = errors.New("clip done")

// ClipHTML renders an audio player with seconds of a file from start (in seconds), mono at 16 kHz (what
// musicnn hears), as a WAV embedded in the page (32 kB a second: keep clips short). Decoding stops at the end of
// the clip.
func ClipHTML(path string, start, seconds float64) (string, error) {
	from, n := int(start*16000), int(seconds*16000)
	var clip []float32
	pos := 0
	err := audio.LoadBlocks(path, 16000, func(b []float32) error {
		lo, hi := max(from-pos, 0), min(from+n-pos, len(b))
		if lo < hi {
			clip = append(clip, b[lo:hi]...)
		}
		pos += len(b)
		if pos >= from+n {
			return errClipDone
		}
		return nil
	})
	if err != nil && !errors.Is(err, errClipDone) {
		return "", err
	}
	return AudioHTML(WAV(clip, 16000), "audio/wav"), nil
}

// LibraryColumn is an extra column of LibraryTracksHTML: a header and the cell text of a track (by row).
type LibraryColumn struct {
	Header string
	Cell   func(row int) string
}

// LibraryTracksOptions configure LibraryTracksHTML.
type LibraryTracksOptions struct {
	Caption string
	Tags    int // top musicnn tags shown per track (0: none)
	// Players is how many of the listed tracks get an audio player (the first ones), each playing ClipSeconds
	// from ClipStart.
	Players             int
	ClipStart, ClipSecs float64
	Extra               []LibraryColumn // columns after "#" (e.g. a score)
	ShowExcerptAnalysed bool            // add a column with the seconds the features come from
}

// LibraryTracksHTML renders library tracks as a table: "#" (row + 1, as on LibraryMapSVG), the extra columns,
// title, artist, album, duration, optionally the seconds analysed, the top tags of SetMusicnnTags and an audio player.
func LibraryTracksHTML(l *library.Library, rows []int, o LibraryTracksOptions) (string, error) {
	var tags *library.Features
	if o.Tags > 0 {
		var err error
		if tags, err = l.Set(library.SetMusicnnTags); err != nil {
			return "", err
		}
	}
	var b strings.Builder
	b.WriteString(Style)
	b.WriteString(`<table class="musicrep-table">`)
	if o.Caption != "" {
		fmt.Fprintf(&b, `<caption style="text-align:left">%s</caption>`, html.EscapeString(o.Caption))
	}
	head := []string{"#"}
	for _, c := range o.Extra {
		head = append(head, c.Header)
	}
	head = append(head, "title", "artist", "album", "length")
	if o.ShowExcerptAnalysed {
		head = append(head, "analysed")
	}
	if o.Tags > 0 {
		head = append(head, fmt.Sprintf("top %d musicnn tags (probability)", o.Tags))
	}
	if o.Players > 0 {
		head = append(head, fmt.Sprintf("listen (%g s from %g s, 16 kHz mono)", o.ClipSecs, o.ClipStart))
	}
	b.WriteString("<tr>")
	for _, h := range head {
		fmt.Fprintf(&b, `<th class="l">%s</th>`, html.EscapeString(h))
	}
	b.WriteString("</tr>")
	for k, i := range rows {
		t := &l.Tracks[i]
		cells := []string{fmt.Sprint(i + 1)}
		for _, c := range o.Extra {
			cells = append(cells, c.Cell(i))
		}
		cells = append(cells, trackName(t), t.Artist, t.Album, fmt.Sprintf("%d:%02d", int(t.Duration)/60,
			int(t.Duration)%60))
		if o.ShowExcerptAnalysed {
			a := "whole"
			if t.ExcerptSeconds > 0 {
				a = fmt.Sprintf("first %.0f s", t.ExcerptSeconds)
			}
			cells = append(cells, a)
		}
		if o.Tags > 0 {
			var parts []string
			for _, s := range library.TopTags(tags.Row(i), o.Tags) {
				parts = append(parts, fmt.Sprintf("%s %.2f", s.Tag, s.Prob))
			}
			cells = append(cells, strings.Join(parts, ", "))
		}
		b.WriteString("<tr>")
		for _, c := range cells {
			fmt.Fprintf(&b, `<td class="l">%s</td>`, html.EscapeString(c))
		}
		if o.Players > 0 {
			player := ""
			if k < o.Players {
				path, err := l.File(i)
				if err != nil {
					return "", err
				}
				p, err := ClipHTML(path, o.ClipStart, o.ClipSecs)
				if err != nil {
					return "", err
				}
				player = p
			}
			fmt.Fprintf(&b, "<td>%s</td>", player)
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</table>")
	return b.String(), nil
}
