#!/usr/bin/env python3
"""Golden values for the linear probes and classification / tagging metrics of package evaluation.

Writes evaluation/testdata/golden_probe.json, read by evaluation/probe_golden_test.go. Every number in it comes
from scikit-learn (versions recorded in the file's "meta"). Regenerate from the repository root with:

    python3 -m venv .venv-golden
    .venv-golden/bin/pip install -r scripts/golden/requirements.txt
    .venv-golden/bin/python scripts/golden/make_probe_golden.py --out evaluation/testdata/golden_probe.json

Inputs are synthetic, drawn from numpy's RandomState(seed) and rounded to float32; they are written into the
JSON (shortest float32 representation: Go parses them to the identical float32). Results are float64 (repr).

  * "multiclass": 3 overlapping Gaussian classes in 8-d (unequal sizes), 300 train / 120 test rows.
    LogisticRegression (multinomial, lbfgs) at C=1.0 and C=0.1; also the 2-class subset (binary model) and
    the same data with badly scaled columns after StandardScaler.
  * "multilabel": 10-d features, 5 labels of different prevalence from noisy linear rules, 300 train / 120
    test rows; OneVsRestClassifier(LogisticRegression(C=1.0)).
  * metric cases: per-label / macro ROC-AUC and average precision on the fitted scores, on the same scores
    rounded to one decimal (many ties), on hand-made binary cases with ties, and on a multi-label target with
    undefined labels; accuracy and macro-F1 on fixed label vectors.

The models are fitted to tight convergence, not with scikit-learn's defaults (lbfgs, tol=1e-4, max_iter=100),
whose solution is only approximately optimal. The reference is solver="newton-cholesky" with tol=1e-10 (the same
objective as lbfgs; it reaches a gradient of ~1e-12, whereas lbfgs stops on its ftol=64*eps test near 1e-8);
each fit is cross-checked against solver="lbfgs" with tol=1e-10, max_iter=10000 (the script stops if they
disagree by more than 1e-5) and the largest absolute gradient component of the objective at the reference
solution is recomputed in numpy ("grad_max"). How far lbfgs with the default settings lands from the optimum
is recorded as "default_tol_coef_max_abs_diff".
"""

import argparse
import json
import os
import platform
import shlex
import sys
import warnings

import numpy as np
import scipy
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, average_precision_score, f1_score, roc_auc_score
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import StandardScaler

TIGHT = dict(tol=1e-10, max_iter=10000)
REF_SOLVER = "newton-cholesky"


def f32list(a):
    """float32 values as Python floats whose repr is the shortest float32 representation."""
    return [float(str(v)) for v in np.asarray(a, dtype=np.float32).ravel()]


def f64list(a):
    return [float(v) for v in np.asarray(a, dtype=np.float64).ravel()]


def intlist(a):
    return [int(v) for v in np.asarray(a).ravel()]


def boollist(a):
    return [bool(v) for v in np.asarray(a).ravel()]


def fit_lr(X, y, C, **kw):
    return LogisticRegression(C=C, **kw).fit(X.astype(np.float64), y)


def grad_max(m, X, y, C):
    """Largest absolute component of the gradient of scikit-learn's objective (mean log-loss + ||W||^2/(2Cn))."""
    X = np.asarray(X, dtype=np.float64)
    n = X.shape[0]
    Z = X @ m.coef_.T + m.intercept_
    if m.coef_.shape[0] == 1:
        E = 1 / (1 + np.exp(-Z)) - (np.asarray(y) == m.classes_[1])[:, None]
    else:
        Z = Z - Z.max(axis=1, keepdims=True)
        P = np.exp(Z)
        P /= P.sum(axis=1, keepdims=True)
        E = P - (np.asarray(y)[:, None] == m.classes_[None, :])
    gW = E.T @ X / n + m.coef_ / (C * n)
    gb = E.sum(axis=0) / n
    return float(max(np.abs(gW).max(), np.abs(gb).max()))


def check_margins(name, P):
    """Guard: the predicted class must not hinge on the last digits of the probabilities."""
    P = np.asarray(P)
    if P.shape[1] > 1:
        top2 = np.sort(P, axis=1)[:, -2:]
        margin = (top2[:, 1] - top2[:, 0]).min()
        if margin < 1e-6:
            raise SystemExit(f"{name}: a row's two best classes are {margin:.3g} apart; pick another seed")


