#!/usr/bin/env python3
"""Run one peer MinHash library end to end over a folder of text files.

usage: peer.py TOOL DOCS_DIR OUT_JSONL STATS_JSON [--shingle K] [--perms N]
               [--bands B] [--threshold T] [--seed S] [--batch N]

TOOL is one of: datasketch, rensa, gaoya, python. Runs inside the harness
venv (benches/peers/.venv, see requirements.txt); `run.py` starts it as its
own process so wall time and peak RSS are measured per tool.

`python` is the in-memory comparison: every text is first read into a
Python list (untimed), then, in this one process and one after the other,
`neardup.scan(texts, ids)` (the Python package, installed into the venv by
run.py) and the datasketch and rensa pipelines below fed from that same
list are timed; each writes its groups (OUT_JSONL for neardup,
OUT_JSONL with `.datasketch` / `.rensa` before the suffix for the others)
and STATS_JSON gets the seconds of each.

Every tool gets the same input and the same shingles, made here in Python:

* files: DOCS_DIR walked recursively in sorted order, hidden entries skipped,
  ids = paths relative to DOCS_DIR (the ids neardup prints), bytes decoded
  as UTF-8 with invalid bytes replaced;
* words: `WORD_RE` over the lowercased text, an approximation of neardup's
  UAX #29 words (letters/digits; `can't`, `U.S`, `3.5`, `1,000` stay whole);
* shingles: the set of K consecutive words joined by one space; a document
  of fewer than K words is one shingle (as in neardup); a document with no
  word has no signature and is left out.

Then each library is used the way its documentation shows (see
`docs/BENCHMARKS.md`): MinHash with N permutations, LSH with B bands of N/B
rows, candidates verified with the library's MinHash estimate of Jaccard
(`>= T`), verified pairs grouped by connected components (union-find), and
groups of two or more written as JSON Lines `{"docs": [...]}` (the format of
`../shared/tools/score_clusters.py`). Documents stream through in batches of
`--batch`, so only signatures are kept, never texts or shingle sets.

STATS_JSON receives per-phase seconds and counts.
"""

import argparse
import json
import os
import re
import sys
import time

WORD_RE = re.compile(r"\w+(?:(?:['\u2019.]|(?<=\d),(?=\d))\w+)*")


def walk_docs(root):
    """Yields (id, path) in sorted order, hidden entries skipped."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = os.path.join(dirpath, name)
            yield os.path.relpath(path, root).replace(os.sep, "/"), path


# neardup's tokenizer version 2 (src/tokenize.rs, CANONICAL): spelled-out
# forms of the wire abbreviations are the abbreviation, and `per cent` is one
# word, `pct`. Every tool is given the same words as neardup reads.
CANONICAL = {"dollars": "dlrs", "dollar": "dlr", "million": "mln", "billion": "bln",
             "percent": "pct", "sterling": "stg"}


def canonical_words(words):
    """`words` as neardup's tokenizer version 2 normalizes them."""
    out = []
    i = 0
    while i < len(words):
        if words[i] == "per" and i + 1 < len(words) and words[i + 1] == "cent":
            out.append("pct")
            i += 2
        else:
            out.append(CANONICAL.get(words[i], words[i]))
            i += 1
    return out


def shingles(text, k):
    """The set of word k-shingles of `text` (lowercased words, wire
    abbreviations normalized as neardup does)."""
    words = canonical_words(WORD_RE.findall(text.lower()))
    if not words:
        return set()
    if len(words) < k:
        return {" ".join(words)}
    return {" ".join(words[i : i + k]) for i in range(len(words) - k + 1)}


class Phases:
    """Accumulates wall seconds per named phase."""

    def __init__(self):
        self.seconds = {}
        self._t = time.perf_counter()

    def lap(self, name):
        now = time.perf_counter()
        self.seconds[name] = self.seconds.get(name, 0.0) + now - self._t
        self._t = now


def read_docs(root, counts):
    """Yields (id, text) of the files under root, in order."""
    for doc_id, path in walk_docs(root):
        with open(path, "rb") as f:
            data = f.read()
        counts["bytes"] += len(data)
        counts["files"] += 1
        yield doc_id, data.decode("utf-8", errors="replace")


def batches(docs, k, size, phases, counts):
    """Yields lists of (id, shingle set) from the (id, text) pairs of `docs`,
    shingling as it goes."""
    batch = []
    for doc_id, text in docs:
        sh = shingles(text, k)
        if not sh:
            counts["empty"] += 1
            continue
        batch.append((doc_id, sh))
        if len(batch) == size:
            phases.lap("read+shingle")
            yield batch
            batch = []
    phases.lap("read+shingle")
    if batch:
        yield batch


