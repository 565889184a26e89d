#!/bin/bash
# Usage: tests/host/check-iflags-writers.sh [TREE]
#
# S_IOMAP_SEALED lives in inode->i_flags and is set and cleared with
# inode_set_flags() (a cmpxchg loop) without i_rwsem.  A plain
# read-modify-write of the same word elsewhere ("inode->i_flags |= X",
# "&= ~X", "= ...") can lose a concurrent seal change or bring back a stale
# one.  This check lists, in the kernel tree TREE (default: the series work
# tree build/<base-id>/linux), every place that writes the i_flags of a
# struct inode:
#
#  - plain writes: ->i_flags / .i_flags with =, |=, &=, ^= (any compound
#    assignment), ++/--, its address taken (&...->i_flags: set_mask_bits,
#    cmpxchg, ...), or WRITE_ONCE()/xchg() of it; in functions and in macro
#    bodies (named "#define NAME");
#  - inode_set_flags() calls whose mask may include S_IOMAP_SEALED (the seal
#    itself, or a mask that is not made of S_* constants);
#
# and fails on each one that tests/host/iflags-writers.allow does not name
# (by file and function, with the reason it is safe), on allowlist entries
# that match no writer, and on any write whose value is another inode's
# i_flags without S_IOMAP_SEALED masked out (a stale seal, as ecryptfs's
# fsstack_copy_attr_all() made; no allowlist entry excuses that).  Whether
# an i_flags belongs to a struct inode (and not to struct xfs_inode,
# ext4_inode_info, ...) is decided from the declarations in the source; an
# expression whose type cannot be worked out counts as a struct inode.  Designated initializers
# (".i_flags = X" in a new object) and whole-struct copies are not writes
# to a live inode's word and are not reported.
#
# Scanned: all of the kernel's C code (*.c, *.h) except tools/, scripts/,
# samples/, Documentation/ and usr/, and except the filesystems that never
# set S_IOMAP_SEALED (only XFS and ext4 do) and write i_flags of their own
# inodes only; the code that can reach an XFS or ext4 inode (fs/*.c, mm/,
# security/, kernel/, block/, include/, drivers/, net/, ... and the fs/
# directories that work on other filesystems' inodes: quota, cachefiles,
# ecryptfs, overlayfs, fuse, nfsd, ...) is scanned.  A new fs/ directory
# must be classified in this script.  Output is TAP: one line per writer
# (file, function).  Exit 0 pass, 1 fail; the last line is the reason.

. "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/lib.sh
. "$SCRIPTS/lib.sh"

host_tree "$@"
if [ ! -f "$tree/Makefile" ] || [ ! -f "$tree/include/linux/fs.h" ]; then
	fail "$tree is not a kernel tree"
fi
tree=$(cd "$tree" && pwd)
allow=$HOST_DIR/iflags-writers.allow
[ -f "$allow" ] || fail "no allowlist $allow"
command -v python3 >/dev/null || fail "python3 is not installed"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

rc=0
python3 - "$tree" "$allow" >"$work/report" <<'EOF' || rc=$?
import os
import re
import subprocess
import sys

tree, allowfile = sys.argv[1:3]

# --- what is scanned ---------------------------------------------------------

NOT_CODE = {'Documentation', 'LICENSES', 'scripts', 'samples', 'tools', 'usr'}

# fs/ directories that can reach an XFS or ext4 inode: the sealing
# filesystems themselves and everything that works on other filesystems'
# inodes (stacking, exporting, caching, journalling, notification, ...).
SCANNED_FS = {
    'xfs': 'seals its inodes',
    'ext4': 'seals its inodes',
    'quota': 'quota files of ext4',
    'cachefiles': 'backing files on the cache filesystem',
    'ecryptfs': 'lower inodes',
    'overlayfs': 'real inodes',
    'fuse': 'passthrough backing files',
    'coda': 'container files',
    'nfs': 'localio opens files of the local server',
    'nfsd': 'exported files',
    'nfs_common': 'shared by nfs and nfsd',
    'lockd': 'locks on exported files',
    'smb/server': 'exported files (ksmbd)',
    'smb/common': 'shared by the smb client and server',
    'exportfs': 'exported files',
    'notify': 'watched files',
    'iomap': 'used by XFS and ext4',
    'crypto': 'fscrypt of ext4',
    'verity': 'fs-verity of ext4',
    'netfs': 'cache backing files',
    'jbd2': 'the journal of ext4',
    'unicode': 'casefolding of ext4',
    'tests': 'tests of the generic code',
}

