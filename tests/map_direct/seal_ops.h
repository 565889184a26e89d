/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The operations map_direct_seal_test runs against a sealed file, against
 * an unsealed twin on the same filesystem, and against the first file again
 * after its mapping is gone.  Each operation opens what it needs itself (so
 * that another process can run it the same way) and returns 0, an errno,
 * or one of the R_* codes below.
 *
 * The files (all 256 KiB):
 *   layout (a: under test, b: control, d: peer)
 *     [  0K,  64K) written, pattern 1
 *     [ 64K, 128K) hole
 *     [128K, 192K) unwritten (fallocate)
 *     [192K, 256K) written, pattern 1
 *   peer c: written, [0, 64K) pattern 1 (the same bytes as a's), then pattern 2
 *
 * XFS and ext4 ioctl structures are defined here (with md_ names) so that
 * neither xfsprogs' nor the kernel's private headers are needed.
 */
#ifndef SEAL_OPS_H
#define SEAL_OPS_H

#include <sys/swap.h>
#include <sys/xattr.h>

#include "map_direct.h"

#define SZ_64K		(64 * 1024UL)
#define L_SIZE		(4 * SZ_64K)	/* every file: 256 KiB */
#define L_HOLE		SZ_64K		/* [64K, 128K) */
#define L_UNWRITTEN	(2 * SZ_64K)	/* [128K, 192K) */

/* Results that are not an errno. */
#define R_SHORT		0x1000		/* short count, or data read back wrong */
#define R_STATUS(e)	(0x2000 | (e))	/* FIDEDUPERANGE: ioctl 0, status -e */
#define R_DIFFERS	0x3000		/* FIDEDUPERANGE: status DIFFERS */
#define R_SETUP(e)	(0x4000 | (e))	/* the operation's own setup failed */
#define R_RESTORE(e)	(0x5000 | (e))	/* SWAP_BOOT: swapping back failed */

/* Expectations resolved at run time (XFS exchange-range feature). */
#define X_EXCH_SEALED	(-1)	/* ETXTBSY with the feature, else EOPNOTSUPP */
#define X_EXCH_CONTROL	(-2)	/* 0 with the feature, else EOPNOTSUPP */

static inline const char *res_str(int r, char *buf, size_t len)
{
	switch (r & ~0xfff) {
	case 0:
		return md_errname(r);
	case R_SHORT:
		return "short count or wrong data read back";
	case R_DIFFERS:
		return "ioctl 0, status FILE_DEDUPE_RANGE_DIFFERS";
	}
	if ((r & ~0xfff) == R_STATUS(0))
		snprintf(buf, len, "ioctl 0, status -%s", md_errname(r & 0xfff));
	else if ((r & ~0xfff) == R_SETUP(0))
		snprintf(buf, len, "the operation's setup failed: %s",
			 md_errname(r & 0xfff));
	else if ((r & ~0xfff) == R_RESTORE(0))
		snprintf(buf, len, "second SWAP_BOOT (swap back) failed: %s",
			 md_errname(r & 0xfff));
	else
		snprintf(buf, len, "result %#x", r);
	return buf;
}

struct seal_env {
	const char *dir;
	bool xfs;
	bool exchrange;		/* XFS has the exchange-range feature */
	char a[PATH_MAX];	/* sealed by the test's mapping */
	char b[PATH_MAX];	/* the unsealed control */
	char c[PATH_MAX];	/* peer, written */
	char d[PATH_MAX];	/* peer, same layout as a and b */
};

struct seal_op {
	const char *name;
	/* run on a and b before anything else (optional) */
	int (*prepare)(const struct seal_env *e, const char *path);
	int (*run)(const struct seal_env *e, const char *target);
	int sealed_xfs, sealed_ext4;	/* expected while the target is sealed */
	int ctl_xfs, ctl_ext4;		/* unsealed: control, and after munmap */
	bool writes_data;		/* success changes the target's bytes */
	const char *note;		/* why an expectation is what it is */
};

/* --- files ----------------------------------------------------------------- */

/* A layout file (see the top): 0 or -errno. */
static inline int make_layout(const char *dir, const char *tag, char *path)
{
	int fd = md_create(dir, tag, path);
	int err = 0;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, L_SIZE))
		err = errno;
	if (!err)
		err = md_write_pattern(fd, 0, SZ_64K, 1);
	if (!err)
		err = md_write_pattern(fd, 3 * SZ_64K, SZ_64K, 1);
	if (!err && fallocate(fd, 0, L_UNWRITTEN, SZ_64K))
		err = errno;
	if (!err && fsync(fd))
		err = errno;
	close(fd);
	return -err;
}

