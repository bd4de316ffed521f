#!/usr/bin/env bash
# bench/scan.sh — `musicrep library scan` against the Python reference pipeline (librosa + musicnn 0.1.0 on
# TensorFlow CPU), and musicnn inference alone, in one run (`make bench-scan`; recorded in BENCHMARKS.md):
#   1. whole commands on the same files, interleaved (each repetition runs every command once, in a rotating
#      order), each under /usr/bin/time -v (wall, user + system CPU, peak RSS):
#        go       musicrep library scan FILES -out FRESH -no-text -quiet   (pure-Go backend, GOEXPERIMENT=simd)
#        xla      the same with the XLA CPU plugin (-tags xla, -backend xla:cpu)
#        tf       scripts/golden/musicnn_scan_bench.py scan --mode session: each model's TF graph built once,
#                 each file loaded once (musicnn's own batch_data), MSD_musicnn + MTT_musicnn in batches of 8
#        tf-ext   the same script, --mode extractor: musicnn.extractor.extractor() per file and model, as
#                 musicnn's README runs it (SCAN_EXTRACTOR=0 leaves it out)
#      musicrep's scan is given -workers THREADS, TensorFlow THREADS intra/inter-op threads (THREADS = nproc).
#      One untimed warm-up run of each command first (librosa's numba cache, the page cache; SCAN_WARMUP lists
#      the commands to warm up, default all).
#   2. musicnn inference alone on a fixed batch of 8 patches (24 s of audio): musicrep/musicnn BenchmarkRun on
#      the Go backend and on xla:cpu, and musicnn_scan_bench.py infer (TensorFlow), BENCH_REPS runs each.
# Minutes of audio per second use the audio length musicrep decodes (tracks.json), the same for every command.
# Raw outputs in out/bench/scan/ (git-ignored): time-*.txt, *.json, loadavg.tsv, env.txt, summary.md/json.
#
# Environment: BENCH_REPS (3), BENCH_OUT (out/bench/scan), SCAN_FILES (names in the wesnoth-1.16-music folder,
# default five recordings, about 12 min), SCAN_MUSIC (that folder), SCAN_THREADS (nproc), SCAN_EXTRACTOR (1),
# SCAN_WARMUP, SCAN_INFER_BENCHTIME (2x: batches per Go benchmark repetition), SCAN_SKIP_INFER=1, SCAN_SKIP_XLA=1.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${BENCH_OUT:-out/bench/scan}
REPS=${BENCH_REPS:-3}
THREADS=${SCAN_THREADS:-$(nproc)}
MUSIC=${SCAN_MUSIC:-/usr/share/games/wesnoth/1.16/data/core/music}
read -r -a NAMES <<<"${SCAN_FILES:-battle-epic.ogg love_theme.ogg underground.ogg loyalists.ogg heroes_rite.ogg}"
mkdir -p "$OUT/bin" "$OUT/files"
OUT=$(cd "$OUT" && pwd)
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3} GOFLAGS=${GOFLAGS:--buildvcs=false} GOEXPERIMENT=${GOEXPERIMENT:-simd}
export OMP_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS MKL_NUM_THREADS=$THREADS
export TF_USE_LEGACY_KERAS=1 TF_CPP_MIN_LOG_LEVEL=2 CUDA_VISIBLE_DEVICES=
log() { echo "[scan-bench $(date +%H:%M:%S)] $* (load $(cut -d' ' -f1 /proc/loadavg))" >&2; }
[ -x /usr/bin/time ] || { echo "bench/scan.sh: needs GNU time (apt-get install time)" >&2; exit 1; }

