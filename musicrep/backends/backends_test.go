package backends

import (
	"reflect"
	"strings"
	"testing"
)

func TestNew(t *testing.T) {
	t.Setenv(EnvVar, "")
	b, err := New("")
	if err != nil {
		t.Fatal(err)
	}
	if b.Name() == "" || !strings.Contains(Describe(b), "CPUs") {
		t.Errorf("unexpected description %q", Describe(b))
	}
	if !XLACompiled {
		if _, err := New("xla:cuda"); err == nil || !strings.Contains(err.Error(), "make build-xla") {
			t.Errorf("xla is not compiled in; want a clear error, got %v", err)
		}
	}
	t.Setenv(EnvVar, "nope")
	if _, err := New(""); err == nil || !strings.Contains(err.Error(), EnvVar) {
		t.Errorf("want an error naming %s, got %v", EnvVar, err)
	}
}

// TestGoOpsMode: New runs the pure-Go backend's nodes one at a time unless the config names an ops_* mode, which
// it passes through. The mode is read from the
// backend's OpsExecutionType field; its values are those of github.com/gomlx/compute v0.1.14
// (internal/gobackend/exec.go: OpsExecutionDynamic 0, OpsExecutionParallel 1, OpsExecutionSequential 2).
func TestGoOpsMode(t *testing.T) {
	t.Setenv(EnvVar, "")
	for _, tc := range []struct {
		config string
		want   int64
	}{
		{"", 2}, {"go", 2}, {"go:", 2}, {"go:parallelism=2", 2}, {"go:ops_parallel", 1}, {"go:ops_sequential", 2},
		{"go:parallelism=2,ops_sequential", 2},
	} {
		b, err := New(tc.config)
		if err != nil {
			t.Fatalf("New(%q): %v", tc.config, err)
		}
		v := reflect.ValueOf(b)
		for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
			v = v.Elem()
		}
		f := v.FieldByName("OpsExecutionType")
		if !f.IsValid() {
			t.Fatalf("the Go backend (%s) has no OpsExecutionType field any more: check how compute configures "+
				"its execution mode and update New's comment and this test", v.Type())
		}
		if got := f.Int(); got != tc.want {
			t.Errorf("New(%q): OpsExecutionType %d, want %d", tc.config, got, tc.want)
		}
	}
}

func TestIsGo(t *testing.T) {
	b, err := New("go")
	if err != nil {
		t.Fatal(err)
	}
	if !IsGo(b) {
		t.Errorf("IsGo(New(\"go\")) = false (Name() %q): the Go backend's package moved; update goBackendPkg", b.Name())
	}
	if IsGo(nil) {
		t.Error("IsGo(nil) = true")
	}
}
