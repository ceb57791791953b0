#!/usr/bin/env python3
"""Times commlens (summary.json only, and all outputs) against the floor,
`grep -c '^From '`, on one mbox.

usage: python3 scripts/bench.py [--runs 7] [--size 1G] [--bin target/release/commlens] [MBOX]

Without MBOX it generates bench/corpus-SIZE.mbox with scripts/gen_mbox.py
(seed 11) once and reuses it. The commands run alternately, after a warm-up
run each (warm page cache), so that machine noise hits them alike; it prints
the median and min wall time, peak RSS and throughput of each, and the
ratio of commlens to grep. Python standard library only.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def run(cmd):
    """-> (wall seconds, peak RSS in MB) of one run."""
    start = time.perf_counter()
    # stdout is a pipe, not /dev/null: GNU grep stops at the first match
    # when it sees its output is /dev/null.
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        sys.exit('%s exited %d: %s' % (' '.join(cmd), code, proc.stderr.read().decode(errors='replace')))
    return wall, usage.ru_maxrss / 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('mbox', nargs='?')
    ap.add_argument('--runs', type=int, default=7)
    ap.add_argument('--size', default='1G')
    ap.add_argument('--bin', default=os.path.join(ROOT, 'target/release/commlens'))
    ap.add_argument('--threads', type=int, help='pass --threads N to commlens')
    args = ap.parse_args()

    mbox = args.mbox
    if mbox is None:
        mbox = os.path.join(ROOT, 'bench', 'corpus-%s.mbox' % args.size)
        if not os.path.exists(mbox):
            os.makedirs(os.path.dirname(mbox), exist_ok=True)
            subprocess.run([sys.executable, os.path.join(HERE, 'gen_mbox.py'), mbox,
                            '--size', args.size, '--seed', '11'], check=True)
    size_mb = os.path.getsize(mbox) / 1e6
    out = tempfile.mkdtemp(prefix='commlens-bench-')
    commlens = [args.bin, 'report', mbox, '--out', out, '-q']
    if args.threads:
        commlens += ['--threads', str(args.threads)]
    commands = {
        'grep -c ^From': ['grep', '-c', '^From ', mbox],
        'commlens json': commlens + ['--format', 'json'],
        'commlens all': commlens,
    }

    for cmd in commands.values():  # warm-up: page cache, binaries
        run(cmd)
    times = {name: [] for name in commands}
    rss = {name: 0.0 for name in commands}
    for _ in range(args.runs):
        for name, cmd in commands.items():
            wall, peak = run(cmd)
            times[name].append(wall)
            rss[name] = max(rss[name], peak)

    print('file: %s (%.0f MB), %d runs each, alternating' % (mbox, size_mb, args.runs))
    print('%-16s %9s %9s %10s %10s' % ('command', 'median s', 'min s', 'MB/s', 'peak RSS'))
    for name in commands:
        med = statistics.median(times[name])
        print('%-16s %9.3f %9.3f %10.0f %7.0f MB' % (name, med, min(times[name]), size_mb / med, rss[name]))
    median = {name: statistics.median(t) for name, t in times.items()}
    print('commlens json / grep: %.2f; all outputs / json: %.2f (median wall times)'
          % (median['commlens json'] / median['grep -c ^From'], median['commlens all'] / median['commlens json']))


if __name__ == '__main__':
    main()
