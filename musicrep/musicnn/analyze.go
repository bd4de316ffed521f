package musicnn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/musicrep/musicrep/musicrep/audio"
)

// TrackResult is what one model computes for a whole track.
type TrackResult struct {
	Model string
	// Taggram holds the tag probabilities of every patch, [Patches × labels] (kept: 50 values per 3 s).
	Taggram []float32
	// MeanTags is the track's tag probabilities: the mean of the taggram over the patches (musicnn's own
	// examples aggregate the taggram this way).
	MeanTags []float32
	// Embedding is the track's penultimate features, the mean over the patches (200-d for musicnn models, 256-d
	// for vgg).
	Embedding []float32
	// Pooled is the mean over the patches of the musicnn models' 1506 back-end pooled values (nil for vgg).
	Pooled []float32
}

// Track is the analysis of one audio file.
type Track struct {
	Path    string
	Seconds float64 // duration of the analysed signal at 16 kHz
	// Excerpt is true when only the first seconds of the file were analysed (AnalyzeExcerpt stopped before the
	// end); FileSeconds is then the whole file's duration (the container's declared length, or counted by
	// decoding the rest when it does not declare one), else Seconds.
	Excerpt     bool
	FileSeconds float64
	Frames      int64
	Patches     int
	Padded      bool      // shorter than one patch: the frames were repeated to fill it
	MelStats    []float32 // per-band mean then standard deviation of the log-mel values, 2 × 96
	Results     []TrackResult
}

// ErrNoAudio is wrapped by the error of a file that decodes to fewer samples than one frame.
var ErrNoAudio = errors.New("no audio: the file decodes to an empty signal")

// AnalyzeFile decodes a file (WAV, Ogg Vorbis, Opus, FLAC, MP3: see package audio), resamples it to 16 kHz mono,
// computes musicnn's patches and runs every model on them. It streams: memory stays bounded by the batch of
// patches and the kept taggrams (50 values per 3 s per model), whatever the file's length. The context is
// checked between blocks of samples.
func AnalyzeFile(ctx context.Context, path string, models []*Model) (*Track, error) {
	return AnalyzeExcerpt(ctx, path, models, 0)
}

// errExcerptDone stops the decoding of a file once the excerpt is analysed.
var errExcerptDone = errors.New("musicnn: excerpt done")

// AnalyzeExcerpt is AnalyzeFile on the first seconds of the file only (the whole file when seconds <= 0 or the
// file is shorter): decoding stops there, so a long file costs no more than its excerpt. Track.Excerpt says
// whether the file went on past the excerpt, Track.FileSeconds how long it is.
func AnalyzeExcerpt(ctx context.Context, path string, models []*Model, seconds float64) (*Track, error) {
	a := newAnalysis(path, models)
	limit := int64(-1)
	if seconds > 0 {
		limit = int64(math.Round(seconds * SampleRate))
	}
	var pushed int64
	push := func(x []float32) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if limit >= 0 && pushed+int64(len(x)) > limit {
			x = x[:limit-pushed]
			pushed = limit
			if err := a.push(x); err != nil {
				return err
			}
			return errExcerptDone
		}
		pushed += int64(len(x))
		return a.push(x)
	}
	fileSeconds, excerpt, err := streamFile(path, push)
	if err != nil {
		return nil, err
	}
	t, err := a.finish()
	if err != nil {
		return nil, err
	}
	t.Excerpt, t.FileSeconds = excerpt, t.Seconds
	if excerpt {
		t.FileSeconds = fileSeconds
	}
	return t, nil
}

// StreamFile decodes a file, mixes it down to mono and resamples it to 16 kHz (librosa.load(path, sr=16000)),
// handing the signal to push block by block.
func StreamFile(path string, push func([]float32) error) error {
	_, _, err := streamFile(path, push)
	return err
}

