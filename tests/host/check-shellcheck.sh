#!/bin/bash
# Every shell script of the project passes shellcheck.
. "$(dirname "$0")/lib.sh"
cd "$REPO"
mapfile -t files < <(git ls-files -co --exclude-standard -- '*.sh' .ci/run)
[ "${#files[@]}" -gt 0 ] || fail "no shell scripts found"
shellcheck -x "${files[@]}" || fail "shellcheck complains (see above)"
pass "${#files[@]} scripts shellcheck clean"
