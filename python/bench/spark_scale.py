"""Spark local-mode throughput of neardup.spark.dedup against the CLI, on one
JSON Lines corpus (docs/SCALE.md):

    python python/bench/spark_scale.py CORPUS.jsonl --cli target/release/neardup \
        [--master local[2]] [--runs 1]

Runs the CLI (`neardup scan CORPUS.jsonl --format jsonl -q`), then
`dedup` on `spark.read.json(CORPUS.jsonl)`, back to back; checks that the
clusters are the CLI's; prints one JSON object: seconds of each, each
stage's seconds, shuffle bytes written (from Spark's status API) per
document, and the load average before and after.
"""

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request


def shuffle_bytes(sc):
    """Shuffle bytes written and read by every stage so far."""
    url = f"{sc.uiWebUrl}/api/v1/applications/{sc.applicationId}/stages"
    with urllib.request.urlopen(url) as f:
        stages = json.load(f)
    return (sum(s.get("shuffleWriteBytes", 0) for s in stages),
            sum(s.get("shuffleReadBytes", 0) for s in stages))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--cli", required=True)
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--partitions", type=int, default=8)
    args = ap.parse_args()

    load_before = os.getloadavg()
    t = time.perf_counter()
    out = subprocess.run([args.cli, "scan", args.corpus, "--format", "jsonl", "-q"],
                         check=True, capture_output=True, text=True).stdout
    cli_s = time.perf_counter() - t
    want = [json.loads(x) for x in out.splitlines() if x.strip()]

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    from neardup.spark import dedup

    spark = (SparkSession.builder.master(args.master).appName("neardup-scale")
             .config("spark.sql.shuffle.partitions", str(args.partitions))
             .config("spark.driver.memory", "3g")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    t = time.perf_counter()
    df = spark.read.json(args.corpus).select("id", "text").repartition(args.partitions)
    result = dedup(df)
    # The outputs written once, as a user would.
    n_clusters = result.clusters.count()
    n_pairs = result.pairs.count()
    spark_s = time.perf_counter() - t
    written, read = shuffle_bytes(spark.sparkContext)

    rows = result.clusters.collect()
    members = {}
    for r in rows:
        members.setdefault(r["cluster"], []).append(r["id"])
    got = [sorted(members[c]) for c in sorted(members)]
    same = got == [w["docs"] for w in want]
    docs = result.stats["documents"]
    print(json.dumps({
        "corpus": args.corpus, "documents": docs, "master": args.master,
        "cli_seconds": round(cli_s, 2), "spark_seconds": round(spark_s, 2),
        "ratio": round(spark_s / cli_s, 1),
        "cli_docs_per_s": round(docs / cli_s), "spark_docs_per_s": round(docs / spark_s),
        "stages": {k: round(v, 2) for k, v in result.stats["seconds"].items()},
        "shuffle_write_bytes_per_doc": round(written / docs),
        "shuffle_read_bytes_per_doc": round(read / docs),
        "clusters": n_clusters, "pairs": n_pairs, "same_clusters_as_cli": same,
        "stats": {k: v for k, v in result.stats.items() if k != "seconds"},
        "load_before": [round(x, 1) for x in load_before],
        "load_after": [round(x, 1) for x in os.getloadavg()],
    }, indent=1))
    spark.stop()


if __name__ == "__main__":
    main()
