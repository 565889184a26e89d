#!/bin/bash
# Without QEMU, scripts/boot.sh says so instead of failing obscurely.
. "$(dirname "$0")/lib.sh"
d=$(scratch)
expect_failure "missing QEMU" 'QEMU .* not found: install qemu-system-x86' -- \
	env QEMU=/nonexistent/qemu-system-x86_64 "$SCRIPTS/boot.sh" --run-dir "$d/run" -- true
pass "a missing QEMU is reported"
