#!/usr/bin/env python3
"""Signing speed per shingle: rensa's Rust signer on pre-hashed shingles.

usage: benches/peers/.venv/bin/python benches/peers/sign.py [--docs N] [--size S] [--repeat R]

Feeds rensa's flat pre-hashed entry points (`digest_matrix_from_flat_token_hashes`, its classic
MinHash, and `..._rho`, its one-permutation "Rho" sketch) N documents of S distinct random
64-bit shingle hashes each, 128 permutations, on one thread (RAYON_NUM_THREADS=1, set before
rensa is imported), so no Python object per shingle is built or timed: this is the signer
alone. Prints nanoseconds per shingle, best of R runs, as JSON.

Compare with `cargo bench --bench stages -- signing` (criterion reports shingles per second for
neardup's classic and one-permutation signers on one thread); docs/BENCHMARKS.md gives both.
"""

import argparse
import json
import os
import time

os.environ.setdefault("RAYON_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from rensa import RMinHash  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--docs", type=int, default=20000)
    p.add_argument("--size", type=int, default=640)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--perms", type=int, default=128)
    a = p.parse_args()
    rng = np.random.default_rng(1)
    hashes = rng.integers(0, 2**64 - 1, size=a.docs * a.size, dtype=np.uint64)
    offsets = np.arange(0, a.docs * a.size + 1, a.size, dtype=np.uint64)
    total = a.docs * a.size
    out = {"docs": a.docs, "shingles_per_doc": a.size, "perms": a.perms,
           "threads": os.environ["RAYON_NUM_THREADS"]}
    for name in ("digest_matrix_from_flat_token_hashes",
                 "digest_matrix_from_flat_token_hashes_rho"):
        f = getattr(RMinHash, name)
        best = float("inf")
        for _ in range(a.repeat):
            t = time.perf_counter()
            m = f(hashes, offsets, a.perms, 1)
            best = min(best, time.perf_counter() - t)
        assert m.len() == a.docs and m.get_num_perm() == a.perms
        out[name] = {"seconds": round(best, 4), "ns_per_shingle": round(best / total * 1e9, 3)}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
