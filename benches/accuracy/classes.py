#!/usr/bin/env python3
"""Labeled cases for the error classes 1-3 of issue 26, built from the real
Reuters-21578 wires in ../shared/data with wrappers written here.

usage: python3 benches/accuracy/classes.py OUT [--data DIR]

writes OUT/docs/*.txt and OUT/truth.tsv (doc, cluster, class). The build is
deterministic (fixed seed, wires chosen by rule from the text), so the truth
is the same on every machine: tests/data/classes.truth.tsv is a copy of it,
and tests/accuracy.rs builds the documents at test time and checks that the
truth it gets is the stored one. No third-party text is stored in the
project: only ids, labels and this recipe. The outlets, their page chrome and
the added lines below are invented.

Classes (the third column):

* ``short-item`` (class 1): a short wire (20-60 words of body, an earnings
  table or a brief) and 2-3 republications by invented outlets that wrap it
  in chrome several times longer (menu, byline, market widget, related
  links, footer), spell the wire's abbreviations out ("dlrs" -> "dollars",
  "mln" -> "million", "pct" -> "per cent"), drop or add a line, or glue a
  related headline into a paragraph. One cluster per wire. Other short wires
  wrapped the same way, with no copy, are singletons (the chrome alone must
  not join them).
* ``digest`` (class 2): a longer wire (150-400 words) with 1-2 outlet copies
  (one cluster), and "The Latest" digest pages, each pasting one or two whole
  wires among 8-14 timed items (the opening of other wires). A digest is a
  singleton: it contains the story, it is not a copy of it.
* ``write-through`` (class 3): the versions of one story through the day
  (a morning brief of its first paragraphs, a midday version with more
  paragraphs, an evening version with a new lede that drops the early
  paragraphs), one cluster; and pairs of different wires that quote the
  same statement (a sentence of a third wire pasted into both), singletons.
"""
import os
import random
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "..", "shared", "data", "reuters21578")
SEED = 26

OUTLETS = [
    ("The Harbor City Ledger", "ledger", "Home | Local | Business | Markets | Opinion | Sports | Weather | Obituaries"),
    ("Prairie Business Daily", "pbd", "Front page - Companies - Commodities - Banking - Energy - Farm report - Columns"),
    ("Northshore Courier Online", "courier", "News / Money / Your portfolio / Tech / Life / Events / Classifieds / Jobs"),
    ("Capital Markets Wire Review", "cmwr", "Latest :: Equities :: Bonds :: Currencies :: Earnings :: Deals :: People"),
    ("Valley Evening Post", "vep", "News Business Sports Arts Living Travel Real estate Cars Puzzles Newsletters"),
    ("Mid-Atlantic Investor", "mai", "Markets | Stocks to watch | Funds | Retirement | Taxes | Ask the advisor"),
    ("Lakeside Tribune", "tribune", "Top stories > Metro > Nation > World > Business > Science > Health"),
    ("Coastal Finance Journal", "cfj", "Home / Earnings season / Mergers / Central banks / Trade / Analysis"),
]

EXPAND = [
    (r"\bdlrs\b", "dollars"), (r"\bDlrs\b", "Dollars"), (r"\bDLRS\b", "DOLLARS"),
    (r"\bdlr\b", "dollar"), (r"\bDlr\b", "Dollar"),
    (r"\bmln\b", "million"), (r"\bMln\b", "Million"), (r"\bMLN\b", "MILLION"),
    (r"\bbln\b", "billion"), (r"\bBln\b", "Billion"),
    (r"\bstg\b", "sterling"),
]

ADDED_LINES = [
    "The company did not give further details in its statement.",
    "Figures are unaudited and were released after the market closed.",
    "A spokesman declined to comment beyond the release.",
    "Results were reported in U.S. currency unless stated otherwise.",
]


def read_wire(name):
    text = open(os.path.join(DATA, "docs", name), encoding="utf-8", errors="replace").read()
    lines = text.split("\n")
    title = lines[0].strip()
    body = [l for l in lines[2:] if l.strip() and l.strip().lower() != "reuter" and "&#" not in l]
    # paragraphs: a line indented by spaces starts one
    paras = []
    for l in body:
        if l.startswith(" ") or not paras:
            paras.append([l.strip()])
        else:
            paras[-1].append(l.strip())
    paras = [" ".join(p) for p in paras]
    return title, paras


def words(paras):
    return sum(len(p.split()) for p in paras)


def expand(text, rng):
    for pat, rep in EXPAND:
        text = re.sub(pat, rep, text)
    pct = "per cent" if rng.random() < 0.5 else "percent"
    return re.sub(r"\bpct\b", pct, re.sub(r"\bPct\b", pct.capitalize(), text))


