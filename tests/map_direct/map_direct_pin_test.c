// SPDX-License-Identifier: GPL-2.0
/*
 * Long-term pins of MAP_DIRECT pages.  A MAP_DIRECT mapping may be pinned
 * with FOLL_LONGTERM (RDMA memory registration, io_uring fixed buffers);
 * every other fsdax mapping is refused as before (EOPNOTSUPP).  The seal of
 * the file lasts while a page pinned through it is held, also after
 * munmap, close and the exit of the process that pinned it: every block-map
 * change fails with ETXTBSY at once; the seal goes once the last pin is
 * dropped.  Writes through the pins land in the file.
 *
 * Pins are taken three ways: the kernel's gup_test (debugfs,
 * CONFIG_GUP_TEST), whose PIN_LONGTERM_TEST_START pins a range until
 * PIN_LONGTERM_TEST_STOP or until its file is closed, io_uring fixed
 * buffers (liburing) and RDMA memory regions (libibverbs; without an RDMA
 * device, Soft-RoCE on a dummy network device, made and removed by the
 * test).
 * Dropping a pin releases the seal from a work item: the tests wait for it
 * with a bound (RELEASE_MS) and fail if it does not come.
 *
 * The fdinfo of a sealed file has a line "map_direct:\tmappings N pinned P".
 *
 * Fixtures (DAX XFS, DAX ext4):
 *   pin   a written file of PAGES pages mapped MAP_DIRECT, faulted in
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/fs.h>
#include <linux/types.h>
#ifdef MD_HAVE_LIBURING
#include <liburing.h>
#endif

#include "../kselftest_harness.h"
#include "map_direct.h"
#include "../../../../mm/gup_test.h"
#ifdef MD_HAVE_IBVERBS
#include "md_rdma.h"
#endif

#define RW		(PROT_READ | PROT_WRITE)
#define PAGES		16
#define LEN		(PAGES * MD_PAGE)
#define SEED		11
#define SEED_NEW	12
#define RELEASE_MS	10000	/* the seal goes this soon after the last pin */
#define GUP_TEST_FILE	"/sys/kernel/debug/gup_test"
#ifndef MNT_DETACH
#define MNT_DETACH	2	/* <sys/mount.h>, which clashes with <linux/fs.h> */
#endif

/* --- helpers --------------------------------------------------------------- */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * The seal state of @path once it has settled to @want, or what it still
 * is after RELEASE_MS: pins are released by a work item.
 */
static int seal_state_within(const char *path, int want)
{
	long long end = now_ms() + RELEASE_MS;
	int s;

	for (;;) {
		s = md_seal_state_path(path);
		if (s == want || now_ms() > end)
			return s;
		usleep(20000);
	}
}

/* gup_test's file, mounting debugfs if needed: fd or -errno. */
static int gup_test_open(void)
{
	int fd = open(GUP_TEST_FILE, O_RDWR | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT &&
	    !syscall(__NR_mount, "debugfs", "/sys/kernel/debug", "debugfs", 0,
		     NULL))
		fd = open(GUP_TEST_FILE, O_RDWR | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* Long-term pin [@addr, @addr + @len) through gup_test: 0 or errno. */
static int gup_pin(int gfd, void *addr, size_t len, unsigned int flags)
{
	struct pin_longterm_test args = {
		.addr = (uintptr_t)addr,
		.size = len,
		.flags = flags,
	};

	return MD_ERRNO(ioctl(gfd, PIN_LONGTERM_TEST_START, &args));
}

/*
 * The "map_direct:" line of the fdinfo of @fd: 1 with its fields, 0 if
 * there is none (the file is not sealed), -errno.
 */
static int fdinfo_map_direct(int fd, int *mappings, int *pinned)
{
	char path[64], line[256];
	int ret = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (!ret && fgets(line, sizeof(line), f))
		ret = sscanf(line, "map_direct: mappings %d pinned %d",
			     mappings, pinned) == 2;
	fclose(f);
	return ret;
}

/*
 * Wait up to RELEASE_MS for the "map_direct:" line of @fd to go (the seal
 * is released by a work item); the caller asserts what fdinfo then says.
 */
static void fdinfo_line_gone_within(int fd)
{
	long long end = now_ms() + RELEASE_MS;
	int m, p;

	while (fdinfo_map_direct(fd, &m, &p) == 1 && now_ms() < end)
		usleep(20000);
}

#define ASSERT_FDINFO(fd, want_line, want_mappings, want_pinned) do {	\
	int __m = -1, __p = -1;						\
	int __r = fdinfo_map_direct((fd), &__m, &__p);			\
	ASSERT_EQ((want_line), __r) TH_LOG("fdinfo map_direct line");	\
	if (__r == 1) {							\
		ASSERT_EQ((want_mappings), __m) TH_LOG("fdinfo mappings"); \
		ASSERT_EQ((want_pinned), __p) TH_LOG("fdinfo pinned");	\
	}								\
} while (0)

/* Every block-map change we try while pinned: the first that is not refused. */
static const char *block_map_changes(const char *path, bool xfs, int *err)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	char clone[PATH_MAX];
	int cfd;

	*err = fd < 0 ? errno : 0;
	if (fd < 0)
		return "open";
	*err = MD_ERRNO(ftruncate(fd, LEN / 2));
	if (*err != ETXTBSY)
		goto out_truncate;
	*err = MD_ERRNO(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				  0, MD_PAGE));
	if (*err != ETXTBSY)
		goto out_punch;
	*err = MD_ERRNO(fallocate(fd, 0, LEN, LEN));
	if (*err != ETXTBSY)
		goto out_extend;
	if (xfs) {
		snprintf(clone, sizeof(clone), "%s.clone", path);
		cfd = open(clone, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		*err = cfd < 0 ? errno : MD_ERRNO(ioctl(fd, FICLONE, cfd));
		if (cfd >= 0)
			close(cfd);
		unlink(clone);
		if (*err != ETXTBSY)
			goto out_clone;
	}
	close(fd);
	return NULL;
out_clone:
	close(fd);
	return "FICLONE into it";
out_extend:
	close(fd);
	return "fallocate past EOF";
out_punch:
	close(fd);
	return "fallocate PUNCH_HOLE";
out_truncate:
	close(fd);
	return "ftruncate";
}

