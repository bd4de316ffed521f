// Package pipeline ties musicrep's pieces into the jobs the CLI and notebooks run. By concept:
//
//   - the Fairouz dataset (fairouz.go): LoadFairouz, computed feature files, training sets (TrainingData), the
//     leak-free graph features of a split; its split by artist (split.go): MakeSplit, WithValidation, Restrict,
//     Complete; a summary of it (summary.go);
//   - embeddings sets to score (sets.go): LoadEmbeddings, the raw-feature Baselines, and the sets of the joint
//     report (JointReportSets);
//   - feature extraction (features.go): the dispatcher over musicrep's extractors (ExtractFeatures);
//   - scoring (protocols.go, clustering.go, crossmodal.go, query.go): the paper and held-out protocols,
//     clustering, cross-modal retrieval, free-text queries, each giving a results.Table;
//   - jobs and their reports (reproduce.go, jointreport.go, selection.go): TrainAndExport, Reproduce,
//     RunJointReport, epoch selection on a validation split.
package pipeline

import (
	"fmt"
	"strings"
)

// ValidateRunName checks a run name before it becomes part of paths (checkpoints/<name>,
// embeddings/<name>.json, evaluation/results/<name>.md): letters, digits, '.', '_' and '-', not starting with
// '.', at most 100 characters. A name such as "../../x" would otherwise write outside those folders.
func ValidateRunName(name string) error {
	if name == "" {
		return fmt.Errorf("no run name given: pass -name NAME")
	}
	if len(name) > 100 || name[0] == '.' || strings.IndexFunc(name, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-')
	}) >= 0 {
		return fmt.Errorf("run name %q: use letters, digits, '.', '_' and '-' only (no '/', no leading '.', at most "+
			"100 characters): it names checkpoints/NAME and embeddings/NAME.*", name)
	}
	return nil
}
