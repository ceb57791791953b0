#!/usr/bin/env python3
"""The benchmark of commlens (issue #6): commlens against the floors and
against the Python standard library, on generated mailboxes.

usage: python3 scripts/bench.py [MBOX | --sizes 100M,1G,4G] [--corpora attachments,dense]
                                [--dir DIR] [--seed 11] [--runs 7] [--python-runs 3]
                                [--no-threads] [--no-gzip] [--no-cache-runs]
                                [--bin target/release/commlens] [--baseline-bin OLD]
                                [--threads N] [--write BENCHMARKS.md]

On each file, in one run, it times:
  - commlens report --format json            (the summary only)
  - commlens report                          (default: HTML, PNG charts, JSON)
  - commlens report --format json,html,png,svg,csv,parquet
  - wc -l FILE and grep -c '^From ' FILE     (the floors: reading, scanning the bytes)
  - python3 scripts/baseline.py FILE         (the same figures with mailbox + email)
  - commlens --format json with --threads 1 and --threads 2   (unless --no-threads)
  - gzip -dc FILE.gz > /dev/null and commlens on FILE.gz      (unless --no-gzip)
  - commlens --format json with the cache: the run that writes it (a first
    run), a rerun on the unchanged file, and a run after 1 MB of mail was
    appended to a copy of it (unless --no-cache-runs)
  - OLD report --format json, with --baseline-bin OLD: an earlier build, timed
    in the same rounds, so that "no slower than before" is measured, not recalled

Every command runs once to warm the page cache (the Python baseline, which
is slow, does not), then --runs rounds in which each command runs once in
turn, so that machine noise hits them alike; the Python baseline runs only
in the first --python-runs rounds. Reported: median and min wall time,
throughput (MB/s, messages/s), CPU time per message (user + system, which
counts both threads), peak RSS (ru_maxrss from os.wait4), the ratios
against each floor and against Python, and the issues' targets.
The Python baseline's figures are checked against commlens's summary.json.

Without MBOX, --sizes (default 1G) and --corpora name the files, made by
scripts/gen_mbox.py and reused when they exist (the gzip copy, FILE.gz, by
`gzip -1 -n`):
  attachments  DIR/corpus-SIZE-sSEED.mbox: --size SIZE --seed SEED, about
               20 KB per message, most of it base64 attachments
  dense        DIR/dense-SIZE-sSEED.mbox: the same with --takeout
               --body-scale 0.18 --arc-hops 2, about 7.5 KB per message,
               55 % of it headers (mailing lists, business mail); beside
               it DIR/repeated-sSEED.mbox.gz, its first message again
               and again in 3.6 MB of gzip (duplicates cost no memory)
With MBOX, FILE.gz beside it is used if it exists. --prepare only makes the files: generating 4 GB
takes minutes of CPU, better not just before the timed run.

--write FILE writes the results as markdown with the machine's description;
a "## Profile" section already in FILE (written by hand) is kept.
Python standard library only.
"""

import argparse
import datetime
import gzip
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ALL_FORMATS = 'json,html,png,svg,csv,parquet'
# The generator's arguments of each corpus, beside --size and --seed.
CORPORA = {
    'attachments': ('corpus', []),
    'dense': ('dense', ['--takeout', '--body-scale', '0.18', '--arc-hops', '2']),
}
# Issue #15: "a 3.6 MB gzip of one repeated message must stay under 100 MB".
REPEATED_GZ_BYTES = 3_600_000
PROFILE_PLACEHOLDER = """## Profile

_Written by hand: where the time goes (perf or callgrind), and what was
changed because of it. `scripts/bench.py --write` keeps this section._
"""


# ----------------------------------------------------------------------------
# running and timing

# Linux keeps a process's peak RSS across execve, so a child's ru_maxrss
# starts at the peak RSS of this Python process when it forked the child.
# The script stays small (it does not import gen_mbox, whose tables take
# 8 MB) and measures that floor with `true`; readings at the floor mean
# "at most this much".


