// SPDX-License-Identifier: GPL-2.0
/*
 * MAP_DIRECT and busy DAX pages.  Before a block-map change, XFS and ext4
 * break the file's DAX layout: they unmap it and wait until no page of it
 * has a reference other than the page cache's own (dax_layout_busy_page()),
 * dropping a lock while they wait.  The seal must be checked before that (a
 * sealed file is refused at once: nothing unmapped, no waiting, no spinning)
 * and again after it (a file sealed by an mmap3(MAP_DIRECT) that came in
 * while the operation waited is refused too, and nothing changes).  The same
 * holds for ext4's MOVE_EXT and MIGRATE, which drop their locks half way.
 *
 * A page is held busy the way a DMA user would: vmsplice() of a page of a
 * mapping of the file into a pipe that nobody reads holds a reference until
 * the pipe is drained.  Every operation that could wait runs in a thread;
 * the test waits for it with a bound, then interrupts it (SIGUSR1 without
 * SA_RESTART: a sleeping wait returns EINTR) and drains the pipe (which
 * also ends a retry loop), so that a hang becomes a failure, never a stuck
 * test.  No ASSERT runs while a thread may wait for the page: the process
 * could not exit.  A wait is recognised by the thread's wchan (the layout
 * break functions).
 *
 * Fixtures:
 *   sealed_busy            DAX XFS, DAX ext4: truncate, every fallocate
 *                          mode, copy_file_range of a sealed file with a
 *                          busy page: ETXTBSY within 2 s, the MAP_DIRECT
 *                          PTE still present (/proc/self/pagemap), nothing
 *                          changed; then, unsealed, a truncate waits for
 *                          that page (it was busy all along)
 *   sealed_busy_xfs        DAX XFS: the same for FICLONE, FICLONERANGE,
 *                          FIDEDUPERANGE, XFS_IOC_SWAPEXT, EXCHANGE_RANGE
 *                          and COMMIT_RANGE, with the sealed busy file on
 *                          either side (two-inode locking)
 *   sealed_while_waiting   DAX XFS, DAX ext4: truncate, punch, collapse,
 *                          insert, zero range wait for a busy page of an
 *                          unsealed file; an mmap3(MAP_DIRECT) from another
 *                          thread seals it meanwhile, without blocking; the
 *                          page is freed: the operation fails with ETXTBSY
 *                          and size, extents and data are unchanged
 *   move_ext               DAX ext4, mounted again with dax=inode (and back
 *                          to its own options afterwards): EXT4_IOC_MOVE_EXT
 *                          of a non-DAX file with a DAX donor that a
 *                          MAP_DIRECT mmap seals half way: the donor's
 *                          extents do not change after the mmap returned
 *   migrate                DAX ext4: EXT4_IOC_MIGRATE of an indirect-mapped
 *                          file, sealed (ETXTBSY) and raced against
 *                          mmap3(MAP_DIRECT): 0 only if the file is then
 *                          extent-mapped, ETXTBSY only if it is not
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <time.h>

#include "../kselftest_harness.h"
#include "map_direct.h"
/* map_direct_seal_test's operations: this program uses a part of them */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "seal_ops.h"
#pragma GCC diagnostic pop

#define RW		(PROT_READ | PROT_WRITE)
#define DIRECT		(MAP_SHARED | MAP_DIRECT)

#define AT_ONCE_MS	2000	/* a refusal must come sooner */
#define BLOCK_MS	3000	/* time for an operation to reach its wait */
#define SIGNAL_MS	500	/* time for a signalled operation to return */
#define DONE_MS		5000	/* time to finish once the page is free */
#define JOIN_S		30	/* a thread not done by then is stuck */

/* --- time ----------------------------------------------------------------- */

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* Spin for @us microseconds (finer than a sleep on an emulated machine). */
static void spin_us(long long us)
{
	long long end = now_us() + us;

	while (now_us() < end)
		;
}

/* --- an operation in a thread of its own --------------------------------- */

struct bg {
	pthread_t thread;
	int (*fn)(void *arg);
	void *arg;
	atomic_int tid;
	atomic_bool done;
	int result;			/* fn's, once done */
	long long start_us, end_us;
	bool started;
};

static void *bg_main(void *p)
{
	struct bg *b = p;

	b->tid = gettid();
	b->result = b->fn(b->arg);
	b->end_us = now_us();
	b->done = true;
	return NULL;
}

/* 0 or an errno. */
static int bg_start(struct bg *b, int (*fn)(void *), void *arg)
{
	int err;

	*b = (struct bg){ .fn = fn, .arg = arg, .start_us = now_us() };
	err = pthread_create(&b->thread, NULL, bg_main, b);
	b->started = !err;
	return err;
}

/* true if @b is done, waiting up to @ms for it. */
static bool bg_wait(struct bg *b, long ms)
{
	long long end = now_us() + ms * 1000LL;

	while (b->started && !b->done && now_us() < end)
		usleep(2000);
	return b->done;
}

/* How long @b ran, or has been running. */
static long bg_ms(const struct bg *b)
{
	return ((b->done ? b->end_us : now_us()) - b->start_us) / 1000;
}

/* Join @b if it was started: 0, or ETIMEDOUT if it is stuck. */
static int bg_join(struct bg *b)
{
	struct timespec deadline;
	int err;

	if (!b->started)
		return 0;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += JOIN_S;
	err = pthread_timedjoin_np(b->thread, NULL, &deadline);
	if (!err)
		b->started = false;
	return err;
}

/* Where @b's thread sleeps in the kernel ("0": not sleeping). */
static void bg_wchan(const struct bg *b, char *buf, size_t len)
{
	char path[64];
	ssize_t n = -1;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/wchan", (int)b->tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, len - 1);
		close(fd);
	}
	if (n < 0)
		snprintf(buf, len, "?");
	else
		buf[n] = 0;
}

/*
 * true once @b sleeps waiting for a busy DAX page: its wchan is the layout
 * break (ext4_break_layouts, xfs_break_dax_layouts, or their helpers that
 * wait for the page).  false if it returned or did not get there in time.
 */
static bool bg_waits_for_page(struct bg *b, char *wchan, size_t len)
{
	long long end = now_us() + BLOCK_MS * 1000LL;

	snprintf(wchan, len, "not started");
	while (b->started && !b->done && now_us() < end) {
		if (b->tid) {
			bg_wchan(b, wchan, len);
			if (strstr(wchan, "layout") || strstr(wchan, "dax_page"))
				return !b->done;
		}
		usleep(5000);
	}
	return false;
}

