// SPDX-License-Identifier: GPL-2.0
/*
 * MAP_DIRECT: establishing a mapping and every error path, the lifetime of
 * the seal it puts on the file, faults in such a mapping, and the seal's
 * absence from anything persistent (umount/mount).  The ABI is
 * described in Documentation/userspace-api/mmap3.rst, the seal in
 * Documentation/filesystems/dax.rst.
 *
 * Fixtures:
 *   direct   DAX XFS, DAX ext4: MAP_DIRECT is supported
 *   nodax    non-DAX XFS, non-DAX ext4, tmpfs: MAP_DIRECT is EOPNOTSUPP
 *   remount  DAX XFS, DAX ext4: tests that unmount and remount the DAX fs
 *   (none)   anonymous mappings
 *
 * Everything SKIPs on a kernel without mmap3/MAP_DIRECT, and a fixture
 * SKIPs with the reason when its mount point variable is unset.
 */
#define _GNU_SOURCE
#include <sys/swap.h>

#include "../kselftest_harness.h"
#include "map_direct.h"

#define PAGES		16
#define LEN		(PAGES * MD_PAGE)
#define RW		(PROT_READ | PROT_WRITE)
#define DIRECT		(MAP_SHARED | MAP_DIRECT)
#define UNKNOWN_BIT	0x800000	/* no kernel of the series knows it */

/* --- mapping in a child, with or without privileges --------------------- */

struct map_req {
	int fd;
	int prot;
	int flags;
	bool legacy;		/* mmap(2) instead of mmap3 */
	enum md_who who;
};

static int child_map(void *arg)
{
	const struct map_req *r = arg;
	int ret = md_child_become(r->who);

	if (ret)
		return ret;
	if (r->legacy)
		return md_try_mmap(r->fd, LEN, r->prot, r->flags);
	return md_try_mmap3(r->fd, LEN, r->prot, r->flags);
}

static int map_as(enum md_who who, int fd, int prot, int flags, bool legacy)
{
	struct map_req r = { fd, prot, flags, legacy, who };

	return md_in_child(child_map, &r);
}

/* ========================================================================= */
/* DAX XFS and DAX ext4: MAP_DIRECT is supported                              */
/* ========================================================================= */

FIXTURE(direct) {
	const char *dir;	/* from the environment */
	char path[PATH_MAX];
	char path2[PATH_MAX];	/* a second file some tests create */
	int fd;			/* LEN bytes of pattern 1, written and synced */
};

FIXTURE_VARIANT(direct) {
	struct md_fs fs;
};

FIXTURE_VARIANT_ADD(direct, dax_xfs) { .fs = MD_FS_DAX_XFS };
FIXTURE_VARIANT_ADD(direct, dax_ext4) { .fs = MD_FS_DAX_EXT4 };

FIXTURE_SETUP(direct)
{
	char why[256];
	const char *dir;
	int dax;

	self->fd = -1;
	if (!md_have_map_direct(why, sizeof(why)))
		SKIP(return, "%s", why);
	dir = md_mount(&variant->fs, why, sizeof(why));
	if (!dir)
		SKIP(return, "%s", why);
	self->dir = dir;
	self->fd = md_create_written(dir, "direct", self->path, LEN, 1);
	ASSERT_LE(0, self->fd) TH_LOG("create a written file in %s: %s",
				      dir, strerror(-self->fd));
	dax = md_is_dax(self->fd);
	if (dax != 1)
		unlink(self->path);	/* no teardown after a failed setup */
	ASSERT_EQ(1, dax) TH_LOG("%s: a new file in %s is not DAX",
				 variant->fs.name, dir);
}

/* Teardowns run in the harness's process: see map_direct.h. */
FIXTURE_TEARDOWN_PARENT(direct)
{
	if (self->path[0]) {
		md_clear_attr_flags(self->path);
		unlink(self->path);
	}
	if (self->path2[0]) {
		md_clear_attr_flags(self->path2);
		unlink(self->path2);
	}
}

/* A second file in the fixture's directory: sparse or preallocated. */
enum second { SPARSE_PAGE0, PREALLOCATED };

static int make_second(struct __test_metadata *_metadata, const char *dir,
		       char *path, enum second kind)
{
	int fd = md_create(dir, "second", path);
	int err = 0;

	if (fd < 0)
		return -errno;
	if (kind == SPARSE_PAGE0) {
		/* page 0 written, pages 1-3 a hole */
		if (ftruncate(fd, 4 * MD_PAGE))
			err = errno;
		else
			err = md_write_pattern(fd, 0, MD_PAGE, 5);
	} else if (fallocate(fd, 0, 0, 4 * MD_PAGE)) {
		/* 4 pages of unwritten extents */
		err = errno;
	}
	if (!err && fsync(fd))
		err = errno;
	if (err) {
		close(fd);
		return -err;
	}
	if (kind == SPARSE_PAGE0) {
		EXPECT_EQ(MD_WRITTEN, md_fd_range(fd, 0, MD_PAGE));
		EXPECT_EQ(MD_HOLE, md_fd_range(fd, MD_PAGE, 3 * MD_PAGE))
			TH_LOG("premise: pages 1-3 of the sparse file are a hole");
	} else {
		EXPECT_EQ(MD_UNWRITTEN, md_fd_range(fd, 0, 4 * MD_PAGE))
			TH_LOG("premise: fallocate() makes unwritten extents");
	}
	return fd;
}

/* --- establishment ------------------------------------------------------- */

TEST_F(direct, mmap3_seals_until_munmap)
{
	unsigned char *p;
	int sig;

	EXPECT_SEAL(0, md_seal_state(self->fd), "before mmap3");
	p = md_mmap3(NULL, LEN, RW, DIRECT, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap3(MAP_SHARED|MAP_DIRECT) of a written file on %s: %s",
					variant->fs.name, md_errname(errno));
	EXPECT_SEAL(1, md_seal_state(self->fd), "while the MAP_DIRECT mapping exists");
	sig = md_guarded_read(p, LEN);
	EXPECT_EQ(0, sig) TH_LOG("reading written blocks raised %s", md_signame(sig));
	EXPECT_EQ(-1, md_check(p, 0, LEN, 1)) TH_LOG("the mapping does not show the file data");
	sig = md_guarded_fill(p, 0, LEN, 2);
	EXPECT_EQ(0, sig) TH_LOG("storing into written blocks raised %s", md_signame(sig));
	EXPECT_EQ(-1, md_read_check(self->fd, 0, LEN, 2))
		TH_LOG("pread() does not return what was stored through the mapping");
	ASSERT_EQ(0, munmap(p, LEN));
	EXPECT_SEAL(0, md_seal_state(self->fd), "right after munmap");
}

TEST_F(direct, mmap3_offset_is_in_pages)
{
	unsigned char *p = md_mmap3(NULL, 2 * MD_PAGE, RW, DIRECT, self->fd, 3);

	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap3 at pgoff 3: %s", md_errname(errno));
	EXPECT_EQ(-1, md_check(p, 3 * MD_PAGE, 2 * MD_PAGE, 1))
		TH_LOG("mmap3's last argument is a page offset: the mapping should start at byte %lu",
		       3 * MD_PAGE);
	EXPECT_SEAL(1, md_seal_state(self->fd), "mapping of pages 3-4");
	ASSERT_EQ(0, munmap(p, 2 * MD_PAGE));
	EXPECT_SEAL(0, md_seal_state(self->fd), "after munmap");
}

