package melongen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/musicrep/musicrep/musicrep/corpus"
	"github.com/musicrep/musicrep/musicrep/melon"
)

// MelFunc computes a song's mel-spectrogram from its 16 kHz mono WAV file: melon.Bands (48) rows × frames,
// row-major (data[b*frames+t]), in dB. It is called from several goroutines at once.
type MelFunc func(wavPath string) (data []float32, frames int, err error)

// Options configure Generate.
type Options struct {
	Out     string // output directory (created; if it exists it must be empty or a previous melongen output)
	Size    string // "tiny" (default), "medium" or "large"; see Sizes
	Seed    uint64 // everything random derives from it
	Real    string // "" or a RealSources key ("wesnoth"): add those real recordings as songs
	Workers int    // parallel renders or derivations (default 2)
	// Songs overrides the size's song count (0: the size's); its playlists, listeners and a fixed artist count
	// scale in proportion (see Size.WithSongs).
	Songs int
	// DeriveFrom is a base dataset (a tiny or medium melon-generate output with arena_mel): the songs'
	// spectrograms are then derived from its rendered songs of the same style family by mel-domain
	// transformations (see Transformations) instead of rendered, and stored as float16. Nothing is rendered and
	// no external tool is needed. Size large requires it.
	DeriveFrom string
	// Frames is the length of derived spectrograms (0: each base song's, 1,819 frames = 29.1 s for a rendered
	// base). Disk use is 128 + 96 × Frames bytes per song (see DerivedDiskUse).
	Frames int
	// Mel computes the arena_mel spectrograms. Nil: the dataset has no arena_mel directory (the README says so).
	Mel MelFunc
	// DropAudio deletes each WAV once its mel-spectrogram is written (needs Mel); by default the WAVs stay in
	// <Out>/audio/<id>.wav.
	DropAudio bool
	// MetadataOnly plans the dataset and writes the JSON files, the README and the mma sources, but renders
	// nothing (no audio, no arena_mel).
	MetadataOnly bool
	RealLimit    int     // use at most this many real recordings (0: all)
	Gain         float64 // fluidsynth gain (default 0.5)
	// TestSoundFont, when set, is the General MIDI soundfont the test songs (song_split.json) are rendered with,
	// instead of FluidR3_GM: other instrument samples, so that a model cannot recognise a style on the test songs
	// by the exact timbre of its instruments (DefaultTestSoundFont; "" renders every song with FluidR3_GM).
	// Rendered datasets only.
	TestSoundFont string
	Progress      io.Writer
}

// Size is a named dataset size.
type Size struct {
	Name             string
	Songs            int      // synthetic songs
	Genres           []string // top-level genres used (nil: all of TopGenres)
	FamiliesPerGenre int      // style families used per genre, the first ones of the table (0: all)
	Artists          int      // synthetic artists (0: one per 8 songs, at least one per genre)
	Playlists        int
	Listeners        int
	MinLen, MaxLen   int     // songs per playlist
	Seconds          float64 // planned song length before fluidsynth's release tail (≥ MinSeconds)
	// Derived sizes cannot be rendered in reasonable time: their spectrograms are derived from a rendered base
	// dataset (Options.DeriveFrom).
	Derived bool
	// Scalable selects the playlist sampler that scales to 100,000s of songs (simulatePlaylistsScalable: the
	// same model, another random stream). Sizes without it keep the exact sampler, whose cost grows with
	// playlists × songs, so that their datasets stay as they were generated before.
	Scalable bool
}

// scalableAbove is the song count above which WithSongs switches to the scalable playlist sampler.
const scalableAbove = 20000

// WithSongs returns the size with n songs: playlists, listeners and a fixed artist count scale in proportion
// (rounded, at least 1), and more than 20,000 songs select the scalable playlist sampler.
func (s Size) WithSongs(n int) Size {
	if n <= 0 || n == s.Songs {
		return s
	}
	f := float64(n) / float64(s.Songs)
	scale := func(x int) int { return max(1, int(math.Round(float64(x)*f))) }
	s.Songs, s.Playlists, s.Listeners = n, scale(s.Playlists), scale(s.Listeners)
	if s.Artists > 0 {
		s.Artists = scale(s.Artists)
	}
	if n > scalableAbove {
		s.Scalable = true
	}
	return s
}

