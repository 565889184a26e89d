// SPDX-License-Identifier: GPL-2.0
/*
 * mmap3(addr, len, prot, flags, fd, pgoff): the strict mmap front end that
 * MAP_DIRECT is passed through.  Pinned here, as
 * Documentation/userspace-api/mmap3.rst describes it:
 *
 *  - an unknown flag bit (every bit outside the known ones and the MAP_TYPE
 *    field, the hugetlb size field without MAP_HUGETLB, MAP_DENYWRITE and
 *    MAP_EXECUTABLE) fails with EOPNOTSUPP and maps nothing;
 *  - MAP_TYPE must be MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE (the same
 *    as MAP_SHARED, also for anonymous memory) or MAP_DROPPABLE: else EINVAL;
 *  - a file mapping with an fd that is not open fails with EBADF;
 *  - MAP_SYNC needs a file that supports it (DAX XFS/ext4): else EOPNOTSUPP;
 *  - a protection bit other than PROT_READ, PROT_WRITE, PROT_EXEC and
 *    PROT_SEM (PROT_GROWSDOWN and PROT_GROWSUP included) fails with EINVAL
 *    and maps nothing; mmap(2) keeps ignoring such bits;
 *  - the LSM hook security_mmap_file() gets for a shared file mapping the
 *    type MAP_SHARED (0x01), also when the caller passed
 *    MAP_SHARED_VALIDATE, and the other flag bits as passed (observed with a
 *    kprobe; SKIP with the reason on a kernel without kprobe events or
 *    without CONFIG_SECURITY, where the hook is an empty inline);
 *  - the rest is mmap(2): same mappings (content, /proc/self/maps), same
 *    MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_POPULATE, MAP_HUGETLB behaviour;
 *    the 6th argument is an offset in pages.
 *
 * The LSM view is tested by lsm.*.hook_sees_*, the protection bits by
 * unknown_prot_bits_einval and mmap_unknown_prot_bits_ignored.
 *
 * The same source is built as a 32-bit program (mmap3_test_32), which runs
 * through compat_sys_mmap3 on an x86_64 kernel.  On a kernel without
 * mmap3 every test SKIPs with the reason "kernel without mmap3".
 *
 * Syscall 463 is a private ABI of this series: upstream Linux 6.13 and later
 * use 463 for setxattrat.  The probe only ever makes one call there whose
 * arguments setxattrat refuses (at_flags 3) and then checks that the result
 * is a real mapping, so a newer kernel SKIPs as well.
 */
#define _GNU_SOURCE
#include <sys/mount.h>
#include <sys/syscall.h>
#include <linux/mman.h>

#include "../kselftest_harness.h"
#include "md_test.h"

/*
 * The harness's TEST_F() wrapper sets "child" between setjmp() and a
 * possible longjmp(); depending on how gcc inlines the test bodies,
 * -Wextra's -Wclobbered then warns about the harness, not about this file.
 */
#ifndef __clang__
#pragma GCC diagnostic ignored "-Wclobbered"
#endif

#ifndef __NR_mmap3
#define __NR_mmap3 463		/* x86_64 and i386 alike */
#endif
#ifndef MAP_DROPPABLE
#define MAP_DROPPABLE 0x08
#endif
#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB (21U << MAP_HUGE_SHIFT)
#endif
#ifndef MAP_HUGE_1GB
#define MAP_HUGE_1GB (30U << MAP_HUGE_SHIFT)
#endif
#if defined(__x86_64__) || defined(__i386__)
#ifndef MAP_32BIT
#define MAP_32BIT 0x40
#endif
#ifndef MAP_ABOVE4G
#define MAP_ABOVE4G 0x80
#endif
#define X86_KNOWN_BITS 13	/* known_flags below, without MAP_DIRECT */
#else
#error "the known flags below are those of x86"
#endif

/*
 * The flags mmap3 knows outside MAP_TYPE on x86.  MAP_DIRECT is known
 * once the headers the test is built with have it;
 * its rules are tested by the MAP_DIRECT collection.
 */
#ifdef MAP_DIRECT
#define KNOWN_MAP_DIRECT MAP_DIRECT
#else
#define KNOWN_MAP_DIRECT 0
#endif
static const unsigned long known_flags = MAP_FIXED | MAP_ANONYMOUS |
	MAP_32BIT | MAP_ABOVE4G | MAP_GROWSDOWN | MAP_LOCKED | MAP_NORESERVE |
	MAP_POPULATE | MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB | MAP_SYNC |
	MAP_FIXED_NOREPLACE | KNOWN_MAP_DIRECT;

/* Pointers compared as integers: the harness casts to intmax_t. */
#define PTR(p)		((uintptr_t)(p))

#define NPAGES		4
#define HUGE_SIZE	(2UL << 20)
#define RW		(PROT_READ | PROT_WRITE)
#define ANON		MAP_ANONYMOUS

static size_t page;

static void __attribute__((constructor)) init_page_size(void)
{
	page = sysconf(_SC_PAGESIZE);
}

static void *mmap3(void *addr, size_t len, int prot, unsigned long flags,
		   int fd, unsigned long pgoff)
{
	return (void *)syscall(__NR_mmap3, (unsigned long)addr,
			       (unsigned long)len, (unsigned long)prot, flags,
			       (unsigned long)(long)fd, pgoff);
}

/* mmap3() then munmap(): 0 if the mapping was made, else its errno. */
static int try_mmap3(void *addr, size_t len, int prot, unsigned long flags,
		     int fd, unsigned long pgoff)
{
	void *p = mmap3(addr, len, prot, flags, fd, pgoff);

	if (p == MAP_FAILED)
		return errno;
	munmap(p, len);
	return 0;
}

/* The same with mmap(2) and a byte offset. */
static int try_mmap(void *addr, size_t len, int prot, unsigned long flags,
		    int fd, off_t off)
{
	void *p = mmap(addr, len, prot, (int)flags, fd, off);

	if (p == MAP_FAILED)
		return errno;
	munmap(p, len);
	return 0;
}

static const char *err_name(int err)
{
	return err ? strerror(err) : "success";
}

/*
 * Whether syscall 463 is mmap3 here: 1, or 0 with the reason in @why.  A
 * private anonymous page must come back as a real mapping.
 */
static int have_mmap3(char *why, size_t len)
{
	unsigned char vec;
	void *p;

	p = mmap3(NULL, page, RW, MAP_PRIVATE | ANON, -1, 0);
	if (p == MAP_FAILED) {
		if (errno == ENOSYS)
			snprintf(why, len, "kernel without mmap3");
		else
			snprintf(why, len,
				 "kernel without mmap3: syscall %d is something else here (%s)",
				 __NR_mmap3, strerror(errno));
		return 0;
	}
	if (!p || ((unsigned long)p & (page - 1)) || mincore(p, page, &vec)) {
		snprintf(why, len,
			 "kernel without mmap3: syscall %d returned %p, not a mapping",
			 __NR_mmap3, p);
		return 0;
	}
	munmap(p, page);
	return 1;
}

