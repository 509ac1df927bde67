"""Write a large DataFrame as CSV with the bytes of ``DataFrame.to_csv(path, index=False, ...)``, fast.

pandas formats every cell in Python-level loops (about 1 s per 10^6 rows of a ten-column table); the derived
tables of a registry (10^7 lesion rows) spend most of ``analyze``'s output stage there. Here each column is
factorised, only its distinct values are formatted, by pandas itself (so every field is the string pandas
would write: floats, dates with ``date_format``, NA as empty, quoting of commas, quotes and line breaks),
and the rows are assembled in Arrow (``take`` of the formatted values, ``binary_join_element_wise``) and
written as one buffer per block of rows. Number columns are factorised per block (a value's text does not
depend on the other values; the work memory is that of one block, not 8 bytes per cell of the whole
table); text columns once (ids repeat across blocks), categoricals by their own codes, and date-time
columns written without ``date_format`` whole (pandas drops the time of day only when no value of the
whole column has one). Frames this cannot reproduce exactly are written by pandas:
object columns holding anything but strings (1 and 1.0 would be one distinct value), a single column (the
csv module quotes an empty lone field), a non-unique or non-string header, or a formatted value holding
the sentinel used to split pandas' output. Small frames (< ``MIN_ROWS`` rows) are written by pandas too.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

MIN_ROWS = 50_000
BLOCK = 1_000_000
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


def _per_block(s: pd.Series, kwargs: dict) -> bool:
    """Numbers and booleans (and dates with ``date_format``) are factorised per block: their distinct
    values are nearly as many as the rows. Text and categories once for the whole column (a patient id
    repeats across blocks; a categorical's own codes are used), and date-times without ``date_format``."""
    if isinstance(s.dtype, pd.CategoricalDtype) or s.dtype == object:
        return False
    return not (_dates(s) and "date_format" not in kwargs)


def _whole(s: pd.Series, kwargs: dict):
    """(codes, fields) of the whole column; a categorical (not of dates) by its own codes and categories."""
    if isinstance(s.dtype, pd.CategoricalDtype) and not _dates(s):
        cats = _formatted(pd.Series(s.cat.categories), kwargs)
        return None if cats is None else (s.cat.codes.to_numpy(), cats[1])
    return _formatted(s, kwargs)


def write_csv(df: pd.DataFrame, path: str | Path, **kwargs) -> None:
    """``df.to_csv(path, index=False, **kwargs)``, byte for byte (see the module docstring)."""
    path = Path(path)
    cols = list(df.columns)
    plain = (len(df) < MIN_ROWS or len(cols) < 2 or os.linesep != "\n" or set(kwargs) - _KWARGS or len(set(cols)) != len(cols)
             or not all(isinstance(c, str) for c in cols) or not all(_column_ok(df[c]) for c in cols))
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:           # optional dependency (oncoseries[parquet])
        plain = True
    if plain:
        df.to_csv(path, index=False, **kwargs)
        return
    header = df.head(0).to_csv(index=False, **kwargs)
    series = [df[c] for c in cols]
    # pandas writes a date-time column without date_format as dates only when every value is a date:
    # a decision over the whole column, so those columns are factorised whole
    whole = {j: _whole(s, kwargs) for j, s in enumerate(series) if not _per_block(s, kwargs)}
    if any(v is None for v in whole.values()):
        df.to_csv(path, index=False, **kwargs)
        return
    sep = pa.scalar(",", pa.large_string())
    with open(path, "wb") as fh:
        fh.write(header.encode("utf-8"))
        for start in range(0, len(df), BLOCK):
            # each block's distinct values (not the whole column's: at 10^7 rows the codes of 15 columns
            # were 2 GB); a value's text does not depend on the others, so the bytes are the same
            parts = [(whole[j][0][start:start + BLOCK], whole[j][1]) if j in whole else
                     _formatted(s.iloc[start:start + BLOCK], kwargs) for j, s in enumerate(series)]
            if any(p is None for p in parts):
                break
            cols_txt = []
            for j, (codes, fields) in enumerate(parts):
                if j == len(parts) - 1:
                    fields = [f + "\n" for f in fields]
                d = pa.array(fields, type=pa.large_string())
                idx = np.where(codes < 0, len(d) - 1, codes)     # missing -> the formatted missing value
                cols_txt.append(pc.take(d, pa.array(idx)))
            del parts
            rows = pc.binary_join_element_wise(*cols_txt, sep)
            offsets = np.frombuffer(rows.buffers()[1], dtype=np.int64)[rows.offset:rows.offset + len(rows) + 1]
            data = rows.buffers()[2]
            fh.write(memoryview(data)[offsets[0]:offsets[-1]])
        else:
            return
    df.to_csv(path, index=False, **kwargs)     # a value pandas' own writer must write (module docstring)
