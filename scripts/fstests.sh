#!/bin/bash
# Usage: FSTESTS=DIR scripts/fstests.sh [options]
#
# Runs fstests (xfstests, the XFS/ext4 regression suite) on DAX XFS and DAX
# ext4, once on the pristine base kernel and once on the kernel with the
# series, and prints per test: base result, patched result, and REGRESSION
# for every test that passes on the base and fails with the series.
#
# DIR is a checkout of fstests (upstream:
# git://git.kernel.org/pub/scm/fs/xfs/xfstests-dev.git); it is never
# modified: it is copied (without .git) to build/fstests-src/ and built
# there with make.  Steps:
#   1. fstests' build and run dependencies with apt-get
#      (log: build/logs/apt-fstests.log);
#   2. the build (log: build/logs/build-fstests.log);
#   3. the base kernel with scripts/base-kernel.sh (unless --base-kernel);
#   4. per kernel and filesystem one guest (scripts/boot.sh running
#      scripts/fstests-guest.sh): /dev/pmem0 is TEST_DEV, /dev/pmem1
#      SCRATCH_DEV, both mounted with -o dax=always (XFS -m reflink=1,
#      ext4 -b 4096), then ./check on the tests of the list that belong
#      to generic/ or to that filesystem;
#   5. the table (also in table.txt).
# Results: build/fstests/<date>-<pid>/<kernel>-<fs>/ (check.out, results/
# with check.log, result.xml and each test's .full/.out.bad/.dmesg,
# serial.log, dmesg.txt), build/fstests/latest points at the newest.
#
# Options:
#   --kernel FILE       the kernel with the series (default:
#                       build/kernels/new/bzImage if it exists, else the
#                       test kernel build/<base-id>/obj-test/.../bzImage)
#   --base-kernel FILE  the base kernel (default: scripts/base-kernel.sh)
#   --fs LIST           filesystems, comma-separated (default: xfs,ext4)
#   --list FILE         the tests (default: tests/fstests/list; "!" lines
#                       are exclusions)
#   -g GROUP            run the fstests group GROUP instead of the list
#                       (the list's exclusions still apply)
#   --only base|patched run on one kernel only (no comparison)
#   --nvdimm-size SIZE  size of each NVDIMM (default 2G)
#   --timeout SECS      limit for each guest (default 3600)
#   --table DIR         print the table of the earlier run in DIR, no run
#
# Exit status: 1 if a test regressed or a guest run failed, else 0.
# On 2 cores under TCG each guest takes about 15-20 minutes with the
# default list.

MD_STEP=fstests
. "$(dirname "$0")/lib.sh"
md_paths

patched="" base_k="" fss=xfs,ext4 list=$MD_REPO/tests/fstests/list group=""
only="" nv_size=2G timeout=3600 table_only=""
while [ "$#" -gt 0 ]; do
	case "$1" in
	-h | --help) usage; exit 0 ;;
	--kernel) patched=$2; shift 2 ;;
	--base-kernel) base_k=$2; shift 2 ;;
	--fs) fss=$2; shift 2 ;;
	--list) list=$2; shift 2 ;;
	-g) group=$2; shift 2 ;;
	--only) only=$2; shift 2 ;;
	--nvdimm-size) nv_size=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--table) table_only=$2; shift 2 ;;
	*) usage >&2; die "unknown argument: $1" ;;
	esac
done
case "$only" in
"") kernels=(base patched) ;;
base | patched) kernels=("$only") ;;
*) die "--only takes base or patched, not '$only'" ;;
esac
IFS=, read -ra fs_list <<<"$fss"
for fs in "${fs_list[@]}"; do
	case "$fs" in
	xfs | ext4) ;;
	*) die "--fs: unknown filesystem '$fs' (xfs, ext4)" ;;
	esac
done

# --- the table ---------------------------------------------------------------
# One line per test of a run: "TEST<TAB>pass|fail|notrun|missing<TAB>reason",
# from result.xml, or from check.out when the guest never wrote it.
results_of() {
	local dir=$1
	python3 - "$dir" <<'EOF'
import os, re, sys
import xml.etree.ElementTree as ET
d = sys.argv[1]
xml = os.path.join(d, "results", "result.xml")
out = os.path.join(d, "check.out")
def clean(s):
    return " ".join((s or "").split())[:100]
if os.path.exists(xml):
    for tc in ET.parse(xml).getroot().iter("testcase"):
        sk, fl = tc.find("skipped"), tc.find("failure")
        if fl is not None:
            print("%s\tfail\t%s" % (tc.get("name"), clean(fl.get("message"))))
        elif sk is not None:
            print("%s\tnotrun\t%s" % (tc.get("name"), clean(sk.get("message"))))
        else:
            print("%s\tpass\t" % tc.get("name"))
elif os.path.exists(out):
    for line in open(out, errors="replace"):
        m = re.match(r"^((?:generic|xfs|ext4)/\d+)\s+(.*)$", line)
        if not m:
            continue
        t, rest = m.groups()
        if "[not run]" in rest:
            print("%s\tnotrun\t%s" % (t, clean(rest.split("[not run]", 1)[1])))
        elif re.match(r"^\d+s( \.\.\. +\d+s)?$", rest.strip()):
            print("%s\tpass\t" % t)
        elif rest.strip():
            print("%s\tfail\t%s" % (t, clean(rest)))
EOF
}

