"""neardup.Index: create, add, query, reopen; the CLI's answers; errors;
queries from several Python threads."""

import fcntl
import hashlib
import json
import os
import socket
import time
import warnings

import pytest

import neardup
from conftest import (
    SEED_DIR,
    jsonl,
    read_texts,
    round4,
    run_cli,
    ticks_while,
    two_threads_speedup,
)


def seed():
    ids = sorted(p.name for p in SEED_DIR.iterdir())
    return ids, read_texts(SEED_DIR, ids)


def test_create_add_query_reopen(tmp_path, shared):
    ids, texts = seed()
    path = tmp_path / "idx"
    idx = neardup.Index.create(path, threshold=0.5)
    assert len(idx) == 0 and idx.config["threshold"] == 0.5
    # Day 1: the first copy of each story.
    assert idx.add([ids[0], ids[1], ids[3]], [texts[0], texts[1], texts[3]]) == []
    assert len(idx) == 3 and ids[1] in idx
    # Day 2: the syndicated copies arrive.
    pairs = idx.add([ids[2], ids[4]], [texts[2], texts[4]])
    assert [(p.a, p.b, p.b_indexed) for p in pairs] == [
        (ids[2], ids[1], True), (ids[4], ids[3], True)]
    assert all(isinstance(p, neardup.Pair) for p in pairs)
    scan = neardup.scan(texts, ids)
    by_ids = {frozenset((p.a, p.b)): p for p in scan.pairs}
    for p in pairs:
        s = by_ids[frozenset((p.a, p.b))]
        assert (p.jaccard, p.containment) == pytest.approx((s.jaccard, s.containment))
    matches = idx.query(texts[4])
    assert [m.id for m in matches] == [ids[4], ids[3]]
    assert matches[0].jaccard == 1.0
    assert idx.query(texts[4], limit=1) == matches[:1]
    assert idx.query("nothing like any of these articles at all") == []
    # Reopened from disk: the same answers.
    again = neardup.Index.open(path)
    assert len(again) == 5
    assert again.query(texts[4]) == matches
    assert again.query_many(texts, limit=2) == [idx.query(t, limit=2) for t in texts]
    assert again.query_many(texts, threads=1) == [idx.query(t) for t in texts]
    info = again.info()
    assert info["documents"] == 5 and len(info["segments"]) == 2
    # Removing: the document never matches again.
    assert idx.remove([ids[3]]) == 1
    assert [m.id for m in idx.query(texts[4])] == [ids[4]]
    assert ids[3] not in idx
    again.reload()
    assert len(again) == 4
    report = idx.optimize()
    assert report["documents"] == 4 and report["dropped"] == 1


def test_index_add_is_the_cli_index_add(cli, generated, tmp_path):
    docs = generated / "docs"
    ids = sorted(os.listdir(docs))
    texts = read_texts(docs, ids)
    run_cli(cli, "index", "create", tmp_path / "cli", "-q")
    half = len(ids) // 2
    first = tmp_path / "first"
    first.mkdir()
    for i in ids[:half]:
        os.link(docs / i, first / i)
    out1 = jsonl(run_cli(cli, "index", "add", tmp_path / "cli", first, "-q"))
    second = tmp_path / "second"
    second.mkdir()
    for i in ids[half:]:
        os.link(docs / i, second / i)
    out2 = jsonl(run_cli(cli, "index", "add", tmp_path / "cli", second, "-q"))

    idx = neardup.Index.create(tmp_path / "py")
    got1 = idx.add(ids[:half], texts[:half], threads=1)
    got2 = idx.add(ids[half:], texts[half:])

    def norm(pairs):
        return [dict(a=p.a, b=p.b, jaccard=round4(p.jaccard),
                     containment=round4(p.containment)) for p in pairs]

    assert norm(got1) == out1 and norm(got2) == out2
    assert len(out2) >= 30
    query = jsonl(run_cli(cli, "query", tmp_path / "cli", second, "-q", "--limit", "3"))
    assert len(query) == len(ids) - half
    for line, text in zip(query, texts[half:]):
        got = idx.query(text, limit=3)
        assert [dict(id=m.id, jaccard=round4(m.jaccard), containment=round4(m.containment))
                for m in got] == [{k: v for k, v in m.items() if k != "cluster"}
                                  for m in line["matches"]]


def test_skipped_documents_warn(tmp_path):
    idx = neardup.Index.create(tmp_path / "idx")
    with pytest.warns(neardup.SkippedWarning) as w:
        pairs = idx.add(["a", "b", "a"], ["one two three four five", " ... ", "six seven"])
    assert pairs == [] and len(idx) == 1
    messages = [str(x.message) for x in w]
    assert any("has no words" in m for m in messages)
    assert any('"a" was already added' in m for m in messages)
    with pytest.warns(neardup.SkippedWarning, match="already in the index"):
        idx.add(["a"], ["again"])
    with pytest.warns(neardup.SkippedWarning, match='no document with id "zz"'):
        assert idx.remove(["zz"]) == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error", neardup.SkippedWarning)
        with pytest.raises(neardup.SkippedWarning):
            idx.add(["a"], ["again"])


