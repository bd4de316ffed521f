#!/usr/bin/env bash
# Writes musicrep/musicnn/testdata/golden from musicnn's own code on TensorFlow CPU (see musicnn_golden.py).
# The golden virtualenv (.venv-golden, ignored by git) holds: tensorflow-cpu 2.21.0 + tf-keras 2.21.0 (TF >= 2.16
# runs tf.compat.v1.layers only through tf_keras with TF_USE_LEGACY_KERAS=1), librosa 0.11.0, and musicnn 0.1.0
# installed with --no-deps (its metadata pins numpy < 1.17), hash-checked (models/requirements-musicnn.txt).
# Usage: scripts/golden/musicnn-golden.sh [--out DIR] [--patches N] FILE...
#   default: the three wesnoth-1.16-music recordings of the committed golden files.
#        scripts/golden/musicnn-golden.sh --setup-only   only build the virtualenv (bench/scan.sh uses it)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
venv="$root/.venv-golden"
py="${MUSICREP_GOLDEN_PYTHON:-python3.11}"
if [[ ! -x "$venv/bin/python" ]]; then
	"$py" -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import musicnn, tensorflow, tf_keras, librosa' 2>/dev/null; then
	"$venv/bin/pip" install -q tensorflow-cpu==2.21.0 tf-keras==2.21.0 librosa==0.11.0
	"$venv/bin/pip" install -q --no-deps --require-hashes -r "$root/models/requirements-musicnn.txt"
fi
[[ "${1:-}" == --setup-only ]] && exit 0
export TF_USE_LEGACY_KERAS=1 TF_CPP_MIN_LOG_LEVEL=2 CUDA_VISIBLE_DEVICES=
export MUSICNN_GOLDEN_COMMAND="scripts/golden/musicnn-golden.sh${*:+ $*}"
args=("$@")
if [[ ${#args[@]} -eq 0 ]]; then
	music=/usr/share/games/wesnoth/1.16/data/core/music
	args=(--out "$root/musicrep/musicnn/testdata/golden" "$music/battle-epic.ogg" "$music/love_theme.ogg"
		"$music/underground.ogg")
fi
exec "$venv/bin/python" "$root/scripts/golden/musicnn_golden.py" "${args[@]}"
