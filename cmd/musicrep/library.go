package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/gomlx/compute"

	"github.com/musicrep/musicrep/musicrep/inference"
	"github.com/musicrep/musicrep/musicrep/library"
	"github.com/musicrep/musicrep/musicrep/musicnn"
	"github.com/musicrep/musicrep/musicrep/pipeline"
	"github.com/musicrep/musicrep/musicrep/textenc"
)

// parseInterleaved parses flags that may come before, between or after positional arguments
// (`library scan DIR -out LIB`): Go's flag parser stops at the first positional argument, so the rest is
// parsed again after it. A lone "--" ends the flags.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > 0 && len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func cmdTag(args []string) error {
	fs := newFlags("tag")
	models := fs.String("models", "MSD_musicnn,MTT_musicnn", "musicnn models, comma-separated: "+
		"MSD_musicnn, MTT_musicnn, MSD_vgg, MTT_vgg")
	k := fs.Int("k", 5, "tags shown per model")
	asJSON := fs.Bool("json", false, "print JSON")
	backend := fs.String("backend", "", "GoMLX backend (default $GOMLX_BACKEND or go)")
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return errors.New("usage: musicrep tag [-models MSD_musicnn,MTT_musicnn] [-k 5] [-json] FILE...")
	}
	if *k < 1 || *k > 50 {
		return fmt.Errorf("-k %d: must be between 1 and 50", *k)
	}
	b, err := openBackend(*backend)
	if err != nil {
		return err
	}
	ms, err := loadMusicnn(strings.Split(*models, ","), b)
	if err != nil {
		return err
	}
	type modelTags struct {
		Model string             `json:"model"`
		Tags  []library.TagScore `json:"tags"`
	}
	type fileTags struct {
		File     string      `json:"file"`
		Duration float64     `json:"duration,omitempty"`
		Patches  int         `json:"patches,omitempty"`
		Models   []modelTags `json:"models,omitempty"`
		Error    string      `json:"error,omitempty"`
	}
	var out []fileTags
	failed := 0
	for _, f := range files {
		tr, err := musicnn.AnalyzeFile(context.Background(), f, ms)
		if err != nil {
			failed++
			out = append(out, fileTags{File: f, Error: err.Error()})
			if !*asJSON {
				fmt.Fprintf(os.Stderr, "musicrep tag: %v\n", err)
			}
			continue
		}
		ft := fileTags{File: f, Duration: tr.Seconds, Patches: tr.Patches}
		for i, r := range tr.Results {
			labels := ms[i].Spec.Labels
			var ts []library.TagScore
			for _, j := range topIndices(r.MeanTags, *k) {
				ts = append(ts, library.TagScore{Tag: labels[j], Prob: float64(r.MeanTags[j])})
			}
			ft.Models = append(ft.Models, modelTags{Model: r.Model, Tags: ts})
		}
		out = append(out, ft)
		if !*asJSON {
			fmt.Printf("%s (%.1f s, %d patches of 3 s)\n", f, tr.Seconds, tr.Patches)
			for _, m := range ft.Models {
				var parts []string
				for _, t := range m.Tags {
					parts = append(parts, fmt.Sprintf("%s %.2f", t.Tag, t.Prob))
				}
				fmt.Printf("  %-12s %s\n", m.Model, strings.Join(parts, ", "))
			}
		}
	}
	if *asJSON {
		if err := printJSON(out); err != nil {
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files could not be tagged", failed, len(files))
	}
	return nil
}

func topIndices(v []float32, k int) []int {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return v[idx[a]] > v[idx[b]] })
	return idx[:min(k, len(idx))]
}

func loadMusicnn(names []string, b compute.Backend) ([]*musicnn.Model, error) {
	var ms []*musicnn.Model
	seen := map[string]bool{}
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" || seen[n] {
			continue
		}
		seen[n] = true
		m, err := musicnn.Load(n, "", b)
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	if len(ms) == 0 {
		return nil, errors.New("no musicnn model named")
	}
	return ms, nil
}

