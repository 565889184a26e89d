#!/bin/bash
# tests/map_direct/config, the kernel options the selftests need, is what
# "make kselftest-merge" or merge_config.sh add to a configuration: merged
# onto x86_64_defconfig of the work tree (scripts/kconfig/merge_config.sh,
# then olddefconfig), every option it asks for must survive.  An option
# whose dependencies the fragment does not name is dropped silently by
# Kconfig and leaves a kernel on which the tests SKIP.
. "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/lib.sh
. "$SCRIPTS/lib.sh"
md_paths
frag=$REPO/tests/map_direct/config
[ -f "$MD_WT/scripts/kconfig/merge_config.sh" ] || fail "no merge_config.sh in $MD_WT (run scripts/worktree.sh)"
d=$(scratch)
obj=$d/obj
mkdir -p "$obj"
make -s -C "$MD_WT" O="$obj" ARCH=x86_64 x86_64_defconfig >"$d/make.log" 2>&1 ||
	fail "make x86_64_defconfig failed (log: $d/make.log)"
(cd "$MD_WT" && ARCH=x86_64 scripts/kconfig/merge_config.sh -m -O "$obj" \
	"$obj/.config" "$frag") >"$d/merge.log" 2>&1 || fail "merge_config.sh failed (log: $d/merge.log)"
make -s -C "$MD_WT" O="$obj" ARCH=x86_64 olddefconfig >>"$d/make.log" 2>&1 ||
	fail "make olddefconfig failed (log: $d/make.log)"
missing=()
while IFS= read -r opt; do
	grep -qx -- "$opt" "$obj/.config" || missing+=("$opt")
done < <(grep -E '^CONFIG_[A-Z0-9_]+=' "$frag")
[ "${#missing[@]}" -eq 0 ] ||
	fail "merged onto x86_64_defconfig, these options of tests/map_direct/config do not survive: ${missing[*]}"
pass "$(grep -cE '^CONFIG_' "$frag") options of tests/map_direct/config survive a merge onto x86_64_defconfig"
