#!/usr/bin/env bash
# `make docker-test`: builds the images and runs musicrep inside them (docker/README.md). Not part of `make test`
# (it takes tens of minutes and several GB); run it after any change to docker/ or to the set-up scripts.
#
#   CPU image (docker/Dockerfile → $MUSICREP_IMAGE):
#     1. build it (scripts/docker-build.sh cpu: base image pulled or debootstrapped, Go from the build context);
#     2. `musicrep reproduce -preset tiny` inside it, as its non-root user, the data mounted read-only at /data;
#     3. one notebook ($MUSICREP_DOCKER_NOTEBOOK, default 01-data-tour.ipynb, which reads /data) executed headless
#        through the image's JupyterLab + GoNB kernel (scripts/run-notebooks.sh, as `make notebooks` does);
#        the executed notebook and its HTML come back to out/docker-test/notebooks/;
#     4. JupyterLab started with the image's CMD arguments until the image's HEALTHCHECK command passes;
#     5. `musicrep library scan` on bundled test recordings (the image's musicnn and MiniLM weights), then
#        `library tags`, `library similar` and `library eval` on the library it wrote, its output checked.
#   CUDA image (docker/Dockerfile.cuda → $MUSICREP_IMAGE_CUDA), no GPU needed (MUSICREP_DOCKER_CUDA=0 skips it):
#     6. build it (the NVIDIA wheels are several GB);
#     7. the CUDA PJRT plugin is installed and found: .pjrt/pjrt_c_api_cuda_plugin.so resolves, ldd finds every
#        library it links with .pjrt/cuda-env.sh sourced (only libcuda.so.1 may be missing: the driver's, mounted by
#        `--gpus all`), and `bin/musicrep-xla train -backend xla:cuda` finds and loads the plugin and fails only
#        when starting it (here: "No visible GPU devices").
# Writes out/docker-test/report.md (date, machine, image sizes, times of every step) and prints it.
#
# Settings: MUSICREP_DATA (default ../shared/data), MUSICREP_DOCKER_NOTEBOOK, MUSICREP_DOCKER_CUDA=0 (skip the CUDA
# image), MUSICREP_DOCKER_CPU=0 (skip the CPU image), MUSICREP_DOCKER_SKIP_BUILD=1 (test the images already built),
# MUSICREP_DOCKER_OUT (default out/docker-test), and those of scripts/docker-env.sh.
set -euo pipefail
# shellcheck source=scripts/docker-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/docker-env.sh"
DOCKER_LOG_PREFIX=docker-test
cd "$MUSICREP_ROOT"

data="${MUSICREP_DATA:-$MUSICREP_ROOT/../shared/data}"
[[ -d "$data/fairouz" ]] || docker_die "no data at $data (set MUSICREP_DATA, or fetch it: bash data/fetch.sh)"
data="$(cd "$data" && pwd -P)"
notebook="${MUSICREP_DOCKER_NOTEBOOK:-01-data-tour.ipynb}"
[[ -f "notebooks/$notebook" ]] || docker_die "no notebook notebooks/$notebook"
out="${MUSICREP_DOCKER_OUT:-out/docker-test}"
rm -rf "$out"
mkdir -p "$out"
report="$out/report.md"
run_start=$SECONDS
rows=()
step() { rows+=("| $1 | $2 | $3 |"); docker_log "$1: $2 ($3)"; }
progress='^\[(docker|[0-9]+/[0-9]+\] STEP)' # the build's lines shown on the terminal (all of it goes to the log)

