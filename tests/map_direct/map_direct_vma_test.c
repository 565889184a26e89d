// SPDX-License-Identifier: GPL-2.0
/*
 * MAP_DIRECT and the VMA code.  The invariant: a file is sealed if and only
 * if a MAP_DIRECT page of it is mapped in some process.  Every MAP_DIRECT
 * VMA carries a VM flag, "md" in the VmFlags of /proc/PID/smaps, and never
 * merges with a plain VMA, whatever the path: mremap next to a plain
 * mapping, mprotect/mlock/madvise/mseal/userfaultfd on part of a MAP_DIRECT
 * VMA next to a plain one, a plain mapping made equal to a MAP_DIRECT
 * neighbour.  remap_file_pages() refuses a MAP_DIRECT range, and MAP_FIXED
 * with MAP_DIRECT refuses before it unmaps anything (but for a reflinked
 * XFS file).  Plain mmap(2) keeps 6.12's merges.
 *
 * Fixtures:
 *   vma        DAX XFS, DAX ext4
 *   vma_nodax  non-DAX XFS, non-DAX ext4, tmpfs: MAP_DIRECT is EOPNOTSUPP
 *   (none)     anonymous mmap(2) only: runs on any kernel
 *
 * The shapes: P is a plain MAP_SHARED page of the file, D are MAP_DIRECT
 * pages of it, both through the same open file (a merge needs the same
 * struct file) and with contiguous file offsets, so that only MAP_DIRECT
 * keeps them apart.  "plain before": P (page 0) then D (pages 1-2); "plain
 * after": D (pages 0-1) then P (page 2).
 */
#define _GNU_SOURCE
#include <sys/ipc.h>
#include <sys/shm.h>
#include <linux/userfaultfd.h>

#include "../kselftest_harness.h"
#include "map_direct.h"

#define PG		MD_PAGE
#define PAGES		8
#define LEN		(PAGES * PG)
#define RW		(PROT_READ | PROT_WRITE)
#define DIRECT		(MAP_SHARED | MAP_DIRECT)
#define SEED		1	/* the test file's data pattern */
#define VICTIM_SEED	9	/* the data of a mapping MAP_FIXED replaces */
#define BIT22		0x400000	/* MAP_DIRECT's bit, for mmap(2) */

#ifndef __NR_mseal
#define __NR_mseal	462
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP	4
#endif
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_ASYNC	(1 << 15)
#endif

/* --- mappings and what /proc/self says about them ------------------------- */

/* @pages pages of PROT_NONE address space to map over with MAP_FIXED. */
static unsigned char *reserve(unsigned int pages)
{
	void *p = mmap(NULL, pages * PG, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Plain mmap(2) MAP_SHARED of file pages [pgoff, pgoff + pages) at @addr: 0 or errno. */
static int map_plain(void *addr, int fd, unsigned long pgoff,
		     unsigned int pages, int prot, int extra)
{
	void *p = mmap(addr, pages * PG, prot, MAP_SHARED | MAP_FIXED | extra,
		       fd, pgoff * PG);

	if (p == MAP_FAILED)
		return errno;
	return p == addr ? 0 : EFAULT;
}

/* The same with mmap3(MAP_SHARED | MAP_DIRECT), read-write. */
static int map_direct(void *addr, int fd, unsigned long pgoff,
		      unsigned int pages)
{
	void *p = md_mmap3(addr, pages * PG, RW, DIRECT | MAP_FIXED, fd, pgoff);

	if (p == MAP_FAILED)
		return errno;
	return p == addr ? 0 : EFAULT;
}

/* The start of the VMA that contains @addr (/proc/self/maps), or 0. */
static unsigned long vma_start(const void *addr)
{
	unsigned long a = (unsigned long)addr, start, end, ret = 0;
	char line[512];
	FILE *f = fopen("/proc/self/maps", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx", &start, &end) == 2 &&
		    a >= start && a < end) {
			ret = start;
			break;
		}
	}
	fclose(f);
	return ret;
}

/*
 * 1 if the VmFlags of the VMA that contains @addr have the mnemonic @flag,
 * 0 if not, -errno (-ENOENT: nothing mapped there).  The line goes to @line.
 */
static int vmflag(const void *addr, const char *flag, char *line, size_t size)
{
	unsigned long start = vma_start(addr);
	char padded[600], needle[8];
	int ret;

	snprintf(line, size, " (nothing mapped)");
	if (!start)
		return -ENOENT;
	ret = md_vmflags((void *)start, line, size);
	if (ret)
		return ret;
	snprintf(padded, sizeof(padded), " %s ", line);
	snprintf(needle, sizeof(needle), " %s ", flag);
	return !!strstr(padded, needle);
}

#define EXPECT_VMFLAG(want, addr, flag, fmt, ...) do {			\
	char __l[512];							\
	int __w = (want), __g = vmflag((addr), (flag), __l, sizeof(__l)); \
	EXPECT_EQ(__w, __g) TH_LOG(fmt ": VmFlags%s should %shave \"%s\"", \
		##__VA_ARGS__, __l, __w ? "" : "not ", (flag));		\
} while (0)

#define EXPECT_MD(want, addr, fmt, ...)					\
	EXPECT_VMFLAG(want, addr, "md", fmt, ##__VA_ARGS__)

#define EXPECT_VMAS(want, addr, len, fmt, ...) do {			\
	int __w = (want), __g = md_count_vmas((addr), (len));		\
	EXPECT_EQ(__w, __g) TH_LOG(fmt ": %d VMAs in /proc/self/maps, expected %d", \
		##__VA_ARGS__, __g, __w);				\
} while (0)

/* -1 if the page at @addr shows file page @pgoff, -2 if reading it faults. */
static long page_check(unsigned char *addr, unsigned long pgoff)
{
	if (md_guarded_read(addr, PG))
		return -2;
	return md_check(addr, pgoff * PG, PG, SEED);
}

#define EXPECT_PAGE(addr, pgoff, fmt, ...) do {				\
	long __r = page_check((addr), (pgoff));				\
	EXPECT_EQ(-1, __r) TH_LOG(fmt ": the page at %p %s file page %lu", \
		##__VA_ARGS__, (void *)(addr),				\
		__r == -2 ? md_signame(md_fault_sig) : "does not show",	\
		(unsigned long)(pgoff));				\
} while (0)

/* The /proc/self/maps lines of the VMAs in [addr, addr + len): 0 or errno. */
static int maps_lines(const void *addr, size_t len, char *buf, size_t size)
{
	unsigned long lo = (unsigned long)addr, hi = lo + len, start, end;
	char line[512];
	size_t used = 0;
	FILE *f = fopen("/proc/self/maps", "re");

	if (!f)
		return errno;
	buf[0] = 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx", &start, &end) != 2 ||
		    start >= hi || end <= lo)
			continue;
		used += snprintf(buf + used, size - used, "%s", line);
		if (used >= size)
			break;
	}
	fclose(f);
	return used >= size ? ENOSPC : 0;
}

