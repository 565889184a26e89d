// SPDX-License-Identifier: GPL-2.0
/*
 * S_IOMAP_SEALED enforcement (Documentation/filesystems/dax.rst): while a
 * MAP_DIRECT mapping of a file exists, every operation that would change its
 * block map fails with ETXTBSY (argument errors keep their own errno), and
 * everything else keeps working.  For each operation the test checks, in this
 * order:
 *
 *   1. on an unsealed twin of the file, same filesystem: the normal result
 *   2. with the file mapped MAP_DIRECT by the test process:
 *      a. from the test process itself: the sealed result
 *      b. from another process that opens the file itself (forked before
 *         the mapping existed, so it maps nothing): the sealed result
 *      after each, the file is still sealed, its size and block map
 *      (FIEMAP) are unchanged, and so are its bytes unless the operation
 *      legitimately writes them
 *   3. after munmap: the file is not sealed and the operation gives the
 *      normal result again
 *
 * Expected results are in the operation table (seal_ops.h); notes explain
 * the ones that are not "ETXTBSY sealed, success otherwise".
 *
 * Fixtures: seal (DAX XFS, DAX ext4), seal_xfs (DAX XFS: swapext,
 * exchange-range, commit-range), seal_ext4 (DAX ext4: move_ext, swap_boot,
 * migrate, the extents flag).
 */
#define _GNU_SOURCE

#include "../kselftest_harness.h"
#include "seal_ops.h"

#define RW	(PROT_READ | PROT_WRITE)
#define ETXT	ETXTBSY

/* --- the operation table ---------------------------------------------------- */

#define OP(n, s_xfs, s_ext4, c_xfs, c_ext4, ...)			\
	static const struct seal_op op_##n##_entry = {			\
		.name = #n, .run = op_##n,				\
		.sealed_xfs = s_xfs, .sealed_ext4 = s_ext4,		\
		.ctl_xfs = c_xfs, .ctl_ext4 = c_ext4, __VA_ARGS__ }

OP(ftruncate_smaller, ETXT, ETXT, 0, 0);
OP(ftruncate_larger, ETXT, ETXT, 0, 0);
OP(ftruncate_same, ETXT, ETXT, 0, 0);
OP(truncate_path, ETXT, ETXT, 0, 0);
OP(open_o_trunc, ETXT, ETXT, 0, 0);
OP(fallocate_past_eof, ETXT, ETXT, 0, 0);
OP(fallocate_into_hole, ETXT, ETXT, 0, 0);
OP(fallocate_keep_size, ETXT, ETXT, 0, 0);
OP(fallocate_punch_hole, ETXT, ETXT, 0, 0);
OP(fallocate_zero_range, ETXT, ETXT, 0, 0);
OP(fallocate_collapse_range, ETXT, ETXT, 0, 0);
OP(fallocate_insert_range, ETXT, ETXT, 0, 0);
OP(fallocate_unshare_range, ETXT, ETXT, 0, EOPNOTSUPP, .note =
	"ext4 has no unshare (EOPNOTSUPP from ext4_fallocate), but the seal is checked first, in vfs_fallocate()");
OP(fallocate_invalid_mode, EOPNOTSUPP, EOPNOTSUPP, EOPNOTSUPP, EOPNOTSUPP, .note =
	"PUNCH_HOLE without KEEP_SIZE: argument errors come before the seal");
OP(fallocate_zero_length, EINVAL, EINVAL, EINVAL, EINVAL, .note =
	"len 0: argument errors come before the seal");
OP(fallocate_read_only_fd, EBADF, EBADF, EBADF, EBADF, .note =
	"O_RDONLY fd: argument errors come before the seal");
OP(ficlone_into, ETXT, EOPNOTSUPP, 0, EOPNOTSUPP, .note =
	"ext4 has no reflink: EOPNOTSUPP before any seal check");
OP(ficlone_from, ETXT, EOPNOTSUPP, 0, EOPNOTSUPP, .note =
	"ext4 has no reflink: EOPNOTSUPP before any seal check");
OP(ficlonerange_into, ETXT, EOPNOTSUPP, 0, EOPNOTSUPP, .note =
	"ext4 has no reflink: EOPNOTSUPP before any seal check");
