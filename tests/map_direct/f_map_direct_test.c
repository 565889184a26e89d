// SPDX-License-Identifier: GPL-2.0
/*
 * fcntl(F_MAP_DIRECT): a process with CAP_LINUX_IMMUTABLE (in the initial
 * user namespace) marks an open file description; any holder of that
 * description may then create MAP_DIRECT mappings without the
 * capability.  The mark is shared by dup(), fork() and SCM_RIGHTS, not by a
 * fresh open(); it relaxes only the capability rule.
 *
 * Privileges are dropped in forked children only: either just
 * CAP_LINUX_IMMUTABLE (capset, still uid 0), or everything (uid/gid
 * 65534), or by becoming root of a new user namespace.
 *
 * Fixtures: fmd (DAX XFS, DAX ext4), fmd_unsupported (non-DAX XFS, non-DAX
 * ext4, tmpfs).  A kernel without F_MAP_DIRECT (fcntl EINVAL) or without
 * mmap3 makes every test SKIP.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <sys/socket.h>

#include "../kselftest_harness.h"
#include "map_direct.h"

#define LEN	(16 * MD_PAGE)
#define RW	(PROT_READ | PROT_WRITE)
#define DIRECT	(MAP_SHARED | MAP_DIRECT)

/* --- children ------------------------------------------------------------ */

/* How a child gets the file descriptor it maps. */
enum how {
	USE_FD,		/* the inherited descriptor itself (fork) */
	USE_DUP,	/* dup() of it */
	USE_PROC,	/* open("/proc/self/fd/N"): a new open file description */
	USE_PATH,	/* open(path): a new open file description */
	FCNTL,		/* not a mapping: fcntl(fd, F_MAP_DIRECT) */
};

struct req {
	int fd;
	const char *path;
	enum md_who who;
	enum how how;
	int prot;
	int flags;
};

/* Get the descriptor @r says (O_RDWR for the fresh opens); -errno. */
static int child_fd(const struct req *r)
{
	char proc[64];
	int fd;

	switch (r->how) {
	case USE_DUP:
		fd = dup(r->fd);
		break;
	case USE_PROC:
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", r->fd);
		fd = open(proc, O_RDWR | O_CLOEXEC);
		break;
	case USE_PATH:
		fd = open(r->path, O_RDWR | O_CLOEXEC);
		break;
	default:
		fd = r->fd;
	}
	return fd < 0 ? -errno : fd;
}

static int child_try(void *arg)
{
	const struct req *r = arg;
	int ret = md_child_become(r->who);
	int fd;

	if (ret)
		return ret;
	fd = child_fd(r);
	if (fd < 0) {
		fprintf(stderr, "# child: cannot get its fd: %s\n", strerror(-fd));
		return MD_CHILD_SETUP_FAILED;
	}
	if (r->how == FCNTL)
		return MD_ERRNO(fcntl(fd, F_MAP_DIRECT));
	return md_try_mmap3(fd, LEN, r->prot, r->flags);
}

static int try_as(enum md_who who, enum how how, int fd, const char *path,
		  int prot, int flags)
{
	struct req r = { fd, path, who, how, prot, flags };

	return md_in_child(child_try, &r);
}

#define try_map(who, how, fd, path) try_as(who, how, fd, path, RW, DIRECT)
#define try_fcntl(who, fd) try_as(who, FCNTL, fd, NULL, 0, 0)

/* Holder side: drop privileges, then keep a MAP_DIRECT mapping of r->fd. */
static int child_holds_mapping(void *arg)
{
	const struct req *r = arg;
	int ret = md_child_become(r->who);

	if (ret)
		return ret;
	return md_mmap3(NULL, LEN, RW, DIRECT, r->fd, 0) == MAP_FAILED ? errno : 0;
}

/* --- SCM_RIGHTS ------------------------------------------------------------ */

static int send_fd(int sock, int fd)
{
	char byte = 'F', cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &byte, 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cmsg;

	memset(cbuf, 0, sizeof(cbuf));
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -errno;
}

static int recv_fd(int sock)
{
	char byte, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &byte, 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cmsg;
	int fd;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -EIO;
	cmsg = CMSG_FIRSTHDR(&msg);
	if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS)
		return -EBADMSG;
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	return fd;
}

