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

// DefaultHyperparameters returns every hyperparameter of a training run with its default. model=binding (the
// default) is the published best configuration of binding_music (contraction 2, expansion 4, 128-d embedding,
// 51k pairs, Adam 1e-3, batch 32, 200 epochs, margin 0.5) on the modalities of the Fairouz data that are
// available (audio + graph). Shuffling is on by default; set shuffle=false for the seed's fixed batch order.
// model=joint uses the joint_* keys: 128-d shared space, 512 hidden units, attention fusion, CLIP's InfoNCE
// (initial τ 0.07, learnable) over every modality pair plus the fused-view terms, modality dropout 0.5, 128
// tracks per step; the tags modality has the dense encoder (joint_tag_encoder=mlp, on word-vector features;
// attention or mean read tag sequences with contrastive-mir's tag encoders, 4 heads); learning_rate,
// num_epochs, shuffle and seed are shared. data_parallel=0 trains on one device.
func DefaultHyperparameters() map[string]any {
	return map[string]any{
		ParamLearningRate:              1e-3,
		ParamBatchSize:                 32,
		ParamEpochs:                    200,
		ParamShuffle:                   true,
		ParamSeed:                      42,
		ParamMargin:                    objective.DefaultMargin,
		ParamPairs:                     "51k",
		ParamCheckpointEvery:           1,
		ParamKeepCheckpoints:           2,
		ParamDataParallel:              0,
		binding.ParamModalities:        "audio,graph",
		binding.ParamInputDims:         "", // filled from the feature files
		binding.ParamContraction:       2,
		binding.ParamExpansion:         4,
		binding.ParamEmbeddingDim:      128,
		binding.ParamNonUniform:        false,
		binding.ParamDropout:           0.0,
		binding.ParamDropoutEverywhere: false,
		ParamModel:                     ArchitectureName,
		joint.ParamModalities:          "audio,text,tags",
		joint.ParamInputDims:           "", // filled from the feature files
		joint.ParamDim:                 128,
		joint.ParamHidden:              512,
		joint.ParamDropout:             0.1,
		joint.ParamFusion:              joint.FusionAttention,
		joint.ParamTagEncoder:          joint.TagEncoderMLP,
		joint.ParamTagHeads:            4,
		joint.ParamTagVocab:            0, // filled from the tags features' vocabulary file
		joint.ParamTagDim:              0, // filled from the tags features' vocabulary file
		ParamJointLoss:                 "infonce",
		ParamJointTemperature:          0.07,
		ParamJointPairs:                "all",
		ParamJointFusionWeight:         1.0,
		ParamJointMarginWeight:         0.0,
		ParamJointModalityDropout:      0.5,
		ParamJointBatchSize:            128,
		ParamJointSelfWeight:           0.0,
		ParamJointInputDropout:         0.2,
		ParamJointNeighbourWeight:      0.0,
		ParamJointNeighbours:           5,
	}
}

// Presets are named overrides of DefaultHyperparameters, applied before the user's settings.
var Presets = map[string]string{
	// paper: the published schedule, 200 epochs over the 51k pairs.
	"paper": "",
	// quick: a few epochs; finishes in minutes on 2 CPU cores. The default of `musicrep reproduce`.
	"quick": "num_epochs=10",
	// tiny: a smoke run for tests and CI.
	"tiny": "num_epochs=1",
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

// NewStore returns a model.Store holding DefaultHyperparameters, then the named preset's overrides (if preset is
// not empty), then settings, a "key=value;key=value" string as with GoMLX's -set flag.
func NewStore(preset, settings string) (*model.Store, error) {
	store := model.NewStore()
	store.RootScope().SetParams(DefaultHyperparameters())
	if preset != "" {
		over, ok := Presets[preset]
		if !ok {
			return nil, fmt.Errorf("unknown preset %q: use one of %s", preset, strings.Join(PresetNames(), ", "))
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

// Hyperparameters returns the store's root hyperparameters as "key=value" lines, sorted.
func Hyperparameters(store *model.Store) []string {
	var out []string
	for path, v := range store.IterParams() {
		out = append(out, fmt.Sprintf("%s=%v", strings.TrimPrefix(path, "/"), v))
	}
	sort.Strings(out)
	return out
}