def centered(b):
    b = np.asarray(b, dtype=np.float64)
    return b - b.mean() if b.size > 1 else b


def lr_case(name, Xtr, ytr, Xte, yte, C):
    """A LogisticRegression fit to tight convergence, cross-checked against lbfgs."""
    m = fit_lr(Xtr, ytr, C, solver=REF_SOLVER, tol=1e-10, max_iter=1000)
    ref = fit_lr(Xtr, ytr, C, solver="lbfgs", **TIGHT)
    dc = np.abs(m.coef_ - ref.coef_).max()
    di = np.abs(centered(m.intercept_) - centered(ref.intercept_)).max()
    if dc > 1e-5 or di > 1e-5:
        raise SystemExit(f"{name}: {REF_SOLVER} and lbfgs disagree by {dc:.3g} (coef) {di:.3g} (intercept)")
    gmax = grad_max(m, Xtr, ytr, C)
    if gmax > 1e-9:
        raise SystemExit(f"{name}: reference not converged, gradient {gmax:.3g}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning of max_iter=100
        default = fit_lr(Xtr, ytr, C)  # scikit-learn's defaults, for the record only
    P = m.predict_proba(Xte.astype(np.float64))
    check_margins(name, P)
    pred = m.predict(Xte.astype(np.float64))
    k = len(m.classes_)
    out = {
        "name": name,
        "C": C,
        "num_classes": k,
        "coef": f64list(m.coef_),
        "intercept": f64list(m.intercept_),
        "intercept_sum": float(np.sum(m.intercept_)),
        "n_iter": int(m.n_iter_[0]),
        "solver": REF_SOLVER,
        "grad_max": gmax,
        "lbfgs_tight_max_abs_diff": float(max(dc, di)),
        "default_tol_coef_max_abs_diff": float(np.abs(default.coef_ - m.coef_).max()),
        "proba": f64list(P),
        "decision": f64list(m.decision_function(Xte.astype(np.float64))),
        "pred": intlist(pred),
        "accuracy": float(accuracy_score(yte, pred)),
        "macro_f1": float(f1_score(yte, pred, average="macro", zero_division=0)),
    }
    if k > 2:
        out["macro_roc_auc_ovr"] = float(roc_auc_score(yte, P, multi_class="ovr", average="macro"))
        out["per_class_roc_auc_ovr"] = [float(roc_auc_score(yte == c, P[:, c])) for c in range(k)]
    else:
        out["roc_auc"] = float(roc_auc_score(yte, P[:, 1]))
        out["average_precision"] = float(average_precision_score(yte, P[:, 1]))
    return out


def labelwise(y, S):
    """Per-label ROC-AUC / AP with scikit-learn, and macro averages over the labels where each is defined."""
    y = np.asarray(y, dtype=int)
    S = np.asarray(S, dtype=np.float64)
    L = y.shape[1]
    pos = y.sum(axis=0)
    auc_ok = [l for l in range(L) if 0 < pos[l] < y.shape[0]]
    ap_ok = [l for l in range(L) if pos[l] > 0]
    auc = [float(roc_auc_score(y[:, l], S[:, l])) if l in auc_ok else None for l in range(L)]
    ap = [float(average_precision_score(y[:, l], S[:, l])) if l in ap_ok else None for l in range(L)]
    out = {
        "per_label_roc_auc": auc,
        "per_label_average_precision": ap,
        "macro_roc_auc": float(roc_auc_score(y[:, auc_ok], S[:, auc_ok], average="macro")),
        "macro_average_precision": float(average_precision_score(y[:, ap_ok], S[:, ap_ok], average="macro")),
        "roc_auc_skipped": [l for l in range(L) if l not in auc_ok],
        "average_precision_skipped": [l for l in range(L) if l not in ap_ok],
    }
    # What scikit-learn itself reports on all labels (nan / a 0 averaged in), for the record.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            full = float(roc_auc_score(y, S, average="macro"))
            out["sklearn_all_labels_macro_roc_auc"] = None if np.isnan(full) else full
        except ValueError as e:
            out["sklearn_all_labels_macro_roc_auc"] = f"ValueError: {e}"
        out["sklearn_all_labels_macro_average_precision"] = float(average_precision_score(y, S, average="macro"))
    return out


def gaussian_classes(rs, n_train, n_test, dim, means, probs):
    def draw(n):
        y = rs.choice(len(means), size=n, p=probs)
        X = means[y] + rs.normal(size=(n, dim))
        return X.astype(np.float32), y

    Xtr, ytr = draw(n_train)
    Xte, yte = draw(n_test)
    return Xtr, ytr, Xte, yte


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="evaluation/testdata/golden_probe.json")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    out = {
        "meta": {
            "generator": "scripts/golden/make_probe_golden.py",
            "command": " ".join(shlex.quote(a) for a in [os.path.relpath(sys.executable)] + sys.argv),
            "python": platform.python_version(),
            "sklearn": sklearn.__version__,
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "platform": platform.platform(),
            "fit": "LogisticRegression(solver='newton-cholesky', tol=1e-10), checked against lbfgs tol=1e-10",
        }
    }
    rs = np.random.RandomState(args.seed)

    # ---- multiclass: 3 Gaussian classes in 8-d ---------------------------------------------------------------
    dim = 8
    means = rs.normal(scale=1.2, size=(3, dim))
    Xtr, ytr, Xte, yte = gaussian_classes(rs, 300, 120, dim, means, [0.45, 0.35, 0.2])
    mc = {"dim": dim, "num_classes": 3, "n_train": 300, "n_test": 120,
          "x_train": f32list(Xtr), "y_train": intlist(ytr), "x_test": f32list(Xte), "y_test": intlist(yte)}
    mc["fits"] = [lr_case("multiclass_C1", Xtr, ytr, Xte, yte, 1.0), lr_case("multiclass_C0.1", Xtr, ytr, Xte, yte, 0.1)]

    # binary: classes 0 and 1 only
    tr, te = ytr < 2, yte < 2
    mc["binary"] = {"train_rows": intlist(np.flatnonzero(tr)), "test_rows": intlist(np.flatnonzero(te)),
                    "fit": lr_case("binary_C1", Xtr[tr], ytr[tr], Xte[te], yte[te], 1.0)}

    # badly scaled columns, standardised (StandardScaler fitted on the training rows)
    scale = np.float32(10.0) ** np.arange(-2, 2, 0.5, dtype=np.float32)
    offset = np.arange(dim, dtype=np.float32) * np.float32(3)
    Xtr_s, Xte_s = (Xtr * scale + offset).astype(np.float32), (Xte * scale + offset).astype(np.float32)
    sc = StandardScaler().fit(Xtr_s.astype(np.float64))
    Ztr, Zte = sc.transform(Xtr_s.astype(np.float64)), sc.transform(Xte_s.astype(np.float64))
    mc["standardized"] = {"x_train": f32list(Xtr_s), "x_test": f32list(Xte_s), "mean": f64list(sc.mean_),
                          "scale": f64list(sc.scale_), "z_test": f64list(Zte),
                          "fit": lr_case("standardized_C1", Ztr, ytr, Zte, yte, 1.0)}
    out["multiclass"] = mc

    # ---- multi-label: 5 labels in 10-d -------------------------------------------------------------------------
    dim, L = 10, 5
    W = rs.normal(size=(L, dim))
    thresholds = np.array([0.0, 1.0, 2.0, -0.5, 1.5]) * np.sqrt(dim)  # prevalences from ~50 % down to a few %

    def draw_ml(n):
        X = rs.normal(size=(n, dim)).astype(np.float32)
        Y = (X.astype(np.float64) @ W.T + rs.normal(scale=1.5, size=(n, L)) > thresholds).astype(int)
        return X, Y

    Xtr, Ytr = draw_ml(300)
    Xte, Yte = draw_ml(120)
    if (Ytr.sum(axis=0) == 0).any() or (Yte.sum(axis=0) == 0).any():
        raise SystemExit("multilabel: a label without positives; pick another seed")
    ovr = OneVsRestClassifier(LogisticRegression(C=1.0, solver=REF_SOLVER, tol=1e-10, max_iter=1000))
    ovr.fit(Xtr.astype(np.float64), Ytr)
    S = ovr.predict_proba(Xte.astype(np.float64))
    for l, est in enumerate(ovr.estimators_):
        ref = fit_lr(Xtr, Ytr[:, l], 1.0, solver="lbfgs", **TIGHT)
        d = max(np.abs(est.coef_ - ref.coef_).max(), np.abs(est.intercept_ - ref.intercept_).max())
        g = grad_max(est, Xtr, Ytr[:, l], 1.0)
        if d > 1e-5 or g > 1e-9:
            raise SystemExit(f"multilabel label {l}: {REF_SOLVER} and lbfgs disagree by {d:.3g}, gradient {g:.3g}")
    S_tied = np.round(S, 1)
    ml = {"dim": dim, "num_labels": L, "n_train": 300, "n_test": 120,
          "x_train": f32list(Xtr), "y_train": boollist(Ytr), "x_test": f32list(Xte), "y_test": boollist(Yte),
          "C": 1.0,
          "coef": f64list(np.vstack([e.coef_ for e in ovr.estimators_])),
          "intercept": f64list(np.concatenate([e.intercept_ for e in ovr.estimators_])),
          "scores": f64list(S),
          "metrics": labelwise(Yte, S),
          "scores_tied": f64list(S_tied),
          "metrics_tied": labelwise(Yte, S_tied)}
    # undefined labels: label 1 without positives, label 3 all positive
    Ybad = Yte.copy()
    Ybad[:, 1] = 0
    Ybad[:, 3] = 1
    ml["y_degenerate"] = boollist(Ybad)
    ml["metrics_degenerate"] = labelwise(Ybad, S_tied)
    out["multilabel"] = ml

    # ---- binary metric cases with ties -------------------------------------------------------------------------
    bin_cases = []

    def bin_case(name, y, s):
        y = np.asarray(y, dtype=int)
        s = np.asarray(s, dtype=np.float64)
        bin_cases.append({"name": name, "y": boollist(y), "scores": f64list(s),
                          "roc_auc": float(roc_auc_score(y, s)),
                          "average_precision": float(average_precision_score(y, s))})

    bin_case("all_tied", [0, 1, 0, 1, 1], [0.5] * 5)
    bin_case("perfect", [0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
    bin_case("inverted", [1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9])
    bin_case("tie_across_classes", [1, 0, 1, 0, 0, 1], [0.9, 0.9, 0.4, 0.4, 0.1, 0.8])
    bin_case("negative_scores_ties", [0, 1, 1, 0, 1, 0, 0], [-1.0, -2.0, -1.0, -3.0, 0.0, -2.0, -2.0])
    bin_case("random_int_scores_200", rs.randint(0, 2, 200), rs.randint(0, 5, 200))
    bin_case("random_rare_300", (rs.rand(300) < 0.05).astype(int), np.round(rs.rand(300), 2))
    bin_case("one_positive", [0, 0, 1, 0], [0.3, 0.3, 0.3, 0.1])
    out["binary_metric_cases"] = bin_cases

    # ---- accuracy / macro-F1 on fixed label vectors ------------------------------------------------------------
    lab_cases = []

    def lab_case(name, a, b):
        lab_cases.append({"name": name, "y_true": intlist(a), "y_pred": intlist(b),
                          "accuracy": float(accuracy_score(a, b)),
                          "macro_f1": float(f1_score(a, b, average="macro", zero_division=0))})

    lab_case("perfect", [0, 1, 2, 2], [0, 1, 2, 2])
    lab_case("pred_only_label", [0, 0, 1, 2], [0, 1, 1, 3])
    lab_case("never_predicted", [0, 1, 2, 2, 1], [0, 0, 0, 0, 0])
    lab_case("sparse_labels", [5, -1, 5, 9, 9, 9], [5, 5, -1, 9, 9, 2])
    lab_case("random_300_4", rs.randint(0, 4, 300), rs.randint(0, 4, 300))
    out["label_metric_cases"] = lab_cases

    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes)")


if __name__ == "__main__":
    main()
