#!/bin/bash
# Usage: scripts/gen-patch1.sh [--spatch-only] [--no-check] [--keep] [TREE]
#
# Regenerates patch 1/5, "vfs: add flags parameter to ->mmap() in 'struct
# file_operations'", from its Coccinelle semantic patch:
#
#  1. spatch pass 1 (scripts/cocci/mmap-flags-names.cocci) lists every
#     function stored in the .mmap member of a struct file_operations
#     initializer; the .mmap members set inside #define bodies (the DRM
#     fops macros) are added from the macro texts;
#  2. every file that mentions one of those names or call_mmap() is parsed
#     with spatch --parse-c: a parse error in a region that holds one of
#     them stops the script (Coccinelle silently skips what it cannot
#     parse; scripts/cocci/macros.h holds the hints that avoid it);
#  3. spatch pass 2 (scripts/cocci/mmap-flags.cocci) converts those files
#     in place;
#  4. scripts/cocci/patch1-hand.diff (the plumbing that has no map_flags
#     in scope: call_mmap, mmap_file, mmap_region, nommu, backing-file,
#     i915, drm prime, the documentation) is applied;
#  5. the result is committed with the message scripts/cocci/patch1-msg.txt
#     and a fixed author, committer and date, so that two runs on the same
#     base give the same commit;
#  6. tests/host/check-mmap-completeness.sh checks the result.
#
# TREE is a git work tree at the base, without uncommitted changes; the
# commit is made on top of its HEAD.  Without TREE, a temporary work tree of
# the project's base repository (build/<base-id>/linux, tag "base") is used,
# the patch is written to build/gen-patch1/ and the temporary tree is
# removed (--keep keeps it).
#
# --spatch-only  stop after step 3 and leave the changes uncommitted
#                (to refresh patch1-hand.diff: make the hand edits, then
#                "git diff > scripts/cocci/patch1-hand.diff")
# --no-check     skip step 6
#
# spatch runs under "nice -n 19" with -j2; its logs are in build/logs/
# (gen-patch1-*.log).

MD_STEP=gen-patch1
. "$(dirname "$0")/lib.sh"

spatch_only=0 check=1 keep=0 tree=
while [ $# -gt 0 ]; do
	case "$1" in
	-h | --help) usage; exit 0 ;;
	--spatch-only) spatch_only=1 ;;
	--no-check) check=0 ;;
	--keep) keep=1 ;;
	-*) usage >&2; die "unknown option: $1" ;;
	*)
		[ -z "$tree" ] || die "only one TREE can be given"
		tree=$1
		;;
	esac
	shift
done

need_cmd spatch git python3
md_paths
COCCI=$MD_SCRIPTS/cocci
NAMES_SP=$COCCI/mmap-flags-names.cocci
CONV_SP=$COCCI/mmap-flags.cocci
MACROS=$COCCI/macros.h
HAND=$COCCI/patch1-hand.diff
MSG=$COCCI/patch1-msg.txt
CHECK=$MD_REPO/tests/host/check-mmap-completeness.sh
req=("$NAMES_SP" "$CONV_SP" "$MACROS")
[ "$spatch_only" = 1 ] || req+=("$HAND" "$MSG")
for f in "${req[@]}"; do
	[ -f "$f" ] || die "$f is missing"
done

# The project's git identity and a fixed date: the commit must not depend
# on who runs the script, or when.
ID_NAME='Seed be320599 maintainers'
ID_EMAIL='maintainers@users.noreply.h-seed-be320599.example'
ID_DATE='2026-11-21T00:00:00Z'

LOG_NAMES=$MD_LOGS/gen-patch1-names.log
LOG_PARSE=$MD_LOGS/gen-patch1-parse.log
LOG_SPATCH=$MD_LOGS/gen-patch1-spatch.log
NAMES=$MD_LOGS/gen-patch1-names.txt
OUT_DIR=$BUILD_DIR/gen-patch1