TEST_F(direct, shared_validate_seals)
{
	unsigned char *p;

	p = mmap(NULL, LEN, RW, MAP_SHARED_VALIDATE | MAP_DIRECT, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap(2) MAP_SHARED_VALIDATE|MAP_DIRECT: %s",
					md_errname(errno));
	EXPECT_SEAL(1, md_seal_state(self->fd), "mmap(2) MAP_SHARED_VALIDATE|MAP_DIRECT");
	ASSERT_EQ(0, munmap(p, LEN));
	EXPECT_SEAL(0, md_seal_state(self->fd), "after munmap");

	/* mmap3 takes MAP_SHARED_VALIDATE as a synonym of MAP_SHARED */
	p = md_mmap3(NULL, LEN, RW, MAP_SHARED_VALIDATE | MAP_DIRECT, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap3 MAP_SHARED_VALIDATE|MAP_DIRECT: %s",
					md_errname(errno));
	EXPECT_SEAL(1, md_seal_state(self->fd), "mmap3 MAP_SHARED_VALIDATE|MAP_DIRECT");
	ASSERT_EQ(0, munmap(p, LEN));
	EXPECT_SEAL(0, md_seal_state(self->fd), "after munmap");
}

TEST_F(direct, legacy_mmap_ignores_direct)
{
	unsigned char *shared, *priv;
	int sig;

	/* Like every new flag in 6.12: ignored without MAP_SHARED_VALIDATE. */
	shared = mmap(NULL, LEN, RW, MAP_SHARED | MAP_DIRECT, self->fd, 0);
	ASSERT_NE(MAP_FAILED, shared) TH_LOG("mmap(2) MAP_SHARED|MAP_DIRECT: %s",
					     md_errname(errno));
	priv = mmap(NULL, LEN, RW, MAP_PRIVATE | MAP_DIRECT, self->fd, 0);
	ASSERT_NE(MAP_FAILED, priv) TH_LOG("mmap(2) MAP_PRIVATE|MAP_DIRECT: %s",
					   md_errname(errno));
	EXPECT_SEAL(0, md_seal_state(self->fd),
		    "legacy MAP_SHARED|MAP_DIRECT and MAP_PRIVATE|MAP_DIRECT");
	sig = md_guarded_fill(shared, 0, MD_PAGE, 3);
	EXPECT_EQ(0, sig) TH_LOG("store through the legacy mapping: %s", md_signame(sig));
	EXPECT_EQ(-1, md_read_check(self->fd, 0, MD_PAGE, 3));
	EXPECT_EQ(0, munmap(shared, LEN));
	EXPECT_EQ(0, munmap(priv, LEN));
	EXPECT_SEAL(0, md_seal_state(self->fd), "after munmap");
}

TEST_F(direct, without_prot_write_eacces)
{
	static const int prots[] = { PROT_READ, PROT_NONE, PROT_READ | PROT_EXEC };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(prots); i++) {
		EXPECT_ERRNO(EACCES, md_try_mmap3(self->fd, LEN, prots[i], DIRECT),
			     "mmap3 MAP_DIRECT with prot %#x", prots[i]);
		EXPECT_ERRNO(EACCES, md_try_mmap(self->fd, LEN, prots[i],
						 MAP_SHARED_VALIDATE | MAP_DIRECT),
			     "mmap(2) MAP_SHARED_VALIDATE|MAP_DIRECT with prot %#x", prots[i]);
	}
	EXPECT_SEAL(0, md_seal_state(self->fd), "after the refused mappings");
}

TEST_F(direct, read_only_fd_eacces)
{
	int fd = open(self->path, O_RDONLY | O_CLOEXEC);

	ASSERT_LE(0, fd);
	EXPECT_ERRNO(EACCES, md_try_mmap3(fd, LEN, RW, DIRECT),
		     "mmap3 MAP_DIRECT, PROT_WRITE, of an O_RDONLY fd");
	EXPECT_ERRNO(EACCES, md_try_mmap(fd, LEN, RW, MAP_SHARED_VALIDATE | MAP_DIRECT),
		     "mmap(2) MAP_SHARED_VALIDATE|MAP_DIRECT of an O_RDONLY fd");
	EXPECT_ERRNO(0, md_try_mmap3(fd, LEN, PROT_READ, MAP_SHARED),
		     "control: mmap3 PROT_READ MAP_SHARED of the same fd");
	close(fd);
	EXPECT_SEAL(0, md_seal_state(self->fd), "after the refused mappings");
}

TEST_F(direct, without_cap_linux_immutable_eacces)
{
	EXPECT_CHILD(EACCES, map_as(AS_NO_CAP, self->fd, RW, DIRECT, false),
		     "mmap3 MAP_DIRECT without CAP_LINUX_IMMUTABLE (capset)");
	EXPECT_CHILD(EACCES, map_as(AS_NO_CAP, self->fd, RW,
				    MAP_SHARED_VALIDATE | MAP_DIRECT, true),
		     "mmap(2) MAP_SHARED_VALIDATE|MAP_DIRECT without CAP_LINUX_IMMUTABLE");
	EXPECT_CHILD(EACCES, map_as(AS_NOBODY, self->fd, RW, DIRECT, false),
		     "mmap3 MAP_DIRECT as uid 65534, fd opened by root");
	EXPECT_CHILD(0, map_as(AS_NO_CAP, self->fd, RW, MAP_SHARED, false),
		     "control: mmap3 MAP_SHARED without the capability");
	EXPECT_CHILD(0, map_as(AS_NOBODY, self->fd, RW, MAP_SHARED, false),
		     "control: mmap3 MAP_SHARED as uid 65534");
	EXPECT_SEAL(0, md_seal_state(self->fd), "after the refused mappings");
}

TEST_F(direct, private_or_droppable_einval)
{
	EXPECT_ERRNO(EINVAL, md_try_mmap3(self->fd, LEN, RW, MAP_PRIVATE | MAP_DIRECT),
		     "mmap3 MAP_PRIVATE|MAP_DIRECT");
	EXPECT_ERRNO(EINVAL, md_try_mmap3(self->fd, LEN, PROT_READ | PROT_WRITE,
					  MAP_DROPPABLE | MAP_DIRECT),
		     "mmap3 MAP_DROPPABLE|MAP_DIRECT of a file");
	EXPECT_SEAL(0, md_seal_state(self->fd), "after the refused mappings");
}

/*
 * The MAP_DIRECT rules are checked in the order mmap3.rst gives: PROT_WRITE
 * -> capability -> MAP_PRIVATE or anonymous -> filesystem, after mmap3's
 * own checks (unknown bit, bad fd).
 */
TEST_F(direct, rule_order)
{
	EXPECT_ERRNO(EACCES, md_try_mmap3(self->fd, LEN, PROT_READ,
					  MAP_PRIVATE | MAP_DIRECT),
		     "no PROT_WRITE and MAP_PRIVATE: rule a before rule c");
	EXPECT_CHILD(EACCES, map_as(AS_NO_CAP, self->fd, RW,
				    MAP_PRIVATE | MAP_DIRECT, false),
		     "no capability and MAP_PRIVATE: rule b before rule c");
	EXPECT_CHILD(EACCES, map_as(AS_NO_CAP, -1, RW,
				    MAP_SHARED | MAP_ANONYMOUS | MAP_DIRECT, false),
		     "no capability and anonymous: rule b before rule c");
	EXPECT_ERRNO(EOPNOTSUPP, md_try_mmap3(self->fd, LEN, PROT_READ,
					      DIRECT | UNKNOWN_BIT),
		     "unknown flag bit and no PROT_WRITE: the unknown bit first");
	EXPECT_ERRNO(EBADF, md_try_mmap3(-1, LEN, RW, DIRECT),
		     "mmap3 MAP_DIRECT of fd -1 without MAP_ANONYMOUS");
	EXPECT_SEAL(0, md_seal_state(self->fd), "after the refused mappings");
}

