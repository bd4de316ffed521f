package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/ckpt"
	"github.com/musicrep/musicrep/musicrep/corpus"
	"github.com/musicrep/musicrep/musicrep/inference"
	"github.com/musicrep/musicrep/musicrep/results"
	"github.com/musicrep/musicrep/musicrep/space"
	"github.com/musicrep/musicrep/musicrep/training"
)

// JointReportOptions configures RunJointReport. TrainOptions.Settings is applied after "model=joint".
type JointReportOptions struct {
	TrainOptions
	ResultsRoot string // default "evaluation/results"
	// Binding is an embeddings file of a binding model trained on the same split, scored alongside; default
	// <EmbeddingsRoot>/binding-c2e4-51k-paper-heldout.json when it exists.
	Binding string
	// Seeds is the number of artist splits (split seeds SplitSeed, SplitSeed+1, …): the joint model is trained
	// and its held-out genre table scored on each; the report adds their mean with a t interval over splits.
	// Cross-modal, clustering and arithmetic tables are those of the first split. 0 means 1.
	Seeds int
}

// JointReport is the output of RunJointReport, written as JSON and Markdown.
type JointReport struct {
	results.Header
	Preset      string  `json:"preset"`
	Settings    string  `json:"settings"`
	Model       string  `json:"model"`
	Data        string  `json:"data"`
	WallSeconds float64 `json:"wall_seconds"`
	ResumedFrom string  `json:"resumed_from,omitempty"`
	// Selection is the epoch chosen on the validation split (when the run had one).
	Selection   *Selection     `json:"selection,omitempty"`
	Heldout     *results.Table `json:"heldout"`
	CrossModal  *results.Table `json:"crossmodal"`
	Clustering  *results.Table `json:"clustering"`
	Arithmetic  *results.Table `json:"arithmetic"`
	TextQueries *results.Table `json:"text_queries,omitempty"`
	// Splits holds the held-out genre table of every split (with Seeds > 1); AcrossSplits their mean.
	Splits       []SplitReport  `json:"splits,omitempty"`
	AcrossSplits *results.Table `json:"across_splits,omitempty"`
}

