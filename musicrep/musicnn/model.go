package musicnn

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX idiom.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/nn"

	"github.com/musicrep/musicrep/musicrep/backends"
)

// Arch is a network family of musicnn's models.
type Arch int

const (
	// ArchMusicnn is the musically motivated CNN (Pons et al.): timbral (7×38, 7×67) and temporal (128×1, 64×1,
	// 32×1) front-end filters, a dense 1-D mid-end of three 7-tap convolutions with residual connections, a
	// max+mean temporal pooling back-end and a 200-unit penultimate layer.
	ArchMusicnn Arch = iota
	// ArchVGG is the 5-layer 3×3 VGG-like CNN (128 filters) whose flattened pool5 (256 values) feeds the output.
	ArchVGG
)

// Spec describes one of the four trained models of musicnn 0.1.0.
type Spec struct {
	Name   string // folder in the wheel: MTT_musicnn, MSD_musicnn, MTT_vgg, MSD_vgg
	Arch   Arch
	Labels []string
}

// Models lists the four taggers of musicnn 0.1.0, in the order of its README.
var Models = []Spec{
	{"MTT_musicnn", ArchMusicnn, MTTLabels},
	{"MSD_musicnn", ArchMusicnn, MSDLabels},
	{"MTT_vgg", ArchVGG, MTTLabels},
	{"MSD_vgg", ArchVGG, MSDLabels},
}

// SpecByName returns the Spec of a model name.
func SpecByName(name string) (Spec, error) {
	for _, s := range Models {
		if s.Name == name {
			return s, nil
		}
	}
	return Spec{}, fmt.Errorf("musicnn: unknown model %q (known: MTT_musicnn, MSD_musicnn, MTT_vgg, MSD_vgg)", name)
}

// Sizes of musicnn's layers.
const (
	// PenultimateDim is the size of the musicnn models' penultimate layer.
	PenultimateDim = 200
	// PooledDim is the size of the musicnn models' back-end pooling: 753 max-pooled then 753 mean-pooled values
	// of the mid-end features (561 front-end + 3 × 64 mid-end channels).
	PooledDim = 2 * 753
	// VGGPool5Dim is the size of the vgg models' flattened pool5 (2 × 1 × 128), their penultimate features.
	VGGPool5Dim = 256
	// BatchSize is the largest number of patches run through the graph at once; a smaller batch is padded to
	// the next power of two, so at most four graphs (1, 2, 4, 8 patches) are compiled.
	BatchSize = 8
	// bnEpsilon is tf.compat.v1.layers.batch_normalization's default epsilon.
	bnEpsilon = 1e-3
)

// Model is one of musicnn's trained taggers loaded into a GoMLX graph, in inference mode (batch normalisation with
// the checkpoint's moving statistics, no dropout). Run may be called from several goroutines; calls run one at
// a time.
type Model struct {
	Spec    Spec
	Dir     string // the checkpoint folder
	backend compute.Backend
	store   *model.Store
	exec    *model.Exec
	mu      sync.Mutex
}

// PenultimateDim returns the size of the model's penultimate features: 200 for musicnn, 256 for vgg.
func (m *Model) PenultimateDim() int {
	if m.Spec.Arch == ArchVGG {
		return VGGPool5Dim
	}
	return PenultimateDim
}

