/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the map_direct selftests (MAP_DIRECT, mmap3, S_IOMAP_SEALED,
 * F_MAP_DIRECT).  The ABI under test, as Documentation/userspace-api/mmap3.rst
 * describes it:
 *
 *   mmap3(addr, len, prot, flags, fd, pgoff)  syscall 463, offset in pages
 *   MAP_DIRECT                                 0x400000
 *   F_MAP_DIRECT                               F_LINUX_SPECIFIC_BASE + 15
 *
 * A kernel without MAP_DIRECT support has no mmap3 (ENOSYS; on 6.13+
 * kernels 463 is setxattrat and fails differently) and no F_MAP_DIRECT
 * (EINVAL): every test then SKIPs and says why.  The seal has no interface
 * of its own; it is probed with ftruncate(fd, current size), which fails
 * with ETXTBSY on a sealed file and succeeds (changing nothing) on any
 * other.
 */
#ifndef MAP_DIRECT_H
#define MAP_DIRECT_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <linux/mman.h>		/* the (patched) uapi MAP_DIRECT, if any */

#include "md_test.h"
#include "md_fiemap.h"

/*
 * The 6.12 kselftest_harness.h wrapper of every TEST_F() sets its local
 * "child" between setjmp() and the longjmp() of a failed ASSERT, and GCC
 * warns about it (-Wclobbered) or not depending on what gets inlined into
 * the wrapper.  Where it is clobbered, the test process takes the parent's
 * path after a failed ASSERT and skips a FIXTURE_TEARDOWN(): the fixtures
 * here all use FIXTURE_TEARDOWN_PARENT(), which runs in any case (in the
 * harness's process, so it only unlinks files and never closes the test's
 * file descriptors).  The variable is the harness's: silence the warning.
 */
#ifndef __clang__
#pragma GCC diagnostic ignored "-Wclobbered"
#endif

/* --- ABI numbers ----------------------------------------------------------- */

#ifndef MAP_DIRECT
#define MAP_DIRECT		0x400000
#endif
#ifndef __NR_mmap3
#define __NR_mmap3		463
#endif
#ifndef F_MAP_DIRECT
#define F_MAP_DIRECT		1039	/* F_LINUX_SPECIFIC_BASE + 15 */
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE	0x03
#endif
#ifndef MAP_DROPPABLE
#define MAP_DROPPABLE		0x08
#endif
#ifndef MAP_SYNC
#define MAP_SYNC		0x080000
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif
#ifndef MAP_UNINITIALIZED
#define MAP_UNINITIALIZED	0x4000000
#endif
#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT		26
#endif
#ifndef MAP_HUGE_MASK
#define MAP_HUGE_MASK		0x3f
#endif
#ifndef MAP_32BIT
#define MAP_32BIT		0
#endif
#ifndef MAP_ABOVE4G
#if defined(__x86_64__) || defined(__i386__)
#define MAP_ABOVE4G		0x80
#else
#define MAP_ABOVE4G		0
#endif
#endif
#ifndef CAP_LINUX_IMMUTABLE
#define CAP_LINUX_IMMUTABLE	9
#endif
#ifndef FALLOC_FL_UNSHARE_RANGE
#define FALLOC_FL_UNSHARE_RANGE	0x40
#endif
#ifndef FIEMAP_EXTENT_SHARED
#define FIEMAP_EXTENT_SHARED	0x00002000
#endif

/* Every flag bit 6.12's mmap(2) knows, including the hugetlb size field. */
#define MD_LEGACY_MAP_BITS						\
	(MAP_SHARED | MAP_PRIVATE | MAP_SHARED_VALIDATE | MAP_DROPPABLE | \
	 MAP_FIXED | MAP_ANONYMOUS | MAP_32BIT | MAP_ABOVE4G |		\
	 MAP_GROWSDOWN | MAP_DENYWRITE | MAP_EXECUTABLE | MAP_LOCKED |	\
	 MAP_NORESERVE | MAP_POPULATE | MAP_NONBLOCK | MAP_STACK |	\
	 MAP_HUGETLB | MAP_SYNC | MAP_FIXED_NOREPLACE | MAP_UNINITIALIZED | \
	 (MAP_HUGE_MASK << MAP_HUGE_SHIFT))

