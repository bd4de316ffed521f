package musicnn

import (
	"math"
	"testing"
)

// BenchmarkRun times one batch of BatchSize patches (24 s of audio) through each model on the test backend.
func BenchmarkRun(b *testing.B) {
	patches := make([]float32, BatchSize*PatchValues)
	for i := range patches {
		patches[i] = float32(2 + math.Sin(float64(i)*0.001))
	}
	for _, spec := range Models {
		b.Run(spec.Name, func(b *testing.B) {
			m := testModel(b, spec.Name)
			if _, err := m.Run(patches); err != nil { // compile
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				if _, err := m.Run(patches); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*BatchSize)*3/b.Elapsed().Seconds(), "audio-s/s")
		})
	}
}
