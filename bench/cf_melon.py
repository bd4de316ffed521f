#!/usr/bin/env python3
"""implicit's BPR on the split written by bench/cfmelon (same visible/held-out playlists, same factors/epochs,
lr 0.05, reg 0.01, as many threads as bench/cfmelon's -threads: one unless given); prints HR@10, nDCG@10 and
the fit time (wall and CPU) next to musicrep's, with 95 % bootstrap intervals over playlists for each model's HR@10 and for the paired difference musicrep − implicit.

    .venv-cf/bin/python bench/cf_melon.py out/bench/cf_melon_split.json
"""
import json, sys, time
import numpy as np
import scipy.sparse as sp
import implicit
from threadpoolctl import threadpool_limits

d = json.load(open(sys.argv[1]))
vis, held, n = d["visible"], d["held_out"], d["num_items"]
threads = d.get("threads", 1)
rows = [p for p, it in enumerate(vis) for _ in it]
cols = [i for it in vis for i in it]
ui = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(vis), n))
with threadpool_limits(threads):
    m = implicit.bpr.BayesianPersonalizedRanking(factors=d["factors"], learning_rate=0.05, regularization=0.01,
                                                 iterations=d["epochs"], num_threads=threads, random_state=42)
    t0, c0 = time.perf_counter(), time.process_time()
    m.fit(ui, show_progress=False)
    fit, fit_cpu = time.perf_counter() - t0, time.process_time() - c0
    users = [p for p in range(len(vis)) if held[p]]
    ids, _ = m.recommend(np.array(users), ui[users], N=10, filter_already_liked_items=True)
hits = total = 0; ndcg = 0.0
ihits = np.zeros(len(vis))
for k, p in enumerate(users):
    want = set(held[p]); rec = ids[k].tolist()
    ihits[p] = len(want & set(rec)); hits += ihits[p]; total += len(want)
    ndcg += sum(1 / np.log2(r + 2) for r, i in enumerate(rec) if i in want) / sum(1 / np.log2(r + 2) for r in range(min(len(want), 10)))

# 95 % bootstrap intervals over playlists (2,000 resamples, paired: the same resampled playlists for every model).
u = np.array(users); nheld = np.array([len(held[p]) for p in users], dtype=float)
scores = {"musicrep": np.array(d["musicrep"]["hits"], dtype=float)[u], "implicit": ihits[u],
          "popularity": np.array(d["popularity"]["hits"], dtype=float)[u]}
rng = np.random.default_rng(0)
boot = {name: [] for name in scores}; diff = []
for _ in range(2000):
    b = rng.integers(0, len(u), len(u)); den = nheld[b].sum()
    for name, h in scores.items():
        boot[name].append(h[b].sum() / den)
    diff.append((scores["musicrep"][b].sum() - scores["implicit"][b].sum()) / den)
ci = lambda v: [float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))]
strip = lambda r: {k: v for k, v in r.items() if k != "hits"}
print(json.dumps({"implicit": implicit.__version__, "hr@10": hits / total, "ndcg@10": ndcg / len(users), "fit_seconds": fit, "fit_cpu_seconds": fit_cpu, "threads": threads,
                  "musicrep": strip(d["musicrep"]), "popularity": strip(d["popularity"]),
                  "hr@10_95ci": {name: ci(v) for name, v in boot.items()},
                  "hr@10_musicrep_minus_implicit": {"value": (scores["musicrep"].sum() - scores["implicit"].sum()) / nheld.sum(), "95ci": ci(diff)}}))
