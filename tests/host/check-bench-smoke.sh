#!/bin/bash
# scripts/bench.sh --smoke: one short round of every benchmark workload on
# the kernels already built (the patched test kernel; the base kernel too
# if scripts/base-kernel.sh built it), asserting nothing about speed, only
# that every workload ran and produced a number, so that the benchmark
# command cannot rot.  The full benchmark is not part of scripts/test.sh.
. "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/lib.sh
. "$SCRIPTS/lib.sh"
md_paths
[ -f "$MD_OBJ/arch/x86/boot/bzImage" ] || skip "no test kernel in $MD_OBJ (run scripts/build.sh first)"
d=$(scratch)
out=$("$SCRIPTS/bench.sh" --smoke --run-dir "$d" 2>&1) || {
	printf '%s\n' "$out" | tail -n 30
	fail "scripts/bench.sh --smoke failed: $(printf '%s\n' "$out" | grep 'bench smoke\|ERROR' | tail -n 1)"
}
printf '%s\n' "$out"
line=$(printf '%s\n' "$out" | grep 'bench smoke: .* figures' | tail -n 1)
[ -n "$line" ] || fail "scripts/bench.sh --smoke printed no summary"
pass "${line#bench smoke: }"
