#!/bin/bash
# Usage: scripts/build-coverage.sh [--arch LIST] [--files PATTERN]
#                                  [--tables-only] [--tree DIR] [-j N]
#
# Build coverage of the series: compiles the object of every .c file the
# series touches (git diff --name-only base..HEAD in the work tree, after
# scripts/worktree.sh), plus the per-architecture extra objects listed in
# EXTRA_OBJS below (the objects that compile each architecture's syscall
# table), once from the base and once from the series, and compares the
# compiler warnings of the two builds.
#
# Each file is given to one configuration:
#   x86_64       host gcc, allmodconfig (everything outside arch/ by default)
#   powerpc      gcc-powerpc64le-linux-gnu, allmodconfig (arch/powerpc,
#                drivers/misc/cxl, drivers/misc/ocxl, drivers/scsi/cxlflash,
#                drivers/char/bsr.c)
#   sparc64      gcc-sparc64-linux-gnu, allmodconfig (arch/sparc, drivers/sbus)
#   mips         gcc-mips-linux-gnu, defconfig (arch/mips)
#   arc          gcc-arc-linux-gnu, defconfig + ARC_METAWARE_HLINK (arch/arc)
#   um           ARCH=um with the host gcc, defconfig + MMAPPER (arch/um)
#   riscv-nommu  gcc-riscv64-linux-gnu, nommu_virt_defconfig + romfs on MTD
#                (mm/nommu.c, fs/ramfs/file-nommu.c, fs/romfs/mmap-nommu.c)
#   arm          gcc-arm-linux-gnueabi, allmodconfig (the files of FILE_CONFIG
#                below, e.g. drivers/hsi/clients/cmt_speech.c)
#   arm-pxa      gcc-arm-linux-gnueabi, pxa_defconfig + FB_PXA and
#                PXA3XX_GCU (drivers/video/fbdev/pxa3xx-gcu.c)
#   arm64        gcc-aarch64-linux-gnu, defconfig (arch/arm64, FILE_CONFIG
#                entries such as drivers/soc/qcom/rmtfs_mem.c)
#   s390, riscv, parisc: defconfig with their Debian cross compilers, for
#                arch/<a> files and EXTRA_OBJS (s390 with COMPAT, for the
#                31-bit table).
#   mips64       gcc-mips64-linux-gnuabi64, 64r2_defconfig (64-bit with o32
#                and n32 emulation: the n32, n64 and o32-compat tables)
#   parisc64     ARCH=parisc64 with gcc-hppa64-linux-gnu,
#                generic-64bit_defconfig (the compat column of the parisc
#                table)
#   alpha, m68k, sh: defconfig with their Debian cross compilers, only for
#                their syscall tables.
# An object that kbuild compiles but the configuration does not enable
# (not in obj-y/obj-m) is reported as not covered, not as built.
# CONFIG_WERROR (and every other *WERROR option) is disabled so that
# warnings are compared instead of failing the build; debug info is off.
# Missing cross compilers are installed with apt-get.
#
# Trees and objects: the series is the work tree build/<base-id>/linux; the
# base is a separate git worktree of it at tag "base"
# (build/<base-id>/coverage-base, created or reset by this script).  Objects
# go to build/<base-id>/coverage/<arch>-{base,series}; each configuration is
# made and prepared once and reused by later runs.  Logs:
# build/logs/coverage-*.log.
#
# The run fails (exit 1) when the series build of a file prints a warning
# that the base build of it does not (compared without line and column
# numbers), or when a file builds from the base but not from the series.
# A file that fails on both is reported as "fails on base too" with its
# first error.  The report (covered/touched per architecture, then every
# touched file that is not covered, with the reason) is printed and written
# to build/coverage-report.txt.  The report also lists every syscall table
# of the series tree (find arch scripts -name 'syscall*.tbl') with the
# objects that compiled it, or why none did (no Debian cross compiler for
# the architecture, configuration not run, build failure).
#
# Options:
#   --arch LIST      only these configurations (comma or space separated)
#   --files PATTERN  only the touched files and extra objects that match this
#                    grep -e pattern
#   --tables-only    only the syscall table objects (EXTRA_OBJS), not the
#                    touched .c files
#   --tree DIR       check the series as committed in DIR, a git worktree of
#                    the work tree's repository (a developer's branch on top
#                    of "base"), instead of the work tree; scripts/worktree.sh
#                    is not run and the series objects go to
#                    coverage/<config>-series-<basename of DIR>
#   -j N             make -j N for configuration and prepare (default: nproc)
#
# The base and series objects of a file are compiled in parallel (two
# compilers at a time, under nice -n 19, through ccache when installed).
# This is a separate command, not part of scripts/test.sh: the first run
# configures and prepares two trees per architecture and compiles about
# 130 objects twice, most of them under x86_64 allmodconfig.

