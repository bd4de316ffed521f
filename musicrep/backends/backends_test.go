package backends

import (
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

func TestWithOption(t *testing.T) {
	for in, want := range map[string]string{
		"go":               "go:ops_sequential",
		"go:":              "go:ops_sequential",
		"go:parallelism=2": "go:parallelism=2,ops_sequential",
	} {
		if got := withOption(in, "ops_sequential"); got != want {
			t.Errorf("withOption(%q) = %q, want %q", in, got, want)
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
