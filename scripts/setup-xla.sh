#!/usr/bin/env bash
# Installs a PJRT plugin for musicrep's XLA backend into the repository's .pjrt folder (idempotent), where
# musicrep/backends looks for it (see its package doc). Nothing goes into $HOME or the system.
#
#   scripts/setup-xla.sh cpu    (default) the XLA CPU plugin from the PyPI wheel xla-cpu-pjrt, pinned with its
#                               hash in scripts/xla-cpu-requirements.txt → .pjrt/pjrt_c_api_cpu_plugin.so
#   scripts/setup-xla.sh cuda   the CUDA plugin: JAX's jax-cuda13-pjrt wheel. If the Python on PATH already has
#                               it (the GPU machines this project is tested on carry JAX), that copy is linked;
#                               otherwise jax-cuda13-pjrt and the NVIDIA CUDA 13 wheels JAX's `with-cuda` extra
#                               lists (jax-cuda13-plugin's metadata, lower bounds copied) are installed into
#                               .pjrt/site-cuda. Writes .pjrt/cuda-env.sh, which puts the NVIDIA libraries on
#                               LD_LIBRARY_PATH and XLA's CUDA data dir (libdevice) in XLA_FLAGS: source it before
#                               running musicrep with -backend xla:cuda. scripts/gpu-check.sh does the same.
#
# Then build the XLA-enabled binary: `make build-xla` (go build -tags xla → bin/musicrep-xla; needs cgo and gcc)
# and run e.g. `bin/musicrep-xla train -backend xla:cpu ...` or GOMLX_BACKEND=xla:cpu.
set -euo pipefail
# shellcheck source=scripts/lab-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab-env.sh"
LAB_LOG_PREFIX=setup-xla
what="${1:-cpu}"
case "$what" in cpu | cuda) ;; *) lab_die "unknown argument: $what (use cpu or cuda)" ;; esac
cd "$MUSICREP_ROOT"
mkdir -p .pjrt .cache
exec 8>"$MUSICREP_ROOT/.cache/setup-xla.lock"
flock 8

pip_python() { # a Python with pip, for `pip install --target` (the project venv, created if needed)
	if ! { [[ -x "$LAB_VENV/bin/python" ]] && "$LAB_VENV/bin/python" -m pip --version >/dev/null 2>&1; }; then
		lab_log "creating .venv with $LAB_PYTHON"
		rm -rf "$LAB_VENV"
		"$LAB_PYTHON" -m venv "$LAB_VENV"
	fi
	echo "$LAB_VENV/bin/python"
}

# apt_install PKG...: installs Debian packages with apt-get (as root, or with passwordless sudo), running
# apt-get update and retrying once if the first try fails. Returns 2 when there is no apt-get or no way to root,
# 1 when apt-get failed.
apt_install() {
	command -v apt-get >/dev/null 2>&1 || return 2
	local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -y -q)
	if [[ $EUID -ne 0 ]]; then
		sudo -n true 2>/dev/null || return 2
		apt=(sudo -n "${apt[@]}")
	fi
	"${apt[@]}" install --no-install-recommends "$@" >/dev/null 2>&1 ||
		{ "${apt[@]}" update >/dev/null 2>&1 || true; "${apt[@]}" install --no-install-recommends "$@" >/dev/null 2>&1; } ||
		return 1
}

# cgo (go build -tags xla) needs a C compiler.
if ! command -v gcc >/dev/null 2>&1; then
	lab_log "installing gcc libc6-dev with apt-get (cgo)"
	apt_install gcc libc6-dev ||
		lab_die "gcc not found and could not be installed: sudo apt-get install -y gcc libc6-dev (cgo builds go-xla)"
	command -v gcc >/dev/null 2>&1 || lab_die "gcc still missing after apt-get install"
fi

# tcmalloc: an XLA build of musicrep restarts itself with it preloaded when it finds the library (musicrep/backends,
# malloc_linux.go: XLA's CPU runtime allocates every execution's buffers anew; glibc's allocator cost about a
# quarter of a CNN training step with its defaults, about a tenth with the tuned settings). Without it musicrep
# falls back to glibc with tuned settings, so a failure here is a warning. Debian and Ubuntu ≤ 23.10 call the
# package libtcmalloc-minimal4, Ubuntu 24.04 libtcmalloc-minimal4t64.
tcmalloc_found() {
	local p
	for p in /usr/lib/x86_64-linux-gnu /usr/lib/aarch64-linux-gnu /usr/lib64 /usr/lib; do
		[[ -f "$p/libtcmalloc_minimal.so.4" ]] && return 0
	done
	return 1
}
if ! tcmalloc_found; then
	lab_log "installing libtcmalloc-minimal4 with apt-get (the C allocator of XLA builds)"
	for pkg in libtcmalloc-minimal4 libtcmalloc-minimal4t64; do
		apt_install "$pkg" && tcmalloc_found && break
	done
	tcmalloc_found || lab_log "WARNING: could not install libtcmalloc-minimal4 (sudo apt-get install -y" \
		"libtcmalloc-minimal4); XLA builds will use glibc's allocator, a tenth slower"
