#!/usr/bin/env python3
"""musicrep's vector index (package musicrep/index, `musicrep index`) against FAISS on the same catalogue.

    index_bench.py --musicrep BIN --data DIR --out DIR [--nlist 1024] [--nprobe 1,2,4,8,16,32,64] [--reps 5]
                   [--threads 2] > result.json

DIR holds base.f32, queries.f32 and meta.json as written by `musicrep index synth` (raw little-endian float32).
Steps, each repeated --reps times (medians reported, with min and max):
  * exact k=10 search: musicrep Flat (float32 scan, exact float64 re-rank, ties by index) vs faiss.IndexFlatL2
    (float32 BLAS GEMM + heaps). Build = musicrep NewFlat (packing) vs faiss add().
  * IVF: musicrep IVF vs faiss.IndexIVFFlat with the same nlist, both k-means with 10 iterations on at most
    256 points per list (FAISS's defaults, which musicrep copies), build = train + add; search for each nprobe.
Recall@10 of every method is measured against musicrep's Flat result (exact float64 distances); FAISS's flat
result is compared with it too. Timings are in-process: musicrep's come from `musicrep index build -json` and
`musicrep index bench -json` (search only: loading and query reading excluded), FAISS's from time.perf_counter()
around add/train/search. Both use --threads threads (GOMAXPROCS, faiss.omp_set_num_threads). The 1-minute load
average is sampled every second during each step, since this machine may be shared.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time

import numpy as np

K = 10


class LoadSampler:
    """Samples the 1-minute load average every second; step() returns the samples of one step."""

    def __init__(self):
        self.samples, self.lock = [], threading.Lock()
        self.stop = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while not self.stop.wait(1.0):
            with self.lock:
                self.samples.append(load1())

    def mark(self):
        with self.lock:
            return len(self.samples)

    def since(self, mark):
        with self.lock:
            s = self.samples[mark:] or [load1()]
        return {"mean": statistics.fmean(s), "max": max(s), "min": min(s), "samples": len(s)}


def load1():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def stats(xs):
    return {"seconds": xs, "median": statistics.median(xs), "min": min(xs), "max": max(xs)}


def run_json(cmd, env):
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"index_bench: {' '.join(cmd)} failed ({p.returncode}):\n{p.stderr}")
    return json.loads(p.stdout)


def recall(ids, truth):
    hit = total = 0
    for got, want in zip(ids, truth):
        w = set(int(x) for x in want if x >= 0)
        hit += len(w & set(int(x) for x in got if x >= 0))
        total += len(w)
    return hit / total


def timed(fn, reps):
    fn()  # warm-up
    times, res = [], None
    for _ in range(reps):
        t0 = time.perf_counter()
        res = fn()
        times.append(time.perf_counter() - t0)
    return res, times


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--musicrep", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--nlist", type=int, default=1024)
    ap.add_argument("--nprobe", default="1,2,4,8,16,32,64")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--build-reps", type=int, default=0, help="builds per index (default --reps)")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    build_reps = args.build_reps or args.reps
    nprobes = [int(x) for x in args.nprobe.split(",") if x.strip()]

    import faiss
    faiss.omp_set_num_threads(args.threads)
    with open(os.path.join(args.data, "meta.json")) as f:
        meta = json.load(f)
    n, nq, dim = meta["n"], meta["queries"], meta["dim"]
    base_f = os.path.join(args.data, "base.f32")
    queries_f = os.path.join(args.data, "queries.f32")
    xb = np.fromfile(base_f, dtype="<f4").reshape(n, dim)
    xq = np.fromfile(queries_f, dtype="<f4").reshape(nq, dim)
    env = dict(os.environ, GOMAXPROCS=str(args.threads))
    mr = args.musicrep
    flat_idx, ivf_idx, gt_file = (os.path.join(args.out, x) for x in ("flat.idx", "ivf.idx", "gt.i32"))
    sampler = LoadSampler()
    out = {"faiss": faiss.__version__, "numpy": np.__version__, "python": platform.python_version(),
           "threads": args.threads, "k": K, "n": n, "queries": nq, "dim": dim, "nlist": args.nlist,
           "nprobe": nprobes, "reps": args.reps, "build_reps": build_reps, "data": meta, "steps": {}}

    def step(name, fn):
        m = sampler.mark()
        print(f"[index_bench {time.strftime('%H:%M:%S')}] {name} (load {load1():.2f})", file=sys.stderr)
        res = fn()
        out["steps"][name] = {"load1": sampler.since(m)}
        return res

    # ---- musicrep ----
    def mr_build(kind, path, extra=()):
        runs = [run_json([mr, "index", "build", "-embeddings", base_f, "-dim", str(dim), "-kind", kind, "-out", path,
                          "-json", *extra], env) for _ in range(build_reps)]
        r = runs[-1]
        r["build"] = stats([x["build_seconds"] for x in runs])
        return r

    mflat_build = step("musicrep_flat_build", lambda: mr_build("flat", flat_idx))
    mflat = step("musicrep_flat_search", lambda: run_json(
        [mr, "index", "bench", "-index", flat_idx, "-queries", queries_f, "-k", str(K), "-reps", str(args.reps),
         "-ground-truth", "none", "-json"], env))
    step("musicrep_ground_truth", lambda: subprocess.run(
        [mr, "index", "search", "-index", flat_idx, "-queries", queries_f, "-k", str(K), "-out", gt_file],
        env=env, check=True, capture_output=True))
    truth = np.fromfile(gt_file, dtype="<i4").reshape(nq, K)
    mivf_build = step("musicrep_ivf_build", lambda: mr_build("ivf", ivf_idx, ("-nlist", str(args.nlist), "-seed", "1")))
    mivf = step("musicrep_ivf_search", lambda: run_json(
        [mr, "index", "bench", "-index", ivf_idx, "-queries", queries_f, "-k", str(K), "-reps", str(args.reps),
         "-nprobe", ",".join(map(str, nprobes)), "-ground-truth", gt_file, "-json"], env))
    out["musicrep"] = {"kernels": mflat["kernels"], "flat_build": mflat_build, "flat_search": mflat["rows"][0],
                       "ivf_build": mivf_build, "ivf_search": mivf["rows"]}

    # ---- FAISS ----
    def faiss_flat_build():
        times = []
        for _ in range(build_reps):
            t0 = time.perf_counter()
            index = faiss.IndexFlatL2(dim)
            index.add(xb)
            times.append(time.perf_counter() - t0)
        return index, stats(times)

    fflat, fflat_build = step("faiss_flat_build", faiss_flat_build)
    (_, fI), t = step("faiss_flat_search", lambda: timed(lambda: fflat.search(xq, K), args.reps))
    fflat_search = {"queries_per_second": nq / statistics.median(t), **stats(t), "recall": recall(fI, truth)}
    del fflat

    def faiss_ivf_build():
        times = []
        for _ in range(build_reps):
            t0 = time.perf_counter()
            quantizer = faiss.IndexFlatL2(dim)
            index = faiss.IndexIVFFlat(quantizer, dim, args.nlist)
            index.train(xb)
            index.add(xb)
            times.append(time.perf_counter() - t0)
        return index, {**stats(times), "kmeans_iterations": index.cp.niter,
                       "max_points_per_centroid": index.cp.max_points_per_centroid}

    fivf, fivf_build = step("faiss_ivf_build", faiss_ivf_build)

    def faiss_ivf_search():
        rows = []
        for p in nprobes:
            fivf.nprobe = p
            (_, I), t = timed(lambda: fivf.search(xq, K), args.reps)
            rows.append({"nprobe": p, "queries_per_second": nq / statistics.median(t), **stats(t),
                         "recall": recall(I, truth)})
        return rows

    fivf_search = step("faiss_ivf_search", faiss_ivf_search)
    out["faiss_results"] = {"flat_build": fflat_build, "flat_search": fflat_search, "ivf_build": fivf_build,
                            "ivf_search": fivf_search}
    sampler.stop.set()
    json.dump(out, sys.stdout, indent=1)
    print()
    with open(os.path.join(args.out, "summary.md"), "w") as f:
        f.write(summary(out))


def summary(o):
    m, f = o["musicrep"], o["faiss_results"]
    lines = [f"# musicrep index vs FAISS {o['faiss']}", "",
             f"{o['n']:,} x {o['dim']} synthetic clustered catalogue (`musicrep index synth`: {o['data']['clusters']} "
             f"clusters, intrinsic dim {o['data']['intrinsic_dim']}, unit norm, seed {o['data']['seed']}), "
             f"{o['queries']:,} queries, k={o['k']}, {o['threads']} threads each, medians of {o['reps']} runs "
             f"({o['build_reps']} builds); musicrep kernels: {m['kernels']}. Recall@{o['k']} is against musicrep's "
             "exact Flat result (float64 distances). Ratios are musicrep / FAISS: above 1 means musicrep is faster "
             "for queries/s and slower for build seconds.", "",
             "## Exact search", "",
             "| | build s | queries/s | recall@10 |", "|---|---:|---:|---:|",
             f"| musicrep Flat | {m['flat_build']['build']['median']:.3f} | {m['flat_search']['queries_per_second']:.1f} | 1.0000 |",
             f"| faiss.IndexFlatL2 | {f['flat_build']['median']:.3f} | {f['flat_search']['queries_per_second']:.1f} | "
             f"{f['flat_search']['recall']:.4f} |",
             f"| ratio musicrep/FAISS | {m['flat_build']['build']['median'] / f['flat_build']['median']:.2f} | "
             f"{m['flat_search']['queries_per_second'] / f['flat_search']['queries_per_second']:.2f} | |", "",
             f"## IVF-Flat, nlist {o['nlist']}", "",
             f"Build (k-means + add): musicrep {m['ivf_build']['build']['median']:.2f} s, FAISS "
             f"{f['ivf_build']['median']:.2f} s, ratio {m['ivf_build']['build']['median'] / f['ivf_build']['median']:.2f}.",
             "",
             "| nprobe | musicrep recall@10 | FAISS recall@10 | musicrep queries/s | FAISS queries/s | q/s ratio |",
             "|---:|---:|---:|---:|---:|---:|"]
    for mr, fr in zip(m["ivf_search"], f["ivf_search"]):
        lines.append(f"| {fr['nprobe']} | {mr['recall']:.4f} | {fr['recall']:.4f} | {mr['queries_per_second']:.0f} | "
                     f"{fr['queries_per_second']:.0f} | {mr['queries_per_second'] / fr['queries_per_second']:.2f} |")
    lines += ["", "## Load average (1 min) during each step", "", "| step | mean | max |", "|---|---:|---:|"]
    for name, s in o["steps"].items():
        lines.append(f"| {name} | {s['load1']['mean']:.2f} | {s['load1']['max']:.2f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
