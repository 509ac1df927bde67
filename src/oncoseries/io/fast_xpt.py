"""SAS XPORT v5 files written column by column: the bytes of ``pyreadstat.write_xport``, from arrays.

An XPORT v5 file (SAS TS-140) is 80-byte records: library, member and variable descriptions
("namestr" records), then the observations back to back, each variable in its fixed width (text
padded with spaces; numbers as 8-byte IBM System/370 doubles, a missing number as "." then zero
bytes), the last record padded with spaces. pyreadstat builds every row through a per-cell callback
(81 s for the ADRS of 10^6 patients); here the header records come from pyreadstat itself, writing a
one-row prototype with the same variables, widths, labels and formats, and the observations are one
numpy structured array per block of rows: each text variable is encoded once per distinct value of the
block, in the width its longest value over the table sets (:class:`XportWriter` takes the table block by
block). The files are those
pyreadstat writes, byte for byte apart from the time stamps (tests/io/test_fast_xpt.py).
"""

from __future__ import annotations

import os
import struct
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


BLOCK = 1 << 17        # observations built at a time (a structured array of their records)


def _texts(uniques) -> list:
    """The text written for each distinct value that is not missing (``pd.factorize``'s uniques)."""
    return [v if isinstance(v, str) else str(v) for v in uniques]