const libraryUsage = `usage:
  musicrep library scan DIR -out LIB [-workers N] [-no-text] [-max-files N [-balance LABEL]] [-max-seconds S]
  musicrep library tags -library LIB [-k 5] [ID...]
  musicrep library similar -library LIB [-features musicnn] [-k 10] ID|FILE
  musicrep library search -library LIB [-k 10] "dark heavy metal"
  musicrep library eval -library LIB -label album|artist|genre|folder [-json|-markdown]
  musicrep library embed -library LIB -checkpoint checkpoints/NAME [-as NAME]
  (train the joint model on a library: musicrep train -name NAME -library LIB -set "model=joint")`

func cmdLibrary(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New(libraryUsage)
	}
	switch args[0] {
	case "scan":
		return cmdLibraryScan(ctx, args[1:])
	case "tags":
		return cmdLibraryTags(args[1:])
	case "similar":
		return cmdLibrarySimilar(args[1:])
	case "search":
		return cmdLibrarySearch(args[1:])
	case "embed":
		return cmdLibraryEmbed(args[1:])
	case "eval":
		return cmdLibraryEval(args[1:])
	}
	return fmt.Errorf("unknown library command %q\n%s", args[0], libraryUsage)
}

// loadMiniLM loads all-MiniLM-L6-v2, or returns nil with a note when it is not installed and not required.
func loadMiniLM(b compute.Backend, required bool) (*textenc.Model, error) {
	dir, err := textenc.Locate()
	if err != nil {
		if required {
			return nil, err
		}
		fmt.Fprintf(os.Stderr, "musicrep: no MiniLM model, no text features: %v\n", err)
		return nil, nil
	}
	return textenc.Load(dir, b)
}

func cmdLibraryScan(ctx context.Context, args []string) error {
	fs := newFlags("library scan")
	out := fs.String("out", "", "library folder to write (tracks.json, features/, scan-errors.json, cache/)")
	workers := fs.Int("workers", 0, "files decoded in parallel (0: number of CPUs)")
	noText := fs.Bool("no-text", false, "do not compute MiniLM features of the metadata")
	quiet := fs.Bool("quiet", false, "no per-file progress lines")
	backend := fs.String("backend", "", "GoMLX backend (default $GOMLX_BACKEND or go)")
	maxFiles := fs.Int("max-files", 0, "scan only N of the audio files (0: all): the first N in path order, or "+
		"with -balance two tracks per label")
	balance := fs.String("balance", "", "with -max-files: pick files so that as many values of this label (album, "+
		"artist, genre, folder) as possible have two tracks")
	maxSeconds := fs.Float64("max-seconds", 0, "analyse only the first S seconds of each file (0: whole files); "+
		"tracks.json marks the tracks with excerpt_seconds")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if *maxFiles < 0 || *maxSeconds < 0 {
		return fmt.Errorf("-max-files %d, -max-seconds %g: must not be negative", *maxFiles, *maxSeconds)
	}
	if *balance != "" {
		if *maxFiles == 0 {
			return errors.New("-balance: only with -max-files N")
		}
		if _, err := (&library.Track{}).Label(*balance); err != nil {
			return fmt.Errorf("-balance: %w", err)
		}
	}
	if len(pos) != 1 || *out == "" {
		return fmt.Errorf("library scan: give one folder and -out\n%s", libraryUsage)
	}
	if *workers < 0 || *workers > 256 {
		return fmt.Errorf("-workers %d: must be between 0 and 256", *workers)
	}
	b, err := openBackend(*backend)
	if err != nil {
		return err
	}
	opt := library.ScanOptions{Dir: pos[0], Out: *out, Workers: *workers, MaxFiles: *maxFiles, Balance: *balance,
		MaxSeconds: *maxSeconds}
	note, err := opt.LoadModels(b, !*noText)
	if err != nil {
		return err
	}
	if note != "" {
		fmt.Fprintln(os.Stderr, "musicrep:", note)
	}
	if !*quiet {
		opt.Progress = func(p library.Progress) {
			state := "analysed"
			switch {
			case p.Failed:
				state = "FAILED (see scan-errors.json)"
			case p.Cached:
				state = "cached"
			}
			rate := ""
			if p.AudioSeconds > 0 {
				rate = fmt.Sprintf(", %.2f min of audio/s", p.AudioSeconds/60/p.Elapsed.Seconds())
			}
			fmt.Fprintf(os.Stderr, "[%d/%d %s%s] %s: %s\n", p.Done, p.Total, p.Elapsed.Round(time.Second), rate,
				p.Path, state)
		}
	}
	rep, err := library.Scan(ctx, opt)
	if err != nil {
		return err
	}
	fmt.Printf("library %s: %d tracks (%d analysed, %d cached, %d duplicates), %d unreadable (scan-errors.json); "+
		"%.1f min of audio analysed in %s (%.2f min of audio/s); feature sets: %s\n", *out, rep.Tracks,
		rep.Analysed, rep.Cached, rep.Duplicates, rep.Failed, rep.AudioSeconds/60, rep.Elapsed.Round(time.Second),
		rep.AudioSeconds/60/max(rep.Elapsed.Seconds(), 1e-9), strings.Join(rep.Sets, ", "))
	if rep.Selected < rep.Found {
		fmt.Printf("subset: %d of the %d audio files found (-max-files)\n", rep.Selected, rep.Found)
	}
	if *maxSeconds > 0 {
		fmt.Printf("excerpts: features from the first %g s of each file (-max-seconds)\n", *maxSeconds)
	}
	if rep.Interrupted {
		return fmt.Errorf("interrupted: %d files not analysed yet; the library holds the files done so far, run "+
			"the same command again to resume: %w", rep.Remaining, context.Canceled)
	}
	return nil
}

