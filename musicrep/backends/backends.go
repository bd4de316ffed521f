// Package backends chooses the GoMLX compute backend that musicrep runs on, and says which one it chose.
//
// The pure-Go backend ("go") is compiled in and is the default: it runs on any CPU with no native library.
// Other backends (XLA through PJRT) are used only when they are compiled in and named explicitly, with the
// -backend flag or the GOMLX_BACKEND environment variable.
package backends

import (
	"fmt"
	"os"
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

// New returns the backend named by config ("go", "xla:cpu", ...). An empty config means $GOMLX_BACKEND if set,
// else Default. It returns an error, never panics, when the backend is not compiled in or fails to start.
//
// The pure-Go backend runs graph nodes one at a time ("ops_sequential"; each matmul still uses every core)
// unless the configuration names an ops_* option: in compute v0.1.6 its default, running independent nodes
// in parallel, deadlocks when more large matmuls run at once than the worker pool has workers (each waits in
// workerspool.Saturate for workers the others hold). The joint model's independent per-modality encoders hit
// this on a 2-core machine (training hung with every worker parked in Saturate; goroutine dump taken
// 2026-11-22).
func New(config string) (backend compute.Backend, err error) {
	if config == "" {
		config = os.Getenv(EnvVar)
	}
	if config == "" {
		config = Default
	}
	name, _, _ := strings.Cut(config, ":")
	available := compute.List()
	if !slices.Contains(available, name) {
		slices.Sort(available)
		return nil, fmt.Errorf("backend %q (from %q) is not available in this build; available: %s "+
			"(choose one with -backend or %s)", name, config, strings.Join(available, ", "), EnvVar)
	}
	if name == gobackend.BackendName && !strings.Contains(config, "ops_") {
		config = withOption(config, "ops_sequential")
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

// withOption appends a backend option to a "name:opt,opt" configuration.
func withOption(config, option string) string {
	if _, opts, ok := strings.Cut(config, ":"); ok && opts != "" {
		return config + "," + option
	}
	return strings.TrimSuffix(config, ":") + ":" + option
}

// Describe returns a one-line description of the backend for logs, e.g.
// "go (SimpleGo) on linux/amd64, 2 CPUs".
func Describe(b compute.Backend) string {
	return fmt.Sprintf("%s (%s) on %s/%s, %d CPUs, GOEXPERIMENT simd=%v", b.Name(), b.Description(),
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), SIMDEnabled)
}