OP(ficlonerange_from, ETXT, EOPNOTSUPP, 0, EOPNOTSUPP, .note =
	"ext4 has no reflink: EOPNOTSUPP before any seal check");
OP(dedupe_into, R_STATUS(ETXT), EOPNOTSUPP, 0, EOPNOTSUPP, .note =
	"XFS: the ioctl succeeds, the destination's status is -ETXTBSY; ext4 has no dedupe");
OP(dedupe_from, R_STATUS(ETXT), EOPNOTSUPP, 0, EOPNOTSUPP, .note =
	"XFS: the ioctl succeeds, the destination's status is -ETXTBSY; ext4 has no dedupe");
OP(copy_file_range_into, ETXT, ETXT, 0, 0);
OP(copy_file_range_out_of, 0, 0, 0, 0, .note =
	"copying out of a sealed file works (XFS falls back from reflink to a copy)");
OP(pwrite_past_eof, ETXT, ETXT, 0, 0);
OP(pwrite_across_eof, ETXT, ETXT, 0, 0, .note =
	"the whole write is refused, no short write");
OP(write_o_append, ETXT, ETXT, 0, 0);
OP(pwrite_over_written, 0, 0, 0, 0, .writes_data = true, .note =
	"overwriting written blocks inside EOF does not change the block map");
OP(pwrite_into_hole, ETXT, ETXT, 0, 0);
OP(pwrite_into_unwritten, ETXT, ETXT, 0, 0);
OP(swapon, ETXT, ETXT, EINVAL, EINVAL, .prepare = prep_swap_header, .note =
	"6.12 cannot swap to a DAX file (no ->read_folio): EINVAL unsealed; the seal check comes first");
OP(setxattr_getxattr, 0, 0, 0, 0);
OP(chmod, 0, 0, 0, 0);
OP(utimes, 0, 0, 0, 0);
OP(setflags_noatime, 0, 0, 0, 0, .note =
	"rewriting the inode flags must neither fail nor drop the seal");
OP(truncate_other_file, 0, 0, 0, 0);
OP(xfs_swapext_target, ETXT, ETXT, 0, 0);
OP(xfs_swapext_tmp, ETXT, ETXT, 0, 0);
OP(xfs_exchange_range_file2, X_EXCH_SEALED, 0, X_EXCH_CONTROL, 0);
OP(xfs_exchange_range_file1, X_EXCH_SEALED, 0, X_EXCH_CONTROL, 0);
OP(xfs_commit_range_file2, X_EXCH_SEALED, 0, X_EXCH_CONTROL, 0);
OP(xfs_commit_range_file1, X_EXCH_SEALED, 0, X_EXCH_CONTROL, 0);
OP(ext4_move_ext_orig, 0, EOPNOTSUPP, 0, EOPNOTSUPP, .note =
	"6.12 refuses online defrag of DAX files (EOPNOTSUPP) before looking at either file's block map");
OP(ext4_move_ext_donor, 0, EOPNOTSUPP, 0, EOPNOTSUPP, .note =
	"6.12 refuses online defrag of DAX files (EOPNOTSUPP) before looking at either file's block map");
OP(ext4_swap_boot, 0, ETXT, 0, 0, .note =
	"unsealed, the test swaps the blocks back to the boot loader inode right away");
OP(ext4_migrate, 0, EINVAL, 0, EINVAL, .note =
	"the file already uses extents: EINVAL (an argument error) before the seal");

/* The same operations on files prepared differently. */
static const struct seal_op op_ext4_migrate_indirect_entry = {
	.name = "ext4_migrate (indirect-mapped file)",
	.prepare = prep_ext4_indirect, .run = op_ext4_migrate,
	.sealed_ext4 = ETXT, .ctl_ext4 = 0,
};

static const struct seal_op op_ext4_clear_extents_flag_entry = {
	.name = "ext4_clear_extents_flag (chattr -e)",
	.prepare = prep_ext4_single_extent, .run = op_ext4_clear_extents_flag,
	.sealed_ext4 = ETXT, .ctl_ext4 = 0,
	.note = "converting to indirect blocks (ext4_ind_migrate) rewrites the block map",
};

/* --- the environment ---------------------------------------------------------- */

static void env_teardown(struct seal_env *e)
{
	const char * const paths[] = { e->a, e->b, e->c, e->d };
	unsigned int i;

	for (i = 0; i < 4; i++) {
		if (!paths[i][0])
			continue;
		swapoff(paths[i]);
		unlink(paths[i]);
	}
}

