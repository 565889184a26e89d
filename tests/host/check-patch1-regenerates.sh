#!/bin/bash
# scripts/gen-patch1.sh (Coccinelle + the documented hand edits) run on the
# pristine base reproduces patches/0001-*.patch exactly; only the
# "[PATCH n/m]" numbering of the subject, which depends on the length of
# the series, is not compared.
. "$(dirname "$0")/lib.sh"
mine=$(ls "$REPO"/patches/0001-*.patch 2>/dev/null || true)
[ -n "$mine" ] || fail "no patches/0001-*.patch"
"$SCRIPTS/gen-patch1.sh" --no-check || fail "scripts/gen-patch1.sh failed"
gen=$(ls "$BUILD_DIR"/gen-patch1/*.patch)
norm() { sed 's/^Subject: \[PATCH[^]]*\]/Subject: [PATCH]/' "$1"; }
if ! diff -u <(norm "$mine") <(norm "$gen") >"$BUILD_DIR/gen-patch1/regen.diff"; then
	head -n 40 "$BUILD_DIR/gen-patch1/regen.diff"
	fail "the regenerated patch 1 differs from $(basename "$mine") (diff: $BUILD_DIR/gen-patch1/regen.diff)"
fi
pass "gen-patch1.sh reproduces $(basename "$mine") exactly"
