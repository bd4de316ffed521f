#!/usr/bin/env bash
# bench/cnn.sh — the contrastive-mir audio CNN's training step and inference: musicrep on the pure-Go backend,
# musicrep on XLA (xla:cpu, PJRT) and the same model in PyTorch on the CPU (bench/torch_cmir.py).
#
# For each preset (paper: the published CNN, 3,989,762 parameters; small: the narrow CNN of cmir.Presets) and
# each of go, xla:cpu and torch, at batch BENCH_BATCH:
#   train — one training step of the variant "contrastive" (audio CNN + CF encoder + tag self-attention, three-way
#           NT-Xent τ=0.1, Adam 1e-4 with coupled weight decay 1e-4), host-side batch building included
#           (musicrep/cmir BenchmarkAudioTrainStep; torch_cmir.py --mode train);
#   infer — the audio encoder in inference mode on batch 256-frame crops of one spectrogram, z and z_d averaged
#           (BenchmarkAudioInference, i.e. Embedder.Embed; torch_cmir.py --mode infer).
# Compilation and the warm-up steps (BENCH_WARMUP) are never timed. Each of BENCH_REPS repetitions times STEPS steps; the summary
# gives min/median/max songs/s (one song = one 256-frame crop) over repetitions, the ratios of the medians, and
# the median CPU time per step (user + system, all threads: on a loaded machine it is the fairer comparison).
# Raw outputs go to out/bench/cnn/ (git-ignored); out/bench/cnn/summary.md has the table, loadavg.tsv the
# 1-minute load average at the start and end of every step.
#
# Environment:
#   BENCH_REPS=5            repetitions (at least 3 for a record)
#   BENCH_QUICK=1           smoke run: small preset only, 1 repetition of 1 step (numbers meaningless)
#   BENCH_PRESETS="small paper"   presets to run;  BENCH_BATCH=32 (the paper trains with 128)
#   BENCH_BACKENDS="xla torch go" implementations to run, in this order (go last: the slowest)
#   BENCH_STEPS=3           timed steps per repetition for xla:cpu and torch, and for go at the small preset
#   BENCH_WARMUP=2          untimed warm-up steps (MUSICREP_CNN_BENCH_WARMUP; torch_cmir.py --warmup)
# The Go backend's convolutions are slow (a paper-size training step of batch 32 takes minutes on 2 cores), so
# at the paper preset it has its own settings:
#   BENCH_STEPS_GO_PAPER=1  timed steps per repetition
#   BENCH_WARMUP_GO_PAPER=$BENCH_WARMUP   untimed warm-up steps (the test log shows each warm-up step's time)
#   BENCH_REPS_GO_PAPER_TRAIN=$BENCH_REPS repetitions of the training step
# `bash bench/cnn.sh summary` rebuilds summary.md from the outputs already in BENCH_OUT (after an interrupted run).
#   BENCH_OUT=out/bench/cnn;  BENCH_VENV=.venv-bench (needs torch; bench/run.sh installs it — ~5 GB)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${BENCH_OUT:-out/bench/cnn}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
VENV=${BENCH_VENV:-.venv-bench}
REPS=${BENCH_REPS:-5}
QUICK=${BENCH_QUICK:-0}
BATCH=${BENCH_BATCH:-32}
BACKENDS=${BENCH_BACKENDS:-xla torch go}
PRESETS=${BENCH_PRESETS:-small paper}
STEPS=${BENCH_STEPS:-3}
STEPS_GO_PAPER=${BENCH_STEPS_GO_PAPER:-1}
WARMUP=${BENCH_WARMUP:-2}
if [ "$QUICK" = 1 ]; then
  REPS=1; PRESETS=small; STEPS=1; STEPS_GO_PAPER=1
fi
WARMUP_GO_PAPER=${BENCH_WARMUP_GO_PAPER:-$WARMUP}
REPS_GO_PAPER_TRAIN=${BENCH_REPS_GO_PAPER_TRAIN:-$REPS}

export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3} GOFLAGS=${GOFLAGS:--buildvcs=false} CGO_ENABLED=1
export OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 MKL_NUM_THREADS=2
GO=${GO:-go}

log() { echo "[cnn $(date +%H:%M:%S)] $*" >&2; }
load1() { cut -d' ' -f1 /proc/loadavg; }
# step NAME CMD...: runs CMD, logging the 1-minute load average at its start and end to loadavg.tsv.
step() {
  local name=$1; shift
  printf '%s\tstart\t%s\t%s\n' "$name" "$(load1)" "$(date +%s)" >>"$OUT/loadavg.tsv"
  log "$name (load $(load1))"
  "$@"
  printf '%s\tend\t%s\t%s\n' "$name" "$(load1)" "$(date +%s)" >>"$OUT/loadavg.tsv"
}

