#!/usr/bin/env python3
"""Side-by-side benchmark of neardup and peer MinHash libraries.

    python3 benches/peers/run.py --docs 10000

From a fresh clone (with ../shared beside it) this:

1. builds neardup in release (`cargo build --release`, honouring
   CARGO_TARGET_DIR);
2. creates benches/peers/.venv and installs requirements.txt into it (once,
   again only when requirements.txt changes);
3. builds a labeled corpus of about --docs documents with
   `neardup generate` under benches/peers/work/corpora/ (reused while
   the generator, benches/synth/src and data, is unchanged);
4. checks, untimed, that peer.py's shingles are neardup's and computes the
   recall ceiling of an exact `Jaccard >= T` rule on the corpus;
5. runs each tool end to end (files on disk to duplicate groups) in its own
   process, timing it and reading its CPU time and peak RSS from wait4(2),
   and runs it again when other processes took CPU meanwhile;
6. scores each tool's groups with ../shared/tools/score_clusters.py
   (pairwise precision / recall / F1 against the corpus truth), marking a
   peer far below the ceiling as SUSPECT (exit status 3);
7. prints a table and writes benches/peers/work/results-<docs>.json (plus a
   timestamped copy) and table-<docs>.md.

Standard library only; the peers themselves run in the venv (peer.py).
See docs/BENCHMARKS.md for what each tool does and for today's figures.
"""

import argparse
import datetime
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
VENV = HERE / ".venv"
REQUIREMENTS = HERE / "requirements.txt"
PEER = HERE / "peer.py"

PEERS = ("datasketch", "rensa", "gaoya")
NEARDUP_ROWS = ("neardup", "neardup-defaults", "neardup-threads1", "neardup-classic")
ALL_TOOLS = NEARDUP_ROWS + PEERS
LABELS = {
    "neardup": "neardup (matched)",
    "neardup-defaults": "neardup (defaults)",
    "neardup-threads1": "neardup (matched, --threads 1)",
    "neardup-classic": "neardup (matched, classic MinHash)",
    "datasketch": "datasketch",
    "rensa": "rensa",
    "gaoya": "gaoya",
}


def log(msg):
    print(f"[peers] {msg}", file=sys.stderr, flush=True)


def sh(cmd, **kw):
    """Runs a setup command, failing loudly."""
    log("$ " + " ".join(str(c) for c in cmd))
    subprocess.run([str(c) for c in cmd], check=True, **kw)


# ---------------------------------------------------------------- setup


def build_neardup(args):
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    if not target.is_absolute():
        target = ROOT / target
    exe = target / "release" / "neardup"
    if not args.no_build:
        sh(["cargo", "build", "--release", "--bin", "neardup"], cwd=ROOT)
    if not exe.exists():
        sys.exit(f"neardup binary not found at {exe}")
    return exe


