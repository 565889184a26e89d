#!/bin/bash
# Usage: scripts/export.sh
#
# Exports the work tree's commits (base..HEAD in build/<base-id>/linux) to
# patches/: "git format-patch --base" output, one file per commit, a cover
# letter (0000-cover-letter.patch: its subject is the first line of
# Documentation/cover-letter.txt, its text the lines after the blank second,
# with @TEST_RESULTS@ replaced by the summary of the newest scripts/test.sh
# run of these commits and @MAINTAINERS@ by MAINTAINERS.frag) and the
# quilt-style patches/series.
# Patches that are no longer in the work tree are removed from patches/.
# Refuses to run with uncommitted changes in the work tree, which would not
# be exported.

MD_STEP='export'
. "$(dirname "$0")/lib.sh"
help_or_none "$@"
md_paths
PATCHES_DIR=${PATCHES_DIR:-$MD_REPO/patches}
COVER_TEXT=$MD_REPO/Documentation/cover-letter.txt

g() { git -C "$MD_WT" "$@"; }

# The summary line of the newest scripts/test.sh run of exactly these
# commits (same tree), for the cover letter.
test_results() {
	local tree d line i runs
	tree=$(g rev-parse 'HEAD^{tree}')
	# test-YYYYmmdd-HHMMSS-PID: the glob sorts them oldest first
	runs=("$BUILD_DIR"/runs/test-*)
	for ((i = ${#runs[@]} - 1; i >= 0; i--)); do
		d=${runs[i]}
		if [ ! -f "$d/tree" ] || [ ! -f "$d/summary.txt" ]; then
			continue
		fi
		[ "$(cat "$d/tree")" = "$tree" ] || continue
		line=$(tail -n 1 "$d/summary.txt")
		printf 'scripts/test.sh on this series (%s): %s\n' \
			"$(basename "$d" | cut -d- -f2)" "$line"
		return
	done
	echo 'scripts/test.sh has not been run on exactly this series yet.'
}
[ -d "$MD_WT/.git" ] || die "no work tree at $MD_WT: run scripts/worktree.sh first"
dirty=$(g status --porcelain --untracked-files=no | head -n 5)
[ -z "$dirty" ] || die "uncommitted changes in $MD_WT would not be exported:
$dirty"

n=$(g rev-list --count base..HEAD)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ "$n" -gt 0 ]; then
	# No Message-Id/threading and zeroed commit ids: the same commits
	# always export to the same files, wherever they were applied.
	g format-patch -q --zero-commit --no-thread --base=base --cover-letter \
		-o "$tmp" base..HEAD
	cover=$tmp/0000-cover-letter.patch
	# The cover letter is dated like the newest patch, not "now".
	date=$(g log -1 --format=%aD HEAD)
	sed -i "s/^Date: .*/Date: $date/" "$cover"
	if [ -f "$COVER_TEXT" ]; then
		subject=$(head -n 1 "$COVER_TEXT")
		results=$(test_results)
		awk -v subj="$subject" -v body="$COVER_TEXT" -v results="$results" \
			-v frag="$MD_REPO/MAINTAINERS.frag" '
			/\*\*\* SUBJECT HERE \*\*\*/ { sub(/\*\*\* SUBJECT HERE \*\*\*/, subj) }
			/^\*\*\* BLURB HERE \*\*\*$/ {
				while ((getline l < body) > 0) {
					if (++i <= 2)
						continue
					if (l == "@TEST_RESULTS@")
						l = results
					if (l == "@MAINTAINERS@") {
						while ((getline m < frag) > 0)
							print m
						continue
					}
					print l
				}
				next
			}
			{ print }' "$cover" >"$cover.new"
		mv "$cover.new" "$cover"
	fi
fi

rm -f "$PATCHES_DIR"/[0-9][0-9][0-9][0-9]-*.patch
: >"$PATCHES_DIR/series.new"
for f in "$tmp"/*.patch; do
	[ -e "$f" ] || continue
	cp "$f" "$PATCHES_DIR/"
	b=$(basename "$f")
	[ "$b" = 0000-cover-letter.patch ] || printf '%s\n' "$b" >>"$PATCHES_DIR/series.new"
done
mv "$PATCHES_DIR/series.new" "$PATCHES_DIR/series"

# Record that the work tree now holds exactly patches/, so that
# scripts/worktree.sh leaves it alone.
"$MD_SCRIPTS/worktree.sh" --stamp-only
log "exported $n patches to $PATCHES_DIR"
