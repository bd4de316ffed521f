package training

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"math"
	"sort"
	"strings"

	"github.com/musicrep/musicrep/musicrep/ckpt"
)

// inputInfoPrefix prefixes the checkpoint Info keys that fingerprint a run's inputs.
const inputInfoPrefix = "input:"

// inputParts names what a fingerprint covers, with the user-facing hint of what may have changed.
var inputParts = map[string]string{
	"pairs":  "the training pairs (pairs file, -heldout, split seed or fractions?)",
	"tracks": "the training tracks (-heldout, split seed or fractions?)",
	"tags":   "the tag vocabulary table",
}

// Fingerprint returns SHA-256 digests of everything a run trains on, one per part: each modality's features
// ("features/<modality>": dimension, presence mask and values), the pairs, the training track rows and the
// tag table. Two runs on the same inputs have the same fingerprint; any change to a file, the split or the
// pair selection changes the part it touches. Checkpoints record it, and resuming on other inputs is refused
// (Config.AllowChangedInputs overrides).
func (d *Data) Fingerprint() map[string]string {
	out := map[string]string{}
	digest := func(write func(h hash.Hash)) string {
		h := sha256.New()
		write(h)
		return hex.EncodeToString(h.Sum(nil))[:16]
	}
	u32 := func(h hash.Hash, v uint32) { _ = binary.Write(h, binary.LittleEndian, v) }
	for _, f := range d.Features {
		out["features/"+string(f.Modality)] = digest(func(h hash.Hash) {
			u32(h, uint32(f.Dim))
			for _, p := range f.Present {
				if p {
					h.Write([]byte{1})
				} else {
					h.Write([]byte{0})
				}
			}
			for _, v := range f.Data {
				u32(h, math.Float32bits(v))
			}
		})
	}
	if len(d.Label) > 0 {
		out["pairs"] = digest(func(h hash.Hash) {
			for k := range d.Label {
				u32(h, uint32(d.Anchor[k]))
				u32(h, uint32(d.Other[k]))
				u32(h, math.Float32bits(d.Label[k]))
			}
		})
	}
	if len(d.Tracks) > 0 {
		out["tracks"] = digest(func(h hash.Hash) {
			for _, r := range d.Tracks {
				u32(h, uint32(r))
			}
		})
	}
	if len(d.TagVectors) > 0 {
		out["tags"] = digest(func(h hash.Hash) {
			for _, v := range d.TagVectors {
				u32(h, math.Float32bits(v))
			}
		})
	}
	return out
}

// checkInputs compares a checkpoint's recorded input fingerprint with this run's. Checkpoints written before
// fingerprints existed record none and pass.
func checkInputs(c *ckpt.Checkpoint, now map[string]string) error {
	var changed []string
	recorded := false
	for key, v := range c.Meta.Info {
		part, ok := strings.CutPrefix(key, inputInfoPrefix)
		if !ok {
			continue
		}
		recorded = true
		if now[part] != v {
			changed = append(changed, part)
		}
	}
	if recorded {
		for part := range now {
			if _, ok := c.Meta.Info[inputInfoPrefix+part]; !ok {
				changed = append(changed, part)
			}
		}
	}
	if len(changed) == 0 {
		return nil
	}
	sort.Strings(changed)
	var what []string
	for _, part := range changed {
		hint, ok := inputParts[part]
		if !ok {
			hint = fmt.Sprintf("the %s (another features file?)", strings.ReplaceAll(part, "/", " "))
		}
		what = append(what, hint)
	}
	return fmt.Errorf("checkpoint %s was trained on other inputs than this run: %s differ; resume with the same "+
		"data, split and pairs, use another run name, pass -fresh to start over, or -allow-changed-inputs to "+
		"continue anyway", c.Path, strings.Join(what, "; "))
}
