"""neardup on Apache Spark: the clusters and pairs of ``neardup scan`` for
corpora that outgrow one machine.

    >>> from neardup.spark import dedup
    >>> result = dedup(df, id_col="id", text_col="text")
    >>> result.clusters   # id string, cluster long, representative boolean
    >>> result.pairs      # a, b, jaccard, containment

Each stage is a plain Spark step; the Rust work runs in the wheel on the
executors through ``mapInArrow`` (``neardup.stages``):

1. sign: band keys, shingle set and signature per document;
2. candidates: a shuffle on ``(band, key)``; each bucket's ids, sorted,
   are paired each with the next ``max_bucket`` (the engine's bound on
   giant buckets), pairs taken once, screened on their signatures, and
   the near-verbatim copies marked;
3. boilerplate: copy groups (connected components of the copy pairs),
   keys counted per group in each partition, partial counts summed, the
   engine's cut;
4. verify: candidate pairs joined to their cut sets and figures, exact
   scores and the verdict (figures rule included);
5. components of the verified pairs: on the driver when they are few
   (``driver_pairs``, default 2,000,000), else large-star/small-star in
   DataFrame code, checkpointed each round;
6. cluster: each component clustered as the engine does (linkage guard,
   representative), clusters numbered in order of their smallest id.

With ``checkpoint_dir``, each stage's output is written there as Parquet
and a rerun with the same settings resumes after the last stage written.
Ids are the user's (cast to string); an id used twice is refused, null
texts are skipped and counted (``result.stats``), as are texts with no
words. Inside executors the Rust code runs ``spark.task.cpus`` threads
per task (1 by default), so tasks do not oversubscribe the cores.
See docs/SCALE.md.
"""

from __future__ import annotations

import importlib
import json
import time
from typing import Any

from . import _neardup as _native
from . import stages as _stages

__all__ = ["dedup", "DedupResult"]

#: Settings ``dedup`` takes besides the engine's.
_SPARK_KEYS = ("driver_pairs", "components", "threads")


class DedupResult:
    """What ``dedup`` found: ``clusters`` (a DataFrame of ``id`` string,
    ``cluster`` long, ``representative`` boolean: one row per document in a
    cluster of two or more, clusters numbered from 0 in order of their
    smallest id, as ``neardup scan`` numbers them), ``pairs`` (``a``,
    ``b``, ``jaccard``, ``containment``: the verified pairs inside
    clusters, ``a < b``) and ``stats`` (counts and each stage's seconds)."""

    def __init__(self, clusters: Any, pairs: Any, stats: dict[str, Any]) -> None:
        self.clusters = clusters
        self.pairs = pairs
        self.stats = stats

    def __repr__(self) -> str:
        return f"DedupResult(stats={self.stats!r})"


def _spark_types() -> Any:
    from pyspark.sql import types as T

    return T


