# shellcheck shell=bash
# Common helpers for the pipeline scripts: paths, logging, timing, the base
# tree identity.  Sourced, never run.

set -euo pipefail

MD_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MD_SCRIPTS=$MD_REPO/scripts
BUILD_DIR=${BUILD_DIR:-$MD_REPO/build}
MD_LOGS=$BUILD_DIR/logs
# shellcheck source=scripts/base.env
. "$MD_SCRIPTS/base.env"

MD_STEP=${MD_STEP:-mapdirect}
MD_STEP_T0=$(date +%s)

# Human readable duration of $1 seconds.
fmt_secs() {
	local s=$1
	if [ "$s" -ge 60 ]; then
		printf '%dm%02ds' $((s / 60)) $((s % 60))
	else
		printf '%ds' "$s"
	fi
}

step_elapsed() {
	fmt_secs $(($(date +%s) - MD_STEP_T0))
}

log() {
	printf '[%s %s] %s\n' "$MD_STEP" "$(step_elapsed)" "$*" >&2
}

warn() {
	printf '[%s] WARNING: %s\n' "$MD_STEP" "$*" >&2
}

die() {
	printf '[%s] ERROR: %s\n' "$MD_STEP" "$*" >&2
	exit 1
}

# Print the usage text of the calling script: the comment block right after
# its shebang, without the leading "# ".
usage() {
	sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$0"
}

# Handle -h/--help for scripts that take no other options.
help_or_none() {
	case "${1:-}" in
	-h | --help) usage; exit 0 ;;
	"") ;;
	*) usage >&2; die "unknown argument: $1" ;;
	esac
}

step_done() {
	log "done"
}

need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 ||
			die "'$c' is not installed; run scripts/deps.sh first"
	done
}

# "VERSION.PATCHLEVEL.SUBLEVEL" of the kernel tree in $1.
tree_version() {
	local mk=$1/Makefile v p s
	[ -f "$mk" ] || return 1
	v=$(sed -n 's/^VERSION = *//p' "$mk" | head -n1)
	p=$(sed -n 's/^PATCHLEVEL = *//p' "$mk" | head -n1)
	s=$(sed -n 's/^SUBLEVEL = *//p' "$mk" | head -n1)
	[ -n "$v" ] && [ -n "$p" ] && [ -n "$s" ] || return 1
	printf '%s.%s.%s\n' "$v" "$p" "$s"
}

# Name of the folder under $BUILD_DIR that holds everything derived from the
# base tree: the Debian package version by default, or the version and a
# hash of the path of a tree given with KSRC=.
base_id() {
	if [ -n "${KSRC:-}" ]; then
		local v h
		v=$(tree_version "$KSRC") || die "KSRC=$KSRC has no kernel Makefile"
		h=$(realpath "$KSRC" | sha256sum | cut -c1-8)
		printf 'ksrc-%s-%s\n' "$v" "$h"
	else
		printf 'deb-%s\n' "${BASE_PKG_VERSION//\~/-}"
	fi
}

# The entries of a list file such as patches/series: one per line, without
# comments, blank lines and trailing blanks.
list_entries() {
	sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$1"
}

# Config variant: the Kconfig.snippets fragments, joined with "+".
MD_FRAGMENTS=${MD_FRAGMENTS:-test}

# Sets the MD_* paths the scripts use.
# shellcheck disable=SC2034
md_paths() {
	MD_BASE_ID=$(base_id)
	MD_TREE_DIR=$BUILD_DIR/$MD_BASE_ID
	MD_WT=$MD_TREE_DIR/linux
	MD_PRISTINE=$MD_TREE_DIR/pristine
	MD_VARIANT=${MD_FRAGMENTS// /+}
	MD_OBJ=$MD_TREE_DIR/obj-$MD_VARIANT
	MD_KST=$MD_TREE_DIR/kselftest-$MD_VARIANT
	mkdir -p "$MD_LOGS"
}

# Copy the source files of the series' selftests, tests/map_direct/ (those
# git tracks or would track: no build products, nothing .gitignore
# ignores), into folder $1, which must not exist yet.
md_selftest_sources() {
	local dst=$1 src=$MD_REPO/tests/map_direct
	mkdir -p "$dst"
	if git -C "$MD_REPO" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git -C "$src" ls-files -z --cached --others --exclude-standard . |
			rsync -a --from0 --files-from=- "$src/" "$dst/"
	else
		rsync -a "$src/" "$dst/"
	fi
}

# The environment every kernel build of the pipeline shares: ccache keyed
# on paths under build/ (so that clones share hits), a fixed build user and
# host, and MD_JOBS parallel jobs (default: the CPUs).
md_kbuild_env() {
	MD_JOBS=${MD_JOBS:-$(nproc)}
	export CCACHE_BASEDIR=$BUILD_DIR
	export CCACHE_SLOPPINESS=${CCACHE_SLOPPINESS:-include_file_mtime,include_file_ctime,time_macros}
	export KBUILD_BUILD_USER=mapdirect KBUILD_BUILD_HOST=qemu
	ccache -M "${MD_CCACHE_SIZE:-8G}" >/dev/null
}

# md_kmake SRC OBJ TARGET...: make in kernel tree SRC, objects in OBJ,
# through ccache (after md_kbuild_env).
md_kmake() {
	local src=$1 obj=$2
	shift 2
	make -C "$src" ARCH=x86_64 O="$obj" CC="ccache gcc" -j"$MD_JOBS" "$@"
}

# The pristine base kernel (tag "base" of the work tree's repository, without
# the series) of scripts/base-kernel.sh: its git worktree and the object
# folder of the config variant.  Call after md_paths.
# shellcheck disable=SC2034
md_base_paths() {
	MD_BASE_WT=$MD_TREE_DIR/linux-base
	MD_BASE_OBJ=$MD_TREE_DIR/obj-base-$MD_VARIANT
}

# Run "$@" with its output in log file $1 (after shifting), printing a
# progress line (what, elapsed time, lines of output so far) every
# $MD_TICK seconds.  On failure, print the tail of the log and its path and
# return the command's exit status.
MD_TICK=${MD_TICK:-60}
run_logged() {
	local logf=$1 what=$2
	shift 2
	local t0 pid rc=0 n
	t0=$(date +%s)
	mkdir -p "$(dirname "$logf")"
	: >"$logf"
	"$@" >>"$logf" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		local i
		for ((i = 0; i < MD_TICK; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 1
		done
		if kill -0 "$pid" 2>/dev/null; then
			n=$(wc -l <"$logf")
			log "$what: running for $(fmt_secs $(($(date +%s) - t0))), $n lines in $logf"
		fi
	done
	wait "$pid" || rc=$?
	if [ "$rc" -ne 0 ]; then
		printf '%s\n' "----- last 30 lines of $logf -----" >&2
		tail -n 30 "$logf" >&2
		printf '%s\n' "-----" >&2
		printf '[%s] ERROR: %s\n' "$MD_STEP" "$what failed (exit $rc); full log: $logf" >&2
		return "$rc"
	fi
	log "$what: ok in $(fmt_secs $(($(date +%s) - t0)))"
}
