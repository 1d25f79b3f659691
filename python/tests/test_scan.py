"""neardup.scan / scan_paths / explain against the seed example and the CLI."""

import json

import pytest

import neardup
from conftest import (
    CORPUS,
    SEED_DIR,
    SEED_TRUTH,
    jsonl,
    read_texts,
    round4,
    run_cli,
    ticks_while,
)


def truth_clusters(path):
    groups = {}
    with open(path, encoding="utf-8") as f:
        next(f)
        for line in f:
            doc, cl = line.rstrip("\n").split("\t")[:2]
            groups.setdefault(cl, []).append(doc)
    return sorted(sorted(g) for g in groups.values() if len(g) >= 2)


def seed():
    ids = sorted(p.name for p in SEED_DIR.iterdir())
    return ids, read_texts(SEED_DIR, ids)


def as_cli_lines(result):
    """The result through the object API, in the CLI's JSON Lines shape."""
    return [
        {
            "cluster": c.id,
            "size": len(c),
            "representative": c.representative,
            "docs": c.docs,
            "pairs": [
                {"a": p.a, "b": p.b, "jaccard": round4(p.jaccard),
                 "containment": round4(p.containment)}
                for p in c.pairs
            ],
        }
        for c in result.clusters
    ]


def test_seed_example_is_two_syndicated_pairs_and_nothing_else(shared):
    ids, texts = seed()
    expected = truth_clusters(SEED_TRUTH)
    assert expected == [ids[1:3], ids[3:5]]
    for result in (neardup.scan(texts, ids), neardup.scan_paths([SEED_DIR])):
        assert [c.docs for c in result.clusters] == expected
        assert [(p.a, p.b) for p in result.pairs] == [tuple(ids[1:3]), tuple(ids[3:5])]
        assert result.singletons == [ids[0]]
        assert result.docs == ids
        for c in result.clusters:
            assert c.representative in c.docs
            assert len(c.pairs) == 1
            p = c.pairs[0]
            assert 0.5 <= p.jaccard <= 1 and 0.4 <= p.containment <= 1
        assert result.skipped == [] and result.stats["documents"] == 5


def test_default_ids_are_positions(shared):
    _, texts = seed()
    result = neardup.scan(texts)
    assert result.docs == ["0", "1", "2", "3", "4"]
    assert [c.docs for c in result.clusters] == [["1", "2"], ["3", "4"]]
    # Any iterable of str will do, and a tuple, with the same result.
    assert neardup.scan(iter(texts)).to_jsonl() == result.to_jsonl()
    assert neardup.scan(tuple(texts)).to_jsonl() == result.to_jsonl()


def check_same_as_cli(cli, docs_dir, *flags, **settings):
    out = run_cli(cli, "scan", docs_dir, "--format", "jsonl", "-q", *flags)
    from_paths = neardup.scan_paths([docs_dir], **settings)
    assert from_paths.to_jsonl() == out
    ids = from_paths.docs
    from_memory = neardup.scan(read_texts(docs_dir, ids), ids, **settings)
    assert from_memory.to_jsonl() == out
    assert as_cli_lines(from_memory) == jsonl(out)
    assert as_cli_lines(from_paths) == jsonl(out)
    return from_memory, out


def test_same_as_cli_on_the_bundled_corpus(cli):
    result, out = check_same_as_cli(cli, CORPUS)
    assert len(result.clusters) >= 5, out
    all_out = run_cli(cli, "scan", CORPUS, "--format", "jsonl", "-q", "--all")
    assert neardup.scan_paths(CORPUS).to_jsonl(all=True) == all_out


def test_same_as_cli_on_a_generated_corpus(cli, generated):
    result, _ = check_same_as_cli(cli, generated / "docs")
    assert len(result.clusters) >= 50
    assert result.stats["documents"] >= 300


def test_same_as_cli_with_settings(cli, generated):
    flags = ["--threshold", "0.6", "--containment", "0.5", "--shingle", "5", "--perms", "64",
             "--bands", "16", "--boilerplate-docs", "10", "--linkage", "0.3", "--seed", "42",
             "--scheme", "classic"]
    settings = dict(threshold=0.6, containment=0.5, shingle=5, perms=64, bands=16,
                    boilerplate_docs=10, linkage=0.3, seed=42, scheme="classic")
    result, _ = check_same_as_cli(cli, generated / "docs", *flags, **settings)
    assert result.config["perms"] == 64 and result.config["scheme"] == "classic"
    assert len(result.clusters) >= 50


