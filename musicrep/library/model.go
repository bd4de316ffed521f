package library

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/corpus"
)

// ModalitySets maps the joint model's modalities to the library feature sets it reads when it trains on a
// library (`musicrep train -library LIB -set model=joint`): audio = MSD_musicnn's 200-d penultimate features,
// text = MiniLM of the metadata, tags = the 100 musicnn tag probabilities.
var ModalitySets = map[musicrep.Modality]string{
	musicrep.Audio: SetMusicnn,
	musicrep.Text:  SetText,
	musicrep.Tags:  SetMusicnnTags,
}

// MetadataLabels are the labels the metadata text (SetText, MetadataText) is built from: a feature set whose
// training saw it knows them.
var MetadataLabels = []string{"album", "artist", "genre"}

// ModelSetPrefix starts the name of every feature set written by a trained model (WriteModelSet).
const ModelSetPrefix = "model-"

// modelInfoExt is the extension of a model set's description next to its vectors.
const modelInfoExt = ".model.json"

// ModelSet describes a feature set of embeddings computed by a trained model: LIB/features/NAME.model.json
// next to NAME.json, NAME.npy and NAME.ids.json.
type ModelSet struct {
	Name       string `json:"name"`
	Checkpoint string `json:"checkpoint"`
	Model      string `json:"model"`
	// View is "fused" (the fusion of every modality the model reads) or the one modality embedded alone in the
	// model's shared space ("audio").
	View string `json:"view"`
	// Inputs maps each modality the model reads to the library feature set it was given.
	Inputs map[string]string `json:"inputs"`
	// Trained says what the model was trained on, and InSample whether that is this library's tracks.
	Trained  string `json:"trained"`
	InSample bool   `json:"in_sample"`
	// Leaks lists the labels that were part of the model's training inputs (the metadata text knows album,
	// artist and genre): evaluated by one of them, the set is an upper bound, not a result. It applies to every
	// view, the audio one included: the contrastive objective pulled each track's audio towards its own metadata
	// text.
	Leaks []string `json:"leaks,omitempty"`
}