TEST_F(direct, unknown_flag_refused_without_sealing)
{
	EXPECT_ERRNO(EOPNOTSUPP, md_try_mmap3(self->fd, LEN, RW, DIRECT | UNKNOWN_BIT),
		     "mmap3 MAP_DIRECT|%#x", UNKNOWN_BIT);
	EXPECT_ERRNO(EOPNOTSUPP, md_try_mmap3(self->fd, LEN, RW, DIRECT | MAP_DENYWRITE),
		     "mmap3 MAP_DIRECT|MAP_DENYWRITE (deprecated, unknown to mmap3)");
	EXPECT_SEAL(0, md_seal_state(self->fd), "after the refused mappings");
}

TEST_F(direct, append_only_file_eacces)
{
	int flags, fd, ret;

	ASSERT_EQ(0, ioctl(self->fd, FS_IOC_GETFLAGS, &flags));
	flags |= FS_APPEND_FL;
	ASSERT_EQ(0, ioctl(self->fd, FS_IOC_SETFLAGS, &flags))
		TH_LOG("chattr +a: %s", strerror(errno));
	fd = open(self->path, O_RDWR | O_APPEND | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("open the append-only file O_RDWR|O_APPEND: %s",
				strerror(errno));
	EXPECT_ERRNO(EACCES, md_try_mmap3(fd, LEN, RW, DIRECT),
		     "mmap3 MAP_DIRECT of an append-only file open for writing");
	EXPECT_ERRNO(EACCES, md_try_mmap(fd, LEN, RW, MAP_SHARED_VALIDATE | MAP_DIRECT),
		     "mmap(2) MAP_SHARED_VALIDATE|MAP_DIRECT of an append-only file");
	EXPECT_ERRNO(EACCES, md_try_mmap(fd, LEN, RW, MAP_SHARED),
		     "control (pre-existing rule): plain MAP_SHARED of the append-only file");
	close(fd);
	flags &= ~FS_APPEND_FL;
	ret = ioctl(self->fd, FS_IOC_SETFLAGS, &flags);
	ASSERT_EQ(0, ret) TH_LOG("chattr -a: %s", strerror(errno));
	EXPECT_SEAL(0, md_seal_state(self->fd), "after the refused mappings");
}

TEST_F(direct, reflinked_file_eopnotsupp)
{
	unsigned char *p;
	int fd2, ret;

	fd2 = md_create(self->dir, "clone", self->path2);
	ASSERT_LE(0, fd2);
	ret = MD_ERRNO(ioctl(fd2, FICLONE, self->fd));
	if (!variant->fs.xfs) {
		/* ext4 cannot share extents: MAP_DIRECT never meets them. */
		EXPECT_ERRNO(EOPNOTSUPP, ret, "FICLONE on ext4");
		EXPECT_ERRNO(0, md_try_mmap3(self->fd, LEN, RW, DIRECT),
			     "mmap3 MAP_DIRECT after the refused FICLONE");
		close(fd2);
		return;
	}
	ASSERT_ERRNO(0, ret, "FICLONE of a written file on DAX XFS (reflink=1)");
	EXPECT_TRUE(md_fd_has_shared(self->fd))
		TH_LOG("premise: FIEMAP shows shared extents after FICLONE");

	EXPECT_ERRNO(EOPNOTSUPP, md_try_mmap3(self->fd, LEN, RW, DIRECT),
		     "mmap3 MAP_DIRECT of the reflink source");
	EXPECT_ERRNO(EOPNOTSUPP, md_try_mmap3(fd2, LEN, RW, DIRECT),
		     "mmap3 MAP_DIRECT of the reflink copy");
	EXPECT_ERRNO(EOPNOTSUPP, md_try_mmap(fd2, LEN, RW, MAP_SHARED_VALIDATE | MAP_DIRECT),
		     "mmap(2) MAP_SHARED_VALIDATE|MAP_DIRECT of the reflink copy");
	EXPECT_SEAL(0, md_seal_state(self->fd), "reflink source after the refused mappings");
	EXPECT_SEAL(0, md_seal_state(fd2), "reflink copy after the refused mappings");

	/* Once none of its extents is shared, the copy can be mapped. */
	ret = MD_ERRNO(fallocate(fd2, FALLOC_FL_UNSHARE_RANGE, 0, LEN));
	ASSERT_ERRNO(0, ret, "FALLOC_FL_UNSHARE_RANGE of the whole copy");
	EXPECT_FALSE(md_fd_has_shared(fd2)) TH_LOG("FIEMAP still shows shared extents");
	p = md_mmap3(NULL, LEN, RW, DIRECT, fd2, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap3 MAP_DIRECT of the unshared copy: %s",
					md_errname(errno));
	EXPECT_SEAL(1, md_seal_state(fd2), "unshared copy, mapped");
	EXPECT_EQ(-1, md_check(p, 0, LEN, 1));
	EXPECT_EQ(0, munmap(p, LEN));
	EXPECT_SEAL(0, md_seal_state(fd2), "unshared copy after munmap");
	close(fd2);
}

TEST_F(direct, map_sync_with_direct)
{
	unsigned char *p;
	int sig;

	p = md_mmap3(NULL, LEN, RW, DIRECT | MAP_SYNC, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap3 MAP_SHARED|MAP_SYNC|MAP_DIRECT: %s",
					md_errname(errno));
	EXPECT_SEAL(1, md_seal_state(self->fd), "MAP_SYNC|MAP_DIRECT mapping");
	sig = md_guarded_fill(p, 0, LEN, 4);
	EXPECT_EQ(0, sig) TH_LOG("store into written blocks: %s", md_signame(sig));
	EXPECT_EQ(-1, md_read_check(self->fd, 0, LEN, 4));
	ASSERT_EQ(0, munmap(p, LEN));
	EXPECT_SEAL(0, md_seal_state(self->fd), "after munmap");

	p = mmap(NULL, LEN, RW, MAP_SHARED_VALIDATE | MAP_SYNC | MAP_DIRECT, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap(2) MAP_SHARED_VALIDATE|MAP_SYNC|MAP_DIRECT: %s",
					md_errname(errno));
	EXPECT_SEAL(1, md_seal_state(self->fd), "mmap(2) MAP_SYNC|MAP_DIRECT mapping");
	ASSERT_EQ(0, munmap(p, LEN));
	EXPECT_SEAL(0, md_seal_state(self->fd), "after munmap");
}

TEST_F(direct, fixed_noreplace_with_direct_eopnotsupp)
{
	void *addr = mmap(NULL, LEN, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, addr);
	ASSERT_EQ(0, munmap(addr, LEN));	/* a free range */
	EXPECT_EQ(MAP_FAILED, md_mmap3(addr, LEN, RW, DIRECT | MAP_FIXED_NOREPLACE,
				       self->fd, 0));
	EXPECT_EQ(EOPNOTSUPP, errno) TH_LOG("mmap3 MAP_FIXED_NOREPLACE|MAP_DIRECT: %s",
					    md_errname(errno));
	EXPECT_EQ(MAP_FAILED, mmap(addr, LEN, RW, MAP_SHARED_VALIDATE |
				   MAP_FIXED_NOREPLACE | MAP_DIRECT, self->fd, 0));
	EXPECT_EQ(EOPNOTSUPP, errno)
		TH_LOG("mmap(2) MAP_SHARED_VALIDATE|MAP_FIXED_NOREPLACE|MAP_DIRECT: %s",
		       md_errname(errno));
	EXPECT_EQ(0, md_count_vmas(addr, LEN)) TH_LOG("something was mapped");
	EXPECT_SEAL(0, md_seal_state(self->fd), "after the refused mappings");
}

/* Map page @pgoff at @addr, plain MAP_SHARED or MAP_DIRECT, MAP_FIXED. */
static void *map_fixed(void *addr, int fd, unsigned long pgoff, bool direct)
{
	if (direct)
		return md_mmap3(addr, MD_PAGE, RW, DIRECT | MAP_FIXED, fd, pgoff);
	return mmap(addr, MD_PAGE, RW, MAP_SHARED | MAP_FIXED, fd, pgoff * MD_PAGE);
}

static void check_adjacent(struct __test_metadata *_metadata, int fd,
			   bool first_direct, bool second_direct)
{
	static const char * const kind[] = { "plain", "MAP_DIRECT" };
	int want = first_direct || second_direct ? 2 : 1;
	unsigned char *base;
	int vmas;

	base = mmap(NULL, 2 * MD_PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, base);
	ASSERT_EQ(base, map_fixed(base, fd, 0, first_direct))
		TH_LOG("%s mapping of page 0: %s", kind[first_direct], md_errname(errno));
	ASSERT_EQ(base + MD_PAGE, map_fixed(base + MD_PAGE, fd, 1, second_direct))
		TH_LOG("%s mapping of page 1: %s", kind[second_direct], md_errname(errno));
	vmas = md_count_vmas(base, 2 * MD_PAGE);
	EXPECT_EQ(want, vmas)
		TH_LOG("%s page 0 next to %s page 1 of the same file: %d lines in /proc/self/maps, expected %d",
		       kind[first_direct], kind[second_direct], vmas, want);
	EXPECT_EQ(-1, md_check(base, 0, 2 * MD_PAGE, 1));
	EXPECT_SEAL(want == 2, md_seal_state(fd), "%s + %s", kind[first_direct],
		    kind[second_direct]);
	ASSERT_EQ(0, munmap(base, 2 * MD_PAGE));
	EXPECT_SEAL(0, md_seal_state(fd), "%s + %s after munmap of both pages",
		    kind[first_direct], kind[second_direct]);
}

TEST_F(direct, direct_vmas_never_merge)
{
	check_adjacent(_metadata, self->fd, false, false);	/* control: merge */
	check_adjacent(_metadata, self->fd, true, true);
	check_adjacent(_metadata, self->fd, false, true);
	check_adjacent(_metadata, self->fd, true, false);
}

/* --- seal lifetime ------------------------------------------------------- */

TEST_F(direct, two_mappings)
{
	void *a, *b;

	a = md_mmap3(NULL, LEN, RW, DIRECT, self->fd, 0);
	ASSERT_NE(MAP_FAILED, a) TH_LOG("first mapping: %s", md_errname(errno));
	b = md_mmap3(NULL, 2 * MD_PAGE, RW, DIRECT, self->fd, 4);
	ASSERT_NE(MAP_FAILED, b) TH_LOG("second mapping: %s", md_errname(errno));
	ASSERT_EQ(0, munmap(a, LEN));
	EXPECT_SEAL(1, md_seal_state(self->fd), "one of two mappings unmapped");
	ASSERT_EQ(0, munmap(b, 2 * MD_PAGE));
	EXPECT_SEAL(0, md_seal_state(self->fd), "both mappings unmapped");
}

TEST_F(direct, partial_munmap_middle_page)
{
	unsigned char *p = md_mmap3(NULL, 3 * MD_PAGE, RW, DIRECT, self->fd, 0);

	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap3: %s", md_errname(errno));
	ASSERT_EQ(0, munmap(p + MD_PAGE, MD_PAGE));
	EXPECT_EQ(2, md_count_vmas(p, 3 * MD_PAGE)) TH_LOG("the VMA was not split in two");
	EXPECT_SEAL(1, md_seal_state(self->fd), "middle page unmapped");
	EXPECT_EQ(-1, md_check(p + 2 * MD_PAGE, 2 * MD_PAGE, MD_PAGE, 1));
	ASSERT_EQ(0, munmap(p, MD_PAGE));
	EXPECT_SEAL(1, md_seal_state(self->fd), "pages 0-1 unmapped, page 2 mapped");
	ASSERT_EQ(0, munmap(p + 2 * MD_PAGE, MD_PAGE));
	EXPECT_SEAL(0, md_seal_state(self->fd), "all three pages unmapped");
}

TEST_F(direct, mprotect_split_then_munmap)
{
	unsigned char *p = md_mmap3(NULL, 4 * MD_PAGE, RW, DIRECT, self->fd, 0);
	int sig;

	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap3: %s", md_errname(errno));
	ASSERT_EQ(0, mprotect(p + 2 * MD_PAGE, 2 * MD_PAGE, PROT_READ));
	EXPECT_EQ(2, md_count_vmas(p, 4 * MD_PAGE)) TH_LOG("mprotect did not split the VMA");
	EXPECT_SEAL(1, md_seal_state(self->fd), "after the split");
	ASSERT_EQ(0, mprotect(p + 2 * MD_PAGE, 2 * MD_PAGE, RW));
	EXPECT_SEAL(1, md_seal_state(self->fd), "after mprotect back to read-write");
	sig = md_guarded_fill(p, 0, 4 * MD_PAGE, 6);
	EXPECT_EQ(0, sig) TH_LOG("stores after the split: %s", md_signame(sig));
	ASSERT_EQ(0, munmap(p, 4 * MD_PAGE));
	EXPECT_SEAL(0, md_seal_state(self->fd), "after munmap of both halves");
}

TEST_F(direct, close_fd_right_after_mmap)
{
	int fd = open(self->path, O_RDWR | O_CLOEXEC);
	void *p;

	ASSERT_LE(0, fd);
	p = md_mmap3(NULL, LEN, RW, DIRECT, fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap3: %s", md_errname(errno));
	ASSERT_EQ(0, close(fd));
	EXPECT_SEAL(1, md_seal_state(self->fd), "the mapping's fd is closed");
	ASSERT_EQ(0, munmap(p, LEN));
	EXPECT_SEAL(0, md_seal_state(self->fd), "after munmap");
}

/* Child side: show that the inherited mapping is there (read it). */
static int child_reads(void *arg)
{
	unsigned char v;
	int sig = md_touch(arg, false, &v);

	return sig ? MD_CHILD_SETUP_FAILED : 0;
}

/* Child side: show that the mapping was not inherited. */
static int child_lacks_mapping(void *arg)
{
	return MD_ERRNO(msync(arg, LEN, MS_ASYNC));
}

TEST_F(direct, fork_child_keeps_seal)
{
	struct md_holder h;
	void *p = md_mmap3(NULL, LEN, RW, DIRECT, self->fd, 0);

	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap3: %s", md_errname(errno));
	ASSERT_EQ(0, md_holder_start(&h, child_reads, p))
		TH_LOG("the child cannot read the inherited mapping");
	ASSERT_EQ(0, munmap(p, LEN));
	EXPECT_SEAL(1, md_seal_state(self->fd), "parent unmapped, forked child holds the mapping");
	EXPECT_EQ(0, md_holder_stop(&h));
	EXPECT_SEAL(0, md_seal_state(self->fd), "the child exited");
}

TEST_F(direct, madv_dontfork_child_has_no_seal)
{
	struct md_holder h;
	void *p = md_mmap3(NULL, LEN, RW, DIRECT, self->fd, 0);
	int ret;

	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap3: %s", md_errname(errno));
	ASSERT_EQ(0, madvise(p, LEN, MADV_DONTFORK))
		TH_LOG("MADV_DONTFORK: %s", strerror(errno));
	ret = md_holder_start(&h, child_lacks_mapping, p);
	EXPECT_ERRNO(ENOMEM, ret, "msync() of the MADV_DONTFORK range in the child");
	EXPECT_SEAL(1, md_seal_state(self->fd), "parent still maps it");
	ASSERT_EQ(0, munmap(p, LEN));
	EXPECT_SEAL(0, md_seal_state(self->fd), "parent unmapped, child alive without the mapping");
	EXPECT_EQ(0, md_holder_stop(&h));
}

TEST_F(direct, mremap_move)
{
	unsigned char *p, *q, *dst;

	p = md_mmap3(NULL, 2 * MD_PAGE, RW, DIRECT, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap3: %s", md_errname(errno));
	dst = mmap(NULL, 2 * MD_PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, dst);
	q = mremap(p, 2 * MD_PAGE, 2 * MD_PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	ASSERT_EQ(dst, q) TH_LOG("mremap(MREMAP_MAYMOVE|MREMAP_FIXED): %s", strerror(errno));
	EXPECT_SEAL(1, md_seal_state(self->fd), "mapping moved");
	EXPECT_EQ(-1, md_check(q, 0, 2 * MD_PAGE, 1)) TH_LOG("moved mapping shows other data");
	ASSERT_EQ(0, munmap(q, 2 * MD_PAGE));
	EXPECT_SEAL(0, md_seal_state(self->fd), "moved mapping unmapped");
}

TEST_F(direct, mremap_grow_and_shrink)
{
	unsigned char *base, *p, *q;

	/* Pages 2-7 after the mapping are kept free for growing in place. */
	base = mmap(NULL, 8 * MD_PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, base);
	ASSERT_EQ(0, munmap(base + 2 * MD_PAGE, 6 * MD_PAGE));
	p = md_mmap3(base, 2 * MD_PAGE, RW, DIRECT | MAP_FIXED, self->fd, 0);
	ASSERT_EQ(base, p) TH_LOG("mmap3 MAP_FIXED: %s", md_errname(errno));

	q = mremap(p, 2 * MD_PAGE, 4 * MD_PAGE, 0);
	ASSERT_EQ(p, q) TH_LOG("mremap grow in place: %s", strerror(errno));
	EXPECT_SEAL(1, md_seal_state(self->fd), "grown in place");
	EXPECT_EQ(-1, md_check(q, 0, 4 * MD_PAGE, 1)) TH_LOG("grown part shows other data");

	q = mremap(p, 4 * MD_PAGE, MD_PAGE, 0);
	ASSERT_EQ(p, q) TH_LOG("mremap shrink: %s", strerror(errno));
	EXPECT_SEAL(1, md_seal_state(self->fd), "shrunk to one page");
	ASSERT_EQ(0, munmap(p, MD_PAGE));
	EXPECT_SEAL(0, md_seal_state(self->fd), "after munmap");
}

/* Child side: make its own MAP_DIRECT mapping of the inherited fd. */
static int child_maps_direct(void *arg)
{
	int fd = *(int *)arg;

	return md_mmap3(NULL, LEN, RW, DIRECT, fd, 0) == MAP_FAILED ? errno : 0;
}

TEST_F(direct, sigkill_drops_seal_once_reaped)
{
	struct md_holder h;
	int status;

	ASSERT_ERRNO(0, md_holder_start(&h, child_maps_direct, &self->fd),
		     "the child's mmap3 MAP_DIRECT");
	EXPECT_SEAL(1, md_seal_state(self->fd), "the child maps the file");
	ASSERT_EQ(0, kill(h.pid, SIGKILL));
	ASSERT_EQ(h.pid, waitpid(h.pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	close(h.to_child);
	close(h.from_child);
	EXPECT_SEAL(0, md_seal_state(self->fd), "the SIGKILLed child was reaped");
}

TEST_F(direct, execve_drops_seal)
{
	static const char * const cats[] = { "/bin/cat", "/usr/bin/cat" };
	int ctl[2], rep[2], in[2], val, status;
	ssize_t n;
	pid_t pid;
	char c = 0;

	ASSERT_EQ(0, pipe2(ctl, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(rep, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(in, O_CLOEXEC));
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		unsigned int i;

		md_send_int(rep[1], child_maps_direct(&self->fd));
		if (read(ctl[0], &c, 1) != 1)
			_exit(1);
		if (dup2(in[0], 0) != 0)
			_exit(1);
		for (i = 0; i < 2; i++)
			execl(cats[i], "cat", (char *)NULL);
		md_send_int(rep[1], errno);	/* only if exec failed */
		_exit(127);
	}
	close(ctl[0]);
	close(rep[1]);
	close(in[0]);
	ASSERT_EQ(0, md_recv_int(rep[0], &val));
	ASSERT_ERRNO(0, val, "the child's mmap3 MAP_DIRECT");
	EXPECT_SEAL(1, md_seal_state(self->fd), "the child maps the file");
	ASSERT_EQ(1, write(ctl[1], &c, 1));
	n = read(rep[0], &val, sizeof(val));
	ASSERT_EQ(0, n) TH_LOG("the child could not exec cat: %s", strerror(val));
	/* cat waits for input: the process lives on, without the mapping */
	EXPECT_EQ(0, waitpid(pid, &status, WNOHANG)) TH_LOG("cat exited early");
	EXPECT_SEAL(0, md_seal_state(self->fd), "the mapping process called execve()");
	close(in[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(ctl[1]);
	close(rep[0]);
}

TEST_F(direct, plain_mappings_never_seal)
{
	void *plain, *sync, *plain3, *direct;

	plain = mmap(NULL, LEN, RW, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, plain);
	sync = mmap(NULL, LEN, RW, MAP_SHARED_VALIDATE | MAP_SYNC, self->fd, 0);
	ASSERT_NE(MAP_FAILED, sync) TH_LOG("MAP_SYNC: %s", md_errname(errno));
	plain3 = md_mmap3(NULL, LEN, RW, MAP_SHARED | MAP_SYNC, self->fd, 0);
	ASSERT_NE(MAP_FAILED, plain3) TH_LOG("mmap3 MAP_SHARED|MAP_SYNC: %s", md_errname(errno));
	EXPECT_SEAL(0, md_seal_state(self->fd), "plain, MAP_SYNC and mmap3 MAP_SYNC mappings");

	direct = md_mmap3(NULL, LEN, RW, DIRECT, self->fd, 0);
	ASSERT_NE(MAP_FAILED, direct) TH_LOG("mmap3 MAP_DIRECT: %s", md_errname(errno));
	EXPECT_SEAL(1, md_seal_state(self->fd), "plus a MAP_DIRECT mapping");
	ASSERT_EQ(0, munmap(direct, LEN));
	EXPECT_SEAL(0, md_seal_state(self->fd), "MAP_DIRECT unmapped, the plain mappings live on");
	EXPECT_EQ(0, munmap(plain, LEN));
	EXPECT_EQ(0, munmap(sync, LEN));
	EXPECT_EQ(0, munmap(plain3, LEN));
}

/*
 * The VmFlags mnemonics of fs/proc/task_mmu.c show_smap_vma_flags(): 6.12's
 * and "md" (VM_MAP_DIRECT).
 */
static bool known_mnemonic(const char *m)
{
	static const char * const known[] = {
		"rd", "wr", "ex", "sh", "mr", "mw", "me", "ms", "gd", "pf",
		"lo", "io", "sr", "rr", "dc", "de", "lf", "ac", "nr", "ht",
		"sf", "ar", "wf", "dd", "bt", "sd", "mm", "hg", "nh", "mg",
		"um", "uw", "mt", "ui", "ss", "dp", "sl", "md",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(known); i++)
		if (!strcmp(m, known[i]))
			return true;
	return false;
}

/* true if every mnemonic of @a is in @b. */
static bool flags_subset(const char *a, const char *b)
{
	char copy[512], *tok, *save;
	char padded[520];

	snprintf(copy, sizeof(copy), "%s", a);
	snprintf(padded, sizeof(padded), " %s ", b);
	for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		char needle[8];

		snprintf(needle, sizeof(needle), " %s ", tok);
		if (!strstr(padded, needle))
			return false;
	}
	return true;
}

/*
 * What is asserted: the MAP_DIRECT VMA shows exactly the VmFlags of a
 * plain MAP_SHARED_VALIDATE mapping of the same file with the same
 * protection plus "md" (VM_MAP_DIRECT), the plain one has no "md", and
 * every other mnemonic is one 6.12 already prints.
 */
TEST_F(direct, smaps_vmflags_md)
{
	char fd_flags[512], fp_flags[512], copy[512], unknown[512] = "";
	char *tok, *save;
	void *direct, *plain;

	direct = md_mmap3(NULL, LEN, RW, DIRECT, self->fd, 0);
	ASSERT_NE(MAP_FAILED, direct) TH_LOG("mmap3 MAP_DIRECT: %s", md_errname(errno));
	plain = mmap(NULL, 2 * MD_PAGE, RW, MAP_SHARED_VALIDATE, self->fd, 0);
	ASSERT_NE(MAP_FAILED, plain);
	ASSERT_EQ(0, md_vmflags(direct, fd_flags, sizeof(fd_flags)));
	ASSERT_EQ(0, md_vmflags(plain, fp_flags, sizeof(fp_flags)));
	TH_LOG("VmFlags MAP_DIRECT:%s | plain:%s", fd_flags, fp_flags);
	EXPECT_TRUE(flags_subset("md", fd_flags))
		TH_LOG("the MAP_DIRECT VMA has no \"md\" in VmFlags");
	EXPECT_FALSE(flags_subset("md", fp_flags))
		TH_LOG("a plain shared mapping has \"md\" in VmFlags");
	strncat(fp_flags, " md", sizeof(fp_flags) - strlen(fp_flags) - 1);
	EXPECT_TRUE(flags_subset(fd_flags, fp_flags) && flags_subset(fp_flags, fd_flags))
		TH_LOG("the MAP_DIRECT VMA's VmFlags are not a plain shared mapping's plus md");
	snprintf(copy, sizeof(copy), "%s", fd_flags);
	for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		if (known_mnemonic(tok))
			continue;
		strncat(unknown, " ", sizeof(unknown) - strlen(unknown) - 1);
		strncat(unknown, tok, sizeof(unknown) - strlen(unknown) - 1);
	}
	EXPECT_STREQ("", unknown) TH_LOG("VmFlags mnemonics 6.12 does not have");
	EXPECT_EQ(0, munmap(direct, LEN));
	EXPECT_EQ(0, munmap(plain, 2 * MD_PAGE));
}

/* --- faults -------------------------------------------------------------- */

TEST_F(direct, written_extents_fault_without_signal)
{
	struct md_extent before[MD_MAX_EXTENTS], after[MD_MAX_EXTENTS];
	unsigned char *p;
	int nb, na, i, sig;

	nb = md_fiemap(self->fd, before, MD_MAX_EXTENTS);
	ASSERT_LT(0, nb) TH_LOG("FIEMAP: %s", md_errname(nb));
	p = md_mmap3(NULL, LEN, RW, DIRECT, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap3: %s", md_errname(errno));
	sig = md_guarded_read(p, LEN);
	EXPECT_EQ(0, sig) TH_LOG("read fault on written blocks: %s", md_signame(sig));
	sig = md_guarded_fill(p, 0, LEN, 7);
	EXPECT_EQ(0, sig) TH_LOG("write fault on written blocks: %s", md_signame(sig));
	ASSERT_EQ(0, munmap(p, LEN));
	na = md_fiemap(self->fd, after, MD_MAX_EXTENTS);
	ASSERT_EQ(nb, na) TH_LOG("the number of extents changed");
	for (i = 0; i < nb; i++) {
		EXPECT_EQ(before[i].logical, after[i].logical);
		EXPECT_EQ(before[i].physical, after[i].physical)
			TH_LOG("extent %d moved on disk", i);
		EXPECT_EQ(before[i].length, after[i].length);
		EXPECT_EQ(before[i].flags, after[i].flags);
	}
	EXPECT_EQ(-1, md_read_check(self->fd, 0, LEN, 7));
}

TEST_F(direct, hole_reads_zero_write_sigbus)
{
	unsigned char *p, v = 0x5a;
	int fd, sig;

	fd = make_second(_metadata, self->dir, self->path2, SPARSE_PAGE0);
	ASSERT_LE(0, fd) TH_LOG("sparse file: %s", strerror(-fd));
	p = md_mmap3(NULL, 4 * MD_PAGE, RW, DIRECT, fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap3 of a sparse file: %s", md_errname(errno));

	sig = md_touch(p + 2 * MD_PAGE, false, &v);
	EXPECT_EQ(0, sig) TH_LOG("read of a hole: %s", md_signame(sig));
	EXPECT_EQ(0, v) TH_LOG("a hole reads as %#x", v);
	v = 0x5a;
	sig = md_touch(p + 2 * MD_PAGE, true, &v);
	EXPECT_EQ(SIGBUS, sig) TH_LOG("write to a hole page already read: %s", md_signame(sig));
	EXPECT_EQ(p + 2 * MD_PAGE, md_fault_addr);
	sig = md_touch(p + 3 * MD_PAGE + 100, true, &v);
	EXPECT_EQ(SIGBUS, sig) TH_LOG("write to an untouched hole page: %s", md_signame(sig));
	EXPECT_EQ(p + 3 * MD_PAGE + 100, md_fault_addr);
	sig = md_touch(p + 10, true, &v);
	EXPECT_EQ(0, sig) TH_LOG("write to the written page 0: %s", md_signame(sig));
	EXPECT_SEAL(1, md_seal_state(fd), "after the SIGBUS");
	ASSERT_EQ(0, munmap(p, 4 * MD_PAGE));

	EXPECT_EQ(MD_HOLE, md_fd_range(fd, MD_PAGE, 3 * MD_PAGE))
		TH_LOG("the refused writes allocated blocks");
	v = 0xff;
	EXPECT_EQ(1, pread(fd, &v, 1, 3 * MD_PAGE + 100));
	EXPECT_EQ(0, v);
	close(fd);
}

TEST_F(direct, unwritten_extent_write_sigbus)
{
	unsigned char *p, v = 0;
	int fd, sig;

	fd = make_second(_metadata, self->dir, self->path2, PREALLOCATED);
	ASSERT_LE(0, fd) TH_LOG("preallocated file: %s", strerror(-fd));
	p = md_mmap3(NULL, 4 * MD_PAGE, RW, DIRECT, fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap3 of a preallocated file: %s", md_errname(errno));
	v = 0xff;
	sig = md_touch(p + MD_PAGE, false, &v);
	EXPECT_EQ(0, sig) TH_LOG("read of an unwritten extent: %s", md_signame(sig));
	EXPECT_EQ(0, v);
	v = 0x5a;
	sig = md_touch(p + MD_PAGE, true, &v);
	EXPECT_EQ(SIGBUS, sig) TH_LOG("write to an unwritten extent: %s", md_signame(sig));
	ASSERT_EQ(0, munmap(p, 4 * MD_PAGE));
	EXPECT_EQ(MD_UNWRITTEN, md_fd_range(fd, 0, 4 * MD_PAGE))
		TH_LOG("the refused write converted the extent");
	close(fd);
}

TEST_F(direct, populate_over_hole_then_write_sigbus)
{
	unsigned char *p, v = 0x5a;
	int fd, sig;

	fd = make_second(_metadata, self->dir, self->path2, SPARSE_PAGE0);
	ASSERT_LE(0, fd) TH_LOG("sparse file: %s", strerror(-fd));
	p = md_mmap3(NULL, 4 * MD_PAGE, RW, DIRECT | MAP_POPULATE, fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap3 MAP_POPULATE|MAP_DIRECT over a hole: %s",
					md_errname(errno));
	sig = md_touch(p + MD_PAGE, true, &v);
	EXPECT_EQ(SIGBUS, sig) TH_LOG("write to the hole: %s", md_signame(sig));
	sig = md_touch(p, true, &v);
	EXPECT_EQ(0, sig) TH_LOG("write to the written page: %s", md_signame(sig));
	ASSERT_EQ(0, munmap(p, 4 * MD_PAGE));
	EXPECT_EQ(MD_HOLE, md_fd_range(fd, MD_PAGE, 3 * MD_PAGE));
	close(fd);
}

/* ========================================================================= */
/* non-DAX XFS, non-DAX ext4, tmpfs: MAP_DIRECT is not supported             */
/* ========================================================================= */

FIXTURE(nodax) {
	const char *dir;	/* from the environment */
	char path[PATH_MAX];
	char swap[PATH_MAX];
	int fd;
};

FIXTURE_VARIANT(nodax) {
	struct md_fs fs;
};

FIXTURE_VARIANT_ADD(nodax, xfs) { .fs = MD_FS_XFS };
FIXTURE_VARIANT_ADD(nodax, ext4) { .fs = MD_FS_EXT4 };
FIXTURE_VARIANT_ADD(nodax, tmpfs) { .fs = MD_FS_TMPFS };

FIXTURE_SETUP(nodax)
{
	char why[256];
	const char *dir;
	int dax;

	self->fd = -1;
	if (!md_have_map_direct(why, sizeof(why)))
		SKIP(return, "%s", why);
	dir = md_mount(&variant->fs, why, sizeof(why));
	if (!dir)
		SKIP(return, "%s", why);
	self->dir = dir;
	self->fd = md_create_written(dir, "nodax", self->path, LEN, 1);
	ASSERT_LE(0, self->fd) TH_LOG("create a file in %s: %s", dir, strerror(-self->fd));
	dax = md_is_dax(self->fd);
	if (dax != 0)
		unlink(self->path);	/* no teardown after a failed setup */
	ASSERT_EQ(0, dax) TH_LOG("%s: the file is DAX", variant->fs.name);
}

FIXTURE_TEARDOWN_PARENT(nodax)
{
	if (self->swap[0]) {
		swapoff(self->swap);
		unlink(self->swap);
	}
	if (self->path[0])
		unlink(self->path);
}

TEST_F(nodax, direct_eopnotsupp)
{
	EXPECT_ERRNO(EOPNOTSUPP, md_try_mmap3(self->fd, LEN, RW, DIRECT),
		     "mmap3 MAP_DIRECT on %s", variant->fs.name);
	EXPECT_ERRNO(EOPNOTSUPP, md_try_mmap(self->fd, LEN, RW,
					     MAP_SHARED_VALIDATE | MAP_DIRECT),
		     "mmap(2) MAP_SHARED_VALIDATE|MAP_DIRECT on %s", variant->fs.name);
	EXPECT_ERRNO(EOPNOTSUPP, md_try_mmap3(self->fd, LEN, RW, DIRECT | MAP_SYNC),
		     "mmap3 MAP_SYNC|MAP_DIRECT on %s", variant->fs.name);
	EXPECT_SEAL(0, md_seal_state(self->fd), "after the refused mappings");
}

TEST_F(nodax, rule_order)
{
	EXPECT_ERRNO(EACCES, md_try_mmap3(self->fd, LEN, PROT_READ, DIRECT),
		     "no PROT_WRITE on %s: rule a before rule d", variant->fs.name);
	EXPECT_CHILD(EACCES, map_as(AS_NO_CAP, self->fd, RW, DIRECT, false),
		     "no capability on %s: rule b before rule d", variant->fs.name);
	EXPECT_ERRNO(EINVAL, md_try_mmap3(self->fd, LEN, RW, MAP_PRIVATE | MAP_DIRECT),
		     "MAP_PRIVATE on %s: rule c before rule d", variant->fs.name);
}

/* Without DAX nothing is ever sealed: nothing here answers ETXTBSY. */
TEST_F(nodax, legacy_direct_ignored_and_nothing_sealed)
{
	void *shared, *priv;

	shared = mmap(NULL, LEN, RW, MAP_SHARED | MAP_DIRECT, self->fd, 0);
	ASSERT_NE(MAP_FAILED, shared) TH_LOG("mmap(2) MAP_SHARED|MAP_DIRECT: %s",
					     md_errname(errno));
	priv = mmap(NULL, LEN, RW, MAP_PRIVATE | MAP_DIRECT, self->fd, 0);
	ASSERT_NE(MAP_FAILED, priv) TH_LOG("mmap(2) MAP_PRIVATE|MAP_DIRECT: %s",
					   md_errname(errno));
	EXPECT_ERRNO(0, MD_ERRNO(ftruncate(self->fd, 2 * LEN)), "ftruncate larger");
	EXPECT_ERRNO(0, MD_ERRNO(ftruncate(self->fd, LEN)), "ftruncate smaller");
	EXPECT_ERRNO(0, MD_ERRNO(ftruncate(self->fd, LEN)), "ftruncate to the same size");
	EXPECT_ERRNO(0, MD_ERRNO(fallocate(self->fd, FALLOC_FL_KEEP_SIZE, LEN, LEN)),
		     "fallocate KEEP_SIZE past EOF");
	EXPECT_ERRNO(0, MD_ERRNO(fallocate(self->fd, FALLOC_FL_PUNCH_HOLE |
					   FALLOC_FL_KEEP_SIZE, 0, MD_PAGE)),
		     "fallocate PUNCH_HOLE");
	EXPECT_ERRNO(0, md_write_pattern(self->fd, LEN, MD_PAGE, 1), "pwrite past EOF");
	EXPECT_EQ(0, munmap(shared, LEN));
	EXPECT_EQ(0, munmap(priv, LEN));
}

/* A swap file of 64 pages on this filesystem: 0 or -errno. */
static int make_swapfile(const char *dir, char *path)
{
	const unsigned int pages = 64;
	unsigned char hdr[MD_PAGE];
	__u32 v[2] = { 1, pages - 1 };	/* version 1, last page */
	int fd = md_create_written(dir, "swap", path, pages * MD_PAGE, 1);

	if (fd < 0)
		return fd;
	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr + 1024, v, sizeof(v));
	memcpy(hdr + MD_PAGE - 10, "SWAPSPACE2", 10);
	if (pwrite(fd, hdr, sizeof(hdr), 0) != sizeof(hdr) || fsync(fd) ||
	    fchmod(fd, 0600)) {
		close(fd);
		return -errno;
	}
	close(fd);
	return 0;
}

/* Catalogue 69, second half: mapping an active swap file for writing. */
TEST_F(nodax, active_swapfile_refuses_direct)
{
	int ret, fd;

	ret = make_swapfile(self->dir, self->swap);
	ASSERT_EQ(0, ret) TH_LOG("swap file: %s", strerror(-ret));
	ret = MD_ERRNO(swapon(self->swap, 0));
	if (variant->fs.tmpfs) {
		/* tmpfs cannot hold a swap file (no ->read_folio): EINVAL */
		EXPECT_ERRNO(EINVAL, ret, "swapon of a tmpfs file");
		return;
	}
	ASSERT_ERRNO(0, ret, "swapon of a written file on %s", variant->fs.name);
	fd = open(self->swap, O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		EXPECT_ERRNO(ETXTBSY, md_try_mmap3(fd, LEN, RW, DIRECT),
			     "mmap3 MAP_DIRECT of an active swap file (6.12's check keeps its place)");
		EXPECT_ERRNO(ETXTBSY, md_try_mmap(fd, LEN, RW, MAP_SHARED),
			     "control: plain MAP_SHARED of an active swap file");
		close(fd);
	} else {
		EXPECT_ERRNO(0, errno, "open the active swap file O_RDWR");
	}
	EXPECT_ERRNO(0, MD_ERRNO(swapoff(self->swap)), "swapoff");
}

/* ========================================================================= */
/* anonymous mappings                                                         */
/* ========================================================================= */

FIXTURE(anon) {
	int unused;
};

FIXTURE_SETUP(anon)
{
}

FIXTURE_TEARDOWN_PARENT(anon)
{
}

TEST_F(anon, direct_einval)
{
	char why[256];
	void *p;

	if (!md_have_map_direct(why, sizeof(why)))
		SKIP(return, "%s", why);
	p = md_mmap3(NULL, MD_PAGE, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_DIRECT, -1, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno) TH_LOG("mmap3 MAP_SHARED|MAP_ANONYMOUS|MAP_DIRECT: %s",
					md_errname(errno));
	p = md_mmap3(NULL, MD_PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_DIRECT, -1, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno) TH_LOG("mmap3 MAP_PRIVATE|MAP_ANONYMOUS|MAP_DIRECT: %s",
					md_errname(errno));
	p = mmap(NULL, MD_PAGE, RW, MAP_SHARED_VALIDATE | MAP_ANONYMOUS | MAP_DIRECT, -1, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno)
		TH_LOG("mmap(2) MAP_SHARED_VALIDATE|MAP_ANONYMOUS|MAP_DIRECT: %s",
		       md_errname(errno));
}

/* ========================================================================= */
/* DAX XFS and DAX ext4, unmounted and mounted again                          */
/* ========================================================================= */

/* umount and mount the same way; 0 or -errno. */
static int cycle_mount(const struct md_mnt *m)
{
	int ret = md_umount_retry(m->dir);

	return ret ? ret : md_mount_again(m, NULL);
}

FIXTURE(remount) {
	const char *dir;	/* from the environment */
	struct md_mnt mnt;
	char path[PATH_MAX];
	bool have_mnt;
};

FIXTURE_VARIANT(remount) {
	struct md_fs fs;
};

FIXTURE_VARIANT_ADD(remount, dax_xfs) { .fs = MD_FS_DAX_XFS };
FIXTURE_VARIANT_ADD(remount, dax_ext4) { .fs = MD_FS_DAX_EXT4 };

FIXTURE_SETUP(remount)
{
	char why[256];
	const char *dir;
	int ret;

	if (!md_have_map_direct(why, sizeof(why)))
		SKIP(return, "%s", why);
	dir = md_mount(&variant->fs, why, sizeof(why));
	if (!dir)
		SKIP(return, "%s", why);
	self->dir = dir;
	ret = md_find_mount(dir, &self->mnt);
	ASSERT_EQ(0, ret) TH_LOG("%s is not a mount point in /proc/self/mounts", dir);
	self->have_mnt = true;
	TH_LOG("remounting %s %s %s %s", self->mnt.dev, self->mnt.dir, self->mnt.type,
	       self->mnt.opts);
}

/* In the harness's process, so that it runs even if the test crashed. */
FIXTURE_TEARDOWN_PARENT(remount)
{
	struct md_mnt now;
	int ret;

	if (!self->have_mnt)
		return;
	if (md_find_mount(self->mnt.dir, &now) || strcmp(now.dev, self->mnt.dev)) {
		ret = md_mount_again(&self->mnt, NULL);
		if (ret)
			fprintf(stderr, "# could not mount %s on %s again: %s\n",
				self->mnt.dev, self->mnt.dir, strerror(-ret));
	}
	if (self->path[0])
		unlink(self->path);
}

/* Reopen @path after the remount and check the DAX mount came back. */
static int reopen_dax(struct __test_metadata *_metadata, const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	EXPECT_LE(0, fd) TH_LOG("open %s after the remount: %s", path, strerror(errno));
	if (fd >= 0)
		EXPECT_EQ(1, md_is_dax(fd)) TH_LOG("the file is not DAX after the remount");
	return fd;
}

TEST_F_TIMEOUT(remount, map_sync_direct_data_survives_remount, 120)
{
	unsigned char *p;
	int fd, sig, ret;

	fd = md_create_written(self->dir, "remount", self->path, LEN, 1);
	ASSERT_LE(0, fd);
	p = md_mmap3(NULL, LEN, RW, DIRECT | MAP_SYNC, fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap3 MAP_SYNC|MAP_DIRECT: %s", md_errname(errno));
	EXPECT_SEAL(1, md_seal_state(fd), "MAP_SYNC|MAP_DIRECT mapping");
	sig = md_guarded_fill(p, 0, LEN, 9);
	EXPECT_EQ(0, sig) TH_LOG("stores: %s", md_signame(sig));
	ASSERT_EQ(0, munmap(p, LEN));
	EXPECT_EQ(-1, md_read_check(fd, 0, LEN, 9)) TH_LOG("pread before the remount");
	close(fd);

	ret = cycle_mount(&self->mnt);
	ASSERT_EQ(0, ret) TH_LOG("umount/mount %s: %s", self->mnt.dir, strerror(-ret));
	fd = reopen_dax(_metadata, self->path);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, md_read_check(fd, 0, LEN, 9))
		TH_LOG("the data stored through MAP_SYNC|MAP_DIRECT did not survive the remount");
	close(fd);
}

TEST_F_TIMEOUT(remount, seal_is_not_persistent, 120)
{
	struct fsxattr fsx0, fsx;
	int fd, flags0, flags, ret;
	void *p;

	fd = md_create_written(self->dir, "remount", self->path, LEN, 1);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, FS_IOC_GETFLAGS, &flags0));
	ASSERT_EQ(0, ioctl(fd, FS_IOC_FSGETXATTR, &fsx0));
	p = md_mmap3(NULL, LEN, RW, DIRECT, fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap3 MAP_DIRECT: %s", md_errname(errno));
	EXPECT_SEAL(1, md_seal_state(fd), "mapped");
	/* the seal is no inode attribute (lsattr / xfs_io lsattr) */
	ASSERT_EQ(0, ioctl(fd, FS_IOC_GETFLAGS, &flags));
	EXPECT_EQ(flags0, flags) TH_LOG("FS_IOC_GETFLAGS shows the seal: %#x -> %#x",
					flags0, flags);
	ASSERT_EQ(0, ioctl(fd, FS_IOC_FSGETXATTR, &fsx));
	EXPECT_EQ(fsx0.fsx_xflags, fsx.fsx_xflags)
		TH_LOG("FS_IOC_FSGETXATTR shows the seal: %#x -> %#x",
		       fsx0.fsx_xflags, fsx.fsx_xflags);
	/* with its fd closed, the live mapping alone keeps the fs busy */
	close(fd);
	EXPECT_EQ(-1, syscall(SYS_umount2, self->mnt.dir, 0));
	EXPECT_EQ(EBUSY, errno) TH_LOG("umount with a live MAP_DIRECT mapping: %s",
				       md_errname(errno));
	EXPECT_SEAL(1, md_seal_state_path(self->path), "fd closed, mapping live");
	ASSERT_EQ(0, munmap(p, LEN));

	ret = cycle_mount(&self->mnt);
	ASSERT_EQ(0, ret) TH_LOG("umount/mount %s: %s", self->mnt.dir, strerror(-ret));
	fd = reopen_dax(_metadata, self->path);
	ASSERT_LE(0, fd);
	EXPECT_SEAL(0, md_seal_state(fd), "after umount/mount");
	ASSERT_EQ(0, ioctl(fd, FS_IOC_GETFLAGS, &flags));
	EXPECT_EQ(flags0, flags);
	ASSERT_EQ(0, ioctl(fd, FS_IOC_FSGETXATTR, &fsx));
	EXPECT_EQ(fsx0.fsx_xflags, fsx.fsx_xflags);
	EXPECT_EQ(-1, md_read_check(fd, 0, LEN, 1));
	close(fd);
}

TEST_HARNESS_MAIN
