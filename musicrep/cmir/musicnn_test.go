package cmir

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/musicrep/musicrep/musicrep/audio/audiotest"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/melon"
	"github.com/musicrep/musicrep/musicrep/melon/melontest"
	"github.com/musicrep/musicrep/musicrep/musicnn"
	"github.com/musicrep/musicrep/musicrep/objective"
)

// writeToneWAV writes a 16 kHz mono PCM16 WAV of an amplitude-modulated tone.
func writeToneWAV(t *testing.T, path string, seconds, freq float64) {
	audiotest.WriteToneWAV(t, path, seconds, freq, true)
}

func musicnnModel(t *testing.T) *musicnn.Model {
	t.Helper()
	dir, err := musicnn.Locate("MSD_musicnn")
	if err != nil {
		if os.Getenv("MUSICREP_REQUIRE_MODELS") == "1" {
			t.Fatal(err)
		}
		t.Skipf("skipping: %v", err)
	}
	m, err := musicnn.Load("MSD_musicnn", dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestWithAudioFeaturesChecksRows(t *testing.T) {
	_, d := preparedSynthetic(t)
	e := &musicrep.Embeddings{Name: "x", Dim: 2, Data: make([]float32, 2*len(d.Songs))}
	for _, s := range d.Songs {
		e.IDs = append(e.IDs, strconv.Itoa(s.ID))
	}
	a, err := WithAudioFeatures(d, e)
	if err != nil {
		t.Fatal(err)
	}
	if in := a.Inputs(); in[0].Modality != musicrep.Audio || in[0].Kind != "vectors" || in[0].Dim != 2 {
		t.Errorf("inputs %+v", in)
	}
	if a.Fingerprint()["features/audio"] == "" || a.Fingerprint()["songs"] != d.Fingerprint()["songs"] {
		t.Errorf("fingerprint %v", a.Fingerprint())
	}
	e.IDs[0], e.IDs[1] = e.IDs[1], e.IDs[0]
	if _, err := WithAudioFeatures(d, e); err == nil || !strings.Contains(err.Error(), "row 0 is song") {
		t.Errorf("misordered rows: %v", err)
	}
}

// TestMusicnnAudioModality computes musicnn features for a Melon-layout dataset from its audio (one 3 s patch per
// song here), checks them against musicnn.AnalyzeFile of the same file, the cache (reused, refreshed when a WAV
// changes) and the missing-audio error, then runs the task table with the musicnn row and the joint model on the
// frozen musicnn features next to the one with the CNN.
func TestMusicnnAudioModality(t *testing.T) {
	if testing.Short() {
		t.Skip("runs musicnn on the Go backend")
	}
	m := musicnnModel(t)
	dir := melontest.Write(t, 62)
	ds, err := melon.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Prepare(ds, PrepareOptions{Seed: 1, CFFactors: 8, CFEpochs: 5})
	if err != nil {
		t.Fatal(err)
	}
	// No audio yet: a clear error naming the file and what to do.
	if _, err := SongMusicnn(context.Background(), d, MusicnnOptions{Model: m}); err == nil ||
		!strings.Contains(err.Error(), AudioPath(dir, d.Songs[0].ID)) || !strings.Contains(err.Error(), "-keep-audio") {
		t.Fatalf("no audio: %v", err)
	}
	for _, s := range d.Songs {
		writeToneWAV(t, AudioPath(dir, s.ID), 3.2, 200*math.Pow(2, float64(s.Top)))
	}
	var log bytes.Buffer
	e, err := SongMusicnn(context.Background(), d, MusicnnOptions{Model: m, Workers: 2, Progress: &log})
	if err != nil {
		t.Fatal(err)
	}
	if e.Dim != 200 || len(e.IDs) != len(d.Songs) || !strings.Contains(log.String(), fmt.Sprintf("%d/%d songs (%d analysed", len(d.Songs), len(d.Songs), len(d.Songs))) {
		t.Fatalf("dim %d, %d rows; log %q", e.Dim, len(e.IDs), log.String())
	}
	for _, i := range []int{0, 17} {
		tr, err := musicnn.AnalyzeFile(context.Background(), AudioPath(dir, d.Songs[i].ID), []*musicnn.Model{m})
		if err != nil {
			t.Fatal(err)
		}
		if got := e.Data[i*200 : (i+1)*200]; !slices.Equal(got, tr.Results[0].Embedding) {
			t.Errorf("song %d: features differ from musicnn.AnalyzeFile", d.Songs[i].ID)
		}
	}
	// Cached: nothing analysed again; a changed WAV is analysed again.
	writeToneWAV(t, AudioPath(dir, d.Songs[3].ID), 3.2, 3000)
	log.Reset()
	e2, err := SongMusicnn(context.Background(), d, MusicnnOptions{Model: m, Progress: &log})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), fmt.Sprintf("%d/%d songs (1 analysed, %d cached)", len(d.Songs), len(d.Songs), len(d.Songs)-1)) ||
		!slices.Equal(e2.Data[:3*200], e.Data[:3*200]) || slices.Equal(e2.Data[3*200:4*200], e.Data[3*200:4*200]) {
		t.Errorf("second run: %q", log.String())
	}

	out := t.TempDir()
	rep, err := RunReport(context.Background(), ReportOptions{Dataset: dir, Name: "mn", Preset: "tiny", Epochs: 1,
		CFFactors: 8, CheckpointRoot: out, ResultsRoot: out, Variants: []objective.Variant{objective.MIRBaselineGn},
		Joint: "joint_dim=16;joint_hidden=32", Musicnn: m})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range rep.Rows {
		names = append(names, r.Name)
	}
	want := []string{"baseline-gnr", JointRowName, JointMusicnnRowName, "same CNN, random weights (untrained)",
		rawRowName, MusicnnRowName, "metadata oracle: same top genre", "metadata oracle: same artist"}
	if !slices.Equal(names, want) {
		t.Fatalf("rows %q, want %q", names, want)
	}
	j := rep.Rows[2]
	if _, ok := j.VsRaw["genre_accuracy"]; j.Dim != 16 || j.Kind != "learned" || len(j.Trials) != 1 || !(j.ValLoss > 0) || !ok {
		t.Errorf("joint musicnn row %+v", j)
	}
	if mn := rep.Rows[5]; mn.Dim != 200 || mn.Kind != "baseline" || mn.CI95["genre_accuracy"].Value != mn.Metrics["genre_accuracy"] {
		t.Errorf("musicnn row %+v", mn)
	}
	// The musicnn row is the features themselves, scored like any embeddings.
	p, err := LinearProbe(d, e2)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows[5].Metrics["genre_accuracy"] != p.Accuracy {
		t.Errorf("musicnn row genre accuracy %g, the probe on the features gives %g",
			rep.Rows[5].Metrics["genre_accuracy"], p.Accuracy)
	}
	// The tones are one pitch per top genre: frozen musicnn features separate them on the test songs.
	if acc := rep.Rows[5].Metrics["genre_accuracy"]; acc < 0.9 {
		t.Errorf("musicnn genre accuracy %g on tones of one pitch per genre", acc)
	}
	md, _ := os.ReadFile(filepath.Join(out, "mn.md"))
	if !strings.Contains(string(md), JointMusicnnRowName) || !strings.Contains(string(md), "frozen") {
		t.Errorf("report markdown:\n%s", md)
	}
}

func TestCentralPatches(t *testing.T) {
	for _, tc := range []struct{ n, max, start, count int }{
		{9, 0, 0, 9}, {9, 9, 0, 9}, {9, 12, 0, 9}, {9, 1, 4, 1}, {9, 3, 3, 3}, {9, 2, 3, 2}, {10, 1, 4, 1},
		{10, 4, 3, 4}, {1, 1, 0, 1}, {2, 1, 0, 1},
	} {
		start, count := CentralPatches(tc.n, tc.max)
		if start != tc.start || count != tc.count {
			t.Errorf("CentralPatches(%d, %d) = %d, %d; want %d, %d", tc.n, tc.max, start, count, tc.start, tc.count)
		}
	}
}
