// Package library scans a folder of the user's own music into a musicrep library: the tracks' embedded tags,
// musicnn embeddings and tag probabilities, raw mel statistics and MiniLM embeddings of the metadata, written in
// the seed's feature format; and answers questions about it (top tags, similar tracks, free-text search,
// leave-one-out evaluation by album, artist, genre or folder, with chance and raw mel-statistics baselines, 95 %
// bootstrap intervals over the queries and paired differences: Evaluate, rendered by EvalReport.WriteText and
// EvalReport.Markdown).
//
// ScanOptions.MaxFiles, Balance and MaxSeconds make small runs (a subset of the files, the first seconds of
// each); notebook 09-your-library and `musicrep library scan|tags|similar|search|eval` drive this package.
//
// Layout of a library folder LIB:
//
//	LIB/tracks.json            the tracks, sorted by path: id, path (relative to the scanned folder), folder (its
//	                           first directory), title, artist, album, genre, date, duration (s), format, sha256
//	LIB/scan-errors.json       the files that could not be read, each with the reason (never fatal to a scan)
//	LIB/scan.json              how the library was made: the folder, the files found, the subset options
//	LIB/features/SET.json      per-track features in the seed's JSON format ({"id": [floats]}), and SET.npy with
//	LIB/features/SET.npy       SET.ids.json; SET is one of FeatureSets
//	LIB/cache/SHA256.json      one file's results, keyed by the content hash: a re-scan reuses them
//	LIB/cache/SHA256.first30s.json  the same for the first 30 s only (scan -max-seconds 30)
package library

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/dhowden/tag"
	"github.com/gomlx/compute"

	"github.com/musicrep/musicrep/musicrep/corpus"
	"github.com/musicrep/musicrep/musicrep/musicnn"
	"github.com/musicrep/musicrep/musicrep/textenc"
)

// Files and folders of a library.
const (
	TracksFile  = "tracks.json"
	ErrorsFile  = "scan-errors.json"
	InfoFile    = "scan.json"
	FeaturesDir = "features"
	CacheDir    = "cache"
	// cacheVersion changes when the cached results would differ (front-end, models, feature sets, decoders).
	// 2: Ogg streams with audio packets on the last header page no longer decode 128 samples late (audio).
	cacheVersion = 2
)

// Feature sets a scan writes.
const (
	// SetMusicnn is MSD_musicnn's penultimate features (200-d), the mean over the track's 3 s patches.
	SetMusicnn = "musicnn"
	// SetMusicnnMTT is MTT_musicnn's penultimate features (200-d), the mean over patches.
	SetMusicnnMTT = "musicnn-mtt"
	// SetMusicnnTags is the track's tag probabilities: MSD_musicnn's 50 then MTT_musicnn's 50, each the mean of
	// the taggram over patches (TagNames gives the 100 names).
	SetMusicnnTags = "musicnn-tags"
	// SetMelStats is the trivial baseline: the per-band mean and standard deviation of musicnn's log-mel input
	// over the whole track (192-d).
	SetMelStats = "mel-stats"
	// SetText is all-MiniLM-L6-v2 of the metadata text (MetadataText), 384-d; only when the model is installed.
	// It is built from the tags, so it knows album, artist and genre: evaluation marks it as leaking them.
	SetText = "text"
)

// FeatureSets lists the sets in report order.
var FeatureSets = []string{SetMusicnn, SetMusicnnMTT, SetMusicnnTags, SetMelStats, SetText}

// TagNames returns the names of the dimensions of SetMusicnnTags: "msd:NAME" for the 50 MSD tags then
// "mtt:NAME" for the 50 MagnaTagATune tags.
func TagNames() []string {
	var out []string
	for _, l := range musicnn.MSDLabels {
		out = append(out, "msd:"+l)
	}
	for _, l := range musicnn.MTTLabels {
		out = append(out, "mtt:"+l)
	}
	return out
}

// AudioExtensions are the file name extensions a scan reads (lower case).
var AudioExtensions = []string{".wav", ".wave", ".ogg", ".oga", ".opus", ".flac", ".mp3"}

