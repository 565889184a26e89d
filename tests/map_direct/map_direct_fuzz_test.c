// SPDX-License-Identifier: GPL-2.0
/*
 * A model-based fuzzer of the VMAs of MAP_DIRECT mappings.  It checks, from
 * userspace, that a file is sealed exactly while a MAP_DIRECT page of it is
 * mapped in some process, and that MAP_DIRECT and plain pages never share a
 * VMA, whatever sequence of VMA operations led there.
 *
 * The fuzzer owns an arena of ARENA pages (reserved PROT_NONE, every
 * operation stays inside it) and keeps a model of every page of it: nothing,
 * the anonymous reserve, or (file, page offset, VMA flags), the flags
 * including MAP_DIRECT (`md` in VmFlags).  Operations are drawn from a seed:
 * mmap(2) and mmap3 with and without MAP_DIRECT and MAP_SYNC, munmap,
 * mprotect, madvise, mlock, mremap, remap_file_pages, fork of a child that
 * holds its copy, mseal, userfaultfd registration, faults.  After every one
 * its result, /proc/self/smaps of the arena and the seal of every file
 * (ftruncate to the current size, a hole punched past EOF, FICLONE(RANGE)
 * from the file) are compared with the model.
 *
 * The steps run in worker processes, EPOCH_STEPS at a time (mseal cannot be
 * undone), each worker on the fixture's files; after a worker is gone no file
 * may be sealed.  The first mismatch is shrunk by delta debugging over the
 * recorded operations (each try in a fresh worker on fresh files) and printed
 * with a replay string.  README lists the environment variables.
 */
#define _GNU_SOURCE
#include <linux/userfaultfd.h>
#include <stdarg.h>
#include <sys/sysmacros.h>
#include <time.h>

#ifndef UFFD_FEATURE_WP_ASYNC	/* uapi headers older than 6.7 */
#define UFFD_FEATURE_WP_ASYNC	(1 << 15)
#endif

#include "../kselftest_harness.h"
#include "map_direct.h"

#ifndef __NR_mseal
#define __NR_mseal		462
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP	4
#endif
#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT		0x01
#endif

#define ARENA		64	/* pages of address space the fuzzer uses */
#define NFILES		3
#define FILE_PAGES	16
#define FILE_LEN	(FILE_PAGES * MD_PAGE)
#define MAX_CHILDREN	3
#define EPOCH_STEPS	256	/* steps per worker process */
#define MAX_OPS		1024	/* longest replayable list */
#define MAX_VMAS	(2 * ARENA + 2)
#define MAX_PGOFF	(FILE_PAGES + ARENA)	/* mremap grows past EOF */
#define STUCK_SECONDS	60	/* a step that takes longer hangs in the kernel */
#define RW		(PROT_READ | PROT_WRITE)

/* ========================================================================= */
/* The model                                                                  */
/* ========================================================================= */

/* VMA flags the model follows; bit i is shown as mnemonics[i] in VmFlags. */
enum {
	PF_RD = 1 << 0,		/* PROT_READ */
	PF_WR = 1 << 1,		/* PROT_WRITE */
	PF_SH = 1 << 2,		/* shared file mapping */
	PF_HG = 1 << 3,		/* VM_HUGEPAGE: every DAX mapping, MADV_HUGEPAGE */
	PF_NH = 1 << 4,		/* VM_NOHUGEPAGE: MAP_STACK, MADV_NOHUGEPAGE */
	PF_LO = 1 << 5,		/* mlock: anonymous only, DAX VMAs are never locked */
	PF_LF = 1 << 6,		/* MLOCK_ONFAULT */
	PF_DC = 1 << 7,		/* MADV_DONTFORK */
	PF_DD = 1 << 8,		/* MADV_DONTDUMP */
	PF_SR = 1 << 9,		/* MADV_SEQUENTIAL */
	PF_RR = 1 << 10,	/* MADV_RANDOM */
	PF_WF = 1 << 11,	/* MADV_WIPEONFORK */
	PF_UW = 1 << 12,	/* userfaultfd write-protect mode */
	PF_UM = 1 << 13,	/* userfaultfd missing mode */
	PF_SL = 1 << 14,	/* mseal */
	PF_SF = 1 << 15,	/* MAP_SYNC */
	PF_MD = 1 << 16,	/* MAP_DIRECT */
};

static const char mnemonics[][3] = {
	"rd", "wr", "sh", "hg", "nh", "lo", "lf", "dc", "dd", "sr", "rr",
	"wf", "uw", "um", "sl", "sf", "md",
};

#define PF_ALL	((1u << ARRAY_SIZE(mnemonics)) - 1)

enum { K_NONE, K_ANON, K_FILE, K_OTHER };

struct mpage {
	uint8_t kind;		/* K_*; K_OTHER only in what the kernel shows */
	uint8_t file;
	uint16_t pgoff;
	uint32_t flags;		/* PF_* */
};

struct model {
	struct mpage pg[ARENA];
	bool live[MAX_CHILDREN];
	unsigned int held[MAX_CHILDREN];	/* bit f: holds MAP_DIRECT of file f */
};

/* ========================================================================= */
/* Operations, the fuzzer's state                                             */
/* ========================================================================= */

enum {
	OP_MMAP, OP_MUNMAP, OP_MPROTECT, OP_MADVISE, OP_MLOCK, OP_MREMAP,
	OP_REMAP, OP_FORK, OP_EXIT, OP_MSEAL, OP_UFFD, OP_TOUCH, NOPS
};

/* One step; what the fields mean depends on the type (see the show_*()). */
struct op {
	uint8_t type;		/* OP_* */
	uint8_t v;		/* variant: API, advice, mode ... */
	uint8_t f;		/* file or protection */
	uint8_t x;		/* extra flags */
	int16_t a;		/* first arena page */
	int16_t n;		/* pages */
	int16_t b;		/* page offset, new length, byte offset */
	int16_t d;		/* destination page */
};

/* Results other than 0 (success) and a positive errno. */
#define RES_SKIP	(-1000)	/* not applicable in this state: nothing done */
#define RES_MOVED	(-1001)	/* mapped at another address than asked */
#define RES_BADDATA	(-1002)	/* a read returned a byte that is not the file's */
#define RES_CHILD	(-1003)	/* a holder child did not exit cleanly */
#define RES_SIG(sig)	(-(sig))

/* Kinds of mismatch; shrinking keeps the kind of the first one. */
enum { C_NONE, C_RESULT, C_LAYOUT, C_SEAL, C_DATA, C_EXIT, C_CRASH, C_STUCK };
static const char *const class_names[] = {
	"none", "result of the call", "pages/VmFlags of the arena",
	"seal state", "file data", "seal after every process exited",
	"worker crashed", "worker stuck in the kernel",
};

struct ffile {
	int fd;
	bool xfs;
	dev_t dev;
	ino_t ino;
	unsigned int seed;	/* data pattern */
	const char *dir;
	char path[PATH_MAX];
};

/* Parent <-> worker, MAP_SHARED. */
struct shared {
	int nops;			/* ops recorded or to replay */
	struct op ops[MAX_OPS];
	int fail;			/* index of the first failing op, or -1 */
	int fail_class;
	int fail_type;			/* OP_* of the failing step */
	unsigned long steps;		/* steps done by the last worker */
	unsigned long calls[NOPS], ok[NOPS];
	int uffd_err;			/* 0: userfaultfd worked */
	char msg[8192];
};

struct obs_vma {
	long start, end;	/* arena page numbers, may lie outside it */
	struct mpage first;	/* state of its first page */
};

struct fuzz {
	struct model m;
	unsigned char *arena;
	struct ffile file[NFILES];
	int scratch;		/* XFS clone target, or -1 */
	bool have_md;		/* the kernel shows `md` in VmFlags */
	bool seal_only;		/* compare results and seals, not pages */
	bool verbose;
	bool generate;
	unsigned int enabled;	/* bit per OP_* */
	uint64_t rng;
	unsigned long step;
	struct { pid_t pid; int fd; } child[MAX_CHILDREN];
	int uffd, uffd_err;
	struct obs_vma vma[MAX_VMAS];
	int nvma;
	struct mpage obs[ARENA];
	struct shared *sh;
};

struct op_type {
	char code;		/* in replay strings */
	const char *name;
	int weight;
	void (*gen)(struct fuzz *fz, struct op *op);
	int (*run)(struct fuzz *fz, const struct op *op);
	/* update the model; the expected result (uffd: @got is recorded) */
	int (*model)(struct fuzz *fz, const struct op *op, int got);
	int (*show)(const struct op *op, char *buf, size_t len);
};

static const struct op_type types[NOPS];

/* --- small helpers -------------------------------------------------------- */

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int rnd(struct fuzz *fz, int n)
{
	return n <= 1 ? 0 : (int)(splitmix(&fz->rng) % (unsigned int)n);
}

static int imin(int a, int b)
{
	return a < b ? a : b;
}

