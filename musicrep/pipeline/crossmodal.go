package pipeline

import (
	"fmt"

	"github.com/musicrep/musicrep/evaluation"
	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/corpus"
	"github.com/musicrep/musicrep/musicrep/inference"
	"github.com/musicrep/musicrep/musicrep/results"
)

// CrossModalOptions configures CrossModalEvaluation.
type CrossModalOptions struct {
	Ks []int // recall cut-offs; default 1, 5, 10
	// RidgeLambda fixes the L2 penalty of the raw-feature linear-map baseline; 0 (the default) chooses it
	// among evaluation.DefaultRidgeLambdas by 5-fold cross-validation on the training tracks, folds by artist,
	// maximising the held-out fold's cross-modal MRR.
	RidgeLambda float64
}

// CrossModalEvaluation scores cross-modal retrieval with a joint model for every ordered pair of its
// modalities on the test tracks of split: the query is a test track's embedding from modality A, the
// candidates are the modality-B embeddings of all test tracks that have B, and the correct item is the same
// track (evaluation.CrossModal: R@K, MRR, median and mean rank, cosine similarity, ties count half). Tracks
// lacking A or B are skipped. Next to the model it reports two baselines on the same queries and candidates:
// chance (a random ranking) and raw features + linear map (ridge regression from the L2-normalised raw A
// features to the L2-normalised raw B features, fitted on the training tracks that have both). The joint
// model must have been trained on the training tracks of the same split for the numbers to be held out.
func CrossModalEvaluation(m *inference.Model, c *corpus.Corpus, split *Split, opt CrossModalOptions) (*results.Table, error) {
	if len(opt.Ks) == 0 {
		opt.Ks = []int{1, 5, 10}
	}
	if len(m.Modalities) < 2 {
		return nil, fmt.Errorf("cross-modal retrieval needs a model with two or more modalities; %s has %v",
			m.Checkpoint, m.Modalities)
	}
	if len(split.Test) < 2 || len(split.Train) == 0 {
		return nil, fmt.Errorf("cross-modal protocol: the split has %d train and %d test tracks; both must be "+
			"non-empty", len(split.Train), len(split.Test))
	}
	emb := map[musicrep.Modality][]float32{}
	for _, mod := range m.Modalities {
		f, ok := c.Features[mod]
		if !ok {
			return nil, fmt.Errorf("the model in %s needs %s features, which were not loaded", m.Checkpoint, mod)
		}
		e, err := m.EmbedModality(f)
		if err != nil {
			return nil, err
		}
		emb[mod] = e
	}
	present := func(mod musicrep.Modality, rows []int) []bool {
		out := make([]bool, len(rows))
		for i, r := range rows {
			out[i] = c.Features[mod].Present[r]
		}
		return out
	}
	t := &results.Table{Protocol: "crossmodal", Ks: opt.Ks}
	d := m.EmbeddingDim
	for _, a := range m.Modalities {
		for _, b := range m.Modalities {
			if a == b {
				continue
			}
			fa, fb := c.Features[a], c.Features[b]
			cmOpt := evaluation.CrossModalOptions{Ks: opt.Ks, Cosine: true, QueryPresent: present(a, split.Test),
				CandidatePresent: present(b, split.Test)}
			name := fmt.Sprintf("%s→%s", a, b)
			res, err := evaluation.CrossModal(evaluation.GatherRows(emb[a], d, split.Test),
				evaluation.GatherRows(emb[b], d, split.Test), d, cmOpt)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			add := func(kind, source string, dim int, metrics map[string]float64, r *evaluation.CrossModalResult) {
				metrics["queries"] = float64(res.NumQueries)
				metrics["candidates"] = float64(res.NumCandidates)
				row := results.Row{Name: name + " " + kind, Kind: kind, Source: source, Dim: dim, Metrics: metrics}
				if r != nil {
					row.CI95 = crossModalCI(c, split.Test, r, opt.Ks)
				}
				t.Rows = append(t.Rows, row)
			}
			add("learned", m.Checkpoint, d, res.Metrics(), res)

			add("chance", "expected value of a random ranking", 0, res.Chance.Metrics(), nil)
			t.NumQueries += res.NumQueries
			if fa.Vocab != "" || fb.Vocab != "" {
				continue // token ids (tag sequences) are not vectors: no raw-feature ridge baseline
			}
			// Raw features + ridge map, fitted on the training tracks having both modalities.
			var fit []int
			for _, r := range split.Train {
				if fa.Present[r] && fb.Present[r] {
					fit = append(fit, r)
				}
			}
			if len(fit) < 2 {
				return nil, fmt.Errorf("%s: only %d training tracks have both modalities; the ridge baseline needs "+
					"more", name, len(fit))
			}
			xa := evaluation.Normalize(fa.Data, fa.Dim)
			xb := evaluation.Normalize(fb.Data, fb.Dim)
			lm, lambda, how, err := fitRidge(c, fit, xa, fa.Dim, xb, fb.Dim, opt.RidgeLambda)
			if err != nil {
				return nil, fmt.Errorf("%s ridge baseline: %w", name, err)
			}
			mapped := lm.Apply(evaluation.GatherRows(xa, fa.Dim, split.Test))
			raw, err := evaluation.CrossModal(mapped, evaluation.GatherRows(xb, fb.Dim, split.Test), fb.Dim, cmOpt)
			if err != nil {
				return nil, fmt.Errorf("%s ridge baseline: %w", name, err)
			}
			add("baseline", fmt.Sprintf("raw %s → raw %s by ridge regression (λ=%g, %s) on %d training tracks", a, b,
				lambda, how, len(fit)), fb.Dim, raw.Metrics(), raw)
		}
	}
	t.Description = fmt.Sprintf("cross-modal retrieval on Fairouz, %s. For each ordered modality pair A→B, each "+
		"test track having both is a query: its A embedding is ranked against the B embeddings of all test "+
		"tracks having B by cosine similarity; the correct item is the same track (ties count half). Rows: the "+
		"joint model (learned), raw A features mapped to raw B features by ridge regression fitted on training "+
		"tracks, its λ chosen by 5-fold cross-validation on them (folds by artist, held-out fold MRR) "+
		"(baseline), and a random ranking (chance). Intervals: 95 %% bootstrap over the test tracks' artists "+
		"(R@K and MRR).", split)
	t.Notes = []string{"Held out only if the model was trained on the training tracks of this split (musicrep train -heldout)."}
	return t, nil
}