// Track is one entry of tracks.json.
type Track struct {
	ID       string  `json:"id"`
	Path     string  `json:"path"`
	Folder   string  `json:"folder"`
	Title    string  `json:"title,omitempty"`
	Artist   string  `json:"artist,omitempty"`
	Album    string  `json:"album,omitempty"`
	Genre    string  `json:"genre,omitempty"`
	Date     string  `json:"date,omitempty"`
	Duration float64 `json:"duration"`
	// ExcerptSeconds is set when the features come from the first ExcerptSeconds seconds of the file only
	// (scan -max-seconds); Duration is still the whole file's.
	ExcerptSeconds float64  `json:"excerpt_seconds,omitempty"`
	Format         string   `json:"format"`
	SHA256         string   `json:"sha256"`
	Patches        int      `json:"patches"`
	Padded         bool     `json:"padded,omitempty"`     // shorter than 3 s: repeat-padded into one patch
	TagsNote       string   `json:"tags_note,omitempty"`  // why no embedded tags were read (none, or unreadable)
	Duplicates     []string `json:"duplicates,omitempty"` // other paths with the same content
}

// Label returns the track's value of a label field: album, artist, genre, folder or title.
func (t *Track) Label(field string) (string, error) {
	switch field {
	case "album":
		return t.Album, nil
	case "artist":
		return t.Artist, nil
	case "genre":
		return t.Genre, nil
	case "folder":
		return t.Folder, nil
	case "title":
		return t.Title, nil
	}
	return "", fmt.Errorf("unknown label %q (use album, artist, genre or folder)", field)
}