static bool env_setup(struct __test_metadata *_metadata, struct seal_env *e,
		      const struct md_fs *fs)
{
	struct md_extent ext[MD_MAX_EXTENTS];
	char why[256];
	int fd, n, ret;

	if (!md_have_map_direct(why, sizeof(why)))
		SKIP(return false, "%s", why);
	e->dir = md_mount(fs, why, sizeof(why));
	if (!e->dir)
		SKIP(return false, "%s", why);
	e->xfs = fs->xfs;
	ret = make_layout(e->dir, "seal-a", e->a);
	if (!ret)
		ret = make_layout(e->dir, "seal-b", e->b);
	if (!ret)
		ret = make_layout(e->dir, "seal-d", e->d);
	if (!ret)
		ret = make_peer(e->dir, e->c);
	EXPECT_EQ(0, ret) TH_LOG("create the test files in %s: %s", e->dir,
				 strerror(-ret));

	/* the premise: the layout really has a hole and an unwritten range */
	fd = ret ? -1 : open(e->a, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -EBADF : md_fiemap(fd, ext, MD_MAX_EXTENTS);
	if (fd >= 0) {
		EXPECT_EQ(1, md_is_dax(fd)) TH_LOG("%s: the file is not DAX", fs->name);
		EXPECT_LT(0, n) TH_LOG("FIEMAP: %s", md_errname(n));
		close(fd);
	}
	if (n > 0) {
		EXPECT_EQ(MD_WRITTEN, md_range_kind(ext, n, 0, SZ_64K));
		EXPECT_EQ(MD_HOLE, md_range_kind(ext, n, L_HOLE, SZ_64K))
			TH_LOG("premise: [64K, 128K) is a hole");
		EXPECT_EQ(MD_UNWRITTEN, md_range_kind(ext, n, L_UNWRITTEN, SZ_64K))
			TH_LOG("premise: [128K, 192K) is unwritten");
		EXPECT_EQ(MD_WRITTEN, md_range_kind(ext, n, 3 * SZ_64K, SZ_64K));
	}
	if (_metadata->exit_code) {
		/* the test will not run, nor will the teardown */
		env_teardown(e);
		return false;
	}
	return true;
}

/* --- another process, forked before the mapping exists ------------------------- */

struct helper {
	pid_t pid;
	int req;
	int resp;
};

static int helper_start(struct helper *h, const struct seal_env *e,
			const struct seal_op *op)
{
	int req[2], resp[2], cmd;

	if (pipe2(req, O_CLOEXEC) || pipe2(resp, O_CLOEXEC))
		return -errno;
	fflush(NULL);
	h->pid = fork();
	if (h->pid < 0)
		return -errno;
	if (h->pid == 0) {
		close(req[1]);
		close(resp[0]);
		while (!md_recv_int(req[0], &cmd))
			md_send_int(resp[1], op->run(e, e->a));
		_exit(0);
	}
	close(req[0]);
	close(resp[1]);
	h->req = req[1];
	h->resp = resp[0];
	return 0;
}

static int helper_run(struct helper *h)
{
	int r;

	if (md_send_int(h->req, 1) || md_recv_int(h->resp, &r))
		return R_SETUP(EPIPE);
	return r;
}

static void helper_stop(struct helper *h)
{
	close(h->req);
	close(h->resp);
	waitpid(h->pid, NULL, 0);
}

/* --- the state of the sealed file ----------------------------------------------- */

struct snapshot {
	off_t size;
	unsigned char *data;
	struct md_extent ext[MD_MAX_EXTENTS];
	int n;
};

static int snapshot_take(int fd, struct snapshot *s)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	s->size = st.st_size;
	s->data = malloc(s->size ? s->size : 1);
	if (!s->data)
		return -ENOMEM;
	if (pread(fd, s->data, s->size, 0) != s->size)
		return -EIO;
	s->n = md_fiemap(fd, s->ext, MD_MAX_EXTENTS);
	return s->n < 0 ? s->n : 0;
}