/* ========================================================================= */
/* DAX XFS and DAX ext4                                                       */
/* ========================================================================= */

FIXTURE(fmd) {
	const char *dir;
	char path[PATH_MAX];
	int fd;		/* O_RDWR, not marked */
};

FIXTURE_VARIANT(fmd) {
	struct md_fs fs;
};

FIXTURE_VARIANT_ADD(fmd, dax_xfs) { .fs = MD_FS_DAX_XFS };
FIXTURE_VARIANT_ADD(fmd, dax_ext4) { .fs = MD_FS_DAX_EXT4 };

/* The common setup: 0, or the test SKIPs/fails. */
static int setup_file(struct __test_metadata *_metadata, const struct md_fs *fs,
		      const char **dir, char *path, int *fd)
{
	char why[256];

	*fd = -1;
	if (!md_have_map_direct(why, sizeof(why)))
		SKIP(return -1, "%s", why);
	*dir = md_mount(fs, why, sizeof(why));
	if (!*dir)
		SKIP(return -1, "%s", why);
	if (!md_have_f_map_direct(*dir, why, sizeof(why)))
		SKIP(return -1, "%s", why);
	*fd = md_create_written(*dir, "fmd", path, LEN, 1);
	EXPECT_LE(0, *fd) TH_LOG("create a file in %s: %s", *dir, strerror(-*fd));
	if (*fd < 0)
		return -1;
	/* anybody may open it read-write: uid 65534 does, in some tests */
	if (fchmod(*fd, 0666)) {
		EXPECT_EQ(0, errno) TH_LOG("fchmod 0666");
		unlink(path);
		return -1;
	}
	return 0;
}

FIXTURE_SETUP(fmd)
{
	int dax;

	if (setup_file(_metadata, &variant->fs, &self->dir, self->path, &self->fd))
		return;
	dax = md_is_dax(self->fd);
	if (dax != 1)
		unlink(self->path);	/* no teardown after a failed setup */
	ASSERT_EQ(1, dax) TH_LOG("%s: the file is not DAX", variant->fs.name);
}

/* In the harness's process: see map_direct.h. */
FIXTURE_TEARDOWN_PARENT(fmd)
{
	if (self->path[0])
		unlink(self->path);
}

/* Another open file description of the fixture's file, marked. */
static int granted_fd(struct __test_metadata *_metadata, const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	EXPECT_LE(0, fd) TH_LOG("open %s: %s", path, strerror(errno));
	if (fd >= 0)
		EXPECT_ERRNO(0, MD_ERRNO(fcntl(fd, F_MAP_DIRECT)),
			     "fcntl(F_MAP_DIRECT) with CAP_LINUX_IMMUTABLE");
	return fd;
}

TEST_F(fmd, fcntl_without_cap_eacces)
{
	EXPECT_CHILD(EACCES, try_fcntl(AS_NO_CAP, self->fd),
		     "F_MAP_DIRECT without CAP_LINUX_IMMUTABLE (capset)");
	EXPECT_CHILD(EACCES, try_fcntl(AS_NOBODY, self->fd),
		     "F_MAP_DIRECT as uid 65534");
	/* the refused calls marked nothing */
	EXPECT_CHILD(EACCES, try_map(AS_NO_CAP, USE_FD, self->fd, NULL),
		     "MAP_DIRECT on the fd after the refused F_MAP_DIRECT");
}

TEST_F(fmd, fcntl_with_cap_twice)
{
	EXPECT_ERRNO(0, MD_ERRNO(fcntl(self->fd, F_MAP_DIRECT)), "F_MAP_DIRECT");
	EXPECT_EQ(0, fcntl(self->fd, F_MAP_DIRECT))
		TH_LOG("F_MAP_DIRECT again: %s", md_errname(errno));
	EXPECT_SEAL(0, md_seal_state(self->fd), "marked, not mapped");
	EXPECT_CHILD(0, try_map(AS_NO_CAP, USE_FD, self->fd, NULL),
		     "MAP_DIRECT on the marked fd without the capability");
}

