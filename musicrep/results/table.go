package results

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Row is one scored set of embeddings in a results table.
type Row struct {
	Name    string             `json:"name"`
	Kind    string             `json:"kind"` // learned, published or baseline
	Source  string             `json:"source"`
	Note    string             `json:"note,omitempty"`
	Dim     int                `json:"dim"`
	Leaks   bool               `json:"leaks,omitempty"` // built from the labels scored: an upper bound
	Metrics map[string]float64 `json:"metrics"`
	// CI95 is the 95 % bootstrap interval of each metric (held-out protocol: test artists resampled).
	CI95 map[string][2]float64 `json:"ci95,omitempty"`
}

// Comparison is the paired difference A − B of one metric between two rows of a table, over the same
// queries, with its 95 % bootstrap interval (same resamples for both rows).
type Comparison struct {
	A           string     `json:"a"`
	B           string     `json:"b"`
	Metric      string     `json:"metric"`
	Diff        float64    `json:"diff"`
	CI95        [2]float64 `json:"ci95"`
	Significant bool       `json:"significant"` // the interval excludes zero
}

// Verdict says in words what the comparison shows.
func (c Comparison) Verdict() string {
	switch {
	case !c.Significant:
		return "not significant"
	case c.Diff > 0:
		return "A better"
	default:
		return "B better"
	}
}

// Table is the result of one protocol over several embeddings.
type Table struct {
	Protocol    string   `json:"protocol"`    // "paper" or "heldout"
	Description string   `json:"description"` // data, split, relevance definition, protocol, in-sample status
	Notes       []string `json:"notes,omitempty"`
	Ks          []int    `json:"ks"`
	NumQueries  int      `json:"num_queries"`
	Rows        []Row    `json:"rows"`
	// DuplicatesRemoved lists the test tracks left out as exact duplicates (held-out protocol): each entry
	// is the removed track's id and the id of the track it duplicates.
	DuplicatesRemoved [][2]string  `json:"duplicates_removed,omitempty"`
	Comparisons       []Comparison `json:"comparisons,omitempty"`
}

