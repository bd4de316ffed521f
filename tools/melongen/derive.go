package melongen

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/musicrep/musicrep/musicrep/corpus"
	"github.com/musicrep/musicrep/musicrep/melon"
)

// Derived spectrograms (Options.DeriveFrom). Each derived song is one rendered song of the base dataset of its
// own style family, transformed in the mel domain; see deriveMel for the transformations and derivation for
// their parameters, which musicrep_gen.json records per song.

// deriveVersion names the derivation algorithm; it enters the fingerprint that decides whether a previous run's
// files can be kept.
const deriveVersion = "melongen-derive-1"

// The geometry of the arena_mel front-end (audio.DefaultMelOptions): 16 kHz, hop 256 (62.5 frames per second),
// 48 Slaney mel bands from 0 to 8 kHz, values 20·log10(power) floored at 20·log10(1e-10) = -200.
const (
	framesPerSecond = float64(SampleRate) / 256
	melFMax         = 8000.0
	melDBPerDecade  = 20.0
	melFloor        = -200.0
)

// deriveStateFile records, in the output directory, the fingerprint of the derivation whose spectrograms
// arena_mel holds: a rerun with the same fingerprint keeps the complete files, any other run starts over.
const deriveStateFile = ".melongen-derive.json"

// Transformations lists the mel-domain transformations, in the order deriveMel applies them (README.md and
// musicrep_gen.json quote it).
var Transformations = []string{
	"segment reordering: the base spectrogram is cut at multiples of its bar length (1–4 bars, ~4 s) from its " +
		"first frame, and the segments are played in a random order (repeated when the song needs more), from " +
		"a random whole beat",
	"time stretch by the tempo ratio: output frame t reads the reordered base at t × (new tempo / base " +
		"tempo), linearly interpolated between frames (clamped to 0.5–2)",
	"key change: the 48 bands are resampled along frequency by 2^(semitones/12) (band centres on the Slaney " +
		"mel scale, linear interpolation), semitones = new key − base key wrapped to −6…+5",
	"mix: a second rendered song of the same family, stretched to the same tempo and shifted to the same key, " +
		"from a random frame, added in the power domain 12–24 dB (20·log10 units, as the spectrogram) below",
	"gain: a constant offset of N(0, 3) dB (clamped to ±6) and a spectral tilt of −3…+3 dB from the lowest " +
		"to the highest band; values are floored at -200 (the front-end's floor)",
	"stored as float16 (the real Melon arena_mel files are float16)",
}

// derivation is how one derived song's spectrogram is made (musicrep_gen.json, per song under "derived").
type derivation struct {
	Base         int     `json:"base_song"` // song id in the base dataset
	Mix          int     `json:"mix_song"`  // base song mixed in at MixLevel below
	Stretch      float64 `json:"stretch"`   // new tempo / base tempo
	Semitones    int     `json:"semitones"` // key shift of the base song
	SegmentBars  int     `json:"segment_bars"`
	Order        []int   `json:"segment_order"` // base segments in playing order
	StartBeats   int     `json:"start_beats"`   // beats skipped at the start of the reordered base
	GainDB       float64 `json:"gain_db"`
	TiltDB       float64 `json:"tilt_db"` // highest band minus lowest band
	MixLevelDB   float64 `json:"mix_level_db"`
	MixStretch   float64 `json:"mix_stretch"`
	MixSemitones int     `json:"mix_semitones"`
	MixStart     float64 `json:"mix_start_frame"`
	Frames       int     `json:"frames"`
	base, mix    *baseSong
}

// derivationInfo is musicrep_gen.json's "derivation": what the derived songs are and are not.
type derivationInfo struct {
	Note            string   `json:"note"`
	Base            string   `json:"base_dataset"`
	BaseSize        string   `json:"base_size"`
	BaseSeed        uint64   `json:"base_seed"`
	BaseSongs       int      `json:"base_songs"` // rendered base songs some derived song uses
	Transformations []string `json:"transformations"`
	DType           string   `json:"dtype"`
	Frames          int      `json:"frames,omitempty"`            // 0: each derived song has its base song's frames
	LeftOut         []string `json:"families_left_out,omitempty"` // families of the size the base has no song of
	Version         string   `json:"version"`
}