/* Catalogue 58: the mark outlives the privilege of whoever holds the fd. */
static void check_grant_after_drop(struct __test_metadata *_metadata,
				   const char *path, int fd, enum md_who who)
{
	struct req r = { .who = who };
	struct md_holder h;
	int ret;

	r.fd = granted_fd(_metadata, path, O_RDWR);
	ASSERT_LE(0, r.fd);
	ret = md_holder_start(&h, child_holds_mapping, &r);
	EXPECT_CHILD(0, ret, "mmap3 MAP_DIRECT of the marked fd after dropping %s",
		     who == AS_NOBODY ? "to uid 65534" : "CAP_LINUX_IMMUTABLE");
	EXPECT_SEAL(!ret, md_seal_state(fd), "the unprivileged child maps the file");
	EXPECT_EQ(0, md_holder_stop(&h));
	EXPECT_SEAL(0, md_seal_state(fd), "the child exited");
	EXPECT_CHILD(EACCES, try_map(who, USE_FD, fd, NULL),
		     "control: the same child without the mark");
	close(r.fd);
}

TEST_F(fmd, grant_then_drop_capability)
{
	check_grant_after_drop(_metadata, self->path, self->fd, AS_NO_CAP);
}

TEST_F(fmd, grant_then_become_nobody)
{
	check_grant_after_drop(_metadata, self->path, self->fd, AS_NOBODY);
}

enum { W_GRANTED, W_OWN_OPEN, W_PROC_REOPEN, W_CAP, W_UNMAPPED, W_RESULTS };

/* The unprivileged worker: results go back over the socket. */
static int worker(int sock, const char *path)
{
	int res[W_RESULTS] = { 0 };
	void *p = MAP_FAILED;
	struct req r;
	int fd, cmd;

	if (md_become_nobody())
		return MD_CHILD_SETUP_FAILED;
	res[W_CAP] = md_child_lost_cap();
	fd = recv_fd(sock);
	if (fd < 0)
		return MD_CHILD_SETUP_FAILED;
	p = md_mmap3(NULL, LEN, RW, DIRECT, fd, 0);
	res[W_GRANTED] = p == MAP_FAILED ? errno : 0;
	/* fresh open file descriptions carry no mark */
	r = (struct req){ .fd = fd, .path = path, .how = USE_PATH };
	fd = child_fd(&r);
	res[W_OWN_OPEN] = fd < 0 ? MD_CHILD_SETUP_FAILED : md_try_mmap3(fd, LEN, RW, DIRECT);
	if (fd >= 0)
		close(fd);
	r.how = USE_PROC;
	fd = child_fd(&r);
	res[W_PROC_REOPEN] = fd < 0 ? MD_CHILD_SETUP_FAILED : md_try_mmap3(fd, LEN, RW, DIRECT);
	if (fd >= 0)
		close(fd);
	if (write(sock, res, sizeof(res)) != sizeof(res))
		return MD_CHILD_SETUP_FAILED;
	/* hold the mapping until the broker says so */
	if (md_recv_int(sock, &cmd))
		return MD_CHILD_SETUP_FAILED;
	res[W_UNMAPPED] = p == MAP_FAILED ? 0 : MD_ERRNO(munmap(p, LEN));
	return md_send_int(sock, res[W_UNMAPPED]) ? MD_CHILD_SETUP_FAILED : 0;
}

/* Catalogue 59, 60: a broker hands a marked fd to an unprivileged worker. */
TEST_F(fmd, broker_passes_marked_fd_over_scm_rights)
{
	int sv[2], res[W_RESULTS], bfd, status, unmapped;
	pid_t pid;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(sv[0]);
		_exit(worker(sv[1], self->path));
	}
	close(sv[1]);
	bfd = granted_fd(_metadata, self->path, O_RDWR);
	ASSERT_LE(0, bfd);
	ASSERT_EQ(0, send_fd(sv[0], bfd));
	close(bfd);	/* the worker's copy is the only one now */
	ASSERT_EQ((ssize_t)sizeof(res), read(sv[0], res, sizeof(res)))
		TH_LOG("the worker did not report (setup failed?)");
	EXPECT_EQ(0, res[W_CAP]) TH_LOG("the worker still has CAP_LINUX_IMMUTABLE");
	EXPECT_ERRNO(0, res[W_GRANTED], "worker (uid 65534): mmap3 MAP_DIRECT of the received fd");
	EXPECT_SEAL(!res[W_GRANTED], md_seal_state(self->fd), "the worker maps the file");
	EXPECT_ERRNO(EACCES, res[W_OWN_OPEN],
		     "worker: MAP_DIRECT of its own open() of the same path");
	EXPECT_ERRNO(EACCES, res[W_PROC_REOPEN],
		     "worker: MAP_DIRECT of a reopen through /proc/self/fd");
	ASSERT_EQ(0, md_send_int(sv[0], 1));
	ASSERT_EQ(0, md_recv_int(sv[0], &unmapped));
	EXPECT_ERRNO(0, unmapped, "worker: munmap");
	EXPECT_SEAL(0, md_seal_state(self->fd), "the worker unmapped, still alive");
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("worker exit status %#x", status);
	close(sv[0]);
}