static inline int make_peer(const char *dir, char *path)
{
	int fd = md_create(dir, "peer", path);
	int err;

	if (fd < 0)
		return -errno;
	err = md_write_pattern(fd, 0, SZ_64K, 1);
	if (!err)
		err = md_write_pattern(fd, SZ_64K, L_SIZE - SZ_64K, 2);
	if (!err && fsync(fd))
		err = errno;
	close(fd);
	return -err;
}

static inline int open_rw(const char *path)
{
	return open(path, O_RDWR | O_CLOEXEC);
}

/* --- size changes ------------------------------------------------------- */

static inline int do_ftruncate(const char *t, off_t size)
{
	int fd, r;

	fd = open(t, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return R_SETUP(errno);
	r = MD_ERRNO(ftruncate(fd, size));
	close(fd);
	return r;
}

static int op_ftruncate_smaller(const struct seal_env *e, const char *t)
{
	(void)e;
	return do_ftruncate(t, L_SIZE / 8);
}

static int op_ftruncate_larger(const struct seal_env *e, const char *t)
{
	(void)e;
	return do_ftruncate(t, 2 * L_SIZE);
}

static int op_ftruncate_same(const struct seal_env *e, const char *t)
{
	(void)e;
	return do_ftruncate(t, L_SIZE);
}

static int op_truncate_path(const struct seal_env *e, const char *t)
{
	(void)e;
	return MD_ERRNO(truncate(t, L_SIZE / 8));
}

static int op_open_o_trunc(const struct seal_env *e, const char *t)
{
	int fd = open(t, O_WRONLY | O_TRUNC | O_CLOEXEC);

	(void)e;
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/* --- fallocate -------------------------------------------------------------- */

static inline int do_fallocate(const char *t, int flags, int mode, off_t off,
			       off_t len)
{
	int fd, r;

	fd = open(t, flags | O_CLOEXEC);
	if (fd < 0)
		return R_SETUP(errno);
	r = MD_ERRNO(fallocate(fd, mode, off, len));
	close(fd);
	return r;
}

static int op_fallocate_past_eof(const struct seal_env *e, const char *t)
{
	(void)e;
	return do_fallocate(t, O_RDWR, 0, L_SIZE, SZ_64K);
}

static int op_fallocate_into_hole(const struct seal_env *e, const char *t)
{
	(void)e;
	return do_fallocate(t, O_RDWR, 0, L_HOLE, SZ_64K);
}

static int op_fallocate_keep_size(const struct seal_env *e, const char *t)
{
	(void)e;
	return do_fallocate(t, O_RDWR, FALLOC_FL_KEEP_SIZE, L_SIZE, SZ_64K);
}

static int op_fallocate_punch_hole(const struct seal_env *e, const char *t)
{
	(void)e;
	return do_fallocate(t, O_RDWR, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			    0, MD_PAGE);
}

static int op_fallocate_zero_range(const struct seal_env *e, const char *t)
{
	(void)e;
	return do_fallocate(t, O_RDWR, FALLOC_FL_ZERO_RANGE, 0, MD_PAGE);
}

static int op_fallocate_collapse_range(const struct seal_env *e, const char *t)
{
	(void)e;
	return do_fallocate(t, O_RDWR, FALLOC_FL_COLLAPSE_RANGE, 0, MD_PAGE);
}

static int op_fallocate_insert_range(const struct seal_env *e, const char *t)
{
	(void)e;
	return do_fallocate(t, O_RDWR, FALLOC_FL_INSERT_RANGE, 0, MD_PAGE);
}

static int op_fallocate_unshare_range(const struct seal_env *e, const char *t)
{
	(void)e;
	return do_fallocate(t, O_RDWR, FALLOC_FL_UNSHARE_RANGE, 0, SZ_64K);
}

/* PUNCH_HOLE without KEEP_SIZE: an invalid mode (vfs_fallocate()). */
static int op_fallocate_invalid_mode(const struct seal_env *e, const char *t)
{
	(void)e;
	return do_fallocate(t, O_RDWR, FALLOC_FL_PUNCH_HOLE, 0, MD_PAGE);
}

static int op_fallocate_zero_length(const struct seal_env *e, const char *t)
{
	(void)e;
	return do_fallocate(t, O_RDWR, 0, L_SIZE, 0);
}

static int op_fallocate_read_only_fd(const struct seal_env *e, const char *t)
{
	(void)e;
	return do_fallocate(t, O_RDONLY, 0, L_SIZE, SZ_64K);
}

/* --- clone, dedupe, copy -------------------------------------------------- */

/* FICLONE / FICLONERANGE of @src [0, @len) into @dst (@len 0: FICLONE). */
static inline int do_clone(const char *src, const char *dst, __u64 len)
{
	struct file_clone_range fcr;
	int sfd, dfd, r;

	sfd = open(src, O_RDWR | O_CLOEXEC);
	if (sfd < 0)
		return R_SETUP(errno);
	dfd = open_rw(dst);
	if (dfd < 0) {
		r = R_SETUP(errno);
		close(sfd);
		return r;
	}
	if (!len) {
		r = MD_ERRNO(ioctl(dfd, FICLONE, sfd));
	} else {
		memset(&fcr, 0, sizeof(fcr));
		fcr.src_fd = sfd;
		fcr.src_offset = 0;
		fcr.src_length = len;
		fcr.dest_offset = 0;
		r = MD_ERRNO(ioctl(dfd, FICLONERANGE, &fcr));
	}
	close(sfd);
	close(dfd);
	return r;
}

static int op_ficlone_into(const struct seal_env *e, const char *t)
{
	return do_clone(e->c, t, 0);
}

static int op_ficlone_from(const struct seal_env *e, const char *t)
{
	return do_clone(t, e->c, 0);
}

static int op_ficlonerange_into(const struct seal_env *e, const char *t)
{
	return do_clone(e->c, t, SZ_64K);
}

static int op_ficlonerange_from(const struct seal_env *e, const char *t)
{
	return do_clone(t, e->c, SZ_64K);
}

/* FIDEDUPERANGE of @src [0, 64K) against @dst [0, 64K) (same bytes). */
static inline int do_dedupe(const char *src, const char *dst)
{
	struct {
		struct file_dedupe_range r;
		struct file_dedupe_range_info info;
	} req;
	int sfd, dfd, r;

	sfd = open(src, O_RDWR | O_CLOEXEC);
	if (sfd < 0)
		return R_SETUP(errno);
	dfd = open_rw(dst);
	if (dfd < 0) {
		r = R_SETUP(errno);
		close(sfd);
		return r;
	}
	memset(&req, 0, sizeof(req));
	req.r.src_offset = 0;
	req.r.src_length = SZ_64K;
	req.r.dest_count = 1;
	req.info.dest_fd = dfd;
	req.info.dest_offset = 0;
	if (ioctl(sfd, FIDEDUPERANGE, &req.r))
		r = errno;
	else if (req.info.status < 0)
		r = R_STATUS(-req.info.status);
	else if (req.info.status == FILE_DEDUPE_RANGE_DIFFERS)
		r = R_DIFFERS;
	else if (req.info.bytes_deduped != SZ_64K)
		r = R_SHORT;
	else
		r = 0;
	close(sfd);
	close(dfd);
	return r;
}

static int op_dedupe_into(const struct seal_env *e, const char *t)
{
	return do_dedupe(e->c, t);
}

static int op_dedupe_from(const struct seal_env *e, const char *t)
{
	return do_dedupe(t, e->c);
}

/* copy_file_range() of @src [0, 64K) over @dst [0, 64K) (written blocks). */
static inline int do_copy(const char *src, const char *dst)
{
	loff_t in = 0, out = 0;
	int sfd, dfd, r;
	ssize_t n;

	sfd = open(src, O_RDONLY | O_CLOEXEC);
	if (sfd < 0)
		return R_SETUP(errno);
	dfd = open_rw(dst);
	if (dfd < 0) {
		r = R_SETUP(errno);
		close(sfd);
		return r;
	}
	n = copy_file_range(sfd, &in, dfd, &out, SZ_64K, 0);
	if (n < 0)
		r = errno;
	else if (n != SZ_64K || md_read_check(dfd, 0, SZ_64K, 1) != -1)
		r = R_SHORT;
	else
		r = 0;
	close(sfd);
	close(dfd);
	return r;
}

static int op_copy_file_range_into(const struct seal_env *e, const char *t)
{
	return do_copy(e->c, t);
}

static int op_copy_file_range_out_of(const struct seal_env *e, const char *t)
{
	return do_copy(t, e->c);
}

/* --- writes ------------------------------------------------------------------ */

/* pwrite @len bytes of pattern @seed at @off; read back when it worked. */
static inline int do_pwrite(const char *t, int flags, off_t off, size_t len,
			    unsigned int seed)
{
	unsigned char *buf = malloc(len);
	int fd, r;
	ssize_t n;

	if (!buf)
		return R_SETUP(ENOMEM);
	fd = open(t, flags | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return R_SETUP(errno);
	}
	md_fill(buf, off, len, seed);
	n = (flags & O_APPEND) ? write(fd, buf, len) : pwrite(fd, buf, len, off);
	if (n < 0)
		r = errno;
	else if ((size_t)n != len)
		r = R_SHORT;
	else if (!(flags & O_APPEND) && md_read_check(fd, off, len, seed) != -1)
		r = R_SHORT;
	else
		r = 0;
	close(fd);
	free(buf);
	return r;
}

static int op_pwrite_past_eof(const struct seal_env *e, const char *t)
{
	(void)e;
	return do_pwrite(t, O_RDWR, L_SIZE, MD_PAGE, 3);
}

/* Starts inside EOF, ends past it: refused as a whole, no short write. */
static int op_pwrite_across_eof(const struct seal_env *e, const char *t)
{
	(void)e;
	return do_pwrite(t, O_RDWR, L_SIZE - MD_PAGE, 2 * MD_PAGE, 3);
}

static int op_write_o_append(const struct seal_env *e, const char *t)
{
	(void)e;
	return do_pwrite(t, O_WRONLY | O_APPEND, 0, MD_PAGE, 3);
}

static int op_pwrite_over_written(const struct seal_env *e, const char *t)
{
	(void)e;
	return do_pwrite(t, O_RDWR, MD_PAGE, 4 * MD_PAGE, 3);
}

static int op_pwrite_into_hole(const struct seal_env *e, const char *t)
{
	(void)e;
	return do_pwrite(t, O_RDWR, L_HOLE, MD_PAGE, 3);
}

static int op_pwrite_into_unwritten(const struct seal_env *e, const char *t)
{
	(void)e;
	return do_pwrite(t, O_RDWR, L_UNWRITTEN, MD_PAGE, 3);
}

/* --- swapon ------------------------------------------------------------------ */

/* A version 1 swap header over page 0 (the rest of the layout stays). */
static int prep_swap_header(const struct seal_env *e, const char *path)
{
	__u32 v[2] = { 1, L_SIZE / MD_PAGE - 1 };	/* version, last page */
	unsigned char hdr[MD_PAGE];
	int fd, r = 0;

	(void)e;
	fd = open_rw(path);
	if (fd < 0)
		return errno;
	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr + 1024, v, sizeof(v));
	memcpy(hdr + MD_PAGE - 10, "SWAPSPACE2", 10);
	if (pwrite(fd, hdr, sizeof(hdr), 0) != sizeof(hdr) || fsync(fd))
		r = errno ? errno : EIO;
	close(fd);
	return r;
}

static int op_swapon(const struct seal_env *e, const char *t)
{
	(void)e;
	if (swapon(t, 0))
		return errno;
	swapoff(t);	/* never expected, but do not leave swap behind */
	return 0;
}

/* --- metadata that is not the block map ----------------------------------- */

static int op_setxattr_getxattr(const struct seal_env *e, const char *t)
{
	char val[16];
	ssize_t n;

	(void)e;
	if (setxattr(t, "user.map_direct_test", "sealed?", 7, 0))
		return errno;
	n = getxattr(t, "user.map_direct_test", val, sizeof(val));
	if (n < 0)
		return errno;
	if (n != 7 || memcmp(val, "sealed?", 7))
		return R_SHORT;
	return MD_ERRNO(removexattr(t, "user.map_direct_test"));
}

/* chmod, through a setgid mode (S_NOSEC is recomputed on the way). */
static int op_chmod(const struct seal_env *e, const char *t)
{
	(void)e;
	if (chmod(t, 02644))
		return errno;
	return MD_ERRNO(chmod(t, 0644));
}

static int op_utimes(const struct seal_env *e, const char *t)
{
	struct timespec ts[2] = {
		{ .tv_sec = 1000000000, .tv_nsec = 0 },
		{ .tv_sec = 1000000001, .tv_nsec = 0 },
	};

	(void)e;
	return MD_ERRNO(utimensat(AT_FDCWD, t, ts, 0));
}

/* chattr +A then -A: rewrites i_flags while the seal is set. */
static int op_setflags_noatime(const struct seal_env *e, const char *t)
{
	int fd, flags, r;

	(void)e;
	fd = open(t, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return R_SETUP(errno);
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags)) {
		r = R_SETUP(errno);
		goto out;
	}
	flags |= FS_NOATIME_FL;
	r = MD_ERRNO(ioctl(fd, FS_IOC_SETFLAGS, &flags));
	if (!r) {
		flags &= ~FS_NOATIME_FL;
		r = MD_ERRNO(ioctl(fd, FS_IOC_SETFLAGS, &flags));
	}
out:
	close(fd);
	return r;
}