/* ========================================================================= */
/* DAX XFS and DAX ext4                                                       */
/* ========================================================================= */

FIXTURE(vma) {
	const char *dir;	/* from the environment */
	char path[PATH_MAX];
	char path2[PATH_MAX];	/* the reflink copy */
	int fd;			/* LEN bytes of pattern SEED, written and synced */
};

FIXTURE_VARIANT(vma) {
	struct md_fs fs;
};

FIXTURE_VARIANT_ADD(vma, dax_xfs) { .fs = MD_FS_DAX_XFS };
FIXTURE_VARIANT_ADD(vma, dax_ext4) { .fs = MD_FS_DAX_EXT4 };

FIXTURE_SETUP(vma)
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
	self->fd = md_create_written(dir, "vma", self->path, LEN, SEED);
	ASSERT_LE(0, self->fd) TH_LOG("create a written file in %s: %s",
				      dir, strerror(-self->fd));
	dax = md_is_dax(self->fd);
	if (dax != 1)
		unlink(self->path);	/* no teardown after a failed setup */
	ASSERT_EQ(1, dax) TH_LOG("%s: a new file in %s is not DAX",
				 variant->fs.name, dir);
}

/* Teardowns run in the harness's process: see map_direct.h. */
FIXTURE_TEARDOWN_PARENT(vma)
{
	if (self->path[0])
		unlink(self->path);
	if (self->path2[0])
		unlink(self->path2);
}

enum shape { PLAIN_BEFORE, PLAIN_AFTER };

static const char * const shape_name[] = { "plain before", "plain after" };

/*
 * A 3-page window: P at @plain, the MAP_DIRECT page next to it at @edge,
 * the other MAP_DIRECT page at @rest; the *_pg are their file pages.
 */
struct layout {
	unsigned char *base, *plain, *edge, *rest, *low;
	unsigned long plain_pg, edge_pg, rest_pg;
};

static void layout_of(struct layout *l, unsigned char *base, enum shape s)
{
	unsigned int p = s == PLAIN_BEFORE ? 0 : 2, r = s == PLAIN_BEFORE ? 2 : 0;

	l->base = base;
	l->plain = base + p * PG;
	l->plain_pg = p;
	l->edge = base + PG;
	l->edge_pg = 1;
	l->rest = base + r * PG;
	l->rest_pg = r;
	l->low = s == PLAIN_BEFORE ? l->plain : l->edge;	/* of P and edge */
}

/* Map P (@plain_prot) and, if @direct_pages, D of 1 (edge) or 2 pages. */
static void map_layout(struct __test_metadata *_metadata, int fd,
		       struct layout *l, enum shape s, int plain_prot,
		       unsigned int direct_pages)
{
	unsigned char *base = reserve(3), *d;

	ASSERT_NE(NULL, base);
	layout_of(l, base, s);
	ASSERT_ERRNO(0, map_plain(l->plain, fd, l->plain_pg, 1, plain_prot, 0),
		     "plain MAP_SHARED of page %lu", l->plain_pg);
	if (!direct_pages)
		return;
	d = direct_pages == 1 || s == PLAIN_BEFORE ? l->edge : l->rest;
	ASSERT_ERRNO(0, map_direct(d, fd, (d - base) / PG, direct_pages),
		     "mmap3 MAP_DIRECT|MAP_FIXED of %u pages next to the plain page",
		     direct_pages);
	EXPECT_VMAS(2, direct_pages == 1 ? l->low : base, (1 + direct_pages) * PG,
		    "premise (%s): plain and MAP_DIRECT mapped next to each other",
		    shape_name[s]);
}

/* --- mremap of MAP_DIRECT next to a plain mapping ------------------------- */

