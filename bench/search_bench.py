#!/usr/bin/env python3
"""Exact top-k squared-L2 search with FAISS IndexFlatL2 and NumPy, on the vectors musicrep's Go benchmarks use,
and a check that their neighbour sets agree with musicrep's.

    search_bench.py gen  --synth-dir DIR            write base.f32 (100,000 x 128) and queries.f32 (1,000 x 128)
    search_bench.py run  --published FILE --synth-dir DIR --go-dump DIR [--reps N] > result.json

`run` times, for (a) the 822 published joint embeddings (every one a query, itself included, k=50) and (b) the
1,000 synthetic queries over 100,000 synthetic vectors (k=50):
  * faiss      : faiss.IndexFlatL2, search() only (the add() is timed apart); faiss.omp_set_num_threads(2).
                 For more than 20 queries FAISS computes ||q||^2 - 2 q.x + ||x||^2 with a float32 BLAS GEMM.
  * numpy_f32  : the same expansion in NumPy (float32 matmul through NumPy's BLAS), argpartition + argsort.
  * numpy_f64_exact (822 only): sum((q - x)^2) in float64, the arithmetic musicrep uses; not a fast method.
Each repetition is one full search of all queries; min/median/max over --reps repetitions, after one untimed
warm-up call.

Agreement with musicrep (its lists are read from the Go benchmark's dump: *.idx.i32, *.dist.f64): per query the
set of 50 indices is compared. A differing query counts as a boundary tie when every index in the symmetric
difference has an exact (float64) distance within the float32 rounding tolerance of musicrep's 50th distance
(exact duplicates in the published embeddings tie exactly; the float32 expansion perturbs distances by
~1e-7 * (||q||^2 + ||x||^2)). Anything else is reported as a real disagreement.
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

K = 50
NB, NQ, DIM = 100_000, 1_000, 128


def gen(args):
    os.makedirs(args.synth_dir, exist_ok=True)
    rng = np.random.default_rng(2024)
    base = rng.standard_normal((NB, DIM), dtype=np.float32)
    queries = rng.standard_normal((NQ, DIM), dtype=np.float32)
    base.astype("<f4").tofile(os.path.join(args.synth_dir, "base.f32"))
    queries.astype("<f4").tofile(os.path.join(args.synth_dir, "queries.f32"))
    print(f"wrote {args.synth_dir}/base.f32 {base.shape} and queries.f32 {queries.shape}", file=sys.stderr)


def load_published(path):
    with open(path) as f:
        rows = json.load(f)
    # float64 JSON numbers rounded to float32, as musicrep's loaders do.
    return np.array([r["embedding"] for r in rows], dtype=np.float64).astype(np.float32)


def load_synth(d):
    base = np.fromfile(os.path.join(d, "base.f32"), dtype="<f4").reshape(NB, DIM)
    queries = np.fromfile(os.path.join(d, "queries.f32"), dtype="<f4").reshape(NQ, DIM)
    return base, queries


def numpy_f32(base, queries, k, chunk=256):
    bn = np.einsum("ij,ij->i", base, base)
    out_i = np.empty((len(queries), k), dtype=np.int64)
    out_d = np.empty((len(queries), k), dtype=np.float32)
    for lo in range(0, len(queries), chunk):
        q = queries[lo:lo + chunk]
        d = np.einsum("ij,ij->i", q, q)[:, None] - 2.0 * (q @ base.T) + bn[None, :]
        part = np.argpartition(d, k - 1, axis=1)[:, :k]
        pd = np.take_along_axis(d, part, axis=1)
        order = np.argsort(pd, axis=1, kind="stable")
        out_i[lo:lo + chunk] = np.take_along_axis(part, order, axis=1)
        out_d[lo:lo + chunk] = np.take_along_axis(pd, order, axis=1)
    return out_d, out_i


def numpy_f64_exact(base, queries, k, chunk=32):
    b64 = base.astype(np.float64)
    out_i = np.empty((len(queries), k), dtype=np.int64)
    out_d = np.empty((len(queries), k), dtype=np.float64)
    for lo in range(0, len(queries), chunk):
        q = queries[lo:lo + chunk].astype(np.float64)
        diff = q[:, None, :] - b64[None, :, :]
        d = np.einsum("qnd,qnd->qn", diff, diff)
        # Full stable sort by (distance, index), musicrep's tie order.
        order = np.argsort(d, axis=1, kind="stable")[:, :k]
        out_i[lo:lo + chunk] = order
        out_d[lo:lo + chunk] = np.take_along_axis(d, order, axis=1)
    return out_d, out_i


def timed(fn, reps):
    fn()  # warm-up
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        res = fn()
        times.append(time.perf_counter() - t0)
    return res, {"seconds": times, "min": min(times), "median": statistics.median(times), "max": max(times)}


def exact_sqdist(q, x):
    d = q.astype(np.float64) - x.astype(np.float64)
    return float(np.dot(d, d))


def agreement(name, idx, base, queries, go_idx, go_dist):
    nq, k = go_idx.shape
    same_set = same_order = ties = 0
    real = []
    overlap = 0
    max_excess = 0.0
    for q in range(nq):
        a, g = set(map(int, idx[q])), set(map(int, go_idx[q]))
        overlap += len(a & g)
        if list(map(int, idx[q])) == list(map(int, go_idx[q])):
            same_order += 1
        if a == g:
            same_set += 1
            continue
        kth = float(go_dist[q, k - 1])
        qn = float(np.dot(queries[q].astype(np.float64), queries[q].astype(np.float64)))
        explained = True
        for x in a ^ g:
            d = exact_sqdist(queries[q], base[x])
            xn = float(np.dot(base[x].astype(np.float64), base[x].astype(np.float64)))
            tol = 1e-5 * (qn + xn) + 1e-12
            max_excess = max(max_excess, abs(d - kth))
            if abs(d - kth) > tol:
                explained = False
        if explained:
            ties += 1
        else:
            real.append(q)
    return {
        "method": name, "queries": nq, "identical_sets": same_set, "identical_order": same_order,
        "mean_overlap_at_50": overlap / (nq * k), "differing_sets_boundary_ties": ties,
        "differing_sets_real": len(real), "real_disagreement_queries": real[:20],
        "max_abs_dist_gap_of_swapped_items": max_excess,
    }


def go_dump(d, name, nq):
    idx = np.fromfile(os.path.join(d, name + ".idx.i32"), dtype="<i4").reshape(nq, K)
    dist = np.fromfile(os.path.join(d, name + ".dist.f64"), dtype="<f8").reshape(nq, K)
    return idx, dist


def check_go_distances(go_idx, go_dist, base, queries):
    """Largest relative gap between musicrep's reported distances and float64 (q-x)^2 sums."""
    worst = 0.0
    for q in range(0, len(queries), max(1, len(queries) // 200)):
        for j in range(K):
            d = exact_sqdist(queries[q], base[go_idx[q, j]])
            worst = max(worst, abs(d - go_dist[q, j]) / max(d, 1e-30))
    return worst


def run(args):
    import faiss
    faiss.omp_set_num_threads(args.threads)
    out = {"faiss": faiss.__version__, "numpy": np.__version__, "faiss_omp_threads": args.threads,
           "numpy_blas": blas_info(), "k": K, "cases": {}}
    pub = load_published(args.published)
    base, queries = load_synth(args.synth_dir)
    cases = [("published822", pub, pub, "go_published", args.reps_small),
             ("synth100k", base, queries, "go_synth100k", args.reps)]
    for case, b, q, dump, reps in cases:
        res = {"base": list(b.shape), "queries": list(q.shape), "methods": {}, "agreement": []}
        index = faiss.IndexFlatL2(b.shape[1])
        t0 = time.perf_counter()
        index.add(b)
        res["faiss_add_seconds"] = time.perf_counter() - t0
        (fd, fi), t = timed(lambda: index.search(q, K), reps)
        res["methods"]["faiss_IndexFlatL2"] = t
        (nd, ni), t = timed(lambda: numpy_f32(b, q, K), reps)
        res["methods"]["numpy_f32_gemm"] = t
        methods = [("faiss_IndexFlatL2", fi), ("numpy_f32_gemm", ni)]
        if case == "published822":
            (ed, ei), t = timed(lambda: numpy_f64_exact(b, q, K), reps)
            res["methods"]["numpy_f64_exact"] = t
            methods.append(("numpy_f64_exact", ei))
        if args.go_dump and os.path.exists(os.path.join(args.go_dump, dump + ".idx.i32")):
            gi, gd = go_dump(args.go_dump, dump, len(q))
            res["go_distance_max_rel_error_vs_float64"] = check_go_distances(gi, gd, b, q)
            for name, idx in methods:
                res["agreement"].append(agreement(name, idx, b, q, gi, gd))
        else:
            res["agreement_note"] = f"no Go dump {dump} in {args.go_dump}: agreement not checked"
        out["cases"][case] = res
        print(f"{case}: " + ", ".join(f"{m} median {v['median'] * 1e3:.2f} ms"
                                      for m, v in res["methods"].items()), file=sys.stderr)
    json.dump(out, sys.stdout, indent=1)
    print()


def blas_info():
    try:
        cfg = np.show_config(mode="dicts")
        return cfg.get("Build Dependencies", {}).get("blas", {}).get("name", "?")
    except Exception:  # older NumPy
        return "?"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("--synth-dir", required=True)
    r = sub.add_parser("run")
    r.add_argument("--published", required=True)
    r.add_argument("--synth-dir", required=True)
    r.add_argument("--go-dump", default="")
    r.add_argument("--reps", type=int, default=5, help="repetitions of the 100k search")
    r.add_argument("--reps-small", type=int, default=15, help="repetitions of the 822 search")
    r.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    gen(args) if args.cmd == "gen" else run(args)


if __name__ == "__main__":
    main()