/* Truncating a different, unsealed file of the same filesystem. */
static int op_truncate_other_file(const struct seal_env *e, const char *t)
{
	(void)t;
	return MD_ERRNO(truncate(e->d, L_SIZE / 2));
}

/* --- XFS ------------------------------------------------------------------ */

struct md_xfs_bstime {
	long		tv_sec;		/* __kernel_long_t */
	__s32		tv_nsec;
};

struct md_xfs_bstat {
	__u64		bs_ino;
	__u16		bs_mode;
	__u16		bs_nlink;
	__u32		bs_uid;
	__u32		bs_gid;
	__u32		bs_rdev;
	__s32		bs_blksize;
	__s64		bs_size;
	struct md_xfs_bstime bs_atime;
	struct md_xfs_bstime bs_mtime;
	struct md_xfs_bstime bs_ctime;
	__s64		bs_blocks;
	__u32		bs_xflags;
	__s32		bs_extsize;
	__s32		bs_extents;
	__u32		bs_gen;
	__u16		bs_projid_lo;
	__u16		bs_forkoff;
	__u16		bs_projid_hi;
	__u16		bs_sick;
	__u16		bs_checked;
	unsigned char	bs_pad[2];
	__u32		bs_cowextsize;
	__u32		bs_dmevmask;
	__u16		bs_dmstate;
	__u16		bs_aextents;
};

