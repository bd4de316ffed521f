package training

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ui/commandline"

	"github.com/musicrep/musicrep/musicrep/binding"
	"github.com/musicrep/musicrep/musicrep/joint"
	"github.com/musicrep/musicrep/musicrep/objective"
)

// Hyperparameter keys read by this package. Model architecture keys live in package binding.
const (
	ParamLearningRate    = "learning_rate" // Adam learning rate (binding_music: 1e-3)
	ParamBatchSize       = "batch_size"    // pairs per step (binding_music: 32)
	ParamEpochs          = "num_epochs"    // passes over the pairs (binding_music: 200)
	ParamShuffle         = "shuffle"       // reshuffle pairs every epoch; false = the seed's fixed order
	ParamSeed            = "seed"          // seeds initialisation, shuffling and dropout
	ParamMargin          = "margin"        // margin of the pair loss (binding_music: 0.5)
	ParamPairs           = "pairs"         // "51k", "6k" or a path to a pairs file
	ParamModalities      = binding.ParamModalities
	ParamCheckpointEvery = "checkpoint_every_epochs" // write a checkpoint every this many epochs
	ParamKeepCheckpoints = "keep_checkpoints"        // how many checkpoints to keep on disk
	// ParamDataParallel is the number of devices each step's batch is split over (data-parallel training, see
	// the package documentation); 0 or 1 = one device. A setting of this run, not of the model: a run may be
	// resumed with another value.
	ParamDataParallel = "data_parallel"
	// ParamModel selects the model: "binding" (binding_music's fused MLP, trained on labelled pairs) or "joint"
	// (per-modality encoders into one space plus a fusion head, trained contrastively on tracks).
	ParamModel = "model"
)

// Hyperparameters of the joint model's objective (its architecture keys live in package joint).
const (
	ParamJointLoss            = "joint_loss"             // "infonce" (CLIP, learnable temperature) or "ntxent" (contrastive-mir)
	ParamJointTemperature     = "joint_temperature"      // NT-Xent's fixed τ, or InfoNCE's initial temperature
	ParamJointPairs           = "joint_pairs"            // modality pairs aligned directly: "all", "none" or e.g. "audio-text,audio-tags"
	ParamJointFusionWeight    = "joint_fusion_weight"    // weight of the fused-view terms (0 = no fusion training)
	ParamJointMarginWeight    = "joint_margin_weight"    // weight of the margin pair loss on fused embeddings (0 = off)
	ParamJointModalityDropout = "joint_modality_dropout" // probability of dropping each modality from a fused view
	ParamJointBatchSize       = "joint_batch_size"       // tracks per step
	ParamJointSelfWeight      = "joint_self_weight"      // weight of the per-modality self-supervised terms (0 = off)
	ParamJointInputDropout    = "joint_input_dropout"    // feature dropout making the two views of those terms
	ParamJointNeighbourWeight = "joint_neighbour_weight" // weight of the fused track vs raw-feature-neighbour term
	ParamJointNeighbours      = "joint_neighbours"       // raw-feature neighbours per modality used as positives
)

// Hyperparameters of the trainer shared by every model.
const (
	// ParamWeightDecay is PyTorch Adam's coupled weight decay: the loss gets wd/2·‖θ‖² over the trainable float
	// variables (contrastive-mir: 1e-4; 0 = off).
	ParamWeightDecay = "weight_decay"
	// ParamDropLast drops an epoch's last, partial batch (contrastive-mir's drop_last).
	ParamDropLast = "drop_last"
)

// TagEncoderAuto lets the joint model pick its tags encoder from the data: the attention encoder for tag ids,
// the dense one for word-vector features. The resolved name is what the checkpoint records.
const TagEncoderAuto = "auto"

// Hyperparameter is one declared key: its default and what it does.
type Hyperparameter struct {
	Key     string
	Default any
	Doc     string
}