// Sizes are the named sizes: tiny is for CI (renders in well under a minute on two cores), medium for
// benchmarks, large (derived from a rendered tiny/medium dataset, see Options.DeriveFrom) for time and memory
// scale tests: 100,000 songs and 150,000 playlists (the real Melon dataset has 148,826), the medium's 1.5
// playlists and 0.3 listeners per song.
var Sizes = map[string]Size{
	"tiny": {Name: "tiny", Songs: 30, Genres: []string{"GN0100", "GN0200", "GN0300"}, FamiliesPerGenre: 2,
		Artists: 6, Playlists: 40, Listeners: 10, MinLen: 10, MaxLen: 12, Seconds: 32},
	"medium": {Name: "medium", Songs: 2000, Playlists: 3000, Listeners: 600, MinLen: 10, MaxLen: 50, Seconds: 32},
	"large": {Name: "large", Songs: 100000, Playlists: 150000, Listeners: 30000, MinLen: 10, MaxLen: 50, Seconds: 32,
		Derived: true, Scalable: true},
}

// Summary reports what Generate wrote.
type Summary struct {
	Out                     string
	Size                    string
	Seed                    uint64
	Songs, Synthetic, Real  int
	Artists, Albums         int
	Genres, SubGenres       int // top-level genres and sub-genres that have songs
	Train, Val, Test        int // playlists
	SongTrain, SongVal      int // songs per split of song_split.json (by artist)
	SongTest                int
	Listeners               int
	Rendered, Reused        int     // songs rendered now, songs whose audio/mel from a previous run was kept
	AudioSeconds            float64 // total length of the songs rendered now
	WithMel                 int
	Derived                 int      // spectrograms derived now (Options.DeriveFrom)
	Base                    string   // the base dataset of a derivation
	BaseSongs               int      // its rendered songs that derived songs use
	DerivedFrames           int      // frames of every derived spectrogram (0 if they differ)
	LeftOutFamilies         []string // families of the size the base has no song of (left out of the plan)
	DroppedGrooves          []string // grooves that did not render on this machine
	SkippedReal             []string // real recordings left out (shorter than MinSeconds)
	Elapsed, RenderDuration time.Duration
	Tools                   Tools
}

// String summarises in a few lines.
func (s *Summary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d songs (%d synthetic, %d real), %d artists, %d albums, %d genres / %d sub-genres\n",
		s.Out, s.Songs, s.Synthetic, s.Real, s.Artists, s.Albums, s.Genres, s.SubGenres)
	fmt.Fprintf(&b, "playlists (simulated): %d train / %d val / %d test from %d listeners\n", s.Train, s.Val,
		s.Test, s.Listeners)
	fmt.Fprintf(&b, "songs split by artist (%s): %d train / %d val / %d test\n", melon.SongSplitFile, s.SongTrain,
		s.SongVal, s.SongTest)
	if s.RenderDuration == 0 {
		fmt.Fprintf(&b, "metadata only: no audio rendered; total %s", s.Elapsed.Round(time.Millisecond))
		return b.String()
	}
	if s.Base != "" {
		fmt.Fprintf(&b, "derived %d float16 spectrograms from %d rendered songs of %s in %s, reused %d, %d with "+
			"mel-spectrograms; total %s", s.Derived, s.BaseSongs, s.Base, s.RenderDuration.Round(time.Millisecond),
			s.Reused, s.WithMel, s.Elapsed.Round(time.Millisecond))
		if len(s.LeftOutFamilies) > 0 {
			fmt.Fprintf(&b, "\nfamilies left out (no base song): %s", strings.Join(s.LeftOutFamilies, ", "))
		}
		return b.String()
	}
	fmt.Fprintf(&b, "rendered %d songs (%.1f min of audio) in %s, reused %d, %d with mel-spectrograms; total %s",
		s.Rendered, s.AudioSeconds/60, s.RenderDuration.Round(time.Millisecond), s.Reused, s.WithMel,
		s.Elapsed.Round(time.Millisecond))
	return b.String()
}