// openLibrary parses the flags, runs the optional checks of the other flags, then opens -library.
func openLibrary(fs *flag.FlagSet, args []string, lib *string, checks ...func() error) ([]string, *library.Library, error) {
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return nil, nil, err
	}
	if *lib == "" {
		return nil, nil, fmt.Errorf("%s: -library LIB is required\n%s", fs.Name(), libraryUsage)
	}
	for _, c := range checks {
		if err := c(); err != nil {
			return nil, nil, err
		}
	}
	l, err := library.Open(*lib)
	return pos, l, err
}

func cmdLibraryTags(args []string) error {
	fs := newFlags("library tags")
	lib := fs.String("library", "", "library folder (written by musicrep library scan)")
	k := fs.Int("k", 5, "tags shown per track")
	asJSON := fs.Bool("json", false, "print JSON")
	ids, l, err := openLibrary(fs, args, lib, func() error {
		if *k < 1 || *k > 100 {
			return fmt.Errorf("-k %d: must be between 1 and 100", *k)
		}
		return nil
	})
	if err != nil {
		return err
	}
	f, err := l.Set(library.SetMusicnnTags)
	if err != nil {
		return err
	}
	var rows []int
	if len(ids) == 0 {
		for i := range l.Tracks {
			rows = append(rows, i)
		}
	}
	for _, id := range ids {
		i, err := l.Index(id)
		if err != nil {
			return err
		}
		rows = append(rows, i)
	}
	type trackTags struct {
		ID   string             `json:"id"`
		Path string             `json:"path"`
		Tags []library.TagScore `json:"tags"`
	}
	var out []trackTags
	for _, i := range rows {
		t := l.Tracks[i]
		tt := trackTags{ID: t.ID, Path: t.Path, Tags: library.TopTags(f.Row(i), *k)}
		out = append(out, tt)
		if !*asJSON {
			var parts []string
			for _, s := range tt.Tags {
				parts = append(parts, fmt.Sprintf("%s %.2f", s.Tag, s.Prob))
			}
			fmt.Printf("%s  %s\n    %s\n", t.ID, t.Path, strings.Join(parts, ", "))
		}
	}
	if *asJSON {
		return printJSON(out)
	}
	return nil
}