static void check_mremap_next_to_plain(struct __test_metadata *_metadata,
				       int fd, enum shape s, bool dontunmap)
{
	const char *how = dontunmap ? "MREMAP_DONTUNMAP" : "MREMAP_FIXED";
	int flags = MREMAP_MAYMOVE | MREMAP_FIXED |
		    (dontunmap ? MREMAP_DONTUNMAP : 0);
	const char *sh = shape_name[s];
	unsigned char *src, *q;
	struct layout l;

	map_layout(_metadata, fd, &l, s, RW, 0);
	src = md_mmap3(NULL, PG, RW, DIRECT, fd, l.edge_pg);
	ASSERT_NE(MAP_FAILED, src) TH_LOG("mmap3 MAP_DIRECT: %s", md_errname(errno));
	q = mremap(src, PG, PG, flags, l.edge);
	ASSERT_EQ(l.edge, q) TH_LOG("mremap(%s) next to the plain page (%s): %s",
				    how, sh, strerror(errno));
	EXPECT_SEAL(1, md_seal_state(fd), "%s (%s): MAP_DIRECT page moved", how, sh);
	EXPECT_VMAS(2, l.low, 2 * PG, "%s (%s): moved MAP_DIRECT page and plain page",
		    how, sh);
	EXPECT_MD(1, l.edge, "%s (%s): the moved MAP_DIRECT page", how, sh);
	EXPECT_MD(0, l.plain, "%s (%s): the plain page", how, sh);
	EXPECT_PAGE(l.edge, l.edge_pg, "%s (%s): moved page", how, sh);
	EXPECT_PAGE(l.plain, l.plain_pg, "%s (%s): plain page", how, sh);
	if (dontunmap) {
		EXPECT_MD(1, src, "%s (%s): the source range it keeps", how, sh);
		ASSERT_EQ(0, munmap(src, PG));
		EXPECT_SEAL(1, md_seal_state(fd),
			    "%s (%s): source range unmapped, the moved MAP_DIRECT page still mapped",
			    how, sh);
	}
	ASSERT_EQ(0, munmap(l.edge, PG));
	EXPECT_SEAL(0, md_seal_state(fd),
		    "%s (%s): the moved MAP_DIRECT page unmapped, the plain one left", how, sh);
	EXPECT_PAGE(l.plain, l.plain_pg, "%s (%s): plain page at the end", how, sh);
	EXPECT_MD(0, l.plain, "%s (%s): plain page at the end", how, sh);
	EXPECT_EQ(0, munmap(l.base, 3 * PG));
}

TEST_F(vma, mremap_fixed_next_to_plain)
{
	check_mremap_next_to_plain(_metadata, self->fd, PLAIN_BEFORE, false);
	check_mremap_next_to_plain(_metadata, self->fd, PLAIN_AFTER, false);
}

TEST_F(vma, mremap_dontunmap_next_to_plain)
{
	check_mremap_next_to_plain(_metadata, self->fd, PLAIN_BEFORE, true);
	check_mremap_next_to_plain(_metadata, self->fd, PLAIN_AFTER, true);
}

/* --- an operation on part of a MAP_DIRECT VMA next to a plain one --------- */

static int uffd = -1;	/* the test process's userfaultfd, for uffd_wp */

struct part_op {
	const char *name;
	int (*prepare)(void);			/* 0 or errno */
	int (*apply)(void *addr, size_t len);	/* 0 or errno */
	const char *flag;	/* the VmFlags mnemonic it sets or clears */
	int flag_after;		/* its state on the VMAs afterwards */
	bool splits;		/* the VMAs really change (and split) */
	bool can_unmap;		/* the modified pages can be unmapped */
};

static int do_mprotect(void *addr, size_t len)
{
	return MD_ERRNO(mprotect(addr, len, PROT_READ));
}

static int do_mlock(void *addr, size_t len)
{
	return MD_ERRNO(mlock(addr, len));
}

static int do_nohugepage(void *addr, size_t len)
{
	return MD_ERRNO(madvise(addr, len, MADV_NOHUGEPAGE));
}

static int do_random(void *addr, size_t len)
{
	return MD_ERRNO(madvise(addr, len, MADV_RANDOM));
}

static int do_mseal(void *addr, size_t len)
{
	return MD_ERRNO(syscall(__NR_mseal, addr, len, 0UL));
}

/* Write protection in async mode: allowed on any memory type (6.12). */
static int open_uffd_wp_async(void)
{
	struct uffdio_api api = {
		.api = UFFD_API,
		.features = UFFD_FEATURE_WP_ASYNC,
	};

	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0)
		return errno;
	return MD_ERRNO(ioctl(uffd, UFFDIO_API, &api));
}

static int do_uffd_wp(void *addr, size_t len)
{
	struct uffdio_register reg = {
		.range = { .start = (unsigned long)addr, .len = len },
		.mode = UFFDIO_REGISTER_MODE_WP,
	};

	return MD_ERRNO(ioctl(uffd, UFFDIO_REGISTER, &reg));
}

static const struct part_op op_mprotect = {
	"mprotect(PROT_READ)", NULL, do_mprotect, "wr", 0, true, true,
};

/* 6.12 never sets VM_LOCKED on a DAX VMA (vma_supports_mlock()) */
static const struct part_op op_mlock = {
	"mlock", NULL, do_mlock, "lo", 0, false, true,
};

static const struct part_op op_nohugepage = {
	"madvise(MADV_NOHUGEPAGE)", NULL, do_nohugepage, "nh", 1, true, true,
};

static const struct part_op op_random = {
	"madvise(MADV_RANDOM)", NULL, do_random, "rr", 1, true, true,
};

/* sealed pages stay mapped until the process exits */
static const struct part_op op_mseal = {
	"mseal", NULL, do_mseal, "sl", 1, true, false,
};

static const struct part_op op_uffd_wp = {
	"UFFDIO_REGISTER_MODE_WP (UFFD_FEATURE_WP_ASYNC)", open_uffd_wp_async,
	do_uffd_wp, "uw", 1, true, true,
};

/*
 * @op on the plain page, then on the MAP_DIRECT page next to it (the edge):
 * the edge would merge into the plain VMA.  Then the other MAP_DIRECT page
 * goes: the file must stay sealed while the edge is mapped.
 */