static void check_unchanged(struct __test_metadata *_metadata, int fd,
			    const struct snapshot *before, bool data_may_change,
			    const char *who)
{
	struct snapshot now;
	int i;

	memset(&now, 0, sizeof(now));
	ASSERT_EQ(0, snapshot_take(fd, &now)) TH_LOG("read back the file");
	EXPECT_EQ(before->size, now.size) TH_LOG("%s: the size changed", who);
	EXPECT_EQ(before->n, now.n) TH_LOG("%s: the number of extents changed", who);
	for (i = 0; i < before->n && i < now.n; i++) {
		EXPECT_TRUE(before->ext[i].logical == now.ext[i].logical &&
			    before->ext[i].physical == now.ext[i].physical &&
			    before->ext[i].length == now.ext[i].length &&
			    before->ext[i].flags == now.ext[i].flags)
			TH_LOG("%s: extent %d changed: %llu+%llu at %llu flags %#x -> %llu+%llu at %llu flags %#x",
			       who, i,
			       (unsigned long long)before->ext[i].logical,
			       (unsigned long long)before->ext[i].length,
			       (unsigned long long)before->ext[i].physical,
			       before->ext[i].flags,
			       (unsigned long long)now.ext[i].logical,
			       (unsigned long long)now.ext[i].length,
			       (unsigned long long)now.ext[i].physical,
			       now.ext[i].flags);
	}
	if (!data_may_change && before->size == now.size)
		EXPECT_EQ(0, memcmp(before->data, now.data, now.size))
			TH_LOG("%s: the file's data changed", who);
	free(now.data);
}

/* --- the driver ------------------------------------------------------------------ */

static int resolve(const struct seal_env *e, int want)
{
	if (want == X_EXCH_SEALED)
		return e->exchrange ? ETXTBSY : EOPNOTSUPP;
	if (want == X_EXCH_CONTROL)
		return e->exchrange ? 0 : EOPNOTSUPP;
	return want;
}

#define EXPECT_RESULT(want, got, what) do {				\
	char __b1[96], __b2[96];					\
	EXPECT_EQ(want, got) TH_LOG("%s %s on %s: got %s, expected %s%s%s", \
		op->name, what, e->xfs ? "DAX XFS" : "DAX ext4",	\
		res_str(got, __b1, sizeof(__b1)),			\
		res_str(want, __b2, sizeof(__b2)),			\
		op->note ? " -- " : "", op->note ? op->note : "");	\
} while (0)

