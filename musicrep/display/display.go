// Package display renders musicrep objects for GoNB notebooks: HTML tables, track cards, neighbour lists, SVG
// plots and a live training-loss plot. It is the only musicrep package that imports gonbui, and every output it
// sends waits for GoNB to receive it (Sync), so none is lost when a cell ends. Every renderer
// also has a pure function returning the HTML, so output can be tested and saved outside a notebook; outside
// a GoNB kernel the Show functions print plain text instead.
//
// Nothing rendered here loads anything from the network: plots are inline SVG, cover images are links, and
// audio previews use preload="none" so the browser fetches nothing until the user presses play.
package display

import (
	"cmp"
	"fmt"
	"html"
	"math"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/janpfeifer/gonb/gonbui"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/pipeline"
	"github.com/musicrep/musicrep/musicrep/plot"
	"github.com/musicrep/musicrep/musicrep/results"
	"github.com/musicrep/musicrep/musicrep/space"
	"github.com/musicrep/musicrep/musicrep/training"
)

// Style is the CSS used by the tables and cards (embedded in each output so exported HTML keeps it).
const Style = `<style>
table.musicrep-table{border-collapse:collapse;font-size:12px;margin:4px 0}
table.musicrep-table th,table.musicrep-table td{border:1px solid #ccc;padding:2px 6px;text-align:right}
table.musicrep-table th{background:#f0f0f0;max-width:9em}
table.musicrep-table td.l,table.musicrep-table th.l{text-align:left}
table.musicrep-table tr.learned td{background:#eef6ff}
table.musicrep-table td.ok{background:#dff5df}
table.musicrep-table td.bad{background:#f9dada}
table.musicrep-table td.best{font-weight:bold}
div.musicrep-card{border:1px solid #ccc;border-radius:6px;padding:8px 12px;margin:6px 0;max-width:720px;font-size:13px}
div.musicrep-card .t{font-size:16px;font-weight:bold}
div.musicrep-card .tag{display:inline-block;background:#eef;border-radius:3px;padding:0 5px;margin:1px}
</style>`

// Every output this package sends to the notebook is followed by Sync: GoNB (v0.11.5) reads displays from a named
// pipe in a goroutine of its own and closes that pipe as soon as the cell's program exits, so a display still in
// the pipe when the program ends is silently dropped; and printed text, which travels through another pipe, can
// overtake a display sent before it. Measured here: cells that display a 2 MB HTML, then five small ones, and
// exit lost some of the small ones in 6 of 10 cells without Sync, in none of 30 with it on a saturated machine
// (tests/notebooks/display-flush.ipynb; TestDisplaysSurviveProgramExit reproduces it with a fake GoNB).

// SyncTimeout bounds how long a display waits for GoNB to acknowledge it; past it, a warning goes to stderr and
// the program carries on (that output may then be missing).
var SyncTimeout = 60 * time.Second

// Sync waits until GoNB has received every output sent so far (gonbui.Sync, bounded by SyncTimeout). The
// package's Show functions call it; call it yourself after using gonbui directly, e.g. at the end of a cell.
func Sync() {
	if !gonbui.IsNotebook || gonbui.Error() != nil {
		return
	}
	done := make(chan struct{})
	go func() {
		gonbui.Sync()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(SyncTimeout):
		fmt.Fprintf(os.Stderr, "musicrep/display: GoNB did not acknowledge an output within %s; it may be missing\n",
			SyncTimeout)
	}
}

// Show displays HTML in the notebook (or prints a note outside one).
func Show(h string) {
	if gonbui.IsNotebook {
		gonbui.DisplayHTML(h)
		Sync()
		return
	}
	fmt.Println(stripTags(h))
}

// Markdown displays Markdown in the notebook (or prints it outside one).
func Markdown(md string) {
	if gonbui.IsNotebook {
		gonbui.DisplayMarkdown(md)
		Sync()
		return
	}
	fmt.Println(md)
}

func stripTags(h string) string {
	var b strings.Builder
	in := false
	for _, r := range h {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
			b.WriteRune(' ')
		case !in:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(html.UnescapeString(b.String())), " ")
}

