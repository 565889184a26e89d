// SPDX-License-Identifier: GPL-2.0-only
/// Pass 1 of the ->mmap(file, vma, map_flags) conversion: print the name of
/// every function stored in the .mmap member of a struct file_operations
/// initializer, one "MMAPFN <name> <file>:<line>" line per initializer.
/// Single objects and arrays of file_operations are both covered.  The
/// .mmap members set inside #define bodies (the DRM fops macros) are not
/// visible to Coccinelle; scripts/gen-patch1.sh adds those from a grep.
///
/// Other structures with an mmap member (proc_ops, v4l2_file_operations,
/// dma_buf_ops, ...) are deliberately not matched.
//
// Options: --include-headers --no-includes --macro-file scripts/cocci/macros.h

virtual report

@single@
identifier I, F;
position p;
@@
struct file_operations I = { ..., .mmap = F@p, ... };

@script:python depends on single@
f << single.F;
p << single.p;
@@
if f != "NULL":
    print("MMAPFN %s %s:%s" % (f, p[0].file, p[0].line))

@array@
identifier I, F;
position p;
@@
struct file_operations I[...] = { ..., { ..., .mmap = F@p, ... }, ... };

@script:python depends on array@
f << array.F;
p << array.p;
@@
if f != "NULL":
    print("MMAPFN %s %s:%s" % (f, p[0].file, p[0].line))
