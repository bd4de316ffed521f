// Package plot draws small, self-contained SVG charts (line plots, scatter maps, bar charts) for notebooks and
// reports. The SVG has no scripts and no external references, so it renders offline, in JupyterLab, in an
// nbconvert HTML export and in a browser with no network. Hovering a point or bar shows its <title> tooltip.
package plot

import (
	"fmt"
	"html"
	"math"
	"sort"
	"strings"
)

// Palette is a colour-blind-friendly categorical palette (Okabe–Ito, then Tableau greys/browns).
var Palette = []string{"#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
	"#000000", "#8C564B", "#7F7F7F", "#BCBD22", "#17BECF"}

// Color returns the palette colour of category i (cycling).
func Color(i int) string { return Palette[((i%len(Palette))+len(Palette))%len(Palette)] }

// Options are common chart settings. Zero values get defaults.
type Options struct {
	Title          string
	XLabel, YLabel string
	Width, Height  int  // pixels; default 640×360
	LogY           bool // logarithmic y axis (values must be > 0)
}

func (o *Options) defaults() {
	if o.Width == 0 {
		o.Width = 640
	}
	if o.Height == 0 {
		o.Height = 360
	}
}

// Series is one line of a LinePlot.
type Series struct {
	Name string
	X, Y []float64
}

// Point is one point of a Scatter: Group selects its colour and legend entry; Tooltip is shown on hover; Label,
// when set, is written next to the point (e.g. a number that a table beside the chart refers to).
type Point struct {
	X, Y    float64
	Group   string
	Tooltip string
	Label   string
}

const (
	marginLeft, marginRight, marginTop, marginBottom = 64, 16, 32, 48
)

type frame struct {
	o                      Options
	x0, x1, y0, y1         float64 // data range
	left, right, top, bott float64 // pixel box
	b                      strings.Builder
}

func newFrame(o Options, x0, x1, y0, y1 float64, legendWidth int) *frame {
	o.defaults()
	if x0 == x1 {
		x0, x1 = x0-1, x1+1
	}
	if y0 == y1 {
		y0, y1 = y0-1, y1+1
	}
	f := &frame{o: o, x0: x0, x1: x1, y0: y0, y1: y1,
		left: marginLeft, right: float64(o.Width - marginRight - legendWidth), top: marginTop,
		bott: float64(o.Height - marginBottom)}
	fmt.Fprintf(&f.b, `<svg xmlns="http://www.w3.org/2000/svg" class="musicrep-plot" width="%d" height="%d" `+
		`viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`, o.Width, o.Height, o.Width, o.Height)
	fmt.Fprintf(&f.b, `<rect width="%d" height="%d" fill="white"/>`, o.Width, o.Height)
	if o.Title != "" {
		fmt.Fprintf(&f.b, `<text x="%d" y="18" text-anchor="middle" font-size="13" font-weight="bold">%s</text>`,
			o.Width/2, esc(o.Title))
	}
	return f
}

func (f *frame) ty(y float64) float64 {
	if f.o.LogY {
		return f.bott - (math.Log10(y)-math.Log10(f.y0))/(math.Log10(f.y1)-math.Log10(f.y0))*(f.bott-f.top)
	}
	return f.bott - (y-f.y0)/(f.y1-f.y0)*(f.bott-f.top)
}

func (f *frame) tx(x float64) float64 { return f.left + (x-f.x0)/(f.x1-f.x0)*(f.right-f.left) }

