/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Macro hints for spatch (--macro-file) used by the ->mmap() map_flags
 * semantic patches.  Coccinelle 1.1.1 cannot parse the statement-like
 * guard macros of <linux/cleanup.h> followed by a block; present them as
 * loops so that the functions containing them are not skipped.
 */
#define scoped_guard(_name, args...) for (;;)
#define scoped_cond_guard(_name, _fail, args...) for (;;)
