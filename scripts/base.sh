#!/bin/bash
# Usage: scripts/base.sh            (or KSRC=/path/to/linux-6.12.y scripts/base.sh)
#
# Provides the base tree as a git repository whose tag "base" is the
# pristine source:
#   - by default the tarball of Debian's linux-source-6.12 package at the
#     version pinned in scripts/base.env (installed with apt-get if absent);
#   - with KSRC=, any 6.12.y kernel tree (its files are copied, the tree
#     itself is never modified).
# A tree that is not Linux 6.12.y is refused.  The repository lives in
# build/<base-id>/linux, the work tree that scripts/worktree.sh applies
# patches/ to; an existing one is reused as it is.
#
# The base commit is made with a fixed author, committer and date, so the
# same base gives the same commit id on every machine (the series'
# "base-commit:" line depends on it).

MD_STEP=base
. "$(dirname "$0")/lib.sh"
help_or_none "$@"
md_paths

check_612() {
	local what=$1 dir=$2 v
	v=$(tree_version "$dir") || die "$what ($dir) is not a kernel tree: no VERSION/PATCHLEVEL/SUBLEVEL in its Makefile"
	case "$v" in
	6.12.*) ;;
	*) die "$what ($dir) is Linux $v, not 6.12.y; the series is for 6.12" ;;
	esac
	printf '%s\n' "$v"
}

# Drop the block Debian appends to the top-level .gitignore ("ignore
# everything at the top level"): with it, git would ignore every file.
drop_debian_gitignore() {
	local gi=$1/.gitignore
	[ -f "$gi" ] || return 0
	grep -q '^# Debian packaging: ignore everything' "$gi" || return 0
	awk '
		{ line[NR] = $0 }
		/^# Debian packaging: ignore everything/ { start = NR - 1 }
		/^!\/debian\/$/ { stop = NR }
		END {
			if (start > 1 && line[start - 1] == "") start--
			for (i = 1; i <= NR; i++)
				if (!(start && i >= start && i <= stop)) print line[i]
		}' "$gi" >"$gi.new"
	mv "$gi.new" "$gi"
}

# Turn the unpacked tree in $1 into a git repository with the base commit.
make_base_repo() {
	local dir=$1 msg=$2
	drop_debian_gitignore "$dir"
	git -C "$dir" init -q -b master
	git -C "$dir" config core.autocrlf false
	git -C "$dir" config gc.auto 0
	log "committing the base tree (about a minute)"
	# -f: the base is the unpacked tree exactly, whatever its .gitignore
	# says (Debian's copy drops upstream's exceptions for dot files).
	git -C "$dir" add -A -f
	GIT_AUTHOR_NAME="Linux base" GIT_AUTHOR_EMAIL="base@localhost" \
	GIT_COMMITTER_NAME="Linux base" GIT_COMMITTER_EMAIL="base@localhost" \
	GIT_AUTHOR_DATE="2000-01-01T00:00:00Z" GIT_COMMITTER_DATE="2000-01-01T00:00:00Z" \
		git -C "$dir" commit -q --no-verify -m "$msg"
	git -C "$dir" tag base
}

if [ -d "$MD_WT/.git" ] && git -C "$MD_WT" rev-parse -q --verify base >/dev/null; then
	v=$(check_612 "work tree" "$MD_WT")
	log "base $MD_BASE_ID (Linux $v) ready: $MD_WT, base commit $(git -C "$MD_WT" rev-parse --short base)"
	exit 0
fi

need_cmd git tar rsync
tmp=$MD_TREE_DIR/linux.tmp
rm -rf "$tmp"
mkdir -p "$tmp"
if [ -n "${KSRC:-}" ]; then
	[ -d "$KSRC" ] || die "KSRC=$KSRC is not a directory"
	v=$(check_612 "KSRC" "$KSRC")
	log "copying KSRC=$KSRC (Linux $v)"
	rsync -a --exclude=/.git "$KSRC"/ "$tmp"/
	msg="Linux $v (from $KSRC)"
else
	if [ ! -f "$BASE_TARBALL" ] ||
		[ "$(dpkg-query -W -f='${Version}' "$BASE_PKG" 2>/dev/null)" != "$BASE_PKG_VERSION" ]; then
		log "installing $BASE_PKG=$BASE_PKG_VERSION"
		"$MD_SCRIPTS/deps.sh"
	fi
	[ -f "$BASE_TARBALL" ] || die "$BASE_TARBALL missing after installing $BASE_PKG"
	log "unpacking $BASE_TARBALL"
	tar -xf "$BASE_TARBALL" -C "$tmp" --strip-components=1
	v=$(check_612 "$BASE_PKG" "$tmp")
	[ "$v" = "6.12.$BASE_SUBLEVEL" ] ||
		die "$BASE_TARBALL is Linux $v, but scripts/base.env pins 6.12.$BASE_SUBLEVEL"
	msg="Linux $v ($BASE_PKG $BASE_PKG_VERSION)"
fi
make_base_repo "$tmp" "$msg"
rm -rf "$MD_WT"
mv "$tmp" "$MD_WT"
log "base $MD_BASE_ID ready: $MD_WT, base commit $(git -C "$MD_WT" rev-parse --short base)"
