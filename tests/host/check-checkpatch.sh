#!/bin/bash
# scripts/checkpatch.pl --strict on every patch of the series.  Errors fail;
# a warning or check fails unless the patch's commit message names its type
# (e.g. "checkpatch: LONG_LINE ...") with the reason it is accepted.
. "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/lib.sh
. "$SCRIPTS/lib.sh"
md_paths
[ -x "$MD_WT/scripts/checkpatch.pl" ] || fail "no checkpatch.pl in $MD_WT"
mapfile -t series < <(list_entries "$MD_REPO/patches/series")
[ "${#series[@]}" -gt 0 ] || pass "no patches in patches/series"
bad=0 first=
for p in "${series[@]}"; do
	f=$MD_REPO/patches/$p
	out=$(cd "$MD_WT" && ./scripts/checkpatch.pl --strict --show-types --no-summary "$f" 2>&1) || true
	msg=$(sed -n '/^Subject:/,/^---$/p' "$f")
	while IFS= read -r line; do
		case "$line" in
		ERROR:*)
			echo "$p: $line"
			bad=1
			first=${first:-"$p: $line"}
			;;
		WARNING:* | CHECK:*)
			type=${line#*:}
			type=${type%%:*}
			# not printf | grep -q: with pipefail, grep's early exit
			# can fail the pipeline (SIGPIPE) and flake the check
			if grep -q "checkpatch: .*$type" <<<"$msg"; then
				echo "$p: $line (justified in the commit message)"
			else
				echo "$p: $line (not justified in the commit message)"
				bad=1
				first=${first:-"$p: $line"}
			fi
			;;
		esac
	done <<<"$out"
done
# The first problem goes into the last line, which the summary shows.
[ "$bad" = 0 ] || fail "checkpatch --strict reports unjustified problems, first: $first"
pass "${#series[@]} patches: checkpatch --strict reports nothing unjustified"
