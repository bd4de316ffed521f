#!/usr/bin/env bash
# Executes the notebooks headless with the GoNB kernel and writes, for each, the executed notebook and an
# offline HTML rendering to out/notebooks/ (git-ignored). Stops at the first cell error (exit 1), showing the
# failing cell and its outputs as text (GoNB compile errors included).
#
# Usage: scripts/run-notebooks.sh [--small] [--record] [NOTEBOOK...]
#   (default: notebooks/*.ipynb, sorted, then tests/notebooks/*.ipynb: the display-flush regression test)
# Each code cell's outputs are checked against its metadata (see scripts/nbrun.py; --record rewrites them).
#
# Notebook settings come from environment variables named MUSICREP_NB_*, which notebooks read with os.Getenv:
#   MUSICREP_NB_SMALL=1     small, fast configuration (set by --small, and by default when $CI is set)
#   MUSICREP_NB_EPOCHS=N    training epochs, where a notebook trains
#   MUSICREP_NB_<NAME>      any other knob a notebook documents in its first markdown cell
# Settings of this script:
#   MUSICREP_NB_TIMEOUT     seconds per cell (default 600)
#   MUSICREP_NB_OUT         output folder (default out/notebooks)
set -euo pipefail
# shellcheck source=scripts/lab-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab-env.sh"
LAB_LOG_PREFIX=notebooks

notebooks=()
record=()
for arg in "$@"; do
	case "$arg" in
	--small) export MUSICREP_NB_SMALL=1 ;;
	--record) record=(--record) ;;
	-h | --help)
		sed -n '2,17p' "$0"
		exit 0
		;;
	-*) lab_die "unknown option: $arg" ;;
	*)
		[[ -f "$arg" || ! -f "$MUSICREP_ROOT/notebooks/$arg" ]] || arg="$MUSICREP_ROOT/notebooks/$arg"
		[[ -f "$arg" ]] || lab_die "no such notebook: $arg"
		notebooks+=("$(cd "$(dirname "$arg")" && pwd -P)/$(basename "$arg")")
		;;
	esac
done
if [[ -n "${CI:-}" ]]; then
	export MUSICREP_NB_SMALL="${MUSICREP_NB_SMALL:-1}"
	export MUSICREP_LAB_GOPLS="${MUSICREP_LAB_GOPLS:-0}" # no autocompletion needed headless: skip building gopls
fi

"$MUSICREP_ROOT/scripts/setup-lab.sh"
cd "$MUSICREP_ROOT"
if ((${#notebooks[@]} == 0)); then
	mapfile -t notebooks < <(LC_ALL=C ls -1 notebooks/*.ipynb tests/notebooks/*.ipynb 2>/dev/null)
	((${#notebooks[@]} > 0)) || lab_die "no notebooks/*.ipynb"
fi

settings="$(env | grep '^MUSICREP_NB_' | sort | tr '\n' ' ' || true)"
lab_log "settings: ${settings:-(no MUSICREP_NB_* set) }GOMLX_BACKEND=$GOMLX_BACKEND"
exec "$LAB_VENV/bin/python" "$MUSICREP_ROOT/scripts/nbrun.py" \
	--timeout "${MUSICREP_NB_TIMEOUT:-600}" --out-dir "${MUSICREP_NB_OUT:-out/notebooks}" "${record[@]}" "${notebooks[@]}"
