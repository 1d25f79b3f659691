"""neardup: find, cluster and explain near-duplicate (syndicated) articles.

    >>> import neardup
    >>> result = neardup.scan(texts)            # a list of str, or a pyarrow string array
    >>> for cluster in result.clusters:
    ...     print(cluster.docs, cluster.representative, cluster.pairs)

The engine is the Rust library `neardup` (tokenize, shingle, MinHash, LSH,
exact verification, clusters, passage alignment); this package is a thin
layer over it. Every call that does work releases the GIL, and runs on all
cores unless ``threads=`` says otherwise.

Engine settings are keyword arguments named as the command line's flags
(``--lsh-threshold`` is ``lsh_threshold=``), with the same defaults:
threshold, containment, shingle, perms, bands, lsh_threshold,
min_containment_shingles, containment_min_jaccard, boilerplate_docs,
boilerplate_share, linkage, seed, scheme ("one-permutation" or "classic"),
exact.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

from . import _arrow
from . import _neardup as _native
from ._errors import (
    ConfigError,
    IndexConfigMismatchError,
    IndexError as IndexError,
    IndexLockedError,
    InvalidIndexError,
    NeardupError,
    SkippedWarning,
)
from ._neardup import Cluster, Index, IndexPair, Match, Pair, ScanResult, Skip

__version__: str = _native.__version__

# `IndexError` is left out so that `from neardup import *` keeps the builtin.
__all__ = [
    "scan",
    "scan_paths",
    "explain",
    "ScanResult",
    "Cluster",
    "Pair",
    "Skip",
    "Index",
    "IndexPair",
    "Match",
    "NeardupError",
    "ConfigError",
    "InvalidIndexError",
    "IndexLockedError",
    "IndexConfigMismatchError",
    "SkippedWarning",
]


def scan(
    texts: Sequence[str] | Iterable[str] | Any,
    ids: Sequence[str] | Any | None = None,
    *,
    threshold: float = 0.5,
    containment: float = 0.4,
    shingle: int | None = None,
    perms: int | None = None,
    threads: int | None = None,
    **more: Any,
) -> ScanResult:
    """Finds the near-duplicates among texts in memory.

    ``texts`` is a list (or any iterable) of ``str``, or a pyarrow string
    array (read in place, not copied). ``ids`` name them (default ``"0"``,
    ``"1"``, ...); an id used twice keeps its first text and the others are
    skipped (see ``ScanResult.skipped``), as are texts with no words.

    A pair is a duplicate when the Jaccard similarity of the two texts'
    word-shingle sets (boilerplate removed) is at least ``threshold``, or
    their containment at least ``containment`` (for texts large enough);
    ``**more`` takes the other engine settings (see the module docs) and
    ``memory_budget`` (MB of shingle sets kept in memory before spilling
    to a temporary file; results do not depend on it). ``threads`` sets the
    number of worker threads for this call (default: all cores).

    Raises ``ConfigError`` (a ``ValueError``) for a bad setting and
    ``TypeError`` for arguments of the wrong type.
    """
    return _native.scan(
        _arrow.texts_arg(texts),
        _arrow.ids_arg(ids),
        threshold=threshold,
        containment=containment,
        shingle=shingle,
        perms=perms,
        threads=threads,
        **more,
    )


def scan_paths(
    paths: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
    *,
    threshold: float = 0.5,
    containment: float = 0.4,
    shingle: int | None = None,
    perms: int | None = None,
    threads: int | None = None,
    **more: Any,
) -> ScanResult:
    """Scans directories, files and JSON Lines files, as ``neardup scan``
    does: same ids (paths relative to a directory given, the file name of a
    file, the id field of a JSON line), same clusters, same skips.

    Besides the settings of ``scan``, ``**more`` takes ``id_field`` and
    ``text_field`` (JSON Lines, default ``"id"`` and ``"text"``) and
    ``max_doc_bytes`` (larger documents are skipped; default 64 MiB).
    Raises ``FileNotFoundError`` (or another ``OSError``) when an input
    itself cannot be read; unreadable files inside a directory are skipped
    and listed in ``ScanResult.skipped``.
    """
    return _native.scan_paths(
        paths,
        threshold=threshold,
        containment=containment,
        shingle=shingle,
        perms=perms,
        threads=threads,
        **more,
    )


def explain(
    text_a: str,
    text_b: str,
    *,
    id_a: str = "a",
    id_b: str = "b",
    shingle: int | None = None,
    min_match: int | None = None,
    max_gap: int | None = None,
) -> dict[str, Any]:
    """Why two texts match: the object ``neardup explain A B --format json``
    prints, as a dict — ``a`` and ``b`` (id and size in bytes), ``jaccard``,
    ``containment``, ``coverage_a``, ``coverage_b``, ``passages`` (shared
    passages with byte offsets into both UTF-8 texts) and ``only_a`` /
    ``only_b`` (what each adds). ``shingle`` (default 5), ``min_match``
    (default 4) and ``max_gap`` (default 3) are the CLI's options.
    """
    return _native.explain(
        text_a,
        text_b,
        id_a=id_a,
        id_b=id_b,
        shingle=shingle,
        min_match=min_match,
        max_gap=max_gap,
    )
