"""SAS XPORT v5 files written column by column: the bytes of ``pyreadstat.write_xport``, from arrays.

An XPORT v5 file (SAS TS-140) is 80-byte records: library, member and variable descriptions
("namestr" records), then the observations back to back, each variable in its fixed width (text
padded with spaces; numbers as 8-byte IBM System/370 doubles, a missing number as "." then zero
bytes), the last record padded with spaces. pyreadstat builds every row through a per-cell callback
(81 s for the ADRS of 10^6 patients); here the header records come from pyreadstat itself, writing a
one-row prototype with the same variables, widths, labels and formats, and the observations are one
numpy structured array: each text variable is encoded once per distinct value. The files are those
pyreadstat writes, byte for byte apart from the time stamps (tests/io/test_fast_xpt.py).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

_RECORD = 80
_OBS_HEADER = b"HEADER RECORD*******OBS     HEADER RECORD!!!!!!!"
_SAS_EPOCH = np.datetime64("1960-01-01", "D")


def ibm_doubles(x: np.ndarray) -> np.ndarray:
    """IEEE doubles -> IBM System/370 doubles (big-endian 8 bytes): sign, base-16 exponent biased by
    64, 56-bit fraction. A 53-bit mantissa fits the fraction exactly whatever the hexadecimal shift
    (0-3 bits), so nothing is rounded. NaN -> SAS missing ("." then zeros); 0 -> eight zero bytes."""
    x = np.asarray(x, dtype=np.float64)
    out = np.zeros(x.size, dtype=">u8")
    miss = np.isnan(x)
    if np.isinf(x).any():
        raise ValueError("an infinite value cannot be written to an XPT file")
    nz = (x != 0) & ~miss
    m, e = np.frexp(x[nz])                                   # |m| in [0.5, 1), x = m 2^e
    e16 = -((-e) // 4)                                       # ceil(e / 4)
    if nz.any() and not (-64 <= e16.min() and e16.max() <= 63):
        raise ValueError("a number is out of the range of SAS XPT (IBM) doubles")
    mant = (np.abs(m) * 2.0 ** 53).astype(np.uint64)         # the 53-bit mantissa, exact
    frac = (mant << np.uint64(3)) >> (4 * e16 - e).astype(np.uint64)
    word = (np.signbit(m).astype(np.uint64) << np.uint64(63)) | ((e16 + 64).astype(np.uint64) << np.uint64(56)) | frac
    out[nz] = word
    out[miss] = np.uint64(0x2E) << np.uint64(56)
    return out


def _text_field(s: pd.Series):
    """(width, S-array of space-padded UTF-8 values, the longest value): missing cells are empty text."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    texts = [v if isinstance(v, str) else str(v) for v in uniques] + [""]
    enc = [t.encode("utf-8") for t in texts]
    width = max(1, max(len(b) for b in enc))
    table = np.array([b.ljust(width, b" ") for b in enc], dtype=f"S{width}")
    longest = texts[int(np.argmax([len(b) for b in enc]))]
    return width, table[codes], longest   # the missing code -1 picks the last entry, the empty text


def write_xport(x: pd.DataFrame, out: str | Path, date_cols: list, **pyreadstat_args) -> None:
    """Write ``x`` (text columns as object, ``date_cols`` as datetime64, the rest numeric) as the XPT v5
    file ``pyreadstat.write_xport(x, out, file_format_version=5, **pyreadstat_args)`` would write, with
    dates as SAS dates (days since 1960-01-01)."""
    import pyreadstat

    n = len(x)
    fields, arrays, proto = [], [], {}
    for c in x.columns:
        s = x[c]
        if c in date_cols:
            d = s.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
            days = (d - _SAS_EPOCH).astype(np.float64)
            days[np.isnat(d)] = np.nan
            fields.append((c, ">u8"))
            arrays.append(ibm_doubles(days))
            proto[c] = [pd.Timestamp("1960-01-01").date()]
        elif s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            width, values, longest = _text_field(s)
            fields.append((c, f"S{width}"))
            arrays.append(values)
            proto[c] = [longest]
        else:
            fields.append((c, ">u8"))
            arrays.append(ibm_doubles(s.to_numpy(dtype=np.float64, na_value=np.nan)))
            proto[c] = [0.0]
    header = _header(pd.DataFrame(proto, columns=list(x.columns)), pyreadstat, pyreadstat_args)
    rows = np.empty(n, dtype=np.dtype(fields))
    for (c, _), a in zip(fields, arrays):
        rows[c] = a
    body = rows.tobytes()
    pad = (-len(body)) % _RECORD
    with open(out, "wb") as f:
        f.write(header)
        f.write(body)
        f.write(b" " * pad)


def _header(proto: pd.DataFrame, pyreadstat, args: dict) -> bytes:
    """The records before the observations, as pyreadstat writes them for these variables."""
    fd, tmp = tempfile.mkstemp(suffix=".xpt")
    os.close(fd)
    try:
        pyreadstat.write_xport(proto, tmp, file_format_version=5, **args)
        raw = Path(tmp).read_bytes()
    finally:
        os.unlink(tmp)
    at = raw.find(_OBS_HEADER)
    if at < 0 or at % _RECORD:  # pragma: no cover - pyreadstat's layout is fixed by the format
        raise RuntimeError("unexpected XPT header from pyreadstat")
    return raw[:at + _RECORD]


__all__ = ["ibm_doubles", "write_xport"]
