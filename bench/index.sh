#!/usr/bin/env bash
# bench/index.sh — musicrep's vector index (musicrep/index, `musicrep index`) vs FAISS on a synthetic clustered
# catalogue of 1,000,000 x 128 vectors and 1,000 queries (bench/index_bench.py says what is timed and how).
#
#   exact k=10 search: musicrep Flat vs faiss.IndexFlatL2 (build, queries/s, recall@10)
#   IVF-Flat:          musicrep IVF vs faiss.IndexIVFFlat, same nlist, nprobe 1..64 (build, queries/s, recall@10)
#
# Outputs go to out/bench/index/ (git-ignored): index.json, summary.md (tables with musicrep/FAISS ratios),
# env.txt, the synthetic catalogue (synth/, reused when its meta.json matches) and the index files.
#
# Environment:
#   BENCH_REPS=5        repetitions of every timing (medians reported); BENCH_BUILD_REPS (default BENCH_REPS)
#   BENCH_QUICK=1       20,000 vectors, nlist 128, 1 repetition, into out/bench/index/quick: checks that everything
#                       runs (numbers meaningless)
#   BENCH_NLIST=1024    IVF lists (FAISS's rule of thumb for 1M vectors is 4096 ~ 4*sqrt(n); 1024 keeps lists long)
#   BENCH_OUT=out/bench/index   BENCH_VENV=.venv-bench   BENCH_PYTHON=python3 (creates the venv)
set -euo pipefail
cd "$(dirname "$0")/.."
QUICK=${BENCH_QUICK:-0}
OUT=${BENCH_OUT:-out/bench/index}
[ "$QUICK" = 1 ] && OUT=${BENCH_OUT:-out/bench/index/quick} # keep the full run's results
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
VENV=${BENCH_VENV:-.venv-bench}
REPS=${BENCH_REPS:-5}
N=1000000 NQ=1000 DIM=128 NLIST=${BENCH_NLIST:-1024} NPROBE=1,2,4,8,16,32,64
if [ "$QUICK" = 1 ]; then
  N=20000 NQ=200 NLIST=${BENCH_NLIST:-128} REPS=1 NPROBE=1,4,16,64
fi
BUILD_REPS=${BENCH_BUILD_REPS:-$REPS}

export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3} GOFLAGS=${GOFLAGS:--buildvcs=false}
export OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 MKL_NUM_THREADS=2 GOMAXPROCS=2
GO=${GO:-go}
log() { echo "[bench/index $(date +%H:%M:%S)] $*" >&2; }

# ---- Python environment: only numpy and faiss-cpu are needed here (pinned in bench/requirements.txt) ---------
if ! "$VENV/bin/python" -c 'import faiss, numpy' 2>/dev/null; then
  log "installing numpy and faiss-cpu into $VENV (pins from bench/requirements.txt)"
  [ -x "$VENV/bin/python" ] || "${BENCH_PYTHON:-python3}" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check $(grep -E '^(numpy|faiss-cpu)==' bench/requirements.txt)
fi
PY=$VENV/bin/python

log "building the CLI (GOEXPERIMENT=simd)"
mkdir -p "$OUT/bin"
GOEXPERIMENT=simd $GO build -o "$OUT/bin/musicrep" ./cmd/musicrep
MR=$OUT/bin/musicrep

SYNTH=$OUT/synth-$N
if ! grep -q "\"n\": $N," "$SYNTH/meta.json" 2>/dev/null; then
  log "generating the synthetic catalogue ($N x $DIM, $NQ queries)"
  "$MR" index synth -n "$N" -dim "$DIM" -queries "$NQ" -seed 1 -out "$SYNTH" >&2
fi

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "cpu flags: $(grep -m1 flags /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx|avx2|fma|avx512f)$' | tr '\n' ' ')"
  echo "cores: $(nproc); memory: $(free -g | awk '/Mem:/{print $2}') GiB"
  echo "go: $($GO version)"
  echo "python packages: $("$VENV/bin/pip" freeze 2>/dev/null | grep -iE '^(numpy|faiss-cpu)==' | tr '\n' ' ')"
  echo "n: $N; queries: $NQ; dim: $DIM; nlist: $NLIST; nprobe: $NPROBE; reps: $REPS; build reps: $BUILD_REPS; quick: $QUICK"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/env.txt"
cat "$OUT/env.txt" >&2

"$PY" bench/index_bench.py --musicrep "$MR" --data "$SYNTH" --out "$OUT" --nlist "$NLIST" --nprobe "$NPROBE" \
  --reps "$REPS" --build-reps "$BUILD_REPS" --threads 2 >"$OUT/index.json"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/env.txt"
cat "$OUT/summary.md"
log "done: $OUT/summary.md"
