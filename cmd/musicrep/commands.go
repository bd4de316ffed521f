package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/musicrep/musicrep/evaluation"
	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/ckpt"
	"github.com/musicrep/musicrep/musicrep/corpus"
	"github.com/musicrep/musicrep/musicrep/inference"
	"github.com/musicrep/musicrep/musicrep/pipeline"
	"github.com/musicrep/musicrep/musicrep/results"
	"github.com/musicrep/musicrep/musicrep/training"
)

func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("musicrep "+name, flag.ContinueOnError)
	return fs
}

// parseFlags parses the flags of a command that takes no positional argument. Go's flag parser stops at the
// first non-flag argument and silently ignores every flag after it, so a stray word would drop the flags
// that follow it (`export -checkpoint C stray -out X` would write to the default place): refuse it instead.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		ignored := ""
		if fs.NArg() > 1 {
			ignored = fmt.Sprintf("; everything after it (%s) was not read as flags", strings.Join(fs.Args()[1:], " "))
		}
		return fmt.Errorf("%s: unexpected argument %q: this command takes only flags (-name value)%s", fs.Name(),
			fs.Arg(0), ignored)
	}
	return nil
}

func loadData(dataFlag string, mods []musicrep.Modality) (*pipeline.Fairouz, error) {
	return loadDataWith(dataFlag, mods, "")
}

// loadDataWith also loads the feature files of a -features flag: "modality=path,modality=path".
func loadDataWith(dataFlag string, mods []musicrep.Modality, features string) (*pipeline.Fairouz, error) {
	dir, err := corpus.DataDir(dataFlag)
	if err != nil {
		return nil, err
	}
	extra := map[musicrep.Modality]string{}
	for _, item := range strings.Split(features, ",") {
		if strings.TrimSpace(item) == "" {
			continue
		}
		name, path, ok := strings.Cut(item, "=")
		m, err := musicrep.ParseModality(name)
		if !ok || err != nil || strings.TrimSpace(path) == "" {
			return nil, fmt.Errorf("-features %q: write modality=path pairs separated by commas, e.g. "+
				"text=lyrics_minilm.json (modalities: audio, image, text, graph, tags)", features)
		}
		if _, dup := extra[m]; dup {
			return nil, fmt.Errorf("-features %q: %s given twice", features, m)
		}
		extra[m] = strings.TrimSpace(path)
	}
	return pipeline.LoadFairouzWith(dir, mods, extra)
}

const featuresHelp = `feature files replacing or adding to the data directory's, "modality=path,..." ` +
	`(seed JSON format or .npy with .ids.json; dims are taken from the files)`