_Static_assert(MAP_DIRECT == 0x400000,
	       "MAP_DIRECT is 0x400000 on every architecture");
_Static_assert((MAP_DIRECT & (MAP_DIRECT - 1)) == 0, "MAP_DIRECT is one bit");
_Static_assert(MAP_DIRECT != MAP_SYNC, "MAP_DIRECT must not be MAP_SYNC");
_Static_assert((MAP_DIRECT & MD_LEGACY_MAP_BITS) == 0,
	       "MAP_DIRECT overlaps a flag bit mmap(2) already knows");
_Static_assert(F_MAP_DIRECT == 1024 + 15,
	       "F_MAP_DIRECT is F_LINUX_SPECIFIC_BASE + 15");
#if defined(__x86_64__) || defined(__i386__)
_Static_assert(__NR_mmap3 == 463, "mmap3 is syscall 463");
#endif

/* --- errno and result formatting -------------------------------------- */

/* "ETXTBSY" for 25, "success" for 0. */
static inline const char *md_errname(int err)
{
	const char *name;

	if (err == 0)
		return "success";
	if (err < 0)
		err = -err;
	name = strerrorname_np(err);
	return name ? name : "unknown errno";
}

#define MD_ERRNO(expr) ((expr) ? errno : 0)

/* EXPECT/ASSERT an errno (0: success) with both values spelled out. */
#define EXPECT_ERRNO(want, got, fmt, ...) do {				\
	int __w = (want), __g = (got);					\
	EXPECT_EQ(__w, __g) TH_LOG(fmt ": got %s, expected %s",	\
		##__VA_ARGS__, md_errname(__g), md_errname(__w));	\
} while (0)
#define ASSERT_ERRNO(want, got, fmt, ...) do {				\
	int __w = (want), __g = (got);					\
	ASSERT_EQ(__w, __g) TH_LOG(fmt ": got %s, expected %s",	\
		##__VA_ARGS__, md_errname(__g), md_errname(__w));	\
} while (0)

/* --- mmap3 and the feature probes -------------------------------------- */

static inline void *md_mmap3(void *addr, size_t len, int prot, int flags,
			     int fd, unsigned long pgoff)
{
	long ret = syscall(__NR_mmap3, addr, len, prot, flags, fd, pgoff);

	return ret == -1 ? MAP_FAILED : (void *)ret;
}

/* mmap3() then munmap(): 0 if the mapping could be made, else its errno. */
static inline int md_try_mmap3(int fd, size_t len, int prot, int flags)
{
	void *p = md_mmap3(NULL, len, prot, flags, fd, 0);

	if (p == MAP_FAILED)
		return errno;
	munmap(p, len);
	return 0;
}

/*
 * true if the kernel has mmap3 and knows MAP_DIRECT.  Otherwise false and
 * the reason in @why.  A real mmap3 maps an anonymous page; anything else
 * behind syscall 463 (ENOSYS, or setxattrat on 6.13+) fails or returns
 * something that is not a mapping.  MAP_DIRECT is then known if an
 * anonymous MAP_DIRECT mapping is refused as anonymous (EINVAL) rather than
 * as an unknown flag (EOPNOTSUPP).  Must run with CAP_LINUX_IMMUTABLE.
 */
static inline bool md_have_map_direct(char *why, size_t len)
{
	int prot = PROT_READ | PROT_WRITE;
	void *p;
	int err;

	p = md_mmap3(NULL, MD_PAGE, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		err = errno;
		snprintf(why, len,
			 "kernel without MAP_DIRECT support: syscall %d (mmap3) fails with %s (%s)",
			 __NR_mmap3, md_errname(err), strerror(err));
		return false;
	}
	if (!p || ((unsigned long)p & (MD_PAGE - 1)) ||
	    msync(p, MD_PAGE, MS_ASYNC)) {
		snprintf(why, len,
			 "kernel without MAP_DIRECT support: syscall %d returned %p, not a mapping",
			 __NR_mmap3, p);
		return false;
	}
	munmap(p, MD_PAGE);
	p = md_mmap3(NULL, MD_PAGE, prot, MAP_SHARED | MAP_ANONYMOUS | MAP_DIRECT,
		     -1, 0);
	if (p != MAP_FAILED) {
		munmap(p, MD_PAGE);	/* a bug the tests report */
		return true;
	}
	if (errno == EOPNOTSUPP) {
		snprintf(why, len,
			 "mmap3 refuses MAP_DIRECT (%#x) as an unknown flag: kernel without MAP_DIRECT",
			 MAP_DIRECT);
		return false;
	}
	return true;
}

