package encoder

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX idiom.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/musicrep/musicrep/musicrep/backends"
)

var (
	backendOnce sync.Once
	backend     compute.Backend
	backendErr  error
)

// newBackend returns the tests' pure-Go backend (one instance: tensors cannot cross backend instances).
func newBackend(t *testing.T) compute.Backend {
	t.Helper()
	backendOnce.Do(func() { backend, backendErr = backends.New("") })
	if backendErr != nil {
		t.Fatal(backendErr)
	}
	return backend
}

// encWeights are an encoder's parameters in float64, row-major, Linear weights [in, out].
type encWeights struct {
	V, D, H              int // vocabulary size (table has V+1 rows), dimension, heads
	emb                  []float64
	wq, wk, wv, wo, proj []float64
	gain, offset         []float64
	trainableOrder       []string     // variable paths, in the store's order
	trainable            []*[]float64 // the slices above, same order
}

// matVec returns x·W for x [in] and W [in, out].
func matVec(x, w []float64, out int) []float64 {
	y := make([]float64, out)
	for i, xi := range x {
		for o := range out {
			y[o] += xi * w[i*out+o]
		}
	}
	return y
}

func refLayerNorm(x, gain, offset []float64) []float64 {
	var mean, variance float64
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	for _, v := range x {
		variance += (v - mean) * (v - mean)
	}
	variance /= float64(len(x))
	out := make([]float64, len(x))
	for j, v := range x {
		out[j] = (v-mean)/math.Sqrt(variance+LayerNormEpsilon)*gain[j] + offset[j]
	}
	return out
}

// refSelfAttention is a plain-Go TagSelfAttentionEncoder (SEEDS_SPEC B2.2), inference mode.
func refSelfAttention(w *encWeights, ids [][]int32) [][]float64 {
	D, H := w.D, w.H
	out := make([][]float64, len(ids))
	for b, row := range ids {
		L := len(row)
		q, k, v := make([][]float64, L), make([][]float64, L), make([][]float64, L)
		for l, id := range row {
			e := w.emb[int(id)*D : (int(id)+1)*D]
			q[l], k[l], v[l] = matVec(e, w.wq, H*D), matVec(e, w.wk, H*D), matVec(e, w.wv, H*D)
		}
		sum := make([]float64, D)
		for qi := range L {
			concat := make([]float64, H*D)
			for h := range H {
				scores := make([]float64, L)
				maxScore := math.Inf(-1)
				for kj := range L {
					s := 0.0
					for d := range D {
						s += q[qi][h*D+d] / math.Sqrt(float64(D)) * k[kj][h*D+d]
					}
					if row[kj] == 0 {
						s = MaskedScore
					}
					scores[kj] = s
					maxScore = math.Max(maxScore, s)
				}
				total := 0.0
				for kj := range L {
					scores[kj] = math.Exp(scores[kj] - maxScore)
					total += scores[kj]
				}
				for kj := range L {
					a := scores[kj] / total
					for d := range D {
						concat[h*D+d] += a * v[kj][h*D+d]
					}
				}
			}
			y := matVec(concat, w.wo, D)
			for d := range D {
				sum[d] += y[d]
			}
		}
		out[b] = refLayerNorm(sum, w.gain, w.offset)
	}
	return out
}

// refMean is a plain-Go TagMeanEncoder (SEEDS_SPEC B2.3) with musicrep's guard for rows without tags.
func refMean(w *encWeights, ids [][]int32) [][]float64 {
	D := w.D
	out := make([][]float64, len(ids))
	for b, row := range ids {
		sum := make([]float64, D)
		n := 0
		for _, id := range row {
			if id == 0 {
				continue
			}
			y := matVec(w.emb[int(id)*D:(int(id)+1)*D], w.proj, D)
			for d := range D {
				sum[d] += y[d]
			}
			n++
		}
		for d := range D {
			sum[d] /= math.Max(1, float64(n))
		}
		out[b] = refLayerNorm(sum, w.gain, w.offset)
	}
	return out
}

func randomTable(rng *rand.Rand, rows, dim int, zeroPadding bool) []float32 {
	t := make([]float32, rows*dim)
	for i := range t {
		if zeroPadding && i < dim {
			continue
		}
		t[i] = float32(rng.NormFloat64())
	}
	return t
}

