#!/bin/bash
# A selftest that hangs is stopped by the per-test timeout of its
# collection's "settings" and counted as failed by the summary.
. "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/lib.sh
. "$SCRIPTS/lib.sh"
md_paths
d=$(scratch)
inst=$d/install
[ -x "$MD_KST/install/run_kselftest.sh" ] || fail "no installed selftests in $MD_KST/install"
mkdir -p "$inst/hang"
cp -r "$MD_KST/install/run_kselftest.sh" "$MD_KST/install/kselftest" "$inst/"
printf '#!/bin/sh\necho "# sleeping past the timeout"\nsleep 600\n' >"$inst/hang/hang.sh"
chmod +x "$inst/hang/hang.sh"
echo "timeout=5" >"$inst/hang/settings"
echo "hang:hang.sh" >"$inst/kselftest-list.txt"
"$SCRIPTS/boot.sh" --run-dir "$d/run" --timeout 300 -- "$SCRIPTS/guest-run.sh" "$inst" || true
grep -q 'TIMEOUT 5 seconds' "$d/run/tap.txt" || fail "the runner did not time the test out"
expect_failure "summary of a timed-out test" '^FAIL  hang/hang\.sh.*TIMEOUT' '^0 passed, 1 failed, 0 skipped$' -- \
	"$SCRIPTS/summary.sh" "$d/run"
pass "a hanging test is timed out and counted as failed"