def ensure_venv():
    py = VENV / "bin" / "python"
    stamp = VENV / "requirements.sha256"
    want = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if py.exists() and stamp.exists() and stamp.read_text().strip() == want:
        return py
    if not py.exists():
        sh([sys.executable, "-m", "venv", VENV])
    sh([py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", REQUIREMENTS])
    stamp.write_text(want + "\n")
    return py


def count_docs(docs):
    n, size = 0, 0
    for dirpath, dirnames, filenames in os.walk(docs):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if not name.startswith("."):
                n += 1
                size += os.path.getsize(os.path.join(dirpath, name))
    return n, size


def generate(exe, args, out, stories):
    if out.exists():
        shutil.rmtree(out)
    cmd = [exe, "generate", "--sources", args.sources, "--out", out,
           "--stories", stories, "--seed", args.seed]
    if args.words:
        cmd += ["--words", args.words]
    t0 = time.perf_counter()
    sh(cmd)
    n, size = count_docs(out / "docs")
    log(f"generated {n} docs ({size / 1e6:.1f} MB) from {stories} stories "
        f"in {time.perf_counter() - t0:.1f}s")
    return n, size, [str(c) for c in cmd]


def generator_hash():
    """Identifies the generator's code and data (the neardup-synth crate in
    benches/synth: src/ and data/), so a cached corpus is rebuilt when they
    change."""
    crate = ROOT / "benches" / "synth"
    files = sorted(p for d in ("src", "data") for p in (crate / d).rglob("*") if p.is_file())
    h = hashlib.sha256()
    for p in files:
        h.update(p.relative_to(crate).as_posix().encode() + b"\0")
        h.update(p.read_bytes())
    return h.hexdigest()[:16] if files else ""


def ensure_corpus(exe, args):
    """A corpus of about args.docs documents, reused when already built by
    the same generator code."""
    base = args.work / "corpora"
    out = base / f"n{args.docs}-seed{args.seed}-w{args.words or 0}"
    meta_path = out / "meta.json"
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        n, size = count_docs(out / "docs")
        if (n == meta["docs"] and size == meta["bytes"] and (out / "truth.tsv").exists()
                and meta.get("generator") == generator_hash()):
            log(f"reusing corpus {out} ({n} docs)")
            return out, meta
    base.mkdir(parents=True, exist_ok=True)
    # Copies per story vary: measure the ratio on a pilot, then aim.
    pilot_stories = max(1, min(300, args.docs // 3))
    pilot = base / f"pilot-seed{args.seed}-w{args.words or 0}"
    n, _, _ = generate(exe, args, pilot, pilot_stories)
    shutil.rmtree(pilot)
    stories = max(1, round(args.docs * pilot_stories / max(n, 1)))
    for _ in range(3):
        n, size, cmd = generate(exe, args, out, stories)
        if abs(n - args.docs) <= 0.03 * args.docs:
            break
        stories = max(1, round(stories * args.docs / max(n, 1)))
    meta = {"docs": n, "bytes": size, "stories": stories, "command": cmd,
            "generator": generator_hash()}
    meta_path.write_text(json.dumps(meta, indent=1) + "\n")
    return out, meta


def warm_cache(docs):
    """Reads every file once so every tool starts from the same warm cache."""
    for dirpath, _, filenames in os.walk(docs):
        for name in filenames:
            with open(os.path.join(dirpath, name), "rb") as f:
                while f.read(1 << 20):
                    pass


# ---------------------------------------------------------------- measuring


def cpu_busy_seconds():
    """CPU seconds the whole machine has spent busy (user, nice, system, irq,
    softirq; not idle, iowait or steal), from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    hz = os.sysconf("SC_CLK_TCK")
    return sum(fields[i] for i in (0, 1, 2, 5, 6)) / hz


def other_load(seconds=1.0):
    b0 = cpu_busy_seconds()
    time.sleep(seconds)
    b1 = cpu_busy_seconds()
    return (b1 - b0) / seconds


def wait_for_quiet(max_cores, max_wait):
    """Waits (up to max_wait s) until other processes use < max_cores cores."""
    t0 = time.monotonic()
    while True:
        load = other_load()
        if load < max_cores or time.monotonic() - t0 > max_wait:
            return load
        time.sleep(4)


def warm(docs_dir):
    """Reads every file of the corpus once, so that each timed run starts with
    all of it in the page cache: this VM's memory reclaimer puts cold pages out
    while the peers run, and a run that finds part of the corpus on disk pays
    for reading it back (docs/BENCHMARKS.md, items 40, 46 and 50)."""
    buf = bytearray(1 << 20)
    for root, _dirs, files in os.walk(docs_dir):
        for name in files:
            with open(os.path.join(root, name), "rb", buffering=0) as f:
                while f.readinto(buf):
                    pass


def timed_run(cmd, log_path, timeout, env=None):
    """Runs cmd in its own process group; wall, CPU and peak RSS via wait4."""
    busy0 = cpu_busy_seconds()
    t0 = time.perf_counter()
    with open(log_path, "w") as err:
        p = subprocess.Popen([str(c) for c in cmd], stdout=subprocess.DEVNULL, stderr=err,
                             env=env, start_new_session=True)
        killed = []

        def kill():
            killed.append(True)
            os.killpg(p.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        _, status, ru = os.wait4(p.pid, 0)
        timer.cancel()
        p.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    busy1 = cpu_busy_seconds()
    cpu = ru.ru_utime + ru.ru_stime
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_rss_mb": ru.ru_maxrss / 1024,  # ru_maxrss is in KiB on Linux
        "exit": p.returncode,
        "timed_out": bool(killed),
        "other_cores": max(0.0, (busy1 - busy0 - cpu) / wall),
    }


def score(args, truth, groups):
    script = args.shared / "tools" / "score_clusters.py"
    out = subprocess.run([sys.executable, str(script), str(truth), str(groups)],
                         check=True, capture_output=True, text=True).stdout
    vals = dict(re.findall(r"(\w+)=([-\d.]+)", out))
    return {k: float(vals[k]) for k in ("precision", "recall", "f1", "ari")} | {
        "pred_pairs": int(vals["pred_pairs"]), "truth_pairs": int(vals["truth_pairs"]),
        "unknown_ids": int(vals["unknown_ids"])}


def shingle_agreement(exe, docs, truth, k, pairs=40):
    """Checks that peer.py's shingles are neardup's: for pairs of copies from
    the truth, compares `neardup explain` Jaccard (k-word shingles, no
    boilerplate cut) with the exact Jaccard of peer.py's shingle sets."""
    sys.dont_write_bytecode = True  # no __pycache__ in the source tree
    sys.path.insert(0, str(HERE))
    import peer  # standard library only at import time

    clusters = {}
    with open(truth, encoding="utf-8") as f:
        next(f)
        for line in f:
            doc, cl = line.rstrip("\n").split("\t")[:2]
            clusters.setdefault(cl, []).append(doc)
    chosen = [c[:2] for c in clusters.values() if len(c) >= 2][:pairs]
    diffs = []
    for a, b in chosen:
        out = subprocess.run([str(exe), "explain", str(docs / a), str(docs / b),
                              "--format", "json", "--shingle", str(k)],
                             capture_output=True, text=True, check=True).stdout
        theirs = json.loads(out)["jaccard"]

        def read(d):
            with open(docs / d, "rb") as f:
                return peer.shingles(f.read().decode("utf-8", errors="replace"), k)

        sa, sb = read(a), read(b)
        ours = len(sa & sb) / len(sa | sb) if sa | sb else 1.0
        diffs.append(abs(ours - theirs))
    if not diffs:
        return {"pairs": 0}
    return {"pairs": len(diffs), "mean_abs_diff": sum(diffs) / len(diffs),
            "max_abs_diff": max(diffs)}


# Truth clusters the recall ceiling reads in full; larger corpora use a
# deterministic sample of this many (the 1M corpus has about 250,000, whose
# shingling in Python would take many minutes).
CEILING_CLUSTERS = 20000


def jaccard_ceiling(corpus, k, threshold, max_clusters=CEILING_CLUSTERS):
    """Recall of a perfect `exact Jaccard >= T` rule with connected
    components: the most any of the peers can reach on this corpus (their
    MinHash estimate adds noise either way). Past `max_clusters` truth
    clusters of two or more documents, a sample of them chosen by a hash of
    their name stands for all (`sampled_clusters` in the result). Cached
    next to the corpus."""
    cache = corpus / f"ceiling-k{k}-t{threshold}.json"
    if cache.exists():
        return json.loads(cache.read_text())
    sys.dont_write_bytecode = True
    sys.path.insert(0, str(HERE))
    import peer

    clusters = {}
    with open(corpus / "truth.tsv", encoding="utf-8") as f:
        next(f)
        for line in f:
            doc, cl = line.rstrip("\n").split("\t")[:2]
            clusters.setdefault(cl, []).append(doc)
    multi = sorted(name for name, docs in clusters.items() if len(docs) >= 2)
    if len(multi) > max_clusters:
        def key(name):
            return hashlib.sha256(name.encode("utf-8")).digest()
        multi = sorted(sorted(multi, key=key)[:max_clusters])
    truth_pairs = above = reachable = 0
    for name in multi:
        docs = clusters[name]
        sets = []
        for d in docs:
            with open(corpus / "docs" / d, "rb") as f:
                sets.append(peer.shingles(f.read().decode("utf-8", errors="replace"), k))
        uf = peer.UnionFind(len(docs))
        for i in range(len(docs)):
            for j in range(i + 1, len(docs)):
                truth_pairs += 1
                union = len(sets[i] | sets[j])
                if union and len(sets[i] & sets[j]) / union >= threshold:
                    above += 1
                    uf.union(i, j)
        sizes = {}
        for i in range(len(docs)):
            sizes[uf.find(i)] = sizes.get(uf.find(i), 0) + 1
        reachable += sum(n * (n - 1) // 2 for n in sizes.values())
    res = {"truth_pairs": truth_pairs, "pairs_at_or_above": above,
           "recall_ceiling": reachable / truth_pairs if truth_pairs else 1.0,
           "sampled_clusters": len(multi),
           "clusters": sum(1 for docs in clusters.values() if len(docs) >= 2)}
    cache.write_text(json.dumps(res) + "\n")
    return res


# ---------------------------------------------------------------- tools


def command(tool, exe, py, args, docs, out, stats):
    matched = ["--shingle", args.shingle, "--perms", args.perms, "--bands", args.bands,
               "--threshold", args.threshold]
    scan = [exe, "scan", docs, "--format", "jsonl", "-o", out]
    if tool == "neardup":
        return scan + matched + ["-q"]
    if tool == "neardup-defaults":
        return scan + ["-q"]
    if tool == "neardup-classic":
        return scan + matched + ["--scheme", "classic", "-q"]
    if tool == "neardup-threads1":
        return scan + matched + ["--threads", "1", "-q"]
    return [py, PEER, tool, docs, out, stats] + matched + ["--seed", args.seed]


def estimate_skips(args, docs):
    """Peers whose run at this size would take > --max-minutes, estimated
    linearly from their run on the largest smaller corpus in earlier results
    files (benches/peers/work/results-*.json)."""
    seen = {}  # tool -> (corpus docs, wall s)
    for path in sorted(args.work.glob("results-*.json"), key=lambda p: p.stat().st_mtime):
        try:
            res = json.loads(path.read_text())
            n = res["corpus"]["docs"]
        except (OSError, ValueError, KeyError):
            continue
        for row in res.get("rows", []):
            tool = row.get("tool")
            if tool in PEERS and row.get("wall_s") and n < docs:
                if tool not in seen or n >= seen[tool][0]:
                    seen[tool] = (n, row["wall_s"])
    skips = {}
    for tool, (n, wall) in seen.items():
        est = wall * docs / n
        if est > args.max_minutes * 60:
            skips[tool] = f"skipped: est. {est / 60:.0f} min from the {n}-doc run"
    return skips


def machine_info(py):
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])

    def out(cmd, cwd=None):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd).stdout.strip()
        except OSError:
            return ""

    versions = out([str(py), "-c", "import importlib.metadata as m; print(' '.join("
                    f"p + '==' + m.version(p) for p in {list(PEERS) + ['numpy']!r}))"])
    dirty = out(["git", "status", "--porcelain", "--", "src", "Cargo.toml", "Cargo.lock"], cwd=ROOT)
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "mem_gib": round(mem_kb / 2**20, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "rustc": out(["rustc", "--version"]),
        "neardup_commit": out(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT)
        + (" (+ uncommitted changes)" if dirty else ""),
        "peer_versions": versions,
    }


# ---------------------------------------------------------------- report


def table(res):
    """The Markdown results table; the last two columns are the peer's wall
    time divided by neardup's (matched config, all cores / one thread)."""
    docs, mb = res["corpus"]["docs"], res["corpus"]["bytes"] / 1e6
    by = {r["tool"]: r for r in res["rows"] if r.get("wall_s")}
    lines = [
        "| tool | wall s | docs/s | MB/s | CPU s | peak RSS MB | precision | recall | F1 "
        "| ÷ neardup | ÷ neardup 1 thread |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in res["rows"]:
        label = LABELS[r["tool"]]
        if not r.get("wall_s"):
            lines.append(f"| {label} | {r['status']} | | | | | | | | | |")
            continue
        w = r["wall_s"]
        ratio = ["", ""]
        if r["tool"] in PEERS:
            for i, base in enumerate(("neardup", "neardup-threads1")):
                if base in by:
                    ratio[i] = f"{w / by[base]['wall_s']:.1f}×"
        flag = "" if r["status"] == "ok" else f" ({r['status']})"
        lines.append(
            f"| {label}{flag} | {w:.2f} | {docs / w:,.0f} | {mb / w:.1f} | {r['cpu_s']:.1f} "
            f"| {r['peak_rss_mb']:,.0f} | {r['precision']:.4f} | {r['recall']:.4f} "
            f"| {r['f1']:.4f} | {ratio[0]} | {ratio[1]} |")
    return "\n".join(lines)


def phases(res):
    """Where each peer's time went (seconds inside the peer process)."""
    lines = []
    for r in res["rows"]:
        st = r.get("peer_stats")
        if st:
            parts = ", ".join(f"{k} {v:.2f}" for k, v in st["phases"].items())
            cand = st.get("candidates")
            extra = f"; {cand} candidate pairs" if cand is not None else ""
            lines.append(f"{r['tool']}: {parts}{extra}; {st['verified_pairs']} verified pairs")
    return lines


def ratios(res):
    by = {r["tool"]: r for r in res["rows"] if r.get("wall_s")}
    out = []
    for base in ("neardup", "neardup-threads1"):
        if base not in by:
            continue
        for p in PEERS:
            if p in by:
                out.append(f"{p} ÷ {LABELS[base]}: "
                           f"{by[p]['wall_s'] / by[base]['wall_s']:.1f}× (wall time)")
    if "neardup" in by and "neardup-threads1" in by:
        out.append("neardup --threads 1 ÷ all cores: "
                   f"{by['neardup-threads1']['wall_s'] / by['neardup']['wall_s']:.2f}× "
                   f"(peak RSS {by['neardup-threads1']['peak_rss_mb']:.0f} vs "
                   f"{by['neardup']['peak_rss_mb']:.0f} MB)")
    return out


# ---------------------------------------------------------------- main


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--docs", type=int, default=10000, help="target corpus size (documents)")
    p.add_argument("--seed", type=int, default=1, help="corpus and MinHash seed")
    p.add_argument("--words", type=int, default=640, help="words per base story (generate --words)")
    p.add_argument("--threshold", type=float, default=0.5, help="Jaccard threshold T")
    p.add_argument("--shingle", type=int, default=5)
    p.add_argument("--perms", type=int, default=128)
    p.add_argument("--bands", type=int, default=32)
    p.add_argument("--tools", default=",".join(ALL_TOOLS),
                   help=f"comma-separated subset of {','.join(ALL_TOOLS)}")
    p.add_argument("--repeat", type=int, default=1, help="runs per tool (median wall time)")
    p.add_argument("--max-minutes", type=float, default=15.0,
                   help="skip a peer estimated (from a smaller run) to take longer")
    p.add_argument("--quiet-cores", type=float, default=0.3,
                   help="before each run, wait until other processes use fewer cores")
    p.add_argument("--quiet-wait", type=float, default=120.0,
                   help="longest wait for a quiet machine (s)")
    p.add_argument("--retries", type=int, default=3,
                   help="run again when other processes used more than --quiet-cores meanwhile")
    p.add_argument("--corpus", type=Path,
                   help="use an existing labeled corpus (DIR/docs, DIR/truth.tsv) instead")
    p.add_argument("--no-build", action="store_true", help="use the neardup binary as built")
    p.add_argument("--no-warm", action="store_true",
                   help="time each tool on the corpus as the page cache holds it (by default "
                        "every file is read once before each timed run, for every tool alike)")
    p.add_argument("--setup-only", action="store_true",
                   help="only create/update the peers' venv (benches/peers/.venv), then exit")
    p.add_argument("--work", type=Path, default=HERE / "work")
    p.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = p.parse_args()
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    for t in tools:
        if t not in ALL_TOOLS:
            p.error(f"unknown tool {t!r}")
    if args.setup_only:
        print(ensure_venv())
        return 0
    args.sources = args.shared / "data" / "reuters21578" / "docs"
    args.work = args.work.resolve()
    args.work.mkdir(parents=True, exist_ok=True)

    exe = build_neardup(args)
    py = ensure_venv() if any(t in PEERS for t in tools) else None
    if args.corpus:
        corpus = args.corpus.resolve()
        n, size = count_docs(corpus / "docs")
        meta = {"docs": n, "bytes": size, "stories": None, "command": None}
    else:
        corpus, meta = ensure_corpus(exe, args)
    docs_dir, truth = corpus / "docs", corpus / "truth.tsv"
    warm_cache(docs_dir)
    n_docs, n_bytes = meta["docs"], meta["bytes"]
    outdir = args.work / f"out-{args.docs}"
    outdir.mkdir(exist_ok=True)
    skips = estimate_skips(args, n_docs)
    timeout = args.max_minutes * 60 * 2

    agreement = shingle_agreement(exe, docs_dir, truth, args.shingle)
    log(f"shingling check vs neardup explain: {agreement}")
    ceiling = jaccard_ceiling(corpus, args.shingle, args.threshold)
    log(f"Jaccard >= {args.threshold} recall ceiling: {ceiling['recall_ceiling']:.4f}")
    res = {
        "machine": machine_info(py or sys.executable),
        "jaccard_ceiling": ceiling,
        "shingle_agreement": agreement,
        "corpus": {"path": str(corpus), **meta},
        "settings": {k: getattr(args, k) for k in
                     ("docs", "seed", "words", "threshold", "shingle", "perms", "bands", "repeat",
                      "no_warm")},
        "rows": [],
    }
    log(f"corpus: {n_docs} docs, {n_bytes / 1e6:.1f} MB; tools: {', '.join(tools)}")
    samples = {t: [] for t in tools}
    for rep in range(args.repeat):
        for tool in tools:
            if tool in skips:
                continue
            out, stats = outdir / f"{tool}.jsonl", outdir / f"{tool}.stats.json"
            cmd = command(tool, exe, py, args, docs_dir, out, stats)
            for attempt in range(args.retries + 1):
                for f in (out, stats):
                    f.unlink(missing_ok=True)
                before = wait_for_quiet(args.quiet_cores, args.quiet_wait)
                if not args.no_warm:
                    warm(docs_dir)
                log(f"run {rep + 1}/{args.repeat}: {tool} (other load before: {before:.2f} cores)")
                m = timed_run(cmd, outdir / f"{tool}.stderr", timeout)
                m["other_cores_before"] = before
                m["attempt"] = attempt + 1
                if (m["exit"] != 0 or m["other_cores"] <= args.quiet_cores
                        or attempt == args.retries):
                    break
                log(f"  other processes used {m['other_cores']:.2f} cores during the run: again")
            m["command"] = [str(c) for c in cmd]
            if m["exit"] == 0 and out.exists():
                m |= score(args, truth, out)
                if stats.exists():
                    m["peer_stats"] = json.loads(stats.read_text())
            log(f"  {tool}: {m['wall_s']:.2f}s, {m['peak_rss_mb']:.0f} MB, "
                f"F1 {m.get('f1', float('nan')):.4f}, exit {m['exit']}")
            samples[tool].append(m)

    bad = []
    for tool in tools:
        runs = samples[tool]
        if tool in skips:
            res["rows"].append({"tool": tool, "status": skips[tool]})
            continue
        ok = [r for r in runs if r["exit"] == 0 and "f1" in r]
        if not ok:
            last = runs[-1]
            status = "timeout" if last["timed_out"] else f"failed (exit {last['exit']})"
            res["rows"].append({"tool": tool, "status": status, "runs": runs})
            bad.append(tool)
            continue
        walls = sorted(r["wall_s"] for r in ok)
        row = dict(ok[0])
        row |= {
            "tool": tool,
            "status": "ok",
            "wall_s": statistics.median(walls),
            "wall_samples": walls,
            "cpu_s": statistics.median(r["cpu_s"] for r in ok),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in ok),
            "other_cores": max(r["other_cores"] for r in ok),
        }
        # A broken setup shows as recall far below what its rule can reach.
        floor = ceiling["recall_ceiling"] - 0.1 if tool in PEERS else 0.5
        if row["recall"] < floor or row["unknown_ids"]:
            row["status"] = f"SUSPECT: recall below {floor:.2f} or unknown ids"
            bad.append(tool)
        res["rows"].append(row)

    md = table(res)
    res["ratios"] = ratios(res)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    text = json.dumps(res, indent=1) + "\n"
    (args.work / f"results-{args.docs}.json").write_text(text)
    (args.work / f"results-{args.docs}-{stamp}.json").write_text(text)
    (args.work / f"table-{args.docs}.md").write_text(md + "\n")
    mi = res["machine"]
    print(f"\n{n_docs} docs, {n_bytes / 1e6:.1f} MB, {meta['stories']} stories "
          f"(seed {args.seed}, --words {args.words}); T = {args.threshold}, "
          f"{args.shingle}-word shingles, {args.perms} perms, {args.bands} bands; "
          + ("corpus as the page cache held it" if args.no_warm
             else "corpus read once before each timed run"))
    print(f"{mi['date']}; {mi['cpu']}, {mi['cores']} cores; neardup {mi['neardup_commit']}; "
          f"{mi['peer_versions']}\n")
    print(md)
    print()
    for line in res["ratios"] + [""] + phases(res):
        print(line)
    sample = ""
    if ceiling.get("sampled_clusters", 0) < ceiling.get("clusters", 0):
        sample = f"; from a sample of {ceiling['sampled_clusters']} of {ceiling['clusters']} clusters"
    print(f"\nrecall ceiling of exact Jaccard >= {args.threshold} + connected components: "
          f"{ceiling['recall_ceiling']:.4f} ({ceiling['pairs_at_or_above']} of "
          f"{ceiling['truth_pairs']} truth pairs at or above T{sample})")
    ag = res["shingle_agreement"]
    if ag.get("pairs"):
        print(f"\nshingles: peer.py vs neardup Jaccard on {ag['pairs']} copy pairs: "
              f"mean |diff| {ag['mean_abs_diff']:.4f}, max {ag['max_abs_diff']:.4f}")
        if ag["max_abs_diff"] > 0.05:
            print("warning: peer.py's shingles differ from neardup's", file=sys.stderr)
    worst = max((r.get("other_cores", 0) for r in res["rows"]), default=0)
    if worst > 0.3:
        print(f"\nwarning: other processes used up to {worst:.2f} cores during a run; "
              "figures may be noisy")
    if bad:
        print(f"\nproblem with: {', '.join(bad)}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
