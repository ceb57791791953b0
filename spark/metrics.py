#!/usr/bin/env python3
"""The METRICS.md figures of a commlens message dataset, on Apache Spark.

usage: python3 spark/metrics.py [--master URL] [--sync-threshold SECONDS]
                               [--ingest INPUT]... [--commlens PATH] DATASET OUTDIR
       spark-submit [--master URL] spark/metrics.py [OPTIONS] DATASET OUTDIR

DATASET is a folder written by `commlens ingest INPUT... --to DATASET` (on
shared storage or an object store: any path Spark reads). The job writes
OUTDIR/summary.json (on the driver) with the keys of METRICS.md section 5,
the figures `commlens report --from DATASET` gives: the same definitions,
computed with the DataFrame API so that they scale out with the cluster.

With `--ingest INPUT` (repeatable), the job first runs `commlens ingest
INPUT --to DATASET` for each input on the executors, one task per input,
so that one spark-submit goes from mailboxes on shared storage to the
summary; the commlens binary (`--commlens`) and the inputs must be at the
same paths on every worker.

Read order, which decides duplicates and ties, is the inputs sorted by
path (as a folder input gives them), then the rows of each in file order.
`summarize` also takes several datasets at once and computes each one's
figures in the same pass (ids, conversations and subjects never meet across
datasets). Plain PySpark: no packages beyond it.
"""

import argparse
import json
import os
import sys

from functools import reduce

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

SCHEMA_VERSION = 1
SUBJECT_WINDOW_MS = 30 * 86_400_000

# The columns of a data file (src/dataset.rs), named so that Spark reads no
# footer to learn them.
ROW_SCHEMA = ('source string, row long, kind string, channel string, conversation string, '
              'message_id string, parent_id string, references array<string>, has_link_ids boolean, '
              'timestamp_ms long, date_source string, sender string, recipients array<string>, '
              'subject string, subject_key string, automated boolean, labels array<string>, '
              'bytes long, duration_ms long')

# Pair classes, in the order METRICS.md section 3 applies the rules.
FOLLOW_UP, UNCLASSIFIED, CLOCK_SKEW, AUTOMATED, RESPONSE = range(1, 6)


def read_manifests(spark, dataset):
    """The manifests of the dataset's inputs, in read order."""
    # One row per file, read by Spark so that any file system works.
    texts = spark.read.option('pathGlobFilter', '*.json').text(dataset, wholetext=True).collect()
    manifests = [json.loads(row.value) for row in texts]
    if not manifests:
        raise SystemExit('%s: no dataset here; write one with commlens ingest INPUT... --to %s'
                         % (dataset, dataset))
    for m in manifests:
        if m['schema_version'] != SCHEMA_VERSION:
            raise SystemExit('%s: schema version %s, this job reads %d; ingest again'
                             % (m['source'], m['schema_version'], SCHEMA_VERSION))
    return sorted(manifests, key=lambda m: path_order(m['source']))


def path_order(path):
    """A sort key that orders paths component by component, as Rust's Path
    does (so `x/b` comes before `x-a`, as a folder lists them)."""
    parts = path.split('/')
    key = [(0, '')] if path.startswith('/') else []
    for i, part in enumerate(parts):
        if part == '' or (part == '.' and i > 0):
            continue  # Rust skips repeated separators and inner `.`
        key.append({'.': (1, ''), '..': (2, '')}.get(part, (3, part)))
    return key


def read_rows(spark, datasets):
    """Every row of the datasets with `ds`, its dataset's number, and
    `seq`, its place in read order (over all of them), and the manifests
    of each dataset's inputs."""
    manifests, places, tables = [], [], []
    seq = 0
    for ds, dataset in enumerate(datasets):
        manifests.append(read_manifests(spark, dataset))
        for m in manifests[-1]:
            places.append((ds, m['source'], seq))
            seq += m['messages_kept']
        paths = [os.path.join(dataset, m['data']) for m in manifests[-1]]
        tables.append(spark.read.schema(ROW_SCHEMA).parquet(*paths).withColumn('ds', F.lit(ds)))
    first_seq = spark.createDataFrame(places, 'ds int, source string, first_seq long')
    rows = (reduce(DataFrame.unionByName, tables)
            .join(F.broadcast(first_seq), ['ds', 'source'])
            .withColumn('seq', F.col('first_seq') + F.col('row'))
            .withColumnRenamed('timestamp_ms', 'ts'))
    return scope_ids(rows), manifests


