#!/usr/bin/env bash
# scripts/gpu-check.sh — musicrep on a lent GPU machine (xla:cuda), prepared here and fired there in one command.
#
#   scripts/gpu-check.sh stage   (here, with Go)  builds everything the GPU machine needs into ONE git-ignored
#                                folder, $GPU_CHECK_TRIP (default out/gpu-trip): the stripped -tags xla musicrep
#                                binary and the XLA test/benchmark binaries (xz-compressed), the Fairouz files
#                                `musicrep reproduce` reads (tar.gz), and a manifest (versions, ldd, glibc needs).
#                                It measures the trip with the tracked tree (plus untracked, unignored files: the
#                                device tool sends those too), refuses above 64 MiB, and prints the command to fire.
#   scripts/gpu-check.sh run     (there: no Go, no network) links JAX's CUDA PJRT plugin (jax-cuda13-pjrt) and the
#                                pip NVIDIA libraries, then runs, each step under `timeout`, in this order:
#                                  1. parity: xla:cuda starts, device name; the XLA-vs-Go parity tests of
#                                     musicrep/backends, training (binding) and cmir (contrastive-mir CNN), run on
#                                     xla:cuda through MUSICREP_XLA_TEST_BACKEND;
#                                  2. binding training throughput (BenchmarkTrainEpochSteady), batch 32 and 1024,
#                                     vs bench/torch_binding.py --device cuda;
#                                  3. contrastive-mir CNN, preset paper (3,989,762 parameters): training step and
#                                     inference (BenchmarkAudioTrainStep / BenchmarkAudioInference) vs
#                                     bench/torch_cmir.py --device cuda;
#                                  4. `musicrep reproduce -preset paper` (200 epochs), time-boxed: epochs done, time
#                                     per epoch, projected wall time.
#                                After every step it rewrites $OUT/gpu-report.md, $OUT/gpu-results.json and
#                                $OUT/gpu-raw.tar.gz (every raw log), so a run cut short still reports what it did.
#
# Environment:
#   GPU_CHECK_DRY=1        stand-in run on this machine: xla:cpu for xla:cuda, tiny sizes, PyTorch on the CPU when
#                          importable (skipped and said so otherwise); `make gpu-check-dry` (part of `make test`)
#   GPU_CHECK_BACKEND      the XLA backend of the run (default xla:cuda; xla:cpu in a dry run); an xla:cuda* one
#                          links JAX's CUDA plugin first
#   GPU_CHECK_BUDGET=480   seconds for the whole run (the device tool allows 600 per command, machine start apart)
#   GPU_CHECK_TRIP=out/gpu-trip   the staged folder;  OUT (set by the device tool; default out/gpu-check)
#   GPU_CHECK_LIMIT_MIB=64 the device tool's limit on what travels
#   GPU_CHECK_PYTHON=python3   the Python with torch and jax-cuda13-pjrt
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
TRIP=${GPU_CHECK_TRIP:-out/gpu-trip}
DRY=${GPU_CHECK_DRY:-0}
LIMIT_MIB=${GPU_CHECK_LIMIT_MIB:-64}
PY=${GPU_CHECK_PYTHON:-python3}
# The files of ../shared/data/fairouz that `musicrep reproduce` reads (musicrep/corpus.DefaultFairouzFiles and
# the published reference of musicrep/pipeline); the other graph embeddings and the checksums stay home.
FAIROUZ_FILES=(fairouz/README.md fairouz/tracks_contextualized.json fairouz/embeddings/audio/vggish.json
	fairouz/embeddings/graph/randne.json fairouz/positives_negatives.json
	fairouz/positives_negatives_more_negatives.json fairouz/reference/published_joint_c2e4_51k.json)
# Test binaries (package → binary name) whose XLA tests and benchmarks the run uses.
TEST_PKGS=(backends training cmir)