rm -rf "$OUT"/lib-*
rm -f "$OUT"/files/* "$OUT"/time-*.txt "$OUT"/stdout-*.txt "$OUT"/stderr-*.txt "$OUT"/*.json "$OUT"/loadavg.tsv "$OUT"/summary.md
for n in "${NAMES[@]}"; do
	[ -f "$MUSIC/$n" ] || { echo "bench/scan.sh: no $MUSIC/$n (make audio-setup installs wesnoth-1.16-music)" >&2; exit 1; }
	ln -s "$MUSIC/$n" "$OUT/files/$n"
done

log "building"
scripts/setup-models.sh musicnn >/dev/null
scripts/golden/musicnn-golden.sh --setup-only
go build -o "$OUT/bin/musicrep" ./cmd/musicrep
go test -c -o "$OUT/bin/musicnn.test" ./musicrep/musicnn
XLA=0
if [ "${SCAN_SKIP_XLA:-0}" != 1 ]; then
	scripts/setup-xla.sh cpu
	CGO_ENABLED=1 go build -tags xla -o "$OUT/bin/musicrep-xla" ./cmd/musicrep
	CGO_ENABLED=1 go test -tags xla -c -o "$OUT/bin/musicnn-xla.test" ./musicrep/musicnn
	XLA=1
fi
PY=.venv-golden/bin/python
{
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') (family $(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | tr -d ' '), model $(grep -m1 '^model[[:space:]]' /proc/cpuinfo | cut -d: -f2 | tr -d ' '))"
	echo "cpu flags: $(grep -m1 flags /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|fma|avx512f|avx512bw|avx512vl|avx512_bf16)$' | tr '\n' ' ')"
	echo "cores: $(nproc); memory: $(free -g | awk '/Mem:/{print $2}') GiB; threads/workers: $THREADS"
	echo "go: $(go version); GOEXPERIMENT=$GOEXPERIMENT"
	echo "gomlx: $(go list -m -f '{{.Version}}' github.com/gomlx/gomlx); compute: $(go list -m -f '{{.Version}}' github.com/gomlx/compute); go-xla: $(go list -m -f '{{.Version}}' github.com/gomlx/go-xla)"
	echo "python: $($PY -c 'import platform; print(platform.python_version())'); $($PY -m pip freeze 2>/dev/null | grep -iE '^(tensorflow[-_]cpu|tf[-_]keras|librosa|numpy|musicnn|soxr|numba)==' | tr '\n' ' ')"
	echo "files: ${NAMES[*]} (in $MUSIC)"
	echo "reps: $REPS"
} >"$OUT/env.txt"
cat "$OUT/env.txt" >&2

declare -A CMD
CMD[go]="$OUT/bin/musicrep library scan $OUT/files -out $OUT/lib-go -no-text -quiet -workers $THREADS -backend go"
[ "$XLA" = 1 ] && CMD[xla]="$OUT/bin/musicrep-xla library scan $OUT/files -out $OUT/lib-xla -no-text -quiet -workers $THREADS -backend xla:cpu"
CMD[tf]="$PY scripts/golden/musicnn_scan_bench.py scan --threads $THREADS --mode session $OUT/files/*"
[ "${SCAN_EXTRACTOR:-1}" = 1 ] && CMD[tf-ext]="$PY scripts/golden/musicnn_scan_bench.py scan --threads $THREADS --mode extractor $OUT/files/*"
TOOLS=(go)
[ "$XLA" = 1 ] && TOOLS+=(xla)
TOOLS+=(tf)
[ "${SCAN_EXTRACTOR:-1}" = 1 ] && TOOLS+=(tf-ext)
for t in "${TOOLS[@]}"; do echo "$t: ${CMD[$t]}"; done >"$OUT/commands.txt"

# timed TOOL REP: one run of a command under /usr/bin/time -v, from an empty library folder.
timed() {
	local t=$1 rep=$2
	rm -rf "$OUT/lib-go" "$OUT/lib-xla"
	printf '%s\t%s\tstart\t%s\t%s\n' "$t" "$rep" "$(cut -d' ' -f1 /proc/loadavg)" "$(date +%s)" >>"$OUT/loadavg.tsv"
	log "$t run $rep"
	# shellcheck disable=SC2086
	/usr/bin/time -v -o "$OUT/time-$t-$rep.txt" ${CMD[$t]} >"$OUT/stdout-$t-$rep.txt" 2>"$OUT/stderr-$t-$rep.txt" || {
		cat "$OUT/stderr-$t-$rep.txt" >&2
		exit 1
	}
	printf '%s\t%s\tend\t%s\t%s\n' "$t" "$rep" "$(cut -d' ' -f1 /proc/loadavg)" "$(date +%s)" >>"$OUT/loadavg.tsv"
	if [ "$t" = go ] || [ "$t" = xla ]; then
		cp "$OUT/lib-$t/tracks.json" "$OUT/tracks-$t.json"
		rm -rf "$OUT/lib-$t-last" && mv "$OUT/lib-$t" "$OUT/lib-$t-last"
	fi
}

for t in ${SCAN_WARMUP:-${TOOLS[*]}}; do timed "$t" warmup; done
n=${#TOOLS[@]}
for rep in $(seq "$REPS"); do
	for i in $(seq 0 $((n - 1))); do timed "${TOOLS[$(((i + rep - 1) % n))]}" "$rep"; done
done

if [ "${SCAN_SKIP_INFER:-0}" != 1 ]; then
	log "inference alone: Go backend"
	(cd musicrep/musicnn && MUSICREP_REQUIRE_MODELS=1 GOMLX_BACKEND=go "$OUT/bin/musicnn.test" -test.run '^$' \
		-test.bench '^BenchmarkRun/(MSD|MTT)_musicnn$' -test.benchtime "${SCAN_INFER_BENCHTIME:-2x}" -test.count "$REPS") | tee "$OUT/infer_go.txt" >&2
	if [ "$XLA" = 1 ]; then
		log "inference alone: xla:cpu"
		(cd musicrep/musicnn && MUSICREP_REQUIRE_MODELS=1 GOMLX_BACKEND=xla:cpu "$OUT/bin/musicnn-xla.test" -test.run '^$' \
			-test.bench '^BenchmarkRun/(MSD|MTT)_musicnn$' -test.benchtime "${SCAN_INFER_BENCHTIME:-2x}" -test.count "$REPS") | tee "$OUT/infer_xla.txt" >&2
	fi
	log "inference alone: TensorFlow"
	$PY scripts/golden/musicnn_scan_bench.py infer --threads "$THREADS" --batch 8 --reps $((REPS * 2)) >"$OUT/infer_tf.json"
fi
python3 bench/scan_summary.py "$OUT" | tee "$OUT/summary.md"
log "done: $OUT/summary.md"