// RunJointReport trains (or resumes) a joint model on the training tracks of the split by artist and evaluates it
// against the binding model and the raw features on the test tracks: genre retrieval and k-NN genre accuracy
// (held-out protocol), cross-modal retrieval for every ordered modality pair (with chance and ridge baselines),
// k-means clustering against genre, and genre/artist embedding arithmetic. It writes <ResultsRoot>/<Name>.json
// and .md.
func RunJointReport(ctx context.Context, f *Fairouz, opt JointReportOptions) (*JointReport, error) {
	job, err := openJob(&opt.TrainOptions, &opt.ResultsRoot)
	if err != nil {
		return nil, err
	}
	logf := job.Logf
	topt := opt.TrainOptions
	topt.Heldout = true
	topt.Settings = opt.Settings
	if !strings.Contains(topt.Settings, "model=joint") {
		topt.Settings = strings.TrimSuffix("model=joint;"+topt.Settings, ";")
	}
	rep := &JointReport{Header: job.Header, Preset: opt.Preset, Settings: topt.Settings}
	logf("== training %s on the training tracks of the split", opt.Name)
	tr, err := TrainAndExport(ctx, f, topt)
	if err != nil {
		return nil, err
	}
	rep.Model, rep.Data, rep.WallSeconds = tr.Train.Model, tr.Data, tr.Train.Wall.Seconds()
	rep.ResumedFrom = tr.Train.ResumedFrom
	rep.Selection = tr.Selection
	from := filepath.Join(opt.CheckpointRoot, opt.Name)
	if tr.Selection != nil {
		from = filepath.Join(from, BestDir) // the checkpoint chosen on the validation split, as exported
	}
	m, err := inference.Load(from, opt.Backend)
	if err != nil {
		return nil, err
	}

	// The embeddings sets: the fused model, each modality alone, the binding model, the raw features.
	if opt.Binding == "" {
		if p := filepath.Join(opt.EmbeddingsRoot, "binding-c2e4-51k-paper-heldout.json"); fileExists(p) {
			opt.Binding = p
		}
	}
	bindingRun := filepath.Join(opt.CheckpointRoot, strings.TrimSuffix(filepath.Base(opt.Binding), ".json"))
	sets, err := f.JointReportSets(tr.EmbeddingsJSON, m.Modalities, opt.Binding, bindingRun)
	if err != nil {
		return nil, err
	}
	fused := sets[0]

	split := tr.Split
	// The single-modality protocols are scored on the tracks having every modality of the model: a missing
	// modality is a zero vector in the raw and modality-alone sets, and zero vectors would crowd every neighbour
	// list. Cross-modal retrieval masks missing modalities itself and uses the whole split.
	complete := split.Complete(f.Corpus, m.Modalities)
	restricted := fmt.Sprintf("Scored on the %d test (and %d training) tracks that have every modality of the "+
		"joint model (%s); the %d test tracks lacking one (no lyrics, hence no text or tags) are left out so that "+
		"the zero vectors of a missing modality do not distort the raw and single-modality rows.",
		len(complete.Test), len(complete.Train), joinModalities(m.Modalities), len(split.Test)-len(complete.Test))
	logf("== held-out genre retrieval")
	compare := []string{fused.Name}
	if opt.Binding != "" {
		compare = append(compare, sets[len(m.Modalities)+1].Name)
	}
	if rep.Heldout, err = HeldoutEvaluation(f.Corpus, complete, HeldoutOptions{CompareOnly: compare}, sets); err != nil {
		return nil, err
	}
	rep.Heldout.Notes = append([]string{restricted}, rep.Heldout.Notes...)
	logf("== cross-modal retrieval")
	if rep.CrossModal, err = CrossModalEvaluation(m, f.Corpus, split, CrossModalOptions{}); err != nil {
		return nil, err
	}
	logf("== clustering (test tracks)")
	if rep.Clustering, err = Clustering(f.Corpus, sets, ClusteringOptions{Tracks: complete.Test}); err != nil {
		return nil, err
	}
	rep.Clustering.Notes = append([]string{restricted}, rep.Clustering.Notes...)
	logf("== embedding arithmetic (test tracks)")
	if rep.Arithmetic, err = ArithmeticTable(f.Corpus, complete.Test, sets); err != nil {
		return nil, err
	}
	rep.Arithmetic.Notes = append(rep.Arithmetic.Notes, restricted)
	if m.Index(musicrep.Text) >= 0 {
		logf("== free-text genre queries (test tracks)")
		ts, err := NewTextSearch(m, f.Corpus, "fused")
		if err != nil {
			return nil, err
		}
		if rep.TextQueries, err = GenreQueries(ts, f.Corpus, split.Test, 8, 10); err != nil {
			return nil, err
		}
	}
	if opt.Seeds > 1 {
		rep.Splits = []SplitReport{{Seed: split.Seed, Split: split.String(), Selection: tr.Selection, Heldout: rep.Heldout}}
		tables := []*results.Table{rep.Heldout}
		for i := 1; i < opt.Seeds; i++ {
			sopt := topt
			sopt.SplitSeed = topt.SplitSeed + uint64(i)
			sopt.Name = fmt.Sprintf("%s-s%d", opt.Name, sopt.SplitSeed)
			logf("== training %s on the training tracks of split seed %d", sopt.Name, sopt.SplitSeed)
			str, err := TrainAndExport(ctx, f, sopt)
			if err != nil {
				return nil, err
			}
			ssets, err := JointSets(f.Corpus, str.EmbeddingsJSON, m.Modalities)
			if err != nil {
				return nil, err
			}
			ssets = append(ssets, Baselines(f.Corpus, m.Modalities)...)
			t, err := HeldoutEvaluation(f.Corpus, str.Split.Complete(f.Corpus, m.Modalities),
				HeldoutOptions{CompareOnly: []string{ssets[0].Name}}, ssets)
			if err != nil {
				return nil, err
			}
			rep.Splits = append(rep.Splits, SplitReport{Seed: sopt.SplitSeed, Split: str.Split.String(),
				Selection: str.Selection, Heldout: t})
			tables = append(tables, t)
		}
		// The first split's table has the binding row, which the others lack (it was trained on that split
		// only): compare the rows the tables share.
		shared := make([]*results.Table, len(tables))
		for i, t := range tables {
			shared[i] = withRows(t, tables[len(tables)-1])
		}
		if rep.AcrossSplits, err = results.AcrossSplits(shared); err != nil {
			return nil, err
		}
	}
	return rep, rep.Write(opt.ResultsRoot)
}

