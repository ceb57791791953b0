#!/usr/bin/env python3
"""gen_mbox.py - seeded, streaming generator of realistic mbox (mboxrd) files.

Test data for commlens: response times, threads, sync/async communication.
Python 3.11 standard library only.

    python3 scripts/gen_mbox.py OUT [--seed 7] (--messages N | --size 1G)
                                [--gzip] [--takeout] [--people 40]
                                [--quirks | --no-quirks] [--body-scale 1.0]
                                [--arc-hops N]
                                [--stats FILE.json]
    python3 scripts/gen_mbox.py --verify FILE.mbox [--expect N]

OUT '-' writes to stdout.  --gzip (or OUT ending in .gz) writes gzip
(deterministic: one gzip member, no file name, mtime 0, level 1 for speed).  --size takes K/M/G (binary, 1024)
and counts uncompressed bytes; generation stops at the first message boundary
at or after it.  Same arguments -> same bytes.  A one-line summary goes to
stderr; --stats writes the generator's bookkeeping (message kinds, quirks,
threads, ...) as JSON.

The mailbox belongs to person 0 ("Alex Morgan <alex.morgan@example.org>"):
every message was sent by, or delivered to, that person.  Time starts on
Mon 2024-03-04 08:00 UTC and only walks forward (messages are written in
sending order, except duplicates, which are copies written again later).

Body text is escaped mboxrd-style: a line matching ^>*From  gets one more '>'.

Quirks (on by default, --no-quirks turns them off), each at a small rate
(0.5-2.5 %, see QUIRK_RATES; drawn stratified in blocks of 200 messages, so
every quirk shows up even in a small sample):
RFC 2047 encoded subjects / display names; broken Date headers (missing
seconds, 2- and 3-digit years, no zone, comments, zone names, odd spacing or
weekday, Date missing, garbage Date, and fully undated messages); exact
duplicates; missing Message-ID; CRLF messages; a raw latin-1 byte in a header;
clock-skewed replies; mixed-case addresses; odd Message-ID/In-Reply-To forms;
'addr (Name)' From headers.  Every broken-but-parsable Date is written so that
the METRICS.md section 1 lenient reading gives the true instant (missing
seconds aside).  Replies that lost In-Reply-To/References (joined by subject
only) are part of normal content and appear with quirks off too.
"""

from __future__ import annotations

import argparse
import base64
import calendar
import datetime as _dt
import gzip
import heapq
import json
import re
import sys
import textwrap
import time
import unicodedata
from random import Random

START_TS = 1709539200  # Mon 2024-03-04 08:00:00 UTC
WDAY = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WDAY_LONG = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WDAY_DE = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")
MONTH = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTH_LONG = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")
_gmtime = time.gmtime

# ----------------------------------------------------------------------------
# time zones (fixed tables, EU and US daylight saving rules)


class Zone:
    __slots__ = ("name", "std", "dst", "std_abbr", "dst_abbr", "rule", "_cache")

    def __init__(self, name, std, dst, std_abbr, dst_abbr, rule):
        self.name, self.std, self.dst = name, std, dst
        self.std_abbr, self.dst_abbr, self.rule = std_abbr, dst_abbr, rule
        self._cache = {}

    def _bounds(self, y):
        b = self._cache.get(y)
        if b is None:
            if self.rule == "eu":
                s = _last_sunday(y, 3)
                e = _last_sunday(y, 10)
                b = (_day_ts(s) + 3600, _day_ts(e) + 3600)
            else:  # us
                s = _nth_sunday(y, 3, 2)
                e = _nth_sunday(y, 11, 1)
                b = (_day_ts(s) + 7200 - self.std * 60, _day_ts(e) + 7200 - self.dst * 60)
            self._cache[y] = b
        return b

    def offset(self, ts):
        """(offset minutes east of UTC, abbreviation) at instant ts."""
        if self.rule is None:
            return self.std, self.std_abbr
        b = self._bounds(_gmtime(ts).tm_year)
        if b[0] <= ts < b[1]:
            return self.dst, self.dst_abbr
        return self.std, self.std_abbr


def _day_ts(d):
    return calendar.timegm((d.year, d.month, d.day, 0, 0, 0))


def _last_sunday(y, m):
    d = _dt.date(y, m, calendar.monthrange(y, m)[1])
    return d - _dt.timedelta(days=(d.weekday() - 6) % 7)


def _nth_sunday(y, m, n):
    d = _dt.date(y, m, 1)
    return d + _dt.timedelta(days=(6 - d.weekday()) % 7 + 7 * (n - 1))


Z_BERLIN = Zone("Europe/Berlin", 60, 120, "CET", "CEST", "eu")
Z_LONDON = Zone("Europe/London", 0, 60, "GMT", "BST", "eu")
Z_NY = Zone("America/New_York", -300, -240, "EST", "EDT", "us")
Z_LA = Zone("America/Los_Angeles", -480, -420, "PST", "PDT", "us")
Z_KOLKATA = Zone("Asia/Kolkata", 330, 330, "IST", "IST", None)
Z_TOKYO = Zone("Asia/Tokyo", 540, 540, "JST", "JST", None)
Z_SHANGHAI = Zone("Asia/Shanghai", 480, 480, "CST", "CST", None)
Z_SAOPAULO = Zone("America/Sao_Paulo", -180, -180, "-03", "-03", None)
Z_ISTANBUL = Zone("Europe/Istanbul", 180, 180, "+03", "+03", None)
Z_UTC = Zone("UTC", 0, 0, "UTC", "UTC", None)
ZONES = {"BER": Z_BERLIN, "LON": Z_LONDON, "NY": Z_NY, "LA": Z_LA, "KOL": Z_KOLKATA,
         "TYO": Z_TOKYO, "SHA": Z_SHANGHAI, "SAO": Z_SAOPAULO, "IST": Z_ISTANBUL, "UTC": Z_UTC}


def _off_str(off):
    sign = "+" if off >= 0 else "-"
    o = abs(off)
    return f"{sign}{o // 60:02d}{o % 60:02d}"


_DAY_CACHE = {}
_OFF_CACHE = {}
_HMS = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400)]


def _day_prefix(day, style):
    """'Mon, 4 Mar 2024 ' (style 0), 'Mon, 04 Mar 2024 ' (1), ('Mon Mar  4 ', 2024) (2)."""
    key = (day, style)
    v = _DAY_CACHE.get(key)
    if v is None:
        tm = _gmtime(day * 86400)
        if style == 2:
            v = (f"{WDAY[tm.tm_wday]} {MONTH[tm.tm_mon - 1]} {tm.tm_mday:2d} ", tm.tm_year)
        else:
            d = f"{tm.tm_mday:02d}" if style else str(tm.tm_mday)
            v = f"{WDAY[tm.tm_wday]}, {d} {MONTH[tm.tm_mon - 1]} {tm.tm_year} "
        _DAY_CACHE[key] = v
    return v


def rfc_date(ts, off, pad=False, comment=None):
    lt = ts + off * 60
    day = lt // 86400
    o = _OFF_CACHE.get(off)
    if o is None:
        o = _OFF_CACHE[off] = _off_str(off)
    s = f"{_day_prefix(day, 1 if pad else 0)}{_HMS[lt - day * 86400]} {o}"
    if comment:
        s += f" ({comment})"
    return s


def asctime(ts):
    """('Mon Mar  4 08:00:00', 2024): mbox From_ line date parts (UTC)."""
    day = ts // 86400
    pre, year = _day_prefix(day, 2)
    return pre + _HMS[ts - day * 86400], year


# ----------------------------------------------------------------------------
# RFC 2047

_Q_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")


def _q_bytes(b):
    out = []
    for c in b:
        if c in _Q_SAFE:
            out.append(chr(c))
        elif c == 32:
            out.append("_")
        else:
            out.append(f"={c:02X}")
    return "".join(out)


def encode_words(s, charset="UTF-8", mode="B"):
    """Encode s as a list of encoded-words of at most 75 characters each,
    never splitting a character."""
    words, cur = [], ""
    pre = f"=?{charset}?{mode}?"

    def enc(t):
        b = t.encode(charset)
        return pre + (base64.b64encode(b).decode() if mode == "B" else _q_bytes(b)) + "?="

    for ch in s:
        if cur and len(enc(cur + ch)) > 75:
            words.append(enc(cur))
            cur = ""
        cur += ch
    if cur:
        words.append(enc(cur))
    return words


def latin1_ok(s):
    try:
        s.encode("latin-1")
        return True
    except UnicodeEncodeError:
        return False


def encode_phrase(s, rng):
    """Encode a display name / subject: whole, or only its non-ASCII runs."""
    cs = "ISO-8859-1" if latin1_ok(s) and rng.random() < 0.4 else "UTF-8"
    mode = "Q" if rng.random() < 0.5 else "B"
    if rng.random() < 0.5 and not s.isascii():
        # encode only the runs of non-ASCII words, keep ASCII words readable
        toks = s.split(" ")
        out, run = [], []
        for t in toks:
            if t.isascii():
                if run:
                    out.append(" ".join(encode_words(" ".join(run), cs, mode)))
                    run = []
                out.append(t)
            else:
                run.append(t)
        if run:
            out.append(" ".join(encode_words(" ".join(run), cs, mode)))
        return " ".join(out), cs, mode
    return "\n ".join(encode_words(s, cs, mode)), cs, mode


# ----------------------------------------------------------------------------
# cast

# (display name, local part, locale, zone, org)   org: int = internal
CAST = [
    ("Alex Morgan", "alex.morgan", "en", "BER", "int"),
    ("José Núñez", "jose.nunez", "es", "BER", "int"),
    ("Zoë Müller", "zoe.mueller", "de", "BER", "int"),
    ("Priya Raman", "priya.raman", "en", "KOL", "int"),
    ("François Lefèvre", "francois.lefevre", "fr", "BER", "partner"),
    ("Müller, Jürgen", "juergen.mueller", "de", "BER", "client"),
    ("Sam O'Brien", "sam.obrien", "en", "LON", "int"),
    ("Kenji Watanabe", "kenji.watanabe", "ja", "TYO", "partner"),
    ("Søren Østergaard", "soren.ostergaard", "da", "BER", "int"),
    ("Emily Carter", "emily.carter", "en", "NY", "partner"),
    ("Łukasz Wróbel", "lukasz.wrobel", "pl", "BER", "int"),
    ("Chen Jing 陈静", "jing.chen", "zh", "SHA", "client"),
    ("Björn Åkesson", "bjorn.akesson", "sv", "BER", "int"),
    ("Chloé Dubois", "chloe.dubois", "fr", "BER", "partner"),
    ("David Kim", "david.kim", "en", "LA", "client"),
    ("Ana María García", "anamaria.garcia", "es", "BER", "int"),
    ("Noah Williams", "noah.williams", "en", "NY", "int"),
    ("Siobhán Kelly", "siobhan.kelly", "en", "LON", "partner"),
    ("Ahmed Hassan", "ahmed.hassan", "en", "BER", "int"),
    ("Weiß, Katrin", "katrin.weiss", "de", "BER", "client"),
    ("Olivia Brown", "olivia.brown", "en", "LON", "int"),
    ("Mateus Conceição", "mateus.conceicao", "pt", "SAO", "partner"),
    ("Hannah Schmidt", "hannah.schmidt", "de", "BER", "int"),
    ("Ravi Patel", "ravi.patel", "en", "KOL", "partner"),
    ("Lucía Fernández", "lucia.fernandez", "es", "BER", "client"),
    ("Tom Becker", "tom.becker", "de", "BER", "int"),
    ("Yuki Tanaka", "yuki.tanaka", "ja", "TYO", "int"),
    ("Ingrid Nøkleby", "ingrid.nokleby", "no", "BER", "partner"),
    ("Michael Johnson", "mike.johnson", "en", "LA", "int"),
    ("Agnieszka Wójcik", "agnieszka.wojcik", "pl", "BER", "int"),
    ("Pierre-Étienne Roux", "pe.roux", "fr", "BER", "client"),
    ("Sarah Cohen", "sarah.cohen", "en", "NY", "int"),
    ("Дмитрий Иванов", "dmitri.ivanov", "ru", "IST", "partner"),
    ("Grace Liu", "grace.liu", "en", "LA", "int"),
    ("Ömer Yılmaz", "omer.yilmaz", "tr", "IST", "client"),
    ("Laura Bianchi", "laura.bianchi", "it", "BER", "int"),
    ("Nikolaj Hansen", "nikolaj.hansen", "da", "BER", "int"),
    ("Fatima Zahra", "fatima.zahra", "fr", "BER", "partner"),
    ("Ben Taylor", "ben.taylor", "en", "LON", "int"),
    ("Marta Kowalczyk", "marta.kowalczyk", "pl", "BER", "int"),
]
EXTRA_FIRST = ["Anna", "Lars", "Inès", "Paul", "Mia", "Jonas", "Elif", "Omar", "Julia", "Felix",
               "Léa", "Max", "Sofia", "Luca", "Nora", "Erik", "Aiko", "Raúl", "Greta", "Tariq"]
