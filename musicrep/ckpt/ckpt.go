// Package ckpt saves and restores musicrep checkpoints: every variable of a model.Store (model weights,
// optimizer state, global step, random state) together with its hyperparameters and the training position.
//
// A checkpoint is two files in the run's directory, written so that a crash never leaves a half-written
// checkpoint that could be loaded:
//
//	ckpt-<global step>.bin   raw little-endian variable data, concatenated
//	ckpt-<global step>.json  metadata: format, architecture, hyperparameters, position, variable table, and the
//	                         SHA-256 and size of the .bin file
//
// Each file is written to a temporary name, synced and renamed; the .json is renamed last, so a checkpoint
// exists only once both files are complete. Loading verifies the .bin against the size and hash recorded in the
// .json and falls back to the previous checkpoint when the newest one is damaged.
package ckpt

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// FormatVersion is the version of the checkpoint layout written by Save.
const FormatVersion = 1

// Param is one hyperparameter with its Go type, so that ints stay ints across JSON.
type Param struct {
	Type  string `json:"type"` // "int", "int64", "float64", "bool" or "string"
	Value any    `json:"value"`
}

// Variable describes one variable's slice of the .bin file.
type Variable struct {
	Path      string `json:"path"`
	DType     string `json:"dtype"`
	Dims      []int  `json:"dims"`
	Offset    int64  `json:"offset"`
	Length    int64  `json:"length"`
	Trainable bool   `json:"trainable"`
}

// Meta is the content of a checkpoint's .json file.
type Meta struct {
	Format       int               `json:"format"`
	Architecture string            `json:"architecture"`
	Params       map[string]Param  `json:"params"`
	Epoch        int               `json:"epoch"`         // completed epochs
	StepInEpoch  int               `json:"step_in_epoch"` // steps done in the current epoch (0 at an epoch end)
	GlobalStep   int64             `json:"global_step"`
	Created      string            `json:"created"`
	Info         map[string]string `json:"info,omitempty"` // free-form provenance (data files, backend, ...)
	DataFile     string            `json:"data_file"`
	DataBytes    int64             `json:"data_bytes"`
	DataSHA256   string            `json:"data_sha256"`
	Variables    []Variable        `json:"variables"`
}

// Checkpoint is a loaded checkpoint.
type Checkpoint struct {
	Path   string // the .json file
	Meta   Meta
	Values map[string]*tensors.Tensor // by variable path
}

var nameRe = regexp.MustCompile(`^ckpt-(\d+)\.json$`)

// Save writes a checkpoint of store into dir (created if needed) and removes all but the newest keep
// checkpoints (keep ≤ 0 keeps all). meta's Format, Params, Variables and Data* fields are filled in here.
func Save(dir string, store *model.Store, meta Meta, keep int) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("checkpoint directory %s: %w", dir, err)
	}
	meta.Format = FormatVersion
	meta.Created = time.Now().UTC().Format(time.RFC3339)
	meta.Params = map[string]Param{}
	for path, value := range store.IterParams() {
		p, err := encodeParam(value)
		if err != nil {
			return "", fmt.Errorf("checkpoint: hyperparameter %s: %w", path, err)
		}
		meta.Params[path] = p
	}
	base := fmt.Sprintf("ckpt-%010d", meta.GlobalStep)
	binName := base + ".bin"
	meta.DataFile = binName
	meta.Variables = nil

	// Data file.
	hash := sha256.New()
	var offset int64
	err := writeAtomic(filepath.Join(dir, binName), func(w io.Writer) error {
		mw := io.MultiWriter(w, hash)
		for v := range store.IterVariables() {
			if strings.HasPrefix(v.Path(), "/metrics/") {
				continue // running training metrics (moving averages) are not model state
			}
			value, err := v.Value()
			if err != nil {
				return fmt.Errorf("variable %s: %w", v.Path(), err)
			}
			var writeErr error
			var n int
			err = value.ConstBytes(func(data []byte) { n, writeErr = mw.Write(data) })
			if err == nil {
				err = writeErr
			}
			if err != nil {
				return fmt.Errorf("variable %s: %w", v.Path(), err)
			}
			meta.Variables = append(meta.Variables, Variable{
				Path: v.Path(), DType: value.DType().String(), Dims: slices.Clone(value.Shape().Dimensions),
				Offset: offset, Length: int64(n), Trainable: v.Trainable,
			})
			offset += int64(n)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("writing checkpoint data %s: %w", filepath.Join(dir, binName), err)
	}
	meta.DataBytes = offset
	meta.DataSHA256 = hex.EncodeToString(hash.Sum(nil))

	// Metadata last: its presence marks a complete checkpoint.
	jsonPath := filepath.Join(dir, base+".json")
	err = writeAtomic(jsonPath, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(&meta)
	})
	if err != nil {
		return "", fmt.Errorf("writing checkpoint metadata %s: %w", jsonPath, err)
	}
	syncDir(dir)
	if keep > 0 {
		if err := prune(dir, keep); err != nil {
			return jsonPath, err
		}
	}
	return jsonPath, nil
}

