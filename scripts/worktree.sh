#!/bin/bash
# Usage: scripts/worktree.sh [--reset | --stamp-only]
#
# Brings the work tree (build/<base-id>/linux, a git repository made by
# scripts/base.sh) to "base + patches/": every patch listed in
# patches/series is applied with "git am", one commit per patch.  This is
# the developers' work area: change it with commits (git commit --fixup,
# git rebase -i --autosquash) and bring the result back to patches/ with
# scripts/export.sh.
#
# If the work tree already holds exactly patches/, nothing is done.  If it
# holds commits or changes that patches/ does not have, it is left alone
# and the script fails, naming them; --reset discards them and re-applies
# patches/.
#
# A patch that does not apply is named together with the file and line git
# reports, and the work tree is put back at the base.
#
# --stamp-only records that the work tree's current commits are patches/
# (scripts/export.sh uses it right after exporting).

MD_STEP=worktree
. "$(dirname "$0")/lib.sh"

reset=0 stamp_only=0
case "${1:-}" in
-h | --help) usage; exit 0 ;;
--reset) reset=1 ;;
--stamp-only) stamp_only=1 ;;
"") ;;
*) usage >&2; die "unknown argument: $1" ;;
esac

md_paths
PATCHES_DIR=${PATCHES_DIR:-$MD_REPO/patches}
"$MD_SCRIPTS/base.sh"

series_file=$PATCHES_DIR/series
[ -f "$series_file" ] || die "$series_file missing"
mapfile -t series < <(list_entries "$series_file")
for p in "${series[@]}"; do
	[ -f "$PATCHES_DIR/$p" ] || die "patches/series lists $p, which is not in $PATCHES_DIR"
done

series_hash() {
	{
		cat "$series_file"
		for p in "${series[@]}"; do
			cat "$PATCHES_DIR/$p"
		done
	} | sha256sum | cut -d' ' -f1
}

g() { git -C "$MD_WT" "$@"; }

stamp=$MD_WT/.git/mapdirect-applied
want=$(series_hash)
head=$(g rev-parse HEAD)
base=$(g rev-parse base)
have_hash='' have_head=$base
if [ -f "$stamp" ]; then
	read -r have_hash have_head <"$stamp"
fi
dirty=$(g status --porcelain --untracked-files=no | head -n 5)

if [ "$stamp_only" = 1 ]; then
	printf '%s %s\n' "$want" "$head" >"$stamp"
	exit 0
fi

if [ "$have_hash" = "$want" ] && [ "$have_head" = "$head" ] && [ -z "$dirty" ]; then
	log "work tree already holds patches/ (${#series[@]} patches): $MD_WT"
	exit 0
fi
if [ "$reset" = 0 ]; then
	if [ -n "$dirty" ]; then
		die "work tree $MD_WT has uncommitted changes:
$dirty
commit them and run scripts/export.sh, or discard them with scripts/worktree.sh --reset"
	fi
	if [ "$head" != "$have_head" ]; then
		die "work tree $MD_WT has commits that are not in patches/:
$(g log --oneline "$have_head..$head" | head -n 10)
run scripts/export.sh to keep them, or scripts/worktree.sh --reset to discard them"
	fi
fi

g am --abort >/dev/null 2>&1 || true
g checkout -q -f -B series base
rm -f "$stamp"
for p in "${series[@]}"; do
	if ! out=$(GIT_COMMITTER_NAME=${GIT_COMMITTER_NAME:-MAP_DIRECT work tree} \
		GIT_COMMITTER_EMAIL=${GIT_COMMITTER_EMAIL:-worktree@localhost} \
		g am --committer-date-is-author-date "$PATCHES_DIR/$p" 2>&1); then
		g am --abort >/dev/null 2>&1 || true
		g reset -q --hard base
		printf '%s\n' "$out" | grep -E '^(error|fatal|Patch failed)' >&2 || printf '%s\n' "$out" >&2
		die "patch $p does not apply to the base ($MD_BASE_ID); work tree reset to the base"
	fi
done
printf '%s %s\n' "$want" "$(g rev-parse HEAD)" >"$stamp"
log "applied ${#series[@]} patches on $MD_BASE_ID: $MD_WT"
