"""Type stubs of the extension module `neardup._neardup` (the Rust side of
the package). Use the names re-exported by `neardup` and `neardup.compat`."""

import os
import pathlib
from collections.abc import Iterable, Iterator
from typing import Any, final

from typing_extensions import disjoint_base

__all__ = [
    "__version__",
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
    "MinHash",
    "MinHashLSH",
    "MinHashLSHInsertionSession",
    "stages_sign",
    "stages_screen",
    "stages_cut",
    "stages_verify",
    "stages_plan",
    "stages_counts_group",
    "stages_count_keys",
    "stages_boilerplate",
    "stages_cluster",
    "stages_max_bucket",
]

__version__: str

def scan(texts: Any, ids: Any = None, **kwargs: Any) -> ScanResult: ...
def scan_paths(paths: Any, **kwargs: Any) -> ScanResult: ...
def explain(
    text_a: str,
    text_b: str,
    *,
    id_a: str = "a",
    id_b: str = "b",
    shingle: int | None = None,
    min_match: int | None = None,
    max_gap: int | None = None,
) -> dict[str, Any]: ...

@disjoint_base
class Pair:
    """A verified duplicate pair: ids `a < b` and their exact scores."""

    @property
    def a(self) -> str:
        """The first document's id."""
    @property
    def b(self) -> str:
        """The second document's id."""
    @property
    def jaccard(self) -> float:
        """Exact Jaccard similarity of the shingle sets (boilerplate removed)."""
    @property
    def containment(self) -> float:
        """Exact containment |A∩B| / min(|A|, |B|)."""
    def __new__(cls, a: str, b: str, jaccard: float, containment: float) -> Pair: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class IndexPair(Pair):
    """A pair found by `Index.add`: `a` is new, `b` indexed before
    (`b_indexed`) or new too."""

    @property
    def b_indexed(self) -> bool: ...
    def __new__(
        cls, a: str, b: str, jaccard: float, containment: float, b_indexed: bool
    ) -> IndexPair: ...

@final
class Cluster:
    """A cluster of copies of one story."""

    @property
    def id(self) -> int:
        """Cluster number, in output order."""
    @property
    def docs(self) -> list[str]:
        """Member ids, sorted."""
    @property
    def representative(self) -> str:
        """The fullest copy's id."""
    @property
    def pairs(self) -> list[Pair]:
        """Verified pairs inside the cluster."""
    def __len__(self) -> int: ...

