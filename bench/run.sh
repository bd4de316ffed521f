#!/usr/bin/env bash
# bench/run.sh — musicrep's performance record (BENCHMARKS.md); `make bench` calls it.
#
# In one run on this machine, with several repetitions each (min/median/max reported):
#   1. binding-model training throughput (pairs/s) of the published configuration: musicrep on the pure-Go
#      backend without SIMD and with GOEXPERIMENT=simd, and on XLA's CPU plugin (xla:cpu; `make xla-setup`, built
#      with -tags xla) (BenchmarkTrainEpoch: one fresh trainer + one epoch per op; BenchmarkTrainEpochSteady:
#      warm-up excluded), and the reference PyTorch implementation (bench/torch_binding.py);
#   2. paper-protocol search speed: exact top-50 squared-L2 search over the 822 published joint embeddings and
#      over 100,000 synthetic 128-d vectors (1,000 queries), musicrep vs FAISS IndexFlatL2 vs NumPy, with a
#      check that the neighbour sets agree, and the whole `musicrep eval -protocol paper` command.
# Raw outputs go to out/bench/ (git-ignored); out/bench/summary.md has the tables. Then, unless BENCH_ONLY_CORE=1:
#   3. the audio CNN's training step and inference, go vs xla:cpu vs PyTorch (bench/cnn.sh → out/bench/cnn/), and
#      xla:cpu vs PyTorch interleaved, paired by round (bench/cnn_ab.sh → out/bench/cnn-paired/*/summary.md: the
#      ratios to quote on a machine whose speed drifts; BENCH_PAIRED_ROUNDS=12 rounds at the small preset, half
#      that at the paper preset);
#   4. exact and IVF top-k search over 1M x 128 vectors vs FAISS (bench/index.sh → out/bench/index/);
#   5. log-mel vs librosa and BPR vs implicit (bench/melcf.sh → out/bench/melcf/).
#
# Environment:
#   BENCH_REPS=5          repetitions (at least 3 for a record)
#   BENCH_QUICK=1         tiny settings, to check that everything runs (numbers meaningless)
#   BENCH_WAIT_QUIET=1    first wait until no process matches BENCH_WAIT_PATTERN (default musicrep-full) and the
#                         1-minute load average is below BENCH_MAX_LOAD (1.5); poll every 60 s, at most
#                         BENCH_WAIT_MAX seconds (6000), then run anyway
#   BENCH_OUT=out/bench   output folder;  BENCH_VENV=.venv-bench;  BENCH_PYTHON=python3 (creates the venv)
#   MUSICREP_DATA         the shared data folder (default ../shared/data)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${BENCH_OUT:-out/bench}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
VENV=${BENCH_VENV:-.venv-bench}
REPS=${BENCH_REPS:-5}
QUICK=${BENCH_QUICK:-0}
DATA=${MUSICREP_DATA:-../shared/data}
[ -d "$DATA/fairouz" ] || { echo "bench: no Fairouz data in $DATA (set MUSICREP_DATA)" >&2; exit 1; }
export MUSICREP_DATA=$(cd "$DATA" && pwd)
PUB=$MUSICREP_DATA/fairouz/reference/published_joint_c2e4_51k.json
POS=$MUSICREP_DATA/fairouz/positives_negatives_more_negatives.json

export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3} GOFLAGS=${GOFLAGS:--buildvcs=false} GOMLX_BACKEND=go
export OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 MKL_NUM_THREADS=2
GO=${GO:-go}

if [ "$QUICK" = 1 ]; then
  REPS=1; TRAIN_BT=1x; SMALL_BT=20x; CLI_RUNS=2; SEARCH_REPS=1; SMALL_REPS=2
else
  TRAIN_BT=2x; SMALL_BT=1s; CLI_RUNS=$((REPS > 10 ? REPS : 10)); SEARCH_REPS=$REPS; SMALL_REPS=$((REPS * 3))
fi

log() { echo "[bench $(date +%H:%M:%S)] $*" >&2; }
load1() { cut -d' ' -f1 /proc/loadavg; }
# step NAME CMD...: runs CMD, logging the 1-minute load average at its start and end to loadavg.tsv, and the peak
# RSS of the step's largest process to rss-NAME.txt (GNU time's %M, kB, from wait4 over the process tree; CMD runs
# in a child bash, so the shell functions and variables it uses are exported below).
step() {
  local name=$1; shift
  printf '%s\tstart\t%s\t%s\n' "$name" "$(load1)" "$(date +%s)" >>"$OUT/loadavg.tsv"
  log "$name (load $(load1))"
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f '%M' -o "$OUT/rss-$name.txt" bash -euo pipefail -c '"$@"' step "$@"
  else
    "$@"
  fi
  printf '%s\tend\t%s\t%s\n' "$name" "$(load1)" "$(date +%s)" >>"$OUT/loadavg.tsv"
}

