#!/bin/bash
# Usage (in the guest, as the command of scripts/boot.sh, from scripts/fuzz.sh):
#   scripts/guest-fuzz.sh PROGRAM VARIANT...
#
# Runs the VMA fuzzer PROGRAM on each VARIANT for MD_FUZZ_STEPS steps in
# all, in runs of at most 20000 steps (each well inside the program's own
# timeout), with seeds MD_FUZZ_SEED, MD_FUZZ_SEED+1, ...  Output:
# $MD_RESULTS/fuzz.txt.  Exit status: 1 if any run failed.

set -u
prog=$1
shift
out=$MD_RESULTS/fuzz.txt
: >"$out"
seed=${MD_FUZZ_SEED:-$(date +%s)}
chunk=20000 rc=0 i=0
for v in "$@"; do
	left=${MD_FUZZ_STEPS:-1000}
	while [ "$left" -gt 0 ]; do
		n=$((left < chunk ? left : chunk))
		echo "MAPDIRECT-GUEST: $v, $n steps, seed $((seed + i))"
		MD_FUZZ_STEPS=$n MD_FUZZ_SEED=$((seed + i)) "$prog" -v "$v" >>"$out" 2>&1 || rc=1
		left=$((left - n))
		i=$((i + 1))
	done
done
exit "$rc"
