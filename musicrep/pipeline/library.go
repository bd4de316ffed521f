package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gomlx/compute"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/inference"
	"github.com/musicrep/musicrep/musicrep/library"
	"github.com/musicrep/musicrep/musicrep/training"
)

// Checkpoint Info keys of a model trained on a library.
const (
	InfoLibrary       = "library"        // the library folder
	InfoLibraryTracks = "library_tracks" // library.TrackDigest of the tracks trained on
	InfoLibraryInputs = "library_inputs" // modality=set,... the feature sets read
)

// LibraryTrainOptions configures TrainOnLibrary.
type LibraryTrainOptions struct {
	Library  string // a folder written by `musicrep library scan`
	Name     string // run name: <CheckpointRoot>/<Name>
	Preset   string
	Settings string // must select model=joint
	// CheckpointRoot is where the run directory goes (default "checkpoints").
	CheckpointRoot     string
	Fresh              bool
	AllowChangedInputs bool
	Backend            compute.Backend
	Progress           io.Writer
}

// LibraryData builds the joint model's training data from a library: the modalities of mods from the library's
// feature sets (library.ModalitySets: audio = musicnn, text = MiniLM of the metadata, tags = musicnn tag
// probabilities), every track trained on, no pairs. The joint model's positives are then the same track's
// other modalities (InfoNCE between each pair of modalities, and between the fusions of two modality-dropped
// views): no label (album, artist, genre, folder) is used as a positive.
func LibraryData(l *library.Library, mods []musicrep.Modality) (*training.Data, error) {
	feats, err := l.ModalityFeatures(mods)
	if err != nil {
		return nil, err
	}
	tracks := make([]int32, len(l.Tracks))
	for i := range tracks {
		tracks[i] = int32(i)
	}
	var inputs []string
	for _, m := range mods {
		inputs = append(inputs, fmt.Sprintf("%s=%s", m, library.ModalitySets[m]))
	}
	abs, err := filepath.Abs(l.Dir)
	if err != nil {
		abs = l.Dir
	}
	return &training.Data{Features: feats, Tracks: tracks,
		Description: fmt.Sprintf("library %s: %d tracks (%s); positives: each track's own modalities", l.Dir,
			len(l.Tracks), strings.Join(inputs, ", ")),
		Info: map[string]string{InfoLibrary: abs, InfoLibraryTracks: l.TrackDigest(),
			InfoLibraryInputs: strings.Join(inputs, ",")}}, nil
}

// TrainOnLibrary trains the joint model on a scanned library (LibraryData) with the one trainer, resuming an
// existing run. It returns the training result and the opened library.
func TrainOnLibrary(ctx context.Context, opt LibraryTrainOptions) (*training.Result, *library.Library, error) {
	if err := ValidateRunName(opt.Name); err != nil {
		return nil, nil, err
	}
	store, err := training.NewStore(opt.Preset, opt.Settings)
	if err != nil {
		return nil, nil, err
	}
	if kind := training.Param[string](store.RootScope(), training.ParamModel); kind != training.JointArchitectureName {
		return nil, nil, fmt.Errorf("a library trains the joint model (its tracks have no labelled pairs and no "+
			"spectrogram crops): set %s=%s, not %q", training.ParamModel, training.JointArchitectureName, kind)
	}
	mods, err := ModelModalities(store)
	if err != nil {
		return nil, nil, err
	}
	l, err := library.Open(opt.Library)
	if err != nil {
		return nil, nil, err
	}
	if len(l.Tracks) < 2 {
		return nil, nil, fmt.Errorf("library %s has %d track(s): contrastive training needs at least 2", l.Dir,
			len(l.Tracks))
	}
	data, err := LibraryData(l, mods)
	if err != nil {
		return nil, nil, err
	}
	root := opt.CheckpointRoot
	if root == "" {
		root = "checkpoints"
	}
	res, err := training.Train(ctx, training.Config{Dir: filepath.Join(root, opt.Name), Store: store, Data: data,
		Backend: opt.Backend, Progress: opt.Progress, Fresh: opt.Fresh, AllowChangedInputs: opt.AllowChangedInputs})
	return res, l, err
}

// EmbedLibrary writes a joint model's embeddings of every library track as feature sets of the library
// (library.WriteModelSet): the fused embedding as model-RUN, and the audio modality alone in the shared space as
// model-RUN-audio (when the model reads audio and has other modalities too). The sets record the checkpoint,
// whether the model was trained on this library's tracks (in-sample) and which labels its training inputs
// held (the metadata text knows album, artist and genre). It returns the sets written.
func EmbedLibrary(l *library.Library, m *inference.Model, run string) ([]library.ModelSet, error) {
	if !m.SharedSpace() {
		return nil, fmt.Errorf("the model in %s is a %s model: library embed takes joint models (train one with "+
			"musicrep train -library %s -set model=joint)", m.Checkpoint, m.Kind, l.Dir)
	}
	if err := ValidateRunName(run); err != nil {
		return nil, err
	}
	feats, err := l.ModalityFeatures(m.Modalities)
	if err != nil {
		return nil, fmt.Errorf("embedding %s with %s: %w", l.Dir, m.Checkpoint, err)
	}
	inputs := map[string]string{}
	var leaks []string
	for _, f := range feats {
		inputs[string(f.Modality)] = library.ModalitySets[f.Modality]
		if f.Modality == musicrep.Text {
			leaks = library.MetadataLabels
		}
	}
	base := library.ModelSet{Checkpoint: m.Checkpoint, Model: m.String(), Inputs: inputs, Leaks: leaks,
		Trained: m.Meta.Info["data"], InSample: m.Meta.Info[InfoLibraryTracks] == l.TrackDigest()}
	if base.Trained == "" {
		base.Trained = "unknown (the checkpoint records no data)"
	}
	if !base.InSample && m.Meta.Info[InfoLibraryTracks] == "" {
		// A model trained elsewhere (e.g. on another library or the Fairouz features): its inputs' labels are
		// another collection's, so nothing of this library leaks through its training.
		base.Leaks = nil
	}
	fused, err := m.Embed(feats)
	if err != nil {
		return nil, fmt.Errorf("embedding %s with %s: %w", l.Dir, m.Checkpoint, err)
	}
	var out []library.ModelSet
	set := base
	set.Name, set.View = library.ModelSetName(run, "fused"), "fused"
	if err := l.WriteModelSet(set, fused, m.EmbeddingDim); err != nil {
		return nil, err
	}
	out = append(out, set)
	if i := slices.Index(m.Modalities, musicrep.Audio); i >= 0 && len(m.Modalities) > 1 {
		z, err := m.EmbedModality(feats[i])
		if err != nil {
			return nil, fmt.Errorf("embedding the audio of %s with %s: %w", l.Dir, m.Checkpoint, err)
		}
		set := base
		set.Name, set.View = library.ModelSetName(run, string(musicrep.Audio)), string(musicrep.Audio)
		if err := l.WriteModelSet(set, z, m.EmbeddingDim); err != nil {
			return nil, err
		}
		out = append(out, set)
	}
	if len(out) == 0 {
		return nil, errors.New("nothing embedded")
	}
	return out, nil
}
