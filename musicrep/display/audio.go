package display

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"sort"
	"strings"

	"github.com/musicrep/musicrep/musicrep/audio"
	"github.com/musicrep/musicrep/musicrep/plot"
)

// HeatmapOptions configure HeatmapWith. Zero values get defaults.
type HeatmapOptions struct {
	Title          string
	XLabel, YLabel string
	Unit           string // colour-bar label, e.g. "dB"
	Width, Height  int    // pixels of the whole drawing (default 760×260)
	// Range limits the colour scale to [max − Range, max] (e.g. a dB dynamic range); 0 means no limit. The
	// scale's low end is never below the 1st percentile either, so a few floor values (silence) do not wash out
	// the rest.
	Range float64
	// XStep and YStep give the axis tick labels in data units per column / row (e.g. seconds per frame); 0
	// labels columns and rows by index. Row 0 is drawn at the bottom.
	XStep, YStep float64
}

// HeatmapSVG draws a rows × cols matrix (row-major, e.g. a mel-spectrogram: bands × frames) as a heatmap with
// a viridis colour bar, row 0 at the bottom. The cells are an embedded PNG image (as matplotlib's SVG backend
// does for images: a 48 × 1,819 spectrogram would be 87k SVG rectangles), averaged over adjacent columns where
// there are more columns than pixels; the axes, labels and colour bar are vector. The colour scale is the
// data's range (see HeatmapOptions.Range). It panics if len(data) != rows·cols.
func HeatmapSVG(data []float32, rows, cols int, title string) string {
	return HeatmapWith(data, rows, cols, HeatmapOptions{Title: title, Unit: "dB"})
}

// MelSVG draws a mel-spectrogram (package audio's layout: bands × frames, dB) as a heatmap: time in seconds
// on the x axis, mel band on the y axis, an 80 dB dynamic range (160 in contrastive-mir's doubled dB units).
func MelSVG(m *audio.Mel, title string) string {
	step := 0.0
	if m.SampleRate > 0 {
		step = float64(m.HopSize) / float64(m.SampleRate)
	}
	return HeatmapWith(m.Data, m.Bands, m.Frames, HeatmapOptions{Title: title, XLabel: "time (s)",
		YLabel: "mel band", Unit: "2 × dB", Range: 160, XStep: step})
}

// HeatmapWith is HeatmapSVG with options.
func HeatmapWith(data []float32, rows, cols int, o HeatmapOptions) string {
	if rows <= 0 || cols <= 0 || len(data) != rows*cols {
		panic(fmt.Sprintf("display.HeatmapSVG: %d values for %d rows × %d columns", len(data), rows, cols))
	}
	if o.Width == 0 {
		o.Width = 760
	}
	if o.Height == 0 {
		o.Height = 260
	}
	lo, hi := heatRange(data, o.Range)
	// Plot box: left margin for the y label and ticks, right margin for the colour bar.
	const left, top, bottom, barW = 56.0, 30.0, 40.0, 12.0
	right := float64(o.Width) - 80
	bott := float64(o.Height) - bottom
	// More columns than pixels: the image holds the means of groups of k columns (a 1,819-frame spectrogram in
	// 624 pixels: 607 columns of 3 frames), a third of the bytes for the same picture.
	img, imgCols := data, cols
	if k := int(math.Ceil(float64(cols) / (right - left))); k > 1 {
		img, imgCols = poolColumns(data, rows, cols, k), (cols+k-1)/k
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="musicrep-plot musicrep-heatmap" width="%d" `+
		`height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11"><rect width="%d" height="%d" `+
		`fill="white"/>`, o.Width, o.Height, o.Width, o.Height, o.Width, o.Height)
	if o.Title != "" {
		fmt.Fprintf(&b, `<text x="%d" y="18" text-anchor="middle" font-size="13" font-weight="bold">%s</text>`,
			o.Width/2, esc(o.Title))
	}
	fmt.Fprintf(&b, `<image x="%.1f" y="%.1f" width="%.1f" height="%.1f" preserveAspectRatio="none" `+
		`style="image-rendering:pixelated" href="data:image/png;base64,%s"/>`, left, top, right-left, bott-top,
		heatPNG(img, rows, imgCols, lo, hi))
	fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="#333"/>`, left, top,
		right-left, bott-top)
	// x ticks at cell centres' data values; y ticks likewise, row 0 at the bottom.
	xs, ys := o.XStep, o.YStep
	if xs == 0 {
		xs = 1
	}
	if ys == 0 {
		ys = 1
	}
	for _, v := range plot.Ticks(0, float64(cols)*xs, 8) {
		x := left + v/(float64(cols)*xs)*(right-left)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333"/>`, x, bott, x, bott+4)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, x, bott+15, plot.FormatTick(v))
	}
	for _, v := range plot.Ticks(0, float64(rows)*ys, 4) {
		y := bott - v/(float64(rows)*ys)*(bott-top)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333"/>`, left-4, y, left, y)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`, left-6, y,
			plot.FormatTick(v))
	}
	if o.XLabel != "" {
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`, (left+right)/2, o.Height-6,
			esc(o.XLabel))
	}
	if o.YLabel != "" {
		fmt.Fprintf(&b, `<text transform="translate(14 %.1f) rotate(-90)" text-anchor="middle">%s</text>`,
			(top+bott)/2, esc(o.YLabel))
	}
	// Colour bar: a vertical gradient from hi (top) to lo (bottom).
	bx := right + 14
	b.WriteString(`<defs><linearGradient id="musicrep-heat" x1="0" y1="1" x2="0" y2="0">`)
	for i := 0; i <= 10; i++ {
		c := heatColor(float64(i) / 10)
		fmt.Fprintf(&b, `<stop offset="%.1f" stop-color="#%02x%02x%02x"/>`, float64(i)/10, c.R, c.G, c.B)
	}
	b.WriteString(`</linearGradient></defs>`)
	fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="url(#musicrep-heat)" stroke="#333"/>`,
		bx, top, barW, bott-top)
	for _, v := range plot.Ticks(lo, hi, 4) {
		if v < lo || v > hi {
			continue
		}
		y := bott - (v-lo)/math.Max(hi-lo, 1e-12)*(bott-top)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" dominant-baseline="middle">%s</text>`, bx+barW+4, y,
			plot.FormatTick(v))
	}
	if o.Unit != "" {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, bx+barW/2, top-6, esc(o.Unit))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// poolColumns averages groups of k adjacent columns (the last group may be shorter), ignoring NaN values; a
