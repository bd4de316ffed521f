# shellcheck shell=bash disable=SC2034 # variables used by the scripts that source this file
# Shared settings of the image scripts (sourced by scripts/docker-base.sh, docker-build.sh, docker-test.sh).
# Images are built with buildah, which needs no Docker engine (the project's machines have none): vfs storage and
# chroot isolation work inside an unprivileged container or VM, as root. A machine with a Docker engine can build
# the same Dockerfiles with `docker build` (docker/README.md).
#
# Settings (environment):
#   MUSICREP_BUILDAH_ROOT   buildah's image storage (default: buildah's own, /var/lib/containers/storage for root)
#   MUSICREP_IMAGE          CPU image name (default localhost/musicrep:cpu)
#   MUSICREP_IMAGE_CUDA     CUDA image name (default localhost/musicrep:cuda)

MUSICREP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
MUSICREP_IMAGE="${MUSICREP_IMAGE:-localhost/musicrep:cpu}"
MUSICREP_IMAGE_CUDA="${MUSICREP_IMAGE_CUDA:-localhost/musicrep:cuda}"

DOCKER_LOG_PREFIX=docker
docker_log() { printf '[%s %s] %s\n' "${DOCKER_LOG_PREFIX:-docker}" "$(date -u +%H:%M:%S)" "$*" >&2; }
docker_die() { printf '[%s] ERROR: %s\n' "${DOCKER_LOG_PREFIX:-docker}" "$*" >&2; exit 1; }

# buildah, installed from Debian's archive when missing (needs root: vfs storage and chroot isolation as root).
if ! command -v buildah >/dev/null 2>&1; then
	[[ $EUID -eq 0 ]] || docker_die "buildah is missing: sudo apt-get install buildah (or build with docker, docker/README.md)"
	docker_log "installing buildah with apt-get"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends buildah >/tmp/musicrep-apt.log 2>&1 ||
		{ DEBIAN_FRONTEND=noninteractive apt-get update -q >>/tmp/musicrep-apt.log 2>&1 &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends buildah >>/tmp/musicrep-apt.log 2>&1; } ||
		docker_die "could not install buildah (log: /tmp/musicrep-apt.log)"
fi
BUILDAH=(buildah --storage-driver vfs)
if [[ -n "${MUSICREP_BUILDAH_ROOT:-}" ]]; then
	mkdir -p "$MUSICREP_BUILDAH_ROOT"
	BUILDAH+=(--root "$MUSICREP_BUILDAH_ROOT/storage" --runroot "$MUSICREP_BUILDAH_ROOT/run")
fi

# dockerfile_arg FILE NAME: the default value of `ARG NAME=value` in a Dockerfile.
dockerfile_arg() { sed -n "s/^ARG $2=//p" "$1" | head -1; }

# image_size IMAGE: the image's size as buildah reports it (uncompressed, all layers).
image_size() { "${BUILDAH[@]}" images --format '{{.Size}}' "$1" 2>/dev/null | head -1; }
