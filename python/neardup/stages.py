"""The stages of a scan as functions on pyarrow record batches, for
running a scan in pieces (``neardup.spark`` runs them on Spark executors).

Each is a thin call into the Rust library's ``neardup::stages`` (the
engine's own passes), releases the GIL, and runs on all cores unless
``threads=`` says otherwise. Run in order over a whole corpus, they give
exactly the clusters and pairs of ``neardup.scan`` (see docs/SCALE.md):

1. ``sign``: per document, words, shingle set, signature, band keys and
   figures (the numbers in prose contexts that tell a template sibling
   from a copy: the figures rule of ``neardup::figures``);
2. ``screen``: candidate pairs (from buckets of equal band keys, members in
   id order, see ``bucket_pairs``) screened on their signatures, the pairs
   of near-verbatim copies marked;
3. ``count_keys`` / ``BoilerplatePlan`` / ``boilerplate``: keys counted
   over the copy groups, partial counts summed, the cut made;
4. ``cut`` then ``verify``: exact scores on the sets less the boilerplate,
   and the verdict with the figures rule;
5. (connected components of the verified pairs: the caller's);
6. ``cluster``: the engine's clustering of each component.

Sets and signatures travel as ``binary`` values: 32-bit little-endian
keys (sorted) and values. Band keys are ``int64`` (the 64-bit keys'
bits). Engine settings are the keyword arguments of ``neardup.scan``.
"""

from __future__ import annotations

import importlib
from typing import Any

from . import _arrow
from . import _neardup as _native

__all__ = [
    "sign",
    "bucket_pairs",
    "screen",
    "BoilerplatePlan",
    "count_keys",
    "boilerplate",
    "cut",
    "verify",
    "cluster",
]


def _pa() -> Any:
    # Imported by name: pyarrow is optional and has no type information.
    return importlib.import_module("pyarrow")


def _col(batch: Any, name: str) -> Any:
    i = batch.schema.get_field_index(name)
    if i < 0:
        raise KeyError(f"the batch has no column {name!r} (columns: {batch.schema.names})")
    return batch.column(i)


def _binary(arr: Any, what: str) -> Any:
    """A binary (or large binary) array as the extension reads it."""
    pa = _pa()
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    t = arr.type
    if pa.types.is_binary(t):
        large = False
    elif pa.types.is_large_binary(t):
        large = True
    else:
        raise TypeError(f"{what}: a pyarrow binary array is needed, not {t}")
    if arr.null_count:
        raise ValueError(f"{what}: null values")
    _validity, offsets, data = arr.buffers()
    return _arrow.ArrowTexts([(offsets, data, arr.offset, len(arr), large)], arr)


def _le(arr: Any, t: Any, what: str) -> bytes:
    """A numeric array as little-endian bytes of type ``t``."""
    pa = _pa()
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not isinstance(arr, pa.Array):
        arr = pa.array(arr, type=t)
    arr = arr.cast(t)
    if arr.null_count:
        raise ValueError(f"{what}: null values")
    width = t.bit_width // 8
    buf = arr.buffers()[1]
    if buf is None:
        return b""
    return bytes(buf.to_pybytes()[arr.offset * width:(arr.offset + len(arr)) * width])


def _array(t: Any, n: int, data: bytes) -> Any:
    pa = _pa()
    return pa.Array.from_buffers(t, n, [None, pa.py_buffer(data)])


def _bools(n: int, data: bytes) -> Any:
    pa = _pa()
    return _array(pa.uint8(), n, data).cast(pa.bool_())


