#!/usr/bin/env python3
"""Summarise the raw outputs of bench/run.sh (in OUT, default out/bench) into OUT/summary.json and OUT/summary.md.

Every number comes from the files of the same run: `go test -bench` text output (one line per -count
repetition), bench/torch_binding.py and bench/search_bench.py JSON, hyperfine's --export-json, and loadavg.tsv
(1-minute load average at the start and end of each step). Medians, minima and maxima are over repetitions.
"""
import json
import os
import re
import statistics
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else "out/bench"
LINE = re.compile(r"^(Benchmark\S+?)(?:-\d+)?\s+(\d+)\s+(.*)$")


def go_bench(file):
    """{name: {unit: [values...]}} from a go test -bench output."""
    res = {}
    path = os.path.join(OUT, file)
    if not os.path.exists(path):
        return res
    for line in open(path):
        m = LINE.match(line.strip())
        if not m:
            continue
        name, fields = m.group(1), m.group(3).split()
        d = res.setdefault(name, {})
        for v, unit in zip(fields[0::2], fields[1::2]):
            try:
                d.setdefault(unit, []).append(float(v))
            except ValueError:
                pass
    return res


def stats(values):
    return {"n": len(values), "min": min(values), "median": statistics.median(values), "max": max(values),
            "values": values}


def load_json(file):
    path = os.path.join(OUT, file)
    return json.load(open(path)) if os.path.exists(path) else None


def loadavg():
    out = {}
    path = os.path.join(OUT, "loadavg.tsv")
    if os.path.exists(path):
        for line in open(path):
            parts = line.split("\t")
            if len(parts) >= 3:
                step, when, load1 = parts[0], parts[1], parts[2]
                out.setdefault(step, {})[when] = float(load1)
    return out


def load_str(loads, step):
    d = loads.get(step, {})
    if not d:
        return "?"
    return f"{d.get('start', float('nan')):.2f} → {d.get('end', float('nan')):.2f}"


def rss(step):
    """Peak RSS in MB of a step's largest process (rss-STEP.txt: GNU time's %M in kB, last line), or "?"."""
    path = os.path.join(OUT, f"rss-{step}.txt")
    try:
        return f"{int(open(path).read().split()[-1]) / 1024:,.0f}"
    except (OSError, ValueError, IndexError):
        return "?"


def fmt(x, digits=0):
    return f"{x:,.{digits}f}"


