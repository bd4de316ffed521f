package display

import (
	"fmt"
	"strings"
	"testing"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/results"
	"github.com/musicrep/musicrep/musicrep/training"
)

func TestTableEscapesAndClasses(t *testing.T) {
	h := TableHTML("cap", []string{"a", "b"}, [][]Cell{Texts("<x>", "1")}, []string{"learned"})
	if !strings.Contains(h, `class="musicrep-table"`) || !strings.Contains(h, "&lt;x&gt;") || strings.Contains(h, "<x>") {
		t.Errorf("bad table HTML: %s", h)
	}
}

func TestComparison(t *testing.T) {
	ours := map[string]float64{"precision@10": 0.32810219, "recall@10": 0.5}
	pub := map[string]float64{"precision@10": 0.3281022, "recall@10": 0.31484777}
	h, bad := ComparisonHTML("", ours, pub, 1e-4)
	if bad != 1 || !strings.Contains(h, `class="bad"`) || !strings.Contains(h, `class="ok"`) {
		t.Errorf("%d outside tolerance, html %s", bad, h)
	}
}

func TestResultsAndCardsAreOffline(t *testing.T) {
	tab := &results.Table{Protocol: "paper", Rows: []results.Row{
		{Name: "learned", Kind: "learned", Dim: 128, Metrics: map[string]float64{"precision@10": 0.3}},
		{Name: "raw audio", Kind: "baseline", Dim: 128, Note: "n", Metrics: map[string]float64{"precision@10": 0.9}}},
		Notes: []string{"IN-SAMPLE"}}
	h := ResultsHTML(tab, nil)
	if !strings.Contains(h, `<td class="best">0.9000</td>`) || !strings.Contains(h, "IN-SAMPLE") {
		t.Errorf("results table lacks best marking or notes: %s", h)
	}
	card := TrackCardHTML(&musicrep.Track{ID: "id1", Title: "T", Artist: "A", Genres: []string{"Pop"},
		ImageURL: "https://e-cdns-images.dzcdn.net/x.jpg", PreviewURL: "https://cdns-preview.dzcdn.net/x.mp3"})
	if strings.Contains(card, "<img") || strings.Contains(card, "<script") || !strings.Contains(card, `preload="none"`) {
		t.Errorf("track card would fetch from the network: %s", card)
	}
	l := NewLiveLoss()
	for s := 1; s <= 5; s++ {
		l.OnStep(training.StepInfo{Epoch: 0, Epochs: 1, Step: s, StepsPerEp: 5, GlobalStep: int64(s), Loss: 1 / float64(s),
			EpochFinished: s == 5, EpochMeanLoss: 0.5})
	}
	if h := l.HTML(training.StepInfo{Epochs: 1, StepsPerEp: 5, Step: 5}); !strings.Contains(h, "<svg") || !strings.Contains(h, "<progress") {
		t.Error("live loss has no plot or progress bar")
	}
}

func TestGenreMapGroupsRareGenres(t *testing.T) {
	var tracks []musicrep.Track
	var coords []float32
	for i := range 40 {
		tracks = append(tracks, musicrep.Track{Title: "t", Artist: "a", Genres: []string{fmt.Sprintf("G%02d", i%14)}})
		coords = append(coords, float32(i), float32(i%7))
	}
	svg := GenreMapSVG(tracks, coords, "map")
	if !strings.Contains(svg, "other genres (") || strings.Contains(svg, ">G13 (") {
		t.Errorf("rare genres not grouped: legend entries wrong")
	}
	if strings.Count(svg, "<circle") != 40 {
		t.Errorf("want 40 points")
	}
}

func TestLossCurveCropsWarmUpAndUsesLogScale(t *testing.T) {
	var steps, losses []float64
	for i := range 1000 {
		steps = append(steps, float64(i+1))
		losses = append(losses, 100/float64(i+1)+0.01*float64(i%7))
	}
	h := LossCurveSVG(steps, losses, []float64{500, 1000}, []float64{0.3, 0.1}, "loss", "l")
	for _, want := range []string{"25-step moving average", "first 50 steps not shown", "log scale", "epoch mean"} {
		if !strings.Contains(h, want) {
			t.Errorf("loss curve lacks %q", want)
		}
	}
	for i := 600; i < 700; i++ {
		losses[i] = 0 // a margin loss can reach 0: then no log scale
	}
	if h := LossCurveSVG(steps, losses, nil, nil, "loss", "l"); strings.Contains(h, "log scale") {
		t.Errorf("log scale with a zero value")
	}
}

func TestBestMarksSkipLeaksAndChance(t *testing.T) {
	tab := &results.Table{Protocol: "p", Rows: []results.Row{
		{Name: "ours", Kind: "learned", Metrics: map[string]float64{"precision@10": 0.3, "chance": 0.1}},
		{Name: "graph", Kind: "baseline", Leaks: true, Metrics: map[string]float64{"precision@10": 0.9, "chance": 0.1}},
		{Name: "coin", Kind: "chance", Metrics: map[string]float64{"precision@10": 0.5, "chance": 0.1}},
		{Name: "same artist", Kind: "oracle", Metrics: map[string]float64{"precision@10": 0.7}}}}
	for name, h := range map[string]string{
		"ResultsHTML":       ResultsHTML(tab, []string{"precision@10", "chance"}),
		"MergedResultsHTML": MergedResultsHTML("", []*results.Table{tab}, [][]string{{"precision@10", "chance"}}),
	} {
		if n := strings.Count(h, `class="best"`); n != 1 || !strings.Contains(h, `<td class="best">0.3`) {
			t.Errorf("%s: want exactly the learned row's 0.3 bold, got %d best cells: %s", name, n, h)
		}
	}
}

func TestTrainingProgressCountsEpochs(t *testing.T) {
	p := NewTrainingProgress(2)
	for _, l := range []string{"cmir: setup", "cmir: epoch 1/2 loss 1", "cmir: epoch 2/2 loss 1", "cmir: epoch 1/2 loss 1"} {
		p.addLine(l)
	}
	if f := p.Fraction(); f != 0.75 {
		t.Errorf("fraction %.3f after one of two runs and half of the second, want 0.75", f)
	}
	if h := p.html(); !strings.Contains(h, "<progress") || !strings.Contains(h, "log (4 lines)") {
		t.Errorf("progress HTML: %s", h)
	}
}