def _sets(n: int, offsets: bytes, data: bytes) -> Any:
    pa = _pa()
    return pa.Array.from_buffers(
        pa.large_binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def _strings(arr: Any) -> Any:
    pa = _pa()
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        return arr
    return arr.cast(pa.large_string())


def sign(batch: Any, id_col: str = "id", text_col: str = "text", *,
         threads: int | None = None, **config: Any) -> Any:
    """Signs a batch of documents: a record batch of ``id`` (the batch's
    ids), ``words`` (int64; 0 for a text with no words, which a scan
    skips), ``set`` (the shingle set), ``signature``, ``band_keys``
    (list of int64, empty for a text with no shingles) and ``figures``
    (binary: 64-bit little-endian entries, for ``verify`` and ``cluster``).
    A null text is signed as an empty one."""
    pa = _pa()
    ids = _strings(_col(batch, id_col))
    texts = _strings(_col(batch, text_col))
    if texts.null_count:
        texts = texts.fill_null("")
    n = len(texts)
    words, so, sd, sigs, ko, keys, fo, fd = _native.stages_sign(
        _arrow.texts_arg(texts), threads=threads, **config)
    perms = len(sigs) // 4 // n if n else 0
    sig_offsets = b"".join(
        (i * perms * 4).to_bytes(8, "little", signed=True) for i in range(n + 1))
    band_keys = pa.ListArray.from_arrays(
        _array(pa.int32(), n + 1, ko), _array(pa.int64(), len(keys) // 8, keys))
    return pa.RecordBatch.from_arrays(
        [ids, _array(pa.int64(), n, words), _sets(n, so, sd), _sets(n, sig_offsets, sigs),
         band_keys, _sets(n, fo, fd)],
        names=["id", "words", "set", "signature", "band_keys", "figures"])


def bucket_pairs(members: int, max_bucket: int = 64) -> list[tuple[int, int]]:
    """The candidate pairs of one bucket of ``members`` documents in id
    order, as positions: every pair, except that a giant bucket pairs each
    member with its next ``max_bucket`` ones only (the engine's bound)."""
    m = max(1, max_bucket)
    return [(i, j) for i in range(members) for j in range(i + 1, min(members, i + 1 + m))]


def screen(batch: Any, *, threads: int | None = None, **config: Any) -> Any:
    """Screens candidate pairs: the batch has ``a``, ``b``,
    ``signature_a``, ``signature_b``, ``set_a`` and ``set_b``; returns the
    pairs the engine compares, ``a``, ``b`` and ``copy`` (near-verbatim
    copies on the raw sets: the pairs that make the copy groups)."""
    pa = _pa()
    keep, copy = _native.stages_screen(
        _binary(_col(batch, "signature_a"), "signature_a"),
        _binary(_col(batch, "signature_b"), "signature_b"),
        _binary(_col(batch, "set_a"), "set_a"),
        _binary(_col(batch, "set_b"), "set_b"),
        threads=threads, **config)
    n = batch.num_rows
    mask = _bools(n, keep)
    out = pa.RecordBatch.from_arrays(
        [_strings(_col(batch, "a")), _strings(_col(batch, "b")), _bools(n, copy)],
        names=["a", "b", "copy"])
    return out.filter(mask)


class BoilerplatePlan:
    """The boilerplate cut for ``documents`` documents (with words) in
    ``copy_groups`` copy groups: ``cut``, the share ``rate`` of groups
    counted, and ``limit``: a key counted in more of them is boilerplate.
    ``BoilerplatePlan.make`` gives None when the settings turn the cut off."""

    def __init__(self, documents: int, copy_groups: int, cut: int, rate: float,
                 limit: float, config: dict[str, Any]) -> None:
        self.documents = documents
        self.copy_groups = copy_groups
        self.cut = cut
        self.rate = rate
        self.limit = limit
        self.config = config

    @staticmethod
    def make(documents: int, copy_groups: int, **config: Any) -> BoilerplatePlan | None:
        """The plan, or None when the cut is off."""
        p = _native.stages_plan(documents, copy_groups, **config)
        if p is None:
            return None
        return BoilerplatePlan(documents, copy_groups, p[0], p[1], p[2], dict(config))

    def counts_group(self, first_ids: Any, *, threads: int | None = None) -> Any:
        """Whether each copy group, named by its smallest id (a pyarrow
        string array), is counted: a bool array."""
        ids = _strings(first_ids)
        out = _native.stages_counts_group(
            _arrow.texts_arg(ids), self.documents, self.copy_groups, threads=threads,
            **self.config)
        return _bools(len(ids), out)

    def __repr__(self) -> str:
        return (f"BoilerplatePlan(documents={self.documents}, copy_groups={self.copy_groups},"
                f" cut={self.cut}, rate={self.rate}, limit={self.limit})")


def count_keys(batch: Any, sets_col: str = "sets", *, threads: int | None = None) -> Any:
    """Partial key counts of copy groups: the batch's ``sets`` column holds,
    per group, the list of its members' sets; returns ``key`` and ``count``
    (int64; the groups of the batch holding each key), which sum across
    batches into the corpus's counts."""
    pa = _pa()
    lists = _col(batch, sets_col)
    if isinstance(lists, pa.ChunkedArray):
        lists = lists.combine_chunks()
    flat = lists.flatten()
    offsets = _le(lists.offsets, pa.int64(), "offsets")
    base = int.from_bytes(offsets[:8], "little", signed=True) if offsets else 0
    if base:
        offsets = b"".join(
            (int.from_bytes(offsets[i:i + 8], "little", signed=True) - base).to_bytes(
                8, "little", signed=True) for i in range(0, len(offsets), 8))
    keys, counts = _native.stages_count_keys(_binary(flat, "sets"), offsets, threads=threads)
    n = len(keys) // 8
    return pa.RecordBatch.from_arrays(
        [_array(pa.int64(), n, keys), _array(pa.int64(), n, counts)], names=["key", "count"])


def boilerplate(keys: Any, counts: Any, plan: BoilerplatePlan) -> bytes:
    """The boilerplate from the summed counts (``keys``, ``counts``: int64
    arrays; keys at or below the plan's limit may be left out): its keys
    as 32-bit little-endian bytes, sorted, for ``cut``."""
    pa = _pa()
    return bytes(_native.stages_boilerplate(
        _le(keys, pa.int64(), "keys"), _le(counts, pa.int64(), "counts"),
        plan.documents, plan.copy_groups, **plan.config))


def cut(batch: Any, keys: bytes, set_col: str = "set", *, threads: int | None = None) -> Any:
    """The batch with its ``set`` column less the boilerplate ``keys`` (as
    ``boilerplate`` gives them)."""
    sets = _col(batch, set_col)
    offsets, data = _native.stages_cut(_binary(sets, set_col), keys, threads=threads)
    i = batch.schema.get_field_index(set_col)
    return batch.set_column(i, set_col, _sets(batch.num_rows, offsets, data))


def verify(batch: Any, *, threads: int | None = None, **config: Any) -> Any:
    """Verifies pairs: the batch has ``a``, ``b``, their cut sets
    ``set_a``, ``set_b`` and their figures ``figures_a``, ``figures_b``
    (from ``sign``); returns ``a``, ``b``, ``jaccard``, ``containment`` and
    ``duplicate`` (the decision rule's verdict, figures rule included)."""
    pa = _pa()
    dup, j, c = _native.stages_verify(
        _binary(_col(batch, "set_a"), "set_a"), _binary(_col(batch, "set_b"), "set_b"),
        _binary(_col(batch, "figures_a"), "figures_a"),
        _binary(_col(batch, "figures_b"), "figures_b"),
        threads=threads, **config)
    n = batch.num_rows
    return pa.RecordBatch.from_arrays(
        [_strings(_col(batch, "a")), _strings(_col(batch, "b")), _array(pa.float64(), n, j),
         _array(pa.float64(), n, c), _bools(n, dup)],
        names=["a", "b", "jaccard", "containment", "duplicate"])


def cluster(batch: Any, *, threads: int | None = None, **config: Any) -> tuple[Any, Any]:
    """Clusters connected components of verified pairs, one per row:
    ``members`` (list of struct ``id``, ``words``, ``set``: the cut set,
    ``figures``: from ``sign``)
    and ``pairs`` (list of struct ``a``, ``b``, ``jaccard``,
    ``containment``). Returns two batches: the members of clusters of two
    or more, ``id``, ``first`` (the cluster's smallest id) and
    ``representative`` (bool); and the clusters' pairs, ``a``, ``b``,
    ``jaccard``, ``containment``."""
    pa = _pa()
    members = _col(batch, "members")
    pairs = _col(batch, "pairs")
    if isinstance(members, pa.ChunkedArray):
        members = members.combine_chunks()
    if isinstance(pairs, pa.ChunkedArray):
        pairs = pairs.combine_chunks()

    def offsets(lists: Any) -> bytes:
        o = lists.offsets.cast(pa.int64())
        first = o[0].as_py() if len(o) else 0
        pc = importlib.import_module("pyarrow.compute")
        return _le(pc.subtract(o, first), pa.int64(), "offsets")

    m = members.flatten()
    p = pairs.flatten()
    ids = _strings(m.field("id"))
    pa_, pb = _strings(p.field("a")), _strings(p.field("b"))
    out = _native.stages_cluster(
        offsets(members), _arrow.texts_arg(ids), _le(m.field("words"), pa.int64(), "words"),
        _binary(m.field("set"), "set"), _binary(m.field("figures"), "figures"),
        offsets(pairs), _arrow.texts_arg(pa_),
        _arrow.texts_arg(pb), _le(p.field("jaccard"), pa.float64(), "jaccard"),
        _le(p.field("containment"), pa.float64(), "containment"), threads=threads, **config)
    member, first, rep, a, b, j, c = out
    nm, np_ = len(member) // 4, len(a) // 4
    mi, fi = _array(pa.uint32(), nm, member), _array(pa.uint32(), nm, first)
    ai, bi = _array(pa.uint32(), np_, a), _array(pa.uint32(), np_, b)
    clustered = pa.RecordBatch.from_arrays(
        [ids.take(mi), ids.take(fi), _bools(nm, rep)], names=["id", "first", "representative"])
    kept = pa.RecordBatch.from_arrays(
        [ids.take(ai), ids.take(bi), _array(pa.float64(), np_, j), _array(pa.float64(), np_, c)],
        names=["a", "b", "jaccard", "containment"])
    return clustered, kept
