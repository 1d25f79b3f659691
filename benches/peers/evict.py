#!/usr/bin/env python3
"""Puts part of a corpus directory out of the page cache, the way this VM's
memory reclaimer leaves it after the machine idles (docs/BENCHMARKS.md, items
40 and 46), so that a scan of a partly cached corpus can be timed on demand.

    python3 benches/peers/evict.py DIR              # 6 % of files whole, 6 % past their first page
    python3 benches/peers/evict.py DIR --report     # only count files not wholly in memory

Files are chosen by their position in name order (the same ones every time).
Linux only (posix_fadvise, mincore); nothing is written.
"""
import argparse
import ctypes
import mmap
import os
import sys

PAGE = os.sysconf("SC_PAGE_SIZE")
LIBC = ctypes.CDLL(None, use_errno=True)
LIBC.mmap.restype = ctypes.c_void_p
LIBC.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                      ctypes.c_int, ctypes.c_long]
LIBC.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
LIBC.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p]


def resident_pages(path):
    """(pages in memory, pages) of a file, by mincore."""
    size = os.path.getsize(path)
    pages = (size + PAGE - 1) // PAGE
    if size == 0:
        return 0, 0
    vec = (ctypes.c_ubyte * pages)()
    fd = os.open(path, os.O_RDONLY)
    try:
        addr = LIBC.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
        if addr in (None, ctypes.c_void_p(-1).value):
            raise OSError(ctypes.get_errno(), "mmap failed", path)
        try:
            if LIBC.mincore(ctypes.c_void_p(addr), size, vec) != 0:
                raise OSError(ctypes.get_errno(), "mincore failed", path)
        finally:
            LIBC.munmap(ctypes.c_void_p(addr), size)
    finally:
        os.close(fd)
    return sum(b & 1 for b in vec), pages


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("dir")
    p.add_argument("--whole", type=float, default=6.0, help="percent of files put out whole")
    p.add_argument("--tail", type=float, default=6.0,
                   help="percent of files put out past their first page")
    p.add_argument("--report", action="store_true", help="count only; evict nothing")
    a = p.parse_args()
    names = sorted(n for n in os.listdir(a.dir) if os.path.isfile(os.path.join(a.dir, n)))
    if a.report:
        partial = absent = 0
        for n in names:
            got, pages = resident_pages(os.path.join(a.dir, n))
            partial += 0 < got < pages
            absent += pages > 0 and got == 0
        print(f"{len(names)} files: {partial} partly in memory, {absent} not at all")
        return
    whole = tail = 0
    for i, n in enumerate(names):
        h = (i * 2654435761) % 10000 / 100.0
        if h >= a.whole + a.tail:
            continue
        fd = os.open(os.path.join(a.dir, n), os.O_RDONLY)
        try:
            if h < a.whole:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                whole += 1
            else:
                # Whole, then the first page back without read-ahead (dropping
                # part of a file keeps whole large folios).
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)
                os.pread(fd, 1, 0)
                tail += 1
        finally:
            os.close(fd)
    print(f"put out of memory: {whole} files whole, {tail} past their first page", file=sys.stderr)


if __name__ == "__main__":
    main()