def test_one_thread_gives_the_same_result(generated):
    docs = generated / "docs"
    many = neardup.scan_paths(docs)
    ids = many.docs
    texts = read_texts(docs, ids)
    assert neardup.scan(texts, ids, threads=1).to_jsonl() == many.to_jsonl()
    assert neardup.scan_paths(docs, threads=1).to_jsonl() == many.to_jsonl()
    assert neardup.scan(texts, ids, threads=3, memory_budget=0).to_jsonl() == many.to_jsonl()


def test_pyarrow_arrays_are_read_in_place(generated):
    pa = pytest.importorskip("pyarrow")
    docs = generated / "docs"
    ids = neardup.scan_paths(docs).docs
    texts = read_texts(docs, ids)
    expected = neardup.scan(texts, ids).to_jsonl()
    for arr in (
        pa.array(texts, pa.string()),
        pa.array(texts, pa.large_string()),
        pa.chunked_array([texts[:100], texts[100:250], texts[250:]], pa.string()),
        pa.array(["padding"] + texts + ["more"], pa.string()).slice(1, len(texts)),
    ):
        result = neardup.scan(arr, pa.array(ids))
        assert result.to_jsonl() == expected
    if hasattr(pa, "string_view"):
        assert neardup.scan(pa.array(texts, pa.string_view()), ids).to_jsonl() == expected
    # Explanations read the arrow array's elements.
    result = neardup.scan(pa.array(texts), ids)
    p = result.pairs[0]
    assert result.explain(p) == neardup.scan(texts, ids).explain(p)
    with pytest.raises(ValueError, match=r"texts\[1\] is null"):
        neardup.scan(pa.array(["a b c", None]))
    with pytest.raises(TypeError, match="strings"):
        neardup.scan(pa.array([1, 2]))


def test_to_arrow_tables(shared):
    pytest.importorskip("pyarrow")
    ids, texts = seed()
    result = neardup.scan(texts, ids)
    clusters, pairs = result.to_arrow()
    assert result.to_arrow().clusters.equals(clusters)
    assert clusters.column("docs").to_pylist() == [c.docs for c in result.clusters]
    assert clusters.column("representative").to_pylist() == [
        c.representative for c in result.clusters
    ]
    assert clusters.column("size").to_pylist() == [2, 2]
    assert pairs.column("a").to_pylist() == [p.a for p in result.pairs]
    assert pairs.column("jaccard").to_pylist() == [p.jaccard for p in result.pairs]
    assert pairs.column("cluster").to_pylist() == [0, 1]


def test_explain_is_the_cli_json(cli, shared):
    ids, texts = seed()
    for a, b, flags, kw in [
        (1, 2, [], {}),
        (3, 4, [], {}),
        (0, 3, ["--shingle", "4", "--min-match", "3", "--max-gap", "0"],
         dict(shingle=4, min_match=3, max_gap=0)),
    ]:
        out = run_cli(cli, "explain", SEED_DIR / ids[a], SEED_DIR / ids[b], "--format", "json",
                      *flags)
        got = neardup.explain(texts[a], texts[b], id_a=ids[a], id_b=ids[b], **kw)
        assert got == json.loads(out)
    e = neardup.explain(texts[1], texts[2])
    assert (e["a"]["id"], e["b"]["id"]) == ("a", "b")
    for p in e["passages"]:
        assert texts[1].encode()[p["a_start"]:p["a_end"]].decode()


def test_result_explain_is_the_cli_scan_explain(cli, generated):
    docs = generated / "docs"
    out = jsonl(run_cli(cli, "scan", docs, "--format", "jsonl", "-q", "--explain"))
    from_paths = neardup.scan_paths(docs)
    ids = from_paths.docs
    from_memory = neardup.scan(read_texts(docs, ids), ids)
    checked = 0
    for line in out[:40]:
        for p in line["pairs"]:
            for result in (from_paths, from_memory):
                e = result.explain((p["a"], p["b"]))
                assert e["passages"] == p["passages"]
                assert (e["a"]["id"], e["b"]["id"]) == (p["a"], p["b"])
            checked += 1
    assert checked >= 40
    pair = from_memory.pairs[0]
    assert from_memory.explain(pair) == from_paths.explain(pair)
    with pytest.raises(KeyError, match="no document"):
        from_memory.explain(("nope", pair.b))
    with pytest.raises(KeyError, match="no document"):
        from_paths.explain((pair.a, "nope"))


def test_skips_are_reported_not_lost():
    story = ("Officials told electric vehicle makers to regulate themselves and not to sell "
             "cars below cost, according to people familiar with the matter. ") * 3
    result = neardup.scan([story, "", "Header. " + story, "other words here", " ... "],
                          ["a", "b", "c", "a", "e"])
    assert [(s.reason, s.location) for s in result.skipped] == [
        ("empty", "<memory>"), ("duplicate id", "<memory>"), ("empty", "<memory>")]
    assert '"a" was already used' in result.skipped[1].message
    assert str(result.skipped[0]).startswith("<memory>: skipped (empty)")
    assert result.docs == ["a", "c"]
    assert [c.docs for c in result.clusters] == [["a", "c"]]
    assert result.stats["skipped"] == 3
    empty = neardup.scan([])
    assert empty.clusters == [] and empty.docs == [] and empty.to_jsonl() == ""


