"""Read CSV files and XLSX sheets into raw string tables, keeping the row numbers users see.

Row numbers are spreadsheet rows: the header is row 1, the first data row is row 2 (what a user sees
when opening the CSV in Excel or LibreOffice). Values stay strings here; typing happens in validation.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..problems import ProblemLog

#: Cell texts read as missing (case-insensitive, after stripping spaces).
MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", ".", "#n/a", "missing"})


class UnreadableFile(Exception):
    """A file that cannot be read at all; already reported as a problem."""


@dataclass
class RawTable:
    """One table as read: string cells (None = missing) under normalised column names."""

    name: str
    file: str
    df: pd.DataFrame
    rows: np.ndarray
    labels: dict[str, str] = field(default_factory=dict)  # normalised name -> name as written
    excel: bool = False                                     # cells came from an Excel workbook
    cell_rows: dict[str, np.ndarray] = field(default_factory=dict)  # column -> row per cell, where it
    #                                                        differs from `rows` (REDCap events)
    excluded: pd.DataFrame | None = None                    # records left out at intake: patient_id, reason
    display: dict[str, str] = field(default_factory=dict)   # column -> label for the report (REDCap)
    parts: bool = False                                     # rows come from several files (`_file` column)
    header_row: int | None = 1                              # the header's row (None: Parquet, no header row)

    def label(self, column: str) -> str:
        return self.labels.get(column, column)

    def rows_of(self, column: str) -> np.ndarray:
        """The source row of every cell of a column."""
        return self.cell_rows.get(column, self.rows)


def normalise_name(name: object) -> str:
    """Column names are case-insensitive: strip, lower-case, inner spaces to underscores."""
    text = "" if name is None else str(name)
    text = text.replace("\ufeff", "").strip().lower()
    return re.sub(r"\s+", "_", text)


def by_unique(s: pd.Series, func) -> pd.Series:
    """Apply a vectorised function to the distinct values only (dates, codes and ids repeat a lot)."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    if len(uniques) == 0:
        return pd.Series([None] * len(s), index=s.index, dtype=object)
    done = np.asarray(func(pd.Series(uniques, dtype=object)), dtype=object)
    out = np.empty(len(s), dtype=object)
    valid = codes >= 0
    out[valid] = done[codes[valid]]
    out[~valid] = None
    return pd.Series(out, index=s.index, dtype=object)


def _clean_unique(u: pd.Series) -> pd.Series:
    stripped = u.astype(str).str.strip()
    return stripped.where(~stripped.str.lower().isin(MISSING_TOKENS), None)


def clean_cells(df: pd.DataFrame) -> pd.DataFrame:
    """Strip cell text and turn the missing tokens (NA, N/A, '.', '') into None (vectorised)."""
    return pd.DataFrame({col: by_unique(df[col], _clean_unique) for col in df.columns}, index=df.index)


def _decode(data: bytes, file: str, log: ProblemLog) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            log.error(file, None, None, "the file starts like UTF-16 text but cannot be decoded",
                      "a CSV text file saved as UTF-8", rule="unreadable")
            raise UnreadableFile(file) from None
    if b"\x00" in data:
        log.error(file, None, None, "the file holds binary data (NUL bytes), not CSV text",
                  "a CSV text file saved as UTF-8", rule="unreadable")
        raise UnreadableFile(file)
    return utf8_or_cp1252(data, file, log)


