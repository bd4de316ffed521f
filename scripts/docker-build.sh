#!/usr/bin/env bash
# Builds an image with buildah (no Docker engine needed; docker/README.md):
#   scripts/docker-build.sh cpu  [--target STAGE]   docker/Dockerfile      → $MUSICREP_IMAGE (localhost/musicrep:cpu)
#   scripts/docker-build.sh cuda [--target STAGE]   docker/Dockerfile.cuda → $MUSICREP_IMAGE_CUDA (localhost/musicrep:cuda)
# Before building: the base image (scripts/docker-base.sh: pulled, or a debootstrap stand-in when no registry
# answers) and, with MUSICREP_GO_SOURCE=context (the default here), the builder's own Go toolchain
# (`go env GOROOT`) copied to .cache/docker/go in the build context, so the build needs no access to go.dev.
# MUSICREP_GO_SOURCE=download uses the Dockerfile's go.dev download instead (GO_VERSION, GO_SHA256).
# Other settings: MUSICREP_LAB_GOPLS=0 (skip gopls), MUSICREP_BUILD_CA_CERTS (below), MUSICREP_BUILD_ARGS (extra
# `buildah bud` arguments).
# Each build prints its wall time and the image's size.
set -euo pipefail
# shellcheck source=scripts/docker-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/docker-env.sh"
DOCKER_LOG_PREFIX=docker-build

which="${1:-cpu}"
shift || true
case "$which" in
cpu) dockerfile=docker/Dockerfile image="$MUSICREP_IMAGE" ;;
cuda) dockerfile=docker/Dockerfile.cuda image="$MUSICREP_IMAGE_CUDA" ;;
*) docker_die "unknown image: $which (use cpu or cuda)" ;;
esac
target_args=()
if [[ "${1:-}" == --target ]]; then
	[[ -n "${2:-}" ]] || docker_die "--target needs a stage name"
	target_args=(--target "$2")
	shift 2
fi
(($# == 0)) || docker_die "unexpected arguments: $*"
cd "$MUSICREP_ROOT"

base="$(dockerfile_arg "$dockerfile" BASE_IMAGE)"
"$MUSICREP_ROOT/scripts/docker-base.sh" "$base"

go_source="${MUSICREP_GO_SOURCE:-context}"
build_args=(--build-arg "GO_SOURCE=$go_source" --build-arg "LAB_GOPLS=${MUSICREP_LAB_GOPLS:-1}")
case "$go_source" in
context)
	command -v go >/dev/null || docker_die "go not found (MUSICREP_GO_SOURCE=download takes Go from go.dev instead)"
	goroot="$(go env GOROOT)"
	goversion="$(go env GOVERSION)"
	staged=.cache/docker/go
	if [[ "$(head -1 "$staged/VERSION" 2>/dev/null)" != "$(head -1 "$goroot/VERSION")" ]]; then
		docker_log "copying the builder's Go toolchain ($goversion, $goroot) into the build context ($staged)"
		rm -rf "$staged"
		mkdir -p "$(dirname "$staged")"
		cp -al "$goroot" "$staged" 2>/dev/null || { rm -rf "$staged" && cp -a "$goroot" "$staged"; }
	fi
	build_args+=(--build-arg "GO_VERSION=${goversion#go}")
	;;
download) ;;
*) docker_die "MUSICREP_GO_SOURCE=$go_source: use context or download" ;;
esac

# CA certificates this machine trusts beyond Debian's set (a TLS-inspecting proxy's): the build's downloads (Go
# modules, PyPI, npm) need them. Only the build stages trust them (EXTRA_CA_CERTS in the Dockerfiles).
# MUSICREP_BUILD_CA_CERTS=FILE passes a PEM file of one's own; MUSICREP_BUILD_CA_CERTS=none nothing.
extra_ca="$(python3 - "${MUSICREP_BUILD_CA_CERTS:-}" <<'PY'
import glob, os, re, sys
pem = re.compile(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", re.S)
given = sys.argv[1]
if given == "none":
    sys.exit(0)
if given:
    print("\n".join(pem.findall(open(given).read())))
    sys.exit(0)
bundle = os.environ.get("SSL_CERT_FILE") or "/etc/ssl/certs/ca-certificates.crt"
debian = glob.glob("/usr/share/ca-certificates/**/*.crt", recursive=True)
if not os.path.isfile(bundle) or not debian:
    sys.exit(0)
known = {"".join(b.split()) for f in debian for b in pem.findall(open(f).read())}
print("\n".join(b for b in pem.findall(open(bundle).read()) if "".join(b.split()) not in known))
PY
)"
if [[ -n "$extra_ca" ]]; then
	docker_log "the build stages trust $(grep -c 'BEGIN CERTIFICATE' <<<"$extra_ca") CA certificate(s) of this machine beyond Debian's"
	build_args+=(--build-arg "EXTRA_CA_CERTS=$extra_ca")
fi

# shellcheck disable=SC2206 # MUSICREP_BUILD_ARGS is a list of words on purpose
extra=(${MUSICREP_BUILD_ARGS:-})
docker_log "building $image from $dockerfile${target_args[*]:+ (${target_args[*]})}, Go from $go_source"
start=$SECONDS
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! nice -n "${MUSICREP_NICE:-10}" "${BUILDAH[@]}" bud --pull=never --isolation chroot --format docker \
	--layers=false --force-rm "${build_args[@]}" "${target_args[@]}" "${extra[@]}" -f "$dockerfile" -t "$image" . \
	2>&1 | tee "$log"; then
	# buildah 1.28 tags the image, then fails removing the intermediate image of the `FROM go-${GO_SOURCE} AS go`
	# stage a second time (that stage only renames another, so both have the same image ID). Seen on every build
	# here; the image is complete. Any other failure stops.
	if grep -q "^Successfully tagged $image\$" "$log" &&
		[[ "$(grep '^Error: ' "$log" | tail -1)" == "Error: identifier is not an image" ]]; then
		docker_log "buildah failed removing an intermediate image after tagging $image (buildah 1.28; harmless)"
	else
		docker_die "building $image failed"
	fi
fi
docker_log "built $image in $((SECONDS - start)) s: $(image_size "$image")"
