package cmir

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/musicrep/musicrep/musicrep/melon"
)

// TestTrainTinyResumeAndBest trains the tiny preset on a synthetic Melon-layout dataset for one epoch, resumes to
// a second, and checks the validation bookkeeping: a best checkpoint exists and holds the lowest validation loss.
func TestTrainTinyResumeAndBest(t *testing.T) {
	ds, err := melon.Load(syntheticMelon(t, 62))
	if err != nil {
		t.Fatal(err)
	}
	data, err := Prepare(ds, PrepareOptions{Seed: 1, CFFactors: 8, CFEpochs: 5})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "run")
	for _, v := range []Variant{Full, BaselineMG} {
		store, err := NewStore(v, "tiny", map[string]any{ParamEpochs: 1})
		if err != nil {
			t.Fatal(err)
		}
		var log strings.Builder
		res, err := Train(context.Background(), data, TrainConfig{Dir: dir + string(v), Store: store, Progress: &log})
		if err != nil {
			t.Fatalf("%s: %v\n%s", v, err, log.String())
		}
		if len(res.ValLoss) != 1 || res.Best == "" {
			t.Fatalf("%s: %+v", v, res)
		}
		store2, _ := NewStore(v, "tiny", map[string]any{ParamEpochs: 2})
		res2, err := Train(context.Background(), data, TrainConfig{Dir: dir + string(v), Store: store2, Progress: &log})
		if err != nil {
			t.Fatal(err)
		}
		if res2.ResumedFrom == "" || len(res2.ValLoss) != 1 {
			t.Fatalf("%s: second call did not resume for one more epoch: %+v", v, res2)
		}
		best := min(res.ValLoss[0], res2.ValLoss[0])
		if res2.BestValLoss != best {
			t.Errorf("%s: best val loss %g, the epochs had %g and %g", v, res2.BestValLoss, res.ValLoss[0], res2.ValLoss[0])
		}
		if _, err := os.Stat(filepath.Join(dir+string(v), "best")); err != nil {
			t.Error(err)
		}
		t.Logf("%s:\n%s", v, log.String())
	}
	// A checkpoint of another variant is refused.
	store, _ := NewStore(AudioTags, "tiny", map[string]any{ParamEpochs: 3})
	if _, err := Train(context.Background(), data, TrainConfig{Dir: dir + string(Full), Store: store}); err == nil ||
		!strings.Contains(err.Error(), "was trained as contrastive") {
		t.Errorf("resuming another variant: %v", err)
	}
}