// withRows returns t restricted to the rows (and comparisons) whose names ref also has, in ref's order.
func withRows(t, ref *results.Table) *results.Table {
	out := *t
	out.Rows, out.Comparisons = nil, nil
	for _, r := range ref.Rows {
		for _, x := range t.Rows {
			if x.Name == r.Name || (x.Kind == "majority" && r.Kind == "majority") {
				out.Rows = append(out.Rows, x)
				break
			}
		}
	}
	for _, c := range ref.Comparisons {
		for _, x := range t.Comparisons {
			if x.A == c.A && x.B == c.B && x.Metric == c.Metric {
				out.Comparisons = append(out.Comparisons, x)
				break
			}
		}
	}
	return &out
}

func joinModalities(ms []musicrep.Modality) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = string(m)
	}
	return strings.Join(parts, "+")
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// ArithmeticTable scores genre and artist embedding arithmetic (space.Analogy: t − centroid(A) + centroid(B)
// should land among B's tracks) for each embeddings set on the given rows (nil = every track), with the same
// sampled queries for every set. Columns: the hit rate with arithmetic, without it (the unmodified track) and
// by chance.
func ArithmeticTable(c *corpus.Corpus, rows []int, sets []*musicrep.Embeddings) (*results.Table, error) {
	if err := checkSets(c, sets); err != nil {
		return nil, err
	}
	if rows == nil {
		for r := range c.Tracks {
			rows = append(rows, r)
		}
	}
	tracks := make([]musicrep.Track, len(rows))
	for i, r := range rows {
		tracks[i] = c.Tracks[r]
	}
	t := &results.Table{Protocol: "arithmetic"}
	for _, e := range sets {
		s, err := space.New(e.Name, tracks, e.Rows(rows).Data, e.Dim)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name, err)
		}
		metrics := map[string]float64{}
		for _, kind := range []string{"genre", "artist"} {
			a, err := space.Analogy(s, kind, space.AnalogyOptions{Seed: 7})
			if err != nil {
				return nil, fmt.Errorf("%s %s analogies: %w", e.Name, kind, err)
			}
			metrics[kind+"_hit@10"] = a.HitRate
			metrics[kind+"_no_arithmetic@10"] = a.Baseline
			metrics[kind+"_chance@10"] = a.ChanceRate
			t.NumQueries = a.Queries
		}
		t.Rows = append(t.Rows, results.Row{Name: e.Name, Kind: e.Kind, Source: e.Source, Note: e.Note, Dim: e.Dim,
			Leaks: e.Leaks, Metrics: metrics})
	}
	t.Description = fmt.Sprintf("embedding arithmetic on %d tracks: for a track t of group A and another group B "+
		"(the 8 largest Deezer genres, or artists, with ≥ 5 tracks), the query t − centroid(A) + centroid(B) "+
		"(centroids without t) scores a hit when one of its 10 nearest tracks (t excluded) belongs to B; 400 "+
		"sampled queries per kind, the same for every embeddings set. 'no_arithmetic' is the hit rate of t itself.",
		len(rows))
	return t, nil
}

// Write saves the report as <dir>/<name>.json and <dir>/<name>.md (atomically).
func (r *JointReport) Write(dir string) error {
	return results.Write(dir, r.Name, r, r.Markdown())
}

