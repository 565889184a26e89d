#!/bin/bash
# PID 1 of the test guest started by scripts/boot.sh (not for the host).
#
# Mounts the pseudo filesystems and the results share, turns every
# label-less NVDIMM namespace into fsdax with ndctl, makes XFS on pmem0 and
# ext4 on pmem1 and mounts them with DAX, checking that DAX is really on
# (/sys/block/pmemN/queue/dax and the mount options); makes the non-DAX XFS
# and ext4 twins on tmpfs-backed loop images; then runs the command from the
# results share's guest.env with the mount points in its environment,
# writes its exit status to guest-status, saves dmesg and powers off.
# Any setup failure is written to guest-status as text: boot.sh fails on it.

set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=${TERM:-linux}
R=/mnt/results

poweroff_now() {
	sync
	# reboot(2) with LINUX_REBOOT_CMD_POWER_OFF; sysrq as a fallback.
	perl -e 'syscall(169, 0xfee1dead, 0x28121969, 0x4321fedc, 0)' 2>/dev/null
	echo o >/proc/sysrq-trigger
	sleep 30
}

fail_setup() {
	echo "MAPDIRECT-GUEST: setup failed: $*"
	[ -d "$R" ] && echo "setup failed: $*" >"$R/guest-status"
	dmesg >"$R/dmesg.txt" 2>/dev/null
	poweroff_now
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
# devtmpfs has no /dev/fd, /dev/stdout, ... (udev makes them); the kselftest
# runner writes to /dev/stdout.
ln -sfn /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
# Writable tmpfs over the host's scratch folders; keep the host root
# reachable under /dev/.host first, so that host paths the run needs (the
# repository, the build folder: a clone may well live in /tmp) can be bound
# back after the tmpfs covers them.
scratch_dirs=(/tmp /run /mnt /var/tmp /var/log)
mkdir -p /dev/.host
mount --bind / /dev/.host
for d in "${scratch_dirs[@]}"; do
	mount -t tmpfs -o mode=1777 tmpfs "$d"
done
mkdir -p "$R"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 results "$R" || {
	echo "MAPDIRECT-GUEST: cannot mount the results share"
	poweroff_now
}
# shellcheck source=/dev/null
. "$R/guest.env"
for p in "${MD_HOST_PATHS[@]}"; do
	for d in "${scratch_dirs[@]}"; do
		case "$p/" in
		"$d"/*)
			mkdir -p "$p"
			mount --bind "/dev/.host$p" "$p" || fail_setup "cannot bind host path $p"
			;;
		esac
	done
done
echo "MAPDIRECT-GUEST: init started at $(cut -d' ' -f1 /proc/uptime)s"
hostname mapdirect-guest

# --- DAX filesystems on the emulated NVDIMMs -------------------------------
evidence=$R/dax.txt
: >"$evidence"
mkdir -p /mnt/dax-xfs /mnt/dax-ext4 /mnt/xfs /mnt/ext4 /tmp/tmpfs
nss=$(ls -d /sys/bus/nd/devices/namespace*.0 2>/dev/null)
[ "$(echo "$nss" | wc -w)" -ge 2 ] || fail_setup "expected 2 NVDIMM namespaces, found: ${nss:-none}"
for ns in $nss; do
	ns=$(basename "$ns")
	out=$(ndctl create-namespace -f -e "$ns" -m fsdax 2>&1) ||
		fail_setup "ndctl create-namespace -f -e $ns -m fsdax: $out"
	echo "$out" >>"$evidence"
done
for i in 0 1; do
	[ -b /dev/pmem$i ] || fail_setup "no /dev/pmem$i after the fsdax conversion"
	dax=$(cat /sys/block/pmem$i/queue/dax 2>/dev/null)
	echo "/sys/block/pmem$i/queue/dax: $dax" >>"$evidence"
	[ "$dax" = 1 ] || fail_setup "/sys/block/pmem$i/queue/dax is '$dax', not 1: no DAX"
done

# The reverse-mapping btree lets XFS handle a poisoned pmem page itself
# (its notify-failure hook), as a production DAX setup does.
mkfs.xfs -f -q -m rmapbt=1 /dev/pmem0 || fail_setup "mkfs.xfs /dev/pmem0"
mkfs.ext4 -F -q -b 4096 /dev/pmem1 || fail_setup "mkfs.ext4 /dev/pmem1"
mount -o dax=always /dev/pmem0 /mnt/dax-xfs || fail_setup "mount -o dax=always /dev/pmem0"
mount -o dax /dev/pmem1 /mnt/dax-ext4 || fail_setup "mount -o dax /dev/pmem1"

# The mount must really be DAX: XFS silently falls back to dax=never.
check_mount() {
	local mnt=$1 want=$2 opts
	opts=$(awk -v m="$mnt" '$2 == m { print $4 }' /proc/mounts)
	echo "$mnt: $opts" >>"$evidence"
	if [ "$want" = dax ]; then
		echo ",$opts," | grep -Eq ',dax(=always)?,' || fail_setup "$mnt is mounted without DAX: $opts"
	else
		echo ",$opts," | grep -Eq ',dax(=always)?,' && fail_setup "$mnt should not be DAX: $opts"
	fi
	return 0
}
check_mount /mnt/dax-xfs dax
check_mount /mnt/dax-ext4 dax
# Reflink stays on (mkfs.xfs default), so the shared-extent rules of
# MAP_DIRECT can be tested.
xfs_info /mnt/dax-xfs | grep -o '\(reflink\|rmapbt\)=[01]' | sed 's|^|/mnt/dax-xfs: |' >>"$evidence"
grep -q 'reflink=1' "$evidence" || fail_setup "XFS on pmem0 has no reflink"
grep -q 'rmapbt=1' "$evidence" || fail_setup "XFS on pmem0 has no rmapbt"

# --- Non-DAX twins on tmpfs-backed loop images -----------------------------
mkdir -p /tmp/images
truncate -s 512M /tmp/images/xfs.img /tmp/images/ext4.img
mkfs.xfs -f -q /tmp/images/xfs.img || fail_setup "mkfs.xfs on the loop image"
mkfs.ext4 -F -q -b 4096 /tmp/images/ext4.img || fail_setup "mkfs.ext4 on the loop image"
for fs in xfs ext4; do
	loop=$(losetup -f --show /tmp/images/$fs.img) || fail_setup "losetup of the $fs image"
	mount "$loop" /mnt/$fs || fail_setup "mount the $fs loop image ($loop)"
done
check_mount /mnt/xfs nodax
check_mount /mnt/ext4 nodax
chmod 1777 /mnt/dax-xfs /mnt/dax-ext4 /mnt/xfs /mnt/ext4 /tmp/tmpfs
ndctl list >>"$evidence" 2>&1

export MD_MNT_XFS_DAX=/mnt/dax-xfs MD_MNT_EXT4_DAX=/mnt/dax-ext4
export MD_MNT_XFS=/mnt/xfs MD_MNT_EXT4=/mnt/ext4 MD_MNT_TMPFS=/tmp/tmpfs
export MD_IN_QEMU=1 MD_RESULTS=$R
# Extra NAME=VALUE settings of the run (boot.sh: MD_GUEST_ENV).
for kv in "${MD_GUEST_ENV[@]}"; do
	export "${kv?}"
done
# A fixed address space layout: mm/mremap_test places its regions at low
# fixed addresses with MAP_FIXED_NOREPLACE and, with a randomized brk,
# sometimes lands its destination preamble on the heap (EEXIST).  The
# runs must not depend on the dice.
echo 0 >/proc/sys/kernel/randomize_va_space
echo "MAPDIRECT-GUEST: setup done at $(cut -d' ' -f1 /proc/uptime)s"

# --- The command -------------------------------------------------------------
if [ "${MD_SHELL:-0}" = 1 ]; then
	echo "MAPDIRECT-GUEST: interactive shell; mounts: $MD_MNT_XFS_DAX $MD_MNT_EXT4_DAX $MD_MNT_XFS $MD_MNT_EXT4 $MD_MNT_TMPFS"
	setsid bash -c 'exec bash -i </dev/ttyS0 >/dev/ttyS0 2>&1'
	rc=$?
else
	"${MD_GUEST_CMD[@]}"
	rc=$?
fi
echo "MAPDIRECT-GUEST: command exited with $rc at $(cut -d' ' -f1 /proc/uptime)s"
dmesg >"$R/dmesg.txt"
umount /mnt/dax-xfs /mnt/dax-ext4 /mnt/xfs /mnt/ext4 2>/dev/null
echo "$rc" >"$R/guest-status"
poweroff_now