EXTRA_LAST = ["Novak", "Schäfer", "Dupont", "Jensen", "Rossi", "Kaya", "Berg", "Silva", "Meyer",
              "Costa", "Horváth", "Lindqvist", "Moreau", "Wagner", "Ortiz", "Sato", "Nowak"]
EXTRA_ZONES = ["BER", "BER", "BER", "LON", "NY", "LA", "KOL", "TYO", "SAO"]
ORGS = {"int": "example.org", "partner": "partner.example.com", "client": "client.example.net"}
ORG_NAMES = {"int": "Example Org", "partner": "Partner & Co.", "client": "Client Corp"}
TEAMS = ["Platform", "Data", "Design", "Operations", "Sales"]
TITLES = ["Software Engineer", "Product Manager", "Data Scientist", "Engineering Manager",
          "Designer", "Account Manager", "SRE", "Head of Operations", "Consultant", "CTO"]

CLIENT_WEIGHTS = {
    "de": (("outlook", 45), ("tb", 25), ("gmail", 15), ("apple", 10), ("mutt", 5)),
    "en": (("gmail", 40), ("outlook", 30), ("apple", 20), ("tb", 5), ("mutt", 5)),
    "other": (("outlook", 40), ("gmail", 30), ("apple", 20), ("tb", 10)),
}
REPLY_PREFIX_OUTLOOK = {"de": "AW: ", "fr": "RE : ", "sv": "SV: ", "da": "SV: ", "no": "SV: "}
FWD_PREFIX_OUTLOOK = {"de": "WG: ", "fr": "TR : "}

_ASCII_FOLD = str.maketrans({"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "ß": "ss", "ı": "i",
                             "æ": "ae", "Æ": "AE", "đ": "d"})


def ascii_fold(s):
    s = s.translate(_ASCII_FOLD)
    s = unicodedata.normalize("NFKD", s)
    return "".join(c for c in s if c.isascii() and not unicodedata.combining(c))


class Person:
    __slots__ = ("idx", "name", "first", "local", "domain", "addr", "locale", "zone", "org",
                 "client", "pad", "sig", "ua", "mobile", "from_plain", "name_q",
                 "reply_prefix", "fwd_prefix", "team", "title", "us")


def _needs_quote(name):
    return any(c in name for c in ',.()<>@;:\\"[]')


def build_cast(n, rng):
    people = []
    used = set()
    for i in range(n):
        if i < len(CAST):
            name, local, locale, zkey, org = CAST[i]
        else:
            f = EXTRA_FIRST[int(rng.random() * len(EXTRA_FIRST))]
            last = EXTRA_LAST[int(rng.random() * len(EXTRA_LAST))]
            name = f"{f} {last}"
            local = ascii_fold(f"{f}.{last}").lower().replace(" ", "")
            locale = "de" if last in ("Schäfer", "Meyer", "Wagner") else "en"
            zkey = EXTRA_ZONES[int(rng.random() * len(EXTRA_ZONES))]
            org = ("int", "int", "partner", "client")[int(rng.random() * 4)]
        base = local
        k = 2
        while local in used:
            local = f"{base}{k}"
            k += 1
        used.add(local)
        p = Person()
        p.idx, p.name, p.local, p.locale, p.org = i, name, local, locale, org
        p.zone = ZONES[zkey]
        p.us = zkey in ("NY", "LA")
        if "," in name:
            p.first = name.split(",", 1)[1].strip()
        else:
            p.first = name.split(" ")[0]
        p.domain = ORGS[org]
        p.addr = f"{local}@{p.domain}"
        if i == 0:
            p.client = "gmail"
        else:
            w = CLIENT_WEIGHTS.get(locale, CLIENT_WEIGHTS["other"] if locale != "en" else None)
            if w is None:
                w = CLIENT_WEIGHTS["en"]
            tot = sum(x[1] for x in w)
            r = rng.random() * tot
            for c, wt in w:
                r -= wt
                if r < 0:
                    p.client = c
                    break
            else:
                p.client = w[-1][0]
        p.pad = p.client == "outlook" or rng.random() < 0.2
        p.team = TEAMS[int(rng.random() * len(TEAMS))]
        p.title = TITLES[int(rng.random() * len(TITLES))]
        p.mobile = p.client == "apple" and rng.random() < 0.5
        qn = f'"{name}"' if _needs_quote(name) or p.client in ("outlook", "tb") else name
        p.from_plain = f"{qn} <{p.addr}>"
        p.name_q = qn
        if p.client == "outlook":
            p.reply_prefix = REPLY_PREFIX_OUTLOOK.get(locale, "RE: ")
            p.fwd_prefix = FWD_PREFIX_OUTLOOK.get(locale, "FW: ")
        else:
            p.reply_prefix = "Re: "
            p.fwd_prefix = "Fwd: " if p.client in ("gmail", "apple") else "Fwd: "
        p.ua = {
            "outlook": ["X-Mailer: Microsoft Outlook 16.0"] if rng.random() < 0.3 else [],
            "tb": ["User-Agent: Mozilla Thunderbird"] if rng.random() < 0.5 else
                  ["User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101\n"
                   " Thunderbird/115.8.0"],
            "apple": ["X-Mailer: iPhone Mail (21D61)"] if p.mobile else
                     ["X-Mailer: Apple Mail (2.3774.400.31)"],
            "mutt": ["User-Agent: Mutt/2.2.12 (2023-09-09)"] if rng.random() < 0.5 else
                    ["User-Agent: NeoMutt/20231103"],
            "gmail": [],
        }[p.client]
        if p.mobile:
            p.sig = "Von meinem iPhone gesendet" if locale == "de" else "Sent from my iPhone"
        else:
            org_name = ORG_NAMES[org]
            phone = f"+{(1 + int(rng.random() * 98))} {(100 + int(rng.random() * 899))} {(1000000 + int(rng.random() * 8999999))}"
            sig = f"-- \n{name}\n{p.title}, {p.team if org == 'int' else org_name}\n{phone}"
            if org == "int":
                sig += "\nhttps://www.example.org"
            p.sig = sig
        people.append(p)
    return people


# ----------------------------------------------------------------------------
# text pools

_ESC_RE = re.compile(r"^(>*From )", re.M)


def mboxrd_escape(text):
    return _ESC_RE.subn(r">\1", text)


SUBJS = ["I", "We", "The team", "Our client", "The vendor", "Marketing", "Ops", "The new build",
         "Legal", "Finance", "QA", "The night shift", "Support", "Nobody", "The contractor"]
VERBS = ["checked", "reviewed", "updated", "moved", "postponed", "merged", "rolled back",
         "double-checked", "signed off on", "looked into", "benchmarked", "re-ran", "documented",
         "escalated", "split up", "estimated", "cleaned up", "archived", "priced", "tested"]
OBJS = ["the ingestion pipeline", "the Q2 forecast", "the contract draft", "the staging cluster",
        "the onboarding doc", "the invoice from last month", "the API rate limits",
        "the retention policy", "the dashboard", "the release notes", "the migration script",
        "the budget sheet", "the customer escalation", "the design mock-ups", "the on-call rota",
        "the Ångström importer", "the data export", "the SLA report", "the hiring plan",
        "the security audit findings", "the backlog", "the offsite agenda", "the DNS change"]
TAILS = ["yesterday", "this morning", "before the offsite", "after the sync", "last week",
         "on Friday", "over the weekend", "during the incident", "as discussed",
         "for the next sprint", "ahead of the deadline", "with the Munich office",
         "in the shared drive", "twice", "again", "without much luck", "in about an hour"]
EXTRA_SENTENCES = [
    "Let me know if that works for you.", "Happy to jump on a call if that is easier.",
    "I have attached the latest version.", "Numbers are in the shared sheet.",
    "Not sure this is the right approach, but it unblocks us for now.",
    "Can we make a decision by Thursday?", "Thanks again for the quick turnaround.",
    "The café downstairs has better Wi-Fi, by the way.", "The naïve approach was 3× slower.",
    "Costs are around 1.200 € per month.", "Größe und Gewicht sind noch offen.",
    "We can revisit this après the launch.",
    "See https://wiki.example.org/display/ENG/Runbook for the details.",
    "I will be out on Monday, so please loop in Tom.", "That was a déjà vu moment for me.",
    "Please keep this internal for now.", "Any objections?",
    "The ticket is ENG-4821 if you want to follow along.",
    "I think we are mostly aligned, apart from the timeline.",
]
FROM_STARTS = ["From what I saw in the logs,", "From my side,", "From Monday on,",
               "From the numbers,", "From a cost perspective,", "From experience,",
               "From next week,", "From the customer call:"]
SHORT_LINES = [
    "Thanks!", "Sounds good.", "Yes, works for me.", "On it.", "Done, see the updated sheet.",
    "Can you call me?", "Give me 5 minutes.", "Agreed.", "+1", "Perfect, thanks a lot!",
    "Hmm, not sure. Let me check.", "Just pushed the fix.", "Which one do you mean?",
    "Ok, merging now.", "Danke!", "Merci !", "From my phone, so short: yes.",
    "From 10:00 to 11:30 works.", "Let's do 3pm.", "Lunch at the café?", "Back in 10.",
    "Yes - the second option.", "Looks good to me, ship it.", "Still failing on my side.",
    "Restarted it, try again?", "Nope, same error.", "Got it, thanks.",
]
FOLLOWUP_LINES = [
    "Any update on this?", "Forgot to mention: the deadline moved to Friday.",
    "Ping - did you get a chance to look at this?", "Correction: I meant the March numbers.",
    "Sorry, forgot the attachment.", "Adding one more point below.",
    "Friendly reminder, we need this before the board meeting.",
]
LOG_LEVELS = ["INFO", "WARN", "ERROR", "DEBUG"]


def _sentence(rng):
    r = rng.random()
    if r < 0.25:
        return EXTRA_SENTENCES[int(rng.random() * len(EXTRA_SENTENCES))]
    s = (f"{SUBJS[int(rng.random() * len(SUBJS))]} {VERBS[int(rng.random() * len(VERBS))]} "
         f"{OBJS[int(rng.random() * len(OBJS))]} {TAILS[int(rng.random() * len(TAILS))]}.")
    return s


def build_paragraphs(rng, n=2400):
    """Logical (unescaped) paragraphs."""
    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.012:  # paragraph that starts with "From "
            first = FROM_STARTS[int(rng.random() * len(FROM_STARTS))] + " " + _sentence(rng).lower()
            sents = [first] + [_sentence(rng) for _ in range((0 + int(rng.random() * 4)))]
            out.append(textwrap.fill(" ".join(sents), 72, break_on_hyphens=False))
        elif r < 0.016:  # pasted text that already has a >From line
            out.append(">From the release notes of v" + f"{(1 + int(rng.random() * 8))}.{int(rng.random() * 20)}:\n"
                       + textwrap.fill(_sentence(rng) + " " + _sentence(rng), 72))
        elif r < 0.10:  # log excerpt
            lines = []
            for _ in range((3 + int(rng.random() * 9))):
                lines.append(f"2024-03-{(1 + int(rng.random() * 28)):02d}T{int(rng.random() * 24):02d}:"
                             f"{int(rng.random() * 60):02d}:{int(rng.random() * 60):02d}Z "
                             f"{LOG_LEVELS[int(rng.random() * 4)]} [worker-{int(rng.random() * 8)}] "
                             f"{OBJS[int(rng.random() * len(OBJS))].split(' ', 1)[1]}: "
                             f"{VERBS[int(rng.random() * len(VERBS))]} in {(1 + int(rng.random() * 4999))} ms")
            out.append("\n".join(lines))
        elif r < 0.15:  # list
            lines = ["Open points:" if rng.random() < 0.5 else "Next steps:"]
            for k in range((2 + int(rng.random() * 5))):
                lines.append(f"  {k + 1}. {_sentence(rng)}")
            out.append("\n".join(lines))
        else:
            sents = []
            for _ in range((1 + int(rng.random() * 7))):
                if rng.random() < 0.01:
                    # a sentence that starts with "From" mid-paragraph: wrapping
                    # sometimes puts it at the start of a line
                    sents.append(FROM_STARTS[int(rng.random() * len(FROM_STARTS))] + " "
                                 + _sentence(rng).lower())
                else:
                    sents.append(_sentence(rng))
            out.append(textwrap.fill(" ".join(sents), 72, break_on_hyphens=False))
    return out


