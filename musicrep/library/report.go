package library

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/musicrep/musicrep/musicrep/results"
)

// rowOrder lists the rows of an evaluation table: the scan's feature sets in FeatureSets order, the trained
// model sets by name, then chance.
func (r *EvalReport) rowOrder() []string {
	out := r.Sets()
	if _, ok := r.Metrics[ChanceRow]; ok {
		out = append(out, ChanceRow)
	}
	return out
}

// columns lists the metrics present in the report, in EvalMetrics order.
func (r *EvalReport) columns() []string {
	var out []string
	for _, k := range EvalMetrics {
		for _, m := range r.Metrics {
			if _, ok := m[k]; ok {
				out = append(out, k)
				break
			}
		}
	}
	return out
}

// rowKind says what a row of the table is.
func rowKind(set string) string {
	switch set {
	case SetMusicnn, SetMusicnnMTT, SetMusicnnTags:
		return "pretrained (musicnn)"
	case SetMelStats:
		return "baseline (raw log-mel statistics)"
	case SetText:
		return "metadata text (MiniLM)"
	case ChanceRow:
		return "baseline (random ranking)"
	}
	return "trained on this library (in-sample)"
}

// otherArtistNote explains the other_artist_ columns (empty when there are none).
func (r *EvalReport) otherArtistNote() string {
	m, ok := r.Metrics[ChanceRow]
	if !ok {
		return ""
	}
	n, ok := m[OtherArtistQueries]
	if !ok {
		return ""
	}
	if n == 0 {
		return "other_artist_ metrics: none (no query has a relevant candidate by another artist)"
	}
	return fmt.Sprintf("other_artist_ metrics: candidates by the query's own artist removed; averaged over the %.0f "+
		"queries that keep a relevant candidate by another artist", n)
}

// Table returns the evaluation as a results.Table (rows in FeatureSets order then chance, with intervals, the
// leaking sets marked, and the paired differences), for Markdown rendering.
func (r *EvalReport) Table() *results.Table {
	t := &results.Table{Protocol: "library-loo", Description: r.Description, Ks: []int{EvalK},
		NumQueries: r.Queries, Notes: slices.Clone(r.Notes), Comparisons: r.Differences}
	if n := r.otherArtistNote(); n != "" {
		t.Notes = append(t.Notes, n)
	}
	for _, s := range r.rowOrder() {
		m := map[string]float64{}
		for _, k := range EvalMetrics {
			if v, ok := r.Metrics[s][k]; ok {
				m[k] = v
			}
		}
		t.Rows = append(t.Rows, results.Row{Name: s, Kind: rowKind(s), Source: r.Label, Dim: r.Dims[s],
			Leaks: slices.Contains(r.Leaks, s), Metrics: m, CI95: r.CI95[s]})
	}
	return t
}

// Markdown renders the report: the description (data, relevance, protocol, in-sample status, intervals), the
// table with 95 % intervals ("value (lo–hi)"; a set built from the label itself says LEAKS), the notes and the
// paired differences with their verdicts ("not significant" when the interval contains 0).
func (r *EvalReport) Markdown() string {
	t := r.Table()
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", r.Description)
	b.WriteString(t.Markdown(r.columns()))
	for _, n := range t.Notes {
		fmt.Fprintf(&b, "\n- %s", n)
	}
	if len(t.Notes) > 0 {
		b.WriteString("\n")
	}
	if c := t.ComparisonsMarkdown(); c != "" {
		fmt.Fprintf(&b, "\nPaired differences A − B (same resamples):\n\n%s", c)
	}
	return b.String()
}

// WriteText writes the report as plain text: the description, a table of "value [lo, hi]" cells (other_artist_
// abbreviated oa_; a set built from the label itself marked LEAKS), the notes and one line per paired
// difference, "not significant" when its interval contains 0.
func (r *EvalReport) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", r.Description)
	cols := r.columns()
	width := 16
	for _, s := range r.rowOrder() {
		width = max(width, len(s)+len(" (LEAKS)"))
	}
	fmt.Fprintf(&b, "%-*s", width, "set")
	for _, k := range cols {
		fmt.Fprintf(&b, " %-21s", strings.Replace(k, "other_artist_", "oa_", 1))
	}
	b.WriteString("\n")
	for _, s := range r.rowOrder() {
		name := s
		if slices.Contains(r.Leaks, s) {
			name += " (LEAKS)"
		}
		fmt.Fprintf(&b, "%-*s", width, name)
		for _, k := range cols {
			v, ok := r.Metrics[s][k]
			ci, hasCI := r.CI95[s][k]
			switch {
			case ok && hasCI:
				fmt.Fprintf(&b, " %-21s", fmt.Sprintf("%.3f [%.3f, %.3f]", v, ci[0], ci[1]))
			case ok:
				fmt.Fprintf(&b, " %-21s", fmt.Sprintf("%.3f", v))
			default:
				fmt.Fprintf(&b, " %-21s", "—")
			}
		}
		b.WriteString("\n")
	}
	if len(r.Leaks) > 0 {
		fmt.Fprintf(&b, "LEAKS: %s read the metadata text, which names the %s: an upper bound, not a result\n",
			strings.Join(r.Leaks, ", "), r.Label)
	}
	if n := r.otherArtistNote(); n != "" {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	if len(r.Differences) > 0 {
		b.WriteString("\npaired differences A − B (95 % interval, same resamples):\n")
		for _, c := range r.Differences {
			verdict := ""
			if !c.Significant {
				verdict = "  not significant"
			}
			fmt.Fprintf(&b, "  %-26s %-29s %+.3f [%+.3f, %+.3f]%s\n", c.A+" − "+c.B, c.Metric, c.Diff, c.CI95[0],
				c.CI95[1], verdict)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