@final
class Skip:
    """An input that was skipped."""

    @property
    def location(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def message(self) -> str: ...

@final
class ScanResult:
    """Everything a scan found."""

    @property
    def clusters(self) -> list[Cluster]: ...
    @property
    def pairs(self) -> list[Pair]: ...
    @property
    def docs(self) -> list[str]: ...
    @property
    def singletons(self) -> list[str]: ...
    @property
    def skipped(self) -> list[Skip]: ...
    @property
    def warnings(self) -> list[str]: ...
    @property
    def stats(self) -> dict[str, Any]: ...
    @property
    def config(self) -> dict[str, Any]: ...
    def to_jsonl(self, all: bool = False) -> str: ...
    def to_arrow(self) -> Any:
        """`(clusters, pairs)`: two pyarrow tables (also `.clusters`, `.pairs`)."""
    def _columns(self) -> dict[str, tuple[list[Any], ...]]: ...
    def explain(
        self,
        pair: Pair | tuple[str, str],
        *,
        min_match: int | None = None,
        max_gap: int | None = None,
    ) -> dict[str, Any]: ...

@final
class Match:
    """An indexed document that a query duplicates."""

    @property
    def id(self) -> str: ...
    @property
    def jaccard(self) -> float: ...
    @property
    def containment(self) -> float: ...
    def __new__(cls, id: str, jaccard: float, containment: float) -> Match: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class Index:
    """A persistent index directory (see `neardup index` on the command line)."""

    @staticmethod
    def create(path: str | os.PathLike[str], **kwargs: Any) -> Index: ...
    @staticmethod
    def open(path: str | os.PathLike[str], **kwargs: Any) -> Index: ...
    def add(
        self, ids: Iterable[str], texts: Iterable[str], *, threads: int | None = None
    ) -> list[IndexPair]: ...
    def query(self, text: str, limit: int | None = None) -> list[Match]: ...
    def query_many(
        self, texts: Iterable[str], limit: int | None = None, *, threads: int | None = None
    ) -> list[list[Match]]: ...
    def remove(self, ids: Iterable[str]) -> int: ...
    def optimize(self) -> dict[str, int]: ...
    def reload(self) -> None: ...
    def info(self) -> dict[str, Any]: ...
    @property
    def config(self) -> dict[str, Any]: ...
    @property
    def path(self) -> pathlib.Path: ...
    def __len__(self) -> int: ...
    def __contains__(self, id: str, /) -> bool: ...

@disjoint_base
class MinHash:
    """datasketch's MinHash, on neardup's classic MinHash."""

    def __new__(
        cls,
        num_perm: int = 128,
        seed: int = 1,
        hashfunc: Any = None,
        hashobj: Any = None,
        hashvalues: Iterable[int] | None = None,
        permutations: Any = None,
    ) -> MinHash: ...
    def update(self, b: bytes | str | list[bytes | str] | tuple[bytes | str, ...]) -> None: ...
    def update_batch(self, b: Iterable[bytes | str]) -> None: ...
    def jaccard(self, other: MinHash) -> float: ...
    def digest(self) -> Any:
        """A numpy uint64 array (a list of ints without numpy)."""
    @property
    def hashvalues(self) -> Any: ...
    @property
    def seed(self) -> int: ...
    @property
    def num_perm(self) -> int: ...
    def merge(self, other: MinHash) -> None: ...
    def count(self) -> float: ...
    def is_empty(self) -> bool: ...
    def clear(self) -> None: ...
    def copy(self) -> MinHash: ...
    def __copy__(self) -> MinHash: ...
    def __len__(self) -> int: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __getnewargs__(self) -> tuple[int, int]: ...
    def __getstate__(self) -> tuple[bytes, Any]: ...
    def __setstate__(self, state: tuple[bytes, Any]) -> None: ...
    @classmethod
    def bulk(
        cls, b: Iterable[Iterable[bytes | str]], num_perm: int = 128, seed: int = 1,
        hashfunc: Any = None,
    ) -> list[MinHash]: ...
    @classmethod
    def generator(
        cls, b: Iterable[Iterable[bytes | str]], num_perm: int = 128, seed: int = 1,
        hashfunc: Any = None,
    ) -> Iterator[MinHash]: ...
    @classmethod
    def union(cls, *mhs: MinHash) -> MinHash: ...

@disjoint_base
class MinHashLSH:
    """datasketch's MinHashLSH, in memory."""

    def __new__(
        cls,
        threshold: float = 0.9,
        num_perm: int = 128,
        weights: tuple[float, float] = ...,
        params: tuple[int, int] | None = None,
        storage_config: Any = None,
        prepickle: Any = None,
        hashfunc: Any = None,
        *,
        num_bands: int | None = None,
    ) -> MinHashLSH: ...
    def insert(self, key: Any, minhash: MinHash, check_duplication: bool = True) -> None: ...
    def query(self, minhash: MinHash) -> list[Any]: ...
    def remove(self, key: Any) -> None: ...
    def insertion_session(self, buffer_size: int = 50000) -> MinHashLSHInsertionSession: ...
    def is_empty(self) -> bool: ...
    @property
    def threshold(self) -> float: ...
    @property
    def b(self) -> int: ...
    @property
    def r(self) -> int: ...
    def __contains__(self, key: object, /) -> bool: ...
    def __len__(self) -> int: ...

@final
class MinHashLSHInsertionSession:
    def insert(self, key: Any, minhash: MinHash, check_duplication: bool = True) -> None: ...
    def __enter__(self) -> MinHashLSHInsertionSession: ...
    def __exit__(self, *args: object) -> bool: ...

# The stages of a scan on Arrow batches: called by `neardup.stages`, which
# documents them (columns in as pyarrow buffers, out as little-endian bytes).
def stages_sign(texts: Any, **kwargs: Any) -> list[bytes]: ...
def stages_screen(
    signature_a: Any, signature_b: Any, set_a: Any, set_b: Any, **kwargs: Any
) -> list[bytes]: ...
def stages_cut(sets: Any, keys: bytes, *, threads: int | None = None) -> list[bytes]: ...
def stages_verify(
    cut_a: Any, cut_b: Any, figures_a: Any, figures_b: Any, **kwargs: Any
) -> list[bytes]: ...
def stages_plan(
    documents: int, copy_groups: int, **kwargs: Any
) -> tuple[int, float, float] | None: ...
def stages_counts_group(
    first_ids: Any, documents: int, copy_groups: int, **kwargs: Any
) -> bytes: ...
def stages_count_keys(
    sets: Any, group_offsets: bytes, *, threads: int | None = None
) -> list[bytes]: ...
def stages_boilerplate(
    keys: bytes, counts: bytes, documents: int, copy_groups: int, **kwargs: Any
) -> bytes: ...
def stages_cluster(
    member_offsets: bytes,
    ids: Any,
    words: bytes,
    cut_sets: Any,
    figures: Any,
    pair_offsets: bytes,
    pair_a: Any,
    pair_b: Any,
    pair_jaccard: bytes,
    pair_containment: bytes,
    **kwargs: Any,
) -> list[bytes]: ...
def stages_max_bucket(**kwargs: Any) -> int: ...
