package melongen

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/musicrep/musicrep/musicrep/melon"
)

// needTools skips the test when mma/fluidsynth are missing, unless MUSICREP_REQUIRE_AUDIO=1.
func needTools(t *testing.T) *Tools {
	t.Helper()
	tools, err := FindTools()
	if err != nil {
		if os.Getenv("MUSICREP_REQUIRE_AUDIO") == "1" {
			t.Fatalf("MUSICREP_REQUIRE_AUDIO=1: %v", err)
		}
		t.Skipf("%v", err)
	}
	return tools
}

// stubMel is a stand-in for the real mel front-end: per 512-sample frame (hop 256) the frame energy in dB,
// tilted across the 48 bands.
func stubMel(wavPath string) ([]float32, int, error) {
	x, _, err := readWAV16(wavPath)
	if err != nil {
		return nil, 0, err
	}
	frames := (len(x)-512)/256 + 1
	data := make([]float32, melon.Bands*frames)
	for f := range frames {
		var e float64
		for _, v := range x[f*256 : f*256+512] {
			e += float64(v) * float64(v)
		}
		db := float32(10 * math.Log10(e/512+1e-10))
		for b := range melon.Bands {
			data[b*frames+f] = db - float32(b)/4
		}
	}
	return data, frames, nil
}

