// Package inference loads a trained checkpoint (a binding model or a joint model), rebuilds the model from the
// hyperparameters stored in it, embeds tracks (with any of their modalities missing) and exports the embeddings.
// A joint model also places each single modality in the shared space (EmbedModality), which is what cross-modal
// retrieval and free-text queries use.
package inference

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX idiom.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/backends"
	"github.com/musicrep/musicrep/musicrep/binding"
	"github.com/musicrep/musicrep/musicrep/ckpt"
	"github.com/musicrep/musicrep/musicrep/corpus"
	"github.com/musicrep/musicrep/musicrep/joint"
	"github.com/musicrep/musicrep/musicrep/training"
)

// Model is a trained model loaded for inference.
type Model struct {
	Kind         string              // the architecture its checkpoint records (training.ArchitectureName, …)
	Modalities   []musicrep.Modality // input modalities, in musicrep.ModalityOrder
	InputDims    []int               // their feature sizes
	EmbeddingDim int                 // size of the output embeddings
	Checkpoint   string              // the checkpoint's .json file
	Meta         ckpt.Meta
	arch         architecture
	backend      compute.Backend
	store        *model.Store
	exec         *model.Exec   // fused embedding of all given modalities
	modExec      []*model.Exec // models with a shared space: each modality's embedding
}

// architecture is what inference needs of a model kind, rebuilt from a checkpoint's hyperparameters.
type architecture interface {
	String() string
	// io returns the input modalities, their sizes and the embedding size.
	io() ([]musicrep.Modality, []int, int)
	// variables lists every variable the checkpoint must hold (path → shape).
	variables() map[string][]int
	// fused embeds tracks from all their modalities (masks: 1 present, 0 missing).
	fused(scope *model.Scope, features, masks []*Node) *Node
	// encoder returns the encoder of modality i into the shared space, nil when the model has no shared space.
	encoder(i int) func(scope *model.Scope, x *Node) *Node
	// tagVocab returns the tag vocabulary size and encoder name when modality i reads token ids.
	tagVocab(i int) (vocab int, encoderName string, ok bool)
}

// architectures builds each model kind inference can load, by the name its checkpoints record.
var architectures = map[string]func(*model.Store) (architecture, error){
	training.ArchitectureName: func(s *model.Store) (architecture, error) {
		a, err := binding.ArchitectureFromStore(s)
		return bindingArch{a}, err
	},
	training.JointArchitectureName: func(s *model.Store) (architecture, error) {
		a, err := joint.ArchitectureFromStore(s)
		return jointArch{a}, err
	},
}

type bindingArch struct{ binding.Architecture }

func (a bindingArch) io() ([]musicrep.Modality, []int, int) {
	return a.Modalities, a.InputDims, a.EmbeddingDim
}
func (a bindingArch) variables() map[string][]int { return bindingVariables(a.Architecture) }
func (a bindingArch) fused(scope *model.Scope, features, masks []*Node) *Node {
	return binding.Embed(scope, a.Architecture, features, masks)
}
func (a bindingArch) encoder(int) func(*model.Scope, *Node) *Node { return nil }
func (a bindingArch) tagVocab(int) (int, string, bool)            { return 0, "", false }

type jointArch struct{ joint.Architecture }

func (a jointArch) io() ([]musicrep.Modality, []int, int) { return a.Modalities, a.InputDims, a.Dim }
func (a jointArch) variables() map[string][]int           { return a.VariableShapes() }
func (a jointArch) fused(scope *model.Scope, features, masks []*Node) *Node {
	f, _ := joint.Embed(scope, a.Architecture, features, masks)
	return f
}
func (a jointArch) encoder(i int) func(*model.Scope, *Node) *Node {
	return func(scope *model.Scope, x *Node) *Node { return joint.EncodeModality(scope, a.Architecture, i, x) }
}
func (a jointArch) tagVocab(i int) (int, string, bool) {
	return a.TagVocab, a.TagEncoder, a.TokenInput(i)
}

