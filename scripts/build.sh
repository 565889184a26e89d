#!/bin/bash
# Usage: scripts/build.sh
#
# Builds, incrementally and with ccache, from the work tree:
#   1. the test kernel: bzImage in build/<base-id>/obj-<variant>/ (config
#      from scripts/config.sh);
#   2. the uapi headers of that tree ("make headers"), which the selftests
#      compile against;
#   3. the selftests, all installed with the kselftest runner in
#      build/<base-id>/kselftest-<variant>/install:
#      - the series' own (tools/testing/selftests/map_direct of the work
#        tree, whose source is tests/map_direct), with the kernel's
#        selftest Makefile, as a kernel developer builds them:
#        make -C tools/testing/selftests O=<obj> TARGETS=map_direct install;
#      - the project's other tests/<target>/ (baseline, man_examples),
#        built with the tree's tools/testing/selftests/lib.mk;
#      - the kernel's own selftests listed in tests/kernel-selftests.
# Progress is one line per step (and a line a minute for long steps); the
# full output is in build/logs/.

MD_STEP=build
. "$(dirname "$0")/lib.sh"
help_or_none "$@"
md_paths
need_cmd make gcc ccache rsync
[ -f "$MD_OBJ/.config" ] || die "no $MD_OBJ/.config: run scripts/config.sh first"

md_kbuild_env
jobs=$MD_JOBS
kmake() { md_kmake "$MD_WT" "$MD_OBJ" "$@"; }

ccache -z >/dev/null
run_logged "$MD_LOGS/build-kernel-$MD_VARIANT.log" "kernel bzImage" kmake bzImage
stats=$(ccache -s 2>/dev/null | sed -n 's/^ *\(Hits\|Misses\): *\([0-9]*\).*/\1 \2/p' | head -n 2 | tr '\n' ' ')
log "bzImage: $MD_OBJ/arch/x86/boot/bzImage (ccache: ${stats:-n/a})"
run_logged "$MD_LOGS/build-headers-$MD_VARIANT.log" "uapi headers" kmake headers

# Selftests: stage the tree's kselftest framework and our targets side by
# side, as they would sit in tools/testing/selftests/.
ksrc=$MD_WT/tools/testing/selftests
stage=$MD_KST/src
inst=$MD_KST/install
rm -rf "$stage" "$inst"
mkdir -p "$stage" "$inst"
rsync -a "$ksrc/lib.mk" "$ksrc/kselftest.h" "$ksrc/kselftest_harness.h" \
	"$ksrc/kselftest" "$ksrc/run_kselftest.sh" "$stage/"
rsync -a --exclude=host "$MD_REPO/tests/" "$stage/"

# Targets the series carries in the tree are built from the tree; the rest
# of tests/ from the staged copy (which keeps map_direct's headers for
# baseline).
intree=() targets=()
for mk in "$stage"/*/Makefile; do
	t=$(basename "$(dirname "$mk")")
	if [ -f "$ksrc/$t/Makefile" ]; then
		intree+=("$t")
	else
		targets+=("$t")
	fi
done
# What is built is the tree's copy: it must be tests/map_direct.
if [ "${#intree[@]}" -gt 0 ] && [ "${MD_SELFTESTS_UNSYNCED:-0}" != 1 ] &&
	! "$MD_SCRIPTS/sync-selftests.sh" --check >"$MD_LOGS/sync-selftests-check.log" 2>&1; then
	die "tests/map_direct differs from the work tree's selftests commit (see $MD_LOGS/sync-selftests-check.log): run scripts/sync-selftests.sh, or set MD_SELFTESTS_UNSYNCED=1 to build the work tree's copy as it is"
fi
intree_build() {
	make -C "$ksrc" O="$MD_OBJ" TARGETS="${intree[*]}" FORCE_TARGETS=1 \
		-j"$jobs" KSFT_INSTALL_PATH="$inst" install
}
if [ "${#intree[@]}" -gt 0 ]; then
	run_logged "$MD_LOGS/build-selftests-tree-$MD_VARIANT.log" \
		"in-tree selftests (${intree[*]})" intree_build
else
	warn "the work tree carries none of the tests/ targets"
	rsync -a "$ksrc/kselftest" "$ksrc/run_kselftest.sh" "$inst/"
	: >"$inst/kselftest-list.txt"
fi
kst_build() {
	local t
	for t in "${targets[@]}"; do
		local args=(-C "$stage/$t" top_srcdir="$MD_WT"
			MAN_DIR="$MD_REPO/Documentation/man"
			KHDR_INCLUDES="-isystem $MD_OBJ/usr/include"
			OUTPUT="$MD_KST/obj/$t")
		mkdir -p "$MD_KST/obj/$t"
		make "${args[@]}" -j"$jobs" all
		make "${args[@]}" INSTALL_PATH="$inst/$t" install
		make -s "${args[@]}" COLLECTION="$t" emit_tests >>"$inst/kselftest-list.txt"
	done
}
# The kernel's own selftests from tests/kernel-selftests, built in the
# tree's selftests folder (output in our obj folder) and installed with
# their collection's settings.
mapfile -t ktests < <(list_entries "$MD_REPO/tests/kernel-selftests")
ktree_build() {
	local kt coll prog
	for kt in "${ktests[@]}"; do
		coll=${kt%%:*}
		prog=${kt#*:}
		mkdir -p "$MD_KST/obj/k-$coll" "$inst/$coll"
		make -C "$ksrc/$coll" KHDR_INCLUDES="-isystem $MD_OBJ/usr/include" \
			OUTPUT="$MD_KST/obj/k-$coll" "$MD_KST/obj/k-$coll/$prog"
		cp "$MD_KST/obj/k-$coll/$prog" "$inst/$coll/"
		if [ -f "$ksrc/$coll/settings" ]; then
			cp "$ksrc/$coll/settings" "$inst/$coll/"
		fi
		echo "$kt" >>"$inst/kselftest-list.txt"
	done
}
run_logged "$MD_LOGS/build-selftests-$MD_VARIANT.log" "repository selftests (${targets[*]})" kst_build
run_logged "$MD_LOGS/build-kernel-selftests-$MD_VARIANT.log" \
	"kernel selftests (${#ktests[@]} programs)" ktree_build
log "selftests: $(wc -l <"$inst/kselftest-list.txt") programs installed in $inst"