OWN = 'never sets S_IOMAP_SEALED and writes i_flags of its own inodes only'
EXCLUDED_FS = {d: OWN for d in (
    '9p adfs affs afs autofs bcachefs befs bfs btrfs ceph configfs cramfs '
    'debugfs devpts dlm efivarfs efs exfat ext2 f2fs fat freevxfs gfs2 hfs '
    'hfsplus hostfs hpfs hugetlbfs isofs jffs2 jfs kernfs minix nilfs2 nls '
    'ntfs3 ocfs2 omfs openpromfs orangefs proc pstore qnx4 qnx6 ramfs '
    'reiserfs romfs smb/client squashfs sysfs sysv tracefs ubifs udf ufs '
    'vboxsf zonefs').split()}
EXCLUDED_FS['erofs'] = ('never sets S_IOMAP_SEALED; its fscache mode reaches '
                        'backing files through netfs/cachefiles (scanned)')


def fs_class(path):
    """'scan' or 'skip' for a path under fs/<dir>/, by longest prefix."""
    rest = path[3:]
    best, kind = '', None
    for table, k in ((SCANNED_FS, 'scan'), (EXCLUDED_FS, 'skip')):
        for d in table:
            if (rest == d or rest.startswith(d + '/')) and len(d) > len(best):
                best, kind = d, k
    return kind


unclassified = set()
for d in sorted(os.listdir(os.path.join(tree, 'fs'))):
    p = 'fs/' + d
    if not os.path.isdir(os.path.join(tree, p)):
        continue
    if d in SCANNED_FS or d in EXCLUDED_FS:
        continue
    subs = [s for s in os.listdir(os.path.join(tree, p))
            if os.path.isdir(os.path.join(tree, p, s))]
    if subs and all(fs_class('%s/%s/x' % (p, s)) for s in subs):
        continue
    unclassified.add(p)


def in_scope(path):
    top = path.split('/', 1)[0]
    if top in NOT_CODE:
        return False
    if top == 'fs' and path.count('/') >= 2:
        return fs_class(path) == 'scan'
    return True


def ere(pat):
    """A Perl-style pattern for grep -E (when -P is not available)."""
    return pat.replace(r'\s', '[[:space:]]').replace(r'\w', '[[:alnum:]_]')


def git_grep(args, paths, pcre=None):
    """git grep ARGS [-P PCRE] -- PATHS in the tree (grep -r if no git)."""
    if os.path.exists(os.path.join(tree, '.git')):
        cmd = ['git', '-C', tree, 'grep']
        tail = ['--'] + paths
    else:
        globs = [p.rsplit('/', 1)[-1] for p in paths if '*' in p and not p.startswith(':')]
        dirs = [os.path.join(tree, p.rsplit('/', 1)[0] if '*' in p else p)
                for p in paths if not p.startswith(':') and '/' in p]
        cmd = ['grep', '-r'] + ['--include=' + g for g in globs or ['*.c', '*.h']]
        if ':!tools/' in paths:
            cmd.append('--exclude-dir=tools')
        tail = [d for d in dirs if os.path.isdir(d)] or [tree]
    for pat in ([['-P', pcre], ['-E', ere(pcre)]] if pcre else [[]]):
        res = subprocess.run(cmd + args + pat + tail, capture_output=True, text=True)
        if res.returncode in (0, 1):
            return res.stdout.replace(tree + '/', '')
    sys.exit('grep failed: %s' % res.stderr.strip())


files = sorted(f for f in git_grep(['-l', '-w', '-E', 'i_flags|inode_set_flags'],
                                   ['*.c', '*.h', ':!tools/']).split()
               if in_scope(f))

# --- source text ----------------------------------------------------------------

STRIP = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'',
                   re.S)


def strip(text):
    def repl(m):
        s = m.group(0)
        if s[0] in '"\'':
            return s[0] * 2
        return re.sub(r'[^\n]', ' ', s)
    return STRIP.sub(repl, text)


_src = {}


def source(path):
    if path not in _src:
        try:
            with open(os.path.join(tree, path), encoding='utf-8',
                      errors='replace') as fh:
                _src[path] = strip(fh.read())
        except OSError:
            _src[path] = ''
    return _src[path]


