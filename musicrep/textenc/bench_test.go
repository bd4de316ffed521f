package textenc

import (
	"testing"
)

// benchTexts returns the template texts of the first n tracks with lyrics, in file order (the same texts as
// scripts/golden/minilm_bench.py).
func benchTexts(b *testing.B, n int) []string {
	var texts []string
	for _, tr := range realTracks(b) {
		if tr.HasLyrics() && len(texts) < n {
			texts = append(texts, TemplateText(&tr))
		}
	}
	return texts
}

// BenchmarkEncode encodes 32 template texts (one Encode call: 2 batches of 16) per iteration; the first,
// compiling call is made before the timer starts. Compare with scripts/golden/minilm_bench.py
// (sentence-transformers on the same texts).
func BenchmarkEncode(b *testing.B) {
	m := sharedModel(b)
	texts := benchTexts(b, 32)
	if _, err := m.Encode(texts, nil); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := m.Encode(texts, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(texts))*float64(b.N)/b.Elapsed().Seconds(), "texts/s")
}