MD_STEP=coverage
. "$(dirname "$0")/lib.sh"

# Configurations: name|ARCH|CROSS_COMPILE|Debian package|config target|
# options to enable on top of it.
CONFIGS=(
	"x86_64|x86_64|||allmodconfig|"
	"powerpc|powerpc|powerpc64le-linux-gnu-|gcc-powerpc64le-linux-gnu|allmodconfig|"
	"sparc64|sparc64|sparc64-linux-gnu-|gcc-sparc64-linux-gnu|allmodconfig|"
	"mips|mips|mips-linux-gnu-|gcc-mips-linux-gnu|defconfig|"
	"arc|arc|arc-linux-gnu-|gcc-arc-linux-gnu|defconfig|ARC_METAWARE_HLINK"
	"um|um|||defconfig|MMAPPER"
	"riscv-nommu|riscv|riscv64-linux-gnu-|gcc-riscv64-linux-gnu|nommu_virt_defconfig|MISC_FILESYSTEMS MTD ROMFS_FS ROMFS_BACKED_BY_MTD"
	"arm|arm|arm-linux-gnueabi-|gcc-arm-linux-gnueabi|allmodconfig|"
	"arm-pxa|arm|arm-linux-gnueabi-|gcc-arm-linux-gnueabi|pxa_defconfig|FB FB_PXA PXA3XX_GCU"
	"arm64|arm64|aarch64-linux-gnu-|gcc-aarch64-linux-gnu|defconfig|"
	"s390|s390|s390x-linux-gnu-|gcc-s390x-linux-gnu|defconfig|COMPAT"
	"riscv|riscv|riscv64-linux-gnu-|gcc-riscv64-linux-gnu|defconfig|"
	"parisc|parisc|hppa-linux-gnu-|gcc-hppa-linux-gnu|defconfig|"
	"mips64|mips|mips64-linux-gnuabi64-|gcc-mips64-linux-gnuabi64|64r2_defconfig|"
	"parisc64|parisc64|hppa64-linux-gnu-|gcc-hppa64-linux-gnu|generic-64bit_defconfig|"
	"alpha|alpha|alpha-linux-gnu-|gcc-alpha-linux-gnu|defconfig|"
	"m68k|m68k|m68k-linux-gnu-|gcc-m68k-linux-gnu|defconfig|"
	"sh|sh|sh4-linux-gnu-|gcc-sh4-linux-gnu|defconfig|"
)