static void check_op(struct __test_metadata *_metadata, struct seal_env *e,
		     const struct seal_op *op)
{
	int want_sealed = resolve(e, e->xfs ? op->sealed_xfs : op->sealed_ext4);
	int want_ctl = resolve(e, e->xfs ? op->ctl_xfs : op->ctl_ext4);
	struct helper h = { .pid = -1, .req = -1, .resp = -1 };
	struct snapshot before;
	int fd, r;
	void *p;

	if (op->prepare) {
		r = op->prepare(e, e->a);
		ASSERT_EQ(0, r) TH_LOG("prepare the file under test: %s", md_errname(r));
		r = op->prepare(e, e->b);
		ASSERT_EQ(0, r) TH_LOG("prepare the control file: %s", md_errname(r));
	}
	if (op->note)
		TH_LOG("%s", op->note);

	/* 1: an unsealed file of the same filesystem */
	r = op->run(e, e->b);
	EXPECT_RESULT(want_ctl, r, "on an unsealed file");

	/* 2: sealed */
	ASSERT_EQ(0, helper_start(&h, e, op));
	fd = open(e->a, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	memset(&before, 0, sizeof(before));
	ASSERT_EQ(0, snapshot_take(fd, &before));
	p = md_mmap3(NULL, before.size, RW, MAP_SHARED | MAP_DIRECT, fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap3 MAP_DIRECT of the file under test: %s",
					md_errname(errno));
	ASSERT_SEAL(1, md_seal_state(fd), "mapped MAP_DIRECT");

	r = op->run(e, e->a);
	EXPECT_RESULT(want_sealed, r, "by the mapping process, sealed");
	EXPECT_SEAL(1, md_seal_state(fd), "after %s by the mapping process", op->name);
	check_unchanged(_metadata, fd, &before, op->writes_data, "mapping process");

	r = helper_run(&h);
	EXPECT_RESULT(want_sealed, r, "by another process, sealed");
	EXPECT_SEAL(1, md_seal_state(fd), "after %s by another process", op->name);
	check_unchanged(_metadata, fd, &before, op->writes_data, "other process");
	helper_stop(&h);

	/* 3: unsealed again */
	ASSERT_EQ(0, munmap(p, before.size));
	EXPECT_SEAL(0, md_seal_state(fd), "after munmap");
	r = op->run(e, e->a);
	EXPECT_RESULT(want_ctl, r, "after munmap");
	free(before.data);
	close(fd);
}

/* --- DAX XFS and DAX ext4 ------------------------------------------------------------ */

FIXTURE(seal) {
	struct seal_env e;
};

FIXTURE_VARIANT(seal) {
	struct md_fs fs;
};

FIXTURE_VARIANT_ADD(seal, dax_xfs) { .fs = MD_FS_DAX_XFS };
FIXTURE_VARIANT_ADD(seal, dax_ext4) { .fs = MD_FS_DAX_EXT4 };

FIXTURE_SETUP(seal)
{
	env_setup(_metadata, &self->e, &variant->fs);
}

FIXTURE_TEARDOWN_PARENT(seal)
{
	env_teardown(&self->e);
}

TEST_F(seal, ftruncate_smaller)
{
	check_op(_metadata, &self->e, &op_ftruncate_smaller_entry);
}

TEST_F(seal, ftruncate_larger)
{
	check_op(_metadata, &self->e, &op_ftruncate_larger_entry);
}

TEST_F(seal, ftruncate_same)
{
	check_op(_metadata, &self->e, &op_ftruncate_same_entry);
}

TEST_F(seal, truncate_path)
{
	check_op(_metadata, &self->e, &op_truncate_path_entry);
}

TEST_F(seal, open_o_trunc)
{
	check_op(_metadata, &self->e, &op_open_o_trunc_entry);
}

TEST_F(seal, fallocate_past_eof)
{
	check_op(_metadata, &self->e, &op_fallocate_past_eof_entry);
}

TEST_F(seal, fallocate_into_hole)
{
	check_op(_metadata, &self->e, &op_fallocate_into_hole_entry);
}

TEST_F(seal, fallocate_keep_size)
{
	check_op(_metadata, &self->e, &op_fallocate_keep_size_entry);
}

TEST_F(seal, fallocate_punch_hole)
{
	check_op(_metadata, &self->e, &op_fallocate_punch_hole_entry);
}

TEST_F(seal, fallocate_zero_range)
{
	check_op(_metadata, &self->e, &op_fallocate_zero_range_entry);
}

TEST_F(seal, fallocate_collapse_range)
{
	check_op(_metadata, &self->e, &op_fallocate_collapse_range_entry);
}

TEST_F(seal, fallocate_insert_range)
{
	check_op(_metadata, &self->e, &op_fallocate_insert_range_entry);
}

TEST_F(seal, fallocate_unshare_range)
{
	check_op(_metadata, &self->e, &op_fallocate_unshare_range_entry);
}

TEST_F(seal, fallocate_invalid_mode)
{
	check_op(_metadata, &self->e, &op_fallocate_invalid_mode_entry);
}

TEST_F(seal, fallocate_zero_length)
{
	check_op(_metadata, &self->e, &op_fallocate_zero_length_entry);
}

TEST_F(seal, fallocate_read_only_fd)
{
	check_op(_metadata, &self->e, &op_fallocate_read_only_fd_entry);
}

TEST_F(seal, ficlone_into)
{
	check_op(_metadata, &self->e, &op_ficlone_into_entry);
}

TEST_F(seal, ficlone_from)
{
	check_op(_metadata, &self->e, &op_ficlone_from_entry);
}

TEST_F(seal, ficlonerange_into)
{
	check_op(_metadata, &self->e, &op_ficlonerange_into_entry);
}

TEST_F(seal, ficlonerange_from)
{
	check_op(_metadata, &self->e, &op_ficlonerange_from_entry);
}

TEST_F(seal, dedupe_into)
{
	check_op(_metadata, &self->e, &op_dedupe_into_entry);
}

TEST_F(seal, dedupe_from)
{
	check_op(_metadata, &self->e, &op_dedupe_from_entry);
}

TEST_F(seal, copy_file_range_into)
{
	check_op(_metadata, &self->e, &op_copy_file_range_into_entry);
}

TEST_F(seal, copy_file_range_out_of)
{
	check_op(_metadata, &self->e, &op_copy_file_range_out_of_entry);
}

TEST_F(seal, pwrite_past_eof)
{
	check_op(_metadata, &self->e, &op_pwrite_past_eof_entry);
}

TEST_F(seal, pwrite_across_eof)
{
	check_op(_metadata, &self->e, &op_pwrite_across_eof_entry);
}

TEST_F(seal, write_o_append)
{
	check_op(_metadata, &self->e, &op_write_o_append_entry);
}

TEST_F(seal, pwrite_over_written)
{
	check_op(_metadata, &self->e, &op_pwrite_over_written_entry);
}

TEST_F(seal, pwrite_into_hole)
{
	check_op(_metadata, &self->e, &op_pwrite_into_hole_entry);
}

TEST_F(seal, pwrite_into_unwritten)
{
	check_op(_metadata, &self->e, &op_pwrite_into_unwritten_entry);
}

TEST_F(seal, swapon)
{
	check_op(_metadata, &self->e, &op_swapon_entry);
}

TEST_F(seal, setxattr_getxattr)
{
	check_op(_metadata, &self->e, &op_setxattr_getxattr_entry);
}

TEST_F(seal, chmod)
{
	check_op(_metadata, &self->e, &op_chmod_entry);
}

TEST_F(seal, utimes)
{
	check_op(_metadata, &self->e, &op_utimes_entry);
}

TEST_F(seal, setflags_noatime)
{
	check_op(_metadata, &self->e, &op_setflags_noatime_entry);
}

TEST_F(seal, truncate_other_file)
{
	check_op(_metadata, &self->e, &op_truncate_other_file_entry);
}

/* --- DAX XFS only ------------------------------------------------------------------- */

FIXTURE(seal_xfs) {
	struct seal_env e;
};

FIXTURE_VARIANT(seal_xfs) {
	struct md_fs fs;
};

FIXTURE_VARIANT_ADD(seal_xfs, dax_xfs) { .fs = MD_FS_DAX_XFS };

FIXTURE_SETUP(seal_xfs)
{
	int has;

	if (!env_setup(_metadata, &self->e, &variant->fs))
		return;
	has = xfs_has_exchrange(self->e.a);
	ASSERT_LE(0, has) TH_LOG("XFS_IOC_FSGEOMETRY: %s", md_errname(has));
	self->e.exchrange = has;
	if (!has)
		TH_LOG("this XFS has no exchange-range feature (mkfs.xfs before 6.10): EXCHANGE_RANGE and COMMIT_RANGE are EOPNOTSUPP before any seal check");
}

FIXTURE_TEARDOWN_PARENT(seal_xfs)
{
	env_teardown(&self->e);
}

TEST_F(seal_xfs, xfs_swapext_target)
{
	check_op(_metadata, &self->e, &op_xfs_swapext_target_entry);
}

TEST_F(seal_xfs, xfs_swapext_tmp)
{
	check_op(_metadata, &self->e, &op_xfs_swapext_tmp_entry);
}

TEST_F(seal_xfs, xfs_exchange_range_file2)
{
	check_op(_metadata, &self->e, &op_xfs_exchange_range_file2_entry);
}

TEST_F(seal_xfs, xfs_exchange_range_file1)
{
	check_op(_metadata, &self->e, &op_xfs_exchange_range_file1_entry);
}

TEST_F(seal_xfs, xfs_commit_range_file2)
{
	check_op(_metadata, &self->e, &op_xfs_commit_range_file2_entry);
}

TEST_F(seal_xfs, xfs_commit_range_file1)
{
	check_op(_metadata, &self->e, &op_xfs_commit_range_file1_entry);
}

/*
 * Post-EOF blocks of a sealed file (abi: XFS frees them neither on close,
 * nor by XFS_IOC_FREE_EOFBLOCKS, nor in background blockgc while sealed).
 *
 * A DAX file gets no speculative preallocation (that is delalloc, i.e.
 * buffered writes), but an extent size hint rounds every allocation up:
 * with a 64 KiB hint, writing 8 KiB allocates [0, 64K), written (DAX
 * allocations are zeroed and converted), and 56 KiB of it lies past EOF.
 * The first close of a writable fd trims such blocks (xfs_file_release ->
 * xfs_free_eofblocks, once per inode: XFS_EOFBLOCKS_RELEASED).
 * XFS_IOC_FREE_EOFBLOCKS and blockgc only visit inodes tagged by delalloc
 * preallocation, which a DAX inode never is: the ioctl is checked to
 * succeed and change nothing.  Once unsealed, the blocks go when the inode
 * is evicted (xfs_inactive -> xfs_free_eofblocks; nothing faults the
 * mapping in, because the inode shrinker cannot drop DAX entries and so
 * never evicts an inode that has them).
 */
#define EOF_HINT	SZ_64K
#define EOF_SIZE	(2 * MD_PAGE)

struct md_xfs_fs_eofblocks {
	__u32		eof_version;
	__u32		eof_flags;
	__u32		eof_uid;
	__u32		eof_gid;
	__u32		eof_prid;
	__u32		pad32;
	__u64		eof_min_file_size;
	__u64		pad64[12];
};

_Static_assert(sizeof(struct md_xfs_fs_eofblocks) == 128, "struct xfs_fs_eofblocks");
#define MD_XFS_IOC_FREE_EOFBLOCKS	_IOR('X', 58, struct md_xfs_fs_eofblocks)
#define MD_XFS_EOFBLOCKS_VERSION	1
#define MD_XFS_EOF_FLAGS_SYNC		(1 << 0)

/* A new file at @path with a 64 KiB extent size hint and 8 KiB of data. */
static int make_post_eof(const char *dir, const char *tag, char *path)
{
	struct fsxattr fa;
	int fd = md_create(dir, tag, path);
	int err = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, FS_IOC_FSGETXATTR, &fa)) {
		err = errno;
	} else {
		fa.fsx_xflags |= FS_XFLAG_EXTSIZE;
		fa.fsx_extsize = EOF_HINT;
		if (ioctl(fd, FS_IOC_FSSETXATTR, &fa))
			err = errno;
	}
	if (!err)
		err = md_write_pattern(fd, 0, EOF_SIZE, 5);
	if (!err && fsync(fd))
		err = errno;
	if (err) {
		close(fd);
		return -err;
	}
	return fd;
}

