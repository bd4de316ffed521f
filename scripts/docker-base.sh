#!/usr/bin/env bash
# Makes sure buildah has the base image the Dockerfiles start FROM (their BASE_IMAGE build argument, a Debian 12
# point release such as docker.io/library/debian:12.15-slim), in this order:
#   1. it is already in buildah's storage: nothing to do;
#   2. a registry answers: `buildah pull` it (skipped with MUSICREP_BASE=debootstrap);
#   3. otherwise a local stand-in: `debootstrap --variant=minbase bookworm` (about a minute, ~90 MB), trimmed like
#      the official slim image (no apt lists, no man pages or docs, the same apt sources: bookworm,
#      bookworm-updates, bookworm-security), imported with `FROM scratch` + `ADD rootfs.tar /` and tagged with the
#      requested name and docker.io/library/debian:12-slim, so `buildah bud --pull=never` uses it.
# The stand-in is the same Debian release from the same archive, not the registry's bytes: its
# /etc/debian_version is checked against the requested tag and a mismatch is reported (the build goes on).
#
# Usage: scripts/docker-base.sh [IMAGE]      (default: BASE_IMAGE of docker/Dockerfile)
set -euo pipefail
# shellcheck source=scripts/docker-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/docker-env.sh"
DOCKER_LOG_PREFIX=docker-base

image="${1:-$(dockerfile_arg "$MUSICREP_ROOT/docker/Dockerfile" BASE_IMAGE)}"
[[ -n "$image" ]] || docker_die "no image given and no ARG BASE_IMAGE=... in docker/Dockerfile"
[[ "$image" == */* ]] || image="docker.io/library/$image"

if "${BUILDAH[@]}" inspect --type image "$image" >/dev/null 2>&1; then
	docker_log "$image: present"
	exit 0
fi
if [[ "${MUSICREP_BASE:-}" != debootstrap ]]; then
	docker_log "$image: trying the registry (60 s at most)"
	if timeout 60 "${BUILDAH[@]}" pull --quiet "$image" >/dev/null 2>&1; then
		docker_log "$image: pulled"
		exit 0
	fi
	docker_log "$image: no registry answered; building a local stand-in with debootstrap"
fi

[[ $EUID -eq 0 ]] || docker_die "debootstrap needs root"
if ! command -v debootstrap >/dev/null 2>&1; then
	docker_log "installing debootstrap with apt-get"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >/tmp/musicrep-apt.log 2>&1 ||
		docker_die "could not install debootstrap (log: /tmp/musicrep-apt.log)"
fi
mirror="${MUSICREP_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
work="$(mktemp -d /var/tmp/musicrep-base.XXXXXX)"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
docker_log "debootstrap --variant=minbase bookworm from $mirror"
debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
	{ tail -20 "$work/debootstrap.log" >&2; docker_die "debootstrap failed"; }

# Trim and configure like the official debian:*-slim image.
rm -f "$rootfs/etc/apt/sources.list"
cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
# As debian:*-slim: no documentation, man pages or translations from later installs.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/*
EOF
cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
printf '%s\n' 'APT::Install-Recommends "false";' >"$rootfs/etc/apt/apt.conf.d/docker-no-recommends"
rm -rf "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/* "$rootfs"/tmp/* \
	"$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/*
find "$rootfs/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete 2>/dev/null || true
find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
: >"$rootfs/etc/machine-id"
printf 'debian\n' >"$rootfs/etc/hostname"

version="$(cat "$rootfs/etc/debian_version")"
tar --numeric-owner -C "$rootfs" -cf "$work/rootfs.tar" .
printf 'FROM scratch\nADD rootfs.tar /\nCMD ["bash"]\n' >"$work/Containerfile"
tags=("$image")
[[ "$image" == docker.io/library/debian:12-slim ]] || tags+=(docker.io/library/debian:12-slim)
tag_args=()
for t in "${tags[@]}"; do tag_args+=(-t "$t"); done
"${BUILDAH[@]}" bud --quiet --pull=never --isolation chroot --format docker "${tag_args[@]}" \
	-f "$work/Containerfile" "$work" >/dev/null
want="${image##*:}"
want="${want%%-*}"
if [[ "$want" =~ ^12\.[0-9]+$ && "$want" != "$version" ]]; then
	docker_log "NOTE: $image asks for Debian $want, the archive's bookworm is now $version (the stand-in is $version)"
fi
docker_log "stand-in ready: Debian $version, $(image_size "$image"), tagged ${tags[*]}"