tmp=$(mktemp -d)
wt=
cleanup() {
	if [ -n "$wt" ] && [ "$keep" = 0 ]; then
		git -C "$MD_WT" worktree remove --force "$wt" >/dev/null 2>&1 || true
		rm -rf "$(dirname "$wt")"
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

if [ -n "$tree" ]; then
	[ -d "$tree" ] || die "$tree is not a directory"
	tree=$(cd "$tree" && pwd)
	git -C "$tree" rev-parse --is-inside-work-tree >/dev/null 2>&1 ||
		die "$tree is not a git work tree"
	[ "$(git -C "$tree" rev-parse --show-toplevel)" = "$tree" ] ||
		die "$tree is not the top of its git work tree"
	git -C "$tree" diff --quiet HEAD -- ||
		die "$tree has uncommitted changes; commit or stash them first"
else
	git -C "$MD_WT" rev-parse -q --verify 'base^{commit}' >/dev/null 2>&1 ||
		"$MD_SCRIPTS/base.sh"
	git -C "$MD_WT" rev-parse -q --verify 'base^{commit}' >/dev/null ||
		die "no tag 'base' in $MD_WT"
	mkdir -p "$BUILD_DIR"
	wt=$(mktemp -d "$BUILD_DIR/gen-patch1-tree.XXXXXX")/linux
	git -C "$MD_WT" worktree add -q --detach "$wt" base ||
		die "cannot make a work tree of $MD_WT at $wt"
	tree=$wt
	log "temporary work tree $tree at tag base"
fi
if [ ! -f "$tree/Makefile" ] || [ ! -d "$tree/include/linux" ]; then
	die "$tree does not look like a kernel tree"
fi
cd "$tree"

SPATCH=(nice -n 19 spatch --include-headers --no-includes --macro-file "$MACROS")

# --- 1. the names of the file_operations ->mmap implementations ----------
run_logged "$LOG_NAMES" "spatch pass 1 (names)" \
	"${SPATCH[@]}" --sp-file "$NAMES_SP" -j 2 --use-gitgrep --dir .
{
	sed -n 's/^MMAPFN \([A-Za-z_][A-Za-z0-9_]*\) .*/\1/p' "$LOG_NAMES"
	# .mmap set in the body of a #define: keep the macros that build a
	# struct file_operations (their name says FOPS or their text names
	# the type).
	# shellcheck disable=SC2016  # an awk program
	git grep -l -e '\.mmap.*\\$' -- '*.h' '*.c' |
		xargs -r awk '
			function flush() {
				if (text ~ /file_operations/ || name ~ /FOPS/)
					for (i = 1; i <= n; i++)
						print fn[i]
				inmac = 0; n = 0; text = ""; name = ""
			}
			/^[[:space:]]*#[[:space:]]*define[[:space:]]/ {
				inmac = 1; name = $0
				sub(/^[[:space:]]*#[[:space:]]*define[[:space:]]+/, "", name)
				sub(/[^A-Za-z0-9_].*/, "", name)
			}
			inmac {
				text = text $0 "\n"
				if (match($0, /\.mmap[[:space:]]*=[[:space:]]*[A-Za-z_][A-Za-z0-9_]*/)) {
					f = substr($0, RSTART, RLENGTH)
					sub(/.*=[[:space:]]*/, "", f)
					if (f != "NULL")
						fn[++n] = f
				}
				if ($0 !~ /\\$/)
					flush()
			}'
} | LC_ALL=C sort -u >"$NAMES"
nnames=$(wc -l <"$NAMES")
[ "$nnames" -gt 0 ] || die "pass 1 found no file_operations ->mmap functions; see $LOG_NAMES"
ninit=$(grep -c '^MMAPFN ' "$LOG_NAMES" || true)
log "$nnames functions in $ninit .mmap initializers (list: $NAMES)"

# --- 2. every relevant file must parse where it matters -------------------
pat="$(paste -sd'|' "$NAMES")|call_mmap"
# tools/ is user space: its perf_mmap is a struct.
git grep -l -w -E "$pat" -- '*.c' '*.h' ':!tools/' | LC_ALL=C sort >"$tmp/files"
# Files that may hold a file_operations initializer (for pass 1).
git grep -l -F -e 'file_operations' -- '*.c' '*.h' ':!tools/' |
	LC_ALL=C sort >"$tmp/fops-files"
git grep -l -F -e '.mmap' -- '*.c' '*.h' ':!tools/' | LC_ALL=C sort >"$tmp/mmap-files"
LC_ALL=C comm -12 "$tmp/fops-files" "$tmp/mmap-files" >"$tmp/init-files"
LC_ALL=C sort -u "$tmp/files" "$tmp/init-files" >"$tmp/parse-files"
mkdir -p "$tmp/parse"
parse_one() {
	nice -n 19 spatch --parse-c "$1" --no-includes --macro-file "$MACROS" \
		>"$tmp/parse/$(printf '%s' "$1" | tr / %)" 2>&1
}
export -f parse_one
export tmp MACROS
# shellcheck disable=SC2016  # $1 is expanded by the inner bash
run_logged "$tmp/parse-run.log" "spatch --parse-c of $(wc -l <"$tmp/parse-files") files" \
	xargs -a "$tmp/parse-files" -P 2 -n 1 bash -c 'parse_one "$1"' _
: >"$LOG_PARSE"
bad_files=()
while IFS= read -r f; do
	out=$tmp/parse/$(printf '%s' "$f" | tr / %)
	{ printf '===== %s\n' "$f"; cat "$out"; } >>"$LOG_PARSE"
	# The text of what could not be parsed follows "bad:" (or "BAD:!!!!!"
	# for the line of the error).  Relevant: it holds a name, call_mmap()
	# or a ".mmap =".  #define bodies (lines ending in a backslash) are
	# not C that spatch transforms; the .mmap of the fops macros comes
	# from the grep above.
	if grep -E '^(bad|BAD:!!!!!):' "$out" | grep -v '\\[[:space:]]*$' |
		grep -qE "\\b($pat)\\b|\\.mmap[[:space:]]*=[[:space:]]*[A-Za-z_]"; then
		bad_files+=("$f")
	elif grep -qE 'timeout = [1-9]|exn while|Fatal error' "$out"; then
		bad_files+=("$f")
	fi
done <"$tmp/parse-files"
if [ "${#bad_files[@]}" -gt 0 ]; then
	printf '  %s\n' "${bad_files[@]}" >&2
	die "spatch cannot parse the ->mmap code of the ${#bad_files[@]} files above (parse error, Skipping); add a hint to $MACROS; log: $LOG_PARSE"
fi
log "$(wc -l <"$tmp/parse-files") files parse where it matters"

# --- 3. the conversion ----------------------------------------------------
# One group per file, so that -j 2 can share them out.
sed 's/$/\n/' "$tmp/files" >"$tmp/groups"
run_logged "$LOG_SPATCH" "spatch pass 2 (convert $(wc -l <"$tmp/files") files)" \
	"${SPATCH[@]}" --sp-file "$CONV_SP" -D patch -D "names_file=$NAMES" \
	-j 2 --file-groups "$tmp/groups" --in-place
if grep -nE 'parse error|Skipping|[Tt]imeout|exn while|^Fatal error|EXN' "$LOG_SPATCH" >&2; then
	die "spatch pass 2 reported the problems above; log: $LOG_SPATCH"
fi
[ -z "$(git status --porcelain --untracked-files=normal | grep -v '^ M ' || true)" ] ||
	die "spatch left files other than modified tracked ones: $(git status --porcelain | grep -v '^ M ' | head -n 5)"
log "spatch changed $(git diff --name-only | wc -l) files"

if [ "$spatch_only" = 1 ]; then
	log "stopped after spatch (--spatch-only): the changes are uncommitted in $tree"
	keep=1
	exit 0
fi

# --- 4. the hand edits ----------------------------------------------------
git apply --check "$HAND" 2>"$tmp/apply.err" || {
	cat "$tmp/apply.err" >&2
	die "$HAND does not apply on top of the spatch output"
}
git apply "$HAND"
log "applied $(basename "$HAND") ($(grep -c '^diff --git' "$HAND") files)"

# --- 5. the commit --------------------------------------------------------
git add -u
GIT_AUTHOR_NAME=$ID_NAME GIT_AUTHOR_EMAIL=$ID_EMAIL GIT_AUTHOR_DATE=$ID_DATE \
	GIT_COMMITTER_NAME=$ID_NAME GIT_COMMITTER_EMAIL=$ID_EMAIL \
	GIT_COMMITTER_DATE=$ID_DATE \
	git -c commit.gpgsign=false -c core.hooksPath=/dev/null \
	commit -q --no-verify --cleanup=whitespace -F "$MSG"
log "commit $(git rev-parse HEAD), tree $(git rev-parse 'HEAD^{tree}'):" \
	"$(git diff --shortstat HEAD~1 HEAD)"

# --- 6. the completeness check --------------------------------------------
if [ "$check" = 1 ]; then
	"$CHECK" "$tree" >"$tmp/check.log" 2>&1 || {
		cat "$tmp/check.log" >&2
		die "the completeness check fails on the result"
	}
	log "$(tail -n 1 "$tmp/check.log")"
fi

if [ -n "$wt" ]; then
	mkdir -p "$OUT_DIR"
	rm -f "$OUT_DIR"/*.patch
	git format-patch -q --zero-commit -o "$OUT_DIR" -1 HEAD
	log "patch: $(ls "$OUT_DIR"/*.patch)"
fi
step_done
