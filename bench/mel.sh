#!/usr/bin/env bash
# bench/mel.sh — the audio front-end against librosa, interleaved (the mel step of bench/melcf.sh, alone): each of
# BENCH_REPS rounds runs musicrep's BenchmarkMelFile (decode the 35 s 44.1 kHz stereo Ogg Vorbis fixture, mono
# mixdown, 44.1 -> 16 kHz, log-mel of the centred 29.1 s; 5 calls, GOMAXPROCS=1) and then librosa 0.11 doing the same
# (scripts/golden/mel_bench.py, 5 calls after a warm-up, one BLAS/OpenMP thread), and prints both with the load
# average. BENCH_BASE=path/to/audio.test adds a third run per round of another build of the package's tests (e.g.
# an older commit's: `git worktree add --detach /tmp/base COMMIT && (cd /tmp/base && GOEXPERIMENT=simd go test -c
# -o /tmp/base.test ./musicrep/audio)`). Wall times (ms/op) and CPU times (cpu-ms/op: user + system of the process,
# which other processes on a shared machine disturb less) are summarised as medians over the rounds at the end.
# Each round also runs BenchmarkMelFile with GOMAXPROCS=2 (row musicrep2t: the decoder one chunk ahead in a second
# goroutine, musicrep/audio monoChunks); librosa is single-threaded, so the fair headline is the GOMAXPROCS=1 row
# (musicrep). BENCH_TWO_THREADS=0 leaves the two-thread run out.
# Outputs in out/bench/mel/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${BENCH_OUT:-out/bench/mel}
mkdir -p "$OUT"
REPS=${BENCH_REPS:-5}
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3} GOFLAGS=${GOFLAGS:--buildvcs=false} GOEXPERIMENT=${GOEXPERIMENT:-simd}
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
if ! .venv-mel/bin/python -c 'import librosa' 2>/dev/null; then
	/usr/bin/python3 -m venv .venv-mel
	.venv-mel/bin/pip install -q --disable-pip-version-check -r scripts/golden/requirements-mel.txt
fi
go test -c -o "$OUT/audio.test" ./musicrep/audio
{ grep -m1 'model name' /proc/cpuinfo; nproc --all; go version; date -u; git rev-parse HEAD; } >"$OUT/env.txt"
: >"$OUT/runs.txt"
load() { cut -d' ' -f1 /proc/loadavg; }
gobench() { # name binary [GOMAXPROCS]
	(cd musicrep/audio && "$2" -test.run '^$' -test.bench '^BenchmarkMelFile$' -test.benchtime 5x -test.cpu "${3:-1}") |
		awk -v n="$1" -v l="$(load)" '/^BenchmarkMelFile/ {printf "%s wall_ms %.1f cpu_ms %s load %s\n", n, $3/1e6, ($6 == "cpu-ms/op" ? $5 : "nan"), l}'
}
for r in $(seq "$REPS"); do
	gobench musicrep "$(pwd)/$OUT/audio.test" | tee -a "$OUT/runs.txt"
	if [[ ${BENCH_TWO_THREADS:-1} == 1 ]]; then gobench musicrep2t "$(pwd)/$OUT/audio.test" 2 | tee -a "$OUT/runs.txt"; fi
	if [[ -n ${BENCH_BASE:-} ]]; then gobench base "$BENCH_BASE" | tee -a "$OUT/runs.txt"; fi
	l=$(load)
	.venv-mel/bin/python scripts/golden/mel_bench.py --reps 5 |
		sed -E 's/.*median ([0-9.]+) ms.*CPU median ([0-9.]+) ms.*/librosa wall_ms \1 cpu_ms \2 load '"$l"'/' |
		tee -a "$OUT/runs.txt"
done
.venv-mel/bin/python - "$OUT/runs.txt" <<'PY'
import math, statistics, sys
from scipy import stats
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    rows.setdefault(f[0], []).append((float(f[2]), float(f[4]), float(f[6])))
def med(xs):
    xs = [x for x in xs if x == x]  # an older build without cpu-ms/op reports nan
    return statistics.median(xs) if xs else float("nan")
for name, v in rows.items():
    print("%-10s median of %d rounds: wall %.1f ms (%.1f–%.1f), CPU %.1f ms (%.1f–%.1f), load %.1f–%.1f" % (
        name, len(v), med(x[0] for x in v), min(x[0] for x in v), max(x[0] for x in v), med(x[1] for x in v),
        min(x[1] for x in v), max(x[1] for x in v), min(x[2] for x in v), max(x[2] for x in v)))
# Ratios of runs in the same round (same load), as geometric means with a 95 % t-interval over the rounds.
pairs = [("musicrep", "librosa"), ("musicrep2t", "librosa"), ("base", "librosa"), ("musicrep", "base")]
for a, b in pairs:
    if a not in rows or b not in rows:
        continue
    for k, what in ((0, "wall"), (1, "CPU")):
        r = [math.log(x[k] / y[k]) for x, y in zip(rows[a], rows[b]) if x[k] == x[k] and y[k] == y[k]]
        if len(r) < 2:
            continue
        m, h = statistics.mean(r), stats.t.ppf(0.975, len(r) - 1) * statistics.stdev(r) / math.sqrt(len(r))
        sig = "" if (m - h) * (m + h) > 0 else " (not significant: the interval includes 1)"
        print("%s ÷ %s, %s: %.2f× (95%% CI %.2f–%.2f, %d rounds)%s" % (a, b, what, math.exp(m), math.exp(m - h),
                                                                      math.exp(m + h), len(r), sig))
PY
