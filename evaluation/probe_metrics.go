package evaluation

// Classification and tagging metrics with scikit-learn 1.9.1's definitions (checked against it in
// probe_golden_test.go):
//
//   - Accuracy: accuracy_score.
//   - MacroF1: f1_score(average="macro", zero_division=0) over the labels present in y_true or y_pred.
//   - ROCAUC: roc_auc_score of a binary target: the area under the ROC curve, tied scores forming one
//     (diagonal) step, i.e. the Mann-Whitney probability that a positive outscores a negative, ties counting
//     one half. Computed from integer counts, so exact up to one final division.
//   - AveragePrecision: average_precision_score: sum over the distinct score thresholds, from the highest, of
//     (R_k - R_{k-1}) P_k: step-wise, not interpolated; tied scores form one threshold.
//   - MacroROCAUC / MacroAveragePrecision (multi-label, average="macro") and MacroROCAUCOvR (multiclass,
//     multi_class="ovr", average="macro"): the unweighted mean of the per-label values.
//
// Undefined labels. Where scikit-learn fails or pollutes the mean, these functions skip the label and say so
// in LabelwiseScores.Skipped: ROC-AUC skips a label whose target column is all positive or all negative
// (scikit-learn: per-label nan with a warning, so a nan macro average; for multiclass OvR it raises
// "Number of classes in y_true not equal to the number of columns in 'y_score'"); AveragePrecision skips a
// label with no positive (scikit-learn: 0 for that label, with a warning, averaged in). A label with
// positives only has AP 1 and is kept. Over the labels kept, the values equal scikit-learn's on the same
// columns.

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
)

// Accuracy is the fraction of rows with yPred == yTrue.
func Accuracy(yTrue, yPred []int) (float64, error) {
	if len(yTrue) != len(yPred) || len(yTrue) == 0 {
		return 0, fmt.Errorf("evaluation: Accuracy: %d true and %d predicted labels: need equal, non-zero lengths", len(yTrue), len(yPred))
	}
	ok := 0
	for i, y := range yTrue {
		if yPred[i] == y {
			ok++
		}
	}
	return float64(ok) / float64(len(yTrue)), nil
}

// MacroF1 is the unweighted mean over the labels present in yTrue or yPred of F1 = 2 TP / (2 TP + FP + FN),
// as scikit-learn's f1_score(average="macro") with zero_division=0 (a label present only in yPred scores 0).
// Classes absent from both are not counted: to average over a fixed class list, as f1_score(labels=...),
// note that every absent class would add a 0.
func MacroF1(yTrue, yPred []int) (float64, error) {
	if len(yTrue) != len(yPred) || len(yTrue) == 0 {
		return 0, fmt.Errorf("evaluation: MacroF1: %d true and %d predicted labels: need equal, non-zero lengths", len(yTrue), len(yPred))
	}
	type counts struct{ tp, fp, fn int }
	per := map[int]*counts{}
	get := func(l int) *counts {
		c := per[l]
		if c == nil {
			c = new(counts)
			per[l] = c
		}
		return c
	}
	for i, y := range yTrue {
		p := yPred[i]
		if p == y {
			get(y).tp++
			continue
		}
		get(y).fn++
		get(p).fp++
	}
	labels := make([]int, 0, len(per))
	for l := range per {
		labels = append(labels, l)
	}
	slices.Sort(labels)
	sum := 0.0
	for _, l := range labels {
		c := per[l]
		sum += 2 * float64(c.tp) / float64(2*c.tp+c.fp+c.fn)
	}
	return sum / float64(len(labels)), nil
}

