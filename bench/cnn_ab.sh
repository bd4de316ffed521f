#!/usr/bin/env bash
# bench/cnn_ab.sh — interleaved A/B runs of the audio CNN's training step (musicrep/cmir BenchmarkAudioTrainStep)
# on xla:cpu: builds of several git revisions and/or several XLA_FLAGS settings, run in turns (round 1: A B C …,
# round 2: A B C …, …) so that a changing machine load hits all of them alike. Prints, per variant, the median
# songs/s (wall time) and the median CPU-ms per step (user + system, all threads: on a shared machine it moves
# less with the other processes' load), with min–max and the 1-minute load at the start and end of each run.
#
#   CNN_AB_VARIANTS  space-separated LABEL=REV[@XLA_FLAGS] (default: "before=HEAD~1 after=HEAD"); REV is any git
#                    revision (WORKTREE = the working tree as it is); XLA_FLAGS may hold commas, not spaces
#                    (e.g. 'xnn=HEAD@--xla_cpu_use_xnnpack=true').
#   CNN_AB_ROUNDS=3  rounds;  BENCH_PRESET=small;  BENCH_BATCH=32;  BENCH_STEPS=5 timed steps per run;
#   BENCH_WARMUP=2   untimed steps after compilation;  BENCH_OUT=out/bench/cnn-ab (raw outputs, summary.md)
# Example (the record of BENCHMARKS.md's section "The CNN training step on xla:cpu"):
#   CNN_AB_VARIANTS='before=6efeb95 after=HEAD' CNN_AB_ROUNDS=3 bash bench/cnn_ab.sh
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
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3} GOFLAGS=${GOFLAGS:--buildvcs=false} CGO_ENABLED=1 GOEXPERIMENT=simd
GO=${GO:-go}
log() { echo "[cnn-ab $(date +%H:%M:%S)] $*" >&2; }
load1() { cut -d' ' -f1 /proc/loadavg; }

# ---- Build one test binary per revision --------------------------------------------------------------------------
declare -A BIN
for v in $VARIANTS; do
  rev=${v#*=}; rev=${rev%%@*}
  [ -n "${BIN[$rev]:-}" ] && continue
  if [ "$rev" = WORKTREE ]; then
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
    (cd "$ROOT/musicrep/cmir" && XLA_FLAGS="${flags//,/ }" GOMLX_BACKEND=xla:cpu MUSICREP_CNN_BENCH_PRESET=$PRESET \
      MUSICREP_CNN_BENCH_BATCH=$BATCH MUSICREP_CNN_BENCH_WARMUP=$WARMUP "${BIN[$rev]}" -test.run '^$' \
      -test.bench '^BenchmarkAudioTrainStep$' -test.benchtime "${STEPS}x" -test.count 1 -test.timeout 60m) >"$out" 2>&1
    l1=$(load1)
    line=$(grep -E '^BenchmarkAudioTrainStep' "$out" | tail -1)
    songs=$(echo "$line" | awk '{for (i=1;i<=NF;i++) if ($(i+1)=="songs/s") print $i}')
    cpu=$(echo "$line" | awk '{for (i=1;i<=NF;i++) if ($(i+1)=="cpu-ms/op") print $i}')
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$r" "$songs" "$cpu" "$l0" "$l1" >>"$OUT/runs.tsv"
    log "round $r $label: $songs songs/s, $cpu CPU-ms/step (load $l0 → $l1)"
  done
done

# ---- Summary ------------------------------------------------------------------------------------------------------
python3 - "$OUT" "$PRESET" "$BATCH" "$STEPS" "$VARIANTS" <<'PY'
import statistics, sys
out, preset, batch, steps, variants = sys.argv[1:6]
rows = {}
for line in open(f"{out}/runs.tsv"):
    label, r, songs, cpu, l0, l1 = line.rstrip("\n").split("\t")
    rows.setdefault(label, []).append((float(songs or "nan"), float(cpu or "nan"), l0, l1))
md = [f"# CNN training step on xla:cpu, interleaved A/B (preset {preset}, batch {batch}, {steps} timed steps a run)", "",
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
open(f"{out}/summary.md", "w").write("\n".join(md) + "\n")
print("\n".join(md))
PY
