//go:build xla

package backends

import (
	_ "github.com/gomlx/go-xla/compute/xla" // registers the "xla" backend (PJRT plugins are loaded with dlopen)
	"github.com/gomlx/go-xla/pjrt"
)

// XLACompiled reports whether this binary includes the XLA/PJRT backend (built with -tags xla, which needs cgo).
const XLACompiled = true

// xlaPlugins returns the PJRT plugins go-xla finds in its search path (PJRT_PLUGIN_LIBRARY_PATH, or
// ~/.local/lib/go-xla, /usr/local/lib/go-xla and the system library paths), by name.
func xlaPlugins() map[string]string { return pjrt.AvailablePlugins() }
