package display

import (
	"bytes"
	"fmt"
	"html"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/janpfeifer/gonb/gonbui"

	"github.com/musicrep/musicrep/musicrep/audio"
	"github.com/musicrep/musicrep/musicrep/cmir"
	"github.com/musicrep/musicrep/musicrep/melon"
)

// MelonGenre names a Melon song's genre and sub-genre, e.g. "Latin / BossaNova".
func MelonGenre(ds *melon.Dataset, s melon.Song) string {
	var names []string
	for _, c := range append(append([]string{}, s.Genres...), s.DetailGenres...) {
		names = append(names, ds.Genres[c])
	}
	return strings.Join(names, " / ")
}

// MelonGenresHTML renders a Melon dataset's songs and artists per genre and sub-genre (each song's first codes).
func MelonGenresHTML(ds *melon.Dataset) string {
	type key struct{ genre, sub string }
	count := map[key]int{}
	artists := map[key]map[string]bool{}
	for _, s := range ds.Songs {
		k := key{}
		if len(s.Genres) > 0 {
			k.genre = ds.Genres[s.Genres[0]]
		}
		if len(s.DetailGenres) > 0 {
			k.sub = ds.Genres[s.DetailGenres[0]]
		}
		count[k]++
		if artists[k] == nil {
			artists[k] = map[string]bool{}
		}
		artists[k][strings.Join(s.ArtistNames, ", ")] = true
	}
	keys := make([]key, 0, len(count))
	for k := range count {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].genre < keys[j].genre || keys[i].genre == keys[j].genre && keys[i].sub < keys[j].sub
	})
	var rows [][]Cell
	for _, k := range keys {
		row := Texts(k.genre, k.sub, strconv.Itoa(count[k]), strconv.Itoa(len(artists[k])))
		row[1].Class = "l"
		rows = append(rows, row)
	}
	return TableHTML("songs per genre", []string{"genre", "sub-genre (mma style family)", "songs", "artists"}, rows, nil)
}

// PlaylistHTML renders a Melon playlist: its title, tags and likes, and its songs with artist and genre.
func PlaylistHTML(ds *melon.Dataset, p melon.Playlist) string {
	var rows [][]Cell
	for i, id := range p.Songs {
		s := ds.Songs[ds.Index[id]]
		row := Texts(strconv.Itoa(i+1), s.Name, strings.Join(s.ArtistNames, ", "), MelonGenre(ds, s), strconv.Itoa(id))
		row[1].Class, row[2].Class, row[3].Class = "l", "l", "l"
		rows = append(rows, row)
	}
	return TableHTML(fmt.Sprintf("playlist %q (tags: %s; %d likes)", p.Title, strings.Join(p.Tags, ", "), p.LikeCount),
		[]string{"#", "song", "artist", "genre", "song id"}, rows, nil)
}

// MelonMel returns a dataset song's stored mel-spectrogram in package audio's form.
func MelonMel(ds *melon.Dataset, id int) (*audio.Mel, error) {
	data, frames, err := ds.Mel(id)
	if err != nil {
		return nil, err
	}
	opt := audio.DefaultMelOptions()
	return &audio.Mel{Bands: melon.Bands, Frames: frames, Data: data, SampleRate: opt.SampleRate, HopSize: opt.HopSize}, nil
}

// ListenHTML renders a caption and an audio player with the centred seconds of an audio file, mono at 16 kHz
// (what the audio models hear), as a small WAV embedded in the page.
func ListenHTML(path, caption string, seconds float64) (string, error) {
	x, err := audio.Load(path, 16000)
	if err != nil {
		return "", err
	}
	clip, err := audio.CentreSegment(x, 16000, math.Min(seconds, float64(len(x))/16000))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("<div>%s</div>%s", esc(caption), AudioHTML(WAV(clip, 16000), "audio/wav")), nil
}

// epochLine matches a training log's "epoch N/M" (cmir, training).
var epochLine = regexp.MustCompile(`\bepoch (\d+)/(\d+)\b`)

