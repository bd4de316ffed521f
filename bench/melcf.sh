#!/usr/bin/env bash
# bench/melcf.sh — the audio front-end and collaborative filtering against the Python libraries a user would
# otherwise run (BENCHMARKS.md), BENCH_REPS repetitions of each, outputs in out/bench/melcf/ (git-ignored):
#   mel  musicrep/audio BenchmarkMelFile (decode Ogg Vorbis + resample to 16 kHz + 48-band log-mel of the centred
#        29.1 s, one 35 s 44.1 kHz stereo file) vs librosa 0.11 doing the same (scripts/golden/mel_bench.py);
#   cf   BPR on the generated Melon playlists (out/melon-medium, 20 % of each train playlist held out, 64 factors,
#        50 epochs, one thread): bench/cfmelon vs the implicit package (bench/cf_melon.py), and on the planted data
#        of musicrep/cf/testdata (BenchmarkBPRSynthetic vs implicit's fit time in scripts/golden/cf.py).
# Installs .venv-mel (librosa) and .venv-cf (implicit) from scripts/golden/requirements-*.txt when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${BENCH_OUT:-out/bench/melcf}
mkdir -p "$OUT"
REPS=${BENCH_REPS:-5}
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3} GOFLAGS=${GOFLAGS:--buildvcs=false} GOEXPERIMENT=${GOEXPERIMENT:-simd}
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
log() { echo "[melcf $(date +%H:%M:%S)] $* (load $(cut -d' ' -f1 /proc/loadavg))" >&2; }
for v in mel cf; do
	if ! ".venv-$v/bin/python" -c 'import numpy' 2>/dev/null; then
		log "installing .venv-$v"
		/usr/bin/python3 -m venv ".venv-$v"
		".venv-$v/bin/pip" install -q --disable-pip-version-check -r "scripts/golden/requirements-$v.txt"
	fi
done
{ grep -m1 'model name' /proc/cpuinfo; nproc; go version; date -u; } >"$OUT/env.txt"

log "mel: musicrep"
go test ./musicrep/audio -run '^$' -bench '^BenchmarkMelFile$' -benchtime 10x -count "$REPS" | tee "$OUT/mel_go.txt" >&2
log "mel: librosa"
.venv-mel/bin/python scripts/golden/mel_bench.py --reps $((REPS * 3)) | tee "$OUT/mel_librosa.txt" >&2

log "cf planted: musicrep"
go test ./musicrep/cf -run '^$' -bench '^BenchmarkBPRSynthetic$' -count "$REPS" | tee "$OUT/cf_synth_go.txt" >&2
log "cf planted: implicit"
for _ in $(seq "$REPS"); do
	.venv-cf/bin/python scripts/golden/cf.py --out "$OUT/cf_synthetic.json" >/dev/null
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["reference"]["implicit_bpr"]["fit_seconds"])' "$OUT/cf_synthetic.json"
done | tee "$OUT/cf_synth_implicit.txt" >&2

if [[ -f out/melon-medium/song_meta.json ]]; then
	go build -o "$OUT/cfmelon" ./bench/cfmelon
	for _ in $(seq "$REPS"); do
		log "cf melon-medium: musicrep"
		"$OUT/cfmelon" -dataset out/melon-medium -split "$OUT/cf_melon_split.json" | tee -a "$OUT/cf_melon_go.txt" >&2
		log "cf melon-medium: implicit"
		.venv-cf/bin/python bench/cf_melon.py "$OUT/cf_melon_split.json" | tee -a "$OUT/cf_melon_implicit.txt" >&2
	done
else
	log "no out/melon-medium: skipping BPR on Melon playlists (bin/musicrep melon-generate -size medium ...)"
fi
log "done: $OUT"
