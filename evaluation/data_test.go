package evaluation

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// fairouzDir locates the read-only Fairouz data folder (the one holding README.md, reference/, embeddings/).
// MUSICREP_DATA may name either the shared data folder (containing fairouz/) or the fairouz folder itself;
// otherwise the working directory and its parents are searched for ../shared/data/fairouz or
// shared/data/fairouz. When nothing is found the test is skipped, unless CI is set (then it fails).
func fairouzDir(t testing.TB) string {
	t.Helper()
	isDir := func(p string) bool {
		st, err := os.Stat(p)
		return err == nil && st.IsDir()
	}
	if env := os.Getenv("MUSICREP_DATA"); env != "" {
		for _, c := range []string{filepath.Join(env, "fairouz"), env} {
			if isDir(filepath.Join(c, "reference")) {
				return c
			}
		}
	}
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			for _, c := range []string{
				filepath.Join(dir, "..", "shared", "data", "fairouz"),
				filepath.Join(dir, "shared", "data", "fairouz"),
			} {
				if isDir(filepath.Join(c, "reference")) {
					return c
				}
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("Fairouz data not found (set MUSICREP_DATA to the shared data folder)")
	}
	t.Skip("Fairouz data not found; set MUSICREP_DATA to run this test")
	return ""
}

// embeddingFile is the JSON list-of-{id, embedding} format of the Fairouz embedding exports.
type embeddingFile struct {
	IDs  []string
	Data []float32
	Dim  int
}

func readEmbeddings(t testing.TB, path string) embeddingFile {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rows []struct {
		ID        string    `json:"id"`
		Embedding []float64 `json:"embedding"`
	}
	if err := json.Unmarshal(raw, &rows); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var f embeddingFile
	for i, r := range rows {
		if i == 0 {
			f.Dim = len(r.Embedding)
		} else if len(r.Embedding) != f.Dim {
			t.Fatalf("%s: row %d has dim %d, want %d", path, i, len(r.Embedding), f.Dim)
		}
		f.IDs = append(f.IDs, r.ID)
		for _, v := range r.Embedding {
			f.Data = append(f.Data, float32(v))
		}
	}
	return f
}

// reorder returns f's rows in the order of ids (every id must be present).
func (f embeddingFile) reorder(t testing.TB, ids []string) embeddingFile {
	t.Helper()
	at := make(map[string]int, len(f.IDs))
	for i, id := range f.IDs {
		at[id] = i
	}
	out := embeddingFile{IDs: append([]string(nil), ids...), Dim: f.Dim}
	for _, id := range ids {
		i, ok := at[id]
		if !ok {
			t.Fatalf("id %s missing", id)
		}
		out.Data = append(out.Data, f.Data[i*f.Dim:(i+1)*f.Dim]...)
	}
	return out
}

func readPositives(t testing.TB, path string) map[string][]string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]struct {
		Positives []string `json:"positives"`
		Negatives []string `json:"negatives"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	out := make(map[string][]string, len(m))
	for id, v := range m {
		out[id] = v.Positives
	}
	return out
}
