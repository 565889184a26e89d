#!/bin/bash
# Usage: tests/host/check-vma-userland.sh [TREE]
#
# Builds and runs the kernel's userland VMA tests, tools/testing/vma of the
# kernel tree TREE (default: the series work tree build/<base-id>/linux):
# vma.c compiles mm/vma.c in user space against the stubs of vma_internal.h
# and tests the rules by which VMAs merge, split, expand and move.  Patch 4/5
# adds the MAP_DIRECT cases (test_map_direct_*): a MAP_DIRECT VMA never
# merges with a plain VMA of the same file, no merge removes a MAP_DIRECT
# VMA, and the seal count kept by ->open() and ->close() stays equal to the
# number of MAP_DIRECT VMAs through mmap, mprotect, munmap and mremap.
#
# TREE is not written to: the sources the test needs are copied to
# build/host-tmp/check-vma-userland/ and built there (gcc, make and
# liburcu-dev, see scripts/deps.sh); build.log and run.log stay there.
# Fails if the build fails, if the test program fails or hangs (5 minutes),
# or if TREE has no test_map_direct_* tests.  Exit 0 pass, 1 fail; the last
# line is the reason.

. "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/lib.sh
. "$SCRIPTS/lib.sh"

host_tree "$@"
if [ ! -f "$tree/Makefile" ] || [ ! -f "$tree/tools/testing/vma/vma.c" ]; then
	fail "$tree is not a kernel tree with tools/testing/vma"
fi
tree=$(cd "$tree" && pwd)
command -v make >/dev/null || fail "make is not installed"
echo '#include <urcu.h>' | cc -E - >/dev/null 2>&1 ||
	fail "liburcu-dev is not installed (scripts/deps.sh installs it)"

mapfile -t md_tests < <(sed -n 's/^[[:space:]]*TEST(\(map_direct_[a-z_]*\));.*/\1/p' \
	"$tree/tools/testing/vma/vma.c")
[ "${#md_tests[@]}" -gt 0 ] || fail "no TEST(map_direct_*) in $tree/tools/testing/vma/vma.c"

work=$(scratch)
t0=$(date +%s)
# What tools/testing/vma builds from: its Makefile, tools/testing/shared,
# tools/ headers and library code, and lib/, include/ and mm/ of the kernel.
tar -C "$tree" -cf - tools/testing/vma tools/testing/shared tools/include \
	tools/lib tools/arch lib include mm | tar -C "$work" -xf -
vma=$work/tools/testing/vma
# Whatever was built in TREE came along: start clean.
make -C "$vma" clean >/dev/null 2>&1 || true
if ! make -C "$vma" -j"$(nproc)" >"$work/build.log" 2>&1; then
	tail -n 30 "$work/build.log"
	fail "tools/testing/vma does not build (log: $work/build.log)"
fi
echo "built in $(fmt_secs $(($(date +%s) - t0))) (log: $work/build.log)"

rc=0
(cd "$vma" && timeout 300 ./vma) >"$work/run.log" 2>&1 || rc=$?
cat "$work/run.log"
# The summary goes to stdout, which is lost if LeakSanitizer ends the
# program (failed tests leak their VMAs): name the failed tests instead.
summary=$(grep -E '^[0-9]+ tests run, ' "$work/run.log" | tail -n 1) || true
failed=$(sed -n 's/^Test \([a-z0-9_]*\) FAILED$/\1/p' "$work/run.log" | paste -sd ' ' -)
[ "$rc" -ne 124 ] || fail "tools/testing/vma hung for 5 minutes (log: $work/run.log)"
[ "$rc" -eq 0 ] || fail "tools/testing/vma: exit $rc, failed: ${failed:-no test named} (log: $work/run.log)"
[ -n "$summary" ] || fail "tools/testing/vma printed no summary (log: $work/run.log)"
pass "tools/testing/vma: $summary (${#md_tests[@]} MAP_DIRECT tests: ${md_tests[*]}) in $(fmt_secs $(($(date +%s) - t0)))"