struct md_xfs_swapext {
	__s64		sx_version;
	__s64		sx_fdtarget;
	__s64		sx_fdtmp;
	__s64		sx_offset;
	__s64		sx_length;
	char		sx_pad[16];
	struct md_xfs_bstat sx_stat;
};

struct md_xfs_exchange_range {
	__s32		file1_fd;
	__u32		pad;
	__u64		file1_offset;
	__u64		file2_offset;
	__u64		length;
	__u64		flags;
};

struct md_xfs_commit_range {
	__s32		file1_fd;
	__u32		pad;
	__u64		file1_offset;
	__u64		file2_offset;
	__u64		length;
	__u64		flags;
	__u64		file2_freshness[6];
};

struct md_xfs_fsop_geom {
	__u32		blocksize, rtextsize, agblocks, agcount, logblocks;
	__u32		sectsize, inodesize, imaxpct;
	__u64		datablocks, rtblocks, rtextents, logstart;
	unsigned char	uuid[16];
	__u32		sunit, swidth;
	__s32		version;
	__u32		flags, logsectsize, rtsectsize, dirblocksize, logsunit;
	__u32		sick, checked;
	__u64		reserved[17];
};

#if defined(__x86_64__)
_Static_assert(sizeof(struct md_xfs_swapext) == 192, "struct xfs_swapext");
#endif
_Static_assert(sizeof(struct md_xfs_exchange_range) == 40, "struct xfs_exchange_range");
_Static_assert(sizeof(struct md_xfs_commit_range) == 88, "struct xfs_commit_range");
_Static_assert(sizeof(struct md_xfs_fsop_geom) == 256, "struct xfs_fsop_geom");

