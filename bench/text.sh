#!/usr/bin/env bash
# bench/text.sh — the benchmarks added with the joint model (`make bench-text`; recorded in BENCHMARKS.md §3–4):
#   3. all-MiniLM-L6-v2 sentence encoding: musicrep/textenc (GoMLX: pure-Go backend, GOEXPERIMENT=simd, and
#      xla:cpu, built with -tags xla after scripts/setup-xla.sh cpu) vs
#      sentence-transformers on PyTorch (CPU, 2 threads), the same 32 template texts (BenchmarkEncode,
#      scripts/golden/minilm_bench.py); median of BENCH_REPS repetitions each;
#   4. the Go backend's execution mode: binding-model training (BenchmarkTrainEpoch, SIMD build) with the ops run
#      one at a time (GOMLX_BACKEND=go, musicrep's default: ops_sequential) vs in parallel
#      (GOMLX_BACKEND=go:ops_parallel). bench/opsmode.sh
#      (`make bench-opsmode`) is the interleaved A/B of the same two modes on training, MiniLM and musicnn.
# Raw outputs: out/bench-text/. The Python side lives in .venv-golden (scripts/golden/requirements-minilm.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${BENCH_OUT:-out/bench-text}
REPS=${BENCH_REPS:-5}
VENV=${BENCH_GOLDEN_VENV:-.venv-golden}
mkdir -p "$OUT/bin"
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3} GOFLAGS=${GOFLAGS:--buildvcs=false}
export OMP_NUM_THREADS=2 MKL_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2
log() { echo "[bench-text $(date +%H:%M:%S)] $*" >&2; }
scripts/setup-models.sh text
if ! "$VENV/bin/python" -c 'import sentence_transformers' 2>/dev/null; then
  log "installing $VENV from scripts/golden/requirements-minilm.txt (torch pulls ~4 GB of CUDA wheels; CPU is used)"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r scripts/golden/requirements-minilm.txt
fi
GOEXPERIMENT=simd go test -c -o "$OUT/bin/textenc.test" ./musicrep/textenc
scripts/setup-xla.sh cpu
CGO_ENABLED=1 GOEXPERIMENT=simd go test -tags xla -c -o "$OUT/bin/textenc-xla.test" ./musicrep/textenc
GOEXPERIMENT=simd go test -c -o "$OUT/bin/training.test" ./musicrep/training
{ echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"; echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"; go version; } >"$OUT/env.txt"

log "3. MiniLM: musicrep/textenc BenchmarkEncode × $REPS"
(cd musicrep/textenc && MUSICREP_REQUIRE_MODELS=1 GOMLX_BACKEND=go "../../$OUT/bin/textenc.test" -test.run '^$' \
  -test.bench '^BenchmarkEncode$' -test.benchtime 3x -test.count "$REPS") | tee "$OUT/minilm_go.txt" >&2
log "3. MiniLM: musicrep/textenc BenchmarkEncode on xla:cpu × $REPS"
(cd musicrep/textenc && MUSICREP_REQUIRE_MODELS=1 GOMLX_BACKEND=xla:cpu "../../$OUT/bin/textenc-xla.test" -test.run '^$' \
  -test.bench '^BenchmarkEncode$' -test.benchtime 3x -test.count "$REPS") | tee "$OUT/minilm_xla.txt" >&2
log "3. MiniLM: sentence-transformers × $REPS"
"$VENV/bin/python" scripts/golden/minilm_bench.py --threads 2 --reps "$REPS" | tee "$OUT/minilm_torch.json" >&2
for mode in go go:ops_parallel; do
  log "4. training, GOMLX_BACKEND=$mode × $REPS"
  (cd musicrep/training && GOMLX_BACKEND=$mode "../../$OUT/bin/training.test" -test.run '^$' \
    -test.bench '^BenchmarkTrainEpoch$' -test.benchtime 2x -test.count "$REPS") | tee "$OUT/train_${mode//[:]/_}.txt" >&2
done
python3 - "$OUT" <<'PY'
import json, re, statistics, sys
out = sys.argv[1]
def go_metric(path, unit):
    vals = [float(m.group(1)) for m in re.finditer(r'([\d.]+) ' + re.escape(unit), open(path).read())]
    return vals
torch = json.loads(open(f"{out}/minilm_torch.json").read().strip().splitlines()[-1])
for name in ["go", "xla"]:
    ns = go_metric(f"{out}/minilm_{name}.txt", "ns/op")
    print("MiniLM, 32 template texts per call (seconds): %s median %.3f (min %.3f, max %.3f, n=%d)" % (
        name, statistics.median(ns) / 1e9, min(ns) / 1e9, max(ns) / 1e9, len(ns)))
print("  sentence-transformers:", torch)
for mode in ["go", "go_ops_parallel"]:
    v = go_metric(f"{out}/train_{mode}.txt", "pairs/s")
    print("training %-16s pairs/s median %.0f (min %.0f, max %.0f, n=%d)" % (mode, statistics.median(v), min(v), max(v), len(v)))
PY