// MetadataText is the text MiniLM embeds for a track: its title, artist, album, genre and date joined by
// " — "; the file name when it has no tags.
func MetadataText(t *Track) string {
	var parts []string
	for _, s := range []string{t.Title, t.Artist, t.Album, t.Genre, t.Date} {
		if s = strings.TrimSpace(s); s != "" {
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		base := filepath.Base(filepath.FromSlash(t.Path))
		return strings.TrimSuffix(base, filepath.Ext(base))
	}
	return strings.Join(parts, " — ")
}

// ScanError is one entry of scan-errors.json.
type ScanError struct {
	Path  string `json:"path"`
	Error string `json:"error"`
}

// TextEncoder embeds texts (all-MiniLM-L6-v2 from package textenc satisfies it).
type TextEncoder interface {
	Encode(texts []string, progress func(done, total int)) ([][]float32, error)
}

// ScanOptions configure Scan.
type ScanOptions struct {
	Dir, Out string
	// MSD and MTT are MSD_musicnn and MTT_musicnn (required).
	MSD, MTT *musicnn.Model
	// Text embeds the metadata (optional: without it no SetText is written).
	Text TextEncoder
	// Workers decode and analyse files in parallel (0: the number of CPUs).
	Workers int
	// Progress is called after each file (from one goroutine at a time).
	Progress func(p Progress)
	// MaxFiles > 0 scans only that many of the audio files found (a small run): the first MaxFiles in path
	// order, or, with Balance, a subset chosen by SelectBalanced.
	MaxFiles int
	// Balance names a label (album, artist, genre, folder) for MaxFiles: pick the files so that as many values
	// of the label as possible have two tracks, so that leave-one-out evaluation by that label has queries.
	Balance string
	// MaxSeconds > 0 analyses only the first MaxSeconds seconds of each file: the tracks are marked with
	// ExcerptSeconds, and their cache entries are kept apart from whole-file ones (a later scan without the
	// limit analyses the whole files again).
	MaxSeconds float64
}

// ScanInfo is LIB/scan.json: how the library was made.
type ScanInfo struct {
	Source     string  `json:"source"`   // the scanned folder (absolute)
	Found      int     `json:"found"`    // audio files found there
	Selected   int     `json:"selected"` // of which scanned (all unless MaxFiles)
	MaxFiles   int     `json:"max_files,omitempty"`
	Balance    string  `json:"balance,omitempty"`
	MaxSeconds float64 `json:"max_seconds,omitempty"`
}

// Describe says in one sentence what the library holds (for reports).
func (i *ScanInfo) Describe() string {
	s := fmt.Sprintf("%s (%d audio files", i.Source, i.Found)
	if i.Selected < i.Found {
		how := "the first in path order"
		if i.Balance != "" {
			how = "chosen for two tracks per " + i.Balance
		}
		s = fmt.Sprintf("%d of the %d audio files of %s (%s", i.Selected, i.Found, i.Source, how)
	}
	if i.MaxSeconds > 0 {
		s += fmt.Sprintf("; features from the first %g s of each file only", i.MaxSeconds)
	}
	return s + ")"
}

// Progress reports a scan's advance.
type Progress struct {
	Done, Total    int
	Path           string
	Cached, Failed bool
	AudioSeconds   float64 // analysed so far in this run (cached files not counted)
	Elapsed        time.Duration
}

// ScanReport summarises a scan.
type ScanReport struct {
	Tracks, Analysed, Cached, Failed, Duplicates int
	AudioSeconds                                 float64 // audio analysed in this run
	Elapsed                                      time.Duration
	Sets                                         []string
	// Found is the number of audio files found, of which Selected were scanned (Found unless MaxFiles).
	Found, Selected int
	// Interrupted is true when the context stopped the scan: the library holds the files done so far, and
	// Remaining files were not analysed.
	Interrupted bool
	Remaining   int
}

// cacheEntry is LIB/cache/SHA256.json.
type cacheEntry struct {
	Version    int                  `json:"version"`
	MaxSeconds float64              `json:"max_seconds,omitempty"` // the excerpt limit the entry was made with
	Track      Track                `json:"track"`
	Text       string               `json:"text,omitempty"` // the metadata text SetText embeds
	Features   map[string][]float32 `json:"features"`
}

type job struct {
	abs, rel string
}

type result struct {
	job
	entry  *cacheEntry
	cached bool
	err    error
}

// Scan walks opt.Dir for audio files and writes the library to opt.Out. Files already analysed (same content
// hash, in Out/cache) are not analysed again; files that fail are listed in scan-errors.json and the scan goes
// on. Symbolic links to files are followed, links to folders are not (no loops). When the context is cancelled
// the scan stops within a block of audio and writes the library of the files done so far (rep.Interrupted,
// rep.Remaining); running it again resumes.
func Scan(ctx context.Context, opt ScanOptions) (*ScanReport, error) {
	start := time.Now()
	if opt.MSD == nil || opt.MTT == nil {
		return nil, errors.New("library: Scan needs the MSD_musicnn and MTT_musicnn models")
	}
	info, err := os.Stat(opt.Dir)
	if err != nil {
		return nil, fmt.Errorf("library: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("library: %s is not a folder", opt.Dir)
	}
	if err := os.MkdirAll(filepath.Join(opt.Out, CacheDir), 0o755); err != nil {
		return nil, fmt.Errorf("library: %w", err)
	}
	if opt.MaxFiles < 0 || opt.MaxSeconds < 0 || math.IsNaN(opt.MaxSeconds) {
		return nil, fmt.Errorf("library: MaxFiles %d, MaxSeconds %g: must not be negative", opt.MaxFiles, opt.MaxSeconds)
	}
	if opt.Balance != "" {
		if _, err := (&Track{}).Label(opt.Balance); err != nil {
			return nil, fmt.Errorf("library: balance: %w", err)
		}
	}
	jobs, scanErrs := walk(opt.Dir, opt.Out)
	found := len(jobs)
	if opt.MaxFiles > 0 && opt.MaxFiles < len(jobs) {
		if opt.Balance == "" {
			jobs = jobs[:opt.MaxFiles]
		} else {
			labels := make([]string, len(jobs))
			for i, j := range jobs {
				var t Track
				readTags(j.abs, &t)
				labels[i], _ = t.Label(opt.Balance)
			}
			var picked []job
			for _, i := range SelectBalanced(labels, opt.MaxFiles) {
				picked = append(picked, jobs[i])
			}
			jobs = picked
		}
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	in := make(chan job)
	out := make(chan result)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range in {
				r := result{job: j}
				r.entry, r.cached, r.err = analyse(ctx, j, opt)
				out <- r
			}
		}()
	}
	go func() {
		defer close(in)
		for _, j := range jobs {
			select {
			case in <- j:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(out) }()

	rep := &ScanReport{Found: found, Selected: len(jobs)}
	var results []result
	done := 0
	for r := range out {
		done++
		switch {
		case r.err != nil && ctx.Err() != nil:
			continue // interrupted: neither done nor failed
		case r.err != nil:
			rep.Failed++
			scanErrs = append(scanErrs, ScanError{Path: r.rel, Error: r.err.Error()})
		case r.cached:
			rep.Cached++
			results = append(results, r)
		default:
			rep.Analysed++
			rep.AudioSeconds += r.entry.Track.analysedSeconds()
			results = append(results, r)
		}
		if opt.Progress != nil {
			opt.Progress(Progress{Done: done, Total: len(jobs), Path: r.rel, Cached: r.cached, Failed: r.err != nil,
				AudioSeconds: rep.AudioSeconds, Elapsed: time.Since(start)})
		}
	}
	rep.Interrupted = ctx.Err() != nil
	rep.Remaining = len(jobs) - rep.Analysed - rep.Cached - rep.Failed
	if err := write(opt.Out, results, scanErrs, rep); err != nil {
		return nil, err
	}
	src, err := filepath.Abs(opt.Dir)
	if err != nil {
		src = opt.Dir
	}
	si := ScanInfo{Source: src, Found: found, Selected: len(jobs), MaxFiles: opt.MaxFiles, Balance: opt.Balance,
		MaxSeconds: opt.MaxSeconds}
	if opt.MaxFiles == 0 {
		si.Balance = ""
	}
	if err := writeJSON(filepath.Join(opt.Out, InfoFile), si); err != nil {
		return nil, err
	}
	rep.Elapsed = time.Since(start)
	return rep, nil
}

// walk lists the audio files under dir (sorted), and the entries it could not read. The output folder is
// skipped when it lies inside dir.
func walk(dir, out string) ([]job, []ScanError) {
	var jobs []job
	var errs []ScanError
	absOut, _ := filepath.Abs(out)
	rel := func(p string) string {
		r, err := filepath.Rel(dir, p)
		if err != nil {
			return p
		}
		return filepath.ToSlash(r)
	}
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			errs = append(errs, ScanError{Path: rel(p), Error: err.Error()})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if a, _ := filepath.Abs(p); a == absOut && p != dir {
				return fs.SkipDir
			}
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			info, err := os.Stat(p)
			switch {
			case err != nil && isAudioName(p):
				errs = append(errs, ScanError{Path: rel(p), Error: "broken symbolic link: " + err.Error()})
				return nil
			case err == nil && info.IsDir():
				errs = append(errs, ScanError{Path: rel(p), Error: "symbolic link to a folder: not followed " +
					"(it could loop); scan its target instead"})
				return nil
			}
		}
		if !isAudioName(p) {
			return nil
		}
		if d.Type()&fs.ModeSymlink == 0 && !d.Type().IsRegular() {
			errs = append(errs, ScanError{Path: rel(p), Error: "not a regular file"})
			return nil
		}
		jobs = append(jobs, job{abs: p, rel: rel(p)})
		return nil
	})
	sort.Slice(jobs, func(a, b int) bool { return jobs[a].rel < jobs[b].rel })
	return jobs, errs
}

