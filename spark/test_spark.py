#!/usr/bin/env python3
"""The Spark job against commlens itself: for each METRICS.md conformance
case and the sample data, `commlens ingest` a dataset, run spark/metrics.py
on it in local mode and compare with `commlens report`'s summary.json,
figure by figure, by conformance/check.py's rule (counts exactly, times
within 0.01 s, ratios within 1e-6). One Spark session and one pass of the
job serve every case: the JVM is slow to start, and each Spark job has a
fixed cost that small cases would otherwise pay some fifty times each.

usage: python3 spark/test_spark.py [--bin target/release/commlens] [--master local[2]] [-v]

Installs pyspark from PyPI when it is missing (it needs Java 17 or later).
Prints a line per disagreeing figure, then `N passed, N failed`; exits 0
only when every case agrees.
"""

import argparse
import importlib
import json
import math
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CASES = os.path.join(ROOT, '..', 'shared', 'conformance', 'cases')
INPUT_SUFFIXES = ('.mbox', '.mbox.gz', '.csv')

COUNT, TIME, RATIO = 0, 0.01, 1e-6
FIGURES = (
    [(k, COUNT) for k in ('messages_read', 'duplicates', 'excluded', 'messages', 'undated', 'timed_messages',
                          'threads', 'responses', 'follow_ups', 'clock_skew', 'sync_responses',
                          'live_session_messages')]
    + [(('data_quality', k), COUNT) for k in ('undated_pairs', 'automated_pairs')]
    + [((d, 'count'), COUNT) for d in ('response_time_s', 'first_response_time_s')]
    + [((d, k), TIME) for d in ('response_time_s', 'first_response_time_s')
       for k in ('mean', 'p50', 'p90', 'p99', 'max')]
    + [('response_sync_ratio', RATIO), ('sync_message_share', RATIO)]
)


def pyspark_installed():
    try:
        importlib.import_module('pyspark')
    except ImportError:
        print('installing pyspark (pip)', flush=True)
        subprocess.run([sys.executable, '-m', 'pip', 'install', '-q', 'pyspark'], check=True)


def inputs():
    """(name, input path) of every conformance case, and the sample data last."""
    found = []
    if os.path.isdir(CASES):
        for entry in sorted(os.listdir(CASES)):
            if entry.endswith(INPUT_SUFFIXES):
                found.append((entry, os.path.join(CASES, entry)))
    else:
        print('no %s: the conformance cases are skipped' % CASES)
    found.append(('sample_data', os.path.join(ROOT, 'sample_data')))
    return found


def commlens(binary, *args):
    proc = subprocess.run([binary, *args], capture_output=True, text=True,
                          env=dict(os.environ, SOURCE_DATE_EPOCH='1700000000'))
    if proc.returncode not in (0, 1):  # 1: some input skipped, output written
        raise SystemExit('%s %s: exit %d: %s' % (binary, ' '.join(args), proc.returncode, proc.stderr))


def get(summary, key):
    for k in key if isinstance(key, tuple) else (key,):
        summary = summary.get(k, 'MISSING') if isinstance(summary, dict) else 'MISSING'
    return summary


def agrees(got, want, tolerance):
    if got is None or want is None:
        return got is None and want is None
    if not all(isinstance(x, (int, float)) and math.isfinite(x) for x in (got, want)):
        return False
    return got == want if tolerance == COUNT else abs(got - want) <= tolerance + 1e-9


def compare(name, got, want):
    bad = []
    for key, tolerance in FIGURES:
        g, w = get(got, key), get(want, key)
        if not agrees(g, w, tolerance):
            bad.append('%s: %s: spark %s, commlens %s' % (
                name, '.'.join(key) if isinstance(key, tuple) else key, g, w))
    if got.get('skipped') != want.get('skipped'):
        bad.append('%s: skipped: spark %s, commlens %s' % (name, got.get('skipped'), want.get('skipped')))
    return bad


def components_agree(metrics, spark):
    """Connected components of a 500-link chain whose vertex names are in
    shuffled order (the worst case for label propagation), a triangle and
    a lone edge: three components, each with one label."""
    import random
    names = ['v%04d' % i for i in range(501)]
    random.Random(7).shuffle(names)
    edges = list(zip(names, names[1:])) + [('t1', 't2'), ('t2', 't3'), ('t3', 't1'), ('x', 'y')]
    labels = dict(metrics.components(spark.createDataFrame(edges, 'a string, b string')).collect())
    groups = {}
    for vertex, label in labels.items():
        groups.setdefault(label, set()).add(vertex)
    want = sorted([sorted(names), ['t1', 't2', 't3'], ['x', 'y']])
    if sorted(sorted(g) for g in groups.values()) != want or len(labels) != len(names) + 5:
        return ['components: %d groups of sizes %s' % (len(groups), sorted(len(g) for g in groups.values()))]
    return []


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--bin', default=os.path.join(ROOT, 'target', 'release', 'commlens'))
    ap.add_argument('--master', default='local[2]')
    ap.add_argument('-v', '--verbose', action='store_true')
    a = ap.parse_args()
    pyspark_installed()
    # Local mode: nothing needs another address than the loopback one.
    os.environ.setdefault('SPARK_LOCAL_IP', '127.0.0.1')
    sys.path.insert(0, HERE)
    import metrics

    cases = inputs()
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix='commlens-spark-') as tmp:
        for name, path in cases[:-1]:
            commlens(a.bin, 'ingest', path, '--to', os.path.join(tmp, name, 'dataset'), '-q')
        for name, path in cases:
            commlens(a.bin, 'report', path, '--out', os.path.join(tmp, name, 'report'), '--format', 'json', '-q')
        start = time.monotonic()
        spark = metrics.session(a.master, 'commlens-spark-test', shuffle_partitions=2)
        try:
            # The sample data goes through the job's own fan-out of ingest.
            name, path = cases[-1]
            metrics.ingest(spark, os.path.abspath(a.bin), [path], os.path.join(tmp, name, 'dataset'))
            summaries = metrics.summarize(spark, [os.path.join(tmp, name, 'dataset') for name, _ in cases])
            bad = components_agree(metrics, spark)
        finally:
            spark.stop()
        for line in bad:
            print(line)
        failed += bool(bad)
        passed += not bad
        for (name, _path), got in zip(cases, summaries):
            with open(os.path.join(tmp, name, 'report', 'latest', 'summary.json'), encoding='utf-8') as f:
                want = json.load(f)
            bad = compare(name, got, want)
            for line in bad:
                print(line)
            failed += bool(bad)
            passed += not bad
            if a.verbose and not bad:
                print('%s: ok' % name)
        if a.verbose:
            print('spark: %.1f s for %d datasets' % (time.monotonic() - start, len(cases)))
    print('%d passed, %d failed' % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
