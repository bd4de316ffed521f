//go:build !unix

package cmir

import "time"

// processCPU is not measured on this platform: the benchmarks report 0 CPU-ms per step.
func processCPU() time.Duration { return 0 }
