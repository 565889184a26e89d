#!/bin/bash
# A guest that hangs before the test init starts is killed after the boot
# timeout and reported with the last 40 lines of the serial log.
. "$(dirname "$0")/lib.sh"
d=$(scratch)
expect_failure "hang at boot" 'did not reach its init within 20s' 'last 40 lines of' -- \
	env MD_APPEND="init=$HOST_DIR/hang-init.sh" "$SCRIPTS/boot.sh" --run-dir "$d/run" \
	--boot-timeout 20 --timeout 300 -- true
grep -q 'hang-init: sleeping forever' "$d/run/serial.log" ||
	fail "the hanging init never ran; the check did not test a hang"
pass "a hang at boot is killed after the boot timeout"