// Load reads the checkpoint of the named model (MTT_musicnn, MSD_musicnn, MTT_vgg or MSD_vgg) from dir, the
// folder holding .index and .data-00000-of-00001 (as in the musicnn wheel). An empty dir means
// Locate(name). A nil backend means backends.New("").
func Load(name, dir string, backend compute.Backend) (*Model, error) {
	spec, err := SpecByName(name)
	if err != nil {
		return nil, err
	}
	if dir == "" {
		if dir, err = Locate(name); err != nil {
			return nil, err
		}
	}
	if _, err := os.Stat(filepath.Join(dir, ".index")); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("musicnn %s: no checkpoint index %s: %w", name, filepath.Join(dir, ".index"),
				ErrModelMissing)
		}
		return nil, err
	}
	weights, err := ReadBundle(dir + string(filepath.Separator)) // musicnn's checkpoint prefix is "DIR/"
	if err != nil {
		return nil, fmt.Errorf("musicnn %s: %w", name, err)
	}
	if backend == nil {
		if backend, err = backends.New(""); err != nil {
			return nil, err
		}
	}
	m := &Model{Spec: spec, Dir: dir, backend: backend, store: model.NewStore()}
	if err := m.loadWeights(weights); err != nil {
		return nil, fmt.Errorf("musicnn %s (%s): %w", name, dir, err)
	}
	m.exec, err = model.NewExec(backend, m.store, m.graph)
	if err != nil {
		return nil, fmt.Errorf("musicnn %s: building the graph: %w", name, err)
	}
	return m, nil
}

// Variables returns the shapes of the checkpoint variables the graph reads, by checkpoint name
// ("conv2d/kernel", "batch_normalization_3/moving_mean", …).
func (s Spec) Variables() map[string][]int { return s.variables() }

// ReadWeights reads the named model's checkpoint variables (Spec.Variables) from dir (empty: Locate(name)),
// checking their shapes: the initial values of a trainable musicnn encoder.
func ReadWeights(name, dir string) (map[string]*tensors.Tensor, error) {
	spec, err := SpecByName(name)
	if err != nil {
		return nil, err
	}
	if dir == "" {
		if dir, err = Locate(name); err != nil {
			return nil, err
		}
	}
	w, err := ReadBundle(dir + string(filepath.Separator))
	if err != nil {
		return nil, fmt.Errorf("musicnn %s: %w", name, err)
	}
	out := map[string]*tensors.Tensor{}
	for n, shape := range spec.variables() {
		t, ok := w[n]
		if !ok || t.Data == nil || fmt.Sprint(t.Shape) != fmt.Sprint(shape) {
			return nil, fmt.Errorf("musicnn %s (%s): variable %q missing or not float32 %v: not a %s checkpoint?", name,
				dir, n, shape, name)
		}
		out[n] = tensors.FromFlatDataAndDimensions(t.Data, shape...)
	}
	return out, nil
}

// variable shapes the graph reads, by checkpoint name.
func (s Spec) variables() map[string][]int {
	v := map[string][]int{}
	bn := func(i, n int) {
		name := "batch_normalization"
		if i > 0 {
			name = fmt.Sprintf("batch_normalization_%d", i)
		}
		for _, p := range []string{"gamma", "beta", "moving_mean", "moving_variance"} {
			v[name+"/"+p] = []int{n}
		}
	}
	conv := func(name string, shape ...int) {
		v[name+"/kernel"] = shape
		v[name+"/bias"] = []int{shape[len(shape)-1]}
	}
	if s.Arch == ArchVGG {
		bn(0, 1)
		for i := 1; i <= 5; i++ {
			in := 128
			if i == 1 {
				in = 1
			}
			conv(fmt.Sprintf("%dCNN", i), 3, 3, in, 128)
			bn(i, 128)
		}
		conv("dense", 256, len(s.Labels))
		return v
	}
	bn(0, 1)
	conv("conv2d", 7, 38, 1, 204)
	bn(1, 204)
	conv("conv2d_1", 7, 67, 1, 204)
	bn(2, 204)
	for i, k := range []int{128, 64, 32} {
		conv(fmt.Sprintf("conv2d_%d", 2+i), k, 1, 1, 51)
		bn(3+i, 51)
	}
	conv("conv2d_5", 7, 561, 1, 64)
	bn(6, 64)
	conv("conv2d_6", 7, 64, 1, 64)
	bn(7, 64)
	conv("conv2d_7", 7, 64, 1, 64)
	bn(8, 64)
	bn(9, PooledDim)
	conv("dense", PooledDim, PenultimateDim)
	bn(10, PenultimateDim)
	conv("dense_1", PenultimateDim, len(s.Labels))
	return v
}