if [ "${1:-}" != summary ]; then # `bash bench/cnn.sh summary` only rebuilds the summary of the outputs in OUT
rm -f "$OUT"/loadavg.tsv "$OUT"/*.txt "$OUT"/*.json "$OUT"/summary.md

# ---- Build first (no compilation inside the timed steps) ------------------------------------------------------
log "building test binaries"
mkdir -p "$OUT/bin"
GOEXPERIMENT=simd $GO test -c -o "$OUT/bin/cmir.test" ./musicrep/cmir
case " $BACKENDS " in *" xla "*)
  GOEXPERIMENT=simd $GO test -c -tags xla -o "$OUT/bin/cmir-xla.test" ./musicrep/cmir ;;
esac
PY=$VENV/bin/python
TORCH=0
case " $BACKENDS " in *" torch "*)
  if "$PY" -c 'import torch' 2>/dev/null; then TORCH=1; else
    log "no torch in $VENV: the PyTorch reference is skipped (bench/run.sh installs bench/requirements.txt, ~5 GB)"
    echo "torch not importable from $PY" >"$OUT/torch_skipped.txt"
  fi ;;
esac

# ---- Machine and versions -------------------------------------------------------------------------------------
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "cpu flags: $(grep -m1 flags /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx|avx2|fma|avx512f|avx512bw|avx512vl|avx512_bf16)$' | tr '\n' ' ')"
  echo "cores: $(nproc); memory: $(free -g | awk '/Mem:/{print $2}') GiB; kernel: $(uname -r)"
  echo "go: $($GO version); GOEXPERIMENT=simd"
  echo "gomlx: $($GO list -m -f '{{.Version}}' github.com/gomlx/gomlx); compute: $($GO list -m -f '{{.Version}}' github.com/gomlx/compute); go-xla: $($GO list -m -f '{{.Version}}' github.com/gomlx/go-xla 2>/dev/null || echo '?')"
  echo "pjrt cpu plugin: $(ls .pjrt 2>/dev/null | tr '\n' ' ')"
  if [ "$TORCH" = 1 ]; then
    echo "python: $("$PY" -c 'import platform; print(platform.python_version())'); $("$PY" -c 'import torch, numpy; print("torch", torch.__version__, "numpy", numpy.__version__, "capability", torch.backends.cpu.get_cpu_capability())')"
  fi
  echo "presets: $PRESETS; batch: $BATCH; reps: $REPS; steps/rep: $STEPS; warm-up steps: $WARMUP; quick: $QUICK"
  echo "go backend at paper: steps/rep $STEPS_GO_PAPER, warm-up $WARMUP_GO_PAPER, train reps $REPS_GO_PAPER_TRAIN"
} >"$OUT/env.txt"
cat "$OUT/env.txt" >&2

# ---- Runs -------------------------------------------------------------------------------------------------------
gobench() { # gobench BINARY BACKEND PRESET BENCH STEPS REPS WARMUP OUTFILE
  local bin=$1 backend=$2 preset=$3 bench=$4 steps=$5 reps=$6 warmup=$7 out=$8
  (cd musicrep/cmir && GOMLX_BACKEND=$backend MUSICREP_CNN_BENCH_PRESET=$preset MUSICREP_CNN_BENCH_BATCH=$BATCH \
    MUSICREP_CNN_BENCH_WARMUP=$warmup "$bin" -test.run '^$' -test.bench "^$bench\$" -test.benchtime "${steps}x" \
    -test.count "$reps" -test.timeout 60m) | tee "$OUT/$out" >&2
}
for preset in $PRESETS; do
  for impl in $BACKENDS; do
    for mode in infer train; do
      bench=BenchmarkAudioTrainStep
      [ "$mode" = infer ] && bench=BenchmarkAudioInference
      gosteps=$STEPS goreps=$REPS gowarm=$WARMUP
      if [ "$preset" = paper ]; then
        gosteps=$STEPS_GO_PAPER gowarm=$WARMUP_GO_PAPER
        [ "$mode" = train ] && goreps=$REPS_GO_PAPER_TRAIN
      fi
      name=${mode}_${impl}_${preset}_b${BATCH}
      case $impl in
        go) step "$name" gobench "$OUT/bin/cmir.test" go "$preset" "$bench" "$gosteps" "$goreps" "$gowarm" "$name.txt" ;;
        xla) step "$name" gobench "$OUT/bin/cmir-xla.test" xla:cpu "$preset" "$bench" "$STEPS" "$REPS" "$WARMUP" \
          "$name.txt" ;;
        torch)
          [ "$TORCH" = 1 ] || continue
          step "$name" eval '"$PY" bench/torch_cmir.py --mode "$mode" --preset "$preset" --batch "$BATCH" \
            --threads 2 --warmup "$WARMUP" --steps "$STEPS" --reps "$REPS" >"$OUT/$name.json"' ;;
        *) log "unknown implementation $impl in BENCH_BACKENDS"; exit 1 ;;
      esac
    done
  done
done
fi

# ---- Summary ----------------------------------------------------------------------------------------------------
python3 - "$OUT" "$BATCH" "$PRESETS" <<'EOF'
import json, os, re, statistics, sys

out, batch, presets = sys.argv[1], sys.argv[2], sys.argv[3].split()
LINE = re.compile(r"^(Benchmark\S+?)(?:-\d+)?\s+(\d+)\s+(.*)$")
loads = {}
if os.path.exists(os.path.join(out, "loadavg.tsv")):
    for line in open(os.path.join(out, "loadavg.tsv")):
        p = line.rstrip("\n").split("\t")
        loads.setdefault(p[0], {})[p[1]] = float(p[2])

def go_values(path):
    vals, cpu, params, steps, warm = [], [], None, set(), []
    for line in open(path):
        m = LINE.match(line.strip())
        if m:
            steps.add(int(m.group(2)))
            f = m.group(3).split()
            for v, unit in zip(f[0::2], f[1::2]):
                if unit == "songs/s":
                    vals.append(float(v))
                if unit == "cpu-ms/op":
                    cpu.append(float(v))
        m = re.search(r"(\d+) audio parameters", line)
        if m:
            params = int(m.group(1))
        m = re.search(r"warm-up \w+ \d+ \(not timed\): (\S+)", line)
        if m:
            warm.append(m.group(1))
    return vals, cpu, params, ",".join(map(str, sorted(steps))), warm

summary, md = {}, []
md.append(f"# Audio CNN: training step and inference (batch {batch})\n")
md.append("songs/s = 256-frame crops per second; min / median / max over repetitions; load = 1-minute load "
          "average at the step's start → end.\n")
for preset in presets:
    for mode in ("train", "infer"):
        rows, med = [], {}
        for impl, label in (("go", "musicrep, Go backend"), ("xla", "musicrep, xla:cpu"), ("torch", "PyTorch (CPU, 2 threads)")):
            name = f"{mode}_{impl}_{preset}_b{batch}"
            vals, cpu, params, steps, warm = [], [], None, "?", []
            if os.path.exists(os.path.join(out, name + ".txt")):
                vals, cpu, params, steps, warm = go_values(os.path.join(out, name + ".txt"))
            elif os.path.exists(os.path.join(out, name + ".json")):
                j = json.load(open(os.path.join(out, name + ".json")))
                vals, params, steps = j["songs_per_s"], j["audio_params"], str(j["steps_per_rep"])
                cpu = j.get("cpu_ms_per_step", [])
                warm = [f"{j['warmup_steps']} steps"]
            if not vals:
                continue
            s = {"n": len(vals), "min": min(vals), "median": statistics.median(vals), "max": max(vals),
                 "values": vals, "cpu_ms_per_step": cpu,
                 "cpu_ms_median": statistics.median(cpu) if cpu else None, "audio_params": params, "steps_per_rep": steps, "warmup": warm,
                 "load": loads.get(name, {})}
            summary[name] = s
            med[impl] = s["median"]
            ld = loads.get(name, {})
            cpu_cell = f"{s['cpu_ms_median']:.0f}" if cpu else "–"
            rows.append(f"| {label} | {s['median']:.3g} | {s['min']:.3g} – {s['max']:.3g} | {cpu_cell} | {s['n']} × {steps} | "
                        f"{', '.join(warm) or '?'} | {params if params is not None else '?'} | "
                        f"{ld.get('start', float('nan')):.2f} → {ld.get('end', float('nan')):.2f} |")
        if not rows:
            continue
        md.append(f"\n## {mode}, preset {preset}\n")
        md.append("| implementation | median songs/s | min – max | median CPU-ms/step | reps × steps | warm-up (untimed) | audio params | load |")
        md.append("|---|---:|---:|---:|---:|---|---:|---|")
        md.extend(rows)
        if "go" in med:
            ratios = [f"{k}/go = {med[k] / med['go']:.2f}×" for k in ("xla", "torch") if k in med]
            if ratios:
                md.append("\nRatio of medians (throughput): " + ", ".join(ratios))
                summary[f"{mode}_{preset}_ratios"] = {k: med[k] / med["go"] for k in ("xla", "torch") if k in med}
        if "xla" in med and "torch" in med:
            md.append(f"\nxla:cpu ÷ PyTorch (medians of songs/s): {med['xla'] / med['torch']:.2f}×")
            summary[f"{mode}_{preset}_xla_over_torch"] = med["xla"] / med["torch"]
if os.path.exists(os.path.join(out, "torch_skipped.txt")):
    md.append("\nPyTorch: not run (" + open(os.path.join(out, "torch_skipped.txt")).read().strip() + ").")
md.append("\n```\n" + open(os.path.join(out, "env.txt")).read().strip() + "\n```")
json.dump(summary, open(os.path.join(out, "summary.json"), "w"), indent=1)
open(os.path.join(out, "summary.md"), "w").write("\n".join(md) + "\n")
print("\n".join(md))
EOF
log "done: $OUT/summary.md"
