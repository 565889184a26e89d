#!/bin/bash
# Usage: tests/host/check-mmap-completeness.sh [TREE]
#
# Patch 1/5 gives file_operations ->mmap() a third parameter, map_flags.
# On a tree with that patch (TREE, default: the series work tree
# build/<base-id>/linux) this checks that the conversion is complete:
#
#  - every function stored in the .mmap member of a struct file_operations
#    (single objects, arrays, and the fops macros such as the DRM ones) has
#    no definition or prototype left with the two-parameter signature
#    (struct file *, struct vm_area_struct *);
#  - nothing calls one of them, call_mmap() or f_op->mmap() with two
#    arguments;
#  - no other ->mmap() call with two arguments goes through a
#    struct file_operations pointer (decided by spatch with type
#    information: v4l2_file_operations, dma_buf_ops, ... have their own
#    two-argument ->mmap and are fine).
#
# The search is textual (comments and strings removed, parentheses
# matched), so code that Coccinelle cannot parse is still checked.  On the
# pristine base it fails.  Exit 0 pass, 1 fail; the last line is the reason.

. "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/lib.sh
. "$SCRIPTS/lib.sh"

host_tree "$@"
if [ ! -f "$tree/Makefile" ] || [ ! -d "$tree/include/linux" ]; then
	fail "$tree is not a kernel tree"
fi
tree=$(cd "$tree" && pwd)
command -v python3 >/dev/null || fail "python3 is not installed"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Candidate files, from a cheap grep: anything that mentions ".mmap" or
# "->mmap" (initializers, macro bodies, calls).  tools/ is user space.
if git -C "$tree" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	lsgrep() { git -C "$tree" grep -l "$@" -- '*.c' '*.h' ':!tools/'; }
else
	lsgrep() {
		(cd "$tree" && grep -rl --include='*.[ch]' --exclude-dir=tools "$@" .) |
			sed 's|^\./||'
	}
fi
lsgrep -e 'mmap' | LC_ALL=C sort >"$work/files"
[ -s "$work/files" ] || fail "no source file in $tree mentions mmap"

python3 - "$tree" "$work/files" "$work/typed-candidates" >"$work/report" <<'EOF'
import re
import subprocess
import sys

tree, listfile, typedfile = sys.argv[1:4]
files = [l.strip() for l in open(listfile) if l.strip()]

STRIP = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'',
                   re.S)


def strip(text):
    def repl(m):
        s = m.group(0)
        if s[0] in '"\'':
            return s[0] * 2
        return re.sub(r'[^\n]', ' ', s)
    return STRIP.sub(repl, text)


src = {}
for f in files:
    try:
        src[f] = strip(open('%s/%s' % (tree, f), encoding='utf-8',
                            errors='replace').read())
    except OSError:
        pass


def lineno(text, pos):
    return text.count('\n', 0, pos) + 1


def match_close(text, pos, open_c, close_c):
    """pos is at open_c; return the index of the matching close_c."""
    depth = 0
    for i in range(pos, len(text)):
        c = text[i]
        if c == open_c:
            depth += 1
        elif c == close_c:
            depth -= 1
            if depth == 0:
                return i
    return -1


def split_top(s):
    """Split s at the commas that are not nested in (), [] or {}."""
    parts, depth, cur = [], 0, ''
    for c in s:
        if c in '([{':
            depth += 1
        elif c in ')]}':
            depth -= 1
        if c == ',' and depth == 0:
            parts.append(cur)
            cur = ''
        else:
            cur += c
    if cur.strip() or parts:
        parts.append(cur)
    return [p.strip() for p in parts]


IDENT = re.compile(r'[A-Za-z_]\w*')
MMAP_FIELD = re.compile(r'\.mmap\s*=\s*([^,}\n\\;]+)')
DEFINE = re.compile(r'^[ \t]*#[ \t]*define[ \t]+(\w+)(\([^)]*\))?[ \t]*((?:[^\n]*\\\n)*[^\n]*)',
                    re.M)
FOPS = re.compile(r'\bstruct\s+file_operations\s+(?:(?:const|__\w+)\s+)*(\w+)\s*(?:\[[^\]]*\]\s*)?'
                  r'(?:__\w+(?:\([^)]*\))?\s*)*=\s*\{')