func (m *Model) loadWeights(w map[string]*Tensor) error {
	vars := m.Spec.variables()
	names := make([]string, 0, len(vars))
	for name := range vars {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		shape := vars[name]
		t, ok := w[name]
		if !ok {
			return fmt.Errorf("checkpoint has no variable %q: not a %s checkpoint?", name, m.Spec.Name)
		}
		if t.Data == nil || fmt.Sprint(t.Shape) != fmt.Sprint(shape) {
			return fmt.Errorf("variable %q has dtype %d and shape %v, want float32 %v: not a %s checkpoint?", name,
				t.DType, t.Shape, shape, m.Spec.Name)
		}
		v, err := m.store.CreateVariable("/"+name, tensors.FromFlatDataAndDimensions(t.Data, shape...))
		if err != nil {
			return err
		}
		v.SetTrainable(false)
	}
	return nil
}

// graph maps patches [B, 187, 96] (time × mel bands, musicnn's input) to the taggram [B, labels] (sigmoid), the
// penultimate features [B, D] and, for musicnn models, the pooled features [B, 1506].
func (m *Model) graph(scope *model.Scope, x *Node) []*Node {
	g := x.Graph()
	return Network(m.Spec, x, func(name string) *Node {
		variable := scope.Store().GetVariable("/" + name)
		if variable == nil {
			panic(fmt.Sprintf("musicnn: variable %s missing from the store", name))
		}
		return variable.ValueGraph(g)
	})
}

