"""neardup.spark.dedup in Spark local mode against `neardup scan`.

Equality is measured on everything the CLI prints: the Spark result is
put in the shape of `neardup scan --format jsonl` (clusters by number,
members in id order, representative, pairs sorted with scores rounded as
the CLI rounds them) and compared line for line with the CLI's output;
the unrounded scores are compared with `neardup.scan`'s, exactly.

Behind the `spark` marker (`pytest -m "not spark"` runs the core suite
alone); skipped when pyspark or java is missing.
"""

import os
import shutil
import subprocess
import sys

import pytest

import neardup
from conftest import CORPUS, REUTERS, jsonl, read_texts, round4, run_cli

pytestmark = pytest.mark.spark

pyspark = pytest.importorskip("pyspark")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("java is missing (Spark needs Java 17)", allow_module_level=True)

from neardup.spark import dedup  # noqa: E402


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    s = (SparkSession.builder.master("local[2]").appName("neardup-tests")
         .config("spark.sql.shuffle.partitions", "4")
         .config("spark.default.parallelism", "4")
         .config("spark.ui.enabled", "false")
         .config("spark.driver.memory", "1g")
         .config("spark.sql.execution.arrow.maxRecordsPerBatch", "500")
         .getOrCreate())
    s.sparkContext.setLogLevel("ERROR")
    yield s
    s.stop()


def frame(spark, docs, slices=4):
    """A DataFrame of (id, text) from pairs, in `slices` partitions."""
    rdd = spark.sparkContext.parallelize(docs, slices)
    return spark.createDataFrame(rdd, "id string, text string")


def dir_docs(root):
    ids = sorted(p.name for p in root.iterdir() if p.is_file())
    return list(zip(ids, read_texts(root, ids)))


def as_cli_lines(result):
    """The Spark result in the shape of `neardup scan --format jsonl`."""
    members = {}
    reps = {}
    for r in result.clusters.collect():
        members.setdefault(r["cluster"], []).append(r["id"])
        if r["representative"]:
            assert r["cluster"] not in reps, "one representative per cluster"
            reps[r["cluster"]] = r["id"]
    pairs = {}
    cluster_of = {d: c for c, ds in members.items() for d in ds}
    for r in result.pairs.collect():
        assert cluster_of[r["a"]] == cluster_of[r["b"]]
        assert r["a"] < r["b"]
        pairs.setdefault(cluster_of[r["a"]], []).append(
            (r["a"], r["b"], r["jaccard"], r["containment"]))
    assert sorted(members) == list(range(len(members)))
    lines = []
    for c in sorted(members):
        lines.append({
            "cluster": c,
            "size": len(members[c]),
            "representative": reps[c],
            "docs": sorted(members[c]),
            "pairs": [{"a": a, "b": b, "jaccard": round4(j), "containment": round4(k)}
                      for a, b, j, k in sorted(pairs.get(c, []))],
        })
    return lines, sorted(p for ps in pairs.values() for p in ps)


def exact_pairs(result):
    return sorted((p.a, p.b, p.jaccard, p.containment) for p in result.pairs)


def check_equal(cli, spark, root, df=None, **kw):
    docs = dir_docs(root)
    out = run_cli(cli, "scan", root, "--format", "jsonl", "-q")
    result = dedup(df if df is not None else frame(spark, docs), **kw)
    lines, pairs = as_cli_lines(result)
    assert lines == jsonl(out)
    ids = [d for d, _ in docs]
    assert pairs == exact_pairs(neardup.scan([t for _, t in docs], ids))
    return result, lines


def test_bundled_corpus_equals_cli(cli, spark):
    result, lines = check_equal(cli, spark, CORPUS)
    assert len(lines) >= 5
    s = result.stats
    assert s["documents"] == len(dir_docs(CORPUS)) and s["skipped_null_text"] == 0
    assert s["components_on"] == "driver"


def test_bundled_corpus_with_components_in_dataframes(cli, spark):
    result, _ = check_equal(cli, spark, CORPUS, components="dataframe")
    assert result.stats["components_on"] == "dataframe"


@pytest.fixture(scope="module")
def generated_5k(cli, tmp_path_factory):
    """About 5,000 documents from `neardup generate`."""
    assert REUTERS.is_dir()
    out = tmp_path_factory.mktemp("gen5k") / "corpus"
    subprocess.run([str(cli), "generate", "--sources", str(REUTERS), "--out", str(out),
                    "--stories", "1500", "--seed", "11"], check=True, capture_output=True)
    return out / "docs"