#define NEED_MMAP3() do {						\
	char _why[160];							\
	if (!have_mmap3(_why, sizeof(_why)))				\
		SKIP(return, "%s", _why);				\
} while (0)

/* A page-aligned range of @len bytes that nothing is mapped at now. */
static void *free_range(size_t len)
{
	void *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | ANON, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p, len);
	return p;
}

/* True if no page of [addr, addr + len) is mapped. */
static bool unmapped(void *addr, size_t len)
{
	unsigned char vec;
	size_t off;

	for (off = 0; off < len; off += page)
		if (!mincore((char *)addr + off, page, &vec) || errno != ENOMEM)
			return false;
	return true;
}

/* Number of resident pages of [addr, addr + len), -1 on error. */
static int resident(void *addr, size_t len)
{
	unsigned char vec[64];
	size_t i, n = len / page;
	int count = 0;

	if (n > sizeof(vec) || mincore(addr, len, vec))
		return -1;
	for (i = 0; i < n; i++)
		count += vec[i] & 1;
	return count;
}

struct maps_entry {
	unsigned long start, end, offset, inode;
	char perms[8];
	char dev[16];
	char path[PATH_MAX];
};

/* The /proc/self/maps entry of the mapping that contains @addr: 0 or -1. */
static int maps_entry(const void *addr, struct maps_entry *e)
{
	unsigned long a = (unsigned long)addr;
	char line[PATH_MAX + 128];
	int ret = -1, n;
	FILE *f;

	f = fopen("/proc/self/maps", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		n = 0;
		if (sscanf(line, "%lx-%lx %7s %lx %15s %lu %n", &e->start,
			   &e->end, e->perms, &e->offset, e->dev, &e->inode,
			   &n) < 6)
			continue;
		if (a < e->start || a >= e->end)
			continue;
		snprintf(e->path, sizeof(e->path), "%s", line + n);
		e->path[strcspn(e->path, "\n")] = '\0';
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

/* Whether the smaps VmFlags of the mapping at @addr have @flag ("sf"). */
static int vm_flag(const void *addr, const char *flag)
{
	unsigned long a = (unsigned long)addr, s, e;
	char line[PATH_MAX + 128], tok[8];
	bool in = false;
	int ret = -1;
	FILE *f;

	f = fopen("/proc/self/smaps", "r");
	if (!f)
		return -1;
	snprintf(tok, sizeof(tok), " %s", flag);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &s, &e) == 2) {
			in = a >= s && a < e;
			continue;
		}
		if (in && !strncmp(line, "VmFlags:", 8)) {
			line[strcspn(line, "\n")] = ' ';
			ret = !!strstr(line + 8, tok);
			break;
		}
	}
	fclose(f);
	return ret;
}

/*
 * The mappings at @a (mmap3) and @b (mmap(2)), both @len bytes, have the
 * same /proc/self/maps entry but for the address (and the inode for
 * anonymous shared memory, which gets a new one per mapping).
 */
#define EXPECT_SAME_MAPS(a, b, len, same_inode) do {			\
	struct maps_entry _ea, _eb;					\
	ASSERT_EQ(0, maps_entry(a, &_ea));				\
	ASSERT_EQ(0, maps_entry(b, &_eb));				\
	EXPECT_LE(_ea.start, (unsigned long)(a));			\
	EXPECT_LE((unsigned long)(a) + (len), _ea.end);			\
	EXPECT_STREQ(_eb.perms, _ea.perms);				\
	EXPECT_EQ(_eb.offset, _ea.offset);				\
	EXPECT_STREQ(_eb.dev, _ea.dev);					\
	EXPECT_STREQ(_eb.path, _ea.path);				\
	if (same_inode)							\
		EXPECT_EQ(_eb.inode, _ea.inode);			\
} while (0)

#define EXPECT_PERMS(a, want) do {					\
	struct maps_entry _e;						\
	ASSERT_EQ(0, maps_entry(a, &_e));				\
	EXPECT_STREQ(want, _e.perms);					\
} while (0)