func (f *frame) axes(xTicks bool) {
	fmt.Fprintf(&f.b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="#999"/>`,
		f.left, f.top, f.right-f.left, f.bott-f.top)
	var yt []float64
	if f.o.LogY {
		for e := math.Floor(math.Log10(f.y0)); e <= math.Ceil(math.Log10(f.y1)); e++ {
			if v := math.Pow(10, e); v >= f.y0 && v <= f.y1 {
				yt = append(yt, v)
			}
		}
		if len(yt) < 2 {
			yt = []float64{f.y0, f.y1}
		}
	} else {
		yt = Ticks(f.y0, f.y1, 5)
	}
	for _, v := range yt {
		y := f.ty(v)
		fmt.Fprintf(&f.b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#eee"/>`, f.left, f.right, y, y)
		fmt.Fprintf(&f.b, `<text x="%.1f" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`,
			f.left-4, y, FormatTick(v))
	}
	if xTicks {
		for _, v := range Ticks(f.x0, f.x1, 6) {
			x := f.tx(v)
			fmt.Fprintf(&f.b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#999"/>`, x, x, f.bott, f.bott+4)
			fmt.Fprintf(&f.b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, x, f.bott+16, FormatTick(v))
		}
	}
	if f.o.XLabel != "" {
		fmt.Fprintf(&f.b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`, (f.left+f.right)/2,
			f.o.Height-8, esc(f.o.XLabel))
	}
	if f.o.YLabel != "" {
		fmt.Fprintf(&f.b, `<text transform="translate(14,%.1f) rotate(-90)" text-anchor="middle">%s</text>`,
			(f.top+f.bott)/2, esc(f.o.YLabel))
	}
}

func (f *frame) legend(names []string) {
	for i, n := range names {
		y := f.top + 6 + float64(i)*16
		if y > f.bott {
			fmt.Fprintf(&f.b, `<text x="%.1f" y="%.1f">… %d more</text>`, f.right+12, y+4, len(names)-i)
			break
		}
		fmt.Fprintf(&f.b, `<rect x="%.1f" y="%.1f" width="10" height="10" fill="%s"/>`, f.right+12, y-5, Color(i))
		fmt.Fprintf(&f.b, `<text x="%.1f" y="%.1f" dominant-baseline="middle">%s</text>`, f.right+26, y, esc(n))
	}
}

func (f *frame) done() string {
	f.b.WriteString(`</svg>`)
	return f.b.String()
}

func legendWidth(names []string) int {
	if len(names) <= 1 {
		return 0
	}
	w := 0
	for _, n := range names {
		w = max(w, len([]rune(n)))
	}
	return min(220, 30+w*6)
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// LinePlot draws one or more series as lines.
func LinePlot(series []Series, o Options) string {
	x0, x1, y0, y1 := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	names := make([]string, len(series))
	for i, s := range series {
		names[i] = s.Name
		for j := range s.X {
			if !finite(s.X[j]) || !finite(s.Y[j]) || (o.LogY && s.Y[j] <= 0) {
				continue
			}
			x0, x1 = math.Min(x0, s.X[j]), math.Max(x1, s.X[j])
			y0, y1 = math.Min(y0, s.Y[j]), math.Max(y1, s.Y[j])
		}
	}
	if math.IsInf(x0, 1) {
		x0, x1, y0, y1 = 0, 1, 0, 1
	}
	if !o.LogY {
		pad := (y1 - y0) * 0.05
		y0, y1 = y0-pad, y1+pad
	}
	f := newFrame(o, x0, x1, y0, y1, legendWidth(names))
	f.axes(true)
	for i, s := range series {
		var pts []string
		for j := range s.X {
			if !finite(s.X[j]) || !finite(s.Y[j]) || (o.LogY && s.Y[j] <= 0) {
				continue
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", f.tx(s.X[j]), f.ty(s.Y[j])))
		}
		fmt.Fprintf(&f.b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"><title>%s</title></polyline>`,
			Color(i), strings.Join(pts, " "), esc(s.Name))
	}
	if len(series) > 1 {
		f.legend(names)
	}
	return f.done()
}

