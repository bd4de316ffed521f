package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/cmir"
	"github.com/musicrep/musicrep/musicrep/inference"
	"github.com/musicrep/musicrep/musicrep/melon"
	"github.com/musicrep/musicrep/musicrep/musicnn"
	"github.com/musicrep/musicrep/musicrep/objective"
	"github.com/musicrep/musicrep/musicrep/pipeline"
	"github.com/musicrep/musicrep/musicrep/training"
)

// cmdCmir trains contrastive-mir's variants on a Melon-layout dataset and writes the task table.
func cmdCmir(ctx context.Context, args []string) error {
	fs := newFlags("cmir")
	dataset := fs.String("dataset", "", "Melon-layout directory (song_meta.json, train.json, arena_mel/...), e.g. "+
		"one written by musicrep melon-generate")
	name := fs.String("name", "", "results name (default cmir-PRESET): evaluation/results/NAME.*, checkpoints/NAME/VARIANT")
	preset := fs.String("preset", "tiny", "paper (published CNN and schedule), small or tiny")
	epochs := fs.Int("epochs", 0, "override the preset's number of epochs")
	batch := fs.Int("batch", 0, "override the preset's batch size (songs per step)")
	variants := fs.String("variants", "contrastive,baseline-mf,baseline-gnr", "comma-separated: contrastive, "+
		"contrastive-gnr, contrastive-mf, baseline-mf, baseline-gnr, baseline-mf-gnr")
	cfFactors := fs.Int("cf-factors", 300, "BPR factors of the CF modality")
	cfThreads := fs.Int("cf-threads", 1, "BPR goroutines: 1 is deterministic for -seed; more run Hogwild SGD "+
		"(faster on several cores, not reproducible run to run); -1: all cores")
	seed := fs.Uint64("seed", 1, "seed of the split, CF and genre vectors")
	results := fs.String("results", filepath.Join("evaluation", "results"), "where to write NAME.json and NAME.md")
	fresh := fs.Bool("fresh", false, "discard existing checkpoints instead of resuming")
	backend := fs.String("backend", "", "GoMLX backend (default $GOMLX_BACKEND or go)")
	stream := fs.Bool("stream", false, "read spectrograms from disk when needed instead of loading them all "+
		"(for datasets larger than memory: 100,000 songs take 35 GB as float32)")
	maxSongs := fs.Int("max-songs", 0, "use a seeded random subset of this many songs (0: all)")
	compare := fs.String("compare", "", "a report JSON of another run over the same test songs and playlists "+
		"(e.g. the dataset with the test songs rendered with the training soundfont): paired bootstrap "+
		"differences of genre accuracy and HR@10 for rows of the same name")
	lrs := fs.String("lrs", "", "comma-separated learning rates: with several, each variant is trained once per "+
		"rate and the rate (and epoch) with the lowest validation loss is kept (e.g. 1e-4,1e-3,3e-3); one sets "+
		"the rate; empty keeps the preset's (1e-4)")
	jointRow := fs.String("joint", "", "also train the joint model with contrastive-mir's CNN as its audio encoder "+
		"(modalities audio, cf, tags; the preset's CNN, batch, epochs and learning rate) and score it from audio "+
		"alone in its shared space: \"default\", or joint settings such as \"joint_dim=64;joint_fusion=mean\"")
	withMusicnn := fs.Bool("musicnn", false, "also score the pretrained MSD_musicnn features of every song (frozen; "+
		"computed from the dataset's 16 kHz audio/ID.wav with musicnn's own front-end, cached in -musicnn-cache), and "+
		"with -joint train a second joint model whose audio modality is those frozen features (dense encoder) next "+
		"to the CNN trained from scratch")
	musicnnCache := fs.String("musicnn-cache", "", "with -musicnn: folder of the per-song cache (default DATASET/musicnn/MSD_musicnn)")
	musicnnWorkers := fs.Int("musicnn-workers", 2, "with -musicnn: songs analysed in parallel")
	finetune := fs.Bool("musicnn-finetune", false, "with -joint: also train the joint model with the pretrained "+
		"MSD_musicnn network as its audio encoder, fine-tuned on musicnn's input patches of the songs' audio "+
		"(joint_audio_encoder=musicnn; slow on a CPU)")
	finetuneSet := fs.String("musicnn-finetune-set", "", "with -musicnn-finetune: settings of the fine-tuned row's "+
		"joint model only, after -joint's (e.g. \"num_epochs=3\": a shorter budget than the other joint rows)")
	finetunePatches := fs.Int("musicnn-finetune-patches", 0, "with -musicnn-finetune: embed each song for the "+
		"fine-tuned row from its central N musicnn patches only (0: all; a 29.1 s song has 9), to bound the full "+
		"network's forward passes on a CPU; training still draws from all patches")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dataset == "" {
		return fmt.Errorf("give the dataset with -dataset DIR (make one with musicrep melon-generate)")
	}
	if *finetunePatches < 0 || (*finetunePatches > 0 && !*finetune) {
		return fmt.Errorf("-musicnn-finetune-patches %d: give a positive number of patches with -musicnn-finetune "+
			"(or 0 for all)", *finetunePatches)
	}
	if *musicnnWorkers < 1 || *musicnnWorkers > 64 {
		return fmt.Errorf("-musicnn-workers %d: must be between 1 and 64", *musicnnWorkers)
	}
	if *jointRow != "" {
		if _, err := training.NewStore("", cmir.JointSettings(*jointRow)); err != nil {
			return fmt.Errorf("-joint %q: %w", *jointRow, err)
		}
	}
	if *finetuneSet != "" {
		if !*finetune {
			return fmt.Errorf("-musicnn-finetune-set %q sets the fine-tuned row: give -musicnn-finetune too", *finetuneSet)
		}
		if _, err := training.NewStore("", cmir.FinetuneSettings(*jointRow+";"+*finetuneSet)); err != nil {
			return fmt.Errorf("-musicnn-finetune-set %q: %w", *finetuneSet, err)
		}
	}
	// Range checks before any data is read or CF is fitted.
	if *maxSongs < 0 {
		return fmt.Errorf("-max-songs %d: give a positive number of songs, or 0 for all", *maxSongs)
	}
	if *epochs < 0 || *batch < 0 {
		return fmt.Errorf("-epochs %d / -batch %d: give a positive number, or 0 for the preset's", *epochs, *batch)
	}
	if *cfFactors < 1 {
		return fmt.Errorf("-cf-factors %d: BPR needs at least 1 factor (the paper: 300)", *cfFactors)
	}
	if *cfThreads == 0 || *cfThreads < -1 {
		return fmt.Errorf("-cf-threads %d: give 1 (deterministic), more for Hogwild, or -1 for all cores", *cfThreads)
	}
	if _, err := training.NewStore(*preset, "model=cmir-contrastive"); err != nil {
		return fmt.Errorf("-preset %q: %w", *preset, err)
	}
	if *name == "" {
		*name = "cmir-" + *preset
	}
	var vs []objective.Variant
	for _, name := range strings.Split(*variants, ",") {
		v, err := objective.ParseVariant(strings.TrimSpace(name))
		if err != nil {
			return fmt.Errorf("-variants: %w", err)
		}
		if slices.Contains(vs, v) {
			return fmt.Errorf("-variants: %q is listed twice", v)
		}
		vs = append(vs, v)
	}
	var rates []float64
	if *lrs != "" {
		for _, f := range strings.Split(*lrs, ",") {
			r, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil || !(r > 0) {
				return fmt.Errorf("-lrs %q: %q is not a positive number", *lrs, f)
			}
			rates = append(rates, r)
		}
	}
	b, err := openBackend(*backend)
	if err != nil {
		return err
	}
	var mn []*musicnn.Model
	if *finetune && *jointRow == "" {
		return fmt.Errorf("-musicnn-finetune adds a joint model row: give -joint too (e.g. -joint default)")
	}
	if *withMusicnn {
		if mn, err = loadMusicnn([]string{"MSD_musicnn"}, b); err != nil {
			return err
		}
	}
	opt := cmir.ReportOptions{Dataset: *dataset, Name: *name, Preset: *preset, Epochs: *epochs, BatchSize: *batch,
		Variants: vs, Seed: *seed, CFFactors: *cfFactors, CFThreads: *cfThreads, ResultsRoot: *results, Fresh: *fresh, Backend: b,
		Progress: os.Stderr, Stream: *stream, MaxSongs: *maxSongs, LearningRates: rates, CompareWith: *compare,
		Joint: *jointRow, MusicnnCache: *musicnnCache, MusicnnWorkers: *musicnnWorkers, MusicnnFinetune: *finetune,
		MusicnnFinetuneSet: *finetuneSet, MusicnnFinetunePatches: *finetunePatches}
	if mn != nil {
		opt.Musicnn = mn[0]
	}
	rep, err := cmir.RunReport(ctx, opt)
	if err != nil {
		return err
	}
	fmt.Print(rep.Markdown())
	fmt.Printf("\nwrote %s and %s\n", filepath.Join(*results, rep.Name+".json"), filepath.Join(*results, rep.Name+".md"))
	return nil
}