class Pool:
    """Paragraphs in three renderings: escaped (own text), quoted ('> '),
    plus how many lines the escaping touched."""

    def __init__(self, rng):
        logical = build_paragraphs(rng)
        self.n_para = len(logical)
        logical += SHORT_LINES
        self.short0 = self.n_para
        self.n_short = len(SHORT_LINES)
        logical += FOLLOWUP_LINES
        self.follow0 = self.short0 + self.n_short
        self.n_follow = len(FOLLOWUP_LINES)
        self.esc, self.quoted, self.nesc, self.length = [], [], [], []
        for p in logical:
            e, k = mboxrd_escape(p)
            self.esc.append(e)
            self.nesc.append(k)
            self.length.append(len(e) + 2)
            self.quoted.append("\n".join("> " + ln if ln else ">" for ln in p.split("\n")))
        self.clean = [i for i in range(self.n_para) if self.nesc[i] == 0]
        # base64 attachment blob: 3600 full lines of 76 chars (+\n)
        raw = rng.randbytes(57 * 3600)
        self.blob = base64.encodebytes(raw)
        self.blob_lines = 3600
        self.tails = [base64.b64encode(rng.randbytes(k)) + b"\n" for k in range(1, 57)]
        self.dkim_b = [base64.b64encode(rng.randbytes(256)).decode() for _ in range(64)]
        self.bh = [base64.b64encode(rng.randbytes(32)).decode() for _ in range(64)]
        self.tokens = ["".join(rng.choice("0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz")
                               for _ in range(14)) for _ in range(2048)]
        html = []
        for _ in range(200):
            ps = [logical[self.clean[int(rng.random() * len(self.clean))]] for _ in range((4 + int(rng.random() * 10)))]
            html.append(ps)
        self.news_paras = html


ATTACH_TYPES = [
    ("application/pdf", "pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\n"),
    ("image/png", "png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x04\x00\x00\x00\x03\x00\x08\x06"),
    ("image/jpeg", "jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"),
    ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx",
     b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml"),
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx",
     b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00word/document.xml"),
    ("application/zip", "zip", b"PK\x03\x04\x14\x00\x00\x00\x08\x00logs/"),
]
ATTACH_HEADS = [base64.b64encode(h.ljust(57, b"\x00")[:57]) + b"\n" for _, _, h in ATTACH_TYPES]
ATTACH_NAMES = {
    "pdf": ["Q2-report", "contract_v3", "invoice-2024-031", "minutes", "Angebot_März", "offsite-agenda"],
    "png": ["screenshot", "Bildschirmfoto 2024-03-04 um 09.12.55", "dashboard", "diagram"],
    "jpg": ["IMG_4821", "whiteboard", "photo"],
    "xlsx": ["budget", "Übersicht_Kosten", "forecast-Q2", "headcount"],
    "docx": ["proposal", "Stellungnahme", "draft_résumé", "requirements"],
    "zip": ["logs", "export", "build-artifacts"],
}

SUBJECT_TEMPLATES = [
    "{proj}: {thing} update", "Question about {thing}", "{thing} for {proj}",
    "Re-scheduling our {meeting}", "Lunch on {day}?", "Draft: {doc} for {proj}",
    "Feedback on the {doc}", "Heads-up: {thing} {change}", "Kurze Frage zu {thing}",
    "Réunion {day} - {proj}", "Überprüfung {doc} ({proj})", "Café on {day}?",
    "{proj} {meeting} notes", "Invoice #{n}", "[{proj}] {thing} is {change}",
    "Can you review {doc} v{v}?", "Intro: {proj} x {org}", "{thing} - next steps",
    "Follow-up from the {meeting}", "Quick sync on {thing}?", "Urgent: {thing} {change}",
]
PROJECTS = ["Atlas", "Borealis", "Cygnus", "Nimbus", "Orion", "Kestrel", "Zephyr", "Meridian",
            "Ångström", "Quokka", "Helix", "Tundra"]
THINGS = ["ingestion pipeline", "Q2 roadmap", "onboarding checklist", "API rate limits",
          "staging outage", "contract renewal", "design review", "budget", "SLA report",
          "hiring plan", "data migration", "security audit", "pricing page", "on-call rota",
          "travel policy", "customer escalation"]
