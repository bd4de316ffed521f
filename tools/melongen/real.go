package melongen

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/jfreymuth/oggvorbis"

	"github.com/musicrep/musicrep/musicrep/audio"
	"github.com/musicrep/musicrep/musicrep/corpus"
)

// RealSource is a collection of real recordings that Options.Real can add.
type RealSource struct {
	Name    string   // the -real value
	Dirs    []string // where the Debian package puts the files (first existing wins)
	Package string   // Debian package
	License string   // for the dataset README
	// DefaultAlbum names the album of files without an ALBUM tag (they come from the same collection).
	DefaultAlbum string
}

// RealSources are the known real-recording collections.
var RealSources = map[string]RealSource{
	"wesnoth": {
		Name:         "wesnoth",
		Dirs:         []string{"/usr/share/games/wesnoth/1.16/data/core/music", "/usr/share/wesnoth/data/core/music"},
		Package:      "wesnoth-1.16-music",
		DefaultAlbum: "The Battle for Wesnoth OST",
		License: "The Battle for Wesnoth soundtrack (Debian package wesnoth-1.16-music): GPL-2.0-or-later, " +
			"copyright the individual composers named in each track's ARTIST/COPYRIGHT tags; see " +
			"/usr/share/doc/wesnoth-1.16-music/copyright. The WAV files and mel-spectrograms derived from them " +
			"are covered by the same licence.",
	},
}

// realTrack is one real recording with its tags.
type realTrack struct {
	Path    string
	Title   string
	Artist  string
	Album   string
	Genre   string
	Year    string
	Size    int64
	Seconds float64
}

// scanReal lists the OGG files of a real source with their Vorbis comments, sorted by file name, leaving out
// (skipped) those shorter than MinSeconds.
func scanReal(src RealSource) (tracks []realTrack, skipped []string, dir string, err error) {
	dir = firstExisting(src.Dirs)
	if dir == "" {
		return nil, nil, "", fmt.Errorf("melongen: -real %s: no music in %s; install it with scripts/setup-audio.sh "+
			"--real (apt-get install -y %s)", src.Name, strings.Join(src.Dirs, " or "), src.Package)
	}
	paths, err := filepath.Glob(filepath.Join(dir, "*.ogg"))
	if err != nil {
		return nil, nil, "", err
	}
	sort.Strings(paths)
	if len(paths) == 0 {
		return nil, nil, "", fmt.Errorf("melongen: -real %s: no .ogg files in %s", src.Name, dir)
	}
	var out []realTrack
	for _, p := range paths {
		tr, err := readVorbisTags(p)
		if err != nil {
			return nil, nil, "", err
		}
		if tr.Album == "Unknown" && src.DefaultAlbum != "" {
			tr.Album = src.DefaultAlbum
		}
		if tr.Seconds < MinSeconds {
			skipped = append(skipped, fmt.Sprintf("%s (%.0f s)", filepath.Base(p), tr.Seconds))
			continue
		}
		out = append(out, tr)
	}
	return out, skipped, dir, nil
}

