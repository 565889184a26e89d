// SPDX-License-Identifier: GPL-2.0
/*
 * MAP_DIRECT under concurrency, each case bounded to a few seconds and
 * checked against its final state:
 *
 * mmap_vs_truncate_fallocate: two threads loop mmap3(MAP_DIRECT), touch,
 *   munmap while one thread loops ftruncate() and another fallocate().
 *   Every refusal must be ETXTBSY, and no ftruncate/fallocate may succeed
 *   while a mapping certainly existed for the whole call: each mapping
 *   thread keeps a counter that is odd from just after mmap3 returned to
 *   just before munmap, and the counter read before and after the call is
 *   compared (same odd value = mapped throughout).  The main thread makes
 *   short quiet periods without mappings, so that both outcomes happen.
 *   At the end the file is not sealed and its data is intact.
 *
 * exit_vs_truncate: the same with the mappings made by short-lived child
 *   processes that exit without munmap (the seal goes with the exit).
 *
 * write_fault_vs_mmap: a thread write()s into the file from a buffer that
 *   is a fresh, unfaulted MAP_SHARED mapping of the same file (the write
 *   holds i_rwsem and then faults, taking mmap_lock), while another thread
 *   of the same process loops mmap3(MAP_DIRECT)/munmap (mmap_lock, then
 *   whatever ->mmap and ->close take).  The 2017 code took i_rwsem under
 *   mmap_lock: an ABBA deadlock.  No errno is acceptable for the writes:
 *   they are inside EOF over written blocks, which the seal allows.  A hang
 *   is reported after a deadline (the harness timeout is the backstop).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "../kselftest_harness.h"
#include "map_direct.h"

#define SIZE		(16 * MD_PAGE)
#define NMAP		2
#define RUN_MS		2500
#define PERIOD_MS	100
#define QUIET_MS	30
#define JOIN_S		30	/* a thread not done by then is stuck */

#define RW		(PROT_READ | PROT_WRITE)
#define DIRECT		(MAP_SHARED | MAP_DIRECT)

FIXTURE(race) {
	const char *dir;
	char path[PATH_MAX];
	int fd;
};

FIXTURE_VARIANT(race) {
	struct md_fs fs;
};

FIXTURE_VARIANT_ADD(race, dax_xfs) { .fs = MD_FS_DAX_XFS };
FIXTURE_VARIANT_ADD(race, dax_ext4) { .fs = MD_FS_DAX_EXT4 };

FIXTURE_SETUP(race)
{
	char why[256];

	self->fd = -1;
	if (!md_have_map_direct(why, sizeof(why)))
		SKIP(return, "%s", why);
	self->dir = md_mount(&variant->fs, why, sizeof(why));
	if (!self->dir)
		SKIP(return, "%s", why);
	self->fd = md_create_written(self->dir, "race", self->path, SIZE, 1);
	ASSERT_LE(0, self->fd) TH_LOG("create a file in %s: %s", self->dir,
				      strerror(-self->fd));
}

