package musicrep

import (
	"slices"
	"testing"
)

func TestEmbeddingsRowsAndCheck(t *testing.T) {
	e := &Embeddings{Name: "e", Kind: "learned", IDs: []string{"a", "b", "c"}, Dim: 2, Data: []float32{0, 1, 2, 3, 4, 5}}
	if err := e.Check(); err != nil {
		t.Fatal(err)
	}
	if e.Len() != 3 || !slices.Equal(e.Row(1), []float32{2, 3}) {
		t.Errorf("Len %d, Row(1) %v", e.Len(), e.Row(1))
	}
	sub := e.Rows([]int{2, 0})
	if !slices.Equal(sub.IDs, []string{"c", "a"}) || !slices.Equal(sub.Data, []float32{4, 5, 0, 1}) ||
		sub.Name != "e" || sub.Kind != "learned" || sub.Dim != 2 {
		t.Errorf("Rows: %+v", sub)
	}
	sub.Data[0] = 9
	if e.Data[4] != 4 {
		t.Error("Rows shares its data with the original")
	}
	for name, bad := range map[string]*Embeddings{
		"dim 0":        {Name: "x", IDs: []string{"a"}},
		"short data":   {Name: "x", IDs: []string{"a", "b"}, Dim: 2, Data: []float32{1, 2, 3}},
		"data, no ids": {Name: "x", Dim: 1, Data: []float32{1}},
	} {
		if bad.Check() == nil {
			t.Errorf("%s: Check accepted %+v", name, bad)
		}
	}
}