/* Allocated bytes (st_blocks * 512) of @path, or -errno. */
static long long allocated(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -errno : (long long)st.st_blocks * 512;
}

/* Open @path for writing and close it again: the close that trims. */
static int close_writable_fd(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return errno;
	return close(fd) ? errno : 0;
}

static int free_eofblocks(int fd)
{
	struct md_xfs_fs_eofblocks eb = {
		.eof_version = MD_XFS_EOFBLOCKS_VERSION,
		.eof_flags = MD_XFS_EOF_FLAGS_SYNC,
	};

	return MD_ERRNO(ioctl(fd, MD_XFS_IOC_FREE_EOFBLOCKS, &eb));
}

/* Evict the (unused) inode of @path; its allocated bytes afterwards. */
static long long allocated_after_eviction(const char *path)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
	long long now = -EIO;
	int i;

	if (fd < 0)
		return -errno;
	sync();
	for (i = 0; i < 50; i++) {
		if (write(fd, "2", 1) != 1) {
			now = -errno;
			break;
		}
		now = allocated(path);
		if (now != (long long)EOF_HINT)
			break;
		usleep(100 * 1000);
	}
	close(fd);
	return now;
}

TEST_F(seal_xfs, post_eof_blocks_kept_while_sealed)
{
	struct seal_env *e = &self->e;
	struct snapshot before;
	long long held;
	int fd, ctl, r;
	void *p;

	/* c and d are recreated here, so that the teardown removes them */
	unlink(e->c);
	unlink(e->d);
	fd = make_post_eof(e->dir, "eof", e->c);
	ASSERT_LE(0, fd) TH_LOG("make a file with an extent size hint: %s", md_errname(fd));
	ctl = make_post_eof(e->dir, "eof-ctl", e->d);
	ASSERT_LE(0, ctl) TH_LOG("make the control file: %s", md_errname(ctl));
	ASSERT_EQ((long long)EOF_HINT, allocated(e->c))
		TH_LOG("premise: %lu bytes written with a %lu-byte extent size hint allocate %lu bytes",
		       EOF_SIZE, EOF_HINT, EOF_HINT);
	ASSERT_EQ(MD_WRITTEN, md_fd_range(fd, 0, EOF_HINT))
		TH_LOG("premise: FIEMAP shows [0, %lu) written, past EOF (%lu) too",
		       EOF_HINT, EOF_SIZE);

	/* unsealed, the first close of a writable fd trims post-EOF blocks */
	ASSERT_EQ(0, close_writable_fd(e->d));
	EXPECT_EQ((long long)EOF_SIZE, allocated(e->d))
		TH_LOG("control: closing a writable fd of an unsealed file frees its post-EOF blocks");

	p = md_mmap3(NULL, EOF_SIZE, RW, MAP_SHARED | MAP_DIRECT, fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap3 MAP_DIRECT: %s", md_errname(errno));
	ASSERT_SEAL(1, md_seal_state(fd), "mapped MAP_DIRECT");
	memset(&before, 0, sizeof(before));
	ASSERT_EQ(0, snapshot_take(fd, &before));

	ASSERT_EQ(0, close_writable_fd(e->c));
	EXPECT_EQ((long long)EOF_HINT, allocated(e->c))
		TH_LOG("closing a writable fd freed post-EOF blocks of a sealed file");
	check_unchanged(_metadata, fd, &before, false, "close of another fd");

	/* compared with the state right before, whatever the close did */
	free(before.data);
	ASSERT_EQ(0, snapshot_take(fd, &before));
	held = allocated(e->c);
	r = free_eofblocks(fd);
	EXPECT_ERRNO(0, r, "XFS_IOC_FREE_EOFBLOCKS (SYNC)");
	EXPECT_EQ(held, allocated(e->c))
		TH_LOG("XFS_IOC_FREE_EOFBLOCKS freed post-EOF blocks of a sealed file");
	check_unchanged(_metadata, fd, &before, false, "XFS_IOC_FREE_EOFBLOCKS");
	EXPECT_SEAL(1, md_seal_state(fd), "after the close and the ioctl");
	/* pread, no fault: DAX entries would keep the inode from eviction */
	EXPECT_EQ(-1, md_read_check(fd, 0, EOF_SIZE, 5)) TH_LOG("the data changed");

	/*
	 * Unsealed and unused, the inode's eviction frees them.  (Not the
	 * seal probe first: a truncate to the same size frees them too.)
	 */
	ASSERT_EQ(0, munmap(p, EOF_SIZE));
	close(fd);
	close(ctl);
	EXPECT_EQ((long long)EOF_SIZE, allocated_after_eviction(e->c))
		TH_LOG("after munmap, evicting the inode should free its post-EOF blocks");
	EXPECT_SEAL(0, md_seal_state_path(e->c), "after munmap");
	free(before.data);
}

/* --- DAX ext4 only ------------------------------------------------------------------ */

FIXTURE(seal_ext4) {
	struct seal_env e;
};

FIXTURE_VARIANT(seal_ext4) {
	struct md_fs fs;
};

FIXTURE_VARIANT_ADD(seal_ext4, dax_ext4) { .fs = MD_FS_DAX_EXT4 };

FIXTURE_SETUP(seal_ext4)
{
	env_setup(_metadata, &self->e, &variant->fs);
}

FIXTURE_TEARDOWN_PARENT(seal_ext4)
{
	env_teardown(&self->e);
}

TEST_F(seal_ext4, ext4_move_ext_orig)
{
	check_op(_metadata, &self->e, &op_ext4_move_ext_orig_entry);
}

TEST_F(seal_ext4, ext4_move_ext_donor)
{
	check_op(_metadata, &self->e, &op_ext4_move_ext_donor_entry);
}

TEST_F(seal_ext4, ext4_swap_boot)
{
	check_op(_metadata, &self->e, &op_ext4_swap_boot_entry);
}

TEST_F(seal_ext4, ext4_migrate)
{
	check_op(_metadata, &self->e, &op_ext4_migrate_entry);
}

TEST_F(seal_ext4, ext4_migrate_indirect)
{
	check_op(_metadata, &self->e, &op_ext4_migrate_indirect_entry);
}

TEST_F(seal_ext4, ext4_clear_extents_flag)
{
	check_op(_metadata, &self->e, &op_ext4_clear_extents_flag_entry);
}

TEST_HARNESS_MAIN
