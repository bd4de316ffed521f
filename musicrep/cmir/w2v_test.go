package cmir

import (
	"math"
	"testing"
)

// TestGenreWord2Vec: tokens that co-occur end up closer (cosine) than tokens that never do, the padding row is
// zero, and the result is deterministic for a seed.
func TestGenreWord2Vec(t *testing.T) {
	// Two communities: {0,1,2} and {3,4,5}; documents mix within a community only.
	var docs [][]int
	for i := range 200 {
		base := 3 * (i % 2)
		docs = append(docs, []int{base + i%3, base + (i+1)%3})
	}
	a, err := GenreWord2Vec(docs, 6, W2VOptions{Dim: 16, Epochs: 20, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := GenreWord2Vec(docs, 6, W2VOptions{Dim: 16, Epochs: 20, Seed: 3})
	for i := range a {
		if a[i] != b[i] {
			t.Fatal("not deterministic")
		}
	}
	row := func(i int) []float32 { return a[(i+1)*16 : (i+2)*16] }
	cos := func(x, y []float32) float64 {
		var d, nx, ny float64
		for k := range x {
			d += float64(x[k] * y[k])
			nx += float64(x[k] * x[k])
			ny += float64(y[k] * y[k])
		}
		return d / math.Sqrt(nx*ny)
	}
	within := (cos(row(0), row(1)) + cos(row(3), row(4))) / 2
	across := (cos(row(0), row(3)) + cos(row(1), row(4))) / 2
	t.Logf("cosine within communities %.3f, across %.3f", within, across)
	if !(within > across+0.3) {
		t.Errorf("co-occurring genres are not closer: within %.3f, across %.3f", within, across)
	}
	for _, v := range a[:16] {
		if v != 0 {
			t.Fatal("padding row is not zero")
		}
	}
	if _, err := GenreWord2Vec([][]int{{0, 9}}, 3, W2VOptions{}); err == nil {
		t.Error("token out of range accepted")
	}
}
