#!/bin/bash
# The selftests patch of patches/ carries exactly tests/map_direct/ as
# tools/testing/selftests/map_direct/ (the one source of the selftests is
# tests/; scripts/sync-selftests.sh folds it into the work tree's commit),
# and adds the target to tools/testing/selftests/Makefile.
. "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/lib.sh
. "$SCRIPTS/lib.sh"
md_paths
rel=tools/testing/selftests/map_direct
d=$(scratch)
mapfile -t series < <(list_entries "$MD_REPO/patches/series")
git -C "$d" init -q
for p in "${series[@]}"; do
	# The folder is new in the series: its hunks apply to an empty tree.
	git -C "$d" apply --include="$rel/*" "$MD_REPO/patches/$p" ||
		fail "$p: its $rel hunks do not apply to an empty tree"
done
[ -d "$d/$rel" ] || fail "no patch of patches/series adds $rel"
if ! diff -ru "$MD_REPO/tests/map_direct" "$d/$rel" >"$d/diff.txt"; then
	head -n 40 "$d/diff.txt"
	fail "patches/ and tests/map_direct differ (run scripts/sync-selftests.sh and scripts/export.sh; diff: $d/diff.txt)"
fi
grep -qx -- '+TARGETS += map_direct' "$MD_REPO"/patches/[0-9]*.patch ||
	fail "no patch adds 'TARGETS += map_direct' to tools/testing/selftests/Makefile"
n=$(find "$d/$rel" -type f | wc -l)
pass "patches/ carries tests/map_direct ($n files) as $rel"