func idsTensor(ids [][]int32) *tensors.Tensor {
	var flat []int32
	for _, r := range ids {
		flat = append(flat, r...)
	}
	return tensors.FromFlatDataAndDimensions(flat, len(ids), len(ids[0]))
}

// testIDs has full rows, a padded row, an all-padding row and padding in the middle.
var testIDs = [][]int32{{1, 2, 3}, {2, 0, 0}, {0, 0, 0}, {0, 3, 1}, {3, 3, 0}}

func varData(t *testing.T, store *model.Store, path string) []float64 {
	t.Helper()
	v := store.GetVariable(path)
	if v == nil {
		t.Fatalf("no variable %s", path)
	}
	val := v.MustValue()
	if v.DType() == dtypes.Float32 {
		f := tensors.MustCopyFlatData[float32](val)
		out := make([]float64, len(f))
		for i, x := range f {
			out[i] = float64(x)
		}
		return out
	}
	return tensors.MustCopyFlatData[float64](val)
}

// readWeights reads an encoder's variables under /tags from the store, in the store's trainable order.
func readWeights(t *testing.T, store *model.Store, V, D, H int) *encWeights {
	t.Helper()
	w := &encWeights{V: V, D: D, H: H}
	byPath := map[string]*[]float64{
		"/tags/embeddings":                 &w.emb,
		"/tags/query/weights":              &w.wq,
		"/tags/key/weights":                &w.wk,
		"/tags/value/weights":              &w.wv,
		"/tags/output/weights":             &w.wo,
		"/tags/projection/weights":         &w.proj,
		"/tags/layer_normalization/gain":   &w.gain,
		"/tags/layer_normalization/offset": &w.offset,
	}
	for v := range store.RootScope().In("tags").IterVariables() {
		dst, ok := byPath[v.Path()]
		if !ok {
			t.Fatalf("unexpected variable %s", v.Path())
		}
		*dst = varData(t, store, v.Path())
		if v.Trainable {
			w.trainableOrder = append(w.trainableOrder, v.Path())
			w.trainable = append(w.trainable, dst)
		}
	}
	return w
}

func assertClose(t *testing.T, what string, got []float64, want [][]float64, tol float64) {
	t.Helper()
	D := len(want[0])
	for b := range want {
		for d := range D {
			g := got[b*D+d]
			if math.IsNaN(g) || math.Abs(g-want[b][d]) > tol {
				t.Fatalf("%s: row %d [%d] = %.9g, reference %.9g", what, b, d, g, want[b][d])
			}
		}
	}
}

func f32to64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

