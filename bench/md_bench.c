// SPDX-License-Identifier: GPL-2.0
/*
 * md_bench: what the MAP_DIRECT series costs everybody, what MAP_DIRECT
 * costs its users, and what its long-term pins buy them (io_uring and RDMA
 * into a file on pmem without a copy).  will-it-scale style: every
 * workload runs a loop of one operation in 1 or N threads for a fixed time,
 * after one untimed operation per thread, and reports operations per
 * second.  scripts/bench.sh runs it on the base and the patched kernel in
 * turn and turns the figures into ratios.
 *
 * Built by scripts/bench.sh against the patched uapi headers; the same
 * binary runs on the base kernel, where what needs the series says n/a.
 *
 * Usage: md_bench [-d SECONDS] [-t THREADS] [-f FAULT_MIB] [-l] [NAME...]
 *   -d  seconds per workload and thread count (default 1, fractions ok)
 *   -t  N of the N-thread runs (default: online CPUs)
 *   -f  size of the 4 KiB fault workloads' file in MiB (default 256; one
 *       file per filesystem, shared by its fault workloads; the 2 MiB ones
 *       share one of at most 128 MiB)
 *   -l  list the workloads and exit
 * Without NAMEs, every workload runs.  The filesystems come from the
 * environment: MD_MNT_XFS_DAX, MD_MNT_EXT4_DAX (DAX) and MD_MNT_TMPFS.
 * The RDMA workloads use the first RDMA device with an active port, or make
 * Soft-RoCE on a dummy network device (tests/map_direct/md_rdma.h).
 *
 * Output, one line per workload and thread count:
 *   RESULT <name> <threads> <ops/s>
 *   RESULT <name> <threads> n/a <reason>      (e.g. no mmap3 on the base)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <linux/mman.h>
#include <liburing.h>

#include "../tests/map_direct/md_fiemap.h"
#include "../tests/map_direct/md_rdma.h"

/* MAP_DIRECT and __NR_mmap3 come from the series' uapi headers. */
#if !defined(MAP_DIRECT) || !defined(__NR_mmap3)
#error "build against the uapi headers of a tree with the series (make headers)"
#endif

#define MAP_LEN		(128UL << 10)	/* the mmap/munmap workloads */
#define PAGE		4096UL
#define PMD		(2UL << 20)
#define FILE_1M		(1L << 20)	/* the file of the workloads of item 4 */
#define FAULT2M_MAX	(128L << 20)	/* one extent of the guest's XFS */

enum fs { FS_NONE, FS_TMPFS, FS_DAX_XFS, FS_DAX_EXT4 };

struct workload;
/*
 * One thread's loop on its file @fd (-1 for anonymous memory): at least
 * one operation, then more until *stop; returns their number or -errno.
 */
typedef long (*op_fn)(const struct workload *w, int fd, void *ctx,
		      volatile const bool *stop);
/*
 * Optional, for workloads that need more than a file: made before the
 * clock starts, on the thread's file; NULL with errno set if it cannot be.
 */
typedef void *(*setup_fn)(const struct workload *w, int fd);
typedef void (*teardown_fn)(void *ctx);

struct workload {
	const char *name;
	op_fn fn;
	enum fs fs;
	int flags;		/* mmap flags of the mapping workloads */
	bool mmap3;		/* map with mmap3 instead of mmap */
	bool align2m;		/* fault workloads: 2 MiB faults, else 4 KiB */
	bool multi;		/* also run with N threads */
	setup_fn setup;
	teardown_fn teardown;
};

static double seconds = 1.0;
static long fault_bytes = 256L << 20;
static int nthreads;

static const char *fs_dir(enum fs fs)
{
	const char *v = fs == FS_TMPFS ? "MD_MNT_TMPFS" :
			fs == FS_DAX_XFS ? "MD_MNT_XFS_DAX" :
			fs == FS_DAX_EXT4 ? "MD_MNT_EXT4_DAX" : NULL;
	const char *d = v ? getenv(v) : NULL;

	return d && *d ? d : NULL;
}