#define ASSERT_REFUSED(path, xfs, why) do {				\
	int __e;							\
	const char *__op = block_map_changes((path), (xfs), &__e);	\
	ASSERT_EQ(NULL, __op) TH_LOG("%s: %s, not ETXTBSY (%s)",	\
				     __op, md_errname(__e), (why));	\
} while (0)

/*
 * Run "ndctl @cmd @ns": its exit status (-1 if it could not run), its
 * output in @out.
 */
static int run_ndctl(const char *cmd, const char *ns, char *out, size_t len)
{
	char line[512], sh[256];
	size_t used = 0;
	FILE *f;

	snprintf(sh, sizeof(sh), "ndctl %s %s 2>&1", cmd, ns);
	f = popen(sh, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (out && used + 1 < len)
			used += snprintf(out + used, len - used, "%s", line);
	if (out && len)
		out[used < len ? used : len - 1] = 0;
	return pclose(f);
}

/*
 * The NVDIMM namespace whose block device is @dev (/dev/pmemN), from
 * "ndctl list -N": 0, or -1 if there is none or no ndctl.
 */
static int namespace_of(const char *dev, char *ns, size_t len)
{
	char out[16384], want[64], *at, *name;
	const char *blk = strrchr(dev, '/');

	blk = blk ? blk + 1 : dev;
	if (run_ndctl("list", "-N", out, sizeof(out)))
		return -1;
	snprintf(want, sizeof(want), "\"blockdev\":\"%s\"", blk);
	at = strstr(out, want);
	if (!at)
		return -1;
	*at = 0;
	name = strrchr(out, '{');
	name = name ? strstr(name, "\"dev\":\"") : NULL;
	if (!name || sscanf(name + 7, "%63[^\"]", ns) != 1 || strlen(ns) >= len)
		return -1;
	return 0;
}

/* --- the fixture ----------------------------------------------------------- */

FIXTURE(pin) {
	char path[PATH_MAX];
	char fill[PATH_MAX];
	const char *dir;
	int fd;
	unsigned char *map;
	struct md_mnt mnt;
	bool unmounted;		/* the test may have left the mount unmounted */
	bool made_rxe;		/* the test made the Soft-RoCE device */
	char ns[64];		/* a namespace the test may have disabled */
};

FIXTURE_VARIANT(pin) {
	struct md_fs fs;
};

FIXTURE_VARIANT_ADD(pin, dax_xfs) { .fs = MD_FS_DAX_XFS };
FIXTURE_VARIANT_ADD(pin, dax_ext4) { .fs = MD_FS_DAX_EXT4 };

FIXTURE_SETUP(pin)
{
	char why[256];

	self->fd = -1;
	if (!md_have_map_direct(why, sizeof(why)))
		SKIP(return, "%s", why);
	self->dir = md_mount(&variant->fs, why, sizeof(why));
	if (!self->dir)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, md_map_direct_written(self->dir, "pin", self->path, LEN,
					   SEED, &self->fd, &self->map, why,
					   sizeof(why))) TH_LOG("%s", why);
	ASSERT_SEAL(1, md_seal_state(self->fd), "mapped MAP_DIRECT");
}

/* Teardowns run in the harness's process: see map_direct.h. */
FIXTURE_TEARDOWN_PARENT(pin)
{
	struct md_mnt now;

	if (self->ns[0] && run_ndctl("enable-namespace", self->ns, NULL, 0))
		fprintf(stderr, "# could not enable %s again\n", self->ns);
#ifdef MD_HAVE_IBVERBS
	if (self->made_rxe)
		md_rdma_remove_rxe();
#endif

	if (self->unmounted && md_find_mount(self->mnt.dir, &now) &&
	    md_mount_again(&self->mnt, NULL))
		fprintf(stderr, "# could not mount %s on %s again as %s: %s\n",
			self->mnt.dev, self->mnt.dir, self->mnt.opts,
			strerror(errno));
	if (self->path[0])
		unlink(self->path);
	if (self->fill[0])
		unlink(self->fill);
}

/* Open gup_test or SKIP with the reason. */
#define GUP_TEST_OR_SKIP(gfd) do {					\
	(gfd) = gup_test_open();					\
	if ((gfd) < 0)							\
		SKIP(return, "no %s (%s): kernel without CONFIG_GUP_TEST", \
		     GUP_TEST_FILE, md_errname(-(gfd)));		\
} while (0)

/*
 * A child pins the MAP_DIRECT range with @pin (0 on success), unmaps it
 * and is killed with SIGKILL while the pin is live: the seal holds while
 * the child lives and goes once the kernel has released its pins.
 */