def retouch(para, rng):
    w = para.split()
    k = rng.randrange(9)
    return " ".join(x for i, x in enumerate(w) if i % 9 != k or i == 0)


def widget(rng):
    rows = ["Dow", "S&P 500", "Nasdaq", "10-yr yield", "Gold", "Crude", "Euro"]
    return "Market watch: " + "  ".join(
        f"{r} {rng.uniform(1, 3000):.2f} {rng.choice('+-')}{rng.uniform(0, 2):.2f}%" for r in rows
    )


def page(outlet, rng, titles, body_lines, headline, day):
    name, slug, menu = outlet
    related = rng.sample(titles, 4)
    out = [
        f"{name} | {slug}.example",
        menu,
        "Sign in | Subscribe | Today's paper | Newsletters | Search",
        widget(rng),
        "",
        headline.title(),
        f"By {name} staff and wire reports | Published March {day}, 1987 | Updated March {day}, 1987",
        "Share this story: Facebook Twitter Email Print Comments",
        "",
    ]
    out += body_lines
    out += [
        "",
        "Related coverage:",
        *[f"- {t.title()}" for t in related],
        "",
        "Your portfolio: track the companies in this story. Add them to your watchlist to get "
        "alerts on earnings, dividends and filings as soon as they are released.",
        f"Copyright 1987 {name}. All rights reserved. This material may not be published, "
        "broadcast, rewritten or redistributed. Terms of use | Privacy policy | Contact us | "
        "Advertise with us | Careers | Site map | Help and frequently asked questions",
    ]
    return "\n".join(out) + "\n"


