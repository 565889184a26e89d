#!/bin/bash
# Usage: scripts/boot.sh [options] [-- GUEST-COMMAND [ARGS...]]
#
# Boots the test kernel under qemu-system-x86_64 -machine pc,nvdimm=on with
# two emulated NVDIMMs (sparse files, label-less, recreated every boot), the
# host root read-only over virtio-9p and the run folder writable over a
# second 9p share.  The guest's PID 1 is scripts/guest-init.sh: it turns each
# namespace into fsdax with ndctl, makes XFS on pmem0 and ext4 on pmem1,
# mounts both with DAX (and fails if DAX is not there), adds non-DAX XFS and
# ext4 twins on tmpfs-backed loop images, runs GUEST-COMMAND with the mount
# points in its environment, saves dmesg and powers off.
#
# KVM is used only if a short probe (cached per host kernel and QEMU
# version) shows that it boots this kernel; otherwise TCG.
#
# Options:
#   --run-dir DIR        folder for the serial log and the guest's results
#                        (default: build/runs/<date>-<pid>)
#   --kernel FILE        bzImage to boot (default: the build's)
#   --boot-timeout SECS  the guest init must start within this (default 120)
#   --timeout SECS       hard limit for the whole boot (default 1800)
#   --nvdimm-size SIZE   size of each NVDIMM, a multiple of 16M (default 1G)
#   --cpus N             vCPUs of the guest (default 2)
#   --shell              interactive: a shell on the console instead of a
#                        command (leave it with "exit")
#
# Environment: QEMU (default qemu-system-x86_64), MD_ACCEL=tcg|kvm to skip
# the probe, MD_APPEND for extra kernel parameters, MD_GUEST_ENV for
# NAME=VALUE settings (space-separated) exported to the guest command,
# MD_QEMU_ARGS for extra QEMU options (space-separated, e.g. "-icount
# shift=0,sleep=on" for instruction-counted guest time).
# Exit status: the guest command's, or 1 with the reason and the last 40
# lines of the serial log when the guest panics, hangs or cannot boot.

# One compound command, read whole before it runs: editing this file while
# a guest runs cannot change what the running boot does.
{
MD_STEP=boot
. "$(dirname "$0")/lib.sh"
md_paths

run_dir="" kernel=$MD_OBJ/arch/x86/boot/bzImage boot_timeout=120 timeout=1800
nv_size=1G shell=0 cpus=2
while [ "$#" -gt 0 ]; do
	case "$1" in
	-h | --help) usage; exit 0 ;;
	--run-dir) run_dir=$2; shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	--boot-timeout) boot_timeout=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--nvdimm-size) nv_size=$2; shift 2 ;;
	--cpus) cpus=$2; shift 2 ;;
	--shell) shell=1; shift ;;
	--) shift; break ;;
	*) usage >&2; die "unknown argument: $1" ;;
	esac
done
[ "$shell" = 1 ] || [ "$#" -gt 0 ] || die "no guest command given (see --help)"
case "$cpus" in
'' | 0 | *[!0-9]*) die "--cpus wants a positive number, not '$cpus'" ;;
esac

QEMU=${QEMU:-qemu-system-x86_64}
command -v "$QEMU" >/dev/null 2>&1 ||
	die "QEMU ($QEMU) not found: install qemu-system-x86 (scripts/deps.sh)"
[ -f "$kernel" ] || die "no kernel at $kernel: run scripts/build.sh first"
case "$nv_size" in
*G) nv_mb=$((${nv_size%G} * 1024)) ;;
*M) nv_mb=${nv_size%M} ;;
*) die "--nvdimm-size must end in M or G: $nv_size" ;;
esac
[ $((nv_mb % 16)) -eq 0 ] || die "--nvdimm-size $nv_size is not a multiple of 16M (fsdax needs 16M alignment)"

if [ -z "$run_dir" ]; then
	run_dir=$BUILD_DIR/runs/$(date +%Y%m%d-%H%M%S)-$$
fi
mkdir -p "$run_dir"
run_dir=$(realpath "$run_dir")
serial=$run_dir/serial.log
vm=$BUILD_DIR/vm
mkdir -p "$vm"
rm -f "$run_dir/guest-status" "$run_dir/guest-ready" "$serial"

# KVM probe: boot the kernel without a root filesystem; under a working KVM
# it reaches the "unable to mount root" panic within seconds.
probe_kvm() {
	local cache=$vm/kvm-probe key verdict=tcg plog=$vm/kvm-probe.log
	key="$(uname -r) $("$QEMU" --version | head -n1)"
	if [ -f "$cache" ] && [ "$(head -n1 "$cache")" = "$key" ]; then
		sed -n 2p "$cache"
		return
	fi
	if [ -w /dev/kvm ]; then
		timeout 20 "$QEMU" -machine pc,accel=kvm -cpu host -m 256M -nodefaults \
			-display none -no-reboot -serial "file:$plog" -kernel "$kernel" \
			-append "console=ttyS0 panic=-1 root=/dev/nonexistent" >/dev/null 2>&1 || true
		if grep -q 'Kernel panic\|VFS: Unable to mount root' "$plog" 2>/dev/null; then
			verdict=kvm
		fi
	fi
	printf '%s\n%s\n' "$key" "$verdict" >"$cache"
	echo "$verdict"
}
accel=${MD_ACCEL:-$(probe_kvm)}
case "$accel" in
kvm) cpu=host ;;
tcg) cpu=max ;;
*) die "MD_ACCEL must be tcg or kvm, not '$accel'" ;;
esac

