#!/usr/bin/env bash
# fetch.sh — download the real data musicrep uses, from the public upstream repositories at pinned commits,
# and check every byte against data/SHA256SUMS.
#
#   bash data/fetch.sh [DIR]              download into DIR (else $MUSICREP_DATA, else data/downloaded)
#   bash data/fetch.sh --dry-run [DIR]    print what would be downloaded, and from where; touch nothing
#   bash data/fetch.sh --verify DIR       only check an existing directory against the manifest (offline)
#   bash data/fetch.sh --mirror URL [DIR] download from a copy laid out like DIR (e.g. file:///srv/musicrep-data)
#
# The layout written is exactly the one of ../shared/data (see data/README.md):
#   fairouz/...            from github.com/a-tabaza/binding_music
#   melon_genre_w2v/...    from github.com/andrebola/contrastive-mir-learning
#
# Each file has one or more source URLs, all at fixed commits. They are tried in order; a download counts only
# if its SHA-256 equals the manifest's, so every source yields the same bytes or is rejected. Files already
# present with the right checksum are not downloaded again. Downloads go to a temporary file next to the
# target and are renamed into place only after the checksum matched.
#
# Exit status: 0 when every file is present and verified; 1 when a file could not be fetched or verified;
# 2 on a usage error.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MANIFEST="${SCRIPT_DIR}/SHA256SUMS"
DEFAULT_DIR="${SCRIPT_DIR}/downloaded"

# --- pinned upstream commits ---------------------------------------------------------------------------------
# binding_music. Its HEAD is 42da054 (2024-06-25); the full id of that commit is not known offline, so the
# primary pin is the commit at which the code index stores the repository's current (top-level) layout, and
# the abbreviated HEAD id is a second source. Some files are also pinned at the older commits/paths where the
# index stores byte-identical copies (same size and content as the manifest's file).
BM_REPO="a-tabaza/binding_music"
BM_COMMIT="717337940153ceb15d0a623571f6b8f09fa44c4d"     # top-level layout: data/, embeddings/, checkpoints/
BM_HEAD_SHORT="42da054"                                 # upstream HEAD, abbreviated
BM_6K_COMMIT="8aae81f69c8cf747ebfcd2b9a8fd74ec5e6de86b"  # fairouz/positives_negatives.json (the 6k pair file)
BM_KC_COMMIT="cde2742cfea6059d39555990e2b2aab3d62ba983"  # fairouz/embeddings/graph/karate_club/{DeepWalk,Node2Vec}_embedding.json
# contrastive-mir-learning. Its HEAD 2c317fa is known in full; 8ed8f97 is the commit at which the code index
# stores the two files (they are unchanged at HEAD).
CM_REPO="andrebola/contrastive-mir-learning"
CM_COMMIT="2c317fa723ef598a46dedc4c181377fc67474edc"     # HEAD
CM_DATA_COMMIT="8ed8f9740b30cba83b83be233df0a44046ee5aec" # embedding_matrix_128.npy, tags/w2v_all_gnr_map.json

# url REPO REF PATH: the raw-file URL of PATH in REPO at REF. Full commit ids use raw.githubusercontent.com;
# an abbreviated id goes through github.com/.../raw/, which resolves it and redirects to the raw file.
url() {
	local repo="$1" ref="$2" path="$3"
	if [[ "$ref" =~ ^[0-9a-f]{40}$ ]]; then
		printf 'https://raw.githubusercontent.com/%s/%s/%s\n' "$repo" "$ref" "$path"
	else
		printf 'https://github.com/%s/raw/%s/%s\n' "$repo" "$ref" "$path"
	fi
}

# bm PATH: binding_music's current-layout PATH at the primary pin, then at the abbreviated HEAD.
bm() {
	url "$BM_REPO" "$BM_COMMIT" "$1"
	url "$BM_REPO" "$BM_HEAD_SHORT" "$1"
}

# sources REL: the candidate URLs of manifest entry REL, best first, one a line.
sources() {
	local kc="embeddings/graph/karate_club"
	case "$1" in
	fairouz/tracks_contextualized.json) bm data/tracks_contextualized.json ;;
	fairouz/positives_negatives.json)
		url "$BM_REPO" "$BM_6K_COMMIT" fairouz/positives_negatives.json
		bm data/positives_negatives.json
		;;
	fairouz/positives_negatives_more_negatives.json) bm data/positives_negatives_more_negatives.json ;;
	fairouz/embeddings/audio/vggish.json) bm embeddings/audio/song_audio_vggish_embeddings.json ;;
	fairouz/embeddings/graph/randne.json) bm "$kc/song_nodes_RandNE_embedding.json" ;;
	fairouz/embeddings/graph/deepwalk.json)
		url "$BM_REPO" "$BM_KC_COMMIT" "fairouz/$kc/DeepWalk_embedding.json"
		bm "$kc/song_nodes_DeepWalk_embedding.json"
		;;
	fairouz/embeddings/graph/node2vec.json)
		url "$BM_REPO" "$BM_KC_COMMIT" "fairouz/$kc/Node2Vec_embedding.json"
		bm "$kc/song_nodes_Node2Vec_embedding.json"
		;;
	fairouz/embeddings/graph/role2vec.json) bm "$kc/song_nodes_Role2Vec_embedding.json" ;;
	fairouz/embeddings/graph/graphwave.json) bm "$kc/song_nodes_Graphwave_embedding.json" ;;
	fairouz/reference/published_joint_c2e4_51k.json)
		bm embeddings/combined/embeddings_contraction_2_expansion4_51k_datapoints_200_epoch.json
		;;
	melon_genre_w2v/embedding_matrix_128.npy)
		url "$CM_REPO" "$CM_COMMIT" embedding_matrix_128.npy
		url "$CM_REPO" "$CM_DATA_COMMIT" embedding_matrix_128.npy
		;;
	melon_genre_w2v/w2v_all_gnr_map.json)
		url "$CM_REPO" "$CM_COMMIT" tags/w2v_all_gnr_map.json
		url "$CM_REPO" "$CM_DATA_COMMIT" tags/w2v_all_gnr_map.json
		;;
	*) return 1 ;;
	esac
}

