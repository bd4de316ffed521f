package display

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/musicrep/musicrep/musicrep/pipeline"
	"html"
	"math"
	"os"
	"strings"
	"sync"

	"github.com/janpfeifer/gonb/gonbui"

	"github.com/musicrep/musicrep/musicrep/plot"
	"github.com/musicrep/musicrep/musicrep/results"
	"github.com/musicrep/musicrep/musicrep/space"
)

// GroupedBarsSVG draws horizontal bars grouped by label: for each group (e.g. an ordered modality pair) one bar
// per series (e.g. learned, baseline, chance), coloured by series, with the value printed at the end of each
// bar. values[s][g] is series s in group g; NaN values draw no bar. All bars share one scale starting at 0.
func GroupedBarsSVG(groups, series []string, values [][]float64, o plot.Options) string {
	if len(values) != len(series) {
		panic(fmt.Sprintf("display.GroupedBarsSVG: %d series names for %d value rows", len(series), len(values)))
	}
	for s, v := range values {
		if len(v) != len(groups) {
			panic(fmt.Sprintf("display.GroupedBarsSVG: series %q has %d values for %d groups", series[s], len(v),
				len(groups)))
		}
	}
	const barH, gap, top = 12.0, 10.0, 48.0
	if o.Width == 0 {
		o.Width = 640
	}
	groupH := barH*float64(len(series)) + gap
	if o.Height == 0 {
		o.Height = int(top + groupH*float64(len(groups)) + 28)
	}
	vmax := 0.0
	for _, v := range values {
		for _, x := range v {
			if !math.IsNaN(x) {
				vmax = math.Max(vmax, x)
			}
		}
	}
	if vmax == 0 {
		vmax = 1
	}
	labelW := 0
	for _, g := range groups {
		labelW = max(labelW, len([]rune(g)))
	}
	left := float64(min(260, 12+labelW*7))
	right := float64(o.Width - 60)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="musicrep-plot" width="%d" height="%d" `+
		`viewBox="0 0 %d %d" font-family="sans-serif" font-size="11"><rect width="%d" height="%d" fill="white"/>`,
		o.Width, o.Height, o.Width, o.Height, o.Width, o.Height)
	if o.Title != "" {
		fmt.Fprintf(&b, `<text x="%d" y="18" text-anchor="middle" font-size="13" font-weight="bold">%s</text>`,
			o.Width/2, esc(o.Title))
	}
	x := left
	for s, name := range series { // legend
		fmt.Fprintf(&b, `<rect x="%.1f" y="28" width="10" height="10" fill="%s"/>`, x, plot.Color(s))
		fmt.Fprintf(&b, `<text x="%.1f" y="33" dominant-baseline="middle">%s</text>`, x+14, esc(name))
		x += 14 + 7*float64(len([]rune(name))) + 16
	}
	for g, label := range groups {
		y0 := top + float64(g)*groupH
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`,
			left-6, y0+barH*float64(len(series))/2, esc(label))
		for s := range series {
			v := values[s][g]
			if math.IsNaN(v) {
				continue
			}
			y := y0 + float64(s)*barH
			w := math.Max(0, v) / vmax * (right - left)
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s, %s: %s</title></rect>`,
				left, y, w, barH-1, plot.Color(s), esc(label), esc(series[s]), plot.FormatTick(v))
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" dominant-baseline="middle" font-size="10">%s</text>`, left+w+4,
				y+barH/2, plot.FormatTick(v))
		}
	}
	fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#999"/>`, left, left, top-2,
		top+groupH*float64(len(groups))-gap+2)
	if o.XLabel != "" {
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`, (left+right)/2, o.Height-8,
			esc(o.XLabel))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// crossModalPairs groups the rows of a pipeline.CrossModalEvaluation table (named "A→B kind") by pair, in
// table order, and returns the pairs and, per pair, the rows by kind.
func crossModalPairs(t *results.Table) ([]string, map[string]map[string]*results.Row) {
	var pairs []string
	byPair := map[string]map[string]*results.Row{}
	for i := range t.Rows {
		r := &t.Rows[i]
		pair := strings.TrimSuffix(r.Name, " "+r.Kind)
		if byPair[pair] == nil {
			byPair[pair] = map[string]*results.Row{}
			pairs = append(pairs, pair)
		}
		byPair[pair][r.Kind] = r
	}
	return pairs, byPair
}

// crossModalKinds are the row kinds of a cross-modal table and how they are labelled.
var crossModalKinds = []struct{ kind, label string }{
	{"learned", "joint model"}, {"baseline", "raw features + ridge map"}, {"chance", "chance"}}

// CrossModalBarsSVG draws one metric (e.g. "R@10") of a pipeline.CrossModalEvaluation table as grouped bars:
// per ordered modality pair, the joint model, the ridge-regression baseline and chance.
func CrossModalBarsSVG(t *results.Table, metric, title string) string {
	pairs, byPair := crossModalPairs(t)
	series := make([]string, len(crossModalKinds))
	values := make([][]float64, len(crossModalKinds))
	for s, k := range crossModalKinds {
		series[s] = k.label
		values[s] = make([]float64, len(pairs))
		for g, p := range pairs {
			values[s][g] = math.NaN()
			if r := byPair[p][k.kind]; r != nil {
				if v, ok := r.Metrics[metric]; ok {
					values[s][g] = v
				}
			}
		}
	}
	return GroupedBarsSVG(pairs, series, values, plot.Options{Title: title, XLabel: metric})
}

// CrossModalHTML renders a pipeline.CrossModalEvaluation table with one block of rows per ordered modality
// pair (joint model, ridge baseline, chance). Within each pair the best value of each column is bold: the
// highest recall and MRR, the lowest median rank. The table's description and notes follow.
func CrossModalHTML(t *results.Table) string {
	pairs, byPair := crossModalPairs(t)
	var cols []string
	for _, k := range t.Ks {
		cols = append(cols, fmt.Sprintf("R@%d", k))
	}
	cols = append(cols, "mrr", "median_rank")
	lowerBetter := map[string]bool{"median_rank": true}
	headers := append(append([]string{"query → candidates", "ranking by"}, cols...), "queries", "candidates")
	var rows [][]Cell
	var classes []string
	for _, p := range pairs {
		best := make([]float64, len(cols))
		for i, c := range cols {
			best[i] = math.NaN()
			for _, k := range crossModalKinds {
				if r := byPair[p][k.kind]; r != nil {
					v, ok := r.Metrics[c]
					if ok && (math.IsNaN(best[i]) || (lowerBetter[c] && v < best[i]) || (!lowerBetter[c] && v > best[i])) {
						best[i] = v
					}
				}
			}
		}
		first := true
		for _, k := range crossModalKinds {
			r := byPair[p][k.kind]
			if r == nil {
				continue
			}
			label := ""
			if first {
				label = p
			}
			first = false
			row := Texts(label, k.label)
			row[1].Class = "l"
			for i, c := range cols {
				cell := Cell{Text: "–"}
				if v, ok := r.Metrics[c]; ok {
					cell.Text = fmt.Sprintf("%.3f", v)
					if c == "median_rank" {
						cell.Text = fmt.Sprintf("%.1f", v)
					}
					if v == best[i] {
						cell.Class = "best"
					}
				}
				row = append(row, cell)
			}
			row = append(row, Cell{Text: fmt.Sprintf("%.0f", r.Metrics["queries"])},
				Cell{Text: fmt.Sprintf("%.0f", r.Metrics["candidates"])})
			rows = append(rows, row)
			if k.kind == "learned" {
				classes = append(classes, "learned")
			} else {
				classes = append(classes, "")
			}
		}
	}
	var b strings.Builder
	b.WriteString(TableHTML("cross-modal retrieval", headers, rows, classes))
	b.WriteString(notesHTML(t))
	return b.String()
}

// notesHTML renders a table's description, its row sources for baselines, its row notes and its notes as a
// small list; more than three items are folded under a "notes (N)" line that opens on a click.
func notesHTML(tables ...*results.Table) string {
	var b strings.Builder
	b.WriteString(`<ul style="font-size:12px;max-width:960px">`)
	seen := map[string]bool{}
	items := 0
	for _, t := range tables {
		if t.Description != "" && !seen[t.Description] {
			seen[t.Description] = true
			items++
			fmt.Fprintf(&b, "<li>%s</li>", esc(t.Description))
		}
		for _, r := range t.Rows {
			if r.Note != "" && !seen[r.Name] {
				seen[r.Name] = true
				items++
				fmt.Fprintf(&b, "<li><i>%s</i>: %s</li>", esc(r.Name), esc(r.Note))
			}
		}
		for _, n := range t.Notes {
			if !seen[n] {
				seen[n] = true
				items++
				fmt.Fprintf(&b, "<li>%s</li>", esc(n))
			}
		}
	}
	b.WriteString("</ul>")
	if items > 3 {
		return fmt.Sprintf(`<details><summary style="font-size:12px">notes (%d): how the table was made, what each row is</summary>%s</details>`,
			items, b.String())
	}
	return b.String()
}

// MergedResultsHTML lays several protocol tables over the same embeddings sets side by side: one row per set
// (in the order of the first table, matched by name), and for table i the metric columns columns[i] under a
// header naming the protocol. The highest value of each column is bold; learned rows are shaded. The
// descriptions and notes of all tables follow. The highest value is marked among comparable rows only (never a
// leaking row, chance or majority) and never in a chance column.
func MergedResultsHTML(caption string, tables []*results.Table, columns [][]string) string {
	if len(tables) != len(columns) {
		panic(fmt.Sprintf("display.MergedResultsHTML: %d tables, %d column lists", len(tables), len(columns)))
	}
	if len(tables) == 0 {
		return ""
	}
	type col struct {
		t      *results.Table
		metric string
	}
	var cols []col
	for i, t := range tables {
		for _, m := range columns[i] {
			cols = append(cols, col{t, m})
		}
	}
	value := func(c col, name string) (float64, bool) {
		for _, r := range c.t.Rows {
			if r.Name == name {
				v, ok := r.Metrics[c.metric]
				return v, ok
			}
		}
		return 0, false
	}
	best := make([]float64, len(cols))
	for i, c := range cols {
		best[i] = math.Inf(-1)
		for _, r := range tables[0].Rows {
			if v, ok := value(c, r.Name); ok && comparable(r) && !isChance(c.metric) {
				best[i] = math.Max(best[i], v)
			}
		}
	}
	// Two header rows: the protocol over its columns, then the metric names.
	var b strings.Builder
	b.WriteString(Style)
	b.WriteString(`<table class="musicrep-table">`)
	if caption != "" {
		fmt.Fprintf(&b, `<caption style="text-align:left">%s</caption>`, esc(caption))
	}
	b.WriteString(`<tr><th class="l" rowspan="2">embeddings</th><th class="l" rowspan="2">kind</th>` +
		`<th rowspan="2">dim</th>`)
	for i, t := range tables {
		if len(columns[i]) > 0 {
			fmt.Fprintf(&b, `<th colspan="%d" style="text-align:center">%s</th>`, len(columns[i]), esc(t.Protocol))
		}
	}
	b.WriteString("</tr><tr>")
	for _, c := range cols {
		// Let long metric names (knn_genre_accuracy@10) wrap at their underscores.
		fmt.Fprintf(&b, "<th>%s</th>", strings.ReplaceAll(esc(c.metric), "_", "_<wbr>"))
	}
	b.WriteString("</tr>")
	for _, r := range tables[0].Rows {
		if r.Kind == "learned" {
			b.WriteString(`<tr class="learned">`)
		} else {
			b.WriteString("<tr>")
		}
		fmt.Fprintf(&b, `<td class="l">%s</td><td class="l">%s</td><td>%d</td>`, esc(r.Name), esc(r.Kind), r.Dim)
		for i, c := range cols {
			v, ok := value(c, r.Name)
			switch {
			case !ok:
				b.WriteString("<td>–</td>")
			case v == best[i] && comparable(r):
				fmt.Fprintf(&b, `<td class="best">%.3f</td>`, v)
			default:
				fmt.Fprintf(&b, "<td>%.3f</td>", v)
			}
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</table>")
	return b.String() + notesHTML(tables...)
}

// CrossModalCompareHTML compares one metric (e.g. "R@10") of two cross-modal tables of joint models, pair by
// pair: a's and b's values and b − a, with the chance level of the pair. It also returns on how many of the
// pairs b is higher, and of how many.
func CrossModalCompareHTML(caption, nameA, nameB string, a, b *results.Table, metric string) (h string, bHigher, pairs int) {
	pairsA, byA := crossModalPairs(a)
	_, byB := crossModalPairs(b)
	var rows [][]Cell
	for _, p := range pairsA {
		ra, rb, ch := byA[p]["learned"], byB[p]["learned"], byA[p]["chance"]
		if ra == nil || rb == nil {
			continue
		}
		va, vb := ra.Metrics[metric], rb.Metrics[metric]
		chance := "–"
		if ch != nil {
			chance = fmt.Sprintf("%.3f", ch.Metrics[metric])
		}
		rows = append(rows, Texts(p, fmt.Sprintf("%.3f", va), fmt.Sprintf("%.3f", vb), fmt.Sprintf("%+.3f", vb-va), chance))
		pairs++
		if vb > va {
			bHigher++
		}
	}
	return TableHTML(caption, []string{"query → candidates", nameA + " " + metric, nameB + " " + metric,
		"difference", "chance " + metric}, rows, nil), bHigher, pairs
}

// ReadJointReport reads a joint report written by `musicrep joint` (evaluation/results/<name>.json).
func ReadJointReport(path string) (*pipeline.JointReport, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("joint report: %w (written by `musicrep joint`)", err)
	}
	var r pipeline.JointReport
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("joint report %s: %w", path, err)
	}
	return &r, nil
}

// QueryResult is the answer to one search: the query, the searched space and the nearest tracks.
type QueryResult struct {
	Query     string
	Target    string // the searched embeddings, e.g. "fused" or "audio"
	Neighbors space.Neighbors
}

// QueriesHTML renders several searches in one compact table: per result the query and searched space (on the
// query's first row), rank, title, artist, genres and squared L2 distance. mark (optional) adds a last column
// headed markHeader with a label per result row (e.g. whether the track is a test or a training track).
func QueriesHTML(caption string, results []QueryResult, markHeader string, mark func(row int) string) string {
	headers := []string{"query", "searched", "rank", "title", "artist", "genres", "squared L2"}
	if mark != nil {
		headers = append(headers, markHeader)
	}
	var rows [][]Cell
	var classes []string
	for qi, q := range results {
		for i, nb := range q.Neighbors.List {
			t := q.Neighbors.Track(i)
			query, target := "", ""
			if i == 0 {
				query, target = q.Query, q.Target
			}
			genres := strings.Join(t.Genres, ", ")
			if genres == "" {
				genres = "(no genre)"
			}
			row := Texts(query, target, fmt.Sprint(i+1), t.Title, t.Artist, genres,
				fmt.Sprintf("%.3f", nb.Dist))
			for _, j := range []int{1, 3, 4, 5} {
				row[j].Class = "l"
			}
			if mark != nil {
				row = append(row, Cell{Text: mark(nb.Index), Class: "l"})
			}
			rows = append(rows, row)
			cls := ""
			if qi%2 == 1 {
				cls = "learned" // shade every other query so the blocks are easy to tell apart
			}
			classes = append(classes, cls)
		}
	}
	return TableHTML(caption, headers, rows, classes)
}

// LiveText shows the last line written to it in one notebook output that it updates in place, so long
// progress logs (feature extraction, training) take one line. Outside a notebook it copies to stdout.
// Use it as an io.Writer, e.g. as pipeline.FeatureOptions.Progress.
type LiveText struct {
	id      string
	mu      sync.Mutex
	partial []byte
}

// NewLiveText returns a live text line.
func NewLiveText() *LiveText { return &LiveText{id: "musicrep-text-" + gonbui.UniqueID()} }

// Write implements io.Writer: the last complete line written is displayed.
func (l *LiveText) Write(p []byte) (int, error) {
	if !gonbui.IsNotebook {
		fmt.Print(string(p))
		return len(p), nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, p...)
	i := bytes.LastIndexByte(l.partial, '\n')
	if i < 0 {
		return len(p), nil
	}
	lines := strings.Split(strings.TrimRight(string(l.partial[:i]), "\n"), "\n")
	l.partial = append([]byte(nil), l.partial[i+1:]...)
	gonbui.UpdateHTML(l.id, `<pre style="margin:2px 0">`+html.EscapeString(lines[len(lines)-1])+`</pre>`)
	Sync()
	return len(p), nil
}
