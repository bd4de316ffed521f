#!/usr/bin/env python3
"""Scaling curves for BENCHMARKS.md (issue 17): how musicrep's speed changes with the size of the work, next to
what a user would otherwise run, on the same machine in the same run. bench/scaling.sh builds the binaries and
calls this with .venv-bench's Python (torch, faiss, numpy).

  train   binding-model training throughput (pairs/s, published configuration, 6,576 pairs per epoch) vs batch
          size: musicrep BenchmarkTrainEpochSteady on the Go backend (GOEXPERIMENT=simd) and on xla:cpu (batch
          size through MUSICREP_TRAIN_BENCH_SET), bench/torch_binding.py (PyTorch CPU, 2 threads). One warm-up
          epoch untimed, then 2 timed epochs per repetition; implementations interleaved within a repetition.
  search  exact top-10 search (1,000 queries, 128-d) vs catalogue size: musicrep Flat (`musicrep index bench`)
          vs faiss.IndexFlatL2, and IVF (nlist = 4·sqrt(n), nprobe 16) vs faiss.IndexIVFFlat, with recall@10
          against musicrep's exact answer. Catalogues from `musicrep index synth` (seed 1).

Each musicrep child process runs under os.wait4, which gives its peak resident memory (ru_maxrss); the table
reports it per point. Writes DIR/scaling.json, DIR/summary.md and DIR/{train,search}.svg (bench/svgplot.py).

  scaling.py --out DIR --go-test BIN --xla-test BIN --musicrep BIN [--parts train,search] [--reps 3]
             [--batches 32,128,512,1024,4096] [--sizes 10000,100000,1000000]
  scaling.py --replot DIR/scaling.json      # redraw the SVGs and summary from a finished run
"""
import argparse
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import svgplot  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
K, NQ, DIM, NPROBE = 10, 1000, 128, 16


def load1():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def log(msg):
    print(f"[scaling {time.strftime('%H:%M:%S')}] {msg} (load {load1():.2f})", file=sys.stderr, flush=True)


def run_rss(cmd, env=None, cwd=None):
    """Runs cmd with os.fork/exec + os.wait4 so that its own peak RSS is known; returns (stdout, rss_mb)."""
    r, w = os.pipe()
    er, ew = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.dup2(w, 1)
        os.dup2(ew, 2)
        os.close(r)
        os.close(er)
        if cwd:
            os.chdir(cwd)
        try:
            os.execvpe(cmd[0], cmd, env if env is not None else os.environ)
        finally:
            os._exit(127)
    os.close(w)
    os.close(ew)
    chunks, echunks = [], []
    import selectors
    sel = selectors.DefaultSelector()
    sel.register(r, selectors.EVENT_READ, chunks)
    sel.register(er, selectors.EVENT_READ, echunks)
    open_fds = 2
    while open_fds:
        for key, _ in sel.select():
            data = os.read(key.fd, 65536)
            if not data:
                sel.unregister(key.fd)
                os.close(key.fd)
                open_fds -= 1
            else:
                key.data.append(data)
    _, status, ru = os.wait4(pid, 0)
    out, err = b"".join(chunks).decode(), b"".join(echunks).decode()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"scaling: {' '.join(cmd)} failed ({code}):\n{(out + err)[-4000:]}")
    return out, ru.ru_maxrss / 1024.0


def med(xs):
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "values": xs}


# ---- training ------------------------------------------------------------------------------------------------
PAIRS = re.compile(r"^BenchmarkTrainEpochSteady\S*\s+\d+\s+\d+ ns/op\s+([\d.]+) pairs/s", re.M)


def go_train(binary, backend, batch):
    env = dict(os.environ, GOMLX_BACKEND=backend, MUSICREP_TRAIN_BENCH_SET=f"batch_size={batch}")
    out, rss = run_rss([binary, "-test.run", "^$", "-test.bench", "^BenchmarkTrainEpochSteady$",
                        "-test.benchtime", "2x", "-test.count", "1", "-test.timeout", "60m"],
                       env=env, cwd=os.path.join(ROOT, "musicrep", "training"))
    m = PAIRS.search(out)
    if not m:
        sys.exit(f"scaling: no pairs/s in the output of {binary} ({backend}, batch {batch}):\n{out[-2000:]}")
    return float(m.group(1)), rss


def torch_train(batch):
    out, rss = run_rss([sys.executable, os.path.join(ROOT, "bench", "torch_binding.py"), "--threads", "2",
                        "--mode", "seed", "--epochs", "2", "--batch-size", str(batch)])
    r = json.loads(out)
    return r["pairs_per_s_median"], rss, r["torch"]