/*
 * true if fcntl(F_MAP_DIRECT) exists; the probe marks a throwaway open file
 * description of a new file in @dir.  Only EINVAL (unknown command) means
 * "absent": any other answer is left for the tests to judge.
 */
static inline bool md_have_f_map_direct(const char *dir, char *why,
					size_t len)
{
	char path[PATH_MAX];
	int fd, ret, err;

	fd = md_create(dir, "probe", path);
	if (fd < 0) {
		snprintf(why, len, "cannot create a probe file in %s: %s",
			 dir, strerror(errno));
		return false;
	}
	ret = fcntl(fd, F_MAP_DIRECT);
	err = errno;
	close(fd);
	unlink(path);
	if (ret == -1 && err == EINVAL) {
		snprintf(why, len,
			 "kernel without F_MAP_DIRECT: fcntl(fd, %d) fails with EINVAL",
			 F_MAP_DIRECT);
		return false;
	}
	return true;
}

/* --- the seal ------------------------------------------------------------ */

/*
 * 1 if the file behind @fd (open for writing) is sealed, 0 if not, -errno
 * if the probe itself fails: ftruncate() to the current size is refused
 * with ETXTBSY exactly when the block map is sealed
 * (Documentation/filesystems/dax.rst).
 */
static inline int md_seal_state(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (!ftruncate(fd, st.st_size))
		return 0;
	return errno == ETXTBSY ? 1 : -errno;
}

static inline int md_seal_state_path(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = md_seal_state(fd);
	close(fd);
	return ret;
}

static inline const char *md_seal_str(int state)
{
	if (state == 1)
		return "ETXTBSY: sealed";
	if (state == 0)
		return "success: not sealed";
	return md_errname(state);
}

#define EXPECT_SEAL(want, state, fmt, ...) do {				\
	int __s = (state);						\
	EXPECT_EQ((want), __s)						\
		TH_LOG(fmt ": the file should %sbe sealed (probe ftruncate(fd, size): %s)", \
		       ##__VA_ARGS__, (want) ? "" : "not ", md_seal_str(__s)); \
} while (0)
#define ASSERT_SEAL(want, state, fmt, ...) do {				\
	int __s = (state);						\
	ASSERT_EQ((want), __s)						\
		TH_LOG(fmt ": the file should %sbe sealed (probe ftruncate(fd, size): %s)", \
		       ##__VA_ARGS__, (want) ? "" : "not ", md_seal_str(__s)); \
} while (0)

/* --- guarded memory access (SIGBUS/SIGSEGV) ---------------------------- */

static sigjmp_buf md_fault_jmp;
static volatile sig_atomic_t md_fault_sig;
static void *volatile md_fault_addr;

static inline void md_fault_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	md_fault_sig = sig;
	md_fault_addr = si->si_addr;
	siglongjmp(md_fault_jmp, 1);
}

/*
 * Read (@write false, the byte goes to *@val) or write (*@val) the byte at
 * @p.  Returns 0, or the signal (SIGBUS, SIGSEGV) the access raised; the
 * faulting address is then in md_fault_addr.
 */
static inline int md_touch(volatile unsigned char *p, bool write,
			   unsigned char *val)
{
	struct sigaction sa, old_bus, old_segv;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = md_fault_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old_bus);
	sigaction(SIGSEGV, &sa, &old_segv);
	md_fault_sig = 0;
	md_fault_addr = NULL;
	if (!sigsetjmp(md_fault_jmp, 1)) {
		if (write)
			*p = *val;
		else
			*val = *p;
	}
	sigaction(SIGBUS, &old_bus, NULL);
	sigaction(SIGSEGV, &old_segv, NULL);
	return md_fault_sig;
}

/*
 * Fill [p, p + len) with pattern @seed (file offset @off), one guarded
 * store per byte of the first and every 64th byte, then memcpy the rest
 * once the page is known to be writable.  0 or the signal.
 */