KEYWORDS = {'NULL', 'sizeof', 'IS_ENABLED', 'IS_BUILTIN', 'IS_MODULE'}


def mmap_idents(body):
    out = set()
    for m in MMAP_FIELD.finditer(body):
        for i in IDENT.findall(m.group(1)):
            if i not in KEYWORDS and not i.startswith('CONFIG_'):
                out.add(i)
    return out


# Macros: field-list macros with a .mmap (DRM_GEM_FOPS, ...) and
# object-like aliases (#define ext2_file_mmap generic_file_mmap).
macro_mmap = {}
aliases = {}
for f, text in src.items():
    for m in DEFINE.finditer(text):
        name, params, body = m.group(1), m.group(2), m.group(3)
        ids = mmap_idents(body)
        if ids:
            macro_mmap.setdefault(name, set()).update(ids)
        if not params and re.fullmatch(r'\s*[A-Za-z_]\w*\s*', body):
            aliases.setdefault(name, set()).add(body.strip())

names = set()
inits = 0


def add_body(body, where):
    global inits
    ids = set(mmap_idents(body))
    # field-list macros used inside the initializer, transitively
    seen, todo = set(), [t for t in IDENT.findall(body) if t in macro_mmap]
    while todo:
        t = todo.pop()
        if t in seen:
            continue
        seen.add(t)
        ids |= macro_mmap[t]
    if ids:
        inits += 1
    names.update(ids)


for f, text in src.items():
    for m in FOPS.finditer(text):
        start = m.end() - 1
        end = match_close(text, start, '{', '}')
        if end < 0:
            continue
        add_body(text[start:end + 1], '%s:%d' % (f, lineno(text, m.start())))

# follow aliases
todo = list(names)
while todo:
    n = todo.pop()
    for a in aliases.get(n, ()):
        if a not in names and a != 'NULL':
            names.add(a)
            todo.append(a)

# Every file that mentions one of the names (a name need not contain "mmap").
pattern = '|'.join(sorted(names | {'call_mmap'}))
try:
    subprocess.run(['git', '-C', tree, 'rev-parse', '--is-inside-work-tree'],
                   check=True, capture_output=True)
    cmd = ['git', '-C', tree, 'grep', '-l', '-w', '-E', pattern, '--',
           '*.c', '*.h', ':!tools/']
except (subprocess.CalledProcessError, OSError):
    cmd = ['grep', '-rlwE', '--include=*.[ch]', '--exclude-dir=tools', pattern, tree]
res = subprocess.run(cmd, capture_output=True, text=True)
for f in res.stdout.split():
    if f.startswith(tree + '/'):
        f = f[len(tree) + 1:]
    if f not in src:
        try:
            src[f] = strip(open('%s/%s' % (tree, f), encoding='utf-8',
                                errors='replace').read())
        except OSError:
            pass

problems = []
checked_defs = 0
checked_calls = 0
typed = set()

targets = set(names) | {'call_mmap'}
CALL = re.compile(r'(?<![\w.>])(%s)\s*\(' % '|'.join(sorted(map(re.escape, targets))))
FOPCALL = re.compile(r'(->|\.)\s*mmap\s*\(')
FOPVIA = re.compile(r'(?:->|\.)\s*f_op\s*$')