// fitRidge fits the raw-feature map on the rows fit: with a fixed lambda when given, else with the lambda
// chosen by 5-fold cross-validation by artist on those rows (held-out fold cross-modal MRR, cosine). It also
// says how lambda was set.
func fitRidge(c *corpus.Corpus, fit []int, xa []float32, da int, xb []float32, db int, lambda float64) (*evaluation.LinearMap, float64, string, error) {
	x, y := evaluation.GatherRows(xa, da, fit), evaluation.GatherRows(xb, db, fit)
	if lambda > 0 {
		m, err := evaluation.Ridge(x, da, y, db, lambda)
		return m, lambda, "fixed", err
	}
	groups := make([]string, len(fit))
	distinct := map[string]bool{}
	for i, r := range fit {
		groups[i] = c.Tracks[r].Artist
		distinct[groups[i]] = true
	}
	if len(distinct) < 2 {
		m, err := evaluation.Ridge(x, da, y, db, 1)
		return m, 1, "fixed: fewer than 2 training artists have both modalities, so no cross-validation", err
	}
	mrr := func(pred, truth []float32, dim int) (float64, error) {
		res, err := evaluation.CrossModal(pred, truth, dim, evaluation.CrossModalOptions{Ks: []int{10}, Cosine: true})
		if err != nil {
			return 0, err
		}
		return res.Metrics()["mrr"], nil
	}
	m, chosen, _, err := evaluation.RidgeCV(x, da, y, db, groups, nil, 5, 1, mrr)
	return m, chosen, "chosen by 5-fold CV by artist on the training tracks", err
}

// crossModalCI is the 95 % bootstrap interval (test artists resampled) of R@K and MRR of a cross-modal result
// whose query rows index the given test rows.
func crossModalCI(c *corpus.Corpus, test []int, r *evaluation.CrossModalResult, ks []int) map[string][2]float64 {
	values := map[string][]float64{"mrr": make([]float64, len(r.Ranks))}
	for _, k := range ks {
		values[fmt.Sprintf("R@%d", k)] = make([]float64, len(r.Ranks))
	}
	clusters := make([]string, len(r.Ranks))
	for i, rank := range r.Ranks {
		clusters[i] = c.Tracks[test[r.Queries[i]]].Artist
		values["mrr"][i] = 1 / rank
		for _, k := range ks {
			if rank <= float64(k) {
				values[fmt.Sprintf("R@%d", k)][i] = 1
			}
		}
	}
	return evaluation.ClusterBootstrap(values, clusters, 0, 1)
}