// group of NaN values stays NaN.
func poolColumns(data []float32, rows, cols, k int) []float32 {
	n := (cols + k - 1) / k
	out := make([]float32, rows*n)
	for r := range rows {
		for j := range n {
			var sum float64
			cnt := 0
			for c := j * k; c < min(cols, (j+1)*k); c++ {
				if v := float64(data[r*cols+c]); !math.IsNaN(v) {
					sum += v
					cnt++
				}
			}
			out[r*n+j] = float32(math.NaN())
			if cnt > 0 {
				out[r*n+j] = float32(sum / float64(cnt))
			}
		}
	}
	return out
}

// heatRange is the colour scale: [max(p1, max − rng), max] over the finite values (rng 0: no limit).
func heatRange(data []float32, rng float64) (lo, hi float64) {
	v := make([]float64, 0, len(data))
	for _, x := range data {
		if f := float64(x); !math.IsNaN(f) && !math.IsInf(f, 0) {
			v = append(v, f)
		}
	}
	if len(v) == 0 {
		return 0, 1
	}
	sort.Float64s(v)
	hi = v[len(v)-1]
	lo = v[len(v)/100]
	if rng > 0 {
		lo = math.Max(lo, hi-rng)
	}
	if hi <= lo {
		lo = hi - 1
	}
	return lo, hi
}

// heatPNG encodes the matrix as a cols × rows PNG (row 0 at the bottom), base64. NaN cells are transparent.
func heatPNG(data []float32, rows, cols int, lo, hi float64) string {
	img := image.NewNRGBA(image.Rect(0, 0, cols, rows))
	for r := range rows {
		for c := range cols {
			v := float64(data[r*cols+c])
			if math.IsNaN(v) {
				continue
			}
			img.SetNRGBA(c, rows-1-r, heatColor((v-lo)/(hi-lo)))
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err) // encoding to memory does not fail
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

// viridis at 9 evenly spaced points, interpolated linearly.
var viridis = [][3]float64{{68, 1, 84}, {71, 44, 122}, {59, 81, 139}, {44, 113, 142}, {33, 144, 141},
	{39, 173, 129}, {92, 200, 99}, {170, 220, 50}, {253, 231, 37}}

// heatColor maps t ∈ [0, 1] (clamped) to an opaque viridis colour.
func heatColor(t float64) color.NRGBA {
	t = math.Max(0, math.Min(1, t))
	x := t * float64(len(viridis)-1)
	i := min(int(x), len(viridis)-2)
	f := x - float64(i)
	var c [3]uint8
	for k := range 3 {
		c[k] = uint8(math.Round(viridis[i][k]*(1-f) + viridis[i+1][k]*f))
	}
	return color.NRGBA{R: c[0], G: c[1], B: c[2], A: 255}
}

// WAV encodes mono samples (nominally in [−1, 1]; clipped) as a 16-bit PCM WAV file.
func WAV(samples []float32, sampleRate int) []byte {
	if sampleRate <= 0 {
		panic(fmt.Sprintf("display.WAV: sample rate %d", sampleRate))
	}
	n := len(samples)
	buf := bytes.NewBuffer(make([]byte, 0, 44+2*n))
	w := func(v any) { _ = binary.Write(buf, binary.LittleEndian, v) }
	buf.WriteString("RIFF")
	w(uint32(36 + 2*n))
	buf.WriteString("WAVEfmt ")
	w(uint32(16))             // fmt chunk size
	w(uint16(1))              // PCM
	w(uint16(1))              // mono
	w(uint32(sampleRate))     // sample rate
	w(uint32(2 * sampleRate)) // byte rate
	w(uint16(2))              // block align
	w(uint16(16))             // bits per sample
	buf.WriteString("data")
	w(uint32(2 * n))
	pcm := make([]int16, n)
	for i, x := range samples {
		pcm[i] = int16(math.Round(math.Max(-1, math.Min(1, float64(x))) * 32767))
	}
	w(pcm)
	return buf.Bytes()
}

// AudioHTML renders an HTML5 audio player whose source is the given file bytes (e.g. WAV from WAV, or an Ogg
// file's bytes) as a base64 data: URI, so it plays offline, in an exported HTML file too. mime is the file's
// type, e.g. "audio/wav" or "audio/ogg". Keep the data small (a 10 s 16 kHz mono WAV is 320 kB, 427 kB in
// base64): it is stored in the notebook.
func AudioHTML(data []byte, mime string) string {
	if mime == "" {
		mime = "audio/wav"
	}
	return fmt.Sprintf(`<audio class="musicrep-audio" controls preload="auto" src="data:%s;base64,%s"></audio>`,
		esc(mime), base64.StdEncoding.EncodeToString(data))
}
