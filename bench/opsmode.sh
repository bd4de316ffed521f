#!/usr/bin/env bash
# bench/opsmode.sh — the pure-Go backend's two ways of running a graph, A/B on the same test binaries
# (`make bench-opsmode`; recorded in BENCHMARKS.md, "The Go backend's parallel default"):
#   A  go:ops_sequential  nodes one at a time (musicrep's default, what GOMLX_BACKEND=go gives; each op still uses
#                         every core)
#   B  go:ops_parallel    independent nodes in parallel
# on three workloads, each a `go test -bench` of a binary built once (GOEXPERIMENT=simd):
#   train   musicrep/training BenchmarkTrainEpoch (binding model, published configuration, batch 32; 2 epochs,
#           compilation included; pairs/s)
#   minilm  musicrep/textenc BenchmarkEncode (all-MiniLM-L6-v2, 32 template texts per call, 3 calls; s/call)
#   musicnn musicrep/musicnn BenchmarkRun/MSD_musicnn (one batch of 8 patches, 24 s of audio; audio-s/s)
# Interleaved: each repetition runs every workload under A and B, the order of A and B alternating between
# repetitions; each run under /usr/bin/time -v (peak RSS, CPU time) with the 1-minute load recorded. The summary
# (bench/opsmode_summary.py) gives medians, and B ÷ A as the geometric mean of the per-repetition ratios with a 95 %
# t interval (not significant when the interval includes 1).
# Raw outputs: out/bench/opsmode/ (git-ignored). Environment: BENCH_REPS (5), BENCH_OUT, OPSMODE_WORKLOADS
# (train,minilm,musicnn), OPSMODE_A / OPSMODE_B (the two GOMLX_BACKEND values above),
# OPSMODE_BIN_A / OPSMODE_BIN_B (directories of prebuilt test binaries to compare two builds instead of two modes).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${BENCH_OUT:-out/bench/opsmode}
REPS=${BENCH_REPS:-5}
A=${OPSMODE_A:-go:ops_sequential}
B=${OPSMODE_B:-go:ops_parallel}
IFS=, read -r -a WORK <<<"${OPSMODE_WORKLOADS:-train,minilm,musicnn}"
mkdir -p "$OUT/bin"
OUT=$(cd "$OUT" && pwd)
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3} GOFLAGS=${GOFLAGS:--buildvcs=false} GOEXPERIMENT=${GOEXPERIMENT:-simd}
log() { echo "[bench/opsmode $(date +%H:%M:%S)] $* (load $(cut -d' ' -f1 /proc/loadavg))" >&2; }
[ -x /usr/bin/time ] || { echo "bench/opsmode.sh: needs GNU time (apt-get install time)" >&2; exit 1; }

declare -A PKG=([train]=training [minilm]=textenc [musicnn]=musicnn)
declare -A BENCH=([train]='^BenchmarkTrainEpoch$' [minilm]='^BenchmarkEncode$' [musicnn]='^BenchmarkRun/MSD_musicnn$')
declare -A TIMES=([train]=2x [minilm]=3x [musicnn]=2x)
BIN_A=${OPSMODE_BIN_A:-$OUT/bin}
BIN_B=${OPSMODE_BIN_B:-$OUT/bin}
if [ -z "${OPSMODE_BIN_A:-}" ] || [ -z "${OPSMODE_BIN_B:-}" ]; then
	scripts/setup-models.sh text >/dev/null
	scripts/setup-models.sh musicnn >/dev/null
	for w in "${WORK[@]}"; do
		log "building ${PKG[$w]}.test"
		go test -c -o "$OUT/bin/${PKG[$w]}.test" "./musicrep/${PKG[$w]}"
	done
fi
{
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'); cores: $(nproc)"
	echo "go: $(go version); GOEXPERIMENT=$GOEXPERIMENT; gomlx: $(go list -m -f '{{.Version}}' github.com/gomlx/gomlx); compute: $(go list -m -f '{{.Version}}' github.com/gomlx/compute)"
	echo "A: GOMLX_BACKEND=$A ($BIN_A); B: GOMLX_BACKEND=$B ($BIN_B); reps: $REPS; workloads: ${WORK[*]}"
} >"$OUT/env.txt"
cat "$OUT/env.txt" >&2
rm -f "$OUT"/run-*.txt "$OUT"/time-*.txt "$OUT/loadavg.tsv"

# run SIDE REP WORKLOAD: one benchmark run under /usr/bin/time -v.
run() {
	local side=$1 rep=$2 w=$3 mode bin
	if [ "$side" = A ]; then mode=$A bin=$BIN_A; else mode=$B bin=$BIN_B; fi
	log "rep $rep $w $side (GOMLX_BACKEND=$mode)"
	printf '%s\t%s\t%s\t%s\n' "$w" "$side" "$rep" "$(cut -d' ' -f1 /proc/loadavg)" >>"$OUT/loadavg.tsv"
	(cd "musicrep/${PKG[$w]}" && MUSICREP_REQUIRE_MODELS=1 GOMLX_BACKEND=$mode /usr/bin/time -v \
		-o "$OUT/time-$w-$side-$rep.txt" "$bin/${PKG[$w]}.test" -test.run '^$' -test.bench "${BENCH[$w]}" \
		-test.benchtime "${TIMES[$w]}" -test.count 1) >"$OUT/run-$w-$side-$rep.txt" 2>&1 || {
		cat "$OUT/run-$w-$side-$rep.txt" >&2
		exit 1
	}
}
for rep in $(seq "$REPS"); do
	for w in "${WORK[@]}"; do
		if [ $((rep % 2)) = 1 ]; then run A "$rep" "$w"; run B "$rep" "$w"; else run B "$rep" "$w"; run A "$rep" "$w"; fi
	done
done
python3 bench/opsmode_summary.py "$OUT" | tee "$OUT/summary.md"
log "done: $OUT/summary.md"