#if defined(MD_HAVE_LIBURING) || defined(MD_HAVE_IBVERBS)
static void pinned_by_killed_child(struct __test_metadata *_metadata,
				   const char *path, unsigned char *map, int fd,
				   bool xfs, int (*pin)(void *map),
				   const char *what)
{
	int up[2], status;
	char c = 0;
	pid_t pid;

	ASSERT_EQ(0, pipe(up));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(up[0]);
		if (pin(map) || munmap(map, LEN))
			_exit(1);
		c = 1;
		if (write(up[1], &c, 1) != 1)
			_exit(2);
		pause();
		_exit(3);
	}
	close(up[1]);
	ASSERT_EQ(1, read(up[0], &c, 1))
		TH_LOG("the child failed to pin with %s", what);
	ASSERT_EQ(0, munmap(map, LEN));
	ASSERT_EQ(0, close(fd));
	ASSERT_REFUSED(path, xfs, what);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ASSERT_SEAL(0, seal_state_within(path, 0),
		    "the child that pinned with %s was killed", what);
	close(up[0]);
}
#endif

/* --- gup_test ---------------------------------------------------------------- */

/*
 * A writable long-term pin of a MAP_DIRECT range succeeds, also through
 * pin_user_pages_fast(); the pinned pages are the file's (gup_test reads
 * them back after munmap and close); the seal holds until the pin is
 * dropped, then goes.
 */
TEST_F(pin, gup_longterm_outlives_mapping)
{
	static const unsigned int modes[] = {
		PIN_LONGTERM_TEST_FLAG_USE_WRITE,
		PIN_LONGTERM_TEST_FLAG_USE_WRITE | PIN_LONGTERM_TEST_FLAG_USE_FAST,
		0,
	};
	unsigned char *buf = malloc(LEN);
	__u64 uaddr = (uintptr_t)buf;
	unsigned int i;
	int gfd, err;
	void *p;

	GUP_TEST_OR_SKIP(gfd);
	ASSERT_NE(NULL, buf);
	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		if (i) {
			p = md_mmap3(NULL, LEN, RW, MAP_SHARED | MAP_DIRECT,
				     self->fd, 0);
			ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap3: %s", md_errname(errno));
			self->map = p;
		}
		err = gup_pin(gfd, self->map, LEN, modes[i]);
		ASSERT_EQ(0, err) TH_LOG("pin flags %#x of a MAP_DIRECT range: %s",
					 modes[i], md_errname(err));
		ASSERT_EQ(0, munmap(self->map, LEN));
		if (i == 0) {
			ASSERT_EQ(0, close(self->fd));
			self->fd = open(self->path, O_RDWR | O_CLOEXEC);
			ASSERT_LE(0, self->fd);
		}
		ASSERT_REFUSED(self->path, variant->fs.xfs,
			       "pinned, after munmap and close");
		memset(buf, 0, LEN);
		ASSERT_EQ(0, ioctl(gfd, PIN_LONGTERM_TEST_READ, &uaddr));
		ASSERT_EQ(-1, md_check(buf, 0, LEN, SEED))
			TH_LOG("the pinned pages are not the file's data");
		ASSERT_EQ(0, ioctl(gfd, PIN_LONGTERM_TEST_STOP));
		ASSERT_SEAL(0, seal_state_within(self->path, 0),
			    "pin flags %#x dropped", modes[i]);
	}
	ASSERT_EQ(-1, md_read_check(self->fd, 0, LEN, SEED));
	close(gfd);
	free(buf);
}

/*
 * Plain fsdax mappings keep 6.12's answer: EOPNOTSUPP for MAP_SHARED and
 * MAP_SHARED_VALIDATE | MAP_SYNC, with or without FOLL_WRITE, slow or fast;
 * nothing stays pinned, and the MAP_DIRECT mapping keeps the file sealed.
 */
TEST_F(pin, gup_longterm_plain_dax_refused)
{
	static const int types[] = { MAP_SHARED, MAP_SHARED_VALIDATE | MAP_SYNC };
	unsigned int i, mode;
	int gfd, err;
	void *p;

	GUP_TEST_OR_SKIP(gfd);
	for (i = 0; i < 2; i++) {
		p = mmap(NULL, LEN, RW, types[i], self->fd, 0);
		ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap %#x: %s", types[i],
						md_errname(errno));
		ASSERT_EQ(0, md_guarded_read(p, LEN));
		for (mode = 0; mode < 4; mode++) {
			err = gup_pin(gfd, p, LEN, mode);
			EXPECT_EQ(EOPNOTSUPP, err)
				TH_LOG("pin flags %#x of a mmap %#x range: %s",
				       mode, types[i], md_errname(err));
			if (!err)
				ioctl(gfd, PIN_LONGTERM_TEST_STOP);
		}
		ASSERT_EQ(0, munmap(p, LEN));
	}
	close(gfd);
	ASSERT_EQ(0, munmap(self->map, LEN));
	ASSERT_SEAL(0, seal_state_within(self->path, 0), "nothing pinned");
}

/*
 * The pin is the only thing left of the MAP_DIRECT mapping: the process
 * that mapped the file has exited, a child that inherited the mapping too.
 */
TEST_F(pin, gup_longterm_outlives_process)
{
	int gfd, err, status;
	pid_t pid;

	GUP_TEST_OR_SKIP(gfd);
	err = gup_pin(gfd, self->map, LEN, PIN_LONGTERM_TEST_FLAG_USE_WRITE);
	ASSERT_EQ(0, err) TH_LOG("pin: %s", md_errname(err));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(md_guarded_read(self->map, LEN) ? 1 : 0);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status) TH_LOG("the child could not read its copy");
	ASSERT_EQ(0, munmap(self->map, LEN));
	ASSERT_REFUSED(self->path, variant->fs.xfs, "pinned, child gone");
	close(gfd);	/* gup_test drops its pins when its file is closed */
	ASSERT_SEAL(0, seal_state_within(self->path, 0), "gup_test closed");
}

