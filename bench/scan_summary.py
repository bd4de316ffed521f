#!/usr/bin/env python3
"""Summary of bench/scan.sh's outputs (standard library only): medians over the repetitions of each command's
wall time, CPU time (user + system) and peak RSS from /usr/bin/time -v, minutes of audio per second (wall) and per
CPU-second, the ratios to the TensorFlow pipelines, the inference-alone rows, the load averages, and whether
musicrep and TensorFlow agree on each file's top-3 tags.

    python3 bench/scan_summary.py out/bench/scan  → Markdown on stdout, summary.json in that folder
"""
import glob
import json
import os
import re
import statistics
import sys

out = sys.argv[1]
NAMES = {"go": "musicrep library scan, Go backend (GOEXPERIMENT=simd)",
         "xla": "musicrep library scan, xla:cpu",
         "tf": "librosa + musicnn on TensorFlow CPU, graphs built once, batches of 8 (`--mode session`)",
         "tf-ext": "librosa + musicnn's own `extractor()` per file and model (`--mode extractor`)"}


def parse_time(path):
    s = open(path).read()
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", s).group(1)
    secs = 0.0
    for part in wall.split(":"):
        secs = secs * 60 + float(part)
    cpu = float(re.search(r"User time \(seconds\): ([\d.]+)", s).group(1)) + \
        float(re.search(r"System time \(seconds\): ([\d.]+)", s).group(1))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", s).group(1)) / 1024
    return {"wall_s": secs, "cpu_s": cpu, "max_rss_mb": rss}


tracks = json.load(open(os.path.join(out, "tracks-go.json")))
audio_s = sum(t["duration"] for t in tracks)
loads = {}
for line in open(os.path.join(out, "loadavg.tsv")):
    tool, rep, what, load, _ = line.rstrip("\n").split("\t")
    loads.setdefault(tool, []).append(float(load))

rows = {}
for tool in NAMES:
    runs = [parse_time(p) for p in sorted(glob.glob(os.path.join(out, "time-%s-[0-9]*.txt" % tool)))]
    if not runs:
        continue
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    rows[tool] = {"runs": runs, "median": med, "n": len(runs),
                  "audio_min_per_s": audio_s / 60 / med["wall_s"],
                  "audio_min_per_cpu_s": audio_s / 60 / med["cpu_s"],
                  "load": [min(loads.get(tool, [0])), max(loads.get(tool, [0]))]}

env = open(os.path.join(out, "env.txt")).read().strip()
print("## musicrep library scan vs librosa + musicnn on TensorFlow CPU\n")
print("```\n" + env + "\n```\n")
print("%d files, %.1f min of audio (%s). Medians of %d interleaved runs (min–max in brackets).\n" % (
    len(tracks), audio_s / 60, ", ".join(t["path"] for t in tracks), max((r["n"] for r in rows.values()), default=0)))
print("| command | wall s | min of audio / s | CPU s (user+sys) | min of audio / CPU-s | peak RSS MB | "
      "÷ TF session (wall) | ÷ TF session (CPU) | ÷ TF extractor (wall) | 1-min load |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
for tool, r in rows.items():
    m = r["median"]
    rng = lambda k: "%.1f–%.1f" % (min(x[k] for x in r["runs"]), max(x[k] for x in r["runs"]))

    def ratio(ref, k):
        return "%.2f×" % (rows[ref]["median"][k] / m[k]) if ref in rows else "–"
    print("| %s | **%.1f** (%s) | **%.3f** | %.1f (%s) | %.3f | %.0f | %s | %s | %s | %.1f–%.1f |" % (
        NAMES[tool], m["wall_s"], rng("wall_s"), r["audio_min_per_s"], m["cpu_s"], rng("cpu_s"),
        r["audio_min_per_cpu_s"], m["max_rss_mb"], ratio("tf", "wall_s"), ratio("tf", "cpu_s"),
        ratio("tf-ext", "wall_s"), r["load"][0], r["load"][1]))
print("\nRatios > 1: musicrep faster (reference time ÷ musicrep time, medians).\n")

# Agreement of the top-3 tags (MSD_musicnn, MTT_musicnn) per file: musicrep's library vs TensorFlow.
agree = {}
feat = os.path.join(out, "lib-go-last", "features", "musicnn-tags.json")
tf_json = sorted(glob.glob(os.path.join(out, "stdout-tf-[0-9]*.txt")))
if os.path.exists(feat) and tf_json:
    tags = {e["id"]: e["embedding"] for e in json.load(open(feat))}
    ref = json.loads(open(tf_json[0]).read().strip().splitlines()[-1])
    by_file = {os.path.basename(t["path"]): tags[t["id"]] for t in tracks}
    for rec in ref["files"]:
        v = by_file.get(rec["file"])
        if v is None:
            continue
        for mi, m in enumerate(["MSD_musicnn", "MTT_musicnn"]):
            part = v[mi * 50:(mi + 1) * 50]
            ours = sorted(range(50), key=lambda i: -part[i])[:3]
            agree.setdefault(m, []).append(ours == rec[m]["top3"])
    print("Top-3 tags of each file (mean over patches), musicrep vs TensorFlow: " + ", ".join(
        "%s %d/%d identical" % (m, sum(a), len(a)) for m, a in agree.items()) + ".\n")

infer = {}
for tool, path in [("go", "infer_go.txt"), ("xla", "infer_xla.txt")]:
    p = os.path.join(out, path)
    if not os.path.exists(p):
        continue
    for line in open(p):
        m = re.match(r"BenchmarkRun/(\w+)-\d+\s+\d+\s+([\d.]+) ns/op", line)
        if m:
            infer.setdefault(tool, {}).setdefault(m.group(1), []).append(float(m.group(2)) / 1e9)
p = os.path.join(out, "infer_tf.json")
if os.path.exists(p):
    tf = json.loads(open(p).read().strip().splitlines()[-1])
    infer["tf"] = {m: v["times_s"] for m, v in tf["models"].items()}
if infer:
    print("### musicnn inference alone: one batch of 8 patches (24 s of audio)\n")
    print("| model | Go backend s | xla:cpu s | TensorFlow s | Go ÷ TF | xla ÷ TF |")
    print("|---|---:|---:|---:|---:|---:|")
    for m in ["MSD_musicnn", "MTT_musicnn"]:
        med = {t: statistics.median(infer[t][m]) for t in infer if m in infer[t]}
        cell = lambda t: "%.3f (n=%d)" % (med[t], len(infer[t][m])) if t in med else "–"
        r = lambda t: "%.2f×" % (med["tf"] / med[t]) if t in med and "tf" in med else "–"
        print("| %s | %s | %s | %s | %s | %s |" % (m, cell("go"), cell("xla"), cell("tf"), r("go"), r("xla")))
    print("\nSeconds per batch, medians; ratios > 1: musicrep faster.")

json.dump({"audio_seconds": audio_s, "files": [t["path"] for t in tracks], "scan": rows, "infer": infer,
           "top3_agree": agree, "env": env}, open(os.path.join(out, "summary.json"), "w"), indent=1)