def utf8_or_cp1252(data: bytes, file: str, log: ProblemLog) -> str:
    """UTF-8 (with or without BOM); otherwise Windows-1252, with a warning naming the first bad line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        log.warning(file, line, None, "the file is not UTF-8; it was read as Windows-1252 (Western European)",
                    "UTF-8 text", rule="encoding")
        return data.decode("cp1252", errors="replace")


def _sniff_delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] > 0 else ","


def frame_from_rows(header: list, body: pd.DataFrame, first_row: int, name: str, file: str,
                    log: ProblemLog, excel: bool, duplicate_columns: str = "error",
                    header_row: int | None = 1) -> RawTable:
    """Apply the header: normalise names, report duplicates and nameless columns, drop blank rows.
    ``header_row`` is the row problems with column names point to (None: the file has no header row)."""
    labels: dict[str, str] = {}
    keep: list[int] = []
    names: list[str] = []
    for j, raw_name in enumerate(header):
        norm = normalise_name(raw_name)
        col = body.iloc[:, j] if j < body.shape[1] else None
        if not norm:
            if col is not None and col.notna().any():
                log.warning(file, header_row, f"#{j + 1}",
                            "this column has no name in the header row; it is ignored",
                            "a column name in row 1", rule="unnamed-column")
            continue
        if norm.startswith("_"):  # oncoseries' own bookkeeping columns (_row, _file, _time ...) start with "_"
            log.warning(file, header_row, str(raw_name).strip(), "column names starting with '_' are reserved; "
                        "this column is ignored", "a column name starting with a letter or digit",
                        rule="reserved-column")
            continue
        if norm in labels and duplicate_columns == "keep":  # e.g. REDCap label headers ("Complete?")
            k = 2
            while f"{norm}__{k}" in labels:
                k += 1
            norm = f"{norm}__{k}"
        if norm in labels:
            first = names.index(norm)
            log.error(file, header_row, str(raw_name),
                      f"duplicate column name (columns {keep[first] + 1} and {j + 1} both read as '{norm}')",
                      "each column name once", rule="duplicate-column")
            continue
        labels[norm] = str(raw_name).replace("\ufeff", "").strip()
        keep.append(j)
        names.append(norm)
    # column by column (no 2-D object block: a registry table has 10^7 rows); a body already held as one
    # array per column (the pyarrow and Parquet readers) is used as it is, not copied
    own = hasattr(body, "_mgr") and len(body._mgr.blocks) == body.shape[1]

    def column(frame: pd.DataFrame, j: int):
        col = frame.iloc[:, j]
        return col.array if isinstance(col.dtype, pd.CategoricalDtype) else col.to_numpy(copy=not own)

    df = pd.DataFrame({n: column(body, j) for n, j in zip(names, keep)},
                      index=body.index, copy=False) if keep else pd.DataFrame(index=body.index)
    del body
    rows = np.arange(first_row, first_row + len(df), dtype=np.int64)
    if len(df.columns):
        nonblank = np.zeros(len(df), dtype=bool)
        for n in names:
            nonblank |= df[n].notna().to_numpy()
        if not nonblank.all():
            df = df.loc[nonblank]
            rows = rows[nonblank]
    if not (isinstance(df.index, pd.RangeIndex) and df.index.start == 0 and df.index.step == 1):
        df.index = pd.RangeIndex(len(df))   # (reset_index would copy every column)
    return RawTable(name=name, file=file, df=df, rows=rows, labels=labels, excel=excel, header_row=header_row)


from .fast_read import FAST_BYTES, object_body, parse_fast  # noqa: E402  (it imports helpers defined above)


def read_csv_table(path: Path, name: str, log: ProblemLog, display: str | None = None,
                   duplicate_columns: str = "error", categorical: bool = False) -> RawTable:
    """Read one CSV (comma, semicolon or tab; UTF-8 with or without BOM; Windows-1252 fallback).
    ``categorical``: a large file's cells may come as Categorical columns (the study tables, typed by
    ``io.typing``, which reads either form; the same cells)."""
    file = display or path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        log.error(file, None, None, f"cannot read the file ({exc.strerror or exc})", rule="unreadable")
        raise UnreadableFile(file) from None
    if len(data) >= FAST_BYTES:     # a registry-size file: pyarrow (io/fast_read.py), same cells
        fast = parse_fast(data)
        if fast is not None:
            header, columns, sep = fast
            tail = data[-65536:].decode("utf-8", errors="replace")   # only the last line is looked at
            del data, fast      # the Arrow columns hold the cells: the file's bytes are freed first
            body = object_body(columns, categorical)
            _check_cut_short(tail, sep, len(header), len(body) + 1, file, log)
            return frame_from_rows(header, body, 2, name, file, log, excel=False,
                                   duplicate_columns=duplicate_columns)
    text = _decode(data, file, log)
    if not text.strip():
        log.error(file, None, None, "the file is empty", "a header row and one row per record", rule="empty-file")
        raise UnreadableFile(file)
    sep = _sniff_delimiter(text)
    try:
        body = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, header=None, keep_default_na=False,
                           na_filter=False, skip_blank_lines=False, engine="c", quotechar='"')
    except pd.errors.ParserError:
        body = _read_ragged(text, sep, file, log)
    except (ValueError, csv.Error, OverflowError) as exc:
        log.error(file, None, None, f"the CSV cannot be parsed ({exc})", "a comma-separated text file",
                  rule="malformed-csv")
        raise UnreadableFile(file) from None
    if body.empty:
        log.error(file, None, None, "the file is empty", "a header row and one row per record", rule="empty-file")
        raise UnreadableFile(file)
    header = list(body.iloc[0])
    _check_cut_short(text, sep, len(header), len(body), file, log)
    body = clean_cells(body.iloc[1:].reset_index(drop=True))
    return frame_from_rows(header, body, 2, name, file, log, excel=False, duplicate_columns=duplicate_columns)


def _check_cut_short(text: str, sep: str, width: int, n_rows: int, file: str, log: ProblemLog) -> None:
    """A file that stops mid-row (no final line break, and fewer fields than the header on its last row)
    was cut short, e.g. an interrupted download: an error, since the rest of the data is missing."""
    if n_rows < 2 or text.endswith(("\n", "\r")):
        return
    last = next(csv.reader(io.StringIO(text.splitlines()[-1]), delimiter=sep), [])
    if len(last) < width:
        log.error(file, n_rows, None,
                  f"the last row has {len(last)} of the {width} fields in the header and the file has no final "
                  "line break: the file seems cut short (an interrupted download or copy)",
                  "the complete file, as exported", rule="malformed-csv")


def _read_ragged(text: str, sep: str, file: str, log: ProblemLog) -> pd.DataFrame:
    """Slow path for rows with more fields than the header: empty trailing fields (as some
    spreadsheet exports write) are dropped; a row with extra values is an error naming the row."""
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(text), delimiter=sep, quotechar='"', strict=True)
    try:
        for r in reader:
            rows.append(r)
    except csv.Error as exc:
        row = len(rows) + 1  # the record being read: its spreadsheet row (the header is row 1)
        if "unexpected end of data" in str(exc) or "EOF" in str(exc):
            message = (f"the file ends inside a quoted value that opens on row {row} "
                       f"(line {_line_of_row(text, row, sep)}): "
                       "the download or copy was cut short, or a quote is never closed")
        else:
            message = f"the CSV is malformed on row {row} ({exc}; often a stray or unclosed quote)"
        log.error(file, row, None, message, "a complete file with fields quoted with matching double quotes",
                  rule="malformed-csv")
        raise UnreadableFile(file) from None
    width = len(rows[0]) if rows else 0
    bad = [i for i, r in enumerate(rows) if len(r) > width and any(v.strip() for v in r[width:])]
    for i in bad[:20]:
        log.error(file, i + 1, None, f"this row has {len(rows[i])} fields, more than the {width} in the header",
                  "the same number of fields on every row as in the header", rule="malformed-csv")
    if bad:
        raise UnreadableFile(file)
    return pd.DataFrame([(r + [""] * width)[:width] for r in rows], dtype=str)


def _line_of_row(text: str, row: int, sep: str) -> int:
    """The physical line where a spreadsheet row starts (quoted values may span lines)."""
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    line = 1
    try:
        for _ in range(row - 1):
            next(reader)
            line = reader.line_num + 1
    except (StopIteration, csv.Error):
        pass
    return line


#: Excel's day 1 is 1900-01-01; openpyxl shows a date-formatted 0 or negative number as a date before it
#: (-5 -> 1899-12-25), which no real Excel date can be.
EXCEL_FIRST_DAY = dt.datetime(1900, 1, 1)
EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def _cell_text(value: object) -> str | None:
    """An Excel cell as text: dates as ISO, whole numbers without '.0'."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value < EXCEL_FIRST_DAY:  # a date cell holding 0 or a negative number: keep the number, not a date
            return _cell_text((value - EXCEL_EPOCH) / dt.timedelta(days=1))
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value:  # NaN
            return None
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def read_xlsx_tables(path: Path, wanted: tuple[str, ...], log: ProblemLog) -> dict[str, RawTable]:
    """Read the sheets of a workbook whose names (case-insensitive) are table names."""
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - openpyxl is a declared dependency
        log.error(path.name, None, None, "reading .xlsx needs the openpyxl package", rule="unreadable")
        raise UnreadableFile(path.name) from None
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        log.error(path.name, None, None, f"not a readable .xlsx workbook ({type(exc).__name__})",
                  "an Excel .xlsx file", rule="unreadable")
        raise UnreadableFile(path.name) from None
    tables: dict[str, RawTable] = {}
    try:
        for sheet in wb.worksheets:
            name = normalise_name(sheet.title)
            if name not in wanted:
                continue
            display = f"{path.name} [sheet {sheet.title}]"
            rows = [[_cell_text(v) for v in r] for r in sheet.iter_rows(values_only=True)]
            if not rows or not any(v is not None for v in rows[0]):
                log.error(display, 1, None, "the sheet has no header row", "column names in row 1",
                          rule="empty-file")
                continue
            width = max(len(r) for r in rows)
            rows = [r + [None] * (width - len(r)) for r in rows]
            body = pd.DataFrame(rows[1:], columns=range(width), dtype=object) if len(rows) > 1 \
                else pd.DataFrame(columns=range(width), dtype=object)
            tables[name] = frame_from_rows(rows[0], clean_cells(body), 2, name, display, log, excel=True)
    except Exception as exc:
        log.error(path.name, None, None, f"the workbook cannot be read ({type(exc).__name__}: {exc})",
                  "an Excel .xlsx file", rule="unreadable")
        raise UnreadableFile(path.name) from None
    finally:
        wb.close()
    return tables