log() { printf '[gpu-check %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[gpu-check] ERROR: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------------------------
stage() {
	command -v go >/dev/null || die "stage needs Go (it builds the binaries the GPU machine runs)"
	export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3} GOFLAGS=${GOFLAGS:--buildvcs=false} GOEXPERIMENT=${GOEXPERIMENT:-simd}
	export CGO_ENABLED=1
	local data
	data=${MUSICREP_DATA:-$ROOT/../shared/data}
	for f in "${FAIROUZ_FILES[@]}"; do [[ -f "$data/$f" ]] || die "missing $data/$f (set MUSICREP_DATA)"; done
	rm -rf "$TRIP"
	mkdir -p "$TRIP/bin"
	log "building musicrep -tags xla (stripped) into $TRIP/bin"
	go build -tags xla -ldflags='-s -w' -o "$TRIP/bin/musicrep" ./cmd/musicrep
	for p in "${TEST_PKGS[@]}"; do
		log "building the $p test binary (go test -c -tags xla)"
		go test -c -tags xla -ldflags='-s -w' -o "$TRIP/bin/$p.test" "./musicrep/$p"
	done
	# What the binaries need from the system: glibc only (PJRT plugins are dlopen'ed at run time).
	local libs glibc
	libs=$(for b in "$TRIP"/bin/*; do ldd "$b"; done | awk '{print $1}' | sort -u | tr '\n' ' ')
	for l in $libs; do
		case "$l" in
		linux-vdso.so.* | /lib64/ld-linux-x86-64.so.* | libc.so.* | libm.so.* | libdl.so.* | libpthread.so.* | librt.so.* | libresolv.so.*) ;;
		*) die "the binaries link $l, which the GPU machine (glibc, no Go) may lack: $(ldd "$TRIP/bin/musicrep")" ;;
		esac
	done
	glibc=$(for b in "$TRIP"/bin/*; do objdump -T "$b" 2>/dev/null; done | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)
	# xz, not gzip: 23 MB instead of 31 MB for the four Go 1.27 binaries, which keeps the trip under 64 MiB.
	xz -9e -T2 "$TRIP"/bin/*
	log "packing the Fairouz files reproduce reads"
	tar -C "$data" -czf "$TRIP/fairouz.tar.gz" "${FAIROUZ_FILES[@]}"
	{
		echo "staged: $(date -u +%Y-%m-%dT%H:%M:%SZ) from commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
		echo "go: $(go version); GOEXPERIMENT=$GOEXPERIMENT; build: -tags xla -ldflags='-s -w'"
		echo "modules: gomlx $(go list -m -f '{{.Version}}' github.com/gomlx/gomlx), compute $(go list -m -f '{{.Version}}' github.com/gomlx/compute), go-xla $(go list -m -f '{{.Version}}' github.com/gomlx/go-xla)"
		echo "shared libraries the binaries link: $libs"
		echo "newest glibc symbol version needed: ${glibc:-none}"
		echo "files:"
		(cd "$TRIP" && find . -type f -printf '  %p %s bytes\n' | sort)
	} >"$TRIP/manifest.txt"
	measure
	cat "$TRIP/manifest.txt" >&2
	local cmd="bash scripts/gpu-check.sh run"
	echo "$cmd" >"$TRIP/command.txt"
	cat >&2 <<EOF

Staged $TRIP. On a lent GPU machine, fire (device tool: carry ["$TRIP"], timeout_s 600):
    $cmd
It writes \$OUT/gpu-report.md, \$OUT/gpu-results.json and \$OUT/gpu-raw.tar.gz.
EOF
}

# measure: the bytes that travel — tracked files, untracked files git does not ignore, and the staged folder.
measure() {
	local tracked others trip total mib
	tracked=$(git ls-files -z | xargs -0 stat -L -c %s 2>/dev/null | awk '{s+=$1} END {print s+0}')
	others=$(git ls-files -z --others --exclude-standard | xargs -0 -r stat -L -c %s 2>/dev/null | awk '{s+=$1} END {print s+0}')
	trip=$(find "$TRIP" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}')
	total=$((tracked + others + trip))
	mib=$(awk -v b="$total" 'BEGIN {printf "%.1f", b / 1048576}')
	{
		echo "travel size: tracked $(awk -v b="$tracked" 'BEGIN {printf "%.1f", b/1048576}') MiB + untracked unignored $(awk -v b="$others" 'BEGIN {printf "%.1f", b/1048576}') MiB + $TRIP $(awk -v b="$trip" 'BEGIN {printf "%.1f", b/1048576}') MiB = $mib MiB (limit $LIMIT_MIB MiB)"
	} | tee -a "$TRIP/manifest.txt" >&2
	if ((total > LIMIT_MIB * 1048576)); then
		die "the trip is $mib MiB, over the $LIMIT_MIB MiB the device tool carries: shrink $TRIP or the untracked files"
	fi
}

# ---------------------------------------------------------------------------------------------------------------
RUN_START=$SECONDS
remaining() { echo $((BUDGET - (SECONDS - RUN_START))); }

# step NAME PLANNED_SECONDS CMD...: runs CMD under `timeout` (the planned seconds, or what is left of the budget
# less a reserve for the report), output to raw/NAME.log; records rc and seconds in raw/NAME.status; never fails.
step() {
	local name=$1 planned=$2 t rc start
	shift 2
	t=$(($(remaining) - 20))
	if ((planned < t)); then t=$planned; fi
	if ((t < 10)); then
		log "$name: skipped, the time budget is spent"
		printf 'rc=skipped\nseconds=0\nlimit=0\nnote=time budget spent\n' >"$RAW/$name.status"
		return 0
	fi
	log "$name (limit ${t}s)"
	start=$SECONDS
	set +e
	timeout -k 10 "$t" "$@" >"$RAW/$name.log" 2>&1
	rc=$?
	set -e
	printf 'rc=%s\nseconds=%s\nlimit=%s\n' "$rc" "$((SECONDS - start))" "$t" >"$RAW/$name.status"
	log "$name: rc $rc in $((SECONDS - start))s"
	report
}

# skip NAME WHY: records a step that was not run, and why.
skip() {
	printf 'rc=skipped\nseconds=0\nlimit=0\nnote=%s\n' "$2" >"$RAW/$1.status"
	log "$1: skipped ($2)"
}

report() {
	"$PY" "$ROOT/scripts/gpu_check_report.py" "$RAW" "$OUTDIR" || log "report generation failed (raw logs in $RAW)"
	tar -C "$RAW" -czf "$OUTDIR/gpu-raw.tar.gz" . 2>/dev/null || true
}

# INDIR DIR CMD...: runs CMD in DIR (a command `timeout` can run; test binaries run from their package folder,
# as go test runs them).
INDIR=(bash -c 'cd "$1" && shift && exec env "$@"' _)

# link_cuda: JAX's CUDA PJRT plugin and the pip NVIDIA libraries, laid out as go-xla expects (the plugin in
# pjrt/, its NVIDIA libraries in ../nvidia), plus LD_LIBRARY_PATH and the CUDA data dir (ptxas, libdevice).
# Returns non-zero, with the reason in env.txt, when the plugin is not there (the steps then fail and say so).
link_cuda() {
	local show base rel so nv libs d datadir
	if show=$("$PY" -m pip show -f jax-cuda13-pjrt 2>/dev/null); then
		base=$(awk '/^Location:/{print $2}' <<<"$show")
		rel=$(grep -o 'jax_plugins/xla_cuda13/xla_cuda_plugin.so' <<<"$show" | head -1)
	else # no pip: ask the import system where the plugin package is (jax_plugins is a namespace package)
		base=$("$PY" -c 'import importlib.util as u, os; s = u.find_spec("jax_plugins.xla_cuda13"); print(os.path.dirname(os.path.dirname(s.submodule_search_locations[0])))' 2>/dev/null) || true
		rel=jax_plugins/xla_cuda13/xla_cuda_plugin.so
		show="Version: ? (found without pip)"
	fi
	so="$base/$rel"
	if [[ -z "$rel" || ! -f "$so" ]]; then
		echo "cuda plugin: NOT FOUND — no jax_plugins/xla_cuda13/xla_cuda_plugin.so in jax-cuda13-pjrt at $base" >>"$RAW/env.txt"
		return 1
	fi
	mkdir -p "$WORK/xla/pjrt"
	ln -sfn "$so" "$WORK/xla/pjrt/pjrt_c_api_cuda_plugin.so"
	nv=""
	for d in "$base" $("$PY" -c 'import site; print(" ".join(site.getsitepackages()))' 2>/dev/null); do
		if [[ -d "$d/nvidia" ]]; then nv="$d/nvidia" && break; fi
	done
	libs=""
	if [[ -n "$nv" ]]; then
		ln -sfn "$nv" "$WORK/xla/nvidia"
		while IFS= read -r d; do libs="${libs:+$libs:}$d"; done < <(find -L "$nv" -maxdepth 3 -type d -name lib | sort)
		datadir=$(find -L "$nv" -maxdepth 4 -type f -name 'libdevice*.bc' 2>/dev/null | head -1)
		if [[ -n "$datadir" ]]; then
			datadir=$(dirname "$(dirname "$(dirname "$datadir")")") # .../nvvm/libdevice/libdevice.10.bc → ...
			export XLA_FLAGS="${XLA_FLAGS:+$XLA_FLAGS }--xla_gpu_cuda_data_dir=$datadir"
			[[ -d "$datadir/bin" ]] && export PATH="$datadir/bin:$PATH"
		fi
	fi
	export LD_LIBRARY_PATH="${libs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
	export MUSICREP_PJRT_DIR="$WORK/xla/pjrt" PJRT_PLUGIN_LIBRARY_PATH="$WORK/xla/pjrt"
	{
		echo "cuda plugin: $so ($(awk '/^Version:/{print $2}' <<<"$show"))"
		echo "nvidia packages: ${nv:-none found}"
		echo "LD_LIBRARY_PATH: $LD_LIBRARY_PATH"
		echo "XLA_FLAGS: ${XLA_FLAGS:-}"
	} >>"$RAW/env.txt"
}

run() {
	BUDGET=${GPU_CHECK_BUDGET:-480}
	OUTDIR=${OUT:-$ROOT/out/gpu-check}
	mkdir -p "$OUTDIR"
	OUTDIR=$(cd "$OUTDIR" && pwd -P)
	WORK=$ROOT/out/gpu-run
	RAW=$WORK/raw
	rm -rf "$WORK"
	mkdir -p "$RAW" "$WORK/bin" "$WORK/data"
	[[ -f "$TRIP/manifest.txt" ]] || die "nothing staged in $TRIP: run \`make gpu-check\` (scripts/gpu-check.sh stage) where Go is"
	for f in "$TRIP"/bin/*.xz; do # xz, or Python's lzma where the machine has no xz
		if command -v xz >/dev/null; then
			xz -dc "$f" >"$WORK/bin/$(basename "$f" .xz)"
		else
			python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), sys.stdout.buffer)' "$f" \
				>"$WORK/bin/$(basename "$f" .xz)"
		fi
	done
	chmod +x "$WORK"/bin/*
	tar -C "$WORK/data" -xzf "$TRIP/fairouz.tar.gz"
	local backend preset batch steps reps warm benchtime epochs torch_dev="cuda" torch=1 threads
	if [[ "$DRY" == 1 ]]; then
		backend=${GPU_CHECK_BACKEND:-xla:cpu} preset=tiny batch=4 steps=1 reps=1 warm=1 benchtime=1x epochs=1 torch_dev=cpu threads=1
		export MUSICREP_PJRT_DIR=${MUSICREP_PJRT_DIR:-$ROOT/.pjrt}
	else
		backend=${GPU_CHECK_BACKEND:-xla:cuda} preset=paper batch=32 steps=5 reps=3 warm=2 benchtime=3x epochs=3 threads=4
	fi
	{
		echo "mode: $([[ "$DRY" == 1 ]] && echo "DRY RUN on $backend (standing in for xla:cuda), tiny sizes; the numbers say nothing about a GPU" || echo "GPU run on $backend")"
		echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ); host: $(uname -srm); cores: $(nproc); budget: ${BUDGET}s"
		echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
		echo "glibc: $(ldd --version 2>&1 | head -1)"
		if command -v nvidia-smi >/dev/null; then
			echo "gpu: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 | head -4 | tr '\n' ';')"
		else
			echo "gpu: no nvidia-smi"
		fi
		echo "python: $("$PY" -c 'import platform; print(platform.python_version())' 2>&1)"
		echo "torch: $("$PY" -c 'import torch; print(torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())' 2>&1 | tail -1)"
		echo "jax-cuda13-pjrt: $("$PY" -m pip show jax-cuda13-pjrt 2>/dev/null | awk '/^Version:/{print $2}')"
		echo "missing libraries: $(for b in "$WORK"/bin/*; do ldd "$b" 2>&1; done | grep -c 'not found' || true)"
		echo "--- staged manifest"
		cat "$TRIP/manifest.txt"
	} >"$RAW/env.txt"
	echo "$DRY" >"$RAW/dry"
	if [[ "$backend" == xla:cuda* ]]; then link_cuda || log "the CUDA plugin is missing: see $RAW/env.txt"; fi
	local why=""
	if ! "$PY" -c 'import torch' >/dev/null 2>&1; then
		torch=0 why="torch is not importable from $PY"
	elif [[ "$torch_dev" == cuda ]] && ! "$PY" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)'; then
		torch=0 why="torch in $PY sees no CUDA device"
	fi
	report

	# 1. Backend sanity and parity with the pure-Go backend (shared checkpoints; see the tests' doc comments).
	export GOMLX_BACKEND=go
	step parity_backends 60 "${INDIR[@]}" "$ROOT/musicrep/backends" MUSICREP_XLA_TEST_BACKEND=$backend "$WORK/bin/backends.test" \
		-test.run '^TestXLA' -test.skip '^TestXLAMalloc$' -test.v -test.count 1
	step parity_binding 90 "${INDIR[@]}" "$ROOT/musicrep/training" MUSICREP_XLA_TEST_BACKEND=$backend "$WORK/bin/training.test" \
		-test.run '^TestXLAMatchesGo$' -test.v -test.count 1
	step parity_cmir 150 "${INDIR[@]}" "$ROOT/musicrep/cmir" MUSICREP_XLA_TEST_BACKEND=$backend "$WORK/bin/cmir.test" \
		-test.run '^TestXLATrainMatchesGo$' -test.v -test.count 1

	# 2. Binding training throughput: musicrep on the XLA backend vs the same loop in PyTorch.
	local b
	for b in 32 1024; do
		[[ "$DRY" == 1 && $b == 1024 ]] && b=256
		step "binding_xla_b$b" 60 "${INDIR[@]}" "$ROOT/musicrep/training" GOMLX_BACKEND=$backend MUSICREP_TRAIN_BENCH_SET="batch_size=$b" \
			"$WORK/bin/training.test" -test.run '^$' -test.bench '^BenchmarkTrainEpochSteady$' -test.benchtime "$benchtime" -test.v
		if [[ $torch == 1 ]]; then
			step "binding_torch_b$b" 60 "$PY" "$ROOT/bench/torch_binding.py" --device "$torch_dev" --mode concat \
				--batch-size "$b" --epochs "$epochs" --threads "$threads"
		else
			skip "binding_torch_b$b" "$why"
		fi
	done

	# 3. The contrastive-mir audio CNN: training step and inference, songs/s.
	step "cnn_xla_${preset}_b$batch" 150 "${INDIR[@]}" "$ROOT/musicrep/cmir" GOMLX_BACKEND=$backend MUSICREP_CNN_BENCH_PRESET=$preset \
		MUSICREP_CNN_BENCH_BATCH=$batch MUSICREP_CNN_BENCH_WARMUP=$warm "$WORK/bin/cmir.test" -test.run '^$' \
		-test.bench '^BenchmarkAudio(TrainStep|Inference)$' -test.benchtime "${steps}x" -test.count "$reps" -test.v
	local mode
	for mode in train infer; do
		if [[ $torch == 1 ]]; then
			step "cnn_torch_${mode}_${preset}_b$batch" 60 "$PY" "$ROOT/bench/torch_cmir.py" --device "$torch_dev" \
				--mode $mode --preset $preset --batch $batch --warmup $warm --steps $steps --reps $reps --threads "$threads"
		else
			skip "cnn_torch_${mode}_${preset}_b$batch" "$why"
		fi
	done

	# 4. The published binding schedule (200 epochs), time-boxed: the rest of the budget.
	mkdir -p "$WORK/reproduce"
	if [[ "$DRY" == 1 ]]; then
		step reproduce 240 "${INDIR[@]}" "$WORK/reproduce" "$WORK/bin/musicrep" reproduce \
			-preset quick -set num_epochs=1 -seeds 1 -backend "$backend" -data "$WORK/data" -results "$WORK/reproduce/results"
	else
		step reproduce 100000 "${INDIR[@]}" "$WORK/reproduce" "$WORK/bin/musicrep" reproduce \
			-preset paper -seeds 1 -backend "$backend" -data "$WORK/data" -results "$WORK/reproduce/results"
	fi
	skip extras "not staged: the MiniLM weights (~90 MB) alone exceed the 64 MiB trip; the GPU machine cannot render a Melon dataset (no mma, fluidsynth), and the smallest generated one (melon-generate -size tiny, 30 songs) is 9.3 MB as tar.gz, which would take the trip to 64.0 MiB"
	report
	log "done in $((SECONDS - RUN_START))s: $OUTDIR/gpu-report.md"
}

case "${1:-}" in
stage) stage ;;
run) run ;;
measure) measure ;;
*) die "usage: scripts/gpu-check.sh stage|run|measure (see the comment at the top)" ;;
esac