/*
 * A new file of @len bytes (written, not sparse) for thread @tid.  Its
 * blocks are allocated by one fallocate() first: ext4 then places a large
 * file 2 MiB aligned, which the 2 MiB fault workloads need.
 */
static int bench_file(const struct workload *w, int tid, long len)
{
	char path[512];
	static const char buf[1 << 16];
	long off;
	int fd;

	snprintf(path, sizeof(path), "%s/bench-%s-%d-%d", fs_dir(w->fs),
		 w->name, getpid(), tid);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -errno;
	unlink(path);
	if (len && fallocate(fd, 0, 0, len) && errno != EOPNOTSUPP) {
		int e = errno;

		close(fd);
		return -e;
	}
	for (off = 0; off < len; off += sizeof(buf)) {
		size_t n = len - off < (long)sizeof(buf) ? (size_t)(len - off) :
			   sizeof(buf);

		if (pwrite(fd, buf, n, off) != (ssize_t)n) {
			int e = errno ? errno : EIO;

			close(fd);
			return -e;
		}
	}
	if (fsync(fd)) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

/*
 * Both through syscall(), so that mmap3 and mmap(2) differ in the kernel
 * only: under the instruction-counting clock of scripts/bench.sh, the C
 * library's mmap() wrapper and its syscall() differ by enough instructions
 * to show next to a 1 % goal.
 */
static void *do_map(const struct workload *w, void *addr, size_t len,
		    int flags, int fd)
{
	return (void *)syscall(w->mmap3 ? __NR_mmap3 : __NR_mmap, addr, len,
			       PROT_READ | PROT_WRITE, flags, fd, 0UL);
}

/* 1. and 2. and 5.: mmap + munmap of MAP_LEN. */
static long op_mmap(const struct workload *w, int fd, void *ctx,
		    volatile const bool *stop)
{
	long n = 0;

	do {
		void *p = do_map(w, NULL, MAP_LEN, w->flags, fd);

		if (p == MAP_FAILED)
			return -errno;
		munmap(p, MAP_LEN);
		n++;
	} while (!*stop);
	return n;
}

static long fault_len(const struct workload *w)
{
	return w->align2m && fault_bytes > FAULT2M_MAX ? FAULT2M_MAX :
							 fault_bytes;
}

/* 3. first-touch write faults over a fully written file; op = one pass. */
static long op_fault(const struct workload *w, int fd, void *ctx,
		     volatile const bool *stop)
{
	long n = 0;

	do {
		long len = fault_len(w);
		size_t rlen = len + 2 * PMD;
		char *want, *res, *p;
		long off;

		/*
		 * The kernel would place a DAX mapping 2 MiB aligned: place it
		 * aligned for 2 MiB faults and 4 KiB past that for 4 KiB ones,
		 * which then never map 2 MiB, wherever the file's blocks are.
		 */
		res = mmap(NULL, rlen, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			   -1, 0);
		if (res == MAP_FAILED)
			return -errno;
		want = (char *)(((uintptr_t)res + PMD - 1) & ~(PMD - 1));
		if (!w->align2m)
			want += PAGE;
		p = do_map(w, want, len, w->flags | MAP_FIXED, fd);
		if (p == MAP_FAILED) {
			n = -errno;
			munmap(res, rlen);
			return n;
		}
		for (off = 0; off < len; off += PAGE)
			((volatile char *)p)[off] = 1;
		munmap(res, rlen);	/* covers p */
		n++;
	} while (!*stop);
	return n;
}

/* 4. writes past EOF: 64 bytes appended, the file cut back every 1 MiB. */
static long op_eof_write(const struct workload *w, int fd, void *ctx,
			 volatile const bool *stop)
{
	char buf[64] = { 1 };
	long n = 0, off = 0;

	do {
		if (pwrite(fd, buf, sizeof(buf), off) != sizeof(buf))
			return -errno;
		off += sizeof(buf);
		if (off >= FILE_1M) {
			if (ftruncate(fd, 0))
				return -errno;
			off = 0;
		}
		n++;
	} while (!*stop);
	return n;
}

/* 4. ftruncate up to 1 MiB and back to 0: op = the pair. */
static long op_truncate(const struct workload *w, int fd, void *ctx,
			volatile const bool *stop)
{
	long n = 0;

	do {
		if (ftruncate(fd, FILE_1M) || ftruncate(fd, 0))
			return -errno;
		n++;
	} while (!*stop);
	return n;
}

/* 4. allocate 64 KiB inside a 1 MiB file and punch it out again. */
static long op_fallocate(const struct workload *w, int fd, void *ctx,
			 volatile const bool *stop)
{
	long n = 0, off = 0;

	if (ftruncate(fd, FILE_1M))
		return -errno;
	do {
		if (fallocate(fd, FALLOC_FL_KEEP_SIZE, off, 64 << 10) ||
		    fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      off, 64 << 10))
			return -errno;
		off = (off + (64 << 10)) & (FILE_1M - 1);
		n++;
	} while (!*stop);
	return n;
}