static int imax(int a, int b)
{
	return a > b ? a : b;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *page_addr(const struct fuzz *fz, int page)
{
	return fz->arena + page * MD_PAGE;
}

static const char *res_str(int res, char *buf, size_t len)
{
	if (res == RES_SKIP)
		return "skipped (not applicable)";
	if (res == RES_MOVED)
		return "mapped at another address";
	if (res == RES_BADDATA)
		return "read wrong data";
	if (res == RES_CHILD)
		return "holder child failed";
	if (res < 0) {
		snprintf(buf, len, "%s", md_signame(-res));
		return buf;
	}
	return md_errname(res);
}

static char *flags_str(unsigned int flags, char *buf, size_t len)
{
	size_t i, off = 0;

	buf[0] = 0;
	for (i = 0; i < ARRAY_SIZE(mnemonics) && off < len; i++)
		if (flags & (1u << i))
			off += snprintf(buf + off, len - off, "%s%s",
					off ? " " : "", mnemonics[i]);
	return buf;
}

static char *page_str(const struct mpage *p, char *buf, size_t len)
{
	char fl[80];

	flags_str(p->flags, fl, sizeof(fl));
	if (p->kind == K_NONE)
		snprintf(buf, len, "unmapped");
	else if (p->kind == K_ANON)
		snprintf(buf, len, "anonymous [%s]", fl);
	else if (p->kind == K_FILE)
		snprintf(buf, len, "file%d page %d [%s]", p->file, p->pgoff, fl);
	else
		snprintf(buf, len, "a mapping of another file");
	return buf;
}

/* Append to the mismatch report; the first call sets its kind. */
static __printf(3, 4)
void mismatch(struct fuzz *fz, int cls, const char *fmt, ...)
{
	struct shared *sh = fz->sh;
	size_t off = strlen(sh->msg);
	va_list ap;

	if (sh->fail_class == C_NONE) {
		sh->fail_class = cls;
		sh->fail = fz->step;
		sh->fail_type = fz->step < (unsigned long)sh->nops ?
				sh->ops[fz->step].type : NOPS;
	}
	if (off + 2 >= sizeof(sh->msg))
		return;
	va_start(ap, fmt);
	vsnprintf(sh->msg + off, sizeof(sh->msg) - off - 1, fmt, ap);
	va_end(ap);
	strcat(sh->msg, "\n");
}

static bool any_flag(const struct mpage *pg, int n, unsigned int flag)
{
	while (n--)
		if (pg[n].kind != K_NONE && (pg[n].flags & flag))
			return true;
	return false;
}

static bool any_kind(const struct mpage *pg, int n, int kind)
{
	while (n--)
		if (pg[n].kind == kind)
			return true;
	return false;
}

static void set_none(struct mpage *pg, int n)
{
	memset(pg, 0, n * sizeof(*pg));
}

/* The files a fork()ed child holds MAP_DIRECT pages of. */
static unsigned int direct_files(const struct model *m, bool forking)
{
	unsigned int files = 0;
	int i;

	for (i = 0; i < ARENA; i++)
		if (m->pg[i].kind == K_FILE && (m->pg[i].flags & PF_MD) &&
		    !(forking && (m->pg[i].flags & PF_DC)))
			files |= 1u << m->pg[i].file;
	return files;
}

static bool model_sealed(const struct model *m, int f)
{
	int i;

	for (i = 0; i < MAX_CHILDREN; i++)
		if (m->live[i] && (m->held[i] & (1u << f)))
			return true;
	return direct_files(m, false) & (1u << f);
}

/* A page after @p in the same VMA (mremap growth). */
static struct mpage next_page(struct mpage p, int k)
{
	if (p.kind == K_FILE)
		p.pgoff += k;
	return p;
}

/* The end of the VMA the kernel showed at page @a before this step. */
static long vma_end(const struct fuzz *fz, int a)
{
	int i;

	for (i = 0; i < fz->nvma; i++)
		if (fz->vma[i].start <= a && a < fz->vma[i].end)
			return fz->vma[i].end;
	return a;
}

/* ========================================================================= */
/* Generators' helpers                                                        */
/* ========================================================================= */

/* A random page of one of the kinds in @kinds (bit per K_*), or -1. */
static int pick_page(struct fuzz *fz, unsigned int kinds)
{
	int i, count = 0, k;

	for (i = 0; i < ARENA; i++)
		count += !!(kinds & (1u << fz->m.pg[i].kind));
	if (!count)
		return -1;
	k = rnd(fz, count);
	for (i = 0; i < ARENA; i++)
		if ((kinds & (1u << fz->m.pg[i].kind)) && !k--)
			return i;
	return -1;
}

static bool same_vma(const struct mpage *p, const struct mpage *q)
{
	if (p->kind != q->kind || p->flags != q->flags)
		return false;
	return p->kind != K_FILE ||
	       (p->file == q->file && q->pgoff == p->pgoff + 1);
}

/* [*s, *e): the pages around @p that could be one VMA with it. */
static void run_around(const struct model *m, int p, int *s, int *e)
{
	*s = p;
	*e = p + 1;
	while (*s > 0 && same_vma(&m->pg[*s - 1], &m->pg[*s]))
		(*s)--;
	while (*e < ARENA && same_vma(&m->pg[*e - 1], &m->pg[*e]))
		(*e)++;
}

/* A range: mostly all or part of a mapping (or a little more), else random. */
static void gen_range(struct fuzz *fz, struct op *op)
{
	int p = pick_page(fz, 1u << K_FILE), s, e, k;

	if (p < 0 || rnd(fz, 100) < 30) {
		s = rnd(fz, ARENA);
		e = s + 1 + rnd(fz, imin(8, ARENA - s));
	} else {
		run_around(&fz->m, p, &s, &e);
		k = 1 + rnd(fz, e - s);
		switch (rnd(fz, 5)) {
		case 1:
			e = s + k;
			break;
		case 2:
			s = e - k;
			break;
		case 3:
			s = p;
			e = p + 1;
			break;
		case 4:
			s = imax(0, s - rnd(fz, 3));
			e = imin(ARENA, e + 1 + rnd(fz, 2));
			break;
		}
	}
	op->a = s;
	op->n = e - s;
}

/*
 * Place @op (n pages of file f at page offset b) right before or after a
 * mapping of the same file with contiguous offsets: where merges happen.
 */
static bool place_adjacent(struct fuzz *fz, struct op *op)
{
	int p = pick_page(fz, 1u << K_FILE), s, e, a, pgoff;
	const struct mpage *pg = fz->m.pg;

	if (p < 0)
		return false;
	run_around(&fz->m, p, &s, &e);
	if (rnd(fz, 2)) {
		a = e;
		pgoff = pg[e - 1].pgoff + 1;
	} else {
		a = s - op->n;
		pgoff = pg[s].pgoff - op->n;
	}
	if (a < 0 || a + op->n > ARENA || pgoff < 0 ||
	    pgoff + op->n > FILE_PAGES)
		return false;
	op->a = a;
	op->b = pgoff;
	op->f = pg[p].file;
	return true;
}

/* ========================================================================= */
/* mmap(2) and mmap3                                                          */
/* ========================================================================= */

static const struct api {
	const char *name;
	bool mmap3;
	int flags;
	unsigned int pf;	/* PF_MD, PF_SF of the new mapping */
	int err;		/* refused whatever the state */
	int weight;
} apis[] = {
	{ "mmap MAP_SHARED", false, MAP_SHARED, 0, 0, 10 },
	{ "mmap MAP_SHARED|MAP_DIRECT (bit ignored)", false,
	  MAP_SHARED | MAP_DIRECT, 0, 0, 4 },
	{ "mmap MAP_SHARED_VALIDATE", false, MAP_SHARED_VALIDATE, 0, 0, 6 },
	{ "mmap MAP_SHARED_VALIDATE|MAP_SYNC", false,
	  MAP_SHARED_VALIDATE | MAP_SYNC, PF_SF, 0, 6 },
	{ "mmap MAP_SHARED_VALIDATE|MAP_DIRECT", false,
	  MAP_SHARED_VALIDATE | MAP_DIRECT, PF_MD, 0, 14 },
	{ "mmap MAP_SHARED_VALIDATE|MAP_DIRECT|MAP_SYNC", false,
	  MAP_SHARED_VALIDATE | MAP_DIRECT | MAP_SYNC, PF_MD | PF_SF, 0, 6 },
	{ "mmap3 MAP_SHARED", true, MAP_SHARED, 0, 0, 8 },
	{ "mmap3 MAP_SHARED|MAP_SYNC", true, MAP_SHARED | MAP_SYNC, PF_SF, 0, 5 },
	{ "mmap3 MAP_SHARED|MAP_DIRECT", true, MAP_SHARED | MAP_DIRECT,
	  PF_MD, 0, 16 },
	{ "mmap3 MAP_SHARED_VALIDATE|MAP_DIRECT|MAP_SYNC", true,
	  MAP_SHARED_VALIDATE | MAP_DIRECT | MAP_SYNC, PF_MD | PF_SF, 0, 6 },
	{ "mmap3 MAP_PRIVATE|MAP_DIRECT", true, MAP_PRIVATE | MAP_DIRECT,
	  0, EINVAL, 2 },
};

static const int prots[] = { PROT_NONE, PROT_READ, RW };
static const unsigned int prot_pf[] = { 0, PF_RD, PF_RD | PF_WR };
static const char *const prot_names[] = { "PROT_NONE", "PROT_READ", "RW" };

/* op->x of OP_MMAP */
#define X_PROT(x)	((x) & 3)	/* index in prots[] */
#define X_STACK		0x04
#define X_POPULATE	0x08
#define X_LOCKED	0x10
#define X_MODE(x)	(((x) >> 5) & 3)
enum { MODE_FIXED, MODE_HINT, MODE_NOREPLACE };
static const char *const mode_names[] = {
	"MAP_FIXED", "hint (no MAP_FIXED)", "MAP_FIXED_NOREPLACE",
};

static void gen_mmap(struct fuzz *fz, struct op *op)
{
	int w = 0, r, i, pg, mode, prot;

	for (i = 0; i < (int)ARRAY_SIZE(apis); i++)
		w += apis[i].weight;
	for (r = rnd(fz, w), i = 0; r >= apis[i].weight; i++)
		r -= apis[i].weight;
	op->v = i;
	op->f = rnd(fz, NFILES);
	op->n = 1 + rnd(fz, rnd(fz, 4) ? 3 : 8);
	op->b = rnd(fz, FILE_PAGES - op->n + 1);
	r = rnd(fz, 100);
	if (r >= 45 || !place_adjacent(fz, op)) {
		pg = r < 75 ? pick_page(fz, 1u << K_FILE) : -1;
		if (pg >= 0)
			op->a = imin(imax(0, pg - rnd(fz, op->n)), ARENA - op->n);
		else
			op->a = rnd(fz, ARENA - op->n + 1);
	}
	if (apis[op->v].pf & PF_MD)
		prot = rnd(fz, 100) < 3 ? 1 : 2;
	else
		prot = (r = rnd(fz, 10)) < 7 ? 2 : r < 9 ? 1 : 0;
	op->x = prot;
	if (rnd(fz, 10) == 0)
		op->x |= X_STACK;
	if (rnd(fz, 12) == 0)
		op->x |= X_POPULATE;
	if (rnd(fz, 25) == 0)
		op->x |= X_LOCKED;
	r = rnd(fz, 100);
	if (!any_kind(&fz->m.pg[op->a], op->n, K_ANON) &&
	    !any_kind(&fz->m.pg[op->a], op->n, K_FILE))
		mode = r < 50 ? MODE_HINT : r < 60 ? MODE_NOREPLACE : MODE_FIXED;
	else
		mode = r < 96 ? MODE_FIXED : MODE_NOREPLACE;
	op->x |= mode << 5;
}

static int run_mmap(struct fuzz *fz, const struct op *op)
{
	static const int mode_flags[] = { MAP_FIXED, 0, MAP_FIXED_NOREPLACE };
	const struct api *api = &apis[op->v];
	void *addr = page_addr(fz, op->a), *p;
	size_t len = op->n * MD_PAGE;
	int flags = api->flags | mode_flags[X_MODE(op->x)];
	int prot = prots[X_PROT(op->x)], fd = fz->file[op->f].fd;

	if (op->x & X_STACK)
		flags |= MAP_STACK;
	if (op->x & X_POPULATE)
		flags |= MAP_POPULATE;
	if (op->x & X_LOCKED)
		flags |= MAP_LOCKED;
	if (api->mmap3)
		p = md_mmap3(addr, len, prot, flags, fd, op->b);
	else
		p = mmap(addr, len, prot, flags, fd, op->b * MD_PAGE);
	if (p == MAP_FAILED)
		return errno;
	if (p != addr) {
		munmap(p, len);
		return RES_MOVED;
	}
	return 0;
}

/*
 * __mmap_region() first extends a neighbour (same file, contiguous offset)
 * whose flags equal the new VMA's; only without one does the filesystem's
 * ->mmap() run, which adds VM_HUGEPAGE to a DAX VMA.
 */
static bool merges_before_mmap(const struct mpage *pg, int a, int n, int f,
			       int pgoff, unsigned int flags)
{
	const struct mpage *prev = &pg[a - 1], *next = &pg[a + n];

	return (a > 0 && prev->kind == K_FILE && prev->file == f &&
		prev->pgoff + 1 == pgoff && prev->flags == flags) ||
	       (a + n < ARENA && next->kind == K_FILE && next->file == f &&
		next->pgoff == pgoff + n && next->flags == flags);
}

static int model_mmap(struct fuzz *fz, const struct op *op, int got)
{
	const struct api *api = &apis[op->v];
	struct mpage *pg = &fz->m.pg[op->a];
	int mode = X_MODE(op->x), rule = api->err, i;
	unsigned int flags = prot_pf[X_PROT(op->x)] | PF_SH | api->pf |
			     (op->x & X_STACK ? PF_NH : 0);
	/* mmap3 refuses flags the call cannot honour before anything */
	bool validating = api->mmap3 ? api->pf != 0 :
			  (api->flags & MAP_TYPE) == MAP_SHARED_VALIDATE;
	bool occupied = any_kind(pg, op->n, K_ANON) || any_kind(pg, op->n, K_FILE);

	/* the MAP_DIRECT rules: PROT_WRITE first, then MAP_PRIVATE */
	if ((api->pf & PF_MD || api->err) && X_PROT(op->x) != 2)
		rule = EACCES;
	/* mmap(2) looks for MAP_FIXED_NOREPLACE's EEXIST first */
	if (rule && (api->mmap3 || mode != MODE_NOREPLACE))
		return rule;
	if (mode != MODE_FIXED && occupied)
		return mode == MODE_HINT ? RES_MOVED : EEXIST;
	if (rule)
		return rule;
	if (mode == MODE_NOREPLACE && validating)
		return EOPNOTSUPP;	/* mmap3.rst: a limitation of 6.12 */
	if (any_flag(pg, op->n, PF_SL))
		return EPERM;
	/*
	 * The merge before ->mmap() compares the flags of the request, which
	 * has VM_LOCKED from MAP_LOCKED: only afterwards is it dropped from a
	 * DAX VMA.  Its neighbours never have it.
	 */
	if (op->x & X_LOCKED ||
	    !merges_before_mmap(fz->m.pg, op->a, op->n, op->f, op->b, flags))
		flags |= PF_HG;
	for (i = 0; i < op->n; i++) {
		pg[i].kind = K_FILE;
		pg[i].file = op->f;
		pg[i].pgoff = op->b + i;
		pg[i].flags = flags;
	}
	return 0;
}

static int show_mmap(const struct op *op, char *buf, size_t len)
{
	return snprintf(buf, len, "%s(page %d, %d pages, %s%s%s%s, %s, file%d, page offset %d)",
			apis[op->v].name, op->a, op->n, prot_names[X_PROT(op->x)],
			op->x & X_STACK ? "|MAP_STACK" : "",
			op->x & X_POPULATE ? "|MAP_POPULATE" : "",
			op->x & X_LOCKED ? "|MAP_LOCKED" : "",
			mode_names[X_MODE(op->x)], op->f, op->b);
}

/* ========================================================================= */
/* munmap, mprotect, madvise, mlock, mseal                                    */
/* ========================================================================= */

static int show_range(const struct op *op, char *buf, size_t len)
{
	return snprintf(buf, len, "%s(page %d, %d pages)", types[op->type].name,
			op->a, op->n);
}

static int run_munmap(struct fuzz *fz, const struct op *op)
{
	return MD_ERRNO(munmap(page_addr(fz, op->a), op->n * MD_PAGE));
}

static int model_munmap(struct fuzz *fz, const struct op *op, int got)
{
	struct mpage *pg = &fz->m.pg[op->a];

	if (any_flag(pg, op->n, PF_SL))
		return EPERM;
	set_none(pg, op->n);
	return 0;
}

static void gen_mprotect(struct fuzz *fz, struct op *op)
{
	int r = rnd(fz, 100);

	gen_range(fz, op);
	op->f = r < 15 ? 0 : r < 50 ? 1 : 2;
}

static int run_mprotect(struct fuzz *fz, const struct op *op)
{
	return MD_ERRNO(mprotect(page_addr(fz, op->a), op->n * MD_PAGE,
				 prots[op->f]));
}

/* VMA by VMA from the start: a hole or a sealed VMA ends it. */
static int model_mprotect(struct fuzz *fz, const struct op *op, int got)
{
	struct mpage *pg = &fz->m.pg[op->a];
	int i;

	for (i = 0; i < op->n; i++) {
		if (pg[i].kind == K_NONE)
			return ENOMEM;
		if (pg[i].flags & PF_SL)
			return EPERM;
		pg[i].flags = (pg[i].flags & ~(PF_RD | PF_WR)) | prot_pf[op->f];
	}
	return 0;
}

static int show_mprotect(const struct op *op, char *buf, size_t len)
{
	return snprintf(buf, len, "mprotect(page %d, %d pages, %s)", op->a,
			op->n, prot_names[op->f]);
}

static const struct advice {
	const char *name;
	int advice;
	unsigned int set, clear;
	bool discard;		/* refused on sealed read-only anonymous VMAs */
} advices[] = {
	{ "MADV_NOHUGEPAGE", MADV_NOHUGEPAGE, PF_NH, PF_HG, false },
	{ "MADV_HUGEPAGE", MADV_HUGEPAGE, PF_HG, PF_NH, false },
	{ "MADV_DONTFORK", MADV_DONTFORK, PF_DC, 0, true },
	{ "MADV_DOFORK", MADV_DOFORK, 0, PF_DC, false },
	{ "MADV_WIPEONFORK", MADV_WIPEONFORK, PF_WF, 0, true },
	{ "MADV_KEEPONFORK", MADV_KEEPONFORK, 0, PF_WF, false },
	{ "MADV_DONTDUMP", MADV_DONTDUMP, PF_DD, 0, false },
	{ "MADV_DODUMP", MADV_DODUMP, 0, PF_DD, false },
	{ "MADV_RANDOM", MADV_RANDOM, PF_RR, PF_SR, false },
	{ "MADV_SEQUENTIAL", MADV_SEQUENTIAL, PF_SR, PF_RR, false },
	{ "MADV_NORMAL", MADV_NORMAL, 0, PF_SR | PF_RR, false },
	{ "MADV_DONTNEED", MADV_DONTNEED, 0, 0, true },
};

static void gen_madvise(struct fuzz *fz, struct op *op)
{
	gen_range(fz, op);
	op->v = rnd(fz, ARRAY_SIZE(advices));
}

static int run_madvise(struct fuzz *fz, const struct op *op)
{
	return MD_ERRNO(madvise(page_addr(fz, op->a), op->n * MD_PAGE,
				advices[op->v].advice));
}

/*
 * VMA by VMA: holes are skipped (ENOMEM at the end), the first refused
 * VMA ends the call with its error.  MADV_WIPEONFORK on a shared file
 * mapping is EINVAL.
 */
static int model_madvise(struct fuzz *fz, const struct op *op, int got)
{
	const struct advice *ad = &advices[op->v];
	struct mpage *pg = &fz->m.pg[op->a];
	int i, err = 0;

	for (i = 0; i < op->n; i++) {
		if (pg[i].kind == K_NONE) {
			err = ENOMEM;
			continue;
		}
		if (ad->discard && (pg[i].flags & PF_SL) &&
		    pg[i].kind == K_ANON && !(pg[i].flags & PF_WR))
			return EPERM;
		if (ad->advice == MADV_WIPEONFORK && pg[i].kind == K_FILE)
			return EINVAL;
		if (ad->advice == MADV_DONTNEED && (pg[i].flags & PF_LO))
			return EINVAL;
		pg[i].flags = (pg[i].flags & ~ad->clear) | ad->set;
	}
	return err;
}

static int show_madvise(const struct op *op, char *buf, size_t len)
{
	return snprintf(buf, len, "madvise(page %d, %d pages, %s)", op->a,
			op->n, advices[op->v].name);
}

enum { ML_LOCK, ML_ONFAULT, ML_UNLOCK };
static const char *const mlock_names[] = {
	"mlock", "mlock2 MLOCK_ONFAULT", "munlock",
};

static void gen_mlock(struct fuzz *fz, struct op *op)
{
	gen_range(fz, op);
	op->v = rnd(fz, 3);
}

static int run_mlock(struct fuzz *fz, const struct op *op)
{
	void *p = page_addr(fz, op->a);
	size_t len = op->n * MD_PAGE;

	if (op->v == ML_LOCK)
		return MD_ERRNO(mlock(p, len));
	if (op->v == ML_ONFAULT)
		return MD_ERRNO(mlock2(p, len, MLOCK_ONFAULT));
	return MD_ERRNO(munlock(p, len));
}

/*
 * The flags change VMA by VMA up to a hole (DAX VMAs are never locked),
 * then mlock populates: a PROT_NONE page or one past EOF (SIGBUS) makes it
 * fail with ENOMEM, except in VMAs locked on fault.
 */
static int model_mlock(struct fuzz *fz, const struct op *op, int got)
{
	static const unsigned int set[] = { PF_LO, PF_LO | PF_LF, 0 };
	struct mpage *pg = &fz->m.pg[op->a];
	int i;

	for (i = 0; i < op->n; i++) {
		if (pg[i].kind == K_NONE)
			return ENOMEM;
		if (pg[i].kind == K_ANON)
			pg[i].flags = (pg[i].flags & ~(PF_LO | PF_LF)) | set[op->v];
	}
	if (op->v == ML_UNLOCK)
		return 0;
	for (i = 0; i < op->n; i++) {
		if (pg[i].flags & PF_LF)
			continue;
		if (!(pg[i].flags & (PF_RD | PF_WR)))
			return ENOMEM;
		if (pg[i].kind == K_FILE && pg[i].pgoff >= FILE_PAGES)
			return ENOMEM;
	}
	return 0;
}

static int show_mlock(const struct op *op, char *buf, size_t len)
{
	return snprintf(buf, len, "%s(page %d, %d pages)", mlock_names[op->v],
			op->a, op->n);
}

static int run_mseal(struct fuzz *fz, const struct op *op)
{
	return MD_ERRNO(syscall(__NR_mseal, page_addr(fz, op->a),
				op->n * MD_PAGE, 0));
}

static int model_mseal(struct fuzz *fz, const struct op *op, int got)
{
	struct mpage *pg = &fz->m.pg[op->a];
	int i;

	if (any_kind(pg, op->n, K_NONE))
		return ENOMEM;
	for (i = 0; i < op->n; i++)
		pg[i].flags |= PF_SL;
	return 0;
}

/* ========================================================================= */
/* mremap, remap_file_pages                                                   */
/* ========================================================================= */

enum { MR_MOVE, MR_DONTUNMAP, MR_INPLACE };
static const char *const mremap_names[] = {
	"MREMAP_MAYMOVE|MREMAP_FIXED",
	"MREMAP_MAYMOVE|MREMAP_FIXED|MREMAP_DONTUNMAP", "in place",
};

/* A destination where the moved pages continue a mapping of their file. */
static bool dest_adjacent(struct fuzz *fz, struct op *op)
{
	const struct mpage *src = &fz->m.pg[op->a], *pg = fz->m.pg;
	int cand[2 * ARENA], nc = 0, q, d;

	if (src->kind != K_FILE)
		return false;
	for (q = 0; q < ARENA; q++) {
		if (pg[q].kind != K_FILE || pg[q].file != src->file)
			continue;
		if (pg[q].pgoff + 1 == src->pgoff)
			cand[nc++] = q + 1;
		if (pg[q].pgoff == src->pgoff + op->b)
			cand[nc++] = q - op->b;
	}
	if (!nc)
		return false;
	d = cand[rnd(fz, nc)];
	if (d < 0 || d + op->b > ARENA)
		return false;
	op->d = d;
	return true;
}

static void gen_mremap(struct fuzz *fz, struct op *op)
{
	int p = pick_page(fz, 1u << K_FILE), s, e, r = rnd(fz, 100);

	if (p < 0)
		p = rnd(fz, ARENA);
	run_around(&fz->m, p, &s, &e);
	op->a = s + rnd(fz, e - s);
	op->n = rnd(fz, 3) ? e - op->a : 1 + rnd(fz, e - op->a);
	op->v = r < 45 ? MR_MOVE : r < 65 ? MR_DONTUNMAP : MR_INPLACE;
	op->b = op->n;
	if (op->v == MR_INPLACE) {
		if (op->n > 1 && rnd(fz, 3) == 0)
			op->b = 1 + rnd(fz, op->n - 1);
		else
			op->b = imin(op->n + 1 + rnd(fz, 3), ARENA - op->a);
		return;
	}
	if (op->v == MR_MOVE) {
		r = rnd(fz, 10);
		if (r < 2)
			op->b = op->n + 1 + rnd(fz, 2);
		else if (r < 4 && op->n > 1)
			op->b = op->n - 1;
	}
	if (rnd(fz, 100) < 40 && dest_adjacent(fz, op))
		return;
	op->b = imin(op->b, ARENA);
	op->d = rnd(fz, ARENA - op->b + 1);
}

/*
 * A move of pages registered with userfaultfd (no UFFD_FEATURE_EVENT_REMAP)
 * drops the registration of the VMA they end up in, and 6.12 drops it from
 * a neighbour that the moved pages merged with too: not modelled, not done.
 */
static bool mremap_skipped(const struct fuzz *fz, const struct op *op)
{
	return op->v != MR_INPLACE &&
	       any_flag(&fz->m.pg[op->a], op->n, PF_UW | PF_UM);
}

static int run_mremap(struct fuzz *fz, const struct op *op)
{
	static const int flags[] = {
		MREMAP_MAYMOVE | MREMAP_FIXED,
		MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP, 0,
	};
	void *src = page_addr(fz, op->a), *dst = page_addr(fz, op->d), *p;

	if (mremap_skipped(fz, op))
		return RES_SKIP;
	p = mremap(src, op->n * MD_PAGE, op->b * MD_PAGE, flags[op->v], dst);
	if (p == MAP_FAILED)
		return errno;
	return p == (op->v == MR_INPLACE ? src : dst) ? 0 : RES_MOVED;
}

/* Shrink or grow in place: growing needs the end of a VMA and free space. */
static int model_resize(struct fuzz *fz, int a, int n, int b)
{
	struct mpage *pg = fz->m.pg;
	long end = vma_end(fz, a);
	int i;

	if (b <= n) {
		if (any_flag(pg + a + b, n - b, PF_SL))
			return EPERM;
		set_none(pg + a + b, n - b);
		return 0;
	}
	if (end < a + n)
		return EFAULT;
	if (end != a + n || a + b > ARENA || any_kind(pg + a + n, b - n, K_ANON) ||
	    any_kind(pg + a + n, b - n, K_FILE))
		return ENOMEM;
	for (i = n; i < b; i++)
		pg[a + i] = next_page(pg[a + n - 1], i - n + 1);
	return 0;
}

/*
 * mremap_to(): the destination is unmapped first, then the tail of a
 * shrinking source, and only then is the source checked to be one VMA.
 * The moved VMA loses its userfaultfd registration (no
 * UFFD_FEATURE_EVENT_REMAP); MREMAP_DONTUNMAP leaves the source mapped and
 * unlocked.
 */
static int model_mremap(struct fuzz *fz, const struct op *op, int got)
{
	struct mpage *pg = fz->m.pg, moved[ARENA];
	int a = op->a, n = op->n, b = op->b, d = op->d, i;
	long end = vma_end(fz, a);

	if (mremap_skipped(fz, op))
		return RES_SKIP;
	if (pg[a].kind == K_NONE)
		return EFAULT;
	if (pg[a].flags & PF_SL)
		return EPERM;
	if (op->v == MR_INPLACE)
		return model_resize(fz, a, n, b);
	if (a + n > d && d + b > a)
		return EINVAL;
	if (any_flag(pg + d, b, PF_SL))
		return EPERM;
	set_none(pg + d, b);
	if (n > b) {
		if (any_flag(pg + a + b, n - b, PF_SL))
			return EPERM;
		set_none(pg + a + b, n - b);
		n = b;
	}
	if (end < a + n)
		return EFAULT;
	for (i = 0; i < b; i++) {
		moved[i] = i < n ? pg[a + i] : next_page(pg[a + n - 1], i - n + 1);
		moved[i].flags &= ~(PF_UW | PF_UM);
	}
	for (i = 0; i < n && op->v == MR_DONTUNMAP; i++)
		pg[a + i].flags &= ~(PF_LO | PF_LF);
	if (op->v != MR_DONTUNMAP)
		set_none(pg + a, n);
	memcpy(pg + d, moved, b * sizeof(*pg));
	return 0;
}

static int show_mremap(const struct op *op, char *buf, size_t len)
{
	if (op->v == MR_INPLACE)
		return snprintf(buf, len, "mremap(page %d, %d pages -> %d pages, in place)",
				op->a, op->n, op->b);
	return snprintf(buf, len, "mremap(page %d, %d pages -> %d pages, %s, to page %d)",
			op->a, op->n, op->b, mremap_names[op->v], op->d);
}

static void gen_remap(struct fuzz *fz, struct op *op)
{
	int p = pick_page(fz, 1u << K_FILE);

	gen_range(fz, op);
	if (p >= 0 && rnd(fz, 2)) {
		int s, e;

		run_around(&fz->m, p, &s, &e);
		op->a = s + rnd(fz, e - s);
		op->n = 1 + rnd(fz, e - op->a);
	}
	op->n = imin(op->n, FILE_PAGES);
	op->b = rnd(fz, FILE_PAGES - op->n + 1);
	if (fz->m.pg[op->a].kind == K_FILE && rnd(fz, 2))
		op->b = fz->m.pg[op->a].pgoff;		/* identity */
}

static int run_remap(struct fuzz *fz, const struct op *op)
{
	return MD_ERRNO(remap_file_pages(page_addr(fz, op->a),
					 op->n * MD_PAGE, 0, op->b, 0));
}

/*
 * Only shared mappings of one file with identical VMA flags and no hole;
 * never MAP_DIRECT pages (EINVAL, nothing changes).  The
 * result is a new plain mapping with the old protection.
 */
static int model_remap(struct fuzz *fz, const struct op *op, int got)
{
	struct mpage *pg = &fz->m.pg[op->a], first = pg[0];
	int i;

	for (i = 0; i < op->n; i++)
		if (pg[i].kind != K_FILE || pg[i].file != first.file ||
		    pg[i].flags != first.flags)
			return EINVAL;
	if (first.flags & PF_MD)
		return EINVAL;
	if (first.flags & PF_SL)
		return EPERM;
	for (i = 0; i < op->n; i++) {
		pg[i].pgoff = op->b + i;
		pg[i].flags = (first.flags & (PF_RD | PF_WR | PF_SH)) | PF_HG;
	}
	return 0;
}

static int show_remap(const struct op *op, char *buf, size_t len)
{
	return snprintf(buf, len, "remap_file_pages(page %d, %d pages, page offset %d)",
			op->a, op->n, op->b);
}

/* ========================================================================= */
/* fork, child exit                                                           */
/* ========================================================================= */

static void gen_none(struct fuzz *fz, struct op *op)
{
}

/*
 * A child that holds its copy of the mappings until its pipe closes.  It
 * closes every other descriptor (the userfaultfd too) at once: the parent
 * sees the end of its "ready" pipe then.
 */
static void holder(int fd)
{
	ssize_t r;
	char c;

	close_range(3, fd - 1, 0);
	close_range(fd + 1, ~0U, 0);
	do
		r = read(fd, &c, 1);
	while (r > 0 || (r < 0 && errno == EINTR));
	_exit(0);
}

static int free_slot(const struct model *m)
{
	int i;

	for (i = 0; i < MAX_CHILDREN; i++)
		if (!m->live[i])
			return i;
	return -1;
}

static int run_fork(struct fuzz *fz, const struct op *op)
{
	int slot = free_slot(&fz->m), p[2], ready[2], err = 0;
	pid_t pid;
	char c;

	if (slot < 0)
		return RES_SKIP;
	if (pipe(p))
		return errno;
	if (pipe(ready)) {
		err = errno;
		close(p[0]);
		close(p[1]);
		return err;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		holder(p[0]);
	}
	if (pid < 0)
		err = errno;
	close(p[0]);
	close(ready[1]);
	while (!err && read(ready[0], &c, 1) < 0 && errno == EINTR)
		;
	close(ready[0]);
	if (err) {
		close(p[1]);
		return err;
	}
	fz->child[slot].pid = pid;
	fz->child[slot].fd = p[1];
	return 0;
}

static int model_fork(struct fuzz *fz, const struct op *op, int got)
{
	int slot = free_slot(&fz->m);

	if (slot < 0)
		return RES_SKIP;
	fz->m.live[slot] = true;
	fz->m.held[slot] = direct_files(&fz->m, true);
	return 0;
}

static int show_fork(const struct op *op, char *buf, size_t len)
{
	return snprintf(buf, len, "fork (a child holds the mappings, MADV_DONTFORK ones excepted)");
}

/* Let child @slot exit and reap it: it has released its mm by then. */
static int stop_child(struct fuzz *fz, int slot)
{
	int status;

	close(fz->child[slot].fd);
	if (waitpid(fz->child[slot].pid, &status, 0) != fz->child[slot].pid)
		status = -1;
	fz->child[slot].pid = 0;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : RES_CHILD;
}

static void gen_exit(struct fuzz *fz, struct op *op)
{
	int i, live[MAX_CHILDREN], n = 0;

	for (i = 0; i < MAX_CHILDREN; i++)
		if (fz->m.live[i])
			live[n++] = i;
	op->v = n ? live[rnd(fz, n)] : rnd(fz, MAX_CHILDREN);
}

static int run_exit(struct fuzz *fz, const struct op *op)
{
	return fz->m.live[op->v] ? stop_child(fz, op->v) : RES_SKIP;
}

static int model_exit(struct fuzz *fz, const struct op *op, int got)
{
	if (!fz->m.live[op->v])
		return RES_SKIP;
	fz->m.live[op->v] = false;
	fz->m.held[op->v] = 0;
	return 0;
}

static int show_exit(const struct op *op, char *buf, size_t len)
{
	return snprintf(buf, len, "child %d exits", op->v);
}

/* ========================================================================= */
/* userfaultfd                                                                */
/* ========================================================================= */

enum { UF_WP, UF_MISSING, UF_UNREGISTER, UF_RESET };
static const char *const uffd_names[] = {
	"UFFDIO_REGISTER_MODE_WP (async)", "UFFDIO_REGISTER_MODE_MISSING",
	"UFFDIO_UNREGISTER", "close and reopen",
};

/* A userfaultfd with asynchronous write protection (it never blocks). */
static void open_uffd(struct fuzz *fz)
{
	struct uffdio_api api = {
		.api = UFFD_API,
		.features = UFFD_FEATURE_WP_ASYNC,
	};

	fz->uffd = syscall(__NR_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
	fz->uffd_err = fz->uffd < 0 ? errno : 0;
	if (fz->uffd >= 0 && ioctl(fz->uffd, UFFDIO_API, &api)) {
		fz->uffd_err = errno;
		close(fz->uffd);
		fz->uffd = -1;
	}
}

static void gen_uffd(struct fuzz *fz, struct op *op)
{
	int r = rnd(fz, 100);

	gen_range(fz, op);
	op->v = r < 45 ? UF_WP : r < 55 ? UF_MISSING : r < 92 ? UF_UNREGISTER :
		UF_RESET;
}

/* Missing mode on anonymous memory would make faults wait for a handler. */
static bool uffd_skipped(const struct fuzz *fz, const struct op *op)
{
	const struct mpage *pg = &fz->m.pg[op->a];

	return op->v == UF_MISSING &&
	       (any_kind(pg, op->n, K_ANON) || any_kind(pg, op->n, K_NONE));
}

static int run_uffd(struct fuzz *fz, const struct op *op)
{
	struct uffdio_register reg = {
		.range = {
			.start = (unsigned long)page_addr(fz, op->a),
			.len = op->n * MD_PAGE,
		},
		.mode = op->v == UF_WP ? UFFDIO_REGISTER_MODE_WP :
					 UFFDIO_REGISTER_MODE_MISSING,
	};

	if (op->v == UF_RESET) {
		if (fz->uffd >= 0)
			close(fz->uffd);
		open_uffd(fz);
		return fz->uffd_err;
	}
	if (uffd_skipped(fz, op))
		return RES_SKIP;
	if (fz->uffd < 0)
		return fz->uffd_err;
	if (op->v == UF_UNREGISTER)
		return MD_ERRNO(ioctl(fz->uffd, UFFDIO_UNREGISTER, &reg.range));
	return MD_ERRNO(ioctl(fz->uffd, UFFDIO_REGISTER, &reg));
}

/* What the kernel answers is recorded, not predicted; success is modelled. */
static int model_uffd(struct fuzz *fz, const struct op *op, int got)
{
	unsigned int mode = op->v == UF_WP ? PF_UW : PF_UM;
	struct mpage *pg = &fz->m.pg[op->a];
	int i, n = op->n;

	if (op->v != UF_RESET && uffd_skipped(fz, op))
		return RES_SKIP;
	if (got)
		return got;
	if (op->v == UF_RESET) {
		pg = fz->m.pg;
		n = ARENA;
	}
	for (i = 0; i < n; i++) {
		if (pg[i].kind == K_NONE)
			continue;
		if (op->v >= UF_UNREGISTER)
			pg[i].flags &= ~(PF_UW | PF_UM);
		else if ((pg[i].flags & mode) != mode)
			pg[i].flags = (pg[i].flags & ~(PF_UW | PF_UM)) | mode;
	}
	return 0;
}

static int show_uffd(const struct op *op, char *buf, size_t len)
{
	if (op->v == UF_RESET)
		return snprintf(buf, len, "userfaultfd %s", uffd_names[op->v]);
	return snprintf(buf, len, "userfaultfd %s(page %d, %d pages)",
			uffd_names[op->v], op->a, op->n);
}

/* ========================================================================= */
/* Faults                                                                     */
/* ========================================================================= */

static void gen_touch(struct fuzz *fz, struct op *op)
{
	int p = pick_page(fz, (1u << K_FILE) | (1u << K_ANON));

	op->a = p >= 0 && rnd(fz, 8) ? p : rnd(fz, ARENA);
	op->n = 1;
	op->x = rnd(fz, 2);
	op->b = rnd(fz, MD_PAGE);
}

/* Writes store the byte the file already has there: the data never changes. */
static int run_touch(struct fuzz *fz, const struct op *op)
{
	const struct mpage *pg = &fz->m.pg[op->a];
	bool known = pg->kind == K_FILE && pg->pgoff < FILE_PAGES;
	unsigned char want = 0, v;
	int sig;

	if (known)
		want = md_pattern(pg->pgoff * MD_PAGE + op->b,
				  fz->file[pg->file].seed);
	v = want;
	sig = md_touch((unsigned char *)page_addr(fz, op->a) + op->b, op->x, &v);
	if (sig)
		return RES_SIG(sig);
	return !op->x && known && v != want ? RES_BADDATA : 0;
}

static int model_touch(struct fuzz *fz, const struct op *op, int got)
{
	const struct mpage *pg = &fz->m.pg[op->a];

	if (pg->kind == K_NONE || !(pg->flags & (op->x ? PF_WR : PF_RD)))
		return RES_SIG(SIGSEGV);
	if (pg->kind == K_FILE && pg->pgoff >= FILE_PAGES)
		return RES_SIG(SIGBUS);
	return 0;
}

static int show_touch(const struct op *op, char *buf, size_t len)
{
	return snprintf(buf, len, "%s byte %d of page %d", op->x ? "write" : "read",
			op->b, op->a);
}

/* ========================================================================= */
/* The table                                                                  */
/* ========================================================================= */

static const struct op_type types[NOPS] = {
	[OP_MMAP] = { 'M', "mmap", 22, gen_mmap, run_mmap, model_mmap, show_mmap },
	[OP_MUNMAP] = { 'U', "munmap", 7, gen_range, run_munmap, model_munmap,
			show_range },
	[OP_MPROTECT] = { 'P', "mprotect", 12, gen_mprotect, run_mprotect,
			  model_mprotect, show_mprotect },
	[OP_MADVISE] = { 'A', "madvise", 12, gen_madvise, run_madvise,
			 model_madvise, show_madvise },
	[OP_MLOCK] = { 'L', "mlock", 4, gen_mlock, run_mlock, model_mlock,
		       show_mlock },
	[OP_MREMAP] = { 'R', "mremap", 14, gen_mremap, run_mremap, model_mremap,
			show_mremap },
	[OP_REMAP] = { 'F', "remap_file_pages", 6, gen_remap, run_remap,
		       model_remap, show_remap },
	[OP_FORK] = { 'K', "fork", 3, gen_none, run_fork, model_fork, show_fork },
	[OP_EXIT] = { 'X', "exit", 3, gen_exit, run_exit, model_exit, show_exit },
	[OP_MSEAL] = { 'S', "mseal", 1, gen_range, run_mseal, model_mseal,
		       show_range },
	[OP_UFFD] = { 'Y', "userfaultfd", 5, gen_uffd, run_uffd, model_uffd,
		      show_uffd },
	[OP_TOUCH] = { 'T', "touch", 10, gen_touch, run_touch, model_touch,
		       show_touch },
};

static void gen_op(struct fuzz *fz, struct op *op)
{
	int w = 0, r, t;

	for (t = 0; t < NOPS; t++)
		if (fz->enabled & (1u << t))
			w += types[t].weight;
	r = rnd(fz, w);
	for (t = 0; t < NOPS; t++) {
		if (!(fz->enabled & (1u << t)))
			continue;
		if (r < types[t].weight)
			break;
		r -= types[t].weight;
	}
	memset(op, 0, sizeof(*op));
	op->type = t;
	types[t].gen(fz, op);
}

/* Range checks of a parsed replay string: nothing may leave the arena. */
static bool op_valid(const struct op *op)
{
	static const int nv[NOPS] = {
		[OP_MMAP] = ARRAY_SIZE(apis), [OP_MADVISE] = ARRAY_SIZE(advices),
		[OP_MLOCK] = 3, [OP_MREMAP] = 3, [OP_EXIT] = MAX_CHILDREN,
		[OP_UFFD] = 4,
	};

	if (op->type >= NOPS ||
	    (nv[op->type] ? op->v >= nv[op->type] : op->v != 0))
		return false;
	if (op->type == OP_FORK || op->type == OP_EXIT)
		return !op->f && !op->x && !op->a && !op->n && !op->b && !op->d;
	if (op->a < 0 || op->n < 1 || op->a + op->n > ARENA)
		return false;
	switch (op->type) {
	case OP_MMAP:
		return op->f < NFILES && X_PROT(op->x) < 3 && X_MODE(op->x) < 3 &&
		       op->b >= 0 && op->b + op->n <= MAX_PGOFF;
	case OP_MPROTECT:
		return op->f < 3;
	case OP_MREMAP:
		if (op->v == MR_INPLACE)
			return op->b >= 1 && op->a + op->b <= ARENA && !op->d;
		return op->b >= 1 && op->d >= 0 && op->d + op->b <= ARENA &&
		       (op->v != MR_DONTUNMAP || op->b == op->n);
	case OP_REMAP:
		return op->b >= 0 && op->b + op->n <= MAX_PGOFF;
	case OP_TOUCH:
		return op->n == 1 && op->b >= 0 && op->b < (int)MD_PAGE;
	}
	return true;
}

/* ========================================================================= */
/* Comparing the kernel with the model                                        */
/* ========================================================================= */

static char smaps[1 << 20];

static unsigned int parse_vmflags(char *s)
{
	unsigned int flags = 0, i;
	char *save, *tok;

	for (tok = strtok_r(s, "\n ", &save); tok; tok = strtok_r(NULL, "\n ", &save))
		for (i = 0; i < ARRAY_SIZE(mnemonics); i++)
			if (!strcmp(tok, mnemonics[i]))
				flags |= 1u << i;
	return flags;
}

/* The arena's VMAs, from /proc/self/smaps, into fz->vma and fz->obs. */
static int read_layout(struct fuzz *fz)
{
	unsigned long lo = (unsigned long)fz->arena, hi = lo + ARENA * MD_PAGE;
	unsigned long start, end, off, ino;
	unsigned int maj, min;
	struct obs_vma *cur = NULL;
	char *line, *nl, perms[8];
	ssize_t r, len = 0;
	int fd, i, f;
	long p;

	fd = open("/proc/self/smaps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((r = read(fd, smaps + len, sizeof(smaps) - 1 - len)) > 0)
		len += r;
	close(fd);
	smaps[len] = 0;
	fz->nvma = 0;
	for (line = smaps; line && *line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = 0;
		if (!((*line >= '0' && *line <= '9') || (*line >= 'a' && *line <= 'f'))) {
			if (cur && !strncmp(line, "VmFlags:", 8))
				cur->first.flags = parse_vmflags(line + 8);
			continue;
		}
		cur = NULL;
		if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu", &start, &end, perms,
			   &off, &maj, &min, &ino) != 7 || end <= lo || start >= hi ||
		    fz->nvma == MAX_VMAS)
			continue;
		cur = &fz->vma[fz->nvma++];
		memset(cur, 0, sizeof(*cur));
		cur->start = ((long)start - (long)lo) / (long)MD_PAGE;
		cur->end = ((long)end - (long)lo) / (long)MD_PAGE;
		cur->first.kind = ino ? K_OTHER : K_ANON;
		cur->first.pgoff = off / MD_PAGE;
		for (f = 0; ino && f < NFILES; f++)
			if (fz->file[f].ino == ino &&
			    fz->file[f].dev == makedev(maj, min)) {
				cur->first.kind = K_FILE;
				cur->first.file = f;
			}
	}
	set_none(fz->obs, ARENA);
	for (i = 0; i < fz->nvma; i++)
		for (p = imax(0, fz->vma[i].start); p < imin(ARENA, fz->vma[i].end); p++)
			fz->obs[p] = next_page(fz->vma[i].first, p - fz->vma[i].start);
	return 0;
}

/* A VMA holding MAP_DIRECT and plain pages (readable without `md`). */
static void check_mixed(struct fuzz *fz)
{
	char s1[160], s2[160];
	long p;
	int i, first;

	for (i = 0; i < fz->nvma; i++) {
		first = -1;
		for (p = imax(0, fz->vma[i].start); p < imin(ARENA, fz->vma[i].end); p++) {
			if (fz->m.pg[p].kind != K_FILE)
				continue;
			if (first < 0) {
				first = p;
			} else if (!(fz->m.pg[p].flags & PF_MD) !=
				   !(fz->m.pg[first].flags & PF_MD)) {
				mismatch(fz, C_LAYOUT,
					 "one VMA, arena pages %ld-%ld, holds a MAP_DIRECT and a plain page: page %d %s, page %ld %s (model)",
					 fz->vma[i].start, fz->vma[i].end - 1, first,
					 page_str(&fz->m.pg[first], s1, sizeof(s1)), p,
					 page_str(&fz->m.pg[p], s2, sizeof(s2)));
				break;
			}
		}
	}
}

static void check_pages(struct fuzz *fz)
{
	unsigned int mask = PF_ALL & ~(fz->have_md ? 0 : PF_MD);
	char s1[160], s2[160];
	int p, bad = 0;

	for (p = 0; p < ARENA; p++) {
		const struct mpage *m = &fz->m.pg[p], *o = &fz->obs[p];

		if (m->kind == o->kind && !((m->flags ^ o->flags) & mask) &&
		    (m->kind != K_FILE || (m->file == o->file && m->pgoff == o->pgoff)))
			continue;
		if (bad++ < 6)
			mismatch(fz, C_LAYOUT, "page %d: expected %s, the kernel shows %s%s",
				 p, page_str(m, s1, sizeof(s1)), page_str(o, s2, sizeof(s2)),
				 fz->have_md ? "" : " (`md` not compared: not shown by this kernel)");
	}
	if (bad > 6)
		mismatch(fz, C_LAYOUT, "... %d more pages differ", bad - 6);
}

/* 1 sealed (ETXTBSY), 0 not, -errno: punch a hole past EOF (changes nothing). */
static int punch_state(int fd)
{
	if (!fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, FILE_LEN,
		       MD_PAGE))
		return 0;
	return errno == ETXTBSY ? 1 : -errno;
}

