#!/bin/bash
# Usage: scripts/test.sh
#
# The test command: the main job (scripts/main.sh: install, apply, build,
# boot with NVDIMMs, run the selftests) plus the host checks in tests/host/:
# a shellcheck run over every script, "git am" of patches/ onto a pristine base,
# checkpatch.pl --strict of every patch, and the deliberately broken inputs
# (a patch that does not apply, a KSRC that is not 6.12, no QEMU, a kernel
# that panics or hangs at boot, a test that hangs).  Then the summary.
#
# Exit status: non-zero on any failed test or host check, any kernel splat,
# or any test skipped under QEMU that tests/allowed-skips does not list.

MD_STEP='test'
. "$(dirname "$0")/lib.sh"
help_or_none "$@"
md_paths
run_dir=$BUILD_DIR/runs/test-$(date +%Y%m%d-%H%M%S)-$$
mkdir -p "$run_dir/host"
t0=$(date +%s)

main_rc=0
"$MD_SCRIPTS/main.sh" --run-dir "$run_dir" --no-summary || main_rc=$?
[ -s "$run_dir/tap.txt" ] || die "the main job produced no test results (exit $main_rc)"

printf '\n== host checks ==\n' >&2
n=0
: >"$run_dir/host.tap"
for check in "$MD_REPO"/tests/host/check-*.sh; do
	name=$(basename "$check" .sh)
	name=${name#check-}
	n=$((n + 1))
	c0=$(date +%s)
	rc=0
	BUILD_DIR=$BUILD_DIR MD_RUN_DIR=$run_dir "$check" >"$run_dir/host/$name.log" 2>&1 || rc=$?
	took=$(fmt_secs $(($(date +%s) - c0)))
	case "$rc" in
	0) echo "ok $n host: $name" >>"$run_dir/host.tap" ;;
	4) echo "ok $n host: $name # SKIP $(tail -n 1 "$run_dir/host/$name.log")" >>"$run_dir/host.tap" ;;
	*) echo "not ok $n host: $name # $(tail -n 1 "$run_dir/host/$name.log")" >>"$run_dir/host.tap" ;;
	esac
	log "$name: exit $rc in $took (log: $run_dir/host/$name.log)"
done

printf '\n== summary (%s) ==\n' "$run_dir" >&2
src=0
"$MD_SCRIPTS/summary.sh" --strict-skips "$run_dir" >"$run_dir/summary.txt" || src=$?
cat "$run_dir/summary.txt"
# What was tested, for the cover letter (scripts/export.sh).
git -C "$MD_WT" rev-parse 'HEAD^{tree}' >"$run_dir/tree" 2>/dev/null || true
log "test command took $(fmt_secs $(($(date +%s) - t0)))"
[ "$main_rc" -eq 0 ] && [ "$src" -eq 0 ]