DEFINE = re.compile(r'^[ \t]*#[ \t]*define[ \t]+(\w+)((?:[^\n]*\\\n)*[^\n]*)', re.M)
TOKEN = re.compile(r'[A-Za-z_]\w*|\d[\w.]*|->|\+\+|--|<<=|>>=|<<|>>|&&|\|\||'
                   r'[-+*/%&|^!=<>]=|\S')
KEYWORDS = {'if', 'while', 'for', 'switch', 'return', 'sizeof', 'case', 'do',
            'else', 'goto', 'typeof', '__typeof__', 'defined', 'alignof',
            '_Alignof', '__builtin_offsetof', 'offsetof'}
ASSIGN = {'=', '|=', '&=', '^=', '+=', '-=', '*=', '/=', '%=', '<<=', '>>='}
STORE_CALLS = {'WRITE_ONCE', 'smp_store_release', 'smp_store_mb', 'xchg',
               'cmpxchg', 'try_cmpxchg', 'xchg_relaxed', 'cmpxchg_relaxed',
               'set_mask_bits'}


def tokenize(text):
    return [(m.group(0), m.start()) for m in TOKEN.finditer(text)]


def lineno(text, pos):
    return text.count('\n', 0, pos) + 1


class Unit:
    """A function body (or a macro body) of a file."""

    def __init__(self, path, name, text, start, end, macro=False):
        self.path, self.name, self.text = path, name, text
        self.start, self.end, self.macro = start, end, macro


def split_units(path):
    """The functions and macros of a file, and the file text without macros."""
    text = source(path)
    units = []
    code = list(text)
    for m in DEFINE.finditer(text):
        units.append(Unit(path, '#define ' + m.group(1), text, m.start(), m.end(), True))
        for i in range(m.start(), m.end()):
            if code[i] != '\n':
                code[i] = ' '
    code = ''.join(code)
    depth, top, last_end = 0, None, 0
    for i, c in enumerate(code):
        if c == '{':
            if depth == 0:
                top = i
            depth += 1
        elif c == '}':
            depth -= 1
            if depth == 0 and top is not None:
                units.append(Unit(path, owner_name(code, last_end, top), code,
                                  last_end, i + 1))
                last_end = i + 1
                top = None
            depth = max(depth, 0)
        elif c == ';' and depth == 0:
            last_end = i + 1
    return code, units


def owner_name(code, start, brace):
    """The name of the function (or object) whose body starts at brace."""
    toks = [t for t, _ in tokenize(code[start:brace])]
    depth = 0
    for i, t in enumerate(toks):
        if t == '=' and depth == 0:
            j = i - 1
            while j >= 0 and toks[j] == ']':
                while j >= 0 and toks[j] != '[':
                    j -= 1
                j -= 1
            return toks[j] if j >= 0 else '<file scope>'
        if t == '(':
            if depth == 0 and i > 0 and re.match(r'[A-Za-z_]\w*$', toks[i - 1]) \
               and not toks[i - 1].startswith('__attribute'):
                name = toks[i - 1]
                if re.match(r'(COMPAT_)?SYSCALL_DEFINE\d$', name) and i + 1 < len(toks):
                    name = '%s(%s)' % (name, toks[i + 1])
                return name
            depth += 1
        elif t == ')':
            depth -= 1
    return ' '.join(toks[-2:]) if toks else '<file scope>'


# --- types ------------------------------------------------------------------------

SCALARS = {'int', 'long', 'short', 'char', 'unsigned', 'signed', 'bool',
           'float', 'double', 'void', 'u8', 'u16', 'u32', 'u64', 's8', 's16',
           's32', 's64', '__u8', '__u16', '__u32', '__u64', '__le16', '__le32',
           '__le64', '__be16', '__be32', '__be64'}
QUAL = r'(?:\*|\bconst\b|\bvolatile\b|\b__\w+\b|\s)*'


def decl_in(text, name):
    """The struct tag (or typedef) of the last declaration of name in text."""
    n = re.escape(name)
    best = None
    pats = [
        (re.compile(r'\b(?:struct|union)\s+(\w+)' + QUAL + r'\b' + n +
                    r'\s*(?=[\[;,=)])'), 1),
        (re.compile(r'\b(?:struct|union)\s+(\w+)[^;{}()]*,' + QUAL + r'\b' + n +
                    r'\s*(?=[\[;,=)])'), 1),
        (re.compile(r'(?:^|[;{}(,])\s*(?:(?:static|const|volatile|register|'
                    r'unsigned|signed|extern)\s+)*(\w+_t|' +
                    '|'.join(sorted(SCALARS)) + r')' + QUAL + r'\b' + n +
                    r'\s*(?=[\[;,=)])'), 1),
    ]
    for pat, g in pats:
        for m in pat.finditer(text):
            if best is None or m.end() > best[0]:
                best = (m.end(), m.group(g))
    return best[1] if best else None


