#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turns the guest runs of scripts/bench.sh into ratios.

Usage: report.py RUN_DIR [--smoke] [--measured-only] [--unit UNIT]
                 [--doc FILE --header FILE]

RUN_DIR holds one folder per boot, named <round>-<kernel> (kernel: base or
patched), each with the bench.txt of scripts/guest-bench.sh.  Writes
RUN_DIR/results.tsv (every figure), RUN_DIR/table.md (the ratios) and
RUN_DIR/ratios.dat (for gnuplot).  A ratio is a ratio of times per
operation (the inverse of the ops/s ratio), taken per round between the
two figures measured side by side, and shown as the median of the rounds
with their min and max: below 1 is faster, above 1 slower.  Under
scripts/bench.sh --clock icount a time is a count of instructions.

A goal is "met" when the median and the max of the rounds are within it,
"median only" when the max is not, "**no**" when the median is not.  The
column "A/A" is the spread of the denominator over the rounds (the largest
figure over the smallest, e.g. the base kernel's from boot to boot): a
ratio closer to 1 than that is within the noise of the method.

--smoke: only check that every workload produced a number on every kernel
that ran (those that need the series may say n/a on the base) and exit 1
if not.
--measured-only: leave out the ratios that have no figures (a run of some
workloads, or of the patched kernel only).
--unit UNIT: what a difference of times per operation is in (default ns;
"instructions" under the instruction-counting clock).
--doc FILE: also write FILE (Documentation/performance.md) from the text
in --header and the table.
"""
import glob
import os
import statistics
import sys

# Workloads that need the series: n/a on the base kernel.
NEEDS_SERIES = ('mmap3_', 'seal_pair_', 'fault_direct', 'fault2m_direct',
                'pin_')
FSES = ('dax_xfs', 'dax_ext4')


def load(run_dir):
    """{(kernel, round): {(name, threads): ops/s or None}}, info."""
    runs, info = {}, {}
    for path in sorted(glob.glob(os.path.join(run_dir, '*-*', 'bench.txt'))):
        rnd, kernel = os.path.basename(os.path.dirname(path)).split('-', 1)
        res = {}
        with open(path) as f:
            for line in f:
                w = line.split()
                if not w:
                    continue
                if w[0] in ('KERNEL', 'CPUS'):
                    info.setdefault(kernel, {})[w[0]] = ' '.join(w[1:])
                if w[0] != 'RESULT' or len(w) < 4:
                    continue
                val = None if w[3] == 'n/a' else float(w[3])
                res[(w[1], int(w[2]))] = val
        runs[(kernel, int(rnd))] = res
    return runs, info


def rounds_of(runs, kernel):
    return sorted(r for k, r in runs if k == kernel)


# The workloads that everybody runs, which md_bench runs in 1 and N threads
# (N: the guest's CPUs), with the goal patched/base <= 1.01.
MULTI_PREFIXES = ('mmap_', 'eof_write', 'truncate', 'fallocate', 'write4k',
                  'punch_mapped')


def ratio_rows(runs):
    """Rows (group, label, goal, [(time ratio, time difference in ns,
    denominator ops/s)] per round)."""
    rows = []
    both = sorted(set(rounds_of(runs, 'base')) & set(rounds_of(runs, 'patched')))
    patched = rounds_of(runs, 'patched')
    keys = sorted({k for (kern, _), res in runs.items()
                   if kern == 'patched' for k in res})

    def per_round(rounds, num, den):
        """Time ratio num/den = ops(den)/ops(num) and the difference of the
        times per operation in ns, per round."""
        out = []
        for r in rounds:
            a = runs[num[0], r].get(num[1])
            b = runs[den[0], r].get(den[1])
            if a and b:
                out.append((b / a, 1e9 / a - 1e9 / b, b))
        return out

    # 1 and 4 (and the plain fault paths): patched against base.
    for name, thr in keys:
        if name.startswith(NEEDS_SERIES) or name.startswith('fault2m'):
            continue
        if name.startswith(MULTI_PREFIXES):
            group, goal = 'patched/base', 1.01
        elif name.startswith(('fault_shared', 'fault_sync')):
            group, goal = 'patched/base', None
        else:
            continue
        rows.append((group, '%s, %d thread%s' % (name, thr, 's' if thr > 1 else ''),
                     goal, per_round(both, ('patched', (name, thr)),
                                     ('base', (name, thr)))))
        # A workload of 1 and N threads measured in 1 only (one vCPU).
        if thr == 1 and goal and not any(k[0] == name and k[1] > 1
                                         for k in keys):
            rows.append((group, '%s, N threads' % name, goal, None))
    # 2: mmap3 against mmap(2), patched kernel.
    for what in ('anon', 'dax_xfs'):
        rows.append(('mmap3/mmap', 'mmap3_%s / mmap_%s' % (what, what), 1.02,
                     per_round(patched, ('patched', ('mmap3_' + what, 1)),
                               ('patched', ('mmap_' + what, 1)))))
    # 3: MAP_DIRECT faults against MAP_SHARED (and MAP_SYNC) faults.
    for fs in FSES:
        for num, den, goal in (('fault_direct', 'fault_shared', 1.02),
                               ('fault_direct_sync', 'fault_sync', None),
                               ('fault2m_direct', 'fault2m_shared', 1.02)):
            rows.append(('MAP_DIRECT faults', '%s_%s / %s_%s' % (num, fs, den, fs),
                         goal, per_round(patched,
                                         ('patched', ('%s_%s' % (num, fs), 1)),
                                         ('patched', ('%s_%s' % (den, fs), 1)))))
    # 5: seal + unseal against a plain DAX mmap/munmap.
    for fs in FSES:
        rows.append(('seal pair', 'seal_pair_%s / mmap_%s' % (fs, fs), 1.10,
                     per_round(patched, ('patched', ('seal_pair_' + fs, 1)),
                               ('patched', ('mmap_' + fs, 1)))))
    # 6: what long-term pins of MAP_DIRECT buy, patched kernel: the device
    # writes into the file, against into anonymous memory + pwrite.
    for how in ('uring', 'rdma'):
        for fs in FSES:
            num, den = 'pin_%s_direct_%s' % (how, fs), 'pin_%s_copy_%s' % (how, fs)
            rows.append(('MAP_DIRECT pins', '%s / %s' % (num, den), None,
                         per_round(patched, ('patched', (num, 1)),
                                   ('patched', (den, 1)))))
    return rows


def fmt_ns(ns):
    """A difference of times per operation, in ns, 3 significant digits."""
    if abs(ns) >= 1000:
        return '%+.0f' % ns
    return '%+.3g' % ns


def verdict(goal, ratios):
    if goal is None:
        return '-'
    if statistics.median(ratios) > goal:
        return '**no**'
    return 'yes' if max(ratios) <= goal else 'median only'


def table(rows, unit):
    out = ['| compared | workload | median | min | max | rounds | A/A | goal | met | difference per op (%s) |' % unit,
           '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |']
    for group, label, goal, vals in rows:
        goal_s = '%.2f' % goal if goal else '-'
        if vals is None:
            out.append('| %s | %s | not measured | | | 0 | | %s | open: 1 vCPU | |' %
                       (group, label, goal_s))
            continue
        if not vals:
            out.append('| %s | %s | n/a | | | 0 | | %s | | |' % (group, label, goal_s))
            continue
        ratios = [v[0] for v in vals]
        dens = [v[2] for v in vals]
        out.append('| %s | %s | %.3f | %.3f | %.3f | %d | %.3f | %s | %s | %s |' %
                   (group, label, statistics.median(ratios), min(ratios),
                    max(ratios), len(vals), max(dens) / min(dens), goal_s,
                    verdict(goal, ratios),
                    fmt_ns(statistics.median(v[1] for v in vals))))
    return '\n'.join(out) + '\n'


def smoke(runs):
    bad = []
    for (kernel, rnd), res in sorted(runs.items()):
        if not res:
            bad.append('%s round %d: no results' % (kernel, rnd))
        for (name, thr), val in sorted(res.items()):
            if val:
                continue
            if kernel == 'base' and name.startswith(NEEDS_SERIES):
                continue
            bad.append('%s round %d: %s (%d threads) produced no number' %
                       (kernel, rnd, name, thr))
    if not runs:
        bad.append('no bench.txt in any run folder')
    for b in bad:
        print('bench smoke: ' + b)
    n = sum(len(r) for r in runs.values())
    print('bench smoke: %d figures from %d boot(s), %d missing' %
          (n, len(runs), len(bad)))
    return 1 if bad else 0


def main(argv):
    if len(argv) < 2 or argv[1] in ('-h', '--help'):
        print(__doc__)
        return 0 if len(argv) >= 2 else 2
    run_dir = argv[1]
    opts = argv[2:]
    runs, info = load(run_dir)
    if '--smoke' in opts:
        return smoke(runs)
    with open(os.path.join(run_dir, 'results.tsv'), 'w') as f:
        f.write('kernel\tround\tworkload\tthreads\tops_per_s\n')
        for (kernel, rnd), res in sorted(runs.items()):
            for (name, thr), val in sorted(res.items()):
                f.write('%s\t%d\t%s\t%d\t%s\n' % (kernel, rnd, name, thr,
                                                 'n/a' if val is None else val))
    rows = ratio_rows(runs)
    if '--measured-only' in opts:
        rows = [row for row in rows if row[3]]
    unit = opts[opts.index('--unit') + 1] if '--unit' in opts else 'ns'
    tab = table(rows, unit)
    with open(os.path.join(run_dir, 'table.md'), 'w') as f:
        f.write(tab)
    with open(os.path.join(run_dir, 'ratios.dat'), 'w') as f:
        f.write('# index label median min max goal\n')
        i = 0
        for group, label, goal, vals in rows:
            if vals:
                ratios = [v[0] for v in vals]
                f.write('%d "%s" %.4f %.4f %.4f %s\n' %
                        (i, label.replace(' ', ''), statistics.median(ratios),
                         min(ratios), max(ratios), goal if goal else 'NaN'))
                i += 1
    if '--doc' in opts:
        doc = opts[opts.index('--doc') + 1]
        header = open(opts[opts.index('--header') + 1]).read()
        with open(doc, 'w') as f:
            f.write(header.rstrip('\n') + '\n\n' + tab)
    sys.stdout.write(tab)
    for kernel, d in sorted(info.items()):
        print('%s: %s, %s CPUs' % (kernel, d.get('KERNEL', '?'), d.get('CPUS', '?')))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
