package musicnn

import (
	"math"

	"gonum.org/v1/gonum/dsp/fourier"

	"github.com/musicrep/musicrep/musicrep/audio"
)

// musicnn's front-end (musicnn/extractor.py batch_data, with musicnn/configuration.py's constants).
const (
	SampleRate = 16000
	FFTSize    = 512
	HopSize    = 256
	Bands      = 96
	// PatchFrames is the number of frames of a 3 s patch: librosa.time_to_frames(3, sr=16000, n_fft=512,
	// hop_length=256) + 1 = 187.
	PatchFrames = 187
	// PatchValues is the number of values of one patch (frames × bands).
	PatchValues = PatchFrames * Bands
)

// FrontEnd turns a 16 kHz mono signal, pushed in blocks of any size, into musicnn's input patches, exactly as
// musicnn's extractor does with librosa:
//
//	S = librosa.feature.melspectrogram(y, sr=16000, hop_length=256, n_fft=512, n_mels=96).T
//	  (periodic Hann window, centred frames with zero padding, power spectrum, 96 Slaney mel bands with Slaney
//	  area normalisation, 0–8 kHz)
//	S = log10(10000 · float16(S) + 1), computed in float16 as numpy does (each operation rounded to float16)
//	patches: S[0:187], S[187:374], … (no overlap; the frames after the last whole patch are dropped)
//
// Memory is bounded: only the current frame's samples and the current patch are kept. It also accumulates the
// per-band mean and standard deviation of the log-mel values over every frame (the mel statistics baseline).
type FrontEnd struct {
	fb      []float64 // Bands × (FFTSize/2+1)
	lo, hi  []int     // non-zero bin range per band
	window  []float64
	fft     *fourier.FFT
	frame   []float64
	coeffs  []complex128
	power   []float64
	buf     []float32 // samples from the start of the next frame on
	samples int64     // samples pushed
	frames  int64     // frames analysed
	patch   []float32 // frames of the current patch so far
	first   []float32 // the first frames, kept for repeat-padding a signal shorter than one patch
	patches int
	sum     []float64 // per band: Σ value, Σ value²
	sumSq   []float64
}

// NewFrontEnd returns a front-end at the start of a signal.
func NewFrontEnd() *FrontEnd {
	bins := FFTSize/2 + 1
	f := &FrontEnd{
		fb:     audio.MelFilterbank(SampleRate, FFTSize, Bands, 0, SampleRate/2),
		lo:     make([]int, Bands),
		hi:     make([]int, Bands),
		window: make([]float64, FFTSize),
		fft:    fourier.NewFFT(FFTSize),
		frame:  make([]float64, FFTSize),
		coeffs: make([]complex128, bins),
		power:  make([]float64, bins),
		buf:    make([]float32, FFTSize/2, 4*FFTSize), // centred frames: n_fft/2 zeros before the signal
		patch:  make([]float32, 0, PatchValues),
		sum:    make([]float64, Bands),
		sumSq:  make([]float64, Bands),
	}
	for b := range Bands {
		row := f.fb[b*bins : (b+1)*bins]
		f.lo[b], f.hi[b] = bins, 0
		for k, w := range row {
			if w != 0 {
				f.lo[b] = min(f.lo[b], k)
				f.hi[b] = k + 1
			}
		}
		if f.hi[b] < f.lo[b] {
			f.lo[b], f.hi[b] = 0, 0
		}
	}
	for i := range f.window { // scipy.signal.get_window('hann', 512, fftbins=True)
		f.window[i] = 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/FFTSize)
	}
	return f
}

// Push analyses a block of 16 kHz mono samples; emit receives each completed patch (PatchValues values,
// frame-major: patch[t*Bands+b]), valid only during the call.
func (f *FrontEnd) Push(x []float32, emit func(patch []float32) error) error {
	f.samples += int64(len(x))
	f.buf = append(f.buf, x...)
	return f.drain(emit)
}

// drain analyses every frame whose samples are all in buf.
func (f *FrontEnd) drain(emit func([]float32) error) error {
	off := 0
	for off+FFTSize <= len(f.buf) {
		if err := f.analyse(f.buf[off:off+FFTSize], emit); err != nil {
			return err
		}
		off += HopSize
	}
	f.buf = append(f.buf[:0], f.buf[off:]...)
	return nil
}