_ret = {}


def func_ret(name, path):
    """The struct tag a function returns (a pointer to), or None."""
    key = (name, os.path.dirname(path))
    if key in _ret:
        return _ret[key]
    pat = re.compile(r'\b(?:struct|union)\s+(\w+)\s*\*\s*(?:__\w+\s+)*' +
                     re.escape(name) + r'\s*\(')
    tags = set(m.group(1) for m in pat.finditer(source(path)))
    if not tags:
        # the headers nearest to the file that declare it (include/ last)
        found = {}
        for f in git_grep(['-l', '-w', name], ['*.h', ':!tools/']).split():
            t = set(m.group(1) for m in pat.finditer(source(f)))
            if t:
                found[f] = t
        best = -1
        for f, t in found.items():
            near = 0 if f.startswith('include/') else \
                len(os.path.commonpath([os.path.dirname(f), os.path.dirname(path)]))
            if near > best:
                best, tags = near, set(t)
            elif near == best:
                tags |= t
    _ret[key] = tags.pop() if len(tags) == 1 else None
    return _ret[key]


_structs = {}


def struct_bodies(tag):
    if tag not in _structs:
        out = git_grep(['-l'], ['*.c', '*.h', ':!tools/'],
                       r'(struct|union)\s+%s\s*\{' % tag)
        bodies = []
        for f in out.split():
            text = source(f)
            for m in re.finditer(r'\b(?:struct|union)\s+%s\s*\{' % re.escape(tag), text):
                i, depth = m.end() - 1, 0
                for j in range(i, len(text)):
                    if text[j] == '{':
                        depth += 1
                    elif text[j] == '}':
                        depth -= 1
                        if depth == 0:
                            bodies.append((f, text[i:j + 1]))
                            break
        _structs[tag] = bodies
    return _structs[tag]


def member_type(tag, field, path):
    bodies = struct_bodies(tag)
    same = [b for f, b in bodies if f == path] or \
        [b for f, b in bodies if os.path.dirname(f) == os.path.dirname(path)] or \
        [b for f, b in bodies]
    tags = set()
    for b in same:
        t = decl_in(b, field)
        if t:
            tags.add(t)
    return tags.pop() if len(tags) == 1 else None


def match_back(toks, j, close, open_):
    depth = 0
    while j >= 0:
        if toks[j][0] == close:
            depth += 1
        elif toks[j][0] == open_:
            depth -= 1
            if depth == 0:
                return j
        j -= 1
    return -1


def parse_back(toks, j):
    """Parse the postfix expression ending at token j: (start, node)."""
    if j < 0:
        return j, None
    t = toks[j][0]
    if t == ')':
        k = match_back(toks, j, ')', '(')
        if k < 0:
            return j, None
        prev = toks[k - 1][0] if k > 0 else ''
        if re.match(r'[A-Za-z_]\w*$', prev) and prev not in KEYWORDS:
            if k >= 2 and toks[k - 2][0] in ('->', '.'):
                start, node = k - 1, ('unknown',)
            else:
                start, node = k - 1, ('call', prev, toks[k + 1:j])
        else:
            start, node = k, ('paren', toks[k + 1:j])
    elif t == ']':
        k = match_back(toks, j, ']', '[')
        start, inner = parse_back(toks, k - 1)
        node = ('index', inner)
    elif re.match(r'[A-Za-z_]\w*$', t):
        start, node = j, ('id', t, toks[j][1])
    else:
        return j, None
    if start >= 2 and toks[start - 1][0] in ('->', '.') and node[0] in ('id',):
        s, inner = parse_back(toks, start - 2)
        return s, ('member', inner, node[1])
    return start, node


def split_args(toks):
    args, cur, depth = [], [], 0
    for tok in toks:
        if tok[0] in '([{':
            depth += 1
        elif tok[0] in ')]}':
            depth -= 1
        if tok[0] == ',' and depth == 0:
            args.append(cur)
            cur = []
        else:
            cur.append(tok)
    args.append(cur)
    return args


