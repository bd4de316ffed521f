//go:build unix

package cmir

import (
	"syscall"
	"time"
)

// processCPU returns the user + system CPU time this process has used, all threads (Go's and XLA's) together.
// The CNN benchmarks report it per step next to wall time: on a shared machine wall time also counts the other
// processes' turns, CPU time counts only this process's work (spin-waiting thread pools included).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
