package audio

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/dsp/fourier"
)

// Window selects the analysis window of the STFT.
type Window int

const (
	// HannSymmetric is Essentia's Hann window, 0.5 − 0.5·cos(2πn/(N−1)), the one contrastive-mir's features were
	// computed with (es.Windowing(type='hann', normalized=False)).
	HannSymmetric Window = iota
	// HannPeriodic is librosa's and scipy's default Hann window (fftbins=True), 0.5 − 0.5·cos(2πn/N).
	HannPeriodic
)

func (w Window) String() string {
	switch w {
	case HannSymmetric:
		return "hann-symmetric"
	case HannPeriodic:
		return "hann-periodic"
	}
	return fmt.Sprintf("Window(%d)", int(w))
}

// MelOptions are the parameters of the log-mel front-end. [DefaultMelOptions] gives contrastive-mir's (B1.5).
type MelOptions struct {
	SampleRate     int     // analysis rate; the input is resampled to it (16000)
	SegmentSeconds float64 // length of the centred segment taken before analysis; 0 analyses everything (29.1)
	FrameSize      int     // FFT and window length in samples (512)
	HopSize        int     // samples between frame centres (256)
	Bands          int     // mel bands (48)
	FMin, FMax     float64 // band edges in Hz (0, 8000); FMax 0 means SampleRate/2
	Window         Window  // HannSymmetric (Essentia, the default) or HannPeriodic (librosa)
	// DBScale multiplies 10·log10(power): 2 gives contrastive-mir's "2 × lin2db" = 20·log10(power).
	DBScale float64
	// FloorPower is the power below which the output is DBScale·10·log10(FloorPower): Essentia's lin2db floors
	// at 1e-10 (−100 dB), so the default output floor is −200.
	FloorPower float64
	// Resampler designs the resampler used when the input rate is not SampleRate.
	Resampler ResamplerOptions
}

// DefaultMelOptions returns contrastive-mir's mel-spectrogram parameters (SEEDS_SPEC.md B1.5).
func DefaultMelOptions() MelOptions {
	return MelOptions{
		SampleRate:     16000,
		SegmentSeconds: 29.1,
		FrameSize:      512,
		HopSize:        256,
		Bands:          48,
		FMin:           0,
		FMax:           8000,
		Window:         HannSymmetric,
		DBScale:        2,
		FloorPower:     1e-10,
		Resampler:      DefaultResamplerOptions(),
	}
}

func (o *MelOptions) check() error {
	fmax := o.FMax
	if fmax == 0 {
		fmax = float64(o.SampleRate) / 2
	}
	switch {
	case o.SampleRate <= 0:
		return fmt.Errorf("mel: SampleRate %d must be positive", o.SampleRate)
	case o.FrameSize < 2 || o.HopSize < 1:
		return fmt.Errorf("mel: FrameSize %d and HopSize %d must be ≥ 2 and ≥ 1", o.FrameSize, o.HopSize)
	case o.Bands < 1:
		return fmt.Errorf("mel: Bands %d must be ≥ 1", o.Bands)
	case o.FMin < 0 || fmax <= o.FMin || fmax > float64(o.SampleRate)/2:
		return fmt.Errorf("mel: band edges %g–%g Hz must satisfy 0 ≤ FMin < FMax ≤ SampleRate/2 = %g", o.FMin, fmax,
			float64(o.SampleRate)/2)
	case o.SegmentSeconds < 0:
		return fmt.Errorf("mel: SegmentSeconds %g must be ≥ 0", o.SegmentSeconds)
	case !(o.FloorPower > 0) || o.DBScale == 0:
		return fmt.Errorf("mel: FloorPower %g must be > 0 and DBScale %g non-zero", o.FloorPower, o.DBScale)
	case o.Window != HannSymmetric && o.Window != HannPeriodic:
		return fmt.Errorf("mel: unknown window %v", o.Window)
	}
	return nil
}

// Mel is a log-mel spectrogram: Bands rows of Frames values, row-major (the (48, T) layout of B1.5).
type Mel struct {
	Bands, Frames int
	Data          []float32 // Data[b*Frames+t]
	SampleRate    int       // analysis rate
	HopSize       int
}

// At returns band b of frame t.
func (m *Mel) At(b, t int) float32 { return m.Data[b*m.Frames+t] }

// Row returns band b over time (a slice of Data).
func (m *Mel) Row(b int) []float32 { return m.Data[b*m.Frames : (b+1)*m.Frames] }

// ErrTooShort is wrapped by the error of a signal shorter than the requested segment.
var ErrTooShort = errors.New("audio shorter than the segment")

