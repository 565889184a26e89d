#!/bin/bash
# A kernel that panics at boot (here: its init cannot be run) is reported
# as a panic, with the last 40 lines of the serial log.
. "$(dirname "$0")/lib.sh"
d=$(scratch)
expect_failure "kernel panic at boot" 'panicked' 'last 40 lines of .*serial\.log' 'Kernel panic' -- \
	env MD_APPEND="init=/nonexistent-init" "$SCRIPTS/boot.sh" --run-dir "$d/run" \
	--boot-timeout 120 --timeout 300 -- true
pass "a panic at boot is reported with the serial log"