static inline int md_guarded_fill(unsigned char *p, unsigned long off,
				  size_t len, unsigned int seed)
{
	size_t pg;

	for (pg = 0; pg < len; pg += MD_PAGE) {
		size_t n = len - pg < MD_PAGE ? len - pg : MD_PAGE;
		unsigned char v = md_pattern(off + pg, seed);
		int sig = md_touch(p + pg, true, &v);

		if (sig)
			return sig;
		md_fill(p + pg, off + pg, n, seed);
	}
	return 0;
}

/* Read every page of [p, p + len) guarded; 0 or the signal. */
static inline int md_guarded_read(unsigned char *p, size_t len)
{
	unsigned char v;
	size_t pg;
	int sig;

	for (pg = 0; pg < len; pg += MD_PAGE) {
		sig = md_touch(p + pg, false, &v);
		if (sig)
			return sig;
	}
	return 0;
}

static inline const char *md_signame(int sig)
{
	if (!sig)
		return "no signal";
	if (sig == SIGBUS)
		return "SIGBUS";
	if (sig == SIGSEGV)
		return "SIGSEGV";
	return strsignal(sig);
}

/* --- child processes, capabilities ------------------------------------- */

/* Exit codes a child uses for its own setup failures (not an errno). */
#define MD_CHILD_SETUP_FAILED	250
#define MD_CHILD_STILL_HAS_CAP	251
#define MD_CHILD_SIGNALLED	1000	/* + signal number */

/*
 * Run fn(arg) in a child process and return what it returned (0..255),
 * MD_CHILD_SIGNALLED + the signal if it died of one, or -errno if it
 * could not be started.  Children must not use the harness's ASSERT and
 * EXPECT (they would run the fixture teardown): they return a value that
 * the parent checks.
 */
static inline int md_in_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		_exit(fn(arg) & 0xff);
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return MD_CHILD_SIGNALLED + WTERMSIG(status);
	return -EIO;
}

static inline const char *md_child_str(int ret)
{
	static char buf[64];

	if (ret == MD_CHILD_SETUP_FAILED)
		return "the child's own setup failed (see its message)";
	if (ret == MD_CHILD_STILL_HAS_CAP)
		return "the child still has CAP_LINUX_IMMUTABLE after dropping it";
	if (ret >= MD_CHILD_SIGNALLED) {
		snprintf(buf, sizeof(buf), "child killed by %s",
			 strsignal(ret - MD_CHILD_SIGNALLED));
		return buf;
	}
	return md_errname(ret);
}

#define EXPECT_CHILD(want, got, fmt, ...) do {				\
	int __w = (want), __g = (got);					\
	EXPECT_EQ(__w, __g) TH_LOG(fmt ": got %s, expected %s",	\
		##__VA_ARGS__, md_child_str(__g), md_errname(__w));	\
} while (0)

static inline int md_capget(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};

	return syscall(SYS_capget, &hdr, data) ? -errno : 0;
}

/* 1 if @cap is in the effective set, 0 if not, -errno. */
static inline int md_cap_effective(int cap)
{
	struct __user_cap_data_struct data[2];
	int ret = md_capget(data);

	if (ret)
		return ret;
	return !!(data[cap >> 5].effective & (1U << (cap & 31)));
}

/* Drop @cap from the effective, permitted and inheritable sets. */
static inline int md_cap_drop(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];
	__u32 bit = 1U << (cap & 31);
	int ret = md_capget(data);

	if (ret)
		return ret;
	data[cap >> 5].effective &= ~bit;
	data[cap >> 5].permitted &= ~bit;
	data[cap >> 5].inheritable &= ~bit;
	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

#define MD_NOBODY 65534

/*
 * Become uid/gid 65534 with no supplementary groups: the kernel clears
 * every capability on the transition from uid 0.  0 or -errno.
 */
static inline int md_become_nobody(void)
{
	if (setgroups(0, NULL) || setresgid(MD_NOBODY, MD_NOBODY, MD_NOBODY) ||
	    setresuid(MD_NOBODY, MD_NOBODY, MD_NOBODY))
		return -errno;
	return 0;
}

