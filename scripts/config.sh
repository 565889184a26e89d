#!/bin/bash
# Usage: scripts/config.sh [--src DIR --obj DIR] [FRAGMENT...]
#
# Makes the test kernel's .config in build/<base-id>/obj-<variant>/:
# "make ARCH=x86_64 allnoconfig", then the named fragments of
# Kconfig.snippets (default: $MD_FRAGMENTS, i.e. "test") merged with
# scripts/kconfig/merge_config.sh, then "make olddefconfig".  Every option a
# fragment asks for is then checked in the final .config; any that Kconfig
# dropped or changed is named and the step fails.
#
# The config is generated in a scratch folder and copied over the build's
# .config only when it differs, so an unchanged config never triggers a
# rebuild.
#
#   --src DIR  configure the kernel tree DIR instead of the work tree
#   --obj DIR  write the .config to DIR instead of obj-<variant>/
#              (scripts/base-kernel.sh: the pristine base, same fragments)

MD_STEP=config
. "$(dirname "$0")/lib.sh"
src="" obj=""
while [ "$#" -gt 0 ]; do
	case "$1" in
	-h | --help) usage; exit 0 ;;
	--src) src=$2; shift 2 ;;
	--obj) obj=$2; shift 2 ;;
	--) shift; break ;;
	-*) usage >&2; die "unknown argument: $1" ;;
	*) break ;;
	esac
done
[ "$#" -eq 0 ] || MD_FRAGMENTS="$*"
md_paths
MD_WT=${src:-$MD_WT}
MD_OBJ=${obj:-$MD_OBJ}
[ -e "$MD_WT/.git" ] || die "no work tree at $MD_WT: run scripts/worktree.sh first"

snippets=$MD_REPO/Kconfig.snippets
# obj-<name> is configured in config-gen-<name>, logged in config-<name>.log.
cfg_name=$(basename "$MD_OBJ")
cfg_name=${cfg_name#obj-}
gen=$MD_TREE_DIR/config-gen-$cfg_name
mkdir -p "$gen/frag"
frags=()
for f in $MD_FRAGMENTS; do
	awk -v want="$f" '/^#@fragment /{ p = ($2 == want); found += p; next } p { print } END { exit !found }' \
		"$snippets" >"$gen/frag/$f.config" || die "Kconfig.snippets has no fragment '$f'"
	frags+=("$gen/frag/$f.config")
done

stamp=$MD_OBJ/.config-stamp
want=$({ cat "${frags[@]}"; git -C "$MD_WT" rev-parse HEAD; } | sha256sum | cut -d' ' -f1)
if [ -f "$MD_OBJ/.config" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
	log "config for '$MD_FRAGMENTS' unchanged: $MD_OBJ/.config"
	exit 0
fi

kmake() { make -C "$MD_WT" ARCH=x86_64 O="$gen" "$@"; }
logf=$MD_LOGS/config-$cfg_name.log
{
	kmake allnoconfig
	"$MD_WT/scripts/kconfig/merge_config.sh" -m -O "$gen" "$gen/.config" "${frags[@]}"
	kmake olddefconfig
} >"$logf" 2>&1 || { tail -n 20 "$logf" >&2; die "config generation failed; log: $logf"; }

# Every requested option must have survived olddefconfig.
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*)
		if ! grep -qxF "$line" "$gen/.config"; then
			opt=${line%%=*}
			got=$(grep -E "^($opt=|# $opt is not set)" "$gen/.config" || echo "absent (unmet dependencies?)")
			warn "requested $line, final .config has: $got"
			bad=1
		fi
		;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }
		opt=${opt%% *}
		if grep -q "^$opt=" "$gen/.config"; then
			warn "requested '$line', final .config has: $(grep "^$opt=" "$gen/.config")"
			bad=1
		fi
		;;
	esac
done < <(cat "${frags[@]}")
[ "$bad" = 0 ] || die "Kconfig dropped options requested by Kconfig.snippets (see above)"

if cmp -s "$gen/.config" "$MD_OBJ/.config"; then
	log "config unchanged"
else
	mkdir -p "$MD_OBJ"
	cp "$gen/.config" "$MD_OBJ/.config"
	log "wrote $MD_OBJ/.config ($(grep -c '=y$' "$MD_OBJ/.config") options =y)"
fi
printf '%s\n' "$want" >"$stamp"
