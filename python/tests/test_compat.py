"""neardup.compat against datasketch: same call shapes, estimates within the
error bounds of MinHash."""

import copy
import math
import pickle
import random
import re

import pytest

from neardup import compat

datasketch = pytest.importorskip("datasketch")


def word_sets(jaccard, n=600, seed=0):
    """Two sets of `n` words each with about this Jaccard similarity."""
    shared = round(2 * n * jaccard / (1 + jaccard))
    rng = random.Random(seed)
    words = [f"w{rng.getrandbits(48):x}" for _ in range(2 * n - shared)]
    a = words[:n]
    b = words[:shared] + words[n:]
    assert len(set(a) & set(b)) / len(set(a) | set(b)) == pytest.approx(jaccard, abs=5e-3)
    return a, b


def sketch(module, items, num_perm=256, seed=1):
    m = module.MinHash(num_perm=num_perm, seed=seed)
    for w in items:
        m.update(w.encode("utf-8"))
    return m


@pytest.mark.parametrize("jaccard", [0.05, 0.2, 0.5, 0.8, 0.95])
def test_jaccard_estimates_agree_with_datasketch(jaccard):
    a, b = word_sets(jaccard, seed=int(jaccard * 100))
    exact = len(set(a) & set(b)) / len(set(a) | set(b))
    k = 256
    sigma = math.sqrt(exact * (1 - exact) / k)
    for seed in (1, 2, 3):
        ours = sketch(compat, a, k, seed).jaccard(sketch(compat, b, k, seed))
        theirs = sketch(datasketch, a, k, seed).jaccard(sketch(datasketch, b, k, seed))
        # Each within 4 standard deviations of the truth; so within about
        # 4 * sqrt(2) of each other.
        assert abs(ours - exact) <= 4 * sigma + 1e-9, (ours, exact)
        assert abs(ours - theirs) <= 4 * math.sqrt(2) * sigma + 1e-9, (ours, theirs)


def test_mean_error_matches_datasketch():
    """Over many pairs, neardup's estimates are as accurate as datasketch's."""
    errs = {"ours": [], "theirs": []}
    for i in range(40):
        j = 0.1 + 0.8 * i / 39
        a, b = word_sets(j, n=300, seed=100 + i)
        exact = len(set(a) & set(b)) / len(set(a) | set(b))
        errs["ours"].append(sketch(compat, a, 128).jaccard(sketch(compat, b, 128)) - exact)
        errs["theirs"].append(
            sketch(datasketch, a, 128).jaccard(sketch(datasketch, b, 128)) - exact)
    rmse = {k: math.sqrt(sum(e * e for e in v) / len(v)) for k, v in errs.items()}
    assert abs(sum(errs["ours"]) / 40) < 0.03, "unbiased"
    assert rmse["ours"] < 1.5 * rmse["theirs"] + 0.01, rmse


def test_update_batch_bulk_generator_merge_union_agree():
    a, b = word_sets(0.5)
    enc = [w.encode() for w in a]
    one = compat.MinHash(num_perm=128, seed=7)
    for w in enc:
        one.update(w)
    batch = compat.MinHash(num_perm=128, seed=7)
    batch.update_batch(enc)
    assert one == batch
    listed = compat.MinHash(128, 7)
    listed.update(a)  # rensa's shape: a list of str
    assert listed == one
    bulk = compat.MinHash.bulk([enc, [w.encode() for w in b]], num_perm=128, seed=7)
    assert bulk[0] == one
    gen = list(compat.MinHash.generator([enc], num_perm=128, seed=7))
    assert gen == [one]
    both = compat.MinHash(num_perm=128, seed=7)
    both.update_batch(enc + [w.encode() for w in b])
    merged = one.copy()
    merged.merge(bulk[1])
    assert merged == both
    assert compat.MinHash.union(one, bulk[1]) == both
    assert merged != one


def test_digest_count_pickle_and_friends():
    np = pytest.importorskip("numpy")
    a, _ = word_sets(0.5, n=1000)
    m = sketch(compat, a, 128, 3)
    d = m.digest()
    assert isinstance(d, np.ndarray) and d.dtype == np.uint64 and len(d) == 128 == len(m)
    assert (m.hashvalues == d).all()
    assert m.seed == 3 and m.num_perm == 128
    assert abs(m.count() - 1000) < 0.3 * 1000
    for restored in (pickle.loads(pickle.dumps(m)), copy.copy(m), m.copy(),
                     compat.MinHash(seed=3, hashvalues=d)):
        assert restored == m and restored.jaccard(m) == 1.0
    empty = compat.MinHash()
    assert empty.is_empty() and not m.is_empty()
    m2 = m.copy()
    m2.clear()
    assert m2.is_empty() and m2 == empty.copy() or m2.seed != empty.seed
    # A hash function of the caller's, as datasketch allows.
    custom = compat.MinHash(num_perm=64, hashfunc=lambda b: int.from_bytes(b[:8].ljust(8, b"\0"), "little"))
    custom.update(b"abcdefgh")
    assert pickle.loads(pickle.dumps(compat.MinHash(64))) == compat.MinHash(64)


