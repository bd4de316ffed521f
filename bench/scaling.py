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
  scan    `musicrep library scan` throughput vs the number of files: the first N of the wesnoth-1.16-music
          recordings in name order (--scan-counts 1,4,16,41; 41 = all), whole commands from a fresh library
          folder each run, as bench/scan.sh times them: the Go backend (GOEXPERIMENT=simd), xla:cpu (--musicrep-xla)
          and, when --tf-python names a Python with TensorFlow and musicnn (.venv-golden), librosa + musicnn on
          TensorFlow CPU (scripts/golden/musicnn_scan_bench.py scan --mode session). -workers / TensorFlow threads =
          --scan-threads. Files/s and audio-seconds/s (audio length from musicrep's tracks.json), CPU time and peak
          RSS from wait4. One untimed warm-up run of each command on the smallest set; commands interleaved in a
          rotating order within a repetition.

Each musicrep child process runs under os.wait4, which gives its peak resident memory (ru_maxrss); the table
reports it per point. Writes DIR/scaling.json, DIR/summary.md and DIR/{train,search}.svg (bench/svgplot.py).

  scaling.py --out DIR --go-test BIN --xla-test BIN --musicrep BIN [--parts train,search] [--reps 3]
             [--batches 32,128,512,1024,4096] [--sizes 10000,100000,1000000]
  scaling.py --out DIR --musicrep BIN [--musicrep-xla BIN] [--tf-python PY] --parts scan [--scan-counts 1,4,16,41]
             [--scan-music DIR] [--scan-threads N]
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
    out, usage = run_usage(cmd, env=env, cwd=cwd)
    return out, usage["peak_rss_mb"]


def run_usage(cmd, env=None, cwd=None):
    """Runs cmd with os.fork/exec + os.wait4; returns (stdout, {wall_s, cpu_s (user + system), peak_rss_mb}) of
    that process and the children it waited for."""
    t0 = time.perf_counter()
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
    return out, {"wall_s": time.perf_counter() - t0, "cpu_s": ru.ru_utime + ru.ru_stime,
                 "peak_rss_mb": ru.ru_maxrss / 1024.0}


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


# ---- library scan ----------------------------------------------------------------------------------------------
SCAN_NAMES = {"go": "musicrep scan, Go backend (SIMD)", "xla": "musicrep scan, xla:cpu",
              "tf": "librosa + musicnn, TensorFlow CPU"}


def part_scan(args, res):
    import shutil
    music = args.scan_music
    all_files = sorted(f for f in os.listdir(music) if f.endswith(".ogg")) if os.path.isdir(music) else []
    if not all_files:
        sys.exit(f"scaling: no .ogg files in {music} (make audio-setup installs wesnoth-1.16-music; "
                 "or give --scan-music)")
    counts = [int(x) for x in args.scan_counts.split(",")]
    if max(counts) > len(all_files):
        sys.exit(f"scaling: --scan-counts {args.scan_counts}: {music} has only {len(all_files)} .ogg files")
    threads = str(args.scan_threads)
    tools = {"go": lambda files, lib: [args.musicrep, "library", "scan", files, "-out", lib, "-no-text", "-quiet",
                                       "-workers", threads, "-backend", "go"]}
    if args.musicrep_xla:
        tools["xla"] = lambda files, lib: [args.musicrep_xla, "library", "scan", files, "-out", lib, "-no-text",
                                           "-quiet", "-workers", threads, "-backend", "xla:cpu"]
    if args.tf_python:
        bench = os.path.join(ROOT, "scripts", "golden", "musicnn_scan_bench.py")
        tools["tf"] = lambda files, lib: [args.tf_python, bench, "scan", "--threads", threads, "--mode", "session"] + \
            ([os.path.join(files, f) for f in sorted(os.listdir(files))] if os.path.isdir(files) else [files + "/*"])
    else:
        log("scan: no --tf-python (.venv-golden with TensorFlow and musicnn), so no TensorFlow curve")
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="",
               OMP_NUM_THREADS=threads, OPENBLAS_NUM_THREADS=threads, MKL_NUM_THREADS=threads)
    res["scan_setup"] = {"music": music, "threads": args.scan_threads, "order": "first N .ogg files by name",
                         "commands": {t: " ".join(fn("FILES", "LIB")) for t, fn in tools.items()}}
    rows = res.setdefault("scan", {})
    lib = os.path.join(args.out, "scan-lib")
    for ci, n in enumerate(counts):
        files = os.path.join(args.out, f"scan-files-{n}")
        shutil.rmtree(files, ignore_errors=True)
        os.makedirs(files)
        for f in all_files[:n]:
            os.symlink(os.path.join(music, f), os.path.join(files, f))
        point = {"files": all_files[:n]}
        runs = {t: [] for t in tools}
        loads = []
        order = list(tools)
        for rep in range(-1 if ci == 0 else 0, args.reps):  # rep -1: untimed warm-up (page cache, numba cache)
            for i in range(len(order)):
                t = order[(i + max(rep, 0)) % len(order)]
                shutil.rmtree(lib, ignore_errors=True)
                log(f"scan {n} files, {t}, " + ("warm-up" if rep < 0 else f"repetition {rep + 1}/{args.reps}"))
                loads.append(load1())
                out, usage = run_usage(tools[t](files, lib), env=env)
                if t != "tf" and "audio_s" not in point:
                    tracks = json.load(open(os.path.join(lib, "tracks.json")))
                    if len(tracks) != n:
                        sys.exit(f"scaling: musicrep scanned {len(tracks)} of {n} files in {files}; see {lib}")
                    point["audio_s"] = sum(tr["duration"] for tr in tracks)
                if t == "tf":
                    r = json.loads(out.strip().splitlines()[-1])
                    usage["tf_audio_s"] = r["audio_seconds"]
                if rep >= 0:
                    runs[t].append(usage)
                    # Saved after every run, so an interrupted run keeps the repetitions it finished (the table
                    # gives each cell's number of runs).
                    scan_point(point, runs, n, loads)
                    rows[str(n)] = point
                    save(args, res)
        shutil.rmtree(lib, ignore_errors=True)
        save(args, res)