/*
 * A sealed XFS file must refuse to be a clone source.  Only asked of a file
 * that is sealed: cloning from an unsealed one would share its extents.
 */
static void check_clone(struct fuzz *fz, int f)
{
	struct file_clone_range r = {
		.src_fd = fz->file[f].fd, .src_length = MD_PAGE,
	};
	int err;

	if (fz->step & 1)
		err = MD_ERRNO(ioctl(fz->scratch, FICLONERANGE, &r));
	else
		err = MD_ERRNO(ioctl(fz->scratch, FICLONE, fz->file[f].fd));
	if (err != ETXTBSY)
		mismatch(fz, C_SEAL, "file%d is sealed but %s from it into another XFS file: %s, expected ETXTBSY%s",
			 f, fz->step & 1 ? "FICLONERANGE" : "FICLONE", md_errname(err),
			 err ? "" : " (its extents are shared now)");
}

static void check_seals(struct fuzz *fz)
{
	int f, want, s1, s2, p, n;
	char where[200];

	for (f = 0; f < NFILES; f++) {
		want = model_sealed(&fz->m, f);
		s1 = md_seal_state(fz->file[f].fd);
		s2 = punch_state(fz->file[f].fd);
		if (s1 == want && s2 == want) {
			if (want && fz->file[f].xfs && fz->scratch >= 0)
				check_clone(fz, f);
			continue;
		}
		n = snprintf(where, sizeof(where), "MAP_DIRECT pages in the model: arena");
		for (p = 0; p < ARENA && n < (int)sizeof(where) - 8; p++)
			if (fz->m.pg[p].kind == K_FILE && fz->m.pg[p].file == f &&
			    (fz->m.pg[p].flags & PF_MD))
				n += snprintf(where + n, sizeof(where) - n, " %d", p);
		for (p = 0; p < MAX_CHILDREN && n < (int)sizeof(where) - 12; p++)
			if (fz->m.live[p] && (fz->m.held[p] & (1u << f)))
				n += snprintf(where + n, sizeof(where) - n, ", child %d", p);
		mismatch(fz, C_SEAL, "file%d should %sbe sealed (%s); ftruncate(fd, size): %s; fallocate(PUNCH_HOLE past EOF): %s",
			 f, want ? "" : "not ", where, md_seal_str(s1), md_seal_str(s2));
	}
}