/*
 * The fdinfo of any descriptor of a sealed file says why it is sealed:
 * how many MAP_DIRECT mappings, whether a page is pinned.  A file that is
 * not sealed has no such line.
 */
TEST_F(pin, fdinfo)
{
	int gfd, err, fd2;
	void *p;

	ASSERT_FDINFO(self->fd, 1, 1, 0);
	GUP_TEST_OR_SKIP(gfd);
	err = gup_pin(gfd, self->map, LEN, PIN_LONGTERM_TEST_FLAG_USE_WRITE);
	ASSERT_EQ(0, err) TH_LOG("pin: %s", md_errname(err));
	ASSERT_FDINFO(self->fd, 1, 1, 1);
	ASSERT_EQ(0, munmap(self->map, LEN));
	fd2 = open(self->path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd2);
	ASSERT_FDINFO(fd2, 1, 0, 1);
	p = md_mmap3(NULL, LEN, RW, MAP_SHARED | MAP_DIRECT, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap3 while pinned: %s", md_errname(errno));
	ASSERT_FDINFO(fd2, 1, 1, 1);
	ASSERT_EQ(0, munmap(p, LEN));
	ASSERT_FDINFO(fd2, 1, 0, 1);
	ASSERT_EQ(0, ioctl(gfd, PIN_LONGTERM_TEST_STOP));
	ASSERT_SEAL(0, seal_state_within(self->path, 0), "pin dropped");
	ASSERT_FDINFO(fd2, 0, 0, 0);
	close(fd2);
	close(gfd);
}

/*
 * Only pins keep the seal after the last MAP_DIRECT mapping: a page of a
 * plain mapping of the file that a pipe holds (vmsplice) does not, even
 * after a long-term pin has been taken and dropped.  The seal is read from
 * fdinfo: a truncate of an unsealed file would wait for the held page.
 */
TEST_F(pin, held_page_is_not_a_pin)
{
	unsigned char *plain, *drain = malloc(MD_PAGE);
	struct iovec iov;
	int gfd, err, pfd[2];

	ASSERT_NE(NULL, drain);
	GUP_TEST_OR_SKIP(gfd);
	err = gup_pin(gfd, self->map, LEN, PIN_LONGTERM_TEST_FLAG_USE_WRITE);
	ASSERT_EQ(0, err) TH_LOG("pin: %s", md_errname(err));
	ASSERT_EQ(0, ioctl(gfd, PIN_LONGTERM_TEST_STOP));
	plain = mmap(NULL, LEN, RW, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, plain);
	ASSERT_EQ(0, md_guarded_read(plain, LEN));
	ASSERT_EQ(0, pipe(pfd));
	iov.iov_base = plain;
	iov.iov_len = MD_PAGE;
	ASSERT_EQ((ssize_t)MD_PAGE, vmsplice(pfd[1], &iov, 1, 0))
		TH_LOG("vmsplice: %s", md_errname(errno));
	ASSERT_FDINFO(self->fd, 1, 1, 0);
	ASSERT_EQ(0, munmap(self->map, LEN));
	fdinfo_line_gone_within(self->fd);
	ASSERT_FDINFO(self->fd, 0, 0, 0);
	ASSERT_EQ((ssize_t)MD_PAGE, read(pfd[0], drain, MD_PAGE));
	ASSERT_EQ(-1, md_check(drain, 0, MD_PAGE, SEED));
	close(pfd[0]);
	close(pfd[1]);
	ASSERT_EQ(0, munmap(plain, LEN));
	ASSERT_SEAL(0, md_seal_state(self->fd), "nothing held");
	close(gfd);
	free(drain);
}

/*
 * The seal lasts while a page is pinned, not while it is in use: a page
 * that a pipe still holds when its last pin is dropped does not keep the
 * file sealed (the hold is told when a pin goes, not only when the page
 * becomes idle).  The seal is read from fdinfo: a truncate of an unsealed
 * file would wait for the held page.
 */
TEST_F(pin, unpinned_page_held_by_pipe)
{
	unsigned char *drain = malloc(MD_PAGE);
	struct iovec iov = { .iov_base = self->map, .iov_len = MD_PAGE };
	int gfd, err, pfd[2];

	ASSERT_NE(NULL, drain);
	GUP_TEST_OR_SKIP(gfd);
	err = gup_pin(gfd, self->map, MD_PAGE, PIN_LONGTERM_TEST_FLAG_USE_WRITE);
	ASSERT_EQ(0, err) TH_LOG("pin: %s", md_errname(err));
	ASSERT_EQ(0, pipe(pfd));
	ASSERT_EQ((ssize_t)MD_PAGE, vmsplice(pfd[1], &iov, 1, 0))
		TH_LOG("vmsplice: %s", md_errname(errno));
	ASSERT_EQ(0, munmap(self->map, LEN));
	ASSERT_FDINFO(self->fd, 1, 0, 1);
	usleep(200000);	/* let the hold watch the pinned page */
	ASSERT_FDINFO(self->fd, 1, 0, 1);
	ASSERT_EQ(0, ioctl(gfd, PIN_LONGTERM_TEST_STOP));
	fdinfo_line_gone_within(self->fd);
	ASSERT_FDINFO(self->fd, 0, 0, 0);
	ASSERT_EQ((ssize_t)MD_PAGE, read(pfd[0], drain, MD_PAGE));
	ASSERT_EQ(-1, md_check(drain, 0, MD_PAGE, SEED));
	close(pfd[0]);
	close(pfd[1]);
	ASSERT_SEAL(0, md_seal_state(self->fd), "nothing held");
	close(gfd);
	free(drain);
}

/*
 * A long-term pin must hold the file's own pages, which the seal keeps in
 * place: a pin of a hole or of an unwritten extent, where a read fault maps
 * the zero page, fails with EFAULT, read-only as well as writable, whether
 * the hole was read before or not; the file is not left sealed by it.
 */
TEST_F(pin, longterm_pin_of_hole_refused)
{
	static const char * const kinds[] = { "a hole", "an unwritten extent" };
	static const unsigned int modes[] = {
		0, PIN_LONGTERM_TEST_FLAG_USE_WRITE,
		PIN_LONGTERM_TEST_FLAG_USE_FAST,
	};
	unsigned int k, i;
	int gfd, err;

	GUP_TEST_OR_SKIP(gfd);
	ASSERT_EQ(0, munmap(self->map, LEN));
	for (k = 0; k < ARRAY_SIZE(kinds); k++) {
		/* the second half of the file: a hole, or allocated unwritten */
		ASSERT_EQ(0, ftruncate(self->fd, LEN / 2));
		ASSERT_EQ(0, ftruncate(self->fd, LEN));
		if (k)
			ASSERT_EQ(0, fallocate(self->fd, FALLOC_FL_KEEP_SIZE,
					       LEN / 2, LEN / 2));
		self->map = md_mmap3(NULL, LEN, RW, MAP_SHARED | MAP_DIRECT,
				     self->fd, 0);
		ASSERT_NE(MAP_FAILED, self->map)
			TH_LOG("mmap3 of a file with %s: %s", kinds[k],
			       md_errname(errno));
		for (i = 0; i < 2 * ARRAY_SIZE(modes); i++) {
			unsigned int mode = modes[i % ARRAY_SIZE(modes)];

			if (i == ARRAY_SIZE(modes))	/* now read it first */
				ASSERT_EQ(0, md_guarded_read(self->map + LEN / 2,
							     LEN / 2));
			err = gup_pin(gfd, self->map, LEN, mode);
			EXPECT_EQ(EFAULT, err)
				TH_LOG("pin flags %#x over %s%s: %s", mode,
				       kinds[k], i < ARRAY_SIZE(modes) ? "" :
				       " that was read", md_errname(err));
			if (!err)
				ioctl(gfd, PIN_LONGTERM_TEST_STOP);
		}
		ASSERT_EQ(0, gup_pin(gfd, self->map, LEN / 2,
				     PIN_LONGTERM_TEST_FLAG_USE_WRITE))
			TH_LOG("pin of the written half");
		ASSERT_EQ(0, ioctl(gfd, PIN_LONGTERM_TEST_STOP));
		ASSERT_EQ(0, munmap(self->map, LEN));
		ASSERT_SEAL(0, seal_state_within(self->path, 0),
			    "no pin left over %s", kinds[k]);
	}
	close(gfd);
}

/*
 * Fill the filesystem of @dir with a new file of byte @c until it is full:
 * the number of bytes written, or -errno.
 */
static long long fill_fs(const char *dir, char *path, int c)
{
	static char chunk[1 << 20];
	long long total = 0;
	ssize_t n;
	int fd;

	memset(chunk, c, sizeof(chunk));
	fd = md_create(dir, "fill", path);
	if (fd < 0)
		return -errno;
	for (;;) {
		n = write(fd, chunk, sizeof(chunk));
		if (n <= 0)
			break;
		total += n;
	}
	if (n < 0 && errno != ENOSPC && errno != EDQUOT) {
		n = -errno;
		close(fd);
		return n;
	}
	fsync(fd);
	close(fd);
	return total;
}

/*
 * The blocks of a pinned file are never given to another file, even once
 * it is unlinked and closed: the hold keeps the inode, so its blocks stay
 * allocated.  Fill the filesystem from another file while the only
 * reference to the unlinked file is the pin: the pinned pages keep the
 * file's data.  Once the pin goes, the blocks are freed.
 */
TEST_F(pin, unlinked_pinned_blocks_not_reused)
{
	unsigned char *buf = malloc(LEN);
	__u64 uaddr = (uintptr_t)buf;
	long long filled;
	int gfd, err;

	ASSERT_NE(NULL, buf);
	GUP_TEST_OR_SKIP(gfd);
	err = gup_pin(gfd, self->map, LEN, PIN_LONGTERM_TEST_FLAG_USE_WRITE);
	ASSERT_EQ(0, err) TH_LOG("pin: %s", md_errname(err));
	ASSERT_EQ(0, munmap(self->map, LEN));
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	ASSERT_EQ(0, unlink(self->path));
	self->path[0] = 0;

	filled = fill_fs(self->dir, self->fill, 0xa5);
	ASSERT_LT(0, filled) TH_LOG("fill %s: %s", self->dir,
				    md_errname((int)-filled));
	memset(buf, 0, LEN);
	ASSERT_EQ(0, ioctl(gfd, PIN_LONGTERM_TEST_READ, &uaddr));
	ASSERT_EQ(-1, md_check(buf, 0, LEN, SEED))
		TH_LOG("after filling %lld bytes, a pinned page of the unlinked file holds other data",
		       filled);
	ASSERT_EQ(0, unlink(self->fill));
	self->fill[0] = 0;
	ASSERT_EQ(0, ioctl(gfd, PIN_LONGTERM_TEST_STOP));
	close(gfd);
	free(buf);
}

/*
 * The administrator cannot remove the pmem device under a pin: "ndctl
 * disable-namespace" fails with EBUSY while the filesystem is mounted, and
 * still after a lazy umount, because the pin keeps the filesystem (and so
 * its claim on the device) alive.  Once the pin is gone the namespace can
 * be disabled; enabled and mounted again, the file has its data.
 */
TEST_F(pin, disable_namespace_ebusy_while_pinned)
{
	char out[4096];
	long long end;
	int gfd, err, rc;

	GUP_TEST_OR_SKIP(gfd);
	err = md_find_mount(self->dir, &self->mnt);
	ASSERT_EQ(0, err) TH_LOG("%s is not a mount point: %s", self->dir,
				 md_errname(-err));
	if (namespace_of(self->mnt.dev, self->ns, sizeof(self->ns)))
		SKIP(return, "no NVDIMM namespace for %s (ndctl list -N)",
		     self->mnt.dev);
	err = gup_pin(gfd, self->map, LEN, PIN_LONGTERM_TEST_FLAG_USE_WRITE);
	ASSERT_EQ(0, err) TH_LOG("pin: %s", md_errname(err));
	ASSERT_EQ(0, munmap(self->map, LEN));
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;

	rc = run_ndctl("disable-namespace", self->ns, out, sizeof(out));
	ASSERT_NE(0, rc) TH_LOG("ndctl disable-namespace %s while mounted and pinned succeeded: %s",
				self->ns, out);
	ASSERT_NE(NULL, strstr(out, "busy")) TH_LOG("%s", out);
	self->unmounted = true;
	ASSERT_EQ(0, syscall(SYS_umount2, self->mnt.dir, MNT_DETACH))
		TH_LOG("umount -l %s: %s", self->mnt.dir, md_errname(errno));
	rc = run_ndctl("disable-namespace", self->ns, out, sizeof(out));
	ASSERT_NE(0, rc) TH_LOG("ndctl disable-namespace %s after umount -l, pinned, succeeded: %s",
				self->ns, out);
	ASSERT_NE(NULL, strstr(out, "busy")) TH_LOG("%s", out);

	close(gfd);
	for (end = now_ms() + RELEASE_MS; now_ms() < end; usleep(50000)) {
		rc = run_ndctl("disable-namespace", self->ns, out, sizeof(out));
		if (!rc)
			break;
	}
	ASSERT_EQ(0, rc) TH_LOG("ndctl disable-namespace %s after the pin: %s",
				self->ns, out);
	rc = run_ndctl("enable-namespace", self->ns, out, sizeof(out));
	ASSERT_EQ(0, rc) TH_LOG("ndctl enable-namespace %s: %s", self->ns, out);
	self->ns[0] = 0;
	err = md_mount_again(&self->mnt, NULL);
	ASSERT_EQ(0, err) TH_LOG("mount %s again: %s", self->mnt.dir,
				 md_errname(-err));
	self->unmounted = false;
	self->fd = open(self->path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(-1, md_read_check(self->fd, 0, LEN, SEED));
	ASSERT_SEAL(0, md_seal_state(self->fd), "after the namespace came back");
}

#ifdef MD_HAVE_LIBURING
static int ring_rw_fixed(struct io_uring *ring, bool write, int fd,
			 void *buf, unsigned int len, off_t off);
static int tmp_source(unsigned int seed);

/*
 * The filesystem cannot be unmounted while a page of one of its files is
 * pinned (EBUSY), and can once the pin is gone.  Data that io_uring read
 * into the pinned pages is in the file after umount and mount.
 */
TEST_F(pin, umount_ebusy_while_pinned)
{
	struct iovec iov = { .iov_base = self->map, .iov_len = LEN };
	struct io_uring ring;
	int ret, src;

	ret = md_find_mount(self->dir, &self->mnt);
	ASSERT_EQ(0, ret) TH_LOG("%s is not a mount point: %s", self->dir,
				 md_errname(-ret));
	ret = io_uring_queue_init(4, &ring, 0);
	ASSERT_EQ(0, ret) TH_LOG("io_uring_queue_init: %s", md_errname(-ret));
	ret = io_uring_register_buffers(&ring, &iov, 1);
	ASSERT_EQ(0, ret) TH_LOG("register: %s", md_errname(-ret));
	src = tmp_source(SEED_NEW);
	ASSERT_LE(0, src);
	ret = ring_rw_fixed(&ring, false, src, iov.iov_base, LEN, 0);
	ASSERT_EQ((int)LEN, ret) TH_LOG("READ_FIXED: %s", md_errname(-ret));
	close(src);
	ASSERT_EQ(0, munmap(self->map, LEN));
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;

	self->unmounted = true;
	ret = syscall(SYS_umount2, self->mnt.dir, 0) ? errno : 0;
	if (!ret)
		md_mount_again(&self->mnt, NULL);
	ASSERT_EQ(EBUSY, ret) TH_LOG("umount %s while a page is pinned: %s",
				     self->mnt.dir, md_errname(ret));

	io_uring_queue_exit(&ring);
	ret = md_umount_retry(self->mnt.dir);
	ASSERT_EQ(0, ret) TH_LOG("umount %s after the ring is gone: %s",
				 self->mnt.dir, md_errname(-ret));
	ret = md_mount_again(&self->mnt, NULL);
	ASSERT_EQ(0, ret) TH_LOG("mount %s again: %s", self->mnt.dir,
				 md_errname(-ret));
	self->unmounted = false;
	self->fd = open(self->path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(-1, md_read_check(self->fd, 0, LEN, SEED_NEW))
		TH_LOG("READ_FIXED data not in the file after umount and mount");
	ASSERT_SEAL(0, md_seal_state(self->fd), "after mount");
}
#endif

/* --- io_uring ---------------------------------------------------------------- */

#ifdef MD_HAVE_LIBURING
/* One fixed-buffer read or write, synchronously: the result or -errno. */
static int ring_rw_fixed(struct io_uring *ring, bool write, int fd,
			 void *buf, unsigned int len, off_t off)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct io_uring_cqe *cqe;
	int ret;

	if (!sqe)
		return -EBUSY;
	if (write)
		io_uring_prep_write_fixed(sqe, fd, buf, len, off, 0);
	else
		io_uring_prep_read_fixed(sqe, fd, buf, len, off, 0);
	ret = io_uring_submit(ring);
	if (ret != 1)
		return ret < 0 ? ret : -EIO;
	ret = io_uring_wait_cqe(ring, &cqe);
	if (ret)
		return ret;
	ret = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return ret;
}

/* A tmpfs file of LEN bytes of pattern @seed: fd or -errno. */
static int tmp_source(unsigned int seed)
{
	int fd = memfd_create("md-pin-src", MFD_CLOEXEC);
	int err;

	if (fd < 0)
		return -errno;
	err = md_write_pattern(fd, 0, LEN, seed);
	if (err) {
		close(fd);
		return -err;
	}
	return fd;
}

/*
 * Register the MAP_DIRECT range as a fixed buffer; unmap it and close the
 * file: the ring's pins keep the seal.  READ_FIXED into the buffer lands
 * in the file, WRITE_FIXED out of it reads back; after the ring is gone the
 * seal goes and pread() sees the new data.
 */
TEST_F(pin, io_uring_fixed_buffer)
{
	struct iovec iov = { .iov_base = self->map, .iov_len = LEN };
	unsigned char *out = malloc(LEN);
	struct io_uring ring;
	int ret, src, dst;

	ASSERT_NE(NULL, out);
	ret = io_uring_queue_init(4, &ring, 0);
	ASSERT_EQ(0, ret) TH_LOG("io_uring_queue_init: %s", md_errname(-ret));
	ret = io_uring_register_buffers(&ring, &iov, 1);
	ASSERT_EQ(0, ret) TH_LOG("register a MAP_DIRECT range: %s",
				 md_errname(-ret));
	ASSERT_EQ(0, munmap(self->map, LEN));
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	ASSERT_REFUSED(self->path, variant->fs.xfs,
		       "registered with io_uring, after munmap and close");

	src = tmp_source(SEED_NEW);
	ASSERT_LE(0, src);
	ret = ring_rw_fixed(&ring, false, src, iov.iov_base, LEN, 0);
	ASSERT_EQ((int)LEN, ret) TH_LOG("READ_FIXED: %s", md_errname(-ret));
	dst = memfd_create("md-pin-dst", MFD_CLOEXEC);
	ASSERT_LE(0, dst);
	ret = ring_rw_fixed(&ring, true, dst, iov.iov_base, LEN, 0);
	ASSERT_EQ((int)LEN, ret) TH_LOG("WRITE_FIXED: %s", md_errname(-ret));
	ASSERT_EQ((ssize_t)LEN, pread(dst, out, LEN, 0));
	ASSERT_EQ(-1, md_check(out, 0, LEN, SEED_NEW))
		TH_LOG("WRITE_FIXED out of the pinned pages");

	ASSERT_REFUSED(self->path, variant->fs.xfs, "still registered");
	io_uring_queue_exit(&ring);
	ASSERT_SEAL(0, seal_state_within(self->path, 0), "ring closed");
	self->fd = open(self->path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(-1, md_read_check(self->fd, 0, LEN, SEED_NEW))
		TH_LOG("READ_FIXED into the pinned pages did not reach the file");
	close(src);
	close(dst);
	free(out);
}

/* A plain DAX mapping cannot be registered: 6.12's EOPNOTSUPP. */
TEST_F(pin, io_uring_plain_dax_refused)
{
	struct io_uring ring;
	struct iovec iov;
	int ret;
	void *p;

	p = mmap(NULL, LEN, RW, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	ret = io_uring_queue_init(4, &ring, 0);
	ASSERT_EQ(0, ret);
	iov.iov_base = p;
	iov.iov_len = LEN;
	ret = io_uring_register_buffers(&ring, &iov, 1);
	EXPECT_EQ(-EOPNOTSUPP, ret) TH_LOG("register a plain DAX range: %s",
					   md_errname(-ret));
	io_uring_queue_exit(&ring);
	ASSERT_EQ(0, munmap(p, LEN));
}

/* The child's ring pins the range: register it as a fixed buffer. */
static int uring_pin(void *map)
{
	struct iovec iov = { .iov_base = map, .iov_len = LEN };
	static struct io_uring ring;

	return io_uring_queue_init(4, &ring, 0) ||
	       io_uring_register_buffers(&ring, &iov, 1);
}

/* The kernel tears the ring of a killed process down, and the pins go. */
TEST_F(pin, io_uring_sigkill)
{
	int fd = self->fd;

	self->fd = -1;
	pinned_by_killed_child(_metadata, self->path, self->map, fd,
			       variant->fs.xfs, uring_pin,
			       "an io_uring fixed buffer");
}
#else
TEST_F(pin, io_uring)
{
	SKIP(return, "built without liburing (liburing-dev): no io_uring cases");
}
#endif

/* --- RDMA (Soft-RoCE) -------------------------------------------------------- */

#ifdef MD_HAVE_IBVERBS
#define RDMA_ACCESS	(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE)

/* An RDMA device (made here if need be: the teardown removes it) or SKIP. */
#define RDMA_DEVICE_OR_SKIP() do {					\
	char __why[256];						\
	int __made = md_rdma_device_or_rxe(__why, sizeof(__why));	\
	if (__made < 0)							\
		SKIP(return, "%s", __why);				\
	self->made_rxe |= __made;					\
} while (0)

/* ... and @r, its two connected queue pairs, failing with why not. */
#define RDMA_OPEN_OR_SKIP(r) do {					\
	char __msg[256];						\
	RDMA_DEVICE_OR_SKIP();						\
	ASSERT_EQ(0, md_rdma_open((r), __msg, sizeof(__msg)))		\
		TH_LOG("%s", __msg);					\
} while (0)

/*
 * A memory region on a MAP_DIRECT range: the range is unmapped and the
 * file closed, the region pins the file's pages and keeps it sealed; an
 * RDMA WRITE into the region lands in the file; once the region is
 * deregistered the seal goes and read() sees the written data.
 */
TEST_F(pin, rdma_write_lands_in_file)
{
	unsigned char *src = malloc(LEN);
	struct ibv_mr *mr, *src_mr;
	struct md_rdma r;
	void *remote = self->map;
	int err;

	ASSERT_NE(NULL, src);
	RDMA_OPEN_OR_SKIP(&r);
	md_fill(src, 0, LEN, SEED_NEW);
	src_mr = ibv_reg_mr(r.pd, src, LEN, 0);
	ASSERT_NE(NULL, src_mr) TH_LOG("ibv_reg_mr of anonymous memory: %s",
				       md_errname(errno));
	mr = ibv_reg_mr(r.pd, self->map, LEN, RDMA_ACCESS);
	ASSERT_NE(NULL, mr) TH_LOG("ibv_reg_mr of a MAP_DIRECT range: %s",
				   md_errname(errno));
	ASSERT_FDINFO(self->fd, 1, 1, 1);
	ASSERT_EQ(0, munmap(self->map, LEN));
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	ASSERT_REFUSED(self->path, variant->fs.xfs,
		       "registered for RDMA, after munmap and close");

	err = md_rdma_write(&r, src_mr, src, LEN, mr, remote);
	ASSERT_EQ(0, err) TH_LOG("RDMA WRITE into the region: %s",
				 md_rdma_strerror(err));
	ASSERT_REFUSED(self->path, variant->fs.xfs, "still registered");

	ASSERT_EQ(0, ibv_dereg_mr(mr));
	ASSERT_SEAL(0, seal_state_within(self->path, 0), "region deregistered");
	self->fd = open(self->path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(-1, md_read_check(self->fd, 0, LEN, SEED_NEW))
		TH_LOG("the RDMA WRITE did not reach the file");
	ASSERT_EQ(0, ftruncate(self->fd, LEN / 2));
	ibv_dereg_mr(src_mr);
	md_rdma_close(&r);
	free(src);
}

/*
 * Plain fsdax mappings cannot be registered, as on 6.12: EOPNOTSUPP for
 * MAP_SHARED and MAP_SHARED_VALIDATE | MAP_SYNC, read-only or writable;
 * the MAP_DIRECT mapping of the same file can.
 */
TEST_F(pin, rdma_plain_dax_refused)
{
	static const int types[] = { MAP_SHARED, MAP_SHARED_VALIDATE | MAP_SYNC };
	static const int access[] = { 0, RDMA_ACCESS };
	struct ibv_mr *mr;
	unsigned int i, j;
	struct md_rdma r;
	void *p;

	RDMA_OPEN_OR_SKIP(&r);
	for (i = 0; i < ARRAY_SIZE(types); i++) {
		p = mmap(NULL, LEN, RW, types[i], self->fd, 0);
		ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap %#x: %s", types[i],
						md_errname(errno));
		for (j = 0; j < ARRAY_SIZE(access); j++) {
			errno = 0;
			mr = ibv_reg_mr(r.pd, p, LEN, access[j]);
			EXPECT_EQ(NULL, mr);
			EXPECT_EQ(EOPNOTSUPP, errno)
				TH_LOG("ibv_reg_mr access %#x of a mmap %#x range: %s",
				       access[j], types[i], md_errname(errno));
			if (mr)
				ibv_dereg_mr(mr);
		}
		ASSERT_EQ(0, munmap(p, LEN));
	}
	mr = ibv_reg_mr(r.pd, self->map, LEN, RDMA_ACCESS);
	ASSERT_NE(NULL, mr) TH_LOG("ibv_reg_mr of the MAP_DIRECT range: %s",
				   md_errname(errno));
	ASSERT_EQ(0, ibv_dereg_mr(mr));
	md_rdma_close(&r);
	ASSERT_EQ(0, munmap(self->map, LEN));
	ASSERT_SEAL(0, seal_state_within(self->path, 0), "nothing registered");
}

/* The child's memory region pins the range. */
static int rdma_pin(void *map)
{
	struct md_rdma r;
	char why[256];

	return md_rdma_open(&r, why, sizeof(why)) ||
	       !ibv_reg_mr(r.pd, map, LEN, RDMA_ACCESS);
}

/* The kernel releases the regions of a killed process, and the pins go. */
TEST_F(pin, rdma_sigkill)
{
	int fd;

	RDMA_DEVICE_OR_SKIP();
	fd = self->fd;
	self->fd = -1;
	pinned_by_killed_child(_metadata, self->path, self->map, fd,
			       variant->fs.xfs, rdma_pin,
			       "an RDMA memory region");
}
#else
TEST_F(pin, rdma)
{
	SKIP(return, "built without libibverbs (libibverbs-dev): no RDMA cases");
}
#endif

TEST_HARNESS_MAIN