/* A memfd (tmpfs) of @pages pages filled with pattern @seed. */
static int memfd_pattern(unsigned int pages, unsigned int seed)
{
	int fd = memfd_create("mmap3", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (seed && md_write_pattern(fd, 0, pages * page, seed)) {
		close(fd);
		return -1;
	}
	if (!seed && ftruncate(fd, pages * page)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* --- anonymous memory ---------------------------------------------------- */

TEST(anon_private_matches_mmap)
{
	size_t len = NPAGES * page;
	unsigned char *a, *b;
	size_t i;

	NEED_MMAP3();
	a = mmap3(NULL, len, RW, MAP_PRIVATE | ANON, -1, 0);
	ASSERT_NE(PTR(MAP_FAILED), PTR(a)) TH_LOG("mmap3: %s", strerror(errno));
	b = mmap(NULL, len, RW, MAP_PRIVATE | ANON, -1, 0);
	ASSERT_NE(PTR(MAP_FAILED), PTR(b));
	for (i = 0; i < len; i++)
		ASSERT_EQ(0, a[i]);
	md_fill(a, 0, len, 1);
	EXPECT_EQ(-1, md_check(a, 0, len, 1));
	EXPECT_PERMS(a, "rw-p");
	EXPECT_SAME_MAPS(a, b, len, true);
	ASSERT_EQ(0, munmap(a, len));
	ASSERT_EQ(0, munmap(b, len));
}

TEST(anon_shared_matches_mmap)
{
	size_t len = NPAGES * page;
	unsigned char *a, *b;

	NEED_MMAP3();
	a = mmap3(NULL, len, RW, MAP_SHARED | ANON, -1, 0);
	ASSERT_NE(PTR(MAP_FAILED), PTR(a)) TH_LOG("mmap3: %s", strerror(errno));
	b = mmap(NULL, len, RW, MAP_SHARED | ANON, -1, 0);
	ASSERT_NE(PTR(MAP_FAILED), PTR(b));
	md_fill(a, 0, len, 2);
	EXPECT_EQ(-1, md_check(a, 0, len, 2));
	EXPECT_PERMS(a, "rw-s");
	EXPECT_SAME_MAPS(a, b, len, false);
	ASSERT_EQ(0, munmap(a, len));
	ASSERT_EQ(0, munmap(b, len));
}

/* mmap(2) refuses anonymous MAP_SHARED_VALIDATE; mmap3 makes it MAP_SHARED. */
TEST(anon_shared_validate_is_shared)
{
	size_t len = NPAGES * page;
	unsigned char *a, *b;

	NEED_MMAP3();
	EXPECT_EQ(EINVAL, try_mmap(NULL, len, RW, MAP_SHARED_VALIDATE | ANON, -1, 0));
	a = mmap3(NULL, len, RW, MAP_SHARED_VALIDATE | ANON, -1, 0);
	ASSERT_NE(PTR(MAP_FAILED), PTR(a)) TH_LOG("mmap3: %s", strerror(errno));
	b = mmap(NULL, len, RW, MAP_SHARED | ANON, -1, 0);
	ASSERT_NE(PTR(MAP_FAILED), PTR(b));
	EXPECT_PERMS(a, "rw-s");
	EXPECT_SAME_MAPS(a, b, len, false);
	ASSERT_EQ(0, munmap(a, len));
	ASSERT_EQ(0, munmap(b, len));
}

/* Every unknown bit, alone, with mapping type @type (@fd < 0: anonymous). */
static void check_unknown_bits(struct __test_metadata *_metadata, int fd,
			       unsigned long type)
{
	size_t len = NPAGES * page;
	unsigned long base = type | (fd < 0 ? ANON : 0);
	unsigned int b, tested = 0;
	void *hint, *p;

	hint = free_range(len);
	ASSERT_NE(PTR(NULL), PTR(hint));
	for (b = 0; b < 8 * sizeof(unsigned long); b++) {
		unsigned long bit = 1UL << b;

		if ((bit & MAP_TYPE) || (bit & known_flags))
			continue;
		tested++;
		p = mmap3(hint, len, RW, base | bit, fd, 0);
		EXPECT_EQ(PTR(MAP_FAILED), PTR(p))
			TH_LOG("bit %u (%#lx) with %#lx mapped at %p", b, bit, base, p);
		if (p != MAP_FAILED) {
			munmap(p, len);
			continue;
		}
		EXPECT_EQ(EOPNOTSUPP, errno)
			TH_LOG("bit %u (%#lx) with %#lx: %s", b, bit, base, strerror(errno));
		EXPECT_TRUE(unmapped(hint, len))
			TH_LOG("bit %u (%#lx): something is mapped at the hint", b, bit);
	}
	EXPECT_EQ(8 * sizeof(unsigned long) - 4 -
		  __builtin_popcountl(known_flags), tested);
}

TEST(unknown_bits_anon_refused)
{
	NEED_MMAP3();
	ASSERT_EQ(X86_KNOWN_BITS + !!KNOWN_MAP_DIRECT,
		  __builtin_popcountl(known_flags));
	check_unknown_bits(_metadata, -1, MAP_PRIVATE);
	check_unknown_bits(_metadata, -1, MAP_SHARED);
	check_unknown_bits(_metadata, -1, MAP_SHARED_VALIDATE);
}

TEST(unknown_bits_file_refused)
{
	int fd;

	NEED_MMAP3();
	fd = memfd_pattern(NPAGES, 3);
	ASSERT_LE(0, fd);
	check_unknown_bits(_metadata, fd, MAP_SHARED);
	check_unknown_bits(_metadata, fd, MAP_SHARED_VALIDATE);
	check_unknown_bits(_metadata, fd, MAP_PRIVATE);
	close(fd);
}

TEST(denywrite_executable_refused)
{
	static const unsigned long bits[] = { MAP_DENYWRITE, MAP_EXECUTABLE };
	size_t len = NPAGES * page;
	unsigned int i;
	int fd;

	NEED_MMAP3();
	fd = memfd_pattern(NPAGES, 4);
	ASSERT_LE(0, fd);
	for (i = 0; i < 2; i++) {
		/* mmap(2) keeps accepting (and ignoring) them */
		EXPECT_EQ(0, try_mmap(NULL, len, RW, MAP_PRIVATE | ANON | bits[i], -1, 0));
		EXPECT_EQ(0, try_mmap(NULL, len, RW, MAP_SHARED | bits[i], fd, 0));
		EXPECT_EQ(0, try_mmap(NULL, len, RW, MAP_SHARED_VALIDATE | bits[i], fd, 0));
		EXPECT_EQ(EOPNOTSUPP, try_mmap3(NULL, len, RW, MAP_PRIVATE | ANON | bits[i], -1, 0))
			TH_LOG("anonymous, %#lx", bits[i]);
		EXPECT_EQ(EOPNOTSUPP, try_mmap3(NULL, len, RW, MAP_SHARED | bits[i], fd, 0))
			TH_LOG("MAP_SHARED file, %#lx", bits[i]);
		EXPECT_EQ(EOPNOTSUPP, try_mmap3(NULL, len, RW, MAP_PRIVATE | bits[i], fd, 0))
			TH_LOG("MAP_PRIVATE file, %#lx", bits[i]);
	}
	close(fd);
}

/* The hugetlb page size field is only known together with MAP_HUGETLB. */
TEST(huge_size_without_hugetlb_refused)
{
	size_t len = NPAGES * page;

	NEED_MMAP3();
	EXPECT_EQ(0, try_mmap(NULL, len, RW, MAP_PRIVATE | ANON | MAP_HUGE_2MB, -1, 0));
	EXPECT_EQ(EOPNOTSUPP, try_mmap3(NULL, len, RW, MAP_PRIVATE | ANON | MAP_HUGE_2MB, -1, 0));
	EXPECT_EQ(EOPNOTSUPP, try_mmap3(NULL, len, RW, MAP_PRIVATE | ANON | MAP_HUGE_1GB, -1, 0));
}

TEST(invalid_types)
{
	size_t len = NPAGES * page;
	unsigned long t;
	int fd;

	NEED_MMAP3();
	fd = memfd_pattern(NPAGES, 5);
	ASSERT_LE(0, fd);
	for (t = 0; t <= MAP_TYPE; t++) {
		if (t == MAP_SHARED || t == MAP_PRIVATE ||
		    t == MAP_SHARED_VALIDATE || t == MAP_DROPPABLE)
			continue;
		EXPECT_EQ(EINVAL, try_mmap(NULL, len, RW, t | ANON, -1, 0));
		EXPECT_EQ(EINVAL, try_mmap3(NULL, len, RW, t | ANON, -1, 0))
			TH_LOG("anonymous, type %#lx", t);
		EXPECT_EQ(EINVAL, try_mmap(NULL, len, RW, t, fd, 0));
		EXPECT_EQ(EINVAL, try_mmap3(NULL, len, RW, t, fd, 0))
			TH_LOG("file, type %#lx", t);
	}
	close(fd);
}

/* MAP_DROPPABLE: anonymous only, as with mmap(2). */
TEST(droppable_as_mmap)
{
	size_t len = NPAGES * page;
	unsigned char *a, *b;
	int fd;

	NEED_MMAP3();
	a = mmap3(NULL, len, RW, MAP_DROPPABLE | ANON, -1, 0);
	ASSERT_NE(PTR(MAP_FAILED), PTR(a)) TH_LOG("mmap3: %s", strerror(errno));
	b = mmap(NULL, len, RW, MAP_DROPPABLE | ANON, -1, 0);
	ASSERT_NE(PTR(MAP_FAILED), PTR(b));
	EXPECT_SAME_MAPS(a, b, len, true);
	EXPECT_EQ(1, vm_flag(a, "wf"));	/* VM_WIPEONFORK */
	ASSERT_EQ(0, munmap(a, len));
	ASSERT_EQ(0, munmap(b, len));

	fd = memfd_pattern(NPAGES, 6);
	ASSERT_LE(0, fd);
	EXPECT_EQ(EINVAL, try_mmap(NULL, len, RW, MAP_DROPPABLE, fd, 0));
	EXPECT_EQ(EINVAL, try_mmap3(NULL, len, RW, MAP_DROPPABLE, fd, 0));
	close(fd);
}

TEST(bad_fd)
{
	size_t len = NPAGES * page;
	int fd;

	NEED_MMAP3();
	EXPECT_EQ(EBADF, try_mmap3(NULL, len, RW, MAP_SHARED, -1, 0));
	EXPECT_EQ(EBADF, try_mmap3(NULL, len, RW, MAP_PRIVATE, -1, 0));
	fd = memfd_pattern(NPAGES, 7);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, close(fd));
	EXPECT_EQ(EBADF, try_mmap3(NULL, len, RW, MAP_SHARED, fd, 0));
	EXPECT_EQ(EBADF, try_mmap3(NULL, len, RW, MAP_PRIVATE, fd, 0));
	EXPECT_EQ(EBADF, try_mmap3(NULL, len, PROT_READ, MAP_SHARED_VALIDATE, fd, 0));
}

/* Unknown bits, then the type, then the fd, then what the file supports. */
TEST(error_order)
{
	size_t len = NPAGES * page;

	NEED_MMAP3();
	EXPECT_EQ(EOPNOTSUPP, try_mmap3(NULL, len, RW, 0x0f | MAP_DENYWRITE, -1, 0));
	EXPECT_EQ(EOPNOTSUPP, try_mmap3(NULL, len, RW, MAP_SHARED | MAP_DENYWRITE, -1, 0));
	EXPECT_EQ(EINVAL, try_mmap3(NULL, len, RW, 0x0f, -1, 0));
	EXPECT_EQ(EBADF, try_mmap3(NULL, len, RW, MAP_SHARED | MAP_SYNC, -1, 0));
	EXPECT_EQ(EOPNOTSUPP, try_mmap3(NULL, len, RW, MAP_SHARED | ANON | MAP_SYNC, -1, 0));
}

TEST(map_sync_refused_for_anon_and_tmpfs)
{
	size_t len = NPAGES * page;
	int fd;

	NEED_MMAP3();
	EXPECT_EQ(EOPNOTSUPP, try_mmap3(NULL, len, RW, MAP_PRIVATE | ANON | MAP_SYNC, -1, 0));
	EXPECT_EQ(EOPNOTSUPP, try_mmap3(NULL, len, RW, MAP_SHARED | ANON | MAP_SYNC, -1, 0));
	EXPECT_EQ(EOPNOTSUPP, try_mmap3(NULL, len, RW,
					MAP_SHARED_VALIDATE | ANON | MAP_SYNC, -1, 0));
	fd = memfd_pattern(NPAGES, 8);
	ASSERT_LE(0, fd);
	/* mmap(2) silently drops MAP_SYNC from MAP_SHARED on tmpfs */
	EXPECT_EQ(0, try_mmap(NULL, len, RW, MAP_SHARED | MAP_SYNC, fd, 0));
	EXPECT_EQ(EOPNOTSUPP, try_mmap3(NULL, len, RW, MAP_SHARED | MAP_SYNC, fd, 0));
	EXPECT_EQ(EOPNOTSUPP, try_mmap3(NULL, len, RW, MAP_PRIVATE | MAP_SYNC, fd, 0));
	close(fd);
}

TEST(offset_in_pages)
{
	unsigned char *a, *b;
	struct maps_entry e;
	int fd;

	NEED_MMAP3();
	fd = memfd_pattern(2, 9);
	ASSERT_LE(0, fd);
	a = mmap3(NULL, page, PROT_READ, MAP_SHARED, fd, 1);
	ASSERT_NE(PTR(MAP_FAILED), PTR(a)) TH_LOG("mmap3: %s", strerror(errno));
	EXPECT_EQ(-1, md_check(a, page, page, 9));
	ASSERT_EQ(0, maps_entry(a, &e));
	EXPECT_EQ(page, e.offset);
	b = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, page);
	ASSERT_NE(PTR(MAP_FAILED), PTR(b));
	EXPECT_SAME_MAPS(a, b, page, true);
	/* beyond EOF: mapped, as with mmap(2), but SIGBUS on access */
	EXPECT_EQ(0, try_mmap3(NULL, page, PROT_READ, MAP_SHARED, fd, 2));
	ASSERT_EQ(0, munmap(a, page));
	ASSERT_EQ(0, munmap(b, page));
	close(fd);
}

TEST(fixed_replaces)
{
	size_t len = NPAGES * page;
	unsigned char *old, *p;
	int fd;

	NEED_MMAP3();
	old = mmap(NULL, len, RW, MAP_PRIVATE | ANON, -1, 0);
	ASSERT_NE(PTR(MAP_FAILED), PTR(old));
	memset(old, 0xaa, len);
	p = mmap3(old + page, page, RW, MAP_PRIVATE | ANON | MAP_FIXED, -1, 0);
	ASSERT_EQ(PTR(old + page), PTR(p)) TH_LOG("mmap3: %s", strerror(errno));
	EXPECT_EQ(0, p[0]);
	EXPECT_EQ(0xaa, old[0]);
	EXPECT_EQ(0xaa, old[2 * page]);

	fd = memfd_pattern(1, 10);
	ASSERT_LE(0, fd);
	p = mmap3(old + 2 * page, page, RW, MAP_SHARED | MAP_FIXED, fd, 0);
	ASSERT_EQ(PTR(old + 2 * page), PTR(p)) TH_LOG("mmap3: %s", strerror(errno));
	EXPECT_EQ(-1, md_check(p, 0, page, 10));
	EXPECT_PERMS(p, "rw-s");
	ASSERT_EQ(0, munmap(old, len));
	close(fd);
}

static void check_fixed_noreplace(struct __test_metadata *_metadata, int fd,
				  unsigned long type)
{
	unsigned long base = type | (fd < 0 ? ANON : 0);
	size_t len = NPAGES * page;
	unsigned char *hint, *p, *q;

	hint = free_range(len);
	ASSERT_NE(PTR(NULL), PTR(hint));
	p = mmap3(hint, len, RW, base | MAP_FIXED_NOREPLACE, fd, 0);
	ASSERT_EQ(PTR(hint), PTR(p)) TH_LOG("%#lx over a free range: %s", base, strerror(errno));
	p[0] = 0x5a;
	/* over the mapping, or over a part of it */
	q = mmap3(hint, len, RW, base | MAP_FIXED_NOREPLACE, fd, 0);
	EXPECT_EQ(PTR(MAP_FAILED), PTR(q));
	EXPECT_EQ(EEXIST, errno) TH_LOG("%#lx: %s", base, strerror(errno));
	q = mmap3(hint + len - page, len, RW, base | MAP_FIXED_NOREPLACE, fd, 0);
	EXPECT_EQ(PTR(MAP_FAILED), PTR(q));
	EXPECT_EQ(EEXIST, errno) TH_LOG("%#lx: %s", base, strerror(errno));
	EXPECT_EQ(0x5a, p[0]);
	ASSERT_EQ(0, munmap(p, len));
}

TEST(fixed_noreplace)
{
	void *hint;
	int fd;

	NEED_MMAP3();
	check_fixed_noreplace(_metadata, -1, MAP_PRIVATE);
	check_fixed_noreplace(_metadata, -1, MAP_SHARED);
	fd = memfd_pattern(NPAGES, 11);
	ASSERT_LE(0, fd);
	check_fixed_noreplace(_metadata, fd, MAP_SHARED);
	check_fixed_noreplace(_metadata, fd, MAP_PRIVATE);
	/* mmap(2) refuses this one: MAP_FIXED_NOREPLACE is not "legacy" */
	hint = free_range(page);
	ASSERT_NE(PTR(NULL), PTR(hint));
	EXPECT_EQ(EOPNOTSUPP, try_mmap(hint, page, RW,
				       MAP_SHARED_VALIDATE | MAP_FIXED_NOREPLACE, fd, 0));
	check_fixed_noreplace(_metadata, fd, MAP_SHARED_VALIDATE);
	close(fd);
}

TEST(populate)
{
	size_t len = NPAGES * page;
	void *a, *b;
	int fd;

	NEED_MMAP3();
	a = mmap3(NULL, len, RW, MAP_PRIVATE | ANON, -1, 0);
	ASSERT_NE(PTR(MAP_FAILED), PTR(a));
	EXPECT_EQ(0, resident(a, len));
	ASSERT_EQ(0, munmap(a, len));

	a = mmap3(NULL, len, RW, MAP_PRIVATE | ANON | MAP_POPULATE, -1, 0);
	ASSERT_NE(PTR(MAP_FAILED), PTR(a)) TH_LOG("mmap3: %s", strerror(errno));
	b = mmap(NULL, len, RW, MAP_PRIVATE | ANON | MAP_POPULATE, -1, 0);
	ASSERT_NE(PTR(MAP_FAILED), PTR(b));
	EXPECT_EQ(NPAGES, resident(a, len));
	EXPECT_EQ(NPAGES, resident(b, len));
	ASSERT_EQ(0, munmap(a, len));
	ASSERT_EQ(0, munmap(b, len));

	/* a sparse memfd: populating allocates its pages */
	fd = memfd_pattern(NPAGES, 0);
	ASSERT_LE(0, fd);
	a = mmap3(NULL, len, RW, MAP_SHARED, fd, 0);
	ASSERT_NE(PTR(MAP_FAILED), PTR(a));
	EXPECT_EQ(0, resident(a, len));
	ASSERT_EQ(0, munmap(a, len));
	a = mmap3(NULL, len, RW, MAP_SHARED | MAP_POPULATE, fd, 0);
	ASSERT_NE(PTR(MAP_FAILED), PTR(a)) TH_LOG("mmap3: %s", strerror(errno));
	EXPECT_EQ(NPAGES, resident(a, len));
	ASSERT_EQ(0, munmap(a, len));
	close(fd);
}

/* --- protection bits ----------------------------------------------------- */

/* Bits outside PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM. */
static const unsigned long unknown_prots[] = {
	0x10, 0x20, 0x40, 0x80, PROT_GROWSDOWN, PROT_GROWSUP, 0x10000000,
};

/* The mapping types the protection tests use; @fd for the file ones. */
static const unsigned long prot_types[] = {
	MAP_PRIVATE | ANON, MAP_SHARED | ANON, MAP_SHARED, MAP_PRIVATE,
};

TEST(unknown_prot_bits_einval)
{
	size_t len = NPAGES * page;
	unsigned int i, t;
	void *hint, *p;
	int fd;

	NEED_MMAP3();
	fd = memfd_pattern(NPAGES, 18);
	ASSERT_LE(0, fd);
	hint = free_range(len);
	ASSERT_NE(PTR(NULL), PTR(hint));
	for (i = 0; i < ARRAY_SIZE(unknown_prots); i++) {
		for (t = 0; t < ARRAY_SIZE(prot_types); t++) {
			int f = prot_types[t] & ANON ? -1 : fd;

			p = mmap3(hint, len, RW | unknown_prots[i], prot_types[t], f, 0);
			EXPECT_EQ(PTR(MAP_FAILED), PTR(p))
				TH_LOG("prot %#lx, flags %#lx mapped at %p",
				       RW | unknown_prots[i], prot_types[t], p);
			if (p != MAP_FAILED) {
				munmap(p, len);
				continue;
			}
			EXPECT_EQ(EINVAL, errno) TH_LOG("prot %#lx, flags %#lx: %s",
							RW | unknown_prots[i], prot_types[t],
							strerror(errno));
			EXPECT_TRUE(unmapped(hint, len));
		}
	}
	close(fd);
}

/* 6.12's mmap(2) ignores them: the same mapping as without the bit. */
TEST(mmap_unknown_prot_bits_ignored)
{
	size_t len = NPAGES * page;
	unsigned char *a, *b;
	unsigned int i, t;
	int fd;

	fd = memfd_pattern(NPAGES, 19);
	ASSERT_LE(0, fd);
	for (i = 0; i < ARRAY_SIZE(unknown_prots); i++) {
		for (t = 0; t < ARRAY_SIZE(prot_types); t++) {
			int f = prot_types[t] & ANON ? -1 : fd;

			a = mmap(NULL, len, RW | unknown_prots[i], prot_types[t], f, 0);
			ASSERT_NE(PTR(MAP_FAILED), PTR(a))
				TH_LOG("mmap(2) prot %#lx, flags %#lx: %s",
				       RW | unknown_prots[i], prot_types[t], strerror(errno));
			b = mmap(NULL, len, RW, prot_types[t], f, 0);
			ASSERT_NE(PTR(MAP_FAILED), PTR(b));
			EXPECT_SAME_MAPS(a, b, len, f >= 0);
			a[0] = 0x5a;
			EXPECT_EQ(0x5a, a[0]);
			ASSERT_EQ(0, munmap(a, len));
			ASSERT_EQ(0, munmap(b, len));
		}
	}
	close(fd);
}

/* --- files on the filesystems under test --------------------------------- */

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
	char why[160];
	const char *dir;

	self->fd = -1;
	if (!have_mmap3(why, sizeof(why)))
		SKIP(return, "%s", why);
	dir = md_mount(&variant->fs, why, sizeof(why));
	if (!dir)
		SKIP(return, "%s", why);
	self->fd = md_create(dir, "mmap3", self->path);
	ASSERT_LE(0, self->fd) TH_LOG("create %s: %s", self->path, strerror(errno));
	ASSERT_EQ(0, md_write_pattern(self->fd, 0, NPAGES * page, 12));
	ASSERT_EQ(0, fsync(self->fd));
}