static void check_part_op(struct __test_metadata *_metadata, int fd,
			  const struct part_op *op, enum shape s)
{
	const char *sh = shape_name[s];
	struct layout l;

	if (op->prepare)
		ASSERT_ERRNO(0, op->prepare(), "%s: setting it up", op->name);
	map_layout(_metadata, fd, &l, s, RW, 2);
	ASSERT_ERRNO(0, op->apply(l.plain, PG), "%s on the plain VMA (%s)", op->name, sh);
	ASSERT_ERRNO(0, op->apply(l.edge, PG), "%s on the MAP_DIRECT page next to it (%s)",
		     op->name, sh);
	EXPECT_VMFLAG(op->flag_after, l.plain, op->flag, "%s (%s): plain page", op->name, sh);
	EXPECT_VMFLAG(op->flag_after, l.edge, op->flag, "%s (%s): modified MAP_DIRECT page",
		      op->name, sh);
	EXPECT_MD(0, l.plain, "%s (%s): plain page", op->name, sh);
	EXPECT_MD(1, l.edge, "%s (%s): modified MAP_DIRECT page", op->name, sh);
	EXPECT_MD(1, l.rest, "%s (%s): untouched MAP_DIRECT page", op->name, sh);
	EXPECT_VMAS(op->splits ? 3 : 2, l.base, 3 * PG, "%s (%s)", op->name, sh);
	EXPECT_SEAL(1, md_seal_state(fd), "%s (%s)", op->name, sh);

	ASSERT_EQ(0, munmap(l.rest, PG));
	EXPECT_SEAL(1, md_seal_state(fd),
		    "%s (%s): untouched MAP_DIRECT page unmapped, the modified one still mapped",
		    op->name, sh);
	EXPECT_PAGE(l.edge, l.edge_pg, "%s (%s): modified MAP_DIRECT page", op->name, sh);
	EXPECT_PAGE(l.plain, l.plain_pg, "%s (%s): plain page", op->name, sh);
	if (!op->can_unmap)
		return;
	ASSERT_EQ(0, munmap(l.edge, PG));
	EXPECT_SEAL(0, md_seal_state(fd), "%s (%s): every MAP_DIRECT page unmapped",
		    op->name, sh);
	EXPECT_PAGE(l.plain, l.plain_pg, "%s (%s): plain page at the end", op->name, sh);
}

TEST_F(vma, mprotect_part_plain_before)
{
	check_part_op(_metadata, self->fd, &op_mprotect, PLAIN_BEFORE);
}

TEST_F(vma, mprotect_part_plain_after)
{
	check_part_op(_metadata, self->fd, &op_mprotect, PLAIN_AFTER);
}

TEST_F(vma, mlock_part_plain_before)
{
	check_part_op(_metadata, self->fd, &op_mlock, PLAIN_BEFORE);
}

TEST_F(vma, mlock_part_plain_after)
{
	check_part_op(_metadata, self->fd, &op_mlock, PLAIN_AFTER);
}

TEST_F(vma, nohugepage_part_plain_before)
{
	check_part_op(_metadata, self->fd, &op_nohugepage, PLAIN_BEFORE);
}

TEST_F(vma, nohugepage_part_plain_after)
{
	check_part_op(_metadata, self->fd, &op_nohugepage, PLAIN_AFTER);
}

TEST_F(vma, random_part_plain_before)
{
	check_part_op(_metadata, self->fd, &op_random, PLAIN_BEFORE);
}

TEST_F(vma, random_part_plain_after)
{
	check_part_op(_metadata, self->fd, &op_random, PLAIN_AFTER);
}

TEST_F(vma, mseal_part_plain_before)
{
	check_part_op(_metadata, self->fd, &op_mseal, PLAIN_BEFORE);
}

TEST_F(vma, mseal_part_plain_after)
{
	check_part_op(_metadata, self->fd, &op_mseal, PLAIN_AFTER);
}

TEST_F(vma, uffd_wp_part_plain_before)
{
	check_part_op(_metadata, self->fd, &op_uffd_wp, PLAIN_BEFORE);
}

TEST_F(vma, uffd_wp_part_plain_after)
{
	check_part_op(_metadata, self->fd, &op_uffd_wp, PLAIN_AFTER);
}

/* Other userfaultfd modes: 6.12 refuses them on a DAX file, nothing changes. */
TEST_F(vma, uffd_missing_part_refused_unchanged)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	char before[1024], after[1024];
	struct layout l;

	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	ASSERT_LE(0, uffd) TH_LOG("userfaultfd(): %s", md_errname(errno));
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_API, &api));
	map_layout(_metadata, self->fd, &l, PLAIN_BEFORE, RW, 2);
	ASSERT_EQ(0, maps_lines(l.base, 3 * PG, before, sizeof(before)));
	reg.range.start = (unsigned long)l.edge;
	reg.range.len = PG;
	EXPECT_ERRNO(EINVAL, MD_ERRNO(ioctl(uffd, UFFDIO_REGISTER, &reg)),
		     "UFFDIO_REGISTER_MODE_MISSING on a MAP_DIRECT page");
	EXPECT_EQ(0, maps_lines(l.base, 3 * PG, after, sizeof(after)));
	EXPECT_STREQ(before, after);
	EXPECT_VMFLAG(0, l.edge, "um", "after the refused registration");
	EXPECT_MD(1, l.edge, "after the refused registration");
	ASSERT_EQ(0, munmap(l.rest, PG));
	EXPECT_SEAL(1, md_seal_state(self->fd), "one MAP_DIRECT page still mapped");
	ASSERT_EQ(0, munmap(l.edge, PG));
	EXPECT_SEAL(0, md_seal_state(self->fd), "every MAP_DIRECT page unmapped");
}

/* --- a plain mapping absorbed into a MAP_DIRECT VMA ----------------------- */

enum absorb { BY_MPROTECT, BY_MAP_STACK, BY_MREMAP };

static const char * const absorb_name[] = {
	"mprotect makes the plain page's flags equal",
	"MAP_STACK plain page next to MADV_NOHUGEPAGE MAP_DIRECT",
	"plain page mremap'ed next to MAP_DIRECT",
};

/* Bring P next to the one-page D (the edge) in the way @how says. */
static void absorb_setup(struct __test_metadata *_metadata, int fd,
			 struct layout *l, enum absorb how, enum shape s)
{
	unsigned char *base, *p, *q;