// segmentBounds gives the centred segment [start, start+length) as contrastive-mir's cut_audio does:
// length = round(seconds·rate), start = (n − length) // 2.
func segmentBounds(n, rate int, seconds float64) (start, length int, err error) {
	length = int(math.RoundToEven(seconds * float64(rate)))
	if length > n {
		return 0, 0, fmt.Errorf("%w: %d samples (%.3f s) at %d Hz, the centred segment needs %d (%.3g s)",
			ErrTooShort, n, float64(n)/float64(rate), rate, length, seconds)
	}
	return (n - length) / 2, length, nil
}

// CentreSegment returns the centred segment of the given duration (a sub-slice of samples), as contrastive-mir's
// cut_audio: round(seconds·rate) samples starting at (n − length)/2 rounded down. Shorter audio is an error
// wrapping ErrTooShort, as in Essentia's pipeline.
func CentreSegment(samples []float32, rate int, seconds float64) ([]float32, error) {
	start, length, err := segmentBounds(len(samples), rate, seconds)
	if err != nil {
		return nil, err
	}
	return samples[start : start+length], nil
}

// melFilterbank is a sparse mel filterbank: band b has weights w[b] on FFT bins lo[b], lo[b]+1, ….
type melFilterbank struct {
	lo []int
	w  [][]float64
}

// hzToMelSlaney and melToHzSlaney are the Slaney (Auditory Toolbox) mel scale, as librosa's htk=False and
// Essentia's slaneyMel: linear below 1 kHz (1 mel per 200/3 Hz, 15 mel at 1 kHz), logarithmic above (27 mels per
// factor 6.4).
func hzToMelSlaney(f float64) float64 {
	const fSp, minLogHz, minLogMel = 200.0 / 3, 1000.0, 1000.0 / (200.0 / 3)
	logstep := math.Log(6.4) / 27
	if f >= minLogHz {
		return minLogMel + math.Log(f/minLogHz)/logstep
	}
	return f / fSp
}

func melToHzSlaney(m float64) float64 {
	const fSp, minLogHz, minLogMel = 200.0 / 3, 1000.0, 1000.0 / (200.0 / 3)
	logstep := math.Log(6.4) / 27
	if m >= minLogMel {
		return minLogHz * math.Exp(logstep*(m-minLogMel))
	}
	return fSp * m
}

// MelFilterbank returns the (bands × (nFFT/2+1)) mel filterbank, row-major: triangles on the Slaney mel scale,
// linear in Hz between their edges, each scaled by 2/(upper − lower edge in Hz) so its area is 1 ("unit_tri" in
// Essentia ≥ 2.1b5, norm='slaney' in librosa). It equals librosa.filters.mel(sr=sampleRate, n_fft=nFFT,
// n_mels=bands, fmin=fmin, fmax=fmax, htk=False, norm='slaney').
func MelFilterbank(sampleRate, nFFT, bands int, fmin, fmax float64) []float64 {
	fb := newMelFilterbank(sampleRate, nFFT, bands, fmin, fmax)
	bins := nFFT/2 + 1
	out := make([]float64, bands*bins)
	for b := range bands {
		copy(out[b*bins+fb.lo[b]:], fb.w[b])
	}
	return out
}

func newMelFilterbank(sampleRate, nFFT, bands int, fmin, fmax float64) *melFilterbank {
	mlo, mhi := hzToMelSlaney(fmin), hzToMelSlaney(fmax)
	edges := make([]float64, bands+2)
	for i := range edges {
		edges[i] = melToHzSlaney(mlo + (mhi-mlo)*float64(i)/float64(bands+1))
	}
	bins := nFFT/2 + 1
	fb := &melFilterbank{lo: make([]int, bands), w: make([][]float64, bands)}
	for b := range bands {
		left, centre, right := edges[b], edges[b+1], edges[b+2]
		enorm := 2 / (right - left)
		first, last := -1, -1
		weights := make([]float64, bins)
		for k := range bins {
			f := float64(k) * float64(sampleRate) / float64(nFFT)
			lower := (f - left) / (centre - left)
			upper := (right - f) / (right - centre)
			if w := math.Min(lower, upper); w > 0 {
				weights[k] = w * enorm
				if first < 0 {
					first = k
				}
				last = k
			}
		}
		if first < 0 {
			first, last = 0, -1 // an empty band (too many bands for the FFT size): all zeros, as librosa
		}
		fb.lo[b] = first
		fb.w[b] = weights[first : last+1]
	}
	return fb
}