PASS_ARG0 = {'READ_ONCE', 'rcu_dereference', 'rcu_dereference_protected',
             'rcu_dereference_raw', 'rcu_access_pointer', 'smp_load_acquire',
             'igrab', 'ihold'}
ENTRY = re.compile(r'(container_of|container_of_const|\w*list_\w*entry\w*|'
                   r'hlist_entry\w*|rb_entry\w*)$')


def resolve(node, unit):
    """The struct tag of the object an expression points to, or None."""
    if node is None:
        return None
    kind = node[0]
    if kind == 'id':
        region = unit.text[unit.start:node[2]]
        tag = decl_in(region, node[1])
        if tag is None and not unit.macro:
            tag = decl_in(unit.text[:unit.start], node[1])
        return tag
    if kind == 'call':
        name, args = node[1], split_args(node[2])
        if ENTRY.match(name) and len(args) >= 2:
            m = re.match(r'(?:struct|union)\s+(\w+)', ' '.join(t for t, _ in args[1]))
            return m.group(1) if m else None
        if name in PASS_ARG0 and args and args[0]:
            return expr_type(args[0], unit)
        return func_ret(name, unit.path)
    if kind == 'member':
        inner = resolve(node[1], unit)
        return member_type(inner, node[2], unit.path) if inner else None
    if kind == 'index':
        return resolve(node[1], unit)
    if kind == 'paren':
        return expr_type(node[1], unit)
    return None


def expr_type(toks, unit):
    if not toks:
        return None
    if toks[0][0] == '(':
        k = 0
        depth = 0
        for k, tok in enumerate(toks):
            depth += tok[0] == '('
            depth -= tok[0] == ')'
            if depth == 0:
                break
        m = re.match(r'\(\s*(?:const\s+)?(?:struct|union)\s+(\w+)\s*\*+\s*\)$',
                     ' '.join(t for t, _ in toks[:k + 1]))
        if m:
            return m.group(1)
    i = 0
    while i < len(toks) and toks[i][0] in ('*', '&'):
        i += 1
    start, node = parse_back(toks, len(toks) - 1)
    return resolve(node, unit) if start == i else None


# --- may a mask include S_IOMAP_SEALED? -------------------------------------------

SEALED = 'S_IOMAP_SEALED'
# A set of S_* bits: (False, names) is just those, (True, names) every bit
# but those.  ANY is every bit (an unknown value).
ANY = (True, frozenset())
NONE = (False, frozenset())
_macros = {}


def macro_body(name):
    """The body of an object-like macro defined once in the tree, or None."""
    if name not in _macros:
        out = git_grep(['-h'], ['*.h', '*.c', ':!tools/'],
                       r'^\s*#\s*define\s+%s\s' % name)
        bodies = set(re.sub(r'^\s*#\s*define\s+\w+\s+', '', strip(l)).strip()
                     for l in out.splitlines())
        _macros[name] = bodies.pop() if len(bodies) == 1 else None
    return _macros[name]


def b_not(a):
    return (not a[0], a[1])


def b_or(a, b):
    if not a[0] and not b[0]:
        return (False, a[1] | b[1])
    if a[0] and b[0]:
        return (True, a[1] & b[1])
    co, s = (a[1], b[1]) if a[0] else (b[1], a[1])
    return (True, co - s)


def b_and(a, b):
    return b_not(b_or(b_not(a), b_not(b)))


def has_bit(v, name):
    return (name not in v[1]) if v[0] else (name in v[1])


def mask_bits(toks, unit, depth=0):
    """The S_* bits a mask expression may contain (ANY if not known)."""
    pos = [0]

    def peek():
        return toks[pos[0]][0] if pos[0] < len(toks) else None

    def take():
        pos[0] += 1
        return toks[pos[0] - 1][0]

    def cond():
        a = or_()
        if peek() != '?':
            return a
        take()
        b = cond()
        if peek() == ':':
            take()
        return b_or(b, cond())

    def or_():
        a = and_()
        while peek() in ('|', '^'):
            take()
            a = b_or(a, and_())
        return a

    def and_():
        a = unary()
        while peek() == '&':
            take()
            a = b_and(a, unary())
        return a

    def unary():
        t = take() if peek() is not None else None
        if t == '~':
            return b_not(unary())
        if t == '(':
            v = cond()
            if peek() == ')':
                take()
            return v
        if t is not None and re.match(r'S_[A-Z_]+$', t):
            return (False, frozenset([t]))
        if t is not None and re.match(r'0[xX]?0*[uUlL]*$', t):
            return NONE
        if t is not None and re.match(r'[A-Za-z_]\w*$', t) and peek() != '(':
            return name_bits(t, unit, depth)
        return ANY	# calls, numbers: any bit

    v = cond()
    return v if pos[0] == len(toks) else ANY