MEETINGS = ["1:1", "weekly sync", "design review", "retro", "planning", "offsite", "kick-off"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
DOCS = ["proposal", "spec", "SOW", "one-pager", "RFC", "slide deck", "Angebot", "budget sheet"]
CHANGES = ["delayed", "done", "blocked", "moved to April", "on hold", "approved", "broken again"]
OOO_SUBJECT = {"de": "Abwesenheitsnotiz: ", "fr": "Réponse automatique : ", "en": "Automatic reply: "}
OOO_TEXT = {
    "de": "Vielen Dank für Ihre Nachricht. Ich bin bis einschließlich {until} nicht im Büro\n"
          "und habe nur eingeschränkten Zugriff auf E-Mails. In dringenden Fällen wenden Sie\n"
          "sich bitte an {other}.\n",
    "fr": "Merci pour votre message. Je suis absent(e) jusqu'au {until} inclus.\n"
          "Pour toute urgence, merci de contacter {other}.\n",
    "en": "Thanks for your email. I am out of the office until {until} with limited\n"
          "access to email. For anything urgent please contact {other}.\n",
}


# ----------------------------------------------------------------------------
# generator


class Msg:
    __slots__ = ("mid", "sender", "t", "subject", "recipe", "to", "refs")


class Thread:
    __slots__ = ("tid", "kind", "people", "subject", "msgs", "left", "tempo", "thrid",
                 "lst", "next_sender", "index", "auto", "extra")


LISTS = {
    "team": dict(addr="team@lists.example.org", id="Team discussion <team.lists.example.org>",
                 tag="[team] ", prec="list", name="team"),
    "announce": dict(addr="announce@lists.example.org",
                     id="\"Company announcements\" <announce.lists.example.org>",
                     tag="[announce] ", prec="bulk", name="announce"),
}

EV_ARRIVAL, EV_THREAD, EV_ONESHOT = 0, 1, 2

DATE_PARSABLE = ("no_seconds", "year2", "year3", "no_zone", "comment", "zone_name", "odd_format")
DATE_FALLBACK = ("missing", "garbage")

# Quirk rates (share of generated messages).  They are drawn stratified: in
# every block of QUIRK_BLOCK generated messages each quirk is due exactly
# max(1, round(rate * QUIRK_BLOCK)) times, at random positions, and is applied
# to the next message that can carry it.  So even a 200-message sample has
# every quirk, and the long-run rate is the stated one.
QUIRK_BLOCK = 200
QUIRK_RATES = (
    ("date_parsable", 0.025),    # broken but parsable Date (kinds in DATE_PARSABLE, round-robin)
    ("date_fallback", 0.01),     # Date missing or garbage: Received gives the time
    ("undated", 0.005),          # no Date, Received without dates, From_ line without date
    ("encoded_subject", 0.02),   # RFC 2047 Subject
    ("encoded_name", 0.02),      # RFC 2047 display name in From
    ("addr_comment_form", 0.005),  # From: addr (Name)
    ("mixed_case_addr", 0.01),   # From: Name <Jose.Nunez@Example.org>
    ("no_message_id", 0.01),
    ("odd_message_id", 0.005),   # folded Message-ID, or a trailing comment
    ("irt_comment", 0.005),      # In-Reply-To: <id> (from x on ...)
    ("latin1_header", 0.005),    # raw ISO-8859-1 byte in From / Organization
    ("clock_skew", 0.01),        # reply whose Date is before its parent's
    ("crlf", 0.01),              # whole message (with its From_ line) in CRLF
    ("duplicate", 0.015),        # exact copy written again 10-200 messages later
    # content, not quirks (scheduled the same way, also with --no-quirks):
    ("ooo", 0.01),               # out-of-office auto-reply to a message the owner sent
    ("bounce", 0.005),           # MAILER-DAEMON bounce of a thread the owner started
)


class Decks:
    def __init__(self, rng):
        self.rng = rng
        self.pending = {k: 0 for k, _ in QUIRK_RATES}
        self.due = []
        self.pos = 0

    def tick(self):
        i = self.pos % QUIRK_BLOCK
        if i == 0:
            rng = self.rng
            self.due = [(k, frozenset(rng.sample(range(QUIRK_BLOCK), max(1, round(r * QUIRK_BLOCK)))))
                        for k, r in QUIRK_RATES]
        for k, pos in self.due:
            if i in pos:
                self.pending[k] += 1
        self.pos += 1

    def take(self, k):
        if self.pending[k]:
            self.pending[k] -= 1
            return True
        return False
GARBAGE_DATES = ["unknown", "(none)", "$DATE", "not available", "0000-00-00 00:00:00",
                 "Mon, 99 Foo 20x4 25:61:00 +9999", "Invalid Date", "tomorrow"]


class Gen:
    def __init__(self, seed, people, quirks, takeout, body_scale, arc_hops=None):
        self.rng = rng = Random(seed)
        self.arc_hops = arc_hops
        self.quirks = quirks
        self.takeout = takeout
        self.scale = body_scale
        self.people = build_cast(max(3, people), rng)
        self.owner = self.people[0]
        self.pool = Pool(rng)
        self.decks = Decks(rng)
        self.date_kinds = list(DATE_PARSABLE)
        rng.shuffle(self.date_kinds)
        self.date_i = 0
        self.fallback_i = 0
        self.events = []
        self.seq = 0
        self.tid = 0
        self.dup_heap = []
        self.written = 0
        self.stats = {}
        self.thread_ids_seen = 0
        n = len(self.people)
        self.threads_per_day = max(6.0, n * 0.9)
        self.internal = [p for p in self.people[1:] if p.org == "int"] or self.people[1:]
        self.ci_build = 4000 + int(rng.random() * 1000)
        self.ticket = 100 + int(rng.random() * 200)
        self.invoice = 1000 + int(rng.random() * 9000)
        self.week_no = 0
        self._push(START_TS, EV_ARRIVAL, None)

    # -- bookkeeping
    def count(self, key, k=1):
        self.stats[key] = self.stats.get(key, 0) + k

    def _push(self, t, kind, obj):
        self.seq += 1
        heapq.heappush(self.events, (t, self.seq, kind, obj))

    def q(self, name):
        return self.quirks and self.decks.take(name)

    # -- time model
    def arrival_rate(self, t):
        """threads per second at instant t (company time ~ UTC+1)."""
        tm = _gmtime(t + 3600)
        base = self.threads_per_day / 86400.0
        if tm.tm_wday >= 5:
            return base * 0.25
        if 7 <= tm.tm_hour < 19:
            return base * 1.9
        return base * 0.35

    def next_arrival(self, t):
        rng = self.rng
        lam_max = self.threads_per_day / 86400.0 * 1.9
        while True:
            t += max(1, int(rng.expovariate(lam_max)))
            if rng.random() * lam_max <= self.arrival_rate(t):
                return t

    def work_adjust(self, t, person):
        """Push an instant outside person's working hours to the next morning
        (most of the time; some people answer at night)."""
        if self.rng.random() < 0.2:
            return t
        off, _ = person.zone.offset(t)
        tm = _gmtime(t + off * 60)
        if tm.tm_wday < 5 and 8 <= tm.tm_hour < 19:
            return t
        rng = self.rng
        local_midnight = t - (tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec)
        days = 1 if tm.tm_hour >= 8 else 0
        wd = (tm.tm_wday + days) % 7
        while wd >= 5:
            days += 1
            wd = (wd + 1) % 7
        return local_midnight + days * 86400 + 8 * 3600 + (0 + int(rng.random() * 5400))

    def gap(self, tempo, sender):
        rng = self.rng
        r = rng.random()
        if tempo == "live":
            mode = "live" if r < 0.8 else "day"
        elif tempo == "day":
            mode = "live" if r < 0.12 else ("day" if r < 0.85 else "slow")
        else:
            mode = "day" if r < 0.4 else "slow"
        if mode == "live":
            g = int(min(240, max(10, rng.lognormvariate(4.0, 0.6))))
        elif mode == "day":
            g = int(min(10 * 3600, max(300, rng.lognormvariate(7.8, 1.1))))
        else:
            g = int(min(21 * 86400, max(20 * 3600, rng.lognormvariate(12.0, 0.8))))
        return g, mode

    # -- small renderers
    def msgid(self, p, t):
        rng = self.rng
        c = p.client
        if c == "gmail":
            tok = base64.b64encode(rng.getrandbits(240).to_bytes(30, "big"), b"-_").decode()
            return f"CA{tok[:38]}@mail.gmail.com"
        if c == "outlook":
            host = f"AM{(0 + int(rng.random() * 10))}PR0{(1 + int(rng.random() * 8))}MB{(1000 + int(rng.random() * 8999))}"
            return f"{host}{rng.getrandbits(64):016X}@{host}.eurprd0{(1 + int(rng.random() * 8))}.prod.outlook.com"
        if c == "tb":
            h = f"{rng.getrandbits(128):032x}"
            return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}@{p.domain}"
        if c == "apple":
            h = f"{rng.getrandbits(128):032X}"
            return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}@{p.domain}"
        tm = _gmtime(t)
        return (f"{tm.tm_year}{tm.tm_mon:02d}{tm.tm_mday:02d}{tm.tm_hour:02d}{tm.tm_min:02d}"
                f"{tm.tm_sec:02d}.GA{(1000 + int(rng.random() * 98999))}@{p.local.split('.')[0]}-laptop")

    def addr_of(self, p, is_from=True):
        """Display form of a person for From (quirk decks) or To/Cc (1 % encoded)."""
        if self.quirks:
            if self.q("encoded_name") if is_from else self.rng.random() < 0.01:
                enc, _, _ = encode_phrase(p.name, self.rng)
                self.count("quirk_encoded_name" if is_from else "quirk_encoded_name_to_cc")
                return f"{enc} <{p.addr}>"
            if not is_from:
                return p.from_plain
            if self.q("addr_comment_form"):
                self.count("quirk_addr_comment_form")
                return f"{p.addr} ({p.name})"
            if self.q("mixed_case_addr"):
                self.count("quirk_mixed_case_addr")
                loc = ".".join(x.capitalize() for x in p.local.split("."))
                dom = p.domain.split(".")
                dom[0] = dom[0].capitalize()
                return f"{p.name_q} <{loc}@{'.'.join(dom)}>"
        return p.from_plain

    def addr_list(self, persons, hdr, fold_tab):
        if not persons:
            return None
        parts = [self.addr_of(x, False) for x in persons]
        sep = ",\n\t" if fold_tab else ",\n "
        out = f"{hdr}: "
        for i, a in enumerate(parts):
            if i:
                out += sep if i % 2 == 0 else ", "
            out += a
        return out

    def date_header(self, p, t, client_pad, stats_ok=True):
        """Returns (Date line or None, quirk kind or None)."""
        off, abbr = p.zone.offset(t)
        if p.client == "outlook":
            off, abbr = 0, "UTC"
        if not self.quirks:
            return "Date: " + rfc_date(t, off, client_pad), None
        if self.q("undated"):
            kind = "undated"
        elif self.q("date_fallback"):
            kind = DATE_FALLBACK[self.fallback_i % 2]
            self.fallback_i += 1
        elif self.q("date_parsable"):
            kind = self.date_kinds[self.date_i % len(self.date_kinds)]
            self.date_i += 1
        else:
            return "Date: " + rfc_date(t, off, client_pad), None
        rng = self.rng
        self.count("quirk_date_" + kind)
        tm = _gmtime(t + off * 60)
        dd = str(tm.tm_mday)
        hms = f"{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d}"
        wd, mon, year = WDAY[tm.tm_wday], MONTH[tm.tm_mon - 1], tm.tm_year
        zs = _off_str(off)
        if kind == "no_seconds":
            return f"Date: {wd}, {dd} {mon} {year} {tm.tm_hour:02d}:{tm.tm_min:02d} {zs}", kind
        if kind == "year2":
            return f"Date: {wd}, {dd} {mon} {year % 100:02d} {hms} {zs}", kind
        if kind == "year3":
            return f"Date: {wd}, {dd} {mon} {year - 1900} {hms} {zs}", kind
        if kind == "no_zone":
            u = _gmtime(t)
            return (f"Date: {WDAY[u.tm_wday]}, {u.tm_mday} {MONTH[u.tm_mon - 1]} {u.tm_year} "
                    f"{u.tm_hour:02d}:{u.tm_min:02d}:{u.tm_sec:02d}"), kind
        if kind == "comment":
            if rng.random() < 0.7:
                return f"Date: {wd}, {dd} {mon} {year} {hms} {zs} ({abbr})", kind
            return f"Date: {wd}, {dd} {mon} (week {tm.tm_yday // 7 + 1}) {year} {hms} {zs}", kind
        if kind == "zone_name":
            if p.us:
                off2, abbr2 = p.zone.offset(t)
                l2 = _gmtime(t + off2 * 60)
                return (f"Date: {WDAY[l2.tm_wday]}, {l2.tm_mday} {MONTH[l2.tm_mon - 1]} "
                        f"{l2.tm_year} {l2.tm_hour:02d}:{l2.tm_min:02d}:{l2.tm_sec:02d} {abbr2}"), kind
            u = _gmtime(t)
            zn = ("GMT", "UT", "UTC", "Z")[int(rng.random() * 4)]
            return (f"Date: {WDAY[u.tm_wday]}, {u.tm_mday} {MONTH[u.tm_mon - 1]} {u.tm_year} "
                    f"{u.tm_hour:02d}:{u.tm_min:02d}:{u.tm_sec:02d} {zn}"), kind
        if kind == "odd_format":
            r = rng.random()
            if r < 0.34:
                return f"Date: {wd},  {dd:>2} {mon} {year}  {hms}   {zs}", kind
            if r < 0.67:
                return f"Date: {dd} {mon} {year} {hms} {zs}", kind
            return f"Date: {WDAY[(tm.tm_wday + 1) % 7]}, {dd} {mon} {year} {hms} {zs}", kind
        if kind == "missing":
            return None, kind
        if kind == "garbage":
            return "Date: " + GARBAGE_DATES[int(rng.random() * len(GARBAGE_DATES))], kind
        return None, kind  # undated: no Date, no dated Received, no date on the From_ line

    def date_bookkeeping(self, dkind):
        if dkind is None:
            return
        if dkind == "undated":
            self.count("undated")
        elif dkind in ("missing", "garbage"):
            self.count("date_fallback_received")
        else:
            self.count("date_broken_but_parsable")

    # -- transport headers
    def received_chain(self, sender_dom, t, kind, undated=False, is_list=False, sent=False, env=None):
        """Received headers, newest first, and the delivery time."""
        rng = self.rng
        tok = self.pool.tokens
        owner = self.owner
        hops = []  # chronological
        ts = t + (0 + int(rng.random() * 2))
        client_ip = f"192.0.2.{(2 + int(rng.random() * 248))}"
        env = env or f"postmaster@{sender_dom}"

        if kind == "outlook":
            h1 = f"AM{int(rng.random() * 10)}PR0{(1 + int(rng.random() * 8))}MB{(1000 + int(rng.random() * 8999))}.eurprd0{(1 + int(rng.random() * 8))}.prod.outlook.com"
            h2 = f"AM{int(rng.random() * 10)}PR0{(1 + int(rng.random() * 8))}MB{(1000 + int(rng.random() * 8999))}.eurprd0{(1 + int(rng.random() * 8))}.prod.outlook.com"
            u = _gmtime(ts)
            date = ("" if undated else
                    f"; {WDAY[u.tm_wday]}, {u.tm_mday} {MONTH[u.tm_mon - 1]}\n {u.tm_year} "
                    f"{u.tm_hour:02d}:{u.tm_min:02d}:{u.tm_sec:02d} +0000")
            hops.append(f"Received: from {h1}\n (2603:10a6:208:{(16 + int(rng.random() * 983)):x}::{(1 + int(rng.random() * 98))}) by {h2}\n"
                        f" (2603:10a6:208:{(16 + int(rng.random() * 983)):x}::{(1 + int(rng.random() * 98))}) with Microsoft SMTP Server (version=TLS1_2,\n"
                        f" cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.7339.{(10 + int(rng.random() * 50))}{date}")
        elif kind == "exim":
            hops.append(f"Received: from [{client_ip}] (helo=[192.168.1.{(2 + int(rng.random() * 198))}])\n"
                        f"\tby smtp.{sender_dom} with esmtpsa  (TLS1.3) tls TLS_AES_256_GCM_SHA384\n"
                        f"\t(Exim 4.96)\n\t(envelope-from <{env}>)\n"
                        f"\tid 1r{tok[int(rng.random() * 2048)][:4]}-00{tok[int(rng.random() * 2048)][:4]}-2F"
                        + ("" if undated else ";\n\t" + rfc_date(ts, 0, True)))
        else:
            if undated:
                dpart = ""
            elif rng.random() < 0.5:
                # Postfix style: day padded with a space, zone comment
                off, abbr = Z_BERLIN.offset(ts)
                dpart = ";\n\t" + rfc_date(ts, off, False, abbr).replace(", ", ",  " if _gmtime(ts + off * 60).tm_mday < 10 else ", ", 1)
            else:
                dpart = ";\n\t" + rfc_date(ts, 0, True)
            hops.append(f"Received: from [192.168.1.{(2 + int(rng.random() * 198))}] (dynamic-{client_ip.replace('.', '-')}.isp.example [{client_ip}])\n"
                        f"\tby smtp.{sender_dom} (Postfix) with ESMTPSA id {tok[int(rng.random() * 2048)]}" + dpart)
        if sent:
            return hops[::-1], ts
        ts += (0 + int(rng.random() * 3))
        if sender_dom != "example.org" or is_list:
            hops.append(f"Received: from smtp.{sender_dom} (smtp.{sender_dom} [198.51.100.{(2 + int(rng.random() * 248))}])\n"
                        f"\tby relay.{sender_dom} with ESMTPS id {tok[int(rng.random() * 2048)]}\n"
                        f"\tfor <{owner.addr if not is_list else 'team@lists.example.org'}>"
                        + ("" if undated else ";\n\t" + rfc_date(ts, 0, True)))
            ts += (0 + int(rng.random() * 3))
        if is_list:
            if rng.random() < 0.03:
                ts += (60 + int(rng.random() * 540))  # list moderation / queue delay
            hops.append(f"Received: from relay.{sender_dom} (relay.{sender_dom} [198.51.100.{(2 + int(rng.random() * 248))}])\n"
                        f"\tby lists.example.org (Postfix) with ESMTP id {tok[int(rng.random() * 2048)]}\n"
                        f"\tfor <team@lists.example.org>" + ("" if undated else "; " + rfc_date(ts, 0, False, "UTC")))
            ts += (0 + int(rng.random() * 3))
            src = "lists.example.org"
        else:
            src = f"relay.{sender_dom}" if sender_dom != "example.org" else f"smtp.{sender_dom}"
        hops.append(f"Received: from {src} ({src}. [203.0.113.{(2 + int(rng.random() * 248))}])\n"
                    f"        by mx1.example.org with ESMTPS id {tok[int(rng.random() * 2048)]}\n"
                    f"        for <{owner.addr}>\n"
                    f"        (version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384 bits=256/256)"
                    + ("" if undated else ";\n        " + rfc_date(ts, 0, False, "UTC")))
        ts += (0 + int(rng.random() * 2))
        if rng.random() < 0.5:
            hops.append(f"Received: from localhost (localhost [127.0.0.1])\n\tby mx1.example.org (amavisd-new, port 10024)\n"
                        f"\twith ESMTP id {tok[int(rng.random() * 2048)][:10]}"
                        + ("" if undated else "; " + rfc_date(ts, Z_BERLIN.offset(ts)[0], True)))
            ts += (0 + int(rng.random() * 4))
        if self.takeout:
            off, abbr = Z_LA.offset(ts)
            hops.append(f"Received: by 2002:a05:7000:{(0x1000 + int(rng.random() * ((0xffff) - (0x1000)))):x}:b0:{(0x100 + int(rng.random() * ((0xfff) - (0x100)))):x}:"
                        f"{(0x1000 + int(rng.random() * ((0xffff) - (0x1000)))):x}:{(0x1000 + int(rng.random() * ((0xffff) - (0x1000)))):x} with SMTP id "
                        f"{tok[int(rng.random() * 2048)][:8].lower()}csp{(1000000 + int(rng.random() * 8999999))}"
                        + ("" if undated else ";\n        " + rfc_date(ts, off, False, abbr)))
        else:
            hops.append(f"Received: from mx1.example.org\n\tby imap.example.org with LMTP\n"
                        f"\tid {tok[int(rng.random() * 2048)]}AA0J78UA\n\t(envelope-from <{env}>)\n"
                        f"\tfor <{owner.addr}>" + ("" if undated else "; " + rfc_date(ts, Z_BERLIN.offset(ts)[0], True)))
        # clamp to 3..6
        if len(hops) > 6:
            hops = hops[:1] + hops[-5:]
        return hops[::-1], ts

    def auth_headers(self, dom, t, sent=False):
        rng = self.rng
        pool = self.pool
        lines = []
        if not sent:
            lines.append(f"Authentication-Results: mx1.example.org;\n\tdkim=pass header.d={dom} header.s=s2024 header.b="
                         f"{pool.dkim_b[int(rng.random() * 64)][:8]};\n\tspf=pass (mx1.example.org: domain of {dom} designates "
                         f"198.51.100.{(2 + int(rng.random() * 248))} as permitted sender) smtp.mailfrom={dom};\n\tdmarc=pass (p=QUARANTINE) header.from={dom}")
            if self.arc_hops is not None:
                for i in range(self.arc_hops, 0, -1):
                    lines[:0] = self.arc_set(i, dom, t)
            elif rng.random() < 0.3:
                lines.insert(0, f"ARC-Seal: i=1; a=rsa-sha256; t={t}; cv=none;\n        d=google.com; s=arc-20160816;\n        b="
                             + fold(pool.dkim_b[int(rng.random() * 64)], "\n         ", 66))
                lines.insert(1, f"ARC-Message-Signature: i=1; a=rsa-sha256; c=relaxed/relaxed; d=google.com; s=arc-20160816;\n"
                                f"        h=to:subject:message-id:date:from:mime-version:dkim-signature;\n"
                                f"        bh={pool.bh[int(rng.random() * 64)]};\n        fh=0QUhUQdKSNvJmEX6ejkqmgDVtjbKkxpSiCEYoBmfTXA=;\n        b="
                                + fold(pool.dkim_b[int(rng.random() * 64)], "\n         ", 66))
                lines.insert(2, f"ARC-Authentication-Results: i=1; mx.google.com;\n       dkim=pass header.i=@{dom} header.s=s2024;\n"
                                f"       spf=pass smtp.mailfrom={dom};\n       dmarc=pass (p=NONE sp=NONE dis=NONE) header.from={dom}")
        if rng.random() < 0.9:
            lines.append(f"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\n\td={dom}; s=s2024; t={t};\n"
                         f"\th=from:to:cc:subject:date:message-id:in-reply-to:references:\n\t mime-version:content-type;\n"
                         f"\tbh={pool.bh[int(rng.random() * 64)]};\n\tb=" + fold(pool.dkim_b[int(rng.random() * 64)], "\n\t ", 70))
        return lines

    def arc_set(self, i, dom, t):
        """One ARC hop's three fields (RFC 8617), as a relay adds them."""
        rng = self.rng
        pool = self.pool
        return [f"ARC-Seal: i={i}; a=rsa-sha256; t={t}; cv={'none' if i == 1 else 'pass'};\n        d=google.com; s=arc-20160816;\n        b="
                + fold(pool.dkim_b[int(rng.random() * 64)], "\n         ", 66),
                f"ARC-Message-Signature: i={i}; a=rsa-sha256; c=relaxed/relaxed; d=google.com; s=arc-20160816;\n"
                f"        h=to:subject:message-id:date:from:mime-version:dkim-signature;\n"
                f"        bh={pool.bh[int(rng.random() * 64)]};\n        fh=0QUhUQdKSNvJmEX6ejkqmgDVtjbKkxpSiCEYoBmfTXA=;\n        b="
                + fold(pool.dkim_b[int(rng.random() * 64)], "\n         ", 66),
                f"ARC-Authentication-Results: i={i}; mx.google.com;\n       dkim=pass header.i=@{dom} header.s=s2024;\n"
                f"       spf=pass smtp.mailfrom={dom};\n       dmarc=pass (p=NONE sp=NONE dis=NONE) header.from={dom}"]

    # -- body
    def own_text(self, size_target, short=False, follow=False):
        rng = self.rng
        pool = self.pool
        if follow:
            recipe = [pool.follow0 + int(rng.random() * pool.n_follow)]
            if rng.random() < 0.4:
                recipe.append(int(rng.random() * pool.n_para))
            return recipe
        if short:
            recipe = [pool.short0 + int(rng.random() * pool.n_short)]
            if rng.random() < 0.3:
                recipe.append(pool.short0 + int(rng.random() * pool.n_short))
            if rng.random() < 0.15:
                recipe.append(int(rng.random() * pool.n_para))
            return recipe
        recipe = []
        total = 0
        lens = pool.length
        n = pool.n_para
        while total < size_target:
            i = int(rng.random() * n)
            recipe.append(i)
            total += lens[i]
        return recipe

    def body_size_target(self):
        # lognormal, mean ~4.5 KB of own text (quotes add the rest)
        v = self.rng.lognormvariate(8.62, 0.8)
        return max(150, min(20000, v)) * self.scale

    def render_body(self, p, to_first, recipe, parent, parent_p, short, subj_of_parent, fwd=False):
        """Plain-text body: greeting, own paragraphs, closing, signature, quote."""
        pool = self.pool
        rng = self.rng
        esc = pool.esc
        own = "\n\n".join([esc[i] for i in recipe])
        if short:
            text = own + "\n\n" + p.sig
        else:
            loc = p.locale
            g = {"de": "Hallo", "fr": "Bonjour", "es": "Hola"}.get(loc, "Hi" if rng.random() < 0.7 else "Dear")
            c = {"de": "Viele Grüße", "fr": "Cordialement,", "es": "Saludos,"}.get(
                loc, ("Best,", "Cheers,", "Thanks,", "Kind regards,")[int(rng.random() * 4)])
            text = f"{g} {to_first},\n\n{own}\n\n{c}\n{p.first}\n\n{p.sig}"
        n_esc = sum(pool.nesc[i] for i in recipe)
        if parent is None or parent.recipe is None:
            return text + "\n", n_esc
        # quote the parent's own text, within a ~30 KB body budget
        budget = 30000 * self.scale - len(text)
        precipe = []
        for i in parent.recipe:
            budget -= pool.length[i]
            if budget < 0 and precipe:
                break
            precipe.append(i)
        if fwd:
            pt = parent.t
            fw = (f"\n\n---------- Forwarded message ---------\nFrom: {parent_p.name} <{parent_p.addr}>\n"
                  f"Date: {rfc_date(pt, parent_p.zone.offset(pt)[0])}\nSubject: {parent.subject}\n"
                  f"To: {self.owner.name} <{self.owner.addr}>\n\n")
            quoted = "\n\n".join([esc[i] for i in precipe])
            n_esc += sum(pool.nesc[i] for i in precipe)
            return text + fw + quoted + "\n", n_esc
        if rng.random() < (0.1 if short else 0.15):
            return text + "\n", n_esc  # no quote
        c = p.client
        pt = parent.t
        off = parent_p.zone.offset(pt)[0] if c != "outlook" else p.zone.offset(pt)[0]
        tm = _gmtime(pt + off * 60)
        if c == "outlook":
            body = "\n\n".join([esc[i] for i in precipe])
            n_esc += sum(pool.nesc[i] for i in precipe)
            h12 = tm.tm_hour % 12 or 12
            ampm = "AM" if tm.tm_hour < 12 else "PM"
            if p.locale == "de":
                head = (f"-----Ursprüngliche Nachricht-----\nVon: {parent_p.name} <{parent_p.addr}>\n"
                        f"Gesendet: {WDAY_DE[tm.tm_wday]}, {tm.tm_mday}. {MONTH_LONG[tm.tm_mon - 1]} {tm.tm_year} "
                        f"{tm.tm_hour:02d}:{tm.tm_min:02d}\nAn: {p.name} <{p.addr}>\nBetreff: {subj_of_parent}\n\n")
            else:
                head = (f"-----Original Message-----\nFrom: {parent_p.name} <{parent_p.addr}>\n"
                        f"Sent: {WDAY_LONG[tm.tm_wday]}, {MONTH_LONG[tm.tm_mon - 1]} {tm.tm_mday}, {tm.tm_year} "
                        f"{h12}:{tm.tm_min:02d} {ampm}\nTo: {p.name} <{p.addr}>\nSubject: {subj_of_parent}\n\n")
            return text + "\n\n" + head + body + "\n", n_esc
        quoted = "\n>\n".join([pool.quoted[i] for i in precipe])
        if c == "gmail":
            attr = (f"On {WDAY[tm.tm_wday]}, {tm.tm_mday} {MONTH[tm.tm_mon - 1]} {tm.tm_year} at "
                    f"{tm.tm_hour:02d}:{tm.tm_min:02d}, {parent_p.name} <{parent_p.addr}> wrote:\n")
            return text + "\n\n" + attr + quoted + "\n", n_esc
        if c == "apple":
            attr = (f"> On {tm.tm_mday} {MONTH[tm.tm_mon - 1]} {tm.tm_year}, at {tm.tm_hour:02d}:{tm.tm_min:02d}, "
                    f"{parent_p.name} <{parent_p.addr}> wrote:\n> \n")
            return text + "\n\n" + attr + quoted + "\n", n_esc
        if c == "tb":
            attr = f"On {tm.tm_mday:02d}.{tm.tm_mon:02d}.{tm.tm_year % 100:02d} {tm.tm_hour:02d}:{tm.tm_min:02d}, {parent_p.name} wrote:\n"
        else:
            attr = (f"* {parent_p.name} <{parent_p.addr}> [{tm.tm_year}-{tm.tm_mon:02d}-{tm.tm_mday:02d} "
                    f"{tm.tm_hour:02d}:{tm.tm_min:02d}]:\n")
        return attr + quoted + "\n\n" + text + "\n", n_esc

    def attachment(self, boundary):
        rng = self.rng
        pool = self.pool
        k = int(rng.random() * len(ATTACH_TYPES))
        ctype, ext, _ = ATTACH_TYPES[k]
        raw_size = int(20000 * (10 ** rng.random()) * self.scale)  # 20-200 KB, log-uniform
        nl = max(1, min(pool.blob_lines - 1, raw_size // 57 - 1))
        start = rng.randrange(pool.blob_lines - nl + 1)
        names = ATTACH_NAMES[ext]
        fname = names[int(rng.random() * len(names))] + "." + ext
        if fname.isascii():
            disp = f'attachment; filename="{fname}"'
            nm = f'name="{fname}"'
        else:
            q = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else
                        "".join(f"%{b:02X}" for b in c.encode()) for c in fname)
            disp = f"attachment;\n filename*=UTF-8''{q}"
            nm = f'name="{encode_words(fname)[0]}"'
        head = (f"--{boundary}\nContent-Type: {ctype};\n {nm}\nContent-Disposition: {disp}\n"
                f"Content-Transfer-Encoding: base64\n\n")
        data = ATTACH_HEADS[k] + pool.blob[start * 77:(start + nl) * 77] + pool.tails[int(rng.random() * 56)]
        self.count("attachments")
        self.count("attachment_bytes", len(data))
        return head, data

    # -- subjects
    def new_subject(self):
        rng = self.rng
        t = SUBJECT_TEMPLATES[int(rng.random() * len(SUBJECT_TEMPLATES))]
        return t.format(proj=PROJECTS[int(rng.random() * len(PROJECTS))], thing=THINGS[int(rng.random() * len(THINGS))],
                        meeting=MEETINGS[int(rng.random() * len(MEETINGS))], day=DAYS[int(rng.random() * 5)],
                        doc=DOCS[int(rng.random() * len(DOCS))], change=CHANGES[int(rng.random() * len(CHANGES))],
                        n=(10000 + int(rng.random() * 89999)), v=(2 + int(rng.random() * 7)),
                        org=ORG_NAMES[("partner", "client")[int(rng.random() * 2)]])

    def subject_line(self, subj):
        if self.q("encoded_subject"):
            self.count("quirk_encoded_subject")
            enc, _, _ = encode_phrase(subj, self.rng)
            return "Subject: " + enc
        return "Subject: " + subj

    # -- takeout
    def gm_id(self, t):
        return ((t * 1000 + int(self.rng.random() * 1000)) << 20) | self.rng.getrandbits(20)

    def labels(self, kind):
        rng = self.rng
        if rng.random() < 0.01:
            lab = "Spam,Category Promotions,Unread" if kind in ("newsletter", "noreply") or rng.random() < 0.3 \
                else "Trash,Opened"
            self.count("takeout_spam" if lab.startswith("Spam") else "takeout_trash")
            return lab
        if kind == "sent":
            return ("Sent", "Sent", "Important,Sent", "Opened,Sent")[int(rng.random() * 4)]
        if kind == "list":
            return ("Inbox,Category Forums,Opened", "team,Opened", "Archived,team", "Category Forums,Unread")[int(rng.random() * 4)]
        if kind in ("newsletter",):
            return ("Category Promotions,Unread", "Category Promotions,Opened,Inbox")[int(rng.random() * 2)]
        if kind in ("auto", "noreply"):
            return ("Category Updates,Inbox,Opened", "Archived,Category Updates", "Category Updates,Unread",
                    "Projects/Atlas,Category Updates,Opened")[int(rng.random() * 4)]
        return ("Inbox,Important,Opened", "Inbox,Opened", "Archived,Opened", "Important,Opened,Inbox,Category Personal",
                "Unread,Inbox", "Projects/Atlas,Opened,Important")[int(rng.random() * 6)]

    # -- assembly
    def finish(self, t_deliv, env_from, header_lines, body_parts, thrid=None, label_kind="inbox",
               undated=False, eligible_dup=True, latin1_line=None):
        """Assemble the From_ line, headers and body; apply CRLF quirk; return bytes."""
        rng = self.rng
        if self.takeout:
            gid = self.gm_id(t_deliv)
            labels = self.labels(label_kind)
            if "Spam" in labels or "Trash" in labels:
                eligible_dup = False
            header_lines = [f"X-GM-THRID: {thrid if thrid is not None else gid}",
                            f"X-Gmail-Labels: {labels}"] + header_lines
            if undated:
                fl = f"From {gid}@xxx"
            else:
                a, y = asctime(t_deliv)
                fl = f"From {gid}@xxx {a} +0000 {y}"
        else:
            if undated:
                fl = f"From {env_from}"
            else:
                a, y = asctime(t_deliv)
                fl = f"From {env_from} {a} {y}"
        head = fl + "\n" + "\n".join(header_lines) + "\n\n"
        parts = []
        if latin1_line is not None:
            pre, post = head.split("\x00L1\x00", 1)
            parts.append(pre.encode())
            parts.append(latin1_line.encode("latin-1"))
            parts.append(post.encode())
        else:
            parts.append(head.encode())
        for bp in body_parts:
            parts.append(bp if isinstance(bp, bytes) else bp.encode())
        parts.append(b"\n")
        data = b"".join(parts)
        if self.q("crlf"):
            data = data.replace(b"\n", b"\r\n")
            self.count("quirk_crlf")
        if eligible_dup and self.q("duplicate"):
            heapq.heappush(self.dup_heap, (self.written + 1 + (10 + int(rng.random() * 190)), self.seq, data))
            self.seq += 1
        return data

    def human_message(self, th, sender, to, cc, parent, t, short=False, follow=False, fwd=False,
                      lost_refs=False, attach=False):
        rng = self.rng
        owner = self.owner
        p = sender
        c = p.client
        m = Msg()
        m.sender = p
        m.t = t
        m.to = to
        mid = self.msgid(p, t)
        m.mid = mid
        # subject
        if parent is None:
            subj = th.subject
        else:
            base = th.subject
            prev = parent.subject
            pref = p.fwd_prefix if fwd else p.reply_prefix
            if th.lst is not None and not base.startswith(th.lst["tag"]):
                base = th.lst["tag"] + base
            if prev != base and rng.random() < 0.08 and len(prev) < 120:
                subj = pref + prev  # stacked prefixes: "Re: AW: ..."
            else:
                subj = pref + base
        if th.lst is not None and parent is None:
            subj = th.lst["tag"] + subj
        m.subject = subj
        # refs
        refs = None
        if parent is not None and not lost_refs:
            refs = (parent.refs or []) + [parent.mid]
            if len(refs) > 12:
                refs = refs[:1] + refs[-11:]
        m.refs = refs
        if lost_refs:
            m.refs = None
        # body
        recipe = self.own_text(self.body_size_target(), short, follow)
        m.recipe = recipe
        parent_p = parent.sender if parent is not None else None
        text, n_esc = self.render_body(p, to[0].first if to and th.lst is None else "all", recipe, parent, parent_p, short,
                                       parent.subject if parent is not None else "", fwd)
        if n_esc:
            self.count("from_lines_escaped", n_esc)
        # headers
        sent = p is owner
        date_line, dkind = self.date_header(p, t, p.pad)
        undated = dkind == "undated"
        self.date_bookkeeping(dkind)
        if parent is not None and not follow and dkind is None \
                and t - parent.t < 1200 and self.q("clock_skew"):
            # clock skew: sender's clock is behind; Date falls before the parent's
            skew_t = parent.t - (20 + int(rng.random() * 280))
            date_line = "Date: " + rfc_date(skew_t, p.zone.offset(skew_t)[0], p.pad)
            self.count("quirk_clock_skew")
        lst = th.lst
        mx = "outlook" if c == "outlook" else ("exim" if p.org == "partner" else "postfix")
        env = f"{lst['name']}-bounces@lists.example.org" if lst is not None else p.addr
        rec, t_deliv = self.received_chain(p.domain, t, mx, undated, lst is not None, sent, env)
        h = {}
        latin1_line = None
        if not self.q("latin1_header"):
            pass
        elif not p.name.isascii() and latin1_ok(p.name):
            latin1_line = f"From: {p.name} <{p.addr}>"
            h["from"] = "\x00L1\x00"
            self.count("quirk_latin1_header")
        else:
            latin1_line = "Organization: Müller & Söhne GmbH, Abt. Qualitätssicherung"
            h["org"] = "\x00L1\x00"
            self.count("quirk_latin1_header")
        if "from" not in h:
            h["from"] = "From: " + self.addr_of(p)
        fold_tab = c in ("outlook", "apple")
        if lst is not None:
            h["to"] = f"To: {lst['addr']}"
            h["cc"] = self.addr_list(cc, "CC" if c == "outlook" else "Cc", fold_tab)
        else:
            h["to"] = self.addr_list(to, "To", fold_tab)
            h["cc"] = self.addr_list(cc, "CC" if c == "outlook" else "Cc", fold_tab)
        h["subj"] = self.subject_line(subj)
        h["date"] = date_line
        if self.q("no_message_id"):
            self.count("quirk_no_message_id")
            eligible_dup = False
        else:
            eligible_dup = True
            name = "Message-Id" if c == "apple" else "Message-ID"
            if self.q("odd_message_id"):
                self.count("quirk_odd_message_id")
                h["mid"] = (f"{name}:\n <{mid}>" if rng.random() < 0.5 else f"{name}: <{mid}> (added by postmaster@{p.domain})")
            else:
                h["mid"] = f"{name}: <{mid}>"
        if refs:
            sep = "\n\t" if c == "outlook" else "\n "
            if c == "outlook":
                h["refs"] = "References: " + " ".join(f"<{r}>" for r in refs) if len(refs) <= 2 else \
                    "References: " + sep.join(f"<{r}>" for r in refs)
            else:
                h["refs"] = "References: " + sep.join(f"<{r}>" for r in refs)
            if self.q("irt_comment") or c == "mutt" and rng.random() < 0.3:
                tm = _gmtime(parent.t)
                h["irt"] = (f"In-Reply-To: <{parent.mid}> (from {parent_p.addr} on "
                            f"{WDAY[tm.tm_wday]}, {MONTH[tm.tm_mon - 1]} {tm.tm_mday}, {tm.tm_year} at {tm.tm_hour:02d}:{tm.tm_min:02d})")
            else:
                h["irt"] = f"In-Reply-To: <{parent.mid}>"
        elif lost_refs:
            self.count("lost_references")
        # MIME
        body_parts = []
        if attach:
            boundary = {"gmail": f"000000000000{rng.getrandbits(64):016x}",
                        "outlook": f"_004_{mid[:20]}_",
                        "apple": f"Apple-Mail={rng.getrandbits(128):032X}"}.get(c, f"------------{rng.getrandbits(96):024x}")
            h["ctype"] = f'Content-Type: multipart/mixed; boundary="{boundary}"'
            ah, ad = self.attachment(boundary)
            body_parts = ["This is a multi-part message in MIME format.\n" if c in ("tb", "outlook") else "",
                          f"--{boundary}\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n",
                          text, "\n", ah, ad, f"--{boundary}--\n"]
        else:
            h["ctype"] = {"gmail": 'Content-Type: text/plain; charset="UTF-8"',
                          "tb": "Content-Type: text/plain; charset=UTF-8; format=flowed",
                          "outlook": 'Content-Type: text/plain; charset="utf-8"',
                          "apple": "Content-Type: text/plain;\n\tcharset=utf-8",
                          "mutt": "Content-Type: text/plain; charset=utf-8"}[c]
            h["cte"] = "Content-Transfer-Encoding: 8bit"
            body_parts = [text]
        h["mime"] = "Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3774.400.31\\))" if c == "apple" else "MIME-Version: 1.0"
        if c == "outlook":
            h["x1"] = f"Thread-Topic: {th.subject}\nThread-Index: {base64.b64encode(rng.getrandbits(176).to_bytes(22, 'big')).decode()}"
            h["x2"] = ("Accept-Language: de-DE, en-US\nContent-Language: de-DE" if p.locale == "de"
                       else "Accept-Language: en-US\nContent-Language: en-US")
            if attach:
                h["x2"] += "\nX-MS-Has-Attach: yes"
        elif c == "tb":
            h["x2"] = "Content-Language: " + ("de-DE" if p.locale == "de" else "en-US")
        if p.ua:
            h["ua"] = p.ua[0]
        if lst is not None:
            h["list"] = (f"Precedence: {lst['prec']}\nList-Id: {lst['id']}\n"
                         f"List-Unsubscribe: <mailto:{lst['name']}-leave@lists.example.org>,\n"
                         f" <https://lists.example.org/mailman/options/{lst['name']}>\n"
                         f"List-Archive: <https://lists.example.org/archives/{lst['name']}>\n"
                         f"List-Post: <mailto:{lst['addr']}>\n"
                         f"Sender: \"{lst['name']}\" <{lst['name']}-bounces@lists.example.org>\n"
                         f"Errors-To: {lst['name']}-bounces@lists.example.org\nX-BeenThere: {lst['addr']}\n"
                         f"X-Mailman-Version: 2.1.39")
        if self.quirks and not sent and rng.random() < 0.004:
            h["x3"] = "Auto-Submitted: no"
        order = CLIENT_ORDER[c]
        lines = []
        if not sent:
            lines.append(f"Delivered-To: {owner.addr}")
        lines.extend(rec)
        if not sent:
            lines.append(f"Return-Path: <{env}>")
        lines.extend(self.auth_headers(p.domain, t, sent))
        if "org" in h:
            lines.append(h["org"])
        for k in order:
            v = h.get(k)
            if v:
                lines.append(v)
        if "list" in h:
            lines.append(h["list"])
        if "x3" in h:
            lines.append(h["x3"])
        label_kind = "sent" if sent else ("list" if lst is not None else "inbox")
        data = self.finish(t_deliv, env, lines, body_parts, th.thrid, label_kind, undated, eligible_dup,
                           latin1_line)
        self.count("human_messages")
        if sent:
            self.count("sent_by_owner")
        return m, data

    # -- automated messages
    def auto_message(self, kind, t, th=None, parent=None, subj=None, person=None):
        rng = self.rng
        owner = self.owner
        pool = self.pool
        lines = [f"Delivered-To: {owner.addr}"]
        body_parts = []
        env = None
        h = []
        mid = None
        label_kind = "auto"
        undated = False
        if kind == "ci":
            dom = "ci.example.com"
            env = f"bounces+{(10**6 + int(rng.random() * ((10**7) - (10**6))))}@{dom}"
            mid = f"ci.{self.ci_build}.{rng.getrandbits(48):012x}@{dom}"
            frm = "From: CI <notifications@ci.example.com>"
            result = "failed" if rng.random() < 0.4 else "passed"
            repo = PROJECTS[int(rng.random() * len(PROJECTS))].lower()
            if th is not None and th.subject is not None:  # two-step pipeline thread
                if parent is None:
                    result = "running"
                s = th.subject.format(result=result)
            else:
                s = f"[ci] {repo}: pipeline #{self.ci_build} {result} on main ({rng.getrandbits(28):07x})"
            self.ci_build += 1
            h += [frm, f"To: {owner.name} <{owner.addr}>", "Subject: " + s, "Auto-Submitted: auto-generated",
                  f"X-CI-Pipeline-Id: {self.ci_build}", "MIME-Version: 1.0",
                  'Content-Type: text/plain; charset="utf-8"', "Content-Transfer-Encoding: 7bit"]
            if parent is not None:
                h += [f"In-Reply-To: <{parent.mid}>", f"References: <{parent.mid}>"]
            body_parts = [f"Pipeline #{self.ci_build - 1} {result}.\n\nProject: example/{repo}\nBranch:  main\n"
                          f"Commit:  {rng.getrandbits(160):040x}\nAuthor:  {self.people[int(rng.random() * len(self.people))].name}\n\n"
                          f"Stages:\n  build   passed  1m {int(rng.random() * 60)}s\n  test    {result}  {(2 + int(rng.random() * 13))}m\n"
                          f"  deploy  skipped\n\nhttps://ci.example.com/example/{repo}/-/pipelines/{self.ci_build - 1}\n\n"
                          "You are receiving this email because of your account on ci.example.com.\n"]
        elif kind == "tracker":
            dom = "tracker.example.com"
            env = f"jira@{dom}"
            mid = f"JIRA.{(10**5 + int(rng.random() * ((10**6) - (10**5))))}.{t}000@Atlassian.JIRA"
            h += [f"From: \"{(person or self.people[1]).name} (Tracker)\" <notifications@tracker.example.com>",
                  f"To: {owner.addr}", "Subject: " + subj, "Auto-Submitted: auto-generated", "Precedence: bulk",
                  "X-JIRA-FingerPrint: 30d6b0f9c5d9a3c8f2d4f44a2b1e8ac1", "MIME-Version: 1.0",
                  "Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: 8bit"]
            if parent is not None:
                h.append(f"In-Reply-To: <{parent.mid}>")
                h.append(f"References: <{th.msgs[0].mid}>")
            who = (person or self.people[1]).name
            body_parts = [f"{who} {('updated', 'commented on', 'assigned', 'resolved')[int(rng.random() * 4)]} "
                          f"an issue\n\n{subj.split('] ', 1)[-1]}\n\n"
                          + pool.esc[pool.clean[int(rng.random() * len(pool.clean))]]
                          + "\n\nThis message was sent by the issue tracker (v9.12.4#912004)\n"]
        elif kind in ("noreply", "donotreply"):
            label_kind = "noreply"
            if kind == "noreply":
                sender = (("Example Cloud", "noreply@cloud.example.net"), ("Accounts", "no-reply@accounts.example.com"),
                          ("Travel Desk", "No_Reply@travel.example.com"))[int(rng.random() * 3)]
                s = (f"Your invoice INV-{self.invoice} is available", "Security alert: new sign-in on Linux",
                     f"Your booking {rng.getrandbits(24):06X} is confirmed")[int(rng.random() * 3)]
                self.invoice += 1
            else:
                sender = ("HR Portal", "do-not-reply@hr.example.org")
                s = f"Payslip {MONTH_LONG[_gmtime(t).tm_mon - 1]} {_gmtime(t).tm_year} available (ref {(10**5 + int(rng.random() * ((10**6) - (10**5))))})"
            dom = sender[1].split("@")[1]
            env = f"bounce-{rng.getrandbits(32):08x}@{dom}"
            mid = f"{rng.getrandbits(96):024x}@{dom}"
            h += [f"From: {sender[0]} <{sender[1]}>", f"To: {owner.addr}", "Subject: " + s, "MIME-Version: 1.0",
                  'Content-Type: text/plain; charset="UTF-8"', "Content-Transfer-Encoding: 8bit"]
            body_parts = ["Hello " + owner.first + ",\n\n" + pool.esc[pool.clean[int(rng.random() * len(pool.clean))]]
                          + "\n\nPlease do not reply to this email; this mailbox is not monitored.\n"]
        elif kind == "newsletter":
            label_kind = "newsletter"
            dom = "newsletter.example.com"
            self.week_no += 1
            env = f"bounce-{rng.getrandbits(40):010x}@mail.{dom}"
            mid = f"{rng.getrandbits(64):016x}.{self.week_no}@mail.{dom}"
            boundary = f"==_nl_{rng.getrandbits(64):016x}"
            s = f"The Weekly Stack #{100 + self.week_no}: {THINGS[int(rng.random() * len(THINGS))]} edition"
            h += ["From: The Weekly Stack <news@newsletter.example.com>", f"To: {owner.addr}", "Subject: " + s,
                  "Precedence: bulk", f"List-Unsubscribe: <https://newsletter.example.com/u/{rng.getrandbits(64):016x}>",
                  "List-Unsubscribe-Post: List-Unsubscribe=One-Click", "MIME-Version: 1.0",
                  f'Content-Type: multipart/alternative; boundary="{boundary}"']
            paras = pool.news_paras[int(rng.random() * len(pool.news_paras))]
            k = max(1, int(len(paras) * self.scale + 0.5))
            txt = "\n\n".join(paras[:k])
            html = "\n".join(f"<p style=\"margin:0 0 12px 0\">{x}</p>" for x in paras[:k])
            body_parts = [f"--{boundary}\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n",
                          txt, f"\n\n--{boundary}\nContent-Type: text/html; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n",
                          f"<!DOCTYPE html>\n<html><body style=\"font-family:sans-serif\">\n{html}\n"
                          f"<p><a href=\"https://newsletter.example.com/unsub\">Unsubscribe</a></p>\n</body></html>\n",
                          f"--{boundary}--\n"]
        elif kind == "ooo":
            p = person
            dom = p.domain
            env = p.addr
            mid = self.msgid(p, t)
            loc = p.locale if p.locale in OOO_SUBJECT else "en"
            until = _gmtime(t + 86400 * (2 + int(rng.random() * 10)))
            other = self.internal[int(rng.random() * len(self.internal))]
            h += [f"From: {p.from_plain}", f"To: {owner.name} <{owner.addr}>", "Subject: " + OOO_SUBJECT[loc] + subj,
                  f"In-Reply-To: <{parent.mid}>", f"References: <{parent.mid}>", "Auto-Submitted: auto-replied",
                  "X-Autoreply: yes", "X-Auto-Response-Suppress: All", "MIME-Version: 1.0",
                  "Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: 8bit"]
            body_parts = [OOO_TEXT[loc].format(until=f"{until.tm_mday:02d}.{until.tm_mon:02d}.{until.tm_year}",
                                                 other=f"{other.name} <{other.addr}>")]
        elif kind == "bounce":
            dom = "mx1.example.org"
            env = "MAILER-DAEMON"
            mid = f"{t}.{rng.getrandbits(32):08X}@mx1.example.org"
            boundary = f"{rng.getrandbits(40):010X}.{t}/mx1.example.org"
            bad = person
            h += ["From: MAILER-DAEMON@mx1.example.org (Mail Delivery System)", f"To: {owner.addr}",
                  "Subject: Undelivered Mail Returned to Sender", "Auto-Submitted: auto-replied",
                  "MIME-Version: 1.0", f'Content-Type: multipart/report; report-type=delivery-status;\n\tboundary="{boundary}"']
            body_parts = [f"This is a MIME-encapsulated message.\n\n--{boundary}\nContent-Description: Notification\n"
                          "Content-Type: text/plain; charset=us-ascii\n\nThis is the mail system at host mx1.example.org.\n\n"
                          "I'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients. "
                          "It's attached below.\n\n                   The mail system\n\n"
                          f"<{bad}>: host mx.{bad.split('@')[1]}[198.51.100.9] said: 550 5.1.1\n    <{bad}>: Recipient "
                          "address rejected: User unknown in virtual mailbox table (in\n    reply to RCPT TO command)\n\n"
                          f"--{boundary}\nContent-Description: Delivery report\nContent-Type: message/delivery-status\n\n"
                          f"Reporting-MTA: dns; mx1.example.org\nX-Postfix-Queue-ID: {pool.tokens[int(rng.random() * 2048)]}\n"
                          f"Arrival-Date: {rfc_date(parent.t, 60)}\n\nFinal-Recipient: rfc822; {bad}\nAction: failed\n"
                          f"Status: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 <{bad}>: Recipient address rejected\n\n"
                          f"--{boundary}\nContent-Description: Undelivered Message Headers\nContent-Type: text/rfc822-headers\n\n"
                          f"Return-Path: <{owner.addr}>\nFrom: {owner.from_plain}\nTo: {bad}\nSubject: {parent.subject}\n"
                          f"Message-ID: <{parent.mid}>\nDate: {rfc_date(parent.t, 60)}\n\n--{boundary}--\n"]
        else:
            raise ValueError(kind)
        # date
        if kind == "bounce":
            off, abbr = Z_BERLIN.offset(t)
            date_line, dkind = "Date: " + rfc_date(t, off, False, abbr), None
        else:
            date_line, dkind = self.date_header(person if kind == "ooo" else _UTC_PERSON, t, True)
        undated = dkind == "undated"
        self.date_bookkeeping(dkind)
        mid_ok = True
        if date_line:
            h.insert(0, date_line)
        if mid is not None:
            if self.q("no_message_id"):
                self.count("quirk_no_message_id")
                mid_ok = False
            else:
                h.insert(1, f"Message-ID: <{mid}>")
                mid_ok = True
        if kind == "bounce":
            tok = pool.tokens
            t_deliv = t + (0 + int(rng.random() * 2))
            rec = [f"Received: from mx1.example.org\n\tby imap.example.org with LMTP\n\tid {tok[int(rng.random() * 2048)]}AA0J78UA\n"
                   f"\tfor <{owner.addr}>; " + rfc_date(t_deliv, Z_BERLIN.offset(t_deliv)[0], True),
                   f"Received: by mx1.example.org (Postfix)\n\tid {tok[int(rng.random() * 2048)][:10]}; "
                   + rfc_date(t, Z_BERLIN.offset(t)[0], False, Z_BERLIN.offset(t)[1])]
        else:
            rec, t_deliv = self.received_chain(dom, t, "postfix", undated, False, False, env)
        lines.extend(rec)
        lines.append(f"Return-Path: <{env if env != 'MAILER-DAEMON' else ''}>")
        if kind != "bounce":
            lines.extend(self.auth_headers(dom, t))
        lines.extend(h)
        thrid = th.thrid if th is not None else None
        data = self.finish(t_deliv, env, lines, body_parts, thrid, label_kind, undated, mid_ok)
        m = Msg()
        m.mid, m.t, m.subject, m.recipe, m.refs, m.sender, m.to = mid, t, subj, None, None, person, None
        self.count("automated")
        self.count("automated_" + kind)
        return m, data

    # -- threads
    def new_thread(self, t):
        rng = self.rng
        r = rng.random()
        th = Thread()
        self.tid += 1
        th.tid = self.tid
        th.msgs = []
        th.lst = None
        th.thrid = None
        th.auto = None
        th.extra = None
        if r < 0.52:
            th.kind = "direct"
        elif r < 0.66:
            th.kind = "list"
            th.lst = LISTS["team"]
        elif r < 0.69:
            th.kind = "list"
            th.lst = LISTS["announce"]
        else:
            th.kind = "auto"
            rr = rng.random()
            th.auto = ("ci" if rr < 0.35 else "tracker" if rr < 0.52 else "noreply" if rr < 0.77
                       else "donotreply" if rr < 0.85 else "newsletter")
        people = self.people
        n = len(people)
        if th.kind == "direct":
            k = rng.choices((1, 2, 3), (60, 25, 15))[0]
            others = rng.sample(range(1, n), min(k, n - 1))
            th.people = [self.owner] + [people[i] for i in others]
        elif th.kind == "list":
            k = (2 + int(rng.random() * 4))
            th.people = [people[i] for i in rng.sample(range(0, n), min(k, n))]
        if th.kind in ("direct", "list"):
            r2 = rng.random()
            th.tempo = "live" if r2 < 0.22 else ("day" if r2 < 0.75 else "slow")
            w = (30, 20, 14, 10, 7, 5, 4, 3, 2, 1.5, 1, 1, 0.7, 0.5, 0.3)
            th.left = rng.choices(range(1, 16), w)[0]
            if th.lst is not None and th.lst["name"] == "announce":
                th.left = min(th.left, 3)
            if th.tempo == "live" and th.left < 3:
                th.left = (3 + int(rng.random() * 6))
            th.subject = self.new_subject()
            if th.kind == "direct" and th.people[0] is self.owner and rng.random() < 0.5:
                th.people = th.people[1:] + th.people[:1]  # someone else starts
            first = th.people[0] if th.kind == "direct" else th.people[int(rng.random() * len(th.people))]
            th.next_sender = first
        else:
            th.tempo = "auto"
            if th.auto == "tracker":
                self.ticket += 1
                th.subject = f"[{PROJECTS[int(rng.random() * len(PROJECTS))].upper()[:4]}-{self.ticket}] " \
                             f"{THINGS[int(rng.random() * len(THINGS))].capitalize()} {CHANGES[int(rng.random() * len(CHANGES))]}"
                th.left = (1 + int(rng.random() * 6))
            elif th.auto == "ci" and rng.random() < 0.3:
                th.subject = (f"[ci] {PROJECTS[int(rng.random() * len(PROJECTS))].lower()}: pipeline "
                              f"#{self.ci_build} {{result}} on main ({rng.getrandbits(28):07x})")
                th.left = 2
            else:
                th.subject = None
                th.left = 1
            th.people = []
            th.next_sender = None
        return th

    def thread_step(self, th, t):
        """Emit the next message of thread th at time t; returns data bytes."""
        rng = self.rng
        self.count("thread_messages_" + th.kind)
        if th.kind == "auto":
            parent = th.msgs[-1] if th.msgs else None
            if th.auto == "tracker":
                who = self.people[rng.randrange(1, len(self.people))]
                subj = th.subject if parent is None else "Re: " + th.subject
                m, data = self.auto_message("tracker", t, th, parent, subj, who)
                m.subject = subj
            elif th.auto == "ci":
                m, data = self.auto_message("ci", t, th, parent)
            else:
                m, data = self.auto_message(th.auto, t, th)
            th.msgs.append(m)
            th.left -= 1
            if th.left > 0:
                nt = t + ((300 + int(rng.random() * 2100)) if th.auto == "ci" else int(rng.lognormvariate(10.0, 1.2)) + 600)
                self._push(nt, EV_THREAD, th)
            return data
        sender = th.next_sender
        parent = None
        follow = False
        if th.msgs:
            parent = th.msgs[-1] if rng.random() < 0.9 or len(th.msgs) < 3 else th.msgs[rng.randrange(len(th.msgs) - 1)]
            follow = parent.sender is sender
        fwd = False
        if parent is not None and not follow and th.kind == "direct" and rng.random() < 0.04:
            fwd = True
        live = th.extra == "live"
        # recipients
        if th.kind == "direct":
            if parent is None:
                to = [x for x in th.people if x is not sender][:1]
                cc = [x for x in th.people if x is not sender and x not in to]
            elif follow:
                to = parent.to
                cc = [x for x in th.people if x is not sender and x not in to]
            else:
                to = [parent.sender]
                cc = [x for x in th.people if x is not sender and x is not parent.sender]
            if self.owner not in to and self.owner not in cc and sender is not self.owner:
                cc = cc + [self.owner]
        else:
            to = [parent.sender] if parent is not None and parent.sender is not sender else []
            cc = [] if rng.random() < 0.8 else to
        if not to:
            to = [x for x in th.people if x is not sender][:1] or [self.owner]
        lost = parent is not None and rng.random() < 0.03
        attach = (not live) and rng.random() < (0.2 if parent is None else 0.11)
        m, data = self.human_message(th, sender, to, cc, parent, t, short=live, follow=follow,
                                     fwd=fwd, lost_refs=lost, attach=attach)
        th.msgs.append(m)
        th.left -= 1
        # triggered automated replies (only to mail the owner sent)
        if sender is self.owner:
            tgt = to[0] if to and to[0] is not self.owner else None
            if tgt is not None and self.decks.take("ooo"):
                self._push(t + (3 + int(rng.random() * 87)), EV_ONESHOT, ("ooo", m, tgt, th))
            if parent is None and self.decks.take("bounce"):
                bad = to[0].addr.replace("@", "@mail.") if to else "someone@nowhere.example"
                self._push(t + (2 + int(rng.random() * 38)), EV_ONESHOT, ("bounce", m, bad, th))
        if th.left > 0:
            # next sender
            if rng.random() < 0.1:
                nxt = sender  # follow-up by the same person
            else:
                cand = [x for x in th.people if x is not sender]
                if th.kind == "direct" and sender is not self.owner and rng.random() < 0.55:
                    nxt = self.owner if self.owner in cand else cand[int(rng.random() * len(cand))]
                else:
                    nxt = cand[int(rng.random() * len(cand))] if cand else sender
            g, mode = self.gap(th.tempo, nxt)
            if nxt is sender:
                g = max(g, (300 + int(rng.random() * ((3 * 86400) - (300)))))
                mode = "follow"
            th.extra = mode
            nt = t + g
            if mode in ("day", "slow", "follow"):
                nt = max(t + 60, self.work_adjust(nt, nxt))
            th.next_sender = nxt
            self._push(nt, EV_THREAD, th)
        return data

    def oneshot(self, ev, t):
        kind, parent, target, th = ev
        if kind == "ooo":
            m, data = self.auto_message("ooo", t, th, parent, parent.subject, target)
        else:
            m, data = self.auto_message("bounce", t, th, parent, parent.subject, target)
        return data

    def messages(self):
        """Infinite iterator over message blocks (bytes)."""
        events = self.events
        while True:
            dh = self.dup_heap
            if dh and dh[0][0] <= self.written:
                _, _, data = heapq.heappop(dh)
                self.count("duplicates")
                self.written += 1
                yield data
                continue
            t, _, kind, obj = heapq.heappop(events)
            self.decks.tick()
            if kind == EV_ARRIVAL:
                th = self.new_thread(t)
                self.count("threads")
                self.count("threads_" + (th.auto or th.kind if th.lst is None else "list_" + th.lst["name"]))
                if self.takeout:
                    th.thrid = self.gm_id(t)
                data = self.thread_step(th, t)
                self._push(self.next_arrival(t), EV_ARRIVAL, None)
            elif kind == EV_THREAD:
                data = self.thread_step(obj, t)
            else:
                data = self.oneshot(obj, t)
            self.stats["last_ts"] = t
            self.written += 1
            yield data


class _UTCPerson:
    client = "gmail"
    zone = Z_UTC
    us = False


_UTC_PERSON = _UTCPerson()


def fold(s, sep, width):
    return sep.join(s[i:i + width] for i in range(0, len(s), width))


CLIENT_ORDER = {
    "gmail": ("mime", "refs", "irt", "from", "date", "mid", "subj", "to", "cc", "ctype", "cte"),
    "outlook": ("from", "to", "cc", "subj", "x1", "date", "mid", "refs", "irt", "x2", "ctype", "cte", "mime", "ua"),
    "tb": ("mid", "date", "mime", "ua", "subj", "to", "cc", "refs", "from", "x2", "irt", "ctype", "cte"),
    "apple": ("ctype", "mime", "subj", "from", "irt", "date", "cc", "cte", "mid", "refs", "to", "ua"),
    "mutt": ("date", "from", "to", "cc", "subj", "mid", "refs", "mime", "ctype", "cte", "irt", "ua"),
}


# ----------------------------------------------------------------------------
# CLI

def parse_size(s):
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)(?:i?[bB])?\s*", s)
    if not m:
        raise argparse.ArgumentTypeError(f"bad size: {s!r} (use e.g. 500K, 200M, 1G)")
    mult = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}[m.group(2).lower()]
    return int(float(m.group(1)) * mult)