class UnionFind:
    def __init__(self, n):
        self.parent = list(range(n))

    def find(self, x):
        p = self.parent
        while p[x] != x:
            p[x] = p[p[x]]
            x = p[x]
        return x

    def union(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def write_groups(ids, edges, out):
    """Connected components of `edges`; groups of 2+ as JSON Lines."""
    uf = UnionFind(len(ids))
    for a, b in edges:
        uf.union(a, b)
    groups = {}
    for i in range(len(ids)):
        groups.setdefault(uf.find(i), []).append(i)
    n = 0
    with open(out, "w", encoding="utf-8") as f:
        for root in sorted(groups):
            members = groups[root]
            if len(members) < 2:
                continue
            f.write(json.dumps({"docs": [ids[i] for i in members]}) + "\n")
            n += 1
    return n


# --------------------------------------------------------------------------
# datasketch: MinHash (numpy, SHA-1 of each shingle) + MinHashLSH (dict).


def run_datasketch(a, phases, counts, docs=None):
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=a.threshold, num_perm=a.perms, params=(a.bands, a.perms // a.bands))
    ids, sigs = [], []
    docs = read_docs(a.docs, counts) if docs is None else docs
    with lsh.insertion_session() as session:
        for batch in batches(docs, a.shingle, a.batch, phases, counts):
            encoded = [[s.encode("utf-8") for s in sh] for _, sh in batch]
            # MinHash.generator shares the permutations across the batch.
            mhs = list(MinHash.generator(encoded, num_perm=a.perms, seed=a.seed))
            phases.lap("sign")
            for (doc_id, _), m in zip(batch, mhs):
                session.insert(len(ids), m, check_duplication=False)
                ids.append(doc_id)
                sigs.append(m)
            phases.lap("index")
    phases.lap("index")
    edges = []
    for i, m in enumerate(sigs):
        for j in lsh.query(m):
            if j > i:
                counts["candidates"] += 1
                if m.jaccard(sigs[j]) >= a.threshold:
                    edges.append((i, j))
    phases.lap("query+verify")
    return ids, edges


# --------------------------------------------------------------------------
# rensa: RMinHash (Rust) + RMinHashLSH (Rust), as in rensa's README
# ("Deduplicating with RMinHashLSH"), with its bulk helpers
# (`RMinHash.from_token_sets`, `insert_many`, `query_all`) instead of one
# Python call per document.


def run_rensa(a, phases, counts, docs=None):
    from rensa import RMinHash, RMinHashLSH

    lsh = RMinHashLSH(threshold=a.threshold, num_perm=a.perms, num_bands=a.bands)
    ids, sigs = [], []
    docs = read_docs(a.docs, counts) if docs is None else docs
    for batch in batches(docs, a.shingle, a.batch, phases, counts):
        mhs = RMinHash.from_token_sets([list(sh) for _, sh in batch], a.perms, a.seed)
        phases.lap("sign")
        lsh.insert_many(mhs, start_key=len(ids))
        ids.extend(doc_id for doc_id, _ in batch)
        sigs.extend(mhs)
        phases.lap("index")
    edges = []
    for i, cands in enumerate(lsh.query_all(sigs)):
        m = sigs[i]
        for j in cands:
            if j > i:
                counts["candidates"] += 1
                if m.jaccard(sigs[j]) >= a.threshold:
                    edges.append((i, j))
    phases.lap("query+verify")
    return ids, edges


# --------------------------------------------------------------------------
# gaoya: MinHashStringIndex (Rust, 32-bit hashes) fed our shingles as tokens.
# Its query already filters candidates by MinHash-estimated Jaccard
# >= jaccard_threshold, so no separate verification is written here.


def run_gaoya(a, phases, counts):
    from gaoya.minhash import MinHashStringIndex

    index = MinHashStringIndex(
        hash_size=32,
        jaccard_threshold=a.threshold,
        num_bands=a.bands,
        band_size=a.perms // a.bands,
    )
    native = index.minhash_index
    counts["candidates"] = None  # gaoya's query returns verified pairs only
    ids, edges = [], []
    for batch in batches(read_docs(a.docs, counts), a.shingle, a.batch, phases, counts):
        keys = list(range(len(ids), len(ids) + len(batch)))
        tokens = [list(sh) for _, sh in batch]
        # Signatures computed in parallel (rayon) and bulk-inserted.
        native.par_bulk_insert_tokens(keys, tokens)
        ids.extend(doc_id for doc_id, _ in batch)
        phases.lap("sign+index")
        # gaoya has no query by stored signature: the batch is signed again
        # by par_bulk_query_tokens. Querying right after inserting finds
        # every pair once, from its later document (j < i).
        for i, found in zip(keys, native.par_bulk_query_tokens(tokens)):
            for j in found:
                if j < i:
                    edges.append((j, i))
        phases.lap("query+verify")
    return ids, edges


TOOLS = {"datasketch": run_datasketch, "rensa": run_rensa, "gaoya": run_gaoya}


# --------------------------------------------------------------------------
# python: neardup.scan on texts already in a Python list, against datasketch
# and rensa fed from the same list, in one process.


def side_path(out, tool):
    """OUT_JSONL with `.tool` before its suffix."""
    root, ext = os.path.splitext(out)
    return f"{root}.{tool}{ext}"


def peak_rss_mb():
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_from_list(a):
    import gc

    import neardup

    t0 = time.perf_counter()
    counts = {"files": 0, "bytes": 0, "empty": 0, "candidates": 0}
    docs = list(read_docs(a.docs, counts))
    ids = [d for d, _ in docs]
    texts = [t for _, t in docs]
    stats = {"tool": "python", "documents": len(texts), "bytes": counts["bytes"],
             "load_s": round(time.perf_counter() - t0, 3), "rss_after_load_mb": peak_rss_mb()}
    gc.collect()

    # neardup: the whole job (shingles, MinHash, LSH, exact verification,
    # clusters) in one call, with the matched settings: the CLI row's flags
    # (its own MinHash seed, as that row), so the two give the same groups.
    w0, c0 = time.perf_counter(), time.process_time()
    result = neardup.scan(texts, ids, shingle=a.shingle, perms=a.perms, bands=a.bands,
                          threshold=a.threshold)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    clusters = [c.docs for c in result.clusters]
    stats["neardup"] = {
        "wall_s": round(wall, 4), "cpu_s": round(cpu, 3), "peak_rss_mb": peak_rss_mb(),
        "verified_pairs": result.stats["verified_pairs"], "groups": len(clusters),
        "stages": {k: round(v, 4) for k, v in result.stats["stages"].items()},
        "neardup_version": neardup.__version__,
    }
    with open(a.out, "w", encoding="utf-8") as f:
        for members in clusters:
            f.write(json.dumps({"docs": members}) + "\n")
    del result, clusters
    gc.collect()

    # The peers, each from the same list.
    for tool, run in (("datasketch", run_datasketch), ("rensa", run_rensa)):
        phases = Phases()
        c = {"files": 0, "bytes": 0, "empty": 0, "candidates": 0}
        w0, c0 = time.perf_counter(), time.process_time()
        pids, edges = run(a, phases, c, docs=iter(docs))
        groups = write_groups(pids, edges, side_path(a.out, tool))
        phases.lap("group+write")
        stats[tool] = {
            "wall_s": round(time.perf_counter() - w0, 4),
            "cpu_s": round(time.process_time() - c0, 3),
            "phases": {k: round(v, 3) for k, v in phases.seconds.items()},
            "candidates": c["candidates"], "verified_pairs": len(edges), "groups": groups,
        }
        gc.collect()
    with open(a.stats, "w", encoding="utf-8") as f:
        json.dump(stats, f, indent=1)
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("tool", choices=sorted(TOOLS) + ["python"])
    p.add_argument("docs")
    p.add_argument("out")
    p.add_argument("stats")
    p.add_argument("--shingle", type=int, default=5)
    p.add_argument("--perms", type=int, default=128)
    p.add_argument("--bands", type=int, default=32)
    p.add_argument("--threshold", type=float, default=0.5)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--batch", type=int, default=1024)
    a = p.parse_args()
    if a.perms % a.bands:
        p.error("--bands must divide --perms")
    if a.tool == "python":
        return run_from_list(a)
    t0 = time.perf_counter()
    phases = Phases()
    counts = {"files": 0, "bytes": 0, "empty": 0, "candidates": 0}
    ids, edges = TOOLS[a.tool](a, phases, counts)
    groups = write_groups(ids, edges, a.out)
    phases.lap("group+write")
    stats = {
        "tool": a.tool,
        "phases": {k: round(v, 3) for k, v in phases.seconds.items()},
        "seconds_in_process": round(time.perf_counter() - t0, 3),
        "documents": len(ids),
        "verified_pairs": len(edges),
        "groups": groups,
        **counts,
    }
    with open(a.stats, "w", encoding="utf-8") as f:
        json.dump(stats, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
