#!/usr/bin/env python3
"""Offline probe of two text signals for issue 26, classes 2 and 3 (measured,
not shipped; docs/ACCURACY.md, "Classes 2 and 3, second look (h32c)").

usage: python3 benches/accuracy/issue26_probe.py SETS.tsv OUTDIR
       python3 benches/accuracy/issue26_probe.py --fixpoint BINARY NAME DOCS TRUTH MIDDLE OUTDIR

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

Counts are pairs (true, false, outside the labels) per set. The emulated
clusters remove the pairs the class-2 conjunction refuses from the scan's kept
pairs and split each cluster into the components of the rest (the clustering
and its linkage guard are not re-run).

--fixpoint runs the real clustering with the conjunction's refusals: BINARY
is a build of neardup with benches/accuracy/issue26_refuse.patch applied (a
throwaway: it refuses, through the figures rule, the pairs listed in the file
named by NEARDUP_REFUSE). The loop scans, adds every kept pair the conjunction
(before and after >= MIDDLE, >= 4 foreign blocks) refuses to the list, and
scans again until no kept pair is refused; then prints `neardup eval -q`.
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


def digest_signals(s, p):
    """(before, after, foreign blocks) of a kept pair `p` of set `s`, or None
    when the pair is not accepted by containment or shares no passage."""
    if p["jaccard"] >= 0.5:
        return None
    ps = [q for q in p.get("passages", []) if q["boilerplate"] < 0.5]
    if not ps:
        return None
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
    return before, after, foreign


def class2_rows(s):
    rows = []
    for c in s.clusters:
        for p in c.get("pairs", []):
            f = digest_signals(s, p)
            if f is not None:
                rows.append((s.key(p["a"]), s.label(p["a"], p["b"])) + f)
    return rows


def pair_f1(s, clusters, only):
    """Pairwise P / R / F1 of `clusters` (lists of ids) on the truth rows of
    class `only` (all rows when None), as `neardup eval` computes them."""
    pred = {d: i for i, c in enumerate(clusters) for d in c}
    docs = [d for d in s.truth if only is None or s.cls.get(d) == only]
    pairs = lambda groups: sum(n * (n - 1) // 2 for n in collections.Counter(groups).values())
    tp = pairs((s.truth[d], pred.get(d, d)) for d in docs)
    t, pr = pairs(s.truth[d] for d in docs), pairs(pred.get(d, d) for d in docs)
    p, r = (tp / pr if pr else 1.0), (tp / t if t else 1.0)
    return f"{p:.4f} / {r:.4f} / {(2 * p * r / (p + r) if p + r else 0):.4f}"


def emulate(s, middle, blocks):
    """The scan's clusters with the kept pairs the class-2 conjunction refuses
    removed, each cluster split into the connected components of its other
    kept pairs (an approximation: the clustering is not re-run)."""
    out, refused = [], 0
    for c in s.clusters:
        parent = {d: d for d in c["docs"]}

        def find(x):
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x
        for p in c.get("pairs", []):
            f = digest_signals(s, p)
            if f is not None and min(f[0], f[1]) >= middle and f[2] >= blocks:
                refused += 1
                continue
            parent[find(p["a"])] = find(p["b"])
        comp = collections.defaultdict(list)
        for d in c["docs"]:
            comp[find(d)].append(d)
        out += comp.values()
    return out, refused


def title(text):
    """The first non-empty line, lowercased, less a wire's "UPDATE n-"."""
    for line in text.split("\n"):
        if line.strip():
            return re.sub(r"^update \d+-", "", line.strip().lower())
    return ""


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
                         sum(len(q["edits"]) for q in long_),
                         title(s.text(p["a"])) == title(s.text(p["b"]))))
    return rows


def table(title, rows, pred):
    out = collections.defaultdict(lambda: [0, 0, 0])
    for r in rows:
        if pred(r):
            out[r[0]][0 if r[1] else (1 if r[1] is False else 2)] += 1
    print(f"{title}: " + ", ".join(f"{k} {tuple(v)}" for k, v in sorted(out.items())))


def fixpoint(binary, name, docs, truth, middle, out):
    import subprocess
    ref = os.path.join(out, f"refuse.{name}.{middle}.tsv")
    open(ref, "w").close()
    env = dict(os.environ, NEARDUP_REFUSE=ref)
    pairs = set()
    for it in range(10):
        jl = os.path.join(out, f"{name}.fix{middle}.jsonl")
        subprocess.run([binary, "scan", docs, "--format", "jsonl", "--all", "--explain", "-q",
                        "-o", jl], env=env, check=True)
        s = Set(name, docs, truth, jl)
        new = 0
        for c in s.clusters:
            for p in c.get("pairs", []):
                f = digest_signals(s, p)
                if f is not None and min(f[0], f[1]) >= middle and f[2] >= 4:
                    if (p["a"], p["b"]) not in pairs:
                        pairs.add((p["a"], p["b"]))
                        new += 1
        print(f"scan {it}: {new} kept pairs refused anew, {len(pairs)} in all")
        if not new:
            break
        with open(ref, "w") as f:
            f.writelines(f"{a}\t{b}\n" for a, b in sorted(pairs))
    r = subprocess.run([binary, "eval", "-q", "--truth", truth, docs], env=env,
                       capture_output=True, text=True, check=True)
    print(r.stdout.split("\n\n")[0])


def main():
    if sys.argv[1] == "--fixpoint":
        b, name, docs, truth, middle, out = sys.argv[2:8]
        return fixpoint(b, name, docs, truth, int(middle), out)
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
    print("class 2, emulated clusters (refused pairs; P / R / F1 before -> after)")
    for name, docs, truth in sets:
        st = Set(name, docs, truth, os.path.join(out, name + ".def.jsonl"))
        for middle in (20, 40):
            after, refused = emulate(st, middle, 4)
            for k in sorted(set(st.cls.values())) or [None]:
                print(f"  middle >= {middle}, blocks >= 4: {name}{':' + k if k else ''}: {refused} refused, "
                      f"{pair_f1(st, [c['docs'] for c in st.clusters], k)} -> {pair_f1(st, after, k)}")
    print("class 3: pairs kept only with --containment 0.25 (0.25 <= C < 0.4)")
    table("  all", r3, lambda r: True)
    table("  longest passage >= 25 words", r3, lambda r: r[4] >= 25)
    table("  longest passage >= 50 words", r3, lambda r: r[4] >= 50)
    table("  >= 2 passages of 25+ words, 60+ words", r3, lambda r: r[2] >= 2 and r[3] >= 60)
    table("  >= 3 passages of 25+ words", r3, lambda r: r[2] >= 3)
    table("  same first line (UPDATE n- stripped)", r3, lambda r: r[6])
    table("  same first line and longest passage >= 25 words", r3, lambda r: r[6] and r[4] >= 25)


if __name__ == "__main__":
    main()
