#!/bin/bash
# Usage (in the guest, as the command of scripts/boot.sh):
#   scripts/guest-run.sh INSTALL_DIR [run_kselftest.sh options...]
#
# Runs the installed kselftests with the kernel's runner (per-test timeouts
# from each target's "settings"), writes the whole TAP stream to
# $MD_RESULTS/tap.txt and echoes the top-level results to the console.
# Exit status: the runner's.

set -u
inst=$1
shift
cd "$inst" || exit 1
echo "MAPDIRECT-GUEST: first test at $(cut -d' ' -f1 /proc/uptime)s"
./run_kselftest.sh "$@" 2>&1 | tee "$MD_RESULTS/tap.txt" | grep -E '^(not )?ok '
rc=${PIPESTATUS[0]}
echo "MAPDIRECT-GUEST: tests done at $(cut -d' ' -f1 /proc/uptime)s"
exit "$rc"