// cmdEmbedAudio embeds audio files with a trained contrastive-mir audio encoder and lists the nearest songs of a
// Melon-layout dataset.
func cmdEmbedAudio(args []string) error {
	fs := newFlags("embed-audio")
	ck := fs.String("checkpoint", "", "a contrastive-mir run (checkpoints/NAME/VARIANT, or its best/ folder)")
	dataset := fs.String("dataset", "", "Melon-layout directory whose songs are searched (optional)")
	k := fs.Int("k", 10, "nearest songs per file")
	out := fs.String("out", "", "write the embeddings (seed JSON format + .npy) to this path without extension")
	backend := fs.String("backend", "", "GoMLX backend (default $GOMLX_BACKEND or go)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *ck == "" || fs.NArg() == 0 {
		return fmt.Errorf("usage: musicrep embed-audio -checkpoint checkpoints/NAME/VARIANT/best [-dataset DIR] FILE...")
	}
	if *k < 1 {
		return fmt.Errorf("-k %d: list at least 1 nearest song", *k)
	}
	for _, a := range fs.Args() {
		if strings.HasPrefix(a, "-") {
			return fmt.Errorf("embed-audio: %q after the files is not read as a flag: put every flag before the files", a)
		}
	}
	b, err := openBackend(*backend)
	if err != nil {
		return err
	}
	e, c, err := cmir.LoadEmbedder(*ck, b)
	if err != nil {
		return err
	}
	fmt.Printf("model: %s (%s)\n", c.Path, c.Meta.Architecture)
	var ds *melon.Dataset
	var data *cmir.Data
	var songs *musicrep.Embeddings
	if *dataset != "" {
		if ds, err = melon.Load(*dataset); err != nil {
			return err
		}
		if data, err = cmir.Prepare(ds, cmir.PrepareOptions{SongsOnly: true}); err != nil {
			return err
		}
		if songs, err = cmir.EmbedSongs(e, data, "songs", true); err != nil {
			return err
		}
	}
	var ids []string
	var vecs []float32
	var failed []string
	for _, path := range fs.Args() {
		v, mel, err := e.EmbedFile(path)
		if err != nil {
			// A bad file is reported and skipped; the others are still embedded (and written with -out).
			fmt.Fprintf(os.Stderr, "embed-audio: skipping %s: %v\n", path, err)
			failed = append(failed, path)
			continue
		}
		ids = append(ids, path)
		vecs = append(vecs, v...)
		fmt.Printf("%s: %d mel frames → %d chunks → %d-d embedding\n", path, mel.Frames, cmir.Chunks(mel.Frames), len(v))
		if songs == nil {
			continue
		}
		nbs, near, err := cmir.Nearest(ds, data, songs, v, *k)
		if err != nil {
			return err
		}
		for i, song := range near {
			var names []string
			for _, g := range append(append([]string{}, song.Genres...), song.DetailGenres...) {
				names = append(names, ds.Genres[g])
			}
			fmt.Printf("%3d. %-36s %-24s %s  (cos %.3f)\n", i+1, clip(song.Name, 36),
				clip(strings.Join(song.ArtistNames, ", "), 24), strings.Join(names, " / "), cmir.Cosine(nbs[i]))
		}
	}
	if *out != "" && len(ids) > 0 {
		j, n, err := inference.Export(*out, ids, vecs, len(vecs)/len(ids))
		if err != nil {
			return err
		}
		fmt.Printf("wrote %s and %s (%d of %d files)\n", j, n, len(ids), len(fs.Args()))
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d files could not be embedded (each is named above): %s", len(failed),
			len(fs.Args()), strings.Join(failed, ", "))
	}
	return nil
}

