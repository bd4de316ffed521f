package pipeline

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/musicrep/musicrep/evaluation"
	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/corpus"
)

// IDs returns the corpus' track ids in row order.
func IDs(c *corpus.Corpus) []string {
	ids := make([]string, len(c.Tracks))
	for i, t := range c.Tracks {
		ids[i] = t.ID
	}
	return ids
}

// LoadEmbeddings reads an embeddings file (seed JSON format, or .npy with its .ids.json) and joins it to the
// corpus by id: the rows of the result are in the corpus' track order. Every track must have a vector and every id must be a track.
func LoadEmbeddings(path string, c *corpus.Corpus) (*musicrep.Embeddings, error) {
	ids, data, dim, err := corpus.ReadVectors(path)
	if err != nil {
		return nil, err
	}
	out := make([]float32, len(c.Tracks)*dim)
	seen := make([]bool, len(c.Tracks))
	var unknown []string
	for i, id := range ids {
		row, ok := c.Index[id]
		if !ok {
			unknown = append(unknown, id)
			continue
		}
		seen[row] = true
		copy(out[row*dim:(row+1)*dim], data[i*dim:(i+1)*dim])
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("%s: %d ids are not tracks of %s (first: %s); embed the same tracks file", path,
			len(unknown), c.TracksFile, unknown[0])
	}
	var missing []string
	for row, ok := range seen {
		if !ok {
			missing = append(missing, c.Tracks[row].ID)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: %d tracks of %s have no embedding (first: %s); export every track", path,
			len(missing), c.TracksFile, missing[0])
	}
	return &musicrep.Embeddings{Name: strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)), Kind: "learned",
		Source: path, IDs: IDs(c), Dim: dim, Data: out}, nil
}

// checkSets reports an embeddings set whose rows are not the corpus' tracks in corpus order (the order
// LoadEmbeddings and Baselines give), which the protocols index by corpus row.
func checkSets(c *corpus.Corpus, sets []*musicrep.Embeddings) error {
	for _, e := range sets {
		if err := e.Check(); err != nil {
			return err
		}
		if e.Len() != len(c.Tracks) {
			return fmt.Errorf("embeddings %q: %d rows for the %d tracks of %s (load them with LoadEmbeddings, which "+
				"joins a file to the corpus by id)", e.Name, e.Len(), len(c.Tracks), c.TracksFile)
		}
		for i, id := range e.IDs {
			if id != c.Tracks[i].ID {
				return fmt.Errorf("embeddings %q: row %d is %q, the corpus' track %d is %q (load them with "+
					"LoadEmbeddings, which puts the rows in corpus order)", e.Name, i, id, i, c.Tracks[i].ID)
			}
		}
	}
	return nil
}

// Baselines returns the trivial baselines for the given modalities: each raw modality alone, and (with two or
// more) the concatenation of the L2-normalised raw modalities. Tracks missing a modality keep a zero block.
// nil modalities means every loaded modality. Features holding token ids (tag sequences) are left out: ids are
// labels, not coordinates, so distances between rows of ids mean nothing (their word-vector counterpart,
// `musicrep features -method tags`, is the raw tags baseline).
func Baselines(c *corpus.Corpus, modalities []musicrep.Modality) []*musicrep.Embeddings {
	if modalities == nil {
		modalities = c.Modalities()
	}
	var out []*musicrep.Embeddings
	var blocks []evaluation.Block
	ids := IDs(c)
	for _, m := range musicrep.SortModalities(modalities) {
		f, ok := c.Features[m]
		if !ok || f.TokenIDs() {
			continue
		}
		note := ""
		if f.Leak != "" {
			note = "LEAKS " + f.Leak + "; an upper bound, not a baseline"
		}
		out = append(out, &musicrep.Embeddings{Name: "raw " + string(m), Kind: "baseline", Leaks: f.Leak != "",
			Source: f.Source, Note: note, IDs: ids, Dim: f.Dim, Data: slices.Clone(f.Data)})
		blocks = append(blocks, evaluation.Block{Data: evaluation.Normalize(f.Data, f.Dim), Dim: f.Dim})
	}
	if len(blocks) >= 2 {
		data, total, err := evaluation.Concat(blocks...)
		if err != nil {
			panic(err) // cannot happen: every block has one row per track
		}
		names := make([]string, len(out))
		note, leaks := "", false
		for i, e := range out {
			names[i] = strings.TrimPrefix(e.Name, "raw ")
			if e.Leaks {
				note, leaks = "LEAKS genre through the "+names[i]+" features; an upper bound, not a baseline", true
			}
		}
		out = append(out, &musicrep.Embeddings{Name: "concat L2-normalised " + strings.Join(names, "+"), Kind: "baseline",
			Leaks: leaks, Source: "concatenation of the L2-normalised raw features", Note: note, IDs: ids, Dim: total, Data: data})
	}
	return out
}