def scope_ids(rows):
    """Prefixes every id, conversation and subject key with the dataset's
    number, so that nothing links across datasets (null stays null, an
    empty subject key stays empty: it joins nothing)."""
    def scoped(c):
        return F.concat(F.col('ds').cast('string'), F.lit('\0'), c)
    return (rows.withColumns({name: scoped(F.col(name))
                              for name in ('message_id', 'parent_id', 'conversation')})
            .withColumn('references', F.transform('references', scoped))
            .withColumn('subject_key', F.when(F.col('subject_key') == '', '')
                        .otherwise(scoped(F.col('subject_key')))))


def mark_duplicates(rows):
    """`duplicate`: whether an earlier row read has the same id: mail by
    message_id, log rows and events by (conversation, message_id). Rows
    without an id are never duplicates."""
    scope = F.when(F.col('kind') == 'email', F.lit(None)).otherwise(F.col('conversation'))
    first = Window.partitionBy('kind', scope, 'message_id').orderBy('seq')
    return rows.withColumn('duplicate', F.col('message_id').isNotNull() & (F.row_number().over(first) > 1))


def components(edges):
    """Connected components of an undirected graph given as (a, b) string
    pairs: (vertex, label), one label per component, for every vertex on
    an edge. The alternating large-star / small-star algorithm (Kiveris et
    al., "Connected Components in MapReduce and Beyond", 2014) in DataFrame
    joins: each round turns the graph into shallower stars around the
    least vertex of each component, in O(log² n) rounds even on long
    chains, where plain label propagation takes a round per link.
    Edges are kept as (a, b) with a > b."""
    def canonical(pairs):
        return (pairs.filter('a != b')
                .select(F.greatest('a', 'b').alias('a'), F.least('a', 'b').alias('b')).distinct())

    def both_ways(star):
        return star.union(star.select(F.col('b').alias('a'), F.col('a').alias('b')))

    def large_star(star):
        # For each vertex: its larger neighbours link to the least of it
        # and all its neighbours.
        g = both_ways(star).withColumn('m', F.least('a', F.min('b').over(Window.partitionBy('a'))))
        return canonical(g.filter('b > a').select(F.col('b').alias('a'), F.col('m').alias('b')))

    def small_star(star):
        # For each vertex: it and its smaller neighbours link to the least
        # of them.
        g = both_ways(star).filter('b < a').withColumn('m', F.min('b').over(Window.partitionBy('a')))
        return canonical(g.select(F.col('b').alias('a'), F.col('m').alias('b'))
                         .union(g.select('a', F.col('m').alias('b'))))

    star = canonical(edges).localCheckpoint()
    while True:
        settled = small_star(large_star(star)).localCheckpoint()
        changed = (settled.withColumn('new', F.lit(1))
                   .join(star.withColumn('old', F.lit(1)), ['a', 'b'], 'full_outer')
                   .filter('new IS NULL OR old IS NULL').count())
        star = settled
        if changed == 0:
            # Stars now: each vertex is linked to its component's least only.
            centres = star.select(F.col('b').alias('v'), F.col('b').alias('l'))
            return star.select(F.col('a').alias('v'), F.col('b').alias('l')).union(centres).distinct()


def conversations(messages):
    """`conv`: the conversation key of each message. Mail: the connected
    component of its Message-ID, parent and References (ids missing from
    the data still link), joined by subject where it names no id; a named
    conversation (a log's, Gmail's X-GM-THRID) wins."""
    email = messages.filter("kind = 'email'").withColumn(
        'node', F.when(F.col('message_id').isNotNull(), F.concat(F.lit('i'), 'message_id'))
        .otherwise(F.concat(F.lit('s'), F.col('seq').cast('string'))))
    linked = F.concat(
        F.when(F.col('parent_id').isNotNull(), F.array('parent_id')).otherwise(F.array()),
        F.coalesce('references', F.array()))
    id_edges = (email.select('node', F.explode(linked).alias('id'))
                .select(F.col('node').alias('a'), F.concat(F.lit('i'), 'id').alias('b')))
    # METRICS.md 2: a message naming no id joins the latest earlier timed
    # message with the same subject, at most 30 days back. In (subject,
    # time) order those joins form runs; every message of a run links to
    # the run's first, so that a subject answered daily for years is a star
    # of depth one, not a chain that takes a round per link to label.
    latest = Window.partitionBy('subject_key').orderBy('ts', 'seq')
    joins = (~F.col('has_link_ids') & F.lag('node').over(latest).isNotNull()
             & (F.col('ts') - F.lag('ts').over(latest) <= SUBJECT_WINDOW_MS))
    run = Window.partitionBy('subject_key', 'run').orderBy('ts', 'seq')
    subject_edges = (email.filter("subject_key != '' AND ts IS NOT NULL")
                     .withColumn('run', F.sum(F.when(joins, 0).otherwise(1)).over(latest))
                     .select(F.col('node').alias('a'), F.first('node').over(run).alias('b')))
    labels = components(id_edges.union(subject_edges))
    thread = (email.join(labels.withColumnRenamed('v', 'node'), 'node', 'left')
              .select('seq', F.coalesce('l', 'node').alias('component')))
    conv = (F.when(F.col('conversation').isNotNull(), F.concat_ws('\0', 'kind', F.lit('n'), 'conversation'))
            .when(F.col('kind') == 'email', F.concat_ws('\0', F.lit('c'), 'component'))
            .otherwise(F.concat_ws('\0', F.lit('r'), F.col('seq').cast('string'))))
    return messages.join(thread, 'seq', 'left').withColumn('conv', conv).drop('component')


