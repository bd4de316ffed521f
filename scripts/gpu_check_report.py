#!/usr/bin/env python3
"""Writes gpu-report.md and gpu-results.json from the raw outputs of scripts/gpu-check.sh run.

Usage: gpu_check_report.py RAW_DIR OUT_DIR

RAW_DIR holds env.txt, dry (1 for a stand-in run) and, per step, NAME.status (rc, seconds, limit, note) and
NAME.log (the step's stdout and stderr: Go test/benchmark output, or one JSON object from bench/torch_*.py, or
`musicrep reproduce` progress). Called after every step, so the report always shows what has run so far; steps
with no status yet are listed as not reached. Standard library only (the GPU machine has no network).
"""
import json
import os
import re
import statistics
import sys

STEPS = [
    ("parity_backends", "1. parity", "xla backend starts; a small graph against the Go backend"),
    ("parity_binding", "1. parity", "binding model: 4 epochs resumed from a shared Go checkpoint"),
    ("parity_cmir", "1. parity", "contrastive-mir CNN (tiny preset): inference from, and 1 epoch resumed from, a shared Go checkpoint"),
    ("binding_xla_b32", "2. binding", "musicrep, BenchmarkTrainEpochSteady, batch 32"),
    ("binding_torch_b32", "2. binding", "PyTorch, bench/torch_binding.py --mode concat, batch 32"),
    ("binding_xla_b256", "2. binding", "musicrep, BenchmarkTrainEpochSteady, batch 256 (dry run)"),
    ("binding_torch_b256", "2. binding", "PyTorch, batch 256 (dry run)"),
    ("binding_xla_b1024", "2. binding", "musicrep, BenchmarkTrainEpochSteady, batch 1024"),
    ("binding_torch_b1024", "2. binding", "PyTorch, bench/torch_binding.py --mode concat, batch 1024"),
    ("cnn_xla_paper_b32", "3. CNN", "musicrep, BenchmarkAudioTrainStep + BenchmarkAudioInference, paper, batch 32"),
    ("cnn_torch_train_paper_b32", "3. CNN", "PyTorch, bench/torch_cmir.py --mode train, paper, batch 32"),
    ("cnn_torch_infer_paper_b32", "3. CNN", "PyTorch, bench/torch_cmir.py --mode infer, paper, batch 32"),
    ("cnn_xla_tiny_b4", "3. CNN", "musicrep, BenchmarkAudioTrainStep + BenchmarkAudioInference, tiny, batch 4 (dry run)"),
    ("cnn_torch_train_tiny_b4", "3. CNN", "PyTorch, train, tiny, batch 4 (dry run)"),
    ("cnn_torch_infer_tiny_b4", "3. CNN", "PyTorch, infer, tiny, batch 4 (dry run)"),
    ("reproduce", "4. reproduce", "musicrep reproduce, time-boxed"),
    ("extras", "5. extras", "MiniLM inference, contrastive-mir epoch on generated data"),
]