func isAudioName(p string) bool {
	ext := strings.ToLower(filepath.Ext(p))
	for _, e := range AudioExtensions {
		if ext == e {
			return true
		}
	}
	return false
}

// hashFile returns the SHA-256 of a file's content.
func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// analyse returns a file's cache entry, from the cache when its content was analysed before.
func analyse(ctx context.Context, j job, opt ScanOptions) (e *cacheEntry, cached bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: %v", r)
		}
	}()
	sum, err := hashFile(j.abs)
	if err != nil {
		return nil, false, err
	}
	name := sum + ".json"
	if opt.MaxSeconds > 0 {
		name = fmt.Sprintf("%s.first%gs.json", sum, opt.MaxSeconds)
	}
	cachePath := filepath.Join(opt.Out, CacheDir, name)
	if b, err := os.ReadFile(cachePath); err == nil {
		var c cacheEntry
		if json.Unmarshal(b, &c) == nil && c.Version == cacheVersion && c.MaxSeconds == opt.MaxSeconds &&
			(opt.Text == nil || c.Text == "" ||
				c.Features[SetText] != nil) {
			return &c, true, nil
		}
	}
	t := Track{ID: sum[:12], SHA256: sum}
	t.Path = j.rel // for the error messages and MetadataText; the final path is set when writing
	readTags(j.abs, &t)
	tr, err := musicnn.AnalyzeExcerpt(ctx, j.abs, []*musicnn.Model{opt.MSD, opt.MTT}, opt.MaxSeconds)
	if err != nil {
		return nil, false, err
	}
	t.Duration, t.Patches, t.Padded = tr.FileSeconds, tr.Patches, tr.Padded
	if tr.Excerpt {
		t.ExcerptSeconds = tr.Seconds
	}
	t.Format = strings.TrimPrefix(strings.ToLower(filepath.Ext(j.abs)), ".")
	msd, mtt := tr.Results[0], tr.Results[1]
	e = &cacheEntry{Version: cacheVersion, MaxSeconds: opt.MaxSeconds, Track: t, Features: map[string][]float32{
		SetMusicnn:     msd.Embedding,
		SetMusicnnMTT:  mtt.Embedding,
		SetMusicnnTags: append(append([]float32{}, msd.MeanTags...), mtt.MeanTags...),
		SetMelStats:    tr.MelStats,
	}}
	if opt.Text != nil {
		e.Text = MetadataText(&t)
		v, err := opt.Text.Encode([]string{e.Text}, nil)
		if err != nil {
			return nil, false, fmt.Errorf("embedding the metadata text: %w", err)
		}
		e.Features[SetText] = v[0]
	}
	b, err := json.Marshal(e)
	if err != nil {
		return nil, false, err
	}
	if err := corpus.WriteFileAtomic(cachePath, b); err != nil {
		return nil, false, err
	}
	return e, false, nil
}