type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func TestGenerateTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("renders 24 songs (~20 s); skipped with -short")
	}
	tools := needTools(t)
	ctx := context.Background()
	dir := t.TempDir()
	sum, err := Generate(ctx, Options{Out: dir, Size: "tiny", Seed: 7, Mel: stubMel, Progress: logWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("summary:\n%s", sum)
	size := Sizes["tiny"]

	d, err := melon.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(d.Stats())
	// Sizes.
	if len(d.Songs) != size.Songs {
		t.Errorf("%d songs, want %d", len(d.Songs), size.Songs)
	}
	// Playlists are split by listener (10 listeners here), so the shares are near, not exactly, 80/10/10.
	if n := len(d.Train) + len(d.Val) + len(d.Test); n != size.Playlists || len(d.Val) < 1 || len(d.Val) > 6 ||
		len(d.Test) < 1 || len(d.Test) > 6 {
		t.Errorf("playlists %d/%d/%d, want %d in all, 1–6 each in val and test", len(d.Train), len(d.Val), len(d.Test),
			size.Playlists)
	}
	if sum.Rendered != size.Songs || sum.WithMel != size.Songs {
		t.Errorf("rendered %d, with mel %d, want %d", sum.Rendered, sum.WithMel, size.Songs)
	}
	// Genres: every song has a top-level genre of the preset and a sub-genre under it.
	want := map[string]bool{}
	for _, g := range size.Genres {
		want[g] = true
	}
	tops := map[string]int{}
	artistSongs := map[int]int{}
	for _, s := range d.Songs {
		if len(s.Genres) != 1 || len(s.DetailGenres) != 1 {
			t.Fatalf("song %d: genres %v / %v, want one of each", s.ID, s.Genres, s.DetailGenres)
		}
		if !want[s.Genres[0]] || melon.TopGenre(s.DetailGenres[0]) != s.Genres[0] || s.DetailGenres[0] == s.Genres[0] {
			t.Errorf("song %d: genre %s / sub-genre %s", s.ID, s.Genres[0], s.DetailGenres[0])
		}
		tops[s.Genres[0]]++
		artistSongs[s.ArtistIDs[0]]++
		if len(s.IssueDate) != 8 {
			t.Errorf("song %d: issue_date %q", s.ID, s.IssueDate)
		}
	}
	if len(tops) != len(size.Genres) {
		t.Errorf("songs cover genres %v, want %v", tops, size.Genres)
	}
	for a, n := range artistSongs {
		if n < 5 || n > 15 {
			t.Errorf("artist %d has %d songs, want 5–15", a, n)
		}
	}
	// Audio: 16 kHz mono 16-bit, ≥ 31 s; mel-spectrograms readable.
	for _, s := range d.Songs {
		info, err := ReadWAVInfo(AudioPath(dir, s.ID))
		if err != nil {
			t.Fatal(err)
		}
		if info.SampleRate != 16000 || info.Channels != 1 || info.BitsPerSample != 16 || info.Seconds() < MinSeconds {
			t.Errorf("song %d: %+v (%.1f s), want 16 kHz mono 16-bit ≥ %.0f s", s.ID, info, info.Seconds(), MinSeconds)
		}
		if _, frames, err := d.Mel(s.ID); err != nil || frames != (info.Frames-512)/256+1 {
			t.Errorf("song %d: mel %d frames, err %v", s.ID, frames, err)
		}
	}
	// Playlists: lengths, and genre coherence well above the base rate.
	all := append(append(append([]melon.Playlist(nil), d.Train...), d.Val...), d.Test...)
	for _, p := range all {
		if len(p.Songs) < size.MinLen || len(p.Songs) > size.MaxLen || len(p.Tags) == 0 || p.Title == "" {
			t.Errorf("playlist %d: %d songs, tags %v, title %q", p.ID, len(p.Songs), p.Tags, p.Title)
		}
	}
	within, base := coherence(d.Songs, d.Index, all)
	t.Logf("same-genre pairs: %.3f within playlists, %.3f over all songs", within, base)
	if within < base+0.2 {
		t.Errorf("playlists are not genre-coherent: %.3f same-genre pairs within playlists vs base rate %.3f",
			within, base)
	}

	// Determinism: the same seed plans the same dataset (metadata-only run, no rendering), another seed does not.
	dir2 := t.TempDir()
	if _, err := Generate(ctx, Options{Out: dir2, Size: "tiny", Seed: 7, MetadataOnly: true}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"song_meta.json", "genre_gn_all.json", "train.json", "val.json", "test.json",
		truthFile} {
		a, _ := os.ReadFile(filepath.Join(dir, name))
		b, _ := os.ReadFile(filepath.Join(dir2, name))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s differs between two runs with seed 7", name)
		}
	}
	for _, s := range d.Songs {
		name := filepath.Join("src", strconv.Itoa(s.ID)+".mma")
		a, _ := os.ReadFile(filepath.Join(dir, name))
		b, _ := os.ReadFile(filepath.Join(dir2, name))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s differs between two runs with seed 7", name)
		}
	}
	dir3 := t.TempDir()
	if _, err := Generate(ctx, Options{Out: dir3, Size: "tiny", Seed: 8, MetadataOnly: true}); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(filepath.Join(dir, "song_meta.json"))
	b, _ := os.ReadFile(filepath.Join(dir3, "song_meta.json"))
	if bytes.Equal(a, b) {
		t.Error("seeds 7 and 8 gave the same song_meta.json")
	}
	// Audio determinism: rendering a song's mma source again gives the same WAV bytes.
	work := t.TempDir()
	for _, s := range d.Songs[:2] {
		src := filepath.Join(work, strconv.Itoa(s.ID)+".mma")
		text, _ := os.ReadFile(filepath.Join(dir, "src", strconv.Itoa(s.ID)+".mma"))
		if err := os.WriteFile(src, text, 0o644); err != nil {
			t.Fatal(err)
		}
		wav := filepath.Join(work, strconv.Itoa(s.ID)+".wav")
		if _, err := tools.renderSong(ctx, src, filepath.Join(work, "x.mid"), wav, 0.5, tools.SoundFont); err != nil {
			t.Fatal(err)
		}
		if hashFile(t, wav) != hashFile(t, AudioPath(dir, s.ID)) {
			t.Errorf("song %d: a second rendering gives different audio", s.ID)
		}
	}
	// A second run into the same directory reuses everything.
	sum2, err := Generate(ctx, Options{Out: dir, Size: "tiny", Seed: 7, Mel: stubMel})
	if err != nil {
		t.Fatal(err)
	}
	if sum2.Reused != size.Songs || sum2.Rendered != 0 {
		t.Errorf("second run: reused %d, rendered %d, want all reused", sum2.Reused, sum2.Rendered)
	}
	readme, _ := os.ReadFile(filepath.Join(dir, "README.md"))
	for _, w := range []string{"SIMULATED", "seed | 7", "FluidR3", "MIT", "mma 21", "GN0101"} {
		if !strings.Contains(string(readme), w) {
			t.Errorf("README.md does not mention %q", w)
		}
	}
}

