// SPDX-License-Identifier: GPL-2.0-only
/// Pass 2 of the ->mmap(file, vma, map_flags) conversion: give every
/// struct file_operations ->mmap implementation a third parameter,
/// "unsigned long map_flags", and fix their direct callers.
///
/// The names of the implementations come from pass 1
/// (mmap-flags-names.cocci), one per line, in the file named by
/// "-D names_file=<file>".  Only functions with those names and the parameter
/// types (struct file *, struct vm_area_struct *) are changed, so proc_ops,
/// v4l2_file_operations and the other structures with an mmap member are
/// left alone.
///
///  - definitions (every #ifdef alternative) and prototypes get the new
///    parameter; unnamed prototype parameters are named and "extern" is
///    dropped on the prototypes that are rewritten;
///  - a converted function (the rules see the result of the earlier ones)
///    that calls another one, call_mmap() or ->f_op->mmap() forwards its
///    own map_flags;
///  - any other direct call passes 0 (there are no user flags there).
//
// Options: --include-headers --no-includes --macro-file scripts/cocci/macros.h

virtual patch

@initialize:python@
names_file << virtual.names_file;
@@
global mmap_fns
mmap_fns = set()
with open(names_file) as fh:
    for line in fh:
        line = line.strip()
        if line and not line.startswith("#"):
            mmap_fns.add(line)

@proto_extern_unnamed depends on patch@
identifier F : script:python() { F in mmap_fns };
@@
- extern
  int F(
- struct file *, struct vm_area_struct *
+ struct file *file, struct vm_area_struct *vma, unsigned long map_flags
  );

@proto_extern depends on patch@
identifier F : script:python() { F in mmap_fns };
identifier f, v;
@@
- extern
  int F(struct file *f, struct vm_area_struct *v
+ , unsigned long map_flags
  );

@proto_unnamed depends on patch@
identifier F : script:python() { F in mmap_fns };
@@
int F(
- struct file *, struct vm_area_struct *
+ struct file *file, struct vm_area_struct *vma, unsigned long map_flags
  );

@proto depends on patch@
identifier F : script:python() { F in mmap_fns };
identifier f, v;
@@
int F(struct file *f, struct vm_area_struct *v
+ , unsigned long map_flags
  );

@def depends on patch@
identifier F : script:python() { F in mmap_fns };
identifier f, v;
@@
int F(struct file *f, struct vm_area_struct *v
+ , unsigned long map_flags
  )
{ ... }

@passthru depends on patch@
identifier G : script:python() { G in mmap_fns };
identifier F : script:python() { F in mmap_fns };
identifier f, v;
expression E, E1, E2;
position p;
@@
int G(struct file *f, struct vm_area_struct *v, unsigned long map_flags)
{
<...
(
  F@p(E1, E2
+ , map_flags
  )
|
  call_mmap@p(E1, E2
+ , map_flags
  )
|
  E->f_op->mmap@p(E1, E2
+ , map_flags
  )
)
...>
}

@othercall depends on patch@
identifier F : script:python() { F in mmap_fns };
expression E1, E2;
position p != passthru.p;
@@
  F@p(E1, E2
+ , 0
  )
