#!/bin/bash
# Usage (in the guest, as the command of scripts/boot.sh, from scripts/fstests.sh):
#   scripts/fstests-guest.sh FSTYP FSTESTS_DIR CHECK_ARGS...
#
# Runs fstests' ./check on DAX: unmounts the harness's DAX mounts, makes
# FSTYP (xfs with reflink=1, or ext4 -b 4096) on /dev/pmem0 and mounts it
# with -o dax=always as TEST_DEV on /mnt/test (failing if DAX is not on),
# gives /dev/pmem1 to fstests as SCRATCH_DEV (mounted by the tests with the
# same options), adds fstests' users (fsgqa, fsgqa2, 123456-fsgqa) to
# tmpfs copies of /etc/passwd, /etc/group and /etc/shadow bound over the
# read-only host files, writes the fstests config to /tmp/fstests/local.config and runs
#   ./check -R xunit CHECK_ARGS...
# in a tmpfs copy of FSTESTS_DIR (a built fstests tree, read-only here).
# Results (check.log, result.xml, <test>.full, .out.bad, .dmesg) go to
# $MD_RESULTS/results, the console output to $MD_RESULTS/check.out.
# Exit status: 0 when ./check ran (whatever the tests' results), else 1.

set -u
fstyp=$1 src=$2
shift 2
R=$MD_RESULTS
test_dev=/dev/pmem0 scratch_dev=/dev/pmem1
test_dir=/mnt/test scratch_mnt=/mnt/scratch
mnt_opts="-o dax=always"

fail() {
	echo "MAPDIRECT-GUEST: fstests setup failed: $*"
	exit 1
}

umount "$MD_MNT_XFS_DAX" "$MD_MNT_EXT4_DAX" || fail "cannot unmount the harness's DAX mounts"
case "$fstyp" in
xfs) mkfs_opts="-m reflink=1" ;;
ext4) mkfs_opts="-b 4096" ;;
*) fail "unknown FSTYP $fstyp" ;;
esac
# shellcheck disable=SC2086 # option lists
case "$fstyp" in
xfs) mkfs.xfs -f -q $mkfs_opts "$test_dev" ;;
ext4) mkfs.ext4 -F -q $mkfs_opts "$test_dev" ;;
esac || fail "mkfs.$fstyp $mkfs_opts $test_dev"
mkdir -p "$test_dir" "$scratch_mnt"
# shellcheck disable=SC2086
mount $mnt_opts "$test_dev" "$test_dir" || fail "mount $mnt_opts $test_dev"
opts=$(awk -v m="$test_dir" '$2 == m { print $4 }' /proc/mounts)
echo ",$opts," | grep -Eq ',dax(=always)?,' || fail "$test_dir is mounted without DAX: $opts"
umount "$test_dir"

# fstests' users, in tmpfs copies of the read-only host files (su needs
# the shadow entry too).
mkdir -p /tmp/fstests/etc
for f in passwd group shadow; do
	cp "/etc/$f" "/tmp/fstests/etc/$f"
done
grep -q '^fsgqa:' /tmp/fstests/etc/group ||
	echo 'fsgqa:x:31415:' >>/tmp/fstests/etc/group
for u in fsgqa:31415 fsgqa2:31416 123456-fsgqa:31417; do
	grep -q "^${u%%:*}:" /tmp/fstests/etc/passwd && continue
	echo "${u%%:*}:x:${u#*:}:31415::/tmp:/bin/bash" >>/tmp/fstests/etc/passwd
	echo "${u%%:*}:*:19000:0:99999:7:::" >>/tmp/fstests/etc/shadow
done
for f in passwd group shadow; do
	mount --bind "/tmp/fstests/etc/$f" "/etc/$f" || fail "cannot bind /etc/$f"
done

cat >/tmp/fstests/local.config <<EOF
export FSTYP=$fstyp
export TEST_DEV=$test_dev
export TEST_DIR=$test_dir
export SCRATCH_DEV=$scratch_dev
export SCRATCH_MNT=$scratch_mnt
export MKFS_OPTIONS="$mkfs_opts"
export MOUNT_OPTIONS="$mnt_opts"
export TEST_FS_MOUNT_OPTS="$mnt_opts"
export RESULT_BASE=$R/results
EOF
cp /tmp/fstests/local.config "$R/local.config"
{
	echo "kernel: $(uname -r) $(uname -v)"
	echo "fstyp: $fstyp, TEST_DEV $test_dev, SCRATCH_DEV $scratch_dev"
	blockdev --getsize64 "$test_dev" "$scratch_dev" | sed 's/^/device bytes: /'
	grep -H . /sys/block/pmem[01]/queue/dax
} >"$R/guest-info.txt"

# A writable copy: ./check and some tests write into the tree.
cp -a "$src" /tmp/fstests/src || fail "cannot copy the fstests tree $src"
cd /tmp/fstests/src || exit 1
echo "MAPDIRECT-GUEST: ./check $* at $(cut -d' ' -f1 /proc/uptime)s"
HOST_OPTIONS=/tmp/fstests/local.config ./check -R xunit "$@" >"$R/check.out" 2>&1
rc=$?
echo "MAPDIRECT-GUEST: ./check exited with $rc at $(cut -d' ' -f1 /proc/uptime)s"
[ -f "$R/results/result.xml" ] || fail "./check wrote no result.xml (exit $rc), see check.out"
exit 0
