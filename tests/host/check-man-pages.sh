#!/bin/bash
# Usage: tests/host/check-man-pages.sh [TREE]
#
# The man pages of the series, Documentation/man/*.[1-8]:
#  1. lint: each page is clean under "mandoc -T lint -W warning" and
#     "groff -man -ww -z" (no output at all);
#  2. examples: each page has an EXAMPLES program; the programs extract
#     with tests/man_examples/extract-examples.awk (the script the
#     man_examples selftests build them with) and compile with
#     gcc -Wall -Wextra -Werror;
#  3. numbers (check_numbers_against_headers): every ABI number the pages
#     state (__NR_mmap3 and the alpha and mips system call numbers,
#     MAP_DIRECT, F_MAP_DIRECT) equals the value in the system call tables
#     and uapi headers of TREE, by default the series work tree
#     build/<base-id>/linux (scripts/lib.sh, md_paths: $MD_WT).  A number
#     that TREE does not define fails: the pages must not state what the
#     patches do not provide.
# Prints one TAP line per page and step.  Exit 0 pass, 1 fail; the last
# line is the reason.

set -euo pipefail
. "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/lib.sh
. "$SCRIPTS/lib.sh"

host_tree "$@"

man_dir=$REPO/Documentation/man
extract=$REPO/tests/man_examples/extract-examples.awk
mapfile -t pages < <(find "$man_dir" -maxdepth 1 -type f -name '*.[1-8]' | LC_ALL=C sort)
[ "${#pages[@]}" -gt 0 ] || fail "no man pages in $man_dir"
command -v mandoc >/dev/null || fail "mandoc is not installed; run scripts/deps.sh"
command -v groff >/dev/null || fail "groff is not installed; run scripts/deps.sh"
command -v gcc >/dev/null || fail "gcc is not installed; run scripts/deps.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

n=0 bad=()
# tap OK|FAIL DESCRIPTION [DIAGNOSTICS-FILE]: one TAP line; a failure is
# remembered by the start of its description (up to the first " (").
tap() {
	n=$((n + 1))
	if [ "$1" = OK ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		bad+=("${2%% (*}")
		if [ -n "${3:-}" ] && [ -s "$3" ]; then
			sed 's/^/#   /' "$3"
		fi
	fi
}

# 1. lint --------------------------------------------------------------------
for p in "${pages[@]}"; do
	page=$(basename "$p")
	if mandoc -T lint -W warning "$p" >"$work/lint" 2>&1 && [ ! -s "$work/lint" ]; then
		tap OK "mandoc -T lint -W warning $page"
	else
		tap FAIL "mandoc -T lint -W warning $page" "$work/lint"
	fi
	if groff -man -ww -z "$p" >"$work/lint" 2>&1 && [ ! -s "$work/lint" ]; then
		tap OK "groff -man -ww -z $page"
	else
		tap FAIL "groff -man -ww -z $page" "$work/lint"
	fi
done

# 2. examples ----------------------------------------------------------------
for p in "${pages[@]}"; do
	page=$(basename "$p")
	if grep -q '^\.\\" SRC BEGIN (' "$p"; then
		tap OK "$page has an EXAMPLES program"
	else
		echo "no '.\\\" SRC BEGIN (NAME.c)' block" >"$work/why"
		tap FAIL "$page has an EXAMPLES program" "$work/why"
	fi
done
mkdir -p "$work/ex"
if awk -v outdir="$work/ex" -f "$extract" "${pages[@]}" >"$work/extract" 2>&1; then
	tap OK "examples extract with extract-examples.awk"
	for src in "$work/ex"/*.c; do
		ex=$(basename "$src" .c)
		if nice -n 10 gcc -Wall -Wextra -Werror -O2 -o "$work/ex/$ex" "$src" >"$work/cc" 2>&1; then
			tap OK "$ex.c compiles with -Wall -Wextra -Werror"
		else
			tap FAIL "$ex.c compiles with -Wall -Wextra -Werror" "$work/cc"
		fi
	done
else
	tap FAIL "examples extract with extract-examples.awk" "$work/extract"
fi

# 3. numbers -----------------------------------------------------------------

# The text of a page source with the escapes and macro names that could
# separate a name from its number removed, on one line.
page_text() {
	sed -e '/^\.\\"/d' -e 's/^\.[A-Za-z]*[[:space:]]*//' \
		-e 's/\\f[BIRP]//g' -e 's/\\-/-/g' -e 's/\\&//g' -e 's/\\~/ /g' \
		-e 's/"//g' "$1" | tr '\n\t' '  ' | tr -s ' '
}

