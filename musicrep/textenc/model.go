package textenc

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX idiom.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/nn"

	"github.com/musicrep/musicrep/musicrep/backends"
)

// Config is the architecture of a BERT sentence model, read from the model folder's config.json,
// 1_Pooling/config.json and modules.json.
type Config struct {
	VocabSize             int     `json:"vocab_size"`
	HiddenSize            int     `json:"hidden_size"`
	NumHiddenLayers       int     `json:"num_hidden_layers"`
	NumAttentionHeads     int     `json:"num_attention_heads"`
	IntermediateSize      int     `json:"intermediate_size"`
	HiddenAct             string  `json:"hidden_act"`
	LayerNormEps          float64 `json:"layer_norm_eps"`
	MaxPositionEmbeddings int     `json:"max_position_embeddings"`
	TypeVocabSize         int     `json:"type_vocab_size"`
	PositionEmbeddingType string  `json:"position_embedding_type"`
	// Normalize is true when the sentence-transformers pipeline ends with a Normalize module (unit-norm output).
	Normalize bool `json:"-"`
}

// Batching settings of Encode.
const (
	// BatchSize is the number of texts run through the graph at once.
	BatchSize = 8
	// LengthBucket is the granularity of the padded sequence length: a batch is padded to the next multiple of
	// LengthBucket tokens (capped at the tokenizer's MaxLen), so few graphs are compiled.
	LengthBucket = 16
)

// Model is the all-MiniLM-L6-v2 sentence model (or another sentence-transformers BERT with mean pooling) loaded
// into a GoMLX graph. Encode may be called from several goroutines; calls run one at a time.
type Model struct {
	Dir       string
	Config    Config
	Tokenizer *Tokenizer
	backend   compute.Backend
	store     *model.Store
	exec      *model.Exec
	mu        sync.Mutex
}

// Load reads a sentence-transformers BERT folder (as returned by Locate): config files, tokenizer and
// model.safetensors. A nil backend means backends.New(""). Missing files give an error wrapping ErrModelMissing.
func Load(dir string, backend compute.Backend) (*Model, error) {
	if !isFile(filepath.Join(dir, WeightsFile)) {
		return nil, fmt.Errorf("model folder %s has no %s: %w", dir, WeightsFile, ErrModelMissing)
	}
	cfg, err := readConfig(dir)
	if err != nil {
		return nil, err
	}
	tok, err := LoadTokenizer(dir)
	if err != nil {
		return nil, err
	}
	if tok.VocabSize() > cfg.VocabSize {
		return nil, fmt.Errorf("%s: the tokenizer has %d tokens, config.json vocab_size is %d", dir,
			tok.VocabSize(), cfg.VocabSize)
	}
	if tok.MaxLen() > cfg.MaxPositionEmbeddings {
		return nil, fmt.Errorf("%s: max_seq_length %d exceeds max_position_embeddings %d", dir, tok.MaxLen(),
			cfg.MaxPositionEmbeddings)
	}
	if backend == nil {
		if backend, err = backends.New(""); err != nil {
			return nil, err
		}
	}
	m := &Model{Dir: dir, Config: cfg, Tokenizer: tok, backend: backend, store: model.NewStore()}
	if err := m.loadWeights(filepath.Join(dir, WeightsFile)); err != nil {
		return nil, err
	}
	m.exec, err = model.NewExec(backend, m.store, m.graph)
	if err != nil {
		return nil, fmt.Errorf("building the graph of %s: %w", dir, err)
	}
	m.exec.SetMaxCache(64)
	return m, nil
}

