// Package backends chooses the GoMLX compute backend that musicrep runs on, and says which one it chose.
//
// The pure-Go backend ("go") is compiled in and is the default: it runs on any CPU with no native library.
// XLA through PJRT ("xla:cpu", "xla:cuda") is compiled in only with the build tag xla (`make build-xla`, which
// needs cgo) and is used only when named explicitly, with the -backend flag or the GOMLX_BACKEND environment
// variable. Its plugins are shared libraries, loaded when the backend starts: `make xla-setup` installs the CPU
// plugin into the repository's .pjrt folder (see scripts/setup-xla.sh), and [New] looks there, in
// $MUSICREP_PJRT_DIR and in go-xla's own search path (PJRT_PLUGIN_LIBRARY_PATH, ~/.local/lib/go-xla, ...).
// Asking for a backend that is not compiled in, or a plugin that is not installed, is an error that says what
// to install; it never downloads anything and never hangs.
package backends

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"
)

// EnvVar is the environment variable GoMLX reads for its backend configuration.
const EnvVar = compute.ConfigEnvVar

// Default is the backend configuration used when neither a flag nor GOMLX_BACKEND names one.
const Default = gobackend.BackendName

// XLATestEnvVar names the XLA backend that the XLA parity tests (build tag xla, `go test -run XLA`) compare
// with the pure-Go backend. Unset, they run on "xla:cpu"; scripts/gpu-check.sh sets it to "xla:cuda" to run the
// same comparisons on a GPU.
const XLATestEnvVar = "MUSICREP_XLA_TEST_BACKEND"

// XLAUnderTest returns the backend configuration the XLA parity tests use: $MUSICREP_XLA_TEST_BACKEND, else
// "xla:cpu".
func XLAUnderTest() string {
	if c := os.Getenv(XLATestEnvVar); c != "" {
		return c
	}
	return "xla:cpu"
}

// New returns the backend named by config ("go", "xla:cpu", ...). An empty config means $GOMLX_BACKEND if set,
// else Default. It returns an error, never panics, when the backend is not compiled in or fails to start.
//
// The pure-Go backend runs graph nodes one at a time by default ("ops_sequential"; each matrix product still uses
// every core): on this project's quiet 2-core machine (2026-12-07, interleaved) the backend's own default mode,
// which runs a lone graph's independent nodes in parallel, made MiniLM 1.6x slower (2.19 vs 1.33-1.47 s per
// call of 32 texts) for at most ~12 % on binding training (BENCHMARKS.md, "The third record"). "go:ops_parallel"
// (with -backend or GOMLX_BACKEND) runs nodes in parallel always; the modes give bit-identical results
// (TestModelKindsOpsModesAgree trains every model kind under each), and the suite passed with every execution
// forced parallel (2026-12-07). The parallel mode deadlocked in compute v0.1.6 when more large matrix products
// ran at once than the worker pool had workers (the joint model's per-modality encoders hung training on a
// 2-core machine, 2026-11-22); compute v0.1.14 (GoMLX v0.28.16) fixed that (TestGoParallelNoDeadlock).
func New(config string) (backend compute.Backend, err error) {
	if config == "" {
		config = os.Getenv(EnvVar)
	}
	if config == "" {
		config = Default
	}
	name, _, _ := strings.Cut(config, ":")
	if isXLA(name) && !XLACompiled {
		return nil, fmt.Errorf("backend %q: this binary was built without XLA; build it with `make build-xla` "+
			"(go build -tags xla, needs cgo and a C compiler) and install a PJRT plugin with `make xla-setup`, "+
			"or use the pure-Go backend (-backend go)", config)
	}
	available := compute.List()
	if !slices.Contains(available, name) {
		slices.Sort(available)
		return nil, fmt.Errorf("backend %q (from %q) is not available in this build; available: %s "+
			"(choose one with -backend or %s)", name, config, strings.Join(available, ", "), EnvVar)
	}
	if name == "go" && !strings.Contains(config, "ops_") {
		config = withOption(config, "ops_sequential")
	}
	if isXLA(name) {
		if config, err = resolvePlugin(config); err != nil {
			return nil, err
		}
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("backend %q failed to start: %v", config, r)
		}
	}()
	backend, err = compute.NewWithConfig(config)
	if err != nil {
		return nil, fmt.Errorf("backend %q failed to start: %w", config, err)
	}
	return backend, nil
}

// withOption appends a backend option to a config string ("go" → "go:opt", "go:a=1" → "go:a=1,opt").
func withOption(config, option string) string {
	if _, opts, ok := strings.Cut(config, ":"); ok && opts != "" {
		return config + "," + option
	}
	return strings.TrimSuffix(config, ":") + ":" + option
}

