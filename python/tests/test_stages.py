"""neardup.stages on pyarrow batches, run in order on one machine (batches
of a few documents, groups and components in plain Python), give exactly
the clusters and pairs of neardup.scan."""

import pytest

import neardup
from neardup import stages
from conftest import CORPUS, read_texts

pa = pytest.importorskip("pyarrow")


def union_find(pairs):
    parent = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {x: find(x) for x in parent}


def staged(ids, texts, batch=7, **config):
    # 1. Sign, batch by batch.
    signed = {}
    for i in range(0, len(ids), batch):
        b = pa.RecordBatch.from_pydict({"id": ids[i:i + batch], "text": texts[i:i + batch]})
        out = stages.sign(b, **config).to_pydict()
        for j, d in enumerate(out["id"]):
            if out["words"][j] > 0:
                signed[d] = {k: out[k][j] for k in out}
    # 2. Candidates.
    buckets = {}
    for d in sorted(signed):
        for band, key in enumerate(signed[d]["band_keys"]):
            buckets.setdefault((band, key), []).append(d)
    pairs = sorted({(m[i], m[j]) for m in buckets.values()
                    for i, j in stages.bucket_pairs(len(m))})
    cand = stages.screen(pa.RecordBatch.from_pydict({
        "a": [a for a, _ in pairs], "b": [b for _, b in pairs],
        "signature_a": [signed[a]["signature"] for a, _ in pairs],
        "signature_b": [signed[b]["signature"] for _, b in pairs],
        "set_a": [signed[a]["set"] for a, _ in pairs],
        "set_b": [signed[b]["set"] for _, b in pairs]}), **config).to_pydict()
    # 3. Boilerplate: groups counted in two halves, counts summed.
    group = union_find((a, b) for a, b, c in zip(cand["a"], cand["b"], cand["copy"]) if c)
    members = {}
    for d in sorted(signed):
        members.setdefault(group.get(d, d), []).append(d)
    plan = stages.BoilerplatePlan.make(len(signed), len(members), **config)
    keys = b""
    if plan is not None:
        firsts = sorted(members)
        counted = plan.counts_group(pa.array(firsts)).to_pylist()
        firsts = [f for f, c in zip(firsts, counted) if c]
        total = {}
        for half in (firsts[::2], firsts[1::2]):
            b = pa.RecordBatch.from_pydict(
                {"sets": [[signed[m]["set"] for m in members[f]] for f in half]},
                schema=pa.schema([("sets", pa.list_(pa.binary()))]))
            part = stages.count_keys(b).to_pydict()
            for k, c in zip(part["key"], part["count"]):
                total[k] = total.get(k, 0) + c
        keys = stages.boilerplate(list(total), list(total.values()), plan)
    # 4. Verify on cut sets.
    docs = sorted(signed)
    cut = stages.cut(pa.RecordBatch.from_pydict(
        {"id": docs, "set": [signed[d]["set"] for d in docs]}), keys).to_pydict()
    cut = dict(zip(cut["id"], cut["set"]))
    v = stages.verify(pa.RecordBatch.from_pydict({
        "a": cand["a"], "b": cand["b"], "set_a": [cut[a] for a in cand["a"]],
        "set_b": [cut[b] for b in cand["b"]],
        "figures_a": [signed[a]["figures"] for a in cand["a"]],
        "figures_b": [signed[b]["figures"] for b in cand["b"]]}), **config).to_pydict()
    edges = [(a, b, j, c) for a, b, j, c, d in zip(
        v["a"], v["b"], v["jaccard"], v["containment"], v["duplicate"]) if d]
    # 5. Components; 6. cluster them all in one batch.
    comp = union_find((a, b) for a, b, _, _ in edges)
    names = sorted(set(comp.values()))
    rows = {"members": [], "pairs": []}
    for n in names:
        ms = [d for d in docs if comp.get(d) == n]
        rows["members"].append([{"id": m, "words": signed[m]["words"], "set": cut[m],
                                 "figures": signed[m]["figures"]}
                                for m in reversed(ms)])
        rows["pairs"].append([{"a": a, "b": b, "jaccard": j, "containment": c}
                              for a, b, j, c in edges if comp[a] == n])
    clustered, kept = stages.cluster(pa.RecordBatch.from_pydict(rows), **config)
    clustered, kept = clustered.to_pydict(), kept.to_pydict()
    by_first = {}
    for d, f, r in zip(clustered["id"], clustered["first"], clustered["representative"]):
        c = by_first.setdefault(f, {"docs": [], "rep": None})
        c["docs"].append(d)
        if r:
            c["rep"] = d
    out = [(sorted(by_first[f]["docs"]), by_first[f]["rep"]) for f in sorted(by_first)]
    pairs = sorted(zip(kept["a"], kept["b"], kept["jaccard"], kept["containment"]))
    return out, pairs


@pytest.mark.parametrize("config", [{}, {"boilerplate_docs": 0}, {"threshold": 0.3}])
def test_stages_on_one_machine_equal_scan(config):
    ids = sorted(p.name for p in CORPUS.iterdir() if p.name.endswith(".txt"))
    texts = read_texts(CORPUS, ids)
    want = neardup.scan(texts, ids, **config)
    clusters, pairs = staged(ids, texts, **config)
    assert clusters == [(c.docs, c.representative) for c in want.clusters]
    assert pairs == sorted((p.a, p.b, p.jaccard, p.containment) for p in want.pairs)
    assert len(clusters) >= 5


def test_sign_columns_and_empty_texts():
    b = pa.RecordBatch.from_pydict({"id": ["a", "b", "c"], "text": ["one two three four five",
                                                                    "", None]})
    out = stages.sign(b, perms=64, bands=16)
    assert out.schema.names == ["id", "words", "set", "signature", "band_keys", "figures"]
    d = out.to_pydict()
    assert d["words"] == [5, 0, 0]
    assert [len(k) for k in d["band_keys"]] == [16, 0, 0]
    assert len(d["signature"][0]) == 64 * 4 and len(d["set"][0]) == 4 * 2
    with pytest.raises(KeyError, match="no column 'body'"):
        stages.sign(b, text_col="body")
    with pytest.raises(neardup.ConfigError):
        stages.sign(b, threshold=3.0)
