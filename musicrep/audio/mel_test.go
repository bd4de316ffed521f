package audio

import (
	"errors"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"
)

// The STFT power spectrum equals a naive DFT of the windowed, zero-padded frame, for frames inside the signal and
// at both edges (centred frames).
func TestSTFTPowerMatchesNaiveDFT(t *testing.T) {
	const rate, n = 16000, 4000
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(0.6*math.Sin(2*math.Pi*1234.5*float64(i)/rate) + 0.05*rng.NormFloat64())
	}
	for _, w := range []Window{HannSymmetric, HannPeriodic} {
		opt := DefaultMelOptions()
		opt.Window = w
		a := newMelAnalyzer(opt)
		out := make([]float32, opt.Bands)
		frames := frameCount(n, opt.HopSize)
		for _, fr := range []int{0, 1, frames / 2, frames - 1} {
			a.analyze(x, 0, n, fr, out, 1)
			size := opt.FrameSize
			start := fr*opt.HopSize - size/2
			var maxP, maxErr float64
			for k := 0; k <= size/2; k++ {
				var sum complex128
				for i := range size {
					j := start + i
					if j < 0 || j >= n {
						continue
					}
					win := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(size))
					if w == HannSymmetric {
						win = 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(size-1))
					}
					sum += complex(float64(x[j])*win, 0) * cmplx.Exp(complex(0, -2*math.Pi*float64(k*i)/float64(size)))
				}
				p := real(sum)*real(sum) + imag(sum)*imag(sum)
				maxP = math.Max(maxP, p)
				maxErr = math.Max(maxErr, math.Abs(p-a.power[k]))
			}
			if maxErr > 1e-9*maxP {
				t.Errorf("%v frame %d: max |FFT power − DFT power| = %.3g (peak %.3g)", w, fr, maxErr, maxP)
			}
			// The sine's bin dominates: 1234.5 Hz is bin 39.5 of 512 at 16 kHz.
			peak := 0
			for k := range a.power {
				if a.power[k] > a.power[peak] {
					peak = k
				}
			}
			if fr > 0 && fr < frames-1 && (peak < 39 || peak > 40) {
				t.Errorf("%v frame %d: peak at bin %d, want 39 or 40", w, fr, peak)
			}
		}
	}
}

// The dB values are 20·log10 of the filterbank applied to the power spectrum, floored at −200.
func TestMelDBFormulaAndFloor(t *testing.T) {
	opt := DefaultMelOptions()
	opt.SegmentSeconds = 0
	x := sine(16000, 16000, 1000, 0.5)
	clear(x[:8000]) // the first half second is digital silence
	m, err := MelSpectrogram(x, 16000, opt)
	if err != nil {
		t.Fatal(err)
	}
	if m.Bands != 48 || m.Frames != 1+16000/256 {
		t.Fatalf("shape (%d, %d), want (48, %d)", m.Bands, m.Frames, 1+16000/256)
	}
	for b := range m.Bands {
		if v := m.At(b, 5); v != -200 {
			t.Errorf("silent frame 5, band %d: %v dB, want the −200 floor", b, v)
		}
	}
	// Recompute one loud frame by hand from the filterbank and the analyzer's power spectrum.
	a := newMelAnalyzer(opt)
	out := make([]float32, opt.Bands)
	a.analyze(x, 0, len(x), 50, out, 1)
	fb := MelFilterbank(16000, 512, 48, 0, 8000)
	best := 0
	for b := range 48 {
		var s float64
		for k := range 257 {
			s += fb[b*257+k] * a.power[k]
		}
		want := 20 * math.Log10(math.Max(s, 1e-10))
		if d := math.Abs(float64(m.At(b, 50)) - want); d > 1e-4 {
			t.Errorf("band %d frame 50: %v dB, want %v", b, m.At(b, 50), want)
		}
		if m.At(b, 50) > m.At(best, 50) {
			best = b
		}
	}
	// 1 kHz = 15 Slaney mels; 48 bands over 0–8 kHz (0–45.6 mels) are 0.93 mel apart: band 15 is centred near it.
	if best < 14 || best > 16 {
		t.Errorf("the loudest band of a 1 kHz tone is %d, want 14–16", best)
	}
}

