"""Read study tables stored as Parquet: ``lesions.parquet`` or a folder ``lesions/part-*.parquet``.

Parquet cells are turned into the same strings a CSV holds (dates as ISO, numbers as text, booleans as
true/false) and then go through the same typing and validation as CSV, so a Parquet study gets the
same problems. Rows have no spreadsheet header here: row N is the N-th record of its file, counting
from 1; in a folder of parts each problem names the part file and the row within it (``_file``).
Parts are read in the order of their names (``part-0``, ``part-1``, ..., numbers compared as numbers).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..problems import ProblemLog
from .fast_read import distinct_as_categorical, distinct_as_objects
from .readers import RawTable, UnreadableFile, frame_from_rows

SUFFIX = ".parquet"


def _natural_key(path: Path) -> list:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path.name.lower())]


def parquet_parts(folder: Path) -> list[Path]:
    """The Parquet part files of a table folder, in natural name order (hidden files skipped)."""
    return sorted((f for f in folder.iterdir() if f.is_file() and f.suffix.lower() == SUFFIX
                   and not f.name.startswith((".", "_"))), key=_natural_key)


def _pyarrow(display: str, log: ProblemLog):
    try:
        import pyarrow.parquet as pq
    except ImportError:
        log.error(display, None, None, "reading Parquet needs the pyarrow package",
                  "pip install 'oncoseries[parquet]'", rule="unreadable")
        raise UnreadableFile(display) from None
    return pq


def _as_text(column, categorical: bool = False):
    """One Arrow column as the cleaned strings a CSV would hold (None for null), vectorised in Arrow
    and over the distinct values (dates and codes repeat: 10^7 rows hold few distinct strings);
    ``categorical``: as a Categorical of those strings (``fast_read.distinct_as_categorical``)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    t = column.type
    if pa.types.is_dictionary(t):
        column = column.cast(t.value_type)
        t = t.value_type
    if pa.types.is_date32(t) or pa.types.is_date64(t):
        # typed dates stay typed (datetime64[s], NaT for null): typing reads them without a text round trip
        # and turns them into the ISO text a CSV holds wherever the column is not a date (io/typing.py)
        return column.cast(pa.timestamp("s")).to_numpy(zero_copy_only=False)
    if pa.types.is_timestamp(t):
        if t.tz is not None:
            column = column.cast(pa.timestamp(t.unit))
        # midnight timestamps read as plain dates, like the XLSX reader does
        column = pc.strftime(column, format="%Y-%m-%d %H:%M:%S")
    elif pa.types.is_boolean(t):
        column = pc.if_else(column, "true", "false")
    elif pa.types.is_floating(t):
        # NaN is missing, like an empty CSV cell
        column = pc.if_else(pc.is_nan(column), pa.scalar(None, pa.string()), column.cast(pa.string()))
    elif not (pa.types.is_string(t) or pa.types.is_large_string(t)):
        column = column.cast(pa.string())
    if categorical:
        return distinct_as_categorical(column)
    return distinct_as_objects(column)   # cleaned like clean_cells; one str object per distinct value


def _release_arrow_memory() -> None:
    """Give the memory of freed Arrow buffers back to the system (pyarrow's pool keeps it for reuse; a
    registry's tables are read one after the other and the typed copies need that memory)."""
    import pyarrow as pa

    try:
        pa.default_memory_pool().release_unused()
    except AttributeError:   # older pyarrow
        pass


def _read_one(path: Path, display: str, name: str, log: ProblemLog, categorical: bool = False) -> RawTable:
    pq = _pyarrow(display, log)
    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for a broken or non-Parquet file
        log.error(display, None, None, f"not a readable Parquet file ({type(exc).__name__}: {exc})",
                  "a Parquet file", rule="unreadable")
        raise UnreadableFile(display) from None
    header = list(table.column_names)
    try:
        body = pd.DataFrame({j: _as_text(table.column(j), categorical) for j in range(len(header))}, copy=False)
    except Exception as exc:  # nested or binary columns cannot be cells of a study table
        log.error(display, None, None, f"a column cannot be read as text ({type(exc).__name__}: {exc})",
                  "columns of text, numbers, dates or booleans", rule="unreadable")
        raise UnreadableFile(display) from None
    del table
    _release_arrow_memory()
    if body.shape[1] == 0:
        log.error(display, None, None, "the file has no columns", "one column per field", rule="empty-file")
        raise UnreadableFile(display)
    return frame_from_rows(header, body, 1, name, display, log, excel=False, header_row=None)


