//go:build xla

package backends

import (
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// TestXLACPU needs the CPU plugin (`make xla-setup`): it starts xla:cpu (or $MUSICREP_XLA_TEST_BACKEND, e.g.
// xla:cuda) through New, runs a small graph and compares it with the pure-Go backend.
func TestXLACPU(t *testing.T) {
	xb, err := New(XLAUnderTest())
	if err != nil {
		t.Fatalf("%v", err)
	}
	desc := Describe(xb)
	t.Log(desc)
	if !strings.HasPrefix(desc, "xla ") || !strings.Contains(desc, "PJRT") {
		t.Errorf("description %q does not say it runs on XLA/PJRT", desc)
	}
	gb, err := New("go")
	if err != nil {
		t.Fatal(err)
	}
	if IsGo(xb) || !IsGo(gb) {
		t.Errorf("IsGo: %v for %s, %v for %s", IsGo(xb), xb.Name(), IsGo(gb), gb.Name())
	}
	f := func(x *Node) *Node { return ReduceSum(Softmax(MatMul(x, Transpose(x, 0, 1)), -1), -1) }
	x := [][]float32{{1, 2, 3}, {0.5, -1, 2}, {3, 0, -2}}
	gx := MustExecOnce(gb, f, tensors.FromValue(x)).Value().([]float32)
	xx := MustExecOnce(xb, f, tensors.FromValue(x)).Value().([]float32)
	for i := range gx {
		if d := gx[i] - xx[i]; d > 1e-6 || d < -1e-6 {
			t.Errorf("row %d: go %g, xla %g", i, gx[i], xx[i])
		}
	}
}

// TestXLAMissingPlugin checks the error for a plugin that is not installed: it names the plugin and says
// what to install, and does not hang.
func TestXLAMissingPlugin(t *testing.T) {
	_, err := New("xla:nosuchplugin")
	if err == nil || !strings.Contains(err.Error(), `"nosuchplugin" not found`) || !strings.Contains(err.Error(), ".pjrt") {
		t.Errorf("want a clear missing-plugin error, got %v", err)
	}
	t.Log(err)
}
