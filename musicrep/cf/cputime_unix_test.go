//go:build unix

package cf

import (
	"syscall"
	"time"
)

// processCPU returns the user + system CPU time this process has used (the benchmarks report it next to wall
// time: on a shared machine wall time also counts the other processes' turns).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