fi

if [[ "$what" == cpu ]]; then
	stamp=.pjrt/.cpu.sha256
	want="$(sha256sum scripts/xla-cpu-requirements.txt | cut -d' ' -f1)"
	so=.pjrt/site/xla_plugins/xla_cpu_pjrt/xla_cpu_pjrt.so
	if [[ "$(cat "$stamp" 2>/dev/null)" != "$want" || ! -f "$so" ]]; then
		lab_log "installing xla-cpu-pjrt (63 MB wheel, 259 MB plugin) into .pjrt/site"
		rm -rf .pjrt/site
		"$(pip_python)" -m pip install --no-input --disable-pip-version-check -q --no-deps --require-hashes \
			--target .pjrt/site -r scripts/xla-cpu-requirements.txt
		echo "$want" >"$stamp"
	fi
	ln -sfn "site/xla_plugins/xla_cpu_pjrt/xla_cpu_pjrt.so" .pjrt/pjrt_c_api_cpu_plugin.so
	lab_log "CPU plugin: $MUSICREP_ROOT/.pjrt/pjrt_c_api_cpu_plugin.so"
	exit 0
fi

# cuda
py="$(command -v python3 || true)"
so=""
if [[ -n "$py" ]] && loc="$("$py" -m pip show -f jax-cuda13-pjrt 2>/dev/null)"; then
	base="$(awk '/^Location:/{print $2}' <<<"$loc")"
	rel="$(grep -o 'jax_plugins/xla_cuda13/xla_cuda_plugin.so' <<<"$loc" | head -1)"
	[[ -n "$base" && -n "$rel" && -f "$base/$rel" ]] && so="$base/$rel" && site="$base"
fi
if [[ -z "$so" ]]; then
	lab_log "installing jax-cuda13-pjrt and the NVIDIA CUDA 13 wheels into .pjrt/site-cuda (several GB)"
	"$(pip_python)" -m pip install --no-input --disable-pip-version-check -q --target .pjrt/site-cuda \
		"jax-cuda13-pjrt==${JAX_CUDA_PJRT_VERSION:-0.12.1}" \
		"nvidia-cublas>=13.0.0.19" "nvidia-cuda-cupti>=13.0.48" "nvidia-cuda-nvcc>=13.0.48" \
		"nvidia-cuda-runtime>=13.0.48" "nvidia-cudnn-cu13>=9.12.0.46,<10" "nvidia-cufft>=12.0.0.15" \
		"nvidia-cusolver>=12.0.3.29" "nvidia-cusparse>=12.6.2.49" "nvidia-nccl-cu13>=2.27.7" \
		"nvidia-nvjitlink>=13.0.39" "nvidia-cuda-nvrtc>=13.0.48" "nvidia-nvshmem-cu13>=3.3.20" "nvidia-nvvm"
	site="$MUSICREP_ROOT/.pjrt/site-cuda"
	so="$site/jax_plugins/xla_cuda13/xla_cuda_plugin.so"
fi
[[ -f "$so" ]] || lab_die "no CUDA PJRT plugin found or installed (looked for $so)"
ln -sfn "$so" .pjrt/pjrt_c_api_cuda_plugin.so
libs=""
for d in "$site"/nvidia/*/lib; do
	if [[ -d "$d" ]]; then libs="${libs:+$libs:}$d"; fi
done
printf 'export LD_LIBRARY_PATH=%q${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}\n' "$libs" >.pjrt/cuda-env.sh
# XLA compiles GPU kernels with libdevice (and ptxas where present) from the nvidia-cuda-nvcc wheel: point it there.
libdevice="$(find -L "$site/nvidia" -maxdepth 4 -type f -name 'libdevice*.bc' 2>/dev/null | head -1)"
if [[ -n "$libdevice" ]]; then
	printf 'export XLA_FLAGS="${XLA_FLAGS:+$XLA_FLAGS }--xla_gpu_cuda_data_dir=%s"\n' "$(dirname "$(dirname "$(dirname "$libdevice")")")" >>.pjrt/cuda-env.sh
fi
printf '%s\n' "$libs" >.pjrt/cuda-ld-library-path # read by scripts/setup-lab.sh for the kernel's environment
lab_log "CUDA plugin: $so (linked as .pjrt/pjrt_c_api_cuda_plugin.so); source .pjrt/cuda-env.sh before running"