// Network is musicnn's network in inference mode (batch normalisation with the moving statistics, no dropout):
// patches x [B, T, 96] (T = PatchFrames for musicnn's own input) to the taggram [B, labels] (sigmoid), the
// penultimate features [B, D] and, for musicnn models, the pooled features [B, 1506]. v returns the value of
// the checkpoint variable of the given name (as Variables lists them): the Model reads its frozen store, a
// trainable encoder (package joint, joint_audio_encoder=musicnn) its own variables initialised from the
// checkpoint. For musicnn models, v may return nil for "dense_1/kernel" (the tag layer): the taggram output is
// then nil.
func Network(spec Spec, x *Node, v func(name string) *Node) []*Node {
	g := x.Graph()
	// Batch normalisation over the last axis, inference mode: γ·(x − μ)/√(σ² + ε) + β.
	bn := func(x *Node, i int) *Node {
		name := "batch_normalization"
		if i > 0 {
			name = fmt.Sprintf("batch_normalization_%d", i)
		}
		inv := Mul(v(name+"/gamma"), Rsqrt(AddScalar(v(name+"/moving_variance"), bnEpsilon)))
		shift := Sub(v(name+"/beta"), Mul(v(name+"/moving_mean"), inv))
		return Add(Mul(x, lastAxis(inv, x.Rank())), lastAxis(shift, x.Rank()))
	}
	// conv: x [B, H, W, C] (channels last), TF kernel [kh, kw, in, out], explicit padding per spatial axis,
	// then the bias and ReLU.
	conv := func(x *Node, name string, pad [][2]int) *Node {
		y := convMatmul(x, v(name+"/kernel"), pad[0], pad[1])
		return activation.Relu(Add(y, lastAxis(v(name+"/bias"), y.Rank())))
	}
	in := InsertAxes(x, -1) // [B, 187, 96, 1]
	in = bn(in, 0)
	if spec.Arch == ArchVGG {
		h := in
		pools := [][2]int{{4, 1}, {2, 2}, {2, 2}, {2, 2}, {4, 4}}
		strides := [][2]int{{2, 2}, {2, 2}, {2, 2}, {2, 2}, {4, 4}}
		for i := 1; i <= 5; i++ {
			h = bn(conv(h, fmt.Sprintf("%dCNN", i), [][2]int{{1, 1}, {1, 1}}), i)
			h = MaxPool(h).WindowPerAxis(pools[i-1][0], pools[i-1][1]).
				StridePerAxis(strides[i-1][0], strides[i-1][1]).NoPadding().Done()
		}
		batch := h.Shape().Dimensions[0]
		pool5 := Reshape(h, batch, -1) // [B, 256] in (time, freq, channel) order, as tf.layers.flatten
		logits := nn.Dense(pool5, v("dense/kernel"), v("dense/bias"), compute.DenseLayoutInputOutputs)
		return []*Node{Sigmoid(logits), pool5}
	}

	// Front-end: each block is conv → ReLU → batch norm → max over the frequency axis → [B, 187, filters].
	block := func(name string, bnIndex int, pad [][2]int) *Node {
		if !backends.IsGo(g.Backend()) {
			return ReduceMax(bn(conv(in, name, pad), bnIndex), 2)
		}
		// Go backend: the same block channels-first, [filters, B, 187, 96 or fewer] (see convChannelsFirst).
		name0 := "batch_normalization"
		if bnIndex > 0 {
			name0 = fmt.Sprintf("batch_normalization_%d", bnIndex)
		}
		inv := Mul(v(name0+"/gamma"), Rsqrt(AddScalar(v(name0+"/moving_variance"), bnEpsilon)))
		shift := Sub(v(name0+"/beta"), Mul(v(name0+"/moving_mean"), inv))
		y := convChannelsFirst(in, v(name+"/kernel"), pad[0], pad[1])
		y = activation.Relu(Add(y, firstAxis(v(name+"/bias"), 4)))
		y = Add(Mul(y, firstAxis(inv, 4)), firstAxis(shift, 4))
		return TransposeAllAxes(ReduceMax(y, 3), 1, 2, 0) // [filters, B, 187] → [B, 187, filters]
	}
	f74 := block("conv2d", 1, [][2]int{{3, 3}, {0, 0}})
	f77 := block("conv2d_1", 2, [][2]int{{3, 3}, {0, 0}})
	// Temporal filters with TF's "same" padding: (k−1)/2 frames before, the rest after.
	s1 := block("conv2d_2", 3, [][2]int{{63, 64}, {0, 0}})
	s2 := block("conv2d_3", 4, [][2]int{{31, 32}, {0, 0}})
	s3 := block("conv2d_4", 5, [][2]int{{15, 16}, {0, 0}})
	front := Concatenate([]*Node{f74, f77, s1, s2, s3}, 2) // [B, 187, 561]

	// Mid-end: 7-tap convolutions over time across all channels (TF writes them as 2-D convolutions whose
	// kernel spans the whole channel axis; a 1-D convolution with the kernel reshaped is the same sum).
	conv1d := func(x *Node, name string) *Node {
		k := v(name + "/kernel") // [7, in, 1, out] → [7, 1, in, out]: the same values in the same order
		kd := k.Shape().Dimensions
		k = Reshape(k, kd[0], 1, kd[1], kd[3])
		xd := x.Shape().Dimensions
		y := convMatmul(Reshape(x, xd[0], xd[1], 1, xd[2]), k, [2]int{3, 3}, [2]int{0, 0})
		y = Reshape(y, xd[0], xd[1], kd[3])
		return activation.Relu(Add(y, lastAxis(v(name+"/bias"), y.Rank())))
	}
	c1 := bn(conv1d(front, "conv2d_5"), 6)
	c2 := Add(bn(conv1d(c1, "conv2d_6"), 7), c1)
	c3 := Add(bn(conv1d(c2, "conv2d_7"), 8), c2)
	mid := Concatenate([]*Node{front, c1, c2, c3}, 2) // [B, 187, 753]

	// Back-end: max and mean over time, flattened as TF flattens [B, 753, 2] (max and mean interleaved).
	maxPool := ReduceMax(mid, 1)
	meanPool := ReduceMean(mid, 1)
	batch := maxPool.Shape().Dimensions[0]
	flat := Reshape(Stack([]*Node{maxPool, meanPool}, -1), batch, PooledDim)
	flat = bn(flat, 9)
	dense := activation.Relu(nn.Dense(flat, v("dense/kernel"), v("dense/bias"), compute.DenseLayoutInputOutputs))
	penultimate := bn(dense, 10)
	pooled := Concatenate([]*Node{maxPool, meanPool}, 1)
	kernel := v("dense_1/kernel")
	if kernel == nil { // the caller has no tag layer: features only
		return []*Node{nil, penultimate, pooled}
	}
	logits := nn.Dense(penultimate, kernel, v("dense_1/bias"), compute.DenseLayoutInputOutputs)
	return []*Node{Sigmoid(logits), penultimate, pooled}
}