// melAnalyzer turns a signal at the analysis rate into log-mel frames, one frame at a time, with a fixed amount
// of memory: it is the chunked STFT used by [MelSpectrogram] and [MelFile].
type melAnalyzer struct {
	opt    MelOptions
	window []float64
	fb     *melFilterbank
	pfft   *powerFFT    // power-of-two frame sizes
	fft    *fourier.FFT // other sizes
	frame  []float64
	coeffs []complex128
	power  []float64
	dbMul  float64
	floor  float64
}

func newMelAnalyzer(opt MelOptions) *melAnalyzer {
	fmax := opt.FMax
	if fmax == 0 {
		fmax = float64(opt.SampleRate) / 2
	}
	n := opt.FrameSize
	a := &melAnalyzer{
		opt:    opt,
		window: make([]float64, n),
		fb:     newMelFilterbank(opt.SampleRate, n, opt.Bands, opt.FMin, fmax),
		pfft:   newPowerFFT(n),
		frame:  make([]float64, n),
		coeffs: make([]complex128, n/2+1),
		power:  make([]float64, n/2+1),
		dbMul:  10 * opt.DBScale,
		floor:  opt.FloorPower,
	}
	if a.pfft == nil {
		a.fft = fourier.NewFFT(n)
	}
	denom := float64(n)
	if opt.Window == HannSymmetric {
		denom = float64(n - 1)
	}
	for i := range a.window {
		a.window[i] = 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/denom)
	}
	return a
}

// frameCount is the number of centred frames of a signal of n samples: 1 + n/hop (librosa's count with
// center=True; frame t is centred on sample t·hop).
func frameCount(n, hop int) int { return 1 + n/hop }

// analyze computes frame t of the signal x (which is the whole signal, or a window of it starting at sample
// offset) into out[b*stride], for each band b. Samples outside [0, n) are zero (centred frames, zero padding).
func (a *melAnalyzer) analyze(x []float32, offset, n, t int, out []float32, stride int) {
	size := a.opt.FrameSize
	start := t*a.opt.HopSize - size/2 // first sample of the frame
	for i := range a.frame {
		j := start + i
		if j < 0 || j >= n {
			a.frame[i] = 0
			continue
		}
		a.frame[i] = float64(x[j-offset]) * a.window[i]
	}
	if a.pfft != nil {
		a.pfft.power(a.frame, a.power)
	} else {
		a.fft.Coefficients(a.coeffs, a.frame)
		for k, c := range a.coeffs {
			a.power[k] = real(c)*real(c) + imag(c)*imag(c)
		}
	}
	for b, w := range a.fb.w {
		p := a.power[a.fb.lo[b] : a.fb.lo[b]+len(w)]
		var s float64
		for k, v := range w {
			s += v * p[k]
		}
		out[b*stride] = float32(a.dbMul * math.Log10(math.Max(s, a.floor)))
	}
}

// MelSpectrogram computes the log-mel spectrogram of a mono signal at sampleRate: it resamples to opt.SampleRate
// if needed, takes the centred opt.SegmentSeconds (if > 0), then analyses centred frames.
//
// Padding: frame t is centred on sample t·HopSize and the signal is padded with zeros on both sides (librosa's
// pad_mode="constant", its default since 0.10, and what Essentia's FrameCutter does with startFromZero=False).
// Reflection padding would invent signal; zeros keep the first and last frames faithful to both references.
// T = 1 + n/HopSize frames for n samples.
func MelSpectrogram(samples []float32, sampleRate int, opt MelOptions) (*Mel, error) {
	if err := opt.check(); err != nil {
		return nil, err
	}
	if err := checkFinite(samples, "MelSpectrogram input", 0); err != nil {
		return nil, err
	}
	x := samples
	if sampleRate != opt.SampleRate {
		var err error
		if x, err = Resample(samples, sampleRate, opt.SampleRate, opt.Resampler); err != nil {
			return nil, err
		}
	}
	if opt.SegmentSeconds > 0 {
		var err error
		if x, err = CentreSegment(x, opt.SampleRate, opt.SegmentSeconds); err != nil {
			return nil, err
		}
	}
	return melOfSignal(x, opt), nil
}

func melOfSignal(x []float32, opt MelOptions) *Mel {
	a := newMelAnalyzer(opt)
	frames := frameCount(len(x), opt.HopSize)
	m := &Mel{Bands: opt.Bands, Frames: frames, Data: make([]float32, opt.Bands*frames), SampleRate: opt.SampleRate,
		HopSize: opt.HopSize}
	for t := range frames {
		a.analyze(x, 0, len(x), t, m.Data[t:], frames)
	}
	return m
}