# ---- Python environment ----------------------------------------------------------------------------------
if ! "$VENV/bin/python" -c 'import torch, faiss, numpy' 2>/dev/null; then
  log "installing $VENV from bench/requirements.txt (torch pulls ~4 GB of CUDA wheels; CPU is used)"
  [ -x "$VENV/bin/python" ] || "${BENCH_PYTHON:-python3}" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r bench/requirements.txt
fi
PY=$VENV/bin/python

# ---- Wait for a quiet machine (optional) ---------------------------------------------------------------------
if [ "${BENCH_WAIT_QUIET:-0}" = 1 ]; then
  pat=${BENCH_WAIT_PATTERN:-musicrep-full}; maxload=${BENCH_MAX_LOAD:-1.5}; deadline=$((SECONDS + ${BENCH_WAIT_MAX:-6000}))
  while :; do
    busy=$(pgrep -f "$pat" | grep -vx "$$" || true)
    if [ -z "$busy" ] && awk -v l="$(load1)" -v m="$maxload" 'BEGIN{exit !(l < m)}'; then
      log "machine quiet (load $(load1))"; break
    fi
    if [ $SECONDS -ge $deadline ]; then log "machine never got quiet (load $(load1)); running anyway"; break; fi
    log "waiting: ${busy:+$pat running, }load $(load1)"; sleep 60
  done
fi