FIXTURE_TEARDOWN(fs)
{
	if (self->fd >= 0) {
		close(self->fd);
		unlink(self->path);
	}
}

static int expect_sync(const struct md_fs *fs)
{
	return fs->dax ? 0 : EOPNOTSUPP;
}

TEST_F(fs, shared_matches_mmap)
{
	size_t len = NPAGES * page;
	unsigned char *a, *b;

	a = mmap3(NULL, len, RW, MAP_SHARED, self->fd, 0);
	ASSERT_NE(PTR(MAP_FAILED), PTR(a)) TH_LOG("mmap3: %s", strerror(errno));
	b = mmap(NULL, len, RW, MAP_SHARED, self->fd, 0);
	ASSERT_NE(PTR(MAP_FAILED), PTR(b));
	EXPECT_EQ(-1, md_check(a, 0, len, 12));
	EXPECT_PERMS(a, "rw-s");
	EXPECT_SAME_MAPS(a, b, len, true);
	md_fill(a, 0, page, 13);
	EXPECT_EQ(-1, md_check(b, 0, page, 13));
	ASSERT_EQ(0, msync(a, page, MS_SYNC));
	EXPECT_EQ(-1, md_read_check(self->fd, 0, page, 13));
	ASSERT_EQ(0, munmap(a, len));
	ASSERT_EQ(0, munmap(b, len));
}

