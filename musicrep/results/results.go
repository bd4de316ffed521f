// Package results holds what every evaluation job writes: the results Table (rows of scored embeddings sets,
// intervals, paired comparisons, the mean over splits) and the Job that opens a report (defaults, progress
// lines, the report's header) and writes it as <ResultsRoot>/<name>.json and .md.
package results

import (
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/gomlx/compute"

	"github.com/musicrep/musicrep/musicrep/backends"
	"github.com/musicrep/musicrep/musicrep/corpus"
)

// DefaultRoot is where jobs write their reports unless told otherwise.
var DefaultRoot = filepath.Join("evaluation", "results")

// Header opens every report: its name, when it was made and on which backend. Report types embed it, so
// its fields lead their JSON.
type Header struct {
	Name    string `json:"name"`
	Created string `json:"created"` // RFC 3339, UTC
	Backend string `json:"backend"` // backends.Describe
}

// Job is a report-writing job under way: where it writes, the backend it computes on and its progress lines.
type Job struct {
	Header
	Root     string          // the report goes to <Root>/<Name>.json and .md
	Backend  compute.Backend // never nil
	Progress io.Writer       // nil: no progress lines
}

// Open starts a job named name: root "" means DefaultRoot, backend nil the default backend (backends.New("")),
// and the header records the time and the backend.
func Open(name, root string, backend compute.Backend, progress io.Writer) (*Job, error) {
	if root == "" {
		root = DefaultRoot
	}
	if backend == nil {
		var err error
		if backend, err = backends.New(""); err != nil {
			return nil, err
		}
	}
	return &Job{Header: Header{Name: name, Created: time.Now().UTC().Format(time.RFC3339),
		Backend: backends.Describe(backend)}, Root: root, Backend: backend, Progress: progress}, nil
}

// Logf writes one progress line (nothing when the job has no Progress writer).
func (j *Job) Logf(format string, args ...any) {
	if j.Progress != nil {
		fmt.Fprintf(j.Progress, format+"\n", args...)
	}
}

// Write saves a report as <dir>/<name>.json (indented JSON of report) and <dir>/<name>.md, each atomically.
func Write(dir, name string, report any, markdown string) error {
	return corpus.WriteReport(dir, name, report, markdown)
}
