#!/usr/bin/env bash
# bench/scaling.sh — the scaling curves of BENCHMARKS.md (issue 17): binding-model training throughput vs batch
# size (Go backend, xla:cpu, PyTorch CPU) and top-10 search vs catalogue size (musicrep Flat/IVF vs FAISS), each
# point with its peak RSS; SVG plots. bench/scaling.py says what is timed and how. `make bench-scaling` runs it.
#
# Outputs (git-ignored): out/bench/scaling/{scaling.json,summary.md,train.svg,search.svg,env.txt}; the SVGs that
# BENCHMARKS.md shows are copies in bench/plots/ (BENCH_SCALING_PUBLISH=1 copies them there).
# Environment:
#   BENCH_REPS=3                       repetitions per point (medians, min–max)
#   BENCH_SCALING_PARTS=train,search   which curves
#   BENCH_BATCHES=32,128,512,1024,4096 BENCH_SIZES=10000,100000,1000000
#   BENCH_QUICK=1                      batches 32,256 and sizes 5000,20000, 1 repetition (checks the pipeline)
#   BENCH_OUT=out/bench/scaling  BENCH_VENV=.venv-bench  BENCH_PYTHON=python3 (creates the venv)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${BENCH_OUT:-out/bench/scaling}
VENV=${BENCH_VENV:-.venv-bench}
REPS=${BENCH_REPS:-3}
BATCHES=${BENCH_BATCHES:-32,128,512,1024,4096}
SIZES=${BENCH_SIZES:-10000,100000,1000000}
if [ "${BENCH_QUICK:-0}" = 1 ]; then
  OUT=${BENCH_OUT:-out/bench/scaling/quick} REPS=1 BATCHES=32,256 SIZES=5000,20000
fi
mkdir -p "$OUT/bin"
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3} GOFLAGS=${GOFLAGS:--buildvcs=false}
export OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 MKL_NUM_THREADS=2
GO=${GO:-go}
log() { echo "[bench/scaling $(date +%H:%M:%S)] $*" >&2; }

if ! "$VENV/bin/python" -c 'import torch, faiss, numpy' 2>/dev/null; then
  log "installing $VENV from bench/requirements.txt (torch pulls ~4 GB of CUDA wheels; CPU is used)"
  [ -x "$VENV/bin/python" ] || "${BENCH_PYTHON:-python3}" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r bench/requirements.txt
fi

log "building the test binaries and the CLI"
GOEXPERIMENT=simd $GO test -c -o "$OUT/bin/training-simd.test" ./musicrep/training
scripts/setup-xla.sh cpu
CGO_ENABLED=1 GOEXPERIMENT=simd $GO test -tags xla -c -o "$OUT/bin/training-xla.test" ./musicrep/training
GOEXPERIMENT=simd $GO build -o "$OUT/bin/musicrep" ./cmd/musicrep
OUT=$(cd "$OUT" && pwd)
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "cores: $(nproc); memory: $(free -g | awk '/Mem:/{print $2}') GiB"
  echo "go: $($GO version); gomlx: $($GO list -m -f '{{.Version}}' github.com/gomlx/gomlx)"
  echo "python packages: $("$VENV/bin/pip" freeze 2>/dev/null | grep -iE '^(torch|numpy|faiss-cpu)==' | tr '\n' ' ')"
  echo "reps: $REPS; batches: $BATCHES; sizes: $SIZES"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/env.txt"
cat "$OUT/env.txt" >&2
"$VENV/bin/python" bench/scaling.py --out "$OUT" --go-test "$OUT/bin/training-simd.test" \
  --xla-test "$OUT/bin/training-xla.test" --musicrep "$OUT/bin/musicrep" --reps "$REPS" \
  --parts "${BENCH_SCALING_PARTS:-train,search}" --batches "$BATCHES" --sizes "$SIZES"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/env.txt"
if [ "${BENCH_SCALING_PUBLISH:-0}" = 1 ]; then
  mkdir -p bench/plots
  for f in train search; do [ -f "$OUT/$f.svg" ] && cp "$OUT/$f.svg" "bench/plots/scaling-$f.svg"; done
fi
log "done: $OUT/summary.md"
