#!/bin/bash
# Usage: tests/host/check-maintainers.sh
#
# MAINTAINERS.frag, the MAINTAINERS entry the series adds, checked with the
# base tree's scripts/get_maintainer.pl in a scratch tree (the work tree and
# its repository are never modified):
#  1. self-test: the base MAINTAINERS with the fragment appended gives no
#     complaint under "get_maintainer.pl --self-test=patterns,sections" that
#     the base MAINTAINERS alone does not give.  The file list is the base
#     tree's plus the files that patches/ adds, so F: patterns may name
#     files the series creates.
#  2. lists: "get_maintainer.pl --nogit --nogit-fallback" on each patch of
#     patches/series (same MAINTAINERS) names the mailing lists expected
#     from the files the patch touches:
#       fs/xfs/                                    linux-xfs
#       fs/ext4/                                   linux-ext4
#       fs/<file>, include/linux/fs.h              linux-fsdevel
#       mm/, include/linux/mm.h                    linux-mm
#       include/uapi/, arch/*/include/uapi/,
#       syscall tables, include/linux/syscalls.h   linux-api
#     plus, for every patch, every L: list of the fragment (the entry must
#     cover every patch of the series, through its K: keywords or F:
#     patterns), and for the first patch linux-fsdevel and linux-mm.
# A self-test takes two to four minutes; the results are cached in
# build/host-tmp/maintainers-cache (MD_MAINTAINERS_CACHE), keyed by the
# MAINTAINERS file, the file list and get_maintainer.pl.
# Exit 0 pass, 1 fail; the last line is the reason.

set -euo pipefail
. "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/lib.sh
. "$SCRIPTS/lib.sh"
help_or_none "$@"
md_paths

frag=$REPO/MAINTAINERS.frag
[ -s "$frag" ] || fail "no $frag"
command -v perl >/dev/null || fail "perl is not installed; run scripts/deps.sh"
[ -d "$MD_WT/.git" ] || fail "no work tree repository at $MD_WT (run scripts/worktree.sh)"
g() { git -C "$MD_WT" "$@"; }
base_tree=$(g rev-parse --verify -q 'base^{tree}') ||
	fail "no tag 'base' in $MD_WT (run scripts/base.sh)"
objects=$(cd "$MD_WT" && realpath "$(git rev-parse --git-common-dir)/objects")
cache=${MD_MAINTAINERS_CACHE:-$BUILD_DIR/host-tmp/maintainers-cache}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gm=$work/get_maintainer.pl
g show base:scripts/get_maintainer.pl >"$gm"
g show base:MAINTAINERS >"$work/MAINTAINERS.base"
{
	cat "$work/MAINTAINERS.base"
	echo
	cat "$frag"
} >"$work/MAINTAINERS.new"

mapfile -t series < <(list_entries "$REPO/patches/series")
[ "${#series[@]}" -gt 0 ] || fail "patches/series lists no patches"