// runEncoder builds and runs an encoder (exported float32 API) under /tags in inference mode.
func runEncoder(t *testing.T, store *model.Store, selfAttention, training bool, table []float32, V, D, H int,
	dropout float64, ids [][]int32) []float64 {
	t.Helper()
	exec, err := model.NewExec(newBackend(t), store, func(scope *model.Scope, x *Node) *Node {
		if training {
			scope.Store().SetTraining(x.Graph(), true)
		}
		if selfAttention {
			return SelfAttention(scope.In("tags"), x, table, V, D, H, dropout)
		}
		return Mean(scope.In("tags"), x, table, V, D, dropout)
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Exec(idsTensor(ids))
	if err != nil {
		t.Fatal(err)
	}
	if dims := out[0].Shape().Dimensions; len(dims) != 2 || dims[0] != len(ids) || dims[1] != D {
		t.Fatalf("output shape %v, want [%d %d]", dims, len(ids), D)
	}
	return f32to64(tensors.MustCopyFlatData[float32](out[0]))
}

// TestEncodersMatchReference compares both encoders (float32 graph, inference mode, dropout configured but
// inactive) with the plain-Go references, with a zero padding row and with a non-zero one (which makes the
// padding queries' contribution visible).
func TestEncodersMatchReference(t *testing.T) {
	const V, D, H = 3, 4, 2
	for _, zeroPadding := range []bool{true, false} {
		for _, selfAttention := range []bool{true, false} {
			rng := rand.New(rand.NewPCG(1, 2))
			table := randomTable(rng, V+1, D, zeroPadding)
			store := model.NewStore()
			got := runEncoder(t, store, selfAttention, false, table, V, D, H, 0.1, testIDs)
			w := readWeights(t, store, V, D, H)
			for i, x := range table {
				if w.emb[i] != float64(x) {
					t.Fatalf("embedding table not initialised from table: [%d] %g vs %g", i, w.emb[i], x)
				}
			}
			var want [][]float64
			name := "Mean"
			if selfAttention {
				want, name = refSelfAttention(w, testIDs), "SelfAttention"
			} else {
				want = refMean(w, testIDs)
			}
			if !zeroPadding {
				name += " (non-zero padding row)"
			}
			assertClose(t, name, got, want, 1e-5)
			if zeroPadding {
				// The all-padding row (2) is the LayerNorm offset: zero at initialisation.
				for d := range D {
					if got[2*D+d] != 0 {
						t.Errorf("%s: all-padding row = %v, want zeros (the LayerNorm offset)", name, got[2*D:3*D])
						break
					}
				}
			}
		}
	}
}

// TestDropoutOnlyWhenTraining checks that dropout is inactive in inference graphs, active in training graphs,
// and that training with dropout 0 equals inference.
func TestDropoutOnlyWhenTraining(t *testing.T) {
	const V, D, H = 3, 8, 2
	for _, selfAttention := range []bool{true, false} {
		table := randomTable(rand.New(rand.NewPCG(3, 4)), V+1, D, true)
		store := model.NewStore()
		infer := runEncoder(t, store, selfAttention, false, table, V, D, H, 0.5, testIDs)
		train := runEncoder(t, store, selfAttention, true, table, V, D, H, 0.5, testIDs)
		noDrop := runEncoder(t, store, selfAttention, true, nil, V, D, H, 0, testIDs) // nil: reuse the variable
		differ := false
		for i := range infer {
			if math.IsNaN(train[i]) || math.IsInf(train[i], 0) {
				t.Fatalf("selfAttention=%v: non-finite training output %v", selfAttention, train)
			}
			if train[i] != infer[i] {
				differ = true
			}
			if noDrop[i] != infer[i] {
				t.Fatalf("selfAttention=%v: training with dropout 0 differs from inference at %d: %g vs %g",
					selfAttention, i, noDrop[i], infer[i])
			}
		}
		if !differ {
			t.Errorf("selfAttention=%v: dropout 0.5 in a training graph changed nothing", selfAttention)
		}
	}
}

// TestEncoderGradients checks the autodiff gradient of Σ output⊙R with respect to every trainable variable
// (embedding table, W_q, W_k, W_v, W_o / projection, LayerNorm gain and offset) against central finite
// differences of the float64 plain-Go reference.
func TestEncoderGradients(t *testing.T) {
	const V, D, H = 3, 4, 2
	for _, selfAttention := range []bool{true, false} {
		rng := rand.New(rand.NewPCG(7, 8))
		table := randomTable(rng, V+1, D, false)
		r := make([]float64, len(testIDs)*D)
		for i := range r {
			r[i] = rng.NormFloat64()
		}
		store := model.NewStore()
		exec, err := model.NewExec(newBackend(t), store, func(scope *model.Scope, x, weights *Node) []*Node {
			var out *Node
			if selfAttention {
				out = selfAttention64(scope.In("tags"), x, table, V, D, H)
			} else {
				out = mean(scope.In("tags"), x, table, V, D, 0, dtypes.Float64)
			}
			loss := ReduceAllSum(Mul(out, weights))
			return append([]*Node{loss}, scope.BuildTrainableVariablesGradientsGraph(loss)...)
		})
		if err != nil {
			t.Fatal(err)
		}
		outs, err := exec.Exec(idsTensor(testIDs), tensors.FromFlatDataAndDimensions(r, len(testIDs), D))
		if err != nil {
			t.Fatal(err)
		}
		w := readWeights(t, store, V, D, H)
		if len(outs)-1 != len(w.trainable) {
			t.Fatalf("%d gradients for %d trainable variables %v", len(outs)-1, len(w.trainable), w.trainableOrder)
		}
		if !selfAttention && len(w.trainable) != 3 {
			t.Fatalf("Mean: trainable variables %v, want projection and LayerNorm only (frozen table)", w.trainableOrder)
		}
		f := func() float64 {
			var out [][]float64
			if selfAttention {
				out = refSelfAttention(w, testIDs)
			} else {
				out = refMean(w, testIDs)
			}
			s := 0.0
			for b := range out {
				for d := range D {
					s += out[b][d] * r[b*D+d]
				}
			}
			return s
		}
		if got, want := tensors.ToScalar[float64](outs[0]), f(); math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
			t.Fatalf("selfAttention=%v: loss %.12g, reference %.12g", selfAttention, got, want)
		}
		const h = 1e-6
		checked := 0
		for vi, param := range w.trainable {
			grad := tensors.MustCopyFlatData[float64](outs[vi+1])
			p := *param
			for j := range p {
				orig := p[j]
				p[j] = orig + h
				plus := f()
				p[j] = orig - h
				minus := f()
				p[j] = orig
				numeric := (plus - minus) / (2 * h)
				if math.Abs(grad[j]-numeric) > 1e-6*math.Max(1, math.Abs(numeric)) {
					t.Fatalf("selfAttention=%v: d/d %s[%d]: autodiff %.10g, finite difference %.10g",
						selfAttention, w.trainableOrder[vi], j, grad[j], numeric)
				}
				checked++
			}
		}
		t.Logf("selfAttention=%v: %d partial derivatives over %v match", selfAttention, checked, w.trainableOrder)
	}
}

func selfAttention64(scope *model.Scope, ids *Node, table []float32, V, D, H int) *Node {
	return selfAttention(scope, ids, table, V, D, H, 0, dtypes.Float64)
}

// TestParamCounts checks contrastive-mir's published-by-computation count (SEEDS_SPEC B2.2: 249 genres + the
// padding row, 128-d, 4 heads: 294,400) against the variables the graph creates, and Mean's trainable count.
func TestParamCounts(t *testing.T) {
	const V, D, H = 249, 128, 4
	if got := SelfAttentionParams(V, D, H); got != 294400 {
		t.Fatalf("SelfAttentionParams(249, 128, 4) = %d, contrastive-mir has 294,400", got)
	}
	table := randomTable(rand.New(rand.NewPCG(9, 9)), V+1, D, true)
	ids := [][]int32{{1, 249, 17, 0, 0, 0, 0, 0, 0, 0}, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0}}
	for _, selfAttention := range []bool{true, false} {
		store := model.NewStore()
		out := runEncoder(t, store, selfAttention, false, table, V, D, H, 0.1, ids)
		for _, x := range out {
			if math.IsNaN(x) {
				t.Fatalf("NaN in output")
			}
		}
		trainable, frozen := 0, 0
		for v := range store.RootScope().In("tags").IterVariables() {
			if v.Trainable {
				trainable += v.Shape().Size()
			} else {
				frozen += v.Shape().Size()
			}
		}
		want, wantFrozen := SelfAttentionParams(V, D, H), 0
		if !selfAttention {
			want, wantFrozen = MeanParams(D), (V+1)*D
		}
		if trainable != want || frozen != wantFrozen {
			t.Errorf("selfAttention=%v: %d trainable + %d frozen parameters, want %d + %d",
				selfAttention, trainable, frozen, want, wantFrozen)
		}
	}
}

