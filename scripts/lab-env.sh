# shellcheck shell=bash disable=SC2034 # variables used by the scripts that source this file
# Shared environment of the notebook scripts (sourced by setup-lab.sh, lab.sh, run-notebooks.sh, browser-test.sh).
# Everything lives inside the repository: Go tools in .cache/bin, Python in .venv, the GoNB kernel spec in
# .venv/share/jupyter/kernels/gonb. Nothing is installed into $HOME.

MUSICREP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
LAB_BIN="$MUSICREP_ROOT/.cache/bin"
LAB_VENV="$MUSICREP_ROOT/.venv"
LAB_KERNEL_DIR="$LAB_VENV/share/jupyter/kernels/gonb"
# One interpreter, chosen deliberately: Debian's /usr/bin/python3 (3.11, python3-venv is in the image).
# `python3` on PATH may be a pyenv shim; set MUSICREP_PYTHON to use another interpreter for the venv.
LAB_PYTHON="${MUSICREP_PYTHON:-/usr/bin/python3}"
[[ -x "$LAB_PYTHON" ]] || LAB_PYTHON="$(command -v python3)"

# Pinned Go tool versions (gonb's version comes from go.mod's `tool github.com/janpfeifer/gonb` requirement).
GOIMPORTS_VERSION="${GOIMPORTS_VERSION:-v0.44.0}"
GOPLS_VERSION="${GOPLS_VERSION:-v0.23.0}" # v0.24+ needs Go 1.27

if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
	PATH="/usr/local/go/bin:$PATH"
fi
export PATH="$LAB_BIN:$LAB_VENV/bin:$PATH"
export GOTOOLCHAIN="${GOTOOLCHAIN:-go1.27.3}"
export GOMLX_BACKEND="${GOMLX_BACKEND:-go}"
export PYDEVD_DISABLE_FILE_VALIDATION=1
# Our kernel spec first, ahead of any gonb kernel a user installed in ~/.local/share/jupyter.
export JUPYTER_PATH="$LAB_VENV/share/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"
# Jupyter's own files stay in the repository too, not in ~/.jupyter or ~/.local/share/jupyter: configuration
# and runtime files (kernel connection files) under out/lab/, data (kernel specs) in the venv.
export JUPYTER_CONFIG_DIR="${JUPYTER_CONFIG_DIR:-$MUSICREP_ROOT/out/lab/config}"
export JUPYTER_DATA_DIR="${JUPYTER_DATA_DIR:-$LAB_VENV/share/jupyter}"
export JUPYTER_RUNTIME_DIR="${JUPYTER_RUNTIME_DIR:-$MUSICREP_ROOT/out/lab/runtime}"
unset PYTHONPATH PYTHONHOME

LAB_LOG_PREFIX=lab
lab_log() { printf '[%s] %s\n' "${LAB_LOG_PREFIX:-lab}" "$*" >&2; }
lab_die() { printf '[%s] ERROR: %s\n' "${LAB_LOG_PREFIX:-lab}" "$*" >&2; exit 1; }
