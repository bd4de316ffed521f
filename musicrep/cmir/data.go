package cmir

import (
	"fmt"
	"github.com/musicrep/musicrep/musicrep/encoder"
	"io"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"strings"

	"github.com/musicrep/musicrep/musicrep/cf"
	"github.com/musicrep/musicrep/musicrep/melon"
)

// Song is one song ready for training: its full mel-spectrogram, CF vector, genre ids and labels.
type Song struct {
	ID       int
	Mel      []float32 // encoder.Bands × Frames, row-major; nil when the Data streams spectrograms (Data.SongMel reads it)
	Frames   int
	CF       []float32 // encoder.CFDim values; nil for songs outside the CF model (test songs)
	GenreIDs []int32   // vocabulary ids + 1 of the song's genre and sub-genre codes (at most MaxTags)
	Top      int       // index of its top-level genre in Data.TopGenres (-1 if none)
	Sub      []int     // indices of its sub-genres in Data.SubGenres (the tagging labels)
	Artists  []int     // artist ids (song_meta's artist_id_basket)
}

// MaxTags is the number of genre ids fed to the tag encoder (the seed keeps the first 10).
const MaxTags = 10

// Data is a Melon-layout dataset prepared for contrastive-mir: songs split ~80/10/10 by artist (Data.split), CF
// vectors from BPR on the playlists restricted to training and validation songs (as contrastive-mir's MF on its
// train_tmp songs: validation songs are not cold-start for CF), and genre vectors from word2vec over the genre
// codes of each playlist's songs.
type Data struct {
	Songs            []Song
	Train, Val, Test []int    // indices into Songs
	Vocab            []string // genre codes; id i+1 ↔ Vocab[i]
	TopGenres        []string
	SubGenres        []string
	Table            []float32 // (len(Vocab)+1) × 128 genre vectors, row 0 zeros
	CF               *cf.Model
	CFIndex          map[int]int // song index → CF item index
	Playlists        [][]int     // every playlist (train/val/test files) as song indices
	// HeldPlaylist[p] marks the playlists of test.json: the CF model and the genre vectors are fitted without
	// them, and cold-start continuation is scored on them only (with melongen's datasets their listeners made no
	// other playlist). nil (hand-built data) scores every playlist.
	HeldPlaylist []bool
	// Skipped lists every song left out, with the reason: an unreadable or missing spectrogram, or one shorter
	// than a crop. Prepare fails when the unreadable ones exceed MaxUnreadableShare of the songs.
	Skipped      []SkippedSong
	SkippedNoMel int // unreadable or missing spectrograms
	SkippedShort int // spectrograms shorter than a crop
	Description  string
	// source is the dataset the songs come from; streamed spectrograms are read from it.
	source *melon.Dataset
}

// SkippedSong is a song Prepare left out and why.
type SkippedSong struct {
	ID     int    `json:"id"`
	Reason string `json:"reason"`
}

// MaxUnreadableShare is the share of songs whose spectrogram may be unreadable or missing before Prepare fails
// (5 %): a few damaged files are reported and skipped, a dataset with many is refused rather than trained on.
const MaxUnreadableShare = 0.05

// PrepareOptions configures Prepare.
type PrepareOptions struct {
	Seed      uint64
	CFFactors int // BPR factors (300 as contrastive-mir; fewer for small data)
	CFEpochs  int // BPR epochs (50)
	CFThreads int // BPR goroutines (cf.Options.Threads): 0 or 1 sequential and deterministic, more Hogwild
	Progress  io.Writer
	// SongsOnly loads the songs (spectrograms, genres) and stops: no split, CF or genre vectors (for search).
	SongsOnly bool
	// Stream keeps no spectrogram in memory: each is checked once here, then read from its file whenever a
	// batch or an embedding needs it (Data.SongMel). Memory stays at a few hundred bytes per song instead of
	// 4·48·frames (350 KB for Melon's 1,819 frames: 35 GB for 100,000 songs); each epoch then reads the
	// training songs' files again (the OS page cache serves them when they fit).
	Stream bool
	// MaxSongs, when positive, keeps a random subset of that many songs (seeded by Seed; the rest of the
	// dataset is ignored, and playlists keep only the subset's songs): for stating a subset of a large dataset.
	MaxSongs int
}

