# musicrep — make targets. `make test` is what CI runs (.ci/run); `make reproduce` is the main job.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

GO ?= go
# Go 1.27.3: GoMLX v0.28.16 needs Go >= 1.27 (go.mod). An older installed go (Debian's machines here have 1.26.8,
# with GOTOOLCHAIN=local in its go.env) fetches this toolchain once from the module proxy into the module cache.
# The same version is named in go.mod's toolchain line, scripts/lab-env.sh, scripts/setup-lab.sh, bench/*.sh,
# scripts/gpu-check.sh, the Dockerfiles' GO_VERSION and tests/browser; `make toolchain-check` (part of make test)
# fails when one of them differs.
GO_TOOLCHAIN := go1.27.3
export GOTOOLCHAIN ?= $(GO_TOOLCHAIN)
export GOFLAGS ?= -buildvcs=false
# The pure-Go backend's SIMD (AVX2/AVX-512) matmul kernels: 2.2x faster training here (BENCHMARKS.md); results
# differ from a non-SIMD build in the last bits (summation order), each build is deterministic.
export GOEXPERIMENT ?= simd
export GOMLX_BACKEND ?= go

BIN := bin/musicrep
PRESET ?= quick

.PHONY: all build test toolchain-check vet fmt-check unit audio-setup data-check reproduce reproduce-full joint bench bench-text bench-scan bench-scan-curve bench-opsmode bench-scaling bench-mel bench-mel-stages bench-cnn-ab clean

include mk/lab.mk
include mk/models.mk
include mk/xla.mk
include mk/docker.mk
include mk/gpu.mk

all: build

build:
	$(GO) build -o $(BIN) ./cmd/musicrep

## test: formatting, vet, the data checksum check, every Go test (real data from ../shared/data or
## $$MUSICREP_DATA; includes an end-to-end CLI run), the XLA CPU backend against the pure-Go one (mk/xla.mk),
## every notebook executed headless (small settings under CI) and notebook 03 run through the JupyterLab UI in
## headless Chromium, the fuzz targets briefly, and the GPU check's stand-in run on xla:cpu (mk/gpu.mk).
test: toolchain-check fmt-check vet data-check docker-lint unit fuzz-smoke unit-xla gpu-check-dry notebooks notebooks-xla browser-test

## toolchain-check: every file that names the Go toolchain names $(GO_TOOLCHAIN), and the go command runs it.
toolchain-check:
	@v=$(GO_TOOLCHAIN); bad=0; \
	grep -qx "toolchain $$v" go.mod || { echo "toolchain-check: go.mod's toolchain line is not $$v"; bad=1; }; \
	for f in scripts/lab-env.sh bench/cnn.sh bench/index.sh bench/melcf.sh bench/run.sh bench/scan.sh bench/text.sh bench/scaling.sh bench/mel.sh bench/mel_stages.sh bench/opsmode.sh bench/cnn_ab.sh \
		scripts/gpu-check.sh tests/browser/run-notebook.mjs; do \
		grep -q "$$v" $$f || { echo "toolchain-check: $$f does not name $$v"; bad=1; }; done; \
	for f in docker/Dockerfile docker/Dockerfile.cuda; do \
		grep -qx "ARG GO_VERSION=$${v#go}" $$f || { echo "toolchain-check: $$f's GO_VERSION is not $${v#go}"; bad=1; }; done; \
	got=$$($(GO) env GOVERSION); [ "$$got" = "$$v" ] || [ "$$GOTOOLCHAIN" != "$$v" ] || \
		{ echo "toolchain-check: go runs $$got, want $$v"; bad=1; }; \
	exit $$bad

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

unit: models audio-setup
	MUSICREP_REQUIRE_MODELS=1 MUSICREP_REQUIRE_AUDIO=1 $(GO) test -count=1 -timeout 30m ./...

## fuzz-smoke: every fuzz target (the five audio decoders, NPY, checkpoints, index files, the Melon reader, the
## TensorFlow checkpoint index reader) for
## FUZZTIME each; a crasher is written to the package's testdata/fuzz/ and then fails plain `go test` too.
## FUZZTIME is a count of executions ("Nx"): with a duration, Go 1.26's fuzz coordinator can fail a target with a
## bare "context deadline exceeded" at the deadline on a loaded machine (golang/go#75804, fixed in Go 1.27).
FUZZTIME ?= 5000x
FUZZ_TARGETS := ./musicrep/audio:FuzzWAV ./musicrep/audio:FuzzVorbis ./musicrep/audio:FuzzOpus \
	./musicrep/audio:FuzzFLAC ./musicrep/audio:FuzzMP3 ./musicrep/corpus:FuzzNPY ./musicrep/ckpt:FuzzCheckpoint \
	./musicrep/index:FuzzIndexFile ./musicrep/melon:FuzzMelon ./musicrep/musicnn:FuzzTable