/* A child's check that it really lost CAP_LINUX_IMMUTABLE. */
static inline int md_child_lost_cap(void)
{
	int eff = md_cap_effective(CAP_LINUX_IMMUTABLE);

	if (eff < 0) {
		fprintf(stderr, "# child: capget: %s\n", strerror(-eff));
		return MD_CHILD_SETUP_FAILED;
	}
	return eff ? MD_CHILD_STILL_HAS_CAP : 0;
}

/* Blocking read/write of an int over a pipe or socket; 0 or -1. */
static inline int md_send_int(int fd, int val)
{
	return write(fd, &val, sizeof(val)) == sizeof(val) ? 0 : -1;
}

static inline int md_recv_int(int fd, int *val)
{
	return read(fd, val, sizeof(*val)) == sizeof(*val) ? 0 : -1;
}

/* Who a child becomes before it tries something. */
enum md_who {
	MD_AS_ROOT,	/* unchanged: uid 0 with every capability */
	MD_AS_NO_CAP,	/* uid 0 without CAP_LINUX_IMMUTABLE (capset) */
	MD_AS_NOBODY,	/* uid/gid 65534: no capabilities at all */
};

#define AS_ROOT		MD_AS_ROOT
#define AS_NO_CAP	MD_AS_NO_CAP
#define AS_NOBODY	MD_AS_NOBODY

/* In a child: drop what @who says; 0 or an MD_CHILD_* code. */
static inline int md_child_become(enum md_who who)
{
	if (who == MD_AS_NO_CAP && md_cap_drop(CAP_LINUX_IMMUTABLE)) {
		fprintf(stderr, "# child: capset: %s\n", strerror(errno));
		return MD_CHILD_SETUP_FAILED;
	}
	if (who == MD_AS_NOBODY && md_become_nobody()) {
		fprintf(stderr, "# child: setresuid(65534): %s\n", strerror(errno));
		return MD_CHILD_SETUP_FAILED;
	}
	return who == MD_AS_ROOT ? 0 : md_child_lost_cap();
}

/* A child that holds on (to a mapping, say) until it is told to go. */
struct md_holder {
	pid_t pid;
	int to_child;
	int from_child;
};

/*
 * Fork; the child runs @ready(@arg), reports its result and waits until
 * the parent closes its end (md_holder_stop) before exiting with 0.
 * Returns the child's result or -errno.
 */