def main():
    loads = loadavg()
    summary = {"training": {}, "search": {}}
    md = []

    # ---- Training throughput -------------------------------------------------------------------------------
    rows = []  # (label, stats of pairs/s, step)
    for file, bench, label, step in [
        ("train_go_nosimd.txt", "BenchmarkTrainEpoch", "musicrep, Go backend, no SIMD — BenchmarkTrainEpoch (cold)", "train_go_nosimd"),
        ("train_go_simd.txt", "BenchmarkTrainEpoch", "musicrep, Go backend, GOEXPERIMENT=simd — BenchmarkTrainEpoch (cold)", "train_go_simd"),
        ("train_go_nosimd_steady.txt", "BenchmarkTrainEpochSteady", "musicrep, Go backend, no SIMD — steady state", "train_go_nosimd_steady"),
        ("train_go_simd_steady.txt", "BenchmarkTrainEpochSteady", "musicrep, Go backend, GOEXPERIMENT=simd — steady state", "train_go_simd_steady"),
        ("train_xla_cpu.txt", "BenchmarkTrainEpoch", "musicrep, XLA backend (xla:cpu PJRT plugin) — BenchmarkTrainEpoch (cold, incl. XLA compilation)", "train_xla_cpu"),
        ("train_xla_cpu_steady.txt", "BenchmarkTrainEpochSteady", "musicrep, XLA backend (xla:cpu PJRT plugin) — steady state", "train_xla_cpu_steady"),
    ]:
        b = go_bench(file).get(bench)
        if b and "pairs/s" in b:
            rows.append((label, stats(b["pairs/s"]), step, "musicrep"))
    for file, label, step in [
        ("train_torch_seed_t2.json", "PyTorch, 2 threads, seed forward (reference)", "train_torch_seed_t2"),
        ("train_torch_concat_t2.json", "PyTorch, 2 threads, one [2B] forward", "train_torch_concat_t2"),
        ("train_torch_seed_t1.json", "PyTorch, 1 thread, seed forward", "train_torch_seed_t1"),
    ]:
        j = load_json(file)
        if j:
            rows.append((label, stats(j["pairs_per_s"]), step, "torch"))
            summary.setdefault("versions", {})["torch"] = j["torch"]
            summary["versions"]["torch_cpu_capability"] = j["cpu_capability"]
    ref = next((s for label, s, _, _ in rows if "(reference)" in label), None)
    md.append("### Training throughput (pairs/s, higher is better)\n")
    md.append("| implementation | min | **median** | max | reps | musicrep ÷ reference (medians; >1 = musicrep faster) | peak RSS MB | 1-min load (start → end) |")
    md.append("|---|---:|---:|---:|---:|---:|---:|---|")
    for label, s, step, kind in rows:
        ratio = f"{s['median'] / ref['median']:.2f}×" if ref and kind == "musicrep" else ("1 (reference)" if "(reference)" in label else "—")
        if ref and kind == "torch" and "(reference)" not in label:
            ratio = f"({s['median'] / ref['median']:.2f}× the reference)"
        md.append(f"| {label} | {fmt(s['min'])} | **{fmt(s['median'])}** | {fmt(s['max'])} | {s['n']} | {ratio} | {rss(step)} | {load_str(loads, step)} |")
        summary["training"][step] = {"label": label, **s, "load": loads.get(step), "peak_rss_mb": rss(step)}
    md.append("")

    # ---- Search ------------------------------------------------------------------------------------------------
    ev = go_bench("eval_go.txt")
    ev.update(go_bench("eval_go_100k.txt"))
    sb = load_json("search_python.json") or {"cases": {}}
    if sb.get("faiss"):
        summary.setdefault("versions", {}).update({"faiss": sb["faiss"], "numpy": sb["numpy"], "numpy_blas": sb["numpy_blas"]})
    hf = load_json("eval_cli_hyperfine.json")

    def search_table(title, case, go_rows, extra=None):
        md.append(f"### {title} (ms per full search of all queries, lower is better)\n")
        md.append("| implementation | min | **median** | max | reps | musicrep time ÷ this time (medians; >1 = musicrep slower) | peak RSS MB | 1-min load (start → end) |")
        md.append("|---|---:|---:|---:|---:|---:|---:|---|")
        c = sb["cases"].get(case, {})
        mus = None
        entries = []
        for label, bench, step in go_rows:
            b = ev.get(bench)
            if b and "ns/op" in b:
                s = stats([v / 1e6 for v in b["ns/op"]])
                entries.append((label, s, step, "musicrep"))
                if mus is None:
                    mus = s
        for key, label in [("faiss_IndexFlatL2", "FAISS IndexFlatL2.search, 2 OpenMP threads (float32 GEMM expansion)"),
                           ("numpy_f32_gemm", "NumPy brute force, float32 GEMM expansion + argpartition"),
                           ("numpy_f64_exact", "NumPy float64 Σ(q−x)² (exact, like musicrep; not a fast method)")]:
            if key in c.get("methods", {}):
                s = stats([v * 1e3 for v in c["methods"][key]["seconds"]])
                entries.append((label, s, "search_python", "ref"))
        for label, s, step, kind in entries:
            ratio = "—" if kind == "musicrep" or mus is None else f"{mus['median'] / s['median']:.2f}"
            md.append(f"| {label} | {fmt(s['min'], 2)} | **{fmt(s['median'], 2)}** | {fmt(s['max'], 2)} | {s['n']} | {ratio} | {rss(step)} | {load_str(loads, step)} |")
            summary["search"].setdefault(case, {})[label] = {**s, "load": loads.get(step), "peak_rss_mb": rss(step)}
        if extra:
            extra()
        md.append("")
        if c.get("agreement"):
            md.append(f"Neighbour-set agreement with musicrep ({case}; k=50):\n")
            md.append("| method | queries | identical sets | identical order | mean overlap@50 | differing: boundary ties | differing: real |")
            md.append("|---|---:|---:|---:|---:|---:|---:|")
            for a in c["agreement"]:
                md.append(f"| {a['method']} | {a['queries']} | {a['identical_sets']} | {a['identical_order']} | {a['mean_overlap_at_50']:.6f} | {a['differing_sets_boundary_ties']} | {a['differing_sets_real']} |")
            md.append("")
            md.append(f"musicrep's reported distances vs float64 Σ(q−x)² recomputed in NumPy: max relative difference "
                      f"{c.get('go_distance_max_rel_error_vs_float64', float('nan')):.1e}. FAISS add(): {c.get('faiss_add_seconds', 0) * 1e3:.1f} ms (not in the table).\n")
            summary["search"].setdefault(case, {})["agreement"] = c["agreement"]

    def cli_row():
        if not hf:
            return
        r = hf["results"][0]
        s = stats([t * 1e3 for t in r["times"]])
        md.append(f"| whole CLI: `musicrep eval -protocol paper … -baselines=false` (process start, JSON load, search, metrics, output) | {fmt(s['min'], 2)} | **{fmt(s['median'], 2)}** | {fmt(s['max'], 2)} | {s['n']} | — | {rss('eval_cli')} | {load_str(loads, 'eval_cli')} |")
        summary["search"].setdefault("published822", {})["cli"] = {**s, "load": loads.get("eval_cli"), "command": r.get("command")}

    search_table("Paper-protocol search: 822 published joint embeddings, all 822 queries, top 50, query included",
                 "published822",
                 [("musicrep TopKSquaredL2 (BenchmarkTopKPublished)", "BenchmarkTopKPublished", "eval_go"),
                  ("musicrep PaperProtocol, data in memory: search + scores + metrics (BenchmarkPaperProtocolPublished)",
                   "BenchmarkPaperProtocolPublished", "eval_go")],
                 cli_row)
    search_table("Exact search: 1,000 queries over 100,000 synthetic 128-d vectors, top 50", "synth100k",
                 [("musicrep TopKSquaredL2 (BenchmarkTopKSynthetic100k)", "BenchmarkTopKSynthetic100k", "eval_go_100k")])

    md.append("Peak RSS: the largest process of the row's step (GNU time's %M over the step's process tree), so rows "
              "measured by one process share it: the two musicrep rows of the 822 search (one benchmark binary), and "
              "every NumPy/FAISS row of both search tables (one Python process that also holds the 100k catalogue); "
              "the CLI row is the largest of its runs.\n")
    with open(os.path.join(OUT, "summary.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    with open(os.path.join(OUT, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print("\n".join(md))


if __name__ == "__main__":
    main()