def test_lsh_call_shapes():
    words = [f"w{i}" for i in range(2000)]
    base = words[:300]
    near = words[10:310]          # J ~ 0.94
    far = words[1000:1300]        # J = 0
    m_base, m_near, m_far = (sketch(compat, s, 128) for s in (base, near, far))
    lsh = compat.MinHashLSH(threshold=0.5, num_perm=128)
    assert lsh.is_empty()
    lsh.insert("base", m_base)
    with lsh.insertion_session() as session:
        session.insert("far", m_far)
        session.insert(("tuple", 1), m_near)
    assert len(lsh) == 3 and "far" in lsh and ("tuple", 1) in lsh
    assert sorted(map(str, lsh.query(m_near))) == sorted(map(str, ["base", ("tuple", 1)]))
    assert lsh.query(m_far) == ["far"]
    lsh.remove("far")
    assert lsh.query(m_far) == [] and "far" not in lsh
    with pytest.raises(ValueError, match="already exists"):
        lsh.insert("base", m_near)
    lsh.insert("base", m_far, check_duplication=False)  # replaced
    assert lsh.query(m_base) == [("tuple", 1)]
    with pytest.raises(ValueError, match="does not exist"):
        lsh.remove("nope")
    assert lsh.b * lsh.r <= 128 and lsh.threshold == 0.5
    # rensa's keyword.
    r = compat.RMinHashLSH(threshold=0.5, num_perm=128, num_bands=16)
    assert (r.b, r.r) == (16, 8)
    assert compat.MinHashLSH(num_perm=128, params=(32, 4)).b == 32


def test_drop_in_pipeline_finds_what_datasketch_finds(generated):
    """The same datasketch pipeline, run with each module, finds the same
    clear duplicates and nothing unrelated."""
    from conftest import read_texts

    docs = generated / "docs"
    ids = sorted(p.name for p in docs.iterdir())[:300]
    texts = read_texts(docs, ids)

    def shingles(t):
        w = re.findall(r"\w+", t.lower())
        return {" ".join(w[i:i + 5]) for i in range(max(1, len(w) - 4))}

    sets = [shingles(t) for t in texts]

    def pipeline(module):
        lsh = module.MinHashLSH(threshold=0.5, num_perm=128)
        mhs = []
        with lsh.insertion_session() as s:
            for i, sh in enumerate(sets):
                m = module.MinHash(num_perm=128)
                m.update_batch([x.encode() for x in sh])
                s.insert(i, m)
                mhs.append(m)
        found = set()
        for i, m in enumerate(mhs):
            for j in lsh.query(m):
                if j > i and m.jaccard(mhs[j]) >= 0.5:
                    found.add((i, j))
        return found

    ours, theirs = pipeline(compat), pipeline(datasketch)

    def exact(p):
        a, b = sets[p[0]], sets[p[1]]
        return len(a & b) / len(a | b)

    # Far from the threshold both agree; near it each estimate's noise
    # (about 0.044 at 128 permutations) decides either way.
    clear = {p for p in ours | theirs if exact(p) >= 0.75}
    assert len(clear) >= 10
    assert clear <= ours and clear <= theirs
    assert all(exact(p) > 0.25 for p in ours | theirs), "no unrelated pair"
    assert all(0.25 < exact(p) < 0.75 for p in ours ^ theirs)
    assert len(ours & theirs) >= 0.7 * len(ours | theirs)


def test_compat_errors():
    with pytest.raises(ValueError, match="num_perm"):
        compat.MinHash(num_perm=0)
    m = compat.MinHash(num_perm=64)
    with pytest.raises(TypeError, match="bytes"):
        m.update(123)
    with pytest.raises(ValueError, match="different seeds"):
        m.jaccard(compat.MinHash(num_perm=64, seed=2))
    with pytest.raises(ValueError, match="permutation"):
        m.jaccard(compat.MinHash(num_perm=32))
    with pytest.raises(ValueError, match="threshold"):
        compat.MinHashLSH(threshold=1.5)
    with pytest.raises(ValueError, match="weights"):
        compat.MinHashLSH(threshold=0.5, weights=(0.9, 0.9))
    with pytest.raises(ValueError, match="bands x rows"):
        compat.MinHashLSH(num_perm=64, params=(20, 7))
    lsh = compat.MinHashLSH(threshold=0.5, num_perm=128)
    with pytest.raises(ValueError, match="num_perm 128"):
        lsh.insert("a", m)
    with pytest.raises(ValueError, match="num_perm 128"):
        lsh.query(m)
    with pytest.raises(TypeError, match="storage_config"):
        compat.MinHashLSH(storage_config={"type": "redis"})
    with pytest.raises(ValueError, match="2\\*\\*32"):
        compat.MinHash(hashvalues=[1 << 40])


def test_signing_releases_the_gil():
    from conftest import ticks_while

    sets = [[f"w{i}-{j}".encode() for j in range(2000)] for i in range(200)]
    ticks, seconds = ticks_while(lambda: compat.MinHash.bulk(sets, num_perm=256))
    assert ticks >= max(5, 20 * seconds), f"bulk: {ticks} ticks in {seconds:.3f} s"
    m = compat.MinHash(num_perm=256)
    items = [w for s in sets for w in s]
    ticks, seconds = ticks_while(lambda: m.update_batch(items))
    assert ticks >= max(5, 20 * seconds), f"update_batch: {ticks} ticks in {seconds:.3f} s"
