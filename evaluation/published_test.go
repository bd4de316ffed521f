package evaluation

import "testing"

// TestPublishedEvaluateMatchesTable guards the exported copy of the published numbers (shown in notebooks)
// against the test's own transcription of the same table.
func TestPublishedEvaluateMatchesTable(t *testing.T) {
	if len(PublishedEvaluate) != 24 {
		t.Fatalf("PublishedEvaluate has %d entries, want 24", len(PublishedEvaluate))
	}
	for name, row := range publishedTable {
		for i, k := range publishedKs {
			if got := PublishedEvaluate[metricKey(name, k)]; got != row[i] {
				t.Errorf("%s@%d: exported %v, table %v", name, k, got, row[i])
			}
		}
	}
}