def parents(messages):
    """`parent`: the seq of the message each one answers. Mail: its
    parent_id, anywhere; log rows: their parent_id in their own
    conversation, else (none named) the previous timed row there."""
    ids = messages.filter('message_id IS NOT NULL').select(
        F.col('seq').alias('p'), F.col('kind').alias('p_kind'),
        F.col('conversation').alias('p_conversation'), F.col('message_id').alias('parent_id'))
    mail = (messages.filter("kind = 'email' AND parent_id IS NOT NULL").select('seq', 'parent_id')
            .join(ids.filter("p_kind = 'email'"), 'parent_id'))
    log = (messages.filter("kind = 'log' AND conversation IS NOT NULL AND parent_id IS NOT NULL")
           .select('seq', 'conversation', 'parent_id')
           .join(ids.filter("p_kind = 'log'").withColumnRenamed('p_conversation', 'conversation'),
                 ['conversation', 'parent_id']))
    explicit = (mail.select('seq', 'p').union(log.select('seq', 'p'))
                .filter('p != seq')  # a message naming itself has no parent
                .select('seq', F.col('p').alias('explicit')))
    turn = Window.partitionBy('conversation').orderBy('ts', 'seq')
    inferred = (messages.filter("kind = 'log' AND conversation IS NOT NULL AND ts IS NOT NULL")
                .select('seq', 'parent_id', F.lag('seq').over(turn).alias('previous'))
                .filter('parent_id IS NULL AND previous IS NOT NULL')
                .select('seq', F.col('previous').alias('inferred')))
    return (messages.join(explicit, 'seq', 'left').join(inferred, 'seq', 'left')
            .withColumn('parent', F.coalesce('explicit', 'inferred')).drop('explicit', 'inferred'))


def pairs(messages):
    """Each message with a parent in the data, its parent's columns as p_*,
    its class and `rt`, the response time in seconds (responses only)."""
    parent = messages.select(F.col('seq').alias('parent'), F.col('sender').alias('p_sender'),
                             F.col('ts').alias('p_ts'), F.col('automated').alias('p_automated'))
    cls = (F.when(F.col('sender') == F.col('p_sender'), FOLLOW_UP)
           .when(F.col('ts').isNull() | F.col('p_ts').isNull(), UNCLASSIFIED)
           .when(F.col('ts') < F.col('p_ts'), CLOCK_SKEW)
           .when(F.col('automated') | F.col('p_automated'), AUTOMATED)
           .otherwise(RESPONSE))
    return (messages.filter('parent IS NOT NULL').join(parent, 'parent')
            .withColumn('class', cls)
            .withColumn('rt', F.when(F.col('class') == RESPONSE, (F.col('ts') - F.col('p_ts')) / 1000.0)))


def distributions(values, column):
    """Per dataset: count, mean, p50, p90, p99, max of `column`,
    percentiles exact, by linear interpolation between closest ranks
    (numpy's default): from the values at ranks floor((n-1)p) and the next."""
    by_ds = Window.partitionBy('ds')
    ranked = (values.select('ds', F.col(column).alias('x')).filter('x IS NOT NULL')
              .withColumn('rank', F.row_number().over(by_ds.orderBy('x')) - 1)
              .withColumn('n', F.count('*').over(by_ds)))
    aggregates = [F.count('x').alias('count'), F.avg('x').alias('mean'), F.max('x').alias('max')]
    for p in (50, 90, 99):
        position = (F.col('n') - 1) * (p / 100.0)
        low = F.floor(position)
        aggregates += [
            F.max(F.when(F.col('rank') == low, F.col('x'))).alias('lo%d' % p),
            F.max(F.when(F.col('rank') == F.least(low + 1, F.col('n') - 1), F.col('x'))).alias('hi%d' % p),
            F.max(position - low).alias('frac%d' % p),
        ]
    out = {}
    for row in ranked.groupBy('ds').agg(*aggregates).collect():
        d = out[row['ds']] = {'count': row['count'], 'mean': row['mean'], 'max': row['max']}
        for p in (50, 90, 99):
            lo, hi, frac = row['lo%d' % p], row['hi%d' % p], row['frac%d' % p]
            d['p%d' % p] = lo + (hi - lo) * frac
    return out