def longest_text(s: pd.Series) -> str:
    """The longest (UTF-8 bytes) text of a text column as written (missing values are empty text): it
    sets the variable's width. The first of equal lengths, as the column's distinct values come."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    del codes
    texts = _texts(uniques) + [""]
    return texts[int(np.argmax([len(t.encode("utf-8")) for t in texts]))]


def _is_text(s: pd.Series) -> bool:
    return s.dtype == object or pd.api.types.is_string_dtype(s.dtype)


class XportWriter:
    """An XPT v5 file written block by block: ``XportWriter(out, columns, date_cols, text)`` with
    ``text`` = {text column: its longest value over the whole table (``longest_text``)}, then
    ``write(block)`` for consecutive blocks of rows, then ``close()``. The bytes are those
    :func:`write_xport` writes for the whole table (the header depends on the widths only; each record
    on its own row)."""

    def __init__(self, out: str | Path, columns: list, date_cols: list, text: dict, **pyreadstat_args) -> None:
        self.columns, self.date_cols = list(columns), list(date_cols)
        self.width = {c: max(1, len(t.encode("utf-8"))) for c, t in text.items()}
        header = header_records(self.columns, self.width, pyreadstat_args)
        if header is None:      # what header_records does not write itself: pyreadstat's header
            import pyreadstat

            proto = {c: [pd.Timestamp("1960-01-01").date()] if c in self.date_cols else [text[c]] if c in text
                     else [0.0] for c in self.columns}
            header = _header(pd.DataFrame(proto, columns=self.columns), pyreadstat, pyreadstat_args)
        self.dtype = np.dtype([(c, f"S{self.width[c]}" if c in text else ">u8") for c in self.columns])
        self.fh = open(out, "wb")
        self.fh.write(header)
        self.size = 0

    def _field(self, c: str, s: pd.Series) -> np.ndarray:
        if c in self.date_cols:
            d = s.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
            days = (d - _SAS_EPOCH).astype(np.float64)
            days[np.isnat(d)] = np.nan
            return ibm_doubles(days)
        if c in self.width:
            codes, uniques = pd.factorize(s, use_na_sentinel=True)
            w = self.width[c]
            enc = [t.encode("utf-8") for t in _texts(uniques)] + [b""]
            if max(len(b) for b in enc) > w:
                raise ValueError(f"{c}: a value is longer than the width set for the variable ({w})")
            table = np.array([b.ljust(w, b" ") for b in enc], dtype=f"S{w}")
            return table[codes]           # the missing code -1 picks the last entry, the empty text
        return ibm_doubles(s.to_numpy(dtype=np.float64, na_value=np.nan))

    def write(self, block: pd.DataFrame) -> None:
        """Append the records of ``block`` (the writer's columns, in order)."""
        if list(block.columns) != self.columns:
            raise ValueError("every block must have the writer's columns")
        for start in range(0, len(block), BLOCK):
            part = block.iloc[start:start + BLOCK]
            rows = np.empty(len(part), dtype=self.dtype)
            for c in self.columns:
                rows[c] = self._field(c, part[c])
            self.fh.write(memoryview(rows).cast("B"))
            self.size += rows.nbytes
            del rows

    def close(self) -> None:
        if self.fh is not None:
            self.fh.write(b" " * ((-self.size) % _RECORD))
            self.fh.close()
            self.fh = None


def write_xport(x: pd.DataFrame, out: str | Path, date_cols: list, **pyreadstat_args) -> None:
    """Write ``x`` (text columns as object, ``date_cols`` as datetime64, the rest numeric) as the XPT v5
    file ``pyreadstat.write_xport(x, out, file_format_version=5, **pyreadstat_args)`` would write, with
    dates as SAS dates (days since 1960-01-01); in blocks of ``BLOCK`` records."""
    text = {c: longest_text(x[c]) for c in x.columns if c not in date_cols and _is_text(x[c])}
    w = XportWriter(out, list(x.columns), date_cols, text, **pyreadstat_args)
    try:
        w.write(x)
    finally:
        w.close()


_FORMATS = {None: (b"", 0), "DATE9": (b"DATE", 9)}   # the formats header_records writes: name, width
_HEADER = b"HEADER RECORD*******%-7s HEADER RECORD!!!!!!!%-30s  "


def _stamp() -> bytes:
    import time

    return time.strftime("%d%b%y:%H:%M:%S", time.localtime()).upper().encode("ascii")


def _field(text: str | None, width: int) -> bytes | None:
    """``text`` as a blank-padded ASCII field of ``width`` bytes; None when it is not printable ASCII or
    too long (pyreadstat writes the header then)."""
    text = text or ""
    if len(text) > width or not (text.isascii() and text.isprintable()):
        return None
    return text.encode("ascii").ljust(width, b" ")


def header_records(columns: list, width: dict, args: dict) -> bytes | None:
    """The records before the observations, as pyreadstat (ReadStat's XPORT v5 writer) writes them
    (SAS TS-140): the library and member headers (version 6.06, bsd4.2, the time stamps), the data set
    name and label, and a 140-byte "namestr" per variable (type, length, number, name, label, format,
    position in the record), blank-padded to whole records. Made here, the early writer no longer imports
    pyreadstat (0.03 s) and writes no prototype file; None for what this does not cover (other arguments
    or formats than cdisc_export's, text that is not printable ASCII, names longer than 8): then
    pyreadstat's own header is used. The bytes are compared with pyreadstat's in tests/io/test_fast_xpt.py."""
    if set(args) - {"file_label", "table_name", "column_labels", "variable_format"}:
        return None
    labels = args.get("column_labels") or {}
    formats = args.get("variable_format") or {}
    name = _field(args.get("table_name"), 8) if args.get("table_name") else None
    label = _field(args.get("file_label"), 40)
    if name is None or label is None or any(f not in _FORMATS for f in formats.values()):
        return None
    stamp = _stamp()
    out = [_HEADER % (b"LIBRARY", b"0" * 30),
           b"SAS     SAS     SASLIB  6.06    bsd4.2  " + b" " * 24 + stamp,
           stamp + b" " * 64,
           _HEADER % (b"MEMBER", b"000000000000000001600000000140"),
           _HEADER % (b"DSCRPTR", b"0" * 30),
           b"SAS     " + name + b"SASDATA 6.06    bsd4.2  " + b" " * 24 + stamp,
           stamp + b" " * 16 + label + b" " * 8,
           _HEADER % (b"NAMESTR", b"000000%04d00000000000000000000" % len(columns))]
    names, pos = [], 0
    for k, c in enumerate(columns, 1):
        var, lab = _field(str(c), 8), _field(labels.get(c), 40)
        if var is None or lab is None or not str(c):
            return None
        form, form_w = _FORMATS[formats.get(c)]
        text = c in width
        length = width[c] if text else 8
        names.append(struct.pack(">hhhh8s40s8shhh2s8shhl52s", 2 if text else 1, 0, length, k, var, lab,
                                 form.ljust(8, b" "), form_w, 0, 0 if text else 1, b"", b" " * 8, 0, 0, pos, b""))
        pos += length
    body = b"".join(names)
    out.append(body + b" " * ((-len(body)) % _RECORD))
    out.append(_HEADER % (b"OBS", b"0" * 30))
    return b"".join(out)


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


__all__ = ["ibm_doubles", "write_xport", "XportWriter", "longest_text"]
