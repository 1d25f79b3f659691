#!/usr/bin/env python3
"""Offline probe of two text signals for issue 26, classes 2 and 3 (measured,
not shipped; docs/ACCURACY.md, "Classes 2 and 3, second look (h32c)").

usage: python3 benches/accuracy/issue26_probe.py SETS.tsv OUTDIR

SETS.tsv: one set a line, `name<TAB>docs dir<TAB>truth tsv`. For each set the
script expects OUTDIR/NAME.def.jsonl (`neardup scan DOCS --format jsonl --all
--explain`) and OUTDIR/NAME.c25.jsonl (the same with `--containment 0.25`).

Class 2 (a digest pasting a story): for every kept pair the set rule accepts
by containment (J < 0.5), with L the pair's larger document (more shingles
outside the boilerplate) and the shared passages those `--explain` reports
with boilerplate share < 0.5, it counts
  * before / after: L's non-boilerplate 4-shingles starting before the first
    shared passage and after the last one;
  * foreign blocks: L's blank-line blocks outside the shared passages with at
    least 10 non-boilerplate shingles, of whose distinct words of 5+ letters
    less than a quarter occur in the smaller document.
The boilerplate is approximated: a shingle is cut when it occurs in more than
max(20, 1 %) of the scan's clusters (each cluster counted once; the scan
counts near-verbatim copy groups, so this can differ near the cut).

Class 3 (versions of one story): for the pairs the `--containment 0.25` run
keeps with 0.25 <= C < 0.4 and J < 0.5 (pairs only the lower threshold
accepts), the shared passages' lengths and edits.

Counts are pairs (true, false, outside the labels) per set; the clustering
is not re-run.
"""
import bisect, collections, json, os, re, sys

WORD = re.compile(r"\w+(?:[.,'\u2019:]\w+)*", re.U)
W = re.compile(r"\w+", re.U)
BLOCK = re.compile(r"(?:[^\n]|\n(?!\s*\n))+")


def load_truth(p):
    t, cls = {}, {}
    for line in open(p, encoding="utf-8"):
        f = line.rstrip("\n").split("\t")
        if len(f) < 2 or f[0] == "doc":
            continue
        t[f[0]] = f[1]
        if len(f) > 2:
            cls[f[0]] = f[2]
    return t, cls


def shingles(text, k=4):
    toks = [(m.group().lower(), m.start()) for m in WORD.finditer(text)]
    return [(hash(tuple(x[0] for x in toks[i:i + k])), toks[i][1])
            for i in range(max(1, len(toks) - k + 1)) if toks[i:i + k]]


class Set:
    def __init__(self, name, docs, truth, jsonl):
        self.name, self.docs = name, docs
        self.truth, self.cls = load_truth(truth)
        self.clusters = [json.loads(l) for l in open(jsonl, encoding="utf-8")]
        self._sh = {}
        df = collections.Counter()
        for c in self.clusters:
            df.update({h for d in c["docs"] for h, _ in self.sh(d)})
        cut = max(20, len(self.clusters) // 100)
        self.bp = {h for h, n in df.items() if n > cut}

    def text(self, d):
        with open(os.path.join(self.docs, d), encoding="utf-8", errors="replace") as f:
            return f.read()

    def sh(self, d):
        if d not in self._sh:
            self._sh[d] = shingles(self.text(d))
        return self._sh[d]

    def label(self, a, b):
        if a not in self.truth or b not in self.truth:
            return None
        return self.truth[a] == self.truth[b]

    def key(self, a):
        return self.name + (":" + self.cls[a] if a in self.cls else "")


def class2_rows(s):
    rows = []
    for c in s.clusters:
        for p in c.get("pairs", []):
            if p["jaccard"] >= 0.5:
                continue
            ps = [q for q in p.get("passages", []) if q["boilerplate"] < 0.5]
            if not ps:
                continue
            a, b = p["a"], p["b"]
            na = [o for h, o in s.sh(a) if h not in s.bp]
            nb = [o for h, o in s.sh(b) if h not in s.bp]
            big, side, small, nbp = (a, "a", b, na) if len(na) >= len(nb) else (b, "b", a, nb)
            spans = sorted((q[side + "_start"], q[side + "_end"]) for q in ps)
            lo, hi = spans[0][0], max(e for _, e in spans)
            before = bisect.bisect_left(nbp, lo)
            after = len(nbp) - bisect.bisect_left(nbp, hi)
            vocab = {w.lower() for w in W.findall(s.text(small)) if len(w) >= 5}
            foreign = 0
            for m in BLOCK.finditer(s.text(big)):
                bs, be = m.start(), m.end()
                inside = sum(max(0, min(be, e) - max(bs, st)) for st, e in spans)
                if inside > 0.5 * (be - bs):
                    continue
                if bisect.bisect_left(nbp, be) - bisect.bisect_left(nbp, bs) < 10:
                    continue
                words = {w.lower() for w in W.findall(m.group()) if len(w) >= 5}
                if words and len(words & vocab) / len(words) < 0.25:
                    foreign += 1
            rows.append((s.key(a), s.label(a, b), before, after, foreign))
    return rows


def class3_rows(s):
    rows = []
    for c in s.clusters:
        for p in c.get("pairs", []):
            if not (0.25 <= p["containment"] < 0.4 and p["jaccard"] < 0.5):
                continue
            ps = [q for q in p.get("passages", []) if q["boilerplate"] < 0.5]
            long_ = [q for q in ps if q["words"] >= 25]
            rows.append((s.key(p["a"]), s.label(p["a"], p["b"]), len(long_),
                         sum(q["words"] for q in long_), max([q["words"] for q in ps] or [0]),
                         sum(len(q["edits"]) for q in long_)))
    return rows


def table(title, rows, pred):
    out = collections.defaultdict(lambda: [0, 0, 0])
    for r in rows:
        if pred(r):
            out[r[0]][0 if r[1] else (1 if r[1] is False else 2)] += 1
    print(f"{title}: " + ", ".join(f"{k} {tuple(v)}" for k, v in sorted(out.items())))


def main():
    sets = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
    out = sys.argv[2]
    r2, r3 = [], []
    for name, docs, truth in sets:
        r2 += class2_rows(Set(name, docs, truth, os.path.join(out, name + ".def.jsonl")))
        r3 += class3_rows(Set(name, docs, truth, os.path.join(out, name + ".c25.jsonl")))
    print("class 2: containment-accepted kept pairs (true, false, unlabeled)")
    table("  all", r2, lambda r: True)
    for t in (20, 40, 80):
        table(f"  before and after >= {t}", r2, lambda r: min(r[2], r[3]) >= t)
    for f in (3, 6):
        table(f"  foreign blocks >= {f}", r2, lambda r: r[4] >= f)
    for t in (10, 20, 40):
        table(f"  before and after >= {t} and foreign blocks >= 4", r2,
              lambda r: min(r[2], r[3]) >= t and r[4] >= 4)
    print("class 3: pairs kept only with --containment 0.25 (0.25 <= C < 0.4)")
    table("  all", r3, lambda r: True)
    table("  longest passage >= 25 words", r3, lambda r: r[4] >= 25)
    table("  longest passage >= 50 words", r3, lambda r: r[4] >= 50)
    table("  >= 2 passages of 25+ words, 60+ words", r3, lambda r: r[2] >= 2 and r[3] >= 60)
    table("  >= 3 passages of 25+ words", r3, lambda r: r[2] >= 3)


if __name__ == "__main__":
    main()