/* --- a busy page ----------------------------------------------------------- */

/* A page of a file held busy: its reference sits in a pipe nobody reads. */
struct busy {
	int pipe[2];
	bool held;
};

/* vmsplice() the page at @addr into a new pipe: 0 or an errno. */
static int busy_hold(struct busy *bz, void *addr)
{
	struct iovec iov = { .iov_base = addr, .iov_len = MD_PAGE };
	ssize_t n;
	int err;

	if (pipe2(bz->pipe, O_CLOEXEC))
		return errno;
	n = vmsplice(bz->pipe[1], &iov, 1, 0);
	if (n != (ssize_t)MD_PAGE) {
		err = n < 0 ? errno : EIO;
		close(bz->pipe[0]);
		close(bz->pipe[1]);
		return err;
	}
	bz->held = true;
	return 0;
}

/*
 * Drain the pipe, which drops the page reference.  The page was file
 * offset 0, pattern @seed: -1 if the bytes match (or nothing was held),
 * else the offset of the first wrong byte, -2 if the read failed.
 */
static long busy_release(struct busy *bz, unsigned int seed)
{
	unsigned char buf[MD_PAGE];
	long ret;

	if (!bz->held)
		return -1;
	if (read(bz->pipe[0], buf, MD_PAGE) == (ssize_t)MD_PAGE)
		ret = md_check(buf, 0, MD_PAGE, seed);
	else
		ret = -2;
	close(bz->pipe[0]);
	close(bz->pipe[1]);
	bz->held = false;
	return ret;
}

static void on_sigusr1(int sig)
{
	(void)sig;
}

/*
 * @b did not return in time: interrupt it (a sleeping wait for the page
 * returns EINTR), and if it still runs (a retry loop), free the page.
 */
static void bg_rescue(struct bg *b, struct busy *bz)
{
	if (!b->started || b->done)
		return;
	pthread_kill(b->thread, SIGUSR1);
	if (!bg_wait(b, SIGNAL_MS))
		busy_release(bz, 1);
}

/* 1 if the page at @addr is in this process's page table, 0 if not, -errno. */
static int pte_present(const void *addr)
{
	uint64_t ent;
	ssize_t n;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = pread(fd, &ent, sizeof(ent), (uintptr_t)addr / MD_PAGE * sizeof(ent));
	close(fd);
	if (n != sizeof(ent))
		return n < 0 ? -errno : -EIO;
	return (int)(ent >> 63);	/* PM_PRESENT */
}

/* --- operations run by threads --------------------------------------------- */

struct op_call {
	const struct seal_env *e;
	int (*run)(const struct seal_env *e, const char *target);
};

static int op_thread(void *arg)
{
	const struct op_call *c = arg;

	return c->run(c->e, c->e->a);
}

/* ftruncate() to the current size: a size change that changes nothing. */
static int truncate_same_thread(void *arg)
{
	int fd = *(int *)arg;
	struct stat st;

	if (fstat(fd, &st))
		return R_SETUP(errno);
	return MD_ERRNO(ftruncate(fd, st.st_size));
}

struct map_call {
	int fd;
	size_t len;
	void *p;
};

static int map_direct_thread(void *arg)
{
	struct map_call *m = arg;

	m->p = md_mmap3(NULL, m->len, RW, DIRECT, m->fd, 0);
	return m->p == MAP_FAILED ? errno : 0;
}

/* --- the files --------------------------------------------------------------- */

static void env_teardown(struct seal_env *e)
{
	const char * const paths[] = { e->a, e->c, e->d };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(paths); i++)
		if (paths[i][0])
			unlink(paths[i]);
}

/*
 * a (under test) and d: the layout of seal_ops.h, c: its peer.  a is made
 * last, so that it has the higher inode number: the two-inode lock of
 * XFS reflink takes that one second, in a retry loop on the old code.
 */
static bool env_setup(struct __test_metadata *_metadata, struct seal_env *e,
		      const struct md_fs *fs)
{
	struct sigaction sa = { .sa_handler = on_sigusr1 };	/* no SA_RESTART */
	char why[256];
	int ret;

	if (!md_have_map_direct(why, sizeof(why)))
		SKIP(return false, "%s", why);
	e->dir = md_mount(fs, why, sizeof(why));
	if (!e->dir)
		SKIP(return false, "%s", why);
	e->xfs = fs->xfs;
	sigemptyset(&sa.sa_mask);
	ret = sigaction(SIGUSR1, &sa, NULL) ? -errno : make_peer(e->dir, e->c);
	if (!ret)
		ret = make_layout(e->dir, "busy-d", e->d);
	if (!ret)
		ret = make_layout(e->dir, "busy-a", e->a);
	EXPECT_EQ(0, ret) TH_LOG("create the test files in %s: %s", e->dir,
				 strerror(-ret));
	if (_metadata->exit_code) {
		env_teardown(e);	/* the teardown will not run */
		return false;
	}
	return true;
}

static void expect_unchanged(struct __test_metadata *_metadata, int fd,
			     const struct md_snapshot *before, const char *what)
{
	struct md_snapshot now;
	const char *diff;
	char buf[256];

	ASSERT_EQ(0, md_snapshot_take(fd, &now)) TH_LOG("read back the file");
	diff = md_snapshot_diff(before, &now, buf, sizeof(buf));
	EXPECT_EQ(NULL, diff) TH_LOG("%s changed the file: %s", what, diff);
	md_snapshot_free(&now);
}

/* --- the page really is busy -------------------------------------------------- */

struct page_wait {
	bool waited;		/* slept in the layout break while held */
	char wchan[64];
	int result;		/* once the page was free */
	long pipe;		/* busy_release() */
};

/*
 * ftruncate() @fd (unsealed, mapped, a page held in @bz) to its size: it
 * must wait for the page, then succeed once the page is freed.  Releases
 * the page in any case.
 */
static int wait_for_page(struct busy *bz, int fd, struct page_wait *w)
{
	struct bg t;
	int err;

	err = bg_start(&t, truncate_same_thread, &fd);
	w->waited = !err && bg_waits_for_page(&t, w->wchan, sizeof(w->wchan));
	w->pipe = busy_release(bz, 1);
	bg_wait(&t, DONE_MS);
	if (!err)
		err = bg_join(&t);
	w->result = t.result;
	return err;
}

