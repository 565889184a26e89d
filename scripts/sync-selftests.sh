#!/bin/bash
# Usage: scripts/sync-selftests.sh [--check]
#
# tests/map_direct/ is the one source of the series' selftests; the
# selftests patch of the series ("selftests/map_direct: ...") carries the
# same files as tools/testing/selftests/map_direct/.  This script copies
# tests/map_direct/ into the work tree (build/<base-id>/linux) and folds
# the difference into that commit (git commit --fixup, then a
# non-interactive git rebase --autosquash), so that scripts/export.sh
# brings it to patches/.  Nothing is done when the two already agree.
#
#   --check  only compare, and exit 1 if they differ
#
# tests/host/check-selftests-sync.sh checks that patches/ and tests/ agree.

MD_STEP=sync-selftests
. "$(dirname "$0")/lib.sh"

check=0
case "${1:-}" in
-h | --help) usage; exit 0 ;;
--check) check=1 ;;
"") ;;
*) usage >&2; die "unknown argument: $1" ;;
esac
md_paths
need_cmd git rsync

src=$MD_REPO/tests/map_direct
rel=tools/testing/selftests/map_direct
g() { git -C "$MD_WT" "$@"; }
[ -d "$MD_WT/.git" ] || die "no work tree at $MD_WT: run scripts/worktree.sh first"
commit=$(g log --format=%H --grep='^selftests/map_direct: ' base..HEAD | head -n 1)
[ -n "$commit" ] || die "no 'selftests/map_direct:' commit in the work tree"
[ -z "$(g status --porcelain --untracked-files=no)" ] ||
	die "uncommitted changes in $MD_WT: commit or stash them first"

rsync -a --delete "$src/" "$MD_WT/$rel/"
# -f: the top-level .gitignore ignores dot files such as .gitignore
g add -A -f -- "$rel"
if g diff --cached --quiet -- "$rel"; then
	log "$rel already matches tests/map_direct"
	exit 0
fi
if [ "$check" = 1 ]; then
	g diff --cached --stat -- "$rel" >&2
	g reset -q -- "$rel"
	g checkout -q -- "$rel"
	g clean -qfd -- "$rel"
	die "$rel differs from tests/map_direct (see above)"
fi
g diff --cached --stat -- "$rel" >&2
g commit -q --fixup="$commit"
GIT_SEQUENCE_EDITOR=: g rebase -q -i --autosquash base ||
	die "the autosquash rebase stopped; finish it in $MD_WT"
log "folded tests/map_direct into $(g log -1 --format='%h %s' "$(g log --format=%H --grep='^selftests/map_direct: ' base..HEAD | head -n 1)")"
log "next: scripts/export.sh"