#define MD_XFS_IOC_SWAPEXT		_IOWR('X', 109, struct md_xfs_swapext)
#define MD_XFS_IOC_FSGEOMETRY		_IOR('X', 126, struct md_xfs_fsop_geom)
#define MD_XFS_IOC_EXCHANGE_RANGE	_IOW('X', 129, struct md_xfs_exchange_range)
#define MD_XFS_IOC_START_COMMIT		_IOR('X', 130, struct md_xfs_commit_range)
#define MD_XFS_IOC_COMMIT_RANGE		_IOW('X', 131, struct md_xfs_commit_range)
#define MD_XFS_GEOM_FLAGS_EXCHANGE_RANGE (1 << 24)

/* 1 if the XFS filesystem of @path has exchange-range, 0 if not, -errno. */
static inline int xfs_has_exchrange(const char *path)
{
	struct md_xfs_fsop_geom geo;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return -errno;
	memset(&geo, 0, sizeof(geo));
	r = ioctl(fd, MD_XFS_IOC_FSGEOMETRY, &geo) ? -errno :
	    !!(geo.flags & MD_XFS_GEOM_FLAGS_EXCHANGE_RANGE);
	close(fd);
	return r;
}

/* XFS_IOC_SWAPEXT (xfs_fsr) of the whole of @target with @tmp. */
static inline int do_swapext(const char *target, const char *tmp)
{
	struct md_xfs_swapext sx;
	struct stat st;
	int tfd, pfd, r;

	tfd = open(target, O_RDWR | O_CLOEXEC);
	if (tfd < 0)
		return R_SETUP(errno);
	pfd = open_rw(tmp);
	if (pfd < 0 || fstat(tfd, &st)) {
		r = R_SETUP(errno);
		goto out;
	}
	memset(&sx, 0, sizeof(sx));
	sx.sx_version = 0;
	sx.sx_fdtarget = tfd;
	sx.sx_fdtmp = pfd;
	sx.sx_offset = 0;
	sx.sx_length = st.st_size;
	sx.sx_stat.bs_ctime.tv_sec = st.st_ctim.tv_sec;
	sx.sx_stat.bs_ctime.tv_nsec = st.st_ctim.tv_nsec;
	sx.sx_stat.bs_mtime.tv_sec = st.st_mtim.tv_sec;
	sx.sx_stat.bs_mtime.tv_nsec = st.st_mtim.tv_nsec;
	r = MD_ERRNO(ioctl(tfd, MD_XFS_IOC_SWAPEXT, &sx));
out:
	if (pfd >= 0)
		close(pfd);
	close(tfd);
	return r;
}