func cmdLibrarySimilar(args []string) error {
	fs := newFlags("library similar")
	lib := fs.String("library", "", "library folder (written by musicrep library scan)")
	set := fs.String("features", library.SetMusicnn, "feature set: "+strings.Join(library.FeatureSets, ", "))
	k := fs.Int("k", 10, "tracks shown")
	asJSON := fs.Bool("json", false, "print JSON")
	backend := fs.String("backend", "", "GoMLX backend for a FILE query (default $GOMLX_BACKEND or go)")
	pos, l, err := openLibrary(fs, args, lib)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("library similar: give one track id (or path) or one audio file\n%s", libraryUsage)
	}
	if *k < 1 {
		return fmt.Errorf("-k %d: must be positive", *k)
	}
	f, err := l.Set(*set)
	if err != nil {
		return err
	}
	var query []float32
	exclude := -1
	if i, ierr := l.Index(pos[0]); ierr == nil {
		query, exclude = f.Row(i), i
	} else {
		if _, serr := os.Stat(pos[0]); serr != nil {
			return fmt.Errorf("%v, and no such file: %v", ierr, serr)
		}
		if *set == library.SetText {
			return errors.New("-features text: a file's metadata text is not computed here; use a track id")
		}
		b, err := openBackend(*backend)
		if err != nil {
			return err
		}
		ms, err := loadMusicnn([]string{"MSD_musicnn", "MTT_musicnn"}, b)
		if err != nil {
			return err
		}
		tr, err := musicnn.AnalyzeFile(context.Background(), pos[0], ms)
		if err != nil {
			return err
		}
		switch *set {
		case library.SetMusicnn:
			query = tr.Results[0].Embedding
		case library.SetMusicnnMTT:
			query = tr.Results[1].Embedding
		case library.SetMusicnnTags:
			query = append(append([]float32{}, tr.Results[0].MeanTags...), tr.Results[1].MeanTags...)
		case library.SetMelStats:
			query = tr.MelStats
		}
	}
	nbs := l.Similar(f, query, *k, exclude)
	if *asJSON {
		return printJSON(nbs)
	}
	fmt.Printf("nearest to %s (%s features, cosine):\n", pos[0], *set)
	for r, nb := range nbs {
		t := l.Tracks[nb.Index]
		fmt.Printf("%3d. %.3f  %s  %s  %s\n", r+1, nb.Cosine, t.ID, t.Path, describe(&t))
	}
	return nil
}

func describe(t *library.Track) string {
	var parts []string
	for _, s := range []string{t.Title, t.Artist, t.Album} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " / ")
}

func cmdLibrarySearch(args []string) error {
	fs := newFlags("library search")
	lib := fs.String("library", "", "library folder (written by musicrep library scan)")
	k := fs.Int("k", 10, "tracks shown")
	asJSON := fs.Bool("json", false, "print JSON")
	backend := fs.String("backend", "", "GoMLX backend (default $GOMLX_BACKEND or go)")
	pos, l, err := openLibrary(fs, args, lib)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return fmt.Errorf("library search: give a query text\n%s", libraryUsage)
	}
	if *k < 1 {
		return fmt.Errorf("-k %d: must be positive", *k)
	}
	b, err := openBackend(*backend)
	if err != nil {
		return err
	}
	tm, err := loadMiniLM(b, true)
	if err != nil {
		return err
	}
	query := strings.Join(pos, " ")
	w, err := library.SearchWeights(tm, query)
	if err != nil {
		return err
	}
	res, err := l.Search(w, *k)
	if err != nil {
		return err
	}
	top := library.TopTagWeights(w, 5)
	if *asJSON {
		return printJSON(map[string]any{"query": query, "tag_weights": top, "tracks": res})
	}
	var parts []string
	for _, t := range top {
		parts = append(parts, fmt.Sprintf("%s %.2f", t.Tag, t.Prob))
	}
	fmt.Printf("%q → tags %s\n", query, strings.Join(parts, ", "))
	for r, s := range res {
		t := l.Tracks[s.Index]
		fmt.Printf("%3d. %+.2f  %s  %s  %s\n", r+1, s.Score, t.ID, t.Path, describe(&t))
	}
	return nil
}

