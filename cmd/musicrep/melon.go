package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/musicrep/musicrep/musicrep/audio"
	"github.com/musicrep/musicrep/tools/melongen"
)

// melonMel computes the arena_mel spectrograms of generated datasets with musicrep's front-end (package audio):
// the centred 29.1 s at 16 kHz, 48 Slaney mel bands, dB as contrastive-mir (48 × 1,819 frames).
var melonMel melongen.MelFunc = audio.ArenaMel

// cmdMelonGenerate writes a dataset in the Melon layout from real instrument sounds (mma styles rendered with
// fluidsynth), optionally with real recordings, and simulated playlists. With -derive-from the spectrograms are
// derived from a rendered dataset's instead (size large needs it: 100,000 songs for scale tests).
//
//	musicrep melon-generate [-out out/melon-SIZE] [-size tiny|medium|large] [-songs N] [-seed 1] [-real wesnoth]
//	                        [-workers 2] [-keep-audio=true] [-metadata-only] [-derive-from DIR] [-frames N]
//	                        [-test-soundfont FILE|none]
func cmdMelonGenerate(ctx context.Context, args []string) error {
	fs := newFlags("melon-generate")
	sizes := make([]string, 0, len(melongen.Sizes))
	for name := range melongen.Sizes {
		sizes = append(sizes, name)
	}
	sort.Strings(sizes)
	out := fs.String("out", "", "output directory (default out/melon-SIZE); must be new, empty or a previous "+
		"melon-generate output (unchanged songs are then reused)")
	size := fs.String("size", "tiny", "dataset size: "+strings.Join(sizes, ", ")+
		" (tiny: 30 songs, 3 genres, 40 playlists, ~20 s; medium: 2,000 songs, 10 genres, 3,000 playlists, "+
		"~12 min on 2 cores and 2.3 GB of WAVs; large: 100,000 songs, 150,000 playlists, spectrograms derived "+
		"from a rendered dataset (-derive-from), 17.6 GB of float16 arena_mel, for time/memory scale tests)")
	songs := fs.Int("songs", 0, "number of songs (0: the size's); playlists and listeners scale in proportion")
	deriveFrom := fs.String("derive-from", "", "derive the arena_mel spectrograms from this rendered dataset "+
		"(a tiny/medium melon-generate output with arena_mel; large needs one with (nearly) all families, e.g. "+
		"out/melon-medium) by mel-domain transformations, instead of rendering: no tools needed, float16 files; "+
		"the README says the songs are near-duplicates, for scale tests only")
	frames := fs.Int("frames", 0, "with -derive-from: frames per derived spectrogram (0: the base song's, 1,819; "+
		"128 + 96 × frames bytes per song: 100,000 songs take 17.6 GB at 1,819, 10.2 GB at 1,024, 5.3 GB at 512)")
	seed := fs.Uint64("seed", 1, "random seed: the same seed gives the same dataset")
	realSrc := fs.String("real", "", "also add real recordings: wesnoth (Debian wesnoth-1.16-music: the 35 of its 41 "+
		"tracks that last ≥ 31 s)")
	realLimit := fs.Int("real-limit", 0, "use at most this many real recordings (0: all)")
	workers := fs.Int("workers", 2, "parallel renders or derivations")
	keepAudio := fs.Bool("keep-audio", true, "keep the 16 kHz WAV files in OUT/audio (false: delete each "+
		"after its mel-spectrogram is written)")
	testSF := fs.String("test-soundfont", melongen.DefaultTestSoundFont, "General MIDI soundfont the test songs "+
		"(song_split.json, split by artist) are rendered with, so that instrument timbre cannot identify a style "+
		"across the split (scripts/setup-audio.sh installs the default); none: render every song with FluidR3_GM")
	metaOnly := fs.Bool("metadata-only", false, "write the JSON files and mma sources only, render nothing")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q (all options are flags)", fs.Args())
	}
	if *out == "" {
		*out = "out/melon-" + *size
	}
	if melonMel == nil && !*metaOnly && *deriveFrom == "" {
		fmt.Fprintln(os.Stderr, "melon-generate: no mel front-end wired: the dataset will have no arena_mel "+
			"spectrograms (audio/ keeps the WAVs)")
	}
	sum, err := melongen.Generate(ctx, melongen.Options{Out: *out, Size: *size, Seed: *seed, Real: *realSrc,
		RealLimit: *realLimit, Workers: *workers, Mel: melonMel, DropAudio: !*keepAudio, MetadataOnly: *metaOnly,
		Songs: *songs, DeriveFrom: *deriveFrom, TestSoundFont: testSoundFont(*testSF, *deriveFrom), Frames: *frames, Progress: os.Stderr})
	if err != nil {
		return err
	}
	fmt.Println(sum)
	if len(sum.DroppedGrooves) > 0 {
		fmt.Printf("grooves that did not render here (left out): %s\n", strings.Join(sum.DroppedGrooves, ", "))
	}
	return nil
}

// testSoundFont maps the -test-soundfont flag to melongen.Options.TestSoundFont: none (or a derived dataset,
// which renders nothing) means the same soundfont for every song.
func testSoundFont(flag, deriveFrom string) string {
	if flag == "none" || deriveFrom != "" {
		return ""
	}
	return flag
}
