"""pyarrow interchange: string arrays read in place by the scan, and the
result's tables. pyarrow is optional: nothing here imports it unless the
caller already did."""

import sys
from typing import Any


class ArrowTexts:
    """The buffers of a pyarrow string array, handed to the extension, which
    reads them in place; indexing gives element ``i`` as a ``str`` (for
    explanations)."""

    def __init__(self, chunks: list, source: Any) -> None:
        self._neardup_arrow_chunks = chunks
        self.source = source

    def __len__(self) -> int:
        return len(self.source)

    def __getitem__(self, i: int) -> str:
        return self.source[i].as_py()


def _pyarrow():
    return sys.modules.get("pyarrow")


def texts_arg(texts: Any) -> Any:
    """``texts`` as the extension takes it: pyarrow arrays (``string``,
    ``large_string``; ``string_view`` is cast) become ``ArrowTexts``;
    anything else is passed on as it is."""
    pa = _pyarrow()
    if pa is None:
        return texts
    if isinstance(texts, pa.ChunkedArray):
        chunks = texts.chunks
    elif isinstance(texts, pa.Array):
        chunks = [texts]
    else:
        return texts
    out = []
    first = 0
    for c in chunks:
        t = c.type
        if pa.types.is_string(t):
            large = False
        elif pa.types.is_large_string(t):
            large = True
        elif hasattr(pa.types, "is_string_view") and pa.types.is_string_view(t):
            c, large = c.cast(pa.large_string()), True
        else:
            raise TypeError(f"texts: a pyarrow array of strings is needed, not of {t}")
        if c.null_count:
            i = c.is_null().to_pylist().index(True)
            raise ValueError(f"texts[{first + i}] is null")
        _validity, offsets, data = c.buffers()
        out.append((offsets, data, c.offset, len(c), large))
        first += len(c)
    return ArrowTexts(out, texts)


def ids_arg(ids: Any) -> Any:
    """Ids as a list when they come as a pyarrow array."""
    pa = _pyarrow()
    if pa is not None and isinstance(ids, (pa.Array, pa.ChunkedArray)):
        if ids.null_count:
            i = ids.is_null().to_pylist().index(True)
            raise ValueError(f"ids[{i}] is null")
        return ids.to_pylist()
    return ids


class ArrowTables(tuple):
    """``(clusters, pairs)``, two pyarrow tables, also by name."""

    __slots__ = ()

    def __new__(cls, clusters: Any, pairs: Any) -> "ArrowTables":
        return super().__new__(cls, (clusters, pairs))

    @property
    def clusters(self) -> Any:
        """One row per cluster: cluster, size, representative, docs."""
        return self[0]

    @property
    def pairs(self) -> Any:
        """One row per verified pair: cluster, a, b, jaccard, containment."""
        return self[1]


def tables(columns: dict) -> ArrowTables:
    """The result's tables from the columns the extension made."""
    try:
        import pyarrow as pa  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("ScanResult.to_arrow needs pyarrow: pip install pyarrow") from e
    cl, size, rep, docs = columns["clusters"]
    clusters = pa.table(
        {
            "cluster": pa.array(cl, pa.int64()),
            "size": pa.array(size, pa.int64()),
            "representative": pa.array(rep, pa.string()),
            "docs": pa.array(docs, pa.list_(pa.string())),
        }
    )
    pc, a, b, j, k = columns["pairs"]
    pairs = pa.table(
        {
            "cluster": pa.array(pc, pa.int64()),
            "a": pa.array(a, pa.string()),
            "b": pa.array(b, pa.string()),
            "jaccard": pa.array(j, pa.float64()),
            "containment": pa.array(k, pa.float64()),
        }
    )
    return ArrowTables(clusters, pairs)
