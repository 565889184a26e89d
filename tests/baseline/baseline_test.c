// SPDX-License-Identifier: GPL-2.0
/*
 * Baseline: the Linux 6.12 mmap(2) behaviour that the MAP_DIRECT series must
 * leave exactly as it is.  Every expectation below is what an unpatched
 * 6.12.117 kernel does in this harness:
 *
 *  flags                          DAX xfs/ext4  non-DAX xfs/ext4  tmpfs
 *  MAP_SHARED                     ok            ok                ok
 *  MAP_SHARED_VALIDATE            ok            ok                ok
 *  MAP_SHARED | MAP_SYNC          ok            EOPNOTSUPP        ok
 *  MAP_SHARED_VALIDATE | MAP_SYNC ok            EOPNOTSUPP        EOPNOTSUPP
 *  MAP_PRIVATE | MAP_SYNC         ok            EOPNOTSUPP        ok
 *  MAP_SHARED_VALIDATE | unknown  EOPNOTSUPP    EOPNOTSUPP        EOPNOTSUPP
 *  MAP_SHARED | unknown           ok            ok                ok
 *
 * MAP_SYNC on non-DAX XFS/ext4 fails even without MAP_SHARED_VALIDATE
 * because calc_vm_flag_bits() turns it into VM_SYNC before do_mmap() masks
 * the legacy flags, and the filesystem's ->mmap refuses VM_SYNC there.
 *
 * Also pinned: data stored through a MAP_SYNC mapping reads back; a
 * MAP_SYNC mapping does not stop truncate or any fallocate mode (no seal);
 * an ELF binary on a DAX filesystem executes; MAP_PRIVATE of a DAX file is
 * copy-on-write.
 */
#define _GNU_SOURCE
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "md_test.h"

#define FILE_SIZE	(1024 * 1024UL)

/* Bits no kernel of this series knows (MAP_DIRECT is 0x400000). */
static const unsigned long unknown_bits[] = { 0x400, 0x800000, 0x1000000, 0x2000000 };

/* --- every filesystem: the flag matrix ---------------------------------- */

FIXTURE(fs) {
	char path[PATH_MAX];
	int fd;
};

FIXTURE_VARIANT(fs) {
	struct md_fs fs;
};

FIXTURE_VARIANT_ADD(fs, dax_xfs) { .fs = MD_FS_DAX_XFS };
FIXTURE_VARIANT_ADD(fs, dax_ext4) { .fs = MD_FS_DAX_EXT4 };
FIXTURE_VARIANT_ADD(fs, xfs) { .fs = MD_FS_XFS };
FIXTURE_VARIANT_ADD(fs, ext4) { .fs = MD_FS_EXT4 };
FIXTURE_VARIANT_ADD(fs, tmpfs) { .fs = MD_FS_TMPFS };

FIXTURE_SETUP(fs)
{
	char why[128];
	const char *dir = md_mount(&variant->fs, why, sizeof(why));

	self->fd = -1;
	if (!dir)
		SKIP(return, "%s", why);
	self->fd = md_create(dir, "baseline", self->path);
	ASSERT_LE(0, self->fd) TH_LOG("create %s: %s", self->path, strerror(errno));
	ASSERT_EQ(0, md_write_pattern(self->fd, 0, FILE_SIZE, 1));
	ASSERT_EQ(0, fsync(self->fd));
}

FIXTURE_TEARDOWN(fs)
{
	if (self->fd >= 0) {
		close(self->fd);
		unlink(self->path);
	}
}

/* The expected result of a mapping on this variant. */
static int expect(const struct md_fs *fs, int dax, int nondax, int tmpfs)
{
	if (fs->tmpfs)
		return tmpfs;
	return fs->dax ? dax : nondax;
}

static const char *err_name(int err)
{
	return err ? strerror(err) : "success";
}

#define CHECK_MMAP(flags, want) do {					\
	int _want = (want);						\
	int _got = md_try_mmap(self->fd, FILE_SIZE,			\
			       PROT_READ | PROT_WRITE, (flags));	\
	EXPECT_EQ(_want, _got) TH_LOG("mmap(%s) on %s: %s, expected %s",\
		#flags, variant->fs.name, err_name(_got), err_name(_want)); \
} while (0)

