#!/usr/bin/env bash
# Sets up everything the musicrep notebooks need, inside the repository (idempotent: a second run installs
# nothing and takes about a second):
#   .cache/bin/{gonb,goimports,gopls}       Go tools (gonb at go.mod's tool version; the others pinned;
#                                            gopls skipped with MUSICREP_LAB_GOPLS=0)
#   .venv/                                   JupyterLab 4 + nbconvert/nbclient, pinned in requirements-lab.txt
#   .venv/share/jupyter/kernels/gonb/        the GoNB kernel spec for that Jupyter, with .cache/bin on PATH,
#                                            GOTOOLCHAIN (go1.27.3 unless set, lab-env.sh) and GOMLX_BACKEND=go in
#                                            the kernel's environment
#                                            (MUSICREP_LAB_BACKEND=xla:cpu|xla:cuda for an XLA kernel)
# With --browser, also what the browser test needs:
#   tests/browser/node_modules               `npm ci` (playwright-core, no browser download)
#   /usr/bin/chromium                        Debian's chromium, apt-get installed if missing (needs root)
#
# Usage: scripts/setup-lab.sh [--browser]
set -euo pipefail
# shellcheck source=scripts/lab-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab-env.sh"
LAB_LOG_PREFIX=setup-lab

want_browser=0
for arg in "$@"; do
	case "$arg" in
	--browser) want_browser=1 ;;
	-h | --help)
		sed -n '2,15p' "$0"
		exit 0
		;;
	*) lab_die "unknown argument: $arg" ;;
	esac
done

cd "$MUSICREP_ROOT"
mkdir -p "$LAB_BIN"
command -v go >/dev/null || lab_die "go not found on PATH"

# Serialise concurrent setups (e.g. `make -j notebooks browser-test`).
exec 9>"$MUSICREP_ROOT/.cache/setup-lab.lock"
flock 9

# --- Go tools ------------------------------------------------------------------------------------------------
# installed_version BINARY MODULE: the version of MODULE the binary was built from ("" if none).
installed_version() {
	[[ -x "$1" ]] || return 0
	go version -m "$1" 2>/dev/null | awk -v m="$2" '$1 == "mod" && $2 == m { print $3; exit }'
}

gonb_version="$(go list -m -f '{{.Version}}' github.com/janpfeifer/gonb 2>/dev/null)" ||
	lab_die "go.mod does not require github.com/janpfeifer/gonb (expected: tool github.com/janpfeifer/gonb)"
if [[ "$(installed_version "$LAB_BIN/gonb" github.com/janpfeifer/gonb)" != "$gonb_version" ]]; then
	lab_log "installing gonb $gonb_version into .cache/bin"
	# `go install gonb@version` fails with the filtered module proxy; install the tool requirement instead.
	GOBIN="$LAB_BIN" go install github.com/janpfeifer/gonb
fi
if [[ "$(installed_version "$LAB_BIN/goimports" golang.org/x/tools)" != "$GOIMPORTS_VERSION" ]]; then
	lab_log "installing goimports $GOIMPORTS_VERSION into .cache/bin"
	(cd /tmp && GOBIN="$LAB_BIN" GOFLAGS="" go install "golang.org/x/tools/cmd/goimports@$GOIMPORTS_VERSION")
fi
# gopls only serves autocompletion/inspection in JupyterLab; headless CI runs skip it (MUSICREP_LAB_GOPLS=0,
# set by run-notebooks.sh and browser-test.sh when CI is set): it is the slowest tool to build (~1-2 min cold).
if [[ "${MUSICREP_LAB_GOPLS:-1}" != 0 &&
	"$(installed_version "$LAB_BIN/gopls" golang.org/x/tools/gopls)" != "$GOPLS_VERSION" ]]; then
	lab_log "installing gopls $GOPLS_VERSION into .cache/bin (about a minute)"
	(cd /tmp && GOBIN="$LAB_BIN" GOFLAGS="" go install "golang.org/x/tools/gopls@$GOPLS_VERSION")
fi

# --- Python venv with JupyterLab -------------------------------------------------------------------------------
stamp_file="$LAB_VENV/.musicrep-requirements.sha256"
venv_ok() { [[ -x "$LAB_VENV/bin/python" ]] && "$LAB_VENV/bin/python" -c 'import sys' >/dev/null 2>&1; }
if ! venv_ok; then
	lab_log "creating .venv with $LAB_PYTHON ($("$LAB_PYTHON" --version 2>&1))"
	rm -rf "$LAB_VENV"
	"$LAB_PYTHON" -m venv "$LAB_VENV"
fi
want_stamp="$( (cat requirements-lab.txt && "$LAB_VENV/bin/python" --version) | sha256sum | cut -d' ' -f1)"
if [[ "$(cat "$stamp_file" 2>/dev/null)" != "$want_stamp" ]]; then
	lab_log "installing requirements-lab.txt into .venv"
	"$LAB_VENV/bin/python" -m pip install --no-input --disable-pip-version-check -q -r requirements-lab.txt
	echo "$want_stamp" >"$stamp_file"
fi