def part_train(args, res):
    rows = res.setdefault("train", {})
    impls = [("musicrep Go backend (SIMD)", lambda b: go_train(args.go_test, "go", b)),
             ("musicrep xla:cpu", lambda b: go_train(args.xla_test, "xla:cpu", b)),
             ("PyTorch CPU (2 threads)", lambda b: torch_train(b)[:2])]
    for b in [int(x) for x in args.batches.split(",")]:
        point = rows.setdefault(str(b), {})
        vals = {name: ([], []) for name, _ in impls}
        loads = []
        for rep in range(args.reps):
            for name, fn in impls:
                log(f"train batch {b}, {name}, repetition {rep + 1}/{args.reps}")
                loads.append(load1())
                pps, rss = fn(b)
                vals[name][0].append(pps)
                vals[name][1].append(rss)
        for name, (pps, rss) in vals.items():
            point[name] = {"pairs_per_s": med(pps), "peak_rss_mb": max(rss)}
        point["load1"] = med(loads)
        save(args, res)


# ---- search --------------------------------------------------------------------------------------------------
def part_search(args, res):
    import numpy as np
    import faiss
    faiss.omp_set_num_threads(2)
    res["faiss"] = faiss.__version__
    rows = res.setdefault("search", {})
    env = dict(os.environ, GOMAXPROCS="2")
    mr = args.musicrep
    for n in [int(x) for x in args.sizes.split(",")]:
        d = os.path.join(args.out, f"synth-{n}")
        meta = os.path.join(d, "meta.json")
        if not (os.path.exists(meta) and json.load(open(meta)).get("n") == n):
            log(f"generating a {n} x {DIM} catalogue")
            run_rss([mr, "index", "synth", "-n", str(n), "-dim", str(DIM), "-queries", str(NQ), "-seed", "1",
                     "-out", d], env=env)
        base_f, q_f = os.path.join(d, "base.f32"), os.path.join(d, "queries.f32")
        flat, ivf, gt = (os.path.join(d, x) for x in ("flat.idx", "ivf.idx", "gt.i32"))
        nlist = int(round(4 * math.sqrt(n)))
        point = rows.setdefault(str(n), {"nlist": nlist, "nprobe": NPROBE})
        loads = [load1()]
        log(f"search n={n}: musicrep flat")
        out, rss_build = run_rss([mr, "index", "build", "-embeddings", base_f, "-dim", str(DIM), "-kind", "flat",
                                  "-out", flat, "-json"], env=env)
        out, rss = run_rss([mr, "index", "bench", "-index", flat, "-queries", q_f, "-k", str(K), "-reps",
                            str(args.reps), "-ground-truth", "none", "-json"], env=env)
        r = json.loads(out)["rows"][0]
        point["musicrep flat"] = {"qps": med([NQ / s for s in r["seconds"]]), "peak_rss_mb": max(rss, rss_build)}
        run_rss([mr, "index", "search", "-index", flat, "-queries", q_f, "-k", str(K), "-out", gt], env=env)
        truth = np.fromfile(gt, dtype="<i4").reshape(NQ, K)
        log(f"search n={n}: musicrep ivf (nlist {nlist})")
        out, _ = run_rss([mr, "index", "build", "-embeddings", base_f, "-dim", str(DIM), "-kind", "ivf", "-nlist",
                          str(nlist), "-seed", "1", "-out", ivf, "-json"], env=env)
        build = json.loads(out)["build_seconds"]
        out, rss = run_rss([mr, "index", "bench", "-index", ivf, "-queries", q_f, "-k", str(K), "-reps",
                            str(args.reps), "-nprobe", str(NPROBE), "-ground-truth", gt, "-json"], env=env)
        r = [x for x in json.loads(out)["rows"] if x["nprobe"] == NPROBE][0]
        point["musicrep ivf"] = {"qps": med([NQ / s for s in r["seconds"]]), "recall": r["recall"],
                                 "build_s": build, "peak_rss_mb": rss}
        xb = np.fromfile(base_f, dtype="<f4").reshape(n, DIM)
        xq = np.fromfile(q_f, dtype="<f4").reshape(NQ, DIM)
        log(f"search n={n}: faiss flat and ivf")
        index = faiss.IndexFlatL2(DIM)
        index.add(xb)
        qps, fi = faiss_search(index, xq, args.reps)
        point["FAISS flat"] = {"qps": qps, "recall": recall(fi, truth)}
        del index
        t0 = time.perf_counter()
        q = faiss.IndexFlatL2(DIM)
        index = faiss.IndexIVFFlat(q, DIM, nlist)
        index.train(xb)
        index.add(xb)
        build = time.perf_counter() - t0
        index.nprobe = NPROBE
        qps, fi = faiss_search(index, xq, args.reps)
        point["FAISS ivf"] = {"qps": qps, "recall": recall(fi, truth), "build_s": build}
        del index, xb
        loads.append(load1())
        point["load1"] = med(loads)
        save(args, res)


def faiss_search(index, xq, reps):
    """One untimed search, then reps timed ones: (queries/s summary, the last result's ids)."""
    index.search(xq, K)
    ts, ids = [], None
    for _ in range(reps):
        t0 = time.perf_counter()
        _, ids = index.search(xq, K)
        ts.append(time.perf_counter() - t0)
    return med([len(xq) / t for t in ts]), ids