// ROCAUC is the area under the ROC curve of scores against a binary target (true = positive). It is an error
// when yTrue holds only one class (the area is undefined), when the lengths differ, or a score is NaN.
func ROCAUC(yTrue []bool, scores []float64) (float64, error) {
	order, pos, err := probeRankInput(yTrue, scores)
	if err != nil {
		return 0, fmt.Errorf("evaluation: ROCAUC: %w", err)
	}
	if pos == 0 || pos == len(yTrue) {
		return 0, fmt.Errorf("evaluation: ROCAUC: %d positives among %d rows: the ROC area needs both classes", pos, len(yTrue))
	}
	return probeROCAUC(yTrue, scores, order, pos), nil
}

// AveragePrecision is scikit-learn's average_precision_score of scores against a binary target. It is an
// error when yTrue has no positive (scikit-learn returns 0 with a warning), when the lengths differ, or a
// score is NaN.
func AveragePrecision(yTrue []bool, scores []float64) (float64, error) {
	order, pos, err := probeRankInput(yTrue, scores)
	if err != nil {
		return 0, fmt.Errorf("evaluation: AveragePrecision: %w", err)
	}
	if pos == 0 {
		return 0, fmt.Errorf("evaluation: AveragePrecision: no positive among %d rows: average precision is undefined", len(yTrue))
	}
	return probeAP(yTrue, scores, order, pos), nil
}

// LabelwiseScores is a per-label metric and its macro average.
type LabelwiseScores struct {
	// PerLabel holds the metric of every label (column), NaN for a skipped one.
	PerLabel []float64
	// Macro is the unweighted mean of PerLabel over the labels not skipped.
	Macro float64
	// Skipped lists the labels for which the metric is undefined (see the file comment), in increasing order.
	Skipped []int
}

// MacroROCAUC is ROCAUC of every column of a multi-label target y (n x numLabels, row-major) against the
// same column of scores, and their mean: roc_auc_score(average="macro"), skipping labels whose column is
// all positive or all negative. It is an error when every label is skipped.
func MacroROCAUC(y []bool, scores []float64, numLabels int) (*LabelwiseScores, error) {
	r, err := probeLabelwise(y, scores, numLabels, false)
	if err != nil {
		return nil, fmt.Errorf("evaluation: MacroROCAUC: %w", err)
	}
	return r, nil
}

// MacroAveragePrecision is AveragePrecision of every column of a multi-label target y (n x numLabels,
// row-major) against the same column of scores, and their mean: average_precision_score(average="macro"),
// skipping labels without any positive. It is an error when every label is skipped.
func MacroAveragePrecision(y []bool, scores []float64, numLabels int) (*LabelwiseScores, error) {
	r, err := probeLabelwise(y, scores, numLabels, true)
	if err != nil {
		return nil, fmt.Errorf("evaluation: MacroAveragePrecision: %w", err)
	}
	return r, nil
}

// MacroROCAUCOvR is the one-vs-rest ROC-AUC of every class c (class c against all others, scored by column
// c of scores, n x numClasses row-major, e.g. PredictProba) and their mean, as roc_auc_score(multi_class=
// "ovr", average="macro"). Classes absent from yTrue are skipped (scikit-learn raises); unlike scikit-learn,
// rows of scores need not sum to 1. Errors: a label outside [0, numClasses), sizes that do not match, NaN
// scores, fewer than two classes present.
func MacroROCAUCOvR(yTrue []int, scores []float64, numClasses int) (*LabelwiseScores, error) {
	if numClasses < 2 {
		return nil, fmt.Errorf("evaluation: MacroROCAUCOvR: numClasses must be at least 2, got %d", numClasses)
	}
	y := make([]bool, len(yTrue)*numClasses)
	for i, c := range yTrue {
		if c < 0 || c >= numClasses {
			return nil, fmt.Errorf("evaluation: MacroROCAUCOvR: label of row %d is %d, outside [0, %d)", i, c, numClasses)
		}
		y[i*numClasses+c] = true
	}
	r, err := probeLabelwise(y, scores, numClasses, false)
	if err != nil {
		return nil, fmt.Errorf("evaluation: MacroROCAUCOvR: %w", err)
	}
	return r, nil
}