// readVorbisTags reads the TITLE, ARTIST, ALBUM, GENRE and DATE comments of an Ogg Vorbis file. Missing
// tags fall back to the file name (title) and "Unknown".
func readVorbisTags(path string) (realTrack, error) {
	f, err := os.Open(path)
	if err != nil {
		return realTrack{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return realTrack{}, err
	}
	ch, err := oggvorbis.GetCommentHeader(f)
	if err != nil {
		return realTrack{}, fmt.Errorf("%s: reading the Vorbis comment header: %w", path, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return realTrack{}, err
	}
	length, format, err := oggvorbis.GetLength(f)
	if err != nil {
		return realTrack{}, fmt.Errorf("%s: reading the length: %w", path, err)
	}
	tags := map[string]string{}
	for _, c := range ch.Comments {
		k, v, ok := strings.Cut(c, "=")
		if !ok {
			continue
		}
		k = strings.ToUpper(strings.TrimSpace(k))
		if _, dup := tags[k]; !dup {
			tags[k] = strings.TrimSpace(v)
		}
	}
	or := func(v, def string) string {
		if v == "" {
			return def
		}
		return v
	}
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	year := tags["DATE"]
	if len(year) >= 4 {
		year = year[:4]
	}
	return realTrack{
		Path:    path,
		Title:   or(tags["TITLE"], strings.ReplaceAll(base, "_", " ")),
		Artist:  or(tags["ARTIST"], "Unknown"),
		Album:   or(tags["ALBUM"], "Unknown"),
		Genre:   or(tags["GENRE"], "Unknown"),
		Year:    year,
		Size:    st.Size(),
		Seconds: float64(length) / float64(format.SampleRate),
	}, nil
}

// decodeReal decodes an Ogg Vorbis file with musicrep's own decoder (musicrep/audio: the samples Debian's oggdec
// writes, from the first one), mixes it to mono, resamples it to 16 kHz and writes a 16-bit WAV. Until 2026-12-06
// this read the file with jfreymuth/oggvorbis, which started 13 of the 41 Wesnoth tracks 128 samples late (an
// audio packet on the setup header's page) and panicked on the last packet of 2 of them; datasets generated with
// -real before then differ by that offset.
func decodeReal(ctx context.Context, oggPath, wavPath string) (seconds float64, err error) {
	out, err := decodeMono16k(ctx, oggPath)
	if err != nil {
		return 0, err
	}
	seconds = float64(len(out)) / SampleRate
	if seconds < MinSeconds {
		return 0, fmt.Errorf("%s: %.1f s long, the dataset needs ≥ %.0f s", oggPath, seconds, MinSeconds)
	}
	return seconds, corpus.WriteFileAtomic(wavPath, encodeWAV16(out, SampleRate))
}

// decodeMono16k decodes an audio file to mono (the mean of its channels) and resamples it to SampleRate.
func decodeMono16k(ctx context.Context, path string) ([]float32, error) {
	s, err := audio.Open(path)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	var mono []float32
	buf := make([]float32, 32768)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n, err := s.ReadMono(buf)
		mono = append(mono, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: decoding: %w", path, err)
		}
	}
	return resample(mono, s.SampleRate(), SampleRate), nil
}

// resample converts x from inRate to outRate with a windowed-sinc (Blackman) low-pass interpolator, the
// cut-off just below the lower Nyquist frequency, precomputed for each of the rational phases.
func resample(x []float32, inRate, outRate int) []float32 {
	if inRate == outRate {
		return x
	}
	g := gcd(inRate, outRate)
	up, down := outRate/g, inRate/g                                  // output sample n sits at input position n*down/up
	fc := 0.5 * 0.92 * math.Min(1, float64(outRate)/float64(inRate)) // cycles per input sample
	const zeroCrossings = 8
	half := int(math.Ceil(zeroCrossings / (2 * fc)))
	taps := 2 * half
	table := make([]float32, up*taps)
	for p := range up {
		frac := float64(p) / float64(up)
		var sum float64
		w := table[p*taps : (p+1)*taps]
		for j := range taps {
			d := float64(j-half+1) - frac // input offset relative to the output position
			v := 2 * fc * sinc(2*fc*d)
			if a := math.Abs(d) / float64(half); a < 1 {
				v *= 0.42 + 0.5*math.Cos(math.Pi*a) + 0.08*math.Cos(2*math.Pi*a)
			} else {
				v = 0
			}
			w[j] = float32(v)
			sum += v
		}
		for j := range w {
			w[j] = float32(float64(w[j]) / sum)
		}
	}
	n := int(int64(len(x)) * int64(up) / int64(down))
	out := make([]float32, n)
	for i := range n {
		pos := int64(i) * int64(down)
		i0 := int(pos / int64(up))
		p := int(pos % int64(up))
		w := table[p*taps : (p+1)*taps]
		start := i0 - half + 1
		var s float32
		if start >= 0 && start+taps <= len(x) {
			xs := x[start : start+taps]
			for j, wj := range w {
				s += wj * xs[j]
			}
		} else {
			for j, wj := range w {
				if k := start + j; k >= 0 && k < len(x) {
					s += wj * x[k]
				}
			}
		}
		out[i] = s
	}
	return out
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