def read_parquet_table(path: Path, name: str, log: ProblemLog, categorical: bool = False) -> RawTable:
    """A table from ``name.parquet`` or from the part files of the folder ``name/`` (``categorical``: text
    cells of a single file as Categoricals, see ``read_csv_table``; parts are combined as objects)."""
    if path.is_file():
        return _read_one(path, path.name, name, log, categorical)
    parts = parquet_parts(path)
    if not parts:
        log.error(f"{path.name}/", None, None, "the folder holds no .parquet files",
                  f"{path.name}/part-0.parquet, {path.name}/part-1.parquet, ...", rule="empty-file")
        raise UnreadableFile(path.name)
    tables = []
    for part in parts:
        try:
            tables.append(_read_one(part, f"{path.name}/{part.name}", name, log))
        except UnreadableFile:
            continue
    if len(tables) < len(parts):
        raise UnreadableFile(path.name)
    return combine_parts(tables, f"{path.name}/", name, log)


def combine_parts(tables: list[RawTable], display: str, name: str, log: ProblemLog) -> RawTable:
    """One raw table from part tables: the columns of all parts; each row keeps its file (``_file``)."""
    from .typing import date_text

    for t in tables:   # typed Parquet dates as their ISO text, like the cells of a CSV part
        for c in [c for c in t.df.columns if pd.api.types.is_datetime64_any_dtype(t.df[c].dtype)]:
            t.df[c] = date_text(t.df[c])
    columns = list(dict.fromkeys(c for t in tables for c in t.df.columns))
    for t in tables:
        missing = [c for c in columns if c not in t.df.columns]
        if missing and len(t.df):
            log.warning(t.file, None, ", ".join(t.label(c) for c in missing),
                        "this part lacks columns other parts have; its cells there are read as empty",
                        "the same columns in every part", rule="part-columns")
    df = pd.concat([t.df.reindex(columns=columns) for t in tables], ignore_index=True)
    df = df.astype(object).where(df.notna(), None)
    df["_file"] = np.repeat(np.array([t.file for t in tables], dtype=object), [len(t.df) for t in tables])
    rows = np.concatenate([t.rows for t in tables]) if tables else np.empty(0, dtype=np.int64)
    labels: dict[str, str] = {}
    for t in tables:
        for k, v in t.labels.items():
            labels.setdefault(k, v)
    return RawTable(name=name, file=display, df=df, rows=rows, labels=labels, parts=True,
                    header_row=None)


def _table_paths(folder: Path) -> dict[str, Path]:
    """Table name -> ``name.parquet`` file or ``name/`` folder holding .parquet parts."""
    from .layout import TABLE_NAMES
    from .readers import normalise_name

    found: dict[str, Path] = {}
    for f in sorted(folder.iterdir()):
        if f.name.startswith((".", "~$")):
            continue
        name = normalise_name(f.stem if f.is_file() else f.name)
        if name not in TABLE_NAMES:
            continue
        if (f.is_file() and f.suffix.lower() == SUFFIX) or (f.is_dir() and any(
                p.suffix.lower() == SUFFIX for p in f.iterdir())):
            found.setdefault(name, f)
    return found


def has_parquet_patients(folder: Path) -> bool:
    return "patients" in _table_paths(folder)


def parquet_tables(folder: Path, csvs: dict[str, Path], log: ProblemLog) -> dict[str, Path]:
    """The Parquet tables of a study folder; a table given both as CSV and as Parquet is an error."""
    found = _table_paths(folder)
    for name in [n for n in found if n in csvs]:
        log.error(found[name].name, None, None, f"the {name} table is given twice: as {csvs[name].name} and as "
                  f"{found[name].name}", "each table once, as CSV or as Parquet", rule="duplicate-table")
        del found[name]
    return found
