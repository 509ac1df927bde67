"""Write a large DataFrame as CSV with the bytes of ``DataFrame.to_csv(path, index=False, ...)``, fast.

pandas formats every cell in Python-level loops (about 1 s per 10^6 rows of a ten-column table); the derived
tables of a registry (10^7 lesion rows) spend most of ``analyze``'s output stage there. Here each column is
factorised, only its distinct values are formatted, by pandas itself (so every field is the string pandas
would write: floats, dates with ``date_format``, NA as empty, quoting of commas, quotes and line breaks),
and the rows are assembled in Arrow (``take`` of the formatted values, ``binary_join_element_wise``) and
written as one buffer per block of ``BLOCK`` rows. Number and text columns are factorised per block (a
value's text does not depend on the other values; the work memory is that of one block, not 8 bytes per
cell of the whole table), categoricals by their own codes, and date-time columns written without
``date_format`` whole (pandas drops the time of day only when no value of the whole column has one).
:class:`CsvBlocks` writes a table given block by block (the CDISC datasets of a registry) with the same
bytes. Frames this cannot reproduce exactly are written by pandas:
object columns holding anything but strings (1 and 1.0 would be one distinct value), a single column (the
csv module quotes an empty lone field), a non-unique or non-string header, or a formatted value holding
the sentinel used to split pandas' output. Small frames (< ``MIN_ROWS`` rows) are written by pandas too.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..memory import trim

MIN_ROWS = 50_000
BLOCK = 1 << 17        # rows formatted at a time (their text, codes and Arrow arrays: ~50 MB)
_SENTINEL = "\x00\x01\n"
_KWARGS = {"date_format", "na_rep", "float_format"}     # other to_csv options: written by pandas


def _column_ok(s: pd.Series) -> bool:
    if isinstance(s.dtype, np.dtype) and s.dtype.kind == "f" and bool(np.any(np.signbit(s.to_numpy()) & (s.to_numpy() == 0))):
        return False                      # -0.0 and 0.0 are one distinct value to factorize
    if s.dtype == object:
        return pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty")
    if isinstance(s.dtype, np.dtype):
        return s.dtype.kind in "biufM"
    return isinstance(s.dtype, pd.CategoricalDtype) or s.dtype.kind in "biu"   # Int64, boolean


def _formatted(s: pd.Series, kwargs: dict):
    """(codes, strings): the field text pandas writes for each distinct value, then for a missing one
    (the last entry; code -1). Formatted beside a second column, as in the table (a lone empty field would
    be quoted)."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    frame = pd.DataFrame({"v": pd.Series(uniques), "w": np.zeros(len(uniques), dtype=np.int8)})
    text = frame.to_csv(index=False, header=False, lineterminator=_SENTINEL, **kwargs)
    fields = text.split(_SENTINEL)
    if len(fields) != len(uniques) + 1 or fields[-1] != "" or not all(f.endswith(",0") for f in fields[:-1]) \
            or any("\x00" in f or "\x01" in f for f in fields[:-1]):   # the csv module quotes the sentinel's chars
        return None
    return codes, [f[:-2] for f in fields[:-1]] + [str(kwargs.get("na_rep", ""))]


def _dates(s: pd.Series) -> bool:
    t = s.dtype.categories.dtype if isinstance(s.dtype, pd.CategoricalDtype) else s.dtype
    return pd.api.types.is_datetime64_any_dtype(t)


def _categories(s: pd.Series, kwargs: dict):
    """The fields of a categorical's categories (formatted once; its codes are sliced per block), or None
    for anything else: text and numbers are factorised per block, the distinct values of a block only (a
    patient id repeats across a few neighbouring blocks: formatted again there, the same text)."""
    if isinstance(s.dtype, pd.CategoricalDtype) and not _dates(s):
        cats = _formatted(pd.Series(s.cat.categories), kwargs)
        return False if cats is None else cats[1]
    return None


def _whole_dates(s: pd.Series, kwargs: dict) -> bool:
    """pandas writes a date-time column without ``date_format`` as dates only when every value of the
    column is a date: a decision over the whole column, so such a column is factorised whole."""
    return _dates(s) and "date_format" not in kwargs


def _plain(df: pd.DataFrame, kwargs: dict) -> bool:
    """True when pandas must write ``df`` (see the module docstring)."""
    cols = list(df.columns)
    if (len(cols) < 2 or os.linesep != "\n" or set(kwargs) - _KWARGS or len(set(cols)) != len(cols)
            or not all(isinstance(c, str) for c in cols) or not all(_column_ok(df[c]) for c in cols)):
        return True
    try:
        import pyarrow  # noqa: F401
        import pyarrow.compute  # noqa: F401
    except ImportError:           # optional dependency (oncoseries[parquet])
        return True
    return False


