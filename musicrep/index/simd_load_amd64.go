//go:build goexperiment.simd && amd64

package index

import "simd/archsimd"

// Loads and stores of 16 float32 lanes through slices (Go 1.27's archsimd; Go 1.26's took array pointers).

func load16(s []float32) archsimd.Float32x16 { return archsimd.LoadFloat32x16(s[:16]) }

func store16(v archsimd.Float32x16, s []float32) { v.Store(s[:16]) }