const truthFile = "musicrep_gen.json"

// Generate writes a dataset in the Melon layout (see package melon) to opt.Out: synthetic songs rendered from
// mma accompaniment styles with fluidsynth, optionally real recordings, simulated playlists and, with
// opt.Mel, mel-spectrograms. It is deterministic in opt.Seed and opt.Size (given the same mma grooves render
// on the machine). With opt.DeriveFrom the spectrograms are derived from a rendered base dataset instead (see
// Options.DeriveFrom), deterministically in the seed, the size and the base.
func Generate(ctx context.Context, opt Options) (*Summary, error) {
	t0 := time.Now()
	if opt.Out == "" {
		return nil, errors.New("melongen: Options.Out (the output directory) is empty")
	}
	// mma runs in the source folder: every path handed to the tools must be absolute.
	abs, err := filepath.Abs(opt.Out)
	if err != nil {
		return nil, fmt.Errorf("melongen: output directory %s: %w", opt.Out, err)
	}
	opt.Out = abs
	if opt.Size == "" {
		opt.Size = "tiny"
	}
	size, ok := Sizes[opt.Size]
	if !ok {
		return nil, fmt.Errorf("melongen: unknown size %q (use %s)", opt.Size, strings.Join(sortedKeys(Sizes), " or "))
	}
	if opt.Songs < 0 || opt.Frames < 0 || (opt.Frames > 0 && opt.Frames < 16) {
		return nil, fmt.Errorf("melongen: Songs %d and Frames %d must be ≥ 0 (Frames 0 or ≥ 16)", opt.Songs, opt.Frames)
	}
	size = size.WithSongs(opt.Songs)
	if opt.Workers <= 0 {
		opt.Workers = 2
	}
	if opt.DeriveFrom != "" {
		return generateDerived(ctx, opt, size, t0)
	}
	if size.Derived {
		return nil, fmt.Errorf("melongen: size %s has %d songs, too many to render (~%.0f hours on 2 cores): its "+
			"spectrograms are derived from a rendered dataset; give Options.DeriveFrom (-derive-from DIR), e.g. "+
			"out/melon-medium made by `musicrep melon-generate -size medium`", size.Name, size.Songs,
			float64(size.Songs)*0.75/3600)
	}
	if opt.Frames > 0 {
		return nil, errors.New("melongen: Frames (-frames) applies to derived spectrograms only (with DeriveFrom)")
	}
	if opt.Gain <= 0 {
		opt.Gain = 0.5
	}
	if opt.DropAudio && opt.Mel == nil && !opt.MetadataOnly {
		return nil, errors.New("melongen: DropAudio (-keep-audio=false) needs a mel function: without it nothing " +
			"of the audio would remain")
	}
	progress := opt.Progress
	if progress == nil {
		progress = io.Discard
	}
	var realSrc RealSource
	if opt.Real != "" {
		if realSrc, ok = RealSources[opt.Real]; !ok {
			return nil, fmt.Errorf("melongen: unknown real source %q (known: %s)", opt.Real,
				strings.Join(sortedKeys(RealSources), ", "))
		}
	}
	tools, err := FindTools()
	if err != nil {
		return nil, err
	}
	if opt.TestSoundFont != "" && !opt.MetadataOnly {
		if _, err := os.Stat(opt.TestSoundFont); err != nil {
			return nil, fmt.Errorf("melongen: the test songs' soundfont %s: %w; install it (scripts/setup-audio.sh "+
				"installs %s) or give another (-test-soundfont FILE, or none)", opt.TestSoundFont, err,
				DefaultTestSoundFont)
		}
	}
	if err := checkOut(opt.Out); err != nil {
		return nil, err
	}
	// Work directories of interrupted runs.
	if old, _ := filepath.Glob(filepath.Join(opt.Out, ".work-*")); len(old) > 0 {
		for _, d := range old {
			_ = os.RemoveAll(d)
		}
	}
	sum := &Summary{Out: opt.Out, Size: size.Name, Seed: opt.Seed, Tools: *tools}

	// 1. The catalogue: style families of the chosen genres, with the grooves that render here.
	work, err := os.MkdirTemp(opt.Out, ".work-")
	if err != nil {
		return nil, fmt.Errorf("melongen: %w", err)
	}
	defer os.RemoveAll(work)
	fmt.Fprintf(progress, "melongen: probing mma grooves (%s)\n", tools.MMALib)
	catalog, dropped, err := buildCatalog(ctx, tools, size, work, opt.Workers)
	if err != nil {
		return nil, err
	}
	sum.DroppedGrooves = dropped

	// 2. Artists, albums, songs; simulated listeners and playlists.
	var tracks []realTrack
	var realDir string
	if opt.Real != "" {
		var skipped []string
		if tracks, skipped, realDir, err = scanReal(realSrc); err != nil {
			return nil, err
		}
		sum.SkippedReal = skipped
		if opt.RealLimit > 0 && len(tracks) > opt.RealLimit {
			tracks = tracks[:opt.RealLimit]
		}
	}
	ds, err := planDataset(opt.Seed, size, catalog, opt.Real, tracks, nil)
	if err != nil {
		return nil, err
	}
	byID, genreNames := ds.byID, ds.genreNames
	ds.songSplit.TestSoundFont = opt.TestSoundFont
	// 3. Metadata files.
	if err := writeMetadata(opt.Out, ds, sum); err != nil {
		return nil, err
	}
	// A derivation's state: rendering replaces its spectrograms.
	if err := os.Remove(filepath.Join(opt.Out, deriveStateFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}

	// 4. Audio and mel-spectrograms.
	if !opt.MetadataOnly {
		if err := renderAll(ctx, opt, tools, byID, work, progress, sum); err != nil {
			return nil, err
		}
		if err := removeStale(opt.Out, byID); err != nil {
			return nil, err
		}
	} else {
		if err := writeSources(opt, byID); err != nil {
			return nil, err
		}
		if err := removeStale(opt.Out, byID); err != nil {
			return nil, err
		}
	}
	sum.Elapsed = time.Since(t0)
	readme := datasetReadme(opt, size, sum, catalog, realSrc, realDir, genreNames)
	if err := corpus.WriteFileAtomic(filepath.Join(opt.Out, "README.md"), []byte(readme)); err != nil {
		return nil, err
	}
	return sum, nil
}

// writeMetadata writes the JSON files of a planned dataset and fills the counts of sum.
func writeMetadata(out string, ds *dataset, sum *Summary) error {
	sum.Songs, sum.Artists, sum.Albums = len(ds.byID), len(ds.truth.Artists), ds.albums
	sum.Genres, sum.SubGenres = ds.genres, ds.subGenres
	for _, s := range ds.byID {
		if s.Real != nil {
			sum.Real++
		} else {
			sum.Synthetic++
		}
	}
	splits := ds.splits
	sum.SongTrain, sum.SongVal, sum.SongTest = len(ds.songSplit.Train), len(ds.songSplit.Val), len(ds.songSplit.Test)
	sum.Train, sum.Val, sum.Test, sum.Listeners = len(splits["train"]), len(splits["val"]), len(splits["test"]),
		len(ds.truth.Listeners)
	for name, v := range map[string]any{"song_meta.json": ds.meta, "train.json": splits["train"],
		"val.json": splits["val"], "test.json": splits["test"]} {
		if err := writeRecords(filepath.Join(out, name), v); err != nil {
			return err
		}
	}
	if err := writeJSON(filepath.Join(out, "genre_gn_all.json"), ds.genreNames); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(out, melon.SongSplitFile), ds.songSplit); err != nil {
		return err
	}
	return writeJSON(filepath.Join(out, truthFile), ds.truth)
}