// derivedNote is the plain statement README.md and musicrep_gen.json make about derived datasets.
func derivedNote(songs, baseSongs int, base string) string {
	return fmt.Sprintf("The arena_mel spectrograms of these %d songs were NOT rendered: each is derived from one of %d "+
		"rendered songs of the base dataset %s by the listed mel-domain transformations (and mixed with a second "+
		"rendered song of the same family). Songs derived from the same base song are near-duplicates, and they "+
		"fall into different playlists and splits, so quality numbers (retrieval, tagging, recommendation) on "+
		"this dataset are optimistic. It is meant for time and memory scale tests, not for comparing quality.",
		songs, baseSongs, base)
}

// baseSong is a rendered song of the base dataset.
type baseSong struct {
	ID          int
	Family      string // sub-genre code
	Groove      string
	Tempo       int
	BeatsPerBar int
	Key         int // tonic pitch class
	Mode        string
	Frames      int
	mel         []float32 // melon.Bands × Frames; loaded by loadMels
}

// baseSet is the base dataset of a derivation.
type baseSet struct {
	Dir      string
	Size     string
	Seed     uint64
	Songs    []*baseSong // usable songs (mma source and an arena_mel file), in id order
	byFamily map[string][]*baseSong
	byID     map[int]*baseSong
	digest   string // of the base's metadata
}

// loadBase reads the metadata of a base dataset (a melon-generate output with rendered arena_mel) and lists the
// songs that can be derived from: mma songs with a mel-spectrogram file.
func loadBase(dir string) (*baseSet, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("melongen: base dataset %s: %w", dir, err)
	}
	hint := "derive from a melon-generate output with arena_mel spectrograms, e.g. one made by `musicrep " +
		"melon-generate -size medium -out out/melon-medium`"
	raw, err := os.ReadFile(filepath.Join(abs, truthFile))
	if err != nil {
		return nil, fmt.Errorf("melongen: base dataset %s: %w (%s)", dir, err, hint)
	}
	var truth struct {
		Generator  string          `json:"generator"`
		Size       string          `json:"size"`
		Seed       uint64          `json:"seed"`
		Songs      []truthSong     `json:"songs"`
		Derivation *derivationInfo `json:"derivation"`
	}
	if err := json.Unmarshal(raw, &truth); err != nil {
		return nil, fmt.Errorf("melongen: base dataset %s: %s: %w (%s)", dir, truthFile, err, hint)
	}
	if truth.Generator != "musicrep/melongen" {
		return nil, fmt.Errorf("melongen: base dataset %s: %s was not written by musicrep/melongen (%s)", dir,
			truthFile, hint)
	}
	if truth.Derivation != nil {
		return nil, fmt.Errorf("melongen: base dataset %s is itself derived (from %s): derive from a rendered "+
			"dataset (%s)", dir, truth.Derivation.Base, hint)
	}
	d, err := melon.Load(abs)
	if err != nil {
		return nil, fmt.Errorf("melongen: base dataset: %w", err)
	}
	meta, _ := os.ReadFile(filepath.Join(abs, "song_meta.json"))
	h := sha256.New()
	h.Write(raw)
	h.Write(meta)
	b := &baseSet{Dir: abs, Size: truth.Size, Seed: truth.Seed, byFamily: map[string][]*baseSong{},
		byID: map[int]*baseSong{}, digest: hex.EncodeToString(h.Sum(nil))}
	for _, ts := range truth.Songs {
		i, ok := d.Index[ts.ID]
		if !ok || ts.Source != "mma" || ts.Tempo <= 0 || ts.BeatsPerBar <= 0 || len(d.Songs[i].DetailGenres) == 0 {
			continue
		}
		info, err := os.Stat(melon.MelPath(abs, ts.ID))
		if err != nil || info.Size() == 0 {
			continue
		}
		name, mode, _ := strings.Cut(ts.Key, " ")
		key := -1
		for k, n := range pitchNames {
			if n == name {
				key = k
			}
		}
		if key < 0 {
			return nil, fmt.Errorf("melongen: base dataset %s: %s: song %d has key %q (want e.g. \"Eb minor\")", dir,
				truthFile, ts.ID, ts.Key)
		}
		s := &baseSong{ID: ts.ID, Family: d.Songs[i].DetailGenres[0], Groove: ts.Groove, Tempo: ts.Tempo,
			BeatsPerBar: ts.BeatsPerBar, Key: key, Mode: mode}
		b.Songs = append(b.Songs, s)
		b.byFamily[s.Family] = append(b.byFamily[s.Family], s)
		b.byID[s.ID] = s
	}
	sort.Slice(b.Songs, func(i, j int) bool { return b.Songs[i].ID < b.Songs[j].ID })
	for _, list := range b.byFamily {
		sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	}
	if len(b.Songs) == 0 {
		return nil, fmt.Errorf("melongen: base dataset %s has no rendered song with an arena_mel spectrogram "+
			"(was it generated with -metadata-only or without a mel front-end?): %s", dir, hint)
	}
	return b, nil
}

