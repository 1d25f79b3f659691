#!/usr/bin/env python3
"""Estimates the digest rule's block summaries' size (docs/ACCURACY.md, "The digest rule"):
the same blocks, timed-block screen and long-word counts as neardup::digest::summary_into,
with a regex tokenizer (an estimate: the tokenizer's words differ a little).
usage: python3 benches/accuracy/digest_bytes.py DOCS_DIR"""
import os, re, sys
W = re.compile(r"\w+")
ZONES = "GMT|UTC|BST|CET|CEST|EET|ET|EST|EDT|CT|CST|CDT|MT|MST|MDT|PT|PST|PDT|JST|AEST"
CLOCK = re.compile(r"(?:[01]?\d|2[0-3])([:.])[0-5]\d(?![\d])(?![.:,]\d)[ \t]*((?:[aApP]\.?[mM]\.?)(?![A-Za-z]))?[ \t]*((?:%s)(?![A-Za-z]))?(.*)" % ZONES)
def clock(first):
    m = CLOCK.match(first)
    if not m: return False, False
    rest = m.group(4).strip()
    if not rest: return True, True
    return bool(m.group(1) == ':' or m.group(2) or m.group(3) or rest[0] in "-:|\u2013\u2014"), False
d = sys.argv[1]; n = 0; tot = 0; with_s = 0; timed_docs = 0
for f in os.listdir(d):
    t = open(os.path.join(d, f), encoding='utf-8', errors='replace').read()
    n += 1
    blocks = [b.strip() for b in re.split(r"\n[ \t\r\f\v]*\n", t) if b.strip()]
    if len(blocks) < 5: continue
    timed, stamps = [], False
    for b in blocks:
        c, alone = clock(b.split("\n")[0])
        timed.append(c or stamps)
        stamps = c and alone and "\n" not in b
    if sum(timed) < 4: continue
    timed_docs += 1
    toks = [W.findall(b) for b in blocks]
    if sum(len(x) >= 10 for x in toks) < 5 or sum(len(x) >= 10 and tm for x, tm in zip(toks, timed)) < 4: continue
    with_s += 1
    b = 8
    for x in toks:
        if not x: continue
        words = len({w.lower() for w in x if len(w) >= 5})
        b += 8 + 8 * ((min(len(x), 8) + 1) // 2) + 8 * ((words + 3) // 4)
    tot += b
print(f"{d}: {n} docs, {timed_docs} with 4+ timed blocks, {with_s} with a summary, {tot} bytes, {tot/n:.1f} bytes/doc (all docs), {tot/max(with_s,1):.0f} bytes per summarized doc")
