package textenc

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/musicrep/musicrep/musicrep"
)

// The reference is sentence-transformers 6.2.0 / tokenizers 0.23.3 / torch 2.15.0 on CPU (see the golden file's
// meta and scripts/golden/minilm.py). Measured here (GOEXPERIMENT=simd, Go backend, 2-core AMD EPYC): minimum
// cosine 1 - 6.2e-13 over the 54 golden texts, largest element difference 1.9e-07; see the
// t.Logf output of TestEncodeGolden.

func TestTokenizerGolden(t *testing.T) {
	tok, err := LoadTokenizer(modelDir(t))
	if err != nil {
		t.Fatal(err)
	}
	g := loadGolden(t)
	if got := tok.MaxLen(); float64(got) != g.Meta["max_seq_length"] {
		t.Errorf("MaxLen() = %d, golden max_seq_length %v", got, g.Meta["max_seq_length"])
	}
	n := 0
	for _, it := range g.Tracks {
		if !it.HasLyrics {
			continue
		}
		n++
		if got := tok.Encode(it.Text); !slices.Equal(got, it.InputIDs) {
			t.Errorf("track %s, %s text: ids differ from the reference\n got %v\nwant %v", it.ID, it.Source,
				got, it.InputIDs)
		}
	}
	for _, e := range g.Extras {
		n++
		if got := tok.Encode(e.Text); !slices.Equal(got, e.InputIDs) {
			t.Errorf("extra text %q: ids differ from the reference\n got %v\nwant %v", e.Text, got, e.InputIDs)
		}
	}
	t.Logf("%d golden texts tokenized identically", n)
}