for f in sorted(src):
    text = src[f]
    for m in CALL.finditer(text):
        name = m.group(1)
        op = m.end() - 1
        cl = match_close(text, op, '(', ')')
        if cl < 0:
            continue
        inner = text[op + 1:cl]
        parts = split_top(inner)
        ln = lineno(text, m.start())
        line_start = text.rfind('\n', 0, m.start()) + 1
        if re.match(r'\s*#\s*define\s+$', text[line_start:m.start()]):
            continue
        if 'struct file' in inner or 'struct vm_area_struct' in inner:
            if (len(parts) == 2 and 'struct file' in parts[0]
                    and 'struct vm_area_struct' in parts[1]):
                nxt = text[cl + 1:].lstrip()[:1]
                kind = 'definition' if nxt == '{' else 'prototype'
                problems.append('%s:%d: %s of %s() still has two parameters'
                                % (f, ln, kind, name))
            checked_defs += 1
        else:
            if len(parts) == 2:
                problems.append('%s:%d: %s() called with two arguments'
                                % (f, ln, name))
            checked_calls += 1
    for m in FOPCALL.finditer(text):
        op = m.end() - 1
        cl = match_close(text, op, '(', ')')
        if cl < 0:
            continue
        parts = split_top(text[op + 1:cl])
        if len(parts) != 2:
            continue
        ln = lineno(text, m.start())
        line_start = text.rfind('\n', 0, m.start()) + 1
        if FOPVIA.search(text[line_start:m.start()]):
            problems.append('%s:%d: f_op->mmap() called with two arguments' % (f, ln))
        else:
            typed.add(f)

with open(typedfile, 'w') as fh:
    for f in sorted(typed):
        fh.write(f + '\n')
print('NAMES %d' % len(names))
print('INITS %d' % inits)
print('DEFS %d' % checked_defs)
print('CALLS %d' % checked_calls)
for p in problems:
    print('PROBLEM ' + p)
EOF

nnames=$(sed -n 's/^NAMES //p' "$work/report")
ninits=$(sed -n 's/^INITS //p' "$work/report")
ndefs=$(sed -n 's/^DEFS //p' "$work/report")
ncalls=$(sed -n 's/^CALLS //p' "$work/report")
[ "${nnames:-0}" -gt 0 ] || fail "found no file_operations .mmap functions in $tree"
echo "file_operations .mmap: $ninits initializers, $nnames functions; $ndefs definitions/prototypes and $ncalls calls checked"

# Two-argument ->mmap() calls that are not f_op->mmap: is the pointer a
# struct file_operations?  That needs types, so ask spatch.
ntyped=$(wc -l <"$work/typed-candidates")
if [ "$ntyped" -gt 0 ]; then
	if command -v spatch >/dev/null; then
		cat >"$work/fopcall.cocci" <<'EOF'
@r@
const struct file_operations *C;
struct file_operations *P;
const struct file_operations S;
expression E1, E2;
position p;
@@
(
C->mmap@p(E1, E2)
|
P->mmap@p(E1, E2)
|
S.mmap@p(E1, E2)
)

@script:python@
p << r.p;
@@
print("FOPCALL %s:%s" % (p[0].file, p[0].line))
EOF
		macros=$REPO/scripts/cocci/macros.h
		mopt=()
		[ -f "$macros" ] && mopt=(--macro-file "$macros")
		sed 's/$/\n/' "$work/typed-candidates" >"$work/groups"
		(cd "$tree" && nice -n 19 spatch --sp-file "$work/fopcall.cocci" "${mopt[@]}" \
			--recursive-includes --relax-include-path --disable-worth-trying-opt \
			-I include -I arch/x86/include -I include/uapi -I arch/x86/include/uapi \
			-j 2 --file-groups "$work/groups") >"$work/typed.log" 2>&1 ||
			fail "spatch failed on the ->mmap() call sites (see above): $(tail -n 3 "$work/typed.log")"
		sed -n 's/^FOPCALL \(.*\)/PROBLEM \1: file_operations ->mmap() called with two arguments/p' \
			"$work/typed.log" >>"$work/report"
		echo "$ntyped files with other two-argument ->mmap() calls checked with types"
	else
		echo "spatch is not installed: $ntyped files with other two-argument ->mmap() calls not checked by type:"
		sed 's/^/    /' "$work/typed-candidates"
	fi
fi

nprob=$(grep -c '^PROBLEM ' "$work/report" || true)
if [ "$nprob" -gt 0 ]; then
	sed -n 's/^PROBLEM /  /p' "$work/report" >"$work/problems"
	head -n 40 "$work/problems"
	[ "$nprob" -le 40 ] || echo "  ... and $((nprob - 40)) more"
	fail "$nprob places still use the two-argument file_operations ->mmap() in $tree"
fi
pass "all $nnames file_operations ->mmap functions take map_flags; no two-argument ->mmap() calls"