	if (how == BY_MPROTECT) {
		map_layout(_metadata, fd, l, s, PROT_READ, 1);
		ASSERT_EQ(0, mprotect(l->plain, PG, RW));
		return;
	}
	base = reserve(3);
	ASSERT_NE(NULL, base);
	layout_of(l, base, s);
	ASSERT_ERRNO(0, map_direct(l->edge, fd, l->edge_pg, 1), "MAP_DIRECT page");
	if (how == BY_MAP_STACK) {
		/* both VM_NOHUGEPAGE, not VM_HUGEPAGE */
		ASSERT_EQ(0, madvise(l->edge, PG, MADV_NOHUGEPAGE));
		EXPECT_VMFLAG(1, l->edge, "nh", "premise: MADV_NOHUGEPAGE");
		ASSERT_ERRNO(0, map_plain(l->plain, fd, l->plain_pg, 1, RW, MAP_STACK),
			     "MAP_SHARED|MAP_STACK page next to it");
		return;
	}
	p = mmap(NULL, PG, RW, MAP_SHARED, fd, l->plain_pg * PG);
	ASSERT_NE(MAP_FAILED, p);
	q = mremap(p, PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, l->plain);
	ASSERT_EQ(l->plain, q) TH_LOG("mremap: %s", strerror(errno));
}

static void check_absorb(struct __test_metadata *_metadata, int fd,
			 enum absorb how, enum shape s)
{
	const char *what = absorb_name[how], *sh = shape_name[s];
	struct layout l;

	absorb_setup(_metadata, fd, &l, how, s);
	EXPECT_VMAS(2, l.low, 2 * PG, "%s (%s)", what, sh);
	EXPECT_MD(0, l.plain, "%s (%s): plain page", what, sh);
	EXPECT_MD(1, l.edge, "%s (%s): MAP_DIRECT page", what, sh);
	EXPECT_SEAL(1, md_seal_state(fd), "%s (%s)", what, sh);
	ASSERT_EQ(0, munmap(l.edge, PG));
	EXPECT_SEAL(0, md_seal_state(fd),
		    "%s (%s): the only MAP_DIRECT page unmapped, the plain one still mapped",
		    what, sh);
	EXPECT_VMAS(1, l.plain, PG, "%s (%s): plain page after the munmap", what, sh);
	EXPECT_MD(0, l.plain, "%s (%s): plain page after the munmap", what, sh);
	EXPECT_PAGE(l.plain, l.plain_pg, "%s (%s): plain page after the munmap", what, sh);
	EXPECT_EQ(0, munmap(l.base, 3 * PG));
}

TEST_F(vma, mprotect_plain_neighbour_not_absorbed)
{
	check_absorb(_metadata, self->fd, BY_MPROTECT, PLAIN_BEFORE);
	check_absorb(_metadata, self->fd, BY_MPROTECT, PLAIN_AFTER);
}

TEST_F(vma, map_stack_next_to_nohugepage_direct_not_absorbed)
{
	check_absorb(_metadata, self->fd, BY_MAP_STACK, PLAIN_BEFORE);
	check_absorb(_metadata, self->fd, BY_MAP_STACK, PLAIN_AFTER);
}

TEST_F(vma, mremap_plain_next_to_direct_not_absorbed)
{
	check_absorb(_metadata, self->fd, BY_MREMAP, PLAIN_BEFORE);
	check_absorb(_metadata, self->fd, BY_MREMAP, PLAIN_AFTER);
}

/* --- remap_file_pages() --------------------------------------------------- */

