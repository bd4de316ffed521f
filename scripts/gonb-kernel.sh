#!/bin/sh
# Starts the GoNB kernel (the kernel spec of scripts/setup-lab.sh runs this with the connection file). With
# MUSICREP_GONB_LOG set (scripts/lab.sh sets it to out/lab/gonb.log), GoNB's own log lines go to that file
# instead of the terminal that runs JupyterLab; without it (headless runs) they go to stderr, which
# scripts/nbrun.py keeps in out/notebooks/NAME.kernel.log.
dir=$(cd "$(dirname "$0")/.." && pwd -P)
if [ -n "${MUSICREP_GONB_LOG:-}" ]; then
	mkdir -p "$(dirname "$MUSICREP_GONB_LOG")"
	exec "$dir/.cache/bin/gonb" --kernel "$1" --extra_log="$MUSICREP_GONB_LOG" 2>>"$MUSICREP_GONB_LOG"
fi
exec "$dir/.cache/bin/gonb" --kernel "$1"