static inline int md_holder_start(struct md_holder *h, int (*ready)(void *),
				  void *arg)
{
	int up[2], down[2], val;
	char c;

	h->pid = -1;
	h->to_child = -1;
	h->from_child = -1;
	if (pipe2(up, O_CLOEXEC) || pipe2(down, O_CLOEXEC))
		return -errno;
	fflush(NULL);
	h->pid = fork();
	if (h->pid < 0)
		return -errno;
	if (h->pid == 0) {
		close(up[0]);
		close(down[1]);
		md_send_int(up[1], ready(arg));
		while (read(down[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	h->to_child = down[1];
	h->from_child = up[0];
	if (md_recv_int(h->from_child, &val))
		return -EIO;
	return val;
}

/* Let the child exit and reap it: its exit code, or 1000 + signal. */
static inline int md_holder_stop(struct md_holder *h)
{
	int status;

	if (h->pid < 0)
		return -ECHILD;
	close(h->to_child);
	close(h->from_child);
	if (waitpid(h->pid, &status, 0) != h->pid)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) :
	       MD_CHILD_SIGNALLED + WTERMSIG(status);
}

/* --- files ---------------------------------------------------------------- */

/* The block-map state of a byte range, from a FIEMAP result. */
enum md_range { MD_HOLE, MD_WRITTEN, MD_UNWRITTEN, MD_MIXED };

static inline const char *md_range_str(int r)
{
	static const char * const names[] = {
		"a hole", "written", "unwritten", "partly mapped or mixed",
	};

	return names[r];
}

/* The state (enum md_range) of [off, off + len) in a FIEMAP result. */
static inline int md_range_kind(const struct md_extent *ext, int n,
				__u64 off, __u64 len)
{
	__u64 covered = 0, unwritten = 0;
	int i;

	for (i = 0; i < n; i++) {
		__u64 s = ext[i].logical, e = s + ext[i].length;

		if (e <= off || s >= off + len)
			continue;
		if (s < off)
			s = off;
		if (e > off + len)
			e = off + len;
		covered += e - s;
		if (ext[i].flags & FIEMAP_EXTENT_UNWRITTEN)
			unwritten += e - s;
	}
	if (!covered)
		return MD_HOLE;
	if (covered == len && !unwritten)
		return MD_WRITTEN;
	if (covered == len && unwritten == len)
		return MD_UNWRITTEN;
	return MD_MIXED;
}

/* The state (enum md_range) of [off, off + len) of @fd; MD_MIXED if FIEMAP fails. */
static inline int md_fd_range(int fd, __u64 off, __u64 len)
{
	struct md_extent ext[MD_MAX_EXTENTS];
	int n = md_fiemap(fd, ext, MD_MAX_EXTENTS);

	return n < 0 ? MD_MIXED : md_range_kind(ext, n, off, len);
}

/* true if any extent of @fd is shared (reflinked). */
static inline bool md_fd_has_shared(int fd)
{
	struct md_extent ext[MD_MAX_EXTENTS];
	int i, n = md_fiemap(fd, ext, MD_MAX_EXTENTS);

	for (i = 0; i < n; i++)
		if (ext[i].flags & FIEMAP_EXTENT_SHARED)
			return true;
	return false;
}

/* Clear the append-only and immutable flags so that a file can go. */
static inline void md_clear_attr_flags(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	int flags;

	if (fd < 0)
		return;
	if (!ioctl(fd, FS_IOC_GETFLAGS, &flags) &&
	    (flags & (FS_APPEND_FL | FS_IMMUTABLE_FL))) {
		flags &= ~(FS_APPEND_FL | FS_IMMUTABLE_FL);
		ioctl(fd, FS_IOC_SETFLAGS, &flags);
	}
	close(fd);
}

/* A new file of @len bytes of pattern @seed, synced: fd or -errno. */
static inline int md_create_written(const char *dir, const char *tag,
				    char *path, size_t len, unsigned int seed)
{
	int fd = md_create(dir, tag, path);
	int err;

	if (fd < 0)
		return -errno;
	err = md_write_pattern(fd, 0, len, seed);
	if (!err && fsync(fd))
		err = errno;
	if (err) {
		close(fd);
		unlink(path);
		return -err;
	}
	return fd;
}

/*
 * A new file of @len bytes of pattern @seed in @dir, mapped MAP_DIRECT with
 * every page faulted in: 0 with *@fd and *@map set (the file at @path), or
 * -1 and what failed in @why.
 */
static inline int md_map_direct_written(const char *dir, const char *tag,
					char *path, size_t len,
					unsigned int seed, int *fd,
					unsigned char **map, char *why,
					size_t why_len)
{
	void *p;

	*fd = md_create_written(dir, tag, path, len, seed);
	if (*fd < 0) {
		snprintf(why, why_len, "create a written file in %s: %s", dir,
			 md_errname(*fd));
		return -1;
	}
	p = md_mmap3(NULL, len, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_DIRECT, *fd, 0);
	if (p == MAP_FAILED) {
		snprintf(why, why_len, "mmap3 MAP_DIRECT: %s", md_errname(errno));
		return -1;
	}
	*map = p;
	if (md_guarded_read(*map, len)) {
		snprintf(why, why_len, "fault the pages in");
		return -1;
	}
	return 0;
}

/* --- /proc/self/maps and smaps ------------------------------------------ */

/* How many VMAs of this process intersect [addr, addr + len); -errno. */
static inline int md_count_vmas(const void *addr, size_t len)
{
	unsigned long lo = (unsigned long)addr, hi = lo + len;
	unsigned long start, end;
	char line[512];
	int count = 0;
	FILE *f = fopen("/proc/self/maps", "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx", &start, &end) == 2 &&
		    start < hi && end > lo)
			count++;
	fclose(f);
	return count;
}

/* The VmFlags line of the VMA starting at @addr, into @buf; 0 or -errno. */
static inline int md_vmflags(const void *addr, char *buf, size_t size)
{
	unsigned long start, end;
	bool in = false;
	char line[512];
	int ret = -ENOENT;
	FILE *f = fopen("/proc/self/smaps", "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		/* Only the first line of an entry parses as "start-end". */
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2) {
			in = start == (unsigned long)addr;
			continue;
		}
		if (in && !strncmp(line, "VmFlags:", 8)) {
			snprintf(buf, size, "%s", line + 8);
			buf[strcspn(buf, "\n")] = 0;
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

/* --- file state ------------------------------------------------------------ */

/* What a block-map change alters: size, extents (FIEMAP) and bytes. */
struct md_snapshot {
	off_t size;
	int n;				/* extents */
	struct md_extent ext[MD_MAX_EXTENTS];
	unsigned char *data;		/* @size bytes, md_snapshot_free() */
};

/* 0 or -errno. */
static inline int md_snapshot_take(int fd, struct md_snapshot *s)
{
	struct stat st;

	s->data = NULL;
	if (fstat(fd, &st))
		return -errno;
	s->size = st.st_size;
	s->n = md_fiemap(fd, s->ext, MD_MAX_EXTENTS);
	if (s->n < 0)
		return s->n;
	s->data = malloc(s->size ? s->size : 1);
	if (!s->data)
		return -ENOMEM;
	if (pread(fd, s->data, s->size, 0) != s->size)
		return -EIO;
	return 0;
}

static inline void md_snapshot_free(struct md_snapshot *s)
{
	free(s->data);
	s->data = NULL;
}

/*
 * Merge the extents of @ext that continue each other, logically and
 * physically, with the same flags (FIEMAP_EXTENT_LAST and _MERGED aside):
 * ext4 reports a file's extents as its extent status cache holds them,
 * split differently from one FIEMAP to the next.  The new count.
 */
static inline int md_extents_coalesce(struct md_extent *ext, int n)
{
	const __u32 ignore = FIEMAP_EXTENT_LAST | FIEMAP_EXTENT_MERGED;
	int i, m = 0;

	for (i = 0; i < n; i++) {
		struct md_extent *prev = m ? &ext[m - 1] : NULL;

		ext[i].flags &= ~ignore;
		if (prev && prev->logical + prev->length == ext[i].logical &&
		    prev->physical + prev->length == ext[i].physical &&
		    prev->flags == ext[i].flags) {
			prev->length += ext[i].length;
			continue;
		}
		ext[m++] = ext[i];
	}
	return m;
}

/*
 * NULL if the extent lists map the same file ranges to the same blocks
 * with the same flags (coalesced first), else the first difference, in @buf.
 */
static inline const char *md_extents_diff(const struct md_extent *a0, int na,
					  const struct md_extent *b0, int nb,
					  char *buf, size_t len)
{
	struct md_extent a[MD_MAX_EXTENTS], b[MD_MAX_EXTENTS];
	int i;

	memcpy(a, a0, na * sizeof(*a));
	memcpy(b, b0, nb * sizeof(*b));
	na = md_extents_coalesce(a, na);
	nb = md_extents_coalesce(b, nb);
	for (i = 0; i < na && i < nb; i++) {
		if (a[i].logical == b[i].logical && a[i].physical == b[i].physical &&
		    a[i].length == b[i].length && a[i].flags == b[i].flags)
			continue;
		snprintf(buf, len,
			 "extent %d: %llu+%llu at %llu flags %#x -> %llu+%llu at %llu flags %#x",
			 i, (unsigned long long)a[i].logical,
			 (unsigned long long)a[i].length,
			 (unsigned long long)a[i].physical, a[i].flags,
			 (unsigned long long)b[i].logical,
			 (unsigned long long)b[i].length,
			 (unsigned long long)b[i].physical, b[i].flags);
		return buf;
	}
	if (na == nb)
		return NULL;
	snprintf(buf, len, "%d extents -> %d", na, nb);
	return buf;
}

/* NULL if @a and @b match, else the first difference, in @buf. */
static inline const char *md_snapshot_diff(const struct md_snapshot *a,
					   const struct md_snapshot *b,
					   char *buf, size_t len)
{
	long off;

	if (a->size != b->size) {
		snprintf(buf, len, "size %lld -> %lld", (long long)a->size,
			 (long long)b->size);
		return buf;
	}
	if (md_extents_diff(a->ext, a->n, b->ext, b->n, buf, len))
		return buf;
	for (off = 0; off < a->size; off++)
		if (a->data[off] != b->data[off])
			break;
	if (off == a->size)
		return NULL;
	snprintf(buf, len, "data at offset %ld: %#x -> %#x", off, a->data[off],
		 b->data[off]);
	return buf;
}

/* --- mounts ------------------------------------------------------------------ */

/* A mount as /proc/self/mounts shows it. */
struct md_mnt {
	char dev[PATH_MAX];
	char dir[PATH_MAX];
	char type[32];
	char opts[1024];
};

/* The (topmost) mount at @dir: 0 or -errno. */
static inline int md_find_mount(const char *dir, struct md_mnt *m)
{
	char line[2 * PATH_MAX + 1200], real[PATH_MAX];
	char dev[PATH_MAX], mnt[PATH_MAX], type[32], opts[1024];
	int ret = -ENOENT;
	FILE *f;

	if (!realpath(dir, real))
		return -errno;
	f = fopen("/proc/self/mounts", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%4095s %4095s %31s %1023s", dev, mnt, type, opts) != 4 ||
		    strcmp(mnt, real))
			continue;
		snprintf(m->dev, sizeof(m->dev), "%s", dev);
		snprintf(m->dir, sizeof(m->dir), "%s", mnt);
		snprintf(m->type, sizeof(m->type), "%s", type);
		snprintf(m->opts, sizeof(m->opts), "%s", opts);
		ret = 0;
	}
	fclose(f);
	return ret;
}

/*
 * mount(2) @m's device on its directory with its options (the generic ones
 * as flags, the rest as data), the dax one replaced by @dax if not NULL;
 * with @dax_only, the data is the dax option alone.  0 or -errno.
 */
static inline int md_mount_opts(const struct md_mnt *m, const char *dax,
				bool dax_only)
{
	static const struct { const char *name; unsigned long flag; } generic[] = {
		{ "rw", 0 }, { "ro", MS_RDONLY }, { "nosuid", MS_NOSUID },
		{ "nodev", MS_NODEV }, { "noexec", MS_NOEXEC },
		{ "sync", MS_SYNCHRONOUS }, { "dirsync", MS_DIRSYNC },
		{ "noatime", MS_NOATIME }, { "nodiratime", MS_NODIRATIME },
		{ "relatime", MS_RELATIME }, { "strictatime", MS_STRICTATIME },
		{ "lazytime", MS_LAZYTIME }, { "seclabel", 0 },
	};
	const size_t ngeneric = ARRAY_SIZE(generic);
	char opts[1024], data[1024] = "", *tok, *save;
	unsigned long flags = 0;
	size_t i;

	snprintf(opts, sizeof(opts), "%s", m->opts);
	for (tok = strtok_r(opts, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < ngeneric; i++)
			if (!strcmp(tok, generic[i].name))
				break;
		if (i < ngeneric) {
			flags |= generic[i].flag;
			continue;
		}
		if (strncmp(tok, "dax", 3) && dax_only)
			continue;
		if (!strncmp(tok, "dax", 3) && dax)
			tok = (char *)dax;
		if (data[0])
			strncat(data, ",", sizeof(data) - strlen(data) - 1);
		strncat(data, tok, sizeof(data) - strlen(data) - 1);
	}
	if (syscall(SYS_mount, m->dev, m->dir, m->type, flags, data))
		return -errno;
	return 0;
}

/*
 * Mount @m again (after an umount) with its own options, or with the dax
 * option replaced by @dax; if the filesystem refuses the options that
 * /proc/mounts shows, with the dax option alone.  0 or -errno.
 */
static inline int md_mount_again(const struct md_mnt *m, const char *dax)
{
	int ret = md_mount_opts(m, dax, false);

	return ret ? md_mount_opts(m, dax, true) : 0;
}

/* umount(2) @dir, retrying for 5 s while it is busy: 0 or -errno. */
static inline int md_umount_retry(const char *dir)
{
	int i;

	for (i = 0; i < 50; i++) {
		if (!syscall(SYS_umount2, dir, 0))
			return 0;
		if (errno != EBUSY)
			return -errno;
		usleep(100 * 1000);
	}
	return -EBUSY;
}

#endif /* MAP_DIRECT_H */