def _rows(series: list, start: int, stop: int, kwargs: dict, fixed: dict):
    """The CSV text of rows ``start:stop`` (an Arrow buffer and its byte range), or None when a value
    must be written by pandas. ``fixed``: column -> (codes of the whole column or None, fields)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cols_txt = []
    for j, s in enumerate(series):      # one column's Python strings at a time, then its Arrow text
        if j in fixed:
            codes, fields = fixed[j]
            codes = (s.cat.codes.to_numpy() if codes is None else codes)[start:stop]
        else:
            part = _formatted(s.iloc[start:stop], kwargs)
            if part is None:
                return None
            codes, fields = part
            del part
        if j == len(series) - 1:
            fields = [f + "\n" for f in fields]
        d = pa.array(fields, type=pa.large_string())
        del fields
        idx = np.where(codes < 0, len(d) - 1, codes)     # missing -> the formatted missing value
        cols_txt.append(pc.take(d, pa.array(idx)))
        del d, idx, codes
    rows = pc.binary_join_element_wise(*cols_txt, pa.scalar(",", pa.large_string()))
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int64)[rows.offset:rows.offset + len(rows) + 1]
    return rows.buffers()[2], int(offsets[0]), int(offsets[-1])


def _fixed(series: list, kwargs: dict):
    """{column: (codes or None, fields)} of the columns formatted once; None when pandas must write."""
    fixed = {}
    for j, s in enumerate(series):
        cats = _categories(s, kwargs)
        if cats is False:
            return None
        if cats is not None:
            fixed[j] = (None, cats)
        elif _whole_dates(s, kwargs):
            whole = _formatted(s, kwargs)
            if whole is None:
                return None
            fixed[j] = whole
    return fixed


def _write_rows(df: pd.DataFrame, fh, kwargs: dict, on_rows=None) -> bool:
    """Append the rows of ``df`` (no header) to ``fh`` in blocks of ``BLOCK`` rows, each freed once
    written; False (nothing written) when pandas must write them. ``on_rows(stop)`` after each block
    (rows before ``stop`` are in the file) when no block can fall back to pandas (no text column)."""
    series = [df[c] for c in df.columns]
    fixed = _fixed(series, kwargs)
    if fixed is None:
        return False
    if any(s.dtype == object for s in series):
        on_rows = None                    # a block may still go back to pandas, which needs every row
    at = fh.tell()
    for start in range(0, len(df), BLOCK):
        block = _rows(series, start, min(start + BLOCK, len(df)), kwargs, fixed)
        if block is None:
            if on_rows is not None and start:   # not reached: numbers and dates always split (module doc)
                raise RuntimeError("a CSV block fell back to pandas after rows were given back")
            fh.seek(at)
            fh.truncate()
            return False
        data, lo, hi = block
        fh.write(memoryview(data)[lo:hi])
        del block, data
        if on_rows is not None:
            on_rows(min(start + BLOCK, len(df)))
        if len(df) > BLOCK:
            trim()          # the block's freed buffers, which glibc keeps between blocks otherwise
    return True


def write_csv(df: pd.DataFrame, path: str | Path, *, on_rows=None, **kwargs) -> None:
    """``df.to_csv(path, index=False, **kwargs)``, byte for byte (see the module docstring).
    ``on_rows(stop)``: called when the rows before ``stop`` are written and will not be read again
    (only on the block path without text columns; analysis/write_early.py frees them)."""
    path = Path(path)
    if len(df) < MIN_ROWS or _plain(df, kwargs):
        df.to_csv(path, index=False, **kwargs)
        return
    with open(path, "wb") as fh:
        fh.write(df.head(0).to_csv(index=False, **kwargs).encode("utf-8"))
        if _write_rows(df, fh, kwargs, on_rows):
            return
    df.to_csv(path, index=False, **kwargs)     # a value pandas' own writer must write (module docstring)


class CsvBlocks:
    """A CSV file written from consecutive blocks of rows of one table (``write(block)`` per block, in
    order; ``close()``): the bytes ``write_csv`` (= ``to_csv(index=False, **kwargs)``) writes for the
    whole table, without it ever existing whole. Every field's text depends on its value alone, except a
    date-time column without ``date_format`` (a decision over the whole column): such a table must be
    written whole, and is refused here."""

    def __init__(self, path: str | Path, **kwargs) -> None:
        if set(kwargs) - _KWARGS:
            raise ValueError(f"CsvBlocks takes only {sorted(_KWARGS)}")
        self.path, self.kwargs, self.fh, self.columns = Path(path), kwargs, None, None

    def write(self, block: pd.DataFrame) -> None:
        if self.fh is None:
            self.columns = list(block.columns)
            self.fh = open(self.path, "wb")
            self.fh.write(block.head(0).to_csv(index=False, **self.kwargs).encode("utf-8"))
        elif list(block.columns) != self.columns:
            raise ValueError("every block must have the same columns")
        if any(_whole_dates(block[c], self.kwargs) for c in self.columns):
            raise ValueError("a date-time column needs date_format to be written in blocks")
        if len(block) >= MIN_ROWS and not _plain(block, self.kwargs) and _write_rows(block, self.fh, self.kwargs):
            return
        self.fh.write(block.to_csv(index=False, header=False, **self.kwargs).encode("utf-8"))

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()
            self.fh = None
