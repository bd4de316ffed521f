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
lab_log "starting JupyterLab on notebooks/ (Ctrl-C to stop); open the URL printed below"
root_flag=()
[[ $EUID -ne 0 ]] || root_flag=(--allow-root)
exec "$LAB_VENV/bin/jupyter" lab "${root_flag[@]}" --no-browser --ServerApp.ip="${MUSICREP_LAB_IP:-127.0.0.1}" \
	--ServerApp.root_dir="$MUSICREP_ROOT/notebooks" --MultiKernelManager.default_kernel_name=gonb \
	--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate "$@"