TEST_F(vma, remap_file_pages_einval_unchanged)
{
	static const struct { unsigned long off, len, pgoff; const char *what; } calls[] = {
		{ 0, 2 * PG, 2, "identity remap of the whole range" },
		{ 0, 2 * PG, 4, "remap of the whole range to pages 4-5" },
		{ PG, PG, 3, "identity remap of its second page" },
	};
	char before[1024], after[1024];
	unsigned char *p, *d;
	unsigned int i;

	/* control: 6.12 rebuilds a plain shared mapping */
	p = mmap(NULL, 2 * PG, RW, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_ERRNO(0, MD_ERRNO(remap_file_pages(p, 2 * PG, 0, 0, 0)),
		     "control: identity remap_file_pages() of a plain mapping");
	EXPECT_PAGE(p, 0, "control: plain mapping after remap_file_pages()");
	EXPECT_EQ(0, munmap(p, 2 * PG));

	d = md_mmap3(NULL, 2 * PG, RW, DIRECT, self->fd, 2);
	ASSERT_NE(MAP_FAILED, d) TH_LOG("mmap3 MAP_DIRECT: %s", md_errname(errno));
	ASSERT_EQ(0, maps_lines(d, 2 * PG, before, sizeof(before)));
	for (i = 0; i < ARRAY_SIZE(calls); i++) {
		EXPECT_ERRNO(EINVAL,
			     MD_ERRNO(remap_file_pages(d + calls[i].off, calls[i].len,
						       0, calls[i].pgoff, 0)),
			     "remap_file_pages(), %s", calls[i].what);
		EXPECT_SEAL(1, md_seal_state(self->fd), "after %s", calls[i].what);
		EXPECT_MD(1, d, "after %s", calls[i].what);
		EXPECT_EQ(0, maps_lines(d, 2 * PG, after, sizeof(after)));
		EXPECT_STREQ(before, after) TH_LOG("after %s", calls[i].what);
		EXPECT_PAGE(d, 2, "after %s", calls[i].what);
		EXPECT_PAGE(d + PG, 3, "after %s", calls[i].what);
	}
	ASSERT_EQ(0, munmap(d, 2 * PG));
	EXPECT_SEAL(0, md_seal_state(self->fd), "after munmap");
}

/* --- 6.12 retries the merge after ->mmap() -------------------------------- */

/*
 * DAX XFS and ext4 ->mmap() add VM_HUGEPAGE, so a new DAX page next to a
 * DAX page of the same file merges only on the retry after ->mmap().  The
 * SysV shm segment after it (its vm_ops have ->close) must not matter.
 */
TEST_F(vma, mmap_merge_retry_next_to_shm)
{
	unsigned char *base = reserve(3);
	void *shm;
	int id;

	ASSERT_NE(NULL, base);
	ASSERT_ERRNO(0, map_plain(base, self->fd, 0, 1, RW, 0), "plain page 0");
	EXPECT_VMFLAG(1, base, "hg", "premise: ->mmap() of a DAX file adds VM_HUGEPAGE");
	ASSERT_EQ(0, munmap(base + PG, 2 * PG));
	id = shmget(IPC_PRIVATE, PG, IPC_CREAT | 0600);
	ASSERT_LE(0, id) TH_LOG("shmget: %s", strerror(errno));
	shm = shmat(id, base + 2 * PG, 0);
	shmctl(id, IPC_RMID, NULL);
	ASSERT_EQ(base + 2 * PG, shm) TH_LOG("shmat at %p: %s", base + 2 * PG, strerror(errno));
	ASSERT_ERRNO(0, map_plain(base + PG, self->fd, 1, 1, RW, 0),
		     "plain page 1 between page 0 and the shm segment");
	EXPECT_VMAS(1, base, 2 * PG,
		    "two plain DAX pages of the same file, contiguous (6.12 merges them)");
	EXPECT_VMAS(1, base + 2 * PG, PG, "the shm segment");
	EXPECT_PAGE(base, 0, "page 0");
	EXPECT_PAGE(base + PG, 1, "page 1");
	EXPECT_MD(0, base + PG, "plain pages");
	EXPECT_SEAL(0, md_seal_state(self->fd), "plain mappings only");
	EXPECT_EQ(0, shmdt(shm));
	EXPECT_EQ(0, munmap(base, 2 * PG));
}

/* --- MAP_FIXED with MAP_DIRECT over an existing mapping ------------------- */

/* The anonymous mapping MAP_FIXED tries to replace, and its maps lines. */
struct victim {
	unsigned char *addr;
	char maps[1024];
};

static int victim_make(struct victim *v)
{
	v->addr = mmap(NULL, 2 * PG, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (v->addr == MAP_FAILED)
		return errno;
	md_fill(v->addr, 0, 2 * PG, VICTIM_SEED);
	return maps_lines(v->addr, 2 * PG, v->maps, sizeof(v->maps));
}

/* NULL if the victim is intact (same maps lines and data), else what is not. */
static const char *victim_damage(const struct victim *v)
{
	char now[1024];

	if (md_guarded_read(v->addr, 2 * PG))
		return "reading it raises a signal";
	if (md_check(v->addr, 0, 2 * PG, VICTIM_SEED) != -1)
		return "its data changed";
	if (maps_lines(v->addr, 2 * PG, now, sizeof(now)) || strcmp(now, v->maps))
		return "its /proc/self/maps lines changed";
	return NULL;
}

#define EXPECT_INTACT(v, fmt, ...) do {					\
	const char *__d = victim_damage(v);				\
	EXPECT_TRUE(!__d)						\
		TH_LOG(fmt ": the old mapping at %p: %s",		\
		       ##__VA_ARGS__, (void *)(v)->addr, __d);		\
} while (0)

/* MAP_FIXED over the victim, with mmap3 or mmap(2): 0 or errno. */
static int map_over(const struct victim *v, int prot, int flags, int fd,
		    bool legacy)
{
	void *p;

	if (legacy)
		p = mmap(v->addr, 2 * PG, prot, flags | MAP_FIXED, fd, 0);
	else
		p = md_mmap3(v->addr, 2 * PG, prot, flags | MAP_FIXED, fd, 0);
	return p == MAP_FAILED ? errno : 0;
}

static const char * const api_name[] = { "mmap3", "mmap(2) MAP_SHARED_VALIDATE" };

TEST_F(vma, fixed_direct_rule_errors_keep_old_mapping)
{
	struct victim v;
	int legacy;

	ASSERT_ERRNO(0, victim_make(&v), "the old mapping");
	for (legacy = 0; legacy < 2; legacy++) {
		int type = legacy ? MAP_SHARED_VALIDATE : MAP_SHARED;

		EXPECT_ERRNO(EACCES, map_over(&v, PROT_READ, type | MAP_DIRECT, self->fd, legacy),
			     "%s MAP_FIXED|MAP_DIRECT without PROT_WRITE", api_name[legacy]);
		EXPECT_INTACT(&v, "%s without PROT_WRITE", api_name[legacy]);
	}
	EXPECT_ERRNO(EINVAL, map_over(&v, RW, MAP_PRIVATE | MAP_DIRECT, self->fd, false),
		     "mmap3 MAP_PRIVATE|MAP_FIXED|MAP_DIRECT");
	EXPECT_INTACT(&v, "mmap3 MAP_PRIVATE|MAP_DIRECT");
	EXPECT_SEAL(0, md_seal_state(self->fd), "after the refused mappings");
}

#define OLD_MAPPING_CHANGED 249

struct over_req {
	const struct victim *v;
	int fd;
	bool legacy;
};

/* Child: without CAP_LINUX_IMMUTABLE; the errno, or OLD_MAPPING_CHANGED. */
static int child_map_over(void *arg)
{
	const struct over_req *r = arg;
	int flags = (r->legacy ? MAP_SHARED_VALIDATE : MAP_SHARED) | MAP_DIRECT;
	int ret = md_child_become(AS_NO_CAP);

	if (ret)
		return ret;
	ret = map_over(r->v, RW, flags, r->fd, r->legacy);
	return victim_damage(r->v) ? OLD_MAPPING_CHANGED : ret;
}

TEST_F(vma, fixed_direct_without_cap_keeps_old_mapping)
{
	struct over_req r = { NULL, self->fd, false };
	struct victim v;

	ASSERT_ERRNO(0, victim_make(&v), "the old mapping");
	r.v = &v;
	for (r.legacy = false; ; r.legacy = true) {
		EXPECT_CHILD(EACCES, md_in_child(child_map_over, &r),
			     "%s MAP_FIXED|MAP_DIRECT over a mapping, without CAP_LINUX_IMMUTABLE (%d: the old mapping changed)",
			     api_name[r.legacy], OLD_MAPPING_CHANGED);
		if (r.legacy)
			break;
	}
	EXPECT_INTACT(&v, "in the parent");
	EXPECT_SEAL(0, md_seal_state(self->fd), "after the refused mappings");
}

/* Documented: XFS refuses a file with shared extents after the range was cleared. */
TEST_F(vma, fixed_direct_reflinked_unmaps_range)
{
	struct victim v;
	unsigned char c;
	int fd2, ret, legacy;

	fd2 = md_create(self->dir, "clone", self->path2);
	ASSERT_LE(0, fd2);
	ret = MD_ERRNO(ioctl(fd2, FICLONE, self->fd));
	if (!variant->fs.xfs) {
		/* ext4 cannot share extents: MAP_DIRECT never meets them. */
		EXPECT_ERRNO(EOPNOTSUPP, ret, "FICLONE on ext4");
		close(fd2);
		return;
	}
	ASSERT_ERRNO(0, ret, "FICLONE of a written file on DAX XFS (reflink=1)");
	for (legacy = 0; legacy < 2; legacy++) {
		int type = legacy ? MAP_SHARED_VALIDATE : MAP_SHARED;

		ASSERT_ERRNO(0, victim_make(&v), "the old mapping");
		EXPECT_ERRNO(EOPNOTSUPP, map_over(&v, RW, type | MAP_DIRECT, fd2, legacy),
			     "%s MAP_FIXED|MAP_DIRECT of the reflink copy", api_name[legacy]);
		EXPECT_VMAS(0, v.addr, 2 * PG, "%s: the range after the refusal", api_name[legacy]);
		EXPECT_EQ(SIGSEGV, md_touch(v.addr, false, &c))
			TH_LOG("%s: reading the range after the refusal", api_name[legacy]);
	}
	EXPECT_SEAL(0, md_seal_state(fd2), "reflink copy");
	EXPECT_SEAL(0, md_seal_state(self->fd), "reflink source");
	close(fd2);
}

/* --- VmFlags "md", end to end --------------------------------------------- */

#define MAX_CHECKS 8

struct md_checks {
	unsigned char *addr[MAX_CHECKS];
	int want[MAX_CHECKS];
	unsigned int n;
};

static void add_check(struct md_checks *c, void *addr, int want)
{
	c->addr[c->n] = addr;
	c->want[c->n++] = want;
}

/* How many of the checked VMAs show "md" where they should not or vice versa. */
static int md_mismatches(const struct md_checks *c)
{
	unsigned int i;
	char line[512];
	int bad = 0;

	for (i = 0; i < c->n; i++)
		bad += vmflag(c->addr[i], "md", line, sizeof(line)) != c->want[i];
	return bad;
}

static int child_md_mismatches(void *arg)
{
	return md_mismatches(arg);
}

TEST_F(vma, vmflags_md_on_every_direct_vma)
{
	unsigned char *d, *d2, *plain, *sync, *priv, *legacy, *dst, *q;
	struct md_checks c = { .n = 0 };
	unsigned int i;

	d = md_mmap3(NULL, 4 * PG, RW, DIRECT, self->fd, 0);
	ASSERT_NE(MAP_FAILED, d) TH_LOG("mmap3 MAP_DIRECT: %s", md_errname(errno));
	d2 = mmap(NULL, PG, RW, MAP_SHARED_VALIDATE | MAP_DIRECT, self->fd, 0);
	ASSERT_NE(MAP_FAILED, d2) TH_LOG("mmap(2) MAP_SHARED_VALIDATE|MAP_DIRECT: %s",
					 md_errname(errno));
	plain = mmap(NULL, 4 * PG, RW, MAP_SHARED, self->fd, 0);
	sync = mmap(NULL, PG, RW, MAP_SHARED_VALIDATE | MAP_SYNC, self->fd, 0);
	priv = mmap(NULL, PG, RW, MAP_PRIVATE, self->fd, 0);
	legacy = mmap(NULL, PG, RW, MAP_SHARED | MAP_DIRECT, self->fd, 0);	/* ignored */
	dst = reserve(1);
	ASSERT_TRUE(plain != MAP_FAILED && sync != MAP_FAILED && priv != MAP_FAILED &&
		    legacy != MAP_FAILED && dst);

	EXPECT_MD(1, d, "mmap3 MAP_DIRECT");
	EXPECT_MD(1, d2, "mmap(2) MAP_SHARED_VALIDATE|MAP_DIRECT");
	EXPECT_MD(0, plain, "plain MAP_SHARED");
	EXPECT_MD(0, sync, "MAP_SHARED_VALIDATE|MAP_SYNC");
	EXPECT_MD(0, priv, "MAP_PRIVATE");
	EXPECT_MD(0, legacy, "mmap(2) MAP_SHARED|MAP_DIRECT (the flag is ignored)");

	ASSERT_EQ(0, munmap(d + PG, PG));		/* split: d, d+2..3 */
	EXPECT_MD(1, d, "first part after the split");
	EXPECT_MD(1, d + 2 * PG, "second part after the split");
	ASSERT_EQ(0, mprotect(d + 3 * PG, PG, PROT_READ));
	EXPECT_MD(1, d + 2 * PG, "read-write part after mprotect");
	EXPECT_MD(1, d + 3 * PG, "read-only part after mprotect");
	q = mremap(d + 2 * PG, PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	ASSERT_EQ(dst, q) TH_LOG("mremap: %s", strerror(errno));
	EXPECT_MD(1, dst, "moved part");
	EXPECT_SEAL(1, md_seal_state(self->fd), "after split, mprotect and mremap");
	ASSERT_EQ(0, mprotect(plain + PG, PG, PROT_READ));
	EXPECT_MD(0, plain + PG, "plain MAP_SHARED after mprotect");

	add_check(&c, d, 1);
	add_check(&c, d + 3 * PG, 1);
	add_check(&c, dst, 1);
	add_check(&c, d2, 1);
	add_check(&c, plain, 0);
	add_check(&c, plain + PG, 0);
	add_check(&c, sync, 0);
	add_check(&c, priv, 0);
	EXPECT_EQ(0, md_mismatches(&c)) TH_LOG("in the parent");
	EXPECT_EQ(0, md_in_child(child_md_mismatches, &c))
		TH_LOG("VMAs with a wrong \"md\" in a forked child (of %u checked)", c.n);

	EXPECT_EQ(0, munmap(d, PG));
	EXPECT_EQ(0, munmap(d + 3 * PG, PG));
	EXPECT_EQ(0, munmap(dst, PG));
	EXPECT_EQ(0, munmap(d2, PG));
	EXPECT_SEAL(0, md_seal_state(self->fd), "every MAP_DIRECT VMA unmapped");
	for (i = 0; i < c.n; i++)
		if (!c.want[i])
			EXPECT_MD(0, c.addr[i], "plain check %u after the munmaps", i);
}

/* ========================================================================= */
/* non-DAX XFS, non-DAX ext4, tmpfs: MAP_DIRECT is EOPNOTSUPP                 */
/* ========================================================================= */

FIXTURE(vma_nodax) {
	char path[PATH_MAX];
	int fd;
};

FIXTURE_VARIANT(vma_nodax) {
	struct md_fs fs;
};

FIXTURE_VARIANT_ADD(vma_nodax, xfs) { .fs = MD_FS_XFS };
FIXTURE_VARIANT_ADD(vma_nodax, ext4) { .fs = MD_FS_EXT4 };
FIXTURE_VARIANT_ADD(vma_nodax, tmpfs) { .fs = MD_FS_TMPFS };

FIXTURE_SETUP(vma_nodax)
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
	self->fd = md_create_written(dir, "vma-nodax", self->path, LEN, SEED);
	ASSERT_LE(0, self->fd) TH_LOG("create a file in %s: %s", dir, strerror(-self->fd));
	dax = md_is_dax(self->fd);
	if (dax != 0)
		unlink(self->path);	/* no teardown after a failed setup */
	ASSERT_EQ(0, dax) TH_LOG("%s: the file is DAX", variant->fs.name);
}

FIXTURE_TEARDOWN_PARENT(vma_nodax)
{
	if (self->path[0])
		unlink(self->path);
}

TEST_F(vma_nodax, fixed_direct_eopnotsupp_keeps_old_mapping)
{
	struct victim v;
	int legacy;

	ASSERT_ERRNO(0, victim_make(&v), "the old mapping");
	for (legacy = 0; legacy < 2; legacy++) {
		int type = legacy ? MAP_SHARED_VALIDATE : MAP_SHARED;

		EXPECT_ERRNO(EOPNOTSUPP, map_over(&v, RW, type | MAP_DIRECT, self->fd, legacy),
			     "%s MAP_FIXED|MAP_DIRECT on %s", api_name[legacy], variant->fs.name);
		EXPECT_INTACT(&v, "%s on %s", api_name[legacy], variant->fs.name);
	}
	EXPECT_SEAL(0, md_seal_state(self->fd), "after the refused mappings");
}

/* ========================================================================= */
/* plain mmap(2) of anonymous memory with bit 0x400000                        */
/* ========================================================================= */

/* Two anonymous pages of @type next to each other; the VMA count. */
static int anon_pair(struct __test_metadata *_metadata, int type, int first,
		     int second)
{
	unsigned char *base = reserve(2);
	int vmas;

	if (!base)
		return -ENOMEM;
	if (mmap(base, PG, RW, type | MAP_ANONYMOUS | MAP_FIXED | first, -1, 0) != base ||
	    mmap(base + PG, PG, RW, type | MAP_ANONYMOUS | MAP_FIXED | second, -1, 0) !=
	    base + PG)
		return -errno;
	memset(base, 0x11, 2 * PG);
	vmas = md_count_vmas(base, 2 * PG);
	EXPECT_MD(0, base, "anonymous, flags %#x", type | first);
	EXPECT_MD(0, base + PG, "anonymous, flags %#x", type | second);
	EXPECT_EQ(0x11, base[PG]);
	munmap(base, 2 * PG);
	return vmas;
}

#define EXPECT_PAIR(want, type, first, second) do {			\
	int __g = anon_pair(_metadata, (type), (first), (second));	\
	EXPECT_EQ((want), __g) TH_LOG("anonymous %#x then %#x next to it: %d VMAs, expected %d", \
		(type) | (first), (type) | (second), __g, (want));	\
} while (0)

/* Like every bit mmap(2) does not know, 0x400000 changes nothing here. */
TEST(anon_private_bit22_merges)
{
	EXPECT_PAIR(1, MAP_PRIVATE, 0, 0);	/* control */
	EXPECT_PAIR(1, MAP_PRIVATE, 0, BIT22);
	EXPECT_PAIR(1, MAP_PRIVATE, BIT22, 0);
	EXPECT_PAIR(1, MAP_PRIVATE, BIT22, BIT22);
}

/*
 * 6.12 gives every shared anonymous mapping its own shmem file: two never
 * merge, with or without the bit (the same layout as without it).
 */
TEST(anon_shared_bit22_as_without)
{
	EXPECT_PAIR(2, MAP_SHARED, 0, 0);	/* control */
	EXPECT_PAIR(2, MAP_SHARED, 0, BIT22);
	EXPECT_PAIR(2, MAP_SHARED, BIT22, 0);
	EXPECT_PAIR(2, MAP_SHARED, BIT22, BIT22);
}

TEST_HARNESS_MAIN
