#!/bin/bash
# scripts/summary.sh counts a crafted TAP stream right: passes, failures,
# harness and kselftest.h skips, a program that crashed after announcing
# more tests than it reported, a program with no nested results, a timed
# out program, host check lines and kernel splats.
. "$(dirname "$0")/lib.sh"
d=$(scratch)
cat >"$d/tap.txt" <<'END_OF_TAP'
TAP version 13
1..4
# timeout set to 45
# selftests: alpha: alpha_test
# TAP version 13
# 1..3
# ok 1 fix.var.first
# not ok 2 fix.var.second
# ok 3 fix.var.third # SKIP no mount
not ok 1 selftests: alpha: alpha_test # exit=1
# selftests: beta: beta_test
# 1..3
# ok 1 # SKIP needs pkeys
# ok 2 plain description
not ok 2 selftests: beta: beta_test # exit=139
# selftests: gamma: gamma.sh
ok 3 selftests: gamma: gamma.sh
# selftests: delta: delta.sh
#
not ok 4 selftests: delta: delta.sh # TIMEOUT 5 seconds
END_OF_TAP
printf 'ok 1 host: one\nnot ok 2 host: two # broke\nok 3 host: three # SKIP nothing to do\n' >"$d/host.tap"
out=$("$SCRIPTS/summary.sh" "$d" 2>&1) && fail "summary exited 0 with failures"
printf '%s\n' "$out" | sed 's/^/    | /'
want='PASS  alpha/alpha_test: fix.var.first
FAIL  alpha/alpha_test: fix.var.second
SKIP  alpha/alpha_test: fix.var.third  (SKIP no mount)
SKIP  beta/beta_test: needs pkeys  (SKIP needs pkeys)
PASS  beta/beta_test: plain description
FAIL  beta/beta_test: test 3 of 3  (never reported (crash or timeout))
PASS  gamma/gamma.sh
FAIL  delta/delta.sh  (TIMEOUT 5 seconds)
PASS  host: one
FAIL  host: two  (broke)
SKIP  host: three  (SKIP nothing to do)

4 passed, 4 failed, 3 skipped'
[ "$out" = "$want" ] || {
	diff <(printf '%s\n' "$want") <(printf '%s\n' "$out") || true
	fail "summary output differs from the expected (diff above: < expected, > got)"
}
printf 'one splat\n' >"$d/splats.txt"
out=$("$SCRIPTS/summary.sh" "$d" 2>&1) || true
grep -qx '4 passed, 5 failed, 3 skipped' <<<"$out" || fail "a kernel splat is not counted as a failure"
pass "the summary counts passes, failures, skips, crashes, timeouts and splats"
