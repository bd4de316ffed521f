package library

import (
	"context"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/musicrep/musicrep/musicrep/audio/audiotest"

	"github.com/musicrep/musicrep/musicrep/audio"
	"github.com/musicrep/musicrep/musicrep/musicnn"
)

// writeWAV writes a 16 kHz mono PCM16 WAV of a tone.
func writeWAV(t *testing.T, path string, seconds, freq float64) {
	audiotest.WriteToneWAV(t, path, seconds, freq, true)
}

func mustModel(t *testing.T, name string) *musicnn.Model {
	t.Helper()
	dir, err := musicnn.Locate(name)
	if err != nil {
		if os.Getenv("MUSICREP_REQUIRE_MODELS") == "1" {
			t.Fatal(err)
		}
		t.Skipf("skipping: %v", err)
	}
	m, err := musicnn.Load(name, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestScan scans a folder with good, bad and odd entries, then scans it again unchanged and after one file
// changed: only what changed is analysed.
func TestScan(t *testing.T) {
	if testing.Short() {
		t.Skip("runs musicnn on the Go backend")
	}
	msd, mtt := mustModel(t, "MSD_musicnn"), mustModel(t, "MTT_musicnn")
	dir := t.TempDir()
	for _, d := range []string{"albumA", "albumB", "empty-folder"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeWAV(t, filepath.Join(dir, "albumA", "one.wav"), 3.5, 440)
	writeWAV(t, filepath.Join(dir, "albumB", "two.WAV"), 1.0, 220) // shorter than a patch: repeat-padded
	for name, content := range map[string]string{"zero.mp3": "", "garbage.flac": "not a flac file at all",
		"albumA/readme.txt": "ignored"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(dir, filepath.Join(dir, "albumB", "loop")); err != nil {
		t.Fatal(err)
	}
	lib := filepath.Join(t.TempDir(), "lib")
	opt := ScanOptions{Dir: dir, Out: lib, MSD: msd, MTT: mtt, Workers: 2}
	rep, err := Scan(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Tracks != 2 || rep.Analysed != 2 || rep.Failed != 2 {
		t.Fatalf("first scan: %+v", rep)
	}
	l, err := Open(lib)
	if err != nil {
		t.Fatal(err)
	}
	if l.Tracks[0].Folder != "albumA" || l.Tracks[1].Folder != "albumB" || !l.Tracks[1].Padded ||
		l.Tracks[0].Patches != 1 || math.Abs(l.Tracks[0].Duration-3.5) > 1e-3 {
		t.Errorf("tracks: %+v", l.Tracks)
	}
	for _, s := range []string{SetMusicnn, SetMusicnnMTT, SetMusicnnTags, SetMelStats} {
		if l.Sets[s] == nil {
			t.Errorf("feature set %s missing", s)
		}
	}
	if d := l.Sets[SetMusicnnTags].Dim; d != 100 {
		t.Errorf("musicnn-tags has %d dims", d)
	}
	errs, err := os.ReadFile(filepath.Join(lib, ErrorsFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"zero.mp3", "garbage.flac", "albumB/loop", "not followed"} {
		if !strings.Contains(string(errs), want) {
			t.Errorf("scan-errors.json does not mention %q:\n%s", want, errs)
		}
	}

	rep, err = Scan(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Analysed != 0 || rep.Cached != 2 {
		t.Errorf("unchanged re-scan analysed %d, cached %d; want 0 and 2", rep.Analysed, rep.Cached)
	}
	writeWAV(t, filepath.Join(dir, "albumB", "two.WAV"), 4, 330)
	rep, err = Scan(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Analysed != 1 || rep.Cached != 1 || rep.Tracks != 2 {
		t.Errorf("after changing one file: %+v", rep)
	}
}

// TestReadTags reads tags in odd encodings: UTF-16 ID3v2.3 frames and a Latin-1 ID3v1 tag.
func TestReadTags(t *testing.T) {
	dir := t.TempDir()
	// ID3v2.3 with a TIT2 (title) frame in UTF-16 with BOM and a TPE1 (artist) frame in ISO-8859-1.
	frame := func(id string, payload []byte) []byte {
		b := []byte(id)
		b = binary.BigEndian.AppendUint32(b, uint32(len(payload)))
		return append(b, 0, 0) // flags
	}
	utf16le := func(s string) []byte {
		out := []byte{1, 0xFF, 0xFE}
		for _, u := range utf16.Encode([]rune(s)) {
			out = binary.LittleEndian.AppendUint16(out, u)
		}
		return out
	}
	title := utf16le("Été à Paris")
	artist := append([]byte{0}, []byte("Bj\xf6rk")...) // Latin-1 ö
	var frames []byte
	frames = append(append(frames, frame("TIT2", title)...), title...)
	frames = append(append(frames, frame("TPE1", artist)...), artist...)
	size := len(frames)
	hdr := []byte{'I', 'D', '3', 3, 0, 0, byte(size >> 21 & 0x7f), byte(size >> 14 & 0x7f), byte(size >> 7 & 0x7f),
		byte(size & 0x7f)}
	v2 := filepath.Join(dir, "v2.mp3")
	if err := os.WriteFile(v2, append(append(hdr, frames...), make([]byte, 100)...), 0o644); err != nil {
		t.Fatal(err)
	}
	var tr Track
	readTags(v2, &tr)
	if tr.Title != "Été à Paris" || tr.Artist != "Björk" {
		t.Errorf("ID3v2 UTF-16/Latin-1: title %q artist %q (note %q)", tr.Title, tr.Artist, tr.TagsNote)
	}
	// ID3v1: the last 128 bytes, Latin-1.
	v1 := make([]byte, 128)
	copy(v1, "TAG")
	copy(v1[3:], "Caf\xe9 del Mar")
	copy(v1[33:], "Jos\xe9")
	copy(v1[93:], "1999")
	v1[127] = 255 // no genre
	p1 := filepath.Join(dir, "v1.mp3")
	if err := os.WriteFile(p1, append(make([]byte, 1000), v1...), 0o644); err != nil {
		t.Fatal(err)
	}
	tr = Track{}
	readTags(p1, &tr)
	if tr.Title != "Café del Mar" || tr.Artist != "José" || tr.Date != "1999" {
		t.Errorf("ID3v1 Latin-1: %+v", tr)
	}
	tr = Track{}
	readTags(filepath.Join(dir, "missing.mp3"), &tr)
	if tr.TagsNote == "" {
		t.Error("a missing file should leave a note")
	}
	none := filepath.Join(dir, "none.wav")
	writeWAV(t, none, 0.1, 440)
	tr = Track{}
	readTags(none, &tr)
	if tr.TagsNote == "" || tr.Title != "" {
		t.Errorf("a WAV without tags: %+v", tr)
	}
}

func TestSelectBalanced(t *testing.T) {
	for _, c := range []struct {
		labels []string
		n      int
		want   []int
	}{
		// b has 3 files, a and c 2, d 1: b's first two, then a's (ties by name), then path order.
		{[]string{"a", "b", "c", "b", "d", "a", "b", "c"}, 4, []int{0, 1, 3, 5}},
		{[]string{"a", "b", "c", "b", "d", "a", "b", "c"}, 6, []int{0, 1, 2, 3, 5, 7}},
		// An odd n: the last file in path order among those not picked.
		{[]string{"a", "b", "c", "b", "d", "a", "b", "c"}, 5, []int{0, 1, 2, 3, 5}},
		// No label shared: the first n in path order; unlabelled files are not a label.
		{[]string{"", "", "x", "y"}, 2, []int{0, 1}},
		{[]string{"a", "b"}, 5, []int{0, 1}},
	} {
		if got := SelectBalanced(c.labels, c.n); !slices.Equal(got, c.want) {
			t.Errorf("SelectBalanced(%q, %d) = %v, want %v", c.labels, c.n, got, c.want)
		}
	}
}

// TestScanSubset scans 1 of 2 files, its first 3.5 s, then the whole folder: the excerpts are marked, their
// features are musicnn's on the first 3.5 s, and the whole-file scan analyses them again.
func TestScanSubset(t *testing.T) {
	if testing.Short() {
		t.Skip("runs musicnn on the Go backend")
	}
	msd, mtt := mustModel(t, "MSD_musicnn"), mustModel(t, "MTT_musicnn")
	dir := t.TempDir()
	writeWAV(t, filepath.Join(dir, "a.wav"), 7, 440)
	writeWAV(t, filepath.Join(dir, "b.wav"), 2, 220)
	lib := filepath.Join(t.TempDir(), "lib")
	opt := ScanOptions{Dir: dir, Out: lib, MSD: msd, MTT: mtt, Workers: 2, MaxFiles: 1, MaxSeconds: 3.5}
	rep, err := Scan(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Tracks != 1 || rep.Analysed != 1 || rep.Found != 2 || rep.Selected != 1 ||
		math.Abs(rep.AudioSeconds-3.5) > 1e-3 {
		t.Fatalf("subset scan: %+v", rep)
	}
	l, err := Open(lib)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Tracks) != 1 || l.Tracks[0].Path != "a.wav" || math.Abs(l.Tracks[0].Duration-7) > 1e-3 ||
		math.Abs(l.Tracks[0].ExcerptSeconds-3.5) > 1e-3 || l.Tracks[0].Patches != 1 {
		t.Errorf("tracks: %+v", l.Tracks)
	}
	if l.Info == nil || l.Info.Found != 2 || l.Info.Selected != 1 || l.Info.MaxSeconds != 3.5 ||
		!strings.Contains(l.Info.Describe(), "first 3.5 s") {
		t.Errorf("scan.json: %+v", l.Info)
	}
	// The reference: musicnn on the first 3.5 s of the signal, in memory.
	x, err := audio.Load(filepath.Join(dir, "a.wav"), musicnn.SampleRate) // 16 kHz: no resampling
	if err != nil {
		t.Fatal(err)
	}
	ref, err := musicnn.AnalyzeSignal("a", x[:56000], []*musicnn.Model{msd})
	if err != nil {
		t.Fatal(err)
	}
	got := l.Sets[SetMusicnn].Row(0)
	for j, v := range ref.Results[0].Embedding {
		if math.Abs(float64(got[j]-v)) > 1e-5 {
			t.Fatalf("musicnn[%d] of the excerpt = %v, in-memory reference %v", j, got[j], v)
		}
	}
	rep, err = Scan(context.Background(), ScanOptions{Dir: dir, Out: lib, MSD: msd, MTT: mtt, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Tracks != 2 || rep.Analysed != 2 || rep.Cached != 0 {
		t.Errorf("whole-file scan after the excerpt scan: %+v; want 2 analysed, none from the excerpt cache", rep)
	}
	if l, err = Open(lib); err != nil {
		t.Fatal(err)
	}
	if l.Tracks[0].ExcerptSeconds != 0 || l.Tracks[0].Patches != 2 || l.Info.MaxSeconds != 0 || l.Info.Selected != 2 {
		t.Errorf("whole-file scan: %+v, %+v", l.Tracks[0], l.Info)
	}
	rep, err = Scan(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Cached != 1 || rep.Analysed != 0 {
		t.Errorf("excerpt scan again: %+v; want both from the cache", rep)
	}
}