// Prepare loads every song's mel-spectrogram and builds the splits, CF vectors and genre vectors.
func Prepare(ds *melon.Dataset, opt PrepareOptions) (*Data, error) {
	if opt.CFFactors == 0 {
		opt.CFFactors = 300
	}
	if opt.CFEpochs == 0 {
		opt.CFEpochs = 50
	}
	logf := func(format string, args ...any) {
		if opt.Progress != nil {
			fmt.Fprintf(opt.Progress, format+"\n", args...)
		}
	}
	d := &Data{CFIndex: map[int]int{}, source: ds}
	vocab := map[string]int{}
	top := map[string]int{}
	sub := map[string]int{}
	for _, s := range ds.Songs {
		for _, c := range append(append([]string{}, s.Genres...), s.DetailGenres...) {
			vocab[c] = 0
		}
		for _, c := range s.Genres {
			top[c] = 0
		}
		for _, c := range s.DetailGenres {
			sub[c] = 0
		}
	}
	index := func(m map[string]int) []string {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for i, k := range keys {
			m[k] = i
		}
		return keys
	}
	d.Vocab, d.TopGenres, d.SubGenres = index(vocab), index(top), index(sub)
	songIdx := map[int]int{}
	keep := func(int) bool { return true }
	if opt.MaxSongs > 0 && opt.MaxSongs < len(ds.Songs) {
		perm := rand.New(rand.NewPCG(opt.Seed, 0x5b5e7)).Perm(len(ds.Songs))
		chosen := make(map[int]bool, opt.MaxSongs)
		for _, i := range perm[:opt.MaxSongs] {
			chosen[i] = true
		}
		keep = func(i int) bool { return chosen[i] }
		logf("cmir: a random subset of %d of the %d songs (seed %d)", opt.MaxSongs, len(ds.Songs), opt.Seed)
	}
	for si, s := range ds.Songs {
		if !keep(si) {
			continue
		}
		if opt.Progress != nil && si > 0 && si%20000 == 0 {
			logf("cmir: checked the spectrograms of %d/%d songs", si, len(ds.Songs))
		}
		mel, frames, err := ds.Mel(s.ID)
		if err != nil {
			d.SkippedNoMel++
			d.Skipped = append(d.Skipped, SkippedSong{ID: s.ID, Reason: err.Error()})
			continue
		}
		if frames < encoder.CropFrames {
			d.SkippedShort++
			d.Skipped = append(d.Skipped, SkippedSong{ID: s.ID, Reason: fmt.Sprintf("%d frames, shorter than a "+
				"%d-frame crop", frames, encoder.CropFrames)})
			continue
		}
		if opt.Stream {
			mel = nil
		}
		song := Song{ID: s.ID, Mel: mel, Frames: frames, Top: -1, Artists: s.ArtistIDs}
		if len(s.Genres) > 0 {
			song.Top = top[s.Genres[0]]
		}
		for _, c := range append(append([]string{}, s.Genres...), s.DetailGenres...) {
			if len(song.GenreIDs) < MaxTags {
				song.GenreIDs = append(song.GenreIDs, int32(vocab[c]+1))
			}
		}
		for _, c := range s.DetailGenres {
			song.Sub = append(song.Sub, sub[c])
		}
		songIdx[s.ID] = len(d.Songs)
		d.Songs = append(d.Songs, song)
	}
	if err := d.reportSkipped(ds, logf); err != nil {
		return nil, err
	}
	if opt.SongsOnly {
		if len(d.Songs) == 0 {
			return nil, fmt.Errorf("melon dataset %s: no song has a usable mel-spectrogram", ds.Dir)
		}
		return d, nil
	}
	if len(d.Songs) < 10 {
		return nil, fmt.Errorf("melon dataset %s: only %d songs have a usable mel-spectrogram (%d missing, %d "+
			"shorter than %d frames)", ds.Dir, len(d.Songs), d.SkippedNoMel, d.SkippedShort, encoder.CropFrames)
	}
	splitHow, err := d.split(ds, opt.Seed)
	if err != nil {
		return nil, err
	}
	sort.Ints(d.Train)
	sort.Ints(d.Val)
	sort.Ints(d.Test)
	// Playlists as song indices; CF on train+val songs.
	inCF := map[int]bool{}
	for _, i := range append(append([]int{}, d.Train...), d.Val...) {
		inCF[i] = true
		d.CFIndex[i] = len(d.CFIndex)
	}
	var cfLists [][]int
	var docs [][]int
	for pi, part := range [][]melon.Playlist{ds.Train, ds.Val, ds.Test} {
		held := pi == 2
		for _, p := range part {
			var songs, items, doc []int
			seen := map[int]bool{}
			for _, id := range p.Songs {
				i, ok := songIdx[id]
				if !ok {
					continue
				}
				songs = append(songs, i)
				if inCF[i] {
					items = append(items, d.CFIndex[i])
				}
				for _, g := range d.Songs[i].GenreIDs {
					if !seen[int(g)] {
						seen[int(g)] = true
						doc = append(doc, int(g)-1)
					}
				}
			}
			d.Playlists = append(d.Playlists, songs)
			d.HeldPlaylist = append(d.HeldPlaylist, held)
			if held {
				continue // test playlists reach neither CF nor the genre vectors
			}
			cfLists = append(cfLists, items)
			if len(doc) >= 2 {
				docs = append(docs, doc)
			}
		}
	}
	logf("cmir: %d songs (%d train / %d val / %d test), %d genre codes, %d playlists; BPR (%d factors, %d epochs)",
		len(d.Songs), len(d.Train), len(d.Val), len(d.Test), len(d.Vocab), len(d.Playlists), opt.CFFactors, opt.CFEpochs)
	if d.CF, err = cf.Train(cfLists, len(d.CFIndex), cf.Options{Factors: opt.CFFactors, Epochs: opt.CFEpochs,
		Seed: opt.Seed, Threads: opt.CFThreads, Progress: opt.Progress}); err != nil {
		return nil, err
	}
	vecs := d.CF.ItemVectors()
	k := opt.CFFactors + 1
	for i, item := range d.CFIndex {
		d.Songs[i].CF = make([]float32, encoder.CFDim)
		// The CF encoder expects 301 values (300 factors + bias); with fewer factors the vector is zero-padded.
		copy(d.Songs[i].CF[:k-1], vecs[item*k:item*k+k-1])
		d.Songs[i].CF[encoder.CFDim-1] = vecs[item*k+k-1]
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("melon dataset %s: no playlist has songs with two genre codes: cannot learn genre vectors", ds.Dir)
	}
	if d.Table, err = GenreWord2Vec(docs, len(d.Vocab), W2VOptions{Dim: encoder.EmbeddingDim, Seed: opt.Seed}); err != nil {
		return nil, err
	}
	d.Description = fmt.Sprintf("%s: %d songs with mel-spectrograms (%d train / %d val / %d test, %s), %d "+
		"playlists, CF = BPR %d factors on train+val songs of the train.json and val.json playlists, genre "+
		"vectors = word2vec on their genre co-occurrence; continuation scored on the %d test.json playlists "+
		"(held out from both)", ds.Dir, len(d.Songs), len(d.Train), len(d.Val), len(d.Test), splitHow, len(d.Playlists),
		opt.CFFactors, len(ds.Test))
	if opt.MaxSongs > 0 && opt.MaxSongs < len(ds.Songs) {
		d.Description += fmt.Sprintf("; a random subset (seed %d) of %d of the dataset's %d songs, playlists "+
			"restricted to it", opt.Seed, opt.MaxSongs, len(ds.Songs))
	}
	if opt.Stream {
		d.Description += "; spectrograms streamed from disk"
	}
	return d, nil
}