// Declared lists every hyperparameter of every model with its default, in the order `musicrep hparams` prints
// them. A model kind may start from other values (ModelDefaults) and a preset may change some (Presets); the
// defaults are read from here only (Param panics on an undeclared key).
var Declared = []Hyperparameter{
	{ParamModel, ArchitectureName, "model kind: binding, joint, or a contrastive-mir variant (" +
		strings.Join(MIRModelKinds(), ", ") + ")"},
	{ParamLearningRate, 1e-3, "Adam learning rate (binding_music 1e-3; contrastive-mir 1e-4)"},
	{ParamWeightDecay, 0.0, "coupled weight decay: wd/2·‖θ‖² added to the loss (contrastive-mir 1e-4)"},
	{ParamBatchSize, 32, "examples per step for binding (pairs) and contrastive-mir (songs)"},
	{ParamEpochs, 200, "passes over the training examples"},
	{ParamShuffle, true, "reshuffle the examples every epoch; false = the data's order"},
	{ParamDropLast, false, "drop each epoch's last, partial batch"},
	{ParamSeed, 42, "seeds initialisation, shuffling, crops and dropout"},
	{ParamCheckpointEvery, 1, "write a checkpoint every this many epochs"},
	{ParamKeepCheckpoints, 2, "how many checkpoints to keep on disk"},
	{ParamDataParallel, 0, "devices each step's batch is split over (0 or 1 = one device)"},
	{ParamMargin, objective.DefaultMargin, "margin of binding_music's pair loss"},
	{ParamPairs, "51k", `binding: "51k", "6k" or a path to a pairs file`},
	{binding.ParamModalities, "audio,graph", "binding: modalities fused"},
	{binding.ParamInputDims, "", "binding: feature sizes (filled from the feature files)"},
	{binding.ParamContraction, 2, "binding: contraction factor of the per-modality encoders"},
	{binding.ParamExpansion, 4, "binding: expansion factor of the fusion MLP"},
	{binding.ParamEmbeddingDim, 128, "binding: embedding size"},
	{binding.ParamNonUniform, false, "binding: non-uniform contraction (binding_music's variant)"},
	{binding.ParamDropout, 0.0, "binding: dropout"},
	{binding.ParamDropoutEverywhere, false, "binding: dropout after the fusion layers too"},
	{joint.ParamModalities, "audio,text,tags", "joint: modalities with an encoder"},
	{joint.ParamInputDims, "", "joint: input sizes (filled from the data)"},
	{joint.ParamDim, 128, "joint: size of the shared space"},
	{joint.ParamHidden, 512, "joint: hidden width of the encoders and the fusion MLP"},
	{joint.ParamDropout, 0.1, "joint: dropout inside the encoders"},
	{joint.ParamFusion, joint.FusionAttention, "joint: fusion weights, attention or mean"},
	{joint.ParamAudioEncoder, joint.AudioEncoderMLP, "joint: audio encoder, mlp (frozen features, e.g. a library's " +
		"or -musicnn's musicnn features), cnn (contrastive-mir's CNN on mel crops of a Melon-layout dataset; shaped " +
		"by the cmir_ CNN keys) or musicnn (pretrained MSD_musicnn on musicnn patches, -musicnn-patches: weights " +
		"initialised from the checkpoint and fine-tuned, batch norm in inference mode with its moving statistics " +
		"frozen)"},
	{joint.ParamTagEncoder, TagEncoderAuto, "joint: tags encoder, mlp (word-vector features), attention or mean " +
		"(tag ids); auto = attention for tag ids, mlp for vectors"},
	{joint.ParamTagHeads, 4, "joint: heads of the attention tag encoder"},
	{joint.ParamTagVocab, 0, "joint: tag vocabulary size (filled from the data)"},
	{joint.ParamTagDim, 0, "joint: tag word-vector size (filled from the data)"},
	{ParamJointLoss, "infonce", "joint: infonce (learnable temperature) or ntxent (fixed)"},
	{ParamJointTemperature, 0.07, "joint: NT-Xent's τ, or InfoNCE's initial temperature"},
	{ParamJointPairs, "all", `joint: modality pairs aligned directly: "all", "none" or e.g. "audio-text,audio-tags"`},
	{ParamJointFusionWeight, 1.0, "joint: weight of the fused-view terms"},
	{ParamJointMarginWeight, 0.0, "joint: weight of the margin pair loss on fused embeddings"},
	{ParamJointModalityDropout, 0.5, "joint: probability of dropping each modality from a fused view"},
	{ParamJointBatchSize, 128, "joint: tracks per step"},
	{ParamJointSelfWeight, 0.0, "joint: weight of the per-modality self-supervised terms"},
	{ParamJointInputDropout, 0.2, "joint: feature dropout making the two views of those terms"},
	{ParamJointNeighbourWeight, 0.0, "joint: weight of the fused track vs raw-feature-neighbour term"},
	{ParamJointNeighbours, 5, "joint: raw-feature neighbours per modality used as positives"},
	{ParamCNNWidths, "128,128,256,256,256,256,512", "audio CNN (cmir-*, joint_audio_encoder=cnn): conv block widths"},
	{ParamCNNHidden, 512, "audio CNN: fc hidden units"},
	{ParamCNNDropout, 0.5, "audio CNN: fc dropout"},
	{ParamCNNScrambled, false, "audio CNN: feed crops through the original trainer's reshape (SEEDS_SPEC B7.1)"},
	{ParamMIRTagHeads, 4, "cmir-*: heads of the genre self-attention encoder"},
	{ParamMIRVocab, 0, "cmir-*: genre codes (filled from the data)"},
}

