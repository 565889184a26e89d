#!/bin/bash
# Usage: scripts/sync-selftests.sh [--check]
#
# tests/map_direct/ is the one source of the series' selftests; the
# selftests patch of the series ("selftests/map_direct: ...") carries the
# same files as tools/testing/selftests/map_direct/.  This script puts the
# source files of tests/map_direct/ (what git tracks or would track: no
# build products) into the work tree (build/<base-id>/linux) and folds the
# difference into that commit (git commit --fixup, then a non-interactive
# git rebase --autosquash), so that scripts/export.sh brings it to
# patches/.  Nothing is done when the two already agree.
#
#   --check  only compare tests/map_direct with the work tree's commit
#            (the work tree is not touched); exit 1 if they differ
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

rel=tools/testing/selftests/map_direct
g() { git -C "$MD_WT" "$@"; }
[ -d "$MD_WT/.git" ] || die "no work tree at $MD_WT: run scripts/worktree.sh first"
commit=$(g log --format=%H --grep='^selftests/map_direct: ' base..HEAD | head -n 1)
[ -n "$commit" ] || die "no 'selftests/map_direct:' commit in the work tree"
[ -z "$(g status --porcelain --untracked-files=no)" ] ||
	die "uncommitted changes in $MD_WT: commit or stash them first"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
md_selftest_sources "$tmp/src"
mkdir -p "$tmp/wt"
g archive HEAD -- "$rel" | tar -x -C "$tmp/wt"
mkdir -p "$tmp/wt/$rel"
if diff -r "$tmp/src" "$tmp/wt/$rel" >"$tmp/diff"; then
	log "$rel already matches tests/map_direct"
	exit 0
fi
if [ "$check" = 1 ]; then
	head -n 40 "$tmp/diff" >&2
	die "$rel of the work tree's HEAD differs from tests/map_direct (see above)"
fi
# The committed files are replaced by the sources; files of a local build
# in the folder are left alone.
g rm -r -q --cached -- "$rel"
g ls-tree -r --name-only -z HEAD -- "$rel" | (cd "$MD_WT" && xargs -0 -r rm -f --)
rsync -a "$tmp/src/" "$MD_WT/$rel/"
# -f: the kernel's top-level .gitignore ignores dot files such as .gitignore
(cd "$tmp/src" && find . -type f -printf "$rel/%P\0") | (cd "$MD_WT" && xargs -0 git add -f --)
g diff --cached --stat -- "$rel" >&2
g commit -q --fixup="$commit"
GIT_SEQUENCE_EDITOR=: g rebase -q -i --autosquash base ||
	die "the autosquash rebase stopped; finish it in $MD_WT"
log "folded tests/map_direct into $(g log -1 --format='%h %s' --grep='^selftests/map_direct: ' base..HEAD)"
log "next: scripts/export.sh"
