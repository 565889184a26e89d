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

# smoke NAME ARGS...: one bench.sh --smoke run into $d/NAME; prints the
# summary line of its figures
smoke() {
	local name=$1 out line
	shift
	out=$("$SCRIPTS/bench.sh" --smoke --run-dir "$d/$name" "$@" 2>&1) || {
		printf '%s\n' "$out" | tail -n 30
		fail "scripts/bench.sh --smoke $*: $(printf '%s\n' "$out" | grep 'bench smoke\|ERROR' | tail -n 1)"
	}
	printf '%s\n' "$out" >&2
	line=$(printf '%s\n' "$out" | grep 'bench smoke: .* figures' | tail -n 1)
	[ -n "$line" ] || fail "scripts/bench.sh --smoke $* printed no summary"
	# a header, its rule and at least one ratio
	[ "$(grep -c '^| ' "$d/$name/table.md" 2>/dev/null)" -ge 3 ] ||
		fail "scripts/bench.sh --smoke $*: no ratio in the table $d/$name/table.md"
	[ -s "$d/$name/ratios.png" ] || fail "scripts/bench.sh --smoke $*: no plot $d/$name/ratios.png"
	echo "${line#bench smoke: }"
}

icount=$(smoke icount)
wall=$(smoke wall --clock wall --patched-only --only '^(mmap_anon|mmap3_anon|truncate_dax_xfs)$')
pass "icount: $icount; wall (2 vCPUs, 3 workloads): $wall; tables and plots written"