// String describes the model in one line.
func (m *Model) String() string { return m.arch.String() }

// Index returns the position of modality mod among the model's inputs, or -1.
func (m *Model) Index(mod musicrep.Modality) int { return slices.Index(m.Modalities, mod) }

// SharedSpace reports whether the model places each modality alone in its space (EmbedModality).
func (m *Model) SharedSpace() bool { return m.modExec != nil }

// BestDir is the subdirectory where a run keeps the checkpoint chosen on its validation split.
const BestDir = training.BestDir

// Load loads a run's model: the checkpoint in <run>/best when the run chose one on a validation split, else the
// newest complete checkpoint of the run directory; or the checkpoint whose .json path is given. A nil backend
// means backends.New("").
func Load(path string, backend compute.Backend) (*Model, error) {
	var c *ckpt.Checkpoint
	var err error
	if strings.HasSuffix(path, ".json") {
		c, err = ckpt.Load(path)
	} else {
		if info, statErr := os.Stat(path); statErr != nil || !info.IsDir() {
			return nil, fmt.Errorf("checkpoint %s: not a run directory or a ckpt-*.json file", path)
		}
		if list, _ := ckpt.List(filepath.Join(path, BestDir)); len(list) > 0 {
			path = filepath.Join(path, BestDir)
		}
		c, err = ckpt.Latest(path, nil)
	}
	if err != nil {
		return nil, err
	}
	if backend == nil {
		if backend, err = backends.New(""); err != nil {
			return nil, err
		}
	}
	store := model.NewStore()
	if err := c.Restore(store); err != nil {
		return nil, err
	}
	build, ok := architectures[c.Meta.Architecture]
	if !ok {
		kinds := make([]string, 0, len(architectures))
		for k := range architectures {
			kinds = append(kinds, k)
		}
		slices.Sort(kinds)
		return nil, fmt.Errorf("checkpoint %s holds a %q model; this loader builds %s models on feature files "+
			"(contrastive-mir audio encoders: musicrep embed-audio)", c.Path, c.Meta.Architecture,
			strings.Join(kinds, " and "))
	}
	arch, err := build(store)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", c.Path, err)
	}
	if err := checkVariables(c, arch.String(), arch.variables()); err != nil {
		return nil, err
	}
	m := &Model{Kind: c.Meta.Architecture, Checkpoint: c.Path, Meta: c.Meta, arch: arch, backend: backend, store: store}
	m.Modalities, m.InputDims, m.EmbeddingDim = arch.io()
	k := len(m.Modalities)
	m.exec, err = model.NewExec(backend, store, func(scope *model.Scope, inputs []*Node) *Node {
		return arch.fused(scope, inputs[:k], inputs[k:])
	})
	if err != nil {
		return nil, fmt.Errorf("building the model of %s: %w", c.Path, err)
	}
	for i := range m.Modalities {
		enc := arch.encoder(i)
		if enc == nil {
			break
		}
		e, err := model.NewExec(backend, store, enc)
		if err != nil {
			return nil, fmt.Errorf("building the %s encoder of %s: %w", m.Modalities[i], c.Path, err)
		}
		m.modExec = append(m.modExec, e)
	}
	return m, nil
}

func bindingVariables(arch binding.Architecture) map[string][]int {
	want := map[string][]int{}
	cd := arch.ContractedDims()
	for i, m := range arch.Modalities {
		want["/encoder/"+string(m)+"/weights"] = []int{arch.InputDims[i], cd[i]}
		want["/encoder/"+string(m)+"/biases"] = []int{cd[i]}
	}
	hidden := arch.ConcatDim() * arch.Expansion
	want["/fusion/hidden/weights"] = []int{arch.ConcatDim(), hidden}
	want["/fusion/hidden/biases"] = []int{hidden}
	want["/fusion/output/weights"] = []int{hidden, arch.EmbeddingDim}
	want["/fusion/output/biases"] = []int{arch.EmbeddingDim}
	return want
}