TEST_F(fs, statx_dax_attribute)
{
	ASSERT_EQ(variant->fs.dax, md_is_dax(self->fd))
		TH_LOG("STATX_ATTR_DAX on %s", variant->fs.name);
}

TEST_F(fs, shared)
{
	CHECK_MMAP(MAP_SHARED, 0);
}

TEST_F(fs, shared_validate)
{
	CHECK_MMAP(MAP_SHARED_VALIDATE, 0);
}

TEST_F(fs, shared_sync)
{
	CHECK_MMAP(MAP_SHARED | MAP_SYNC, expect(&variant->fs, 0, EOPNOTSUPP, 0));
}

TEST_F(fs, shared_validate_sync)
{
	CHECK_MMAP(MAP_SHARED_VALIDATE | MAP_SYNC,
		   expect(&variant->fs, 0, EOPNOTSUPP, EOPNOTSUPP));
}

TEST_F(fs, private_sync)
{
	CHECK_MMAP(MAP_PRIVATE | MAP_SYNC, expect(&variant->fs, 0, EOPNOTSUPP, 0));
}

TEST_F(fs, shared_validate_unknown_bit_refused)
{
	unsigned int i;

	for (i = 0; i < sizeof(unknown_bits) / sizeof(unknown_bits[0]); i++) {
		int flags = MAP_SHARED_VALIDATE | (int)unknown_bits[i];

		EXPECT_EQ(EOPNOTSUPP, md_try_mmap(self->fd, FILE_SIZE,
						  PROT_READ | PROT_WRITE, flags))
			TH_LOG("MAP_SHARED_VALIDATE|%#lx", unknown_bits[i]);
	}
}

TEST_F(fs, shared_unknown_bit_ignored)
{
	unsigned int i;

	for (i = 0; i < sizeof(unknown_bits) / sizeof(unknown_bits[0]); i++) {
		EXPECT_EQ(0, md_try_mmap(self->fd, FILE_SIZE, PROT_READ | PROT_WRITE,
					 MAP_SHARED | (int)unknown_bits[i]))
			TH_LOG("MAP_SHARED|%#lx", unknown_bits[i]);
		EXPECT_EQ(0, md_try_mmap(self->fd, FILE_SIZE, PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | (int)unknown_bits[i]))
			TH_LOG("MAP_PRIVATE|%#lx", unknown_bits[i]);
	}
}

TEST_F(fs, shared_validate_denywrite_accepted)
{
	/* Deprecated, but in LEGACY_MAP_MASK: accepted and ignored. */
	CHECK_MMAP(MAP_SHARED_VALIDATE | MAP_DENYWRITE | MAP_EXECUTABLE, 0);
}

/* --- DAX filesystems only ------------------------------------------------ */

FIXTURE(dax) {
	char dir[PATH_MAX];
	char path[PATH_MAX];
	int fd;
};

FIXTURE_VARIANT(dax) {
	struct md_fs fs;
};

FIXTURE_VARIANT_ADD(dax, xfs) { .fs = MD_FS_DAX_XFS };
FIXTURE_VARIANT_ADD(dax, ext4) { .fs = MD_FS_DAX_EXT4 };

FIXTURE_SETUP(dax)
{
	char why[128];
	const char *dir = md_mount(&variant->fs, why, sizeof(why));

	self->fd = -1;
	if (!dir)
		SKIP(return, "%s", why);
	snprintf(self->dir, sizeof(self->dir), "%s", dir);
	self->fd = md_create(dir, "baseline-dax", self->path);
	ASSERT_LE(0, self->fd) TH_LOG("create %s: %s", self->path, strerror(errno));
	if (md_is_dax(self->fd) != 1)
		SKIP(return, "%s: a new file there is not DAX", variant->fs.name);
}

FIXTURE_TEARDOWN(dax)
{
	if (self->fd >= 0) {
		close(self->fd);
		unlink(self->path);
	}
}