// generateDerived is Generate with Options.DeriveFrom: the catalogue comes from the base dataset, the songs are
// planned as usual, and their spectrograms are derived from the base's.
func generateDerived(ctx context.Context, opt Options, size Size, t0 time.Time) (*Summary, error) {
	if opt.Real != "" {
		return nil, errors.New("melongen: real recordings (-real) cannot be derived: leave out Real with DeriveFrom")
	}
	progress := opt.Progress
	if progress == nil {
		progress = io.Discard
	}
	base, err := loadBase(opt.DeriveFrom)
	if err != nil {
		return nil, err
	}
	if base.Dir == opt.Out {
		return nil, fmt.Errorf("melongen: the output directory %s is the base dataset: choose another -out", opt.Out)
	}
	catalog, leftOut, err := base.catalog(size)
	if err != nil {
		return nil, err
	}
	if err := checkOut(opt.Out); err != nil {
		return nil, err
	}
	if old, _ := filepath.Glob(filepath.Join(opt.Out, ".work-*")); len(old) > 0 {
		for _, d := range old {
			_ = os.RemoveAll(d)
		}
	}
	sum := &Summary{Out: opt.Out, Size: size.Name, Seed: opt.Seed, Base: base.Dir, LeftOutFamilies: leftOut}
	if len(leftOut) > 0 {
		fmt.Fprintf(progress, "melongen: the base has no song of %s: left out of the plan\n", strings.Join(leftOut, ", "))
	}
	// The base songs' frame counts are needed to plan the segment orders.
	if err := base.loadMels(ctx, opt.Workers, progress); err != nil {
		return nil, err
	}
	tPlan := time.Now()
	ds, err := planDataset(opt.Seed, size, catalog, "", nil, func(songs []*songRec) error {
		return planDerivations(opt.Seed, songs, base, opt.Frames)
	})
	if err != nil {
		return nil, err
	}
	sum.BaseSongs = usedBase(ds.byID)
	for i, s := range ds.byID {
		if i == 0 {
			sum.DerivedFrames = s.Derive.Frames
		} else if s.Derive.Frames != sum.DerivedFrames {
			sum.DerivedFrames = 0
			break
		}
	}
	ds.truth.Derivation = &derivationInfo{Note: derivedNote(len(ds.byID), sum.BaseSongs, base.Dir), Base: base.Dir,
		BaseSize: base.Size, BaseSeed: base.Seed, BaseSongs: sum.BaseSongs, Transformations: Transformations,
		DType: "float16", Frames: opt.Frames, LeftOut: leftOut, Version: deriveVersion}
	if err := writeMetadata(opt.Out, ds, sum); err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "melongen: planned %d songs, %d playlists from %d listeners in %s\n", sum.Songs,
		sum.Train+sum.Val+sum.Test, sum.Listeners, time.Since(tPlan).Round(time.Millisecond))
	if opt.MetadataOnly {
		if _, err := prepareDeriveDir(opt.Out, deriveFingerprint(base, ds.byID)); err != nil {
			return nil, err
		}
	} else if err := deriveAll(ctx, opt, base, ds.byID, progress, sum); err != nil {
		return nil, err
	}
	if err := removeStale(opt.Out, ds.byID); err != nil {
		return nil, err
	}
	sum.Elapsed = time.Since(t0)
	readme := datasetReadme(opt, size, sum, catalog, RealSource{}, "", ds.genreNames)
	if err := corpus.WriteFileAtomic(filepath.Join(opt.Out, "README.md"), []byte(readme)); err != nil {
		return nil, err
	}
	return sum, nil
}