// reportSkipped logs every skipped song with its reason (the first 20 in full) and fails when the unreadable
// spectrograms exceed MaxUnreadableShare of the songs considered.
func (d *Data) reportSkipped(ds *melon.Dataset, logf func(string, ...any)) error {
	if len(d.Skipped) == 0 {
		return nil
	}
	logf("cmir: %d songs left out (%d unreadable or missing spectrograms, %d shorter than a %d-frame crop):",
		len(d.Skipped), d.SkippedNoMel, d.SkippedShort, encoder.CropFrames)
	for i, s := range d.Skipped {
		if i == 20 {
			logf("  … and %d more (Data.Skipped lists them all)", len(d.Skipped)-20)
			break
		}
		logf("  song %d: %s", s.ID, s.Reason)
	}
	total := len(d.Songs) + len(d.Skipped)
	if float64(d.SkippedNoMel) > MaxUnreadableShare*float64(total) {
		first := ""
		for _, s := range d.Skipped {
			if !strings.Contains(s.Reason, "shorter than") {
				first = fmt.Sprintf(" (first: song %d: %s)", s.ID, s.Reason)
				break
			}
		}
		return fmt.Errorf("melon dataset %s: %d of %d songs have an unreadable or missing spectrogram%s, more than "+
			"the %.0f%% allowed: repair or regenerate arena_mel (musicrep melon-generate), or remove those songs "+
			"from song_meta.json", ds.Dir, d.SkippedNoMel, total, first, 100*MaxUnreadableShare)
	}
	return nil
}