containers=()
ctr="" cctr="" # the CPU and CUDA images' working containers
cleanup() {
	for c in "${containers[@]}"; do "${BUILDAH[@]}" rm "$c" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT
# in_image VAR IMAGE: a new working container of IMAGE, its name in VAR (removed on exit).
in_image() {
	local c
	c="$("${BUILDAH[@]}" from --pull-never --quiet "$2")"
	containers+=("$c")
	printf -v "$1" '%s' "$c"
}
# run CONTAINER CMD...: runs CMD in CONTAINER as the image's user, with the data read-only at /data.
run() {
	local c="$1"
	shift
	nice -n "${MUSICREP_NICE:-10}" "${BUILDAH[@]}" run --isolation chroot --volume "$data:/data:ro" "$c" -- "$@"
}

# --- CPU image -------------------------------------------------------------------------------------------------
cpu_size="not tested (MUSICREP_DOCKER_CPU=0)"
if [[ "${MUSICREP_DOCKER_CPU:-1}" != 0 ]]; then
if [[ "${MUSICREP_DOCKER_SKIP_BUILD:-0}" != 1 ]]; then
	t=$SECONDS
	scripts/docker-build.sh cpu 2>&1 | tee "$out/build-cpu.log" | grep --line-buffered -E "$progress" >&2 ||
		docker_die "CPU image build failed (log: $out/build-cpu.log)"
	step "build CPU image" "ok" "$((SECONDS - t)) s"
fi
cpu_size="$(image_size "$MUSICREP_IMAGE")"
[[ -n "$cpu_size" ]] || docker_die "no image $MUSICREP_IMAGE"
in_image ctr "$MUSICREP_IMAGE"

t=$SECONDS
who="$(run "$ctr" id -u)"
[[ "$who" != 0 ]] || docker_die "the CPU image runs as root"
run "$ctr" bin/musicrep reproduce -preset tiny 2>&1 | tee "$out/reproduce-tiny.log" >&2 ||
	docker_die "musicrep reproduce -preset tiny failed in the image (log: $out/reproduce-tiny.log)"
step "\`musicrep reproduce -preset tiny\` (user $who, /data read-only)" "ok" "$((SECONDS - t)) s"

t=$SECONDS
run "$ctr" env MUSICREP_NB_SMALL=1 scripts/run-notebooks.sh "$notebook" 2>&1 | tee "$out/notebook.log" >&2 ||
	docker_die "notebook $notebook failed in the image (log: $out/notebook.log)"
run "$ctr" tar -C out -cf - notebooks | tar -C "$out" -xf -
[[ -s "$out/notebooks/$notebook" ]] || docker_die "the executed notebook did not come back"
step "notebook $notebook headless (GoNB kernel, MUSICREP_NB_SMALL=1)" "ok → $out/notebooks/" "$((SECONDS - t)) s"

# JupyterLab with the image's CMD, checked by the image's HEALTHCHECK command. The build shares the host's
# network, so the server listens on a free port of 127.0.0.1 and the check is pointed there.
t=$SECONDS
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
# health_and_cmd: two lines, the HEALTHCHECK command and the CMD, as shell words, with port 8888 → $port.
health_and_cmd="$("${BUILDAH[@]}" inspect --type image "$MUSICREP_IMAGE" | python3 -c '
import json, shlex, sys
config = json.load(sys.stdin)["Docker"]["config"]
test, cmd, port = config["Healthcheck"]["Test"], config["Cmd"], sys.argv[1]
assert test[0] == "CMD", test
def words(args):
    return " ".join(shlex.quote(a.replace("8888", port).replace("0.0.0.0", "127.0.0.1")) for a in args)
print(words(test[1:]))
print(words(cmd))' "$port")" || docker_die "the image has no HEALTHCHECK or CMD"
check="$(sed -n 1p <<<"$health_and_cmd")"
start="$(sed -n 2p <<<"$health_and_cmd")"
run "$ctr" bash -c "$start >/tmp/lab.log 2>&1 & pid=\$!
for i in \$(seq 90); do
	if $check 2>/dev/null; then echo \"healthy after \$((i * 2)) s\"; kill \$pid; wait \$pid 2>/dev/null; exit 0; fi
	kill -0 \$pid 2>/dev/null || break
	sleep 2
done
cat /tmp/lab.log; kill \$pid 2>/dev/null; exit 1" 2>&1 | tee "$out/lab.log" >&2 ||
	docker_die "JupyterLab did not become healthy (log: $out/lab.log)"
step "JupyterLab (image CMD) passes the HEALTHCHECK" "ok, $(tail -1 "$out/lab.log")" "$((SECONDS - t)) s"

# `musicrep library scan` on the image's own copy of bundled test recordings (musicrep/audio/testdata), as the
# image's user, with the musicnn and MiniLM weights `make models` installed in the image: two folders of 250 ms
# WAVs (three encodings of one loyalists clip, one northerners clip; each repeat-padded into one 3 s patch, so the
# Go backend analyses them in seconds) and one unreadable file. Then `library tags`, `library similar` and
# `library eval` on the result. Checked: 4 tracks and 1 unreadable file, all five feature sets written, three tags
# per track, the nearest track to a loyalists encoding by mel statistics is another loyalists encoding, and the
# evaluation by folder covers the 4 tracks with a chance row.
t=$SECONDS
# shellcheck disable=SC2016 # expanded inside the container
run "$ctr" bash -c 'set -euo pipefail
music=/tmp/musicrep-library/music lib=/tmp/musicrep-library/lib td=musicrep/audio/testdata
rm -rf /tmp/musicrep-library
mkdir -p "$music/loyalists" "$music/northerners"
cp "$td"/loyalists_250ms_{s16,s24,f32}.wav "$music/loyalists/"
cp "$td/northerners_250ms_stereo_s24.wav" "$music/northerners/"
printf "not an mp3 file" >"$music/northerners/broken.mp3"
echo "== library scan"
bin/musicrep library scan "$music" -out "$lib" -workers 1
echo "== library tags"
bin/musicrep library tags -library "$lib" -k 3
echo "== library similar"
bin/musicrep library similar -library "$lib" -features mel-stats -k 1 -json loyalists/loyalists_250ms_s16.wav |
	tee /tmp/musicrep-library/similar.json
echo "== library eval"
bin/musicrep library eval -library "$lib" -label folder -json >/tmp/musicrep-library/eval.json
bin/musicrep library eval -library "$lib" -label folder
echo "== checks"
python3 - "$lib" /tmp/musicrep-library <<"PY"
import json, os, sys
lib, tmp = sys.argv[1], sys.argv[2]
tracks = json.load(open(os.path.join(lib, "tracks.json")))
errors = json.load(open(os.path.join(lib, "scan-errors.json")))
assert len(tracks) == 4, f"{len(tracks)} tracks, want 4"
assert [e["path"] for e in errors] == ["northerners/broken.mp3"], errors
sets = sorted(f[:-4] for f in os.listdir(os.path.join(lib, "features")) if f.endswith(".npy"))
want = sorted(["musicnn", "musicnn-mtt", "musicnn-tags", "mel-stats", "text"])
assert sets == want, f"feature sets {sets}, want {want}"
for s, dim in [("musicnn", 200), ("musicnn-mtt", 200), ("musicnn-tags", 100), ("mel-stats", 192), ("text", 384)]:
    vecs = json.load(open(os.path.join(lib, "features", s + ".json")))  # [{"id": ..., "embedding": [...]}]
    assert len(vecs) == 4 and all(len(v["embedding"]) == dim for v in vecs), f"{s}: want 4 vectors of {dim}"
similar = json.load(open(os.path.join(tmp, "similar.json")))
assert len(similar) == 1 and similar[0]["path"].startswith("loyalists/"), similar
ev = json.load(open(os.path.join(tmp, "eval.json")))
assert ev["n"] == 4 and "chance" in ev["metrics"] and "musicnn" in ev["metrics"], ev
nearest, names = similar[0]["path"], ", ".join(sets)
print(f"ok: {len(tracks)} tracks, {len(errors)} unreadable, feature sets {names}; "
      f"nearest to loyalists_250ms_s16 by mel-stats: {nearest}")
PY' 2>&1 | tee "$out/library.log" >&2 || docker_die "musicrep library failed in the image (log: $out/library.log)"
step "\`musicrep library scan\` + tags, similar, eval (bundled WAVs, musicnn + MiniLM weights in the image)" \
	"$(tail -1 "$out/library.log")" "$((SECONDS - t)) s"
fi # MUSICREP_DOCKER_CPU

# --- CUDA image ------------------------------------------------------------------------------------------------
cuda_size="not built (MUSICREP_DOCKER_CUDA=0)"
if [[ "${MUSICREP_DOCKER_CUDA:-1}" != 0 ]]; then
	if [[ "${MUSICREP_DOCKER_SKIP_BUILD:-0}" != 1 ]]; then
		t=$SECONDS
		scripts/docker-build.sh cuda 2>&1 | tee "$out/build-cuda.log" | grep --line-buffered -E "$progress" >&2 ||
			docker_die "CUDA image build failed (log: $out/build-cuda.log)"
		step "build CUDA image" "ok" "$((SECONDS - t)) s"
	fi
	cuda_size="$(image_size "$MUSICREP_IMAGE_CUDA")"
	[[ -n "$cuda_size" ]] || docker_die "no image $MUSICREP_IMAGE_CUDA"
	t=$SECONDS
	in_image cctr "$MUSICREP_IMAGE_CUDA"
	# shellcheck disable=SC2016 # expanded inside the container
	run "$cctr" bash -c 'set -euo pipefail
source .pjrt/cuda-env.sh
so="$(readlink -f .pjrt/pjrt_c_api_cuda_plugin.so)"
[[ -f "$so" ]] || { echo "no CUDA plugin at .pjrt/pjrt_c_api_cuda_plugin.so"; exit 1; }
echo "plugin: $so"
missing="$(ldd "$so" | awk "/not found/ {print \$1}" | sort -u | tr "\n" " ")"
echo "libraries not found: ${missing:-none}"
[[ -z "$missing" || "$missing" == "libcuda.so.1 " ]] || exit 1
set +e
msg="$(timeout 300 bin/musicrep-xla train -name cuda-probe -preset tiny -backend xla:cuda 2>&1)"
set -e
printf "%s\n" "$msg" | grep -i "backend" | head -3 || true
if grep -q "PJRT plugin .* not found" <<<"$msg"; then echo "the plugin was not found"; exit 1; fi
grep -q "failed to start" <<<"$msg" || { echo "expected a start failure without a GPU"; exit 1; }' 2>&1 |
		tee "$out/cuda-plugin.log" >&2 || docker_die "CUDA plugin check failed (log: $out/cuda-plugin.log)"
	step "CUDA PJRT plugin installed and found (no GPU here: it loads, then reports no visible GPU devices)" "ok" \
		"$((SECONDS - t)) s"
fi

{
	echo "# make docker-test, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "Machine: $(nproc) cores, buildah $(buildah --version | awk '{print $3}'), vfs storage, chroot isolation;" \
		"base $(dockerfile_arg docker/Dockerfile BASE_IMAGE)."
	echo
	echo "| image | size (uncompressed) |"
	echo "|---|---|"
	echo "| $MUSICREP_IMAGE | $cpu_size |"
	echo "| $MUSICREP_IMAGE_CUDA | $cuda_size |"
	echo
	echo "| step | result | time |"
	echo "|---|---|---|"
	printf '%s\n' "${rows[@]}"
	echo
	echo "Total: $((SECONDS - run_start)) s."
} >"$report"
cat "$report"