// streamFile is StreamFile; when push returns errExcerptDone it stops decoding and returns excerpt = true and the
// file's duration in seconds (declared by the container, or counted by decoding the rest without resampling).
func streamFile(path string, push func([]float32) error) (fileSeconds float64, excerpt bool, err error) {
	s, err := audio.Open(path)
	if err != nil {
		return 0, false, err
	}
	defer s.Close()
	var rs *audio.Resampler
	if s.SampleRate() != SampleRate {
		if rs, err = audio.NewResampler(s.SampleRate(), SampleRate, audio.DefaultResamplerOptions()); err != nil {
			return 0, false, fmt.Errorf("%s: %w", path, err)
		}
	}
	in := make([]float32, 32768)
	var out []float32
	var frames int64 // decoded at the file's rate
	for {
		n, rerr := s.ReadMono(in)
		frames += int64(n)
		if n > 0 {
			block := in[:n]
			for i, v := range block {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					return 0, false, fmt.Errorf("%s: sample %d is %v: the signal must be finite", path, i, v)
				}
			}
			if rs != nil {
				out = rs.Process(out[:0], block)
				block = out
			}
			if err := push(block); errors.Is(err, errExcerptDone) {
				if d := s.DeclaredFrames(); d >= 0 {
					return float64(d) / float64(s.SampleRate()), true, nil
				}
				for !errors.Is(rerr, io.EOF) { // no declared length: count the rest
					if rerr != nil {
						return 0, false, rerr
					}
					n, rerr = s.ReadMono(in)
					frames += int64(n)
				}
				return float64(frames) / float64(s.SampleRate()), true, nil
			} else if err != nil {
				return 0, false, err
			}
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			return 0, false, rerr
		}
	}
	if rs != nil {
		if err := push(rs.Flush(out[:0])); errors.Is(err, errExcerptDone) {
			return float64(frames) / float64(s.SampleRate()), true, nil
		} else if err != nil {
			return 0, false, err
		}
	}
	return float64(frames) / float64(s.SampleRate()), false, nil
}

// AnalyzeSignal runs the models on a 16 kHz mono signal already in memory.
func AnalyzeSignal(name string, x []float32, models []*Model) (*Track, error) {
	a := newAnalysis(name, models)
	if err := a.push(x); err != nil {
		return nil, err
	}
	return a.finish()
}

type analysis struct {
	path    string
	models  []*Model
	fe      *FrontEnd
	pending []float32 // patches waiting for a full batch
	results []TrackResult
}

func newAnalysis(path string, models []*Model) *analysis {
	a := &analysis{path: path, models: models, fe: NewFrontEnd(), pending: make([]float32, 0, BatchSize*PatchValues)}
	for _, m := range models {
		r := TrackResult{Model: m.Spec.Name, MeanTags: make([]float32, len(m.Spec.Labels)),
			Embedding: make([]float32, m.PenultimateDim())}
		if m.Spec.Arch == ArchMusicnn {
			r.Pooled = make([]float32, PooledDim)
		}
		a.results = append(a.results, r)
	}
	return a
}

func (a *analysis) emit(patch []float32) error {
	a.pending = append(a.pending, patch...)
	if len(a.pending) == BatchSize*PatchValues {
		return a.flush()
	}
	return nil
}

func (a *analysis) push(x []float32) error { return a.fe.Push(x, a.emit) }

// flush runs the models on the pending patches and adds their outputs to the sums.
func (a *analysis) flush() error {
	if len(a.pending) == 0 {
		return nil
	}
	for i, m := range a.models {
		o, err := m.Run(a.pending)
		if err != nil {
			return fmt.Errorf("%s: %w", a.path, err)
		}
		r := &a.results[i]
		r.Taggram = append(r.Taggram, o.Taggram...)
		addRows(r.MeanTags, o.Taggram)
		addRows(r.Embedding, o.Penultimate)
		if r.Pooled != nil {
			addRows(r.Pooled, o.Pooled)
		}
	}
	a.pending = a.pending[:0]
	return nil
}

func (a *analysis) finish() (*Track, error) {
	frames, err := a.fe.Finish(a.emit)
	if err != nil {
		return nil, err
	}
	if err := a.flush(); err != nil {
		return nil, err
	}
	t := &Track{Path: a.path, Seconds: float64(a.fe.Samples()) / SampleRate, Frames: frames, Patches: a.fe.Patches(),
		Padded: frames < PatchFrames, MelStats: a.fe.MelStats(), Results: a.results}
	if t.Patches == 0 {
		return nil, fmt.Errorf("%s: %w", a.path, ErrNoAudio)
	}
	inv := 1 / float32(t.Patches)
	for i := range t.Results {
		r := &t.Results[i]
		for _, v := range [][]float32{r.MeanTags, r.Embedding, r.Pooled} {
			for j := range v {
				v[j] *= inv
			}
		}
	}
	return t, nil
}

// addRows adds each dim-wide row of rows to sum.
func addRows(sum, rows []float32) {
	d := len(sum)
	for lo := 0; lo+d <= len(rows); lo += d {
		for j, v := range rows[lo : lo+d] {
			sum[j] += v
		}
	}
}
