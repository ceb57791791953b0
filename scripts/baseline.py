#!/usr/bin/env python3
"""What a user would write instead of commlens: the core mail figures of
METRICS.md with Python's standard library only (`mailbox`, `email`).

usage: python3 scripts/baseline.py [--sync-threshold 300] MBOX [MBOX ...]

Prints a JSON summary with the top-level keys of commlens's summary.json
that need no threading: messages_read, duplicates, excluded, messages,
undated, responses, follow_ups, clock_skew, response_time_s (count, mean,
p50, p90, p99, max in seconds), sync_responses, response_sync_ratio.

It is the baseline of scripts/bench.py, so it is written to be reasonably
fast, the way a competent Python programmer would: `mailbox.mbox` finds the
messages, and only each message's header block is handed to
`email.parser.BytesHeaderParser` (bodies are never parsed). The rules follow
METRICS.md sections 1-4; where the standard library's lenient date parser
disagrees with section 1 it is helped along in two lines (comments, 3-digit
years), nothing more. Plain (not gzipped) mbox files only: `mailbox` cannot
read gzip.
"""

import argparse
import email.parser
import email.utils
import json
import mailbox
import math
import re
import sys
from datetime import datetime, timezone

MSG_ID = re.compile(r'<([^<>]*)>')        # METRICS.md: only <...> tokens are msg-ids
COMMENT = re.compile(r'\([^()]*\)')       # (comments) in Date, e.g. "(CET)", "(week 10)"
LO = datetime(1970, 1, 1, tzinfo=timezone.utc).timestamp()
HI = datetime(2100, 1, 1, tzinfo=timezone.utc).timestamp()


def parse_date(value):
    """Lenient RFC 5322 date -> Unix seconds, or None if unparsable or implausible."""
    if not value:
        return None
    value = COMMENT.sub(' ', str(value))
    try:
        dt = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if 100 <= dt.year < 1000:  # 3-digit year: +1900 (RFC 5322 4.3); the stdlib leaves it
        try:
            dt = dt.replace(year=dt.year + 1900)
        except ValueError:  # 29 February
            return None
    if dt.tzinfo is None:  # no zone, or an unknown zone name: UTC
        dt = dt.replace(tzinfo=timezone.utc)
    ts = dt.timestamp()
    return ts if LO <= ts < HI else None


def message_time(head, from_line):
    """Date header, else the top-most Received with a plausible date, else the From_ line."""
    ts = parse_date(head['Date'])
    if ts is not None:
        return ts
    for received in head.get_all('Received') or ():
        ts = parse_date(str(received).rpartition(';')[2])
        if ts is not None:
            return ts
    # 'From sender Mon Mar  4 08:00:00 2024': the date is everything after the sender
    parts = from_line.split(None, 2)
    if len(parts) == 3:
        return parse_date(parts[2])
    return None


def is_automated(head, sender):
    auto = head['Auto-Submitted']
    if auto is not None and str(auto).strip().lower() != 'no':
        return True
    precedence = str(head['Precedence'] or '').strip().lower()
    if precedence in ('bulk', 'junk') and head['List-Id'] is None:
        return True
    if str(head['X-Autoreply'] or '').strip() or str(head['X-Autorespond'] or '').strip():
        return True
    local = sender.rpartition('@')[0] if '@' in sender else sender
    local = local.replace('-', '').replace('_', '').replace('.', '')
    return local.startswith(('noreply', 'donotreply')) or local == 'mailerdaemon'


def percentile(sorted_values, q):
    """numpy's default: linear interpolation between closest ranks."""
    pos = (len(sorted_values) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def read(paths):
    """-> (records, counts): one (id, parent, sender, time, automated) per kept message."""
    parser = email.parser.BytesHeaderParser()
    records = []
    seen = set()
    counts = {'messages_read': 0, 'duplicates': 0, 'excluded': 0, 'undated': 0}
    for path in paths:
        box = mailbox.mbox(path, create=False)  # scans the file once for 'From ' lines
        for key in box.iterkeys():
            raw = box.get_bytes(key, from_=True)
            counts['messages_read'] += 1
            # The header block ends at the first empty line (LF or CRLF).
            from_line, _, rest = raw.partition(b'\n')
            end = rest.find(b'\n\n')
            end_crlf = rest.find(b'\n\r\n')
            if end_crlf != -1 and (end == -1 or end_crlf < end):
                end = end_crlf
            head = parser.parsebytes(rest if end == -1 else rest[:end + 1])

            labels = head['X-Gmail-Labels']
            if labels is not None:
                names = {x.strip().lower() for x in str(labels).split(',')}
                if 'spam' in names or 'trash' in names:
                    counts['excluded'] += 1
                    continue
            ids = MSG_ID.findall(str(head['Message-ID'] or ''))
            mid = ids[0] if ids else None
            if mid is not None:
                if mid in seen:
                    counts['duplicates'] += 1
                    continue
                seen.add(mid)
            parents = MSG_ID.findall(str(head['In-Reply-To'] or ''))
            parent = parents[0] if parents else None
            if parent is None:
                refs = MSG_ID.findall(str(head['References'] or ''))
                parent = refs[-1] if refs else None
            if parent == mid:
                parent = None
            # The first address that is one: Outlook writes `Last, First
            # <addr>` unquoted, whose "Last" is no address.
            addrs = [a for _, a in email.utils.getaddresses([str(head['From'] or '')])]
            sender = next((a for a in addrs if '@' in a), addrs[0] if addrs else '').strip().lower()
            ts = message_time(head, from_line.decode('latin-1').rstrip('\r'))
            if ts is None:
                counts['undated'] += 1
            records.append((mid, parent, sender, ts, is_automated(head, sender)))
        box.close()
    return records, counts


def summarize(records, counts, t_sync):
    by_id = {r[0]: r for r in records if r[0] is not None}
    follow_ups = clock_skew = 0
    times = []
    for mid, parent, sender, ts, automated in records:
        p = by_id.get(parent) if parent is not None else None
        if p is None:
            continue
        if sender == p[2]:
            follow_ups += 1
        elif ts is None or p[3] is None:
            pass
        elif ts < p[3]:
            clock_skew += 1
        elif not (automated or p[4]):
            times.append(ts - p[3])
    times.sort()
    sync = sum(1 for t in times if t <= t_sync)
    stats = {'count': len(times), 'mean': None, 'p50': None, 'p90': None, 'p99': None, 'max': None}
    if times:
        stats.update(mean=sum(times) / len(times), p50=percentile(times, 0.5),
                     p90=percentile(times, 0.9), p99=percentile(times, 0.99), max=times[-1])
    return dict(counts, messages=len(records), responses=len(times), follow_ups=follow_ups,
                clock_skew=clock_skew, response_time_s=stats, sync_responses=sync,
                response_sync_ratio=sync / len(times) if times else None)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('mbox', nargs='+')
    ap.add_argument('--sync-threshold', type=float, default=300, metavar='SECONDS')
    args = ap.parse_args()
    records, counts = read(args.mbox)
    json.dump(summarize(records, counts, args.sync_threshold), sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == '__main__':
    main()