# Each boot gets its own NVDIMM images, so that boots can run side by side.
nvdir=$(mktemp -d "$vm/nvdimm.XXXXXX")
trap 'rm -rf "$nvdir"' EXIT
for i in 0 1; do
	truncate -s "${nv_mb}M" "$nvdir/nvdimm$i.img"
done

# What the guest init reads from the run folder.
{
	printf 'MD_REPO=%q\n' "$MD_REPO"
	printf 'MD_SHELL=%q\n' "$shell"
	printf 'MD_GUEST_CMD=('
	printf '%q ' "$@"
	printf ')\n'
	printf 'MD_GUEST_ENV=('
	for kv in ${MD_GUEST_ENV:-}; do
		printf '%q ' "$kv"
	done
	printf ')\n'
	# Host paths the guest must see even if its tmpfs mounts cover them.
	printf 'MD_HOST_PATHS=('
	printf '%q ' "$MD_REPO" "$(realpath "$BUILD_DIR")"
	for a in "$@"; do
		case "$a" in
		/*) [ -e "$a" ] && printf '%q ' "$(realpath "$a")" ;;
		esac
	done
	printf ')\n'
} >"$run_dir/guest.env"

append="console=ttyS0 loglevel=5 panic=-1 root=/dev/root rootfstype=9p"
append+=" rootflags=trans=virtio,version=9p2000.L,msize=512000,cache=loose ro"
append+=" init=$MD_SCRIPTS/guest-init.sh ${MD_APPEND:-}"
qemu_args=(
	-machine "pc,nvdimm=on,accel=$accel" -cpu "$cpu" -smp "$cpus"
	-m "4G,slots=4,maxmem=$((4096 + 2 * nv_mb + 1024))M"
	-nodefaults -display none -no-reboot
	-kernel "$kernel" -append "$append"
	-fsdev "local,id=root,path=/,security_model=none,readonly=on,multidevs=remap"
	-device "virtio-9p-pci,fsdev=root,mount_tag=/dev/root"
	-fsdev "local,id=results,path=$run_dir,security_model=none,multidevs=remap"
	-device "virtio-9p-pci,fsdev=results,mount_tag=results"
)
if [ -n "${MD_QEMU_ARGS:-}" ]; then
	read -ra extra <<<"$MD_QEMU_ARGS"
	qemu_args+=("${extra[@]}")
fi
for i in 0 1; do
	qemu_args+=(-object "memory-backend-file,id=nv$i,share=on,mem-path=$nvdir/nvdimm$i.img,size=${nv_mb}M"
		-device "nvdimm,id=nvdimm$i,memdev=nv$i")
done

log "booting $(basename "$kernel") ($accel, $cpus vCPU(s), 2 NVDIMMs of $nv_size${MD_QEMU_ARGS:+, $MD_QEMU_ARGS}), serial log: $serial"
if [ "$shell" = 1 ]; then
	exec "$QEMU" "${qemu_args[@]}" -serial mon:stdio
fi

tail40() {
	printf '%s\n' "----- last 40 lines of $serial -----" >&2
	tail -n 40 "$serial" >&2 || true
	printf '%s\n' "-----" >&2
}

t0=$(date +%s)
"$QEMU" "${qemu_args[@]}" -serial "file:$serial" >"$run_dir/qemu.log" 2>&1 &
qpid=$!
booted=0
while kill -0 "$qpid" 2>/dev/null; do
	now=$(($(date +%s) - t0))
	if [ "$booted" = 0 ] && grep -q '^MAPDIRECT-GUEST: init started' "$serial" 2>/dev/null; then
		booted=1
		log "guest init started after ${now}s"
	fi
	if [ "$booted" = 0 ] && [ "$now" -ge "$boot_timeout" ]; then
		kill "$qpid" 2>/dev/null || true
		wait "$qpid" 2>/dev/null || true
		tail40
		die "the guest did not reach its init within ${boot_timeout}s (hung at boot?)"
	fi
	if [ "$now" -ge "$timeout" ]; then
		kill "$qpid" 2>/dev/null || true
		wait "$qpid" 2>/dev/null || true
		tail40
		die "the guest did not finish within ${timeout}s; killed"
	fi
	sleep 1
done
qrc=0
wait "$qpid" || qrc=$?
elapsed=$(($(date +%s) - t0))
if [ "$qrc" -ne 0 ]; then
	cat "$run_dir/qemu.log" >&2
	tail40
	die "QEMU failed (exit $qrc)"
fi
if grep -q 'Kernel panic' "$serial"; then
	tail40
	die "the guest kernel panicked (after ${elapsed}s)"
fi
if [ ! -f "$run_dir/guest-status" ]; then
	tail40
	die "the guest powered off without a result (after ${elapsed}s)"
fi
status=$(cat "$run_dir/guest-status")
log "guest finished after ${elapsed}s, status: $status"
case "$status" in
'' | *[!0-9]*)
	tail40
	die "guest setup failed: $status"
	;;
esac
exit "$status"
}