// checkOut makes sure the output directory is new, empty, or a previous melongen output.
func checkOut(out string) error {
	entries, err := os.ReadDir(out)
	if errors.Is(err, os.ErrNotExist) {
		return os.MkdirAll(out, 0o755)
	}
	if err != nil {
		return fmt.Errorf("melongen: %w", err)
	}
	if len(entries) == 0 {
		return nil
	}
	if _, err := os.Stat(filepath.Join(out, truthFile)); err != nil {
		return fmt.Errorf("melongen: %s is not empty and holds no %s (not a melongen dataset): choose a new "+
			"output directory", out, truthFile)
	}
	return nil
}

func catalogOf(catalog []catalogFamily, top string) []catalogFamily {
	var out []catalogFamily
	for _, f := range catalog {
		if f.Top() == top {
			out = append(out, f)
		}
	}
	return out
}

// buildCatalog reads the grooves of the families the size uses and keeps those that render.
func buildCatalog(ctx context.Context, tools *Tools, size Size, work string, workers int) ([]catalogFamily, []string,
	error) {
	fams := sizeFamilies(size)
	out := make([]catalogFamily, len(fams))
	droppedBy := make([][]string, len(fams))
	errs := make([]error, len(fams))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dir := filepath.Join(work, "probe"+strconv.Itoa(w))
			if err := os.MkdirAll(dir, 0o755); err != nil {
				for i := range jobs {
					errs[i] = err
				}
				return
			}
			for i := range jobs {
				f := fams[i]
				grooves, err := readGrooves(tools.MMALib, f)
				if err != nil {
					droppedBy[i] = []string{f.File + " (" + err.Error() + ")"}
					continue
				}
				if len(grooves) == 0 {
					droppedBy[i] = []string{f.File + " (no song grooves in the file)"}
					continue
				}
				ok, err := tools.probeFamily(ctx, dir, grooves)
				if err != nil {
					errs[i] = err
					continue
				}
				good := map[string]bool{}
				for _, g := range ok {
					good[g.Name] = true
				}
				for _, g := range grooves {
					if !good[g.Name] {
						droppedBy[i] = append(droppedBy[i], g.Name)
					}
				}
				out[i] = catalogFamily{Family: f, Grooves: ok}
			}
		}()
	}
	for i := range fams {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	var catalog []catalogFamily
	var dropped []string
	for i, f := range out {
		dropped = append(dropped, droppedBy[i]...)
		if len(f.Grooves) > 0 {
			catalog = append(catalog, f)
		}
	}
	for _, g := range size.Genres {
		if len(catalogOf(catalog, g)) == 0 {
			return nil, nil, fmt.Errorf("melongen: no groove of genre %s renders with %s (dropped: %s)", g,
				tools.MMA, strings.Join(dropped, ", "))
		}
	}
	if len(catalog) == 0 {
		return nil, nil, fmt.Errorf("melongen: no mma groove renders (dropped: %s)", strings.Join(dropped, ", "))
	}
	return catalog, dropped, nil
}