static void compare(struct fuzz *fz)
{
	int err = read_layout(fz);

	if (err) {
		mismatch(fz, C_LAYOUT, "cannot read /proc/self/smaps: %s",
			 md_errname(err));
		return;
	}
	if (!fz->seal_only) {
		check_mixed(fz);
		check_pages(fz);
	}
	check_seals(fz);
}

/* ========================================================================= */
/* The worker: runs the steps of one epoch (or a replay) in its own process   */
/* ========================================================================= */

static int show_op(const struct op *op, char *buf, size_t len)
{
	return types[op->type].show(op, buf, len);
}

/* The step in a replay string: "M4,0,66,10,2,0,0". */
static int encode_op(const struct op *op, char *buf, size_t len)
{
	return snprintf(buf, len, "%c%d,%d,%d,%d,%d,%d,%d", types[op->type].code,
			op->v, op->f, op->x, op->a, op->n, op->b, op->d);
}

static void step(struct fuzz *fz, const struct op *op)
{
	const struct op_type *t = &types[op->type];
	char text[256], code[64], r1[32], r2[32];
	int got, want;

	if (fz->verbose) {
		show_op(op, text, sizeof(text));
		encode_op(op, code, sizeof(code));
		printf("# step %lu [%s]: %s ...\n", fz->step, code, text);
	}
	got = t->run(fz, op);
	want = t->model(fz, op, got);
	if (got != want)
		show_op(op, text, sizeof(text));
	if (fz->verbose)
		printf("#   %s\n", res_str(got, r1, sizeof(r1)));
	if (fz->generate) {
		fz->sh->calls[op->type]++;
		fz->sh->ok[op->type] += !got;
	}
	if (got != want)
		mismatch(fz, C_RESULT, "step %lu, %s: %s, expected %s", fz->step, text,
			 res_str(got, r1, sizeof(r1)), res_str(want, r2, sizeof(r2)));
	compare(fz);
}

