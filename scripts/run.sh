#!/bin/bash
# Usage: scripts/run.sh [-c COLLECTION]... [-t COLLECTION:TEST]... [--run-dir DIR]
#
# Runs the installed selftests in the guest (scripts/boot.sh with
# scripts/guest-run.sh), all of them or the collections/tests named, then
# scans the guest kernel log for splats: any BUG:, WARNING:, Call Trace,
# lockdep or KASAN report is written to <run-dir>/splats.txt and fails the
# run.  The TAP output is <run-dir>/tap.txt; build/runs/latest points at
# the newest run.  scripts/summary.sh turns the run folder into the result
# lines and the closing "N passed, N failed, N skipped" line.
#
# Exit status: 0 when the guest ran the tests and the kernel log is clean
# (test failures are judged by scripts/summary.sh), 1 otherwise.

MD_STEP=run
. "$(dirname "$0")/lib.sh"
md_paths

ksft_args=() run_dir=
while [ "$#" -gt 0 ]; do
	case "$1" in
	-h | --help) usage; exit 0 ;;
	-c | -t) ksft_args+=("$1" "$2"); shift 2 ;;
	--run-dir) run_dir=$2; shift 2 ;;
	*) usage >&2; die "unknown argument: $1" ;;
	esac
done
inst=$MD_KST/install
[ -x "$inst/run_kselftest.sh" ] || die "no selftests installed in $inst: run scripts/build.sh first"
if [ -z "$run_dir" ]; then
	run_dir=$BUILD_DIR/runs/$(date +%Y%m%d-%H%M%S)-$$
fi
mkdir -p "$run_dir"
ln -sfn "$(realpath "$run_dir")" "$BUILD_DIR/runs/latest"

rc=0
"$MD_SCRIPTS/boot.sh" --run-dir "$run_dir" -- \
	"$MD_SCRIPTS/guest-run.sh" "$inst" "${ksft_args[@]}" || rc=$?
[ -s "$run_dir/tap.txt" ] || die "the guest produced no TAP output (boot exit $rc); see $run_dir/serial.log"

# Kernel splats fail the run, whatever the tests said.
klog=$run_dir/dmesg.txt
[ -s "$klog" ] || klog=$run_dir/serial.log
grep -nE 'BUG:|WARNING:|Call Trace|possible (circular|recursive) locking|inconsistent lock state|suspicious RCU usage|DEBUG_LOCKS_WARN_ON|KASAN:|UBSAN:|Oops|Kernel panic|general protection fault|INFO: task .* blocked' \
	"$klog" >"$run_dir/splats.txt" || true
if [ -s "$run_dir/splats.txt" ]; then
	warn "kernel splats in $klog:"
	head -n 20 "$run_dir/splats.txt" >&2
	die "the guest kernel log has $(wc -l <"$run_dir/splats.txt") splat lines (see $run_dir/splats.txt)"
fi
log "tests ran, kernel log clean; results in $run_dir"