// Markdown renders the report.
func (r *JointReport) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# musicrep joint model: %s\n\n", r.Name)
	fmt.Fprintf(&b, "Created %s on %s; preset %q, settings %q; ", r.Created, r.Backend, r.Preset, r.Settings)
	if r.ResumedFrom != "" {
		fmt.Fprintf(&b, "training resumed from %s (%.0f s in this call).\n\n", r.ResumedFrom, r.WallSeconds)
	} else {
		fmt.Fprintf(&b, "trained in %.0f s.\n\n", r.WallSeconds)
	}
	fmt.Fprintf(&b, "- Model: %s\n- Data: %s\n", r.Model, r.Data)
	if r.Selection != nil {
		fmt.Fprintf(&b, "- Epoch chosen on the validation split: %d (%s %.4f); that checkpoint is scored\n",
			r.Selection.BestEpoch, r.Selection.Metric, r.Selection.Best)
	}
	sections := []struct {
		title string
		t     *results.Table
		cols  []string
	}{
		{"Held-out genre retrieval", r.Heldout, HeldoutColumns},
		{"Cross-modal retrieval (test tracks)", r.CrossModal, []string{"R@1", "R@5", "R@10", "mrr", "median_rank",
			"queries", "candidates"}},
		{"Clustering against genre (test tracks)", r.Clustering, []string{"nmi", "ari", "silhouette_kmeans",
			"silhouette_genre"}},
		{"Embedding arithmetic (test tracks)", r.Arithmetic, []string{"genre_hit@10", "genre_no_arithmetic@10",
			"genre_chance@10", "artist_hit@10", "artist_no_arithmetic@10", "artist_chance@10"}},
		{"Free-text genre queries (test tracks)", r.TextQueries, []string{"precision@10", "chance"}},
	}
	for _, sr := range r.Splits[min(1, len(r.Splits)):] {
		title := fmt.Sprintf("Held-out genre retrieval, split seed %d", sr.Seed)
		if sr.Selection != nil {
			title += fmt.Sprintf(" (epoch %d chosen on validation)", sr.Selection.BestEpoch)
		}
		sections = append(sections, struct {
			title string
			t     *results.Table
			cols  []string
		}{title, sr.Heldout, HeldoutColumns})
	}
	if r.AcrossSplits != nil {
		sections = append(sections, struct {
			title string
			t     *results.Table
			cols  []string
		}{fmt.Sprintf("Held-out genre retrieval, mean over %d splits (t interval over splits; comparisons: mean of "+
			"each split's paired difference)", len(r.Splits)), r.AcrossSplits, HeldoutColumns})
	}
	for _, s := range sections {
		if s.t == nil {
			continue
		}
		fmt.Fprintf(&b, "\n## %s\n\n%s\n\n%s\n", s.title, s.t.Description, s.t.Markdown(s.cols))
		if c := s.t.ComparisonsMarkdown(); c != "" {
			how := "same queries, bootstrap over test artists"
			if s.t == r.AcrossSplits {
				how = "mean over splits of each split's difference, t interval over splits"
			}
			fmt.Fprintf(&b, "Paired differences (%s):\n\n%s\n", how, c)
		}
		seen := map[string]bool{}
		for _, row := range s.t.Rows {
			if row.Note != "" && !seen[row.Name] {
				seen[row.Name] = true
				fmt.Fprintf(&b, "- *%s*: %s\n", row.Name, row.Note)
			}
		}
		for _, n := range s.t.Notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	return b.String()
}

// LeakFreeRun reports whether the run directory's checkpoint (its best/ one when kept, else its newest) was
// trained on leak-free graph features (LeakFreeGraphInfo), or on no graph at all.
func LeakFreeRun(dir string) bool {
	for _, d := range []string{filepath.Join(dir, BestDir), dir} {
		list, err := ckpt.List(d)
		if err != nil || len(list) == 0 {
			continue
		}
		c, err := ckpt.Load(list[0])
		if err != nil {
			return false
		}
		mods, _ := c.Param("/binding_modalities")
		return c.Meta.Info[InfoGraphFeatures] == "leak-free" ||
			(c.Meta.Architecture == training.ArchitectureName && !strings.Contains(fmt.Sprint(mods), "graph"))
	}
	return false
}