BENCH = re.compile(r"^(Benchmark\w+?)(?:-\d+)?\s+(\d+)\s+(.*)$")
EPOCH = re.compile(r"epoch (\d+)/(\d+)\s+mean loss (\S+)\s+(\S+) (\S+)/s\s+epoch (\S+)\s+elapsed (\S+)\s+eta (\S+)")
DUR = re.compile(r"(\d+(?:\.\d+)?)(h|ms|µs|us|ns|m|s)")
UNIT = {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


def go_duration(s):
    """Seconds in a Go time.Duration string such as 1m2.5s or 850ms (None if it is not one)."""
    parts = DUR.findall(s)
    if not parts or "".join(a + b for a, b in parts) != s:
        return None
    return sum(float(a) * UNIT[b] for a, b in parts)


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return None


def status(raw, name):
    text = read(os.path.join(raw, name + ".status"))
    if text is None:
        return None
    st = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    rc = st.get("rc", "?")
    if rc == "skipped":
        st["state"] = "skipped"
    elif rc == "0":
        st["state"] = "ok"
    elif rc in ("124", "137"):
        st["state"] = "timed out"
    else:
        st["state"] = "failed"
    return st


def go_benchmarks(text):
    """{benchmark: {metric unit: [values over repetitions]}} from Go benchmark output."""
    out = {}
    for line in text.splitlines():
        m = BENCH.match(line.strip())
        if not m:
            continue
        f = m.group(3).split()
        for v, unit in zip(f[0::2], f[1::2]):
            try:
                out.setdefault(m.group(1), {}).setdefault(unit, []).append(float(v))
            except ValueError:
                pass
    return out


def last_json(text):
    """The JSON object a bench/torch_*.py script prints (the last top-level {...} in its output)."""
    i = text.rfind("\n{")
    start = i + 1 if i >= 0 else (0 if text.startswith("{") else -1)
    if start < 0:
        return None
    try:
        return json.loads(text[start:])
    except ValueError:
        return None


def summarize(name, text):
    """What each step's log says, as a dict for the JSON and a short string for the table."""
    res, short = {}, ""
    if text is None:
        return res, short
    if name.startswith("parity_"):
        res["tests"] = re.findall(r"--- (PASS|FAIL|SKIP): (\S+)", text)
        res["parity"] = [l.split("parity ", 1)[1].strip() for l in text.splitlines() if "parity " in l]
        res["backend"] = [l.split(": ", 1)[1].strip() for l in text.splitlines()
                          if re.search(r"(XLA backend: |_test\.go:\d+: xla )", l)]
        weights = re.findall(r"largest weight difference[^\n]*", text)
        res["weights"] = weights
        short = "; ".join(f"{s} {t}" for s, t in res["tests"]) or "no test result"
        if res["parity"]:
            short += " — " + "; ".join(res["parity"])
        if name == "parity_backends" and res["backend"]:
            short += " — " + res["backend"][0]
    elif "_xla_" in name:
        bm = go_benchmarks(text)
        res["benchmarks"] = bm
        parts = []
        for b, metrics in bm.items():
            for unit in ("pairs/s", "songs/s"):
                if unit in metrics:
                    v = metrics[unit]
                    res.setdefault("median", {})[b] = statistics.median(v)
                    parts.append(f"{b.removeprefix('Benchmark')}: {statistics.median(v):.4g} {unit} (median of {len(v)})")
        backend = re.findall(r"_test\.go:\d+: (?:backend )?(xla [^;]*)", text)
        if backend:
            res["backend"] = backend[0]
        short = "; ".join(parts) or "no benchmark result"
    elif "_torch_" in name:
        j = last_json(text)
        if j:
            res = j
            key = "pairs_per_s_median" if "pairs_per_s_median" in j else "songs_per_s_median"
            unit = "pairs/s" if key.startswith("pairs") else "songs/s"
            short = f"{j[key]:.4g} {unit} (median), {j.get('device', 'cpu')} {j.get('device_name') or ''}".strip()
        else:
            short = "no JSON result"
    elif name == "reproduce":
        runs, cur = [], None
        for line in text.splitlines():
            if re.search(r"\bdata: .* steps/epoch", line):
                cur = {"data": line.strip(), "epochs": []}
                runs.append(cur)
            m = EPOCH.search(line)
            if m:
                if cur is None:
                    cur = {"data": "", "epochs": []}
                    runs.append(cur)
                cur["epochs"].append({"epoch": int(m.group(1)), "of": int(m.group(2)), "loss": float(m.group(3)),
                                      "rate": float(m.group(4)), "unit": m.group(5) + "/s",
                                      "epoch_s": go_duration(m.group(6)), "elapsed_s": go_duration(m.group(7)),
                                      "eta": m.group(8)})
        res["runs"] = runs
        res["finished"] = "wrote " in text
        parts = []
        for i, r in enumerate(runs):
            ep = [e for e in r["epochs"] if e["epoch_s"] is not None]
            if not ep:
                continue
            med = statistics.median(e["epoch_s"] for e in ep)
            total = ep[-1]["of"]
            r["median_epoch_s"], r["projected_s"] = med, med * total
            parts.append(f"model {i + 1}: {ep[-1]['epoch']}/{total} epochs, median epoch {med:.3g} s "
                         f"({ep[-1]['rate']:.0f} {ep[-1]['unit']}), projected {med * total / 60:.1f} min for "
                         f"{total} epochs")
        short = ("finished; " if res["finished"] else "") + ("; ".join(parts) or "no epoch finished")
    return res, short


def main():
    raw, out = sys.argv[1], sys.argv[2]
    dry = (read(os.path.join(raw, "dry")) or "0").strip() == "1"
    env = read(os.path.join(raw, "env.txt")) or ""
    results = {"dry_run": dry, "env": env.splitlines(), "steps": {}}
    md = ["# musicrep GPU check" + (" — DRY RUN (stand-in for xla:cuda, tiny sizes)" if dry else ""), ""]
    if dry:
        md += ["This is a stand-in run (`make gpu-check-dry`): an XLA CPU plugin takes the place of xla:cuda and "
               "the sizes are tiny, so that the GPU check cannot rot. Its numbers say nothing about a GPU.", ""]
    md += ["| step | what | state | seconds (limit) | result |", "|---|---|---|---:|---|"]
    names = {n for n, _, _ in STEPS}
    extra = sorted(f[:-7] for f in os.listdir(raw) if f.endswith(".status") and f[:-7] not in names)
    for name, group, what in STEPS + [(n, "?", n) for n in extra]:
        st = status(raw, name)
        if st is None:
            if (dry and ("paper" in name or "1024" in name)) or (not dry and ("tiny" in name or "256" in name)):
                continue  # belongs to the other mode
            md.append(f"| {group} | {what} | not reached | | |")
            continue
        res, short = summarize(name, read(os.path.join(raw, name + ".log")))
        if st["state"] == "skipped":
            short = st.get("note", "")
        elif st["state"] != "ok":
            tail = [l.strip() for l in (read(os.path.join(raw, name + ".log")) or "").splitlines() if l.strip()][-3:]
            res["log_tail"] = tail
            short += " — last lines: " + " ⏎ ".join(t[:200] for t in tail)
        results["steps"][name] = {"status": st, **res}
        md.append(f"| {group} | {what} | {st['state']} (rc {st.get('rc')}) | {st.get('seconds')} ({st.get('limit')}) "
                  f"| {short.replace('|', '/')} |")
    # Ratios of medians, musicrep over PyTorch, where both ran.
    ratios = []
    s = results["steps"]
    for b in ("32", "256", "1024"):
        x, t = s.get(f"binding_xla_b{b}", {}), s.get(f"binding_torch_b{b}", {})
        xv = (x.get("median") or {}).get("BenchmarkTrainEpochSteady")
        if xv and t.get("pairs_per_s_median"):
            ratios.append(f"binding batch {b}: musicrep/PyTorch = {xv / t['pairs_per_s_median']:.2f}×")
    for preset, batch in (("paper", "32"), ("tiny", "4")):
        x = (s.get(f"cnn_xla_{preset}_b{batch}", {}).get("median") or {})
        for mode, bench in (("train", "BenchmarkAudioTrainStep"), ("infer", "BenchmarkAudioInference")):
            t = s.get(f"cnn_torch_{mode}_{preset}_b{batch}", {})
            if x.get(bench) and t.get("songs_per_s_median"):
                ratios.append(f"CNN {mode} {preset} batch {batch}: musicrep/PyTorch = "
                              f"{x[bench] / t['songs_per_s_median']:.2f}×")
    results["ratios"] = ratios
    if ratios:
        md += ["", "Throughput ratios (medians): " + "; ".join(ratios) + "."]
    md += ["", "Raw logs of every step: gpu-raw.tar.gz; all numbers: gpu-results.json.", "", "```", env.strip(), "```"]
    tmp = os.path.join(out, ".gpu-report.md.tmp")
    with open(tmp, "w") as f:
        f.write("\n".join(md) + "\n")
    os.replace(tmp, os.path.join(out, "gpu-report.md"))
    tmp = os.path.join(out, ".gpu-results.json.tmp")
    with open(tmp, "w") as f:
        json.dump(results, f, indent=1)
    os.replace(tmp, os.path.join(out, "gpu-results.json"))


if __name__ == "__main__":
    main()