def run(cmd, devnull=False):
    """-> (wall seconds, peak RSS in MB, stdout bytes, CPU seconds) of one run."""
    # stdout is a pipe, not /dev/null: GNU grep stops at the first match
    # when it sees its output is /dev/null. gzip -dc does write to /dev/null,
    # as in the issue: through a pipe, Python's reading would be timed too.
    # stderr goes to a file: a pipe could fill up while stdout is read.
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL if devnull else subprocess.PIPE, stderr=err)
        out = b''
        if not devnull:
            out = proc.stdout.read()
            proc.stdout.close()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        code = proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, tell Popen
        # grep -c exits 1 when nothing matches; commlens 1 when some input was skipped
        if code not in (0, 1):
            err.seek(0)
            sys.exit('bench: %s exited %d: %s' % (' '.join(cmd), code, err.read().decode(errors='replace').strip()))
    return wall, usage.ru_maxrss * 1024 / 1e6, out, usage.ru_utime + usage.ru_stime


class Command:
    """One timed command and its runs; `before` runs, untimed, before each."""

    def __init__(self, name, argv, devnull=False, max_runs=None, warm_up=True, before=None):
        self.name, self.argv, self.devnull = name, argv, devnull
        self.max_runs, self.warm_up, self.before = max_runs, warm_up, before
        self.times, self.cpu, self.rss, self.stdout = [], [], 0.0, b''

    def once(self):
        if self.before:
            self.before()
        wall, rss, out, cpu = run(self.argv, self.devnull)
        self.times.append(wall)
        self.cpu.append(cpu)
        self.rss = max(self.rss, rss)
        self.stdout = out

    @property
    def median(self):
        return statistics.median(self.times)

    @property
    def cpu_median(self):
        return statistics.median(self.cpu)


def bench_file(args, kind, mbox, gz):
    """Times every command on one file; -> dict of results (see render)."""
    out = tempfile.mkdtemp(prefix='commlens-bench-', dir=args.dir)
    extra = ['--threads', str(args.threads)] if args.threads else []

    def commlens(name, fmt, *more, path=mbox, binary=args.bin, cache=None):
        # each command its own --out folder, so that json's summary.json stays
        cmd = [binary, 'report', path, '--out', os.path.join(out, name), '-q']
        cmd += ['--cache', cache] if cache else ['--no-cache']
        return cmd + (['--format', fmt] if fmt else []) + list(more)

    cmds = [
        Command('wc -l', ['wc', '-l', mbox]),
        Command("grep -c '^From '", ['grep', '-c', '^From ', mbox]),
        Command('commlens json', commlens('json', 'json', *extra)),
        Command('commlens default', commlens('default', None, *extra)),
        Command('commlens every format', commlens('every', ALL_FORMATS, *extra)),
    ]
    if not args.no_threads:
        cmds += [Command('commlens json, 1 thread', commlens('t1', 'json', '--threads', '1')),
                 Command('commlens json, 2 threads', commlens('t2', 'json', '--threads', '2'))]
    if gz:
        cmds += [Command('gzip -dc', ['gzip', '-dc', gz], devnull=True),
                 Command('commlens json, gzip', commlens('gz', 'json', *extra, path=gz))]
    if not args.no_cache_runs:
        first = os.path.join(out, 'cache-first')
        # What a user's first run writes (the cache is on by default): the
        # cache folder removed before each run.
        cmds.append(Command('commlens json, cache written',
                            commlens('first', 'json', *extra, cache=first),
                            before=lambda: shutil.rmtree(first, ignore_errors=True)))
        cmds.append(Command('commlens json, cache rerun',
                            commlens('rerun', 'json', *extra, cache=os.path.join(out, 'cache-rerun'))))
        grown = os.path.join(out, 'grown.mbox')
        shutil.copyfile(mbox, grown)
        append = appendix(args, kind)

        def grow():
            with open(grown, 'ab') as f:
                f.write(append)

        cmds.append(Command('commlens json, cache after 1 MB appended',
                            commlens('grown', 'json', *extra, path=grown, cache=os.path.join(out, 'cache-grown')),
                            before=grow))
    if args.baseline_bin:
        cmds.append(Command('baseline commlens json', commlens('baseline', 'json', *extra, binary=args.baseline_bin)))
    if args.python_runs > 0:
        cmds.append(Command('python baseline', [sys.executable, os.path.join(HERE, 'baseline.py'), mbox],
                            max_runs=args.python_runs, warm_up=False))

    # Timed apart: its throughput is not the file's.
    rep = None
    if kind == 'dense' and not args.no_gzip:
        rep = Command('commlens json, one message repeated',
                      commlens('repeated', 'json', *extra, path=repeated(args, mbox)))

    label = os.path.basename(mbox)
    for c in cmds:
        if c.warm_up:
            progress('%s: warm-up %s' % (label, c.name))
            run(c.argv, c.devnull)
    for i in range(args.runs):
        progress('%s: round %d/%d' % (label, i + 1, args.runs))
        for c in cmds:
            if c.max_runs is None or i < c.max_runs:
                c.once()
        if rep:
            rep.once()

    with open(os.path.join(out, 'json', 'latest', 'summary.json')) as f:
        summary = json.load(f)
    repeated_run = None
    if rep:
        with open(os.path.join(out, 'repeated', 'latest', 'summary.json')) as f:
            s = json.load(f)
        repeated_run = {'command': rep, 'gz_bytes': os.path.getsize(rep.argv[2]),
                        'messages': s['messages_read'], 'duplicates': s['duplicates']}
    py = next((c for c in cmds if c.name == 'python baseline'), None)
    agreement = compare(summary, json.loads(py.stdout)) if py else None
    shutil.rmtree(out, ignore_errors=True)
    return {'kind': kind, 'file': mbox, 'gz': gz, 'tmp': out, 'bytes': os.path.getsize(mbox),
            'gz_bytes': os.path.getsize(gz) if gz else None,
            'messages': summary['messages_read'], 'commands': {c.name: c for c in cmds},
            'agreement': agreement, 'rss_floor': run(['true'])[1], 'repeated': repeated_run}