// TrainingProgress shows a long training log as a progress bar with its latest line, in one notebook output
// updated in place; the whole log stays available, folded, under it. Runs is how many trainings the log
// covers (e.g. 3 variants): the bar advances with each "epoch N/M" line. Use it as an io.Writer (a Progress
// option). Outside a notebook it copies to stdout.
type TrainingProgress struct {
	Runs    int
	id      string
	mu      sync.Mutex
	partial []byte
	lines   []string
	done    int     // runs finished
	cur     float64 // fraction of the current run
}

// NewTrainingProgress returns a progress bar over runs trainings.
func NewTrainingProgress(runs int) *TrainingProgress {
	return &TrainingProgress{Runs: max(1, runs), id: "musicrep-progress-" + gonbui.UniqueID()}
}

// Write implements io.Writer.
func (p *TrainingProgress) Write(b []byte) (int, error) {
	if !gonbui.IsNotebook {
		fmt.Print(string(b))
		return len(b), nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.partial = append(p.partial, b...)
	i := bytes.LastIndexByte(p.partial, '\n')
	if i < 0 {
		return len(b), nil
	}
	for _, line := range strings.Split(string(p.partial[:i]), "\n") {
		p.addLine(line)
	}
	p.partial = append([]byte(nil), p.partial[i+1:]...)
	gonbui.UpdateHTML(p.id, p.html())
	Sync()
	return len(b), nil
}

// addLine records one complete log line and advances the bar on "epoch N/M".
func (p *TrainingProgress) addLine(line string) {
	p.lines = append(p.lines, line)
	if m := epochLine.FindStringSubmatch(line); m != nil {
		e, _ := strconv.Atoi(m[1])
		n, _ := strconv.Atoi(m[2])
		p.cur = float64(e) / float64(max(1, n))
		if e >= n {
			p.done, p.cur = p.done+1, 0
		}
	}
}

// Fraction is the share of the work done, from 0 to 1.
func (p *TrainingProgress) Fraction() float64 {
	return math.Min(1, (float64(p.done)+p.cur)/float64(p.Runs))
}

func (p *TrainingProgress) html() string {
	last := ""
	if len(p.lines) > 0 {
		last = p.lines[len(p.lines)-1]
	}
	return fmt.Sprintf(`<div><progress value="%.3f" max="1" style="width:300px"></progress> %.0f %% — %s</div>`+
		`<details><summary style="font-size:12px">log (%d lines)</summary><pre style="font-size:11px">%s</pre></details>`,
		p.Fraction(), 100*p.Fraction(), html.EscapeString(last), len(p.lines), html.EscapeString(strings.Join(p.lines, "\n")))
}

// CmirSummary is one sentence on a contrastive-mir report: the best genre accuracy of a trained variant against
// the best of the untrained baselines, and whether training helped by that measure.
func CmirSummary(rep *cmir.Report) string {
	best := map[string]cmir.Row{}
	for _, r := range rep.Rows {
		if b, ok := best[r.Kind]; !ok || r.Metrics["genre_accuracy"] > b.Metrics["genre_accuracy"] {
			best[r.Kind] = r
		}
	}
	l, b := best["learned"], best["baseline"]
	s := fmt.Sprintf("Genre accuracy on the test songs: best trained variant **%.2f** (%s), best untrained baseline **%.2f** (%s)",
		l.Metrics["genre_accuracy"], l.Name, b.Metrics["genre_accuracy"], b.Name)
	switch {
	case b.Metrics["genre_accuracy"] > l.Metrics["genre_accuracy"]:
		return s + " — an untrained baseline does better: this run does not show that training helped."
	case b.Metrics["genre_accuracy"] == l.Metrics["genre_accuracy"]:
		return s + " — an untrained baseline does as well: this run does not show that training helped."
	}
	return s + " — training helped by this measure (with few test songs, read the interval, not the point)."
}