/* Catalogue 61: dup() and fork() share the mark; fresh opens do not. */
TEST_F(fmd, dup_and_fork_share_the_mark)
{
	int gfd = granted_fd(_metadata, self->path, O_RDWR);

	ASSERT_LE(0, gfd);
	EXPECT_CHILD(0, try_map(AS_NOBODY, USE_FD, gfd, NULL),
		     "uid 65534: the marked fd inherited over fork()");
	EXPECT_CHILD(0, try_map(AS_NOBODY, USE_DUP, gfd, NULL),
		     "uid 65534: dup() of the marked fd");
	EXPECT_CHILD(EACCES, try_map(AS_NOBODY, USE_PROC, gfd, NULL),
		     "uid 65534: /proc/self/fd reopen of the marked fd");
	EXPECT_CHILD(EACCES, try_map(AS_NOBODY, USE_PATH, gfd, self->path),
		     "uid 65534: a fresh open() of the path");
	EXPECT_CHILD(EACCES, try_map(AS_NOBODY, USE_FD, self->fd, NULL),
		     "uid 65534: the fixture's fd, never marked");
	EXPECT_SEAL(0, md_seal_state(self->fd), "all children gone");
	close(gfd);
}

/* Catalogue 62: the mark relaxes only the capability rule. */
TEST_F(fmd, mark_relaxes_only_the_capability)
{
	int gfd = granted_fd(_metadata, self->path, O_RDWR);
	int rofd = granted_fd(_metadata, self->path, O_RDONLY);

	ASSERT_LE(0, gfd);
	ASSERT_LE(0, rofd);
	EXPECT_CHILD(EACCES, try_as(AS_NOBODY, USE_FD, gfd, NULL, PROT_READ, DIRECT),
		     "marked fd, PROT_READ only");
	EXPECT_CHILD(EINVAL, try_as(AS_NOBODY, USE_FD, gfd, NULL, RW,
				    MAP_PRIVATE | MAP_DIRECT),
		     "marked fd, MAP_PRIVATE");
	EXPECT_CHILD(EACCES, try_as(AS_NOBODY, USE_FD, rofd, NULL, RW, DIRECT),
		     "marked O_RDONLY fd, PROT_WRITE");
	EXPECT_CHILD(0, try_as(AS_NOBODY, USE_FD, rofd, NULL, PROT_READ, MAP_SHARED),
		     "control: marked O_RDONLY fd, PROT_READ MAP_SHARED");
	EXPECT_SEAL(0, md_seal_state(self->fd), "after the refused mappings");
	close(gfd);
	close(rofd);
}

/* --- root of a new user namespace ------------------------------------------ */

enum ns_check { NS_FCNTL, NS_MAP_UNMARKED, NS_MAP_MARKED };

struct ns_req {
	int fd;
	enum ns_check check;
};

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -errno;
}