class _Checkpoints:
    """Stage outputs: Parquet under ``checkpoint_dir`` (reread on a rerun)
    or persisted in the cluster."""

    def __init__(self, spark: Any, root: str | None, params: dict[str, Any]) -> None:
        self.spark = spark
        self.root = root.rstrip("/") if root else None
        self.persisted: list[Any] = []
        if self.root is None:
            return
        want = json.dumps(params, sort_keys=True)
        if self._exists("params"):
            got = self.spark.read.parquet(self._path("params")).first()["json"]
            if got != want:
                raise ValueError(
                    f"checkpoint_dir {root!r} holds a run with other settings "
                    f"({got}); give another directory or empty it")
        else:
            self._write(self.spark.createDataFrame([(want,)], "json string"), "params")

    def _path(self, name: str) -> str:
        return f"{self.root}/{name}"

    def _exists(self, name: str) -> bool:
        jvm = self.spark.sparkContext._jvm
        conf = self.spark.sparkContext._jsc.hadoopConfiguration()
        p = jvm.org.apache.hadoop.fs.Path(self._path(name) + "/_SUCCESS")
        return bool(p.getFileSystem(conf).exists(p))

    def _write(self, df: Any, name: str) -> None:
        df.write.mode("overwrite").parquet(self._path(name))

    def stage(self, name: str, build: Any) -> tuple[Any, bool]:
        """The output of stage ``name``: read back when a checkpoint has it,
        else built (and written, or persisted). Also whether it was read."""
        if self.root is not None:
            if self._exists(name):
                return self.spark.read.parquet(self._path(name)), True
            self._write(build(), name)
            return self.spark.read.parquet(self._path(name)), False
        from pyspark import StorageLevel

        df = build().persist(StorageLevel.MEMORY_AND_DISK)
        df.count()
        self.persisted.append(df)
        return df, False

    def meta(self, name: str, compute: Any) -> dict[str, Any]:
        """A small dict kept beside the stages (counts)."""
        if self.root is not None and self._exists(name):
            return dict(json.loads(self.spark.read.parquet(self._path(name)).first()["json"]))
        value = compute()
        if self.root is not None:
            self._write(self.spark.createDataFrame([(json.dumps(value),)], "json string"), name)
        return dict(value)


def _arrow_out(batch: Any, schema: Any) -> Any:
    """``batch`` cast to the Arrow types Spark expects for ``schema``."""
    pa = importlib.import_module("pyarrow")

    types = {
        "string": pa.string(), "binary": pa.binary(), "bigint": pa.int64(),
        "double": pa.float64(), "boolean": pa.bool_(), "tinyint": pa.int8(),
        "array<bigint>": pa.list_(pa.int64()),
    }
    cols = []
    for f in schema.fields:
        cols.append(batch.column(batch.schema.get_field_index(f.name)).cast(
            types[f.dataType.simpleString()]))
    return pa.RecordBatch.from_arrays(cols, names=[f.name for f in schema.fields])