// sizeFamilies returns the style families a size uses: those of its genres, the first FamiliesPerGenre of each.
func sizeFamilies(size Size) []Family {
	use := map[string]bool{}
	for _, g := range size.Genres {
		use[g] = true
	}
	var fams []Family
	perGenre := map[string]int{}
	for _, f := range Families() {
		if len(use) > 0 && !use[f.Top()] {
			continue
		}
		if size.FamiliesPerGenre > 0 && perGenre[f.Top()] >= size.FamiliesPerGenre {
			continue
		}
		perGenre[f.Top()]++
		fams = append(fams, f)
	}
	return fams
}

// catalog is the catalogue of a derived dataset: the families the size uses that the base dataset has songs of,
// with the grooves of those songs, and the families it leaves out. A family without a base song cannot be
// derived (a stand-in family would put another family's timbre and rhythm under its label), so it is left out
// of the plan; a base that lacks a whole top-level genre of the size, or more than 5% of its families (at least
// one may be missing), is refused. A rendered medium dataset can lack a family or two by chance: planning
// gives every family songs only in expectation (the medium of seed 1 has no Jazz54).
func (b *baseSet) catalog(size Size) ([]catalogFamily, []string, error) {
	var out []catalogFamily
	var missing []string
	tops := map[string]bool{} // top-level genre → has a family in the base
	fams := sizeFamilies(size)
	for _, f := range fams {
		if _, ok := tops[f.Top()]; !ok {
			tops[f.Top()] = false
		}
		songs := b.byFamily[f.Code]
		if len(songs) == 0 {
			missing = append(missing, f.Code+" "+f.Name)
			continue
		}
		tops[f.Top()] = true
		beats := map[string]int{}
		for _, s := range songs {
			beats[s.Groove] = s.BeatsPerBar
		}
		cf := catalogFamily{Family: f}
		for _, g := range sortedKeys(beats) {
			cf.Grooves = append(cf.Grooves, Groove{Name: g, BeatsPerBar: beats[g]})
		}
		out = append(out, cf)
	}
	var missingTops []string
	for _, g := range sortedKeys(tops) {
		if !tops[g] {
			tg, _ := topGenre(g)
			missingTops = append(missingTops, g+" "+tg.Name)
		}
	}
	allowed := max(1, len(fams)/20)
	if len(missingTops) > 0 || len(missing) > allowed {
		shown := missing
		if len(shown) > 12 {
			shown = append(shown[:12:12], fmt.Sprintf("… (%d more)", len(missing)-12))
		}
		why := fmt.Sprintf("more than %d", allowed)
		if len(missingTops) > 0 {
			why = "every family of the top-level genres " + strings.Join(missingTops, ", ")
		}
		return nil, nil, fmt.Errorf("melongen: base dataset %s (size %s) lacks %d of the %d style families size "+
			"%s needs, %s (no rendered song with an arena_mel spectrogram): %s. Derive from a base that has "+
			"(nearly) every family: `musicrep melon-generate -size medium -out out/melon-medium` renders all "+
			"%d genres (~12.5 min on 2 cores), then -derive-from out/melon-medium", b.Dir, b.Size, len(missing),
			len(fams), size.Name, why, strings.Join(shown, ", "), len(TopGenres))
	}
	return out, missing, nil
}