rm -f "$OUT"/loadavg.tsv "$OUT"/*.txt "$OUT"/*.json "$OUT"/summary.md
rm -rf "$OUT/dump"

# ---- Build everything first (no compilation inside the timed steps) -----------------------------------------
log "building test binaries and the CLI"
mkdir -p "$OUT/bin"
GOEXPERIMENT= $GO test -c -o "$OUT/bin/training-nosimd.test" ./musicrep/training
GOEXPERIMENT=simd $GO test -c -o "$OUT/bin/training-simd.test" ./musicrep/training
scripts/setup-xla.sh cpu
CGO_ENABLED=1 GOEXPERIMENT=simd $GO test -tags xla -c -o "$OUT/bin/training-xla.test" ./musicrep/training
GOEXPERIMENT=simd $GO test -c -o "$OUT/bin/evaluation.test" ./evaluation
GOEXPERIMENT=simd $GO build -o "$OUT/bin/musicrep" ./cmd/musicrep
[ -f "$OUT/synth/base.f32" ] || "$PY" bench/search_bench.py gen --synth-dir "$OUT/synth"

# ---- Machine and versions --------------------------------------------------------------------------------
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') (family $(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | tr -d ' '), model $(grep -m1 '^model[[:space:]]' /proc/cpuinfo | cut -d: -f2 | tr -d ' '))"
  echo "cpu flags: $(grep -m1 flags /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx|avx2|fma|avx512f|avx512bw|avx512vl|avx512_bf16)$' | tr '\n' ' ')"
  echo "cores: $(nproc); memory: $(free -g | awk '/Mem:/{print $2}') GiB; kernel: $(uname -r)"
  echo "os: $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "go: $($GO version)"
  echo "gomlx: $($GO list -m -f '{{.Version}}' github.com/gomlx/gomlx); compute: $($GO list -m -f '{{.Version}}' github.com/gomlx/compute)"
  echo "python: $("$PY" -c 'import platform; print(platform.python_version())')"
  echo "python packages: $("$VENV/bin/pip" freeze 2>/dev/null | grep -iE '^(torch|numpy|faiss-cpu)==' | tr '\n' ' ')"
  echo "hyperfine: $(hyperfine --version 2>/dev/null || echo 'not installed (bench/timecmd.py used)')"
  echo "reps: $REPS; quick: $QUICK"
} >"$OUT/env.txt"
cat "$OUT/env.txt" >&2

# ---- 1. Training throughput --------------------------------------------------------------------------------
gobench() { # gobench BINARY PKGDIR OUTFILE ARGS...
  local bin=$1 dir=$2 out=$3; shift 3
  (cd "$dir" && "$bin" -test.run '^$' -test.timeout 60m "$@") | tee "$OUT/$out" >&2
}
xlabench() { GOMLX_BACKEND=xla:cpu gobench "$@"; }
torchrun() { "$PY" bench/torch_binding.py --epochs "$REPS" "$@"; }
export OUT PY REPS PUB SEARCH_REPS SMALL_REPS
export -f gobench xlabench torchrun
step train_go_nosimd gobench "$OUT/bin/training-nosimd.test" musicrep/training train_go_nosimd.txt \
  -test.bench '^BenchmarkTrainEpoch$' -test.benchtime "$TRAIN_BT" -test.count "$REPS"
step train_go_simd gobench "$OUT/bin/training-simd.test" musicrep/training train_go_simd.txt \
  -test.bench '^BenchmarkTrainEpoch$' -test.benchtime "$TRAIN_BT" -test.count "$REPS"
step train_go_nosimd_steady gobench "$OUT/bin/training-nosimd.test" musicrep/training train_go_nosimd_steady.txt \
  -test.bench '^BenchmarkTrainEpochSteady$' -test.benchtime "$TRAIN_BT" -test.count "$REPS"
step train_go_simd_steady gobench "$OUT/bin/training-simd.test" musicrep/training train_go_simd_steady.txt \
  -test.bench '^BenchmarkTrainEpochSteady$' -test.benchtime "$TRAIN_BT" -test.count "$REPS"
step train_xla_cpu xlabench "$OUT/bin/training-xla.test" musicrep/training train_xla_cpu.txt \
  -test.bench '^BenchmarkTrainEpoch$' -test.benchtime "$TRAIN_BT" -test.count "$REPS"
step train_xla_cpu_steady xlabench "$OUT/bin/training-xla.test" musicrep/training train_xla_cpu_steady.txt \
  -test.bench '^BenchmarkTrainEpochSteady$' -test.benchtime "$TRAIN_BT" -test.count "$REPS"
step train_torch_seed_t2 eval 'torchrun --threads 2 --mode seed >"$OUT/train_torch_seed_t2.json"'
step train_torch_concat_t2 eval 'torchrun --threads 2 --mode concat >"$OUT/train_torch_concat_t2.json"'
step train_torch_seed_t1 eval 'torchrun --threads 1 --mode seed >"$OUT/train_torch_seed_t1.json"'

# ---- 2. Search ----------------------------------------------------------------------------------------------
export MUSICREP_BENCH_DUMP=$OUT/dump MUSICREP_BENCH_SYNTH=$OUT/synth
step eval_go gobench "$OUT/bin/evaluation.test" evaluation eval_go.txt \
  -test.bench '^Benchmark(TopKPublished|PaperProtocolPublished)$' -test.benchtime "$SMALL_BT" -test.count "$REPS"
step eval_go_100k gobench "$OUT/bin/evaluation.test" evaluation eval_go_100k.txt \
  -test.bench '^BenchmarkTopKSynthetic100k$' -test.benchtime 1x -test.count "$REPS"
step search_python eval '"$PY" bench/search_bench.py run --published "$PUB" --synth-dir "$OUT/synth" \
  --go-dump "$OUT/dump" --reps "$SEARCH_REPS" --reps-small "$SMALL_REPS" >"$OUT/search_python.json"'

CLI=("$OUT/bin/musicrep" eval -protocol paper -embeddings "$PUB" -positives "$POS" -baselines=false)
"${CLI[@]}" >"$OUT/eval_cli_output.txt"
if command -v hyperfine >/dev/null; then
  step eval_cli hyperfine --shell=none --warmup 2 --runs "$CLI_RUNS" --export-json "$OUT/eval_cli_hyperfine.json" \
    "${CLI[*]}" >&2
else
  step eval_cli "$PY" bench/timecmd.py --runs "$CLI_RUNS" --warmup 2 --export-json "$OUT/eval_cli_hyperfine.json" \
    -- "${CLI[@]}" >&2
fi

"$PY" bench/summarize.py "$OUT"
log "done: $OUT/summary.md"
if [ "${BENCH_ONLY_CORE:-0}" != 1 ]; then
  BENCH_OUT="$OUT/cnn" bash bench/cnn.sh
  rounds=${BENCH_PAIRED_ROUNDS:-12} steps=10
  [ "$QUICK" = 1 ] && rounds=1 steps=1
  for spec in small:train:$rounds small:infer:$rounds paper:train:$(( (rounds + 1) / 2 )); do
    IFS=: read -r preset mode n <<<"$spec"
    BENCH_PRESET=$preset CNN_AB_MODE=$mode CNN_AB_ROUNDS=$n BENCH_STEPS=$steps BENCH_VENV="$VENV" \
      CNN_AB_VARIANTS='torch=TORCH musicrep=WORKTREE' BENCH_OUT="$OUT/cnn-paired/$preset-b${BENCH_BATCH:-32}-$mode" bash bench/cnn_ab.sh
  done
  BENCH_OUT="$OUT/index" bash bench/index.sh
  BENCH_OUT="$OUT/melcf" BENCH_REPS="$REPS" bash bench/melcf.sh
fi
