#!/bin/bash
# Every prefix of the series compiles: for k = 1 .. N-1 (the whole series is
# built and booted by the main job), the base plus the first k patches of
# patches/series, configured like the test kernel, compiles every object of
# the test kernel that a patch up to k touches, with the compiler's warnings
# as errors for those objects.  A patch that uses a symbol a later patch
# introduces fails here.  Runs in its own worktree and object folder.
. "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/lib.sh
. "$SCRIPTS/lib.sh"
md_paths
[ -f "$MD_OBJ/.config" ] || skip "no test kernel build in $MD_OBJ (run scripts/build.sh first)"
mapfile -t series < <(list_entries "$MD_REPO/patches/series")
[ "${#series[@]}" -gt 1 ] || pass "${#series[@]} patch(es): nothing between base and the whole series"

wt=$MD_TREE_DIR/bisect
obj=$MD_TREE_DIR/obj-bisect
g() { git -C "$wt" "$@"; }
if [ ! -e "$wt/.git" ]; then
	git -C "$MD_WT" worktree prune
	git -C "$MD_WT" worktree add -q --detach "$wt" base
fi
g am --abort >/dev/null 2>&1 || true
g checkout -q -f --detach base
g clean -q -fdx
mkdir -p "$obj"
cp "$MD_OBJ/.config" "$obj/.config"
md_kbuild_env
kmake() { md_kmake "$wt" "$obj" "$@"; }

touched=()
for ((k = 0; k < ${#series[@]} - 1; k++)); do
	p=${series[k]}
	GIT_COMMITTER_NAME=check GIT_COMMITTER_EMAIL=check@localhost \
		g am -q "$MD_REPO/patches/$p" || fail "$p does not apply"
	mapfile -t -O "${#touched[@]}" touched < <(g diff --name-only HEAD~1 HEAD -- '*.c')
	# The objects of the touched files that the test kernel builds.
	objs=()
	# plus the syscall tables, which no .c file of a patch names
	for f in $(printf '%s\n' "${touched[@]}" arch/x86/entry/syscall_64.c \
		arch/x86/entry/syscall_32.c | sort -u); do
		o=${f%.c}.o
		[ -f "$MD_OBJ/$o" ] && objs+=("$o")
	done
	log=$BUILD_DIR/logs/bisect-build-$((k + 1)).log
	echo "patches 1..$((k + 1)): compiling ${#objs[@]} objects (log: $log)"
	if ! { kmake olddefconfig && kmake KCFLAGS=-Werror "${objs[@]}"; } >"$log" 2>&1; then
		grep -E 'error|warning' "$log" | head -n 20
		fail "base + patches 1..$((k + 1)) (up to $p) does not compile, see $log"
	fi
done
pass "each of the first $((${#series[@]} - 1)) prefixes of the series compiles the test kernel objects it touches"