T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228]  # two-sided 95 % t, 1–10 df


def paired_ci(ref, cell):
    """" [lo, hi]": the 95 % t interval of the geometric mean of ref÷cell wall-time ratios, paired by repetition
    (empty for fewer than 2 pairs)."""
    pairs = list(zip(ref["wall_s"]["values"], cell["wall_s"]["values"]))
    if len(pairs) < 2:
        return ""
    logs = [math.log(a / b) for a, b in pairs]
    half = T95[min(len(logs) - 2, len(T95) - 1)] * statistics.stdev(logs) / math.sqrt(len(logs))
    lo, hi = math.exp(statistics.mean(logs) - half), math.exp(statistics.mean(logs) + half)
    return f" [{lo:.2f}, {hi:.2f}{'; not significant' if lo <= 1 <= hi else ''}]"


def scan_point(point, runs, n, loads):
    """Fills point[tool] with the summary of the runs done so far."""
    for t, rs in runs.items():
        if not rs:
            continue
        wall = [r["wall_s"] for r in rs]
        point[t] = {"wall_s": med(wall), "cpu_s": med([r["cpu_s"] for r in rs]),
                    "peak_rss_mb": max(r["peak_rss_mb"] for r in rs), "n": len(rs),
                    "files_per_s": n / statistics.median(wall),
                    "audio_s_per_s": point["audio_s"] / statistics.median(wall),
                    "audio_s_per_s_range": [point["audio_s"] / max(wall), point["audio_s"] / min(wall)]}
        if t == "tf":
            point[t]["tf_audio_s"] = rs[0]["tf_audio_s"]
    point["load1"] = med(loads)


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
    if res.get("scan"):
        tools = [t for t in SCAN_NAMES if any(t in p for p in res["scan"].values())]
        setup = res.get("scan_setup", {})
        series = {SCAN_NAMES[t]: [] for t in tools}
        rss = {SCAN_NAMES[t]: [] for t in tools}
        md += [f"## `musicrep library scan` throughput vs file count (wesnoth-1.16-music, first N files by name; "
               f"{setup.get('threads', '?')} workers / threads; medians of n runs, whole commands)", "",
               "| files | audio s | " + " | ".join(SCAN_NAMES[t] for t in tools) +
               (" | Go ÷ TF, wall (CPU) | xla ÷ TF, wall (CPU)" if "tf" in tools else "") + " | load |",
               "|---:|---:|" + "---|" * len(tools) + ("---:|---:|" if "tf" in tools else "") + "---:|"]
        for n, p in sorted(res["scan"].items(), key=lambda kv: int(kv[0])):
            cells = []
            for t in tools:
                if t not in p:
                    cells.append("–")
                    continue
                q = p[t]
                lo, hi = q["audio_s_per_s_range"]
                series[SCAN_NAMES[t]].append((int(n), q["audio_s_per_s"], lo, hi))
                rss[SCAN_NAMES[t]].append((int(n), q["peak_rss_mb"]))
                cells.append(f"{q['wall_s']['median']:.1f} s ({q['wall_s']['min']:.1f}–{q['wall_s']['max']:.1f}, "
                             f"n={q.get('n', len(q['wall_s']['values']))}); "
                             f"**{q['audio_s_per_s']:.1f} audio-s/s**; {q['files_per_s']:.3f} files/s; "
                             f"CPU {q['cpu_s']['median']:.1f} s; {q['peak_rss_mb']:,.0f} MB")
            ratio = ""
            if "tf" in tools:
                ref = p.get("tf", {}).get("wall_s", {}).get("median")
                cref = p.get("tf", {}).get("cpu_s", {}).get("median")
                ratio = "".join(f" | {ref / p[t]['wall_s']['median']:.2f}×{paired_ci(p['tf'], p[t])} "
                                f"({cref / p[t]['cpu_s']['median']:.2f}×)"
                                if ref and t in p else " | –" for t in ("go", "xla"))
            md.append(f"| {n} | {p['audio_s']:,.0f} | " + " | ".join(cells) + ratio +
                      f" | {p['load1']['median']:.1f} |")
        md += ["", "Wall time median (min–max); audio-s/s and files/s from the median wall time; ratios: TensorFlow's "
               "median wall time ÷ musicrep's (> 1: musicrep faster) with a 95 % t interval of the geometric mean of the "
               "per-repetition ratios (the commands of one repetition ran back to back), in brackets the ratio of CPU "
               "times (user + system, less dependent on other load).", ""]
        with open(os.path.join(out, "scan.svg"), "w") as f:
            f.write(svgplot.line_chart(series, "Library scan: audio seconds per second vs file count",
                                       "files scanned", "audio seconds per second (wall)", logy=False,
                                       note="median, whisker min–max"))
        with open(os.path.join(out, "scan-rss.svg"), "w") as f:
            f.write(svgplot.line_chart(rss, "Library scan: peak RSS vs file count", "files scanned",
                                       "peak RSS (MB)", logy=False, note="largest of the repetitions"))
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
    ap.add_argument("--musicrep-xla", help="the CLI built with -tags xla (scan part; optional)")
    ap.add_argument("--tf-python", help="a Python with TensorFlow + musicnn, e.g. .venv-golden/bin/python "
                    "(scan part; optional)")
    ap.add_argument("--scan-counts", default="1,4,16,41")
    ap.add_argument("--scan-music", default="/usr/share/games/wesnoth/1.16/data/core/music")
    ap.add_argument("--scan-threads", type=int, default=os.cpu_count())
    ap.add_argument("--replot")
    args = ap.parse_args()
    if args.replot:
        res = json.load(open(args.replot))
        render(res, os.path.dirname(args.replot))
        return
    parts = args.parts.split(",")
    needs = ["out", "musicrep"] + (["go_test", "xla_test"] if "train" in parts else [])
    for need in needs:
        if not getattr(args, need):
            ap.error(f"--{need.replace('_', '-')} is required")
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "scaling.json")
    res = json.load(open(path)) if os.path.exists(path) else {}
    res.update({"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "python": platform.python_version(),
                "cpu": open("/proc/cpuinfo").read().split("model name")[1].split(":")[1].split("\n")[0].strip(),
                "cores": os.cpu_count(), "reps": args.reps})
    if "train" in parts:
        part_train(args, res)
    if "search" in parts:
        part_search(args, res)
    if "scan" in parts:
        part_scan(args, res)
    save(args, res)
    print(open(os.path.join(args.out, "summary.md")).read())


if __name__ == "__main__":
    main()
