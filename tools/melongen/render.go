package melongen

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/musicrep/musicrep/musicrep/corpus"
)

// SampleRate is the sample rate of the generated audio (the Melon mel-spectrograms are computed at 16 kHz).
const SampleRate = 16000

// MinSeconds is the shortest song the generator writes: the mel front-end takes the centred 29.1 s.
const MinSeconds = 31.0

// InstallHint says how to get the external tools.
const InstallHint = "run scripts/setup-audio.sh as root (apt-get install -y mma fluidsynth fluid-soundfont-gm)"

// Tools are the external programs and files the generator renders with.
type Tools struct {
	MMA        string // mma executable
	MMALib     string // mma's groove library directory (…/mma/lib)
	MMAVersion string
	FluidSynth string // fluidsynth executable
	FluidVer   string
	SoundFont  string // General MIDI soundfont
}

var (
	mmaLibDirs = []string{"/usr/share/mma/lib", "/usr/local/share/mma/lib"}
	soundFonts = []string{"/usr/share/sounds/sf2/FluidR3_GM.sf2", "/usr/share/soundfonts/FluidR3_GM.sf2",
		"/usr/share/sounds/sf2/default-GM.sf2"}
)

// FindTools locates mma, its groove library, fluidsynth and the FluidR3 GM soundfont. The error says what is
// missing and how to install it.
func FindTools() (*Tools, error) {
	t := &Tools{}
	var missing []string
	var err error
	if t.MMA, err = exec.LookPath("mma"); err != nil {
		missing = append(missing, "mma (not on PATH)")
	}
	if t.FluidSynth, err = exec.LookPath("fluidsynth"); err != nil {
		missing = append(missing, "fluidsynth (not on PATH)")
	}
	t.MMALib = firstExisting(mmaLibDirs)
	if t.MMALib == "" {
		missing = append(missing, "the mma groove library ("+strings.Join(mmaLibDirs, " or ")+")")
	}
	t.SoundFont = firstExisting(soundFonts)
	if t.SoundFont == "" {
		missing = append(missing, "the FluidR3 GM soundfont ("+soundFonts[0]+")")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("melongen: missing %s; %s", strings.Join(missing, ", "), InstallHint)
	}
	if out, err := exec.Command(t.MMA, "-v").CombinedOutput(); err == nil {
		t.MMAVersion = lastLine(string(out))
	}
	if out, err := exec.Command(t.FluidSynth, "--version").CombinedOutput(); err == nil {
		t.FluidVer = strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
	}
	return t, nil
}

func firstExisting(paths []string) string {
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

var mmaLength = regexp.MustCompile(`\((\d+) bars?, [0-9.]+ min / (\d+):(\d+) m:s\)`)

// runMMA compiles an mma source file to MIDI and returns the length mma reports, in seconds.
func (t *Tools) runMMA(ctx context.Context, src, mid string) (seconds float64, err error) {
	cmd := exec.CommandContext(ctx, t.MMA, "-w", "-f", mid, src)
	cmd.Dir = filepath.Dir(src)
	out, err := cmd.CombinedOutput()
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, fmt.Errorf("mma %s: %v: %s", src, err, mmaErrors(out))
	}
	m := mmaLength.FindStringSubmatch(string(out))
	if m == nil {
		return 0, fmt.Errorf("mma %s: no \"Creating new midi file\" line in its output: %s", src, strings.TrimSpace(string(out)))
	}
	mins, _ := strconv.Atoi(m[2])
	secs, _ := strconv.Atoi(m[3])
	return float64(mins*60 + secs), nil
}

// mmaErrors keeps the useful lines of mma's output (it always warns about a missing plugin directory).
func mmaErrors(out []byte) string {
	var keep []string
	for _, l := range strings.Split(string(out), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.Contains(l, "PLUGIN") {
			continue
		}
		keep = append(keep, l)
	}
	return strings.Join(keep, " ")
}

