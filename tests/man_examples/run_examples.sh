#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs the example programs of the man pages (extracted and built by the
# Makefile) on each DAX filesystem and compares them with their pages: the
# program must exit 0 and print exactly the output that its shell session
# in the page shows (NAME.out).  An example that exits 4 says that the
# kernel lacks the interface it shows (no mmap3, MAP_DIRECT or
# F_MAP_DIRECT); that is reported as SKIP with the program's message.
#
# The mount points come from the environment (scripts/guest-init.sh):
# MD_MNT_XFS_DAX and MD_MNT_EXT4_DAX.  A missing one makes its results SKIP.
# Prints TAP, one result per example and filesystem.  Must run as root: the
# examples need CAP_LINUX_IMMUTABLE and change to user 65534.
#
# Exit status: 1 if an example failed, 4 if every result was a SKIP, else 0.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
skip_rc=4
limit=${MD_EXAMPLE_TIMEOUT:-120}
filesystems=("MD_MNT_XFS_DAX dax_xfs DAX XFS" "MD_MNT_EXT4_DAX dax_ext4 DAX ext4")

examples=()
for out in "$here"/*.out; do
	[ -e "$out" ] || continue
	examples+=("$(basename "$out" .out)")
done

echo "TAP version 13"
if [ "${#examples[@]}" -eq 0 ]; then
	echo "1..0 # SKIP no examples installed in $here"
	exit "$skip_rc"
fi
echo "1..$((${#examples[@]} * ${#filesystems[@]}))"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

n=0 npass=0 nfail=0 nskip=0
result() {	# result ok|fail|skip NAME [REASON]
	n=$((n + 1))
	case "$1" in
	ok) npass=$((npass + 1)); echo "ok $n $2" ;;
	skip) nskip=$((nskip + 1)); echo "ok $n $2 # SKIP $3" ;;
	*) nfail=$((nfail + 1)); echo "not ok $n $2 # $3" ;;
	esac
}

# Diagnostics: the lines of file $1, as TAP comments.
diag() {
	sed 's/^/# /' "$1"
}

for ex in "${examples[@]}"; do
	for fs in "${filesystems[@]}"; do
		read -r var tag label <<<"$fs"
		name="$ex.$tag"
		dir=${!var:-}
		if [ -z "$dir" ]; then
			result skip "$name" "$var is not set: no $label mount"
			continue
		fi
		if [ "$(id -u)" != 0 ]; then
			result skip "$name" "must run as root (CAP_LINUX_IMMUTABLE, setresuid)"
			continue
		fi
		if [ ! -x "$here/$ex" ]; then
			result fail "$name" "program $here/$ex missing"
			continue
		fi
		file=$dir/md-man-$ex-$$
		rm -f "$file"
		rc=0
		(cd "$work" && timeout "$limit" "$here/$ex" "$file") \
			>"$work/stdout" 2>"$work/stderr" || rc=$?
		rm -f "$file"
		if [ "$rc" -eq "$skip_rc" ]; then
			result skip "$name" "$(head -n 1 "$work/stderr")"
		elif [ "$rc" -eq 124 ]; then
			diag "$work/stderr"
			result fail "$name" "timed out after ${limit}s"
		elif [ "$rc" -ne 0 ]; then
			diag "$work/stdout"
			diag "$work/stderr"
			result fail "$name" "exit status $rc, expected 0"
		elif ! diff -u "$here/$ex.out" "$work/stdout" >"$work/diff"; then
			echo "# output differs from the shell session in the man page:"
			diag "$work/diff"
			diag "$work/stderr"
			result fail "$name" "output differs from the man page"
		else
			result ok "$name"
		fi
	done
done

echo "# $npass passed, $nfail failed, $nskip skipped"
if [ "$nfail" -gt 0 ]; then
	exit 1
elif [ "$npass" -eq 0 ]; then
	exit "$skip_rc"
fi
exit 0
