package ckpt

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

func storeWith(t *testing.T, value float32) *model.Store {
	t.Helper()
	s := model.NewStore()
	s.SetParam("/binding_contraction", 2)
	s.SetParam("/learning_rate", 1e-3)
	s.SetParam("/binding_modalities", "audio,graph")
	s.SetParam("/shuffle", true)
	s.SetParam("/"+model.ParamInitialSeed, int64(7))
	if _, err := s.CreateVariable("/encoder/audio/weights", tensors.FromFlatDataAndDimensions([]float32{value, 2, 3, 4}, 2, 2)); err != nil {
		t.Fatal(err)
	}
	v, err := s.CreateVariable("/global_step", tensors.FromScalar(int64(value)))
	if err != nil {
		t.Fatal(err)
	}
	v.Trainable = false
	return s
}

func TestSaveLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path, err := Save(dir, storeWith(t, 1.5), Meta{Architecture: "binding", Epoch: 3, GlobalStep: 30}, 2)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Latest(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Path != path || c.Meta.Epoch != 3 || c.Meta.GlobalStep != 30 {
		t.Fatalf("loaded %s epoch %d step %d", c.Path, c.Meta.Epoch, c.Meta.GlobalStep)
	}
	s := model.NewStore()
	if err := c.Restore(s); err != nil {
		t.Fatal(err)
	}
	if got := model.GetParamOr(s.RootScope(), "binding_contraction", 0); got != 2 {
		t.Errorf("int param restored as %v", got)
	}
	if got := model.GetParamOr(s.RootScope(), model.ParamInitialSeed, int64(0)); got != 7 {
		t.Errorf("int64 param restored as %v", got)
	}
	if got := model.GetParamOr(s.RootScope(), "shuffle", false); !got {
		t.Errorf("bool param lost")
	}
	w := tensors.MustCopyFlatData[float32](s.GetVariable("/encoder/audio/weights").MustValue())
	if w[0] != 1.5 || w[3] != 4 {
		t.Errorf("weights restored as %v", w)
	}
	if s.GetVariable("/global_step").Trainable {
		t.Error("trainable flag not restored")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

// TestDamagedNewestFallsBack: a truncated or corrupted newest checkpoint is skipped for the previous one, and
// a data file without its metadata (a crash between the two renames) is never loaded.
func TestDamagedNewestFallsBack(t *testing.T) {
	for _, damage := range []struct {
		name string
		fn   func(t *testing.T, jsonPath string)
	}{
		{"truncated data", func(t *testing.T, p string) {
			bin := strings.TrimSuffix(p, ".json") + ".bin"
			data, _ := os.ReadFile(bin)
			if err := os.WriteFile(bin, data[:len(data)/2], 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"flipped byte", func(t *testing.T, p string) {
			bin := strings.TrimSuffix(p, ".json") + ".bin"
			data, _ := os.ReadFile(bin)
			data[0] ^= 0xff
			if err := os.WriteFile(bin, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"metadata not JSON", func(t *testing.T, p string) {
			if err := os.WriteFile(p, []byte(`{"format": 1, "varia`), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"metadata missing", func(t *testing.T, p string) { _ = os.Remove(p) }},
	} {
		t.Run(damage.name, func(t *testing.T) {
			dir := t.TempDir()
			old, err := Save(dir, storeWith(t, 1), Meta{Architecture: "binding", GlobalStep: 10}, 3)
			if err != nil {
				t.Fatal(err)
			}
			newest, err := Save(dir, storeWith(t, 2), Meta{Architecture: "binding", GlobalStep: 20}, 3)
			if err != nil {
				t.Fatal(err)
			}
			damage.fn(t, newest)
			var warnings []string
			c, err := Latest(dir, func(s string) { warnings = append(warnings, s) })
			if err != nil {
				t.Fatal(err)
			}
			if c.Path != old {
				t.Errorf("loaded %s, want the older %s", c.Path, old)
			}
			if damage.name != "metadata missing" && len(warnings) == 0 {
				t.Error("no warning about the damaged checkpoint")
			}
		})
	}
}

func TestPruneAndEmpty(t *testing.T) {
	dir := t.TempDir()
	if _, err := Latest(dir, nil); !errors.Is(err, ErrNoCheckpoint) {
		t.Errorf("empty dir: %v", err)
	}
	for step := int64(1); step <= 4; step++ {
		if _, err := Save(dir, storeWith(t, float32(step)), Meta{Architecture: "binding", GlobalStep: step}, 2); err != nil {
			t.Fatal(err)
		}
	}
	list, _ := List(dir)
	if len(list) != 2 || !strings.HasSuffix(list[0], "ckpt-0000000004.json") {
		t.Errorf("after pruning to 2: %v", list)
	}
	bins, _ := filepath.Glob(filepath.Join(dir, "*.bin"))
	if len(bins) != 2 {
		t.Errorf("%d data files left, want 2", len(bins))
	}
}

func TestLock(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	release, err := Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	// A second holder is refused while the first (this live process) holds it, with a message naming it.
	if _, err := Lock(dir); err == nil || !strings.Contains(err.Error(), fmt.Sprint(os.Getpid())) {
		t.Fatalf("second lock: %v", err)
	}
	release()
	if _, err := os.Stat(filepath.Join(dir, LockFile)); !os.IsNotExist(err) {
		t.Fatalf("lock file left after release: %v", err)
	}
	// A stale lock (its process is gone, as after kill -9) is taken over.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("cannot start a process to get a dead PID:", err)
	}
	if err := os.WriteFile(filepath.Join(dir, LockFile), []byte(fmt.Sprintf("%d\n", cmd.Process.Pid)), 0o644); err != nil {
		t.Fatal(err)
	}
	release, err = Lock(dir)
	if err != nil {
		t.Fatalf("stale lock not taken over: %v", err)
	}
	release()
}