// convMatmul is TF's conv2d with stride 1 (x [B, H, W, C], kernel [kh, kw, C, O], zero padding padH and padW
// before and after each spatial axis) computed as one matrix product of the unfolded input ("im2col", features
// ordered (dh, dw, c) as the kernel's rows) by the kernel: the pure-Go backend's convolution is far slower than
// its matrix product (measured: the musicnn graph with Convolve did not finish 4 patches in 10 minutes here).
func convMatmul(x, kernel *Node, padH, padW [2]int) *Node {
	g := x.Graph()
	if !backends.IsGo(g.Backend()) {
		// XLA has its own convolution kernels; its compiler handles the unfolded form poorly (measured: 5 s per
		// batch on xla:cpu, against 3.3 s for the Go backend's matrix product).
		return Convolve(x, kernel).PaddingPerDim([][2]int{padH, padW}).Done()
	}
	if padH != [2]int{} || padW != [2]int{} {
		x = Pad(x, Scalar(g, x.DType(), 0), compute.PadAxis{}, compute.PadAxis{Start: padH[0], End: padH[1]},
			compute.PadAxis{Start: padW[0], End: padW[1]}, compute.PadAxis{})
	}
	xd, kd := x.Shape().Dimensions, kernel.Shape().Dimensions
	b, c := xd[0], xd[3]
	kh, kw, o := kd[0], kd[1], kd[3]
	h, w := xd[1]-kh+1, xd[2]-kw+1
	if kd[2] != c || h < 1 || w < 1 {
		panic(fmt.Sprintf("musicnn: convolution of %v by kernel %v", xd, kd))
	}
	cols := make([]*Node, 0, kh*kw)
	for dh := range kh {
		for dw := range kw {
			cols = append(cols, Slice(x, AxisRange(), AxisRange(dh, dh+h), AxisRange(dw, dw+w), AxisRange()))
		}
	}
	im := cols[0]
	if len(cols) > 1 {
		im = Concatenate(cols, 3) // [B, h, w, kh·kw·C]
	}
	y := MatMul(Reshape(im, b*h*w, kh*kw*c), Reshape(kernel, kh*kw*c, o))
	return Reshape(y, b, h, w, o)
}

// convChannelsFirst is convMatmul for one input channel (x [B, H, W, 1], kernel [kh, kw, 1, O]) with the
// output channels first, [O, B, h, w], for the pure-Go backend: the kh·kw shifted copies of the input are stacked
// on a new first axis, so each is copied whole, and kernelᵀ [O, kh·kw] times them [kh·kw, B·h·w] is a plain
// matrix product. convMatmul's concatenation along the channel axis (of size 1) copies one value at a time:
// 35–40 % of the model's time with the front-end's 7×38 and 7×67 filters (BENCHMARKS.md).
func convChannelsFirst(x, kernel *Node, padH, padW [2]int) *Node {
	g := x.Graph()
	if padH != [2]int{} || padW != [2]int{} {
		x = Pad(x, Scalar(g, x.DType(), 0), compute.PadAxis{}, compute.PadAxis{Start: padH[0], End: padH[1]},
			compute.PadAxis{Start: padW[0], End: padW[1]}, compute.PadAxis{})
	}
	xd, kd := x.Shape().Dimensions, kernel.Shape().Dimensions
	b := xd[0]
	kh, kw, o := kd[0], kd[1], kd[3]
	h, w := xd[1]-kh+1, xd[2]-kw+1
	if xd[3] != 1 || kd[2] != 1 || h < 1 || w < 1 {
		panic(fmt.Sprintf("musicnn: channels-first convolution of %v by kernel %v", xd, kd))
	}
	x = Reshape(x, b, xd[1], xd[2])
	rows := make([]*Node, 0, kh*kw)
	for dh := range kh {
		for dw := range kw {
			rows = append(rows, Reshape(Slice(x, AxisRange(), AxisRange(dh, dh+h), AxisRange(dw, dw+w)), 1, b*h*w))
		}
	}
	im := rows[0]
	if len(rows) > 1 {
		im = Concatenate(rows, 0) // [kh·kw, B·h·w], rows in (dh, dw) order as the kernel's
	}
	y := MatMul(Transpose(Reshape(kernel, kh*kw, o), 0, 1), im) // [O, B·h·w]
	return Reshape(y, o, b, h, w)
}