// TestTokenizerAllTracks checks the token ids of both texts of every track with lyrics against the sha256 of the
// reference ids.
func TestTokenizerAllTracks(t *testing.T) {
	tok, err := LoadTokenizer(modelDir(t))
	if err != nil {
		t.Fatal(err)
	}
	tracks := realTracks(t)
	byID := map[string]*musicrep.Track{}
	for i := range tracks {
		byID[tracks[i].ID] = &tracks[i]
	}
	g := loadGolden(t)
	if len(g.AllIDs) == 0 {
		t.Fatal("golden file has no all_ids")
	}
	bad := 0
	for _, want := range g.AllIDs {
		tr, ok := byID[want.ID]
		if !ok {
			t.Fatalf("golden track %s is not in the tracks file", want.ID)
		}
		ids := tok.Encode(TrackText(tr, want.Source))
		var b strings.Builder
		for i, id := range ids {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(int(id)))
		}
		sum := sha256.Sum256([]byte(b.String()))
		if len(ids) != want.Len || hex.EncodeToString(sum[:]) != want.SHA256 {
			bad++
			if bad <= 5 {
				t.Errorf("track %s, %s text: %d ids, reference %d ids, hashes differ", want.ID, want.Source,
					len(ids), want.Len)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d texts tokenized differently from the reference", bad, len(g.AllIDs))
	}
}

func TestTemplateTextGolden(t *testing.T) {
	tracks := realTracks(t)
	byID := map[string]*musicrep.Track{}
	for i := range tracks {
		byID[tracks[i].ID] = &tracks[i]
	}
	g := loadGolden(t)
	missing := 0
	for _, it := range g.Tracks {
		tr := byID[it.ID]
		if tr == nil {
			t.Fatalf("golden track %s is not in the tracks file", it.ID)
		}
		if !it.HasLyrics {
			missing++
			if tr.HasLyrics() || TemplateText(tr) != "" || TrackText(tr, SourceLyrics) != "" {
				t.Errorf("track %s has no lyrics in the reference, but texts here", it.ID)
			}
			continue
		}
		if got := TrackText(tr, it.Source); got != it.Text {
			t.Errorf("track %s, %s text differs from the reference's:\n got %q\nwant %q", it.ID, it.Source, got,
				it.Text)
		}
	}
	if missing < 2 {
		t.Errorf("golden file has %d tracks without lyrics, want ≥ 2", missing)
	}
}

func TestEncodeGolden(t *testing.T) {
	m := sharedModel(t)
	g := loadGolden(t)
	var texts, names []string
	var want [][]float32
	for _, it := range g.Tracks {
		if it.HasLyrics {
			texts = append(texts, it.Text)
			names = append(names, fmt.Sprintf("track %s (%s)", it.ID, it.Source))
			want = append(want, it.Vector)
		}
	}
	for i, e := range g.Extras {
		texts = append(texts, e.Text)
		names = append(names, fmt.Sprintf("extra %d %q", i, e.Text))
		want = append(want, e.Vector)
	}
	start := time.Now()
	calls := 0
	got, err := m.Encode(texts, func(done, total int) {
		calls++
		if total != len(texts) || done > total {
			t.Errorf("progress(%d, %d) with %d texts", done, total, len(texts))
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	if calls == 0 {
		t.Error("progress was never called")
	}
	minCos, worst, maxDiff := 2.0, "", 0.0
	for i := range texts {
		if len(got[i]) != m.Dim() || len(want[i]) != m.Dim() {
			t.Fatalf("%s: vector of %d, golden %d, Dim() %d", names[i], len(got[i]), len(want[i]), m.Dim())
		}
		c := cosine(got[i], want[i])
		if c < minCos {
			minCos, worst = c, names[i]
		}
		if c < 0.999 {
			t.Errorf("%s: cosine %.6f with the reference, want ≥ 0.999", names[i], c)
		}
		var norm float64
		for j, x := range got[i] {
			norm += float64(x) * float64(x)
			maxDiff = max(maxDiff, math.Abs(float64(x-want[i][j])))
		}
		if math.Abs(math.Sqrt(norm)-1) > 1e-4 {
			t.Errorf("%s: norm %.6f, want 1 (the model has a Normalize module)", names[i], math.Sqrt(norm))
		}
	}
	t.Logf("%d texts in %v: minimum cosine 1 - %.2g (%s), max |Δ| %.2g", len(texts),
		elapsed.Round(time.Millisecond), 1-minCos, worst, maxDiff)
}

func TestExtractFeaturesMissing(t *testing.T) {
	m := sharedModel(t)
	g := loadGolden(t)
	all := realTracks(t)
	byID := map[string]*musicrep.Track{}
	for i := range all {
		byID[all[i].ID] = &all[i]
	}
	var tracks []*musicrep.Track
	want := map[string][]float32{}
	for _, it := range g.Tracks {
		if it.Source == SourceLyrics {
			continue
		}
		if len(tracks) > 0 && tracks[len(tracks)-1].ID == it.ID {
			continue
		}
		tracks = append(tracks, byID[it.ID])
		want[it.ID] = it.Vector
	}
	var progress bytes.Buffer
	f, err := ExtractFeatures(m, tracks, SourceTemplate, &progress)
	if err != nil {
		t.Fatal(err)
	}
	if f.Modality != musicrep.Text || f.Dim != 384 || f.NumRows() != len(tracks) || len(f.Data) != len(tracks)*384 {
		t.Fatalf("features: modality %s, dim %d, %d rows, %d values for %d tracks", f.Modality, f.Dim,
			f.NumRows(), len(f.Data), len(tracks))
	}
	nMissing := 0
	for i, tr := range tracks {
		if f.Present[i] != tr.HasLyrics() {
			t.Errorf("track %s: Present %v, HasLyrics %v", tr.ID, f.Present[i], tr.HasLyrics())
		}
		if !tr.HasLyrics() {
			nMissing++
			for _, x := range f.Row(i) {
				if x != 0 {
					t.Fatalf("track %s has no lyrics but a non-zero row", tr.ID)
				}
			}
			continue
		}
		if c := cosine(f.Row(i), want[tr.ID]); c < 0.999 {
			t.Errorf("track %s: cosine %.6f with the reference template vector", tr.ID, c)
		}
	}
	if nMissing < 2 || f.NumPresent() != len(tracks)-nMissing {
		t.Errorf("%d tracks without lyrics, NumPresent %d of %d", nMissing, f.NumPresent(), len(tracks))
	}
	if !strings.Contains(progress.String(), fmt.Sprintf("%d/%d", len(tracks)-nMissing, len(tracks)-nMissing)) ||
		!strings.Contains(progress.String(), "tracks/s") {
		t.Errorf("progress output lacks the final count or the rate:\n%s", progress.String())
	}
}