def compare(commlens, python):
    """The figures both compute -> '' when they agree, else the differences."""
    diffs = []
    for key in ('messages_read', 'duplicates', 'excluded', 'undated', 'responses',
                'follow_ups', 'clock_skew', 'sync_responses'):
        if commlens.get(key) != python.get(key):
            diffs.append('%s %s vs %s' % (key, commlens.get(key), python.get(key)))
    for key in ('count', 'mean', 'p50', 'p90', 'p99', 'max'):
        a, b = commlens['response_time_s'].get(key), python['response_time_s'].get(key)
        if (a is None) != (b is None) or (a is not None and abs(a - b) > 1e-6 * max(1.0, abs(a))):
            diffs.append('response_time_s.%s %s vs %s' % (key, a, b))
    return '; '.join(diffs)


def progress(msg):
    print('bench: ' + msg, file=sys.stderr, flush=True)


def parse_size(text):
    """'100M', '1G' -> bytes, binary multiples, as scripts/gen_mbox.py --size reads them."""
    m = re.fullmatch(r'(\d+(?:\.\d+)?)([KMGT]?)', text.strip().upper())
    if not m:
        raise ValueError('bad size %r (use e.g. 100M, 1G, 4G)' % text)
    return int(float(m.group(1)) * 1024 ** ' KMGT'.index(m.group(2) or ' '))


# ----------------------------------------------------------------------------
# input files


def corpus(args, kind, size):
    """-> (mbox, gz or None) of one corpus and size, generating what is missing."""
    label = size.upper()
    stem, generator_args = CORPORA[kind]
    mbox = os.path.join(args.dir, '%s-%s-s%d.mbox' % (stem, label, args.seed))
    # The generator stops at the first message boundary at or after SIZE and
    # writes under a temporary name, so a file of at least SIZE bytes under
    # the final name is complete.
    if not (os.path.exists(mbox) and os.path.getsize(mbox) >= parse_size(size)):
        progress('generating %s' % mbox)
        subprocess.run([sys.executable, os.path.join(HERE, 'gen_mbox.py'), mbox + '.part',
                        '--size', size, '--seed', str(args.seed)] + generator_args, check=True)
        os.replace(mbox + '.part', mbox)
    gz = None
    if not args.no_gzip:
        gz = mbox + '.gz'
        if not gzip_matches(gz, mbox):
            progress('compressing %s' % gz)
            with open(gz + '.part', 'wb') as f:
                subprocess.run(['gzip', '-1', '-n', '-c', mbox], stdout=f, check=True)
            os.replace(gz + '.part', gz)
    return mbox, gz


def repeated(args, mbox):
    """-> DIR/repeated-sSEED.mbox.gz: mbox's first message over and over, REPEATED_GZ_BYTES of gzip."""
    gz = os.path.join(args.dir, 'repeated-s%d.mbox.gz' % args.seed)
    if os.path.exists(gz) and os.path.getsize(gz) >= REPEATED_GZ_BYTES:
        return gz
    with open(mbox, 'rb') as f:
        head = f.read(1 << 20)
    message = head[:head.find(b'\n\nFrom ') + 2]
    progress('writing %s' % gz)
    with open(gz + '.part', 'wb') as raw:
        with gzip.GzipFile(fileobj=raw, mode='wb', mtime=0) as z:
            while raw.tell() < REPEATED_GZ_BYTES:
                z.write(message * 1000)
    os.replace(gz + '.part', gz)
    return gz


