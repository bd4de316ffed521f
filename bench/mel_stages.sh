#!/usr/bin/env bash
# bench/mel_stages.sh — what each stage of the audio front-end costs, this build against another (BENCH_BASE, an
# audio test binary built from another commit, e.g. `git worktree add --detach /tmp/base COMMIT && (cd /tmp/base &&
# GOEXPERIMENT=simd go test -c -o /tmp/base.test ./musicrep/audio)`), interleaved: each of BENCH_REPS rounds runs,
# for each benchmark, this build then the base (5 calls, GOMAXPROCS=1). Benchmarks (BENCH_STAGES, a space-separated
# list): BenchmarkMelFile (the whole front-end on the 35 s 44.1 kHz stereo Ogg Vorbis fixture), BenchmarkDecodeVorbis
# (decoding it into memory), BenchmarkResample44100To16000 (its mono mixdown, 44.1 -> 16 kHz) and
# BenchmarkMelSpectrogram16k (log-mel of 35 s at 16 kHz). Prints CPU time medians (user + system of the process)
# and the ratio this ÷ base as the geometric mean over rounds with a 95 % t-interval. Outputs in
# out/bench/mel-stages/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${BENCH_BASE:?set BENCH_BASE to the audio test binary of another build}"
OUT=${BENCH_OUT:-out/bench/mel-stages}
mkdir -p "$OUT"
REPS=${BENCH_REPS:-5}
STAGES=${BENCH_STAGES:-BenchmarkMelFile BenchmarkDecodeVorbis BenchmarkResample44100To16000 BenchmarkMelSpectrogram16k}
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3} GOFLAGS=${GOFLAGS:--buildvcs=false} GOEXPERIMENT=${GOEXPERIMENT:-simd}
if ! .venv-mel/bin/python -c 'import scipy' 2>/dev/null; then
	/usr/bin/python3 -m venv .venv-mel
	.venv-mel/bin/pip install -q --disable-pip-version-check -r scripts/golden/requirements-mel.txt
fi
go test -c -o "$OUT/audio.test" ./musicrep/audio
{ grep -m1 'model name' /proc/cpuinfo; nproc --all; go version; date -u; git rev-parse HEAD; } >"$OUT/env.txt"
: >"$OUT/runs.txt"
run() { # name binary bench
	(cd musicrep/audio && "$2" -test.run '^$' -test.bench "^$3\$" -test.benchtime 5x -test.cpu 1) |
		awk -v n="$1" -v b="$3" -v l="$(cut -d' ' -f1 /proc/loadavg)" \
			'/^Benchmark/ {printf "%s %s wall_ms %.2f cpu_ms %s load %s\n", b, n, $3/1e6, ($6 == "cpu-ms/op" ? $5 : "nan"), l}'
}
for r in $(seq "$REPS"); do
	for b in $STAGES; do
		run this "$(pwd)/$OUT/audio.test" "$b" | tee -a "$OUT/runs.txt"
		run base "$BENCH_BASE" "$b" | tee -a "$OUT/runs.txt"
	done
done
.venv-mel/bin/python - "$OUT/runs.txt" <<'PY'
import math, statistics, sys
from scipy import stats
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    rows.setdefault(f[0], {}).setdefault(f[1], []).append((float(f[3]), float(f[5]), float(f[7])))
for bench, v in rows.items():
    t, b = v.get("this", []), v.get("base", [])
    loads = [x[2] for x in t + b]
    print("%s: CPU ms median this %.1f (%.1f–%.1f), base %.1f (%.1f–%.1f); load %.1f–%.1f" % (
        bench, statistics.median(x[1] for x in t), min(x[1] for x in t), max(x[1] for x in t),
        statistics.median(x[1] for x in b), min(x[1] for x in b), max(x[1] for x in b), min(loads), max(loads)))
    r = [math.log(x[1] / y[1]) for x, y in zip(t, b)]
    if len(r) >= 2:
        m, h = statistics.mean(r), stats.t.ppf(0.975, len(r) - 1) * statistics.stdev(r) / math.sqrt(len(r))
        sig = "" if (m - h) * (m + h) > 0 else " (not significant: the interval includes 1)"
        print("  this ÷ base, CPU: %.2f× (95%% CI %.2f–%.2f, %d rounds)%s" % (math.exp(m), math.exp(m - h),
                                                                           math.exp(m + h), len(r), sig))
PY