static int op_xfs_swapext_target(const struct seal_env *e, const char *t)
{
	return do_swapext(t, e->c);
}

static int op_xfs_swapext_tmp(const struct seal_env *e, const char *t)
{
	return do_swapext(e->d, t);
}

/* XFS_IOC_EXCHANGE_RANGE / COMMIT_RANGE of the whole files, on @file2. */
static inline int do_exchange(const char *file1, const char *file2, bool commit)
{
	struct md_xfs_commit_range cr;
	struct md_xfs_exchange_range xr;
	int f1, f2, r;

	f1 = open(file1, O_RDWR | O_CLOEXEC);
	if (f1 < 0)
		return R_SETUP(errno);
	f2 = open_rw(file2);
	if (f2 < 0) {
		r = R_SETUP(errno);
		close(f1);
		return r;
	}
	if (commit) {
		memset(&cr, 0, sizeof(cr));
		if (ioctl(f2, MD_XFS_IOC_START_COMMIT, &cr)) {
			r = R_SETUP(errno);
			goto out;
		}
		cr.file1_fd = f1;
		cr.length = L_SIZE;
		r = MD_ERRNO(ioctl(f2, MD_XFS_IOC_COMMIT_RANGE, &cr));
	} else {
		memset(&xr, 0, sizeof(xr));
		xr.file1_fd = f1;
		xr.length = L_SIZE;
		r = MD_ERRNO(ioctl(f2, MD_XFS_IOC_EXCHANGE_RANGE, &xr));
	}
out:
	close(f1);
	close(f2);
	return r;
}

