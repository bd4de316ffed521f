package plot

import (
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

// wellFormed parses the SVG and counts elements by name; it fails on malformed XML, scripts or external
// references (the charts must render offline).
func wellFormed(t *testing.T, svg string) map[string]int {
	t.Helper()
	counts := map[string]int{}
	dec := xml.NewDecoder(strings.NewReader(svg))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("malformed SVG: %v\n%s", err, svg)
		}
		if se, ok := tok.(xml.StartElement); ok {
			counts[se.Name.Local]++
			for _, a := range se.Attr {
				if a.Name.Local == "href" || strings.Contains(a.Value, "http://") && a.Name.Local != "xmlns" {
					t.Errorf("external reference %s=%q", a.Name.Local, a.Value)
				}
			}
		}
	}
	if counts["script"] > 0 {
		t.Error("SVG contains a script")
	}
	return counts
}

func TestCharts(t *testing.T) {
	line := LinePlot([]Series{{Name: "a <b>", X: []float64{0, 1, 2}, Y: []float64{3, 1, 2}},
		{Name: "b", X: []float64{0, 2}, Y: []float64{1, 1}}}, Options{Title: "t & u", XLabel: "x", YLabel: "y"})
	if c := wellFormed(t, line); c["polyline"] != 2 {
		t.Errorf("line plot has %d polylines", c["polyline"])
	}
	pts := []Point{{X: 1, Y: 2, Group: "Rock", Tooltip: "x"}, {X: 2, Y: 3, Group: "Rock", Tooltip: "y"},
		{X: 0, Y: 0, Group: "Pop", Tooltip: "z <&>"}}
	c0 := wellFormed(t, Scatter(pts, Options{}))
	if c0["circle"] != 3 || c0["title"] != 3 {
		t.Errorf("scatter has %d circles, %d tooltips", c0["circle"], c0["title"])
	}
	pts[2].Label = "3 & <4>" // one more text, with its own tooltip
	if c := wellFormed(t, Scatter(pts, Options{})); c["circle"] != 3 || c["title"] != 4 || c["text"] != c0["text"]+1 {
		t.Errorf("labelled scatter has %d circles, %d tooltips, %d texts (%d unlabelled)", c["circle"], c["title"],
			c["text"], c0["text"])
	}
	if c := wellFormed(t, BarChart([]string{"a", "b"}, []float64{3, 0}, Options{})); c["rect"] != 3 {
		t.Errorf("bar chart has %d rects", c["rect"])
	}
	wellFormed(t, LinePlot([]Series{{Name: "log", X: []float64{1, 2}, Y: []float64{0.01, 1}}}, Options{LogY: true}))
	wellFormed(t, LinePlot(nil, Options{})) // empty input still renders
}

func TestTicks(t *testing.T) {
	got := Ticks(0, 1, 5)
	want := []float64{0, 0.2, 0.4, 0.6, 0.8, 1}
	if len(got) != len(want) {
		t.Fatalf("Ticks(0,1,5) = %v", got)
	}
	for i := range want {
		if d := got[i] - want[i]; d > 1e-12 || d < -1e-12 {
			t.Errorf("tick %d = %v, want %v", i, got[i], want[i])
		}
	}
	for _, tc := range []struct {
		v    float64
		want string
	}{{0, "0"}, {1234, "1234"}, {2.5, "2.5"}, {0.0125, "0.0125"}, {1e-5, "1e-05"}} {
		if got := FormatTick(tc.v); got != tc.want {
			t.Errorf("FormatTick(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}
