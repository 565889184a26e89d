/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The extents of a file (FIEMAP), for map_direct.h and for the project's
 * benchmark: needs nothing of the kselftest harness.
 */
#ifndef MD_FIEMAP_H
#define MD_FIEMAP_H

#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <linux/types.h>

struct md_extent {
	__u64 logical;
	__u64 physical;
	__u64 length;
	__u32 flags;
};

#define MD_MAX_EXTENTS 64

/* The extents of @fd (FIEMAP, synced first); their count or -errno. */
static inline int md_fiemap(int fd, struct md_extent *ext, int max)
{
	size_t size = sizeof(struct fiemap) + max * sizeof(struct fiemap_extent);
	struct fiemap *fm = calloc(1, size);
	unsigned int i;
	int ret;

	if (!fm)
		return -ENOMEM;
	fm->fm_start = 0;
	fm->fm_length = FIEMAP_MAX_OFFSET;
	fm->fm_flags = FIEMAP_FLAG_SYNC;
	fm->fm_extent_count = max;
	if (ioctl(fd, FS_IOC_FIEMAP, fm)) {
		ret = -errno;
	} else {
		for (i = 0; i < fm->fm_mapped_extents; i++) {
			ext[i].logical = fm->fm_extents[i].fe_logical;
			ext[i].physical = fm->fm_extents[i].fe_physical;
			ext[i].length = fm->fm_extents[i].fe_length;
			ext[i].flags = fm->fm_extents[i].fe_flags;
		}
		ret = fm->fm_mapped_extents;
	}
	free(fm);
	return ret;
}

#endif /* MD_FIEMAP_H */
