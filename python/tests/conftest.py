"""Fixtures: the repository, ../shared, the `neardup` command line (to compare
with), and a corpus generated from the shared Reuters stories."""

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("NEARDUP_SHARED", ROOT.parent / "shared"))
SEED_DIR = SHARED / "examples" / "aggregator-split"
SEED_TRUTH = SHARED / "examples" / "aggregator-split.truth.tsv"
REUTERS = SHARED / "data" / "reuters21578" / "docs"
CORPUS = ROOT / "corpus"


def _target_dir() -> Path:
    t = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return t if t.is_absolute() else ROOT / t


@pytest.fixture(scope="session")
def cli() -> Path:
    """The `neardup` binary: $NEARDUP_CLI, else built here (debug, which
    prints what release prints)."""
    given = os.environ.get("NEARDUP_CLI")
    if given:
        return Path(given)
    subprocess.run(["cargo", "build", "--quiet", "--bin", "neardup"], cwd=ROOT, check=True)
    exe = _target_dir() / "debug" / "neardup"
    assert exe.exists(), exe
    return exe


def run_cli(cli: Path, *args) -> str:
    """Runs the CLI, returns its stdout (failing the test on a non-zero exit)."""
    p = subprocess.run([str(cli), *map(str, args)], capture_output=True, text=True)
    assert p.returncode == 0, f"neardup {' '.join(map(str, args))}: {p.stderr}"
    return p.stdout


@pytest.fixture(scope="session")
def shared() -> Path:
    assert REUTERS.is_dir(), f"{SHARED} is missing: the tests read their fixtures there"
    return SHARED


@pytest.fixture(scope="session")
def generated(cli, shared, tmp_path_factory) -> Path:
    """A labeled syndication corpus from the Reuters stories (`neardup
    generate`): DIR/docs and DIR/truth.tsv."""
    out = tmp_path_factory.mktemp("generated") / "corpus"
    subprocess.run(
        [str(cli), "generate", "--sources", str(REUTERS), "--out", str(out),
         "--stories", "120", "--seed", "7"],
        check=True, capture_output=True,
    )
    return out


def read_texts(root: Path, ids):
    """The texts of files `ids` (paths relative to root; the fixtures are
    valid UTF-8)."""
    return [(root / i).read_bytes().decode("utf-8") for i in ids]


def jsonl(text: str):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def round4(x: float) -> float:
    """The CLI's rounding of scores (half away from zero)."""
    import math

    return math.floor(x * 10000 + 0.5) / 10000


def ticks_while(fn):
    """Runs `fn()` while another Python thread counts; returns (ticks,
    seconds). The interpreter's switch interval is raised to 1 s meanwhile,
    so a call that kept the GIL would starve the counter for the whole
    call, where one that releases it lets the counter run (every 0.5 ms)."""
    import sys
    import threading
    import time

    ticks, done = [0], threading.Event()

    def count():
        while not done.is_set():
            ticks[0] += 1
            time.sleep(0.0005)

    old = sys.getswitchinterval()
    t = threading.Thread(target=count)
    t.start()
    time.sleep(0.01)
    sys.setswitchinterval(1.0)
    try:
        before = ticks[0]
        start = time.perf_counter()
        fn()
        return ticks[0] - before, time.perf_counter() - start
    finally:
        sys.setswitchinterval(old)
        done.set()
        t.join()


def two_threads_speedup(work):
    """Wall time of `work()` twice on one thread over `work()` once on each
    of two threads at the same time."""
    import threading
    import time

    start = time.perf_counter()
    work()
    work()
    one = time.perf_counter() - start
    ts = [threading.Thread(target=work) for _ in range(2)]
    start = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return one / (time.perf_counter() - start)


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "spark: Spark local-mode tests of neardup.spark (need pyspark and Java 17); "
        "`-m 'not spark'` runs the core suite alone")