static int worker(struct fuzz *fz, int nsteps, double deadline)
{
	struct shared *sh = fz->sh;
	int i;

	fz->arena = mmap(NULL, ARENA * MD_PAGE, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (fz->arena == MAP_FAILED)
		return 2;
	memset(&fz->m, 0, sizeof(fz->m));
	for (i = 0; i < ARENA; i++)
		fz->m.pg[i].kind = K_ANON;
	if (fz->verbose)
		setvbuf(stdout, NULL, _IOLBF, 0);
	open_uffd(fz);
	sh->uffd_err = fz->uffd_err;
	fz->step = 0;
	compare(fz);
	for (i = 0; i < nsteps && sh->fail_class == C_NONE; i++) {
		fz->step = i;
		if (fz->generate) {
			if (now() > deadline)
				break;
			gen_op(fz, &sh->ops[i]);
			sh->nops = i + 1;
			if (!op_valid(&sh->ops[i]))
				mismatch(fz, C_CRASH,
					 "the generator made a step a replay string cannot hold");
		}
		step(fz, &sh->ops[i]);
		sh->steps = i + 1;
	}
	for (i = 0; i < MAX_CHILDREN; i++)
		if (fz->m.live[i])
			stop_child(fz, i);
	fflush(NULL);
	return 0;
}

/* ========================================================================= */
/* The parent: files, epochs, shrinking, replay                               */
/* ========================================================================= */

/* A new file of FILE_LEN bytes of its pattern; 0 or -errno. */
static int make_file(struct ffile *f, const char *tag)
{
	struct stat st;

	f->fd = md_create_written(f->dir, tag, f->path, FILE_LEN, f->seed);
	if (f->fd < 0) {
		f->path[0] = 0;
		return f->fd;
	}
	if (fstat(f->fd, &st) || md_is_dax(f->fd) != 1) {
		close(f->fd);
		unlink(f->path);
		f->path[0] = 0;
		f->fd = -1;
		return -EOPNOTSUPP;
	}
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	return 0;
}

static void drop_file(struct ffile *f)
{
	if (f->fd >= 0)
		close(f->fd);
	if (f->path[0])
		unlink(f->path);
	f->fd = -1;
	f->path[0] = 0;
}

/*
 * After every process that mapped them is gone, no file may be sealed and
 * each must still hold its pattern.  A file with shared extents (a clone
 * that should have failed) is made again.
 */
static void check_files_after(struct fuzz *fz)
{
	struct stat st;
	int f, s;

	for (f = 0; f < NFILES; f++) {
		struct ffile *ff = &fz->file[f];

		s = md_seal_state(ff->fd);
		if (s)
			mismatch(fz, C_EXIT, "file%d after the worker and its children exited: %s, expected not sealed",
				 f, md_seal_str(s));
		if (fstat(ff->fd, &st) || st.st_size != (off_t)FILE_LEN ||
		    md_read_check(ff->fd, 0, FILE_LEN, ff->seed) != -1)
			mismatch(fz, C_DATA, "file%d lost its size or data", f);
		if (ff->xfs && md_fd_has_shared(ff->fd)) {
			mismatch(fz, C_DATA, "file%d has shared extents: made again", f);
			drop_file(ff);
			make_file(ff, "fuzz");
		}
	}
}

/*
 * Wait for the worker; false if one step took more than STUCK_SECONDS (a
 * task that oopsed holding its mmap_lock never exits: it is left behind).
 */
static bool wait_worker(struct shared *sh, pid_t pid, int *status)
{
	unsigned long steps = sh->steps;
	double since = now();
	pid_t ret;

	while ((ret = waitpid(pid, status, WNOHANG)) != pid) {
		if (ret < 0 && errno != EINTR)
			return true;
		if (sh->steps != steps) {
			steps = sh->steps;
			since = now();
		} else if (now() - since > STUCK_SECONDS) {
			kill(pid, SIGKILL);
			return false;
		}
		usleep(2000);
	}
	return true;
}

/* Run a worker (generating or replaying sh->ops); the kind of mismatch. */
static int run_worker(struct fuzz *fz, int nsteps, double deadline)
{
	struct shared *sh = fz->sh;
	int status = 0;
	pid_t pid;

	sh->fail = -1;
	sh->fail_class = C_NONE;
	sh->steps = 0;
	sh->msg[0] = 0;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return C_CRASH;
	if (pid == 0)
		_exit(worker(fz, nsteps, deadline));
	if (!wait_worker(sh, pid, &status)) {
		sh->fail = sh->steps;
		sh->fail_class = C_STUCK;
		snprintf(sh->msg + strlen(sh->msg), 200,
			 "step %lu has not returned for %d s: see the kernel log\n",
			 sh->steps, STUCK_SECONDS);
		return C_STUCK;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		if (sh->fail_class == C_NONE) {
			sh->fail = sh->steps;
			sh->fail_class = C_CRASH;
		}
		snprintf(sh->msg + strlen(sh->msg), 200,
			 "the worker died (wait status %#x) at step %lu\n",
			 status, sh->steps);
		return sh->fail_class;
	}
	if (sh->fail_class == C_NONE) {
		fz->step = sh->steps ? sh->steps - 1 : 0;
		check_files_after(fz);
	}
	return sh->fail_class;
}

/*
 * Replay @ops in a fresh worker on fresh files: the index of the op after
 * which a mismatch of kind @cls showed, at an op of type @type (any if
 * NOPS), or -1.
 */
static int try_ops(struct fuzz *proto, const struct op *ops, int n, int cls,
		   int type)
{
	struct fuzz fz = *proto;
	int f, ret = -1;

	for (f = 0; f < NFILES; f++)
		if (make_file(&fz.file[f], "shrink"))
			break;
	if (f == NFILES) {
		memcpy(fz.sh->ops, ops, n * sizeof(*ops));
		fz.sh->nops = n;
		fz.generate = false;
		fz.verbose = false;
		if (run_worker(&fz, n, 0) == cls &&
		    (type == NOPS || fz.sh->fail_type == type))
			ret = fz.sh->fail;
	}
	while (f--)
		drop_file(&fz.file[f]);
	return ret < 0 ? -1 : imin(ret, n - 1);
}

/*
 * Delta debugging (ddmin): drop chunks of the list while the mismatch
 * stays, cutting the list after the failing op each time.  Returns the
 * length of the shortest list found.
 */
static int shrink(struct fuzz *proto, struct op *ops, int n, int cls,
		  int type, double deadline)
{
	static struct op cand[MAX_OPS];
	int k = 2, i, lo, hi, m, fail, tries = 0;
	bool reduced;

	while (n >= 2 && now() < deadline) {
		reduced = false;
		for (i = 0; i < k && !reduced && now() < deadline; i++) {
			lo = i * n / k;
			hi = (i + 1) * n / k;
			if (hi <= lo)
				continue;
			memcpy(cand, ops, lo * sizeof(*ops));
			memcpy(cand + lo, ops + hi, (n - hi) * sizeof(*ops));
			m = n - (hi - lo);
			fail = m ? try_ops(proto, cand, m, cls, type) : -1;
			tries++;
			if (fail < 0)
				continue;
			n = fail + 1;
			memcpy(ops, cand, n * sizeof(*ops));
			k = imax(k - 1, 2);
			reduced = true;
		}
		if (!reduced) {
			if (k >= n)
				break;
			k = imin(2 * k, n);
		}
	}
	ksft_print_msg("shrinking: %d tries%s\n", tries,
		       now() >= deadline ? " (time is up: not minimal)" : "");
	return n;
}

/* The mismatch report, one "# " line each. */
static void print_msg(const char *msg)
{
	const char *nl;

	for (; *msg; msg = nl + 1) {
		nl = strchrnul(msg, '\n');
		ksft_print_msg("  %.*s\n", (int)(nl - msg), msg);
		if (!*nl)
			break;
	}
}

static void print_ops(const char *variant, const struct op *ops, int n)
{
	static char replay[MAX_OPS * 40];
	char text[256];
	int i, off;

	off = snprintf(replay, sizeof(replay), "%s:", variant);
	for (i = 0; i < n; i++) {
		show_op(&ops[i], text, sizeof(text));
		ksft_print_msg("  %d: %s\n", i, text);
		off += snprintf(replay + off, sizeof(replay) - off, "%s", i ? ";" : "");
		off += encode_op(&ops[i], replay + off, sizeof(replay) - off);
	}
	ksft_print_msg("replay: MD_FUZZ_REPLAY='%s'\n", replay);
}

/* "variant:M4,0,66,10,2,0,0;U0,0,0,10,1,0,0" -> ops; their count or -1. */
static int parse_replay(const char *s, const char *variant, struct op *ops)
{
	const char *p = strchr(s, ':');
	int n = 0, t, v, f, x, a, len, b, d, used;

	if (!p || (size_t)(p - s) != strlen(variant) || strncmp(s, variant, p - s))
		return -1;
	for (p++; *p && n < MAX_OPS; n++) {
		for (t = 0; t < NOPS && types[t].code != *p; t++)
			;
		if (t == NOPS || sscanf(p + 1, "%d,%d,%d,%d,%d,%d,%d%n", &v, &f, &x,
					&a, &len, &b, &d, &used) != 7)
			return -2;
		ops[n] = (struct op){ t, v, f, x, a, len, b, d };
		if (v < 0 || v > 255 || f < 0 || f > 255 || x < 0 || x > 255 ||
		    !op_valid(&ops[n]))
			return -2;
		p += 1 + used;
		if (*p == ';')
			p++;
	}
	return *p ? -2 : n;
}

struct params {
	uint64_t seed;
	unsigned long steps;
	double seconds, shrink_seconds;
	const char *replay;
	bool verbose;
	bool seal_only;
	unsigned int enabled;
};

/* MD_FUZZ_EXCLUDE: operation names separated by commas. */
static unsigned int parse_exclude(const char *list)
{
	unsigned int enabled = (1u << NOPS) - 1;
	char buf[256], *save, *tok;
	int t;

	snprintf(buf, sizeof(buf), "%s", list ? list : "");
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		for (t = 0; t < NOPS; t++)
			if (!strcmp(tok, types[t].name))
				enabled &= ~(1u << t);
	return enabled ? enabled : 1u << OP_MMAP;
}

static void read_params(struct params *prm)
{
	struct timespec ts;
	const char *s;

	clock_gettime(CLOCK_REALTIME, &ts);
	prm->seed = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	prm->seed ^= (uint64_t)getpid() << 40;
	s = getenv("MD_FUZZ_SEED");
	if (s && *s)
		prm->seed = strtoull(s, NULL, 0);
	s = getenv("MD_FUZZ_STEPS");
	prm->steps = s && *s ? strtoul(s, NULL, 0) : 1000;
	s = getenv("MD_FUZZ_SECONDS");
	prm->seconds = s && *s ? strtod(s, NULL) : 5;
	s = getenv("MD_FUZZ_SHRINK_SECONDS");
	prm->shrink_seconds = s && *s ? strtod(s, NULL) : 120;
	prm->replay = getenv("MD_FUZZ_REPLAY");
	if (prm->replay && !*prm->replay)
		prm->replay = NULL;
	s = getenv("MD_FUZZ_VERBOSE");
	prm->verbose = s && *s && strcmp(s, "0");
	s = getenv("MD_FUZZ_SEAL_ONLY");
	prm->seal_only = s && *s && strcmp(s, "0");
	prm->enabled = parse_exclude(getenv("MD_FUZZ_EXCLUDE"));
}

/* Report a mismatch, shrink it and print the result; the shrunk length. */
static int report(struct fuzz *fz, const char *variant, const struct params *prm)
{
	static struct op ops[MAX_OPS];
	struct shared *sh = fz->sh;
	int cls = sh->fail_class, n = imin(sh->fail + 1, sh->nops), first;
	int type = cls == C_EXIT || cls == C_CRASH ? NOPS : sh->fail_type;

	ksft_print_msg("MISMATCH (%s) after step %d of this worker:\n",
		       class_names[cls], sh->fail);
	print_msg(sh->msg);
	if (cls == C_EXIT || cls == C_CRASH)
		n = sh->nops;
	memcpy(ops, sh->ops, n * sizeof(*ops));
	if (cls == C_STUCK) {
		ksft_print_msg("not shrunk: every try would hang again\n");
		print_ops(variant, ops, n);
		return n;
	}
	first = try_ops(fz, ops, n, cls, type);
	if (first < 0) {
		ksft_print_msg("the %d steps do not show it again in a fresh process: not shrunk\n",
			       n);
		print_ops(variant, ops, n);
		return n;
	}
	n = shrink(fz, ops, first + 1, cls, type, now() + prm->shrink_seconds);
	ksft_print_msg("shrunk to %d steps:\n", n);
	print_ops(variant, ops, n);
	try_ops(fz, ops, n, cls, type);
	ksft_print_msg("what they show:\n");
	print_msg(sh->msg);
	return n;
}

/* ========================================================================= */
/* The test                                                                   */
/* ========================================================================= */

FIXTURE(fuzz) {
	struct ffile file[NFILES];
	char scratch_path[PATH_MAX];
	int scratch;
	bool have_md;
};

FIXTURE_VARIANT(fuzz) {
	const char *name;
	struct md_fs fs[NFILES];
};

FIXTURE_VARIANT_ADD(fuzz, dax_xfs) {
	.name = "dax_xfs",
	.fs = { MD_FS_DAX_XFS, MD_FS_DAX_XFS, MD_FS_DAX_XFS },
};

FIXTURE_VARIANT_ADD(fuzz, dax_ext4) {
	.name = "dax_ext4",
	.fs = { MD_FS_DAX_EXT4, MD_FS_DAX_EXT4, MD_FS_DAX_EXT4 },
};

FIXTURE_VARIANT_ADD(fuzz, dax_mixed) {
	.name = "dax_mixed",
	.fs = { MD_FS_DAX_XFS, MD_FS_DAX_EXT4, MD_FS_DAX_XFS },
};

/* true if a MAP_DIRECT VMA shows `md` in its VmFlags. */
static bool shows_md(int fd)
{
	void *p = md_mmap3(NULL, MD_PAGE, RW, MAP_SHARED | MAP_DIRECT, fd, 0);
	char flags[512];
	bool md;

	if (p == MAP_FAILED)
		return false;
	md = !md_vmflags(p, flags, sizeof(flags)) &&
	     (parse_vmflags(flags) & PF_MD);
	munmap(p, MD_PAGE);
	return md;
}

FIXTURE_SETUP(fuzz)
{
	const char *xfs_dir = NULL;
	char why[256];
	int f, err;

	self->scratch = -1;
	for (f = 0; f < NFILES; f++)
		self->file[f].fd = -1;
	if (!md_have_map_direct(why, sizeof(why)))
		SKIP(return, "%s", why);
	for (f = 0; f < NFILES; f++) {
		self->file[f].dir = md_mount(&variant->fs[f], why, sizeof(why));
		if (!self->file[f].dir)
			SKIP(return, "%s", why);
	}
	for (f = 0; f < NFILES; f++) {
		self->file[f].xfs = variant->fs[f].xfs;
		self->file[f].seed = 10 + f;
		err = make_file(&self->file[f], "fuzz");
		ASSERT_EQ(0, err) TH_LOG("a written DAX file in %s: %s",
					 self->file[f].dir, md_errname(err));
		if (self->file[f].xfs)
			xfs_dir = self->file[f].dir;
	}
	if (xfs_dir) {
		self->scratch = md_create(xfs_dir, "clone", self->scratch_path);
		ASSERT_LE(0, self->scratch) TH_LOG("scratch file in %s: %s",
						   xfs_dir, strerror(errno));
	}
	self->have_md = shows_md(self->file[0].fd);
}

FIXTURE_TEARDOWN_PARENT(fuzz)
{
	int f;

	for (f = 0; f < NFILES; f++)
		if (self->file[f].path[0])
			unlink(self->file[f].path);
	if (self->scratch_path[0])
		unlink(self->scratch_path);
}

/* Print what the run did: steps, speed, calls per operation. */
static void summary(struct fuzz *fz, const char *variant, const struct params *prm,
		    unsigned long steps, double secs, int workers, int mismatches)
{
	char line[600], r[32];
	int t, off = 0;

	ksft_print_msg("%s: %lu steps in %.1f s (%.0f steps/s), %d worker processes, %d mismatches, seed %#llx\n",
		       variant, steps, secs, secs > 0 ? steps / secs : 0.0, workers,
		       mismatches, (unsigned long long)prm->seed);
	for (t = 0; t < NOPS; t++)
		off += snprintf(line + off, sizeof(line) - off, "%s%s %lu/%lu",
				t ? ", " : "", types[t].name, fz->sh->ok[t],
				fz->sh->calls[t]);
	ksft_print_msg("succeeded/calls: %s\n", line);
	ksft_print_msg("userfaultfd: %s\n", fz->sh->uffd_err ?
		       res_str(fz->sh->uffd_err, r, sizeof(r)) : "available (asynchronous write protection)");
}

static void init_fuzz(struct fuzz *fz, FIXTURE_DATA(fuzz) * self,
		      const struct params *prm)
{
	memcpy(fz->file, self->file, sizeof(fz->file));
	fz->scratch = self->scratch;
	fz->have_md = self->have_md;
	fz->enabled = prm->enabled;
	fz->verbose = prm->verbose;
	fz->seal_only = prm->seal_only;
	memset(fz->sh, 0, sizeof(*fz->sh));
	if (fz->seal_only)
		ksft_print_msg("MD_FUZZ_SEAL_ONLY: the pages of the arena are not compared, only results and seals\n");
	if (!fz->have_md)
		ksft_print_msg("this kernel shows no `md` in the VmFlags of a MAP_DIRECT VMA: MAP_DIRECT per VMA is checked through the seal and VMA boundaries only\n");
}

/*
 * Random operations from a seed, EPOCH_STEPS per worker process; after
 * every step the arena, the calls' results and the seals match the model.
 */
TEST_F_TIMEOUT(fuzz, seal_iff_direct_page_mapped, 3600)
{
	static struct fuzz fz;
	unsigned long done = 0;
	struct params prm;
	double t0, deadline;
	int cls = C_NONE, workers = 0, n;
	uint64_t s;

	read_params(&prm);
	fz.sh = mmap(NULL, sizeof(*fz.sh), RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, fz.sh);
	init_fuzz(&fz, self, &prm);
	if (prm.replay) {
		n = parse_replay(prm.replay, variant->name, fz.sh->ops);
		if (n == -1)
			SKIP(return, "MD_FUZZ_REPLAY is for another variant than %s",
			     variant->name);
		ASSERT_LE(0, n) TH_LOG("MD_FUZZ_REPLAY is not a replay string: %s",
				       prm.replay);
		fz.verbose = true;
		cls = run_worker(&fz, n, 0);
		if (cls) {
			ksft_print_msg("MISMATCH (%s):\n", class_names[cls]);
			print_msg(fz.sh->msg);
		}
		EXPECT_EQ(C_NONE, cls) TH_LOG("the replayed steps show a mismatch");
		return;
	}
	ksft_print_msg("%s: seed %#llx (MD_FUZZ_SEED), at most %lu steps (MD_FUZZ_STEPS) and %.0f s (MD_FUZZ_SECONDS)\n",
		       variant->name, (unsigned long long)prm.seed, prm.steps,
		       prm.seconds);
	fz.generate = true;
	t0 = now();
	deadline = t0 + prm.seconds;
	while (done < prm.steps && now() < deadline && cls == C_NONE) {
		s = prm.seed ^ (workers * 0xd1b54a32d192ed03ULL);
		fz.rng = splitmix(&s);
		cls = run_worker(&fz, imin(EPOCH_STEPS, prm.steps - done), deadline);
		done += fz.sh->steps;
		workers++;
	}
	summary(&fz, variant->name, &prm, done, now() - t0, workers, cls != C_NONE);
	if (cls) {
		report(&fz, variant->name, &prm);
		ksft_print_msg("the whole run again: MD_FUZZ_SEED=%#llx MD_FUZZ_STEPS=%lu\n",
			       (unsigned long long)prm.seed, done);
	}
	memcpy(self->file, fz.file, sizeof(self->file));
	EXPECT_EQ(C_NONE, cls) TH_LOG("the kernel differs from the model (%s): see above",
				      class_names[cls]);
	EXPECT_TRUE(fz.have_md) TH_LOG("no `md` in the VmFlags of a MAP_DIRECT VMA");
}

TEST_HARNESS_MAIN