def appendix(args, kind):
    """1 MB of mail of the corpus's kind (another seed), to append to a copy."""
    _, generator_args = CORPORA.get(kind, CORPORA['attachments'])
    mail = subprocess.run([sys.executable, os.path.join(HERE, 'gen_mbox.py'), '-', '--size', '1M',
                           '--seed', str(args.seed + 1)] + generator_args,
                          check=True, capture_output=True).stdout
    return b'\n' + mail  # a blank line before the first envelope, whatever the file ends with


def gzip_matches(gz, mbox):
    """A cheap check that gz is mbox compressed: the gzip trailer's size (mod 2^32)."""
    if not os.path.exists(gz):
        return False
    with open(gz, 'rb') as f:
        f.seek(-4, os.SEEK_END)
        isize = int.from_bytes(f.read(4), 'little')
    return isize == os.path.getsize(mbox) % (1 << 32)


# ----------------------------------------------------------------------------
# the machine


def machine(args):
    def first_line(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True).stdout.splitlines()[0]
        except (OSError, IndexError):
            return '?'

    def proc_field(path, field):
        try:
            with open(path) as f:
                for line in f:
                    if line.startswith(field):
                        return line.split(':', 1)[1].strip()
        except OSError:
            pass
        return '?'

    mem_kb = proc_field('/proc/meminfo', 'MemTotal').split()[0]
    commit = first_line(['git', '-C', ROOT, 'rev-parse', '--short', 'HEAD'])
    dirty = subprocess.run(['git', '-C', ROOT, 'status', '--porcelain', '--untracked-files=no'],
                           capture_output=True, text=True).stdout.strip()
    built = datetime.datetime.fromtimestamp(os.path.getmtime(args.bin), datetime.timezone.utc)
    return {
        'cpu': '%s, %d cores (nproc)' % (proc_field('/proc/cpuinfo', 'model name'),
                                         len(os.sched_getaffinity(0))),
        'memory': '%.1f GiB' % (int(mem_kb) / 2**20) if mem_kb.isdigit() else '?',
        'kernel': '%s %s (%s)' % (platform.system(), platform.release(), platform.machine()),
        'commlens': '%s, binary %s built %s; work tree at commit %s%s' % (
            first_line([args.bin, '--version']), os.path.relpath(args.bin, ROOT),
            built.strftime('%Y-%m-%d %H:%M UTC'), commit,
            ' with uncommitted changes' if dirty else ''),
        'tools': 'Python %s, %s, %s, %s; locale %s' % (
            platform.python_version(), first_line(['grep', '--version']), first_line(['gzip', '--version']),
            first_line(['wc', '--version']), os.environ.get('LC_ALL') or os.environ.get('LANG') or 'C'),
    }


# ----------------------------------------------------------------------------
# markdown


def fmt_size(n):
    return '%.0f MB' % (n / 1e6) if n < 1e9 else '%.2f GB' % (n / 1e9)


def ratio(a, b):
    return '%.2f×' % (a / b) if a and b else '–'


def display(cmd, res):
    """The command as a reader would type it: FILE for the input, no --out or -q."""
    words, skip = [], False
    for i, a in enumerate(cmd.argv):
        if skip or a in ('--out', '-q'):
            skip = a == '--out'
            continue
        if a == sys.executable:
            a = 'python3'
        elif i == 0:
            a = 'commlens' if cmd.name.startswith('commlens') else a
        elif a == res['file']:
            a = 'FILE'
        elif a == res['gz']:
            a = 'FILE.gz'
        elif a.startswith(res['tmp'] + '/'):
            a = 'TMP/' + os.path.relpath(a, res['tmp'])  # the run's own folder: caches, the grown copy
        elif a.startswith(ROOT + '/'):
            a = os.path.relpath(a, ROOT)
        elif ' ' in a:
            a = "'%s'" % a
        words.append(a)
    return ' '.join(words) + (' > /dev/null' if cmd.devnull else '')