EMPTY = {'count': 0, 'mean': None, 'p50': None, 'p90': None, 'p99': None, 'max': None}


def live_session_messages(messages, sync_ms):
    """Per dataset, the messages in live sessions: maximal runs of timed
    messages in one conversation, by (timestamp, read order), every gap at
    most T_sync, with at least 3 messages and 2 senders."""
    order = Window.partitionBy('conv').orderBy('ts', 'seq')
    starts = F.when(F.col('ts') - F.lag('ts').over(order) <= sync_ms, 0).otherwise(1)
    runs = (messages.filter('ts IS NOT NULL').select('ds', 'conv', 'ts', 'seq', 'sender')
            .withColumn('session', F.sum(starts).over(order))
            .groupBy('ds', 'conv', 'session')
            .agg(F.count('*').alias('n'), F.countDistinct('sender').alias('senders')))
    return dict(runs.filter('n >= 3 AND senders >= 2').groupBy('ds').agg(F.sum('n')).collect())


def first_response_times(messages, pairs_):
    """Per conversation: from its earliest timed message F to the earliest
    response by someone other than F's sender; none when F is automated."""
    first = Window.partitionBy('conv').orderBy('ts', 'seq')
    openers = (messages.filter('ts IS NOT NULL')
               .withColumn('k', F.row_number().over(first)).filter('k = 1')
               .select('conv', F.col('ts').alias('f_ts'), F.col('sender').alias('f_sender'),
                       F.col('automated').alias('f_automated')))
    return (pairs_.filter(F.col('class') == RESPONSE).select('ds', 'conv', 'sender', 'ts')
            .join(openers, 'conv')
            .filter((F.col('sender') != F.col('f_sender')) & ~F.col('f_automated'))
            .groupBy('ds', 'conv').agg(((F.min('ts') - F.min('f_ts')) / 1000.0).alias('s')))


def ratio(numerator, denominator):
    return numerator / denominator if denominator else None


def summarize(spark, datasets, sync_threshold_s=300.0):
    """The summary.json figures of each dataset (folders), as dicts."""
    rows, manifests = read_rows(spark, datasets)
    rows = mark_duplicates(rows).localCheckpoint()
    # Calls and meetings neither answer nor are answered.
    messages = rows.filter("NOT duplicate AND kind != 'event'")
    messages = parents(conversations(messages)).localCheckpoint()
    pairs_ = pairs(messages).localCheckpoint()

    def count(condition):
        return F.sum(F.when(condition, 1).otherwise(0))

    def by_ds(frame, *aggregates):
        return {row['ds']: row for row in frame.groupBy('ds').agg(*aggregates).collect()}

    message = ~F.col('duplicate') & (F.col('kind') != 'event')
    counts = by_ds(rows, count(F.col('duplicate')).alias('duplicates'),
                   count(~F.col('duplicate')).alias('kept'),
                   count(message & F.col('ts').isNull()).alias('undated'),
                   count(message & F.col('ts').isNotNull()).alias('timed'))
    threads = by_ds(messages, F.countDistinct('conv').alias('threads'))
    classes = by_ds(pairs_, *[count(F.col('class') == c).alias(str(c)) for c in range(1, 6)],
                    count(F.col('rt') <= sync_threshold_s).alias('sync'))
    response_times = distributions(pairs_, 'rt')
    live = live_session_messages(messages, round(sync_threshold_s * 1000))
    first = distributions(first_response_times(messages, pairs_), 's')
    return [summary(manifests[ds], counts.get(ds), threads.get(ds), classes.get(ds),
                    response_times.get(ds, EMPTY), first.get(ds, EMPTY), live.get(ds, 0), sync_threshold_s)
            for ds in range(len(datasets))]