# The comparison of the runs in $1; returns 1 on a regression or a failed
# run.
print_table() {
	local out=$1 fs k rc=0 t b p verdict nreg=0 nfail=0
	local -A res
	for fs in "${fs_list[@]}"; do
		for k in "${kernels[@]}"; do
			[ -d "$out/$k-$fs" ] || continue
			if [ ! -f "$out/$k-$fs/results/result.xml" ]; then
				warn "$k-$fs: no result.xml (the guest run failed: $out/$k-$fs/boot.log)"
				rc=1
			fi
			while IFS=$'\t' read -r t st why; do
				res[$k-$fs-$t]="$st${why:+ ($why)}"
			done < <(results_of "$out/$k-$fs")
		done
	done
	{
		printf '%-4s  %-12s  %-40s  %-40s  %s\n' fs test base patched verdict
		for fs in "${fs_list[@]}"; do
			for t in $(printf '%s\n' "${!res[@]}" | sed -n "s/^[a-z]*-$fs-//p" | sort -u); do
				b=${res[base-$fs-$t]:-"-"} p=${res[patched-$fs-$t]:-"-"} verdict=""
				if [ "${b%% *}" = pass ] && [ "${p%% *}" = fail ]; then
					verdict=REGRESSION
					nreg=$((nreg + 1))
				elif [ "${p%% *}" = fail ]; then
					nfail=$((nfail + 1))
				elif [ "$only" = "" ] && [ "${b%% *}" != "${p%% *}" ]; then
					verdict=changed
				fi
				printf '%-4s  %-12s  %-40.40s  %-40.40s  %s\n' "$fs" "$t" "$b" "$p" "$verdict"
			done
		done
		echo
		echo "$nreg regression(s); $nfail other failure(s) with the series"
	} >"$out/table.txt"
	cat "$out/table.txt"
	[ "$nreg" -eq 0 ] || rc=1
	return "$rc"
}

if [ -n "$table_only" ]; then
	[ -d "$table_only" ] || die "--table: no folder $table_only"
	print_table "$table_only"
	exit
fi

[ -n "${FSTESTS:-}" ] || die "FSTESTS is not set: FSTESTS=/path/to/xfstests-dev scripts/fstests.sh (see --help)"
if [ ! -x "$FSTESTS/check" ] || [ ! -d "$FSTESTS/tests/generic" ]; then
	die "FSTESTS=$FSTESTS is not an fstests checkout (no ./check, no tests/generic)"
fi
[ -f "$list" ] || die "no test list $list"

# --- 1. dependencies ---------------------------------------------------------
# fstests' README (Debian): build and run dependencies, minus the kernel
# headers of the host; xfsdump and xfslibs-dev for the XFS tests.
FSTESTS_PACKAGES=(
	acl attr automake bc dbench dump e2fsprogs fio gawk gcc git indent
	libacl1-dev libaio-dev libcap-dev libgdbm-dev libgdbm-compat-dev
	libtool libtool-bin liburing-dev libuuid1 lvm2 make psmisc python3
	quota sed sqlite3 uuid-dev uuid-runtime xfsprogs xfsdump xfslibs-dev
	rsync
)
missing=()
for p in "${FSTESTS_PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed' ||
		missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	[ "$(id -u)" = 0 ] || die "missing packages (${missing[*]}) and not root: run as root"
	log "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	run_logged "$MD_LOGS/apt-fstests.log" "apt-get install" \
		sh -c 'apt-get update && apt-get install -y --no-install-recommends "$@"' sh "${missing[@]}"
else
	log "all ${#FSTESTS_PACKAGES[@]} packages of fstests present"
fi

# --- 2. build a copy of the checkout ------------------------------------------
src=$BUILD_DIR/fstests-src
commit=$(git -C "$FSTESTS" log -1 --format='%H %cs %s' 2>/dev/null || echo "unknown (not a git checkout)")
log "fstests $commit"
# shellcheck disable=SC2317 # called through run_logged
fst_build() {
	rsync -a --delete --exclude=.git "$(realpath "$FSTESTS")/" "$src/"
	make -C "$src" -j"${MD_JOBS:-$(nproc)}"
}
# A git checkout whose commit and changes were built last time is not
# rebuilt (make reruns configure: a minute for nothing).
stamp=$src/.mapdirect-built
want=$({ git -C "$FSTESTS" rev-parse HEAD && git -C "$FSTESTS" status --porcelain; } 2>/dev/null |
	sha256sum | cut -d' ' -f1) || want=""