// loadMels reads the spectrograms of the base songs (in parallel); the base set keeps them for the derivation.
// The songs' frame counts are set from the files.
func (b *baseSet) loadMels(ctx context.Context, workers int, progress io.Writer) error {
	t0 := time.Now()
	errs := make([]error, len(b.Songs))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				s := b.Songs[i]
				path := melon.MelPath(b.Dir, s.ID)
				data, shape, err := corpus.ReadNPY(path)
				if err == nil && (len(shape) != 2 || shape[0] != melon.Bands || shape[1] < 16) {
					err = fmt.Errorf("%s: shape %v, want %d mel bands × at least 16 frames", path, shape, melon.Bands)
				}
				if err != nil {
					errs[i] = fmt.Errorf("melongen: base song %d: %w", s.ID, err)
					continue
				}
				s.mel, s.Frames = data, shape[1]
			}
		}()
	}
feed:
	for i := range b.Songs {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var size int
	for _, s := range b.Songs {
		size += 4 * len(s.mel)
	}
	fmt.Fprintf(progress, "melongen: loaded %d base spectrograms from %s (%.0f MB) in %s\n", len(b.Songs), b.Dir,
		float64(size)/1e6, time.Since(t0).Round(time.Millisecond))
	return nil
}

// round4 rounds to 4 decimals, so that musicrep_gen.json holds the exact parameters the derivation uses.
func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }

// wrapSemitones maps a key difference to −6…+5 semitones.
func wrapSemitones(d int) int { return ((d%12)+18)%12 - 6 }

// planDerivations picks every synthetic song's base song (same family, the same groove where the base has it)
// and mix song (same family), and draws the transformation parameters. It sets the songs' realised tempo.
// frames > 0 fixes the output length; 0 keeps each base song's.
func planDerivations(seed uint64, songs []*songRec, b *baseSet, frames int) error {
	rng := stream(seed, "derive")
	for _, s := range songs {
		if s.Plan == nil {
			return fmt.Errorf("melongen: song %d is not synthetic: derived datasets have no real recordings", s.ID)
		}
		fam := b.byFamily[s.Sub]
		if len(fam) == 0 {
			return fmt.Errorf("melongen: base dataset %s has no song of family %s %s", b.Dir, s.Sub, s.FamilyName)
		}
		var cands []*baseSong
		for _, c := range fam {
			if c.Groove == s.Plan.Groove {
				cands = append(cands, c)
			}
		}
		if len(cands) == 0 {
			cands = fam
		}
		base := cands[rng.IntN(len(cands))]
		mix := fam[rng.IntN(len(fam))]
		if len(fam) > 1 {
			for mix == base {
				mix = fam[rng.IntN(len(fam))]
			}
		}
		stretch := round4(clamp(float64(s.Plan.Tempo)/float64(base.Tempo), 0.5, 2))
		tempo := float64(base.Tempo) * stretch
		barSeconds := float64(base.BeatsPerBar) * 60 / float64(base.Tempo)
		segBars := int(clamp(math.Round(4/barSeconds), 1, 4))
		segFrames := float64(segBars) * barSeconds * framesPerSecond
		nSeg := max(1, int(float64(base.Frames)/segFrames))
		d := &derivation{Base: base.ID, Mix: mix.ID, Stretch: stretch,
			Semitones: wrapSemitones(s.Plan.Key - base.Key), SegmentBars: segBars, Order: rng.Perm(nSeg),
			StartBeats: rng.IntN(segBars * base.BeatsPerBar), GainDB: round4(clamp(3*rng.NormFloat64(), -6, 6)),
			TiltDB: round4(-3 + 6*rng.Float64()), MixLevelDB: round4(12 + 12*rng.Float64()),
			MixStretch: round4(clamp(tempo/float64(mix.Tempo), 0.5, 2)), MixSemitones: wrapSemitones(s.Plan.Key - mix.Key),
			MixStart: round4(rng.Float64() * float64(mix.Frames)), Frames: frames, base: base, mix: mix}
		if d.Frames == 0 {
			d.Frames = base.Frames
		}
		s.Derive = d
		s.Tempo = int(math.Round(tempo))
		s.TempoNorm = normTempo(s.Tempo)
	}
	return nil
}

