#!/bin/bash
# Usage: scripts/main.sh [--use-worktree] [--run-dir DIR] [--no-summary]
#                        [--no-debug] [-c COLLECTION]... [-t COLLECTION:TEST]
#
# The main job, from a fresh Debian 12 machine to the test results:
#   1. deps      install the Debian packages           (scripts/deps.sh)
#   2. base      unpack the base tree into a git repo   (scripts/base.sh)
#   3. worktree  apply patches/ with git am             (scripts/worktree.sh)
#   4. config    make the test kernel's .config         (scripts/config.sh)
#   5. build     bzImage and the selftests              (scripts/build.sh)
#   6. run       boot QEMU with NVDIMMs, run the tests  (scripts/run.sh)
#      then config, build and run again with the "debug" fragment (lockdep,
#      DEBUG_VM, DEBUG_ATOMIC_SLEEP, KASAN) for tests/debug-collections
#   7. summary   one line per test, then "N passed, N failed, N skipped"
# Everything it makes is under build/ (BUILD_DIR); a second run rebuilds
# only what changed.  KSRC=/path/to/linux-6.12.y uses another base tree.
#
#   --use-worktree  build the work tree as it is (commits and changes not
#                   yet exported to patches/ included) instead of applying
#                   patches/: for trying a change before exporting it
#   --run-dir DIR   keep the run's logs and results in DIR
#   --no-summary    stop after the run (scripts/test.sh adds host checks
#                   and prints the summary itself)
#   --no-debug      skip the debug-kernel pass
#   -c COLLECTION   run only this selftest collection (repeatable); the
#                   debug pass runs only those of them it lists
#   -t COLLECTION:TEST  run only this test program (no debug pass)
#
# The VMA fuzzer's budget per variant: MD_FUZZ_STEPS and MD_FUZZ_SECONDS
# (default 5000 steps, at most 20 s) in the normal pass,
# MD_DEBUG_FUZZ_SECONDS (default 90 s) in the debug pass; scripts/fuzz.sh
# does long runs.
#
# Exit status: 0 when every test passed and the kernel log is clean.

MD_STEP=main
. "$(dirname "$0")/lib.sh"

run_dir='' summary=1 run_args=() use_wt=0 debug=1 cols=()
while [ "$#" -gt 0 ]; do
	case "$1" in
	-h | --help) usage; exit 0 ;;
	--run-dir) run_dir=$2; shift 2 ;;
	--no-summary) summary=0; shift ;;
	--use-worktree) use_wt=1; shift ;;
	--no-debug) debug=0; shift ;;
	-c) run_args+=("$1" "$2"); cols+=("$2"); shift 2 ;;
	-t) run_args+=("$1" "$2"); debug=0; shift 2 ;;
	*) usage >&2; die "unknown argument: $1" ;;
	esac
done
md_paths
[ -n "$run_dir" ] || run_dir=$BUILD_DIR/runs/$(date +%Y%m%d-%H%M%S)-$$
mkdir -p "$run_dir"
run_dir=$(realpath "$run_dir")
t_all=$(date +%s)
timings=()

step() {
	local name=$1 t0 rc=0
	shift
	t0=$(date +%s)
	printf '\n== %s ==\n' "$name" >&2
	"$@" || rc=$?
	timings+=("$name $(fmt_secs $(($(date +%s) - t0)))")
	return "$rc"
}

step deps "$MD_SCRIPTS/deps.sh"
step base "$MD_SCRIPTS/base.sh"
if [ "$use_wt" = 1 ]; then
	log "--use-worktree: building $MD_WT as it is, not patches/"
else
	step worktree "$MD_SCRIPTS/worktree.sh"
fi
step config "$MD_SCRIPTS/config.sh"
step build "$MD_SCRIPTS/build.sh"
# The VMA fuzzer (map_direct_fuzz_test) gets a budget per variant that
# fits the selftest timeout: more steps in the normal pass, as many as fit
# in the time on the slow debug kernel.  scripts/fuzz.sh does long runs.
fuzz_env="MD_FUZZ_STEPS=${MD_FUZZ_STEPS:-5000} MD_FUZZ_SECONDS=${MD_FUZZ_SECONDS:-20}"
dbg_fuzz_env="MD_FUZZ_STEPS=100000 MD_FUZZ_SECONDS=${MD_DEBUG_FUZZ_SECONDS:-90}"
run_rc=0
step run env MD_GUEST_ENV="$fuzz_env" "$MD_SCRIPTS/run.sh" --run-dir "$run_dir" \
	"${run_args[@]}" || run_rc=$?

# The debug pass: the collections of tests/debug-collections (those among
# the -c ones, if given) again, on the debug kernel.
debug_args=()
if [ "$debug" = 1 ]; then
	while IFS= read -r c; do
		if [ "${#cols[@]}" -eq 0 ] || printf '%s\n' "${cols[@]}" | grep -qxF "$c"; then
			debug_args+=(-c "$c")
		fi
	done < <(list_entries "$MD_REPO/tests/debug-collections")
fi
if [ "${#debug_args[@]}" -gt 0 ]; then
	dbg_env=(env MD_FRAGMENTS="$MD_FRAGMENTS debug" MD_GUEST_ENV="$dbg_fuzz_env")
	if step "config (debug)" "${dbg_env[@]}" "$MD_SCRIPTS/config.sh" &&
		step "build (debug)" "${dbg_env[@]}" "$MD_SCRIPTS/build.sh"; then
		step "run (debug)" "${dbg_env[@]}" "$MD_SCRIPTS/run.sh" \
			--run-dir "$run_dir/debug" "${debug_args[@]}" || run_rc=$?
	else
		warn "the debug kernel could not be configured or built: no debug pass"
		run_rc=1
	fi
	ln -sfn "$run_dir" "$BUILD_DIR/runs/latest"
fi
printf '%s\n' "${timings[@]}" >"$run_dir/timings.txt"
log "timings: $(printf '%s, ' "${timings[@]}")total $(fmt_secs $(($(date +%s) - t_all)))"
if [ "$summary" = 0 ]; then
	exit "$run_rc"
fi
printf '\n== summary (%s) ==\n' "$run_dir" >&2
src=0
"$MD_SCRIPTS/summary.sh" "$run_dir" || src=$?
[ "$run_rc" -eq 0 ] && [ "$src" -eq 0 ]