TEST_F(fs, private_matches_mmap)
{
	size_t len = NPAGES * page;
	unsigned char *a, *b;

	a = mmap3(NULL, len, RW, MAP_PRIVATE, self->fd, 0);
	ASSERT_NE(PTR(MAP_FAILED), PTR(a)) TH_LOG("mmap3: %s", strerror(errno));
	b = mmap(NULL, len, RW, MAP_PRIVATE, self->fd, 0);
	ASSERT_NE(PTR(MAP_FAILED), PTR(b));
	EXPECT_EQ(-1, md_check(a, 0, len, 12));
	EXPECT_PERMS(a, "rw-p");
	EXPECT_SAME_MAPS(a, b, len, true);
	md_fill(a, 0, page, 14);
	EXPECT_EQ(-1, md_check(b, 0, page, 12));
	EXPECT_EQ(-1, md_read_check(self->fd, 0, page, 12));
	ASSERT_EQ(0, munmap(a, len));
	ASSERT_EQ(0, munmap(b, len));
}

TEST_F(fs, shared_validate_is_shared)
{
	size_t len = NPAGES * page;
	unsigned char *a;

	a = mmap3(NULL, len, RW, MAP_SHARED_VALIDATE, self->fd, 0);
	ASSERT_NE(PTR(MAP_FAILED), PTR(a)) TH_LOG("mmap3: %s", strerror(errno));
	EXPECT_PERMS(a, "rw-s");
	md_fill(a + page, page, page, 15);
	ASSERT_EQ(0, msync(a, len, MS_SYNC));
	EXPECT_EQ(-1, md_read_check(self->fd, page, page, 15));
	ASSERT_EQ(0, munmap(a, len));
}

