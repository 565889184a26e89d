#!/bin/bash
# Usage (in the guest, as the command of scripts/boot.sh, from scripts/bench.sh):
#   scripts/guest-bench.sh PROGRAM [md_bench options...]
#
# Runs the benchmark program bench/md_bench.c built by scripts/bench.sh on
# the guest's filesystems; its RESULT lines go to $MD_RESULTS/bench.txt,
# with the kernel and the number of CPUs first.  Exit status: the
# program's.

set -u
prog=$1
shift
out=$MD_RESULTS/bench.txt
{
	echo "KERNEL $(uname -r) $(uname -v | tr ' ' '_')"
	echo "CPUS $(nproc)"
} >"$out"
"$prog" "$@" | tee -a "$out"
exit "${PIPESTATUS[0]}"
