// SPDX-License-Identifier: GPL-2.0
/*
 * Memory failure (poison) under a MAP_DIRECT mapping, injected with
 * madvise(MADV_HWPOISON) (CAP_SYS_ADMIN, CONFIG_MEMORY_FAILURE; a kernel
 * without it refuses MADV_HWPOISON with EINVAL and every test here fails).
 *
 * What the kernel does with a poisoned fsdax page (mm/memory-failure.c):
 * madvise_inject_error() pins the page and calls memory_failure() with
 * MF_ACTION_REQUIRED.  A pmem page is ZONE_DEVICE, so the work goes to
 * memory_failure_dev_pagemap(): the pmem driver asks the filesystem that
 * holds the dax device (dax_holder_notify_failure()).  XFS with the
 * reverse-mapping btree (mkfs -m rmapbt=1) finds the owners itself
 * (xfs_dax_notify_failure() -> mf_dax_kill_procs()); XFS without rmapbt
 * and ext4 answer EOPNOTSUPP and mf_generic_kill_procs() uses the page's
 * mapping and index instead.  Either way the page is marked HWPoison, its
 * PTEs are zapped in every process (unmap_mapping_range()) and
 * kill_proc() signals the processes that map it:
 *  - the injecting process, which counts as the one that touched the
 *    page (task_early_kill() with force_early), gets SIGBUS with
 *    BUS_MCEERR_AR (MF_ACTION_REQUIRED and t == current), forced, on its
 *    way out of madvise();
 *  - another process gets SIGBUS with BUS_MCEERR_AO only if it asked for
 *    early kill (prctl PR_MCE_KILL_EARLY), else nothing now;
 *  - si_addr is the page in that process, si_addr_lsb the size of the
 *    mapping that maps it (dev_pagemap_mapping_shift(): PAGE_SHIFT here;
 *    a process whose page table does not map the page is not signalled).
 * The VMAs stay, so the seal does too.  The kernel log gets these lines
 * and no splat:
 *   Injecting memory failure for pfn 0x<pfn> at process virtual address 0x<addr>
 *   Memory failure: 0x<pfn>: Sending SIGBUS to <comm>:<pid> due to hardware memory corruption
 *   Memory failure: 0x<pfn>: recovery action for dax page: Recovered
 * Injected poison leaves the pmem badblocks list alone, so the page's
 * data can still be read (only a real machine check records bad blocks
 * that make dax_direct_access() fail).
 *
 * Each test poisons one page of its own file: a poisoned pmem page stays
 * poisoned until the next boot recreates the NVDIMMs.
 */
#define _GNU_SOURCE
#include <sys/prctl.h>

#include "../kselftest_harness.h"
#include "map_direct.h"

#ifndef MADV_HWPOISON
#define MADV_HWPOISON	100
#endif
#ifndef BUS_MCEERR_AR
#define BUS_MCEERR_AR	4
#define BUS_MCEERR_AO	5
#endif

#define PG		MD_PAGE
#define PAGES		8
#define LEN		(PAGES * PG)
#define VICTIM		3	/* the page that is poisoned */
#define RW		(PROT_READ | PROT_WRITE)
#define SEED		7
#define NEW_SEED	8
#define PG_SHIFT	__builtin_ctzl(MD_PAGE)

/* --- the kernel log ----------------------------------------------------- */

/* /dev/kmsg positioned at its end: what is logged from now on; or -errno. */
static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	lseek(fd, 0, SEEK_END);
	return fd;
}

/* The messages logged since kmsg_open(), one per line, into @buf. */
static void kmsg_read(int fd, char *buf, size_t size)
{
	char rec[4096], *msg;
	size_t used = 0;
	ssize_t n;

	buf[0] = 0;
	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* records overwritten meanwhile */
		if (n <= 0)
			break;
		rec[n] = 0;
		msg = strchr(rec, ';');
		if (!msg)
			continue;
		msg[strcspn(msg, "\n")] = 0;
		if (used + strlen(msg) + 1 >= size)
			break;
		used += sprintf(buf + used, "%s\n", msg + 1);
	}
}

/* The first line of @log that contains @what, or NULL. */
static const char *log_line(const char *log, const char *what, char *line,
			    size_t len)
{
	const char *p = strstr(log, what), *start;

	if (!p)
		return NULL;
	for (start = p; start > log && start[-1] != '\n'; start--)
		;
	snprintf(line, len, "%.*s", (int)strcspn(start, "\n"), start);
	return line;
}

