#!/usr/bin/env bash
# Installs the Debian packages the Melon-layout generator (tools/melongen, `musicrep melon-generate`)
# renders with (idempotent; ~0.1 s when everything is there):
#   mma                  Musical MIDI Accompaniment: the style (groove) library, renders chord charts to MIDI
#   fluidsynth           renders MIDI to audio
#   fluid-soundfont-gm   the FluidR3 General MIDI soundfont (/usr/share/sounds/sf2/FluidR3_GM.sf2, MIT)
#   timgm6mb-soundfont   the TimGM6mb General MIDI soundfont (/usr/share/sounds/sf2/TimGM6mb.sf2, GPL-2): other
#                        instrument samples, for the test songs (melon-generate -test-soundfont)
#   wesnoth-1.16-music   with --real: 41 real OGG tracks (GPL-2+) that `-real wesnoth` adds as songs
#   warzone2100-music    with --warzone (development only, not CI: 83 MB, 240 min): 29 Opus tracks in 3 album
#                        folders (GPL-2+), the second library of evaluation/RESULTS.md ("Your own library")
# Usage: scripts/setup-audio.sh [--real] [--warzone]
# Needs root or passwordless sudo, and apt-get (Debian/Ubuntu). CI installs Debian packages the same way.
set -euo pipefail
log() { printf '[setup-audio] %s\n' "$*" >&2; }
die() { printf '[setup-audio] ERROR: %s\n' "$*" >&2; exit 1; }

pkgs=(mma fluidsynth fluid-soundfont-gm timgm6mb-soundfont)
for arg in "$@"; do
	case "$arg" in
	--real) pkgs+=(wesnoth-1.16-music) ;;
	--warzone) pkgs+=(warzone2100-music) ;;
	-h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument: $arg (use --real to also install wesnoth-1.16-music, --warzone for warzone2100-music)" ;;
	esac
done

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'; }
missing=()
for p in "${pkgs[@]}"; do
	installed "$p" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
	log "up to date: ${pkgs[*]}"
	exit 0
fi

command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install ${missing[*]} with your system's package \
manager (the generator needs the mma and fluidsynth commands and the FluidR3_GM.sf2 soundfont)"
apt=(env DEBIAN_FRONTEND=noninteractive apt-get -y -q)
if [[ $EUID -ne 0 ]]; then
	sudo -n true 2>/dev/null || die "not root and no passwordless sudo: run
    sudo apt-get install -y ${missing[*]}"
	apt=(sudo -n "${apt[@]}")
fi
logfile="$(mktemp /tmp/musicrep-setup-audio.XXXXXX.log)"
log "installing ${missing[*]} with apt-get (log: $logfile)"
if ! "${apt[@]}" install --no-install-recommends "${missing[@]}" >"$logfile" 2>&1; then
	log "apt-get install failed; running apt-get update and retrying"
	"${apt[@]}" update >>"$logfile" 2>&1 || true
	"${apt[@]}" install --no-install-recommends "${missing[@]}" >>"$logfile" 2>&1 ||
		{ tail -20 "$logfile" >&2; die "could not install ${missing[*]} (log: $logfile)"; }
fi
for p in "${missing[@]}"; do
	installed "$p" || die "$p is still not installed (log: $logfile)"
done
for c in mma fluidsynth; do
	command -v "$c" >/dev/null || die "$c not on PATH after installing it"
done
for sf in FluidR3_GM.sf2 TimGM6mb.sf2; do
	[[ -f /usr/share/sounds/sf2/$sf ]] || die "/usr/share/sounds/sf2/$sf missing after install"
done
log "installed ${missing[*]}"
