#!/usr/bin/env bash
# bench/melcf.sh — the audio front-end and collaborative filtering against the Python libraries a user would
# otherwise run (BENCHMARKS.md), BENCH_REPS repetitions of each, outputs in out/bench/melcf/ (git-ignored):
#   mel  musicrep/audio BenchmarkMelFile (decode Ogg Vorbis + resample to 16 kHz + 48-band log-mel of the centred
#        29.1 s, one 35 s 44.1 kHz stereo file) vs librosa 0.11 doing the same (scripts/golden/mel_bench.py); both
#        report wall and CPU time; bench/mel.sh runs the two interleaved, which a shared machine needs;
#   cf   BPR on the generated Melon playlists (out/melon-medium, 20 % of each train playlist held out, 64 factors,
#        50 epochs, 1 and 2 threads): bench/cfmelon vs the implicit package (bench/cf_melon.py), and on the planted
#        data of musicrep/cf/testdata (BenchmarkBPRSynthetic vs implicit's fit time in scripts/golden/cf.py). BPR
#        needs only the playlists: `melon-generate -size medium -metadata-only` writes them in about a minute.
# Installs .venv-mel (librosa) and .venv-cf (implicit) from scripts/golden/requirements-*.txt when missing.
# BENCH_PARTS picks the parts (default "mel cf"; "cf" runs only BPR).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${BENCH_OUT:-out/bench/melcf}
mkdir -p "$OUT"
REPS=${BENCH_REPS:-5}
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3} GOFLAGS=${GOFLAGS:--buildvcs=false} GOEXPERIMENT=${GOEXPERIMENT:-simd}
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
log() { echo "[melcf $(date +%H:%M:%S)] $* (load $(cut -d' ' -f1 /proc/loadavg))" >&2; }
PARTS=${BENCH_PARTS:-mel cf}
for v in $PARTS; do
	if ! ".venv-$v/bin/python" -c 'import numpy' 2>/dev/null; then
		log "installing .venv-$v"
		/usr/bin/python3 -m venv ".venv-$v"
		".venv-$v/bin/pip" install -q --disable-pip-version-check -r "scripts/golden/requirements-$v.txt"
	fi
done
{ grep -m1 'model name' /proc/cpuinfo; nproc; go version; date -u; } >"$OUT/env.txt"

if [[ " $PARTS " == *" mel "* ]]; then
	log "mel: musicrep"
	# -cpu 1: one thread, as librosa's (the front-end is sequential; this keeps the garbage collector on it too).
	go test ./musicrep/audio -run '^$' -bench '^BenchmarkMelFile$' -benchtime 10x -count "$REPS" -cpu 1 | tee "$OUT/mel_go.txt" >&2
	log "mel: librosa"
	.venv-mel/bin/python scripts/golden/mel_bench.py --reps $((REPS * 3)) | tee "$OUT/mel_librosa.txt" >&2
fi

if [[ " $PARTS " == *" cf "* ]]; then
	# BPR with 1 and 2 threads on each side (BENCH_CF_THREADS: which of 1 and 2), each repetition interleaved:
	# musicrep then implicit. musicrep's threads=1 is the deterministic default, threads=2 Hogwild.
	CF_THREADS=${BENCH_CF_THREADS:-1 2}
	for t in $CF_THREADS; do
		: >"$OUT/cf_synth_go_t$t.txt"
		: >"$OUT/cf_synth_implicit_t$t.txt"
		for _ in $(seq "$REPS"); do
			log "cf planted, $t thread(s): musicrep"
			go test ./musicrep/cf -run '^$' -bench "^BenchmarkBPRSynthetic/threads=$t\$" -count 1 | grep '^Benchmark' |
				tee -a "$OUT/cf_synth_go_t$t.txt" >&2
			log "cf planted, $t thread(s): implicit"
			.venv-cf/bin/python scripts/golden/cf.py --threads "$t" --out "$OUT/cf_synthetic.json" >/dev/null
			python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["reference"]["implicit_bpr"]; print(r["fit_seconds"], r["fit_cpu_seconds"], r["hr@10"])' \
				"$OUT/cf_synthetic.json" | tee -a "$OUT/cf_synth_implicit_t$t.txt" >&2
		done
	done

	if [[ -f out/melon-medium/train.json ]]; then
		go build -o "$OUT/cfmelon" ./bench/cfmelon
		for t in $CF_THREADS; do
			for _ in $(seq "$REPS"); do
				log "cf melon-medium, $t thread(s): musicrep"
				"$OUT/cfmelon" -dataset out/melon-medium -threads "$t" -split "$OUT/cf_melon_split_t$t.json" |
					tee -a "$OUT/cf_melon_go_t$t.txt" >&2
				log "cf melon-medium, $t thread(s): implicit"
				.venv-cf/bin/python bench/cf_melon.py "$OUT/cf_melon_split_t$t.json" | tee -a "$OUT/cf_melon_implicit_t$t.txt" >&2
			done
		done
	else
		log "no out/melon-medium: skipping BPR on Melon playlists (bin/musicrep melon-generate -size medium -metadata-only ...)"
	fi
fi
log "done: $OUT"
