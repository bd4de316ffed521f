package corpus

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/musicrep/musicrep/musicrep"
)

// Corpus is a tracks file with the feature matrices of some modalities, all row-aligned with Tracks.
type Corpus struct {
	TracksFile string
	Tracks     []musicrep.Track                         // in tracks order (the tracks file's key order)
	Index      map[string]int                           // track id → row
	Features   map[musicrep.Modality]*musicrep.Features // one per loaded modality
}

// Load reads a tracks file and the feature files of the given modalities (modality → path; see
// LoadTracks and LoadFeatures). featureFiles may be empty. A modality not in musicrep.ModalityOrder or
// given an empty path is an error.
func Load(tracksFile string, featureFiles map[musicrep.Modality]string) (*Corpus, error) {
	for _, m := range slices.Sorted(maps.Keys(featureFiles)) { // sorted: the same error every run
		path := featureFiles[m]
		if !slices.Contains(musicrep.ModalityOrder, m) {
			return nil, fmt.Errorf("feature file %s: unknown modality %q: use one of %v", path, m, musicrep.ModalityOrder)
		}
		if path == "" {
			return nil, fmt.Errorf("no feature file given for modality %q: give its path or leave the modality out", m)
		}
	}
	tracks, err := LoadTracks(tracksFile)
	if err != nil {
		return nil, err
	}
	index, err := IndexTracks(tracks)
	if err != nil { // cannot happen: LoadTracks rejects duplicate ids
		return nil, fmt.Errorf("%s: %w", tracksFile, err)
	}
	c := &Corpus{
		TracksFile: tracksFile,
		Tracks:     tracks,
		Index:      index,
		Features:   make(map[musicrep.Modality]*musicrep.Features, len(featureFiles)),
	}
	for _, m := range musicrep.ModalityOrder {
		path, ok := featureFiles[m]
		if !ok {
			continue
		}
		f, err := LoadFeatures(path, m, index)
		if err != nil {
			return nil, err
		}
		c.Features[m] = f
	}
	return c, nil
}

// Modalities returns the loaded modalities in musicrep.ModalityOrder.
func (c *Corpus) Modalities() []musicrep.Modality {
	var out []musicrep.Modality
	for _, m := range musicrep.ModalityOrder {
		if c.Features[m] != nil {
			out = append(out, m)
		}
	}
	return out
}

// DefaultFairouzFiles returns the paths of the Fairouz (binding_music) dataset under <dataDir>/fairouz:
// the tracks file, the feature files of the modalities it has (audio = VGGish, graph = RandNE, the graph
// embedding the published models used; the image and text features of the seed are not available), and
// the "51k" and "6k" pair files.
func DefaultFairouzFiles(dataDir string) (tracks string, features map[musicrep.Modality]string, pairs51k, pairs6k string) {
	dir := filepath.Join(dataDir, "fairouz")
	tracks = filepath.Join(dir, "tracks_contextualized.json")
	features = map[musicrep.Modality]string{
		musicrep.Audio: filepath.Join(dir, "embeddings", "audio", "vggish.json"),
		musicrep.Graph: filepath.Join(dir, "embeddings", "graph", "randne.json"),
	}
	pairs51k = filepath.Join(dir, "positives_negatives_more_negatives.json")
	pairs6k = filepath.Join(dir, "positives_negatives.json")
	return tracks, features, pairs51k, pairs6k
}

// DataDirEnv is the environment variable that names the data directory.
const DataDirEnv = "MUSICREP_DATA"

// DataDir locates the data directory (the one holding fairouz/): flagValue if it is set (typically the
// value of a -data flag), else $MUSICREP_DATA, else the first directory named "../shared/data" relative
// to the working directory or to one of its parents (so that it is found from any package directory of
// a checkout next to ../shared). The directory must exist. The path returned is absolute.
func DataDir(flagValue string) (string, error) {
	const howTo = "pass -data DIR, set " + DataDirEnv + "=DIR, or run data/fetch.sh to download the data"
	check := func(dir, from string) (string, error) {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return "", fmt.Errorf("data directory %q (from %s): %w", dir, from, err)
		}
		if !isDir(abs) {
			return "", fmt.Errorf("data directory %q (from %s) does not exist or is not a directory: %s",
				dir, from, howTo)
		}
		return abs, nil
	}
	if flagValue != "" {
		return check(flagValue, "-data")
	}
	if env := os.Getenv(DataDirEnv); env != "" {
		return check(env, DataDirEnv)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("no data directory given and the working directory is unknown (%v): %s", err, howTo)
	}
	for dir := wd; ; {
		if cand := filepath.Join(dir, "..", "shared", "data"); isDir(cand) {
			return cand, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return "", errors.New("no data directory found (looked for ../shared/data from " + wd + " and its parents): " + howTo)
}

func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}
