//go:build goexperiment.simd && amd64 && !go1.27

package index

import "simd/archsimd"

// Go 1.26's archsimd loads and stores through array pointers; Go 1.27's through slices (simd_load_go127.go).

func load16(s []float32) archsimd.Float32x16 { return archsimd.LoadFloat32x16((*[16]float32)(s[:16])) }

func store16(v archsimd.Float32x16, s []float32) { v.Store((*[16]float32)(s[:16])) }
