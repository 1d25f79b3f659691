#!/usr/bin/env python3
"""Accuracy table for docs/ACCURACY.md: neardup (defaults, exact mode, the
"easy recipe") and the peers (datasketch, rensa, gaoya at their usual
settings) on every labeled set we have, scored with
../shared/tools/score_clusters.py, the script the acceptance checks use.

usage: python3 benches/accuracy/run.py [--no-peers]

Builds neardup in release mode and, unless --no-peers, uses the peer venv of
benches/peers (created by `python3 benches/peers/run.py --setup-only` or any
run of it). Synthetic sets are generated into benches/accuracy/work/.
"""

import argparse
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.join(ROOT, "..", "shared")
WORK = os.path.join(ROOT, "benches", "accuracy", "work")
NEARDUP = os.path.join(ROOT, "target", "release", "neardup")
SCORE = os.path.join(SHARED, "tools", "score_clusters.py")
VENV_PY = os.path.join(ROOT, "benches", "peers", ".venv", "bin", "python")
PEER = os.path.join(ROOT, "benches", "peers", "peer.py")

EASY = ["--shingle", "5", "--threshold", "0.5", "--containment", "1",
        "--containment-min-jaccard", "1", "--boilerplate-docs", "0", "--linkage", "0"]

ROWS = [
    ("neardup defaults", []),
    ("neardup --exact (no sketching, same rule)", ["--exact"]),
    ("neardup --linkage 0 (connected components)", ["--linkage", "0"]),
    ("neardup --boilerplate-docs 0 (no boilerplate cut)", ["--boilerplate-docs", "0"]),
    ("exact J>=0.5, word 5-grams, components (easy recipe)", ["--exact"] + EASY),
    ("neardup MinHash 32x4, J>=0.5, word 5-grams", ["--perms", "128", "--bands", "32"] + EASY),
]


def sets():
    out = [
        ("sample corpus (corpus/, 41 docs)", os.path.join(ROOT, "corpus", "truth.tsv"), os.path.join(ROOT, "corpus")),
    ]
    for stories, seed in ((1000, 1), (2000, 7)):
        d = os.path.join(WORK, f"synth-{stories}-{seed}")
        if not os.path.exists(os.path.join(d, "truth.tsv")):
            subprocess.run([NEARDUP, "generate", "--sources", os.path.join(SHARED, "data", "reuters21578", "docs"),
                            "--out", d, "--stories", str(stories), "--seed", str(seed)], check=True)
        out.append((f"synthetic Reuters syndication ({stories} stories, seed {seed})", os.path.join(d, "truth.tsv"), os.path.join(d, "docs")))
    out.append(("Helsinki pages, hand-labeled (tests/data)", os.path.join(ROOT, "tests", "data", "helsinki.truth.tsv"),
                os.path.join(SHARED, "data", "helsinki-news-2018", "docs")))
    out.append(("Reuters template siblings (issue 26 class 4, tests/data)",
                os.path.join(ROOT, "tests", "data", "reuters-siblings.truth.tsv"),
                os.path.join(SHARED, "data", "reuters21578", "docs")))
    out.append(("Clough & Stevenson (human labels)", os.path.join(SHARED, "data", "clough-shortanswer", "clusters.tsv"),
                os.path.join(SHARED, "data", "clough-shortanswer", "docs")))
    return out


def score(truth, jsonl):
    r = subprocess.run([sys.executable, SCORE, truth, jsonl], capture_output=True, text=True, check=True)
    m = re.search(r"precision=([\d.]+) recall=([\d.]+) f1=([\d.]+) ari=([\d.]+)", r.stdout)
    return tuple(float(x) for x in m.groups())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-peers", action="store_true")
    a = ap.parse_args()
    os.makedirs(WORK, exist_ok=True)
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    peers = not a.no_peers and os.path.exists(VENV_PY)
    for name, truth, docs in sets():
        print(f"\n### {name}\n")
        print("| configuration | precision | recall | F1 | ARI |")
        print("|---|---|---|---|---|")
        for label, flags in ROWS:
            out = os.path.join(WORK, "out.jsonl")
            subprocess.run([NEARDUP, "scan", docs, "--format", "jsonl", "-o", out, "-q"] + flags, check=True)
            p, r, f, ari = score(truth, out)
            print(f"| {label} | {p:.4f} | {r:.4f} | {f:.4f} | {ari:.4f} |", flush=True)
        if peers:
            for tool in ("datasketch", "rensa", "gaoya"):
                out = os.path.join(WORK, "peer.jsonl")
                stats = os.path.join(WORK, "peer.json")
                subprocess.run([VENV_PY, PEER, tool, docs, out, stats, "--shingle", "5", "--perms", "128",
                                "--bands", "32", "--threshold", "0.5"], check=True, capture_output=True)
                p, r, f, ari = score(truth, out)
                print(f"| {tool} 2x... J>=0.5 (5-grams, 128 perms, 32x4) | {p:.4f} | {r:.4f} | {f:.4f} | {ari:.4f} |".replace(" 2x...", ""), flush=True)


if __name__ == "__main__":
    main()
