"""Give back the memory of table rows already written to CSV (the early writer's lesion table, issue 17).

In the early writer (a process forked by analysis/write_early.py) the lesion table, 1.9*10^7 rows and
1.6 GB at 10^6 patients, is the child's own once the parent has dropped it; it is written from the first
row to the last in blocks (io/fast_csv.py) and no row is read again. :func:`row_release` returns the
callback ``on_rows(stop)`` that hands the pages holding the rows before ``stop`` of each column back to the
kernel (``madvise(MADV_DONTNEED)``): the table's memory shrinks while it is written instead of staying
whole until its end. A released page reads as zeros afterwards, so only columns whose values are one
contiguous 1-D buffer of numbers, dates, booleans or categorical codes are released, and only when that
buffer overlaps no other column of the table nor any column of the tables in ``keep`` (read later by
the same process). Pages shared with the parent are only dropped from this process's view (the
parent's stay as they are). Linux only: elsewhere the callback does nothing.
"""

from __future__ import annotations

import ctypes
import mmap

import numpy as np
import pandas as pd

MADV_DONTNEED = 4


def _libc_madvise():
    from ..memory import libc

    return libc("madvise", [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int], ctypes.c_int)


def _arrays(s: pd.Series) -> list:
    """The numpy arrays holding a column's values (codes, data, mask, object pointers)."""
    a = s.array
    found = [getattr(a, k, None) for k in ("_ndarray", "_data", "_mask")]
    return [x for x in found if isinstance(x, np.ndarray)]


def _ranges(s: pd.Series) -> list[tuple[int, int]]:
    out = []
    for x in _arrays(s):
        lo = x.__array_interface__["data"][0]
        out.append((lo, lo + x.nbytes))
    a = s.array
    if hasattr(a, "_pa_array"):             # Arrow-backed columns: their buffers
        for chunk in a._pa_array.chunks:
            out += [(b.address, b.address + b.size) for b in chunk.buffers() if b is not None]
    return out


def _releasable(s: pd.Series):
    """The 1-D contiguous numeric buffer of a column (numbers, dates, booleans, categorical codes)."""
    a = s.array
    x = getattr(a, "_ndarray", None)
    if not isinstance(x, np.ndarray) or x.ndim != 1 or x.dtype == object or not x.flags.c_contiguous \
            or len(x) != len(s):
        return None
    return x


def row_release(df: pd.DataFrame, keep=()):
    """The ``on_rows(stop)`` callback releasing the pages of ``df``'s rows before ``stop`` (see the
    module docstring); ``keep``: tables read after ``df`` is written (their memory is never released)."""
    fn = _libc_madvise()
    if fn is None:
        return None
    page = mmap.PAGESIZE
    cols = [df.iloc[:, j] for j in range(df.shape[1])]
    others = [r for t in keep for c in t.columns for r in _ranges(t[c])]
    mine = [_ranges(s) for s in cols]
    targets = []
    for j, s in enumerate(cols):
        x = _releasable(s)
        if x is None or not len(x):
            continue
        lo, hi = x.__array_interface__["data"][0], x.__array_interface__["data"][0] + x.nbytes
        clash = [r for r in others] + [r for i, rs in enumerate(mine) if i != j for r in rs]
        if any(a < hi and lo < b for a, b in clash):
            continue
        targets.append([lo, x.itemsize, -(-lo // page) * page])   # start, row size, first page not given

    def on_rows(stop: int) -> None:
        for t in targets:
            lo, size, done = t
            end = (lo + stop * size) // page * page            # whole pages of written rows only
            if end > done:
                fn(done, end - done, MADV_DONTNEED)
                t[2] = end

    return on_rows


__all__ = ["row_release"]
