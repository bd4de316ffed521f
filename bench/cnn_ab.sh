#!/usr/bin/env bash
# bench/cnn_ab.sh — interleaved A/B runs of the audio CNN's training step (musicrep/cmir BenchmarkAudioTrainStep)
# or inference (BenchmarkAudioInference) on xla:cpu: builds of several git revisions and/or several XLA_FLAGS
# settings, and PyTorch (bench/torch_cmir.py, the same model), run in turns (round 1: A B C …, round 2: A B C …,
# …) so that a changing machine speed hits all of them alike. Prints, per variant, the median songs/s (wall time)
# and the median CPU-ms per step (user + system, all threads: on a shared machine it moves less with the other
# processes' load), with min–max and the 1-minute load at the start and end of each run; and, per variant, the
# paired ratio to the first variant (its songs/s over the first's in the same round): median and min–max over
# rounds, and how many rounds it was ahead. On this project's machines, whose speed drifts by ±20 % within
# minutes, the paired ratios are the comparison to quote; medians of separate runs mostly measure the drift.
#
#   CNN_AB_VARIANTS  space-separated LABEL=REV[@XLA_FLAGS] (default: "before=HEAD~1 after=HEAD"); REV is any git
#                    revision (WORKTREE = the working tree as it is) or TORCH (PyTorch on the CPU, 2 threads, from
#                    BENCH_VENV=.venv-bench); XLA_FLAGS may hold commas, not spaces (e.g.
#                    'xnn=HEAD@--xla_cpu_use_xnnpack=true'); after TORCH the @ part is extra environment,
#                    comma-separated (e.g. 'torch-tc=TORCH@LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4').
#   CNN_AB_MODE=train (or infer);  CNN_AB_ROUNDS=3 rounds;  BENCH_PRESET=small;  BENCH_BATCH=32;
#   BENCH_STEPS=5 timed steps per run;  BENCH_WARMUP=2 untimed steps after compilation;
#   BENCH_OUT=out/bench/cnn-ab (raw outputs, runs.tsv, summary.md)
# Examples (BENCHMARKS.md's sections "The CNN training step on xla:cpu" and "The fifth record"):
#   CNN_AB_VARIANTS='before=6efeb95 after=HEAD' CNN_AB_ROUNDS=3 bash bench/cnn_ab.sh
#   CNN_AB_VARIANTS='torch=TORCH xla=HEAD' CNN_AB_ROUNDS=10 BENCH_STEPS=10 bash bench/cnn_ab.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=${BENCH_OUT:-out/bench/cnn-ab}
mkdir -p "$OUT/bin"
OUT=$(cd "$OUT" && pwd)
VARIANTS=${CNN_AB_VARIANTS:-before=HEAD~1 after=HEAD}
ROUNDS=${CNN_AB_ROUNDS:-3}
PRESET=${BENCH_PRESET:-small}
BATCH=${BENCH_BATCH:-32}
STEPS=${BENCH_STEPS:-5}
WARMUP=${BENCH_WARMUP:-2}
MODE=${CNN_AB_MODE:-train}
VENV=${BENCH_VENV:-.venv-bench}
case "$MODE" in
  train) GOBENCH=BenchmarkAudioTrainStep ;;
  infer) GOBENCH=BenchmarkAudioInference ;;
  *) echo "cnn_ab: CNN_AB_MODE=$MODE: use train or infer" >&2; exit 2 ;;
esac
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3} GOFLAGS=${GOFLAGS:--buildvcs=false} CGO_ENABLED=1 GOEXPERIMENT=simd
GO=${GO:-go}
log() { echo "[cnn-ab $(date +%H:%M:%S)] $*" >&2; }
load1() { cut -d' ' -f1 /proc/loadavg; }