func readConfig(dir string) (Config, error) {
	var cfg Config
	path := filepath.Join(dir, "config.json")
	if err := readJSON(path, &cfg); err != nil {
		return cfg, err
	}
	switch {
	case cfg.HiddenSize <= 0 || cfg.NumAttentionHeads <= 0 || cfg.HiddenSize%cfg.NumAttentionHeads != 0:
		return cfg, fmt.Errorf("%s: hidden_size %d is not a positive multiple of num_attention_heads %d", path,
			cfg.HiddenSize, cfg.NumAttentionHeads)
	case cfg.NumHiddenLayers <= 0 || cfg.IntermediateSize <= 0 || cfg.VocabSize <= 0 ||
		cfg.MaxPositionEmbeddings <= 0 || cfg.TypeVocabSize <= 0:
		return cfg, fmt.Errorf("%s: num_hidden_layers, intermediate_size, vocab_size, max_position_embeddings "+
			"and type_vocab_size must be positive", path)
	case cfg.HiddenAct != "gelu":
		return cfg, fmt.Errorf("%s: hidden_act %q is not supported (only \"gelu\", the exact erf form)", path,
			cfg.HiddenAct)
	case cfg.PositionEmbeddingType != "" && cfg.PositionEmbeddingType != "absolute":
		return cfg, fmt.Errorf("%s: position_embedding_type %q is not supported", path, cfg.PositionEmbeddingType)
	}
	if cfg.LayerNormEps == 0 {
		cfg.LayerNormEps = 1e-12
	}
	var pool struct {
		Mean bool `json:"pooling_mode_mean_tokens"`
		CLS  bool `json:"pooling_mode_cls_token"`
		Max  bool `json:"pooling_mode_max_tokens"`
		Sqrt bool `json:"pooling_mode_mean_sqrt_len_tokens"`
	}
	poolPath := filepath.Join(dir, "1_Pooling", "config.json")
	if err := readJSON(poolPath, &pool); err != nil {
		return cfg, err
	}
	if !pool.Mean || pool.CLS || pool.Max || pool.Sqrt {
		return cfg, fmt.Errorf("%s: only mean pooling (pooling_mode_mean_tokens alone) is supported", poolPath)
	}
	var modules []struct {
		Type string `json:"type"`
	}
	if err := readJSON(filepath.Join(dir, "modules.json"), &modules); err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			return cfg, err
		}
	}
	for _, mod := range modules {
		if mod.Type == "sentence_transformers.models.Normalize" {
			cfg.Normalize = true
		}
	}
	return cfg, nil
}

// Variable names in the store (BERT's names, without the "encoder.layer.N." prefix).
const (
	varWordEmb  = "/embeddings/word"
	varPosEmb   = "/embeddings/position"
	varTypeEmb  = "/embeddings/token_type"
	varEmbGamma = "/embeddings/layer_norm/gamma"
	varEmbBeta  = "/embeddings/layer_norm/beta"
)

// loadWeights copies the safetensors tensors into the store, checking every shape against the config. The query,
// key and value projections are concatenated into one [3H, H] matrix so that a layer does one matmul for them.
func (m *Model) loadWeights(path string) error {
	f, err := readSafetensors(path)
	if err != nil {
		return err
	}
	c := m.Config
	h := c.HiddenSize
	prefix := ""
	if _, ok := f.Tensors["bert.embeddings.word_embeddings.weight"]; ok {
		prefix = "bert."
	}
	add := func(varPath string, data []float32, dims ...int) error {
		v, err := m.store.CreateVariable(varPath, tensors.FromFlatDataAndDimensions(data, dims...))
		if err != nil {
			return fmt.Errorf("model %s: %w", path, err)
		}
		v.SetTrainable(false)
		return nil
	}
	copyVar := func(varPath, name string, dims ...int) error {
		data, err := f.float32Tensor(prefix+name, dims...)
		if err != nil {
			return err
		}
		return add(varPath, data, dims...)
	}
	for _, w := range []struct {
		v, name string
		dims    []int
	}{
		{varWordEmb, "embeddings.word_embeddings.weight", []int{c.VocabSize, h}},
		{varPosEmb, "embeddings.position_embeddings.weight", []int{c.MaxPositionEmbeddings, h}},
		{varTypeEmb, "embeddings.token_type_embeddings.weight", []int{c.TypeVocabSize, h}},
		{varEmbGamma, "embeddings.LayerNorm.weight", []int{h}},
		{varEmbBeta, "embeddings.LayerNorm.bias", []int{h}},
	} {
		if err := copyVar(w.v, w.name, w.dims...); err != nil {
			return err
		}
	}
	for l := range c.NumHiddenLayers {
		p := fmt.Sprintf("encoder.layer.%d.", l)
		s := layerScope(l)
		var qkvW, qkvB []float32
		for _, part := range []string{"query", "key", "value"} {
			w, err := f.float32Tensor(prefix+p+"attention.self."+part+".weight", h, h)
			if err != nil {
				return err
			}
			b, err := f.float32Tensor(prefix+p+"attention.self."+part+".bias", h)
			if err != nil {
				return err
			}
			qkvW = append(qkvW, w...)
			qkvB = append(qkvB, b...)
		}
		if err := add(s+"/attention/qkv/weights", qkvW, 3*h, h); err != nil {
			return err
		}
		if err := add(s+"/attention/qkv/biases", qkvB, 3*h); err != nil {
			return err
		}
		for _, w := range []struct {
			v, name string
			dims    []int
		}{
			{"/attention/output/weights", "attention.output.dense.weight", []int{h, h}},
			{"/attention/output/biases", "attention.output.dense.bias", []int{h}},
			{"/attention/layer_norm/gamma", "attention.output.LayerNorm.weight", []int{h}},
			{"/attention/layer_norm/beta", "attention.output.LayerNorm.bias", []int{h}},
			{"/ffn/intermediate/weights", "intermediate.dense.weight", []int{c.IntermediateSize, h}},
			{"/ffn/intermediate/biases", "intermediate.dense.bias", []int{c.IntermediateSize}},
			{"/ffn/output/weights", "output.dense.weight", []int{h, c.IntermediateSize}},
			{"/ffn/output/biases", "output.dense.bias", []int{h}},
			{"/ffn/layer_norm/gamma", "output.LayerNorm.weight", []int{h}},
			{"/ffn/layer_norm/beta", "output.LayerNorm.bias", []int{h}},
		} {
			if err := copyVar(s+w.v, p+w.name, w.dims...); err != nil {
				return err
			}
		}
	}
	return nil
}