/* A kernel splat in @log: its first line, or NULL. */
static const char *log_splat(const char *log, char *line, size_t len)
{
	static const char * const bad[] = {
		"WARNING:", "BUG:", "Call Trace", "Oops", "general protection",
		"forcibly killing", "Cannot send advisory",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		if (log_line(log, bad[i], line, len))
			return line;
	return NULL;
}

/* --- injection ----------------------------------------------------------- */

static volatile sig_atomic_t bus_count;
static volatile int bus_code, bus_lsb;
static void *volatile bus_addr;

/* The SIGBUS of a poison arrives on the way out of madvise(): return. */
static void bus_handler(int sig, siginfo_t *si, void *uc)
{
	bus_count++;
	bus_code = si->si_code;
	bus_addr = si->si_addr;
	bus_lsb = si->si_addr_lsb;
}

/* madvise(MADV_HWPOISON) of the page at @p, SIGBUS caught: 0 or errno. */
static int poison(void *p)
{
	struct sigaction sa, old;
	int ret;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = bus_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old);
	bus_count = 0;
	bus_code = 0;
	bus_lsb = 0;
	bus_addr = NULL;
	ret = MD_ERRNO(madvise(p, PG, MADV_HWPOISON));
	sigaction(SIGBUS, &old, NULL);
	return ret;
}

static const char *bus_code_str(int code)
{
	if (code == BUS_MCEERR_AR)
		return "BUS_MCEERR_AR";
	if (code == BUS_MCEERR_AO)
		return "BUS_MCEERR_AO";
	return "another si_code";
}

/* Poison the victim page of @map; assert the injector's SIGBUS. */
#define POISON_VICTIM(map) do {						\
	void *__v = (map) + VICTIM * PG;				\
	int __r = poison(__v);						\
	ASSERT_ERRNO(0, __r,						\
		     "madvise(MADV_HWPOISON) of a MAP_DIRECT page (CONFIG_MEMORY_FAILURE?)"); \
	ASSERT_EQ(1, bus_count) TH_LOG("SIGBUS signals to the injecting process");	\
	EXPECT_EQ(BUS_MCEERR_AR, bus_code)				\
		TH_LOG("si_code %d (%s), expected BUS_MCEERR_AR",	\
		       bus_code, bus_code_str(bus_code));		\
	EXPECT_EQ(__v, bus_addr) TH_LOG("si_addr");			\
	EXPECT_EQ(PG_SHIFT, bus_lsb) TH_LOG("si_addr_lsb: a page-sized mapping"); \
} while (0)

/* --- the fixture --------------------------------------------------------- */

FIXTURE(poison) {
	char path[PATH_MAX];
	const char *dir;
	int fd;
	unsigned char *map;
};

FIXTURE_VARIANT(poison) {
	struct md_fs fs;
};

FIXTURE_VARIANT_ADD(poison, dax_xfs) { .fs = MD_FS_DAX_XFS };
FIXTURE_VARIANT_ADD(poison, dax_ext4) { .fs = MD_FS_DAX_EXT4 };

/* A written file of PAGES pages, mapped MAP_DIRECT, every page faulted in. */
FIXTURE_SETUP(poison)
{
	char why[256];

	self->fd = -1;
	if (!md_have_map_direct(why, sizeof(why)))
		SKIP(return, "%s", why);
	self->dir = md_mount(&variant->fs, why, sizeof(why));
	if (!self->dir)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, md_map_direct_written(self->dir, "poison", self->path, LEN,
					   SEED, &self->fd, &self->map, why,
					   sizeof(why))) TH_LOG("%s", why);
	ASSERT_SEAL(1, md_seal_state(self->fd), "mapped MAP_DIRECT");
}

/* Teardowns run in the harness's process: see map_direct.h. */
FIXTURE_TEARDOWN_PARENT(poison)
{
	if (self->path[0])
		unlink(self->path);
}

/* --- the tests ------------------------------------------------------------- */

/*
 * The injecting process gets SIGBUS BUS_MCEERR_AR for the page, and the
 * kernel logs the injection, the signal and a recovered dax page.
 */