// DefaultHyperparameters returns every declared hyperparameter with its default (Declared).
func DefaultHyperparameters() map[string]any {
	out := make(map[string]any, len(Declared))
	for _, h := range Declared {
		out[h.Key] = h.Default
	}
	return out
}

// Param reads hyperparameter key from scope; a key the store does not hold takes its declared default. It
// panics when key is not declared (a programming error).
func Param[T any](scope *model.Scope, key string) T {
	def, ok := DefaultHyperparameters()[key]
	if !ok {
		panic(fmt.Sprintf("training.Param: hyperparameter %q is not declared in training.Declared", key))
	}
	d, ok := def.(T)
	if !ok {
		panic(fmt.Sprintf("training.Param: hyperparameter %q is declared as %T, read as %T", key, def, d))
	}
	return model.GetParamOr(scope, key, d)
}

// ModelDefaults are the settings a model kind starts from, over the declared defaults: each model's published
// configuration. Keys are model kinds; "cmir-*" covers every contrastive-mir variant.
var ModelDefaults = map[string]string{
	// contrastive-mir: Adam 1e-4 with coupled weight decay 1e-4, batch 128 with drop_last, 400 epochs.
	"cmir-*": "learning_rate=1e-4;weight_decay=1e-4;batch_size=128;drop_last=true;num_epochs=400",
}

// Presets are named overrides of a model's defaults, applied before the user's settings: Presets[name][family]
// with family binding, joint or cmir.
var Presets = map[string]map[string]string{
	// paper: the published schedules (binding_music 200 epochs over the 51k pairs; contrastive-mir's CNN, 400 epochs).
	"paper": {"binding": "", "joint": "", "cmir": ""},
	// quick: a few epochs; finishes in minutes on 2 CPU cores. The default of `musicrep reproduce`.
	"quick": {"binding": "num_epochs=10", "joint": "num_epochs=10",
		"cmir": "cmir_widths=16,16,32,32,32,32,64;cmir_hidden=128;batch_size=64;num_epochs=10"},
	// small: contrastive-mir's CNN narrowed 8× for CPU benchmarks.
	"small": {"cmir": "cmir_widths=16,16,32,32,32,32,64;cmir_hidden=128;batch_size=64;num_epochs=30"},
	// tiny: a smoke run for tests and CI.
	"tiny": {"binding": "num_epochs=1", "joint": "num_epochs=1",
		"cmir": "cmir_widths=4,4,8,8,8,8,8;cmir_hidden=32;batch_size=16;num_epochs=2"},
}