// MetricColumns returns the table's metric keys in a stable, readable order.
func (t *Table) MetricColumns() []string {
	seen := map[string]bool{}
	var keys []string
	for _, r := range t.Rows {
		for k := range r.Metrics {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	order := map[string]int{"precision": 0, "recall": 1, "hit_rate": 2, "average_precision": 3, "map": 3,
		"reciprocal_rank": 4, "ndcg": 5, "knn_genre_accuracy": 6}
	sort.Slice(keys, func(i, j int) bool {
		ni, ki := splitKey(keys[i])
		nj, kj := splitKey(keys[j])
		if ki != kj {
			return ki < kj
		}
		if order[ni] != order[nj] {
			return order[ni] < order[nj]
		}
		return ni < nj
	})
	return keys
}

func splitKey(key string) (string, int) {
	name, k, _ := strings.Cut(key, "@")
	var n int
	_, _ = fmt.Sscan(k, &n)
	return name, n
}

// Markdown renders the table with the given metric columns (all when nil). A metric with an interval is
// written "value (lo–hi)"; rows that leak the scored labels say so in their kind.
func (t *Table) Markdown(columns []string) string {
	if columns == nil {
		columns = t.MetricColumns()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "| embeddings | kind | dim | %s |\n", strings.Join(columns, " | "))
	fmt.Fprintf(&b, "|---|---|---|%s\n", strings.Repeat("---|", len(columns)))
	for _, r := range t.Rows {
		kind := r.Kind
		if r.Leaks {
			kind += ", LEAKS"
		}
		dim := fmt.Sprint(r.Dim)
		if r.Dim == 0 {
			dim = "–"
		}
		fmt.Fprintf(&b, "| %s | %s | %s |", r.Name, kind, dim)
		for _, c := range columns {
			v, ok := r.Metrics[c]
			ci, hasCI := r.CI95[c]
			switch {
			case ok && (c == "queries" || c == "candidates"):
				fmt.Fprintf(&b, " %.0f |", v) // counts
			case ok && hasCI:
				fmt.Fprintf(&b, " %.3f (%.3f–%.3f) |", v, ci[0], ci[1])
			case ok:
				fmt.Fprintf(&b, " %.4f |", v)
			default:
				b.WriteString(" – |")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// ComparisonsMarkdown renders the paired comparisons (nothing when there are none).
func (t *Table) ComparisonsMarkdown() string {
	if len(t.Comparisons) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("| A | B | metric | A − B | 95 % interval | verdict |\n|---|---|---|---|---|---|\n")
	for _, c := range t.Comparisons {
		fmt.Fprintf(&b, "| %s | %s | %s | %+.3f | [%+.3f, %+.3f] | %s |\n", c.A, c.B, c.Metric, c.Diff, c.CI95[0],
			c.CI95[1], c.Verdict())
	}
	return b.String()
}

// JSON returns the table as indented JSON.
func (t *Table) JSON() ([]byte, error) { return json.MarshalIndent(t, "", "  ") }

// AcrossSplits summarises the same protocol run on several splits: row i of the result is row i of every
// table (the tables must list the same rows in the same order, as Reproduce builds them), its metrics the
// mean over the splits and its interval the 95 % Student t interval of that mean over splits
// (mean ± t(0.975, n−1)·sd/√n). This interval measures how much the numbers move from one split of the artists
// to another, which the per-split bootstrap (over the test artists of one split) does not see.
func AcrossSplits(tables []*Table) (*Table, error) {
	if len(tables) < 2 {
		return nil, fmt.Errorf("across splits: need at least 2 tables, got %d", len(tables))
	}
	first := tables[0]
	out := &Table{Protocol: first.Protocol, Ks: first.Ks, NumQueries: first.NumQueries,
		Description: fmt.Sprintf("%s protocol, mean over %d artist splits; intervals: 95 %% Student t interval "+
			"of the mean over splits.", first.Protocol, len(tables))}
	n := float64(len(tables))
	tq := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: n - 1}.Quantile(0.975)
	for i, r := range first.Rows {
		name := r.Name
		if r.Kind == "majority" {
			name = "majority (each split's most common training genre)"
		}
		row := Row{Name: name, Kind: r.Kind, Source: r.Source, Dim: r.Dim, Leaks: r.Leaks,
			Metrics: map[string]float64{}, CI95: map[string][2]float64{}}
		row.Note = fmt.Sprintf("mean over %d splits", len(tables))
		for key := range r.Metrics {
			var vals []float64
			for ti, t := range tables {
				if len(t.Rows) != len(first.Rows) || (t.Rows[i].Name != r.Name && t.Rows[i].Kind != "majority") {
					return nil, fmt.Errorf("across splits: table %d does not list the same rows as table 0 (row %d)", ti, i)
				}
				v, ok := t.Rows[i].Metrics[key]
				if !ok {
					return nil, fmt.Errorf("across splits: table %d, row %s has no %s", ti, r.Name, key)
				}
				vals = append(vals, v)
			}
			m, sd := stat.MeanStdDev(vals, nil)
			half := tq * sd / math.Sqrt(n)
			row.Metrics[key], row.CI95[key] = m, [2]float64{m - half, m + half}
		}
		out.Rows = append(out.Rows, row)
	}
	// Comparisons present in every table: the mean paired difference over splits, t interval over splits.
	for ci, c := range first.Comparisons {
		var diffs []float64
		for _, t := range tables {
			if ci < len(t.Comparisons) && t.Comparisons[ci].Metric == c.Metric && t.Comparisons[ci].B == c.B {
				diffs = append(diffs, t.Comparisons[ci].Diff)
			}
		}
		if len(diffs) != len(tables) {
			continue
		}
		m, sd := stat.MeanStdDev(diffs, nil)
		half := tq * sd / math.Sqrt(n)
		lohi := [2]float64{m - half, m + half}
		out.Comparisons = append(out.Comparisons, Comparison{A: c.A, B: c.B, Metric: c.Metric, Diff: m, CI95: lohi,
			Significant: lohi[0] > 0 || lohi[1] < 0})
	}
	return out, nil
}