/* 4. write(2) of 4 KiB within a 1 MiB file (the S_NOSEC path). */
static long op_write4k(const struct workload *w, int fd, void *ctx,
		       volatile const bool *stop)
{
	char buf[4096] = { 2 };
	long n = 0, off = 0;

	do {
		if (pwrite(fd, buf, sizeof(buf), off) != sizeof(buf))
			return -errno;
		off = (off + sizeof(buf)) & (FILE_1M - 1);
		n++;
	} while (!*stop);
	return n;
}

/*
 * 4. The layout break of a mapped file (plain MAP_SHARED, not sealed):
 * punch 64 KiB out of a 1 MiB file whose pages a mapping has faulted in,
 * write them back and fault them in again.  The punch unmaps the DAX pages
 * and checks whether they are busy first: the path the seal checks and the
 * busy page search of patch 6 are in.
 */
static void *mapped_setup(const struct workload *w, int fd)
{
	volatile const char *p = mmap(NULL, FILE_1M, PROT_READ, MAP_SHARED,
				      fd, 0);
	long off;

	if (p == MAP_FAILED)
		return NULL;
	for (off = 0; off < FILE_1M; off += PAGE)
		(void)p[off];
	return (void *)p;
}

static void mapped_teardown(void *ctx)
{
	munmap(ctx, FILE_1M);
}

static long op_punch_mapped(const struct workload *w, int fd, void *ctx,
			    volatile const bool *stop)
{
	static const char buf[64 << 10];
	volatile const char *p = ctx;
	long n = 0, off = 0;
	size_t i;

	do {
		if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      off, sizeof(buf)) ||
		    pwrite(fd, buf, sizeof(buf), off) != sizeof(buf))
			return -errno;
		for (i = 0; i < sizeof(buf); i += PAGE)
			(void)p[off + i];
		off = (off + sizeof(buf)) & (FILE_1M - 1);
		n++;
	} while (!*stop);
	return n;
}

/*
 * 6. What MAP_DIRECT buys: data from a device into a file on pmem, PIN_LEN
 * bytes an operation.  With MAP_DIRECT the file's pages are the device's
 * buffer (an io_uring fixed buffer, an RDMA memory region: long-term pins);
 * without it, the only way is a buffer of anonymous memory and a copy into
 * the file (pwrite).  The source is a memfd for io_uring (READ_FIXED) and
 * a registered anonymous buffer for RDMA (an RDMA WRITE between two queue
 * pairs of Soft-RoCE).
 */
#define PIN_LEN		(1UL << 20)

struct pin_ctx {
	unsigned char *buf;	/* MAP_DIRECT of the file, or anonymous */
	bool direct;
	int src;		/* io_uring: memfd of PIN_LEN bytes */
	struct io_uring ring;
	bool ring_up;
	struct md_rdma rdma;	/* RDMA: the queue pairs */
	struct ibv_mr *mr;	/* ... the region on buf */
	struct ibv_mr *src_mr;	/* ... and on src_buf */
	unsigned char *src_buf;
};