/* In the harness's process: see map_direct.h. */
FIXTURE_TEARDOWN_PARENT(race)
{
	if (self->path[0])
		unlink(self->path);
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Join @t, giving up after JOIN_S seconds: 0 or an errno (ETIMEDOUT). */
static int join_bounded(pthread_t t)
{
	struct timespec deadline;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += JOIN_S;
	return pthread_timedjoin_np(t, NULL, &deadline);
}

/* --- mappings vs ftruncate/fallocate --------------------------------------- */

struct race {
	int fd;
	atomic_bool stop;
	atomic_bool quiet;
	atomic_ulong live[NMAP];	/* odd: mapping i certainly exists */
	atomic_ulong maps, map_fail, trunc_ok, trunc_busy, falloc_ok, falloc_busy;
	atomic_ulong other, violations;
	atomic_int map_errno, other_errno, other_op;	/* last bad ones */
};

struct mapper_arg {
	struct race *r;
	int i;
};

static void *mapper(void *arg)
{
	struct mapper_arg *a = arg;
	struct race *r = a->r;
	volatile unsigned char *p;
	unsigned char v;

	while (!r->stop) {
		if (r->quiet) {
			usleep(200);
			continue;
		}
		p = md_mmap3(NULL, SIZE, RW, DIRECT, r->fd, 0);
		if (p == MAP_FAILED) {
			r->map_errno = errno;
			r->map_fail++;
			usleep(200);
			continue;
		}
		r->live[a->i]++;		/* odd */
		r->maps++;
		v = p[0];
		p[0] = v;			/* written block: no fault */
		v = p[SIZE - 1];
		r->live[a->i]++;		/* even */
		munmap((void *)p, SIZE);
	}
	return NULL;
}

/* A call that overlapped a mapping that existed all along: a violation. */
static void check_window(struct race *r, const unsigned long *before)
{
	int i;

	for (i = 0; i < NMAP; i++)
		if ((before[i] & 1) && r->live[i] == before[i])
			r->violations++;
}

static void snap(struct race *r, unsigned long *s)
{
	int i;

	for (i = 0; i < NMAP; i++)
		s[i] = r->live[i];
}

/* Refused: ETXTBSY, counted; any other errno is recorded. */
static void refused(struct race *r, atomic_ulong *busy, int err, int op)
{
	if (err == ETXTBSY) {
		(*busy)++;
		return;
	}
	r->other_errno = err;
	r->other_op = op;
	r->other++;
}

static void *truncator(void *arg)
{
	struct race *r = arg;
	unsigned long before[NMAP];
	bool grow = true;

	while (!r->stop) {
		snap(r, before);
		if (!ftruncate(r->fd, SIZE + (grow ? MD_PAGE : 0))) {
			check_window(r, before);
			r->trunc_ok++;
			grow = !grow;
		} else {
			refused(r, &r->trunc_busy, errno, 't');
		}
	}
	return NULL;
}

static void *fallocator(void *arg)
{
	struct race *r = arg;
	unsigned long before[NMAP];
	bool alloc = true;
	int mode;

	while (!r->stop) {
		/* beyond EOF, never inside the mapped range */
		mode = alloc ? FALLOC_FL_KEEP_SIZE :
		       FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
		snap(r, before);
		if (!fallocate(r->fd, mode, 2 * SIZE, SIZE)) {
			check_window(r, before);
			r->falloc_ok++;
			alloc = !alloc;
		} else {
			refused(r, &r->falloc_busy, errno, 'f');
		}
	}
	return NULL;
}

/* Quiet periods without mappings, RUN_MS in all. */
static void run_periods(struct race *r)
{
	unsigned int t;

	for (t = 0; t < RUN_MS; t += PERIOD_MS) {
		r->quiet = false;
		sleep_ms(PERIOD_MS - QUIET_MS);
		r->quiet = true;
		sleep_ms(QUIET_MS);
	}
	r->stop = true;
}

static void check_race(struct __test_metadata *_metadata, struct race *r, int fd)
{
	struct stat st;

	TH_LOG("maps %lu (failed %lu), ftruncate ok %lu / ETXTBSY %lu, fallocate ok %lu / ETXTBSY %lu",
	       (unsigned long)r->maps, (unsigned long)r->map_fail,
	       (unsigned long)r->trunc_ok, (unsigned long)r->trunc_busy,
	       (unsigned long)r->falloc_ok, (unsigned long)r->falloc_busy);
	EXPECT_EQ(0UL, (unsigned long)r->violations)
		TH_LOG("%lu ftruncate/fallocate calls succeeded while a MAP_DIRECT mapping existed throughout",
		       (unsigned long)r->violations);
	EXPECT_EQ(0UL, (unsigned long)r->other)
		TH_LOG("%lu refusals were not ETXTBSY; the last: %s by %s",
		       (unsigned long)r->other, md_errname(r->other_errno),
		       r->other_op == 't' ? "ftruncate" : "fallocate");
	EXPECT_EQ(0UL, (unsigned long)r->map_fail)
		TH_LOG("%lu mmap3 MAP_DIRECT calls failed; the last: %s",
		       (unsigned long)r->map_fail, md_errname(r->map_errno));
	EXPECT_LT(0UL, (unsigned long)r->maps);
	EXPECT_LT(0UL, r->trunc_busy + r->falloc_busy)
		TH_LOG("no refusal: the operations never met a mapping");
	EXPECT_LT(0UL, r->trunc_ok + r->falloc_ok)
		TH_LOG("no success: the quiet periods never let an operation through");

	EXPECT_SEAL(0, md_seal_state(fd), "after the race, all mappings gone");
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_TRUE(st.st_size == SIZE || st.st_size == SIZE + MD_PAGE)
		TH_LOG("size %lld", (long long)st.st_size);
	EXPECT_EQ(-1, md_read_check(fd, 0, SIZE, 1)) TH_LOG("the mapped range lost data");
}

TEST_F_TIMEOUT(race, mmap_vs_truncate_fallocate, 120)
{
	struct mapper_arg args[NMAP];
	pthread_t maps[NMAP], trunc, falloc;
	struct race *r;
	int i;

	r = calloc(1, sizeof(*r));
	ASSERT_NE(NULL, r);
	r->fd = self->fd;
	for (i = 0; i < NMAP; i++) {
		args[i].r = r;
		args[i].i = i;
		ASSERT_EQ(0, pthread_create(&maps[i], NULL, mapper, &args[i]));
	}
	ASSERT_EQ(0, pthread_create(&trunc, NULL, truncator, r));
	ASSERT_EQ(0, pthread_create(&falloc, NULL, fallocator, r));
	run_periods(r);
	for (i = 0; i < NMAP; i++)
		ASSERT_EQ(0, join_bounded(maps[i])) TH_LOG("a mapping thread is stuck");
	ASSERT_EQ(0, join_bounded(trunc)) TH_LOG("the ftruncate thread is stuck");
	ASSERT_EQ(0, join_bounded(falloc)) TH_LOG("the fallocate thread is stuck");
	check_race(_metadata, r, self->fd);
	free(r);
}

/* Children map and exit without munmap; counters in shared memory. */
static void *forker(void *arg)
{
	struct race *r = arg;
	volatile unsigned char *p;
	unsigned char v;
	int status;
	pid_t pid;

	while (!r->stop) {
		if (r->quiet) {
			usleep(200);
			continue;
		}
		pid = fork();
		if (pid < 0) {
			r->map_errno = errno;
			r->map_fail++;
			usleep(1000);
			continue;
		}
		if (pid == 0) {
			p = md_mmap3(NULL, SIZE, RW, DIRECT, r->fd, 0);
			if (p == MAP_FAILED) {
				r->map_errno = errno;
				r->map_fail++;
				_exit(1);
			}
			r->live[0]++;		/* odd */
			r->maps++;
			v = p[0];
			p[0] = v;
			r->live[0]++;		/* even; the exit unmaps */
			_exit(0);
		}
		waitpid(pid, &status, 0);
	}
	return NULL;
}

TEST_F_TIMEOUT(race, exit_vs_truncate, 120)
{
	pthread_t fork_thread, trunc;
	struct race *r;

	r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, r);
	memset(r, 0, sizeof(*r));
	r->fd = self->fd;
	ASSERT_EQ(0, pthread_create(&fork_thread, NULL, forker, r));
	ASSERT_EQ(0, pthread_create(&trunc, NULL, truncator, r));
	run_periods(r);
	ASSERT_EQ(0, join_bounded(fork_thread)) TH_LOG("the forking thread is stuck");
	ASSERT_EQ(0, join_bounded(trunc)) TH_LOG("the ftruncate thread is stuck");
	/* check_race() also wants fallocate successes: there are none here */
	TH_LOG("children mapped %lu times, ftruncate ok %lu / ETXTBSY %lu",
	       (unsigned long)r->maps, (unsigned long)r->trunc_ok,
	       (unsigned long)r->trunc_busy);
	EXPECT_EQ(0UL, (unsigned long)r->violations)
		TH_LOG("%lu ftruncate calls succeeded while a child's mapping existed throughout",
		       (unsigned long)r->violations);
	EXPECT_EQ(0UL, (unsigned long)r->other)
		TH_LOG("a refusal was not ETXTBSY: %s", md_errname(r->other_errno));
	EXPECT_EQ(0UL, (unsigned long)r->map_fail)
		TH_LOG("fork or mmap3 failed: %s", md_errname(r->map_errno));
	EXPECT_LT(0UL, (unsigned long)r->maps);
	EXPECT_LT(0UL, (unsigned long)r->trunc_ok) TH_LOG("no ftruncate got through");
	EXPECT_SEAL(0, md_seal_state(self->fd), "every child exited");
	EXPECT_EQ(-1, md_read_check(self->fd, 0, SIZE, 1));
	munmap(r, sizeof(*r));
}