static int op_xfs_exchange_range_file2(const struct seal_env *e, const char *t)
{
	return do_exchange(e->c, t, false);
}

static int op_xfs_exchange_range_file1(const struct seal_env *e, const char *t)
{
	return do_exchange(t, e->c, false);
}

static int op_xfs_commit_range_file2(const struct seal_env *e, const char *t)
{
	return do_exchange(e->c, t, true);
}

static int op_xfs_commit_range_file1(const struct seal_env *e, const char *t)
{
	return do_exchange(t, e->c, true);
}

/* --- ext4 ------------------------------------------------------------------- */

struct md_move_extent {
	__u32		reserved;
	__u32		donor_fd;
	__u64		orig_start;
	__u64		donor_start;
	__u64		len;
	__u64		moved_len;
};

#define MD_EXT4_IOC_MIGRATE	_IO('f', 9)
#define MD_EXT4_IOC_MOVE_EXT	_IOWR('f', 15, struct md_move_extent)
#define MD_EXT4_IOC_SWAP_BOOT	_IO('f', 17)

/* EXT4_IOC_MOVE_EXT (e4defrag) of 16 blocks of @donor into @orig. */
static inline int do_move_ext(const char *orig, const char *donor)
{
	struct md_move_extent me;
	int ofd, dfd, r;

	ofd = open(orig, O_RDWR | O_CLOEXEC);
	if (ofd < 0)
		return R_SETUP(errno);
	dfd = open_rw(donor);
	if (dfd < 0) {
		r = R_SETUP(errno);
		close(ofd);
		return r;
	}
	memset(&me, 0, sizeof(me));
	me.donor_fd = dfd;
	me.len = 16;
	r = MD_ERRNO(ioctl(ofd, MD_EXT4_IOC_MOVE_EXT, &me));
	close(ofd);
	close(dfd);
	return r;
}

