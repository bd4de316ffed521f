package cmir

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX idiom.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/musicrep/musicrep/musicrep"
	"github.com/musicrep/musicrep/musicrep/audio"
	"github.com/musicrep/musicrep/musicrep/corpus"
	"github.com/musicrep/musicrep/musicrep/joint"
	"github.com/musicrep/musicrep/musicrep/musicnn"
	"github.com/musicrep/musicrep/musicrep/training"
)

// AudioPath is where a Melon-layout dataset written by melongen keeps a song's 16 kHz mono WAV (DIR/audio/ID.wav;
// `musicrep melon-generate -keep-audio=false` deletes them, and the real Melon dataset has none).
func AudioPath(dir string, id int) string {
	return filepath.Join(dir, "audio", strconv.Itoa(id)+".wav")
}

// MusicnnSeconds is the audio musicnn analyses per song: the centred 29.1 s segment, the one arena_mel's
// spectrograms cover (audio.DefaultMelOptions), so the pretrained features and the CNN see the same audio.
var MusicnnSeconds = audio.DefaultMelOptions().SegmentSeconds

// MusicnnRowName names the frozen musicnn features' row in the task table.
const MusicnnRowName = "musicnn (pretrained MSD_musicnn, frozen)"

// musicnnCacheVersion changes when cached features would differ.
const musicnnCacheVersion = 1

// musicnnCache is one song's cached features: DIR/musicnn/MODEL/ID.json.
type musicnnCache struct {
	Version     int       `json:"version"`
	Model       string    `json:"model"`
	AudioSHA256 string    `json:"audio_sha256"`
	Seconds     float64   `json:"segment_seconds"`
	Patches     int       `json:"patches"`
	Embedding   []float32 `json:"embedding"`
	Tags        []float32 `json:"tags"`
}

// MusicnnOptions configures SongMusicnn.
type MusicnnOptions struct {
	// Model is the musicnn tagger (MSD_musicnn: 200-d penultimate features).
	Model *musicnn.Model
	// CacheDir holds one JSON file per song, keyed by the WAV's SHA-256 (default DIR/musicnn/MODEL): a rerun
	// reads them instead of analysing again; a changed WAV is analysed again.
	CacheDir string
	// Workers analyse songs in parallel (0: 1). The model's own graph is shared.
	Workers  int
	Progress io.Writer
}

