package audio

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// The golden files come from scripts/golden/mel.py (librosa 0.11 + soundfile/libsndfile + soxr_hq); see
// scripts/golden/README.md for the command.
const goldenDir = "testdata/golden_mel"

type goldenFixture struct {
	File          string  `json:"file"`
	Mel           string  `json:"mel"`
	Y16k          string  `json:"y16k"`
	Y16kOffset    int     `json:"y16k_offset"`
	SourceRate    int     `json:"source_rate"`
	SourceFrames  int     `json:"source_frames"`
	N16k          int     `json:"n16k"`
	SegmentStart  int     `json:"segment_start"`
	SegmentLength int     `json:"segment_length"`
	FramesTotal   int     `json:"frames_total"`
	Frames        []int   `json:"frames"`
	MeanDB        float64 `json:"mean_db"`
}

func loadGolden(t testing.TB) []goldenFixture {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(goldenDir, "golden_mel.json"))
	if err != nil {
		t.Fatal(err)
	}
	var idx struct {
		Fixtures []goldenFixture `json:"fixtures"`
	}
	if err := json.Unmarshal(b, &idx); err != nil {
		t.Fatal(err)
	}
	if len(idx.Fixtures) < 4 {
		t.Fatalf("golden index has %d fixtures, want ≥ 4", len(idx.Fixtures))
	}
	return idx.Fixtures
}

// Tolerances against librosa. Differences come from the resampler (Kaiser sinc here, soxr HQ there: both flat in
// the pass band, they differ slightly in the transition band 7.3–8 kHz, which the top mel band covers) and from the
// decoders: pion/opus vs libopus (−60 dB RMS difference), and go-mp3's 16-bit output vs mpg123's float output
// (quantisation noise that shows in quiet bins). Measured (librosa 0.11, soxr 1.1): mean |Δ| 0.002–0.003 dB for
// OGG/Opus/FLAC and 0.034 dB for MP3; loud bins of bands 0–46 within 0.017 dB (MP3 0.089 dB); top band within
// 0.48 dB.
const (
	goldenLoudDB     = -80.0 // bins louder than this (in the 20·log10(power) scale) are held to the max tolerance
	goldenTopBandMax = 1.0   // dB, max over loud bins of the top band (the resamplers' transition band)
)

// goldenTolerance is (mean |Δ| over all bins, max |Δ| over loud bins of bands 0–46) in dB for a fixture.
func goldenTolerance(file string) (meanAbs, maxLoud float64) {
	if filepath.Ext(file) == ".mp3" {
		return 0.05, 0.15
	}
	return 0.01, 0.05
}

func TestMelFilterbankMatchesLibrosa(t *testing.T) {
	ref, shape := readNPY(t, filepath.Join(goldenDir, "melfb.npy"))
	if len(shape) != 2 || shape[0] != 48 || shape[1] != 257 {
		t.Fatalf("melfb.npy shape %v, want [48 257]", shape)
	}
	got := MelFilterbank(16000, 512, 48, 0, 8000)
	var maxd float64
	for i := range ref {
		maxd = math.Max(maxd, math.Abs(got[i]-float64(ref[i])))
	}
	t.Logf("mel filterbank: max |Go − librosa.filters.mel| = %.3g", maxd)
	if maxd > 1e-6 {
		t.Errorf("mel filterbank differs from librosa.filters.mel by %.3g, want ≤ 1e-6", maxd)
	}
}

func TestResampleMatchesSoxr(t *testing.T) {
	for _, g := range loadGolden(t) {
		t.Run(g.File, func(t *testing.T) {
			y, err := Load(filepath.Join("testdata", g.File), 16000)
			if err != nil {
				t.Fatal(err)
			}
			if len(y) != g.N16k {
				t.Fatalf("resampled length %d, librosa.load gives %d", len(y), g.N16k)
			}
			ref, _ := readNPY(t, filepath.Join(goldenDir, g.Y16k))
			var num, den, maxd float64
			for i, r := range ref {
				d := float64(y[g.Y16kOffset+i]) - float64(r)
				num += d * d
				den += float64(r) * float64(r)
				maxd = math.Max(maxd, math.Abs(d))
			}
			snr := 10 * math.Log10(den/num)
			t.Logf("%s (%d Hz): 1 s of 16 kHz signal vs soxr_hq: SNR %.1f dB, max |diff| %.2g", g.File, g.SourceRate,
				snr, maxd)
			minSNR := 75.0 // measured 82–94 dB
			if filepath.Ext(g.File) == ".mp3" {
				minSNR = 60 // go-mp3 outputs 16-bit samples: its quantisation noise bounds the SNR at ~64 dB
			}
			if snr < minSNR {
				t.Errorf("SNR vs librosa's soxr_hq %.1f dB, want ≥ %.0f", snr, minSNR)
			}
		})
	}
}

