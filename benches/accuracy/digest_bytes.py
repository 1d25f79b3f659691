#!/usr/bin/env python3
"""Estimates the digest rule's block summaries' size (docs/ACCURACY.md, "The digest rule"):
the same block and long-word counts as neardup::digest::summary_into, with a regex tokenizer.
usage: python3 benches/accuracy/digest_bytes.py DOCS_DIR"""
import os, re, sys
W = re.compile(r"\w+")
d = sys.argv[1]; n = 0; tot = 0; with_s = 0
for f in os.listdir(d):
    t = open(os.path.join(d, f), encoding='utf-8', errors='replace').read()
    n += 1
    blocks = [b for b in re.split(r"\n[ \t\r]*\n", t) if b.strip()]
    if len(blocks) < 5: continue
    toks = [W.findall(b) for b in blocks]
    if sum(len(x) >= 10 for x in toks) < 5: continue
    with_s += 1
    b = 8
    for x in toks:
        if not x: continue
        words = len({w.lower() for w in x if len(w) >= 5})
        b += 8 + 8 * ((min(len(x), 8) + 1) // 2) + 8 * ((words + 3) // 4)
    tot += b
print(f"{d}: {n} docs, {with_s} with a summary, {tot} bytes, {tot/n:.1f} bytes/doc (all docs), {tot/max(with_s,1):.0f} bytes per summarized doc")