TEST_F(dax, map_sync_data_reads_back)
{
	size_t len = 16 * MD_PAGE;
	unsigned char *p;

	/* A sparse file: every store is an allocating synchronous fault. */
	ASSERT_EQ(0, ftruncate(self->fd, len));
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_SHARED_VALIDATE | MAP_SYNC, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap MAP_SYNC: %s", strerror(errno));
	md_fill(p, 0, len, 2);
	ASSERT_EQ(0, munmap(p, len));
	EXPECT_EQ(-1, md_read_check(self->fd, 0, len, 2));
}

TEST_F(dax, map_sync_mapping_does_not_seal)
{
	int unshare = variant->fs.xfs ? 0 : EOPNOTSUPP;
	size_t len = 512 * 1024;
	unsigned char *p;

	ASSERT_EQ(0, md_write_pattern(self->fd, 0, FILE_SIZE, 3));
	ASSERT_EQ(0, fsync(self->fd));
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_SHARED_VALIDATE | MAP_SYNC, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap MAP_SYNC: %s", strerror(errno));
	p[0] ^= 0xff;

#define OK_OR_ERRNO(expr) ((expr) ? errno : 0)
	EXPECT_EQ(0, OK_OR_ERRNO(ftruncate(self->fd, FILE_SIZE / 2)));
	EXPECT_EQ(0, OK_OR_ERRNO(ftruncate(self->fd, FILE_SIZE)));
	EXPECT_EQ(0, OK_OR_ERRNO(fallocate(self->fd, 0, FILE_SIZE, 65536)));
	EXPECT_EQ(0, OK_OR_ERRNO(fallocate(self->fd, FALLOC_FL_KEEP_SIZE,
					   2 * FILE_SIZE, 65536)));
	EXPECT_EQ(0, OK_OR_ERRNO(fallocate(self->fd,
					   FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					   65536, 65536)));
	EXPECT_EQ(0, OK_OR_ERRNO(fallocate(self->fd, FALLOC_FL_ZERO_RANGE,
					   131072, 65536)));
	EXPECT_EQ(0, OK_OR_ERRNO(fallocate(self->fd, FALLOC_FL_COLLAPSE_RANGE,
					   262144, 65536)));
	EXPECT_EQ(0, OK_OR_ERRNO(fallocate(self->fd, FALLOC_FL_INSERT_RANGE,
					   262144, 65536)));
	EXPECT_EQ(unshare, OK_OR_ERRNO(fallocate(self->fd, FALLOC_FL_UNSHARE_RANGE,
						 0, 65536)));
#undef OK_OR_ERRNO
	EXPECT_EQ(0, munmap(p, len));
}

TEST_F(dax, elf_binary_executes)
{
	char exe[PATH_MAX + 16];
	char buf[65536];
	int in, out, status;
	ssize_t n;
	pid_t pid;

	snprintf(exe, sizeof(exe), "%s/md-true-%d", self->dir, getpid());
	in = open("/usr/bin/true", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, in);
	out = open(exe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	ASSERT_LE(0, out) TH_LOG("create %s: %s", exe, strerror(errno));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		ASSERT_EQ(n, write(out, buf, n));
	ASSERT_EQ(0, n);
	close(in);
	ASSERT_EQ(0, close(out));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		execl(exe, exe, (char *)NULL);
		_exit(127);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	unlink(exe);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("exec of %s", exe);
}

TEST_F(dax, private_mapping_is_copy_on_write)
{
	size_t len = 2 * MD_PAGE;
	unsigned char *p;

	ASSERT_EQ(0, md_write_pattern(self->fd, 0, len, 4));
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap MAP_PRIVATE: %s", strerror(errno));
	ASSERT_EQ(-1, md_check(p, 0, len, 4));

	/* Page 0 gets private data; page 1 stays the file's. */
	md_fill(p, 0, MD_PAGE, 5);
	EXPECT_EQ(-1, md_check(p, 0, MD_PAGE, 5));
	EXPECT_EQ(-1, md_check(p + MD_PAGE, MD_PAGE, MD_PAGE, 4));
	EXPECT_EQ(-1, md_read_check(self->fd, 0, len, 4));
	ASSERT_EQ(0, munmap(p, len));
	EXPECT_EQ(-1, md_read_check(self->fd, 0, len, 4));
}

TEST_HARNESS_MAIN