// melonFlags select a Melon-layout dataset for `musicrep train`.
type melonFlags struct {
	dataset   string
	cfFactors int
	seed      uint64
	stream    bool
	maxSongs  int
	musicnn   bool
	mnCache   string
	patches   bool
}

func (m *melonFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&m.dataset, "dataset", "", "train on a Melon-layout directory (mel crops, CF vectors from its "+
		"playlists, genre tags) instead of the Fairouz features: models cmir-* and joint with "+
		"joint_audio_encoder=cnn (e.g. -set \"model=joint;joint_audio_encoder=cnn;joint_modalities=audio,cf,tags\")")
	fs.IntVar(&m.cfFactors, "cf-factors", 300, "with -dataset: BPR factors of the CF modality")
	fs.Uint64Var(&m.seed, "dataset-seed", 1, "with -dataset: seed of the song split, CF and genre vectors (as musicrep cmir -seed)")
	fs.BoolVar(&m.stream, "stream", false, "with -dataset: read spectrograms from disk when needed")
	fs.IntVar(&m.maxSongs, "max-songs", 0, "with -dataset: a seeded random subset of this many songs (0: all)")
	fs.BoolVar(&m.musicnn, "musicnn", false, "with -dataset: the audio modality is the frozen MSD_musicnn features "+
		"of each song (from DATASET/audio, cached in -musicnn-cache) instead of mel crops: model=joint with "+
		"joint_audio_encoder=mlp")
	fs.StringVar(&m.mnCache, "musicnn-cache", "", "with -musicnn: the per-song cache (default DATASET/musicnn/MSD_musicnn)")
	fs.BoolVar(&m.patches, "musicnn-patches", false, "with -dataset: the audio modality is musicnn's input patches "+
		"of each song's audio, for model=joint with joint_audio_encoder=musicnn (the pretrained network, fine-tuned)")
}