// writeAtomic writes path through a temporary file in the same directory, syncs it and renames it.
func writeAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // no-op after a successful rename
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err := write(bw); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil { // CreateTemp makes 0600 files
		_ = tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}

// List returns the checkpoint metadata files in dir, newest (highest global step) first.
func List(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	type item struct {
		step int64
		path string
	}
	var items []item
	for _, e := range entries {
		m := nameRe.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		step, _ := strconv.ParseInt(m[1], 10, 64)
		items = append(items, item{step, filepath.Join(dir, e.Name())})
	}
	slices.SortFunc(items, func(a, b item) int { return -cmpInt(a.step, b.step) })
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.path
	}
	return out, nil
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func prune(dir string, keep int) error {
	list, err := List(dir)
	if err != nil {
		return err
	}
	for _, jsonPath := range list[min(keep, len(list)):] {
		binPath := jsonPath[:len(jsonPath)-len(".json")] + ".bin"
		// Remove the metadata first: a checkpoint without .json is never loaded.
		if err := os.Remove(jsonPath); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		if err := os.Remove(binPath); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// ErrNoCheckpoint is returned by Latest when a directory has no checkpoint.
var ErrNoCheckpoint = errors.New("no checkpoint")

// Latest loads the newest complete checkpoint in dir. Damaged checkpoints (truncated data, wrong hash,
// unreadable metadata) are skipped with their problem reported through warn (which may be nil). It returns an
// error wrapping ErrNoCheckpoint when none is usable.
func Latest(dir string, warn func(string)) (*Checkpoint, error) {
	list, err := List(dir)
	if err != nil {
		return nil, fmt.Errorf("listing checkpoints in %s: %w", dir, err)
	}
	var problems []string
	for _, path := range list {
		c, err := Load(path)
		if err == nil {
			return c, nil
		}
		problems = append(problems, err.Error())
		if warn != nil {
			warn(fmt.Sprintf("skipping damaged checkpoint: %v", err))
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w usable in %s: %v", ErrNoCheckpoint, dir, problems)
	}
	return nil, fmt.Errorf("%w in %s (expected files named ckpt-<step>.json and .bin)", ErrNoCheckpoint, dir)
}

// Load reads one checkpoint given its .json path, verifying the data file.
func Load(jsonPath string) (*Checkpoint, error) {
	raw, err := os.ReadFile(jsonPath)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", jsonPath, err)
	}
	c := &Checkpoint{Path: jsonPath, Values: map[string]*tensors.Tensor{}}
	if err := json.Unmarshal(raw, &c.Meta); err != nil {
		return nil, fmt.Errorf("checkpoint %s: metadata is not valid JSON (%v); delete this file to fall back to "+
			"an older checkpoint", jsonPath, err)
	}
	if c.Meta.Format != FormatVersion {
		return nil, fmt.Errorf("checkpoint %s: format version %d, this musicrep reads version %d", jsonPath,
			c.Meta.Format, FormatVersion)
	}
	binPath := filepath.Join(filepath.Dir(jsonPath), filepath.Base(c.Meta.DataFile))
	data, err := os.ReadFile(binPath)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: data file: %w", jsonPath, err)
	}
	if int64(len(data)) != c.Meta.DataBytes {
		return nil, fmt.Errorf("checkpoint %s: data file %s has %d bytes, the metadata records %d (truncated?)",
			jsonPath, binPath, len(data), c.Meta.DataBytes)
	}
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) != c.Meta.DataSHA256 {
		return nil, fmt.Errorf("checkpoint %s: data file %s does not match its recorded SHA-256 (corrupted)",
			jsonPath, binPath)
	}
	for _, v := range c.Meta.Variables {
		dtype, err := dtypes.DTypeString(v.DType)
		if err != nil {
			return nil, fmt.Errorf("checkpoint %s: variable %s has unknown dtype %q", jsonPath, v.Path, v.DType)
		}
		shape := shapes.Make(dtype, v.Dims...)
		if int64(shape.Memory()) != v.Length || v.Offset < 0 || v.Offset+v.Length > int64(len(data)) {
			return nil, fmt.Errorf("checkpoint %s: variable %s (%s) has an inconsistent byte range", jsonPath,
				v.Path, shape)
		}
		t := tensors.FromShape(shape)
		if err := t.MutableBytes(func(b []byte) { copy(b, data[v.Offset:v.Offset+v.Length]) }); err != nil {
			return nil, fmt.Errorf("checkpoint %s: variable %s: %w", jsonPath, v.Path, err)
		}
		c.Values[v.Path] = t
	}
	return c, nil
}

// Param returns a hyperparameter's value and whether it is recorded.
func (c *Checkpoint) Param(path string) (any, bool) {
	p, ok := c.Meta.Params[path]
	if !ok {
		return nil, false
	}
	v, err := decodeParam(p)
	return v, err == nil
}