/* --- write(2) faulting on the same file vs mmap3/munmap ------------------- */

struct wrace {
	int fd;		/* mappings */
	int wfd;	/* the writer's own fd */
	atomic_bool stop;
	atomic_ulong writes, maps, bad_writes, map_fail;
	atomic_long bad_result;
	atomic_int bad_errno, map_errno;
};

static void *writer(void *arg)
{
	struct wrace *w = arg;
	unsigned char *q;
	ssize_t n;

	while (!w->stop) {
		/* a fresh mapping: its first access faults inside write() */
		q = mmap(NULL, SIZE, PROT_READ, MAP_SHARED, w->fd, 0);
		if (q == MAP_FAILED) {
			w->bad_errno = errno;
			w->bad_writes++;
			continue;
		}
		/* the second half holds the same bytes as the first */
		n = -1;
		if (lseek(w->wfd, 0, SEEK_SET) == 0)
			n = write(w->wfd, q + SIZE / 2, SIZE / 2);
		if (n != SIZE / 2) {
			w->bad_result = n;
			w->bad_errno = n < 0 ? errno : 0;
			w->bad_writes++;
		}
		munmap(q, SIZE);
		w->writes++;
	}
	return NULL;
}

static void *direct_mapper(void *arg)
{
	struct wrace *w = arg;
	volatile unsigned char *p;
	unsigned char v;

	while (!w->stop) {
		p = md_mmap3(NULL, 4 * MD_PAGE, RW, DIRECT, w->fd, 0);
		if (p == MAP_FAILED) {
			w->map_errno = errno;
			w->map_fail++;
			continue;
		}
		v = p[0];
		(void)v;
		munmap((void *)p, 4 * MD_PAGE);
		w->maps++;
	}
	return NULL;
}