def size_table(res):
    """One file's table: every command, with ratios to the floors and to Python."""
    c = res['commands']
    grep, wc, py = c["grep -c '^From '"].median, c['wc -l'].median, None
    if 'python baseline' in c:
        py = c['python baseline'].median
    lines = ['| command | runs | median s | min s | MB/s | msgs/s | CPU µs/msg | peak RSS MB | vs grep | vs wc -l '
             '| Python / this |',
             '|---|---|---|---|---|---|---|---|---|---|---|']
    for cmd in c.values():
        med = cmd.median
        rss = '≤ %.0f' % res['rss_floor'] if cmd.rss < res['rss_floor'] + 1 else '%.0f' % cmd.rss
        # throughput counts the uncompressed bytes, gzip inputs included
        lines.append('| `%s` | %d | %.3f | %.3f | %.0f | %.0f | %.2f | %s | %s | %s | %s |' % (
            display(cmd, res), len(cmd.times), med, min(cmd.times), res['bytes'] / 1e6 / med,
            res['messages'] / med, cmd.cpu_median / res['messages'] * 1e6, rss, ratio(med, grep),
            ratio(med, wc), ratio(py, med)))
    notes = []
    if 'commlens json, 1 thread' in c:
        t1, t2 = c['commlens json, 1 thread'].median, c['commlens json, 2 threads'].median
        notes.append('Threads: `--threads 2` is %s as fast as `--threads 1` (%.3f s against %.3f s).'
                     % (ratio(t1, t2), t2, t1))
    if 'commlens json, cache rerun' in c:
        uncached = c['commlens json'].median
        notes.append('Cache: the run that writes it takes %s of an uncached run (peak RSS %.0f MB); a rerun '
                     'on the unchanged file, %s; after 1 MB was appended, %s.'
                     % (ratio(c['commlens json, cache written'].median, uncached),
                        c['commlens json, cache written'].rss,
                        ratio(c['commlens json, cache rerun'].median, uncached),
                        ratio(c['commlens json, cache after 1 MB appended'].median, uncached)))
    if 'baseline commlens json' in c:
        notes.append('Against the baseline build (`--baseline-bin`): summary only takes %s of its time.'
                     % ratio(c['commlens json'].median, c['baseline commlens json'].median))
    if 'gzip -dc' in c:
        notes.append('gzip (%s compressed): commlens on the .gz takes %s the time of `gzip -dc` alone.' % (
            fmt_size(res['gz_bytes']), ratio(c['commlens json, gzip'].median, c['gzip -dc'].median)))
    rep = res['repeated']
    if rep:
        notes.append('One message repeated (`%s`, %s of gzip, %d messages, %d duplicates): median %.3f s, '
                     'peak RSS %.0f MB.' % (os.path.basename(rep['command'].argv[2]), fmt_size(rep['gz_bytes']),
                                            rep['messages'], rep['duplicates'], rep['command'].median,
                                            rep['command'].rss))
    if res['agreement'] is not None:
        notes.append('Python baseline vs commlens: %s.' % (
            'same figures (messages, duplicates, responses, response times, sync responses)'
            if not res['agreement'] else 'DIFFERENT: ' + res['agreement']))
    return lines + [''] + notes


def scaling_table(results):
    lines = ['| corpus | size | messages | KB/message | summary only s | MB/s | its peak RSS MB | default formats s | '
             'its peak RSS MB | grep s | Python s |',
             '|---|---|---|---|---|---|---|---|---|---|---|']
    for res in results:
        c = res['commands']
        py = c.get('python baseline')
        lines.append('| %s | %s | %d | %.1f | %.3f | %.0f | %.0f | %.3f | %.0f | %.3f | %s |' % (
            res['kind'], fmt_size(res['bytes']), res['messages'], res['bytes'] / res['messages'] / 1e3,
            c['commlens json'].median, res['bytes'] / 1e6 / c['commlens json'].median, c['commlens json'].rss,
            c['commlens default'].median, c['commlens default'].rss, c["grep -c '^From '"].median,
            '%.1f' % py.median if py else '–'))
    return lines


def near(results, kind, gb):
    """The result of a corpus whose file is about gb GB (within 20 %), or None."""
    return next((r for r in results if r['kind'] == kind and abs(r['bytes'] / 1e9 / gb - 1) < 0.2), None)


class Targets:
    """A table of targets, each met or not."""

    def __init__(self, title):
        self.rows = ['| %s | measured | |' % title, '|---|---|---|']

    def check(self, target, measured, value, ok):
        if not measured:
            self.rows.append('| %s | not measured | – |' % target)
        else:
            self.rows.append('| %s | %s | %s |' % (target, value, 'met' if ok else '**not met**'))