static void pin_teardown(void *ctx)
{
	struct pin_ctx *c = ctx;

	if (c->mr)
		ibv_dereg_mr(c->mr);
	if (c->src_mr)
		ibv_dereg_mr(c->src_mr);
	md_rdma_close(&c->rdma);
	if (c->ring_up)
		io_uring_queue_exit(&c->ring);
	if (c->src >= 0)
		close(c->src);
	free(c->src_buf);
	munmap(c->buf, PIN_LEN);
	free(c);
}

/* The buffer: the file mapped with w->flags (MAP_DIRECT), or anonymous. */
static struct pin_ctx *pin_ctx_new(const struct workload *w, int fd)
{
	struct pin_ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->src = -1;
	c->direct = w->flags & MAP_DIRECT;
	if (c->direct)
		c->buf = mmap(NULL, PIN_LEN, PROT_READ | PROT_WRITE, w->flags,
			      fd, 0);
	else
		c->buf = mmap(NULL, PIN_LEN, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (c->buf == MAP_FAILED) {
		free(c);
		return NULL;
	}
	c->src_buf = malloc(PIN_LEN);
	if (!c->src_buf) {
		pin_teardown(c);
		return NULL;
	}
	memset(c->src_buf, 0x5a, PIN_LEN);
	return c;
}

/* Fail a setup with @err (positive errno). */
static void *pin_fail(struct pin_ctx *c, int err)
{
	pin_teardown(c);
	errno = err;
	return NULL;
}

/* Without MAP_DIRECT, the data reaches the file by a copy: 0 or -1. */
static int pin_copy(struct pin_ctx *c, int fd)
{
	if (c->direct ||
	    pwrite(fd, c->buf, PIN_LEN, 0) == (ssize_t)PIN_LEN)
		return 0;
	if (!errno)
		errno = EIO;
	return -1;
}

static void *uring_setup(const struct workload *w, int fd)
{
	struct pin_ctx *c = pin_ctx_new(w, fd);
	struct iovec iov;
	int err;

	if (!c)
		return NULL;
	c->src = memfd_create("md-bench-src", MFD_CLOEXEC);
	if (c->src < 0 ||
	    pwrite(c->src, c->src_buf, PIN_LEN, 0) != (ssize_t)PIN_LEN)
		return pin_fail(c, errno ? errno : EIO);
	err = io_uring_queue_init(4, &c->ring, 0);
	if (err)
		return pin_fail(c, -err);
	c->ring_up = true;
	iov.iov_base = c->buf;
	iov.iov_len = PIN_LEN;
	err = io_uring_register_buffers(&c->ring, &iov, 1);
	if (err)
		return pin_fail(c, -err);
	return c;
}

/* READ_FIXED of PIN_LEN from the memfd, then the copy if not MAP_DIRECT. */
static long op_uring(const struct workload *w, int fd, void *ctx,
		     volatile const bool *stop)
{
	struct pin_ctx *c = ctx;
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	long n = 0;
	int ret;

	do {
		sqe = io_uring_get_sqe(&c->ring);
		if (!sqe)
			return -EBUSY;
		io_uring_prep_read_fixed(sqe, c->src, c->buf, PIN_LEN, 0, 0);
		ret = io_uring_submit_and_wait(&c->ring, 1);
		if (ret < 0)
			return ret;
		ret = io_uring_peek_cqe(&c->ring, &cqe);
		if (ret)
			return ret;
		ret = cqe->res;
		io_uring_cqe_seen(&c->ring, cqe);
		if (ret != (int)PIN_LEN)
			return ret < 0 ? ret : -EIO;
		if (pin_copy(c, fd))
			return -errno;
		n++;
	} while (!*stop);
	return n;
}

static void *rdma_setup(const struct workload *w, int fd)
{
	struct pin_ctx *c = pin_ctx_new(w, fd);
	char why[256];
	int err;

	if (!c)
		return NULL;
	if (md_rdma_device_or_rxe(why, sizeof(why)) < 0) {
		fprintf(stderr, "md_bench: %s\n", why);
		return pin_fail(c, ENODEV);
	}
	err = md_rdma_open(&c->rdma, why, sizeof(why));
	if (err) {
		fprintf(stderr, "md_bench: %s\n", why);
		return pin_fail(c, err);
	}
	c->src_mr = ibv_reg_mr(c->rdma.pd, c->src_buf, PIN_LEN, 0);
	if (!c->src_mr)
		return pin_fail(c, errno);
	c->mr = ibv_reg_mr(c->rdma.pd, c->buf, PIN_LEN,
			   IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE);
	if (!c->mr)
		return pin_fail(c, errno);
	return c;
}

/* RDMA WRITE of PIN_LEN into the region, then the copy if not MAP_DIRECT. */
static long op_rdma(const struct workload *w, int fd, void *ctx,
		    volatile const bool *stop)
{
	struct pin_ctx *c = ctx;
	long n = 0;
	int err;

	do {
		err = md_rdma_write(&c->rdma, c->src_mr, c->src_buf, PIN_LEN,
				    c->mr, c->buf);
		if (err)
			return err > 0 ? -err : -EIO;
		if (pin_copy(c, fd))
			return -errno;
		n++;
	} while (!*stop);
	return n;
}

#define SH	MAP_SHARED
#define SHV	MAP_SHARED_VALIDATE
#define ANON	(MAP_PRIVATE | MAP_ANONYMOUS)
static const struct workload workloads[] = {
	{ "mmap_anon", op_mmap, FS_NONE, ANON, false, false, true, NULL, NULL },
	{ "mmap_tmpfs", op_mmap, FS_TMPFS, SH, false, false, true, NULL, NULL },
	{ "mmap_dax_xfs", op_mmap, FS_DAX_XFS, SH, false, false, true, NULL, NULL },
	{ "mmap_dax_ext4", op_mmap, FS_DAX_EXT4, SH, false, false, true, NULL, NULL },
	{ "mmap3_anon", op_mmap, FS_NONE, ANON, true, false, false, NULL, NULL },
	{ "mmap3_dax_xfs", op_mmap, FS_DAX_XFS, SH, true, false, false, NULL, NULL },
	{ "seal_pair_dax_xfs", op_mmap, FS_DAX_XFS, SHV | MAP_DIRECT, false, false, false, NULL, NULL },
	{ "seal_pair_dax_ext4", op_mmap, FS_DAX_EXT4, SHV | MAP_DIRECT, false, false, false, NULL, NULL },
	{ "fault_shared_dax_xfs", op_fault, FS_DAX_XFS, SH, false, false, false, NULL, NULL },
	{ "fault_sync_dax_xfs", op_fault, FS_DAX_XFS, SHV | MAP_SYNC, false, false, false, NULL, NULL },
	{ "fault_direct_dax_xfs", op_fault, FS_DAX_XFS, SHV | MAP_DIRECT, false, false, false, NULL, NULL },
	{ "fault_direct_sync_dax_xfs", op_fault, FS_DAX_XFS, SHV | MAP_DIRECT | MAP_SYNC, false, false, false, NULL, NULL },
	{ "fault_shared_dax_ext4", op_fault, FS_DAX_EXT4, SH, false, false, false, NULL, NULL },
	{ "fault_sync_dax_ext4", op_fault, FS_DAX_EXT4, SHV | MAP_SYNC, false, false, false, NULL, NULL },
	{ "fault_direct_dax_ext4", op_fault, FS_DAX_EXT4, SHV | MAP_DIRECT, false, false, false, NULL, NULL },
	{ "fault_direct_sync_dax_ext4", op_fault, FS_DAX_EXT4, SHV | MAP_DIRECT | MAP_SYNC, false, false, false, NULL, NULL },
	{ "fault2m_shared_dax_xfs", op_fault, FS_DAX_XFS, SH, false, true, false, NULL, NULL },
	{ "fault2m_direct_dax_xfs", op_fault, FS_DAX_XFS, SHV | MAP_DIRECT, false, true, false, NULL, NULL },
	{ "fault2m_shared_dax_ext4", op_fault, FS_DAX_EXT4, SH, false, true, false, NULL, NULL },
	{ "fault2m_direct_dax_ext4", op_fault, FS_DAX_EXT4, SHV | MAP_DIRECT, false, true, false, NULL, NULL },
	{ "eof_write_dax_xfs", op_eof_write, FS_DAX_XFS, 0, false, false, true, NULL, NULL },
	{ "eof_write_dax_ext4", op_eof_write, FS_DAX_EXT4, 0, false, false, true, NULL, NULL },
	{ "truncate_dax_xfs", op_truncate, FS_DAX_XFS, 0, false, false, true, NULL, NULL },
	{ "truncate_dax_ext4", op_truncate, FS_DAX_EXT4, 0, false, false, true, NULL, NULL },
	{ "fallocate_dax_xfs", op_fallocate, FS_DAX_XFS, 0, false, false, true, NULL, NULL },
	{ "fallocate_dax_ext4", op_fallocate, FS_DAX_EXT4, 0, false, false, true, NULL, NULL },
	{ "write4k_dax_xfs", op_write4k, FS_DAX_XFS, 0, false, false, true, NULL, NULL },
	{ "write4k_dax_ext4", op_write4k, FS_DAX_EXT4, 0, false, false, true, NULL, NULL },
	{ "punch_mapped_dax_xfs", op_punch_mapped, FS_DAX_XFS, 0, false, false, true, mapped_setup, mapped_teardown },
	{ "punch_mapped_dax_ext4", op_punch_mapped, FS_DAX_EXT4, 0, false, false, true, mapped_setup, mapped_teardown },
	{ "pin_uring_direct_dax_xfs", op_uring, FS_DAX_XFS, SHV | MAP_DIRECT, false, false, false, uring_setup, pin_teardown },
	{ "pin_uring_copy_dax_xfs", op_uring, FS_DAX_XFS, 0, false, false, false, uring_setup, pin_teardown },
	{ "pin_uring_direct_dax_ext4", op_uring, FS_DAX_EXT4, SHV | MAP_DIRECT, false, false, false, uring_setup, pin_teardown },
	{ "pin_uring_copy_dax_ext4", op_uring, FS_DAX_EXT4, 0, false, false, false, uring_setup, pin_teardown },
	{ "pin_rdma_direct_dax_xfs", op_rdma, FS_DAX_XFS, SHV | MAP_DIRECT, false, false, false, rdma_setup, pin_teardown },
	{ "pin_rdma_copy_dax_xfs", op_rdma, FS_DAX_XFS, 0, false, false, false, rdma_setup, pin_teardown },
	{ "pin_rdma_direct_dax_ext4", op_rdma, FS_DAX_EXT4, SHV | MAP_DIRECT, false, false, false, rdma_setup, pin_teardown },
	{ "pin_rdma_copy_dax_ext4", op_rdma, FS_DAX_EXT4, 0, false, false, false, rdma_setup, pin_teardown },
};

struct thread {
	pthread_t th;
	const struct workload *w;
	int tid;
	long ops;		/* or -errno */
	const char *why;	/* or why the workload cannot be measured */
	double end;		/* when its last operation ended */
};

static long minor_faults(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_THREAD, &ru) ? -1 : ru.ru_minflt;
}