TEST_F_TIMEOUT(race, write_fault_vs_mmap, 120)
{
	unsigned long last_w = 0, last_m = 0, stalled = 0;
	unsigned char *half;
	pthread_t wt, mt;
	struct wrace *w;
	unsigned int t;

	/* both halves of the file hold the same bytes */
	half = malloc(SIZE / 2);
	ASSERT_NE(NULL, half);
	md_fill(half, 0, SIZE / 2, 1);
	ASSERT_EQ((ssize_t)(SIZE / 2), pwrite(self->fd, half, SIZE / 2, SIZE / 2));
	ASSERT_EQ(0, fsync(self->fd));

	w = calloc(1, sizeof(*w));
	ASSERT_NE(NULL, w);
	w->fd = self->fd;
	w->wfd = open(self->path, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, w->wfd);
	ASSERT_EQ(0, pthread_create(&wt, NULL, writer, w));
	ASSERT_EQ(0, pthread_create(&mt, NULL, direct_mapper, w));
	for (t = 0; t < RUN_MS; t += PERIOD_MS) {
		sleep_ms(PERIOD_MS);
		/* both sides must keep going */
		if (w->writes == last_w || w->maps == last_m)
			stalled++;
		else
			stalled = 0;
		last_w = w->writes;
		last_m = w->maps;
	}
	w->stop = true;
	ASSERT_EQ(0, join_bounded(wt))
		TH_LOG("write() is stuck (%lu writes, %lu mappings): i_rwsem taken under mmap_lock?",
		       (unsigned long)w->writes, (unsigned long)w->maps);
	ASSERT_EQ(0, join_bounded(mt))
		TH_LOG("mmap3/munmap is stuck (%lu writes, %lu mappings): i_rwsem taken under mmap_lock?",
		       (unsigned long)w->writes, (unsigned long)w->maps);
	TH_LOG("%lu writes, %lu MAP_DIRECT mappings; longest stall %lu ms",
	       (unsigned long)w->writes, (unsigned long)w->maps, stalled * PERIOD_MS);
	EXPECT_LT(0UL, (unsigned long)w->writes);
	EXPECT_LT(0UL, (unsigned long)w->maps);
	EXPECT_EQ(0UL, (unsigned long)w->bad_writes)
		TH_LOG("%lu writes did not write %lu bytes; the last returned %ld (%s)",
		       (unsigned long)w->bad_writes, SIZE / 2, (long)w->bad_result,
		       md_errname(w->bad_errno));
	EXPECT_EQ(0UL, (unsigned long)w->map_fail)
		TH_LOG("mmap3 MAP_DIRECT failed: %s", md_errname(w->map_errno));
	EXPECT_SEAL(0, md_seal_state(self->fd), "after the race");
	EXPECT_EQ(-1, md_read_check(self->fd, 0, SIZE / 2, 1));
	ASSERT_EQ((ssize_t)(SIZE / 2), pread(self->fd, half, SIZE / 2, SIZE / 2));
	EXPECT_EQ(-1, md_check(half, 0, SIZE / 2, 1)) TH_LOG("the second half changed");
	close(w->wfd);
	free(w);
	free(half);
}

TEST_HARNESS_MAIN