def peak_rss(res):
    return max(x.rss for n, x in res['commands'].items() if n.startswith('commlens')) if res else 0


def median_ratio(c, a, b):
    """-> (whether both were timed, median of a / median of b)."""
    timed = a in c and b in c
    return timed, c[a].median / c[b].median if timed else 0


def attachment_targets(results):
    """The targets of issue #6, on the attachments corpus, met or not."""
    kind = 'given' if any(r['kind'] == 'given' for r in results) else 'attachments'
    one, four = near(results, kind, 1.07), near(results, kind, 4.3)  # --size 1G is 1.07 GB, 4G 4.3 GB
    c = one['commands'] if one else {}
    t = Targets('target of issue #6 (1 GB %s mbox)' % ('given' if kind == 'given' else 'generated'))
    timed, r = median_ratio(c, 'commlens json', "grep -c '^From '")
    t.check("summary only: at most `grep -c '^From '`", timed, '%.2f× grep' % r, r <= 1.0)
    timed, r = median_ratio(c, 'commlens default', "grep -c '^From '")
    t.check('with all charts and HTML (default formats): at most 1.3× grep', timed, '%.2f× grep' % r, r <= 1.3)
    timed, r = median_ratio(c, 'python baseline', 'commlens json')
    t.check('at least 40× faster than the Python standard library (summary only)', timed, '%.0f×' % r, r >= 40)
    for res, limit, name in ((one, 300, '1 GB'), (four, 400, '4 GB')):
        t.check('peak RSS under %d MB (%s file, every commlens run)' % (limit, name), res,
                '%.0f MB' % peak_rss(res), peak_rss(res) < limit)
    timed, r = median_ratio(c, 'commlens json, 1 thread', 'commlens json, 2 threads')
    t.check('2 threads at least 1.7× faster than 1', timed, '%.2f×' % r, r >= 1.7)
    timed, r = median_ratio(c, 'commlens json, gzip', 'gzip -dc')
    t.check('gzip input at most `gzip -dc FILE > /dev/null` + 20 %', timed, '%.2f× gzip -dc' % r, r <= 1.2)
    # issue #15: nothing slower on this corpus than the build before (5 % for noise)
    timed, r = median_ratio(c, 'commlens json', 'baseline commlens json')
    t.check('issue #15: no slower than the baseline build (`--baseline-bin`, within 5 %)', timed,
            '%.2f× baseline' % r, r <= 1.05)
    return t.rows


def dense_targets(results):
    """The targets of issue #15, on the header-dense corpus, met or not."""
    one, four = near(results, 'dense', 1.05), near(results, 'dense', 4.2)
    c = one['commands'] if one else {}
    t = Targets('target of issue #15 (1 GB header-dense generated mbox)')
    timed, r = median_ratio(c, 'commlens json', "grep -c '^From '")
    t.check("summary only: at most 0.5× `grep -c '^From '`", timed, '%.2f× grep' % r, r <= 0.5)
    timed, r = median_ratio(c, 'commlens default', "grep -c '^From '")
    t.check('default formats: at most 0.6× grep', timed, '%.2f× grep' % r, r <= 0.6)
    for res, limit, name in ((one, 120, '1 GB'), (four, 300, '4 GB')):
        t.check('peak RSS under %d MB (%s file, every commlens run)' % (limit, name), res,
                '%.0f MB' % peak_rss(res), peak_rss(res) < limit)
    if one:
        per = c['commlens json'].rss * 1e6 / one['messages']
        t.check('memory per message read (summary only) at most about 400 bytes', True, '%.0f bytes' % per,
                per <= 440)
    timed, r = median_ratio(c, 'python baseline', 'commlens json')
    t.check('at least 80× faster than `scripts/baseline.py`', timed, '%.0f×' % r, r >= 80)
    timed, r = median_ratio(c, 'commlens json, 1 thread', 'commlens json, 2 threads')
    t.check('2 threads at least 1.8× faster than 1', timed, '%.2f×' % r, r >= 1.8)
    rep = one and one['repeated']
    t.check('a duplicate costs no row memory: one message repeated (3.6 MB gzip) under 100 MB', rep,
            rep and '%.0f MB (%d messages read, %d of them duplicates)' % (
                rep['command'].rss, rep['messages'], rep['duplicates']),
            rep and rep['command'].rss < 100)
    timed, r = median_ratio(c, 'commlens json, cache rerun', 'commlens json')
    t.check('cache: a rerun on the unchanged file at most 0.25× an uncached run', timed, '%.2f×' % r, r <= 0.25)
    timed, r = median_ratio(c, 'commlens json, cache after 1 MB appended', 'commlens json')
    t.check('cache: after a 1 MB append at most 0.3× an uncached run', timed, '%.2f×' % r, r <= 0.3)
    return t.rows