/*
 * Whether the warm-up pass of a fault workload took the faults it is named
 * for: one per 4 KiB page, or one per 2 MiB, which needs 2 MiB aligned
 * blocks (the guest's XFS, made without a stripe unit, does not align them).
 */
static const char *fault_check(const struct workload *w, long faults)
{
	long pages = fault_len(w) / PAGE, pmds = fault_len(w) / PMD;

	if (faults < 0)
		return "getrusage failed";
	if (!w->align2m && faults < pages)
		return "fewer 4 KiB faults than pages";
	/* a few 4 KiB faults of the stack and the C library are allowed */
	if (w->align2m && faults > pmds + 64)
		return "no 2 MiB faults: the file's blocks are not 2 MiB aligned";
	return NULL;
}

static volatile bool stop;
static const bool stop_now = true;
static pthread_barrier_t start;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The size of the file each thread of @w works on (made before timing). */
static long file_len(const struct workload *w)
{
	if (w->fn == op_mmap)
		return MAP_LEN;
	if (w->fn == op_fault)
		return fault_len(w);
	if (w->fn == op_write4k || w->fn == op_punch_mapped)
		return FILE_1M;
	if (w->fn == op_uring || w->fn == op_rdma)
		return PIN_LEN;
	return 0;
}

/*
 * How far the blocks of @fd are from 2 MiB alignment: the offset in bytes
 * (below 2 MiB) between the file offset and the disk address of its first
 * extent that is not aligned, 0 if all are, -1 if FIEMAP fails.
 */