// HeldoutBaselines returns the trivial baselines of the held-out protocol for the given modalities (nil: all
// loaded): each raw modality and their concatenation, with the graph features rebuilt leak-free for the
// split (WithLeakFreeGraph), followed by binding_music's own graph features as an upper bound marked as
// leaking (when loaded).
func (f *Fairouz) HeldoutBaselines(split *Split, modalities []musicrep.Modality) ([]*musicrep.Embeddings, error) {
	if modalities == nil {
		modalities = f.Corpus.Modalities()
	}
	if !slices.Contains(modalities, musicrep.Graph) {
		return Baselines(f.Corpus, modalities), nil
	}
	lf, err := f.WithLeakFreeGraph(split)
	if err != nil {
		return nil, err
	}
	out := Baselines(lf.Corpus, modalities)
	for _, e := range out {
		if e.Name == "raw graph" {
			e.Name = "raw graph (leak-free RandNE)"
			e.Note = "RandNE of the graph without genre edges, test tracks cut from metadata shared with training"
		}
	}
	for _, e := range Baselines(f.Corpus, []musicrep.Modality{musicrep.Graph}) {
		e.Name = "raw graph (binding_music's RandNE)"
		out = append(out, e)
	}
	return out, nil
}

// JointSets loads the embeddings a joint run exported (TrainAndExport): the fused embeddings file fused and, for
// each modality, the embeddings of that modality's encoder alone (<fused without .json>.<modality>.json).
func JointSets(c *corpus.Corpus, fused string, modalities []musicrep.Modality) ([]*musicrep.Embeddings, error) {
	e, err := LoadEmbeddings(fused, c)
	if err != nil {
		return nil, err
	}
	e.Name = fmt.Sprintf("joint (fused %s)", joinModalities(modalities))
	e.Note = "trained on the training tracks only"
	sets := []*musicrep.Embeddings{e}
	for _, mod := range modalities {
		e, err := LoadEmbeddings(ModalityEmbeddingsFile(fused, mod), c)
		if err != nil {
			return nil, err
		}
		e.Name = fmt.Sprintf("joint (%s alone)", mod)
		e.Note = fmt.Sprintf("the %s encoder only; tracks without %s are zero vectors", mod, mod)
		sets = append(sets, e)
	}
	return sets, nil
}

// ModalityEmbeddingsFile is where TrainAndExport writes a joint model's embeddings of one modality alone, beside
// its fused embeddings file fused: <fused without .json>.<modality>.json.
func ModalityEmbeddingsFile(fused string, m musicrep.Modality) string {
	return strings.TrimSuffix(fused, ".json") + "." + string(m) + ".json"
}

// BindingSet loads a binding model's embeddings file for scoring next to a joint model: named after the file, and
// marked as leaking genre unless its run directory records leak-free graph features (LeakFreeRun).
func BindingSet(c *corpus.Corpus, file, run string) (*musicrep.Embeddings, error) {
	b, err := LoadEmbeddings(file, c)
	if err != nil {
		return nil, err
	}
	b.Name = "binding " + strings.TrimSuffix(filepath.Base(file), ".json")
	if LeakFreeRun(run) {
		b.Note = "binding_music's model trained on pairs among training tracks, with the split's leak-free " +
			"graph features (audio + graph without genre edges)"
	} else {
		b.Note = "binding_music's model; its run (" + run + ") does not record leak-free graph features, so " +
			"its graph input is taken to encode genre"
		b.Leaks = true
	}
	return b, nil
}

// JointReportSets returns the embeddings sets RunJointReport scores, in its order: the joint run's fused
// embeddings and each modality alone (JointSets), the binding run's (BindingSet; left out when bindingFile is
// ""), the raw baselines of the model's modalities (Baselines) and, when graph features are loaded but not a
// model modality, binding_music's graph features as a leaking upper bound.
func (f *Fairouz) JointReportSets(fused string, modalities []musicrep.Modality, bindingFile, bindingRun string) ([]*musicrep.Embeddings, error) {
	sets, err := JointSets(f.Corpus, fused, modalities)
	if err != nil {
		return nil, err
	}
	if bindingFile != "" {
		b, err := BindingSet(f.Corpus, bindingFile, bindingRun)
		if err != nil {
			return nil, err
		}
		sets = append(sets, b)
	}
	sets = append(sets, Baselines(f.Corpus, modalities)...)
	if g, ok := f.Corpus.Features[musicrep.Graph]; ok && !slices.Contains(modalities, musicrep.Graph) {
		sets = append(sets, &musicrep.Embeddings{Name: "raw graph (binding_music's RandNE)", Kind: "baseline", Leaks: true,
			Source: g.Source, Note: "LEAKS genre: built from track–artist–album–genre links over all tracks; an " +
				"upper bound, not a baseline", IDs: IDs(f.Corpus), Dim: g.Dim, Data: g.Data})
	}
	return sets, nil
}