// hzToMelSlaney and melToHzSlaney are the Slaney mel scale of the front-end (musicrep/audio): linear below
// 1 kHz, logarithmic above.
func hzToMelSlaney(f float64) float64 {
	const fSp, minLogHz, logStep = 200.0 / 3, 1000.0, 0.06875177742094912 // log(6.4)/27
	if f < minLogHz {
		return f / fSp
	}
	return minLogHz/fSp + math.Log(f/minLogHz)/logStep
}

func melToHzSlaney(m float64) float64 {
	const fSp, minLogHz, logStep = 200.0 / 3, 1000.0, 0.06875177742094912
	minLogMel := minLogHz / fSp
	if m < minLogMel {
		return m * fSp
	}
	return minLogHz * math.Exp(logStep*(m-minLogMel))
}

// bandShift returns, for each output band, the fractional source band of a shift by semitones: the band whose
// centre frequency is the output band's divided by 2^(semitones/12) (clamped to the band range).
func bandShift(semitones int) []float64 {
	out := make([]float64, melon.Bands)
	mhi := hzToMelSlaney(melFMax)
	step := mhi / float64(melon.Bands+1) // band b is centred at mel (b+1)·step
	for b := range out {
		f := melToHzSlaney(float64(b+1)*step) / math.Pow(2, float64(semitones)/12)
		out[b] = clamp(hzToMelSlaney(f)/step-1, 0, melon.Bands-1)
	}
	return out
}

var bandShifts = func() map[int][]float64 {
	m := map[int][]float64{}
	for s := -6; s <= 6; s++ {
		m[s] = bandShift(s)
	}
	return m
}()

// deriver holds one worker's buffers.
type deriver struct {
	out        []float32
	q0, q1     []int32
	qf         []float32
	m0, m1     []int32
	mf         []float32
	file       []byte
	fileFrames int
}

// timeMap fills, for each output frame, the two source frames and the weight of the second: the base played
// in segment order from StartBeats on, stretched by Stretch.
func (w *deriver) timeMap(d *derivation, base *baseSong) {
	barFrames := float64(base.BeatsPerBar) * 60 / float64(base.Tempo) * framesPerSecond
	seg := float64(d.SegmentBars) * barFrames
	if seg > float64(base.Frames) {
		seg = float64(base.Frames)
	}
	start := float64(d.StartBeats) * barFrames / float64(base.BeatsPerBar)
	last := float64(base.Frames - 1)
	for t := range d.Frames {
		p := start + float64(t)*d.Stretch
		k := math.Floor(p / seg)
		q := float64(d.Order[int(k)%len(d.Order)])*seg + (p - k*seg)
		q = clamp(q, 0, last)
		i := int(q)
		w.q0[t], w.q1[t], w.qf[t] = int32(i), int32(min(i+1, base.Frames-1)), float32(q-float64(i))
	}
}

// mixMap fills the mix song's source frames: from MixStart on, stretched by MixStretch, wrapping around.
func (w *deriver) mixMap(d *derivation, mix *baseSong) {
	n := float64(mix.Frames)
	for t := range d.Frames {
		q := math.Mod(d.MixStart+float64(t)*d.MixStretch, n)
		i := int(q)
		w.m0[t], w.m1[t], w.mf[t] = int32(i), int32((i+1)%mix.Frames), float32(q-float64(i))
	}
}

