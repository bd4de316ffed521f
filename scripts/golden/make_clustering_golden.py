#!/usr/bin/env python3
"""Golden values for the clustering / projection code of package evaluation.

Writes evaluation/testdata/golden_clustering.json, read by evaluation/analysis_golden_test.go. Every number in it
comes from scikit-learn (versions recorded in the file's "meta"). Regenerate from the repository root with:

    python3 -m venv .venv-golden
    .venv-golden/bin/pip install -r scripts/golden/requirements.txt
    .venv-golden/bin/python scripts/golden/make_clustering_golden.py \
        --data ../shared/data/fairouz --out evaluation/testdata/golden_clustering.json

Inputs are fixed:
  * "blobs": a small synthetic data set (sklearn.datasets.make_blobs, random_state=0) rounded to float32 and
    written into the JSON itself, so the Go tests that use it need nothing else;
  * "real": the first 200 rows (and, for a few scalar values, all 822 rows) of the Fairouz VGGish audio embeddings
    in file order (embeddings/audio/vggish.json), labelled by each track's first Deezer genre
    (tracks_contextualized.json; "<none>" for tracks without a genre). The embeddings are NOT copied into the JSON
    (size): the Go tests read them from the shared data folder and check the row ids against the sha256 stored
    here. --no-real skips this part.

Floats that are inputs are float32 values written with their shortest float32 representation (Go parses them
with strconv.ParseFloat(s, 32) to the identical float32); results are float64 written with Python's repr.
"""

import argparse
import hashlib
import json
import os
import platform
import shlex
import sys
import time

import numpy as np
import scipy
import sklearn
from scipy.spatial.distance import squareform
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE, trustworthiness
from sklearn.manifold._t_sne import _joint_probabilities
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score, silhouette_samples, silhouette_score


def f32list(a):
    """float32 values as Python floats whose repr is the shortest float32 representation."""
    return [float(str(v)) for v in np.asarray(a, dtype=np.float32).ravel()]


def f64list(a):
    return [float(v) for v in np.asarray(a, dtype=np.float64).ravel()]


def intlist(a):
    return [int(v) for v in np.asarray(a).ravel()]