// SongMel returns song i's mel-spectrogram (encoder.Bands × Frames): the one in memory, or, when the Data streams
// spectrograms (PrepareOptions.Stream), read from its file.
func (d *Data) SongMel(i int) ([]float32, error) {
	s := &d.Songs[i]
	if s.Mel != nil {
		return s.Mel, nil
	}
	if d.source == nil {
		return nil, fmt.Errorf("cmir: song %d has no spectrogram in memory and no dataset to read it from", s.ID)
	}
	mel, frames, err := d.source.Mel(s.ID)
	if err != nil {
		return nil, err
	}
	if frames != s.Frames {
		return nil, fmt.Errorf("cmir: the spectrogram of song %d changed on disk (%d frames, %d when prepared)",
			s.ID, frames, s.Frames)
	}
	return mel, nil
}

// Crop copies frames [start, start+encoder.CropFrames) of a song's mel-spectrogram into dst (encoder.Bands × encoder.CropFrames).
func (s *Song) Crop(dst []float32, start int) {
	crop(dst, s.Mel, s.Frames, start)
}

func crop(dst, mel []float32, frames, start int) {
	for b := range encoder.Bands {
		copy(dst[b*encoder.CropFrames:(b+1)*encoder.CropFrames], mel[b*frames+start:b*frames+start+encoder.CropFrames])
	}
}

// split fills Train, Val and Test so that no artist has songs on two sides: from the dataset's song_split.json
// when it has one (melongen writes it, split by artist), else by grouping the songs that share an artist
// (connected components of the song–artist graph; a song without artists is its own group), shuffling the groups
// with the seed and filling test, then val, with whole groups up to 10% of the songs each. It returns how the
// split was made, for the description.
func (d *Data) split(ds *melon.Dataset, seed uint64) (string, error) {
	file, err := melon.ReadSongSplit(ds.Dir)
	if err != nil {
		return "", err
	}
	if file != nil {
		where := map[int]string{}
		for name, ids := range map[string][]int{"train": file.Train, "val": file.Val, "test": file.Test} {
			for _, id := range ids {
				where[id] = name
			}
		}
		for i, s := range d.Songs {
			switch where[s.ID] {
			case "train":
				d.Train = append(d.Train, i)
			case "val":
				d.Val = append(d.Val, i)
			case "test":
				d.Test = append(d.Test, i)
			default:
				return "", fmt.Errorf("%s/%s does not place song %d: regenerate the dataset (musicrep "+
					"melon-generate) or delete the file", ds.Dir, melon.SongSplitFile, s.ID)
			}
		}
		how := "the dataset's song_split.json, by " + file.By
		if file.TestSoundFont != "" {
			how += ", test songs rendered with " + filepath.Base(file.TestSoundFont)
		}
		return how, nil
	}
	parent := make([]int, len(d.Songs))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	first := map[int]int{} // artist → a song of it
	for i, s := range d.Songs {
		for _, a := range s.Artists {
			if j, ok := first[a]; ok {
				parent[find(i)] = find(j)
			} else {
				first[a] = i
			}
		}
	}
	groups := map[int][]int{}
	for i := range d.Songs {
		groups[find(i)] = append(groups[find(i)], i)
	}
	roots := make([]int, 0, len(groups))
	for r := range groups {
		roots = append(roots, r)
	}
	sort.Ints(roots)
	rand.New(rand.NewPCG(seed, 0x5911)).Shuffle(len(roots), func(a, b int) { roots[a], roots[b] = roots[b], roots[a] })
	want := max(1, len(d.Songs)/10)
	for _, r := range roots {
		switch {
		case len(d.Test) < want:
			d.Test = append(d.Test, groups[r]...)
		case len(d.Val) < want:
			d.Val = append(d.Val, groups[r]...)
		default:
			d.Train = append(d.Train, groups[r]...)
		}
	}
	return fmt.Sprintf("split by artist: %d artist groups shuffled with seed %d", len(roots), seed), nil
}
