#!/bin/bash
# Usage: scripts/deps.sh [--check]
#
# Installs the Debian packages the pipeline needs (build, boot, guest tools,
# host checks) with apt-get, and the base kernel source package at the
# version pinned in scripts/base.env unless KSRC= names another tree.
# Packages that are already installed are not touched, so a second run is
# a no-op that takes a second.
#
#   --check   only report what is missing; exit 1 if anything is.

MD_STEP=deps
. "$(dirname "$0")/lib.sh"

# What each group is for:
#  build:  the kernel and the selftests (gcc-multilib for the -m32 builds,
#          liburing-dev for the io_uring cases of map_direct_pin_test,
#          libibverbs-dev for its RDMA cases)
#  guest:  the tools the guest runs from the host root over 9p
#          (ibverbs-providers: the Soft-RoCE user driver; iproute2: ip
#          and rdma, which make the Soft-RoCE device)
#  checks: host checks and the Coccinelle/sparse work on the series
#          (spatch's python rules load libpython3.X.so, which only the
#          -dev package provides; mandoc and groff lint the man pages,
#          docutils the kernel documentation the patches change,
#          ply checkpatch's SPDX licence check)
#  bench:  gnuplot draws scripts/bench.sh's plot
MD_PACKAGES=(
	build-essential flex bison bc libelf-dev libssl-dev cpio ccache
	gcc-multilib kmod rsync xz-utils git perl python3
	qemu-system-x86 ndctl xfsprogs e2fsprogs util-linux
	coccinelle libpython3-dev sparse shellcheck mandoc groff-base
	python3-docutils python3-ply liburcu-dev liburing-dev
	libibverbs-dev ibverbs-providers iproute2
	gnuplot-nox
)

check_only=0
case "${1:-}" in
-h | --help) usage; exit 0 ;;
--check) check_only=1 ;;
"") ;;
*) usage >&2; die "unknown argument: $1" ;;
esac

wanted=("${MD_PACKAGES[@]}")
if [ -z "${KSRC:-}" ]; then
	wanted+=("$BASE_PKG=$BASE_PKG_VERSION")
fi

installed() {
	local name=${1%%=*} ver=${1#*=} have
	have=$(dpkg-query -W -f='${Status} ${Version}' "$name" 2>/dev/null) || return 1
	case "$have" in
	"install ok installed "*) ;;
	*) return 1 ;;
	esac
	[ "$name" = "$1" ] || [ "${have##* }" = "$ver" ]
}

missing=()
for p in "${wanted[@]}"; do
	installed "$p" || missing+=("$p")
done

if [ "${#missing[@]}" -eq 0 ]; then
	log "all ${#wanted[@]} packages present"
	exit 0
fi
if [ "$check_only" = 1 ]; then
	die "missing packages: ${missing[*]}"
fi
[ "$(id -u)" = 0 ] || die "missing packages (${missing[*]}) and not root: run as root"

log "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
run_logged "$MD_LOGS/apt-update.log" "apt-get update" apt-get update
run_logged "$MD_LOGS/apt-install.log" "apt-get install" \
	apt-get install -y --no-install-recommends "${missing[@]}" || true
still=()
for p in "${missing[@]}"; do
	if ! installed "$p"; then
		cand=$(apt-cache policy "${p%%=*}" 2>/dev/null | sed -n 's/ *Candidate: //p')
		if [ -z "$cand" ] || [ "$cand" = "(none)" ]; then
			warn "package ${p%%=*} is not available from the configured Debian archive"
		elif [ "$p" != "${p%%=*}" ] && ! apt-cache madison "${p%%=*}" | grep -qF "| ${p#*=} |"; then
			warn "package ${p%%=*} version ${p#*=} is not in the archive (candidate: $cand)"
		else
			warn "package $p could not be installed; see $MD_LOGS/apt-install.log"
		fi
		still+=("$p")
	fi
done
[ "${#still[@]}" -eq 0 ] || die "missing packages: ${still[*]}"
step_done
