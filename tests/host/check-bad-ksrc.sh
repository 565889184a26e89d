#!/bin/bash
# KSRC= naming a tree that is not 6.12.y, or no kernel tree at all, is
# refused with a clear message.
. "$(dirname "$0")/lib.sh"
d=$(scratch)
fake_tree "$d/linux-6.11" 11
mkdir -p "$d/empty"
expect_failure "KSRC of Linux 6.11" 'is Linux 6\.11\.99, not 6\.12\.y' -- \
	env BUILD_DIR="$d/build" KSRC="$d/linux-6.11" "$SCRIPTS/base.sh"
expect_failure "KSRC that is no kernel tree" 'no kernel Makefile|not a kernel tree' -- \
	env BUILD_DIR="$d/build" KSRC="$d/empty" "$SCRIPTS/base.sh"
pass "a KSRC that is not 6.12.y is refused"