// writeRecords writes a JSON array with one record per line (Melon's files are JSON arrays of records).
func writeRecords(path string, v any) error {
	raw, err := marshal(v, "")
	if err != nil {
		return err
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return err
	}
	var b bytes.Buffer
	b.WriteString("[")
	for i, it := range items {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n")
		b.Write(it)
	}
	b.WriteString("\n]\n")
	return corpus.WriteFileAtomic(path, b.Bytes())
}

func writeJSON(path string, v any) error {
	raw, err := marshal(v, " ")
	if err != nil {
		return err
	}
	return corpus.WriteFileAtomic(path, raw)
}

// marshal encodes JSON without escaping &, < and > (names such as "R&B" stay readable).
func marshal(v any, indent string) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", indent)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Paths of a song's files.
func srcPath(out string, s *songRec) string {
	ext := ".mma"
	if s.Real != nil {
		ext = ".txt"
	}
	return filepath.Join(out, "src", strconv.Itoa(s.ID)+ext)
}

// AudioPath is where the dataset keeps a song's 16 kHz mono WAV.
func AudioPath(out string, id int) string {
	return filepath.Join(out, "audio", strconv.Itoa(id)+".wav")
}

// recipe is the text that determines a song's audio: its mma source, or the real file it is decoded from.
func recipe(s *songRec, seed uint64) string {
	if s.Real != nil {
		return fmt.Sprintf("decoded from %s (%d bytes), mixed to mono, resampled to %d Hz\n", s.Real.Path, s.Real.Size,
			SampleRate)
	}
	return s.Plan.mmaText(fmt.Sprintf("musicrep/melongen song %d (seed %d): %s, %s, %d bpm, %s", s.ID, seed,
		s.FamilyName, s.Plan.Groove, s.Plan.Tempo, s.Plan.KeyName()))
}