# "SYMBOL VALUE" for every number page $1 states.  Symbols: nr (mmap3 on
# the architectures with 463), nr_alpha, nr_o32, nr_n32, nr_n64,
# map_direct, f_map_direct.
stated_numbers() {
	local t m
	t=$(page_text "$1")
	grep -oE '__NR_mmap3 is [0-9]+|define SYS_mmap3 [0-9]+' <<<"$t" |
		sed -E 's/.* ([0-9]+)$/nr \1/' || true
	grep -oE '[0-9]+ on alpha' <<<"$t" | sed -E 's/^([0-9]+).*/nr_alpha \1/' || true
	m=$(grep -oE '[0-9]+, [0-9]+ and [0-9]+ for the mips o32, n32 and n64' <<<"$t" || true)
	if [ -n "$m" ]; then
		sed -E 's/^([0-9]+), ([0-9]+) and ([0-9]+) .*/nr_o32 \1\nnr_n32 \2\nnr_n64 \3/' <<<"$m"
	fi
	grep -oE '(^|[^A-Za-z0-9_])MAP_DIRECT (is )?0[xX][0-9a-fA-F]+' <<<"$t" |
		sed -E 's/.* (0[xX][0-9a-fA-F]+)$/map_direct \1/' || true
	grep -oE '(^|[^A-Za-z0-9_])F_MAP_DIRECT (is )?[0-9]+' <<<"$t" |
		sed -E 's/.* ([0-9]+)$/f_map_direct \1/' || true
}

# Characters of a constant expression that may go to $(( )).
arith_re='^[0-9a-fA-FxX()+|<[:space:]-]+$'

# The numeric value of macro $1 as defined in the files $2..., with the
# macros it uses resolved in the same files; nothing if it is not defined.
macro_value() {
	local name=$1 body tok sub depth=0
	shift
	body=$(sed -n -E "s/^[[:space:]]*#[[:space:]]*define[[:space:]]+${name}[[:space:]]+(.*)$/\\1/p" \
		"$@" 2>/dev/null | head -n 1 | sed -e 's@/\*.*@@' -e 's/[[:space:]]*$//')
	[ -n "$body" ] || return 0
	body=$(sed -E 's/(0[xX][0-9a-fA-F]+|[0-9]+)[uUlL]+/\1/g' <<<"$body")
	while [ "$depth" -lt 5 ]; do
		sub=0
		while read -r tok; do
			case "$tok" in
			[0-9]*) ;;
			*)
				local v
				v=$(macro_value "$tok" "$@")
				[ -n "$v" ] || return 0
				body=${body//$tok/$v}
				sub=1
				;;
			esac
		done < <(grep -oE '0[xX][0-9a-fA-F]+|[0-9]+|[A-Za-z_][A-Za-z0-9_]*' <<<"$body")
		[ "$sub" = 1 ] || break
		depth=$((depth + 1))
	done
	[[ $body =~ $arith_re ]] || return 0
	printf '%d\n' "$((body))"
}

# The mmap3 number of system call table $1, or nothing.
table_number() {
	awk '$3 == "mmap3" { print $1; exit }' "$1"
}

