#!/usr/bin/env python3
"""Labels of template siblings on the Reuters-21578 wires (issue 26, class 4),
from headlines and dates only (meta.tsv), plus identical bodies.

usage: python3 benches/accuracy/reuters_siblings.py > tests/data/reuters-siblings.truth.tsv
       python3 benches/accuracy/reuters_siblings.py --count SCAN.jsonl

A *family* is every wire whose headline, with its figures masked (digits ->
#), is the same, when the family spans at least two days: a recurring report
written from one template ("HOG AND CATTLE SLAUGHTER GUESSTIMATES", "FED ADDS
RESERVES VIA CUSTOMER REPURCHASES", "U.K. MONEY MARKET GIVEN # MLN STG
HELP"). Inside a family, two wires are the same story (a re-filing or a
correction) when they carry the very same headline within 14 hours (a resend:
daily reports come about 24 hours apart), or the
very same body; any other two are different reports (other day, other
figures): template siblings. Truth rows: doc, story, class
("template-sibling"). Only ids and labels are written; the text stays in
../shared/data.

--count SCAN.jsonl: the pairs of a `neardup scan --format jsonl --all` run
between two documents of one family, split into same-story pairs and
sibling pairs (the false ones).
"""
import csv
import datetime
import json
import os
import re
import sys
from collections import defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "..", "shared", "data", "reuters21578")
CLASS = "template-sibling"


def when(s):
    # "26-FEB-1987 15:01:01.79"
    # A few dates are damaged ("31-MAR-1987 605:12:1"): the day is kept,
    # the time taken as noon when it does not parse.
    day = datetime.datetime.strptime(s.split()[0], "%d-%b-%Y")
    m = re.match(r"(\d\d?):(\d\d)", s.split()[1] if len(s.split()) > 1 else "")
    if m and int(m.group(1)) < 24 and int(m.group(2)) < 60:
        return day.replace(hour=int(m.group(1)), minute=int(m.group(2)))
    return day.replace(hour=12)


def body(doc):
    text = open(os.path.join(DATA, "docs", doc), encoding="utf-8", errors="replace").read()
    return " ".join(text.split())


def labels():
    meta = list(csv.DictReader(open(os.path.join(DATA, "meta.tsv"), encoding="utf-8"), delimiter="\t"))
    fams = defaultdict(list)
    for r in meta:
        t = r["title"].strip()
        if not t:
            continue
        fams[re.sub(r"\d[\d.,/]*", "#", t)].append((r["doc"], t, when(r["date"])))
    rows = []
    for key in sorted(fams):
        docs = sorted(fams[key])
        if len(docs) < 2 or len({d[2].date() for d in docs}) < 2:
            continue
        parent = {d[0]: d[0] for d in docs}

        def find(x):
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        def union(a, b):
            a, b = find(a), find(b)
            if a != b:
                parent[max(a, b)] = min(a, b)

        bodies = {}
        for d, t, w in docs:
            b = body(d)
            if b in bodies:
                union(d, bodies[b])
            bodies.setdefault(b, d)
        for i, (a, ta, wa) in enumerate(docs):
            for b, tb, wb in docs[i + 1:]:
                if ta == tb and abs((wa - wb).total_seconds()) <= 14 * 3600:
                    union(a, b)
        for d, _, _ in docs:
            rows.append((d, find(d)))
    return rows


def main():
    rows = labels()
    if len(sys.argv) > 2 and sys.argv[1] == "--count":
        story = dict(rows)
        fam = {}
        for d, s in rows:
            fam[d] = True
        same = sib = 0
        for line in open(sys.argv[2], encoding="utf-8"):
            for p in json.loads(line).get("pairs", []):
                a, b = p["a"], p["b"]
                if a in story and b in story:
                    if story[a] == story[b]:
                        same += 1
                    else:
                        sib += 1
        print(f"family pairs found: same story {same}, template siblings (false) {sib}")
        return
    print("doc\tcluster\tclass")
    for d, s in rows:
        print(f"{d}\t{s}\t{CLASS}")


if __name__ == "__main__":
    main()
