package melon

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// SongSplitFile is the file, in a dataset (melon-generate writes one), that assigns every song to the train, val or test split of
// song-level tasks (audio models, tagging, cold-start continuation). Songs are split by artist: an artist's
// songs all lie in one split, so that no test song shares an artist with a training song.
const SongSplitFile = "song_split.json"

// SongSplit is the content of SongSplitFile: song ids per split, plus how the split was made.
type SongSplit struct {
	By    string `json:"by"` // "artist"
	Seed  uint64 `json:"seed"`
	Train []int  `json:"train"`
	Val   []int  `json:"val"`
	Test  []int  `json:"test"`
	// TestSoundFont is the soundfont the test songs were rendered with when it differs from the training
	// songs' ("" when every song was rendered with the same one).
	TestSoundFont string `json:"test_soundfont,omitempty"`
}

// ReadSongSplit reads <dir>/song_split.json. A dataset without one returns (nil, nil).
func ReadSongSplit(dir string) (*SongSplit, error) {
	raw, err := os.ReadFile(filepath.Join(dir, SongSplitFile))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var s SongSplit
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("%s: %w (regenerate the dataset with musicrep melon-generate, or delete the file to "+
			"let the reader split the songs itself)", filepath.Join(dir, SongSplitFile), err)
	}
	return &s, nil
}