def recall(ids, truth):
    hit = sum(len(set(int(x) for x in g if x >= 0) & set(int(x) for x in w)) for g, w in zip(ids, truth))
    return hit / truth.size


# ---- output --------------------------------------------------------------------------------------------------
def save(args, res):
    with open(os.path.join(args.out, "scaling.json"), "w") as f:
        json.dump(res, f, indent=1)
    render(res, args.out)


def render(res, out):
    md = [f"# Scaling curves ({res.get('date', '?')}, {res.get('cpu', '?')}, {res.get('cores', '?')} cores)", ""]
    if res.get("train"):
        names = [k for k in next(iter(res["train"].values())) if k != "load1"]
        series = {n: [] for n in names}
        md += ["## Binding-model training throughput vs batch size (pairs/s, medians of "
               f"{res.get('reps')}; min–max; peak RSS)", "",
               "| batch | " + " | ".join(names) + " | xla ÷ PyTorch | Go ÷ PyTorch | load |",
               "|---:|" + "---:|" * (len(names) + 3)]
        for b, p in sorted(res["train"].items(), key=lambda kv: int(kv[0])):
            cells = []
            for n in names:
                s = p[n]["pairs_per_s"]
                series[n].append((int(b), s["median"], s["min"], s["max"]))
                cells.append(f"{s['median']:,.0f} ({s['min']:,.0f}–{s['max']:,.0f}; {p[n]['peak_rss_mb']:.0f} MB)")
            ref = p[names[-1]]["pairs_per_s"]["median"]
            md.append(f"| {b} | " + " | ".join(cells) +
                      f" | {p[names[1]]['pairs_per_s']['median'] / ref:.2f}× | "
                      f"{p[names[0]]['pairs_per_s']['median'] / ref:.2f}× | {p['load1']['median']:.1f} |")
        md.append("")
        with open(os.path.join(out, "train.svg"), "w") as f:
            f.write(svgplot.line_chart(series, "Binding-model training: throughput vs batch size",
                                       "batch size", "pairs per second", note="median, whisker min–max"))
    if res.get("search"):
        names = ["musicrep flat", "FAISS flat", "musicrep ivf", "FAISS ivf"]
        series = {n: [] for n in names}
        md += ["## Top-10 search vs catalogue size (1,000 queries × 128-d; queries/s, medians; IVF nlist = 4·√n, "
               "nprobe 16, recall@10 vs musicrep's exact answer)", "",
               "| n | " + " | ".join(names) + " | flat ratio | ivf ratio | load |", "|---:|" + "---:|" * 7]
        for n, p in sorted(res["search"].items(), key=lambda kv: int(kv[0])):
            cells = []
            for name in names:
                s = p[name]["qps"]
                series[name].append((int(n), s["median"], s["min"], s["max"]))
                extra = f"; recall {p[name]['recall']:.4f}" if "recall" in p[name] else ""
                extra += f"; {p[name]['peak_rss_mb']:.0f} MB" if "peak_rss_mb" in p[name] else ""
                cells.append(f"{s['median']:,.0f}{extra}")
            md.append(f"| {int(n):,} | " + " | ".join(cells) +
                      f" | {p['musicrep flat']['qps']['median'] / p['FAISS flat']['qps']['median']:.2f}× | "
                      f"{p['musicrep ivf']['qps']['median'] / p['FAISS ivf']['qps']['median']:.2f}× | "
                      f"{p['load1']['median']:.1f} |")
        md.append("")
        with open(os.path.join(out, "search.svg"), "w") as f:
            f.write(svgplot.line_chart(series, "Top-10 search: queries per second vs catalogue size",
                                       "catalogue size (vectors)", "queries per second",
                                       note="median, whisker min–max"))
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write("\n".join(md) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out")
    ap.add_argument("--go-test")
    ap.add_argument("--xla-test")
    ap.add_argument("--musicrep")
    ap.add_argument("--parts", default="train,search")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--batches", default="32,128,512,1024,4096")
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--replot")
    args = ap.parse_args()
    if args.replot:
        res = json.load(open(args.replot))
        render(res, os.path.dirname(args.replot))
        return
    for need in ("out", "go_test", "xla_test", "musicrep"):
        if not getattr(args, need):
            ap.error(f"--{need.replace('_', '-')} is required")
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "scaling.json")
    res = json.load(open(path)) if os.path.exists(path) else {}
    res.update({"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "python": platform.python_version(),
                "cpu": open("/proc/cpuinfo").read().split("model name")[1].split(":")[1].split("\n")[0].strip(),
                "cores": os.cpu_count(), "reps": args.reps})
    parts = args.parts.split(",")
    if "train" in parts:
        part_train(args, res)
    if "search" in parts:
        part_search(args, res)
    save(args, res)
    print(open(os.path.join(args.out, "summary.md")).read())


if __name__ == "__main__":
    main()