def render(args, results, info, started, load):
    files = ', '.join('`%s`' % (os.path.relpath(r['file'], ROOT) if r['file'].startswith(ROOT + '/')
                                else r['file']) for r in results)
    python_rounds = ('the Python baseline runs in the first %d only' % min(args.python_runs, args.runs)
                     if args.python_runs > 0 else 'the Python baseline was not run')
    out = [
        '# Benchmarks',
        '',
        'Written by `python3 scripts/bench.py %s` (issues #6 and #15), started %s. '
        'Run it again to refresh everything here but the Profile section.' % (
            ' '.join(sys.argv[1:]), started.strftime('%Y-%m-%d %H:%M UTC')),
        '',
        '## Machine',
        '',
        '- CPU: ' + info['cpu'],
        '- Memory: ' + info['memory'],
        '- Kernel: ' + info['kernel'],
        '- commlens: ' + info['commlens'],
        '- Tools: ' + info['tools'],
        '- Load average (1 min) at start and end: %.2f, %.2f' % load,
        '',
        '## Method',
        '',
        '- Input: %s%s.' % (files, '' if args.mbox else
                            ', made by `scripts/gen_mbox.py --size SIZE --seed %d` (realistic header blocks with '
                            'Received chains and DKIM signatures, text bodies, quirks on): `corpus-*` as is, '
                            'some base64 attachments, about 20 KB per message; `dense-*` with `%s`, small '
                            'bodies and ARC-relayed headers, about 7.5 KB per message, 55 %% of it headers, as '
                            'in mailing-list archives and business mail; the `.gz` copies by `gzip -1`'
                            % (args.seed, ' '.join(CORPORA['dense'][1]))),
        '- Each command runs once to warm the page cache (not the slow Python baseline), then %d rounds '
        'in which every command runs once, in turn, so that machine noise hits them alike; %s.'
        % (args.runs, python_rounds),
        '- Median and min are wall times; MB/s is the uncompressed file size (10^6 bytes) over the median, '
        'msgs/s the messages read (summary.json `messages_read`) over the median; CPU µs/msg the median '
        'user + system time (both threads) over the messages read; peak RSS is the largest '
        '`ru_maxrss` of the process over its runs (`os.wait4`). Linux carries the peak RSS of the '
        'forking process (this script, %.0f MB) over into the child, so "≤ %.0f" means at most that.'
        % (max(r['rss_floor'] for r in results), max(r['rss_floor'] for r in results)),
        '- "vs grep" and "vs wc -l" are median / the floor\'s median (below 1× is faster than the floor); '
        '"Python / this" is how many times faster than the Python baseline.',
        '- `wc` and `grep` write into a pipe, not /dev/null: GNU grep stops at the first match when its '
        'output is /dev/null.',
        '- The Python baseline is `scripts/baseline.py`: `mailbox.mbox` finds the messages, '
        '`email.parser.BytesHeaderParser` reads each header block, `email.utils` the dates and addresses; '
        'the same METRICS.md rules. Its figures are compared with commlens\'s summary.json below.',
        '',
        '## Targets',
        '',
    ] + attachment_targets(results) + ['']
    if any(r['kind'] == 'dense' for r in results):
        out += dense_targets(results) + ['']
    kinds = [r['kind'] for r in results]
    if len(set(kinds)) < len(kinds):
        out += ['## Scaling', '', 'Time should grow linearly with bytes (constant MB/s); memory only with the '
                'number of messages.', ''] + scaling_table(results) + ['']
    for res in results:
        out += ['## %s: %s, %d messages' % (os.path.basename(res['file']), fmt_size(res['bytes']),
                                            res['messages']), ''] + size_table(res) + ['']
    return '\n'.join(out)


def with_profile(text, path):
    """Appends the '## Profile' section of the existing file at path (a human writes it)."""
    profile = PROFILE_PLACEHOLDER
    if os.path.exists(path):
        with open(path) as f:
            old = f.read()
        m = re.search(r'^## Profile[ \t]*$.*?(?=^## |\Z)', old, re.S | re.M)
        if m:
            profile = m.group(0).rstrip('\n') + '\n'
    return text.rstrip('\n') + '\n\n' + profile