# Objects to build in addition to the touched .c files:
# "config path.o table...", the tables being the syscall tables whose
# generated headers the object includes (for the report).  These are the
# syscall table objects of every architecture that has a Debian cross
# compiler; an object whose configuration does not enable it (e.g. x32 when
# the toolchain lacks it) is reported as not covered.
T_X64=arch/x86/entry/syscalls/syscall_64.tbl
T_X32=arch/x86/entry/syscalls/syscall_32.tbl
T_GEN=scripts/syscall.tbl
T_MIPS=arch/mips/kernel/syscalls
EXTRA_OBJS=(
	"x86_64 arch/x86/entry/syscall_64.o $T_X64"
	"x86_64 arch/x86/entry/syscall_32.o $T_X32"
	"x86_64 arch/x86/entry/syscall_x32.o $T_X64"
	"um arch/x86/um/sys_call_table_64.o $T_X64"
	"arm64 arch/arm64/kernel/sys.o $T_GEN"
	"arm64 arch/arm64/kernel/sys32.o arch/arm64/tools/syscall_32.tbl"
	"riscv arch/riscv/kernel/syscall_table.o $T_GEN"
	"riscv arch/riscv/kernel/compat_syscall_table.o $T_GEN"
	"arc arch/arc/kernel/sys.o $T_GEN"
	"arm arch/arm/kernel/entry-common.o arch/arm/tools/syscall.tbl"
	"powerpc arch/powerpc/kernel/systbl.o arch/powerpc/kernel/syscalls/syscall.tbl"
	"s390 arch/s390/kernel/entry.o arch/s390/kernel/syscalls/syscall.tbl"
	"sparc64 arch/sparc/kernel/systbls_64.o arch/sparc/kernel/syscalls/syscall.tbl"
	"mips arch/mips/kernel/scall32-o32.o $T_MIPS/syscall_o32.tbl"
	"mips64 arch/mips/kernel/scall64-n64.o $T_MIPS/syscall_n64.tbl"
	"mips64 arch/mips/kernel/scall64-n32.o $T_MIPS/syscall_n32.tbl"
	"mips64 arch/mips/kernel/scall64-o32.o $T_MIPS/syscall_o32.tbl"
	"parisc arch/parisc/kernel/syscall.o arch/parisc/kernel/syscalls/syscall.tbl"
	"parisc64 arch/parisc/kernel/syscall.o arch/parisc/kernel/syscalls/syscall.tbl"
	"alpha arch/alpha/kernel/systbls.o arch/alpha/kernel/syscalls/syscall.tbl"
	"m68k arch/m68k/kernel/syscalltable.o arch/m68k/kernel/syscalls/syscall.tbl"
	"sh arch/sh/kernel/syscalls_32.o arch/sh/kernel/syscalls/syscall.tbl"
)

# Syscall tables that no configuration here compiles: "table|reason".
TABLES_NOT_COVERED=(
	"arch/microblaze/kernel/syscalls/syscall.tbl|Debian has no microblaze cross compiler"
	"arch/xtensa/kernel/syscalls/syscall.tbl|Debian has no xtensa cross compiler"
)

# Files outside arch/ that x86_64 allmodconfig does not enable, with the
# configuration that does: "file config".
FILE_CONFIG=(
	"drivers/hsi/clients/cmt_speech.c arm" # SSI_PROTOCOL needs OMAP_SSI (ARM)
	"drivers/soc/qcom/rmtfs_mem.c arm64"   # QCOM_RMTFS_MEM needs ARCH_QCOM
	"drivers/video/fbdev/pxa3xx-gcu.c arm-pxa" # PXA3XX_GCU needs FB_PXA (ARCH_PXA)
)

# Touched files that no configuration here can build, with the reason:
# "grep pattern|reason".  Checked before the configurations.
NOT_COVERED=()

arch_sel='' files_pat='' jobs=$(nproc) tables_only=0 tree=''
while [ $# -gt 0 ]; do
	case $1 in
	-h | --help) usage; exit 0 ;;
	--arch) [ $# -ge 2 ] || die "--arch needs a value"; arch_sel=${2//,/ }; shift 2 ;;
	--files) [ $# -ge 2 ] || die "--files needs a value"; files_pat=$2; shift 2 ;;
	--tables-only) tables_only=1; shift ;;
	--tree) [ $# -ge 2 ] || die "--tree needs a value"; tree=$2; shift 2 ;;
	-j) [ $# -ge 2 ] || die "-j needs a value"; jobs=$2; shift 2 ;;
	-j*) jobs=${1#-j}; shift ;;
	*) usage >&2; die "unknown argument: $1" ;;
	esac
done
[[ $jobs =~ ^[1-9][0-9]*$ ]] || die "-j: not a positive number: $jobs"

declare -A C_ARCH C_CROSS C_PKG C_TARGET C_OPTS
config_names=()
for c in "${CONFIGS[@]}"; do
	IFS='|' read -r name a cross pkg target opts <<<"$c"
	config_names+=("$name")
	C_ARCH[$name]=$a C_CROSS[$name]=$cross C_PKG[$name]=$pkg
	C_TARGET[$name]=$target C_OPTS[$name]=$opts