def name_bits(name, unit, depth):
    """The bits of a name in a mask: a local variable or a macro."""
    if depth > 8:
        return ANY
    region = unit.text[unit.start:unit.end]
    if unit.macro:
        m = re.match(r'\s*#\s*define\s+\w+(\([^)]*\))?', region)
        header = m.group(1) or ''
    else:
        body_at = region.find('{')
        header = region[:body_at] if body_at >= 0 else ''
    n = re.escape(name)
    assigns = list(re.finditer(r'\b%s\s*([|&^]?=)(?!=)([^;]*);' % n, region))
    if re.search(r'\b%s\s*[,)]' % n, header) or \
            re.search(r'(?:^|[=(,;{}!?:|&^+\-*/%%<>])\s*&\s*%s\b|\b%s\s*(\+\+|--)|'
                      r'(\+\+|--)\s*%s\b' % (n, n, n), region):
        return ANY	# a parameter, or changed through a pointer
    if assigns:
        bits = NONE
        for m in assigns:
            bits = b_or(bits, mask_bits(tokenize(m.group(2)), unit, depth + 1))
        return bits
    body = macro_body(name)
    if body is not None:
        return mask_bits(tokenize(body), unit, depth + 1)
    return ANY


def copies_seal(toks, k, unit):
    """Does the value assigned from token k on copy an inode's i_flags
    with S_IOMAP_SEALED (the value does not mention S_IOMAP_SEALED)?"""
    depth, end = 0, k
    while end < len(toks) and not (depth == 0 and toks[end][0] in (';', ',')):
        depth += toks[end][0] in '([{'
        depth -= toks[end][0] in ')]}'
        if depth < 0:
            break
        end += 1
    value = toks[k:end]
    if any(x == SEALED for x, _ in value):
        return False
    for q in range(k, end):
        if toks[q][0] == 'i_flags' and toks[q - 1][0] in ('->', '.'):
            tag = resolve(parse_back(toks, q - 2)[1], unit)
            if tag in (None, 'inode'):
                return True
    return False


# --- the scan ---------------------------------------------------------------------

writers = {}	# (path, function) -> list of (line, text, kind)
others = {}	# struct tag -> count
copies = {}	# (path, function) -> lines that copy another inode's seal
safe_set_flags = 0

for path in files:
    code, units = split_units(path)
    for unit in units:
        text = unit.text
        seg = text[unit.start:unit.end]
        toks = [(t, p + unit.start) for t, p in tokenize(seg)]
        for i, (t, p) in enumerate(toks):
            if t == 'i_flags' and i >= 1 and toks[i - 1][0] in ('->', '.'):
                start, base = parse_back(toks, i - 2)
                if base is None:
                    continue	# designated initializer or no base
                after = toks[i + 1][0] if i + 1 < len(toks) else ''
                before = toks[start - 1][0] if start >= 1 else ''
                before2 = toks[start - 2][0] if start >= 2 else ''
                how = None
                if after in ASSIGN:
                    how = 'i_flags ' + after
                elif after in ('++', '--') or before in ('++', '--'):
                    how = 'i_flags ' + (after if after in ('++', '--') else before)
                elif before == '&' and not re.match(r'[\w)\]]', before2):
                    how = '&...i_flags'
                elif before == '(' and before2 in STORE_CALLS:
                    how = before2 + '(...i_flags'
                if not how:
                    continue
                tag = resolve(base, unit)
                if tag and tag != 'inode':
                    others[tag] = others.get(tag, 0) + 1
                    continue
                expr = re.sub(r' ?(->|\.|\(|\)|\[|\]) ?', r'\1',
                              ' '.join(x for x, _ in toks[start:i + 1]))
                what = '%s: %s%s' % (how, expr, '' if tag else
                                     ' (type not resolved: counted as struct inode)')
                writers.setdefault((path, unit.name), []).append(
                    (lineno(text, p), what))
                if after in ASSIGN and copies_seal(toks, i + 2, unit):
                    copies.setdefault((path, unit.name), []).append(lineno(text, p))
            elif t == 'inode_set_flags' and i + 1 < len(toks) and toks[i + 1][0] == '(':
                k = i + 1
                depth = 0
                for k in range(i + 1, len(toks)):
                    depth += toks[k][0] == '('
                    depth -= toks[k][0] == ')'
                    if depth == 0:
                        break
                args = split_args(toks[i + 2:k])
                if len(args) != 3 or any(x == 'struct' for x, _ in args[0]):
                    continue	# the definition or a prototype
                bits = mask_bits(args[2], unit)
                if has_bit(bits, SEALED):
                    mask = ' '.join(x for x, _ in args[2])
                    writers.setdefault((path, unit.name), []).append(
                        (lineno(text, p), 'inode_set_flags() mask %s %s S_IOMAP_SEALED'
                         % (mask, 'is not known to exclude' if bits[0] else 'has')))
                    if copies_seal(toks, i + 3 + len(args[0]), unit):
                        copies.setdefault((path, unit.name), []).append(lineno(text, p))
                else:
                    safe_set_flags += 1

