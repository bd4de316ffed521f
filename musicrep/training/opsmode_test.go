package training_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/musicrep/musicrep/musicrep/backends"
	"github.com/musicrep/musicrep/musicrep/training"
)

// TestModelKindsOpsModesAgree: the pure-Go backend's two ways of running a graph, nodes one at a time
// ("go:ops_sequential") and independent nodes in parallel ("go:ops_parallel"), train every model kind to the same
// weights and loss log, bit for bit. Its default mode (what musicrep uses unless told otherwise) picks one of the
// two per execution (parallel when it is the only execution running, sequential when several run at once), so
// results must not depend on which one ran.
func TestModelKindsOpsModesAgree(t *testing.T) {
	modes := []string{"go:ops_sequential", "go:ops_parallel"}
	for _, k := range modelKinds() {
		t.Run(k.name, func(t *testing.T) {
			var ckpts, logs []string
			for _, mode := range modes {
				b, err := backends.New(mode)
				if err != nil {
					t.Fatal(err)
				}
				store, err := training.NewStore("", k.settings+";num_epochs=2")
				if err != nil {
					t.Fatal(err)
				}
				dir := filepath.Join(t.TempDir(), "run")
				res, err := training.Train(context.Background(), training.Config{Dir: dir, Store: store,
					Data: k.data(t), Backend: b})
				if err != nil {
					t.Fatalf("%s: %v", mode, err)
				}
				l, err := os.ReadFile(filepath.Join(dir, training.LossLogFile))
				if err != nil {
					t.Fatal(err)
				}
				ckpts, logs = append(ckpts, res.Checkpoint), append(logs, string(l))
			}
			a, b := variables(t, ckpts[0]), variables(t, ckpts[1])
			if len(a) == 0 || len(a) != len(b) {
				t.Fatalf("%d and %d variables", len(a), len(b))
			}
			for p, x := range a {
				if !slices.Equal(x, b[p]) {
					t.Errorf("variable %s differs between %s and %s", p, modes[0], modes[1])
				}
			}
			if logs[0] != logs[1] {
				t.Errorf("loss logs differ:\n%s: %s\n%s: %s", modes[0], logs[0], modes[1], logs[1])
			}
		})
	}
}
