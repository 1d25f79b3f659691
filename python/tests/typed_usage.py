"""A program using the API, type-checked with `mypy --strict` by
test_typing.py (not run)."""

import neardup
from neardup.compat import MinHash, MinHashLSH


def clusters(texts: list[str]) -> list[list[str]]:
    result: neardup.ScanResult = neardup.scan(texts, threshold=0.6, threads=2)
    out: list[list[str]] = [c.docs for c in result.clusters]
    for p in result.pairs:
        score: float = p.jaccard + p.containment
        e: dict[str, object] = result.explain(p)
        assert score >= 0 and e
    return out


def index(path: str, texts: list[str]) -> None:
    idx = neardup.Index.create(path, perms=64)
    ids = [str(i) for i in range(len(texts))]
    pairs: list[neardup.IndexPair] = idx.add(ids, texts)
    best: list[neardup.Match] = idx.query(texts[0], limit=3)
    assert pairs or best
    try:
        neardup.Index.open(path, perms=128)
    except neardup.IndexConfigMismatchError as err:
        print(err.setting)
    except neardup.IndexError:
        pass


def compat(words: list[str]) -> float:
    m = MinHash(num_perm=128)
    for w in words:
        m.update(w.encode())
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    lsh.insert("key", m)
    found: list[object] = lsh.query(m)
    assert found
    return m.jaccard(m)