# ----------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('mbox', nargs='?', help='a plain mbox to time (instead of --sizes)')
    ap.add_argument('--sizes', default='1G', help='generated sizes, comma-separated, e.g. 100M,1G,4G')
    ap.add_argument('--corpora', default='attachments,dense',
                    help='generated corpora, comma-separated: %s' % ', '.join(CORPORA))
    ap.add_argument('--dir', default=os.path.join(ROOT, 'bench'), help='where generated files live')
    ap.add_argument('--seed', type=int, default=11)
    ap.add_argument('--runs', type=int, default=7)
    ap.add_argument('--python-runs', type=int, default=3, help='runs of the Python baseline (0: none)')
    ap.add_argument('--no-threads', action='store_true', help='skip --threads 1 vs 2')
    ap.add_argument('--no-gzip', action='store_true', help='skip the gzip comparison')
    ap.add_argument('--bin', default=os.path.join(ROOT, 'target/release/commlens'))
    ap.add_argument('--threads', type=int, help='pass --threads N to the other commlens runs')
    ap.add_argument('--no-cache-runs', action='store_true', help='skip the cache rerun and append runs')
    ap.add_argument('--baseline-bin', metavar='OLD', help='an earlier commlens build, timed in the same rounds')
    ap.add_argument('--write', metavar='FILE', help='write the results as markdown (e.g. BENCHMARKS.md)')
    ap.add_argument('--prepare', action='store_true',
                    help='only generate the --sizes files, so that the timed run starts on a quiet machine')
    args = ap.parse_args()

    # fail before the work, not after it
    args.bin = os.path.abspath(args.bin)
    if not os.access(args.bin, os.X_OK):
        ap.error('no commlens binary at %s (build it: cargo build --release)' % args.bin)
    if args.baseline_bin:
        args.baseline_bin = os.path.abspath(args.baseline_bin)
        if not os.access(args.baseline_bin, os.X_OK):
            ap.error('no baseline binary at %s' % args.baseline_bin)
    if args.runs < 1:
        ap.error('--runs must be at least 1')
    for tool in ('grep', 'wc', 'gzip'):
        if shutil.which(tool) is None:
            ap.error('%s is not installed' % tool)
    if args.write and not os.access(os.path.dirname(os.path.abspath(args.write)), os.W_OK):
        ap.error('cannot write %s' % args.write)
    if args.mbox:
        if args.prepare:
            ap.error('--prepare makes the --sizes files; it takes no MBOX')
        if args.mbox.endswith('.gz'):
            ap.error('give the plain mbox; FILE.gz beside it is used for the gzip comparison')
        gz = args.mbox + '.gz'
        if args.no_gzip or not gzip_matches(gz, args.mbox):
            if not args.no_gzip:
                progress('no %s matching the mbox: gzip comparison skipped' % gz)
            gz = None
        files = [('given', os.path.abspath(args.mbox), gz and os.path.abspath(gz))]
    else:
        sizes = [s.strip() for s in args.sizes.split(',') if s.strip()]
        for s in sizes:
            try:
                parse_size(s)
            except ValueError as e:
                ap.error('--sizes: %s' % e)
        os.makedirs(args.dir, exist_ok=True)
        args.dir = os.path.abspath(args.dir)
        kinds = [k.strip() for k in args.corpora.split(',') if k.strip()]
        unknown = [k for k in kinds if k not in CORPORA]
        if unknown or not kinds:
            ap.error('--corpora: unknown %s (known: %s)' % (', '.join(unknown) or 'empty list', ', '.join(CORPORA)))
        files = [(k, *corpus(args, k, s)) for k in kinds for s in sizes]
        if args.prepare:
            return

    started = datetime.datetime.now(datetime.timezone.utc)
    load_start = os.getloadavg()[0]
    if load_start > 0.5:
        progress('warning: load average %.2f, the machine is not quiet' % load_start)
    info = machine(args)
    results = [bench_file(args, kind, mbox, gz) for kind, mbox, gz in files]
    text = render(args, results, info, started, (load_start, os.getloadavg()[0]))
    print(text)
    if args.write:
        text = with_profile(text, args.write)  # read before open(..., 'w') empties the file
        with open(args.write, 'w') as f:
            f.write(text)
        progress('wrote %s' % args.write)


if __name__ == '__main__':
    main()
