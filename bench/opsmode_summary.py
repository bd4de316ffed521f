#!/usr/bin/env python3
"""Summary of bench/opsmode.sh (standard library only): per workload, the throughput of A and B (medians, min–max),
peak RSS and CPU time from /usr/bin/time -v, and B ÷ A as the geometric mean of the per-repetition ratios (A and B
of one repetition ran back to back) with a 95 % t interval; "not significant" when the interval includes 1.

    python3 bench/opsmode_summary.py out/bench/opsmode  → Markdown on stdout, summary.json in that folder
"""
import glob
import json
import math
import os
import re
import statistics
import sys

# Two-sided 95 % critical values of Student's t for 1–30 degrees of freedom.
T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
       2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]
UNITS = {"train": ("pairs/s", "binding training, BenchmarkTrainEpoch (batch 32, 2 epochs, compilation included)"),
         "minilm": ("texts/s", "MiniLM BenchmarkEncode (32 texts per call, 3 calls)"),
         "musicnn": ("audio-s/s", "musicnn BenchmarkRun/MSD_musicnn (8 patches = 24 s of audio per batch)")}


def metric(path, unit):
    m = re.search(r"([\d.]+) " + re.escape(unit), open(path).read())
    if not m:
        sys.exit(f"opsmode_summary: no {unit} in {path}")
    return float(m.group(1))


def usage(path):
    s = open(path).read()
    cpu = float(re.search(r"User time \(seconds\): ([\d.]+)", s).group(1)) + \
        float(re.search(r"System time \(seconds\): ([\d.]+)", s).group(1))
    return cpu, int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", s).group(1)) / 1024


def ratio_interval(ratios):
    logs = [math.log(r) for r in ratios]
    g = math.exp(statistics.mean(logs))
    if len(logs) < 2:
        return g, None, None
    half = T95[min(len(logs) - 2, len(T95) - 1)] * statistics.stdev(logs) / math.sqrt(len(logs))
    return g, math.exp(statistics.mean(logs) - half), math.exp(statistics.mean(logs) + half)


def main(out):
    env = open(os.path.join(out, "env.txt")).read().strip()
    loads = {}
    for line in open(os.path.join(out, "loadavg.tsv")):
        w, side, rep, load = line.split()
        loads.setdefault(w, []).append(float(load))
    res = {"env": env, "workloads": {}}
    print("```\n" + env + "\n```\n")
    print("| workload | unit | A median (min–max) | B median (min–max) | B ÷ A (geometric mean of paired ratios, "
          "95 % t interval) | peak RSS A / B (MB, median) | CPU s A / B (median) | pairs | 1-min load |")
    print("|---|---|---:|---:|---|---:|---:|---:|---|")
    for w, (unit, title) in UNITS.items():
        reps = sorted({int(p.rsplit("-", 1)[1][:-4]) for p in glob.glob(os.path.join(out, f"run-{w}-A-*.txt"))})
        reps = [r for r in reps if os.path.exists(os.path.join(out, f"run-{w}-B-{r}.txt"))]
        if not reps:
            continue
        val = {s: [metric(os.path.join(out, f"run-{w}-{s}-{r}.txt"), unit) for r in reps] for s in "AB"}
        use = {s: [usage(os.path.join(out, f"time-{w}-{s}-{r}.txt")) for r in reps] for s in "AB"}
        g, lo, hi = ratio_interval([b / a for a, b in zip(val["A"], val["B"])])
        verdict = "" if lo is None else (" — not significant" if lo <= 1 <= hi else "")
        cell = lambda v: f"{statistics.median(v):,.1f} ({min(v):,.1f}–{max(v):,.1f})"
        rss = {s: statistics.median(u[1] for u in use[s]) for s in "AB"}
        cpu = {s: statistics.median(u[0] for u in use[s]) for s in "AB"}
        ld = loads.get(w, [0])
        print(f"| {title} | {unit} | {cell(val['A'])} | {cell(val['B'])} | **{g:.2f}×**"
              + (f" [{lo:.2f}, {hi:.2f}]{verdict}" if lo is not None else "") +
              f" | {rss['A']:,.0f} / {rss['B']:,.0f} | {cpu['A']:.1f} / {cpu['B']:.1f} | {len(reps)} | "
              f"{min(ld):.1f}–{max(ld):.1f} |")
        res["workloads"][w] = {"unit": unit, "A": val["A"], "B": val["B"], "ratio_geomean": g, "ratio_ci95": [lo, hi],
                               "peak_rss_mb": rss, "cpu_s": cpu, "load1": ld}
    print("\nB ÷ A > 1: B faster (throughputs, higher is better).")
    json.dump(res, open(os.path.join(out, "summary.json"), "w"), indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