static long misalignment(int fd)
{
	struct md_extent ext[MD_MAX_EXTENTS];
	int i, n = md_fiemap(fd, ext, MD_MAX_EXTENTS);

	if (n < 0)
		return -1;
	for (i = 0; i < n; i++) {
		long d = (ext[i].physical - ext[i].logical) % PMD;

		if (d)
			return d;
	}
	return 0;
}

/*
 * The file of the 2 MiB fault workloads: 2 MiB more than needed, then, if
 * its first extent is not 2 MiB aligned, as much cut off its start
 * (FALLOC_FL_COLLAPSE_RANGE) as makes it aligned.  The guest's XFS, made
 * without a stripe unit, does not align blocks by itself.  fault_check()
 * tells whether the faults were 2 MiB.
 */
static int aligned_file(const struct workload *w, long len)
{
	int fd = bench_file(w, 0, len + PMD);
	long d;

	if (fd < 0)
		return fd;
	/* if this fails, fault_check() reports the 4 KiB faults */
	d = misalignment(fd);
	if (d > 0)
		(void)fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, 0, PMD - d);
	if (ftruncate(fd, len)) {
		d = errno;
		close(fd);
		return (int)-d;
	}
	return fd;
}

/*
 * The fault workloads of one filesystem and one fault size share one file,
 * so that MAP_SHARED, MAP_SYNC and MAP_DIRECT fault on the same blocks.
 * The 4 KiB and the 2 MiB ones have a file each: after 4 KiB faults, the
 * file's DAX entries are 4 KiB, and a 2 MiB fault over them falls back.
 */