func cmdInfo(args []string) error {
	fs := newFlags("info")
	data := fs.String("data", "", "data directory (default $MUSICREP_DATA or ../shared/data)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	f, err := loadData(*data, nil)
	if err != nil {
		return err
	}
	sum, err := pipeline.Summarize(f)
	if err != nil {
		return err
	}
	fmt.Printf("data: %s\ntracks: %d (%s)\nartists: %d, albums: %d, genres: %d, tracks with lyrics: %d\n", f.DataDir,
		sum.Tracks, f.Corpus.TracksFile, len(sum.Artists), sum.Albums, len(sum.Genres), sum.WithLyrics)
	for _, m := range sum.Modalities {
		if m.Loaded {
			fmt.Printf("modality %-5s %4d-d, present for %d/%d tracks (%s)\n", m.Modality, m.Dim, m.Present, sum.Tracks,
				m.Source)
		} else {
			fmt.Printf("modality %-5s missing (no feature file)\n", m.Modality)
		}
	}
	for _, p := range sum.Pairs {
		fmt.Printf("pairs: %d (%d positive, %d negative; same artist: %.1f%% of positives, %.1f%% of negatives) in %s\n",
			p.Pairs, p.Positives, p.Pairs-p.Positives, 100*p.SameArtistPositives, 100*p.SameArtistNegatives, p.File)
	}
	if f.Published != "" {
		fmt.Printf("published joint embeddings: %s\n", f.Published)
	}
	return nil
}

func cmdHparams(args []string) error {
	fs := newFlags("hparams")
	preset := fs.String("preset", "", "preset: "+strings.Join(training.PresetNames(), ", "))
	set := fs.String("set", "", `hyperparameter overrides, "key=value;key=value"`)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	store, err := training.NewStore(*preset, *set)
	if err != nil {
		return err
	}
	for _, line := range training.Hyperparameters(store) {
		key, _, _ := strings.Cut(line, "=")
		if doc := training.Doc(key); doc != "" {
			line += "  # " + doc
		}
		fmt.Println(line)
	}
	return nil
}

type trainFlags struct {
	name, preset, set, data, backend, features string
	heldout, fresh, leakyGraph, allowChanged   bool
	splitSeed                                  uint64
	testFraction, valFraction                  float64
}

func (t *trainFlags) register(fs *flag.FlagSet, defaultName, defaultPreset string) {
	fs.StringVar(&t.name, "name", defaultName, "run name: checkpoints/NAME and embeddings/NAME.{json,npy}")
	fs.StringVar(&t.preset, "preset", defaultPreset, "hyperparameter preset: "+strings.Join(training.PresetNames(), ", "))
	fs.StringVar(&t.set, "set", "", `hyperparameter overrides, "key=value;key=value" (see musicrep hparams)`)
	fs.StringVar(&t.data, "data", "", "data directory (default $MUSICREP_DATA or ../shared/data)")
	fs.StringVar(&t.features, "features", "", featuresHelp)
	fs.StringVar(&t.backend, "backend", "", "GoMLX backend (default $GOMLX_BACKEND or go)")
	fs.BoolVar(&t.fresh, "fresh", false, "discard existing checkpoints of this run instead of resuming")
	fs.BoolVar(&t.allowChanged, "allow-changed-inputs", false, "resume even when the checkpoint was trained on "+
		"other inputs (features, pairs, split); by default that is refused")
	fs.Uint64Var(&t.splitSeed, "split-seed", pipeline.DefaultSplitSeed, "seed of the split by artist")
	fs.Float64Var(&t.testFraction, "test-fraction", pipeline.DefaultTestFraction, "fraction of tracks held out")
	fs.Float64Var(&t.valFraction, "val-fraction", pipeline.DefaultValFraction, "held-out runs: share of the "+
		"training tracks (by artist) kept aside to choose the epoch (best checkpoint in checkpoints/NAME/best); 0: none")
	fs.BoolVar(&t.leakyGraph, "leaky-graph", false, "held-out runs: keep binding_music's graph features (built "+
		"with every track's genre edges: leaks genre; an upper bound) instead of the split's leak-free graph")
}

func (t *trainFlags) options() (pipeline.TrainOptions, *pipeline.Fairouz, error) {
	if t.valFraction < 0 || t.valFraction >= 1 {
		return pipeline.TrainOptions{}, nil, fmt.Errorf("-val-fraction %v: give 0 (no validation split) or a share in (0, 1), e.g. 0.15", t.valFraction)
	}
	backend, err := openBackend(t.backend)
	if err != nil {
		return pipeline.TrainOptions{}, nil, err
	}
	store, err := training.NewStore(t.preset, t.set)
	if err != nil {
		return pipeline.TrainOptions{}, nil, err
	}
	mods, err := pipeline.ModelModalities(store)
	if err != nil {
		return pipeline.TrainOptions{}, nil, err
	}
	f, err := loadDataWith(t.data, mods, t.features)
	if err != nil {
		return pipeline.TrainOptions{}, nil, err
	}
	return pipeline.TrainOptions{DataDir: f.DataDir, Name: t.name, Preset: t.preset, Settings: t.set,
		Heldout: t.heldout, LeakyGraph: t.leakyGraph, ValFraction: t.valFraction, SplitSeed: t.splitSeed, TestFraction: t.testFraction, Fresh: t.fresh, AllowChangedInputs: t.allowChanged,
		Backend: backend, Progress: os.Stderr}, f, nil
}

func cmdTrain(ctx context.Context, args []string) error {
	fs := newFlags("train")
	var tf trainFlags
	tf.register(fs, "", "quick")
	fs.BoolVar(&tf.heldout, "heldout", false, "train only on pairs among the training tracks of the split by artist")
	var mf melonFlags
	mf.register(fs)
	lib := fs.String("library", "", "train the joint model on a scanned library (musicrep library scan DIR -out "+
		"LIB): audio = its musicnn features, text = MiniLM of the metadata, tags = the musicnn tag probabilities "+
		"(joint_modalities picks them); each track's own modalities are its positives. The trained model's "+
		"embeddings are written into the library as feature sets model-NAME (fused) and model-NAME-audio")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if tf.name == "" {
		return fmt.Errorf("give a run name with -name (checkpoints go to checkpoints/NAME)")
	}
	if *lib != "" && mf.dataset != "" {
		return fmt.Errorf("give -library or -dataset, not both")
	}
	if *lib != "" {
		return trainOnLibrary(ctx, tf, *lib)
	}
	if mf.dataset != "" {
		return trainOnMelon(ctx, tf, mf)
	}
	opt, f, err := tf.options()
	if err != nil {
		return err
	}
	res, err := pipeline.TrainAndExport(ctx, f, opt)
	if err != nil {
		return err
	}
	fmt.Printf("trained %s: %s\n%d epochs, global step %d, %.0f examples/s, %s\ncheckpoint: %s\nembeddings: %s, %s\n",
		opt.Name, res.Train.Model, res.Train.Epochs, res.Train.GlobalStep, res.Train.PairsPerSecond,
		res.Train.Wall.Round(1e9), res.Train.Checkpoint, res.EmbeddingsJSON, res.EmbeddingsNPY)
	for _, m := range musicrep.ModalityOrder {
		if p, ok := res.ModalityEmbeddings[m]; ok {
			fmt.Printf("%s alone in the shared space: %s\n", m, p)
		}
	}
	return nil
}

// trainOnLibrary trains the joint model on a scanned library and writes its embeddings into the library.
func trainOnLibrary(ctx context.Context, tf trainFlags, lib string) error {
	if tf.heldout || tf.features != "" || tf.leakyGraph || tf.data != "" {
		return fmt.Errorf("-heldout, -features, -leaky-graph and -data are for the Fairouz features; -library " +
			"trains on the library's own feature sets")
	}
	backend, err := openBackend(tf.backend)
	if err != nil {
		return err
	}
	res, l, err := pipeline.TrainOnLibrary(ctx, pipeline.LibraryTrainOptions{Library: lib, Name: tf.name,
		Preset: tf.preset, Settings: tf.set, Fresh: tf.fresh, AllowChangedInputs: tf.allowChanged,
		Backend: backend, Progress: os.Stderr})
	if err != nil {
		return err
	}
	fmt.Printf("trained %s: %s\n%d epochs, global step %d, %.0f examples/s, %s\ncheckpoint: %s\n", tf.name,
		res.Model, res.Epochs, res.GlobalStep, res.PairsPerSecond, res.Wall.Round(1e9), res.Checkpoint)
	m, err := inference.Load(res.Dir, backend)
	if err != nil {
		return err
	}
	sets, err := pipeline.EmbedLibrary(l, m, tf.name)
	if err != nil {
		return err
	}
	printModelSets(l, sets)
	return nil
}

func cmdExport(args []string) error {
	fs := newFlags("export")
	ck := fs.String("checkpoint", "", "run directory (checkpoints/NAME: its best/ checkpoint when the run chose "+
		"one on a validation split, else its newest) or a ckpt-*.json file")
	latest := fs.Bool("latest", false, "export the run's newest checkpoint even when it kept a best/ one")
	fallback := fs.Bool("fallback", false, "when the newest checkpoint is damaged, export the newest intact one "+
		"(by default a damaged newest checkpoint is an error)")
	out := fs.String("out", "", "output path without extension (default embeddings/NAME)")
	data := fs.String("data", "", "data directory (default $MUSICREP_DATA or ../shared/data)")
	features := fs.String("features", "", featuresHelp)
	backend := fs.String("backend", "", "GoMLX backend (default $GOMLX_BACKEND or go)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *ck == "" {
		return fmt.Errorf("give the checkpoint with -checkpoint checkpoints/NAME")
	}
	b, err := openBackend(*backend)
	if err != nil {
		return err
	}
	from := *ck // a .json file, or the directory whose newest checkpoint is exported
	if !strings.HasSuffix(*ck, ".json") {
		if best := filepath.Join(*ck, pipeline.BestDir); !*latest {
			if list, _ := ckpt.List(best); len(list) > 0 {
				from = best
				fmt.Fprintf(os.Stderr, "exporting the checkpoint chosen on the validation split (%s; -latest for the newest)\n", best)
			}
		}
		list, _ := ckpt.List(from)
		if len(list) > 0 && !*fallback {
			// inference.Load skips damaged checkpoints; exporting an older model without a word would be worse
			// than stopping.
			if _, err := ckpt.Load(list[0]); err != nil {
				return fmt.Errorf("the newest checkpoint of %s is damaged (%w); pass -fallback to export the newest "+
					"intact one, or -checkpoint with a ckpt-*.json file", from, err)
			}
		}
		if *latest && from == *ck {
			c, err := ckpt.Latest(from, func(msg string) { fmt.Fprintln(os.Stderr, "warning:", msg) })
			if err != nil {
				return err
			}
			from = c.Path // a .json path: Load does not prefer best/ for it
		}
	}
	m, err := inference.Load(from, b)
	if err != nil {
		return err
	}
	f, err := loadDataWith(*data, m.Modalities, *features)
	if err != nil {
		return err
	}
	if f, err = f.ForCheckpoint(m.Meta.Info); err != nil { // e.g. the split's leak-free graph
		return err
	}
	emb, err := m.EmbedCorpus(f.Corpus)
	if err != nil {
		return err
	}
	if *out == "" {
		dir := *ck
		if strings.HasSuffix(dir, ".json") {
			dir = filepath.Dir(dir)
		}
		*out = filepath.Join("embeddings", filepath.Base(filepath.Clean(dir)))
	}
	j, n, err := inference.Export(*out, pipeline.IDs(f.Corpus), emb, m.EmbeddingDim)
	if err != nil {
		return err
	}
	fmt.Printf("model: %s (%s)\nwrote %s and %s (%d tracks × %d)\n", m, m.Checkpoint, j, n, len(f.Corpus.Tracks),
		m.EmbeddingDim)
	return nil
}

func parseKs(s string) ([]int, error) {
	var ks []int
	for _, part := range strings.Split(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		k, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || k <= 0 {
			return nil, fmt.Errorf("-k %q: %q is not a positive integer", s, part)
		}
		ks = append(ks, k)
	}
	if len(ks) == 0 {
		return nil, fmt.Errorf("-k %q: no cut-off", s)
	}
	return ks, nil
}

func cmdEval(args []string) error {
	fs := newFlags("eval")
	protocol := fs.String("protocol", "paper", "paper (binding_music's, in-sample) or heldout (split by artist, genre relevance)")
	embFile := fs.String("embeddings", "", "embeddings file (seed JSON format or .npy with .ids.json)")
	positives := fs.String("positives", "", "paper protocol: the relevance (pairs) file; default the 51k pairs")
	candidates := fs.Int("candidates", 50, "paper protocol: neighbours retrieved per query")
	kList := fs.String("k", "", "cut-offs (default 10,15,20,25 for paper, 10,25 for heldout)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	baselines := fs.Bool("baselines", true, "also score the raw-feature baselines (needs the data directory)")
	data := fs.String("data", "", "data directory (default $MUSICREP_DATA or ../shared/data)")
	splitSeed := fs.Uint64("split-seed", pipeline.DefaultSplitSeed, "heldout: seed of the split by artist")
	testFraction := fs.Float64("test-fraction", pipeline.DefaultTestFraction, "heldout: fraction of tracks held out")
	knn := fs.Int("knn", 10, "heldout: neighbours of the k-NN genre classifier")
	resamples := fs.Int("resamples", 2000, "heldout: bootstrap resamples (test artists) of the 95 % intervals")
	on := fs.String("on", "test", "heldout: score the test tracks, or the validation tracks carved from the "+
		"training artists (-on validation: for choosing settings; the test split is scored once, at the end)")
	valFraction := fs.Float64("val-fraction", pipeline.DefaultValFraction, "heldout: share of the training "+
		"tracks (by artist) in the validation split; must match the training run's")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *embFile == "" {
		return fmt.Errorf("give the embeddings with -embeddings FILE")
	}
	var ks []int
	if *kList != "" {
		var err error
		if ks, err = parseKs(*kList); err != nil {
			return err
		}
	}
	switch *protocol {
	case "paper":
		return evalPaper(*embFile, *positives, *candidates, ks, *asJSON, *baselines, *data)
	case "heldout":
		if *resamples < 1 {
			return fmt.Errorf("-resamples %d: must be at least 1", *resamples)
		}
		if *on != "test" && *on != "validation" {
			return fmt.Errorf("-on %q: use test or validation", *on)
		}
		if *valFraction < 0 || *valFraction >= 1 || (*on == "validation" && *valFraction == 0) {
			return fmt.Errorf("-val-fraction %v: give a share in (0, 1) (0 only with -on test)", *valFraction)
		}
		opt := pipeline.HeldoutOptions{Ks: ks, KNNK: *knn, Resamples: *resamples}
		return evalHeldout(*embFile, opt, *splitSeed, *testFraction, *valFraction, *on == "validation", *asJSON,
			*baselines, *data)
	}
	return fmt.Errorf("-protocol %q: use paper or heldout", *protocol)
}

// evalPaper needs no tracks file: the track set is the embeddings file's ids, and the positives are joined to it
// by id. Baselines are added when the data directory is available.
func evalPaper(embFile, positives string, candidates int, ks []int, asJSON, withBaselines bool, dataFlag string) error {
	ids, data, dim, err := corpus.ReadVectors(embFile)
	if err != nil {
		return err
	}
	var f *pipeline.Fairouz
	if withBaselines || positives == "" {
		if f, err = loadData(dataFlag, nil); err != nil {
			if positives == "" {
				return fmt.Errorf("no -positives given and the data directory is unavailable: %w", err)
			}
			return fmt.Errorf("%w (or pass -baselines=false)", err)
		}
		if positives == "" {
			positives = f.Pairs51k
		}
	}
	index := make(map[string]int, len(ids))
	for i, id := range ids {
		index[id] = i
	}
	_, pos, err := corpus.LoadPairs(positives, index)
	if err != nil {
		return err
	}
	posIDs := map[string][]string{}
	for a, rows := range pos {
		for _, r := range rows {
			posIDs[ids[a]] = append(posIDs[ids[a]], ids[r])
		}
	}
	opt := evaluation.PaperOptions{Candidates: candidates, Ks: ks}
	if len(opt.Ks) == 0 {
		opt.Ks = evaluation.DefaultPaperOptions().Ks
	}
	rep, err := evaluation.PaperProtocol(ids, data, dim, posIDs, opt)
	if err != nil {
		return err
	}
	out := map[string]any{"protocol": "paper", "description": rep.Protocol, "embeddings": embFile,
		"positives": positives, "candidates": opt.Candidates, "ks": opt.Ks, "num_queries": rep.NumQueries,
		"metrics": rep.Metrics,
		"in_sample": "the positives are the training pairs of the published models and nearest neighbours in " +
			"the raw spaces; this protocol is transductive"}
	var table *results.Table
	if withBaselines {
		table, err = pipeline.PaperEvaluation(f.Corpus, positives, opt, pipeline.Baselines(f.Corpus, nil))
		if err != nil {
			return err
		}
		out["baselines"] = table.Rows
		out["notes"] = table.Notes
	}
	if asJSON {
		return printJSON(out)
	}
	fmt.Printf("%s\n\n%s: %s\n%s\n", rep.Protocol, "embeddings", embFile, rep.Table())
	if table != nil {
		cols := []string{}
		for _, k := range opt.Ks {
			cols = append(cols, fmt.Sprintf("precision@%d", k))
		}
		cols = append(cols, fmt.Sprintf("recall@%d", opt.Ks[0]), fmt.Sprintf("average_precision@%d", opt.Ks[0]),
			fmt.Sprintf("ndcg@%d", opt.Ks[0]))
		fmt.Printf("baselines on the same protocol (all metrics with -json):\n%s\n", table.Markdown(cols))
		for _, n := range table.Notes {
			fmt.Println("note:", n)
		}
	}
	return nil
}

func evalHeldout(embFile string, opt pipeline.HeldoutOptions, seed uint64, frac, valFrac float64, onVal, asJSON, withBaselines bool, dataFlag string) error {
	f, err := loadData(dataFlag, nil)
	if err != nil {
		return err
	}
	emb, err := pipeline.LoadEmbeddings(embFile, f.Corpus)
	if err != nil {
		return err
	}
	split, err := pipeline.MakeSplit(f.Corpus, seed, frac)
	if err != nil {
		return err
	}
	if valFrac > 0 {
		// The training run kept these tracks aside; k-NN neighbours come from the tracks it trained on.
		if split, err = split.WithValidation(f.Corpus, valFrac); err != nil {
			return err
		}
	}
	if onVal {
		split = split.ValidationView()
	}
	sets := []*musicrep.Embeddings{emb}
	if withBaselines {
		base, err := f.HeldoutBaselines(split, nil)
		if err != nil {
			return err
		}
		sets = append(sets, base...)
	}
	t, err := pipeline.HeldoutEvaluation(f.Corpus, split, opt, sets)
	if err != nil {
		return err
	}
	warning := "valid only for embeddings from a model trained without the test tracks of this split " +
		"(musicrep train -heldout with the same -split-seed and -test-fraction); a model that read binding_music's " +
		"graph features (train -leaky-graph, or any run before the leak-free graph) leaks genre"
	if asJSON {
		return printJSON(map[string]any{"protocol": "heldout", "description": t.Description,
			"embeddings": embFile, "metrics": t.Rows[0].Metrics, "ci95": t.Rows[0].CI95,
			"num_queries": t.NumQueries, "ks": t.Ks, "baselines": t.Rows[1:], "comparisons": t.Comparisons,
			"duplicates_removed": t.DuplicatesRemoved, "notes": t.Notes, "warning": warning})
	}
	fmt.Printf("%s\n\n%s\n", t.Description, t.Markdown(pipeline.HeldoutColumns))
	if c := t.ComparisonsMarkdown(); c != "" {
		fmt.Printf("Paired differences (bootstrap over test artists):\n\n%s\n", c)
	}
	for _, r := range t.Rows {
		if r.Note != "" {
			fmt.Printf("- %s: %s\n", r.Name, r.Note)
		}
	}
	for _, n := range append(t.Notes, warning) {
		fmt.Println("note:", n)
	}
	return nil
}

func printJSON(v any) error {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func cmdReproduce(ctx context.Context, args []string) error {
	fs := newFlags("reproduce")
	var tf trainFlags
	tf.register(fs, "", "quick")
	full := fs.Bool("full", false, "the full published schedule (200 epochs; preset paper)")
	results := fs.String("results", filepath.Join("evaluation", "results"), "where to write NAME.json and NAME.md")
	seeds := fs.Int("seeds", 1, "number of artist splits (seeds split-seed, split-seed+1, …) the held-out model is "+
		"trained and scored on; the report adds the mean over splits with a t interval")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *seeds < 1 || *seeds > 100 {
		return fmt.Errorf("-seeds %d: give 1 to 100 splits", *seeds)
	}
	if *full {
		tf.preset = "paper"
	}
	if tf.name == "" {
		tf.name = "binding-c2e4-51k-" + tf.preset // e.g. binding-c2e4-51k-quick, binding-c2e4-51k-paper
	}
	opt, f, err := tf.options()
	if err != nil {
		return err
	}
	rep, err := pipeline.Reproduce(ctx, f, pipeline.ReproduceOptions{TrainOptions: opt, ResultsRoot: *results,
		Seeds: *seeds})
	if err != nil {
		return err
	}
	fmt.Print(rep.Markdown())
	fmt.Printf("\nwrote %s and %s\n", filepath.Join(*results, rep.Name+".json"), filepath.Join(*results, rep.Name+".md"))
	return nil
}

// cmdJoint trains the joint model on the training tracks of the split and writes its evaluation report
// (held-out genre retrieval, cross-modal retrieval, clustering, arithmetic) next to the binding model and the
// raw-feature baselines.
func cmdJoint(ctx context.Context, args []string) error {
	fs := newFlags("joint")
	var tf trainFlags
	tf.register(fs, "", "quick")
	results := fs.String("results", filepath.Join("evaluation", "results"), "where to write NAME.json and NAME.md")
	bindingEmb := fs.String("binding", "", "embeddings of a binding model trained on the same split, scored "+
		"alongside (default embeddings/binding-c2e4-51k-paper-heldout.json if present)")
	seeds := fs.Int("seeds", 1, "number of artist splits the joint model is trained and its held-out genre table "+
		"scored on; the report adds the mean over splits with a t interval")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *seeds < 1 || *seeds > 100 {
		return fmt.Errorf("-seeds %d: give 1 to 100 splits", *seeds)
	}
	if tf.name == "" {
		tf.name = "joint-" + tf.preset
	}
	tf.set = strings.TrimSuffix("model=joint;"+tf.set, ";")
	tf.heldout = true
	opt, f, err := tf.options()
	if err != nil {
		return err
	}
	rep, err := pipeline.RunJointReport(ctx, f, pipeline.JointReportOptions{TrainOptions: opt, ResultsRoot: *results,
		Binding: *bindingEmb, Seeds: *seeds})
	if err != nil {
		return err
	}
	fmt.Print(rep.Markdown())
	fmt.Printf("\nwrote %s and %s\n", filepath.Join(*results, rep.Name+".json"), filepath.Join(*results, rep.Name+".md"))
	return nil
}

// cmdQuery answers free-text queries with a joint model: MiniLM → the model's text encoder → nearest tracks.
func cmdQuery(args []string) error {
	fs := newFlags("query")
	ck := fs.String("checkpoint", "", "run directory of a joint model with a text encoder (checkpoints/NAME)")
	target := fs.String("target", "fused", "searched embeddings: fused, or a modality of the model (e.g. audio)")
	k := fs.Int("k", 10, "results per query")
	raw := fs.Bool("raw", false, "encode the query as given instead of in the lyrics template the text features use")
	data := fs.String("data", "", "data directory (default $MUSICREP_DATA or ../shared/data)")
	features := fs.String("features", "", featuresHelp)
	backend := fs.String("backend", "", "GoMLX backend (default $GOMLX_BACKEND or go)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *ck == "" || fs.NArg() == 0 {
		return fmt.Errorf(`usage: musicrep query -checkpoint checkpoints/NAME "dark heavy metal" ["another query" ...]`)
	}
	b, err := openBackend(*backend)
	if err != nil {
		return err
	}
	m, err := inference.Load(*ck, b)
	if err != nil {
		return err
	}
	f, err := loadDataWith(*data, m.Modalities, *features)
	if err != nil {
		return err
	}
	if f, err = f.ForCheckpoint(m.Meta.Info); err != nil {
		return err
	}
	ts, err := pipeline.NewTextSearch(m, f.Corpus, *target)
	if err != nil {
		return err
	}
	ts.Wrap = !*raw
	for _, q := range fs.Args() {
		nbs, err := ts.Search(q, *k)
		if err != nil {
			return fmt.Errorf("query %q: %w", q, err)
		}
		fmt.Printf("%q → %s embeddings:\n", q, ts.Target.Name)
		for i, nb := range nbs.List {
			t := nbs.Track(i)
			fmt.Printf("%3d. %-40s %-24s %s  (cos %.3f)\n", i+1, clip(t.Title, 40), clip(t.Artist, 24),
				strings.Join(t.Genres, ", "), 1-nb.Dist/2)
		}
	}
	return nil
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