// DefaultTestSoundFont is the soundfont `musicrep melon-generate` renders test songs with by default (Debian's
// timgm6mb-soundfont: the TimGM6mb General MIDI set from MuseScore 1.3, other samples than FluidR3_GM).
const DefaultTestSoundFont = "/usr/share/sounds/sf2/TimGM6mb.sf2"

// soundFontOf is the soundfont a synthetic song is rendered with.
func soundFontOf(opt Options, tools *Tools, s *songRec) string {
	if s.Split == "test" && opt.TestSoundFont != "" {
		return opt.TestSoundFont
	}
	return tools.SoundFont
}

// songRecipe is recipe plus, for songs rendered with Options.TestSoundFont, an mma comment naming it (so that a
// run with another test soundfont renders those songs again).
func songRecipe(opt Options, s *songRec) string {
	rec := recipe(s, opt.Seed)
	if s.Plan != nil && s.Split == "test" && opt.TestSoundFont != "" {
		rec += "// rendered with the soundfont " + filepath.Base(opt.TestSoundFont) + "\n"
	}
	return rec
}

// renderAll renders every song (reusing a previous run's output when its recipe is unchanged) and computes
// the mel-spectrograms, with opt.Workers workers.
func renderAll(ctx context.Context, opt Options, tools *Tools, songs []*songRec, work string, progress io.Writer,
	sum *Summary) error {
	for _, d := range []string{"src", "audio"} {
		if err := os.MkdirAll(filepath.Join(opt.Out, d), 0o755); err != nil {
			return err
		}
	}
	t0 := time.Now()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		seconds float64
		reused  bool
		mel     bool
		err     error
	}
	results := make([]result, len(songs))
	jobs := make(chan int)
	var mu sync.Mutex
	done := 0
	var wg sync.WaitGroup
	for w := range opt.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dir := filepath.Join(work, "w"+strconv.Itoa(w))
			_ = os.MkdirAll(dir, 0o755)
			for i := range jobs {
				s := songs[i]
				r := result{}
				r.seconds, r.reused, r.mel, r.err = renderOne(ctx, opt, tools, s, dir)
				if r.err != nil {
					r.err = fmt.Errorf("song %d: %w", s.ID, r.err)
					cancel()
				}
				results[i] = r
				mu.Lock()
				done++
				n := done
				mu.Unlock()
				if r.err == nil && (len(songs) <= 50 || n%max(1, len(songs)/100) == 0 || n == len(songs)) {
					el := time.Since(t0)
					eta := time.Duration(float64(el) / float64(n) * float64(len(songs)-n))
					what := "reused"
					if !r.reused {
						what = fmt.Sprintf("%.1f s", r.seconds)
					}
					desc := ""
					if s.Plan != nil {
						desc = fmt.Sprintf("%s %d bpm %s", s.Plan.Groove, s.Plan.Tempo, s.Plan.KeyName())
					} else {
						desc = filepath.Base(s.Real.Path)
					}
					fmt.Fprintf(progress, "melongen: %d/%d song %d (%s): %s, elapsed %s, eta %s\n", n, len(songs),
						s.ID, desc, what, el.Round(100*time.Millisecond), eta.Round(time.Second))
				}
			}
		}()
	}