func probeLabelwise(y []bool, scores []float64, numLabels int, ap bool) (*LabelwiseScores, error) {
	if numLabels < 1 {
		return nil, fmt.Errorf("numLabels must be positive, got %d", numLabels)
	}
	if len(y) != len(scores) || len(y)%numLabels != 0 || len(y) == 0 {
		return nil, fmt.Errorf("%d targets and %d scores: need equal, non-zero lengths, multiples of numLabels=%d", len(y), len(scores), numLabels)
	}
	n := len(y) / numLabels
	r := &LabelwiseScores{PerLabel: make([]float64, numLabels)}
	col := make([]bool, n)
	sc := make([]float64, n)
	sum, used := 0.0, 0
	for l := 0; l < numLabels; l++ {
		for i := 0; i < n; i++ {
			col[i], sc[i] = y[i*numLabels+l], scores[i*numLabels+l]
		}
		order, pos, err := probeRankInput(col, sc)
		if err != nil {
			return nil, fmt.Errorf("label %d: %w", l, err)
		}
		if pos == 0 || (!ap && pos == n) {
			r.PerLabel[l] = math.NaN()
			r.Skipped = append(r.Skipped, l)
			continue
		}
		if ap {
			r.PerLabel[l] = probeAP(col, sc, order, pos)
		} else {
			r.PerLabel[l] = probeROCAUC(col, sc, order, pos)
		}
		sum += r.PerLabel[l]
		used++
	}
	if used == 0 {
		return nil, errors.New("the metric is undefined for every label (no positives, or for ROC-AUC no negatives)")
	}
	r.Macro = sum / float64(used)
	return r, nil
}

// probeRankInput checks a binary target and its scores and returns the row order by decreasing score (stable)
// and the number of positives.
func probeRankInput(yTrue []bool, scores []float64) ([]int, int, error) {
	if len(yTrue) != len(scores) || len(yTrue) == 0 {
		return nil, 0, fmt.Errorf("%d targets and %d scores: need equal, non-zero lengths", len(yTrue), len(scores))
	}
	pos := 0
	for i, s := range scores {
		if math.IsNaN(s) {
			return nil, 0, fmt.Errorf("score of row %d is NaN", i)
		}
		if yTrue[i] {
			pos++
		}
	}
	order := make([]int, len(scores))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return scores[order[a]] > scores[order[b]] })
	return order, pos, nil
}

// probeROCAUC walks the distinct thresholds from the highest; each group of tied scores moves the ROC point
// from (fp, tp) to (fp + dfp, tp + dtp), adding the trapezoid dfp (2 tp + dtp) / 2. Twice the area is an
// integer, so the result is exact up to the final division.
func probeROCAUC(yTrue []bool, scores []float64, order []int, pos int) float64 {
	neg := len(order) - pos
	var tp, fp, area2 int64
	for g := 0; g < len(order); {
		var dtp, dfp int64
		s := scores[order[g]]
		for ; g < len(order) && scores[order[g]] == s; g++ {
			if yTrue[order[g]] {
				dtp++
			} else {
				dfp++
			}
		}
		area2 += dfp * (2*tp + dtp)
		tp += dtp
		fp += dfp
	}
	return float64(area2) / (2 * float64(pos) * float64(neg))
}

// probeAP sums (R_k - R_{k-1}) P_k over the distinct thresholds from the highest.
func probeAP(yTrue []bool, scores []float64, order []int, pos int) float64 {
	tp, seen := 0, 0
	ap := 0.0
	for g := 0; g < len(order); {
		dtp := 0
		s := scores[order[g]]
		for ; g < len(order) && scores[order[g]] == s; g++ {
			seen++
			if yTrue[order[g]] {
				dtp++
			}
		}
		tp += dtp
		if dtp > 0 {
			ap += float64(dtp) / float64(pos) * (float64(tp) / float64(seen))
		}
	}
	return ap
}