static int fault_fd[FS_DAX_EXT4 + 1][2] = {
	{ -1, -1 }, { -1, -1 }, { -1, -1 }, { -1, -1 },
};

static int file_for(const struct workload *w, int tid)
{
	int *fdp = &fault_fd[w->fs][w->align2m];

	if (w->fn != op_fault)
		return bench_file(w, tid, file_len(w));
	if (*fdp < 0)
		*fdp = w->align2m ? aligned_file(w, fault_len(w)) :
				    bench_file(w, 0, fault_len(w));
	return *fdp < 0 ? *fdp : dup(*fdp);
}

static void *thread_main(void *arg)
{
	struct thread *t = arg;
	int fd = -1, err = 0;
	void *ctx = NULL;

	if (t->w->fs != FS_NONE) {
		fd = file_for(t->w, t->tid);
		if (fd < 0) {
			err = fd;
			fd = -1;
		}
	}
	if (!err && t->w->setup) {
		ctx = t->w->setup(t->w, fd);
		if (!ctx)
			err = errno ? -errno : -EIO;
	}
	/*
	 * One operation before the timing, so that what only the first one
	 * does is not timed: the DAX entries that the first faults of a file
	 * make (the fault workloads of a filesystem share one file, and the
	 * first of them would pay for all), the blocks of the first writes.
	 */
	if (!err) {
		long faults = minor_faults();
		long warm = t->w->fn(t->w, fd, ctx, &stop_now);

		if (warm < 0)
			err = (int)warm;
		else if (t->w->fn == op_fault)
			t->why = fault_check(t->w, minor_faults() - faults);
	}
	pthread_barrier_wait(&start);
	t->ops = err ? err : t->why ? 0 : t->w->fn(t->w, fd, ctx, &stop);
	t->end = now();
	if (ctx)
		t->w->teardown(ctx);
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void run(const struct workload *w, int threads)
{
	struct thread t[threads];
	struct timespec nap;
	const char *why = NULL;
	double t0, rate = 0;
	int i, err = 0;

	if (w->fs != FS_NONE && !fs_dir(w->fs)) {
		printf("RESULT %s %d n/a no mount point in the environment\n",
		       w->name, threads);
		return;
	}
	stop = false;
	pthread_barrier_init(&start, NULL, threads + 1);
	for (i = 0; i < threads; i++) {
		t[i].w = w;
		t[i].tid = i;
		t[i].ops = 0;
		t[i].why = NULL;
		pthread_create(&t[i].th, NULL, thread_main, &t[i]);
	}
	/* The threads make their files before the barrier: not timed. */
	pthread_barrier_wait(&start);
	t0 = now();
	nap.tv_sec = (time_t)seconds;
	nap.tv_nsec = (long)((seconds - nap.tv_sec) * 1e9);
	nanosleep(&nap, NULL);
	stop = true;
	for (i = 0; i < threads; i++) {
		pthread_join(t[i].th, NULL);
		if (t[i].ops < 0)
			err = (int)-t[i].ops;
		if (t[i].why)
			why = t[i].why;
	}
	pthread_barrier_destroy(&start);
	if (err || why) {
		printf("RESULT %s %d n/a %s\n", w->name, threads,
		       err ? strerror(err) : why);
	} else {
		/* Each thread's rate over its own time, the last op included. */
		for (i = 0; i < threads; i++)
			rate += t[i].ops / (t[i].end - t0);
		printf("RESULT %s %d %.7g\n", w->name, threads, rate);
	}
	fflush(stdout);
}

int main(int argc, char **argv)
{
	size_t i;
	int c, j;

	nthreads = (int)sysconf(_SC_NPROCESSORS_ONLN);
	while ((c = getopt(argc, argv, "d:t:f:l")) != -1) {
		switch (c) {
		case 'd':
			seconds = atof(optarg);
			break;
		case 't':
			nthreads = atoi(optarg);
			break;
		case 'f':
			fault_bytes = atol(optarg) << 20;
			break;
		case 'l':
			for (i = 0; i < sizeof(workloads) / sizeof(workloads[0]); i++)
				printf("%s%s\n", workloads[i].name,
				       workloads[i].multi ? " (1 and N threads)" : "");
			return 0;
		default:
			fprintf(stderr, "usage: %s [-d SECONDS] [-t THREADS] [-f FAULT_MIB] [-l] [NAME...]\n",
				argv[0]);
			return 2;
		}
	}
	if (seconds <= 0 || nthreads < 1 || fault_bytes < (long)PMD) {
		fprintf(stderr, "md_bench: bad -d, -t or -f\n");
		return 2;
	}
	for (i = 0; i < sizeof(workloads) / sizeof(workloads[0]); i++) {
		const struct workload *w = &workloads[i];
		bool want = optind >= argc;

		for (j = optind; j < argc; j++)
			want |= !strcmp(argv[j], w->name);
		if (!want)
			continue;
		run(w, 1);
		if (w->multi && nthreads > 1)
			run(w, nthreads);
	}
	return 0;
}