def main():
    args = sys.argv[1:]
    global DATA
    if "--data" in args:
        i = args.index("--data")
        DATA = args[i + 1]
        del args[i : i + 2]
    if len(args) != 1 or args[0].startswith("-"):
        # an option where the output directory belongs (`--help`, `-h`) prints the usage
        # and writes nothing, rather than creating a directory with that name
        sys.exit(__doc__)
    out = args[0]
    os.makedirs(os.path.join(out, "docs"), exist_ok=True)
    rng = random.Random(SEED)
    names = sorted(n for n in os.listdir(os.path.join(DATA, "docs")) if n.endswith(".txt"))
    wires = {}
    for n in names:
        t, p = read_wire(n)
        if t and p:
            wires[n] = (t, p)
    titles = [wires[n][0] for n in names if n in wires]
    seen_titles = set()

    def fresh(pred):
        # distinct headlines, so that a wire and its resend are never picked as two stories
        pool = []
        for n in names:
            if n not in wires or n in used:
                continue
            t, p = wires[n]
            if t in seen_titles or not pred(t, p):
                continue
            pool.append(n)
        return pool

    used = set()
    truth = []
    docs = {}

    def take(pool, k):
        got = []
        for n in rng.sample(pool, len(pool)):
            if len(got) == k:
                break
            t = wires[n][0]
            if n in used or t in seen_titles:
                continue
            used.add(n)
            seen_titles.add(t)
            got.append(n)
        return got

    def put(doc, text, cluster, cls):
        docs[doc] = text
        truth.append((doc, cluster, cls))

    # ---- class 1: short items inside long chrome
    short = fresh(lambda t, p: 20 <= words(p) <= 60 and re.search(r"\b(dlrs|mln|pct)\b", " ".join(p)))
    items = take(short, 100)
    alone = take(short, 60)
    for n in items + alone:
        t, p = wires[n]
        key = n[:-4]
        if n in alone:
            o = rng.choice(OUTLETS)
            put(f"c1-{key}-{o[1]}.txt", page(o, rng, titles, list(p), t, rng.randint(1, 31)), f"c1-{key}-{o[1]}", "short-item")
            continue
        put(f"c1-{key}-wire.txt", f"{t}\n\n" + "\n".join(p) + "\n", f"c1-{key}", "short-item")
        for o in rng.sample(OUTLETS, rng.randint(2, 3)):
            lines = list(p)
            if rng.random() < 0.7:
                lines = [expand(l, rng) for l in lines]
            r = rng.random()
            if r < 0.3 and len(lines) > 2:
                del lines[rng.randrange(1, len(lines))]
            elif r < 0.6:
                lines.insert(rng.randrange(1, len(lines) + 1), rng.choice(ADDED_LINES))
            if rng.random() < 0.3:
                i = rng.randrange(len(lines))
                w = lines[i].split()
                cut = rng.randrange(len(w) + 1)
                lines[i] = " ".join(w[:cut] + [rng.choice(titles).title()] + w[cut:])
            put(f"c1-{key}-{o[1]}.txt", page(o, rng, titles, lines, t, rng.randint(1, 31)), f"c1-{key}", "short-item")

    # ---- class 2: digests that paste whole wires among other timed items
    longer = fresh(lambda t, p: 150 <= words(p) <= 400 and len(p) >= 4)
    stories = take(longer, 40)
    fillers = take(fresh(lambda t, p: words(p) >= 40), 400)
    for n in stories:
        t, p = wires[n]
        key = n[:-4]
        put(f"c2-{key}-wire.txt", f"{t}\n\n" + "\n".join(p) + "\n", f"c2-{key}", "digest")
        for o in rng.sample(OUTLETS, rng.randint(1, 2)):
            put(f"c2-{key}-{o[1]}.txt", page(o, rng, titles, list(p), t, rng.randint(1, 31)), f"c2-{key}", "digest")
    for d in range(60):
        o = rng.choice(OUTLETS)
        pasted = rng.sample(stories, 2 if rng.random() < 0.25 else 1)
        items = []
        for f in rng.sample(fillers, rng.randint(8, 14)):
            ft, fp = wires[f]
            text = " ".join(fp)
            sent = re.split(r"(?<=[a-z0-9]\.)\s+(?=[A-Z])", text)
            items.append(f"{ft.title()}\n" + " ".join(sent[: rng.randint(1, 3)]))
        for s in pasted:
            st, sp = wires[s]
            items.insert(rng.randrange(len(items) + 1), f"{st.title()}\n" + "\n".join(sp))
        hour = 6
        body = []
        for i, it in enumerate(items):
            minute = (i * 37) % 60
            body.append(f"{hour + i // 2}:{minute:02d} a.m." if hour + i // 2 < 12 else f"{hour + i // 2 - 12 or 12}:{minute:02d} p.m.")
            body.append(it)
            body.append("")
        head = f"The Latest: markets and companies, March {d % 28 + 1}"
        put(f"c2-digest-{d:02d}-{o[1]}.txt", page(o, rng, titles, body, head, d % 28 + 1), f"c2-digest-{d:02d}", "digest")

    # ---- class 3: write-throughs of one story; different stories quoting one statement
    rewrites = take(fresh(lambda t, p: 200 <= words(p) <= 500 and len(p) >= 7), 40)
    for n in rewrites:
        t, p = wires[n]
        key = n[:-4]
        m = len(p)
        a, b = max(2, m * 2 // 5), max(3, m * 3 // 4)
        versions = [
            ("am", t, p[:a]),
            ("midday", "UPDATE 1-" + t, [p[0]] + p[2:b]),
            ("pm", "UPDATE 2-" + t, [p[-1]] + p[a - 1 : m - 1]),
        ]
        if rng.random() < 0.5:
            versions.append(("final", "UPDATE 3-" + t, [p[-2], p[-1]] + p[b - 1 : m - 2] + p[1:3]))
        for v, vt, vp in versions:
            if v != "am":
                # each later version is edited: a word dropped in about
                # one of every nine, in half of its paragraphs
                vp = [retouch(x, rng) if rng.random() < 0.5 else x for x in vp]
            put(f"c3-{key}-{v}.txt", f"{vt}\n\n" + "\n".join(vp) + "\n", f"c3-{key}", "write-through")
    quoters = take(fresh(lambda t, p: 150 <= words(p) <= 400 and len(p) >= 4), 60)
    sources = take(fresh(lambda t, p: words(p) >= 60), 30)
    for i, s in enumerate(sources):
        sp = wires[s][1]
        text = " ".join(sp)
        sent = [x for x in re.split(r"(?<=[a-z0-9]\.)\s+(?=[A-Z])", text) if 20 <= len(x.split()) <= 45]
        statement = sent[0] if sent else " ".join(text.split()[:35])
        for n in quoters[2 * i : 2 * i + 2]:
            t, p = wires[n]
            p = list(p)
            p.insert(rng.randrange(1, len(p)), f'"{statement}" the statement said.')
            put(f"c3-quote-{n[:-4]}.txt", f"{t}\n\n" + "\n".join(p) + "\n", f"c3-quote-{n[:-4]}", "write-through")

    for doc, text in docs.items():
        with open(os.path.join(out, "docs", doc), "w", encoding="utf-8") as f:
            f.write(text)
    with open(os.path.join(out, "truth.tsv"), "w", encoding="utf-8") as f:
        f.write("doc\tcluster\tclass\n")
        for row in sorted(truth):
            f.write("\t".join(row) + "\n")
    print(f"{len(docs)} documents in {len({c for _, c, _ in truth})} clusters -> {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
