// Package binding implements the binding_music model (Tabaza et al. 2024) as GoMLX graph code: each modality's
// frozen features go through their own Linear+ReLU "contraction" encoder, the results are concatenated in
// musicrep.ModalityOrder ([audio, image, text, graph]), and a two-layer "expansion" MLP maps the concatenation to
// the joint embedding (no activation or normalisation on the output).
//
// Every architecture choice is a hyperparameter in the model.Store (see the Param* constants), so one function
// covers all of the seed's model_*.py variants and any subset of modalities, and a checkpoint that stores the
// hyperparameters rebuilds the same model.
package binding

import (
	"fmt"
	"strings"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX idiom.
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/encoder"
)

// Hyperparameter keys read by this package from the model.Store. Their defaults are set in one place,
// training.DefaultHyperparameters.
const (
	// ParamModalities is the comma-separated list of modalities the model fuses, e.g. "audio,graph".
	ParamModalities = "binding_modalities"
	// ParamInputDims is the comma-separated list of feature sizes, one per modality in ParamModalities' order
	// after sorting into musicrep.ModalityOrder, e.g. "128,128". Taken from the feature files when training.
	ParamInputDims = "binding_input_dims"
	// ParamContraction is C: each modality encoder maps d → d/C (integer division, as in the seed).
	ParamContraction = "binding_contraction"
	// ParamExpansion is E: the hidden layer of the expansion MLP has E × (concatenated size) units.
	ParamExpansion = "binding_expansion"
	// ParamEmbeddingDim is the size of the joint embedding (128 in the seed).
	ParamEmbeddingDim = "binding_embedding_dim"
	// ParamNonUniform contracts image and text twice as much (d/(2C)), as the seed's model_non_uniform_encoder.
	ParamNonUniform = "binding_non_uniform"
	// ParamDropout is the dropout rate after each modality encoder's ReLU (0 disables dropout).
	ParamDropout = "binding_dropout"
	// ParamDropoutEverywhere also applies dropout after the expansion hidden layer and on the output, as the
	// seed's model_dropout_all.
	ParamDropoutEverywhere = "binding_dropout_everywhere"
)

// Architecture is the resolved set of architecture hyperparameters.
type Architecture struct {
	Modalities        []musicrep.Modality // in musicrep.ModalityOrder
	InputDims         []int               // one per modality
	Contraction       int
	Expansion         int
	EmbeddingDim      int
	NonUniform        bool
	Dropout           float64
	DropoutEverywhere bool
}

// ArchitectureFromStore reads the architecture hyperparameters from the store's root scope.
func ArchitectureFromStore(store *model.Store) (Architecture, error) {
	scope := store.RootScope()
	var arch Architecture
	var err error
	arch.Modalities, arch.InputDims, err = musicrep.ParseInputs(model.GetParamOr(scope, ParamModalities, ""),
		ParamModalities, model.GetParamOr(scope, ParamInputDims, ""), ParamInputDims)
	if err != nil {
		return arch, err
	}
	arch.Contraction = model.GetParamOr(scope, ParamContraction, 2)
	arch.Expansion = model.GetParamOr(scope, ParamExpansion, 4)
	arch.EmbeddingDim = model.GetParamOr(scope, ParamEmbeddingDim, 128)
	arch.NonUniform = model.GetParamOr(scope, ParamNonUniform, false)
	arch.Dropout = model.GetParamOr(scope, ParamDropout, 0.0)
	arch.DropoutEverywhere = model.GetParamOr(scope, ParamDropoutEverywhere, false)
	return arch, arch.Validate()
}

// SetInStore writes the architecture into the store's hyperparameters.
func (a Architecture) SetInStore(store *model.Store) {
	scope := store.RootScope()
	names, dims := musicrep.FormatInputs(a.Modalities, a.InputDims)
	scope.SetParam(ParamModalities, names)
	scope.SetParam(ParamInputDims, dims)
	scope.SetParam(ParamContraction, a.Contraction)
	scope.SetParam(ParamExpansion, a.Expansion)
	scope.SetParam(ParamEmbeddingDim, a.EmbeddingDim)
	scope.SetParam(ParamNonUniform, a.NonUniform)
	scope.SetParam(ParamDropout, a.Dropout)
	scope.SetParam(ParamDropoutEverywhere, a.DropoutEverywhere)
}

