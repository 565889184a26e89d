# shellcheck shell=bash
# Helpers for the host checks (tests/host/check-*.sh), run by
# scripts/test.sh.  A check exits 0 (pass), 1 (fail) or 4 (skip); its last
# line of output is the one-line reason shown in the summary.

set -euo pipefail
HOST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HOST_DIR/../.." && pwd)
# shellcheck disable=SC2034  # used by the checks that source this file
SCRIPTS=$REPO/scripts
export BUILD_DIR=${BUILD_DIR:-$REPO/build}

pass() { echo "PASS: $*"; exit 0; }
fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "$*"; exit 4; }

# A scratch folder for this check, emptied first.
scratch() {
	local d
	d=$BUILD_DIR/host-tmp/$(basename "$0" .sh)
	rm -rf "$d"
	mkdir -p "$d"
	echo "$d"
}

# expect_failure WHAT REGEX... -- CMD...: CMD must exit non-zero and print
# (on stdout or stderr) lines matching every extended REGEX.
expect_failure() {
	local what=$1 res=() out rc=0 re
	shift
	while [ "$1" != -- ]; do
		res+=("$1")
		shift
	done
	shift
	out=$("$@" 2>&1) || rc=$?
	printf '%s\n' "$out" | sed 's/^/    | /'
	[ "$rc" -ne 0 ] || fail "$what: exited 0"
	for re in "${res[@]}"; do
		grep -Eq -- "$re" <<<"$out" || fail "$what: no message matching /$re/"
	done
	echo "ok: $what: exit $rc, messages match: ${res[*]}"
}

# A minimal fake kernel tree: just enough for scripts/base.sh.
fake_tree() {
	local dir=$1 patchlevel=$2
	mkdir -p "$dir"
	printf 'VERSION = 6\nPATCHLEVEL = %s\nSUBLEVEL = 99\nEXTRAVERSION =\n' "$patchlevel" >"$dir/Makefile"
	printf 'int main(void)\n{\n\treturn 1;\n}\n' >"$dir/hello.c"
}

# The kernel tree a check reads: its argument if given, else the work tree
# (needs scripts/lib.sh sourced).  -h/--help prints the check's usage.
# shellcheck disable=SC2034  # tree is read by the checks that call this
host_tree() {
	case "${1:-}" in
	-h | --help) usage; exit 0 ;;
	esac
	if [ -n "${1:-}" ]; then
		tree=$1
	else
		md_paths
		tree=$MD_WT
	fi
}