// analysedSeconds is the length of audio the track's features come from.
func (t *Track) analysedSeconds() float64 {
	if t.ExcerptSeconds > 0 {
		return t.ExcerptSeconds
	}
	return t.Duration
}

// SelectBalanced picks n of the files whose labels are given (in path order), so that as many labels as
// possible have two files: labels with at least two files, the most files first (ties by name), give their
// first two files in turn until n are picked; if fewer than n are picked that way, the remaining files follow in
// path order. Files without a label ("") count as labels of their own. It returns the picked positions, sorted.
func SelectBalanced(labels []string, n int) []int {
	if n >= len(labels) {
		out := make([]int, len(labels))
		for i := range out {
			out[i] = i
		}
		return out
	}
	byLabel := map[string][]int{}
	var names []string
	for i, l := range labels {
		if l == "" {
			continue
		}
		if byLabel[l] == nil {
			names = append(names, l)
		}
		byLabel[l] = append(byLabel[l], i)
	}
	sort.Slice(names, func(a, b int) bool {
		if na, nb := len(byLabel[names[a]]), len(byLabel[names[b]]); na != nb {
			return na > nb
		}
		return names[a] < names[b]
	})
	picked := map[int]bool{}
	for _, l := range names {
		if len(byLabel[l]) < 2 || len(picked)+2 > n {
			continue
		}
		picked[byLabel[l][0]], picked[byLabel[l][1]] = true, true
	}
	for i := 0; i < len(labels) && len(picked) < n; i++ {
		picked[i] = true
	}
	out := make([]int, 0, n)
	for i := range picked {
		out = append(out, i)
	}
	sort.Ints(out)
	return out
}

// readTags fills the track's tags from the file's embedded metadata (Vorbis comments, Opus tags, FLAC, ID3v2,
// ID3v1, MP4). Missing or unreadable tags are noted, never an error: the audio may still be fine.
func readTags(path string, t *Track) {
	f, err := os.Open(path)
	if err != nil {
		t.TagsNote = err.Error()
		return
	}
	defer f.Close()
	defer func() { // the tag reader must not take a scan down on a malformed file
		if r := recover(); r != nil {
			t.TagsNote = fmt.Sprintf("unreadable tags: %v", r)
		}
	}()
	m, err := tag.ReadFrom(f)
	if err != nil {
		if errors.Is(err, tag.ErrNoTagsFound) {
			t.TagsNote = "no embedded tags"
		} else {
			t.TagsNote = "unreadable tags: " + err.Error()
		}
		return
	}
	clean := func(s string) string {
		s = strings.Trim(s, "\x00")
		if !utf8.ValidString(s) { // ID3v1 (and some ID3v2 writers) store Latin-1 bytes: decode them as such
			r := make([]rune, len(s))
			for i := range len(s) {
				r[i] = rune(s[i])
			}
			s = string(r)
		}
		return strings.TrimSpace(s)
	}
	t.Title, t.Artist, t.Album, t.Genre = clean(m.Title()), clean(m.Artist()), clean(m.Album()), clean(m.Genre())
	if y := m.Year(); y > 0 {
		t.Date = fmt.Sprint(y)
	}
	if raw := m.Raw(); raw != nil { // Vorbis comments keep the full DATE
		for _, k := range []string{"date", "DATE"} {
			if v, ok := raw[k].(string); ok && clean(v) != "" {
				t.Date = clean(v)
			}
		}
	}
}