// Validate checks that the architecture can be built.
func (a Architecture) Validate() error {
	switch {
	case len(a.Modalities) == 0:
		return fmt.Errorf("binding model needs at least one modality (%s)", ParamModalities)
	case len(a.InputDims) != len(a.Modalities):
		return fmt.Errorf("binding model: %d modalities (%v) but %d input dims (%v); set %s to one size per modality",
			len(a.Modalities), a.Modalities, len(a.InputDims), a.InputDims, ParamInputDims)
	case a.Contraction < 1:
		return fmt.Errorf("binding model: %s=%d must be ≥ 1", ParamContraction, a.Contraction)
	case a.Expansion < 1:
		return fmt.Errorf("binding model: %s=%d must be ≥ 1", ParamExpansion, a.Expansion)
	case a.EmbeddingDim < 1:
		return fmt.Errorf("binding model: %s=%d must be ≥ 1", ParamEmbeddingDim, a.EmbeddingDim)
	case a.Dropout < 0 || a.Dropout >= 1:
		return fmt.Errorf("binding model: %s=%g must be in [0, 1)", ParamDropout, a.Dropout)
	}
	for i, d := range a.InputDims {
		if d < 1 {
			return fmt.Errorf("binding model: input dim %d for %s must be ≥ 1", d, a.Modalities[i])
		}
		if a.ContractedDims()[i] < 1 {
			return fmt.Errorf("binding model: %s features of size %d contracted by %d leave no units; lower %s",
				a.Modalities[i], d, a.contractionFor(a.Modalities[i]), ParamContraction)
		}
	}
	return nil
}

func (a Architecture) contractionFor(m musicrep.Modality) int {
	if a.NonUniform && (m == musicrep.Image || m == musicrep.Text) {
		return 2 * a.Contraction
	}
	return a.Contraction
}

// ContractedDims returns each modality encoder's output size (input/C with Python's integer division).
func (a Architecture) ContractedDims() []int {
	out := make([]int, len(a.InputDims))
	for i, d := range a.InputDims {
		out[i] = d / a.contractionFor(a.Modalities[i])
	}
	return out
}

// ConcatDim is the size of the concatenated modality encodings.
func (a Architecture) ConcatDim() int {
	total := 0
	for _, d := range a.ContractedDims() {
		total += d
	}
	return total
}

// NumParams is the number of trainable parameters.
func (a Architecture) NumParams() int {
	n := 0
	for i, d := range a.InputDims {
		c := a.ContractedDims()[i]
		n += d*c + c
	}
	cat := a.ConcatDim()
	hidden := cat * a.Expansion
	n += cat*hidden + hidden
	n += hidden*a.EmbeddingDim + a.EmbeddingDim
	return n
}

// String describes the architecture in one line.
func (a Architecture) String() string {
	parts := make([]string, len(a.Modalities))
	for i, m := range a.Modalities {
		parts[i] = fmt.Sprintf("%s %d→%d", m, a.InputDims[i], a.ContractedDims()[i])
	}
	s := fmt.Sprintf("binding C=%d E=%d [%s] → concat %d → %d → %d (%d params)", a.Contraction, a.Expansion,
		strings.Join(parts, ", "), a.ConcatDim(), a.ConcatDim()*a.Expansion, a.EmbeddingDim, a.NumParams())
	if a.Dropout > 0 {
		where := "after modality encoders"
		if a.DropoutEverywhere {
			where = "everywhere"
		}
		s += fmt.Sprintf(", dropout %g %s", a.Dropout, where)
	}
	return s
}

// Embed builds the joint embedding of a batch. features[i] is [batch, InputDims[i]] for arch.Modalities[i];
// masks[i] is nil (all present) or [batch] with 1 where the track has the modality and 0 where it is missing.
// A missing modality contributes zeros after its encoder (it is masked, not encoded from a zero vector).
// It returns [batch, EmbeddingDim].
func Embed(scope *model.Scope, arch Architecture, features, masks []*Node) *Node {
	if len(features) != len(arch.Modalities) {
		panic(fmt.Sprintf("binding.Embed: %d feature inputs for modalities %v", len(features), arch.Modalities))
	}
	contracted := arch.ContractedDims()
	encoded := make([]*Node, len(features))
	encoders := scope.In("encoder")
	for i, x := range features {
		if x.Rank() != 2 || x.Shape().Dimensions[1] != arch.InputDims[i] {
			panic(fmt.Sprintf("binding.Embed: %s features have shape %s, the model expects [batch, %d]",
				arch.Modalities[i], x.Shape(), arch.InputDims[i]))
		}
		encScope := encoders.In("%s", arch.Modalities[i])
		h := activation.Relu(encoder.Linear(encScope, x, contracted[i]))
		h = layers.DropoutStatic(encScope, h, arch.Dropout)
		if i < len(masks) && masks[i] != nil {
			m := ConvertDType(masks[i], h.DType())
			h = Mul(h, InsertAxes(m, -1))
		}
		encoded[i] = h
	}
	x := encoded[0]
	if len(encoded) > 1 {
		x = Concatenate(encoded, -1)
	}
	fusion := scope.In("fusion")
	x = activation.Relu(encoder.Linear(fusion.In("hidden"), x, arch.ConcatDim()*arch.Expansion))
	if arch.DropoutEverywhere {
		x = layers.DropoutStatic(fusion, x, arch.Dropout)
	}
	x = encoder.Linear(fusion.In("output"), x, arch.EmbeddingDim)
	if arch.DropoutEverywhere {
		x = layers.DropoutStatic(fusion, x, arch.Dropout)
	}
	return x
}

// DType is the dtype of features and parameters.
const DType = dtypes.Float32