// Cell is one table cell: Text, plus an optional CSS class (l, ok, bad, best).
type Cell struct {
	Text  string
	Class string
}

// TableHTML renders a table with class musicrep-table. rowClasses (optional) gives a CSS class per row.
func TableHTML(caption string, headers []string, rows [][]Cell, rowClasses []string) string {
	var b strings.Builder
	b.WriteString(Style)
	b.WriteString(`<table class="musicrep-table">`)
	if caption != "" {
		fmt.Fprintf(&b, `<caption style="text-align:left">%s</caption>`, html.EscapeString(caption))
	}
	b.WriteString("<tr>")
	for i, h := range headers {
		cls := ""
		// Left-aligned over a left-aligned column (the first, and text columns marked "l" in the first row).
		if i == 0 || len(rows) > 0 && i < len(rows[0]) && rows[0][i].Class == "l" {
			cls = ` class="l"`
		}
		// Long metric names (continuation_ndcg@10) wrap at their underscores, so wide tables fit the page.
		fmt.Fprintf(&b, "<th%s>%s</th>", cls, strings.ReplaceAll(html.EscapeString(h), "_", "_<wbr>"))
	}
	b.WriteString("</tr>")
	for r, row := range rows {
		cls := ""
		if r < len(rowClasses) && rowClasses[r] != "" {
			cls = fmt.Sprintf(` class="%s"`, rowClasses[r])
		}
		fmt.Fprintf(&b, "<tr%s>", cls)
		for _, c := range row {
			if c.Class != "" {
				fmt.Fprintf(&b, `<td class="%s">%s</td>`, c.Class, html.EscapeString(c.Text))
			} else {
				fmt.Fprintf(&b, "<td>%s</td>", html.EscapeString(c.Text))
			}
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</table>")
	return b.String()
}

// Texts turns strings into cells, the first left-aligned.
func Texts(s ...string) []Cell {
	out := make([]Cell, len(s))
	for i, x := range s {
		out[i] = Cell{Text: x}
		if i == 0 {
			out[i].Class = "l"
		}
	}
	return out
}

// comparable reports whether a row competes for the "best" mark: not a chance, majority or oracle reference
// (an oracle is a ceiling built from metadata) and not built from the labels being scored.
func comparable(r results.Row) bool {
	return !r.Leaks && r.Kind != "chance" && r.Kind != "majority" && r.Kind != "oracle"
}

// isChance reports whether a metric column is a chance level (e.g. "chance", "genre_chance@10"): it gets no
// "best" mark.
func isChance(metric string) bool { return strings.Contains(metric, "chance") }

// ResultsHTML renders a protocol table: one row per embeddings set, the given metric columns (all when nil)
// with their 95 % intervals when the table has them, the best value of each column in bold among the
// comparable rows (never a leaking row, chance or majority), learned rows shaded, and the notes below.
func ResultsHTML(t *results.Table, columns []string) string {
	if columns == nil {
		columns = t.MetricColumns()
	}
	headers := append([]string{"embeddings", "kind", "dim"}, columns...)
	best := make([]float64, len(columns))
	for i := range best {
		best[i] = math.Inf(-1)
		for _, r := range t.Rows {
			if v, ok := r.Metrics[columns[i]]; ok && comparable(r) && !isChance(columns[i]) {
				best[i] = math.Max(best[i], v)
			}
		}
	}
	var rows [][]Cell
	var classes []string
	for _, r := range t.Rows {
		kind := r.Kind
		if r.Leaks {
			kind += ", LEAKS"
		}
		row := Texts(r.Name, kind, fmt.Sprint(r.Dim))
		row[1].Class = "l"
		for i, c := range columns {
			v, ok := r.Metrics[c]
			cell := Cell{Text: "–"}
			if ok {
				cell.Text = fmt.Sprintf("%.4f", v)
				if ci, has := r.CI95[c]; has {
					cell.Text = fmt.Sprintf("%.3f (%.3f–%.3f)", v, ci[0], ci[1])
				}
				if v == best[i] && comparable(r) {
					cell.Class = "best"
				}
			}
			row = append(row, cell)
		}
		rows = append(rows, row)
		if r.Kind == "learned" {
			classes = append(classes, "learned")
		} else {
			classes = append(classes, "")
		}
	}
	var b strings.Builder
	b.WriteString(TableHTML(t.Protocol+" protocol", headers, rows, classes))
	b.WriteString(`<ul style="font-size:12px">`)
	for _, r := range t.Rows {
		if r.Note != "" {
			fmt.Fprintf(&b, "<li><i>%s</i>: %s</li>", html.EscapeString(r.Name), html.EscapeString(r.Note))
		}
	}
	for _, n := range t.Notes {
		fmt.Fprintf(&b, "<li>%s</li>", html.EscapeString(n))
	}
	b.WriteString("</ul>")
	return b.String()
}

// ShowResults displays ResultsHTML.
func ShowResults(t *results.Table, columns []string) { Show(ResultsHTML(t, columns)) }

// ComparisonHTML lays our metrics beside published ones: each metric gets a row with both values and the
// absolute difference, marked ok (green) within tol and bad (red) beyond it. It returns the HTML and the number
// of metrics outside the tolerance.
func ComparisonHTML(caption string, ours, published map[string]float64, tol float64) (string, int) {
	keys := make([]string, 0, len(published))
	for k := range published {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return sortKey(keys[i]) < sortKey(keys[j]) })
	var rows [][]Cell
	bad := 0
	for _, k := range keys {
		o, ok := ours[k]
		d := math.Abs(o - published[k])
		cell := Cell{Text: fmt.Sprintf("%.2e", d), Class: "ok"}
		if !ok || d > tol {
			cell.Class = "bad"
			bad++
		}
		rows = append(rows, []Cell{{Text: k, Class: "l"}, {Text: fmt.Sprintf("%.7f", o)},
			{Text: fmt.Sprintf("%.7f", published[k])}, cell})
	}
	return TableHTML(caption, []string{"metric", "musicrep", "published", "|difference|"}, rows, nil), bad
}

func sortKey(k string) string {
	name, at, _ := strings.Cut(k, "@")
	return fmt.Sprintf("%s@%04s", name, at)
}

// TrackCardHTML renders a track: title, artist, album, genres, LLM summary, keywords and emotional themes, a
// link to the cover image and an audio element for the 30 s preview (nothing is fetched until played).
func TrackCardHTML(t *musicrep.Track) string {
	var b strings.Builder
	b.WriteString(Style)
	b.WriteString(`<div class="musicrep-card">`)
	fmt.Fprintf(&b, `<div class="t">%s</div><div>%s — <i>%s</i></div>`, esc(t.Title), esc(t.Artist), esc(t.Album))
	b.WriteString("<div>")
	if len(t.Genres) == 0 {
		b.WriteString(`<span class="tag">no genre</span>`)
	}
	for _, g := range t.Genres {
		fmt.Fprintf(&b, `<span class="tag">%s</span>`, esc(g))
	}
	b.WriteString("</div>")
	if t.Summary != "" {
		fmt.Fprintf(&b, "<p>%s</p>", esc(t.Summary))
	} else {
		b.WriteString("<p><i>no lyrics, so no LLM summary</i></p>")
	}
	if len(t.Context) > 0 {
		fmt.Fprintf(&b, "<div>keywords: %s</div>", esc(strings.Join(t.Context, ", ")))
	}
	if len(t.Emotional) > 0 {
		fmt.Fprintf(&b, "<div>emotional themes: %s</div>", esc(strings.Join(t.Emotional, ", ")))
	}
	if t.ImageURL != "" {
		fmt.Fprintf(&b, `<div><a href="%s" target="_blank" rel="noopener">cover image</a> (Deezer)</div>`, esc(t.ImageURL))
	}
	if t.PreviewURL != "" {
		fmt.Fprintf(&b, `<audio controls preload="none" src="%s"></audio> <small>30 s preview, streamed from Deezer when played</small>`,
			esc(t.PreviewURL))
	}
	fmt.Fprintf(&b, `<div style="color:#888;font-size:11px">%s</div></div>`, esc(t.ID))
	return b.String()
}

// ShowTrack displays a track card.
func ShowTrack(t *musicrep.Track) { Show(TrackCardHTML(t)) }

// NeighborsHTML renders a neighbour list with metadata.
func NeighborsHTML(caption string, nbs space.Neighbors) string {
	var rows [][]Cell
	for i, nb := range nbs.List {
		t := nbs.Track(i)
		rows = append(rows, Texts(fmt.Sprint(i+1), t.Title, t.Artist, strings.Join(t.Genres, ", "),
			fmt.Sprintf("%.4f", nb.Dist)))
		for j := 1; j <= 3; j++ {
			rows[i][j].Class = "l"
		}
	}
	return TableHTML(caption, []string{"rank", "title", "artist", "genres", "squared L2"}, rows, nil)
}

// ShowNeighbors displays a neighbour list.
func ShowNeighbors(caption string, nbs space.Neighbors) { Show(NeighborsHTML(caption, nbs)) }

// SVG displays an SVG drawing (sent as HTML, which JupyterLab and nbconvert both keep).
func SVG(svg string) {
	if gonbui.IsNotebook {
		gonbui.DisplayHTML(svg)
		Sync()
		return
	}
	fmt.Printf("[SVG plot, %d bytes]\n", len(svg))
}

// LiveLoss shows training progress in one notebook output that it updates in place: a progress line and a
// plot of the per-step loss (thin) and the epoch means. Use its OnStep as training.Config.OnStep.
type LiveLoss struct {
	Every   int    // redraw every this many steps (default 200)
	YLabel  string // the loss plotted, for the y axis (default "margin pair loss", the binding model's loss)
	id      string
	steps   []float64
	losses  []float64
	epochX  []float64
	epochY  []float64
	started time.Time
}

// NewLiveLoss returns a live loss display.
func NewLiveLoss() *LiveLoss {
	return &LiveLoss{Every: 200, id: "musicrep-loss-" + gonbui.UniqueID(), started: time.Now()}
}

// OnStep records a step and redraws when due.
func (l *LiveLoss) OnStep(info training.StepInfo) {
	l.steps = append(l.steps, float64(info.GlobalStep))
	l.losses = append(l.losses, info.Loss)
	if info.EpochFinished {
		l.epochX = append(l.epochX, float64(info.GlobalStep))
		l.epochY = append(l.epochY, info.EpochMeanLoss)
	}
	if int(info.GlobalStep)%max(1, l.Every) == 0 || info.EpochFinished {
		l.draw(info)
	}
}

// HTML returns the current rendering.
func (l *LiveLoss) HTML(info training.StepInfo) string {
	progress := fmt.Sprintf("epoch %d/%d, step %d/%d (global %d) — loss %.5f, epoch mean %.5f — %.0f pairs/s — %s elapsed",
		info.Epoch+1, info.Epochs, info.Step, info.StepsPerEp, info.GlobalStep, info.Loss, info.EpochMeanLoss,
		info.PairsPerSecond, time.Since(l.started).Round(time.Second))
	frac := float64(info.Epoch*info.StepsPerEp+info.Step) / float64(max(1, info.Epochs*info.StepsPerEp))
	return fmt.Sprintf(`<div><progress value="%.4f" max="1" style="width:400px"></progress> %s</div>%s`, frac,
		html.EscapeString(progress), LossCurveSVG(l.steps, l.losses, l.epochX, l.epochY, "training loss",
			cmp.Or(l.YLabel, "margin pair loss")))
}

// LossCurveSVG plots a per-step loss so that its trend is readable: a moving average (over 1/50 of the steps, at
// least 25) instead of the noisy raw values, the first 5 % of the steps (the warm-up, whose large values would
// flatten the rest) left out, a logarithmic y axis when every value is positive, and the epoch means (optional).
// A line above the plot says what was done.
func LossCurveSVG(steps, losses, epochX, epochY []float64, title, ylabel string) string {
	n := min(len(steps), len(losses))
	w := max(25, n/50)
	sm := smooth(losses[:n], w)
	crop := n / 20
	x, y := steps[crop:n], sm[crop:]
	var ex, ey []float64
	for i := range epochX {
		if len(x) > 0 && epochX[i] >= x[0] {
			ex, ey = append(ex, epochX[i]), append(ey, epochY[i])
		}
	}
	lo, hi := math.Inf(1), 0.0
	for _, v := range append(append([]float64(nil), y...), ey...) {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	logY := lo > 1e-6*hi // positive (rounding in the moving average leaves tiny values where the loss was 0)
	series := []plot.Series{{Name: fmt.Sprintf("%d-step moving average", w), X: x, Y: y}}
	if len(ex) > 0 {
		series = append(series, plot.Series{Name: "epoch mean", X: ex, Y: ey})
	}
	note := fmt.Sprintf("%d-step moving average", w)
	if crop > 0 {
		note += fmt.Sprintf("; first %d steps not shown", crop)
	}
	if logY {
		note += "; log scale"
	}
	// The note goes above the plot, not into its title, which must fit the plot's width.
	return fmt.Sprintf(`<div style="font-size:12px;color:#555">%s: %s</div>`, html.EscapeString(title), note) +
		plot.LinePlot(series, plot.Options{Title: title, XLabel: "global step", YLabel: ylabel, LogY: logY})
}

func (l *LiveLoss) draw(info training.StepInfo) {
	if !gonbui.IsNotebook {
		if info.EpochFinished {
			fmt.Printf("epoch %d/%d mean loss %.5f\n", info.Epoch+1, info.Epochs, info.EpochMeanLoss)
		}
		return
	}
	gonbui.UpdateHTML(l.id, l.HTML(info))
	Sync()
}

func smooth(v []float64, w int) []float64 {
	out := make([]float64, len(v))
	var sum float64
	for i, x := range v {
		sum += x
		if i >= w {
			sum -= v[i-w]
		}
		out[i] = sum / float64(min(i+1, w))
	}
	return out
}

func esc(s string) string { return html.EscapeString(s) }

// GenreMapSVG draws 2-D coordinates (n×2, one row per track) coloured by each track's first genre, with
// "title — artist (genres)" on hover. The 10 most common first genres get their own colour; the rest are drawn as
// "other genres" so that no two legend entries share a colour.
func GenreMapSVG(tracks []musicrep.Track, coords []float32, title string) string {
	first := func(t *musicrep.Track) string {
		if len(t.Genres) == 0 {
			return "no genre"
		}
		return t.Genres[0]
	}
	count := map[string]int{}
	for i := range tracks {
		count[first(&tracks[i])]++
	}
	names := make([]string, 0, len(count))
	for g := range count {
		names = append(names, g)
	}
	sort.Slice(names, func(i, j int) bool {
		if count[names[i]] != count[names[j]] {
			return count[names[i]] > count[names[j]]
		}
		return names[i] < names[j]
	})
	keep := map[string]bool{}
	for i, g := range names {
		keep[g] = i < 10
	}
	pts := make([]plot.Point, len(tracks))
	for i := range tracks {
		t := &tracks[i]
		g := first(t)
		if !keep[g] {
			g = "other genres"
		}
		pts[i] = plot.Point{X: float64(coords[2*i]), Y: float64(coords[2*i+1]), Group: g,
			Tooltip: fmt.Sprintf("%s — %s (%s)", t.Title, t.Artist, strings.Join(t.Genres, ", "))}
	}
	return plot.Scatter(pts, plot.Options{Title: title, Width: 860, Height: 520})
}

// CountsSVG draws the first n counts (e.g. tracks per genre) as a bar chart.
func CountsSVG(counts []pipeline.Count, n int, title, xlabel string) string {
	var labels []string
	var values []float64
	for i := 0; i < n && i < len(counts); i++ {
		labels = append(labels, counts[i].Label)
		values = append(values, float64(counts[i].N))
	}
	return plot.BarChart(labels, values, plot.Options{Title: title, XLabel: xlabel})
}