// TrackDigest digests the library's track ids in order: a model trained on a library records it, and the
// embedding of that model into the same library is marked in-sample.
func (l *Library) TrackDigest() string {
	h := sha256.New()
	for _, t := range l.Tracks {
		h.Write([]byte(t.ID))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// ModalityFeatures returns the library's feature sets for the given modalities (ModalitySets), as the trainer
// and the inference package read them: one row per track, every row present.
func (l *Library) ModalityFeatures(mods []musicrep.Modality) ([]*musicrep.Features, error) {
	out := make([]*musicrep.Features, len(mods))
	for i, m := range mods {
		name, ok := ModalitySets[m]
		if !ok {
			var have []string
			for _, x := range musicrep.ModalityOrder {
				if s, ok := ModalitySets[x]; ok {
					have = append(have, fmt.Sprintf("%s (%s)", x, s))
				}
			}
			return nil, fmt.Errorf("library %s has no %s features: a library offers %s", l.Dir, m,
				strings.Join(have, ", "))
		}
		f, err := l.Set(name)
		if err != nil {
			hint := ""
			if name == SetText {
				hint = " (the scan writes it only when the MiniLM model is installed: `make models`, then scan " +
					"again; or leave text out of joint_modalities)"
			}
			return nil, fmt.Errorf("the %s modality: %w%s", m, err, hint)
		}
		present := make([]bool, len(l.Tracks))
		for r := range present {
			present[r] = true
		}
		out[i] = &musicrep.Features{Modality: m, Source: filepath.Join(l.Dir, FeaturesDir, name+".npy"),
			Dim: f.Dim, Data: f.Data, Present: present}
		if m == musicrep.Text {
			out[i].Leak = strings.Join(MetadataLabels, ", ")
		}
	}
	return out, nil
}

// ModelSetName is the feature set name of a run's view: model-RUN for the fused view, model-RUN-VIEW for one
// modality alone.
func ModelSetName(run, view string) string {
	if view == "" || view == "fused" {
		return ModelSetPrefix + run
	}
	return ModelSetPrefix + run + "-" + view
}

// WriteModelSet writes embeddings (one row of dim values per track, in Tracks order) as the feature set
// info.Name with its description, and adds it to l.Sets.
func (l *Library) WriteModelSet(info ModelSet, data []float32, dim int) error {
	if !strings.HasPrefix(info.Name, ModelSetPrefix) || strings.ContainsAny(info.Name, `/\`) ||
		strings.HasSuffix(info.Name, ".model") || strings.HasSuffix(info.Name, ".ids") {
		return fmt.Errorf("library: model feature set %q: the name must start with %q, hold no path separator and "+
			"not end in .model or .ids (its files would clash with another set's): choose another run name",
			info.Name, ModelSetPrefix)
	}
	if dim < 1 || len(data) != len(l.Tracks)*dim {
		return fmt.Errorf("library: model feature set %s: %d values for %d tracks × %d", info.Name, len(data),
			len(l.Tracks), dim)
	}
	ids := make([]string, len(l.Tracks))
	for i, t := range l.Tracks {
		ids[i] = t.ID
	}
	base := filepath.Join(l.Dir, FeaturesDir, info.Name)
	if err := os.MkdirAll(filepath.Dir(base), 0o755); err != nil {
		return err
	}
	if err := corpus.WriteVectorsJSON(base+".json", ids, data, dim); err != nil {
		return err
	}
	if err := corpus.WriteVectorsNPY(base+".npy", ids, data, dim); err != nil {
		return err
	}
	if err := writeJSON(base+modelInfoExt, info); err != nil {
		return err
	}
	l.Sets[info.Name] = &Features{Name: info.Name, Dim: dim, Data: data}
	if l.Models == nil {
		l.Models = map[string]*ModelSet{}
	}
	l.Models[info.Name] = &info
	return nil
}

// loadModelSets reads every LIB/features/*.model.json and its vectors. A set whose rows are not the library's
// tracks (the library was scanned again since) is left out with a note in l.Notes.
func (l *Library) loadModelSets() error {
	paths, _ := filepath.Glob(filepath.Join(l.Dir, FeaturesDir, ModelSetPrefix+"*"+modelInfoExt))
	sort.Strings(paths)
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("library: %w", err)
		}
		var info ModelSet
		if err := json.Unmarshal(b, &info); err != nil {
			return fmt.Errorf("library: %s: %w (remove it, or write it again with musicrep library embed)", p, err)
		}
		name := strings.TrimSuffix(filepath.Base(p), modelInfoExt)
		if info.Name != name {
			return fmt.Errorf("library: %s names the set %q, its file name says %q", p, info.Name, name)
		}
		npy := filepath.Join(l.Dir, FeaturesDir, name+".npy")
		ids, data, dim, err := corpus.ReadVectors(npy)
		if err != nil {
			return fmt.Errorf("library: %w", err)
		}
		same := len(ids) == len(l.Tracks)
		for i := 0; same && i < len(ids); i++ {
			same = ids[i] == l.Tracks[i].ID
		}
		if !same {
			l.Notes = append(l.Notes, fmt.Sprintf("feature set %s was computed for other tracks than %s holds "+
				"now (scanned again since?): left out; embed again with musicrep library embed -checkpoint %s",
				name, TracksFile, info.Checkpoint))
			continue
		}
		if l.Models == nil {
			l.Models = map[string]*ModelSet{}
		}
		l.Sets[name] = &Features{Name: name, Dim: dim, Data: data}
		l.Models[name] = &info
	}
	return nil
}

// SetNames lists the feature sets present: the scan's in FeatureSets order, then the model sets by name.
func (l *Library) SetNames() []string {
	var out []string
	for _, s := range FeatureSets {
		if l.Sets[s] != nil {
			out = append(out, s)
		}
	}
	var models []string
	for s := range l.Sets {
		if !slices.Contains(FeatureSets, s) {
			models = append(models, s)
		}
	}
	sort.Strings(models)
	return append(out, models...)
}

// leaks reports whether feature set s was built from the label (its row is an upper bound, not a result).
func (l *Library) leaks(s, label string) bool {
	if s == SetText {
		return slices.Contains(MetadataLabels, label)
	}
	if m := l.Models[s]; m != nil {
		return slices.Contains(m.Leaks, label)
	}
	return false
}