static int child_in_userns(void *arg)
{
	const struct ns_req *r = arg;
	int has;

	if (unshare(CLONE_NEWUSER)) {
		fprintf(stderr, "# child: unshare(CLONE_NEWUSER): %s\n", strerror(errno));
		return MD_CHILD_SETUP_FAILED;
	}
	if (write_file("/proc/self/setgroups", "deny") ||
	    write_file("/proc/self/uid_map", "0 0 1") ||
	    write_file("/proc/self/gid_map", "0 0 1")) {
		fprintf(stderr, "# child: writing the id maps: %s\n", strerror(errno));
		return MD_CHILD_SETUP_FAILED;
	}
	/* root of the namespace, with every capability in it */
	has = md_cap_effective(CAP_LINUX_IMMUTABLE);
	if (getuid() != 0 || has != 1) {
		fprintf(stderr, "# child: uid %d, CAP_LINUX_IMMUTABLE %d in the namespace\n",
			getuid(), has);
		return MD_CHILD_SETUP_FAILED;
	}
	switch (r->check) {
	case NS_FCNTL:
		return MD_ERRNO(fcntl(r->fd, F_MAP_DIRECT));
	case NS_MAP_UNMARKED:
	case NS_MAP_MARKED:
		return md_try_mmap3(r->fd, LEN, RW, DIRECT);
	}
	return MD_CHILD_SETUP_FAILED;
}

TEST_F(fmd, user_namespace_root_has_no_capability)
{
	struct ns_req r = { self->fd, NS_FCNTL };
	int gfd = granted_fd(_metadata, self->path, O_RDWR);

	ASSERT_LE(0, gfd);
	EXPECT_CHILD(EACCES, md_in_child(child_in_userns, &r),
		     "F_MAP_DIRECT by the root of a user namespace");
	r.check = NS_MAP_UNMARKED;
	EXPECT_CHILD(EACCES, md_in_child(child_in_userns, &r),
		     "MAP_DIRECT by the root of a user namespace, fd not marked");
	r.fd = gfd;
	r.check = NS_MAP_MARKED;
	EXPECT_CHILD(0, md_in_child(child_in_userns, &r),
		     "MAP_DIRECT by the root of a user namespace, fd marked outside");
	EXPECT_SEAL(0, md_seal_state(self->fd), "all children gone");
	close(gfd);
}

/* ========================================================================= */
/* non-DAX XFS, non-DAX ext4, tmpfs: the mark works, MAP_DIRECT does not     */
/* ========================================================================= */

FIXTURE(fmd_unsupported) {
	const char *dir;
	char path[PATH_MAX];
	int fd;
};

FIXTURE_VARIANT(fmd_unsupported) {
	struct md_fs fs;
};

FIXTURE_VARIANT_ADD(fmd_unsupported, xfs) { .fs = MD_FS_XFS };
FIXTURE_VARIANT_ADD(fmd_unsupported, ext4) { .fs = MD_FS_EXT4 };
FIXTURE_VARIANT_ADD(fmd_unsupported, tmpfs) { .fs = MD_FS_TMPFS };

FIXTURE_SETUP(fmd_unsupported)
{
	int dax;

	if (setup_file(_metadata, &variant->fs, &self->dir, self->path, &self->fd))
		return;
	dax = md_is_dax(self->fd);
	if (dax != 0)
		unlink(self->path);	/* no teardown after a failed setup */
	ASSERT_EQ(0, dax) TH_LOG("%s: the file is DAX", variant->fs.name);
}

FIXTURE_TEARDOWN_PARENT(fmd_unsupported)
{
	if (self->path[0])
		unlink(self->path);
}

/* Catalogue 63 */
TEST_F(fmd_unsupported, marked_fd_still_eopnotsupp)
{
	int gfd = granted_fd(_metadata, self->path, O_RDWR);

	ASSERT_LE(0, gfd);
	EXPECT_ERRNO(EOPNOTSUPP, md_try_mmap3(gfd, LEN, RW, DIRECT),
		     "root: mmap3 MAP_DIRECT of a marked fd on %s", variant->fs.name);
	EXPECT_CHILD(EOPNOTSUPP, try_map(AS_NOBODY, USE_FD, gfd, NULL),
		     "uid 65534: mmap3 MAP_DIRECT of a marked fd on %s", variant->fs.name);
	EXPECT_CHILD(EACCES, try_map(AS_NOBODY, USE_FD, self->fd, NULL),
		     "uid 65534: unmarked fd on %s (capability rule before filesystem rule)",
		     variant->fs.name);
	EXPECT_CHILD(0, try_as(AS_NOBODY, USE_FD, gfd, NULL, RW, MAP_SHARED),
		     "control: uid 65534, plain MAP_SHARED of the marked fd");
	EXPECT_SEAL(0, md_seal_state(self->fd), "nothing mapped MAP_DIRECT");
	close(gfd);
}

TEST_HARNESS_MAIN