def _components_driver(spark: Any, pairs: list[tuple[str, str]]) -> Any:
    """Connected components on the driver: ``(id, component)``, each
    component named by its smallest id."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:
            parent[x], x = root, parent[x]
        return root

    for a, b in pairs:
        parent.setdefault(a, a)
        parent.setdefault(b, b)
        ra, rb = find(a), find(b)
        if ra != rb:
            # The smaller root stays: a root is its component's smallest id.
            lo, hi = (ra, rb) if ra < rb else (rb, ra)
            parent[hi] = lo
    rows = [(x, find(x)) for x in parent]
    return spark.createDataFrame(rows, "id string, component string")


def _components_dataframe(edges: Any, checkpoint: Any) -> Any:
    """Connected components in DataFrame code, by alternating large-star
    and small-star rounds (Kiveris et al., 2014) until every edge joins a
    node to its component's smallest id; each round's edges are
    checkpointed, which keeps the plans short. Returns ``(id,
    component)``."""
    from pyspark.sql import functions as F

    e = edges.select(F.col("a").alias("u"), F.col("b").alias("v"))
    rounds = 0
    while True:
        rounds += 1
        # Large-star: each node's larger neighbours attach to the smallest
        # of the node and its neighbours.
        both = e.unionByName(e.select(F.col("v").alias("u"), F.col("u").alias("v")))
        m = both.groupBy("u").agg(F.least(F.min("v"), F.col("u")).alias("m"))
        e = (both.join(m, "u").where(F.col("v") > F.col("u"))
             .select(F.col("v").alias("u"), F.col("m").alias("v")).distinct())
        # Small-star: each node and its smaller neighbours attach to the
        # smallest of them.
        o = e.select(F.greatest("u", "v").alias("u"), F.least("u", "v").alias("v"))
        m = o.groupBy("u").agg(F.min("v").alias("m"))
        j = o.join(m, "u")
        e = (j.select(F.col("v").alias("u"), F.col("m").alias("v"))
             .unionByName(j.select("u", F.col("m").alias("v")))
             .where(F.col("u") != F.col("v")).distinct())
        e = checkpoint(e, rounds)
        # Done when the edges form stars around their smallest node: every
        # node has one edge, to a smaller node that has none of its own.
        o = e.select(F.greatest("u", "v").alias("u"), F.least("u", "v").alias("v"))
        multi = o.groupBy("u").count().where("count > 1").limit(1).count()
        if multi == 0:
            centres = o.select(F.col("v").alias("u")).distinct()
            if o.join(centres, "u").limit(1).count() == 0:
                break
    o = e.select(F.greatest("u", "v").alias("id"), F.least("u", "v").alias("component"))
    roots = o.select(F.col("component").alias("id"), "component").distinct()
    return o.unionByName(roots).distinct()


def dedup(
    df: Any,
    id_col: str = "id",
    text_col: str = "text",
    *,
    threshold: float = 0.5,
    containment: float = 0.4,
    shingle: int | None = None,
    perms: int | None = None,
    bands: int | None = None,
    checkpoint_dir: str | None = None,
    **more: Any,
) -> DedupResult:
    """Finds the near-duplicate documents of a Spark DataFrame: the
    clusters and pairs ``neardup scan`` gives for the same documents.

    ``df[id_col]`` (cast to string) names the documents and must be unique
    (a repeated id raises ``ValueError`` naming it); ``df[text_col]`` is
    the text (null texts are skipped and counted). The engine settings are
    those of ``neardup.scan`` with the CLI's defaults; ``**more`` also takes
    ``driver_pairs`` (components on the driver up to this many verified
    pairs, default 2,000,000), ``components`` (``"auto"``, ``"driver"`` or
    ``"dataframe"``) and ``threads`` (Rust threads per task, default
    ``spark.task.cpus``). ``exact=True`` (all pairs) is refused.
    """
    from pyspark.sql import functions as F

    T = _spark_types()
    spark = df.sparkSession
    config: dict[str, Any] = {"threshold": threshold, "containment": containment}
    for k, v in (("shingle", shingle), ("perms", perms), ("bands", bands)):
        if v is not None:
            config[k] = v
    driver_pairs = int(more.pop("driver_pairs", 2_000_000))
    components = more.pop("components", "auto")
    if components not in ("auto", "driver", "dataframe"):
        raise ValueError(f"components must be 'auto', 'driver' or 'dataframe', not {components!r}")
    threads = more.pop("threads", None)
    if threads is None:
        threads = int(spark.sparkContext.getConf().get("spark.task.cpus", "1"))
    config.update(more)
    if config.get("exact"):
        raise ValueError("exact=True compares every pair: not offered on Spark")
    # Settings checked (and defaults found) once, on the driver.
    max_bucket = _native.stages_max_bucket(**config)
    for c in (id_col, text_col):
        if c not in df.columns:
            raise KeyError(f"the DataFrame has no column {c!r} (columns: {df.columns})")

    ck = _Checkpoints(spark, checkpoint_dir, {
        "config": {k: config[k] for k in sorted(config)}, "id_col": id_col,
        "text_col": text_col})
    stats: dict[str, Any] = {}
    seconds: dict[str, float] = {}
    cfg = dict(config)

    # 0. Ids unique, texts present.
    lap = time.perf_counter()
    src = df.select(F.col(id_col).cast("string").alias("id"), F.col(text_col).alias("text"))

    def input_counts() -> dict[str, Any]:
        row = src.agg(F.count(F.lit(1)).alias("rows"),
                      F.count_if(F.col("id").isNull()).alias("null_ids"),
                      F.count_if(F.col("text").isNull()).alias("null_texts")).first()
        if row["null_ids"]:
            raise ValueError(f"column {id_col!r} has {row['null_ids']} null ids: every "
                             "document needs an id")
        dups = (src.groupBy("id").count().where("count > 1")
                .orderBy("id").limit(5).collect())
        if dups:
            shown = ", ".join(f"{r['id']!r} ({r['count']} times)" for r in dups)
            raise ValueError(f"duplicate ids in column {id_col!r}: {shown}; ids must be unique")
        return {"rows": row["rows"], "null_texts": row["null_texts"]}

    counts = ck.meta("input", input_counts)
    stats["rows"] = counts["rows"]
    stats["skipped_null_text"] = counts["null_texts"]
    seconds["check"] = time.perf_counter() - lap

    # 1. Sign.
    lap = time.perf_counter()
    signed_schema = T.StructType([
        T.StructField("id", T.StringType()), T.StructField("words", T.LongType()),
        T.StructField("set", T.BinaryType()), T.StructField("signature", T.BinaryType()),
        T.StructField("band_keys", T.ArrayType(T.LongType())),
        T.StructField("figures", T.BinaryType())])

    def sign(batches: Any) -> Any:
        for b in batches:
            if b.num_rows:
                yield _arrow_out(_stages.sign(b, threads=threads, **cfg), signed_schema)

    signed, _ = ck.stage("signed", lambda: src.where(F.col("text").isNotNull())
                         .mapInArrow(sign, signed_schema).where("words > 0"))
    docs = signed.count()
    stats["documents"] = docs
    stats["skipped_empty"] = stats["rows"] - stats["skipped_null_text"] - docs
    seconds["sign"] = time.perf_counter() - lap

    # 2. Candidates.
    lap = time.perf_counter()
    cand_schema = T.StructType([
        T.StructField("a", T.StringType()), T.StructField("b", T.StringType()),
        T.StructField("copy", T.BooleanType())])

    def screen(batches: Any) -> Any:
        for b in batches:
            if b.num_rows:
                yield _arrow_out(_stages.screen(b, threads=threads, **cfg), cand_schema)

    def candidates() -> Any:
        keys = signed.select("id", F.posexplode("band_keys").alias("band", "key"))
        buckets = (keys.groupBy("band", "key")
                   .agg(F.sort_array(F.collect_list("id")).alias("ids"))
                   .where(F.size("ids") > 1))
        pairs = (buckets.select(F.posexplode("ids").alias("i", "a"), "ids")
                 .select("a", F.explode(F.slice("ids", F.col("i") + 2, F.lit(max_bucket)))
                         .alias("b"))
                 .distinct())
        s = signed.select("id", "signature", "set")
        sa = s.select(F.col("id").alias("a"), F.col("signature").alias("signature_a"),
                      F.col("set").alias("set_a"))
        sb = s.select(F.col("id").alias("b"), F.col("signature").alias("signature_b"),
                      F.col("set").alias("set_b"))
        return pairs.join(sa, "a").join(sb, "b").mapInArrow(screen, cand_schema)

    cands, _ = ck.stage("candidates", candidates)
    stats["candidate_pairs"] = cands.count()
    seconds["candidates"] = time.perf_counter() - lap

    # 3. Boilerplate.
    lap = time.perf_counter()
    copies = cands.where("copy").select("a", "b")

    def copy_groups() -> Any:
        n = copies.count()
        if components == "driver" or (components == "auto" and n <= driver_pairs):
            return _components_driver(spark, [(r["a"], r["b"]) for r in copies.collect()])
        return _components_dataframe(copies, _round_checkpoint(ck, "copy-components"))

    enabled = _stages.BoilerplatePlan.make(docs, docs, **cfg) is not None
    keys = b""
    if enabled:
        groups, _ = ck.stage("copy-groups", copy_groups)

        def plan_counts() -> dict[str, Any]:
            row = groups.agg(F.count(F.lit(1)).alias("docs"),
                             F.countDistinct("component").alias("groups")).first()
            return {"copy_groups": docs - row["docs"] + row["groups"]}

        n_groups = ck.meta("copy-groups-count", plan_counts)["copy_groups"]
        plan = _stages.BoilerplatePlan.make(docs, n_groups, **cfg)
        assert plan is not None
        stats["copy_groups"] = n_groups
        stats["boilerplate_cut"] = plan.cut
        stats["boilerplate_rate"] = plan.rate

        def counted_keys() -> Any:
            # Each document's group (its smallest id), without its set; the
            # sample of groups, when the cut samples, is made on the labels
            # so that only the counted documents' sets move.
            labels = (signed.select("id").join(groups, "id", "left")
                      .select("id", F.coalesce("component", "id").alias("group")))
            if plan.rate < 1.0:
                def sample(batches: Any) -> Any:
                    for b in batches:
                        if b.num_rows:
                            keep = plan.counts_group(b.column(1), threads=threads)
                            yield _arrow_out(b.filter(keep), label_schema)

                label_schema = T.StructType([T.StructField("id", T.StringType()),
                                             T.StructField("group", T.StringType())])
                labels = labels.mapInArrow(sample, label_schema)
            labelled = signed.select("id", "set").join(labels, "id")
            per_group = labelled.groupBy("group").agg(F.collect_list("set").alias("sets"))
            count_schema = T.StructType([T.StructField("key", T.LongType()),
                                         T.StructField("count", T.LongType())])

            def count(batches: Any) -> Any:
                for b in batches:
                    if b.num_rows:
                        yield _arrow_out(_stages.count_keys(b, threads=threads), count_schema)

            return (per_group.mapInArrow(count, count_schema)
                    .groupBy("key").agg(F.sum("count").alias("count"))
                    .where(F.col("count") > F.lit(plan.limit)))

        frequent, _ = ck.stage("boilerplate", counted_keys)
        rows = frequent.collect()
        keys = _stages.boilerplate([r["key"] for r in rows], [r["count"] for r in rows], plan)
    stats["boilerplate_keys"] = len(keys) // 4
    seconds["boilerplate"] = time.perf_counter() - lap

    # 4. Verify.
    lap = time.perf_counter()
    cut_schema = T.StructType([T.StructField("id", T.StringType()),
                               T.StructField("words", T.LongType()),
                               T.StructField("set", T.BinaryType()),
                               T.StructField("figures", T.BinaryType())])

    def cut(batches: Any) -> Any:
        for b in batches:
            if b.num_rows:
                yield _arrow_out(_stages.cut(b, keys, threads=threads), cut_schema)

    def cut_docs() -> Any:
        ids = (cands.select(F.col("a").alias("id"))
               .unionByName(cands.select(F.col("b").alias("id"))).distinct())
        return (signed.select("id", "words", "set", "figures").join(ids, "id")
                .mapInArrow(cut, cut_schema))

    cutd, _ = ck.stage("cut", cut_docs)
    ver_schema = T.StructType([
        T.StructField("a", T.StringType()), T.StructField("b", T.StringType()),
        T.StructField("jaccard", T.DoubleType()), T.StructField("containment", T.DoubleType()),
        T.StructField("duplicate", T.BooleanType())])

    def verify(batches: Any) -> Any:
        for b in batches:
            if b.num_rows:
                yield _arrow_out(_stages.verify(b, threads=threads, **cfg), ver_schema)

    def verified_pairs() -> Any:
        ca = cutd.select(F.col("id").alias("a"), F.col("set").alias("set_a"),
                         F.col("figures").alias("figures_a"))
        cb = cutd.select(F.col("id").alias("b"), F.col("set").alias("set_b"),
                         F.col("figures").alias("figures_b"))
        return (cands.select("a", "b").join(ca, "a").join(cb, "b")
                .mapInArrow(verify, ver_schema).where("duplicate")
                .select("a", "b", "jaccard", "containment"))

    verified, _ = ck.stage("verified", verified_pairs)
    n_verified = verified.count()
    stats["verified_pairs"] = n_verified
    seconds["verify"] = time.perf_counter() - lap

    # 5. Components.
    lap = time.perf_counter()
    on_driver = components == "driver" or (components == "auto" and n_verified <= driver_pairs)
    stats["components_on"] = "driver" if on_driver else "dataframe"

    def verified_components() -> Any:
        if on_driver:
            return _components_driver(
                spark, [(r["a"], r["b"]) for r in verified.select("a", "b").collect()])
        return _components_dataframe(verified, _round_checkpoint(ck, "components"))

    comps, _ = ck.stage("components", verified_components)
    seconds["components"] = time.perf_counter() - lap

    # 6. Cluster.
    lap = time.perf_counter()
    out_schema = T.StructType([
        T.StructField("kind", T.ByteType()), T.StructField("id", T.StringType()),
        T.StructField("first", T.StringType()), T.StructField("representative", T.BooleanType()),
        T.StructField("b", T.StringType()), T.StructField("jaccard", T.DoubleType()),
        T.StructField("containment", T.DoubleType())])

    def cluster(batches: Any) -> Any:
        pa = importlib.import_module("pyarrow")

        for b in batches:
            if not b.num_rows:
                continue
            members, kept = _stages.cluster(b, threads=threads, **cfg)
            nm, nk = members.num_rows, kept.num_rows
            yield _arrow_out(pa.RecordBatch.from_arrays(
                [pa.array([0] * nm, pa.int8()), members.column(0), members.column(1),
                 members.column(2), pa.nulls(nm, pa.string()), pa.nulls(nm, pa.float64()),
                 pa.nulls(nm, pa.float64())],
                names=[f.name for f in out_schema.fields]), out_schema)
            yield _arrow_out(pa.RecordBatch.from_arrays(
                [pa.array([1] * nk, pa.int8()), kept.column(0), pa.nulls(nk, pa.string()),
                 pa.nulls(nk, pa.bool_()), kept.column(1), kept.column(2), kept.column(3)],
                names=[f.name for f in out_schema.fields]), out_schema)

    def clustered() -> Any:
        members = (comps.join(cutd, "id").groupBy("component")
                   .agg(F.collect_list(F.struct("id", "words", "set", "figures"))
                        .alias("members")))
        pairs = (verified.join(comps.withColumnRenamed("id", "a"), "a")
                 .groupBy("component")
                 .agg(F.collect_list(F.struct("a", "b", "jaccard", "containment"))
                      .alias("pairs")))
        return members.join(pairs, "component").mapInArrow(cluster, out_schema)

    done, _ = ck.stage("clustered", clustered)

    def numbered() -> Any:
        firsts = done.where("kind = 0").select("first").distinct()
        rdd = firsts.rdd.map(lambda r: r[0]).sortBy(lambda x: x).zipWithIndex()
        return spark.createDataFrame(rdd, "first string, cluster long")

    numbers, _ = ck.stage("cluster-numbers", numbered)
    clusters = (done.where("kind = 0").join(numbers, "first")
                .select("id", "cluster", "representative"))
    pairs = done.where("kind = 1").select(F.col("id").alias("a"), "b", "jaccard", "containment")
    stats["clusters"] = numbers.count()
    seconds["cluster"] = time.perf_counter() - lap
    stats["seconds"] = seconds
    return DedupResult(clusters, pairs, stats)


def _round_checkpoint(ck: _Checkpoints, name: str) -> Any:
    """How components checkpoint each round: Parquet under the checkpoint
    directory, else the cluster's local checkpoints."""

    def checkpoint(df: Any, round_: int) -> Any:
        if ck.root is None:
            return df.localCheckpoint(eager=True)
        path = f"{ck.root}/{name}-rounds/{round_}"
        df.write.mode("overwrite").parquet(path)
        return ck.spark.read.parquet(path)

    return checkpoint