TEST_F(fs, offset_in_pages)
{
	unsigned char *a;
	struct maps_entry e;

	ASSERT_EQ(0, ftruncate(self->fd, 2 * page));
	a = mmap3(NULL, page, PROT_READ, MAP_SHARED, self->fd, 1);
	ASSERT_NE(PTR(MAP_FAILED), PTR(a)) TH_LOG("mmap3: %s", strerror(errno));
	EXPECT_EQ(-1, md_check(a, page, page, 12));
	ASSERT_EQ(0, maps_entry(a, &e));
	EXPECT_EQ(page, e.offset);
	ASSERT_EQ(0, munmap(a, page));
}

TEST_F(fs, map_sync)
{
	static const unsigned long types[] = {
		MAP_SHARED, MAP_SHARED_VALIDATE, MAP_PRIVATE,
	};
	int want = expect_sync(&variant->fs);
	size_t len = NPAGES * page;
	unsigned int i;
	void *hint, *p;

	ASSERT_EQ(variant->fs.dax, md_is_dax(self->fd))
		TH_LOG("STATX_ATTR_DAX on %s", variant->fs.name);
	hint = free_range(len);
	ASSERT_NE(PTR(NULL), PTR(hint));
	for (i = 0; i < 3; i++) {
		p = mmap3(hint, len, RW, types[i] | MAP_SYNC, self->fd, 0);
		EXPECT_EQ(want, p == MAP_FAILED ? errno : 0)
			TH_LOG("type %#lx | MAP_SYNC on %s: %s, expected %s", types[i],
			       variant->fs.name, err_name(p == MAP_FAILED ? errno : 0),
			       err_name(want));
		if (p == MAP_FAILED) {
			EXPECT_TRUE(unmapped(hint, len));
			continue;
		}
		EXPECT_EQ(-1, md_check(p, 0, len, 12));
		if (types[i] != MAP_PRIVATE)	/* VM_SYNC */
			EXPECT_EQ(1, vm_flag(p, "sf"));
		munmap(p, len);
	}
}

/* As with mmap(2) MAP_SHARED_VALIDATE (a limitation, see mmap3.rst). */
TEST_F(fs, sync_with_fixed_noreplace_refused)
{
	size_t len = NPAGES * page;
	void *hint = free_range(len);

	ASSERT_NE(PTR(NULL), PTR(hint));
	EXPECT_EQ(EOPNOTSUPP, try_mmap3(hint, len, RW,
					MAP_SHARED | MAP_SYNC | MAP_FIXED_NOREPLACE,
					self->fd, 0));
	EXPECT_TRUE(unmapped(hint, len));
}

TEST_F(fs, fixed_noreplace)
{
	check_fixed_noreplace(_metadata, self->fd, MAP_SHARED);
	check_fixed_noreplace(_metadata, self->fd, MAP_SHARED_VALIDATE);
	check_fixed_noreplace(_metadata, self->fd, MAP_PRIVATE);
}

TEST_F(fs, unknown_bits_refused)
{
	check_unknown_bits(_metadata, self->fd, MAP_SHARED);
	check_unknown_bits(_metadata, self->fd, MAP_PRIVATE);
}

/* --- what the LSM hook sees: security_mmap_file() through a kprobe -------- */

#define TRACEFS "/sys/kernel/tracing"

FIXTURE(lsm) {
	char path[PATH_MAX];
	char probe[64];		/* the kprobe event, once it is being defined */
	char inst[128];		/* its tracefs instance, once it is being made */
	int fd;
};

FIXTURE_VARIANT(lsm) {
	struct md_fs fs;
};

FIXTURE_VARIANT_ADD(lsm, dax_xfs) { .fs = MD_FS_DAX_XFS };
FIXTURE_VARIANT_ADD(lsm, dax_ext4) { .fs = MD_FS_DAX_EXT4 };