// firstAxis reshapes a vector to rank axes, the vector on the first one, for broadcasting.
func firstAxis(vec *Node, rank int) *Node {
	dims := make([]int, rank)
	for i := range dims {
		dims[i] = 1
	}
	dims[0] = vec.Shape().Dimensions[0]
	return Reshape(vec, dims...)
}

// lastAxis reshapes a vector to rank axes, the vector on the last one, for broadcasting.
func lastAxis(vec *Node, rank int) *Node {
	dims := make([]int, rank)
	for i := range dims {
		dims[i] = 1
	}
	dims[rank-1] = vec.Shape().Dimensions[0]
	return Reshape(vec, dims...)
}

// Outputs are a model's results for a sequence of patches, row-major, one row per patch.
type Outputs struct {
	Patches     int
	Taggram     []float32 // [Patches × len(Labels)] sigmoid tag probabilities
	Penultimate []float32 // [Patches × PenultimateDim()]
	Pooled      []float32 // musicnn models: [Patches × 1506], the 753 max-pooled then the 753 mean-pooled values
}

// Run computes the outputs of patches, a [n × 187 × 96] row-major slice of musicnn input patches (see
// [FrontEnd]). It runs BatchSize patches at a time.
func (m *Model) Run(patches []float32) (*Outputs, error) {
	if len(patches)%PatchValues != 0 {
		return nil, fmt.Errorf("musicnn: %d input values is not a whole number of %d×%d patches", len(patches),
			PatchFrames, Bands)
	}
	n := len(patches) / PatchValues
	labels := len(m.Spec.Labels)
	pen := m.PenultimateDim()
	out := &Outputs{Patches: n, Taggram: make([]float32, 0, n*labels), Penultimate: make([]float32, 0, n*pen)}
	if m.Spec.Arch == ArchMusicnn {
		out.Pooled = make([]float32, 0, n*PooledDim)
	}
	buf := make([]float32, BatchSize*PatchValues)
	for lo := 0; lo < n; lo += BatchSize {
		hi := min(n, lo+BatchSize)
		size := 1
		for size < hi-lo {
			size *= 2
		}
		batch := buf[:size*PatchValues]
		k := copy(batch, patches[lo*PatchValues:hi*PatchValues])
		clear(batch[k:])
		res, err := m.run(batch, size)
		if err != nil {
			return nil, fmt.Errorf("musicnn %s: patches %d–%d: %w", m.Spec.Name, lo, hi-1, err)
		}
		rows := hi - lo
		out.Taggram = append(out.Taggram, res[0][:rows*labels]...)
		out.Penultimate = append(out.Penultimate, res[1][:rows*pen]...)
		if out.Pooled != nil {
			out.Pooled = append(out.Pooled, res[2][:rows*PooledDim]...)
		}
	}
	return out, nil
}

// run executes the graph on one batch, converting panics to errors.
func (m *Model) run(batch []float32, size int) (res [][]float32, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	outputs, err := m.exec.Exec(tensors.FromFlatDataAndDimensions(batch, size, PatchFrames, Bands))
	if err != nil {
		return nil, err
	}
	for _, o := range outputs {
		res = append(res, tensors.MustCopyFlatData[float32](o))
		o.MustFinalizeAll()
	}
	return res, nil
}
