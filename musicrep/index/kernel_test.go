package index

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestKernelsAgainstFloat64 calls every kernel set's 6-, 4-, 2- and 1-row kernels directly on random groups
// (including padding slots) and checks each key against the float64 value |x|² − 2<q,x> within keyErrorBound,
// that each mask bit is exactly key <= threshold, and that nothing is written past the rows' keys and masks.
func TestKernelsAgainstFloat64(t *testing.T) {
	sets := append([]kernelSet{scalarKernels}, simdKernelSets...)
	rng := rand.New(rand.NewPCG(7, 8))
	for _, ks := range sets {
		for _, dim := range []int{1, 2, 3, 8, 17, 64, 128, 129} {
			for _, rows := range []int{1, 2, 4, 6} {
				t.Run(fmt.Sprintf("%s/d%d/r%d", ks.name, dim, rows), func(t *testing.T) {
					kern := map[int]groupKernel{1: ks.k1, 2: ks.k2, 4: ks.k4, 6: ks.k6}[rows]
					s := newStore(dim, groupWidth)
					n := groupWidth - 3 // the last three slots stay padding
					v := make([]float32, dim)
					for i := range n {
						for d := range v {
							v[d] = float32(rng.NormFloat64() * 3)
						}
						s.set(i, v)
					}
					q := make([]float32, rows*dim)
					for i := range q {
						q[i] = float32(rng.NormFloat64())
					}
					const sentinel = -12345
					keys := make([]float32, (maxRows+1)*groupWidth)
					for i := range keys {
						keys[i] = sentinel
					}
					masks := make([]uint32, maxRows+1)
					for i := range masks {
						masks[i] = 0xdeadbeef
					}
					thr := make([]float32, rows)
					for r := range thr {
						thr[r] = float32(rng.NormFloat64() * 10 * float64(dim)) // admits some, rejects others
					}
					kern(q, dim, s.packed, s.norms, thr, keys, masks)
					x := make([]float32, dim)
					for r := range rows {
						qr := q[r*dim : (r+1)*dim]
						var qq float64
						for _, e := range qr {
							qq += float64(e) * float64(e)
						}
						bound := keyErrorBound(math.Sqrt(qq), s.maxNorm, dim)
						for j := range groupWidth {
							key := keys[r*groupWidth+j]
							bit := masks[r]>>j&1 == 1
							if bit != (key <= thr[r]) {
								t.Fatalf("row %d slot %d: key %g, threshold %g, mask bit %v", r, j, key, thr[r], bit)
							}
							if j >= n {
								if !math.IsInf(float64(key), 1) {
									t.Fatalf("row %d padding slot %d: key %g, want +Inf", r, j, key)
								}
								continue
							}
							s.vector(j, x)
							var dot float64
							for d := range x {
								dot += float64(qr[d]) * float64(x[d])
							}
							want := float64(s.norms[j]) - 2*dot
							if e := math.Abs(float64(key) - want); e > bound {
								t.Fatalf("row %d slot %d: key %g, float64 %g: error %g exceeds the bound %g", r, j, key,
									want, e, bound)
							}
						}
					}
					for i := rows * groupWidth; i < len(keys); i++ {
						if keys[i] != sentinel {
							t.Fatalf("key %d written past the %d rows", i, rows)
						}
					}
					for i := rows; i < len(masks); i++ {
						if masks[i] != 0xdeadbeef {
							t.Fatalf("mask %d written past the %d rows", i, rows)
						}
					}
				})
			}
		}
	}
}

// TestExactDistBitIdentical checks that the exact distance of the packed store, in Go and in the kernel in use
// (SIMD where the CPU has it), is bit-identical to SquaredL2 on the row-major vectors, for every dimension from
// 1 to 133 (all tail lengths) and values spanning many binades.
func TestExactDistBitIdentical(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	impls := map[string]func(q, col []float32, dim int) float64{"go": exactDistGo, "in use": exactDistKernel}
	for dim := 1; dim <= 133; dim++ {
		s := newStore(dim, groupWidth)
		rows := make([][]float32, groupWidth)
		for i := range rows {
			rows[i] = make([]float32, dim)
			for d := range rows[i] {
				rows[i][d] = float32(rng.NormFloat64() * math.Exp2(float64(rng.IntN(40)-20)))
			}
			s.set(i, rows[i])
		}
		q := make([]float32, dim)
		for d := range q {
			q[d] = float32(rng.NormFloat64() * math.Exp2(float64(rng.IntN(40)-20)))
		}
		for name, f := range impls {
			for i, row := range rows {
				col := s.packed[i/blockWidth*blockWidth*dim+i%blockWidth:]
				got, want := f(q, col, dim), SquaredL2(q, row)
				if math.Float64bits(got) != math.Float64bits(want) {
					t.Fatalf("%s: dim %d vector %d: %v, SquaredL2 %v", name, dim, i, got, want)
				}
			}
		}
	}
}

// TestSquaredL2BitIdentical checks the SIMD SquaredL2 (where the CPU has one) against the Go arithmetic, bit for
// bit, for every length from 0 to 133.
func TestSquaredL2BitIdentical(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for n := 0; n <= 133; n++ {
		for range 20 {
			a, b := make([]float32, n), make([]float32, n)
			for i := range a {
				a[i] = float32(rng.NormFloat64() * math.Exp2(float64(rng.IntN(40)-20)))
				b[i] = float32(rng.NormFloat64() * math.Exp2(float64(rng.IntN(40)-20)))
			}
			got, want := SquaredL2(a, b), squaredL2Go(a, b)
			if math.Float64bits(got) != math.Float64bits(want) {
				t.Fatalf("n %d: SquaredL2 %v, Go arithmetic %v", n, got, want)
			}
		}
	}
}

// TestFlatSharedEqualsFlat checks that NewFlatShared (exact re-rank from the caller's rows) returns exactly what
// NewFlat returns, with duplicated vectors (exact ties) and an exclude function, under every kernel set.
func TestFlatSharedEqualsFlat(t *testing.T) {
	withKernels(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(9, 10))
		for _, dim := range []int{3, 17, 128} {
			base := randMatrix(rng, 500, dim, 1)
			copy(base[100*dim:110*dim], base[0:10*dim]) // duplicates
			qs := randMatrix(rng, 37, dim, 1)
			flat, err := NewFlat(base, dim)
			if err != nil {
				t.Fatal(err)
			}
			shared, err := NewFlatShared(base, dim)
			if err != nil {
				t.Fatal(err)
			}
			opt := SearchOptions{Exclude: func(q, i int) bool { return (q+i)%7 == 0 }}
			for _, k := range []int{1, 10, 50} {
				want, err := flat.Search(qs, k, opt)
				if err != nil {
					t.Fatal(err)
				}
				got, err := shared.Search(qs, k, opt)
				if err != nil {
					t.Fatal(err)
				}
				sameNeighbors(t, fmt.Sprintf("dim %d k %d", dim, k), got, want)
			}
		}
	})
}