TEST_F(poison, madvise_hwpoison_sigbus_mceerr_ar)
{
	char log[16384], line[512], want[128];
	const char *l;
	unsigned long pfn;
	int kfd = kmsg_open(), n;

	ASSERT_LE(0, kfd) TH_LOG("open /dev/kmsg: %s", md_errname(kfd));
	POISON_VICTIM(self->map);
	kmsg_read(kfd, log, sizeof(log));
	close(kfd);

	snprintf(want, sizeof(want), "at process virtual address %#lx",
		 (unsigned long)(self->map + VICTIM * PG));
	l = log_line(log, want, line, sizeof(line));
	ASSERT_NE(NULL, l) TH_LOG("no \"Injecting memory failure ... %s\" in the log:\n%s",
				  want, log);
	n = sscanf(l, "Injecting memory failure for pfn %lx", &pfn);
	ASSERT_EQ(1, n) TH_LOG("%s", l);
	snprintf(want, sizeof(want), "%#lx: Sending SIGBUS to ", pfn);
	l = log_line(log, want, line, sizeof(line));
	EXPECT_NE(NULL, l) TH_LOG("no \"%s\" in the log:\n%s", want, log);
	snprintf(want, sizeof(want), ":%d due to hardware memory corruption", getpid());
	EXPECT_TRUE(l && strstr(l, want))
		TH_LOG("the SIGBUS goes to another process: %s", l ? l : "(none)");
	snprintf(want, sizeof(want), "%#lx: recovery action for dax page: Recovered", pfn);
	EXPECT_NE(NULL, log_line(log, want, line, sizeof(line)))
		TH_LOG("no \"%s\" in the log:\n%s", want, log);
	EXPECT_EQ(NULL, log_splat(log, line, sizeof(line))) TH_LOG("%s", line);
}

/*
 * The seal is counted per VMA and poison removes no VMA: still sealed, the
 * VMA still a single MAP_DIRECT one; unsealed after munmap.
 */
TEST_F(poison, seal_kept_until_munmap)
{
	char flags[512];

	POISON_VICTIM(self->map);
	EXPECT_SEAL(1, md_seal_state(self->fd), "after the poison");
	EXPECT_EQ(1, md_count_vmas(self->map, LEN)) TH_LOG("VMAs over the mapping");
	ASSERT_EQ(0, md_vmflags(self->map, flags, sizeof(flags)));
	EXPECT_NE(NULL, strstr(flags, " md")) TH_LOG("VmFlags:%s", flags);
	ASSERT_EQ(0, munmap(self->map, LEN));
	EXPECT_SEAL(0, md_seal_state(self->fd), "after munmap");
}

/* The pages around the poisoned one read as before, mapped and with pread. */
TEST_F(poison, other_pages_stay_readable)
{
	unsigned int pg;
	int sig;

	POISON_VICTIM(self->map);
	for (pg = 0; pg < PAGES; pg++) {
		if (pg == VICTIM)
			continue;
		sig = md_guarded_read(self->map + pg * PG, PG);
		EXPECT_EQ(0, sig) TH_LOG("page %u: %s", pg, md_signame(sig));
		if (!sig)
			EXPECT_EQ(-1, md_check(self->map + pg * PG, pg * PG, PG, SEED))
				TH_LOG("page %u: mapped data changed", pg);
		EXPECT_EQ(-1, md_read_check(self->fd, pg * PG, PG, SEED))
			TH_LOG("page %u: pread data changed", pg);
	}
	EXPECT_SEAL(1, md_seal_state(self->fd), "after reading");
}

/*
 * Injected poison zaps the page's PTE but records no bad block: touching
 * the page faults it in again (no second signal), and its data is intact.
 */
TEST_F(poison, poisoned_page_faults_in_again)
{
	unsigned char *v = self->map + VICTIM * PG;
	int sig;

	POISON_VICTIM(self->map);
	sig = md_guarded_read(v, PG);
	EXPECT_EQ(0, sig) TH_LOG("reading the poisoned page: %s", md_signame(sig));
	if (!sig)
		EXPECT_EQ(-1, md_check(v, VICTIM * PG, PG, SEED));
	EXPECT_EQ(-1, md_read_check(self->fd, VICTIM * PG, PG, SEED))
		TH_LOG("pread of the poisoned page");
	EXPECT_SEAL(1, md_seal_state(self->fd), "after touching the page");
}

/*
 * After munmap the file is unsealed and usable: pwrite over the poisoned
 * page, punch it out and write it again, map the file MAP_DIRECT again.
 */
