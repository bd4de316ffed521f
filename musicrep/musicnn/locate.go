package musicnn

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// EnvDir names the environment variable pointing at the folder that holds the four model folders
// (MTT_musicnn, MSD_musicnn, MTT_vgg, MSD_vgg: the musicnn package folder of the wheel). It overrides Locate's
// search.
const EnvDir = "MUSICREP_MUSICNN_DIR"

// Package is the PyPI package (and pinned version) that carries the weights.
const Package = "musicnn==0.1.0"

// InstallHint says how to install the weights.
const InstallHint = "install them with `make models` (or `scripts/setup-models.sh musicnn`) from the repository " +
	"root, or `pip install --no-deps " + Package + "` and set " + EnvDir + " to that package's folder " +
	"(…/site-packages/musicnn)"

// ErrModelMissing is wrapped by the errors of Locate and Load when the checkpoint cannot be found.
var ErrModelMissing = errors.New("musicnn weights not found: " + InstallHint)

// venvGlob is where scripts/setup-models.sh installs the wheel, relative to the repository root.
const venvGlob = ".venv/lib/python3*/site-packages/musicnn"

// Locate returns the checkpoint folder of the named model: $MUSICREP_MUSICNN_DIR/NAME if the variable is set,
// else the first .venv/lib/python3*/site-packages/musicnn/NAME in the working directory or one of its parents.
// The error wraps ErrModelMissing when nothing is found.
func Locate(name string) (string, error) {
	if _, err := SpecByName(name); err != nil {
		return "", err
	}
	ok := func(dir string) bool {
		info, err := os.Stat(filepath.Join(dir, ".index"))
		return err == nil && info.Mode().IsRegular()
	}
	if root := os.Getenv(EnvDir); root != "" {
		dir := filepath.Join(root, name)
		if !ok(dir) {
			return "", fmt.Errorf("%s=%s has no %s/.index: %w", EnvDir, root, name, ErrModelMissing)
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
			if ok(filepath.Join(m, name)) {
				return filepath.Join(m, name), nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return "", fmt.Errorf("no %s/%s in %s or its parents, and %s is not set: %w", venvGlob, name, wd, EnvDir,
		ErrModelMissing)
}
