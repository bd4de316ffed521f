#!/usr/bin/env bash
# bench/scaling.sh — the scaling curves of BENCHMARKS.md (issue 17): binding-model training throughput vs batch
# size (Go backend, xla:cpu, PyTorch CPU), top-10 search vs catalogue size (musicrep Flat/IVF vs FAISS) and
# `musicrep library scan` throughput vs file count (Go backend, xla:cpu, librosa + musicnn on TensorFlow CPU), each
# point with its peak RSS; SVG plots. bench/scaling.py says what is timed and how. `make bench-scaling` runs it.
#
# Outputs (git-ignored): out/bench/scaling/{scaling.json,summary.md,train.svg,search.svg,scan.svg,scan-rss.svg,
# env.txt}; the SVGs that BENCHMARKS.md shows are copies in bench/plots/ (BENCH_SCALING_PUBLISH=1 copies them there).
# Environment:
#   BENCH_REPS=3                       repetitions per point (medians, min–max)
#   BENCH_SCALING_PARTS=train,search   which curves (add scan, or `make bench-scan-curve`: scan only)
#   BENCH_BATCHES=32,128,512,1024,4096 BENCH_SIZES=10000,100000,1000000
#   BENCH_SCAN_COUNTS=1,4,16,41        files per scan point (the first N wesnoth-1.16-music recordings by name)
#   BENCH_SCAN_TF=1                    add the TensorFlow curve (builds .venv-golden from PyPI if absent:
#                                      scripts/golden/musicnn-golden.sh --setup-only); 0 leaves it out
#   BENCH_QUICK=1                      batches 32,256, sizes 5000,20000, scan counts 1,2; 1 repetition (checks
#                                      the pipeline)
#   BENCH_OUT=out/bench/scaling  BENCH_VENV=.venv-bench  BENCH_PYTHON=python3 (creates the venv)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${BENCH_OUT:-out/bench/scaling}
VENV=${BENCH_VENV:-.venv-bench}
REPS=${BENCH_REPS:-3}
BATCHES=${BENCH_BATCHES:-32,128,512,1024,4096}
SIZES=${BENCH_SIZES:-10000,100000,1000000}
SCAN_COUNTS=${BENCH_SCAN_COUNTS:-1,4,16,41}
PARTS=${BENCH_SCALING_PARTS:-train,search}
if [ "${BENCH_QUICK:-0}" = 1 ]; then
  OUT=${BENCH_OUT:-out/bench/scaling/quick} REPS=1 BATCHES=32,256 SIZES=5000,20000 SCAN_COUNTS=1,2
fi
has() { [[ ",$PARTS," == *",$1,"* ]]; }
mkdir -p "$OUT/bin"
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3} GOFLAGS=${GOFLAGS:--buildvcs=false}
export OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 MKL_NUM_THREADS=2
GO=${GO:-go}
log() { echo "[bench/scaling $(date +%H:%M:%S)] $*" >&2; }

PY=${BENCH_PYTHON:-python3}
if has train || has search; then
  if ! "$VENV/bin/python" -c 'import torch, faiss, numpy' 2>/dev/null; then
    log "installing $VENV from bench/requirements.txt (torch pulls ~4 GB of CUDA wheels; CPU is used)"
    [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r bench/requirements.txt
  fi
  PY=$VENV/bin/python
fi

log "building the test binaries and the CLI"
scripts/setup-xla.sh cpu
if has train; then
  GOEXPERIMENT=simd $GO test -c -o "$OUT/bin/training-simd.test" ./musicrep/training
  CGO_ENABLED=1 GOEXPERIMENT=simd $GO test -tags xla -c -o "$OUT/bin/training-xla.test" ./musicrep/training
fi
GOEXPERIMENT=simd $GO build -o "$OUT/bin/musicrep" ./cmd/musicrep
SCAN_ARGS=()
if has scan; then
  scripts/setup-models.sh musicnn >/dev/null
  CGO_ENABLED=1 GOEXPERIMENT=simd $GO build -tags xla -o "$OUT/bin/musicrep-xla" ./cmd/musicrep
  SCAN_ARGS=(--musicrep-xla "$OUT/bin/musicrep-xla" --scan-counts "$SCAN_COUNTS")
  if [ "${BENCH_SCAN_TF:-1}" = 1 ]; then
    scripts/golden/musicnn-golden.sh --setup-only
    SCAN_ARGS+=(--tf-python "$(pwd)/.venv-golden/bin/python")
  fi
fi
OUT=$(cd "$OUT" && pwd)
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "cores: $(nproc); memory: $(free -g | awk '/Mem:/{print $2}') GiB"
  echo "go: $($GO version); gomlx: $($GO list -m -f '{{.Version}}' github.com/gomlx/gomlx)"
  echo "python packages: $("$VENV/bin/pip" freeze 2>/dev/null | grep -iE '^(torch|numpy|faiss-cpu)==' | tr '\n' ' ')"
  has scan && [ "${BENCH_SCAN_TF:-1}" = 1 ] && echo "TensorFlow side (.venv-golden): $(.venv-golden/bin/pip freeze 2>/dev/null | grep -iE '^(tensorflow[-_]cpu|tf[-_]keras|librosa|numpy|musicnn)==' | tr '\n' ' ')"
  echo "parts: $PARTS; reps: $REPS; batches: $BATCHES; sizes: $SIZES; scan counts: $SCAN_COUNTS"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/env.txt"
cat "$OUT/env.txt" >&2
"$PY" bench/scaling.py --out "$OUT" --go-test "$OUT/bin/training-simd.test" \
  --xla-test "$OUT/bin/training-xla.test" --musicrep "$OUT/bin/musicrep" --reps "$REPS" \
  --parts "$PARTS" --batches "$BATCHES" --sizes "$SIZES" "${SCAN_ARGS[@]}"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/env.txt"
if [ "${BENCH_SCALING_PUBLISH:-0}" = 1 ]; then
  mkdir -p bench/plots
  for f in train search scan scan-rss; do [ -f "$OUT/$f.svg" ] && cp "$OUT/$f.svg" "bench/plots/scaling-$f.svg"; done
fi
log "done: $OUT/summary.md"