// runFluidSynth renders MIDI to a 16 kHz 16-bit WAV file (fluidsynth writes stereo).
func (t *Tools) runFluidSynth(ctx context.Context, mid, wav string, gain float64, soundFont string) error {
	cmd := exec.CommandContext(ctx, t.FluidSynth, "-ni", "-q", "-F", wav, "-r", strconv.Itoa(SampleRate),
		"-g", strconv.FormatFloat(gain, 'f', -1, 64), soundFont, mid)
	out, err := cmd.CombinedOutput()
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("fluidsynth %s: %v: %s", mid, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// probeFamily renders every groove of a family for two bars and returns those that compiled (mma is fast:
// one call per family). If the combined file fails, each groove is tried on its own.
func (t *Tools) probeFamily(ctx context.Context, dir string, grooves []Groove) ([]Groove, error) {
	try := func(gs []Groove) error {
		var b strings.Builder
		bar := 1
		for _, g := range gs {
			fmt.Fprintf(&b, "Groove %s\n%d C\n%d G7\n", g.Name, bar, bar+1)
			bar += 2
		}
		src := filepath.Join(dir, "probe.mma")
		if err := os.WriteFile(src, []byte(b.String()), 0o644); err != nil {
			return err
		}
		_, err := t.runMMA(ctx, src, filepath.Join(dir, "probe.mid"))
		return err
	}
	if err := try(grooves); err == nil {
		return grooves, nil
	} else if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	var ok []Groove
	for _, g := range grooves {
		if err := try([]Groove{g}); err == nil {
			ok = append(ok, g)
		} else if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	return ok, nil
}

// WAVInfo describes a PCM WAV file.
type WAVInfo struct {
	SampleRate    int
	Channels      int
	BitsPerSample int
	Frames        int // samples per channel
}

// Seconds is the duration.
func (w WAVInfo) Seconds() float64 { return float64(w.Frames) / float64(w.SampleRate) }

// ReadWAVInfo reads the header of a PCM WAV file.
func ReadWAVInfo(path string) (WAVInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return WAVInfo{}, err
	}
	defer f.Close()
	info, _, err := readWAVHeader(f, path)
	return info, err
}

// readWAVHeader parses the RIFF chunks up to the data chunk and returns its size.
func readWAVHeader(r io.Reader, path string) (WAVInfo, int64, error) {
	var hdr [12]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return WAVInfo{}, 0, fmt.Errorf("%s: not a WAV file: %w", path, err)
	}
	if string(hdr[:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		return WAVInfo{}, 0, fmt.Errorf("%s: not a RIFF/WAVE file", path)
	}
	var info WAVInfo
	gotFmt := false
	for {
		var ch [8]byte
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			return WAVInfo{}, 0, fmt.Errorf("%s: no data chunk: %w", path, err)
		}
		size := int64(binary.LittleEndian.Uint32(ch[4:]))
		switch string(ch[:4]) {
		case "fmt ":
			buf := make([]byte, size+size%2)
			if _, err := io.ReadFull(r, buf); err != nil || size < 16 {
				return WAVInfo{}, 0, fmt.Errorf("%s: short fmt chunk", path)
			}
			if format := binary.LittleEndian.Uint16(buf); format != 1 && format != 0xFFFE {
				return WAVInfo{}, 0, fmt.Errorf("%s: WAV format %d, want PCM (1)", path, format)
			}
			info.Channels = int(binary.LittleEndian.Uint16(buf[2:]))
			info.SampleRate = int(binary.LittleEndian.Uint32(buf[4:]))
			info.BitsPerSample = int(binary.LittleEndian.Uint16(buf[14:]))
			gotFmt = true
		case "data":
			if !gotFmt || info.Channels == 0 || info.BitsPerSample == 0 {
				return WAVInfo{}, 0, fmt.Errorf("%s: data chunk before a valid fmt chunk", path)
			}
			info.Frames = int(size / int64(info.Channels*info.BitsPerSample/8))
			return info, size, nil
		default:
			if _, err := io.CopyN(io.Discard, r, size+size%2); err != nil {
				return WAVInfo{}, 0, fmt.Errorf("%s: truncated chunk %q", path, ch[:4])
			}
		}
	}
}

// readWAV16 reads a 16-bit PCM WAV file and returns its samples mixed to mono, in [-1, 1].
func readWAV16(path string) ([]float32, WAVInfo, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, WAVInfo{}, err
	}
	r := bytes.NewReader(b)
	info, size, err := readWAVHeader(r, path)
	if err != nil {
		return nil, info, err
	}
	if info.BitsPerSample != 16 {
		return nil, info, fmt.Errorf("%s: %d-bit samples, want 16", path, info.BitsPerSample)
	}
	data := b[len(b)-r.Len():]
	if int64(len(data)) < size { // fluidsynth may leave the size of an interrupted file short
		size = int64(len(data))
	}
	frames := int(size) / (2 * info.Channels)
	info.Frames = frames
	out := make([]float32, frames)
	for i := range frames {
		var sum float32
		for c := range info.Channels {
			sum += float32(int16(binary.LittleEndian.Uint16(data[2*(i*info.Channels+c):])))
		}
		out[i] = sum / float32(info.Channels) / 32768
	}
	return out, info, nil
}

// encodeWAV16 encodes mono samples in [-1, 1] as a 16-bit PCM WAV file (clipping outside the range).
func encodeWAV16(samples []float32, rate int) []byte {
	n := len(samples)
	b := make([]byte, 44+2*n)
	copy(b, "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+2*n))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], 1) // PCM
	binary.LittleEndian.PutUint16(b[22:], 1) // mono
	binary.LittleEndian.PutUint32(b[24:], uint32(rate))
	binary.LittleEndian.PutUint32(b[28:], uint32(2*rate))
	binary.LittleEndian.PutUint16(b[32:], 2)
	binary.LittleEndian.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(2*n))
	for i, s := range samples {
		v := s * 32767
		if v > 32767 {
			v = 32767
		} else if v < -32768 {
			v = -32768
		}
		binary.LittleEndian.PutUint16(b[44+2*i:], uint16(int16(v)))
	}
	return b
}

// renderSong compiles a song's mma source and renders it to a mono 16 kHz WAV at wavPath.
func (t *Tools) renderSong(ctx context.Context, src, mid, wavPath string, gain float64, soundFont string) (seconds float64,
	err error) {
	reported, err := t.runMMA(ctx, src, mid)
	if err != nil {
		return 0, err
	}
	if reported < MinSeconds-1 {
		return 0, fmt.Errorf("mma %s: the song lasts %.0f s, want ≥ %.0f s (too few bars for its tempo: "+
			"check the Time of its groove)", src, reported, MinSeconds)
	}
	stereo := wavPath + ".stereo.tmp"
	defer os.Remove(stereo)
	if err := t.runFluidSynth(ctx, mid, stereo, gain, soundFont); err != nil {
		return 0, err
	}
	samples, info, err := readWAV16(stereo)
	if err != nil {
		return 0, fmt.Errorf("reading fluidsynth's output: %w", err)
	}
	if info.SampleRate != SampleRate {
		return 0, fmt.Errorf("fluidsynth wrote %d Hz, want %d", info.SampleRate, SampleRate)
	}
	seconds = float64(len(samples)) / SampleRate
	if seconds < MinSeconds {
		return 0, fmt.Errorf("%s: rendered %.1f s, want ≥ %.0f s", mid, seconds, MinSeconds)
	}
	if err := corpus.WriteFileAtomic(wavPath, encodeWAV16(samples, SampleRate)); err != nil {
		return 0, err
	}
	return seconds, nil
}