def test_scan_paths_skips_bad_files_and_jsonl_lines(tmp_path):
    story = "one story about the harbour bridge repairs and the traffic they caused " * 4
    (tmp_path / "a.txt").write_text(story)
    (tmp_path / "b.txt").write_text("Copy: " + story)
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01binary")
    lines = [json.dumps({"id": "j1", "body": story}), "not json",
             json.dumps({"id": "j2"})]
    (tmp_path / "docs.jsonl").write_text("\n".join(lines) + "\n")
    result = neardup.scan_paths([tmp_path], text_field="body")
    reasons = sorted(s.reason for s in result.skipped)
    assert reasons == ["bad json", "binary", "missing field"]
    assert any(s.location.endswith("docs.jsonl:2") for s in result.skipped)
    assert [c.docs for c in result.clusters] == [["a.txt", "b.txt", "j1"]]
    e = result.explain(("a.txt", "j1"))
    assert e["b"]["id"] == "j1" and e["jaccard"] == 1.0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(threshold=0), "threshold"),
        (dict(threshold=1.5), "threshold"),
        (dict(threshold=float("nan")), "threshold"),
        (dict(containment=-1), "containment"),
        (dict(perms=0), "perms"),
        (dict(shingle=-2), "shingle"),
        (dict(perms=128, bands=7), "bands"),
        (dict(scheme="weird"), "scheme"),
        (dict(threads=0), "threads"),
        (dict(linkage=2), "linkage"),
    ],
)
def test_bad_settings_are_value_errors(kwargs, match):
    with pytest.raises(ValueError, match=match) as e:
        neardup.scan(["some text here"], **kwargs)
    assert isinstance(e.value, neardup.ConfigError)
    assert isinstance(e.value, neardup.NeardupError)


def test_bad_arguments_are_clean_errors(tmp_path):
    with pytest.raises(TypeError, match="unexpected keyword argument 'thresold'|thresold"):
        neardup.scan(["a b"], thresold=0.5)
    with pytest.raises(TypeError, match="single str"):
        neardup.scan("just one text")
    with pytest.raises(TypeError, match=r"texts\[1\] must be a str, not int"):
        neardup.scan(["a", 3])
    with pytest.raises(TypeError, match="list of str"):
        neardup.scan(42)
    with pytest.raises(TypeError, match="must be a number"):
        neardup.scan(["a"], threshold="high")
    with pytest.raises(ValueError, match="2 ids given for 1 texts"):
        neardup.scan(["a"], ["x", "y"])
    with pytest.raises(ValueError, match="not valid Unicode"):
        neardup.scan(["fine", "bad \ud800 surrogate"])
    with pytest.raises(FileNotFoundError, match="cannot read input .*missing") as e:
        neardup.scan_paths([tmp_path / "missing"])
    assert e.value.errno == 2
    with pytest.raises(ValueError, match="no paths"):
        neardup.scan_paths([])
    with pytest.raises(ValueError, match="min_match"):
        neardup.explain("a b c", "a b c", min_match=0)
    with pytest.raises(ValueError, match="at least 0"):
        neardup.explain("a b c", "a b c", max_gap=-1)
    result = neardup.scan(["a b c d e", "a b c d e"])
    with pytest.raises(TypeError, match="Pair or a tuple"):
        result.explain(5)


def test_texts_changed_after_the_scan_are_reported(shared):
    _, texts = seed()
    texts = list(texts)
    result = neardup.scan(texts)
    texts[1] = 12
    with pytest.raises(TypeError, match="no longer a str"):
        result.explain(result.pairs[0])


def test_scan_and_explain_release_the_gil(generated):
    docs = generated / "docs"
    ids = neardup.scan_paths(docs).docs
    texts = read_texts(docs, ids) * 4
    ids = [f"{k}/{i}" for k in range(4) for i in ids]
    long_a, long_b = " ".join(texts[:200]), " ".join(texts[100:300])
    for name, fn in [
        ("scan", lambda: neardup.scan(texts, ids, threads=1)),
        ("scan_paths", lambda: [neardup.scan_paths(docs) for _ in range(3)]),
        ("explain", lambda: neardup.explain(long_a, long_b)),
    ]:
        ticks, seconds = ticks_while(fn)
        assert ticks >= max(5, 20 * seconds), f"{name}: {ticks} ticks in {seconds:.3f} s"