# --- GoNB kernel spec for the venv's Jupyter -------------------------------------------------------------------
# gonb --install writes kernel.json + logo into $JUPYTER_DATA_DIR/kernels/gonb (and checks goimports/gopls);
# we then rewrite kernel.json to add the kernel's environment. Rewritten only when it would change.
# MUSICREP_LAB_BACKEND (default go) becomes the kernel's GOMLX_BACKEND; an xla:* backend also makes the kernel
# build cells with -tags=xla (cgo) and, for xla:cuda, puts the NVIDIA libraries of `scripts/setup-xla.sh cuda` on
# LD_LIBRARY_PATH (the CUDA image, docker/Dockerfile.cuda, does this).
go_dir="$(dirname "$(command -v go)")"
lab_backend="${MUSICREP_LAB_BACKEND:-go}"
cuda_libs="$(cat "$MUSICREP_ROOT/.pjrt/cuda-ld-library-path" 2>/dev/null || true)"
want_spec="$("$LAB_VENV/bin/python" - "$MUSICREP_ROOT/scripts/gonb-kernel.sh" "$LAB_BIN" "$go_dir" "$lab_backend" "$cuda_libs" \
	"$MUSICREP_ROOT/.pjrt" <<'PY'
import json, os, sys
kernel, bin_dir, go_dir, backend, cuda_libs, pjrt_dir = sys.argv[1:7]
env = {
    # ${PATH} is substituted by jupyter_client with the launching process' PATH.
    "PATH": f"{bin_dir}:{go_dir}:${{PATH}}",
    "GOTOOLCHAIN": os.environ["GOTOOLCHAIN"],
    "GOMLX_BACKEND": backend,
}
if backend.startswith("xla"):
    env["GOFLAGS"] = "-tags=xla"
    env["CGO_ENABLED"] = "1"
    # GoNB runs cells from a temporary folder, outside the repository: point musicrep/backends at its plugins.
    env["MUSICREP_PJRT_DIR"] = pjrt_dir
    if backend.startswith("xla:cuda") and cuda_libs:
        env["LD_LIBRARY_PATH"] = cuda_libs
print(json.dumps({
    # scripts/gonb-kernel.sh runs .cache/bin/gonb, logging to $MUSICREP_GONB_LOG when set (make lab).
    "argv": [kernel, "{connection_file}"],
    "display_name": "Go (gonb)",
    "language": "go",
    "interrupt_mode": "message",
    "env": env,
    "metadata": {"installed_by": "musicrep scripts/setup-lab.sh"},
}, indent=1))
PY
)"
if [[ "$(cat "$LAB_KERNEL_DIR/kernel.json" 2>/dev/null)" != "$want_spec" || ! -f "$LAB_KERNEL_DIR/logo-svg.svg" ]]; then
	lab_log "registering the GoNB kernel in .venv/share/jupyter/kernels/gonb"
	# --force_deps: gopls may be skipped (MUSICREP_LAB_GOPLS=0); goimports is always installed above.
	if ! install_log="$(JUPYTER_DATA_DIR="$LAB_VENV/share/jupyter" "$LAB_BIN/gonb" --install --force_deps 2>&1)" ||
		[[ ! -f "$LAB_KERNEL_DIR/kernel.json" ]]; then
		printf '%s\n' "$install_log" >&2
		lab_die "gonb --install did not write $LAB_KERNEL_DIR/kernel.json"
	fi
	printf '%s\n' "$want_spec" >"$LAB_KERNEL_DIR/kernel.json"
fi

# --- Browser test dependencies ---------------------------------------------------------------------------------
if ((want_browser)); then
	command -v npm >/dev/null || lab_die "npm not found (Debian: apt-get install nodejs npm)"
	npm_stamp="tests/browser/node_modules/.musicrep-lock.sha256"
	want_npm="$(sha256sum tests/browser/package-lock.json | cut -d' ' -f1)"
	if [[ "$(cat "$npm_stamp" 2>/dev/null)" != "$want_npm" ]]; then
		lab_log "npm ci in tests/browser"
		(cd tests/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
		echo "$want_npm" >"$npm_stamp"
	fi
	chromium="${MUSICREP_CHROMIUM:-/usr/bin/chromium}"
	if [[ ! -x "$chromium" ]]; then
		[[ -z "${MUSICREP_CHROMIUM:-}" ]] || lab_die "MUSICREP_CHROMIUM=$chromium is not executable"
		apt=(env DEBIAN_FRONTEND=noninteractive apt-get -y -q)
		if [[ $EUID -ne 0 ]]; then
			sudo -n true 2>/dev/null || lab_die "chromium is missing and we are not root: run
    sudo apt-get install --no-install-recommends chromium"
			apt=(sudo -n "${apt[@]}")
		fi
		lab_log "installing Debian chromium with apt-get"
		if ! "${apt[@]}" install --no-install-recommends chromium >/tmp/musicrep-apt.log 2>&1; then
			lab_log "apt-get install failed; running apt-get update and retrying"
			"${apt[@]}" update >>/tmp/musicrep-apt.log 2>&1 || true
			"${apt[@]}" install --no-install-recommends chromium >>/tmp/musicrep-apt.log 2>&1 ||
				{ tail -20 /tmp/musicrep-apt.log >&2; lab_die "could not install chromium (log: /tmp/musicrep-apt.log)"; }
		fi
		[[ -x "$chromium" ]] || lab_die "chromium installed but $chromium is missing"
	fi
fi

lab_log "ready: gonb $gonb_version, $("$LAB_VENV/bin/python" -c 'import importlib.metadata as m; print("jupyterlab", m.version("jupyterlab"))')"