// Finish ends the signal: it pads n_fft/2 zeros (librosa's centred frames, 1 + n/256 frames in all) and
// analyses the last frames. A signal shorter than one patch (but at least one frame long) is repeat-padded
// into one patch, as musicnn's training did for short clips ("pad_short": "repeat-pad"; musicnn's extractor
// itself fails on such input). It returns the number of frames analysed.
func (f *FrontEnd) Finish(emit func([]float32) error) (int64, error) {
	want := 1 + f.samples/HopSize
	f.buf = append(f.buf, make([]float32, FFTSize/2)...)
	off := 0
	for f.frames < want && off+FFTSize <= len(f.buf) {
		if err := f.analyse(f.buf[off:off+FFTSize], emit); err != nil {
			return f.frames, err
		}
		off += HopSize
	}
	f.buf = f.buf[:0]
	if f.patches == 0 && f.samples > 0 && len(f.first) > 0 {
		n := len(f.first)
		pad := make([]float32, PatchValues)
		for i := 0; i < PatchValues; i += n {
			copy(pad[i:], f.first)
		}
		f.patches++
		if err := emit(pad); err != nil {
			return f.frames, err
		}
	}
	return f.frames, nil
}

// Frames is the number of frames analysed so far; Patches the number of patches emitted.
func (f *FrontEnd) Frames() int64 { return f.frames }

// Patches is the number of patches emitted so far.
func (f *FrontEnd) Patches() int { return f.patches }

// Samples is the number of samples pushed so far.
func (f *FrontEnd) Samples() int64 { return f.samples }

// MelStats returns the per-band mean and (population) standard deviation of the log-mel values of every frame
// analysed, 2 × Bands values: means then standard deviations.
func (f *FrontEnd) MelStats() []float32 {
	out := make([]float32, 2*Bands)
	if f.frames == 0 {
		return out
	}
	n := float64(f.frames)
	for b := range Bands {
		mean := f.sum[b] / n
		out[b] = float32(mean)
		out[Bands+b] = float32(math.Sqrt(math.Max(0, f.sumSq[b]/n-mean*mean)))
	}
	return out
}

func (f *FrontEnd) analyse(x []float32, emit func([]float32) error) error {
	for i, v := range x {
		f.frame[i] = float64(v) * f.window[i]
	}
	f.fft.Coefficients(f.coeffs, f.frame)
	for k, c := range f.coeffs {
		f.power[k] = real(c)*real(c) + imag(c)*imag(c)
	}
	bins := FFTSize/2 + 1
	for b := range Bands {
		var s float64
		row := f.fb[b*bins : (b+1)*bins]
		for k := f.lo[b]; k < f.hi[b]; k++ {
			s += row[k] * f.power[k]
		}
		v := LogCompress(float32(s))
		f.patch = append(f.patch, v)
		f.sum[b] += float64(v)
		f.sumSq[b] += float64(v) * float64(v)
	}
	f.frames++
	if len(f.first) < PatchValues && f.patches == 0 {
		f.first = append(f.first, f.patch[len(f.patch)-Bands:]...)
	}
	if len(f.patch) == PatchValues {
		f.patches++
		f.first = nil
		err := emit(f.patch)
		f.patch = f.patch[:0]
		return err
	}
	return nil
}

// LogCompress is musicnn's compression of a mel power value, np.log10(10000 * x + 1) on a float16 array: x is
// rounded to float16, and so is each intermediate result (numpy computes float16 operations in float32 and
// rounds).
//
// One deviation, a fix: in musicnn every power above 6.55 overflows float16 at the multiplication (10000·x >
// 65504) and becomes +Inf, and the model then outputs NaN for the whole patch — loud passages of real music do
// this (15 of 24, 31 of 31 and 17 of 37 patches of the three wesnoth-1.16-music recordings of the golden test).
// Here those values are computed in float32, log10(10000·x + 1), and rounded to float16 at the end; every value
// that musicnn computes finitely is reproduced exactly.
func LogCompress(x float32) float32 {
	h := RoundFloat16(x)
	a := RoundFloat16(10000 * h)
	if math.IsInf(float64(a), 0) {
		return RoundFloat16(float32(math.Log10(float64(float32(10000*h) + 1)))) // float32(): no fused multiply-add
	}
	b := RoundFloat16(a + 1)
	return RoundFloat16(float32(math.Log10(float64(b))))
}

// RoundFloat16 returns the float16 value nearest to x (ties to even, overflow to ±Inf, subnormals kept), as a
// float32: numpy's float32 → float16 conversion.
func RoundFloat16(x float32) float32 {
	v := float64(x)
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return x
	}
	_, exp := math.Frexp(math.Abs(v)) // |v| = frac · 2^exp, frac ∈ [0.5, 1)
	e := max(exp-1, -14)              // float16: 10 mantissa bits; subnormals below 2^-14
	q := math.Ldexp(1, e-10)
	r := math.RoundToEven(v/q) * q
	if math.Abs(r) > 65504 {
		return float32(math.Copysign(math.Inf(1), v))
	}
	return float32(r)
}