static void expect_page_was_busy(struct __test_metadata *_metadata,
				 const struct page_wait *w, int err)
{
	ASSERT_EQ(0, err) TH_LOG("the ftruncate thread: %s", md_errname(err));
	EXPECT_TRUE(w->waited)
		TH_LOG("premise: with a page of the unsealed, mapped file held by vmsplice, ftruncate should wait for it in the DAX layout break (wchan: %s)",
		       w->wchan);
	EXPECT_EQ(0, w->result) TH_LOG("ftruncate once the page was freed: %s",
				       md_errname(w->result));
	EXPECT_EQ(-1, w->pipe)
		TH_LOG("the page read from the pipe is not the file's first page (%ld)",
		       w->pipe);
}

/* ======================================================================= */
/* A sealed file with a busy page is refused at once                       */
/* ======================================================================= */

/*
 * The file under test is mapped MAP_DIRECT (sealed) and plainly (so that
 * it stays mapped after the MAP_DIRECT munmap); page 0 of the MAP_DIRECT
 * mapping is read (present) and held busy.  @run must return @want within
 * AT_ONCE_MS and leave the PTE and the file alone.  Then the MAP_DIRECT
 * mapping goes and a truncate of the now unsealed file must wait for the
 * page: it was busy all the time.
 */
static void check_at_once(struct __test_metadata *_metadata,
			  const struct seal_env *e, const char *name,
			  int (*run)(const struct seal_env *, const char *),
			  int want)
{
	struct op_call call = { e, run };
	struct md_snapshot before;
	struct busy bz = { .held = false };
	struct page_wait w;
	unsigned char *p, *q;
	char b1[96], b2[96];
	int fd, present, err;
	bool in_time;
	struct bg op;

	fd = open(e->a, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, md_snapshot_take(fd, &before));
	q = mmap(NULL, L_SIZE, RW, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, q);
	p = md_mmap3(NULL, L_SIZE, RW, DIRECT, fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap3 MAP_DIRECT: %s", md_errname(errno));
	ASSERT_SEAL(1, md_seal_state(fd), "mapped MAP_DIRECT");
	ASSERT_EQ(0, md_guarded_read(p, MD_PAGE));
	ASSERT_EQ(1, pte_present(p))
		TH_LOG("premise: the MAP_DIRECT page just read is present (pagemap bit 63)");
	err = busy_hold(&bz, p);
	ASSERT_EQ(0, err) TH_LOG("vmsplice a MAP_DIRECT page: %s", md_errname(err));

	/* no ASSERT while the operation may wait for the page */
	err = bg_start(&op, op_thread, &call);
	in_time = !err && bg_wait(&op, AT_ONCE_MS);
	bg_rescue(&op, &bz);
	present = pte_present(p);
	if (!err)
		err = bg_join(&op);
	if (err)
		busy_release(&bz, 1);
	ASSERT_EQ(0, err) TH_LOG("the %s thread: %s", name, md_errname(err));

	EXPECT_TRUE(in_time)
		TH_LOG("%s of a sealed file with a busy page did not return within %d ms: it returned %s after %ld ms, after SIGUSR1%s",
		       name, AT_ONCE_MS, res_str(op.result, b1, sizeof(b1)),
		       bg_ms(&op), bz.held ? "" : " and the release of the page");
	EXPECT_EQ(want, op.result)
		TH_LOG("%s of the sealed file with a busy page: got %s, expected %s",
		       name, res_str(op.result, b1, sizeof(b1)),
		       res_str(want, b2, sizeof(b2)));
	EXPECT_EQ(1, present)
		TH_LOG("after %s the MAP_DIRECT page is no longer mapped: the refused operation broke the DAX layout (unmapped the file) before it looked at the seal",
		       name);

	ASSERT_EQ(0, munmap(p, L_SIZE));
	if (bz.held) {
		err = wait_for_page(&bz, fd, &w);
		expect_page_was_busy(_metadata, &w, err);
	}
	EXPECT_SEAL(0, md_seal_state(fd), "after munmap");
	expect_unchanged(_metadata, fd, &before, name);
	md_snapshot_free(&before);
	munmap(q, L_SIZE);
	close(fd);
}

FIXTURE(sealed_busy) {
	struct seal_env e;
};

FIXTURE_VARIANT(sealed_busy) {
	struct md_fs fs;
};

FIXTURE_VARIANT_ADD(sealed_busy, dax_xfs) { .fs = MD_FS_DAX_XFS };
FIXTURE_VARIANT_ADD(sealed_busy, dax_ext4) { .fs = MD_FS_DAX_EXT4 };

FIXTURE_SETUP(sealed_busy)
{
	env_setup(_metadata, &self->e, &variant->fs);
}

/* In the harness's process: see map_direct.h. */
FIXTURE_TEARDOWN_PARENT(sealed_busy)
{
	env_teardown(&self->e);
}

TEST_F(sealed_busy, ftruncate_smaller)
{
	check_at_once(_metadata, &self->e, "ftruncate_smaller", op_ftruncate_smaller, ETXTBSY);
}

TEST_F(sealed_busy, ftruncate_larger)
{
	check_at_once(_metadata, &self->e, "ftruncate_larger", op_ftruncate_larger, ETXTBSY);
}

TEST_F(sealed_busy, ftruncate_same)
{
	check_at_once(_metadata, &self->e, "ftruncate_same", op_ftruncate_same, ETXTBSY);
}

TEST_F(sealed_busy, truncate_path)
{
	check_at_once(_metadata, &self->e, "truncate_path", op_truncate_path, ETXTBSY);
}

TEST_F(sealed_busy, open_o_trunc)
{
	check_at_once(_metadata, &self->e, "open_o_trunc", op_open_o_trunc, ETXTBSY);
}

TEST_F(sealed_busy, fallocate_past_eof)
{
	check_at_once(_metadata, &self->e, "fallocate_past_eof", op_fallocate_past_eof, ETXTBSY);
}

TEST_F(sealed_busy, fallocate_into_hole)
{
	check_at_once(_metadata, &self->e, "fallocate_into_hole", op_fallocate_into_hole, ETXTBSY);
}

TEST_F(sealed_busy, fallocate_keep_size)
{
	check_at_once(_metadata, &self->e, "fallocate_keep_size", op_fallocate_keep_size, ETXTBSY);
}

TEST_F(sealed_busy, fallocate_punch_hole)
{
	check_at_once(_metadata, &self->e, "fallocate_punch_hole", op_fallocate_punch_hole,
		      ETXTBSY);
}

TEST_F(sealed_busy, fallocate_zero_range)
{
	check_at_once(_metadata, &self->e, "fallocate_zero_range", op_fallocate_zero_range,
		      ETXTBSY);
}

TEST_F(sealed_busy, fallocate_collapse_range)
{
	check_at_once(_metadata, &self->e, "fallocate_collapse_range", op_fallocate_collapse_range,
		      ETXTBSY);
}

TEST_F(sealed_busy, fallocate_insert_range)
{
	check_at_once(_metadata, &self->e, "fallocate_insert_range", op_fallocate_insert_range,
		      ETXTBSY);
}

TEST_F(sealed_busy, fallocate_unshare_range)
{
	check_at_once(_metadata, &self->e, "fallocate_unshare_range", op_fallocate_unshare_range,
		      ETXTBSY);
}

TEST_F(sealed_busy, copy_file_range_into)
{
	check_at_once(_metadata, &self->e, "copy_file_range_into", op_copy_file_range_into,
		      ETXTBSY);
}

FIXTURE(sealed_busy_xfs) {
	struct seal_env e;
};

FIXTURE_VARIANT(sealed_busy_xfs) {
	struct md_fs fs;
};

FIXTURE_VARIANT_ADD(sealed_busy_xfs, dax_xfs) { .fs = MD_FS_DAX_XFS };

FIXTURE_SETUP(sealed_busy_xfs)
{
	struct stat sa, sc;
	int has;

	if (!env_setup(_metadata, &self->e, &variant->fs))
		return;
	has = xfs_has_exchrange(self->e.a);
	ASSERT_LE(0, has) TH_LOG("XFS_IOC_FSGEOMETRY: %s", md_errname(has));
	self->e.exchrange = has;
	ASSERT_EQ(0, stat(self->e.a, &sa));
	ASSERT_EQ(0, stat(self->e.c, &sc));
	TH_LOG("inode of the sealed file %llu, of its peer %llu", (unsigned long long)sa.st_ino,
	       (unsigned long long)sc.st_ino);
}

FIXTURE_TEARDOWN_PARENT(sealed_busy_xfs)
{
	env_teardown(&self->e);
}

TEST_F(sealed_busy_xfs, ficlone_into)
{
	check_at_once(_metadata, &self->e, "ficlone_into", op_ficlone_into, ETXTBSY);
}

TEST_F(sealed_busy_xfs, ficlone_from)
{
	check_at_once(_metadata, &self->e, "ficlone_from", op_ficlone_from, ETXTBSY);
}

TEST_F(sealed_busy_xfs, ficlonerange_into)
{
	check_at_once(_metadata, &self->e, "ficlonerange_into", op_ficlonerange_into, ETXTBSY);
}

TEST_F(sealed_busy_xfs, ficlonerange_from)
{
	check_at_once(_metadata, &self->e, "ficlonerange_from", op_ficlonerange_from, ETXTBSY);
}

TEST_F(sealed_busy_xfs, dedupe_into)
{
	check_at_once(_metadata, &self->e, "dedupe_into", op_dedupe_into, R_STATUS(ETXTBSY));
}

TEST_F(sealed_busy_xfs, dedupe_from)
{
	check_at_once(_metadata, &self->e, "dedupe_from", op_dedupe_from, R_STATUS(ETXTBSY));
}

TEST_F(sealed_busy_xfs, xfs_swapext_target)
{
	check_at_once(_metadata, &self->e, "xfs_swapext_target", op_xfs_swapext_target, ETXTBSY);
}

TEST_F(sealed_busy_xfs, xfs_swapext_tmp)
{
	check_at_once(_metadata, &self->e, "xfs_swapext_tmp", op_xfs_swapext_tmp, ETXTBSY);
}

/*
 * Without the exchange-range feature (mkfs.xfs before 6.10 cannot make
 * it) the ioctls are EOPNOTSUPP before any lock is taken, sealed or not.
 */

TEST_F(sealed_busy_xfs, xfs_exchange_range_file1)
{
	if (!self->e.exchrange)
		TH_LOG("this XFS has no exchange-range feature: expecting EOPNOTSUPP, at once");
	check_at_once(_metadata, &self->e, "xfs_exchange_range_file1", op_xfs_exchange_range_file1,
		      self->e.exchrange ? ETXTBSY : EOPNOTSUPP);
}

TEST_F(sealed_busy_xfs, xfs_exchange_range_file2)
{
	if (!self->e.exchrange)
		TH_LOG("this XFS has no exchange-range feature: expecting EOPNOTSUPP, at once");
	check_at_once(_metadata, &self->e, "xfs_exchange_range_file2", op_xfs_exchange_range_file2,
		      self->e.exchrange ? ETXTBSY : EOPNOTSUPP);
}

TEST_F(sealed_busy_xfs, xfs_commit_range_file1)
{
	if (!self->e.exchrange)
		TH_LOG("this XFS has no exchange-range feature: expecting EOPNOTSUPP, at once");
	check_at_once(_metadata, &self->e, "xfs_commit_range_file1", op_xfs_commit_range_file1,
		      self->e.exchrange ? ETXTBSY : EOPNOTSUPP);
}

TEST_F(sealed_busy_xfs, xfs_commit_range_file2)
{
	if (!self->e.exchrange)
		TH_LOG("this XFS has no exchange-range feature: expecting EOPNOTSUPP, at once");
	check_at_once(_metadata, &self->e, "xfs_commit_range_file2", op_xfs_commit_range_file2,
		      self->e.exchrange ? ETXTBSY : EOPNOTSUPP);
}

/* ======================================================================= */
/* Sealed while the operation waits for a busy page                        */
/* ======================================================================= */

/*
 * The unsealed file is mapped plainly and page 0 is held busy.  @run waits
 * for it in the layout break; meanwhile another thread maps the file
 * MAP_DIRECT, which must not block.  The page is freed: @run must fail with
 * @expect (ETXTBSY, or the argument error that takes precedence over it)
 * and the file be unchanged.
 */
static void check_sealed_while_waiting_errno(struct __test_metadata *_metadata,
					     const struct seal_env *e, const char *name,
					     int (*run)(const struct seal_env *, const char *),
					     int expect)
{
	struct op_call call = { e, run };
	struct map_call map = { .p = MAP_FAILED, .len = L_SIZE };
	struct busy bz = { .held = false };
	bool waited, mapped = false, still_waiting = false;
	struct md_snapshot before;
	int fd, err, map_err = 0;
	struct bg op, mapper = { .started = false };
	char wchan[64], b1[96];
	long pipe;
	void *q;

	fd = open(e->a, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	map.fd = fd;
	ASSERT_EQ(0, md_snapshot_take(fd, &before));
	q = mmap(NULL, L_SIZE, RW, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ(0, md_guarded_read(q, MD_PAGE));
	ASSERT_SEAL(0, md_seal_state(fd), "a plain mapping");
	err = busy_hold(&bz, q);
	ASSERT_EQ(0, err) TH_LOG("vmsplice a page of the file: %s", md_errname(err));

	/* no ASSERT while a thread may wait for the page */
	err = bg_start(&op, op_thread, &call);
	waited = !err && bg_waits_for_page(&op, wchan, sizeof(wchan));
	if (waited) {
		map_err = bg_start(&mapper, map_direct_thread, &map);
		mapped = !map_err && bg_wait(&mapper, AT_ONCE_MS);
		still_waiting = !op.done;
	}
	pipe = busy_release(&bz, 1);
	bg_wait(&op, DONE_MS);
	if (!err)
		err = bg_join(&op);
	if (!map_err)
		map_err = bg_join(&mapper);
	ASSERT_EQ(0, err) TH_LOG("the %s thread: %s", name, md_errname(err));
	ASSERT_EQ(0, map_err) TH_LOG("the mmap3 thread: %s", md_errname(map_err));

	ASSERT_TRUE(waited)
		TH_LOG("premise: with a page of the unsealed file held busy, %s should wait for it in the DAX layout break; it %s (wchan: %s)",
		       name, op.done ? "returned at once" : "did not get there", wchan);
	TH_LOG("%s waited in %s", name, wchan);
	EXPECT_TRUE(mapped)
		TH_LOG("mmap3(MAP_DIRECT) blocked while %s waited for the busy page (it took %ld ms)",
		       name, bg_ms(&mapper));
	ASSERT_EQ(0, mapper.result) TH_LOG("mmap3 MAP_DIRECT while %s waited: %s",
					   name, md_errname(mapper.result));
	if (!still_waiting)
		TH_LOG("%s returned before the page was freed", name);
	EXPECT_EQ(expect, op.result)
		TH_LOG("the file was sealed while %s waited for a busy page: got %s once the page was freed, expected %s",
		       name, res_str(op.result, b1, sizeof(b1)), md_errname(expect));
	EXPECT_EQ(-1, pipe) TH_LOG("the page read from the pipe is not the file's first page");
	expect_unchanged(_metadata, fd, &before, name);
	EXPECT_SEAL(1, md_seal_state(fd), "MAP_DIRECT mapping live");
	ASSERT_EQ(0, munmap(map.p, L_SIZE));
	EXPECT_SEAL(0, md_seal_state(fd), "after munmap");
	md_snapshot_free(&before);
	munmap(q, L_SIZE);
	close(fd);
}

static void check_sealed_while_waiting(struct __test_metadata *_metadata,
				       const struct seal_env *e, const char *name,
				       int (*run)(const struct seal_env *, const char *))
{
	check_sealed_while_waiting_errno(_metadata, e, name, run, ETXTBSY);
}

static volatile sig_atomic_t sigxfsz_count;

static void count_sigxfsz(int sig)
{
	(void)sig;
	sigxfsz_count++;
}

FIXTURE(sealed_while_waiting) {
	struct seal_env e;
};

FIXTURE_VARIANT(sealed_while_waiting) {
	struct md_fs fs;
};

FIXTURE_VARIANT_ADD(sealed_while_waiting, dax_xfs) { .fs = MD_FS_DAX_XFS };
FIXTURE_VARIANT_ADD(sealed_while_waiting, dax_ext4) { .fs = MD_FS_DAX_EXT4 };

FIXTURE_SETUP(sealed_while_waiting)
{
	env_setup(_metadata, &self->e, &variant->fs);
}

FIXTURE_TEARDOWN_PARENT(sealed_while_waiting)
{
	env_teardown(&self->e);
}

/* The premise of this fixture and of sealed_busy: vmsplice makes truncate wait. */
TEST_F(sealed_while_waiting, unsealed_truncate_waits_for_busy_page)
{
	struct busy bz = { .held = false };
	struct page_wait w;
	int fd, err;
	void *q;

	fd = open(self->e.a, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	q = mmap(NULL, L_SIZE, RW, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ(0, md_guarded_read(q, MD_PAGE));
	err = busy_hold(&bz, q);
	ASSERT_EQ(0, err) TH_LOG("vmsplice a page of the file: %s", md_errname(err));
	err = wait_for_page(&bz, fd, &w);
	expect_page_was_busy(_metadata, &w, err);
	TH_LOG("ftruncate waited in %s until the pipe was drained", w.wchan);
	munmap(q, L_SIZE);
	close(fd);
}

TEST_F(sealed_while_waiting, ftruncate_smaller)
{
	check_sealed_while_waiting(_metadata, &self->e, "ftruncate_smaller", op_ftruncate_smaller);
}

TEST_F(sealed_while_waiting, ftruncate_larger)
{
	check_sealed_while_waiting(_metadata, &self->e, "ftruncate_larger", op_ftruncate_larger);
}

TEST_F(sealed_while_waiting, fallocate_punch_hole)
{
	check_sealed_while_waiting(_metadata, &self->e, "fallocate_punch_hole",
				   op_fallocate_punch_hole);
}

TEST_F(sealed_while_waiting, fallocate_collapse_range)
{
	check_sealed_while_waiting(_metadata, &self->e, "fallocate_collapse_range",
				   op_fallocate_collapse_range);
}

TEST_F(sealed_while_waiting, fallocate_insert_range)
{
	check_sealed_while_waiting(_metadata, &self->e, "fallocate_insert_range",
				   op_fallocate_insert_range);
}

TEST_F(sealed_while_waiting, fallocate_zero_range)
{
	check_sealed_while_waiting(_metadata, &self->e, "fallocate_zero_range",
				   op_fallocate_zero_range);
}

/*
 * A named regression: a truncate past RLIMIT_FSIZE whose file is sealed
 * while it waits still fails with EFBIG and SIGXFSZ, the size error that
 * setattr_prepare() reports before anything else, not with ETXTBSY.  ext4
 * checks the size before it breaks layouts, so it fails at once there.
 */
TEST_F(sealed_while_waiting, ftruncate_past_rlimit)
{
	struct rlimit rl = { .rlim_cur = L_SIZE, .rlim_max = RLIM_INFINITY };
	char b1[96];
	int err;

	ASSERT_NE(SIG_ERR, signal(SIGXFSZ, count_sigxfsz));
	ASSERT_EQ(0, setrlimit(RLIMIT_FSIZE, &rl));
	if (self->e.xfs) {
		check_sealed_while_waiting_errno(_metadata, &self->e, "ftruncate_past_rlimit",
						 op_ftruncate_larger, EFBIG);
	} else {
		err = op_ftruncate_larger(&self->e, self->e.a);
		EXPECT_EQ(EFBIG, err) TH_LOG("ftruncate past RLIMIT_FSIZE: got %s, expected EFBIG",
					     res_str(err, b1, sizeof(b1)));
	}
	EXPECT_EQ(1, sigxfsz_count) TH_LOG("SIGXFSZ delivered %d times, expected once",
					   (int)sigxfsz_count);
}

/* ======================================================================= */
/* EXT4_IOC_MOVE_EXT with a DAX donor sealed half way                      */
/* ======================================================================= */

#define MOVE_BLOCKS	8192	/* 32 MiB: MOVE_EXT runs for about 0.5 s */
#define MOVE_LEN	(MOVE_BLOCKS * MD_PAGE)
#define MOVE_ROUNDS	3	/* the mmap3 1/4, 1/8, 1/16 into the move */

FIXTURE(move_ext) {
	const char *top;	/* the mount point, from the environment */
	struct md_mnt mnt;	/* the DAX ext4 mount as it was */
	bool remounted;		/* the teardown must restore it */
	char dir[PATH_MAX / 2];	/* FS_XFLAG_DAX: files made in it are DAX */
	char orig[PATH_MAX];
	char donor[PATH_MAX];
};

FIXTURE_VARIANT(move_ext) {
	struct md_fs fs;
};

FIXTURE_VARIANT_ADD(move_ext, dax_ext4) { .fs = MD_FS_DAX_EXT4 };

FIXTURE_SETUP(move_ext)
{
	char why[256];
	const char *dir;
	int ret;

	if (!md_have_map_direct(why, sizeof(why)))
		SKIP(return, "%s", why);
	dir = md_mount(&variant->fs, why, sizeof(why));
	if (!dir)
		SKIP(return, "%s", why);
	self->top = dir;
	ret = md_find_mount(dir, &self->mnt);
	ASSERT_EQ(0, ret) TH_LOG("%s is not a mount point: %s", dir, strerror(-ret));
}

/* In the harness's process, so that the mount comes back in any case. */
FIXTURE_TEARDOWN_PARENT(move_ext)
{
	struct md_mnt now;

	if (self->orig[0])
		unlink(self->orig);
	if (self->donor[0])
		unlink(self->donor);
	if (self->dir[0])
		rmdir(self->dir);
	if (!self->remounted)
		return;
	if (!md_find_mount(self->mnt.dir, &now) && !strcmp(now.opts, self->mnt.opts))
		return;
	if (md_umount_retry(self->mnt.dir) || md_mount_again(&self->mnt, NULL))
		fprintf(stderr, "# could not mount %s on %s again as %s: %s\n",
			self->mnt.dev, self->mnt.dir, self->mnt.opts, strerror(errno));
}

/* A new file of MOVE_LEN bytes of pattern @seed in @dir: fd or -errno. */
static int move_file(const char *dir, const char *tag, char *path, unsigned int seed)
{
	return md_create_written(dir, tag, path, MOVE_LEN, seed);
}

/* Mark directory @path FS_XFLAG_DAX: 0 or -errno. */
static int set_dax_dir(const char *path)
{
	struct fsxattr fsx;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, FS_IOC_FSGETXATTR, &fsx))
		ret = -errno;
	fsx.fsx_xflags |= FS_XFLAG_DAX;
	if (!ret && ioctl(fd, FS_IOC_FSSETXATTR, &fsx))
		ret = -errno;
	close(fd);
	return ret;
}

struct move_call {
	int orig, donor;
	struct md_move_extent me;
};

static int move_thread(void *arg)
{
	struct move_call *m = arg;

	memset(&m->me, 0, sizeof(m->me));
	m->me.donor_fd = m->donor;
	m->me.len = MOVE_BLOCKS;
	return MD_ERRNO(ioctl(m->orig, MD_EXT4_IOC_MOVE_EXT, &m->me));
}

/* Unmount the DAX ext4 and mount it with dax=inode; make the files. */
static void move_ext_prepare(struct __test_metadata *_metadata,
			     FIXTURE_DATA(move_ext) * self, int *ofd, int *dfd)
{
	int ret;

	self->remounted = true;
	ret = md_umount_retry(self->mnt.dir);
	ASSERT_EQ(0, ret) TH_LOG("umount %s: %s", self->mnt.dir, strerror(-ret));
	ret = md_mount_again(&self->mnt, "dax=inode");
	ASSERT_EQ(0, ret) TH_LOG("mount %s on %s with dax=inode: %s", self->mnt.dev,
				 self->mnt.dir, strerror(-ret));
	snprintf(self->dir, sizeof(self->dir), "%s/md-dax-dir-%d", self->top, getpid());
	ASSERT_EQ(0, mkdir(self->dir, 0755));
	ret = set_dax_dir(self->dir);
	ASSERT_EQ(0, ret) TH_LOG("FS_IOC_FSSETXATTR FS_XFLAG_DAX on %s: %s", self->dir,
				 strerror(-ret));
	*ofd = move_file(self->top, "orig", self->orig, 1);
	ASSERT_LE(0, *ofd) TH_LOG("create the original file: %s", strerror(-*ofd));
	*dfd = move_file(self->dir, "donor", self->donor, 2);
	ASSERT_LE(0, *dfd) TH_LOG("create the donor: %s", strerror(-*dfd));
	ASSERT_EQ(0, md_is_dax(*ofd))
		TH_LOG("the original file must not be DAX (MOVE_EXT refuses that)");
	ASSERT_EQ(1, md_is_dax(*dfd))
		TH_LOG("the donor, made in an FS_XFLAG_DAX directory, is not DAX");
}

/* The donor mapped MAP_DIRECT by a thread while MOVE_EXT runs. */
struct donor_map {
	int fd;			/* O_NOATIME: no journal wait in mmap3 */
	void *p;
	const struct bg *move;
	bool move_done;		/* MOVE_EXT had returned when mmap3 did */
	struct md_extent ext[MD_MAX_EXTENTS];
	int n;			/* the donor's extents right after mmap3 */
};

static int donor_map_thread(void *arg)
{
	struct donor_map *d = arg;

	d->p = md_mmap3(NULL, MOVE_LEN, RW, DIRECT, d->fd, 0);
	if (d->p == MAP_FAILED)
		return errno;
	d->move_done = d->move->done;
	d->n = md_fiemap(d->fd, d->ext, MD_MAX_EXTENTS);
	return 0;
}

/*
 * One MOVE_EXT, the donor mapped @delay_us after it started.  Returns 1 if
 * the round decides (MOVE_EXT stopped at the seal, or the donor's extents
 * changed after the mmap3 returned), 0 if MOVE_EXT had nothing left to
 * move once the donor was sealed, -1 if it ended before the mmap3 began.
 */
static int move_round(struct __test_metadata *_metadata, struct move_call *mc,
		      struct donor_map *d, int round, long long delay_us)
{
	struct md_extent e2[MD_MAX_EXTENTS];
	struct bg move, mapper;
	const char *diff;
	char buf[256];
	int n2;

	ASSERT_EQ(0, bg_start(&move, move_thread, mc));
	usleep(delay_us);
	if (move.done) {
		ASSERT_EQ(0, bg_join(&move));
		TH_LOG("round %d: MOVE_EXT ended (%s) within %lld us, before the mmap3",
		       round, md_errname(move.result), delay_us);
		return -1;
	}
	d->move = &move;
	ASSERT_EQ(0, bg_start(&mapper, donor_map_thread, d));
	bg_wait(&move, JOIN_S * 1000L);
	ASSERT_EQ(0, bg_join(&move)) TH_LOG("MOVE_EXT is stuck");
	ASSERT_EQ(0, bg_join(&mapper)) TH_LOG("mmap3 MAP_DIRECT is stuck");
	ASSERT_EQ(0, mapper.result) TH_LOG("mmap3 MAP_DIRECT of the donor during MOVE_EXT: %s",
					   md_errname(mapper.result));
	ASSERT_LT(0, d->n) TH_LOG("FIEMAP of the donor: %s", md_errname(d->n));
	n2 = md_fiemap(d->fd, e2, MD_MAX_EXTENTS);
	ASSERT_LT(0, n2) TH_LOG("FIEMAP of the donor: %s", md_errname(n2));
	TH_LOG("round %d: mmap3 %lld us after MOVE_EXT of %d blocks began; MOVE_EXT returned %s after %ld ms, moved_len %llu, %s the mmap3 did",
	       round, delay_us, MOVE_BLOCKS, md_errname(move.result), bg_ms(&move),
	       (unsigned long long)mc->me.moved_len, d->move_done ? "before" : "after");

	diff = md_extents_diff(d->ext, d->n, e2, n2, buf, sizeof(buf));
	EXPECT_EQ(NULL, diff)
		TH_LOG("the donor's extents changed after the MAP_DIRECT mmap had sealed it (MOVE_EXT returned %s, moved %llu of %d blocks): %s",
		       md_errname(move.result), (unsigned long long)mc->me.moved_len,
		       MOVE_BLOCKS, diff);
	/* either the move stopped at the seal, or it was over before */
	if (move.result == ETXTBSY) {
		EXPECT_GT((__u64)MOVE_BLOCKS, mc->me.moved_len);
	} else {
		EXPECT_ERRNO(0, move.result, "MOVE_EXT, the donor sealed half way");
		EXPECT_EQ((__u64)MOVE_BLOCKS, mc->me.moved_len);
	}
	EXPECT_SEAL(1, md_seal_state(d->fd), "the donor, mapped MAP_DIRECT");
	ASSERT_EQ(0, munmap(d->p, MOVE_LEN));
	EXPECT_SEAL(0, md_seal_state(d->fd), "the donor after munmap");
	return move.result == ETXTBSY || diff;
}

/*
 * A first MOVE_EXT, unsealed, gives its duration; then the donor is mapped
 * 1/4, 1/8, 1/16 of that into a MOVE_EXT, until a round decides.
 */
TEST_F_TIMEOUT(move_ext, donor_sealed_mid_move, 300)
{
	struct donor_map d = { .p = MAP_FAILED };
	int ofd, dfd, round, ret = 0, overlapped = 0;
	struct move_call mc;
	long long calib_us;

	move_ext_prepare(_metadata, self, &ofd, &dfd);
	mc.orig = ofd;
	mc.donor = dfd;
	d.fd = open(self->donor, O_RDWR | O_NOATIME | O_CLOEXEC);
	ASSERT_LE(0, d.fd);
	calib_us = now_us();
	ASSERT_ERRNO(0, move_thread(&mc), "MOVE_EXT of an unsealed DAX donor");
	calib_us = now_us() - calib_us;
	ASSERT_EQ((__u64)MOVE_BLOCKS, mc.me.moved_len);
	TH_LOG("MOVE_EXT of %d blocks, unsealed: %lld ms", MOVE_BLOCKS, calib_us / 1000);
	ASSERT_EQ(0, fsync(ofd));	/* the next move starts as this one did */

	for (round = 0; round < MOVE_ROUNDS && ret != 1; round++) {
		ret = move_round(_metadata, &mc, &d, round, calib_us >> (round + 2));
		overlapped += ret >= 0;
	}
	ASSERT_LT(0, overlapped)
		TH_LOG("MOVE_EXT of %d blocks always ended before the mmap3 began", MOVE_BLOCKS);
	if (ret != 1)
		TH_LOG("in no round was the donor sealed while MOVE_EXT had blocks left to move");
	EXPECT_EQ(0, fsync(ofd));
	EXPECT_EQ(-1, md_read_check(ofd, 0, MOVE_LEN, 1))
		TH_LOG("the original file's data changed");
	close(d.fd);
	close(ofd);
	close(dfd);
}

/* ======================================================================= */
/* EXT4_IOC_MIGRATE loses the ETXTBSY                                      */
/* ======================================================================= */

#define MIGRATE_RUN_US	(3 * 1000000LL)
#define MIGRATE_MAX	400
#define MIGRATE_LEN	(8 * MD_PAGE)	/* one extent, 8 direct blocks */

FIXTURE(migrate) {
	char path[PATH_MAX];
	int fd;
};

FIXTURE_VARIANT(migrate) {
	struct md_fs fs;
};

FIXTURE_VARIANT_ADD(migrate, dax_ext4) { .fs = MD_FS_DAX_EXT4 };

FIXTURE_SETUP(migrate)
{
	char why[256];
	const char *dir;
	int r;

	self->fd = -1;
	if (!md_have_map_direct(why, sizeof(why)))
		SKIP(return, "%s", why);
	dir = md_mount(&variant->fs, why, sizeof(why));
	if (!dir)
		SKIP(return, "%s", why);
	self->fd = md_create(dir, "migrate", self->path);
	ASSERT_LE(0, self->fd) TH_LOG("create a file in %s: %s", dir, strerror(errno));
	r = prep_ext4_indirect(NULL, self->path);
	ASSERT_EQ(0, r) TH_LOG("make the file indirect-mapped (chattr -e): %s", md_errname(r));
}

FIXTURE_TEARDOWN_PARENT(migrate)
{
	if (self->path[0])
		unlink(self->path);
}

/* 1 if @fd is extent-mapped, 0 if indirect-mapped, -errno. */
static int extent_mapped(int fd)
{
	int flags;

	if (ioctl(fd, FS_IOC_GETFLAGS, &flags))
		return -errno;
	return !!(flags & FS_EXTENT_FL);
}

TEST_F(migrate, sealed_indirect_file_etxtbsy)
{
	void *p;

	ASSERT_EQ(0, extent_mapped(self->fd));
	p = md_mmap3(NULL, MIGRATE_LEN, RW, DIRECT, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap3 MAP_DIRECT: %s", md_errname(errno));
	EXPECT_ERRNO(ETXTBSY, MD_ERRNO(ioctl(self->fd, MD_EXT4_IOC_MIGRATE)),
		     "EXT4_IOC_MIGRATE of a sealed indirect-mapped file");
	EXPECT_EQ(0, extent_mapped(self->fd)) TH_LOG("the sealed file was migrated to extents");
	ASSERT_EQ(0, munmap(p, MIGRATE_LEN));
	EXPECT_ERRNO(0, MD_ERRNO(ioctl(self->fd, MD_EXT4_IOC_MIGRATE)),
		     "EXT4_IOC_MIGRATE after munmap");
	EXPECT_EQ(1, extent_mapped(self->fd));
	EXPECT_EQ(-1, md_read_check(self->fd, 0, MIGRATE_LEN, 1));
}

struct migrate_call {
	int fd;
	atomic_bool go;
};

static int migrate_thread(void *arg)
{
	struct migrate_call *m = arg;

	while (!m->go)
		;
	return MD_ERRNO(ioctl(m->fd, MD_EXT4_IOC_MIGRATE));
}

struct migrate_tally {
	unsigned int runs, migrated, refused, lost, wrong, other;
	int other_errno;
	long long calib_us;	/* how long an unsealed MIGRATE takes */
};

/*
 * One round: MIGRATE in a thread, mmap3(MAP_DIRECT) @delay_us after it was
 * let go; then the outcome against the extents flag.  0 or -errno (setup).
 */
static int migrate_round(int fd, long long delay_us, struct migrate_tally *t)
{
	struct migrate_call m = { .fd = fd };
	int ext, err;
	struct bg b;
	void *p;

	if (extent_mapped(fd) == 1 && set_extent_flag(fd, false))
		return -EIO;
	err = bg_start(&b, migrate_thread, &m);
	if (err)
		return -err;
	while (!b.tid)
		;
	m.go = true;
	spin_us(delay_us);
	p = md_mmap3(NULL, MIGRATE_LEN, RW, DIRECT, fd, 0);
	err = p == MAP_FAILED ? errno : 0;
	if (bg_join(&b))
		return -ETIMEDOUT;
	ext = extent_mapped(fd);
	if (p != MAP_FAILED)
		munmap(p, MIGRATE_LEN);
	if (err || ext < 0)
		return err ? -err : ext;
	t->runs++;
	if (b.result == 0 && ext) {
		t->migrated++;
	} else if (b.result == ETXTBSY && !ext) {
		t->refused++;
	} else if (b.result == 0) {
		t->lost++;
	} else if (b.result == ETXTBSY) {
		t->wrong++;
	} else {
		t->other++;
		t->other_errno = b.result;
	}
	return 0;
}

TEST_F_TIMEOUT(migrate, race_with_map_direct, 120)
{
	struct migrate_tally t = { 0 };
	long long start, end;
	unsigned int i;
	int err;

	/* calibration: an unsealed MIGRATE, and back to indirect blocks */
	start = now_us();
	ASSERT_EQ(0, ioctl(self->fd, MD_EXT4_IOC_MIGRATE));
	t.calib_us = now_us() - start;
	ASSERT_EQ(1, extent_mapped(self->fd));
	ASSERT_EQ(0, set_extent_flag(self->fd, false));

	end = now_us() + MIGRATE_RUN_US;
	for (i = 0; i < MIGRATE_MAX && now_us() < end; i++) {
		/* sweep the mmap3 over 0 .. 1.5 times a MIGRATE's duration */
		err = migrate_round(self->fd, t.calib_us * 3 / 2 * (i % 32) / 32, &t);
		ASSERT_EQ(0, err) TH_LOG("round %u: %s", i, md_errname(err));
	}
	TH_LOG("%u rounds (MIGRATE alone %lld us): migrated %u, ETXTBSY %u, ETXTBSY lost %u, ETXTBSY but migrated %u, other %u",
	       t.runs, t.calib_us, t.migrated, t.refused, t.lost, t.wrong, t.other);
	EXPECT_EQ(0U, t.lost)
		TH_LOG("%u times MIGRATE returned 0 but left the file sealed in the window indirect-mapped: the ETXTBSY from the swap was overwritten",
		       t.lost);
	EXPECT_EQ(0U, t.wrong) TH_LOG("%u times MIGRATE returned ETXTBSY but migrated", t.wrong);
	EXPECT_EQ(0U, t.other) TH_LOG("other results, the last: %s", md_errname(t.other_errno));
	EXPECT_LT(0U, t.migrated) TH_LOG("no MIGRATE ran before the seal");
	EXPECT_LT(0U, t.refused) TH_LOG("no MIGRATE met the seal");
	EXPECT_SEAL(0, md_seal_state(self->fd), "all mappings gone");
	EXPECT_EQ(-1, md_read_check(self->fd, 0, MIGRATE_LEN, 1));
}

TEST_HARNESS_MAIN