/* Write @s to the tracefs file @path (@oflags: O_APPEND, O_TRUNC); 0 or errno. */
static int trace_write(const char *path, const char *s, int oflags)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | oflags);
	ssize_t n;

	if (fd < 0)
		return errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : n < 0 ? errno : EIO;
}

/* Whether /proc/kallsyms lists the kernel function @name. */
static bool kernel_has_function(const char *name)
{
	char line[256], sym[128], type;
	bool found = false;
	FILE *f = fopen("/proc/kallsyms", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%*s %c %127s", &type, sym) == 2 &&
			(type == 'T' || type == 't') && !strcmp(sym, name);
	fclose(f);
	return found;
}

/*
 * Whether security_mmap_file() can be probed: tracefs (mounted if needed)
 * with kprobe events, and the hook a real function; else why not.
 */
static int have_hook_probe(char *why, size_t len)
{
	if (access(TRACEFS "/trace", F_OK) &&
	    mount("tracefs", TRACEFS, "tracefs", 0, NULL)) {
		snprintf(why, len, "kernel without tracefs (CONFIG_FTRACE): mount %s: %s",
			 TRACEFS, strerror(errno));
		return 0;
	}
	if (access(TRACEFS "/kprobe_events", W_OK)) {
		snprintf(why, len, "kernel without kprobe events (CONFIG_KPROBE_EVENTS): %s: %s",
			 TRACEFS "/kprobe_events", strerror(errno));
		return 0;
	}
	if (!kernel_has_function("security_mmap_file")) {
		snprintf(why, len,
			 "no function security_mmap_file in /proc/kallsyms (CONFIG_SECURITY=n: the LSM hook is an empty inline)");
		return 0;
	}
	return 1;
}

FIXTURE_SETUP(lsm)
{
	char why[200];
	const char *dir;

	self->fd = -1;
	if (!have_mmap3(why, sizeof(why)))
		SKIP(return, "%s", why);
	dir = md_mount(&variant->fs, why, sizeof(why));
	if (!dir)
		SKIP(return, "%s", why);
	if (!have_hook_probe(why, sizeof(why)))
		SKIP(return, "%s", why);
	self->fd = md_create(dir, "mmap3-lsm", self->path);
	ASSERT_LE(0, self->fd) TH_LOG("create %s: %s", self->path, strerror(errno));
	ASSERT_EQ(0, md_write_pattern(self->fd, 0, NPAGES * page, 20));
	ASSERT_EQ(0, fsync(self->fd));
}

/* In the harness's process: also after a failed ASSERT in the test. */
FIXTURE_TEARDOWN_PARENT(lsm)
{
	char path[PATH_MAX];

	if (self->inst[0]) {
		snprintf(path, sizeof(path), "%s/events/kprobes/%s/enable",
			 self->inst, self->probe);
		trace_write(path, "0", O_TRUNC);
		rmdir(self->inst);
	}
	if (self->probe[0]) {
		snprintf(path, sizeof(path), "-:kprobes/%s", self->probe);
		trace_write(TRACEFS "/kprobe_events", path, O_APPEND);
	}
	if (self->path[0])
		unlink(self->path);
}

/*
 * Probe security_mmap_file(file, prot, flags) (x86_64 kernel: %si, %dx),
 * recorded in a tracefs instance of its own, for this process only.
 */
static void probe_start(struct __test_metadata *_metadata,
			FIXTURE_DATA(lsm) * self)
{
	char def[160], path[PATH_MAX], filter[40];

	snprintf(self->probe, sizeof(self->probe), "mmap3_test_%d", getpid());
	snprintf(def, sizeof(def), "p:kprobes/%s security_mmap_file prot=%%si:x64 flags=%%dx:x64",
		 self->probe);
	ASSERT_EQ(0, trace_write(TRACEFS "/kprobe_events", def, O_APPEND))
		TH_LOG("define the kprobe \"%s\": %s", def, strerror(errno));
	snprintf(self->inst, sizeof(self->inst), TRACEFS "/instances/%s", self->probe);
	ASSERT_EQ(0, mkdir(self->inst, 0700)) TH_LOG("mkdir %s: %s", self->inst, strerror(errno));
	snprintf(path, sizeof(path), "%s/events/kprobes/%s/filter", self->inst, self->probe);
	snprintf(filter, sizeof(filter), "common_pid == %d", getpid());
	ASSERT_EQ(0, trace_write(path, filter, O_TRUNC)) TH_LOG("%s: %s", path, strerror(errno));
	snprintf(path, sizeof(path), "%s/events/kprobes/%s/enable", self->inst, self->probe);
	ASSERT_EQ(0, trace_write(path, "1", O_TRUNC)) TH_LOG("%s: %s", path, strerror(errno));
}

struct hook_call {
	unsigned long prot, flags;
};

/*
 * Map the fixture's file with mmap3 (@three) or mmap(2) and @flags, then
 * unmap it: how many times the hook ran meanwhile (-errno if the mapping
 * failed), the last call's arguments in @c.  No stdio and no malloc between
 * clearing and reading the trace: they might mmap.
 */
static int hook_calls(FIXTURE_DATA(lsm) * self, bool three, unsigned long flags,
		      struct hook_call *c)
{
	static char buf[65536];
	char path[PATH_MAX], tag[80], *line, *save;
	size_t len = NPAGES * page, used = 0;
	int fd, n = 0, err = 0;
	ssize_t got;
	void *p;

	snprintf(path, sizeof(path), "%s/trace", self->inst);
	snprintf(tag, sizeof(tag), " %s: ", self->probe);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	close(fd);
	if (three)
		p = mmap3(NULL, len, RW, flags, self->fd, 0);
	else
		p = mmap(NULL, len, RW, (int)flags, self->fd, 0);
	if (p == MAP_FAILED)
		err = errno;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (used < sizeof(buf) - 1 &&
	       (got = read(fd, buf + used, sizeof(buf) - 1 - used)) > 0)
		used += got;
	close(fd);
	buf[used] = 0;
	if (err)
		return -err;
	munmap(p, len);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *args = strstr(line, " prot=");

		if (line[0] == '#' || !strstr(line, tag) || !args)
			continue;
		if (sscanf(args, " prot=%lx flags=%lx", &c->prot, &c->flags) == 2)
			n++;
	}
	return n;
}

/* One call of the hook, with prot RW and flags @want, for this mapping. */
static void expect_hook(struct __test_metadata *_metadata,
			FIXTURE_DATA(lsm) * self, bool three,
			unsigned long flags, unsigned long want)
{
	const char *api = three ? "mmap3" : "mmap(2)";
	struct hook_call c = { 0, 0 };
	int n = hook_calls(self, three, flags, &c);

	ASSERT_LE(0, n) TH_LOG("%s flags %#lx: %s", api, flags, strerror(-n));
	EXPECT_EQ(1, n) TH_LOG("%s flags %#lx: security_mmap_file() ran %d times",
			       api, flags, n);
	if (n != 1)
		return;
	EXPECT_EQ((unsigned long)RW, c.prot)
		TH_LOG("%s flags %#lx: the hook got prot %#lx", api, flags, c.prot);
	EXPECT_EQ(want, c.flags)
		TH_LOG("%s flags %#lx: the hook got flags %#lx, expected %#lx",
		       api, flags, c.flags, want);
}