# ---- Build one test binary per revision --------------------------------------------------------------------------
declare -A BIN
for v in $VARIANTS; do
  rev=${v#*=}; rev=${rev%%@*}
  [ -n "${BIN[$rev]:-}" ] && continue
  if [ "$rev" = TORCH ]; then
    [ -x "$VENV/bin/python" ] || { echo "cnn_ab: $VENV/bin/python not found (bench/run.sh creates it)" >&2; exit 2; }
    BIN[$rev]=torch
    continue
  elif [ "$rev" = WORKTREE ]; then
    bin="$OUT/bin/cmir-xla-worktree.test"
    log "building the working tree"
    $GO test -c -tags xla -o "$bin" ./musicrep/cmir
  else
    sha=$(git rev-parse --short=12 "$rev")
    bin="$OUT/bin/cmir-xla-$sha.test"
    if [ ! -x "$bin" ]; then
      tmp=$(mktemp -d)
      log "building $rev ($sha)"
      git worktree add -q --detach "$tmp/src" "$sha"
      (cd "$tmp/src" && $GO test -c -tags xla -o "$bin" ./musicrep/cmir)
      git worktree remove --force "$tmp/src"
      rm -rf "$tmp"
    fi
  fi
  BIN[$rev]=$bin
done

# ---- Interleaved runs --------------------------------------------------------------------------------------------
: >"$OUT/runs.tsv"
for r in $(seq 1 "$ROUNDS"); do
  for v in $VARIANTS; do
    label=${v%%=*}; spec=${v#*=}; rev=${spec%%@*}; flags=""
    [ "$spec" != "$rev" ] && flags=${spec#*@}
    l0=$(load1)
    out="$OUT/$label.round$r.txt"
    if [ "$rev" = TORCH ]; then
      IFS=, read -r -a extra <<<"$flags"
      env "${extra[@]}" OMP_NUM_THREADS=2 MKL_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 "$VENV/bin/python" bench/torch_cmir.py --mode "$MODE" \
        --preset "$PRESET" --batch "$BATCH" --threads 2 --warmup "$WARMUP" --steps "$STEPS" --reps 1 >"$out" 2>"$out.err"
      l1=$(load1)
      read -r songs cpu < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.1f %.1f" % (d["songs_per_s_median"], d["cpu_ms_per_step"][0]))' "$out")
    else
      (cd "$ROOT/musicrep/cmir" && XLA_FLAGS="${flags//,/ }" GOMLX_BACKEND=xla:cpu MUSICREP_CNN_BENCH_PRESET=$PRESET \
        MUSICREP_CNN_BENCH_BATCH=$BATCH MUSICREP_CNN_BENCH_WARMUP=$WARMUP "${BIN[$rev]}" -test.run '^$' \
        -test.bench "^$GOBENCH\$" -test.benchtime "${STEPS}x" -test.count 1 -test.timeout 60m) >"$out" 2>&1
      l1=$(load1)
      line=$(grep -E "^$GOBENCH" "$out" | tail -1)
      songs=$(echo "$line" | awk '{for (i=1;i<=NF;i++) if ($(i+1)=="songs/s") print $i}')
      cpu=$(echo "$line" | awk '{for (i=1;i<=NF;i++) if ($(i+1)=="cpu-ms/op") print $i}')
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$r" "$songs" "$cpu" "$l0" "$l1" >>"$OUT/runs.tsv"
    log "round $r $label: $songs songs/s, $cpu CPU-ms/step (load $l0 → $l1)"
  done
done

# ---- Summary ------------------------------------------------------------------------------------------------------
python3 - "$OUT" "$PRESET" "$BATCH" "$STEPS" "$VARIANTS" "$MODE" <<'PY'
import math, statistics, sys
out, preset, batch, steps, variants, mode = sys.argv[1:7]
rows, byround = {}, {}
for line in open(f"{out}/runs.tsv"):
    label, r, songs, cpu, l0, l1 = line.rstrip("\n").split("\t")
    rows.setdefault(label, []).append((float(songs or "nan"), float(cpu or "nan"), l0, l1))
    byround.setdefault(r, {})[label] = float(songs or "nan")
what = "training step" if mode == "train" else "inference"
md = [f"# CNN {what}, interleaved A/B (preset {preset}, batch {batch}, {steps} timed steps a run)", "",
      "| variant | median songs/s | min – max | median CPU-ms/step | min – max | runs | 1-min load (start → end, each run) |",
      "|---|---:|---:|---:|---:|---:|---|"]
meds = {}
for v in variants.split():
    label = v.split("=")[0]
    rs = rows.get(label, [])
    if not rs:
        continue
    s = [x[0] for x in rs]; c = [x[1] for x in rs]
    meds[label] = (statistics.median(s), statistics.median(c))
    md.append(f"| {v} | {meds[label][0]:.1f} | {min(s):.1f} – {max(s):.1f} | {meds[label][1]:.0f} | {min(c):.0f} – {max(c):.0f} | "
              f"{len(rs)} | {', '.join(f'{x[2]}→{x[3]}' for x in rs)} |")
if meds:
    first = variants.split()[0].split("=")[0]
    md.append("")
    md.append("Ratios to " + first + " (medians): " + ", ".join(
        f"{k}: {v[0] / meds[first][0]:.2f}× songs/s, {meds[first][1] / v[1]:.2f}× less CPU" for k, v in meds.items() if k != first))
    for k in meds:
        if k == first:
            continue
        paired = [rd[k] / rd[first] for rd in byround.values() if k in rd and first in rd and rd[first] > 0]
        paired = [p for p in paired if p == p]  # drop NaN (a failed run)
        if paired:
            ahead = sum(p > 1 for p in paired)
            n, ps = len(paired), sorted(paired)
            # Distribution-free interval for the median: [x(j), x(n+1-j)] (1-based order statistics) with the
            # largest j whose coverage 1 - 2·P(Binomial(n, 1/2) < j) is still at least 95 %.
            cdf = lambda j: sum(math.comb(n, i) for i in range(j)) / 2 ** n
            j = max((j for j in range(1, n // 2 + 1) if 1 - 2 * cdf(j) >= 0.95), default=0)
            if j:
                iv = f"95 % interval of the median [{ps[j - 1]:.3f}, {ps[n - j]:.3f}] (order statistics, coverage {100 * (1 - 2 * cdf(j)):.1f} %)"
            else:
                iv = "too few rounds for a 95 % interval of the median (6 at least)"
            md.append(f"Paired ratio {k} ÷ {first} (songs/s, same round): median {statistics.median(paired):.3f}× "
                      f"[min {min(paired):.3f}, max {max(paired):.3f}], ahead in {ahead} of {n} rounds; {iv}")
open(f"{out}/summary.md", "w").write("\n".join(md) + "\n")
print("\n".join(md))
PY
