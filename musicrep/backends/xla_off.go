//go:build !xla

package backends

// XLACompiled reports whether this binary includes the XLA/PJRT backend (built with -tags xla, which needs cgo).
const XLACompiled = false

func xlaPlugins() map[string]string { return nil }
