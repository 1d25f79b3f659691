"""datasketch's call shapes on neardup's MinHash and LSH.

A datasketch pipeline switches by changing its import::

    from neardup.compat import MinHash, MinHashLSH   # was: from datasketch import ...

    m = MinHash(num_perm=128)
    for word in words:
        m.update(word.encode("utf-8"))
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    lsh.insert("doc-1", m)
    lsh.query(other)                                  # -> ["doc-1", ...]

Signatures are the library's classic MinHash (one hash function per
permutation, derived from ``seed``); items are hashed with XXH3 instead of
SHA-1, so the values differ from datasketch's while estimating the same
Jaccard similarity. ``MinHash.update`` also takes a list of items (rensa's
``RMinHash.update`` shape), and ``MinHashLSH`` a ``num_bands=`` keyword
(rensa's ``RMinHashLSH``); ``RMinHash`` and ``RMinHashLSH`` are aliases.

For whole corpora, ``neardup.scan`` does the whole job (shingles, exact
verification, clusters) far faster than MinHash objects built one by one.
"""

from ._neardup import MinHash, MinHashLSH, MinHashLSHInsertionSession

RMinHash = MinHash
RMinHashLSH = MinHashLSH

__all__ = ["MinHash", "MinHashLSH", "MinHashLSHInsertionSession", "RMinHash", "RMinHashLSH"]