def test_index_errors_are_index_errors(tmp_path):
    with pytest.raises(neardup.InvalidIndexError) as e:
        neardup.Index.open(tmp_path)
    assert isinstance(e.value, neardup.IndexError)
    assert isinstance(e.value, neardup.NeardupError)
    assert not isinstance(e.value, IndexError)  # not the builtin
    path = tmp_path / "idx"
    idx = neardup.Index.create(path, perms=64)
    with pytest.raises(neardup.IndexError):
        neardup.Index.create(path)
    # A setting that differs from the index's.
    with pytest.raises(neardup.IndexConfigMismatchError, match="perms") as e:
        neardup.Index.open(path, perms=128)
    assert isinstance(e.value, ValueError)
    assert (e.value.setting, e.value.index_value, e.value.given) == ("perms", "64", "128")
    assert neardup.Index.open(path, perms=64, threshold=0.5).config["perms"] == 64
    with pytest.raises(ValueError, match="threshold"):
        neardup.Index.create(tmp_path / "other", threshold=7)
    # Another writer's lock: the lock is the operating system's (flock) on
    # DIR/LOCK, held here as another writer would hold it; what the file
    # says only names the holder.
    (path / "LOCK").write_text(f"pid {os.getpid()}\nhost {socket.gethostname()}\n")
    with open(path / "LOCK", "rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(neardup.IndexLockedError) as e:
            idx.add(["x"], ["some words to add here"])
        assert e.value.pid == os.getpid() and e.value.stale is False
    # Released (the file stays): the next writer goes ahead, whatever the
    # file still says.
    idx.add(["x"], ["some words to add here"])
    # A damaged segment.
    seg = next(path.glob("seg-*.seg"))
    data = bytearray(seg.read_bytes())
    data[len(data) // 2] ^= 0xFF
    seg.write_bytes(bytes(data))
    with pytest.raises(neardup.InvalidIndexError, match="seg-"):
        neardup.Index.open(path)
    with pytest.raises(ValueError, match="1 ids given for 2 texts"):
        idx.add(["a"], ["b", "c"])
    with pytest.raises(ValueError, match="limit"):
        idx.query("text", limit=-1)
    with pytest.raises(TypeError):
        idx.query(42)


@pytest.fixture(scope="module")
def big_index(generated, tmp_path_factory):
    docs = generated / "docs"
    ids = sorted(os.listdir(docs))
    texts = read_texts(docs, ids)
    idx = neardup.Index.create(tmp_path_factory.mktemp("big") / "idx")
    idx.add(ids, texts)
    return idx, ids, texts


def test_index_calls_release_the_gil(big_index, tmp_path):
    idx, ids, texts = big_index
    long_text = " ".join(texts)  # one long query: tens of milliseconds
    for name, fn in [
        ("query", lambda: [idx.query(long_text) for _ in range(5)]),
        ("query_many", lambda: idx.query_many(texts * 3)),
        ("add", lambda: neardup.Index.create(tmp_path / "again").add(ids, texts * 1)),
    ]:
        ticks, seconds = ticks_while(fn)
        assert ticks >= max(5, 20 * seconds), f"{name}: {ticks} ticks in {seconds:.3f} s"


def test_two_threads_of_queries_beat_one(big_index):
    """Two Python threads of queries get through more than one does: a ratio
    of wall times in the same run, retried since the machine is shared. A
    control that surely runs in parallel (hashing large buffers, which
    releases the GIL) tells whether the machine had a second core to give."""
    idx, _, texts = big_index
    queries = texts[: len(texts) // 2]
    start = time.perf_counter()
    for t in queries:
        idx.query(t)
    rounds = max(1, int(0.25 / max(time.perf_counter() - start, 1e-6)))

    def work():
        for _ in range(rounds):
            for t in queries:
                idx.query(t)

    blob = os.urandom(8 << 20)

    def control():
        for _ in range(8):
            hashlib.sha256(blob).digest()

    ratios, controls = [], []
    for attempt in range(8):
        ratios.append(two_threads_speedup(work))
        if ratios[-1] > 1.2:
            return
        controls.append(two_threads_speedup(control))
        time.sleep(1 + attempt)
    if max(controls) < 1.3:
        pytest.skip(f"no second core free: control speed-ups {controls}, queries {ratios}")
    pytest.fail(f"two threads of queries not faster: {ratios} (control {controls})")


def test_index_pair_and_match_values():
    p = neardup.IndexPair("a", "b", 0.5, 0.75, True)
    assert (p.a, p.b, p.jaccard, p.containment, p.b_indexed) == ("a", "b", 0.5, 0.75, True)
    assert "b_indexed=True" in repr(p)
    assert neardup.Match("x", 1.0, 1.0) == neardup.Match("x", 1.0, 1.0)
    assert neardup.Pair("a", "b", 0.5, 0.5) == neardup.Pair("a", "b", 0.5, 0.5)
    assert len({neardup.Pair("a", "b", 0.5, 0.5), neardup.Pair("a", "b", 0.5, 0.5)}) == 1
    assert json.dumps(repr(neardup.Match("x", 1.0, 1.0)))