if [ "$commit" != "${commit#unknown}" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
	rm -f "$stamp"
	run_logged "$MD_LOGS/build-fstests.log" "fstests build in $src" fst_build
	printf '%s\n' "$want" >"$stamp"
else
	log "fstests build in $src is up to date"
fi

# --- 3. kernels ------------------------------------------------------------------
if [ -z "$patched" ]; then
	patched=$BUILD_DIR/kernels/new/bzImage
	[ -f "$patched" ] || patched=$MD_OBJ/arch/x86/boot/bzImage
fi
declare -A kfile
for k in "${kernels[@]}"; do
	case "$k" in
	patched) kfile[$k]=$patched ;;
	base)
		if [ -z "$base_k" ]; then
			base_k=$("$MD_SCRIPTS/base-kernel.sh" | tail -n 1) || die "scripts/base-kernel.sh failed"
		fi
		kfile[$k]=$base_k
		;;
	esac
	[ -f "${kfile[$k]}" ] || die "no $k kernel at ${kfile[$k]}"
	log "$k kernel: ${kfile[$k]}"
done

# --- 4. the runs ---------------------------------------------------------------
out=$BUILD_DIR/fstests/$(date +%Y%m%d-%H%M%S)-$$
mkdir -p "$out"
ln -sfn "$(basename "$out")" "$BUILD_DIR/fstests/latest"
printf '%s\n' "$commit" >"$out/fstests-commit.txt"
# A copy of each kernel: every run of this invocation boots the same one,
# even if the file is rebuilt meanwhile.
for k in "${kernels[@]}"; do
	cp "${kfile[$k]}" "$out/bzImage-$k"
	printf '%s %s\n' "$k" "$(sha256sum "${kfile[$k]}")"
	kfile[$k]=$out/bzImage-$k
done >"$out/kernels.txt"
mapfile -t entries < <(list_entries "$list")
excl=() tests=()
for e in "${entries[@]}"; do
	e=${e%%[[:space:]]*}
	case "$e" in
	!*) excl+=("${e#!}") ;;
	*) tests+=("$e") ;;
	esac
done
printf '%s\n' "${excl[@]}" >"$out/exclude"
cp "$list" "$out/list"

# Boots one guest, printing a progress line a minute from its check.out.
run_guest() {
	local k=$1 fs=$2 dir=$out/$1-$2 args=() t pid rc=0 n last
	if [ -n "$group" ]; then
		args=(-g "$group" -E "$out/exclude")
	else
		for t in "${tests[@]}"; do
			case "$t" in
			generic/* | "$fs"/*) args+=("$t") ;;
			esac
		done
	fi
	mkdir -p "$dir"
	log "$k kernel, DAX $fs: ${group:+group $group}${group:-${#args[@]} tests}, results in $dir"
	# The guest's clock: under a loaded TCG host the TSC calibration
	# can be off by 10x (guest time running 10x fast), which shortens
	# every sleep and timeout of the tests; the HPET keeps real time.
	MD_APPEND="clocksource=hpet ${MD_APPEND:-}" "$MD_SCRIPTS/boot.sh" \
		--kernel "${kfile[$k]}" --run-dir "$dir" --nvdimm-size "$nv_size" \
		--timeout "$timeout" -- "$MD_SCRIPTS/fstests-guest.sh" "$fs" "$src" \
		"${args[@]}" >"$dir/boot.log" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		for ((n = 0; n < MD_TICK; n++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 1
		done
		if kill -0 "$pid" 2>/dev/null; then
			n=$(grep -cE '^(generic|xfs|ext4)/[0-9]+ ' "$dir/check.out" 2>/dev/null) || true
			last=$(grep -oE '^(generic|xfs|ext4)/[0-9]+' "$dir/check.out" 2>/dev/null | tail -n 1) || true
			log "$k $fs: ${n:-0} tests done${last:+, last $last}"
		fi
	done
	wait "$pid" || rc=$?
	if [ "$rc" -ne 0 ]; then
		tail -n 20 "$dir/boot.log" >&2
		warn "$k kernel, DAX $fs: the guest run failed (exit $rc), see $dir/boot.log"
		return 0
	fi
	log "$k $fs: $(awk -F': ' '/^(Ran|Not run|Failures): / { printf "%s%s %d", sep, $1, split($2, a, " "); sep = ", " }' \
		"$dir/check.out" 2>/dev/null)"
}
for fs in "${fs_list[@]}"; do
	for k in "${kernels[@]}"; do
		run_guest "$k" "$fs"
	done
done

# --- 5. the table ------------------------------------------------------------------
rc=0
print_table "$out" || rc=1
log "results: $out (table.txt); total $(step_elapsed)"
exit "$rc"