check_numbers_against_headers() {
	local t=$1 p page sym val have f rel want tables=() hdr=()
	if [ ! -f "$t/Makefile" ] || [ ! -d "$t/include/uapi" ]; then
		echo "no kernel tree at $t (run scripts/worktree.sh)" >"$work/why"
		tap FAIL "numbers: kernel tree" "$work/why"
		return
	fi

	# What the tree defines: "SYMBOL VALUE SOURCE", VALUE "-" if missing.
	: >"$work/hdr"
	mapfile -t tables < <(cd "$t" && { ls arch/*/entry/syscalls/syscall*.tbl \
		arch/*/kernel/syscalls/syscall*.tbl arch/*/tools/syscall*.tbl \
		scripts/syscall.tbl 2>/dev/null || true; } | LC_ALL=C sort -u)
	[ "${#tables[@]}" -gt 0 ] || echo "nr - no system call tables under $t" >>"$work/hdr"
	for rel in "${tables[@]}"; do
		val=$(table_number "$t/$rel")
		case "$rel" in
		arch/alpha/*) sym=nr_alpha ;;
		*/syscall_o32.tbl) sym=nr_o32; [ -z "$val" ] || val=$((val + 4000)) ;;
		*/syscall_n64.tbl) sym=nr_n64; [ -z "$val" ] || val=$((val + 5000)) ;;
		*/syscall_n32.tbl) sym=nr_n32; [ -z "$val" ] || val=$((val + 6000)) ;;
		*) sym=nr ;;
		esac
		echo "$sym ${val:--} $rel" >>"$work/hdr"
	done
	val=$(macro_value __NR_mmap3 "$t/include/uapi/asm-generic/unistd.h")
	echo "nr ${val:--} include/uapi/asm-generic/unistd.h" >>"$work/hdr"
	hdr=(include/uapi/asm-generic/mman-common.h)
	for f in alpha mips parisc xtensa; do
		hdr+=("arch/$f/include/uapi/asm/mman.h")
	done
	for rel in "${hdr[@]}"; do
		val=$(macro_value MAP_DIRECT "$t/$rel")
		[ -z "$val" ] || val=$(printf '0x%x' "$val")
		echo "map_direct ${val:--} $rel" >>"$work/hdr"
	done
	# F_LINUX_SPECIFIC_BASE comes from <asm-generic/fcntl.h>
	val=$(macro_value F_MAP_DIRECT "$t/include/uapi/linux/fcntl.h" \
		"$t/include/uapi/asm-generic/fcntl.h")
	echo "f_map_direct ${val:--} include/uapi/linux/fcntl.h" >>"$work/hdr"

	# What the pages state.
	: >"$work/stated"
	for p in "${pages[@]}"; do
		stated_numbers "$p" | sed "s|\$| $(basename "$p")|" >>"$work/stated"
	done

	for sym in nr nr_alpha nr_o32 nr_n32 nr_n64 map_direct f_map_direct; do
		if ! grep -q "^$sym " "$work/stated"; then
			case "$sym" in
			nr | map_direct | f_map_direct)
				echo "no page states a value for $sym" >"$work/why"
				tap FAIL "numbers: $sym is stated" "$work/why"
				;;
			esac
			continue
		fi
		: >"$work/why"
		grep -q "^$sym " "$work/hdr" || echo "no definition of $sym found in $t" >"$work/why"
		while read -r _ have rel; do
			if [ "$have" = - ]; then
				echo "$rel: not defined in $t" >>"$work/why"
				continue
			fi
			while read -r _ want page; do
				if [ "$((want))" -ne "$((have))" ]; then
					echo "$page says $want, $rel has $have" >>"$work/why"
				fi
			done < <(grep "^$sym " "$work/stated")
		done < <(grep "^$sym " "$work/hdr")
		want=$(grep "^$sym " "$work/stated" | awk '{ print $2 }' | LC_ALL=C sort -u | tr '\n' ' ')
		if [ -s "$work/why" ]; then
			tap FAIL "numbers: $sym (pages: ${want% }) as in $t" "$work/why"
		else
			tap OK "numbers: $sym (pages: ${want% }) as in $(grep -c "^$sym " "$work/hdr") definitions in $t"
		fi
	done
}

check_numbers_against_headers "$tree"

echo "1..$n"
if [ "${#bad[@]}" -gt 0 ]; then
	fail "${#bad[@]} of $n man page checks failed: $(printf '%s, ' "${bad[@]}" | sed 's/, $//')"
fi
pass "$n man page checks: ${#pages[@]} pages lint clean, examples build, numbers match $tree"