// trainOnMelon trains any model that reads a Melon-layout dataset through the one trainer: the run keeps its
// best checkpoint by validation loss in checkpoints/NAME/best.
func trainOnMelon(ctx context.Context, tf trainFlags, mf melonFlags) error {
	if mf.musicnn && mf.patches {
		return fmt.Errorf("-musicnn (frozen features) and -musicnn-patches (patches to fine-tune musicnn on) are two " +
			"audio inputs: give one")
	}
	if mf.cfFactors < 1 || mf.maxSongs < 0 {
		return fmt.Errorf("-cf-factors %d must be ≥ 1 and -max-songs %d ≥ 0", mf.cfFactors, mf.maxSongs)
	}
	if tf.heldout || tf.features != "" || tf.leakyGraph {
		return fmt.Errorf("-heldout, -features and -leaky-graph are for the Fairouz features; a Melon-layout " +
			"dataset has its own split by artist")
	}
	if err := pipeline.ValidateRunName(tf.name); err != nil {
		return err
	}
	store, err := training.NewStore(tf.preset, tf.set)
	if err != nil {
		return err
	}
	backend, err := openBackend(tf.backend)
	if err != nil {
		return err
	}
	ds, err := melon.Load(mf.dataset)
	if err != nil {
		return err
	}
	data, err := cmir.Prepare(ds, cmir.PrepareOptions{Seed: mf.seed, CFFactors: mf.cfFactors, Progress: os.Stderr,
		Stream: mf.stream, MaxSongs: mf.maxSongs})
	if err != nil {
		return err
	}
	var train training.Dataset = data
	if mf.patches {
		p, err := cmir.SongPatches(ctx, data)
		if err != nil {
			return err
		}
		train = p
	}
	if mf.musicnn {
		ms, err := loadMusicnn([]string{"MSD_musicnn"}, backend)
		if err != nil {
			return err
		}
		e, err := cmir.SongMusicnn(ctx, data, cmir.MusicnnOptions{Model: ms[0], CacheDir: mf.mnCache, Workers: 2,
			Progress: os.Stderr})
		if err != nil {
			return err
		}
		if train, err = cmir.WithAudioFeatures(data, e); err != nil {
			return err
		}
	}
	dir := filepath.Join("checkpoints", tf.name)
	res, err := training.Train(ctx, training.Config{Dir: dir, Store: store, Data: train, Backend: backend,
		Progress: os.Stderr, Fresh: tf.fresh, AllowChangedInputs: tf.allowChanged})
	if err != nil {
		return err
	}
	fmt.Printf("trained %s: %s\n%d epochs, global step %d, %.0f examples/s, %s\ncheckpoint: %s\n", tf.name,
		res.Model, res.Epochs, res.GlobalStep, res.PairsPerSecond, res.Wall.Round(1e9), res.Checkpoint)
	if res.Best != "" {
		fmt.Printf("best validation loss %.6f at epoch %d: %s\n", res.BestValLoss, res.BestEpoch, res.Best)
	}
	return nil
}