// deriveMel computes a derived spectrogram (melon.Bands × d.Frames, row-major) into w.out: segment
// reordering and time stretch (timeMap), key change (bandShifts), the mix song added in the power domain,
// gain and tilt (see Transformations).
func (w *deriver) deriveMel(d *derivation, base, mix *baseSong) []float32 {
	n := d.Frames
	if cap(w.out) < melon.Bands*n {
		w.out = make([]float32, melon.Bands*n)
		w.q0, w.q1, w.qf = make([]int32, n), make([]int32, n), make([]float32, n)
		w.m0, w.m1, w.mf = make([]int32, n), make([]int32, n), make([]float32, n)
	}
	w.out = w.out[:melon.Bands*n]
	w.timeMap(d, base)
	w.mixMap(d, mix)
	bs, ms := bandShifts[d.Semitones], bandShifts[d.MixSemitones]
	for b := range melon.Bands {
		sb, fb := splitIndex(bs[b])
		rowA, rowB := base.mel[sb*base.Frames:(sb+1)*base.Frames], base.mel[min(sb+1, melon.Bands-1)*base.Frames:]
		sm, fm := splitIndex(ms[b])
		mixA, mixB := mix.mel[sm*mix.Frames:(sm+1)*mix.Frames], mix.mel[min(sm+1, melon.Bands-1)*mix.Frames:]
		off := float32(d.GainDB + d.TiltDB*(float64(b)/float64(melon.Bands-1)-0.5))
		mixOff := off - float32(d.MixLevelDB)
		out := w.out[b*n : (b+1)*n]
		for t := range n {
			q0, q1, qf := w.q0[t], w.q1[t], w.qf[t]
			lo := rowA[q0] + qf*(rowA[q1]-rowA[q0])
			hi := rowB[q0] + qf*(rowB[q1]-rowB[q0])
			v := lo + fb*(hi-lo) + off
			m0, m1, mf := w.m0[t], w.m1[t], w.mf[t]
			lo = mixA[m0] + mf*(mixA[m1]-mixA[m0])
			hi = mixB[m0] + mf*(mixB[m1]-mixB[m0])
			u := lo + fm*(hi-lo) + mixOff
			// Power sum: 20·log10(10^(v/20) + 10^(u/20)) = max + 20·log10(1 + 10^(-|v-u|/20)).
			hiV, diff := v, v-u
			if diff < 0 {
				hiV, diff = u, -diff
			}
			if x := diff * powerSumPerDB; x < powerSumSteps {
				i := int(x)
				hiV += powerSumTable[i] + (x-float32(i))*(powerSumTable[i+1]-powerSumTable[i])
			}
			out[t] = max(hiV, melFloor)
		}
	}
	return w.out
}

// powerSumTable[i] is 20·log10(1 + 10^(-d/20)) at d = i/powerSumPerDB dB, for d up to 60 dB (beyond, the
// quieter term adds less than 0.01 dB); linear interpolation in it is exact to 1e-6 dB.
const (
	powerSumPerDB = 64
	powerSumSteps = 60 * powerSumPerDB
)

var powerSumTable = func() []float32 {
	t := make([]float32, powerSumSteps+1)
	for i := range t {
		d := float64(i) / powerSumPerDB
		t[i] = float32(melDBPerDecade * math.Log10(1+math.Pow(10, -d/melDBPerDecade)))
	}
	return t
}()

func splitIndex(x float64) (int, float32) {
	i := min(int(x), melon.Bands-1)
	return i, float32(x - float64(i))
}