TEST_F(poison, file_usable_after_munmap)
{
	unsigned char *p;
	int err, sig;

	POISON_VICTIM(self->map);
	ASSERT_EQ(0, munmap(self->map, LEN));
	EXPECT_SEAL(0, md_seal_state(self->fd), "after munmap");

	err = md_write_pattern(self->fd, VICTIM * PG, PG, NEW_SEED);
	EXPECT_ERRNO(0, err, "pwrite over the poisoned page");
	EXPECT_EQ(-1, md_read_check(self->fd, VICTIM * PG, PG, NEW_SEED))
		TH_LOG("read back the rewritten page");

	err = MD_ERRNO(fallocate(self->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				 VICTIM * PG, PG));
	EXPECT_ERRNO(0, err, "punch the poisoned page out");
	EXPECT_EQ(MD_HOLE, md_fd_range(self->fd, VICTIM * PG, PG));
	err = md_write_pattern(self->fd, VICTIM * PG, PG, SEED);
	EXPECT_ERRNO(0, err, "write the page again");
	EXPECT_EQ(0, fsync(self->fd));

	p = md_mmap3(NULL, LEN, RW, MAP_SHARED | MAP_DIRECT, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap3 MAP_DIRECT again: %s", md_errname(errno));
	EXPECT_SEAL(1, md_seal_state(self->fd), "mapped again");
	sig = md_guarded_read(p, LEN);
	EXPECT_EQ(0, sig) TH_LOG("read the new mapping: %s", md_signame(sig));
	if (!sig)
		EXPECT_EQ(-1, md_check(p, 0, LEN, SEED)) TH_LOG("data of the new mapping");
	ASSERT_EQ(0, munmap(p, LEN));
	EXPECT_SEAL(0, md_seal_state(self->fd), "after the second munmap");
}

/* What the early-kill process saw: its SIGBUS, relative to its mapping. */
struct early_report {
	int code;
	int lsb;
	long offset;
};

/*
 * A process that asked for early kill, with its own MAP_DIRECT mapping of
 * the file: tell the parent when the page is mapped, then wait (SIGBUS
 * blocked) for the signal and report it.  It dies with the test process.
 */
static int early_child(const char *path, int ready_fd, int report_fd)
{
	struct early_report rep = { .code = -1 };
	struct timespec ts = { .tv_sec = 20 };
	unsigned char *p;
	siginfo_t si;
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGBUS);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) ||
	    prctl(PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_EARLY, 0, 0) ||
	    sigprocmask(SIG_BLOCK, &set, NULL))
		return MD_CHILD_SETUP_FAILED;
	fd = open(path, O_RDWR | O_CLOEXEC);
	p = fd < 0 ? MAP_FAILED : md_mmap3(NULL, LEN, RW, MAP_SHARED | MAP_DIRECT, fd, 0);
	if (p == MAP_FAILED || md_guarded_read(p, LEN))
		return MD_CHILD_SETUP_FAILED;
	md_send_int(ready_fd, 0);
	if (sigtimedwait(&set, &si, &ts) == SIGBUS) {
		rep.code = si.si_code;
		rep.lsb = si.si_addr_lsb;
		rep.offset = (unsigned char *)si.si_addr - p;
	}
	return write(report_fd, &rep, sizeof(rep)) == sizeof(rep) ? 0 : MD_CHILD_SETUP_FAILED;
}

/*
 * Another process mapping the page MAP_DIRECT with PR_MCE_KILL_EARLY gets
 * SIGBUS BUS_MCEERR_AO for its own address; each mapping holds the seal.
 */
TEST_F(poison, early_kill_process_gets_mceerr_ao)
{
	struct early_report rep = { .code = -1 };
	int ready[2], report[2], status, val;
	pid_t pid;

	ASSERT_EQ(0, pipe2(ready, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(report, O_CLOEXEC));
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(early_child(self->path, ready[1], report[1]));
	close(ready[1]);
	close(report[1]);
	ASSERT_EQ(0, md_recv_int(ready[0], &val))
		TH_LOG("the early-kill child did not map the file");

	POISON_VICTIM(self->map);
	EXPECT_EQ((ssize_t)sizeof(rep), read(report[0], &rep, sizeof(rep)));
	EXPECT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(BUS_MCEERR_AO, rep.code)
		TH_LOG("the early-kill process: si_code %d (%s)%s", rep.code,
		       bus_code_str(rep.code), rep.code == -1 ? ", no SIGBUS within 20 s" : "");
	EXPECT_EQ((long)(VICTIM * PG), rep.offset) TH_LOG("its si_addr, from its mapping");
	EXPECT_EQ(PG_SHIFT, rep.lsb) TH_LOG("its si_addr_lsb");

	EXPECT_SEAL(1, md_seal_state(self->fd), "the child is gone, our mapping is left");
	ASSERT_EQ(0, munmap(self->map, LEN));
	EXPECT_SEAL(0, md_seal_state(self->fd), "after munmap");
}

TEST_HARNESS_MAIN
