#!/bin/bash
# patches/ applies with "git am" (no fuzz, no 3-way) to a pristine base:
# a separate git worktree of the base commit, reset before every run.
. "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/lib.sh
. "$SCRIPTS/lib.sh"
md_paths
[ -d "$MD_WT/.git" ] || fail "no base repository at $MD_WT (run scripts/base.sh)"
g() { git -C "$MD_PRISTINE" "$@"; }
if [ ! -e "$MD_PRISTINE/.git" ]; then
	git -C "$MD_WT" worktree prune
	git -C "$MD_WT" worktree add -q --detach "$MD_PRISTINE" base
fi
g am --abort >/dev/null 2>&1 || true
g checkout -q -f --detach base
g clean -q -fdx
mapfile -t series < <(list_entries "$MD_REPO/patches/series")
for p in "${series[@]}"; do
	GIT_COMMITTER_NAME=check GIT_COMMITTER_EMAIL=check@localhost \
		g am -q "$MD_REPO/patches/$p" || fail "$p does not apply with git am to the pristine base"
	echo "applied $p"
done
pass "${#series[@]} patches apply to the pristine base with git am"