done
for a in $arch_sel; do
	[ -n "${C_ARCH[$a]:-}" ] || die "--arch: unknown configuration '$a' (known: ${config_names[*]})"
done
for e in "${FILE_CONFIG[@]}" "${EXTRA_OBJS[@]}"; do
	for a in $e; do
		[ -n "${C_ARCH[$a]:-}" ] || [[ $a == */* ]] ||
			die "FILE_CONFIG/EXTRA_OBJS entry '$e': unknown configuration '$a'"
	done
done

selected() {
	[ -z "$arch_sel" ] && return 0
	case " $arch_sel " in *" $1 "*) return 0 ;; esac
	return 1
}

# The configuration that builds touched file $1, or "-reason" when none does.
config_of() {
	local f=$1 e
	for e in "${NOT_COVERED[@]}"; do
		if grep -q -e "${e%%|*}" <<<"$f"; then
			printf -- '-%s\n' "${e#*|}"
			return
		fi
	done
	for e in "${FILE_CONFIG[@]}"; do
		if [ "${e%% *}" = "$f" ]; then
			echo "${e#* }"
			return
		fi
	done
	case $f in
	arch/x86/*) echo x86_64 ;;
	arch/powerpc/* | drivers/misc/cxl/* | drivers/misc/ocxl/* | \
		drivers/scsi/cxlflash/* | drivers/char/bsr.c) echo powerpc ;;
	arch/sparc/* | drivers/sbus/*) echo sparc64 ;;
	arch/mips/*) echo mips ;;
	arch/arc/*) echo arc ;;
	arch/um/*) echo um ;;
	arch/arm64/*) echo arm64 ;;
	arch/s390/*) echo s390 ;;
	arch/riscv/*) echo riscv ;;
	arch/parisc/*) echo parisc ;;
	mm/nommu.c | fs/ramfs/file-nommu.c | fs/romfs/mmap-nommu.c) echo riscv-nommu ;;
	arch/*)
		local a=${f#arch/}
		printf -- '-no configuration in build-coverage.sh for arch/%s\n' "${a%%/*}"
		;;
	*) echo x86_64 ;;
	esac
}

md_paths
# The series tree and the suffix of its object directories.
if [ -n "$tree" ]; then
	SERIES_SRC=$(realpath "$tree") || die "--tree $tree: no such directory"
	git -C "$SERIES_SRC" rev-parse -q --verify 'base^{commit}' >/dev/null ||
		die "--tree $tree: no tag 'base' there (not a worktree of $MD_WT?)"
	SERIES_DIR=series-$(basename "$SERIES_SRC")
else
	"$MD_SCRIPTS/worktree.sh"
	SERIES_SRC=$MD_WT
	SERIES_DIR=series
fi

BASE_SRC=$MD_TREE_DIR/coverage-base
COV_DIR=$MD_TREE_DIR/coverage
REPORT=$BUILD_DIR/coverage-report.txt
mkdir -p "$COV_DIR"

# The base tree: a detached worktree of the work tree at tag "base".
if git -C "$BASE_SRC" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$BASE_SRC" checkout -q -f --detach base
	git -C "$BASE_SRC" clean -q -fdx
else
	rm -rf "$BASE_SRC"
	git -C "$MD_WT" worktree prune
	git -C "$MD_WT" worktree add -q --detach "$BASE_SRC" base
fi
log "base tree $BASE_SRC at $(git -C "$BASE_SRC" rev-parse --short HEAD), series $SERIES_SRC at $(git -C "$SERIES_SRC" rev-parse --short HEAD)"

# Work list: "config|obj|src|tables" per line, or "-reason|obj|src|" when
# not covered; tables only for EXTRA_OBJS.
touched=()
if [ "$tables_only" = 0 ]; then
	mapfile -t touched < <(git -C "$SERIES_SRC" diff --name-only base..HEAD -- '*.c')
	[ "${#touched[@]}" -gt 0 ] || die "the series touches no .c file (git diff base..HEAD in $SERIES_SRC)"
fi
work=()
for f in "${touched[@]}"; do
	if [ -n "$files_pat" ] && ! grep -q -e "$files_pat" <<<"$f"; then
		continue
	fi
	work+=("$(config_of "$f")|${f%.c}.o|$f|")
done
for e in "${EXTRA_OBJS[@]}"; do
	read -r c o tbls <<<"$e"
	if [ -n "$files_pat" ] && ! grep -q -e "$files_pat" <<<"$o"; then
		continue
	fi
	work+=("$c|$o|$o (extra object)|$tbls")
done
[ "${#work[@]}" -gt 0 ] || die "nothing to check: no touched file or extra object matches --files '$files_pat'"
log "${#work[@]} objects to check (${#touched[@]} touched .c files, tables only: $tables_only)"

NICE=(nice -n 19)
CCACHE=''
command -v ccache >/dev/null 2>&1 && CCACHE='ccache '

# Object directory of configuration $1 for tree $2 (base|series).
objdir() {
	if [ "$2" = base ]; then
		echo "$COV_DIR/$1-base"
	else
		echo "$COV_DIR/$1-$SERIES_DIR"
	fi
}

# make for configuration $1 in tree $2 (base|series), rest: make arguments.
kmake() {
	local c=$1 which=$2 src
	shift 2
	src=$SERIES_SRC
	[ "$which" = base ] && src=$BASE_SRC
	"${NICE[@]}" make -C "$src" O="$(objdir "$c" "$which")" ARCH="${C_ARCH[$c]}" \
		CROSS_COMPILE="${C_CROSS[$c]}" CC="$CCACHE${C_CROSS[$c]}gcc" \
		HOSTCC="${CCACHE}gcc" "$@"
}

# Installs the cross compiler of configuration $1; prints the reason on
# failure.
need_toolchain() {
	local c=$1 pkg=${C_PKG[$1]}
	command -v "${C_CROSS[$c]}gcc" >/dev/null 2>&1 && return 0
	if [ -z "$pkg" ]; then
		echo "compiler ${C_CROSS[$c]}gcc not found"
		return 1
	fi
	local pol
	pol=$(apt-cache policy "$pkg" 2>/dev/null || true)
	if ! grep -q 'Candidate: [0-9]' <<<"$pol"; then
		echo "no Debian package $pkg (apt-cache policy has no candidate)"
		return 1
	fi
	if ! run_logged "$MD_LOGS/coverage-apt-$c.log" "apt-get install $pkg" \
		env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$pkg" >&2; then
		echo "apt-get install $pkg failed (see $MD_LOGS/coverage-apt-$c.log)"
		return 1
	fi
	command -v "${C_CROSS[$c]}gcc" >/dev/null 2>&1 && return 0
	echo "$pkg is installed but ${C_CROSS[$c]}gcc is not on PATH"
	return 1
}

# The *WERROR options set in config file $1 (not the X_DISABLE_WERROR ones).
werror_syms() {
	sed -n 's/^CONFIG_\([A-Z0-9_]*WERROR\)=y$/\1/p' "$1" | grep -v 'DISABLE_WERROR$' || true
}

# The configuration script: config target, *WERROR off, debug info off,
# the extra options on.  $1 config, $2 which.
configure_cmd() {
	local c=$1 which=$2 o cfg i
	o=$(objdir "$c" "$which")
	cfg=$o/.config
	kmake "$c" "$which" "${C_TARGET[$c]}"
	for i in 1 2; do
		local opts=() s
		for s in ${C_OPTS[$c]}; do
			opts+=(--enable "$s")
		done
		# PPC_WERROR and the like are invisible: their X_DISABLE_WERROR
		# turns them off.
		while read -r s; do
			opts+=(--disable "$s" --enable "${s%WERROR}DISABLE_WERROR")
		done < <(werror_syms "$cfg")
		opts+=(--enable DEBUG_INFO_NONE --disable DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT
			--disable DEBUG_INFO_DWARF4 --disable DEBUG_INFO_DWARF5)
		"$SERIES_SRC/scripts/config" --file "$cfg" "${opts[@]}"
		kmake "$c" "$which" olddefconfig
		[ "$i" = 1 ] || break
	done
	if [ -n "$(werror_syms "$cfg")" ]; then
		echo "still enabled after olddefconfig: $(werror_syms "$cfg")"
		return 1
	fi
}

# Configure and prepare both trees of configuration $1 (in parallel).
# Reuses a configuration made earlier with the same recipe.
prepare_config() {
	local c=$1 which recipe stamp pids=() rc=0 o
	recipe="${C_ARCH[$c]}|${C_CROSS[$c]}|${C_TARGET[$c]}|${C_OPTS[$c]}|$CCACHE"
	for which in series base; do
		o=$(objdir "$c" "$which")
		stamp=$o/.coverage-config
		mkdir -p "$o"
		if [ -f "$o/.config" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$recipe" ]; then
			continue
		fi
		rm -f "$stamp"
		run_logged "$MD_LOGS/coverage-$c-$which-config.log" "$c $which: ${C_TARGET[$c]}" \
			configure_cmd "$c" "$which" || return 1
		printf '%s\n' "$recipe" >"$stamp"
	done
	if ! cmp -s <(grep '^CONFIG_' "$(objdir "$c" series)/.config") \
		<(grep '^CONFIG_' "$(objdir "$c" base)/.config"); then
		warn "$c: base and series configurations differ: $(diff <(grep '^CONFIG_' "$(objdir "$c" base)/.config") \
			<(grep '^CONFIG_' "$(objdir "$c" series)/.config") | grep -c '^[<>]') lines"
	fi
	for which in series base; do
		run_logged "$MD_LOGS/coverage-$c-$which-prepare.log" "$c $which: make prepare" \
			kmake "$c" "$which" -j"$jobs" prepare &
		pids+=($!)
	done
	for p in "${pids[@]}"; do
		wait "$p" || rc=1
	done
	return "$rc"
}

# Make target of object $2 for configuration $1: objects that the Makefile
# of another directory builds are named through it (virt/kvm from
# arch/<a>/kvm, amdkfd from amdgpu).
make_target() {
	local c=$1 obj=$2
	case $obj in
	virt/kvm/*) printf 'arch/%s/kvm/../../../%s\n' "$(srcarch "$c")" "$obj" ;;
	drivers/gpu/drm/amd/amdkfd/*) printf '%s\n' "${obj/amdkfd\//amdgpu/../amdkfd/}" ;;
	*) printf '%s\n' "$obj" ;;
	esac
}

srcarch() {
	case ${C_ARCH[$1]} in
	x86_64 | i386) echo x86 ;;
	sparc64) echo sparc ;;
	parisc64) echo parisc ;;
	*) echo "${C_ARCH[$1]}" ;;
	esac
}

# kbuild compiles any .o named on the command line, even one the
# configuration does not enable.  This replaces the "[M]" tag of kbuild's
# "CC [M]  file.o" line with [M] (module), [Y] (built in) or [N] (not
# enabled: not in obj-y, obj-m or lib-y of its directory).
# shellcheck disable=SC2016
MODTAG='quiet_modtag=$(if $(part-of-module),[M],$(if $(part-of-builtin),[Y],[N]))'

# Compile object $2 of configuration $1 in tree $3 into log $4; rc 0 when
# the object was made, 2 when it was made but the configuration does not
# enable it, 1 when it failed.
build_obj() {
	local c=$1 obj=$2 which=$3 logf=$4 o t
	o=$(objdir "$c" "$which")
	t=$(make_target "$c" "$obj")
	rm -f "$o/$obj" "$(dirname "$o/$obj")/.$(basename "$obj").cmd"
	kmake "$c" "$which" "$MODTAG" "$t" >"$logf" 2>&1 || return 1
	[ -f "$o/$obj" ] || return 1
	if grep -q -E '^ +CC \[N\] ' "$logf"; then
		return 2
	fi
}

# The warnings of a build log, without paths of the trees, line and column
# numbers, sorted.
warnings_of() {
	grep -E 'warning:' "$1" |
		sed -e "s|$SERIES_SRC/||g" -e "s|$BASE_SRC/||g" -e 's|\.\./linux/||g' \
			-e 's|\.\./coverage-base/||g' -e "s|\(\.\./\)*$(basename "$SERIES_SRC")/||g" \
			-e 's/:[0-9][0-9]*:[0-9][0-9]*:/:/g' -e 's/:[0-9][0-9]*:/:/g' |
		sort -u || true
}

first_error() {
	grep -m1 -E 'error:|Error [0-9]|No rule to make target' "$1" || tail -n 1 "$1"
}

declare -A touched_n covered_n table_ok table_nc
not_covered=() failures=() skipped=0 nocfg=0
# Syscall tables $1 not compiled by object $2: reason $3.
table_nc() {
	local t
	for t in $1; do
		table_nc[$t]+="${table_nc[$t]:+; }$2: $3"
	done
}
# Not covered: $1 file or object, $2 reason, $3 its syscall tables if any.
add_nc() {
	not_covered+=("$1: $2")
	table_nc "${3:-}" "${1% (extra object)}" "$2"
}
# Compiled: $1 syscall tables, $2 configuration, $3 object.
add_table_ok() {
	local t
	for t in $1; do
		table_ok[$t]+="${table_ok[$t]:+, }$2 $3"
	done
}

for c in "${config_names[@]}"; do
	touched_n[$c]=0 covered_n[$c]=0
done
for w in "${work[@]}"; do
	IFS='|' read -r c obj src tbls <<<"$w"
	case $c in
	-*) add_nc "$src" "${c#-}" "$tbls"; nocfg=$((nocfg + 1)) ;;
	*) touched_n[$c]=$((touched_n[$c] + 1)) ;;
	esac
done

for c in "${config_names[@]}"; do
	[ "${touched_n[$c]}" -gt 0 ] || continue
	if ! selected "$c"; then
		skipped=$((skipped + touched_n[$c]))
		for w in "${work[@]}"; do
			IFS='|' read -r c2 obj src tbls <<<"$w"
			[ "$c2" = "$c" ] && table_nc "$tbls" "$obj" "$c: not run (--arch)"
		done
		continue
	fi
	mine=()
	for w in "${work[@]}"; do
		[ "${w%%|*}" = "$c" ] && mine+=("$w")
	done
	log "$c: ${#mine[@]} objects (ARCH=${C_ARCH[$c]} ${C_CROSS[$c]:+CROSS_COMPILE=${C_CROSS[$c]} }${C_TARGET[$c]})"
	if ! why=$(need_toolchain "$c"); then
		for w in "${mine[@]}"; do
			IFS='|' read -r _ obj src tbls <<<"$w"
			add_nc "$src" "$c: $why" "$tbls"
		done
		continue
	fi
	if ! prepare_config "$c"; then
		for w in "${mine[@]}"; do
			IFS='|' read -r _ obj src tbls <<<"$w"
			add_nc "$src" "$c: configuration or make prepare failed (see $MD_LOGS/coverage-$c-*.log)" "$tbls"
		done
		failures+=("$c: configuration or make prepare failed")
		continue
	fi
	for w in "${mine[@]}"; do
		IFS='|' read -r _ obj src tbls <<<"$w"
		slug=${obj//\//_}
		lb=$MD_LOGS/coverage-$c-base-${slug%.o}.log
		ls=$MD_LOGS/coverage-$c-series-${slug%.o}.log
		t0=$(date +%s)
		build_obj "$c" "$obj" base "$lb" &
		pb=$!
		rs=0 rb=0
		build_obj "$c" "$obj" series "$ls" || rs=$?
		wait "$pb" || rb=$?
		dt=$(fmt_secs $(($(date +%s) - t0)))
		if [ "$rs" = 2 ]; then
			add_nc "$src" "$c: not enabled by ${C_TARGET[$c]}${C_OPTS[$c]:+ + ${C_OPTS[$c]}} (kbuild: not in obj-y/obj-m)" "$tbls"
			log "$c: $src: not enabled by the configuration ($dt)"
		elif [ "$rs" = 0 ]; then
			covered_n[$c]=$((covered_n[$c] + 1))
			add_table_ok "$tbls" "$c" "$obj"
			new=$(comm -13 <(warnings_of "$lb") <(warnings_of "$ls"))
			if [ -n "$new" ]; then
				failures+=("$c: $src: new warnings:
$new")
				log "$c: $src: NEW WARNINGS ($dt)"
			elif [ "$rb" != 0 ]; then
				log "$c: $src: ok, base build failed or not enabled: $(first_error "$lb") ($dt)"
			else
				log "$c: $src: ok, $(warnings_of "$ls" | wc -l) warnings on both ($dt)"
			fi
		elif [ "$rb" != 1 ]; then
			failures+=("$c: $src: builds on base, fails with the series: $(first_error "$ls") (log $ls)")
			add_nc "$src" "$c: fails with the series, builds on base" "$tbls"
			log "$c: $src: FAILS with the series ($dt)"
		elif ! grep -q 'error:' "$ls"; then
			add_nc "$src" "$c: not built by ${C_TARGET[$c]}: $(first_error "$ls")" "$tbls"
			log "$c: $src: not built by ${C_TARGET[$c]} ($dt)"
		else
			add_nc "$src" "$c: fails on base too: $(first_error "$ls")" "$tbls"
			log "$c: $src: fails on base too ($dt)"
		fi
	done
done

{
	echo "Build coverage of $(git -C "$SERIES_SRC" log --oneline base..HEAD | wc -l) patches on $MD_BASE_ID ($(date -u '+%Y-%m-%d %H:%M UTC'))"
	[ -z "$tree" ] || echo "--tree: $SERIES_SRC ($(git -C "$SERIES_SRC" log -1 --format='%h %s'))"
	[ "$tables_only" = 0 ] || echo "--tables-only"
	[ -z "$arch_sel" ] || echo "--arch: $arch_sel"
	[ -z "$files_pat" ] || echo "--files: $files_pat"
	echo
	echo "covered/touched per configuration:"
	for c in "${config_names[@]}"; do
		[ "${touched_n[$c]}" -gt 0 ] || continue
		if selected "$c"; then
			printf '  %-12s %d/%d\n' "$c" "${covered_n[$c]}" "${touched_n[$c]}"
		else
			printf '  %-12s not run (--arch), %d files\n' "$c" "${touched_n[$c]}"
		fi
	done
	total=$nocfg cov=0
	for c in "${config_names[@]}"; do
		selected "$c" || continue
		total=$((total + touched_n[$c])) cov=$((cov + covered_n[$c]))
	done
	printf '  %-12s %d/%d' total "$cov" "$total"
	[ "$nocfg" = 0 ] || printf ' (%d with no configuration)' "$nocfg"
	[ "$skipped" = 0 ] || printf ' (%d more in configurations not run)' "$skipped"
	echo
	echo
	echo "not covered (${#not_covered[@]}):"
	for n in "${not_covered[@]}"; do
		echo "  $n"
	done
	echo
	echo "syscall tables (compiled by / not compiled):"
	while read -r t; do
		if [ -n "${table_ok[$t]:-}" ]; then
			printf '  %s: compiled by %s\n' "$t" "${table_ok[$t]}"
			[ -z "${table_nc[$t]:-}" ] || printf '    also not compiled by %s\n' "${table_nc[$t]}"
		elif [ -n "${table_nc[$t]:-}" ]; then
			printf '  %s: NOT compiled: %s\n' "$t" "${table_nc[$t]}"
		else
			why='no EXTRA_OBJS entry in build-coverage.sh'
			[ -z "$files_pat" ] || why='not selected by --files'
			for e in "${TABLES_NOT_COVERED[@]}"; do
				[ "${e%%|*}" = "$t" ] && why=${e#*|}
			done
			printf '  %s: NOT compiled: %s\n' "$t" "$why"
		fi
	done < <(cd "$SERIES_SRC" && find arch scripts -name 'syscall*.tbl' -type f | sort)
	echo
	if [ "${#failures[@]}" -eq 0 ]; then
		echo "result: no new warnings, no series-only build failures"
	else
		echo "result: FAIL (${#failures[@]})"
		for f in "${failures[@]}"; do
			echo "  $f"
		done
	fi
} | tee "$REPORT"
log "report: $REPORT"
[ "${#failures[@]}" -eq 0 ] || exit 1
step_done