# --- the allowlist ----------------------------------------------------------------

allowed = {}
bad_lines = []
with open(allowfile) as fh:
    for n, line in enumerate(fh, 1):
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        m = re.match(r'(\S+)\s+(#define \w+|\S+)\s*:\s*(\S.*)$', line)
        if not m:
            bad_lines.append('%s:%d: not "FILE FUNCTION: REASON": %s' % (allowfile, n, line))
            continue
        key = (m.group(1), m.group(2))
        if key in allowed:
            bad_lines.append('%s:%d: %s %s is listed twice' % (allowfile, n, *key))
        allowed[key] = m.group(3)

print('# scanned %d files of %s that mention i_flags or inode_set_flags' % (len(files), tree))
print('# not scanned (never set S_IOMAP_SEALED, write only their own inodes): fs/'
      + ' fs/'.join(sorted(EXCLUDED_FS)))
n = 0
failed = []
for key in sorted(writers):
    n += 1
    where = ', '.join('line %d %s' % w for w in writers[key])
    if key in allowed:
        print('ok %d - %s %s: %s # allowed: %s' % (n, key[0], key[1], where, allowed[key]))
    else:
        print('not ok %d - %s %s: %s' % (n, key[0], key[1], where))
        failed.append('%s:%s' % key)
for key in sorted(copies):
    n += 1
    print('not ok %d - %s %s: line %s copies the i_flags of an inode, S_IOMAP_SEALED '
          'included: a stale seal (mask it out; an allowlist entry does not excuse this)'
          % (n, key[0], key[1], ', '.join(map(str, copies[key]))))
    failed.append('seal copied in %s:%s' % key)
for key in sorted(set(allowed) - set(writers)):
    n += 1
    print('not ok %d - allowlist entry %s %s matches no writer: remove it' % (n, *key))
    failed.append('stale allowlist entry %s:%s' % key)
for p in sorted(unclassified):
    n += 1
    print('not ok %d - %s: a filesystem directory this check does not classify '
          '(add it to SCANNED_FS or EXCLUDED_FS)' % (n, p))
    failed.append('unclassified ' + p)
for b in bad_lines:
    n += 1
    print('not ok %d - %s' % (n, b))
    failed.append('allowlist syntax')
print('1..%d' % n)
print('# i_flags of other structures written (not struct inode): ' +
      ', '.join('%s %d' % kv for kv in sorted(others.items())))
print('# inode_set_flags() calls with masks without S_IOMAP_SEALED: %d' % safe_set_flags)
print('WRITERS %d' % len(writers))
print('FAILED ' + ' '.join(failed))
sys.exit(1 if failed else 0)
EOF
[ "$rc" -le 1 ] || { cat "$work/report"; fail "the scan itself failed (exit $rc)"; }
grep -v '^WRITERS \|^FAILED ' "$work/report"
nw=$(sed -n 's/^WRITERS //p' "$work/report")
failed=$(sed -n 's/^FAILED //p' "$work/report")
[ "${nw:-0}" -gt 0 ] || fail "found no writer of inode->i_flags at all in $tree: the scan is broken"
[ "$rc" -eq 0 ] || fail "plain i_flags writers that may race with S_IOMAP_SEALED (convert them to inode_set_flags() or allowlist them with a reason): $failed"
pass "all $nw writers of inode->i_flags in $tree are allowlisted with a reason"
