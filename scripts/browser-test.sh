#!/usr/bin/env bash
# Browser test: runs notebooks through the JupyterLab UI in Debian's chromium (tests/browser/run-notebook.mjs)
# and checks that every code cell shows the outputs recorded in its metadata, no cell shows an error, SELECTOR
# shows up in the outputs, and the page loads nothing from beyond localhost. Installs what it needs first
# (scripts/setup-lab.sh --browser: npm ci, apt-get chromium).
#
# Usage: scripts/browser-test.sh [NOTEBOOK] [SELECTOR]
#   NOTEBOOK  default all (every notebooks/*.ipynb, in one JupyterLab); SELECTOR default table.musicrep-table
#             (required in a single notebook; with all, checked where present)
# Outputs in out/browser/: <notebook>.png screenshot, <notebook>/cell-NN.png per code cell, *-requests.txt,
# jupyter.log.
set -euo pipefail
# shellcheck source=scripts/lab-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab-env.sh"
LAB_LOG_PREFIX=browser-test
case "${1:-}" in -h | --help) sed -n '2,11p' "$0"; exit 0 ;; esac

if [[ -n "${CI:-}" ]]; then
	export MUSICREP_NB_SMALL="${MUSICREP_NB_SMALL:-1}"
	export MUSICREP_LAB_GOPLS="${MUSICREP_LAB_GOPLS:-0}" # no autocompletion needed headless: skip building gopls
fi
"$MUSICREP_ROOT/scripts/setup-lab.sh" --browser
notebook="${1:-all}"
shift || true
exec node "$MUSICREP_ROOT/tests/browser/run-notebook.mjs" "$notebook" "$@"
