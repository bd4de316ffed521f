//go:build unix

// Package cputime measures the CPU time of the running process, for benchmarks that report it next to wall time:
// on a shared machine wall time also counts the other processes' turns, CPU time only this process's work (all
// threads, Go's and a PJRT plugin's, spin-waiting thread pools included).
package cputime

import (
	"syscall"
	"time"
)

// Process returns the user + system CPU time this process has used, all threads together.
func Process() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