def summary(manifests, counts, threads, classes, response_times, first, live, sync_threshold_s):
    """One dataset's figures, keyed as in commlens's summary.json."""
    def figure(row, key):
        return (row[key] or 0) if row else 0

    skipped = {}
    for m in manifests:
        for s in m['skipped']:
            skipped[s['reason']] = skipped.get(s['reason'], 0) + 1
    timed, sync = figure(counts, 'timed'), figure(classes, 'sync')
    pairs_of = {c: figure(classes, str(c)) for c in range(1, 6)}
    return {
        'messages_read': sum(m['messages_read'] for m in manifests),
        # Copies within one input were dropped as commlens read them: its
        # manifest counts them; the rest are duplicate rows.
        'duplicates': figure(counts, 'duplicates') + sum(m.get('duplicates', 0) for m in manifests),
        'excluded': sum(sum(m['excluded'].values()) for m in manifests),
        'skipped': skipped,
        'messages': figure(counts, 'kept'),
        'undated': figure(counts, 'undated'),
        'timed_messages': timed,
        'threads': figure(threads, 'threads'),
        'responses': pairs_of[RESPONSE],
        'follow_ups': pairs_of[FOLLOW_UP],
        'clock_skew': pairs_of[CLOCK_SKEW],
        'response_time_s': response_times,
        'first_response_time_s': first,
        'sync_responses': sync,
        'response_sync_ratio': ratio(sync, response_times['count']),
        'live_session_messages': live,
        'sync_message_share': ratio(live, timed),
        'data_quality': {
            'clock_skew': pairs_of[CLOCK_SKEW],
            'undated_pairs': pairs_of[UNCLASSIFIED],
            'automated_pairs': pairs_of[AUTOMATED],
        },
        'settings': {'sync_threshold_s': sync_threshold_s, 'subject_window_days': SUBJECT_WINDOW_MS // 86_400_000},
    }


def ingest(spark, commlens, inputs, dataset):
    """Runs `commlens ingest INPUT --to DATASET` for each input, one Spark
    task each. Returns a line per input that was skipped in whole or in
    part; fails when a run could not write its files."""
    def run(path):
        import subprocess
        proc = subprocess.run([commlens, 'ingest', path, '--to', dataset, '-q'],
                              capture_output=True, text=True)
        return path, proc.returncode, proc.stderr.strip()

    problems = []
    for path, code, stderr in spark.sparkContext.parallelize(inputs, len(inputs)).map(run).collect():
        if code not in (0, 1):  # 1: written, but some input skipped
            raise SystemExit('commlens ingest %s: exit %d: %s' % (path, code, stderr))
        problems += stderr.splitlines()
    return problems


def session(master=None, app='commlens-metrics', shuffle_partitions=None):
    """A Spark session; `shuffle_partitions` replaces Spark's 200, which
    only a cluster needs."""
    builder = SparkSession.builder.appName(app).config('spark.ui.showConsoleProgress', 'false')
    if master:
        builder = builder.master(master)
    if shuffle_partitions:
        builder = builder.config('spark.sql.shuffle.partitions', str(shuffle_partitions))
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel('WARN')
    return spark


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--master', help='Spark master URL, e.g. local[2] or spark://host:7077 '
                                     '(default: what spark-submit says)')
    ap.add_argument('--sync-threshold', type=float, default=300.0, metavar='SECONDS',
                    help='responses at most this fast are synchronous (default 300)')
    ap.add_argument('--ingest', action='append', default=[], metavar='INPUT',
                    help='first run commlens ingest on this input, on an executor (repeatable)')
    ap.add_argument('--commlens', default='commlens', metavar='PATH',
                    help='the commlens binary on every worker, for --ingest (default: on PATH)')
    ap.add_argument('dataset', help='a folder written by commlens ingest')
    ap.add_argument('outdir', help='where summary.json goes (on the driver)')
    a = ap.parse_args(argv)
    local = (a.master or '').startswith('local')
    spark = session(a.master, shuffle_partitions=8 if local else None)
    try:
        if a.ingest:
            for line in ingest(spark, a.commlens, a.ingest, a.dataset):
                print(line, file=sys.stderr)
        [figures] = summarize(spark, [a.dataset], a.sync_threshold)
    finally:
        spark.stop()
    os.makedirs(a.outdir, exist_ok=True)
    path = os.path.join(a.outdir, 'summary.json')
    with open(path + '.tmp', 'w', encoding='utf-8') as f:
        json.dump(figures, f, indent=2, sort_keys=True)
        f.write('\n')
    os.replace(path + '.tmp', path)
    print('wrote %s' % path)
    return 0


if __name__ == '__main__':
    sys.exit(main())