static int op_ext4_move_ext_orig(const struct seal_env *e, const char *t)
{
	return do_move_ext(t, e->d);
}

static int op_ext4_move_ext_donor(const struct seal_env *e, const char *t)
{
	return do_move_ext(e->d, t);
}

/*
 * EXT4_IOC_SWAP_BOOT exchanges the file's blocks with the boot loader
 * inode's; when it works, the test swaps back and checks the size.
 */
static int op_ext4_swap_boot(const struct seal_env *e, const char *t)
{
	struct stat before, after;
	int fd, r;

	(void)e;
	fd = open(t, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return R_SETUP(errno);
	if (fstat(fd, &before)) {
		r = R_SETUP(errno);
		goto out;
	}
	r = MD_ERRNO(ioctl(fd, MD_EXT4_IOC_SWAP_BOOT));
	if (r)
		goto out;
	if (ioctl(fd, MD_EXT4_IOC_SWAP_BOOT))
		r = R_RESTORE(errno);
	else if (fstat(fd, &after) || after.st_size != before.st_size)
		r = R_SHORT;
out:
	close(fd);
	return r;
}

/* An extent-mapped file: EXT4_IOC_MIGRATE has nothing to do (EINVAL). */
static int op_ext4_migrate(const struct seal_env *e, const char *t)
{
	int fd, flags, r;

	(void)e;
	fd = open(t, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return R_SETUP(errno);
	r = MD_ERRNO(ioctl(fd, MD_EXT4_IOC_MIGRATE));
	if (!r && (ioctl(fd, FS_IOC_GETFLAGS, &flags) || !(flags & FS_EXTENT_FL)))
		r = R_SHORT;	/* "migrated" but not extent-mapped */
	close(fd);
	return r;
}

/*
 * 32 KiB written in one go: a single extent of 8 blocks, which is what
 * ext4_ind_migrate() can convert (one extent, within the 12 direct blocks).
 */
static int prep_ext4_single_extent(const struct seal_env *e, const char *path)
{
	int fd, r;

	(void)e;
	fd = open_rw(path);
	if (fd < 0)
		return errno;
	r = ftruncate(fd, 0) ? errno : md_write_pattern(fd, 0, 8 * MD_PAGE, 1);
	if (!r && fsync(fd))
		r = errno;
	close(fd);
	return r;
}

/* Set or clear FS_EXTENT_FL (chattr -e converts to indirect blocks). */
static inline int set_extent_flag(int fd, bool on)
{
	int flags;

	if (ioctl(fd, FS_IOC_GETFLAGS, &flags))
		return R_SETUP(errno);
	flags = on ? flags | FS_EXTENT_FL : flags & ~FS_EXTENT_FL;
	if (ioctl(fd, FS_IOC_SETFLAGS, &flags))
		return errno;
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags))
		return R_SETUP(errno);
	return !!(flags & FS_EXTENT_FL) == on ? 0 : R_SHORT;
}

/* A single-extent file converted to indirect (block-mapped) form. */
static int prep_ext4_indirect(const struct seal_env *e, const char *path)
{
	int fd, r = prep_ext4_single_extent(e, path);

	if (r)
		return r;
	fd = open_rw(path);
	if (fd < 0)
		return errno;
	r = set_extent_flag(fd, false);
	close(fd);
	return r;
}

static int op_ext4_clear_extents_flag(const struct seal_env *e, const char *t)
{
	int fd, r;

	(void)e;
	fd = open(t, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return R_SETUP(errno);
	r = set_extent_flag(fd, false);
	close(fd);
	return r;
}

#endif /* SEAL_OPS_H */