// isXLA reports whether a backend name is go-xla's (it registers "xla" and the aliases below).
func isXLA(name string) bool {
	switch name {
	case "xla", "stablehlo", "hlo", "shlo", "pjrt":
		return true
	}
	return false
}

// PluginDirs returns the folders, besides go-xla's own search path, where [New] looks for PJRT plugins
// (files named pjrt_c_api_<name>_plugin.so): $MUSICREP_PJRT_DIR, then the nearest .pjrt in the working
// directory or one of its parents (so tests, notebooks and the CLI run from anywhere in the repository find
// the one `make xla-setup` installs), then .pjrt next to the executable's folder (bin/../.pjrt). Only existing
// folders are returned.
func PluginDirs() []string {
	var dirs []string
	add := func(d string) {
		if d == "" {
			return
		}
		if abs, err := filepath.Abs(d); err == nil {
			d = abs
		}
		if st, err := os.Stat(d); err == nil && st.IsDir() && !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	add(os.Getenv("MUSICREP_PJRT_DIR"))
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			if st, err := os.Stat(filepath.Join(dir, ".pjrt")); err == nil && st.IsDir() {
				add(filepath.Join(dir, ".pjrt"))
				break
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	if exe, err := os.Executable(); err == nil {
		add(filepath.Join(filepath.Dir(exe), "..", ".pjrt"))
	}
	return dirs
}

// resolvePlugin turns "xla:NAME[,options]" into "xla:/abs/path/pjrt_c_api_NAME_plugin.so[,options]" when the
// plugin is in one of PluginDirs and not already in go-xla's search path (which is read once, at start-up,
// from PJRT_PLUGIN_LIBRARY_PATH), and fails with an installation hint when it is nowhere.
func resolvePlugin(config string) (string, error) {
	name, rest, _ := strings.Cut(config, ":")
	plugin, opts, _ := strings.Cut(rest, ",")
	if plugin == "" {
		plugin = "cpu"
	}
	if filepath.IsAbs(plugin) {
		if _, err := os.Stat(plugin); err != nil {
			return "", fmt.Errorf("backend %q: PJRT plugin file: %w", config, err)
		}
		return config, nil
	}
	found := xlaPlugins()
	if _, ok := found[plugin]; ok {
		return config, nil
	}
	for _, dir := range PluginDirs() {
		p := filepath.Join(dir, "pjrt_c_api_"+plugin+"_plugin.so")
		if _, err := os.Stat(p); err == nil {
			if opts != "" {
				return name + ":" + p + "," + opts, nil
			}
			return name + ":" + p, nil
		}
	}
	names := make([]string, 0, len(found))
	for n := range found {
		names = append(names, n)
	}
	slices.Sort(names)
	hint := "run `make xla-setup` (installs the CPU plugin from the PyPI wheel xla-cpu-pjrt into .pjrt/)"
	if plugin != "cpu" {
		hint = fmt.Sprintf("link the plugin as pjrt_c_api_%s_plugin.so into .pjrt/ or $MUSICREP_PJRT_DIR "+
			"(for CUDA: `scripts/setup-xla.sh cuda`, which uses JAX's jax-cuda13-pjrt wheel)", plugin)
	}
	return "", fmt.Errorf("backend %q: PJRT plugin %q not found (found: [%s]; searched $PJRT_PLUGIN_LIBRARY_PATH, "+
		"~/.local/lib/go-xla, /usr/local/lib/go-xla, the system library path and %v); %s",
		config, plugin, strings.Join(names, " "), PluginDirs(), hint)
}

// IsGo reports whether b is the pure-Go backend. Compare backends with it, not with b.Name(): the Go backend
// registers as "go" but its Name() is "Go Backend" (compute v0.1.6 and v0.1.14), so a test of Name() == "go" is never true
// (it sent musicnn's convolutions down the Go backend's generic convolution, 25× slower than its matrix product).
func IsGo(b compute.Backend) bool {
	t := reflect.TypeOf(b)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t != nil && t.PkgPath() == goBackendPkg
}

// goBackendPkg is the package of the pure-Go backend's type (gobackend.New's result; TestIsGo checks it).
const goBackendPkg = "github.com/gomlx/compute/internal/gobackend"

// Describe returns a one-line description of the backend for logs, e.g.
// "go (SimpleGo) on linux/amd64, 2 CPUs".
func Describe(b compute.Backend) string {
	return fmt.Sprintf("%s (%s) on %s/%s, %d CPUs, GOEXPERIMENT simd=%v", b.Name(), b.Description(),
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), SIMDEnabled)
}

// Catch runs fn and returns a panic raised inside it (GoMLX graph building and execution report misuse by
// panicking) as an error.
func Catch(fn func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = e
			} else {
				err = fmt.Errorf("%v", r)
			}
		}
	}()
	fn()
	return nil
}
