package textenc

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/musicrep/musicrep/musicrep"
)

// Source says which text of a track is encoded.
type Source string

// The text sources of a track.
const (
	// SourceTemplate is binding_music's embedded text: the LLM summary, keywords and emotional themes of the
	// lyrics filled into the template of its scripts/embed_lyrics.py (see TemplateText).
	SourceTemplate Source = "template"
	// SourceLyrics is the raw lyrics (truncated by the tokenizer to the model's 256-token window).
	SourceLyrics Source = "lyrics"
)

// ParseSource converts "template" or "lyrics" to a Source.
func ParseSource(name string) (Source, error) {
	switch s := Source(strings.ToLower(strings.TrimSpace(name))); s {
	case SourceTemplate, SourceLyrics:
		return s, nil
	}
	return "", fmt.Errorf("unknown text source %q: use %q or %q", name, SourceTemplate, SourceLyrics)
}

// templateFormat is binding_music's scripts/embed_lyrics.py combined_string, verbatim (a Python triple-quoted
// string that starts and ends with a newline).
const templateFormat = "\nThe following is a summary of the lyrics:\n%s\n\nIt has the following keywords:\n%s\n\n" +
	"And the following emotional themes:\n%s\n"

// TemplateText returns the text binding_music embedded for a track: its LLM summary, keywords (joined by ", ")
// and emotional themes (joined by ", ") in the template of scripts/embed_lyrics.py, byte for byte. It returns ""
// for a track without lyrics (binding_music gave those a zero vector without calling the model).
func TemplateText(t *musicrep.Track) string {
	if !t.HasLyrics() {
		return ""
	}
	return fmt.Sprintf(templateFormat, t.Summary, strings.Join(t.Context, ", "), strings.Join(t.Emotional, ", "))
}

// TrackText returns the text of a track for the given source; "" for a track without lyrics (or an unknown
// source).
func TrackText(t *musicrep.Track, src Source) string {
	if !t.HasLyrics() {
		return ""
	}
	switch src {
	case SourceTemplate:
		return TemplateText(t)
	case SourceLyrics:
		return t.Lyrics
	}
	return ""
}

// ExtractFeatures encodes the given text of every track with lyrics and returns the text features, row-aligned
// with tracks: Modality musicrep.Text, Dim m.Dim(), Present false (and a zero row) for tracks without lyrics.
// If progress is not nil, a line "textenc: done/total tracks with lyrics (src text), N tracks/s" is written to it after each batch.
func ExtractFeatures(m *Model, tracks []*musicrep.Track, src Source, progress io.Writer) (*musicrep.Features, error) {
	if _, err := ParseSource(string(src)); err != nil {
		return nil, err
	}
	dim := m.Dim()
	f := &musicrep.Features{
		Modality: musicrep.Text,
		Source:   fmt.Sprintf("%s (%s text, all-MiniLM-L6-v2)", m.Dir, src),
		Dim:      dim,
		Data:     make([]float32, len(tracks)*dim),
		Present:  make([]bool, len(tracks)),
	}
	var texts []string
	var rows []int
	for i, t := range tracks {
		if t == nil {
			return nil, fmt.Errorf("track %d is nil", i)
		}
		if text := TrackText(t, src); text != "" {
			texts = append(texts, text)
			rows = append(rows, i)
		}
	}
	var report func(done, total int)
	if progress != nil {
		start := time.Now()
		report = func(done, total int) {
			rate := float64(done) / max(time.Since(start).Seconds(), 1e-9)
			fmt.Fprintf(progress, "textenc: %d/%d tracks with lyrics (%s text), %.1f tracks/s\n", done, total, src, rate)
		}
	}
	vecs, err := m.Encode(texts, report)
	if err != nil {
		return nil, err
	}
	for k, r := range rows {
		copy(f.Row(r), vecs[k])
		f.Present[r] = true
	}
	return f, nil
}