// Scatter draws points coloured by group, with a legend ordered by group size and a tooltip per point.
func Scatter(points []Point, o Options) string {
	count := map[string]int{}
	x0, x1, y0, y1 := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, p := range points {
		count[p.Group]++
		if finite(p.X) && finite(p.Y) {
			x0, x1 = math.Min(x0, p.X), math.Max(x1, p.X)
			y0, y1 = math.Min(y0, p.Y), math.Max(y1, p.Y)
		}
	}
	if math.IsInf(x0, 1) {
		x0, x1, y0, y1 = 0, 1, 0, 1
	}
	groups := make([]string, 0, len(count))
	for g := range count {
		groups = append(groups, g)
	}
	sort.Slice(groups, func(i, j int) bool {
		if count[groups[i]] != count[groups[j]] {
			return count[groups[i]] > count[groups[j]]
		}
		return groups[i] < groups[j]
	})
	idx := map[string]int{}
	labels := make([]string, len(groups))
	for i, g := range groups {
		idx[g] = i
		labels[i] = fmt.Sprintf("%s (%d)", g, count[g])
	}
	px, py := (x1-x0)*0.04, (y1-y0)*0.04
	f := newFrame(o, x0-px, x1+px, y0-py, y1+py, legendWidth(labels))
	f.axes(true)
	for _, p := range points {
		if !finite(p.X) || !finite(p.Y) {
			continue
		}
		fmt.Fprintf(&f.b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s" fill-opacity="0.8"><title>%s</title></circle>`,
			f.tx(p.X), f.ty(p.Y), Color(idx[p.Group]), esc(p.Tooltip))
		if p.Label != "" {
			fmt.Fprintf(&f.b, `<text x="%.1f" y="%.1f" font-size="10" fill="#333"><title>%s</title>%s</text>`,
				f.tx(p.X)+5, f.ty(p.Y)-4, esc(p.Tooltip), esc(p.Label))
		}
	}
	if len(groups) > 1 {
		f.legend(labels)
	}
	return f.done()
}

// BarChart draws one horizontal bar per label (in the given order), with the value printed at its end.
func BarChart(labels []string, values []float64, o Options) string {
	o.defaults()
	if o.Height == 360 {
		o.Height = max(120, 40+18*len(labels))
	}
	vmax := 0.0
	for _, v := range values {
		vmax = math.Max(vmax, v)
	}
	if vmax == 0 {
		vmax = 1
	}
	labelW := 0
	for _, l := range labels {
		labelW = max(labelW, len([]rune(l)))
	}
	left := float64(min(260, 12+labelW*6))
	right := float64(o.Width - 60)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="musicrep-plot" width="%d" height="%d" `+
		`viewBox="0 0 %d %d" font-family="sans-serif" font-size="11"><rect width="%d" height="%d" fill="white"/>`,
		o.Width, o.Height, o.Width, o.Height, o.Width, o.Height)
	if o.Title != "" {
		fmt.Fprintf(&b, `<text x="%d" y="18" text-anchor="middle" font-size="13" font-weight="bold">%s</text>`,
			o.Width/2, esc(o.Title))
	}
	for i, l := range labels {
		y := 30 + float64(i)*18
		w := values[i] / vmax * (right - left)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`,
			left-6, y+7, esc(l))
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="14" fill="%s"><title>%s: %s</title></rect>`,
			left, y, w, Color(0), esc(l), FormatTick(values[i]))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" dominant-baseline="middle">%s</text>`, left+w+4, y+7,
			FormatTick(values[i]))
	}
	if o.XLabel != "" {
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`, (left+right)/2, o.Height-6,
			esc(o.XLabel))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// Ticks returns about n "nice" tick values covering [lo, hi].
func Ticks(lo, hi float64, n int) []float64 {
	if !(hi > lo) || n < 1 {
		return []float64{lo}
	}
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var out []float64
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		out = append(out, math.Round(v/step)*step)
	}
	return out
}

// FormatTick formats a number compactly for axes and labels.
func FormatTick(v float64) string {
	a := math.Abs(v)
	switch {
	case v == 0:
		return "0"
	case a >= 1e5 || a < 1e-3:
		return strings.Replace(fmt.Sprintf("%.2g", v), "e+0", "e", 1)
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 1:
		return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".")
	default:
		return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.4f", v), "0"), ".")
	}
}

func esc(s string) string { return html.EscapeString(s) }