# --- helpers -------------------------------------------------------------------------------------------------
say() { printf '%s\n' "$*" >&2; }
die() {
	say "fetch.sh: $*"
	exit 1
}

usage() {
	sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

sha256_of() {
	if command -v sha256sum >/dev/null 2>&1; then
		sha256sum "$1" | awk '{print $1}'
	elif command -v shasum >/dev/null 2>&1; then
		shasum -a 256 "$1" | awk '{print $1}'
	elif command -v openssl >/dev/null 2>&1; then
		openssl dgst -sha256 -r "$1" | awk '{print $1}'
	else
		die "no SHA-256 tool found: install coreutils (sha256sum), perl (shasum) or openssl"
	fi
}

# download URL OUT: fetch URL into OUT with retries. Returns 0 on success, NET_DOWN when the host could not
# be resolved or reached at all (no point trying further URLs), another non-zero status otherwise.
NET_DOWN=75
download() {
	local src="$1" out="$2" rc=0
	if command -v curl >/dev/null 2>&1; then
		curl --fail --silent --show-error --location \
			--retry 5 --retry-delay 3 --retry-connrefused \
			--connect-timeout 30 --max-time 900 --retry-max-time 120 \
			--output "$out" "$src" || rc=$?
		case "$rc" in 5 | 6 | 7) rc=$NET_DOWN ;; esac # proxy/host not resolved, no connection
	elif [[ "$src" == file://* ]]; then
		cp -- "${src#file://}" "$out" || rc=$?
	elif command -v wget >/dev/null 2>&1; then
		wget --quiet --tries=5 --waitretry=3 --timeout=60 --output-document="$out" "$src" || rc=$?
		[[ "$rc" != 4 ]] || rc=$NET_DOWN # network failure
	else
		die "neither curl nor wget is installed; install one of them"
	fi
	return "$rc"
}

# manifest_entries: "HASH REL" lines of the manifest, checked for shape and for safe relative paths.
manifest_entries() {
	[[ -r "$MANIFEST" ]] || die "manifest not found: $MANIFEST"
	local hash rel
	while read -r hash rel || [[ -n "$hash" ]]; do
		[[ -z "$hash" || "$hash" == \#* ]] && continue
		rel="${rel#\*}"
		[[ "$hash" =~ ^[0-9a-f]{64}$ ]] || die "bad line in $MANIFEST: '$hash $rel'"
		case "$rel" in
		"" | /* | ../* | */../* | *"/.." | ..) die "unsafe path in $MANIFEST: '$rel'" ;;
		esac
		printf '%s %s\n' "$hash" "$rel"
	done <"$MANIFEST"
}

# --- modes ---------------------------------------------------------------------------------------------------
verify_dir() {
	local dir="$1" hash rel got n=0 bad=0
	[[ -d "$dir" ]] || die "not a directory: $dir"
	while read -r hash rel; do
		n=$((n + 1))
		if [[ ! -f "$dir/$rel" ]]; then
			say "MISSING   $rel"
			bad=$((bad + 1))
			continue
		fi
		got="$(sha256_of "$dir/$rel")"
		if [[ "$got" != "$hash" ]]; then
			say "MISMATCH  $rel: sha256 $got, expected $hash"
			bad=$((bad + 1))
		else
			[[ "$QUIET" == 1 ]] || say "ok        $rel"
		fi
	done <<<"$ENTRIES"
	if ((bad > 0)); then
		say "fetch.sh: $bad of $n files in $dir are missing or differ from $MANIFEST"
		say "          re-run: bash data/fetch.sh '$dir'"
		return 1
	fi
	say "verified $n files in $dir against $MANIFEST"
}

dry_run() {
	local dir="$1" hash rel
	printf '# target: %s\n' "$dir"
	printf '# each file: its sources in the order tried, then its expected sha256\n'
	while read -r hash rel; do
		if [[ -n "$MIRROR" ]]; then
			printf '%s\t%s\n' "$rel" "${MIRROR%/}/$rel"
		else
			sources "$rel" | while read -r u; do printf '%s\t%s\n' "$rel" "$u"; done
		fi
		printf '%s\tsha256:%s\n' "$rel" "$hash"
	done <<<"$ENTRIES"
}

TMP_PART=""
cleanup() { [[ -z "$TMP_PART" ]] || rm -f -- "$TMP_PART"; }

fetch_all() {
	local dir="$1" hash rel dest got ok errors rc have=0 fetched=0 failed=0
	local -a cands
	mkdir -p -- "$dir"
	trap cleanup EXIT
	trap 'cleanup; exit 130' INT TERM
	while read -r hash rel; do
		dest="$dir/$rel"
		if [[ -f "$dest" ]]; then
			got="$(sha256_of "$dest")"
			if [[ "$got" == "$hash" ]]; then
				[[ "$QUIET" == 1 ]] || say "present   $rel"
				have=$((have + 1))
				continue
			fi
			say "stale     $rel (sha256 $got); downloading again"
		fi
		if [[ -n "$MIRROR" ]]; then
			cands=("${MIRROR%/}/$rel")
		else
			cands=()
			while read -r u; do cands+=("$u"); done < <(sources "$rel")
		fi
		mkdir -p -- "$(dirname -- "$dest")"
		ok=0
		errors=""
		for u in "${cands[@]}"; do
			[[ "$QUIET" == 1 ]] || say "fetching  $rel <- $u"
			TMP_PART="$(mktemp "$(dirname -- "$dest")/.$(basename -- "$dest").XXXXXX.part")"
			rc=0
			download "$u" "$TMP_PART" || rc=$?
			if ((rc != 0)); then
				rm -f -- "$TMP_PART"
				TMP_PART=""
				if ((rc == NET_DOWN)); then
					die "cannot reach the host of $u (no network, DNS or proxy problem), so nothing more was" \
						"tried. Files already verified in $dir are kept; fix the connection and run this again."
				fi
				errors+=$'\n'"    $u: download failed (exit status $rc)"
				continue
			fi
			got="$(sha256_of "$TMP_PART")"
			if [[ "$got" != "$hash" ]]; then
				errors+=$'\n'"    $u: sha256 $got, expected $hash"
				rm -f -- "$TMP_PART"
				TMP_PART=""
				continue
			fi
			chmod 0644 -- "$TMP_PART"
			mv -f -- "$TMP_PART" "$dest"
			TMP_PART=""
			ok=1
			break
		done
		if ((ok == 1)); then
			fetched=$((fetched + 1))
		else
			say "FAILED    $rel; every source failed:${errors}"
			failed=$((failed + 1))
		fi
	done <<<"$ENTRIES"
	if ((failed > 0)); then
		say "fetch.sh: $failed file(s) could not be fetched with the expected checksum (see above);"
		say "          no download with a wrong checksum was kept. Check the network (GitHub must be"
		say "          reachable), or copy the files by hand into $dir and run: bash $0 --verify '$dir'"
		return 1
	fi
	say "fetched $fetched, already present $have; checking the whole directory"
	QUIET=1 verify_dir "$dir"
	say "to use it: export MUSICREP_DATA='$(cd "$dir" && pwd)'   (or pass -data to musicrep)"
}

# --- arguments -----------------------------------------------------------------------------------------------
MODE=fetch
MIRROR=""
QUIET=0
DIR=""
while (($# > 0)); do
	case "$1" in
	-h | --help)
		usage
		exit 0
		;;
	--verify)
		MODE=verify
		(($# >= 2)) || {
			say "fetch.sh: --verify needs a directory"
			exit 2
		}
		DIR="$2"
		shift
		;;
	--dry-run) MODE=dry-run ;;
	--mirror)
		(($# >= 2)) || {
			say "fetch.sh: --mirror needs a URL"
			exit 2
		}
		MIRROR="$2"
		shift
		;;
	-q | --quiet) QUIET=1 ;;
	-*)
		say "fetch.sh: unknown option $1 (try --help)"
		exit 2
		;;
	*)
		[[ -z "$DIR" ]] || {
			say "fetch.sh: more than one directory given"
			exit 2
		}
		DIR="$1"
		;;
	esac
	shift
done
if [[ -z "$DIR" ]]; then
	DIR="${MUSICREP_DATA:-$DEFAULT_DIR}"
fi

# Read and check the manifest here, in this shell, so that a bad manifest stops the script.
ENTRIES="$(manifest_entries)"
[[ -n "$ENTRIES" ]] || die "manifest $MANIFEST lists no files"
if [[ -z "$MIRROR" ]]; then
	while read -r _ rel; do
		sources "$rel" >/dev/null || die "no source known for manifest entry $rel: add it to sources() in $0"
	done <<<"$ENTRIES"
fi

case "$MODE" in
verify) verify_dir "$DIR" ;;
dry-run) dry_run "$DIR" ;;
fetch) fetch_all "$DIR" ;;
esac