func TestCentreSegment(t *testing.T) {
	x := make([]float32, 10)
	for i := range x {
		x[i] = float32(i)
	}
	for _, tc := range []struct {
		n       int
		seconds float64
		first   float32
		length  int
	}{
		{10, 4, 3, 4}, {10, 5, 2, 5}, {10, 10, 0, 10}, {9, 4, 2, 4}, {10, 3.5, 3, 4}, {10, 2.5, 4, 2},
	} {
		seg, err := CentreSegment(x[:tc.n], 1, tc.seconds)
		if err != nil {
			t.Fatal(err)
		}
		if len(seg) != tc.length || seg[0] != tc.first {
			t.Errorf("n=%d, %g s: segment starts at %v with %d samples, want %v and %d", tc.n, tc.seconds, seg[0],
				len(seg), tc.first, tc.length)
		}
	}
	if _, err := CentreSegment(x, 1, 11); !errors.Is(err, ErrTooShort) {
		t.Errorf("11 s of 10: err %v, want ErrTooShort", err)
	}
	// The spec's numbers: 29.1 s at 16 kHz is 465600 samples, 1819 frames.
	seg, err := CentreSegment(make([]float32, 560000), 16000, 29.1)
	if err != nil || len(seg) != 465600 {
		t.Fatalf("29.1 s segment: %d samples, %v", len(seg), err)
	}
	if f := frameCount(len(seg), 256); f != 1819 {
		t.Errorf("%d frames, want 1819", f)
	}
}

func TestMelTooShortAndBadInput(t *testing.T) {
	if _, err := MelFile("testdata/loyalists_250ms_s16.wav", DefaultMelOptions()); !errors.Is(err, ErrTooShort) {
		t.Errorf("MelFile of 0.25 s: err %v, want ErrTooShort", err)
	} else {
		t.Log(err)
	}
	x := make([]float32, 29*16000)
	if _, err := MelSpectrogram(x, 16000, DefaultMelOptions()); !errors.Is(err, ErrTooShort) {
		t.Errorf("MelSpectrogram of 29 s: err %v, want ErrTooShort", err)
	}
	x = make([]float32, 30*16000)
	x[12345] = float32(math.Inf(1))
	if _, err := MelSpectrogram(x, 16000, DefaultMelOptions()); err == nil {
		t.Error("MelSpectrogram accepted an infinite sample")
	}
	x[12345] = float32(math.NaN())
	if _, err := MelSpectrogram(x, 16000, DefaultMelOptions()); err == nil {
		t.Error("MelSpectrogram accepted a NaN sample")
	}
	for _, mod := range []func(*MelOptions){
		func(o *MelOptions) { o.FMax = 9000 },
		func(o *MelOptions) { o.Bands = 0 },
		func(o *MelOptions) { o.HopSize = 0 },
		func(o *MelOptions) { o.FloorPower = 0 },
		func(o *MelOptions) { o.Window = 7 },
		func(o *MelOptions) { o.SegmentSeconds = -1 },
	} {
		opt := DefaultMelOptions()
		mod(&opt)
		if _, err := MelSpectrogram(make([]float32, 30*16000), 16000, opt); err == nil {
			t.Errorf("MelSpectrogram accepted %+v", opt)
		}
	}
}

// MelFile (streaming decode, resampling and STFT) equals MelSpectrogram of the whole decoded signal bit for bit,
// with and without the centred segment.
func TestMelFileEqualsMelSpectrogram(t *testing.T) {
	path := "testdata/loyalists_31s_22k_mono.flac"
	a, err := Decode(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, seconds := range []float64{29.1, 0} {
		opt := DefaultMelOptions()
		opt.SegmentSeconds = seconds
		want, err := MelSpectrogram(a.Mono(), a.SampleRate, opt)
		if err != nil {
			t.Fatal(err)
		}
		got, err := MelFile(path, opt)
		if err != nil {
			t.Fatal(err)
		}
		if got.Bands != want.Bands || got.Frames != want.Frames {
			t.Fatalf("segment %g: MelFile (%d, %d), MelSpectrogram (%d, %d)", seconds, got.Bands, got.Frames,
				want.Bands, want.Frames)
		}
		for i := range got.Data {
			if got.Data[i] != want.Data[i] {
				t.Fatalf("segment %g: value %d differs: %v vs %v", seconds, i, got.Data[i], want.Data[i])
			}
		}
	}
}