feed:
	for i := range songs {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	var errs []error
	for _, r := range results {
		if r.err != nil && !errors.Is(r.err, context.Canceled) {
			errs = append(errs, r.err)
		}
		if r.reused {
			sum.Reused++
		} else if r.err == nil {
			sum.Rendered++
			sum.AudioSeconds += r.seconds
		}
		if r.mel {
			sum.WithMel++
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	sum.RenderDuration = time.Since(t0)
	return nil
}

// renderOne renders one song to <out>/audio/<id>.wav, computes its mel-spectrogram and records its recipe.
func renderOne(ctx context.Context, opt Options, tools *Tools, s *songRec, dir string) (seconds float64,
	reused, mel bool, err error) {
	rec := songRecipe(opt, s)
	src := srcPath(opt.Out, s)
	wav := AudioPath(opt.Out, s.ID)
	melPath := melon.MelPath(opt.Out, s.ID)
	if old, err := os.ReadFile(src); err == nil && string(old) == rec {
		_, wavErr := os.Stat(wav)
		_, melErr := os.Stat(melPath)
		if (opt.DropAudio || wavErr == nil) && (opt.Mel == nil || melErr == nil) {
			return 0, true, opt.Mel != nil, nil
		}
	}
	_ = os.Remove(src) // the recipe is written last: a missing or stale one means "render again"
	if s.Plan != nil {
		tmpSrc := filepath.Join(dir, strconv.Itoa(s.ID)+".mma")
		if err := os.WriteFile(tmpSrc, []byte(rec), 0o644); err != nil {
			return 0, false, false, err
		}
		mid := filepath.Join(dir, strconv.Itoa(s.ID)+".mid")
		if seconds, err = tools.renderSong(ctx, tmpSrc, mid, wav, opt.Gain, soundFontOf(opt, tools, s)); err != nil {
			return 0, false, false, err
		}
		if err := os.Rename(mid, strings.TrimSuffix(src, ".mma")+".mid"); err != nil {
			return 0, false, false, err
		}
		_ = os.Remove(tmpSrc)
	} else if seconds, err = decodeReal(ctx, s.Real.Path, wav); err != nil {
		return 0, false, false, err
	}
	if opt.Mel != nil {
		data, frames, err := opt.Mel(wav)
		if err != nil {
			return 0, false, false, fmt.Errorf("mel-spectrogram of %s: %w", wav, err)
		}
		if frames <= 0 || len(data) != melon.Bands*frames {
			return 0, false, false, fmt.Errorf("mel-spectrogram of %s: %d values for %d frames, want %d bands × "+
				"frames", wav, len(data), frames, melon.Bands)
		}
		if err := os.MkdirAll(filepath.Dir(melPath), 0o755); err != nil {
			return 0, false, false, err
		}
		if err := corpus.WriteNPY(melPath, data, melon.Bands, frames); err != nil {
			return 0, false, false, err
		}
		mel = true
		if opt.DropAudio {
			if err := os.Remove(wav); err != nil {
				return 0, false, false, err
			}
		}
	} else if err := os.Remove(melPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return 0, false, false, err
	}
	if err := corpus.WriteFileAtomic(src, []byte(rec)); err != nil {
		return 0, false, false, err
	}
	return seconds, false, mel, nil
}

// removeStale deletes audio, sources and mel-spectrograms of songs a previous run into the same directory
// had and this one does not.
func removeStale(out string, songs []*songRec) error {
	keep := map[int]bool{}
	for _, s := range songs {
		keep[s.ID] = true
	}
	for _, d := range []string{"audio", "src", "arena_mel"} {
		err := filepath.WalkDir(filepath.Join(out, d), func(path string, e os.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, os.ErrNotExist) {
					return nil
				}
				return err
			}
			if e.IsDir() {
				return nil
			}
			base := e.Name()
			id, convErr := strconv.Atoi(strings.SplitN(base, ".", 2)[0])
			if convErr == nil && !keep[id] {
				return os.Remove(path)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// writeSources writes the songs' recipes without rendering (Options.MetadataOnly). Audio and mel files of a
// song whose recipe changed are removed: they belong to another song now.
func writeSources(opt Options, songs []*songRec) error {
	if err := os.MkdirAll(filepath.Join(opt.Out, "src"), 0o755); err != nil {
		return err
	}
	for _, s := range songs {
		rec := songRecipe(opt, s)
		src := srcPath(opt.Out, s)
		if old, err := os.ReadFile(src); err == nil && string(old) == rec {
			continue
		}
		for _, p := range []string{AudioPath(opt.Out, s.ID), melon.MelPath(opt.Out, s.ID),
			strings.TrimSuffix(src, ".mma") + ".mid"} {
			if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
		if err := corpus.WriteFileAtomic(src, []byte(rec)); err != nil {
			return err
		}
	}
	return nil
}
