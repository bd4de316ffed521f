//go:build !unix

package cf

import "time"

// processCPU is not measured on this platform (the benchmarks then report 0 CPU-ns/op).
func processCPU() time.Duration { return 0 }