func TestMelGoldenLibrosa(t *testing.T) {
	opt := DefaultMelOptions()
	opt.Window = HannPeriodic // librosa's window; the default (Essentia's symmetric Hann) is checked below
	for _, g := range loadGolden(t) {
		t.Run(g.File, func(t *testing.T) {
			m, err := MelFile(filepath.Join("testdata", g.File), opt)
			if err != nil {
				t.Fatal(err)
			}
			if m.Bands != 48 || m.Frames != g.FramesTotal {
				t.Fatalf("mel shape (%d, %d), librosa (48, %d)", m.Bands, m.Frames, g.FramesTotal)
			}
			ref, shape := readNPY(t, filepath.Join(goldenDir, g.Mel))
			k := len(g.Frames)
			if shape[0] != 48 || shape[1] != k {
				t.Fatalf("%s shape %v, want [48 %d]", g.Mel, shape, k)
			}
			s := compareMel(m, ref, g.Frames)
			t.Logf("%s: mean |Δ| %.4f dB; loud bins (> %.0f dB): max |Δ| %.3f dB (bands 0–46), top band %.3f dB; "+
				"all bins max %.2f dB; %d/%d loud", g.File, s.meanAbs, goldenLoudDB, s.maxLoud, s.maxLoudTop,
				s.maxAll, s.loud, 48*k)
			meanTol, loudTol := goldenTolerance(g.File)
			if s.meanAbs > meanTol {
				t.Errorf("mean |Go − librosa| = %.4f dB, want ≤ %.2f", s.meanAbs, meanTol)
			}
			if s.maxLoud > loudTol {
				t.Errorf("max |Go − librosa| over loud bins = %.3f dB at band %d frame %d, want ≤ %.2f", s.maxLoud,
					s.worstBand, s.worstFrame, loudTol)
			}
			if s.maxLoudTop > goldenTopBandMax {
				t.Errorf("top band: max |Go − librosa| over loud bins = %.3f dB, want ≤ %.1f", s.maxLoudTop,
					goldenTopBandMax)
			}
		})
	}
}

type melDiff struct {
	meanAbs, maxLoud, maxLoudTop, maxAll float64
	loud, worstBand, worstFrame          int
}

func compareMel(m *Mel, ref []float32, frames []int) melDiff {
	var s melDiff
	k := len(frames)
	var sum float64
	for b := range m.Bands {
		for j, t := range frames {
			r := float64(ref[b*k+j])
			d := math.Abs(float64(m.At(b, t)) - r)
			sum += d
			s.maxAll = math.Max(s.maxAll, d)
			if r > goldenLoudDB {
				s.loud++
				if b == m.Bands-1 {
					s.maxLoudTop = math.Max(s.maxLoudTop, d)
				} else if d > s.maxLoud {
					s.maxLoud, s.worstBand, s.worstFrame = d, b, t
				}
			}
		}
	}
	s.meanAbs = sum / float64(m.Bands*k)
	return s
}

// The default window is Essentia's symmetric Hann (the reference features); against librosa's periodic one the
// spectrogram moves by a few hundredths of a dB.
func TestMelDefaultWindowCloseToLibrosa(t *testing.T) {
	g := loadGolden(t)[0]
	m, err := MelFile(filepath.Join("testdata", g.File), DefaultMelOptions())
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := readNPY(t, filepath.Join(goldenDir, g.Mel))
	s := compareMel(m, ref, g.Frames)
	t.Logf("%s, symmetric Hann vs librosa: mean |Δ| %.4f dB, loud max %.3f dB", g.File, s.meanAbs, s.maxLoud)
	if s.meanAbs > 0.2 || s.maxLoud > 0.5 {
		t.Errorf("symmetric-window spectrogram differs from librosa by mean %.3f / max %.3f dB, want ≤ 0.2 / 0.5",
			s.meanAbs, s.maxLoud)
	}
	if s.meanAbs < 1e-4 {
		t.Errorf("the default window gives librosa's result (mean |Δ| %.2g): is the default HannSymmetric?", s.meanAbs)
	}
}
