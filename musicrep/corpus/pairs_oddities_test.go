package corpus

import "testing"

func TestPairsOddities(t *testing.T) {
	p := &Pairs{Anchor: []int32{0, 0, 1, 1, 1, 2}, Other: []int32{0, 1, 2, 2, 2, 3}, Label: []float32{1, 1, 1, 0, 0, 0}}
	self, both := p.Oddities()
	// (0,0) is a self-pair; (1,2) is positive once and negative twice: one contradicting pair of entries.
	if self != 1 || both != 1 {
		t.Errorf("Oddities = %d self, %d contradictory; want 1, 1", self, both)
	}
}