.PHONY: fuzz-smoke
fuzz-smoke:
	@mkdir -p out; for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; fn=$${t##*:}; \
		echo "fuzz $$pkg $$fn ($(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) "$$pkg" > out/fuzz.log 2>&1 || \
		{ cat out/fuzz.log; exit 1; }; \
	done; echo "fuzz-smoke: $(words $(FUZZ_TARGETS)) targets, no crasher"

data-check:
	@dir=$${MUSICREP_DATA:-../shared/data}; \
	if [ -d "$$dir" ]; then bash data/fetch.sh --verify "$$dir"; \
	else echo "data-check: no data directory ($$dir); run: bash data/fetch.sh"; [ -z "$${CI:-}" ]; fi

## reproduce: train the published configuration (C=2, E=4, 51k pairs) on audio+graph with the quick preset,
## export, evaluate both protocols with baselines; results in evaluation/results/. PRESET=paper for 200 epochs.
## The held-out model is trained on SEEDS artist splits (leak-free graph, epoch chosen on a validation split)
## and reported per split (bootstrap intervals over test artists) and across splits (t interval).
SEEDS ?= 3
reproduce: build
	./$(BIN) reproduce -preset $(PRESET) -seeds $(SEEDS)

## audio-setup: Debian's mma, fluidsynth and fluid-soundfont-gm (musicrep melon-generate renders genre-labelled
## audio with them) and wesnoth-1.16-music (real recordings for -real wesnoth, 153 MB); apt-get, needs root or
## passwordless sudo.
audio-setup:
	scripts/setup-audio.sh --real

reproduce-full: build
	./$(BIN) reproduce -full

## joint: the joint model on audio + MiniLM text + keyword tags (features from features/, recomputed with
## `musicrep features -method minilm|tags` if absent), trained on the training split and evaluated on the test
## tracks next to the binding model and raw baselines → evaluation/results/joint-$(JOINT_PRESET).{json,md}.
JOINT_PRESET ?= paper
joint: build models
	@[ -e features/text.npy ] || [ -e features/text.json ] || ./$(BIN) features -method minilm
	@[ -e features/tags.npy ] || [ -e features/tags.json ] || ./$(BIN) features -method tags
	./$(BIN) joint -preset $(JOINT_PRESET)

## bench: training throughput (Go backend with and without SIMD vs PyTorch) and exact search (vs FAISS, NumPy);
## installs PyTorch/FAISS into .venv-bench (~5 GB). Results: out/bench/, recorded in BENCHMARKS.md.
bench:
	bash bench/run.sh

## bench-text: MiniLM in Go vs sentence-transformers, and the Go backend's sequential vs parallel op execution
## (BENCHMARKS.md §3–4; installs sentence-transformers into .venv-golden).
bench-text:
	bash bench/text.sh

## bench-opsmode: the pure-Go backend's nodes one at a time (go:ops_sequential) vs its default (parallel for a
## lone execution), interleaved A/B on binding training, MiniLM and musicnn, 95 % intervals of the ratio
## (bench/opsmode.sh → out/bench/opsmode/; BENCH_REPS, OPSMODE_WORKLOADS).
bench-opsmode: models
	bash bench/opsmode.sh

## bench-scan: `musicrep library scan` (Go backend and xla:cpu) vs librosa + musicnn on TensorFlow CPU, whole
## commands interleaved on the same wesnoth-1.16-music files, and musicnn inference alone on Go, xla:cpu and TF
## (BENCHMARKS.md; bench/scan.sh → out/bench/scan/; uses .venv-golden from scripts/golden/musicnn-golden.sh).
bench-scan: models audio-setup
	bash bench/scan.sh

## bench-scaling: the scaling curves (BENCHMARKS.md): binding training throughput vs batch size (Go, xla:cpu,
## PyTorch) and top-10 search vs catalogue size (musicrep Flat/IVF vs FAISS), peak RSS per point, SVG plots
## (bench/scaling.sh → out/bench/scaling/; BENCH_SCALING_PUBLISH=1 copies the plots to bench/plots/).
bench-scaling: xla-setup
	bash bench/scaling.sh

## bench-scan-curve: `musicrep library scan` (Go backend, xla:cpu) and librosa + musicnn on TensorFlow CPU on the
## first 1, 4, 16 and 41 (all) wesnoth-1.16-music recordings: audio-s/s, files/s, CPU time, peak RSS, SVG plots
## (bench/scaling.sh with BENCH_SCALING_PARTS=scan → out/bench/scaling/; BENCH_SCAN_COUNTS, BENCH_SCAN_TF=0).
bench-scan-curve: models audio-setup xla-setup
	BENCH_SCALING_PARTS=scan bash bench/scaling.sh

## bench-mel: the audio front-end (decode + resample + log-mel, BenchmarkMelFile) vs librosa, interleaved, wall and
## CPU time with 95 % intervals of the ratio (BENCHMARKS.md §F; bench/mel.sh → out/bench/mel/; BENCH_REPS rounds,
## BENCH_BASE=an older build's audio test binary adds it to each round; one thread (the fair row) and two
## (musicrep2t, decoding one chunk ahead; BENCH_TWO_THREADS=0 drops it); installs librosa into .venv-mel).
bench-mel:
	bash bench/mel.sh

## bench-mel-stages: the front-end's stages (whole, Vorbis decoding, resampling, mel) of this build against
## BENCH_BASE=another build's audio test binary, interleaved, CPU time ratios with 95 % intervals (bench/mel_stages.sh
## → out/bench/mel-stages/).
bench-mel-stages:
	bash bench/mel_stages.sh

## bench-cnn-ab: the audio CNN's training step on xla:cpu, builds of git revisions interleaved round by round,
## medians of songs/s and CPU-ms per step (BENCHMARKS.md, "The CNN training step on xla:cpu"; bench/cnn_ab.sh →
## out/bench/cnn-ab/). CNN_AB_VARIANTS='label=REV[@XLA_FLAGS] ...'; the default is that section's record: 6efeb95
## (the last commit before the max-pool and layout changes; it already reports CPU-ms) against HEAD.
CNN_AB_VARIANTS ?= before=6efeb95 after=HEAD
bench-cnn-ab: xla-setup
	CNN_AB_VARIANTS='$(CNN_AB_VARIANTS)' bash bench/cnn_ab.sh

clean:
	rm -rf bin out
