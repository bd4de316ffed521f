#!/usr/bin/env bash
# Sets up (scripts/setup-lab.sh) and starts JupyterLab on notebooks/ with the GoNB kernel. No browser is opened:
# open the printed http://127.0.0.1:PORT/lab?token=... URL. Extra arguments go to `jupyter lab`
# (e.g. --port 9999, --ip 0.0.0.0 to serve beyond this machine).
set -euo pipefail
# shellcheck source=scripts/lab-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab-env.sh"
LAB_LOG_PREFIX=lab

"$MUSICREP_ROOT/scripts/setup-lab.sh"
cd "$MUSICREP_ROOT/notebooks"
# Quiet by default: GoNB's log lines (one per cell, and its messages at kernel shutdown) go to out/lab/gonb.log,
# and JupyterLab's "news" pop-up and update checks are off (settings in out/lab/settings, overrides.json).
# MUSICREP_LAB_VERBOSE=1 keeps GoNB's log in this terminal.
if [[ "${MUSICREP_LAB_VERBOSE:-0}" == 0 ]]; then
	export MUSICREP_GONB_LOG="$MUSICREP_ROOT/out/lab/gonb.log"
fi
lab_settings="$MUSICREP_ROOT/out/lab/app-settings"
mkdir -p "$lab_settings"
cat >"$lab_settings/overrides.json" <<'JSON'
{
  "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": false}
}
JSON
export JUPYTERLAB_SETTINGS_DIR="${JUPYTERLAB_SETTINGS_DIR:-$MUSICREP_ROOT/out/lab/user-settings}"
export JUPYTERLAB_WORKSPACES_DIR="${JUPYTERLAB_WORKSPACES_DIR:-$MUSICREP_ROOT/out/lab/workspaces}"
lab_log "starting JupyterLab on notebooks/ (Ctrl-C to stop); open the URL printed below"
[[ -z "${MUSICREP_GONB_LOG:-}" ]] || lab_log "GoNB's log: ${MUSICREP_GONB_LOG#"$MUSICREP_ROOT"/}"
root_flag=()
[[ $EUID -ne 0 ]] || root_flag=(--allow-root)
exec "$LAB_VENV/bin/jupyter" lab "${root_flag[@]}" --no-browser --ServerApp.ip="${MUSICREP_LAB_IP:-127.0.0.1}" \
	--ServerApp.root_dir="$MUSICREP_ROOT/notebooks" --MultiKernelManager.default_kernel_name=gonb \
	--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate --LabApp.news_url=None \
	--LabServerApp.app_settings_dir="$lab_settings" "$@"