// write assembles tracks.json, the feature files and scan-errors.json from the results.
func write(out string, results []result, scanErrs []ScanError, rep *ScanReport) error {
	sort.Slice(results, func(a, b int) bool { return results[a].rel < results[b].rel })
	var tracks []Track
	bySum := map[string]int{}
	sets := map[string][]float32{}
	dims := map[string]int{}
	var ids []string
	for _, r := range results {
		t := r.entry.Track
		if i, dup := bySum[t.SHA256]; dup {
			tracks[i].Duplicates = append(tracks[i].Duplicates, r.rel)
			rep.Duplicates++
			continue
		}
		t.Path = r.rel
		t.Folder = ""
		if i := strings.Index(r.rel, "/"); i >= 0 {
			t.Folder = r.rel[:i]
		}
		t.Duplicates = nil
		bySum[t.SHA256] = len(tracks)
		tracks = append(tracks, t)
		ids = append(ids, t.ID)
		for _, s := range FeatureSets {
			v := r.entry.Features[s]
			if s == SetText && v == nil {
				continue
			}
			if d, ok := dims[s]; ok && d != len(v) {
				return fmt.Errorf("library: %s: feature set %s has %d values, other tracks %d (stale cache? "+
					"remove %s)", r.rel, s, len(v), d, filepath.Join(out, CacheDir))
			}
			dims[s] = len(v)
			sets[s] = append(sets[s], v...)
		}
	}
	if tracks == nil {
		tracks = []Track{}
	}
	if scanErrs == nil {
		scanErrs = []ScanError{}
	}
	sort.Slice(scanErrs, func(a, b int) bool { return scanErrs[a].Path < scanErrs[b].Path })
	if err := writeJSON(filepath.Join(out, TracksFile), tracks); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(out, ErrorsFile), scanErrs); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(out, FeaturesDir), 0o755); err != nil {
		return err
	}
	for _, s := range FeatureSets {
		data, ok := sets[s]
		base := filepath.Join(out, FeaturesDir, s)
		if !ok || len(data) != len(tracks)*dims[s] {
			for _, ext := range []string{".json", ".npy", ".ids.json"} {
				_ = os.Remove(base + ext) // a set no longer computed for every track
			}
			continue
		}
		if err := corpus.WriteVectorsJSON(base+".json", ids, data, dims[s]); err != nil {
			return err
		}
		if err := corpus.WriteVectorsNPY(base+".npy", ids, data, dims[s]); err != nil {
			return err
		}
		rep.Sets = append(rep.Sets, s)
	}
	rep.Tracks = len(tracks)
	return nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return err
	}
	return corpus.WriteFileAtomic(path, append(b, '\n'))
}

// LoadModels loads MSD_musicnn and MTT_musicnn (from the musicnn wheel that `make models` installs) and, with
// text, all-MiniLM-L6-v2 for SetText (left out, with a note returned, when it is not installed) into the
// options, on backend b (nil: backends.New("")).
func (o *ScanOptions) LoadModels(b compute.Backend, text bool) (note string, err error) {
	if o.MSD, err = musicnn.Load("MSD_musicnn", "", b); err != nil {
		return "", err
	}
	if o.MTT, err = musicnn.Load("MTT_musicnn", "", b); err != nil {
		return "", err
	}
	if !text {
		return "", nil
	}
	dir, err := textenc.Locate()
	if err != nil {
		return fmt.Sprintf("no MiniLM model, no %s features: %v", SetText, err), nil
	}
	tm, err := textenc.Load(dir, b)
	if err != nil {
		return "", err
	}
	o.Text = tm
	return "", nil
}