# The scratch tree: a repository that borrows the work tree's objects, with
# an index of the base tree plus the files the patches add (as empty files,
# which is all "git ls-files" needs), and links to the top-level entries of
# the work tree so that get_maintainer.pl recognizes a kernel tree.
tree=$work/tree
git init -q "$tree"
echo "$objects" >"$tree/.git/objects/info/alternates"
t() { git -C "$tree" "$@"; }
t read-tree "$base_tree"
empty=$(t hash-object -w --stdin </dev/null)
added=0
for p in "${series[@]}"; do
	while read -r kind path; do
		case "$kind" in
		add) t update-index --add --cacheinfo "100644,$empty,$path"; added=$((added + 1)) ;;
		del) t update-index --force-remove "$path" ;;
		esac
	done < <(awk '
		/^diff --git a\// { path = $4; sub(/^b\//, "", path); next }
		/^new file mode/ { print "add", path }
		/^deleted file mode/ { print "del", path }
		/^rename to / { print "add", substr($0, 11) }
		/^rename from / { print "del", substr($0, 13) }
	' "$REPO/patches/$p")
done
for e in "$MD_WT"/* "$MD_WT"/.mailmap; do
	case "$(basename "$e")" in
	MAINTAINERS) ;;
	*) ln -s "$e" "$tree/$(basename "$e")" ;;
	esac
done
echo "scratch tree: base $base_tree, $(t ls-files | wc -l) files ($added added by patches/)"

# get_maintainer.pl MAINTAINERS-FILE ARGS...: run in the scratch tree.
gmrun() {
	cp "$1" "$tree/MAINTAINERS"
	shift
	(cd "$tree" && nice -n 10 perl "$gm" "$@")
}

# 1. self-test ---------------------------------------------------------------
strip_lines() {	# the complaints without their MAINTAINERS line numbers
	sed -E 's/^\.\/MAINTAINERS:[0-9]+: //' "$1" | LC_ALL=C sort
}
mkdir -p "$cache"
# selftest NAME MAINTAINERS-FILE: the path of its self-test output, made
# now or taken from the cache (keyed by the file, the file list and the
# script).
selftest() {
	local out key t0
	key=$({ cat "$2" "$gm"; t ls-files; } | sha256sum | cut -c1-16)
	out=$cache/selftest-$key.txt
	if [ -s "$out.done" ]; then
		echo "self-test of the $1 MAINTAINERS: cached ($out)" >&2
	else
		t0=$(date +%s)
		gmrun "$2" --self-test=patterns,sections >"$out" 2>&1 ||
			fail "get_maintainer.pl --self-test failed on the $1 MAINTAINERS: $(tail -n 3 "$out")"
		echo "$(wc -l <"$out") complaints" >"$out.done"
		echo "self-test of the $1 MAINTAINERS: $(wc -l <"$out") complaints in $(($(date +%s) - t0))s" >&2
	fi
	echo "$out"
}
base_st=$(selftest base "$work/MAINTAINERS.base")
new_st=$(selftest "base + fragment" "$work/MAINTAINERS.new")
LC_ALL=C comm -13 <(strip_lines "$base_st") <(strip_lines "$new_st") >"$work/new-complaints"
bad=()
n=0
n=$((n + 1))
if [ -s "$work/new-complaints" ]; then
	echo "not ok $n - self-test: the fragment adds complaints"
	sed 's/^/#   /' "$work/new-complaints"
	bad+=("self-test")
else
	echo "ok $n - self-test: no new complaints ($(wc -l <"$base_st") in the base MAINTAINERS)"
fi

# 2. lists per patch ---------------------------------------------------------
mapfile -t frag_lists < <(sed -n -E 's/^L:[[:space:]]*([^[:space:]]+).*/\1/p' "$frag")
[ "${#frag_lists[@]}" -gt 0 ] || fail "MAINTAINERS.frag has no L: line"

# The lists expected for patch file $1 (number $2 in the series), one per line.
expected_lists() {
	local files
	files=$(awk '/^diff --git a\// { a = $3; b = $4; sub(/^a\//, "", a); sub(/^b\//, "", b); print a; print b }' "$1" | sort -u)
	printf '%s\n' "${frag_lists[@]}"
	if [ "$2" = 1 ]; then
		echo linux-fsdevel@vger.kernel.org
		echo linux-mm@kvack.org
	fi
	grep -q '^fs/xfs/' <<<"$files" && echo linux-xfs@vger.kernel.org
	grep -q '^fs/ext4/' <<<"$files" && echo linux-ext4@vger.kernel.org
	grep -Eq '^fs/[^/]+$|^include/linux/fs\.h$' <<<"$files" && echo linux-fsdevel@vger.kernel.org
	grep -Eq '^mm/|^include/linux/mm\.h$' <<<"$files" && echo linux-mm@kvack.org
	grep -Eq '^include/uapi/|^arch/[^/]+/include/uapi/|syscall[^/]*\.tbl$|^include/linux/syscalls\.h$' \
		<<<"$files" && echo linux-api@vger.kernel.org
	return 0
}

i=0
for p in "${series[@]}"; do
	f=$REPO/patches/$p
	i=$((i + 1))
	n=$((n + 1))
	if ! grep -q '^diff --git ' "$f"; then
		echo "ok $n - $p: no diff, nothing to check # SKIP"
		continue
	fi
	gmrun "$work/MAINTAINERS.new" --nogit --nogit-fallback --norolestats --nom --nor --l \
		"$f" >"$work/gm.out" 2>"$work/gm.err" ||
		fail "get_maintainer.pl failed on $p: $(tail -n 3 "$work/gm.err")"
	missing=() found=()
	while read -r want; do
		if grep -qixF "$want" "$work/gm.out"; then
			found+=("$want")
		else
			missing+=("$want")
		fi
	done < <(expected_lists "$f" "$i" | sort -u)
	if [ "${#missing[@]}" -gt 0 ]; then
		echo "not ok $n - $p: get_maintainer.pl does not name ${missing[*]}"
		echo "#   it names: $(tr '\n' ' ' <"$work/gm.out")"
		bad+=("$p")
	else
		echo "ok $n - $p: names the ${#found[@]} expected lists among $(wc -l <"$work/gm.out"): ${found[*]}"
	fi
done

echo "1..$n"
[ "${#bad[@]}" -eq 0 ] || fail "MAINTAINERS.frag: ${#bad[@]} of $n checks failed: ${bad[*]}"
pass "MAINTAINERS.frag: self-test clean, expected lists named for ${#series[@]} patches"
