//go:build !unix

// Package cputime measures the CPU time of the running process (see cputime_unix.go).
package cputime

import "time"

// Process is not measured on this platform: it returns 0.
func Process() time.Duration { return 0 }