// family maps a model kind to its presets' key.
func family(kind string) string {
	if strings.HasPrefix(kind, MIRModelPrefix) {
		return "cmir"
	}
	return kind
}

// PresetNames lists the presets, sorted.
func PresetNames() []string {
	names := make([]string, 0, len(Presets))
	for n := range Presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// NewStore returns a model.Store holding the declared defaults, then the model kind's defaults (the model key
// of settings, else binding), then the named preset's overrides for that model (if preset is not empty), then
// settings, a "key=value;key=value" string as with GoMLX's -set flag.
func NewStore(preset, settings string) (*model.Store, error) {
	store := model.NewStore()
	store.RootScope().SetParams(DefaultHyperparameters())
	probe := model.NewStore()
	probe.RootScope().SetParams(DefaultHyperparameters())
	if err := applySettings(probe, settings); err != nil {
		return nil, err
	}
	kind := Param[string](probe.RootScope(), ParamModel)
	if over, ok := ModelDefaults[kind]; ok {
		if err := applySettings(store, over); err != nil {
			return nil, err
		}
	} else if over, ok := ModelDefaults[family(kind)+"-*"]; ok {
		if err := applySettings(store, over); err != nil {
			return nil, err
		}
	}
	if preset != "" {
		byModel, ok := Presets[preset]
		if !ok {
			return nil, fmt.Errorf("unknown preset %q: use one of %s", preset, strings.Join(PresetNames(), ", "))
		}
		over, ok := byModel[family(kind)]
		if !ok {
			var have []string
			for name, m := range Presets {
				if _, ok := m[family(kind)]; ok {
					have = append(have, name)
				}
			}
			sort.Strings(have)
			return nil, fmt.Errorf("preset %q has no settings for model %s: use one of %s", preset, kind,
				strings.Join(have, ", "))
		}
		if err := applySettings(store, over); err != nil {
			return nil, fmt.Errorf("preset %s: %w", preset, err)
		}
	}
	if err := applySettings(store, settings); err != nil {
		return nil, err
	}
	return store, nil
}

func applySettings(store *model.Store, settings string) (err error) {
	if strings.TrimSpace(settings) == "" {
		return nil
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("settings %q: %v", settings, r)
		}
	}()
	for _, kv := range strings.Split(settings, ";") {
		key, _, _ := strings.Cut(strings.TrimSpace(kv), "=")
		if key == "" {
			continue
		}
		if _, ok := DefaultHyperparameters()[key]; !ok {
			return fmt.Errorf("unknown hyperparameter %q in %q; known: %s", key, settings,
				strings.Join(sortedKeys(DefaultHyperparameters()), ", "))
		}
	}
	if _, err := commandline.ParseSettings(store, settings); err != nil {
		return fmt.Errorf("settings %q: %w", settings, err)
	}
	return nil
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Hyperparameters returns the store's root hyperparameters as "key=value" lines in the order of Declared; keys
// the store holds that are not declared (none, normally) come last. Doc gives each key's documentation.
func Hyperparameters(store *model.Store) []string {
	have := map[string]any{}
	for path, v := range store.IterParams() {
		have[strings.TrimPrefix(path, "/")] = v
	}
	var out []string
	for _, h := range Declared {
		if v, ok := have[h.Key]; ok {
			out = append(out, fmt.Sprintf("%s=%v", h.Key, v))
			delete(have, h.Key)
		}
	}
	for _, k := range sortedKeys(have) {
		out = append(out, fmt.Sprintf("%s=%v", k, have[k]))
	}
	return out
}

// Doc returns the documentation of a declared hyperparameter ("" for an undeclared key).
func Doc(key string) string {
	for _, h := range Declared {
		if h.Key == key {
			return h.Doc
		}
	}
	return ""
}
