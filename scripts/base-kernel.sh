#!/bin/bash
# Usage: scripts/base-kernel.sh [FRAGMENT...]
#
# Builds the pristine base kernel, tag "base" of the work tree's repository
# (build/<base-id>/linux, made by scripts/base.sh: Linux 6.12.117 without
# the series), with exactly the test kernel's configuration: the same
# Kconfig.snippets fragments (default: $MD_FRAGMENTS, i.e. "test") through
# scripts/config.sh.  Used to compare the series against the kernel it
# applies to (scripts/fstests.sh, benchmarks).
#
#   - sources: a detached git worktree of tag "base" in
#     build/<base-id>/linux-base (made once; the work tree itself is not
#     touched);
#   - objects: build/<base-id>/obj-base-<variant>, incremental, with ccache;
#   - log: build/logs/build-kernel-base-<variant>.log.
#
# Prints the path of the bzImage on stdout (progress goes to stderr), so
# that  kernel=$(scripts/base-kernel.sh)  works.  A first build takes
# 20-25 minutes on 2 cores; an up-to-date one a few seconds.

MD_STEP="base-kernel"
. "$(dirname "$0")/lib.sh"
case "${1:-}" in
-h | --help) usage; exit 0 ;;
-*) usage >&2; die "unknown argument: $1" ;;
esac
[ "$#" -eq 0 ] || MD_FRAGMENTS="$*"
md_paths
md_base_paths
need_cmd git make gcc ccache

[ -e "$MD_WT/.git" ] || die "no work tree at $MD_WT: run scripts/base.sh first"
base=$(git -C "$MD_WT" rev-parse -q --verify 'base^{commit}') ||
	die "$MD_WT has no tag 'base': run scripts/base.sh first"

# The worktree of the base, always exactly at tag "base".
if [ ! -e "$MD_BASE_WT/.git" ]; then
	log "adding a worktree of tag base ($(git -C "$MD_WT" rev-parse --short base)) at $MD_BASE_WT"
	git -C "$MD_WT" worktree prune
	git -C "$MD_WT" worktree add -q --detach "$MD_BASE_WT" base
fi
g() { git -C "$MD_BASE_WT" "$@"; }
if [ "$(g rev-parse HEAD)" != "$base" ] || [ -n "$(g status --porcelain --untracked-files=no)" ]; then
	log "resetting $MD_BASE_WT to tag base"
	g checkout -q -f --detach "$base"
fi

read -ra frags <<<"$MD_FRAGMENTS"
"$MD_SCRIPTS/config.sh" --src "$MD_BASE_WT" --obj "$MD_BASE_OBJ" "${frags[@]}" >&2

md_kbuild_env
kmake() { md_kmake "$MD_BASE_WT" "$MD_BASE_OBJ" "$@"; }
run_logged "$MD_LOGS/build-kernel-base-$MD_VARIANT.log" "base kernel bzImage" kmake bzImage >&2
bz=$MD_BASE_OBJ/arch/x86/boot/bzImage
log "base kernel $(tree_version "$MD_BASE_WT") without the series: $bz"
printf '%s\n' "$bz"