func layerScope(l int) string { return fmt.Sprintf("/encoder/layer_%d", l) }

// graph builds the sentence embedding of a batch: ids [B, L] int32 token ids, mask [B, L] float32 (1 for real
// tokens, 0 for padding) → [B, HiddenSize] float32, mean-pooled over real tokens (and unit-norm if the model has
// a Normalize module).
func (m *Model) graph(scope *model.Scope, ids, mask *Node) *Node {
	g := ids.Graph()
	c := m.Config
	h, heads := c.HiddenSize, c.NumAttentionHeads
	batch, seqLen := ids.Shape().Dimensions[0], ids.Shape().Dimensions[1]
	v := func(path string) *Node {
		variable := scope.Store().GetVariable(path)
		if variable == nil {
			panic(fmt.Sprintf("textenc: variable %s missing from the store", path))
		}
		return variable.ValueGraph(g)
	}
	layerNorm := func(x *Node, prefix string) *Node {
		return nn.LayerNorm(x, []int{2}, c.LayerNormEps, v(prefix+"/gamma"), v(prefix+"/beta"), nil)
	}
	dense := func(x *Node, prefix string) *Node {
		return nn.Dense(x, v(prefix+"/weights"), v(prefix+"/biases"), compute.DenseLayoutOutputsInput)
	}

	// Embeddings: word + absolute position + token type 0, then LayerNorm.
	x := Gather(v(varWordEmb), InsertAxes(ids, -1))  // [B, L, H]
	pos := Slice(v(varPosEmb), AxisRange(0, seqLen)) // [L, H]
	typ := Slice(v(varTypeEmb), AxisRange(0, 1))     // [1, H]
	x = Add(x, InsertAxes(Add(pos, typ), 0))         // [B, L, H]
	x = layerNorm(x, "/embeddings/layer_norm")       //
	// Additive attention mask: 0 for real keys, -1e30 for padding, broadcast over heads and queries.
	keyBias := Reshape(MulScalar(OneMinus(mask), -1e30), batch, 1, 1, seqLen)
	headDim := h / heads

	for l := range c.NumHiddenLayers {
		s := layerScope(l)
		qkv := dense(x, s+"/attention/qkv") // [B, L, 3H]
		att := selfAttention(qkv, keyBias, batch, seqLen, heads, headDim)
		att = dense(att, s+"/attention/output")
		x = layerNorm(Add(att, x), s+"/attention/layer_norm")
		ff := activation.Gelu(dense(x, s+"/ffn/intermediate"))
		x = layerNorm(Add(dense(ff, s+"/ffn/output"), x), s+"/ffn/layer_norm")
	}

	// Mean pooling over real tokens (sentence-transformers clamps the count at 1e-9).
	maskH := InsertAxes(mask, -1)                                    // [B, L, 1]
	sum := ReduceSum(Mul(x, maskH), 1)                               // [B, H]
	count := Max(ReduceSum(maskH, 1), Scalar(g, mask.DType(), 1e-9)) // [B, 1]
	out := Div(sum, count)
	if c.Normalize { // torch.nn.functional.normalize: x / max(‖x‖₂, 1e-12)
		norm := Sqrt(ReduceAndKeep(Square(out), ReduceSum, -1))
		out = Div(out, Max(norm, Scalar(g, out.DType(), 1e-12)))
	}
	return out
}