func cmdLibraryEval(args []string) error {
	fs := newFlags("library eval")
	lib := fs.String("library", "", "library folder (written by musicrep library scan)")
	label := fs.String("label", "album", "label that defines relevance: album, artist, genre or folder")
	asJSON := fs.Bool("json", false, "print JSON (metrics, ci95, differences, description)")
	markdown := fs.Bool("markdown", false, "print the table, intervals and paired differences as Markdown")
	pos, l, err := openLibrary(fs, args, lib, func() error {
		if *asJSON && *markdown {
			return errors.New("library eval: -json and -markdown: give one")
		}
		switch *label {
		case "album", "artist", "genre", "folder":
			return nil
		}
		return fmt.Errorf("-label %q: use album, artist, genre or folder", *label)
	})
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("library eval: unexpected argument %q: this command takes only flags", pos[0])
	}
	rep, err := l.Evaluate(*label)
	if err != nil {
		return err
	}
	switch {
	case *asJSON:
		return printJSON(rep)
	case *markdown:
		_, err := fmt.Print(rep.Markdown())
		return err
	}
	return rep.WriteText(os.Stdout)
}

func cmdLibraryEmbed(args []string) error {
	fs := newFlags("library embed")
	lib := fs.String("library", "", "library folder (written by musicrep library scan)")
	ck := fs.String("checkpoint", "", "a joint model's run directory (checkpoints/NAME) or ckpt-*.json file, e.g. "+
		"one trained with musicrep train -library LIB -set model=joint")
	as := fs.String("as", "", "run name in the feature set names model-NAME and model-NAME-audio (default: the "+
		"checkpoint's run directory name)")
	backend := fs.String("backend", "", "GoMLX backend (default $GOMLX_BACKEND or go)")
	pos, l, err := openLibrary(fs, args, lib, func() error {
		if *ck == "" {
			return fmt.Errorf("give the model with -checkpoint checkpoints/NAME")
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("library embed: unexpected argument %q: this command takes only flags", pos[0])
	}
	b, err := openBackend(*backend)
	if err != nil {
		return err
	}
	m, err := inference.Load(*ck, b)
	if err != nil {
		return err
	}
	run := *as
	if run == "" {
		run = runName(*ck)
	}
	sets, err := pipeline.EmbedLibrary(l, m, run)
	if err != nil {
		return err
	}
	printModelSets(l, sets)
	return nil
}

// runName is the run directory name of a checkpoint path (checkpoints/NAME, checkpoints/NAME/best,
// checkpoints/NAME/ckpt-N.json).
func runName(ck string) string {
	dir := filepath.Clean(ck)
	if strings.HasSuffix(dir, ".json") {
		dir = filepath.Dir(dir)
	}
	if filepath.Base(dir) == pipeline.BestDir {
		dir = filepath.Dir(dir)
	}
	return filepath.Base(dir)
}

func printModelSets(l *library.Library, sets []library.ModelSet) {
	for _, s := range sets {
		note := "trained elsewhere: " + s.Trained
		if s.InSample {
			note = "in-sample: trained on these tracks, without labels"
		}
		if len(s.Leaks) > 0 {
			note += "; LEAKS " + strings.Join(s.Leaks, ", ") + " (its training read the metadata text)"
		}
		fmt.Printf("wrote feature set %s (%s view; %s) to %s\n", s.Name, s.View, note,
			filepath.Join(l.Dir, library.FeaturesDir, s.Name+".npy"))
	}
	fmt.Printf("score them: musicrep library eval -library %s -label artist\n", l.Dir)
}
