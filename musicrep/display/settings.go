package display

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/musicrep/musicrep/musicrep/corpus"
)

// NotebookSettings are the knobs every musicrep notebook reads, from one place: environment variables, so that
// CI and users run the same notebooks at different sizes.
//
//	MUSICREP_DATA           data directory (default: ../shared/data next to the repository)
//	MUSICREP_NB_SMALL=1     CI-sized runs (set by scripts/run-notebooks.sh under CI)
//	MUSICREP_NB_EPOCHS      training epochs in notebooks (default 10, or 1 when small)
//	MUSICREP_NB_CHECKPOINT  checkpoint used by the inference notebooks (default the committed reference run)
//	MUSICREP_NB_JOINT       joint-model checkpoint used by the cross-modal notebook (default the committed
//	                        reference joint run, checkpoints/joint-paper)
type NotebookSettings struct {
	RepoDir    string
	DataDir    string
	Small      bool
	Epochs     int
	Checkpoint string // run directory of the reference model (trained on all pairs)
	Heldout    string // run directory of the reference model trained on the training split only
	Embeddings string // exported embeddings of Checkpoint
	HeldoutEmb string // exported embeddings of Heldout
	Joint      string // run directory of the reference joint model (trained on the training split only)
	JointEmb   string // exported fused embeddings of Joint; per-modality ones are <name>.<modality>.json beside it
}

// ReferenceRun is the committed 200-epoch run (C=2, E=4, 51k pairs, audio+graph).
const ReferenceRun = "binding-c2e4-51k-paper"

// ReferenceJointRun is the committed joint-model run (audio, MiniLM text, keyword tags; training split only).
const ReferenceJointRun = "joint-paper"

// Settings resolves the notebook settings. The repository is found from GONB_DIR (the notebook's directory,
// set by GoNB) or by walking up from the working directory to this module's go.mod.
func Settings() (*NotebookSettings, error) {
	s := &NotebookSettings{}
	var err error
	if s.RepoDir, err = repoDir(); err != nil {
		return nil, err
	}
	s.DataDir = os.Getenv(corpus.DataDirEnv)
	if s.DataDir == "" {
		s.DataDir = filepath.Join(s.RepoDir, "..", "shared", "data")
	}
	if _, err := os.Stat(s.DataDir); err != nil {
		return nil, fmt.Errorf("data directory %s not found: set %s or run data/fetch.sh", s.DataDir, corpus.DataDirEnv)
	}
	s.Small = truthy(os.Getenv("MUSICREP_NB_SMALL"))
	s.Epochs = 10
	if s.Small {
		s.Epochs = 1
	}
	if v := os.Getenv("MUSICREP_NB_EPOCHS"); v != "" {
		if s.Epochs, err = strconv.Atoi(v); err != nil || s.Epochs < 1 {
			return nil, fmt.Errorf("MUSICREP_NB_EPOCHS=%q: want a positive integer", v)
		}
	}
	s.Checkpoint = os.Getenv("MUSICREP_NB_CHECKPOINT")
	if s.Checkpoint == "" {
		s.Checkpoint = filepath.Join(s.RepoDir, "checkpoints", ReferenceRun)
	}
	name := filepath.Base(s.Checkpoint)
	s.Heldout = s.Checkpoint + "-heldout"
	// checkpoints/<name> pairs with embeddings/<name>.json beside the checkpoints folder.
	embDir := filepath.Join(filepath.Dir(filepath.Dir(s.Checkpoint)), "embeddings")
	s.Embeddings = filepath.Join(embDir, name+".json")
	s.HeldoutEmb = filepath.Join(embDir, name+"-heldout.json")
	s.Joint = os.Getenv("MUSICREP_NB_JOINT")
	if s.Joint == "" {
		s.Joint = filepath.Join(s.RepoDir, "checkpoints", ReferenceJointRun)
	}
	s.Joint = filepath.Clean(s.Joint)
	s.JointEmb = filepath.Join(filepath.Dir(filepath.Dir(s.Joint)), "embeddings", filepath.Base(s.Joint)+".json")
	return s, nil
}

// Small reports whether this is a CI-sized run (MUSICREP_NB_SMALL=1), without resolving the other settings.
func Small() bool { return truthy(os.Getenv("MUSICREP_NB_SMALL")) }

// Size returns full, or small in a CI-sized run (MUSICREP_NB_SMALL=1): for the sizes in a parameters cell.
func (s *NotebookSettings) Size(full, small int) int {
	if s.Small {
		return small
	}
	return full
}

// SizeName is Size for names: full, or small in a CI-sized run (e.g. a pairs file "51k" or "6k").
func (s *NotebookSettings) SizeName(full, small string) string {
	if s.Small {
		return small
	}
	return full
}

// Env returns $MUSICREP_NB_<name> when it is set and not empty, else def: a notebook knob that CI or a user can
// override without editing the notebook.
func Env(name, def string) string {
	if v := strings.TrimSpace(os.Getenv("MUSICREP_NB_" + name)); v != "" {
		return v
	}
	return def
}

// EnvInt is a whole-number knob: full, or small in a CI-sized run, unless $MUSICREP_NB_<name> says otherwise.
func EnvInt(name string, full, small int) (int, error) {
	def := full
	if Small() {
		def = small
	}
	v := Env(name, "")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("MUSICREP_NB_%s=%q: want a whole number", name, v)
	}
	return n, nil
}

// EnvFloat is EnvInt for a number.
func EnvFloat(name string, full, small float64) (float64, error) {
	def := full
	if Small() {
		def = small
	}
	v := Env(name, "")
	if v == "" {
		return def, nil
	}
	x, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, fmt.Errorf("MUSICREP_NB_%s=%q: want a number", name, v)
	}
	return x, nil
}

func truthy(v string) bool {
	v = strings.ToLower(strings.TrimSpace(v))
	return v == "1" || v == "true" || v == "yes"
}

func repoDir() (string, error) {
	var starts []string
	if d := os.Getenv("GONB_DIR"); d != "" {
		starts = append(starts, d)
	}
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	for _, dir := range starts {
		for d := dir; ; d = filepath.Dir(d) {
			if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil &&
				strings.Contains(string(b), "module github.com/musicrep/musicrep\n") {
				return d, nil
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	return "", fmt.Errorf("cannot find the musicrep repository from GONB_DIR=%q or the working directory",
		os.Getenv("GONB_DIR"))
}
