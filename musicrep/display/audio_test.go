package display

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/xml"
	"image/png"
	"io"
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/musicrep/musicrep/musicrep/audio"
)

// parseXML checks that s is well-formed XML and returns its element counts.
func parseXML(t *testing.T, s string) map[string]int {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(s))
	count := map[string]int{}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return count
		}
		if err != nil {
			t.Fatalf("not well-formed: %v\n%s", err, s[:min(len(s), 2000)])
		}
		if se, ok := tok.(xml.StartElement); ok {
			count[se.Name.Local]++
		}
	}
}

func TestHeatmapSVG(t *testing.T) {
	const rows, cols = 3, 5
	data := make([]float32, rows*cols)
	for i := range data {
		data[i] = float32(-10 * i)
	}
	data[7] = float32(math.NaN())
	svg := HeatmapSVG(data, rows, cols, `a <mel> & "title"`)
	n := parseXML(t, svg)
	if n["svg"] != 1 || n["image"] != 1 || n["linearGradient"] != 1 {
		t.Errorf("elements %v", n)
	}
	if !strings.Contains(svg, "a &lt;mel&gt; &amp; &#34;title&#34;") {
		t.Errorf("title not escaped: %s", svg)
	}
	if strings.Contains(svg, "<script") || regexp.MustCompile(`(href|src)="(https?:)?//`).MatchString(svg) {
		t.Errorf("heatmap references something outside itself")
	}
	// The embedded image is cols × rows, row 0 at the bottom: the largest value (row 0, column 0) is the
	// brightest colour, at the bottom-left pixel; the NaN cell is transparent.
	m := regexp.MustCompile(`href="data:image/png;base64,([^"]+)"`).FindStringSubmatch(svg)
	if m == nil {
		t.Fatalf("no embedded PNG")
	}
	raw, err := base64.StdEncoding.DecodeString(m[1])
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != cols || b.Dy() != rows {
		t.Fatalf("image %v, want %d×%d", b, cols, rows)
	}
	top := heatColor(1)
	if r, g, b, _ := img.At(0, rows-1).RGBA(); uint8(r>>8) != top.R || uint8(g>>8) != top.G || uint8(b>>8) != top.B {
		t.Errorf("bottom-left pixel %v, want %v", img.At(0, rows-1), top)
	}
	if _, _, _, a := img.At(7%cols, rows-1-7/cols).RGBA(); a != 0 {
		t.Errorf("NaN cell is not transparent")
	}
	defer func() {
		if recover() == nil {
			t.Errorf("a size mismatch should panic")
		}
	}()
	HeatmapSVG(data, rows, cols+1, "")
}

func TestHeatRange(t *testing.T) {
	data := make([]float32, 1000)
	for i := range data {
		data[i] = float32(i)
	}
	data[0] = -200 // a floor value: below the 1st percentile
	if lo, hi := heatRange(data, 0); lo != 10 || hi != 999 {
		t.Errorf("range %v..%v, want 10..999", lo, hi)
	}
	if lo, hi := heatRange(data, 100); lo != 899 || hi != 999 {
		t.Errorf("limited range %v..%v, want 899..999", lo, hi)
	}
	if lo, hi := heatRange([]float32{3, 3}, 0); lo != 2 || hi != 3 {
		t.Errorf("constant data: range %v..%v", lo, hi)
	}
}

func TestPoolColumns(t *testing.T) {
	nan := float32(math.NaN())
	got := poolColumns([]float32{1, 2, 3, 4, 5, nan, nan, 8, 9, 10, 11, 12}, 2, 6, 4)
	want := []float32{2.5, 5, 9, 11.5} // row 0: mean(1..4), mean(5); row 1: mean(8, 9, 10), mean(11, 12)
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("got %v, want %v", got, want)
		}
	}
	if v := poolColumns([]float32{nan, nan}, 1, 2, 2); !math.IsNaN(float64(v[0])) {
		t.Errorf("an all-NaN group gives %v, want NaN", v)
	}
	// A wide heatmap's image is pooled to at most the plot width in pixels.
	svg := HeatmapWith(make([]float32, 2*2000), 2, 2000, HeatmapOptions{Width: 400})
	m := regexp.MustCompile(`href="data:image/png;base64,([^"]+)"`).FindStringSubmatch(svg)
	raw, _ := base64.StdEncoding.DecodeString(m[1])
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if w := img.Bounds().Dx(); w > 400-80-56 || w < (400-80-56)/2 {
		t.Errorf("image width %d for 2000 columns in a 264-pixel plot", w)
	}
}

func TestMelSVG(t *testing.T) {
	m := &audio.Mel{Bands: 4, Frames: 125, Data: make([]float32, 500), SampleRate: 16000, HopSize: 256}
	svg := MelSVG(m, "song")
	parseXML(t, svg)
	// 125 frames of 16 ms: the time axis reaches 2 s.
	if !strings.Contains(svg, ">time (s)</text>") || !strings.Contains(svg, ">2</text>") {
		t.Errorf("no time axis in seconds: %s", svg)
	}
}

func TestWAVAndAudioHTML(t *testing.T) {
	samples := []float32{0, 0.5, -0.5, 1, -1, 2, -2}
	w := WAV(samples, 16000)
	if len(w) != 44+2*len(samples) || string(w[:4]) != "RIFF" || string(w[8:16]) != "WAVEfmt " ||
		string(w[36:40]) != "data" {
		t.Fatalf("bad WAV header: % x", w[:min(len(w), 44)])
	}
	le := binary.LittleEndian
	if le.Uint32(w[4:]) != uint32(len(w)-8) || le.Uint32(w[24:]) != 16000 || le.Uint16(w[34:]) != 16 ||
		le.Uint32(w[40:]) != uint32(2*len(samples)) {
		t.Errorf("bad WAV sizes: % x", w[:44])
	}
	want := []int16{0, 16384, -16384, 32767, -32767, 32767, -32767} // clipped to ±1
	for i, v := range want {
		if got := int16(le.Uint16(w[44+2*i:])); got != v {
			t.Errorf("sample %d = %d, want %d", i, got, v)
		}
	}
	// The package's own decoder reads it back.
	a, err := audio.NewStream(bytes.NewReader(w), "x.wav")
	if err != nil {
		t.Fatal(err)
	}
	if a.SampleRate() != 16000 || a.Channels() != 1 {
		t.Errorf("decoded %d Hz, %d channels", a.SampleRate(), a.Channels())
	}

	h := AudioHTML(w, `audio/wav"><script>`)
	if strings.Contains(h, "<script>") {
		t.Errorf("mime not escaped: %s", h)
	}
	h = AudioHTML(w, "audio/wav")
	m := regexp.MustCompile(`^<audio class="musicrep-audio" controls preload="auto" src="data:audio/wav;base64,([^"]+)"></audio>$`).
		FindStringSubmatch(h)
	if m == nil {
		t.Fatalf("bad audio element: %.200s", h)
	}
	if got, err := base64.StdEncoding.DecodeString(m[1]); err != nil || !bytes.Equal(got, w) {
		t.Errorf("data URI does not hold the WAV bytes (err %v)", err)
	}
}
