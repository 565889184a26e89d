#!/bin/bash
# scripts/bench.sh --smoke: one short round of every benchmark workload on
# the kernels already built (the patched test kernel; the base kernel too
# if scripts/base-kernel.sh built it), asserting nothing about speed, only
# that every workload ran and produced a number and that the table and the
# plot came out of the figures, so that the benchmark command cannot rot.
# Then the same, shorter, with --clock wall (two vCPUs, two threads) on
# the patched kernel and a few workloads.  The full benchmark is not part
# of scripts/test.sh.
. "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/lib.sh
. "$SCRIPTS/lib.sh"
md_paths
[ -f "$MD_OBJ/arch/x86/boot/bzImage" ] || skip "no test kernel in $MD_OBJ (run scripts/build.sh first)"
d=$(scratch)

# smoke NAME ARGS...: one bench.sh --smoke run into $d/NAME, its output in
# $d/NAME.out; its summary line in $d/NAME.line.  Not run in $(...): fail()
# must print where the check's log gets it.
smoke() {
	local name=$1 out=$d/$1.out line
	shift
	if ! "$SCRIPTS/bench.sh" --smoke --run-dir "$d/$name" "$@" >"$out" 2>&1; then
		tail -n 30 "$out"
		fail "scripts/bench.sh --smoke $*: $(grep 'bench smoke\|ERROR' "$out" | tail -n 1)"
	fi
	cat "$out"
	line=$(grep 'bench smoke: .* figures' "$out" | tail -n 1) ||
		fail "scripts/bench.sh --smoke $* printed no summary"
	# a header, its rule and at least one ratio
	[ "$(grep -c '^| ' "$d/$name/table.md" 2>/dev/null)" -ge 3 ] ||
		fail "scripts/bench.sh --smoke $*: no ratio in the table $d/$name/table.md"
	[ -s "$d/$name/ratios.png" ] || fail "scripts/bench.sh --smoke $*: no plot $d/$name/ratios.png"
	echo "${line#bench smoke: }" >"$d/$name.line"
}

smoke icount
smoke wall --clock wall --patched-only --only '^(mmap_anon|mmap3_anon|truncate_dax_xfs)$'
# the wall mode's point: figures of 2 threads (2 vCPUs)
grep -q '^RESULT mmap_anon 2 [0-9]' "$d"/wall/*/bench.txt ||
	fail "scripts/bench.sh --smoke --clock wall: no 2-thread figure in $d/wall/*/bench.txt"
pass "icount: $(cat "$d/icount.line"); wall (2 vCPUs, 3 workloads, 2 threads too): $(cat "$d/wall.line"); tables and plots written"