// Restore sets every recorded hyperparameter and creates every recorded variable in store, which should be new.
func (c *Checkpoint) Restore(store *model.Store) error {
	for path, p := range c.Meta.Params {
		v, err := decodeParam(p)
		if err != nil {
			return fmt.Errorf("checkpoint %s: hyperparameter %s: %w", c.Path, path, err)
		}
		store.SetParam(path, v)
	}
	for _, meta := range c.Meta.Variables {
		v, err := store.CreateVariable(meta.Path, c.Values[meta.Path])
		if err != nil {
			return fmt.Errorf("checkpoint %s: variable %s: %w", c.Path, meta.Path, err)
		}
		v.Trainable = meta.Trainable
	}
	return nil
}

func encodeParam(value any) (Param, error) {
	switch v := value.(type) {
	case int:
		return Param{"int", v}, nil
	case int64:
		return Param{"int64", v}, nil
	case float64:
		return Param{"float64", v}, nil
	case float32:
		return Param{"float64", float64(v)}, nil
	case bool:
		return Param{"bool", v}, nil
	case string:
		return Param{"string", v}, nil
	}
	return Param{}, fmt.Errorf("unsupported type %T", value)
}

func decodeParam(p Param) (any, error) {
	switch p.Type {
	case "int":
		f, ok := p.Value.(float64)
		if !ok {
			return nil, fmt.Errorf("int value %v", p.Value)
		}
		return int(f), nil
	case "int64":
		f, ok := p.Value.(float64)
		if !ok {
			return nil, fmt.Errorf("int64 value %v", p.Value)
		}
		return int64(f), nil
	case "float64":
		f, ok := p.Value.(float64)
		if !ok {
			return nil, fmt.Errorf("float value %v", p.Value)
		}
		return f, nil
	case "bool":
		b, ok := p.Value.(bool)
		if !ok {
			return nil, fmt.Errorf("bool value %v", p.Value)
		}
		return b, nil
	case "string":
		s, ok := p.Value.(string)
		if !ok {
			return nil, fmt.Errorf("string value %v", p.Value)
		}
		return s, nil
	}
	return nil, fmt.Errorf("unknown type %q", p.Type)
}

// Keep copies the checkpoint whose .json path is given into dir (created if needed) as the only checkpoint
// there: the data file first, then the metadata, each written atomically, and only then are dir's other
// checkpoints removed, so an interruption leaves the previous copy or the new one, never a half. It is
// how a run keeps its best checkpoint (e.g. dir = <run>/best) apart from the rolling ones. The copy is
// verified by loading it. It returns the new .json path.
func Keep(jsonPath, dir string) (string, error) {
	c, err := Load(jsonPath)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("checkpoint directory %s: %w", dir, err)
	}
	for _, name := range []string{filepath.Base(c.Meta.DataFile), filepath.Base(jsonPath)} {
		data, err := os.ReadFile(filepath.Join(filepath.Dir(jsonPath), name))
		if err != nil {
			return "", fmt.Errorf("copying checkpoint %s: %w", jsonPath, err)
		}
		if err := writeAtomic(filepath.Join(dir, name), func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
			return "", fmt.Errorf("copying checkpoint %s to %s: %w", jsonPath, dir, err)
		}
	}
	syncDir(dir)
	out := filepath.Join(dir, filepath.Base(jsonPath))
	if _, err := Load(out); err != nil {
		return "", err
	}
	list, err := List(dir)
	if err != nil {
		return "", err
	}
	for _, old := range list {
		if old == out {
			continue
		}
		// Metadata first: a checkpoint without .json is never loaded.
		if err := os.Remove(old); err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
		if err := os.Remove(strings.TrimSuffix(old, ".json") + ".bin"); err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
	}
	return out, nil
}

// LockFile is the name of a run directory's lock (Lock).
const LockFile = ".lock"

// Lock takes a run directory's lock: dir/.lock, created exclusively and holding the owner's process id, so
// that two runs with the same name cannot interleave checkpoints and logs. A lock whose process no longer
// exists (a run killed with kill -9) is stale and taken over; a live one is an error naming the process. The
// returned function releases the lock.
func Lock(dir string) (release func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("run directory %s: %w", dir, err)
	}
	path := filepath.Join(dir, LockFile)
	for attempt := 0; attempt < 2; attempt++ {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err == nil {
			_, werr := fmt.Fprintf(f, "%d\n", os.Getpid())
			if cerr := f.Close(); werr == nil {
				werr = cerr
			}
			if werr != nil {
				_ = os.Remove(path)
				return nil, fmt.Errorf("writing the lock %s: %w", path, werr)
			}
			return func() { _ = os.Remove(path) }, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("locking %s: %w", dir, err)
		}
		raw, rerr := os.ReadFile(path)
		pid, perr := strconv.Atoi(strings.TrimSpace(string(raw)))
		if rerr == nil && perr == nil && pid > 0 && processAlive(pid) {
			return nil, fmt.Errorf("%s is in use by process %d (another run with this name); wait for it to end, or "+
				"if no such run is going on, delete %s", dir, pid, path)
		}
		// Stale (its process is gone) or unreadable: take it over.
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("removing the stale lock %s: %w", path, err)
		}
	}
	return nil, fmt.Errorf("locking %s: another process took the lock at the same time; try again", dir)
}

// processAlive reports whether a process with this id exists (signal 0 probes without signalling).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