// checkVariables verifies that the checkpoint holds exactly the weights the architecture needs, with the right
// shapes, so that a checkpoint of another architecture fails with a clear message instead of a graph panic.
func checkVariables(c *ckpt.Checkpoint, arch string, want map[string][]int) error {
	have := map[string][]int{}
	for _, v := range c.Meta.Variables {
		have[v.Path] = v.Dims
	}
	for path, dims := range want {
		got, ok := have[path]
		if !ok {
			return fmt.Errorf("checkpoint %s has no variable %s needed by %s: it was saved by another "+
				"architecture or version", c.Path, path, arch)
		}
		if fmt.Sprint(got) != fmt.Sprint(dims) {
			return fmt.Errorf("checkpoint %s: variable %s has shape %v, the recorded architecture (%s) needs %v",
				c.Path, path, got, arch, dims)
		}
	}
	return nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// Backend returns the backend the model runs on.
func (m *Model) Backend() compute.Backend { return m.backend }

// Embed returns the joint embeddings (row-major, rows × Arch.EmbeddingDim) of the rows of the given features,
// one *musicrep.Features per model modality in Arch.Modalities order. Rows where a modality is missing
// (Present false) are masked as in training. Every row must have at least one modality.
func (m *Model) Embed(features []*musicrep.Features) ([]float32, error) {
	if len(features) != len(m.Modalities) {
		return nil, fmt.Errorf("model %s needs %d modalities (%v), got %d feature sets", m.Checkpoint,
			len(m.Modalities), m.Modalities, len(features))
	}
	n := features[0].NumRows()
	for i, f := range features {
		if f.Modality != m.Modalities[i] {
			return nil, fmt.Errorf("feature set %d is %s, the model expects %s here (order %v)", i, f.Modality,
				m.Modalities[i], m.Modalities)
		}
		if f.Dim != m.InputDims[i] {
			return nil, fmt.Errorf("%s features in %s have %d dimensions, the model in %s was trained on %d",
				f.Modality, f.Source, f.Dim, m.Checkpoint, m.InputDims[i])
		}
		if f.NumRows() != n {
			return nil, fmt.Errorf("%s features have %d rows, %s has %d", f.Modality, f.NumRows(),
				features[0].Modality, n)
		}
		if err := m.checkTokens(i, f); err != nil {
			return nil, err
		}
	}
	for r := range n {
		any := false
		for _, f := range features {
			any = any || f.Present[r]
		}
		if !any {
			return nil, fmt.Errorf("row %d has none of the model's modalities %v: it cannot be embedded", r,
				m.Modalities)
		}
	}
	const batch = 512
	out := make([]float32, 0, n*m.EmbeddingDim)
	for lo := 0; lo < n; lo += batch {
		hi := min(n, lo+batch)
		args := make([]any, 0, 2*len(features))
		masks := make([]any, 0, len(features))
		for _, f := range features {
			args = append(args, tensors.FromFlatDataAndDimensions(f.Data[lo*f.Dim:hi*f.Dim], hi-lo, f.Dim))
			mask := make([]float32, hi-lo)
			for r := lo; r < hi; r++ {
				if f.Present[r] {
					mask[r-lo] = 1
				}
			}
			masks = append(masks, tensors.FromFlatDataAndDimensions(mask, hi-lo))
		}
		args = append(args, masks...)
		rows, err := run(m.exec, args)
		if err != nil {
			return nil, fmt.Errorf("embedding rows %d..%d: %w", lo, hi-1, err)
		}
		out = append(out, rows...)
	}
	return out, nil
}

// checkTokens checks that the features f of model modality i are what its encoder reads: token ids of the
// model's tag vocabulary (integers in [0, vocabulary size]; the embedding lookup would clamp others silently)
// for the attention and mean tag encoders, vectors otherwise.
func (m *Model) checkTokens(i int, f *musicrep.Features) error {
	vocab, encoderName, tokens := m.arch.tagVocab(i)
	if !tokens {
		if f.TokenIDs() {
			return fmt.Errorf("the %s features in %s hold token ids (vocabulary %s), but the model in %s reads %s "+
				"vectors: give the feature vectors it was trained on", f.Modality, f.Source, f.Vocab, m.Checkpoint,
				f.Modality)
		}
		return nil
	}
	for k, x := range f.Data {
		if x != float32(math.Trunc(float64(x))) || x < 0 || int(x) > vocab {
			return fmt.Errorf("%s features in %s, row %d: value %g is not a tag id of the model in %s, whose %s tag "+
				"encoder reads tag sequences of %d-tag vocabulary ids (integers in [0, %d]; musicrep features -method "+
				"tags-seq)", f.Modality, f.Source, k/f.Dim, x, m.Checkpoint, encoderName, vocab, vocab)
		}
	}
	return nil
}

// run executes e and returns its single output's data.
func run(e *model.Exec, args []any) (out []float32, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	outputs, err := e.Exec(args...)
	if err != nil {
		return nil, err
	}
	out = tensors.MustCopyFlatData[float32](outputs[0])
	outputs[0].MustFinalizeAll()
	return out, nil
}

// EmbedModality places one modality's features in the joint model's shared space: it returns rows ×
// EmbeddingDim unit vectors, with zero vectors for the rows where the modality is missing. Only joint models
// have per-modality embeddings (a binding model can only embed the fusion of its modalities).
func (m *Model) EmbedModality(f *musicrep.Features) ([]float32, error) {
	if !m.SharedSpace() {
		return nil, fmt.Errorf("the model in %s is a %s model: only joint models embed single modalities (train "+
			"one with -set model=joint)", m.Checkpoint, m.Kind)
	}
	i := m.Index(f.Modality)
	if i < 0 {
		return nil, fmt.Errorf("the model in %s has no %s encoder (modalities %v)", m.Checkpoint, f.Modality, m.Modalities)
	}
	if f.Dim != m.InputDims[i] {
		return nil, fmt.Errorf("%s features in %s have %d dimensions, the model in %s was trained on %d", f.Modality,
			f.Source, f.Dim, m.Checkpoint, m.InputDims[i])
	}
	if err := m.checkTokens(i, f); err != nil {
		return nil, err
	}
	n := f.NumRows()
	const batch = 512
	out := make([]float32, 0, n*m.EmbeddingDim)
	for lo := 0; lo < n; lo += batch {
		hi := min(n, lo+batch)
		rows, err := run(m.modExec[i], []any{tensors.FromFlatDataAndDimensions(f.Data[lo*f.Dim:hi*f.Dim], hi-lo, f.Dim)})
		if err != nil {
			return nil, fmt.Errorf("embedding %s rows %d..%d: %w", f.Modality, lo, hi-1, err)
		}
		out = append(out, rows...)
	}
	for r := range n {
		if !f.Present[r] {
			clear(out[r*m.EmbeddingDim : (r+1)*m.EmbeddingDim])
		}
	}
	return out, nil
}

// EmbedCorpus embeds every track of a corpus, using the corpus' features of the model's modalities.
func (m *Model) EmbedCorpus(c *corpus.Corpus) ([]float32, error) {
	feats := make([]*musicrep.Features, len(m.Modalities))
	for i, mod := range m.Modalities {
		f, ok := c.Features[mod]
		if !ok {
			return nil, fmt.Errorf("the model in %s needs %s features, which were not loaded: give the %s "+
				"feature file", m.Checkpoint, mod, mod)
		}
		feats[i] = f
	}
	return m.Embed(feats)
}

// Export writes embeddings in the seed's JSON format (a list of {"id", "embedding"} in the given order) to
// base+".json", and as float32 NPY to base+".npy" with the ids in base+".ids.json". Both are written atomically.
func Export(base string, ids []string, data []float32, dim int) (jsonPath, npyPath string, err error) {
	if dim <= 0 || len(ids)*dim != len(data) {
		return "", "", errors.New("export: ids and embeddings do not match")
	}
	if err := os.MkdirAll(filepath.Dir(base), 0o755); err != nil {
		return "", "", err
	}
	jsonPath, npyPath = base+".json", base+".npy"
	if err := corpus.WriteVectorsJSON(jsonPath, ids, data, dim); err != nil {
		return "", "", err
	}
	if err := corpus.WriteVectorsNPY(npyPath, ids, data, dim); err != nil {
		return "", "", err
	}
	return jsonPath, npyPath, nil
}

// EmbedFiles embeds tracks given as per-modality feature files (seed JSON format or .npy with .ids.json), e.g.
// features computed for new tracks. Files are joined by id; a track absent from one modality's file is embedded
// with that modality missing. Modalities of the model without a file are missing for every track; a file for a
// modality the model does not use is an error. It returns the ids (first-seen order across files) and the
// embeddings.
func (m *Model) EmbedFiles(files map[musicrep.Modality]string) ([]string, []float32, error) {
	type loaded struct {
		ids  []string
		data []float32
		dim  int
	}
	byMod := map[musicrep.Modality]loaded{}
	var ids []string
	seen := map[string]int{}
	for _, mod := range musicrep.ModalityOrder {
		path, ok := files[mod]
		if !ok {
			continue
		}
		used := false
		for _, am := range m.Modalities {
			used = used || am == mod
		}
		if !used {
			return nil, nil, fmt.Errorf("%s: the model in %s does not use %s features (it uses %v)", path,
				m.Checkpoint, mod, m.Modalities)
		}
		fids, data, dim, err := corpus.ReadVectors(path)
		if err != nil {
			return nil, nil, err
		}
		byMod[mod] = loaded{fids, data, dim}
		for _, id := range fids {
			if _, ok := seen[id]; !ok {
				seen[id] = len(ids)
				ids = append(ids, id)
			}
		}
	}
	for mod := range files {
		if _, ok := byMod[mod]; !ok {
			return nil, nil, fmt.Errorf("unknown modality %q for file %s", mod, files[mod])
		}
	}
	if len(ids) == 0 {
		return nil, nil, errors.New("no feature file given")
	}
	feats := make([]*musicrep.Features, len(m.Modalities))
	for i, mod := range m.Modalities {
		f := &musicrep.Features{Modality: mod, Dim: m.InputDims[i], Data: make([]float32, len(ids)*m.InputDims[i]),
			Present: make([]bool, len(ids)), Source: "(no file)"}
		if l, ok := byMod[mod]; ok {
			f.Source = files[mod]
			if vp := corpus.VocabSidecar(f.Source); fileExists(vp) {
				f.Vocab = vp // token ids (tag sequences); checked against the model by Embed
			}
			if l.dim != f.Dim {
				return nil, nil, fmt.Errorf("%s: %s vectors have %d dimensions, the model in %s was trained on %d",
					files[mod], mod, l.dim, m.Checkpoint, f.Dim)
			}
			for r, id := range l.ids {
				row := seen[id]
				src := l.data[r*f.Dim : (r+1)*f.Dim]
				copy(f.Data[row*f.Dim:(row+1)*f.Dim], src)
				// A tag sequence of only padding is a track without tags: missing, as corpus.LoadFeatures reads it.
				f.Present[row] = f.Vocab == "" || slices.ContainsFunc(src, func(x float32) bool { return x != 0 })
			}
		}
		feats[i] = f
	}
	emb, err := m.Embed(feats)
	return ids, emb, err
}