// SongMusicnn returns musicnn features of every song of d (rows in d.Songs order, ids the song ids): the
// model's penultimate features (Embedding, 200-d for MSD_musicnn) averaged over the 3 s patches of the song's
// centred MusicnnSeconds of audio, computed by musicnn's own front-end (package musicnn: 16 kHz, 96 Slaney bands,
// log10(10000·x + 1)) from the dataset's WAV files — the arena_mel spectrograms (48 bands, dB) are another
// front-end and cannot feed it. Results are cached per song.
func SongMusicnn(ctx context.Context, d *Data, opt MusicnnOptions) (*musicrep.Embeddings, error) {
	if opt.Model == nil {
		return nil, errors.New("cmir: SongMusicnn needs a musicnn model (musicnn.Load)")
	}
	if d.source == nil {
		return nil, errors.New("cmir: musicnn features need the dataset's audio, and this data was not loaded " +
			"from a dataset folder (cmir.Prepare)")
	}
	dir := d.source.Dir
	if opt.CacheDir == "" {
		opt.CacheDir = filepath.Join(dir, "musicnn", opt.Model.Spec.Name)
	}
	// Every WAV must be there before anything is analysed.
	var missing []int
	for _, s := range d.Songs {
		if _, err := os.Stat(AudioPath(dir, s.ID)); err != nil {
			missing = append(missing, s.ID)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("cmir: musicnn features need each song's 16 kHz audio, and %d of %d songs have no "+
			"%s (first: song %d): musicnn's front-end (96 bands, log10(10000·x+1)) cannot be computed from arena_mel "+
			"(48 bands, dB); generate the dataset keeping its audio (musicrep melon-generate -keep-audio=true, the "+
			"default)", len(missing), len(d.Songs), AudioPath(dir, missing[0]), missing[0])
	}
	if err := os.MkdirAll(opt.CacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("cmir: the musicnn cache: %w", err)
	}
	dim := opt.Model.PenultimateDim()
	out := &musicrep.Embeddings{Name: MusicnnRowName, Kind: "baseline", Dim: dim,
		Source: fmt.Sprintf("%s penultimate features, mean over the 3 s patches of the centred %.1f s", opt.Model.Spec.Name,
			MusicnnSeconds), Data: make([]float32, len(d.Songs)*dim), IDs: make([]string, len(d.Songs))}
	workers := max(opt.Workers, 1)
	jobs := make(chan int)
	var mu sync.Mutex
	var firstErr error
	done, analysed := 0, 0
	start, last := time.Now(), time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				c, fresh, err := songMusicnn(ctx, AudioPath(dir, d.Songs[i].ID), opt)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("cmir: song %d: %w", d.Songs[i].ID, err)
				}
				if err == nil {
					if len(c.Embedding) != dim {
						if firstErr == nil {
							firstErr = fmt.Errorf("cmir: song %d: cached musicnn features have %d values, want %d (remove %s)",
								d.Songs[i].ID, len(c.Embedding), dim, opt.CacheDir)
						}
					} else {
						copy(out.Data[i*dim:(i+1)*dim], c.Embedding)
					}
				}
				done++
				if fresh {
					analysed++
				}
				if opt.Progress != nil && (time.Since(last) > 10*time.Second || done == len(d.Songs)) {
					last = time.Now()
					fmt.Fprintf(opt.Progress, "cmir: musicnn features: %d/%d songs (%d analysed, %d cached), %s\n",
						done, len(d.Songs), analysed, done-analysed, time.Since(start).Round(time.Second))
				}
				mu.Unlock()
			}
		}()
	}
	for i := range d.Songs {
		if ctx.Err() != nil {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if firstErr != nil {
		return nil, firstErr
	}
	for i, s := range d.Songs {
		out.IDs[i] = strconv.Itoa(s.ID)
	}
	return out, nil
}

// songMusicnn returns one song's features from the cache, or analyses its WAV and caches them; fresh reports
// the latter.
func songMusicnn(ctx context.Context, wav string, opt MusicnnOptions) (c *musicnnCache, fresh bool, err error) {
	b, err := os.ReadFile(wav)
	if err != nil {
		return nil, false, err
	}
	sum := sha256.Sum256(b)
	hash := hex.EncodeToString(sum[:])
	id := filepath.Base(wav)
	cachePath := filepath.Join(opt.CacheDir, id[:len(id)-len(filepath.Ext(id))]+".json")
	if cb, err := os.ReadFile(cachePath); err == nil {
		var old musicnnCache
		if json.Unmarshal(cb, &old) == nil && old.Version == musicnnCacheVersion && old.AudioSHA256 == hash &&
			old.Model == opt.Model.Spec.Name && old.Seconds == MusicnnSeconds {
			return &old, false, nil
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	x, err := audio.Load(wav, musicnn.SampleRate)
	if err != nil {
		return nil, false, err
	}
	seg := x
	if float64(len(x)) > MusicnnSeconds*musicnn.SampleRate {
		if seg, err = audio.CentreSegment(x, musicnn.SampleRate, MusicnnSeconds); err != nil {
			return nil, false, err
		}
	}
	tr, err := musicnn.AnalyzeSignal(wav, seg, []*musicnn.Model{opt.Model})
	if err != nil {
		return nil, false, err
	}
	r := tr.Results[0]
	for _, v := range r.Embedding {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, false, fmt.Errorf("%s: musicnn features are not finite", wav)
		}
	}
	c = &musicnnCache{Version: musicnnCacheVersion, Model: opt.Model.Spec.Name, AudioSHA256: hash,
		Seconds: MusicnnSeconds, Patches: tr.Patches, Embedding: r.Embedding, Tags: r.MeanTags}
	cb, err := json.Marshal(c)
	if err != nil {
		return nil, false, err
	}
	if err := corpus.WriteFileAtomic(cachePath, cb); err != nil {
		return nil, false, err
	}
	return c, true, nil
}

// AudioFeatures is a training.Dataset that is a prepared Melon-layout dataset with frozen feature vectors as
// its audio input (e.g. SongMusicnn's): the joint model then reads audio with its dense encoder
// (joint_audio_encoder=mlp) instead of the CNN on mel crops. Everything else — tags, CF, the split — is the
// Data's.
type AudioFeatures struct {
	*Data
	Audio *musicrep.Embeddings // rows in Data.Songs order
}

var _ training.Dataset = (*AudioFeatures)(nil)

// WithAudioFeatures checks that e has one row per song, in order, and returns the dataset reading it as audio.
func WithAudioFeatures(d *Data, e *musicrep.Embeddings) (*AudioFeatures, error) {
	if e.Dim < 1 || len(e.IDs) != len(d.Songs) || len(e.Data) != len(d.Songs)*e.Dim {
		return nil, fmt.Errorf("cmir: audio features %q: %d rows of %d for %d songs", e.Name, len(e.IDs), e.Dim,
			len(d.Songs))
	}
	for i, s := range d.Songs {
		if e.IDs[i] != strconv.Itoa(s.ID) {
			return nil, fmt.Errorf("cmir: audio features %q: row %d is song %s, want %d", e.Name, i, e.IDs[i], s.ID)
		}
	}
	return &AudioFeatures{Data: d, Audio: e}, nil
}

// Describe implements training.Dataset.
func (a *AudioFeatures) Describe() string {
	return a.Data.Describe() + "; audio = " + a.Audio.Name + ": " + a.Audio.Source
}

// Inputs implements training.Dataset: audio is a vector input.
func (a *AudioFeatures) Inputs() []training.Input {
	in := a.Data.Inputs()
	for i := range in {
		if in[i].Modality == musicrep.Audio {
			in[i] = training.Input{Modality: musicrep.Audio, Kind: training.VectorInput, Dim: a.Audio.Dim,
				Source: a.Audio.Name}
		}
	}
	return in
}

// Gather implements training.Dataset.
func (a *AudioFeatures) Gather(m musicrep.Modality, rows []int32, rng *rand.Rand) (*tensors.Tensor, error) {
	if m != musicrep.Audio {
		return a.Data.Gather(m, rows, rng)
	}
	dim := a.Audio.Dim
	x := make([]float32, len(rows)*dim)
	for j, r := range rows {
		copy(x[j*dim:(j+1)*dim], a.Audio.Data[int(r)*dim:(int(r)+1)*dim])
	}
	return tensors.FromFlatDataAndDimensions(x, len(rows), dim), nil
}

// Fingerprint implements training.Dataset: the Data's, plus a digest of the audio features.
func (a *AudioFeatures) Fingerprint() map[string]string {
	out := a.Data.Fingerprint()
	h := sha256.New()
	for _, v := range a.Audio.Data {
		var b [4]byte
		bits := math.Float32bits(v)
		b[0], b[1], b[2], b[3] = byte(bits), byte(bits>>8), byte(bits>>16), byte(bits>>24)
		h.Write(b[:])
	}
	out["features/audio"] = hex.EncodeToString(h.Sum(nil))[:16]
	return out
}

// Provenance implements training.Dataset.
func (a *AudioFeatures) Provenance() map[string]string {
	return map[string]string{"audio_features": a.Audio.Name + ": " + a.Audio.Source}
}

// JointAudioFeatureEmbeddings places every song in a joint model's shared space from its audio feature vector
// alone (the dense audio encoder, joint_audio_encoder=mlp, in inference mode): rows of feats in, unit vectors out.
func JointAudioFeatureEmbeddings(backend compute.Backend, store *model.Store, feats *musicrep.Embeddings,
	name string) (*musicrep.Embeddings, error) {
	arch, err := joint.ArchitectureFromStore(store)
	if err != nil {
		return nil, err
	}
	i := arch.Index(musicrep.Audio)
	if i < 0 || arch.CNNInput(i) || arch.TokenInput(i) || arch.InputDims[i] != feats.Dim {
		return nil, fmt.Errorf("cmir: the joint model (%s) has no dense audio encoder of %d-d features (%s)", arch,
			feats.Dim, feats.Name)
	}
	exec, err := model.NewExec(backend, store, func(scope *model.Scope, x *Node) *Node {
		return joint.EncodeModality(scope, arch, i, x)
	})
	if err != nil {
		return nil, err
	}
	n := len(feats.IDs)
	out := &musicrep.Embeddings{Name: name, Source: "joint model's audio encoder on " + feats.Name, Dim: arch.Dim,
		IDs: append([]string(nil), feats.IDs...)}
	const batch = 256
	for lo := 0; lo < n; lo += batch {
		hi := min(n, lo+batch)
		res, err := exec.Exec(tensors.FromFlatDataAndDimensions(feats.Data[lo*feats.Dim:hi*feats.Dim], hi-lo, feats.Dim))
		if err != nil {
			return nil, fmt.Errorf("cmir: embedding songs %d..%d: %w", lo, hi-1, err)
		}
		out.Data = append(out.Data, tensors.MustCopyFlatData[float32](res[0])...)
		res[0].MustFinalizeAll()
	}
	return out, nil
}

// MusicnnPatches is a training.Dataset that is a prepared Melon-layout dataset whose audio input is musicnn's
// own input patches (3 s, 187 frames × 96 bands, flattened) of each song's centred MusicnnSeconds: what the
// joint model's musicnn audio encoder (joint_audio_encoder=musicnn) fine-tunes on. Training draws one of the
// song's patches at random per step; a nil rng takes the first.
type MusicnnPatches struct {
	*Data
	Patches [][]float32 // per song (Data.Songs order): its patches, musicnn.PatchValues values each
}

var _ training.Dataset = (*MusicnnPatches)(nil)

// SongPatches computes musicnn's input patches of every song from the dataset's audio (musicnn.FrontEnd on the
// centred MusicnnSeconds; a shorter song is analysed whole), in memory: 9 patches × 69 KB per song.
func SongPatches(ctx context.Context, d *Data) (*MusicnnPatches, error) {
	if d.source == nil {
		return nil, errors.New("cmir: musicnn patches need the dataset's audio, and this data was not loaded " +
			"from a dataset folder (cmir.Prepare)")
	}
	out := &MusicnnPatches{Data: d, Patches: make([][]float32, len(d.Songs))}
	for i, s := range d.Songs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		wav := AudioPath(d.source.Dir, s.ID)
		x, err := audio.Load(wav, musicnn.SampleRate)
		if err != nil {
			return nil, fmt.Errorf("cmir: song %d: %w (musicnn patches need each song's 16 kHz audio: generate the "+
				"dataset with -keep-audio=true)", s.ID, err)
		}
		if float64(len(x)) > MusicnnSeconds*musicnn.SampleRate {
			if x, err = audio.CentreSegment(x, musicnn.SampleRate, MusicnnSeconds); err != nil {
				return nil, err
			}
		}
		fe := musicnn.NewFrontEnd()
		emit := func(p []float32) error {
			out.Patches[i] = append(out.Patches[i], p...)
			return nil
		}
		if err := fe.Push(x, emit); err != nil {
			return nil, fmt.Errorf("cmir: %s: %w", wav, err)
		}
		if _, err := fe.Finish(emit); err != nil {
			return nil, fmt.Errorf("cmir: %s: %w", wav, err)
		}
		if len(out.Patches[i]) == 0 {
			return nil, fmt.Errorf("cmir: %s: %w", wav, musicnn.ErrNoAudio)
		}
	}
	return out, nil
}

// Describe implements training.Dataset.
func (p *MusicnnPatches) Describe() string {
	return p.Data.Describe() + fmt.Sprintf("; audio = musicnn input patches of the centred %.1f s", MusicnnSeconds)
}

// Inputs implements training.Dataset: audio is musicnn patches.
func (p *MusicnnPatches) Inputs() []training.Input {
	in := p.Data.Inputs()
	for i := range in {
		if in[i].Modality == musicrep.Audio {
			in[i] = training.Input{Modality: musicrep.Audio, Kind: training.PatchInput, Dim: musicnn.PatchValues,
				Source: "musicnn patches of " + in[i].Source}
		}
	}
	return in
}

// Gather implements training.Dataset.
func (p *MusicnnPatches) Gather(m musicrep.Modality, rows []int32, rng *rand.Rand) (*tensors.Tensor, error) {
	if m != musicrep.Audio {
		return p.Data.Gather(m, rows, rng)
	}
	const size = musicnn.PatchValues
	x := make([]float32, len(rows)*size)
	for j, r := range rows {
		all := p.Patches[r]
		k := 0
		if rng != nil {
			k = rng.IntN(len(all) / size)
		}
		copy(x[j*size:(j+1)*size], all[k*size:(k+1)*size])
	}
	return tensors.FromFlatDataAndDimensions(x, len(rows), size), nil
}

// Fingerprint implements training.Dataset: the Data's, plus a digest of the patches.
func (p *MusicnnPatches) Fingerprint() map[string]string {
	out := p.Data.Fingerprint()
	h := sha256.New()
	var b [4]byte
	for _, song := range p.Patches {
		for _, v := range song {
			bits := math.Float32bits(v)
			b[0], b[1], b[2], b[3] = byte(bits), byte(bits>>8), byte(bits>>16), byte(bits>>24)
			h.Write(b[:])
		}
	}
	out["features/audio"] = hex.EncodeToString(h.Sum(nil))[:16]
	return out
}

// Provenance implements training.Dataset.
func (p *MusicnnPatches) Provenance() map[string]string {
	return map[string]string{"audio_features": fmt.Sprintf("musicnn patches of the centred %.1f s", MusicnnSeconds)}
}

// CentralPatches is the range [start, start+count) of the central max of n patches (all n when max is 0 or at
// least n; when n − max is odd, the one more patch left out is on the right).
func CentralPatches(n, max int) (start, count int) {
	if max <= 0 || max >= n {
		return 0, n
	}
	return (n - max) / 2, max
}

// JointMusicnnEmbeddings places every song in a joint model's shared space from its audio alone with the musicnn
// audio encoder (joint_audio_encoder=musicnn, inference mode): the mean of the song's patch embeddings, over its
// central maxPatches patches (CentralPatches; 0: all of them), a bound on the cost of the full network's
// forward pass on a CPU.
func JointMusicnnEmbeddings(backend compute.Backend, store *model.Store, p *MusicnnPatches, name string,
	maxPatches int) (*musicrep.Embeddings, error) {
	arch, err := joint.ArchitectureFromStore(store)
	if err != nil {
		return nil, err
	}
	i := arch.Index(musicrep.Audio)
	if i < 0 || !arch.MusicnnInput(i) {
		return nil, fmt.Errorf("cmir: the joint model (%s) has no musicnn audio encoder", arch)
	}
	exec, err := model.NewExec(backend, store, func(scope *model.Scope, x *Node) *Node {
		return joint.EncodeModality(scope, arch, i, x)
	})
	if err != nil {
		return nil, err
	}
	out := &musicrep.Embeddings{Name: name, Source: "joint model's musicnn audio encoder", Dim: arch.Dim}
	for si, s := range p.Songs {
		all := p.Patches[si]
		start, n := CentralPatches(len(all)/musicnn.PatchValues, maxPatches)
		all = all[start*musicnn.PatchValues : (start+n)*musicnn.PatchValues]
		res, err := exec.Exec(tensors.FromFlatDataAndDimensions(all, n, musicnn.PatchValues))
		if err != nil {
			return nil, fmt.Errorf("cmir: song %d: %w", s.ID, err)
		}
		z := tensors.MustCopyFlatData[float32](res[0])
		res[0].MustFinalizeAll()
		mean := make([]float32, arch.Dim)
		for k := range n {
			for j := range mean {
				mean[j] += z[k*arch.Dim+j] / float32(n)
			}
		}
		out.IDs = append(out.IDs, strconv.Itoa(s.ID))
		out.Data = append(out.Data, mean...)
	}
	return out, nil
}