def verify(path, expect=None):
    """Parse with mailbox.mbox; check count and that every 'From ' line at the
    start of a line is a separator preceded by a blank line."""
    import mailbox
    mb = mailbox.mbox(path, create=False)
    n = len(mb.keys())
    bad = 0
    seps = 0
    prev_blank = True
    first = True
    with open(path, "rb") as f:
        for line in f:
            if line.startswith(b"From "):
                if first or prev_blank:
                    seps += 1
                else:
                    bad += 1
            first = False
            prev_blank = line in (b"\n", b"\r\n")
    ok = bad == 0 and seps == n and (expect is None or n == expect)
    print(json.dumps({"file": path, "mailbox_messages": n, "separators": seps,
                      "unescaped_from_lines": bad, "expected": expect, "ok": ok}))
    return ok


def main(argv=None):
    ap = argparse.ArgumentParser(description="Seeded, streaming generator of realistic mbox files.")
    ap.add_argument("out", nargs="?", help="output file, '-' for stdout (.gz => gzip)")
    ap.add_argument("--seed", type=int, default=7)
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--messages", type=int, help="number of messages to write (duplicates included)")
    g.add_argument("--size", type=parse_size, help="uncompressed output size, e.g. 500K, 200M, 1G")
    ap.add_argument("--gzip", action="store_true", help="write gzip")
    ap.add_argument("--takeout", action="store_true", help="Gmail Takeout style (X-GM-THRID, X-Gmail-Labels)")
    ap.add_argument("--people", type=int, default=40, help="size of the cast (>= 3)")
    ap.add_argument("--quirks", dest="quirks", action="store_true", default=True)
    ap.add_argument("--no-quirks", dest="quirks", action="store_false")
    ap.add_argument("--body-scale", type=float, default=1.0,
                    help="multiply text body and attachment sizes (e.g. 0.4 for small samples)")
    ap.add_argument("--arc-hops", type=int, metavar="N",
                    help="every received message carries N ARC sets (header-dense mail relayed by lists "
                         "and Google; default: one set on 30%% of them)")
    ap.add_argument("--stats", help="write the generator's bookkeeping as JSON to this file")
    ap.add_argument("--verify", action="store_true", help="check an existing mbox (OUT) instead of generating")
    ap.add_argument("--expect", type=int, help="with --verify: expected message count")
    a = ap.parse_args(argv)
    if a.out is None:
        ap.error("OUT is required")
    if a.verify:
        return 0 if verify(a.out, a.expect) else 1
    if a.messages is None and a.size is None:
        ap.error("one of --messages or --size is required")
    if a.body_scale <= 0:
        ap.error("--body-scale must be > 0")

    t0 = time.perf_counter()
    gen = Gen(a.seed, a.people, a.quirks, a.takeout, a.body_scale, a.arc_hops)
    if a.out == "-":
        raw = sys.stdout.buffer
        close_raw = False
    else:
        raw = open(a.out, "wb", buffering=1 << 20)
        close_raw = True
    use_gz = a.gzip or (a.out != "-" and a.out.endswith(".gz"))
    out = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=1) if use_gz else raw
    write = out.write
    nbytes = 0
    n = 0
    limit_n = a.messages
    limit_b = a.size
    it = gen.messages()
    try:
        while limit_n is None or n < limit_n:
            data = next(it)
            write(data)
            nbytes += len(data)
            n += 1
            if limit_b is not None and nbytes >= limit_b:
                break
    finally:
        if use_gz:
            out.close()
        if close_raw:
            raw.close()
        else:
            raw.flush()
    secs = time.perf_counter() - t0
    st = gen.stats
    if a.stats:
        last = st.pop("last_ts", START_TS)
        doc = {"args": {"seed": a.seed, "messages": a.messages, "size": a.size, "takeout": a.takeout,
                        "people": a.people, "quirks": a.quirks, "body_scale": a.body_scale, "arc_hops": a.arc_hops},
               "messages_written": n, "bytes": nbytes,
               "first_date": "2024-03-04T08:00:00Z",
               "last_event": time.strftime("%Y-%m-%dT%H:%M:%SZ", _gmtime(last)),
               "counters": dict(sorted(st.items()))}
        with open(a.stats, "w") as f:
            json.dump(doc, f, indent=1, ensure_ascii=False)
            f.write("\n")
    print(f"gen_mbox: {n} messages ({st.get('duplicates', 0)} duplicates), {nbytes} bytes, "
          f"{secs:.2f} s ({nbytes / 1e6 / max(secs, 1e-9):.1f} MB/s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