// TestHasTags checks the per-row tag mask.
func TestHasTags(t *testing.T) {
	out := MustExecOnce(newBackend(t), func(x *Node) *Node { return HasTags(x) }, idsTensor(testIDs))
	got := tensors.MustCopyFlatData[bool](out)
	want := []bool{true, true, false, true, true}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("HasTags = %v, want %v", got, want)
		}
	}
}

// TestEncoderMisuse checks that wrong sizes panic with a message.
func TestEncoderMisuse(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func(scope *model.Scope, x *Node) *Node
	}{
		{"short table", func(s *model.Scope, x *Node) *Node { return SelfAttention(s, x, make([]float32, 5), 3, 4, 2, 0) }},
		{"zero heads", func(s *model.Scope, x *Node) *Node { return SelfAttention(s, x, make([]float32, 16), 3, 4, 0, 0) }},
		{"dropout 1", func(s *model.Scope, x *Node) *Node { return Mean(s, x, make([]float32, 16), 3, 4, 1) }},
		{"nil table, no variable", func(s *model.Scope, x *Node) *Node { return Mean(s, x, nil, 3, 4, 0) }},
		{"rank-1 ids", func(s *model.Scope, x *Node) *Node { return Mean(s, Reshape(x, -1), make([]float32, 16), 3, 4, 0) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r == nil {
					t.Fatal("no panic")
				} else {
					t.Log(r)
				}
			}()
			exec, err := model.NewExec(newBackend(t), model.NewStore(), tc.build)
			if err != nil {
				panic(err)
			}
			if _, err := exec.Exec(idsTensor(testIDs)); err != nil {
				panic(err)
			}
		})
	}
}