// selfAttention computes multi-head scaled dot-product attention from the packed projections qkv [B, L, 3H]
// (queries, keys, values) and the additive key mask keyBias [B, 1, 1, L]; it returns [B, L, H].
//
// The products are laid out as plain batched matmuls ([B·heads, L, d]·[B·heads, d, L] and
// [B·heads, L, L]·[B·heads, L, d]): the Go backend runs those with its row-major SIMD kernel, about twice as fast
// overall as attention.Core's [B, L, heads, d] einsums, which it routes to a dot-product kernel.
func selfAttention(qkv, keyBias *Node, batch, seqLen, heads, headDim int) *Node {
	h := heads * headDim
	part := func(i int) *Node { // [B, L, heads, d] → [B, heads, L, d]
		x := Slice(qkv, AxisRange(), AxisRange(), AxisRange(i*h, (i+1)*h))
		return TransposeAllAxes(Reshape(x, batch, seqLen, heads, headDim), 0, 2, 1, 3)
	}
	q := Reshape(MulScalar(part(0), 1/math.Sqrt(float64(headDim))), batch*heads, seqLen, headDim)
	kT := Reshape(TransposeAllAxes(part(1), 0, 1, 3, 2), batch*heads, headDim, seqLen)
	v := Reshape(part(2), batch*heads, seqLen, headDim)
	scores := DotGeneral(q, []int{2}, []int{0}, kT, []int{1}, []int{0})             // [B·heads, Lq, Lk]
	scores = Add(Reshape(scores, batch, heads, seqLen, seqLen), keyBias)            // mask padded keys
	coef := Reshape(Softmax(scores, -1), batch*heads, seqLen, seqLen)               //
	out := DotGeneral(coef, []int{2}, []int{0}, v, []int{1}, []int{0})              // [B·heads, Lq, d]
	out = TransposeAllAxes(Reshape(out, batch, heads, seqLen, headDim), 0, 2, 1, 3) // [B, L, heads, d]
	return Reshape(out, batch, seqLen, h)
}

// Dim returns the size of the sentence vectors (384 for all-MiniLM-L6-v2).
func (m *Model) Dim() int { return m.Config.HiddenSize }

// Backend returns the backend the model runs on.
func (m *Model) Backend() compute.Backend { return m.backend }

// Encode returns one sentence vector per text, in input order, exactly as sentence-transformers'
// SentenceTransformer.encode (with the model's own Normalize module: unit norm for all-MiniLM-L6-v2). Texts longer
// than the model's window are truncated (256 tokens, specials included). The empty string is encoded like any
// other text: as the token sequence [CLS] [SEP], which is what sentence-transformers does; callers that want
// "no text" to mean "missing" must handle it themselves, as ExtractFeatures does.
//
// Texts are sorted by token count and run in batches of BatchSize, each padded to a multiple of LengthBucket
// tokens, so one graph per (batch size, padded length) is compiled and reused. progress, if not nil, is called
// after each batch with the number of texts done and the total.
func (m *Model) Encode(texts []string, progress func(done, total int)) ([][]float32, error) {
	n := len(texts)
	out := make([][]float32, n)
	if n == 0 {
		return out, nil
	}
	ids := make([][]int32, n)
	for i, t := range texts {
		ids[i] = m.Tokenizer.Encode(t)
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return len(ids[b]) - len(ids[a]) })
	m.mu.Lock()
	defer m.mu.Unlock()
	dim := m.Dim()
	for lo := 0; lo < n; lo += BatchSize {
		hi := min(n, lo+BatchSize)
		rows := order[lo:hi]
		seqLen := 0
		for _, r := range rows {
			seqLen = max(seqLen, len(ids[r]))
		}
		seqLen = min(m.Tokenizer.MaxLen(), (seqLen+LengthBucket-1)/LengthBucket*LengthBucket)
		flatIDs := make([]int32, len(rows)*seqLen)
		flatMask := make([]float32, len(rows)*seqLen)
		for i, r := range rows {
			copy(flatIDs[i*seqLen:], ids[r])
			for j := len(ids[r]); j < seqLen; j++ {
				flatIDs[i*seqLen+j] = m.Tokenizer.PadID()
			}
			for j := range ids[r] {
				flatMask[i*seqLen+j] = 1
			}
		}
		vecs, err := m.run(flatIDs, flatMask, len(rows), seqLen)
		if err != nil {
			return nil, fmt.Errorf("encoding texts with %s (batch %d of %d texts, %d tokens): %w", m.Dir,
				lo/BatchSize, len(rows), seqLen, err)
		}
		for i, r := range rows {
			out[r] = vecs[i*dim : (i+1)*dim : (i+1)*dim]
		}
		if progress != nil {
			progress(hi, n)
		}
	}
	return out, nil
}

// run executes the graph on one padded batch, converting panics to errors.
func (m *Model) run(ids []int32, mask []float32, batch, seqLen int) (vecs []float32, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	outputs, err := m.exec.Exec(tensors.FromFlatDataAndDimensions(ids, batch, seqLen),
		tensors.FromFlatDataAndDimensions(mask, batch, seqLen))
	if err != nil {
		return nil, err
	}
	vecs = tensors.MustCopyFlatData[float32](outputs[0])
	for _, o := range outputs {
		o.MustFinalizeAll()
	}
	return vecs, nil
}