// float32ToFloat16 rounds to the nearest IEEE 754 half-precision value (ties to even); overflow gives ±Inf.
func float32ToFloat16(f float32) uint16 {
	bits := math.Float32bits(f)
	sign := uint16(bits>>16) & 0x8000
	exp := int((bits >> 23) & 0xff)
	mant := bits & 0x7fffff
	if exp == 0xff { // Inf or NaN
		if mant != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15
	if e >= 0x1f {
		return sign | 0x7c00
	}
	if e <= 0 { // subnormal or zero
		if e < -10 {
			return sign
		}
		mant |= 0x800000
		shift := uint32(14 - e)
		half := mant >> shift
		rem := mant & (1<<shift - 1)
		mid := uint32(1) << (shift - 1)
		if rem > mid || (rem == mid && half&1 == 1) {
			half++
		}
		return sign | uint16(half)
	}
	half := uint32(e)<<10 | mant>>13
	rem := mant & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && half&1 == 1) {
		half++ // may carry into the exponent, up to Inf: still correct
	}
	return sign | uint16(half)
}

// npyF16Header returns the .npy (format 1.0) header of a '<f2' C-order array of the given shape, padded so that
// the data starts at a multiple of 64 bytes.
func npyF16Header(rows, cols int) []byte {
	dict := fmt.Sprintf("{'descr': '<f2', 'fortran_order': False, 'shape': (%d, %d), }", rows, cols)
	pad := (64 - (10+len(dict)+1)%64) % 64
	dict += strings.Repeat(" ", pad) + "\n"
	h := make([]byte, 10, 10+len(dict))
	copy(h, "\x93NUMPY\x01\x00")
	binary.LittleEndian.PutUint16(h[8:], uint16(len(dict)))
	return append(h, dict...)
}

// npyF16Size is the size of the float16 .npy file of a melon.Bands × frames spectrogram.
func npyF16Size(frames int) int64 {
	return int64(len(npyF16Header(melon.Bands, frames)) + 2*melon.Bands*frames)
}

// encodeF16 encodes a melon.Bands × frames spectrogram as a float16 .npy file into w.file.
func (w *deriver) encodeF16(data []float32, frames int) []byte {
	if w.fileFrames != frames || w.file == nil {
		w.file = npyF16Header(melon.Bands, frames)
		w.fileFrames = frames
	}
	hlen := len(npyF16Header(melon.Bands, frames))
	w.file = w.file[:hlen]
	for _, v := range data {
		w.file = binary.LittleEndian.AppendUint16(w.file, float32ToFloat16(v))
	}
	return w.file
}

