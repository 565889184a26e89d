#!/bin/bash
# The selftests patch of patches/ carries exactly the source files of
# tests/map_direct/ (what git tracks or would track) as
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
md_selftest_sources "$d/src"
if ! diff -ru "$d/src" "$d/$rel" >"$d/diff.txt"; then
	head -n 40 "$d/diff.txt"
	fail "patches/ and tests/map_direct differ (run scripts/sync-selftests.sh and scripts/export.sh; diff: $d/diff.txt)"
fi
# The target is in the selftests Makefile's TARGETS once the series is
# applied to the base's Makefile.
mk=tools/testing/selftests/Makefile
mkdir -p "$d/mk/$(dirname "$mk")"
git -C "$MD_WT" show "base:$mk" >"$d/mk/$mk" || fail "no $mk at tag base of $MD_WT"
git -C "$d/mk" init -q
for p in "${series[@]}"; do
	git -C "$d/mk" apply --include="$mk" "$MD_REPO/patches/$p" ||
		fail "$p: its $mk hunk does not apply to the base's $mk"
done
grep -qx 'TARGETS += map_direct' "$d/mk/$mk" ||
	fail "with patches/ applied, $mk does not list 'TARGETS += map_direct'"
n=$(find "$d/$rel" -type f | wc -l)
pass "patches/ carries tests/map_direct ($n files) as $rel"