func hashFile(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func TestMetadataOnly(t *testing.T) {
	needTools(t)
	dir := t.TempDir()
	// A metadata-only run plans the dataset and writes no audio and no arena_mel; the README says so.
	if _, err := Generate(context.Background(), Options{Out: dir, Size: "tiny", Seed: 1, MetadataOnly: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := melon.Load(dir); err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"arena_mel", "audio"} {
		if _, err := os.Stat(filepath.Join(dir, sub)); err == nil {
			t.Errorf("%s written by a metadata-only run", sub)
		}
	}
	if readme, _ := os.ReadFile(filepath.Join(dir, "README.md")); !strings.Contains(string(readme), "not rendered") {
		t.Error("README.md does not say that the audio was not rendered")
	}
	if _, err := Generate(context.Background(), Options{Out: dir, DropAudio: true}); err == nil ||
		!strings.Contains(err.Error(), "mel function") {
		t.Errorf("DropAudio without Mel: err %v", err)
	}
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "notes.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(context.Background(), Options{Out: other, MetadataOnly: true}); err == nil ||
		!strings.Contains(err.Error(), "not a melongen dataset") {
		t.Errorf("non-empty foreign directory: err %v", err)
	}
	if _, err := Generate(context.Background(), Options{Out: t.TempDir(), Size: "huge"}); err == nil {
		t.Error("size huge accepted")
	}
}

// TestPlanMedium plans the medium dataset (no rendering, grooves not probed): sizes, artists and genre
// coherence of the simulated playlists.
func TestPlanMedium(t *testing.T) {
	tools := needTools(t)
	size := Sizes["medium"]
	var catalog []catalogFamily
	for _, f := range Families() {
		grooves, err := readGrooves(tools.MMALib, f)
		if err != nil || len(grooves) == 0 {
			t.Fatalf("%s: %d grooves, %v", f.File, len(grooves), err)
		}
		catalog = append(catalog, catalogFamily{Family: f, Grooves: grooves})
	}
	ds, err := planDataset(1, size, catalog, "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.meta) != size.Songs || ds.genres != len(TopGenres) || ds.subGenres < len(catalog)*9/10 {
		t.Errorf("%d songs, %d genres, %d sub-genres", len(ds.meta), ds.genres, ds.subGenres)
	}
	nPl := len(ds.splits["train"]) + len(ds.splits["val"]) + len(ds.splits["test"])
	nVal, nTest := len(ds.splits["val"]), len(ds.splits["test"])
	if nPl != size.Playlists || nVal < size.Playlists/10 || nVal > size.Playlists*13/100 ||
		nTest < size.Playlists/10 || nTest > size.Playlists*13/100 {
		t.Errorf("playlists %d train / %d val / %d test", len(ds.splits["train"]), nVal, nTest)
	}
	// Split by listener: no listener has playlists in two files.
	sideOf := map[int]string{}
	for _, p := range ds.truth.Playlists {
		if s, ok := sideOf[p.Listener]; ok && s != p.Split {
			t.Fatalf("listener %d has playlists in %s and %s", p.Listener, s, p.Split)
		}
		sideOf[p.Listener] = p.Split
	}
	perArtist := map[int]int{}
	index := map[int]int{}
	for i, s := range ds.meta {
		perArtist[s.ArtistIDs[0]]++
		index[s.ID] = i
		if s.ID != i {
			t.Fatalf("song ids are not 0..n-1 in order: entry %d has id %d", i, s.ID)
		}
	}
	for a, n := range perArtist {
		if n < 5 || n > 15 {
			t.Errorf("artist %d: %d songs", a, n)
		}
	}
	var all []melon.Playlist
	for _, split := range []string{"train", "val", "test"} {
		all = append(all, ds.splits[split]...)
	}
	within, base := coherence(ds.meta, index, all)
	t.Logf("medium: %d artists, same-genre pairs %.3f within playlists vs %.3f base rate", len(perArtist), within, base)
	if within < base+0.2 {
		t.Errorf("playlists not genre-coherent: %.3f vs base %.3f", within, base)
	}
	for _, p := range all {
		if len(p.Songs) < size.MinLen || len(p.Songs) > size.MaxLen {
			t.Fatalf("playlist %d: %d songs", p.ID, len(p.Songs))
		}
	}
}

// coherence returns the fraction of same-top-genre song pairs within playlists and over all songs.
func coherence(songs []melon.Song, index map[int]int, playlists []melon.Playlist) (within, base float64) {
	top := func(id int) string { return songs[index[id]].Genres[0] }
	var same, pairs float64
	for _, p := range playlists {
		for i := range p.Songs {
			for j := i + 1; j < len(p.Songs); j++ {
				pairs++
				if top(p.Songs[i]) == top(p.Songs[j]) {
					same++
				}
			}
		}
	}
	count := map[string]float64{}
	for _, s := range songs {
		count[s.Genres[0]]++
	}
	n := float64(len(songs))
	var baseSame float64
	for _, c := range count {
		baseSame += c * (c - 1) / 2
	}
	return same / pairs, baseSame / (n * (n - 1) / 2)
}

func TestReal(t *testing.T) {
	needTools(t)
	src := RealSources["wesnoth"]
	if firstExisting(src.Dirs) == "" {
		if os.Getenv("MUSICREP_REQUIRE_AUDIO") == "1" {
			t.Fatalf("MUSICREP_REQUIRE_AUDIO=1 and %s is not installed (scripts/setup-audio.sh --real)", src.Package)
		}
		t.Skipf("%s not installed: scripts/setup-audio.sh --real", src.Package)
	}
	dir := t.TempDir()
	if _, err := Generate(context.Background(), Options{Out: dir, Size: "tiny", Seed: 3, Real: "wesnoth",
		RealLimit: 3, MetadataOnly: true}); err != nil {
		t.Fatal(err)
	}
	d, err := melon.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var real []melon.Song
	for _, s := range d.Songs {
		if s.Genres[0] == RealGenre.Code {
			real = append(real, s)
		}
	}
	if len(real) != 3 || d.Genres[RealGenre.Code] != RealGenre.Name {
		t.Fatalf("%d real songs, genre %q", len(real), d.Genres[RealGenre.Code])
	}
	for _, s := range real {
		if s.Name == "" || s.ArtistNames[0] == "Unknown" || s.AlbumName != "The Battle for Wesnoth OST" ||
			d.Genres[s.DetailGenres[0]] != s.AlbumName || !strings.HasSuffix(s.IssueDate, "0000") {
			t.Errorf("real song %+v", s)
		}
	}
	if testing.Short() {
		return
	}
	// Decode the shortest track to 16 kHz mono.
	tracks, skipped, _, err := scanReal(src)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d tracks, skipped (too short): %v", len(tracks), skipped)
	shortest := tracks[0]
	for _, tr := range tracks {
		if tr.Seconds < shortest.Seconds {
			shortest = tr
		}
	}
	wav := filepath.Join(dir, "real.wav")
	secs, err := decodeReal(context.Background(), shortest.Path, wav)
	if err != nil {
		t.Fatal(err)
	}
	info, err := ReadWAVInfo(wav)
	if err != nil || info.SampleRate != 16000 || info.Channels != 1 || math.Abs(info.Seconds()-secs) > 0.01 ||
		math.Abs(secs-shortest.Seconds) > 0.1 {
		t.Errorf("%s → %+v, %v", shortest.Path, info, err)
	}
	t.Logf("%s (%q by %s): %.1f s", filepath.Base(shortest.Path), shortest.Title, shortest.Artist, secs)
}

// TestDecodeRealMatchesOggdec: the real recordings are decoded from their first sample (the excerpt of Wesnoth's
// battle-epic.ogg whose first audio packet shares the setup header's page, which the previous decoder skipped,
// starting 128 samples late): the 16 kHz mono signal equals Debian's oggdec output (musicrep/audio/testdata,
// commands in its README) mixed and resampled the same way, within the 16-bit quantisation of oggdec's output.
func TestDecodeRealMatchesOggdec(t *testing.T) {
	const dir = "../../musicrep/audio/testdata/"
	got, err := decodeMono16k(context.Background(), dir+"battle-epic_head.ogg")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(dir + "battle-epic_head.oggdec.s16")
	if err != nil {
		t.Fatal(err)
	}
	mono := make([]float32, len(raw)/4)
	for i := range mono { // interleaved stereo, 16-bit little-endian
		l := int16(binary.LittleEndian.Uint16(raw[4*i:]))
		r := int16(binary.LittleEndian.Uint16(raw[4*i+2:]))
		mono[i] = (float32(l)/32768 + float32(r)/32768) / 2
	}
	want := resample(mono, 44100, SampleRate)
	if len(got) != len(want) {
		t.Fatalf("%d samples, oggdec gives %d", len(got), len(want))
	}
	var maxDiff, maxAbs float64
	for i := range got {
		maxDiff = math.Max(maxDiff, math.Abs(float64(got[i]-want[i])))
		maxAbs = math.Max(maxAbs, math.Abs(float64(want[i])))
	}
	t.Logf("max |decoded − oggdec| = %.2g, signal peak %.3f", maxDiff, maxAbs)
	if maxAbs < 0.01 || maxDiff > 2e-4 {
		t.Errorf("max |decoded − oggdec| = %.2g (signal peak %.3f), want ≤ 2e-4", maxDiff, maxAbs)
	}
}

func TestChordName(t *testing.T) {
	for _, c := range []struct {
		roman string
		key   int
		want  string
	}{
		{"I", 0, "C"}, {"vi", 0, "Am"}, {"ii7", 0, "Dm7"}, {"V7", 7, "D7"}, {"Imaj7", 3, "Ebmaj7"},
		{"bVII", 0, "Bb"}, {"ii7b5", 9, "Bm7b5"}, {"i6", 2, "Dm6"}, {"bII7", 11, "C7"}, {"IV", 10, "Eb"},
	} {
		got, err := chordName(c.roman, c.key)
		if err != nil || got != c.want {
			t.Errorf("chordName(%q, %s) = %q, %v; want %q", c.roman, pitchNames[c.key], got, err, c.want)
		}
	}
	if _, err := chordName("X7", 0); err == nil {
		t.Error("chordName accepted X7")
	}
	// Every template parses.
	for h, tpls := range progressions {
		for _, tpl := range tpls {
			for _, r := range strings.Fields(tpl) {
				if _, err := chordName(r, 0); err != nil {
					t.Errorf("harmony %d: %v", h, err)
				}
			}
		}
	}
}

func TestBarsFor(t *testing.T) {
	for _, c := range []struct {
		secs        float64
		tempo, beat int
		want        int
	}{{32, 120, 4, 16}, {32, 60, 4, 8}, {32, 180, 3, 32}, {31, 100, 4, 13}} {
		if got := barsFor(c.secs, c.tempo, c.beat); got != c.want {
			t.Errorf("barsFor(%v, %d, %d) = %d, want %d", c.secs, c.tempo, c.beat, got, c.want)
		}
	}
}

func TestResample(t *testing.T) {
	sine := func(freq float64, rate, n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(0.5 * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
		}
		return x
	}
	rms := func(x []float32) float64 {
		var s float64
		for _, v := range x[len(x)/4 : 3*len(x)/4] {
			s += float64(v) * float64(v)
		}
		return math.Sqrt(s / float64(len(x)/2))
	}
	for _, c := range []struct {
		freq    float64
		in      int
		lo, hi  float64 // expected output RMS range (input RMS 0.354)
		wantLen int
	}{
		{1000, 44100, 0.34, 0.36, 16000},
		{1000, 48000, 0.34, 0.36, 16000},
		{12000, 44100, 0, 0.01, 16000}, // above the new Nyquist: removed, not aliased
	} {
		y := resample(sine(c.freq, c.in, c.in), c.in, 16000)
		if len(y) != c.wantLen || rms(y) < c.lo || rms(y) > c.hi {
			t.Errorf("%g Hz at %d Hz → %d samples, RMS %.4f; want %d samples, RMS in [%g, %g]", c.freq, c.in,
				len(y), rms(y), c.wantLen, c.lo, c.hi)
		}
	}
}

func TestWAVRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.wav")
	x := []float32{0, 0.5, -0.5, 1, -1, 0.25}
	if err := os.WriteFile(path, encodeWAV16(x, 16000), 0o644); err != nil {
		t.Fatal(err)
	}
	y, info, err := readWAV16(path)
	if err != nil || info.Channels != 1 || info.SampleRate != 16000 || info.Frames != len(x) {
		t.Fatalf("%+v, %v", info, err)
	}
	for i := range x {
		if math.Abs(float64(x[i]-y[i])) > 1.0/16000 {
			t.Errorf("sample %d: %v → %v", i, x[i], y[i])
		}
	}
}

func TestSkipGroove(t *testing.T) {
	for name, want := range map[string]bool{"DescendingJazz": false, "BossaNova1Sus": false, "BalladEnd": true,
		"RockWaltz1intro8": true, "FrenchWaltz1FillSus": true, "CubanGuitarEndSus": true, "Metronome2-4": true,
		"R&B-BalladSusPlus": false} {
		if skipGroove(name) != want {
			t.Errorf("skipGroove(%q) = %v", name, !want)
		}
	}
}

func TestFamilies(t *testing.T) {
	seen := map[string]bool{}
	tops := map[string]bool{}
	for _, g := range TopGenres {
		tops[g.Code] = true
	}
	for _, f := range Families() {
		if seen[f.Code] || seen[f.File] || !tops[f.Top()] || f.TempoLo >= f.TempoHi || len(f.Code) != 6 {
			t.Errorf("family %+v", f)
		}
		seen[f.Code], seen[f.File] = true, true
	}
}