// writeRenamed writes data to a temporary file next to path and renames it over path: readers, and a resumed
// run, see the complete file or none. (No fsync per file: 100,000 of them would dominate the run; a file that
// a crash left short is rewritten, as its size is checked on resume.)
func writeRenamed(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err = f.Write(data); err == nil {
		err = f.Close()
	} else {
		_ = f.Close()
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// deriveFingerprint identifies everything a derived spectrogram depends on: the algorithm, the base dataset's
// metadata and every song's derivation.
func deriveFingerprint(b *baseSet, songs []*songRec) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n", deriveVersion, b.Dir, b.digest)
	enc := json.NewEncoder(h)
	for _, s := range songs {
		_ = enc.Encode(struct {
			ID int
			D  *derivation
		}{s.ID, s.Derive})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// prepareDeriveDir readies the output directory for the derivation with fingerprint fp: it removes what
// belongs to other songs (a rendered dataset's audio/ and src/, temporary files of an interrupted run) and,
// unless the directory's state records the same fingerprint, every spectrogram (they belong to another
// derivation or to rendered songs) before recording fp. It returns whether the complete files can be kept.
func prepareDeriveDir(out, fp string) (resume bool, err error) {
	for _, d := range []string{"src", "audio"} {
		if err := os.RemoveAll(filepath.Join(out, d)); err != nil {
			return false, err
		}
	}
	melDir := filepath.Join(out, "arena_mel")
	if tmps, _ := filepath.Glob(filepath.Join(melDir, "*", ".*.tmp-*")); len(tmps) > 0 {
		for _, p := range tmps {
			_ = os.Remove(p)
		}
	}
	statePath := filepath.Join(out, deriveStateFile)
	var state struct {
		Fingerprint string `json:"fingerprint"`
	}
	if raw, err := os.ReadFile(statePath); err == nil && json.Unmarshal(raw, &state) == nil && state.Fingerprint == fp {
		return true, nil
	}
	if err := os.RemoveAll(melDir); err != nil {
		return false, err
	}
	state.Fingerprint = fp
	raw, _ := json.Marshal(state)
	return false, corpus.WriteFileAtomic(statePath, raw)
}

// deriveAll writes every song's derived spectrogram with opt.Workers workers, streaming (one spectrogram per
// worker in memory besides the base set), each file written to a temporary name and renamed. A previous run
// with the same fingerprint is resumed: its complete files are kept.
func deriveAll(ctx context.Context, opt Options, b *baseSet, songs []*songRec, progress io.Writer, sum *Summary) error {
	t0 := time.Now()
	resume, err := prepareDeriveDir(opt.Out, deriveFingerprint(b, songs))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	var errs []error
	done, derived, reused := 0, 0, 0
	jobs := make(chan *songRec)
	var wg sync.WaitGroup
	for range opt.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &deriver{}
			for s := range jobs {
				d := s.Derive
				path := melon.MelPath(opt.Out, s.ID)
				wasReused := false
				var err error
				if info, statErr := os.Stat(path); resume && statErr == nil && info.Size() == npyF16Size(d.Frames) {
					wasReused = true
				} else {
					if err = os.MkdirAll(filepath.Dir(path), 0o755); err == nil {
						data := w.deriveMel(d, d.base, d.mix)
						err = writeRenamed(path, w.encodeF16(data, d.Frames))
					}
				}
				mu.Lock()
				if err != nil {
					errs = append(errs, fmt.Errorf("song %d: %w", s.ID, err))
					cancel()
				}
				done++
				if wasReused {
					reused++
				} else if err == nil {
					derived++
				}
				n := done
				mu.Unlock()
				if err == nil && (len(songs) <= 50 || n%max(1, len(songs)/100) == 0 || n == len(songs)) {
					el := time.Since(t0)
					eta := time.Duration(float64(el) / float64(n) * float64(len(songs)-n))
					what := fmt.Sprintf("from base %d, ×%.2f, %+d st", d.Base, d.Stretch, d.Semitones)
					if wasReused {
						what = "reused"
					}
					fmt.Fprintf(progress, "melongen: %d/%d song %d (%s %s %d bpm): %s, elapsed %s, eta %s\n", n,
						len(songs), s.ID, s.FamilyName, s.Plan.Groove, s.Tempo, what, el.Round(100*time.Millisecond),
						eta.Round(time.Second))
				}
			}
		}()
	}
feed:
	for _, s := range songs {
		select {
		case jobs <- s:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	sum.Derived, sum.Reused, sum.WithMel = derived, reused, derived+reused
	sum.RenderDuration = time.Since(t0)
	return nil
}

// usedBase returns the number of base songs some derived song uses (as base or mix).
func usedBase(songs []*songRec) int {
	used := map[int]bool{}
	for _, s := range songs {
		if s.Derive != nil {
			used[s.Derive.Base], used[s.Derive.Mix] = true, true
		}
	}
	return len(used)
}

// derivedDiskBytes estimates the disk use of n float16 spectrograms of the given frames (4 KiB blocks).
func derivedDiskBytes(n, frames int) int64 {
	size := npyF16Size(frames)
	return int64(n) * ((size + 4095) / 4096 * 4096)
}

func humanBytes(b int64) string {
	switch {
	case b >= 1e9:
		return strconv.FormatFloat(float64(b)/1e9, 'f', 1, 64) + " GB"
	case b >= 1e6:
		return strconv.FormatFloat(float64(b)/1e6, 'f', 1, 64) + " MB"
	}
	return strconv.FormatFloat(float64(b)/1e3, 'f', 1, 64) + " kB"
}
