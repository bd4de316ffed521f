#!/usr/bin/env python3
"""Reference for musicrep/cf: a synthetic playlist dataset with planted taste clusters, a held-out split, and the
playlist-continuation quality and time of the `implicit` package's BPR (the library a user would otherwise run).

Command that produced musicrep/cf/testdata/cf_synthetic.json (from the repository root):

    python3 -m venv .venv-cf && .venv-cf/bin/pip install -r scripts/golden/requirements-cf.txt
    .venv-cf/bin/python scripts/golden/cf.py --out musicrep/cf/testdata/cf_synthetic.json

Data: 600 items in 12 clusters (popularity Zipf-skewed within each), 900 playlists of 8-30 items, each drawn 85 %
from one cluster and 15 % uniformly; 20 % of every playlist (at least one item) is held out. implicit's BPR is
trained on the visible part (factors 64, 60 epochs, lr 0.05, reg 0.01, 1 thread, seed 42) and scored with
recommend(filter_already_liked_items=True); HR@10 = held-out items in the top 10 / all held-out items.
"""
import argparse, json, time
import numpy as np
import scipy.sparse as sp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--threads", type=int, default=1, help="implicit's num_threads (the golden file: 1)")
    args = ap.parse_args()
    rng = np.random.default_rng(7)
    n_items, n_clusters, n_playlists = 600, 12, 900
    cluster = np.arange(n_items) % n_clusters
    pop = 1.0 / (1 + rng.permutation(n_items)) ** 0.6
    playlists = []
    for _ in range(n_playlists):
        c = rng.integers(n_clusters)
        size = int(rng.integers(8, 31))
        members = np.flatnonzero(cluster == c)
        w = pop[members] / pop[members].sum()
        items = set()
        while len(items) < size:
            if rng.random() < 0.85:
                items.add(int(rng.choice(members, p=w)))
            else:
                items.add(int(rng.integers(n_items)))
        playlists.append(sorted(items))
    visible, held = [], []
    for items in playlists:
        s = list(rng.permutation(items))
        n = max(1, round(0.2 * len(s)))
        visible.append(sorted(int(x) for x in s[:-n]))
        held.append(sorted(int(x) for x in s[-n:]))

    import implicit
    from threadpoolctl import threadpool_limits
    rows = [p for p, it in enumerate(visible) for _ in it]
    cols = [i for it in visible for i in it]
    ui = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(n_playlists, n_items))
    results = {}
    with threadpool_limits(args.threads):
        model = implicit.bpr.BayesianPersonalizedRanking(factors=64, learning_rate=0.05, regularization=0.01,
                                                         iterations=60, num_threads=args.threads, random_state=42)
        t0, c0 = time.perf_counter(), time.process_time()
        model.fit(ui, show_progress=False)
        fit_s, fit_cpu = time.perf_counter() - t0, time.process_time() - c0
        ids, _ = model.recommend(np.arange(n_playlists), ui, N=10, filter_already_liked_items=True)
    hits = sum(len(set(ids[p].tolist()) & set(held[p])) for p in range(n_playlists))
    total = sum(len(h) for h in held)
    ndcg = 0.0
    for p in range(n_playlists):
        want = set(held[p])
        dcg = sum(1 / np.log2(r + 2) for r, i in enumerate(ids[p].tolist()) if i in want)
        ideal = sum(1 / np.log2(r + 2) for r in range(min(len(want), 10)))
        ndcg += dcg / ideal
    results["implicit_bpr"] = {"hr@10": hits / total, "ndcg@10": ndcg / n_playlists, "fit_seconds": fit_s, "fit_cpu_seconds": fit_cpu,
                               "factors": 64, "iterations": 60, "threads": args.threads, "version": implicit.__version__}
    json.dump({"num_items": n_items, "visible": visible, "held_out": held, "reference": results},
              open(args.out, "w"))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
