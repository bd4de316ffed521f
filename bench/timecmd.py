#!/usr/bin/env python3
"""Fallback for hyperfine: time a shell command N times (after W warm-up runs), output discarded, and write
hyperfine-style JSON ({"results": [{"command", "times", "mean", "median", "min", "max"}]}).

    timecmd.py --runs N --warmup W --export-json FILE -- 'command'
"""
import argparse
import json
import statistics
import subprocess
import time

ap = argparse.ArgumentParser()
ap.add_argument("--runs", type=int, default=10)
ap.add_argument("--warmup", type=int, default=2)
ap.add_argument("--export-json", required=True)
ap.add_argument("command", nargs="+")
a = ap.parse_args()
cmd = " ".join(a.command)
for _ in range(a.warmup):
    subprocess.run(cmd, shell=True, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
times = []
for _ in range(a.runs):
    t0 = time.perf_counter()
    subprocess.run(cmd, shell=True, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times.append(time.perf_counter() - t0)
res = {"command": cmd, "times": times, "mean": statistics.mean(times), "median": statistics.median(times),
       "min": min(times), "max": max(times)}
json.dump({"results": [res], "tool": "bench/timecmd.py"}, open(a.export_json, "w"), indent=1)
print(f"{cmd}: median {res['median'] * 1e3:.1f} ms (min {res['min'] * 1e3:.1f}, max {res['max'] * 1e3:.1f}, {a.runs} runs)")
