#!/bin/bash
# Usage: scripts/fuzz.sh [--debug] [--steps N] [--seconds S] [--seed SEED]
#                        [--variant V]... [--run-dir DIR]
#
# A long run of the VMA fuzzer of the selftests (map_direct_fuzz_test, see
# tests/map_direct/README): boots the test kernel (--debug: the debug
# kernel, lockdep + KASAN + DEBUG_VM) with the selftests already built by
# scripts/main.sh, runs the fuzzer's variants (dax_xfs, dax_ext4,
# dax_mixed, or those given) with the budget given, without the selftest
# runner's timeout, and fails on a mismatch or a kernel splat.  The normal
# and debug passes of scripts/main.sh run the same program on a small
# budget; this is for the long runs (100000 steps per filesystem take about
# 12 minutes on the test kernel and an hour on the debug kernel under TCG on
# these machines).
#
#   --debug        the debug kernel (built by scripts/main.sh's debug pass)
#   --steps N      at most N steps per variant (MD_FUZZ_STEPS; default 100000)
#   --seconds S    at most S seconds per variant (MD_FUZZ_SECONDS; default
#                  one day: the steps decide)
#   --seed SEED    the seed (MD_FUZZ_SEED), to replay a run
#   --variant V    dax_xfs, dax_ext4 or dax_mixed (repeatable; default all)
#   --run-dir DIR  where the logs go (default build/runs/fuzz-<date>-<pid>)
#
# Exit status: 0 when every variant ran its budget without a mismatch and
# the kernel log is clean.

MD_STEP=fuzz
. "$(dirname "$0")/lib.sh"

steps=100000 seconds=86400 seed='' run_dir='' variants=()
while [ "$#" -gt 0 ]; do
	case "$1" in
	-h | --help) usage; exit 0 ;;
	--debug) MD_FRAGMENTS="$MD_FRAGMENTS debug"; shift ;;
	--steps) steps=$2; shift 2 ;;
	--seconds) seconds=$2; shift 2 ;;
	--seed) seed=$2; shift 2 ;;
	--variant) variants+=("$2"); shift 2 ;;
	--run-dir) run_dir=$2; shift 2 ;;
	*) usage >&2; die "unknown argument: $1" ;;
	esac
done
md_paths
prog=$MD_KST/install/map_direct/map_direct_fuzz_test
[ -x "$prog" ] || die "no $prog: run scripts/main.sh first"
[ -n "$run_dir" ] || run_dir=$BUILD_DIR/runs/fuzz-$(date +%Y%m%d-%H%M%S)-$$
mkdir -p "$run_dir"
run_dir=$(realpath "$run_dir")
[ "${#variants[@]}" -gt 0 ] || variants=(dax_xfs dax_ext4 dax_mixed)

guest_env="MD_FUZZ_STEPS=$steps MD_FUZZ_SECONDS=$seconds"
[ -z "$seed" ] || guest_env+=" MD_FUZZ_SEED=$seed"
log "$MD_VARIANT kernel, ${variants[*]}: $steps steps or ${seconds}s each; log: $run_dir/fuzz.txt"
rc=0
MD_GUEST_ENV="$guest_env" "$MD_SCRIPTS/boot.sh" --boot-timeout 600 \
	--kernel "$MD_OBJ/arch/x86/boot/bzImage" \
	--timeout $((seconds * ${#variants[@]} + 3600)) --run-dir "$run_dir" \
	-- "$MD_SCRIPTS/guest-fuzz.sh" "$prog" "${variants[@]}" || rc=$?
# "# dax_xfs: 1000 steps in 6.8 s (147 steps/s), ... 0 mismatches, seed 0x1"
awk '$1 == "#" && $4 == "steps" && $5 == "in" {
	v = $2; sub(/:$/, "", v); steps[v] += $3; secs[v] += $6
	if ($0 ~ / [1-9][0-9]* mismatches/) bad[v]++
}
END {
	for (v in steps)
		printf "[fuzz] %s: %d steps in %d s (%.0f steps/s), %d runs with mismatches\n",
			v, steps[v], secs[v], steps[v] / (secs[v] ? secs[v] : 1), bad[v]
}' "$run_dir/fuzz.txt" | tee "$run_dir/fuzz-summary.txt" >&2
if grep -nE 'BUG:|WARNING:|Call Trace|possible (circular|recursive) locking|KASAN:|UBSAN:|Oops' \
	"$run_dir/dmesg.txt" >"$run_dir/splats.txt"; then
	head -n 20 "$run_dir/splats.txt" >&2
	die "kernel splats in $run_dir/dmesg.txt"
fi
[ "$rc" -eq 0 ] || die "the fuzzer failed (exit $rc): $run_dir/fuzz.txt"
log "no mismatch, kernel log clean"
