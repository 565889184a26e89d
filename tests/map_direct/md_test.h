/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the map_direct selftests: where the filesystems under
 * test are mounted, test files on them, data patterns.
 *
 * The mount points come from the environment variables below (README shows
 * how to set up the filesystems):
 *   MD_MNT_XFS_DAX, MD_MNT_EXT4_DAX   XFS / ext4 on fsdax pmem, -o dax
 *   MD_MNT_XFS, MD_MNT_EXT4           their non-DAX twins (loop images)
 *   MD_MNT_TMPFS                      a tmpfs directory
 * A test whose variable is unset SKIPs with the reason (which variable is
 * missing).
 */
#ifndef MD_TEST_H
#define MD_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX 0x00200000
#endif

#define MD_PAGE 4096UL

struct md_fs {
	const char *env;	/* variable naming the mount point */
	const char *name;	/* for messages */
	bool dax;		/* files there are DAX */
	bool tmpfs;
	bool xfs;
};

#define MD_FS_DAX_XFS	{ "MD_MNT_XFS_DAX", "DAX XFS", true, false, true }
#define MD_FS_DAX_EXT4	{ "MD_MNT_EXT4_DAX", "DAX ext4", true, false, false }
#define MD_FS_XFS	{ "MD_MNT_XFS", "non-DAX XFS", false, false, true }
#define MD_FS_EXT4	{ "MD_MNT_EXT4", "non-DAX ext4", false, false, false }
#define MD_FS_TMPFS	{ "MD_MNT_TMPFS", "tmpfs", false, true, false }

/* The mount point of @fs, or NULL (and a reason in @why) if not given. */
static inline const char *md_mount(const struct md_fs *fs, char *why,
				   size_t len)
{
	const char *dir = getenv(fs->env);

	if (!dir || !*dir) {
		snprintf(why, len, "%s is not set: no %s mount to test on",
			 fs->env, fs->name);
		return NULL;
	}
	return dir;
}

/* Create a new empty file in @dir; its path goes to @path. */
static inline int md_create(const char *dir, const char *tag, char *path)
{
	static unsigned int seq;

	snprintf(path, PATH_MAX, "%s/md-%s-%d-%u", dir, tag, getpid(), seq++);
	unlink(path);
	return open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
}

/* 1 if @fd is a DAX file, 0 if not, -1 (errno set) if statx fails. */
static inline int md_is_dax(int fd)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx))
		return -1;
	return !!(stx.stx_attributes & STATX_ATTR_DAX);
}

/* The byte expected at offset @off of a file filled with pattern @seed. */
static inline unsigned char md_pattern(unsigned long off, unsigned int seed)
{
	return (unsigned char)((off * 7 + seed * 31 + (off >> 12)) & 0xff);
}

static inline void md_fill(unsigned char *buf, unsigned long off,
			   size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = md_pattern(off + i, seed);
}

/* Offset of the first byte that differs from the pattern, or -1. */
static inline long md_check(const unsigned char *buf, unsigned long off,
			    size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != md_pattern(off + i, seed))
			return (long)i;
	return -1;
}

/* Write @len bytes of pattern @seed at @off with pwrite(); 0 or errno. */
static inline int md_write_pattern(int fd, unsigned long off, size_t len,
				   unsigned int seed)
{
	unsigned char *buf = malloc(len);
	ssize_t n;
	int err = 0;

	if (!buf)
		return ENOMEM;
	md_fill(buf, off, len, seed);
	n = pwrite(fd, buf, len, off);
	if (n < 0)
		err = errno;
	else if ((size_t)n != len)
		err = EIO;
	free(buf);
	return err;
}

/*
 * Read @len bytes at @off with pread() and compare them with pattern
 * @seed: -1 if they match, the offset of the first mismatch, or -2 if the
 * read itself fails.
 */
static inline long md_read_check(int fd, unsigned long off, size_t len,
				 unsigned int seed)
{
	unsigned char *buf = malloc(len);
	long ret;

	if (!buf)
		return -2;
	if (pread(fd, buf, len, off) != (ssize_t)len)
		ret = -2;
	else
		ret = md_check(buf, off, len, seed);
	free(buf);
	return ret;
}

/* mmap() then munmap(): 0 if the mapping could be made, else its errno. */
static inline int md_try_mmap(int fd, size_t len, int prot, int flags)
{
	void *p = mmap(NULL, len, prot, flags, fd, 0);

	if (p == MAP_FAILED)
		return errno;
	munmap(p, len);
	return 0;
}

#endif /* MD_TEST_H */