def test_generated_corpus_equals_cli(cli, spark, generated_5k):
    n = len(dir_docs(generated_5k))
    assert 4000 <= n <= 7000, n
    result, lines = check_equal(cli, spark, generated_5k)
    assert len(lines) >= 500
    assert result.stats["copy_groups"] > 0 and result.stats["boilerplate_keys"] > 0


def test_generated_corpus_with_sampled_boilerplate_and_dataframe_components(
        cli, spark, generated_5k):
    # A cut above 64 groups: the boilerplate counts a sample of the groups.
    flags = ["--boilerplate-docs", "300"]
    docs = dir_docs(generated_5k)
    out = run_cli(cli, "scan", generated_5k, "--format", "jsonl", "-q", *flags)
    result = dedup(frame(spark, docs), boilerplate_docs=300, components="dataframe")
    assert result.stats["boilerplate_rate"] < 1.0
    lines, _ = as_cli_lines(result)
    assert lines == jsonl(out)


def test_one_document_per_partition_and_empty_partitions_and_resume(cli, spark, tmp_path):
    docs = dir_docs(CORPUS)
    out = jsonl(run_cli(cli, "scan", CORPUS, "--format", "jsonl", "-q"))
    one_each = frame(spark, docs, slices=len(docs))
    assert one_each.rdd.glom().map(len).collect() == [1] * len(docs)
    assert as_cli_lines(dedup(one_each))[0] == out
    sparse = frame(spark, docs, slices=3 * len(docs))
    assert 0 in sparse.rdd.glom().map(len).collect()
    ck = str(tmp_path / "ck")
    first = dedup(sparse, checkpoint_dir=ck)
    assert as_cli_lines(first)[0] == out
    assert (tmp_path / "ck" / "verified" / "_SUCCESS").exists()
    # A rerun resumes from the Parquet stages: same result, even from an
    # input that is now empty (nothing is read again).
    again = dedup(frame(spark, [], slices=2), checkpoint_dir=ck)
    assert as_cli_lines(again)[0] == out
    with pytest.raises(ValueError, match="other settings"):
        dedup(sparse, checkpoint_dir=ck, threshold=0.6)


def test_null_and_empty_texts_are_skipped_and_counted(cli, spark):
    docs = dir_docs(CORPUS)
    out = jsonl(run_cli(cli, "scan", CORPUS, "--format", "jsonl", "-q"))
    extra = [("zz-null-1", None), ("zz-null-2", None), ("zz-empty", "  ...  ")]
    result = dedup(frame(spark, docs + extra))
    assert as_cli_lines(result)[0] == out
    s = result.stats
    assert (s["rows"], s["skipped_null_text"], s["skipped_empty"]) == (len(docs) + 3, 2, 1)
    assert s["documents"] == len(docs)


def test_duplicate_and_null_ids_are_refused(spark):
    docs = [("a", "one two three four five"), ("b", "six seven"), ("a", "eight nine")]
    with pytest.raises(ValueError, match=r"duplicate ids in column 'id': 'a' \(2 times\)"):
        dedup(frame(spark, docs))
    with pytest.raises(ValueError, match="null ids"):
        dedup(frame(spark, [(None, "text here"), ("b", "more text")]))
    with pytest.raises(KeyError, match="no column 'body'"):
        dedup(frame(spark, docs), text_col="body")
    with pytest.raises(ValueError, match="exact"):
        dedup(frame(spark, docs[:2]), exact=True)
    with pytest.raises(neardup.ConfigError):
        dedup(frame(spark, docs[:2]), threshold=2.0)


def test_other_column_names_and_integer_ids(spark):
    story = ("Officials told electric vehicle makers to regulate themselves and not to sell "
             "cars below cost, according to people familiar with the talks in Beijing.")
    rows = [(1, story), (2, "Header. " + story + " Footer."), (3, "Football on Sunday.")]
    df = spark.createDataFrame(rows, "doc long, body string")
    result = dedup(df, id_col="doc", text_col="body")
    got = sorted((r["id"], r["cluster"]) for r in result.clusters.collect())
    assert got == [("1", 0), ("2", 0)]
    want = neardup.scan([t for _, t in rows], [str(i) for i, _ in rows])
    assert sorted((r["a"], r["b"], r["jaccard"], r["containment"])
                  for r in result.pairs.collect()) == exact_pairs(want)