TEST_F(lsm, hook_sees_map_shared)
{
	probe_start(_metadata, self);
	expect_hook(_metadata, self, true, MAP_SHARED, MAP_SHARED);
	expect_hook(_metadata, self, false, MAP_SHARED, MAP_SHARED);
}

/* The type is MAP_SHARED even though MAP_SYNC must reach ->mmap(). */
TEST_F(lsm, hook_sees_map_sync_with_type_shared)
{
	probe_start(_metadata, self);
	expect_hook(_metadata, self, true, MAP_SHARED | MAP_SYNC, MAP_SHARED | MAP_SYNC);
	/* mmap(2) unchanged */
	expect_hook(_metadata, self, false, MAP_SHARED_VALIDATE | MAP_SYNC,
		    MAP_SHARED_VALIDATE | MAP_SYNC);
}

/* In mmap3, MAP_SHARED_VALIDATE is a synonym of MAP_SHARED. */
TEST_F(lsm, hook_sees_shared_validate_as_shared)
{
	probe_start(_metadata, self);
	expect_hook(_metadata, self, true, MAP_SHARED_VALIDATE, MAP_SHARED);
	expect_hook(_metadata, self, true, MAP_SHARED_VALIDATE | MAP_SYNC, MAP_SHARED | MAP_SYNC);
	/* mmap(2) unchanged */
	expect_hook(_metadata, self, false, MAP_SHARED_VALIDATE, MAP_SHARED_VALIDATE);
}

/* --- hugetlb ------------------------------------------------------------- */

#define NR_HUGEPAGES "/proc/sys/vm/nr_hugepages"

static long read_long(const char *path)
{
	char buf[32];
	long v = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (read(fd, buf, sizeof(buf) - 1) > 0)
		v = strtol(buf, NULL, 10);
	close(fd);
	return v;
}

static int write_long(const char *path, long v)
{
	char buf[32];
	int fd = open(path, O_WRONLY | O_CLOEXEC), n, ret = 0;

	if (fd < 0)
		return errno;
	n = snprintf(buf, sizeof(buf), "%ld\n", v);
	if (write(fd, buf, n) != n)
		ret = errno ? errno : EIO;
	close(fd);
	return ret;
}

/* HugePages_Free of /proc/meminfo, or -1. */
static long free_hugepages(void)
{
	char line[128];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "HugePages_Free: %ld", &v) == 1)
			break;
	fclose(f);
	return v;
}

FIXTURE(huge) {
	long saved;	/* nr_hugepages before, -1 if untouched */
};

FIXTURE_SETUP(huge)
{
	char why[160];
	long nr;
	int err;

	self->saved = -1;
	if (!have_mmap3(why, sizeof(why)))
		SKIP(return, "%s", why);
	if (free_hugepages() < 0)
		SKIP(return, "no HugePages_Free in /proc/meminfo (CONFIG_HUGETLBFS?)");
	nr = read_long(NR_HUGEPAGES);
	if (nr < 0)
		SKIP(return, "%s: %s", NR_HUGEPAGES, strerror(errno));
	err = write_long(NR_HUGEPAGES, nr + 4);
	if (err)
		SKIP(return, "cannot reserve huge pages in %s: %s",
		     NR_HUGEPAGES, strerror(err));
	if (free_hugepages() < 4) {
		write_long(NR_HUGEPAGES, nr);
		SKIP(return, "could not get 4 free %lu kB huge pages",
		     HUGE_SIZE >> 10);
	}
	self->saved = nr;
}

FIXTURE_TEARDOWN(huge)
{
	if (self->saved >= 0)
		write_long(NR_HUGEPAGES, self->saved);
}

static void huge_matches_mmap(struct __test_metadata *_metadata,
			      unsigned long flags)
{
	unsigned char *a, *b;

	a = mmap3(NULL, HUGE_SIZE, RW, flags, -1, 0);
	ASSERT_NE(PTR(MAP_FAILED), PTR(a)) TH_LOG("mmap3 %#lx: %s", flags, strerror(errno));
	b = mmap(NULL, HUGE_SIZE, RW, (int)flags, -1, 0);
	ASSERT_NE(PTR(MAP_FAILED), PTR(b)) TH_LOG("mmap %#lx: %s", flags, strerror(errno));
	EXPECT_EQ(0UL, (unsigned long)a & (HUGE_SIZE - 1));
	md_fill(a, 0, HUGE_SIZE, 16);
	EXPECT_EQ(-1, md_check(a, 0, HUGE_SIZE, 16));
	EXPECT_EQ(1, vm_flag(a, "ht"));	/* VM_HUGETLB */
	EXPECT_SAME_MAPS(a, b, HUGE_SIZE, false);
	ASSERT_EQ(0, munmap(a, HUGE_SIZE));
	ASSERT_EQ(0, munmap(b, HUGE_SIZE));
}

TEST_F(huge, anon_private)
{
	huge_matches_mmap(_metadata, MAP_PRIVATE | ANON | MAP_HUGETLB);
}

TEST_F(huge, anon_shared)
{
	huge_matches_mmap(_metadata, MAP_SHARED | ANON | MAP_HUGETLB);
	huge_matches_mmap(_metadata, MAP_SHARED_VALIDATE | ANON | MAP_HUGETLB);
}

TEST_F(huge, size_field)
{
	unsigned long gb = MAP_PRIVATE | ANON | MAP_HUGETLB | MAP_HUGE_1GB;
	unsigned long bad = MAP_PRIVATE | ANON | MAP_HUGETLB | (63U << MAP_HUGE_SHIFT);
	int want;

	huge_matches_mmap(_metadata, MAP_PRIVATE | ANON | MAP_HUGETLB | MAP_HUGE_2MB);
	/* 1 GB pages (none reserved): the same error as mmap(2) */
	want = try_mmap(NULL, 1UL << 30, RW, gb, -1, 0);
	EXPECT_EQ(want, try_mmap3(NULL, 1UL << 30, RW, gb, -1, 0));
	/* a size no hstate has */
	EXPECT_EQ(EINVAL, try_mmap(NULL, HUGE_SIZE, RW, bad, -1, 0));
	EXPECT_EQ(EINVAL, try_mmap3(NULL, HUGE_SIZE, RW, bad, -1, 0));
}

TEST_F(huge, regular_file_refused)
{
	int fd = memfd_pattern(1, 17);

	ASSERT_LE(0, fd);
	EXPECT_EQ(EINVAL, try_mmap(NULL, HUGE_SIZE, RW, MAP_SHARED | MAP_HUGETLB, fd, 0));
	EXPECT_EQ(EINVAL, try_mmap3(NULL, HUGE_SIZE, RW, MAP_SHARED | MAP_HUGETLB, fd, 0));
	close(fd);
}

TEST_HARNESS_MAIN