def exact_sqdist(X32):
    """Squared Euclidean distances computed directly (differences and sum in float64), as the Go code does."""
    X = X32.astype(np.float64)
    return ((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=-1)


def min_rel_gap(sorted_rows):
    """Smallest relative gap between consecutive values of each (sorted) row: guards against near-ties that could
    make neighbour ranks depend on rounding."""
    d = np.diff(sorted_rows, axis=1)
    scale = np.maximum(sorted_rows[:, 1:], 1e-300)
    return float((d / scale).min())


def trust_case(name, X32, low32, k):
    high = X32.astype(np.float64)
    low = low32.astype(np.float64)
    # Tie guard: the high-space ranks and the low-space k-NN must not depend on the last bits of a distance.
    dh = np.sqrt(exact_sqdist(X32))
    np.fill_diagonal(dh, np.inf)
    dl = np.sqrt(exact_sqdist(low32))
    np.fill_diagonal(dl, np.inf)
    gap_h = min_rel_gap(np.sort(dh, axis=1)[:, :-1])
    sl = np.sort(dl, axis=1)
    gap_l = float(((sl[:, k] - sl[:, k - 1]) / sl[:, k]).min())
    if gap_h < 1e-9 or gap_l < 1e-9:
        raise SystemExit(f"{name}: near-tie in neighbour distances (gap high {gap_h}, low {gap_l}); pick other inputs")
    return {"name": name, "k": k, "value": float(trustworthiness(high, low, n_neighbors=k))}


def pca_case(X32, n_components):
    p = PCA(n_components=n_components, svd_solver="full")
    proj = p.fit_transform(X32.astype(np.float64))
    comps = p.components_
    # Sign-convention guard: the largest |loading| of each component must be clearly the largest, otherwise the
    # sign fixed by svd_flip would hinge on rounding.
    for c in comps:
        a = np.sort(np.abs(c))[::-1]
        if a[0] - a[1] < 1e-6:
            raise SystemExit("PCA: two loadings of equal magnitude; sign convention ill-defined for this input")
    ev_all = PCA(svd_solver="full").fit(X32.astype(np.float64)).explained_variance_
    return {
        "components": n_components,
        "projected": f64list(proj),
        "components_matrix": f64list(comps),
        "explained_variance": f64list(p.explained_variance_),
        "explained_variance_ratio": f64list(p.explained_variance_ratio_),
        "eigen_gaps_relative": f64list(-np.diff(ev_all[: n_components + 1]) / ev_all[0]),
    }


def tsne_case(X32, seed, perplexity=30.0):
    t0 = time.time()
    ts = TSNE(n_components=2, perplexity=perplexity, method="exact", init="pca", random_state=seed,
              learning_rate="auto", early_exaggeration=12.0, max_iter=1000)
    emb = ts.fit_transform(X32)
    secs = time.time() - t0
    emb32 = emb.astype(np.float32)
    return emb32, {
        "perplexity": perplexity,
        "seed": seed,
        "kl_divergence": float(ts.kl_divergence_),
        "n_iter": int(ts.n_iter_),
        "learning_rate": float(ts.learning_rate_),
        "sklearn_seconds": round(secs, 2),
    }


def label_case(name, a, b):
    return {
        "name": name,
        "a": intlist(a),
        "b": intlist(b),
        "nmi": float(normalized_mutual_info_score(a, b)),
        "ari": float(adjusted_rand_score(a, b)),
    }


def kmeans_case(name, X32, k, seed=0, n_init=10, with_labels=True):
    km = KMeans(n_clusters=k, n_init=n_init, random_state=seed, algorithm="lloyd").fit(X32.astype(np.float64))
    out = {"name": name, "k": k, "n_init": n_init, "seed": seed, "inertia": float(km.inertia_),
           "n_iter": int(km.n_iter_)}
    if with_labels:
        out["labels"] = intlist(km.labels_)
        out["centers"] = f64list(km.cluster_centers_)
    return out, km.labels_


def load_real(data_dir):
    with open(os.path.join(data_dir, "embeddings", "audio", "vggish.json")) as f:
        rows = json.load(f)
    with open(os.path.join(data_dir, "tracks_contextualized.json")) as f:
        tracks = json.load(f)
    ids = [r["id"] for r in rows]
    X = np.array([r["embedding"] for r in rows], dtype=np.float32)
    first = [(tracks[i]["genres"] or ["<none>"])[0] for i in ids]
    return ids, X, first


def ids_sha(ids):
    return hashlib.sha256("\n".join(ids).encode()).hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="../shared/data/fairouz", help="Fairouz data folder")
    ap.add_argument("--out", default="evaluation/testdata/golden_clustering.json")
    ap.add_argument("--no-real", action="store_true", help="skip the part derived from the Fairouz embeddings")
    ap.add_argument("--no-822", action="store_true", help="skip the (slow, ~1 min) sklearn t-SNE on all 822 rows")
    args = ap.parse_args()

    out = {
        "meta": {
            "generator": "scripts/golden/make_clustering_golden.py",
            "command": " ".join(shlex.quote(a) for a in [os.path.relpath(sys.executable)] + sys.argv),
            "python": platform.python_version(),
            "sklearn": sklearn.__version__,
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "platform": platform.platform(),
        }
    }

    # ---- synthetic blobs: written into the JSON --------------------------------------------------------------
    Xb, yb = make_blobs(n_samples=120, n_features=8, centers=4, cluster_std=1.0, center_box=(-10, 10),
                        random_state=0)
    Xb32 = Xb.astype(np.float32)
    out["blobs"] = {"n": int(Xb32.shape[0]), "dim": int(Xb32.shape[1]), "data": f32list(Xb32),
                    "labels": intlist(yb)}

    # ---- NMI / ARI on fixed label vectors ----------------------------------------------------------------------
    rs = np.random.RandomState(0)
    cases = [
        label_case("identical_permuted", [0, 0, 1, 1, 2, 2], [2, 2, 0, 0, 1, 1]),
        label_case("split", [0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2]),
        label_case("one_vs_one", [0, 0, 0, 0], [5, 5, 5, 5]),
        label_case("one_vs_all_distinct", [0, 0, 0, 0, 0], [0, 1, 2, 3, 4]),
        label_case("all_distinct_both", [0, 1, 2, 3, 4], [4, 3, 2, 1, 0]),
        label_case("negative_sparse_labels", [-1, -1, 7, 7, 7, 1000, 3], [2, 2, 2, -5, -5, 9, 9]),
        label_case("independent_like", [0, 0, 1, 1], [0, 1, 0, 1]),
        label_case("random_200_5x7", rs.randint(0, 5, 200), rs.randint(0, 7, 200)),
        label_case("random_300_3x3", rs.randint(0, 3, 300), rs.randint(0, 3, 300)),
        label_case("single", [3], [8]),
    ]

    # ---- k-means on well-separated blobs ------------------------------------------------------------------------
    km_blobs, km_blob_labels = kmeans_case("blobs", Xb32, 4)
    out["kmeans"] = [km_blobs]
    cases.append(label_case("blobs_true_vs_kmeans", yb, km_blob_labels))

    # ---- silhouette ----------------------------------------------------------------------------------------------
    sing = yb.copy()
    sing[0] = 9  # a singleton cluster: its sample's silhouette is 0 by convention
    sil = []
    for name, lab in [("blobs_true", yb), ("blobs_singleton", sing), ("blobs_k2_parity", yb % 2)]:
        X64 = Xb32.astype(np.float64)
        sil.append({"name": name, "dataset": "blobs", "labels": intlist(lab),
                    "score": float(silhouette_score(X64, lab)),
                    "samples": f64list(silhouette_samples(X64, lab))})
    out["silhouette"] = sil

    # ---- PCA -----------------------------------------------------------------------------------------------------
    out["pca"] = [dict(name="blobs", dataset="blobs", **pca_case(Xb32, 3))]

    # ---- t-SNE: joint P on exact distances, sklearn's exact t-SNE, trustworthiness -------------------------------
    Pb = _joint_probabilities(exact_sqdist(Xb32), 30.0, 0)
    out["tsne_p"] = [{"name": "blobs_p30", "dataset": "blobs", "perplexity": 30.0, "p_condensed": f64list(Pb)}]
    # perplexity 5 (sharp kernels, many binary-search steps): row sums and every 7th row of the square matrix
    Pb5sq = squareform(_joint_probabilities(exact_sqdist(Xb32), 5.0, 0))
    rows5 = list(range(0, 120, 7))
    out["tsne_p"].append({"name": "blobs_p5", "dataset": "blobs", "perplexity": 5.0,
                          "row_sums": f64list(Pb5sq.sum(axis=1)), "sample_rows": rows5,
                          "sample_p_rows": [f64list(Pb5sq[i]) for i in rows5]})

    emb_b, info_b = tsne_case(Xb32, seed=0)
    out["tsne"] = [dict(name="blobs", dataset="blobs", embedding=f32list(emb_b), **info_b)]
    proj2 = np.asarray(out["pca"][0]["projected"], dtype=np.float64).reshape(120, 3)[:, :2].astype(np.float32)
    out["trustworthiness"] = []
    for k in (5, 10):
        c = trust_case(f"blobs_pca2_k{k}", Xb32, proj2, k)
        c.update(dataset="blobs", low_source="pca_first2", low=f32list(proj2), low_dim=2)
        out["trustworthiness"].append(c)
        c = trust_case(f"blobs_tsne_k{k}", Xb32, emb_b, k)
        c.update(dataset="blobs", low_source="tsne:blobs", low_dim=2)
        out["trustworthiness"].append(c)

    # ---- real data: first 200 VGGish rows, all 822 for a few scalars ---------------------------------------------
    if not args.no_real:
        ids, X, genre = load_real(args.data)
        names = sorted(set(genre))
        lab_all = np.array([names.index(g) for g in genre])
        n = 200
        X200 = X[:n]
        lab200 = lab_all[:n]
        real = {
            "source": "embeddings/audio/vggish.json (file order) + tracks_contextualized.json first genre",
            "label_names": names,
            "n200": {"n": n, "dim": int(X.shape[1]), "ids_sha256": ids_sha(ids[:n]), "labels": intlist(lab200)},
            "n822": {"n": len(ids), "dim": int(X.shape[1]), "ids_sha256": ids_sha(ids), "labels": intlist(lab_all)},
        }
        r2 = real["n200"]
        X200_64 = X200.astype(np.float64)
        r2["silhouette_genre"] = float(silhouette_score(X200_64, lab200))
        r2["silhouette_genre_samples"] = f64list(silhouette_samples(X200_64, lab200))
        r2["pca"] = pca_case(X200, 3)
        km, km_lab = kmeans_case("real200_k10", X200, 10)
        r2["kmeans"] = km
        cases.append(label_case("real200_genre_vs_kmeans10", lab200, km_lab))

        P = _joint_probabilities(exact_sqdist(X200), 30.0, 0)
        Psq = squareform(P)
        rs2 = np.random.RandomState(1)
        si = rs2.randint(0, n, 3000)
        sj = rs2.randint(0, n, 3000)
        keep = si != sj
        si, sj = si[keep], sj[keep]
        # the largest entry of every row too: the ones that matter most for the map
        top = Psq.argmax(axis=1)
        si = np.concatenate([si, np.arange(n)])
        sj = np.concatenate([sj, top])
        r2["tsne_p"] = {"perplexity": 30.0, "row_sums": f64list(Psq.sum(axis=1)), "sample_i": intlist(si),
                        "sample_j": intlist(sj), "sample_p": f64list(Psq[si, sj])}

        emb, info = tsne_case(X200, seed=0)
        r2["tsne"] = dict(embedding=f32list(emb), **info)
        r2["trustworthiness"] = []
        for k in (5, 10, 20):
            c = trust_case(f"real200_tsne_k{k}", X200, emb, k)
            r2["trustworthiness"].append(c)

        r8 = real["n822"]
        X822_64 = X.astype(np.float64)
        r8["silhouette_genre"] = float(silhouette_score(X822_64, lab_all))
        r8["pca_explained_variance_ratio"] = f64list(PCA(n_components=5, svd_solver="full").fit(X822_64)
                                                     .explained_variance_ratio_)
        km8, km8_lab = kmeans_case("real822_k10", X, 10, with_labels=False)
        r8["kmeans"] = km8
        cases.append(label_case("real822_genre_vs_kmeans10", lab_all, km8_lab))
        if not args.no_822:
            emb8, info8 = tsne_case(X, seed=0)
            r8["tsne"] = info8
            r8["tsne"]["trustworthiness"] = {str(k): float(trustworthiness(X822_64, emb8.astype(np.float64),
                                                                           n_neighbors=k)) for k in (5, 10)}
        out["real"] = real

    out["label_cases"] = cases
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes)")


if __name__ == "__main__":
    main()
