"""Fast path of the CSV reader for large files (registries): parse with pyarrow, keep strings shared.

``read_csv_table`` reads a file of ``FAST_BYTES`` or more through here. pyarrow's multi-threaded parser
reads every column as text (no type guessing, nothing read as missing), each column is dictionary-encoded
in Arrow, only the distinct texts are cleaned (``clean_cells``: stripped, missing tokens to None), and the
column becomes an object array pointing at one Python string per distinct value: the same cells as the
pandas path (``tests/io/test_fast_read.py`` compares them on random files) at a fraction of the time and
memory (pandas makes a string object per cell: 10^7 rows x 8 columns is about 8 GB).
Anything unusual (not UTF-8, ragged rows, blank lines, an unclosed quote, a parser error) returns None
and the pandas path reads the file, with its problems naming the row.
"""

from __future__ import annotations

import csv
import sys

import numpy as np
import pandas as pd

FAST_BYTES = 16 * 2 ** 20


def distinct_as_objects(column) -> np.ndarray:
    """An Arrow text column as an object array of cleaned cells (None = missing), one string per distinct
    value (the cleaning of ``readers.clean_cells``, applied to the dictionary only), interned
    (``sys.intern``) so that the same id in several tables is one object (10^6 patients, 6 tables)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    enc = pc.dictionary_encode(column)
    values = clean_dictionary(enc.dictionary)
    # interned: the ids of every table (patients, lesions, treatments, ...) point at one string each
    table = np.array([sys.intern(v) if type(v) is str else v for v in values] + [None], dtype=object)
    idx = enc.indices.fill_null(-1) if enc.indices.null_count else enc.indices
    return table[idx.to_numpy(zero_copy_only=False)]


def distinct_as_categorical(column) -> pd.Categorical:
    """An Arrow text column as a pandas Categorical of the cleaned cells (missing = code -1): the cells of
    ``distinct_as_objects`` without building the object array (one code of 1-4 bytes per cell). Cleaning
    may merge distinct texts (' a' and 'a'; 'NA' and ''): the codes are remapped onto the cleaned distinct
    values. The study readers keep the cells this way until typing (``io.typing``): missing cells and
    distinct values are then known without a pass over 10^7 Python strings."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    enc = pc.dictionary_encode(column)
    values = clean_dictionary(enc.dictionary)
    remap, uniq = pd.factorize(values, use_na_sentinel=True)
    cats = pd.Index([sys.intern(v) for v in uniq], dtype=object)   # the same id in several tables: one string
    n = len(cats)
    dtype = np.int8 if n < 2 ** 7 else np.int16 if n < 2 ** 15 else np.int32
    table = np.append(remap, -1).astype(dtype)
    idx = enc.indices.fill_null(-1) if enc.indices.null_count else enc.indices
    codes = table[idx.to_numpy(zero_copy_only=False)]
    try:     # the categories are distinct already (factorize): no second hash pass to check it
        cat_dtype = pd.CategoricalDtype._from_fastpath(cats, False)
    except (AttributeError, TypeError):
        cat_dtype = pd.CategoricalDtype(cats)
    return pd.Categorical.from_codes(codes, dtype=cat_dtype, validate=False)


_WHITESPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())   # what str.strip() removes
_EDGE_SPACE = "^[{0}]|[{0}]$".format("".join(f"\\x{{{ord(c):x}}}" for c in _WHITESPACE))
_TOKEN_LEN = 7    # the longest missing token ('missing', readers.MISSING_TOKENS)


def clean_dictionary(dictionary) -> np.ndarray:
    """The distinct texts of an Arrow column cleaned like ``readers.clean_cells`` (stripped; missing tokens
    to None), as an object array. Only texts that can change are cleaned in Python: those with white space
    at an edge (found in Arrow) or as short as a missing token; a registry's 10^6 patient ids are neither."""
    import pyarrow.compute as pc

    from .readers import MISSING_TOKENS, _clean_unique

    assert max(len(t) for t in MISSING_TOKENS) <= _TOKEN_LEN
    values = dictionary.to_numpy(zero_copy_only=False).astype(object, copy=False)
    maybe = pc.or_(pc.match_substring_regex(dictionary, _EDGE_SPACE),
                   pc.less_equal(pc.utf8_length(dictionary), _TOKEN_LEN))
    idx = np.flatnonzero(maybe.to_numpy(zero_copy_only=False))
    if len(idx) == len(values):
        return _clean_unique(pd.Series(values, dtype=object)).to_numpy(object)
    values = values.copy()
    values[idx] = _clean_unique(pd.Series(values[idx], dtype=object)).to_numpy(object)
    return values


def read_fast(data: bytes) -> tuple[list, pd.DataFrame, str] | None:
    """(header, body of cleaned object columns, delimiter) of a UTF-8 CSV, or None to use the pandas reader
    (also without pyarrow, an optional dependency: ``oncoseries[parquet]``)."""
    parsed = parse_fast(data)
    if parsed is None:
        return None
    header, columns, sep = parsed
    return header, object_body(columns), sep


def object_body(columns: list, categorical: bool = False) -> pd.DataFrame:
    """The parsed Arrow text columns (``parse_fast``) as a frame of cleaned object columns (``categorical``:
    of Categoricals, ``distinct_as_categorical``); each Arrow column is taken out of ``columns`` and freed
    once converted (a registry's lesions.csv is 1 GB of text)."""
    cols = {}
    convert = distinct_as_categorical if categorical else distinct_as_objects
    for j in range(len(columns)):
        col, columns[j] = columns[j], None
        cols[j] = convert(col)
        del col
    from .parquet import _release_arrow_memory

    _release_arrow_memory()
    return pd.DataFrame(cols, copy=False)


def parse_fast(data: bytes) -> tuple[list, list, str] | None:
    """(header, the body's columns as Arrow text arrays, delimiter) of a UTF-8 CSV, or None (see read_fast).
    The columns hold their own copy of the cells: the caller may free ``data`` before converting them."""
    try:
        import pyarrow as pa
        import pyarrow.csv as pcsv
    except ImportError:
        return None

    from .readers import _sniff_delimiter

    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:65536] or data.count(b'"') % 2:
        return None      # UTF-16, binary, or a quote never closed (pyarrow would accept it at the end)
    end = data.find(b"\n")
    try:
        first = data[: end if end >= 0 else len(data)].decode("utf-8")
    except UnicodeDecodeError:
        return None
    sep = _sniff_delimiter(first)
    width = len(next(csv.reader([first.rstrip("\r")], delimiter=sep, quotechar='"'), []))
    if not width:
        return None
    try:
        table = pcsv.read_csv(
            pa.BufferReader(data),
            read_options=pcsv.ReadOptions(autogenerate_column_names=True, block_size=1 << 24),
            parse_options=pcsv.ParseOptions(delimiter=sep, quote_char='"', double_quote=True,
                                            newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pcsv.ConvertOptions(column_types={f"f{j}": pa.string() for j in range(width)}, strings_can_be_null=False,
                                                quoted_strings_can_be_null=False, null_values=[],
                                                true_values=[], false_values=[], check_utf8=True,
                                                auto_dict_encode=False))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError, csv.Error):
        return None
    if table.num_rows < 2 or any(not pa.types.is_string(t) for t in table.schema.types):
        return None
    header_row = table.slice(0, 1).to_pylist()[0]
    header = [header_row[n] for n in table.column_names]
    body = table.slice(1)
    del table
    return header, [body.column(name) for name in body.column_names], sep
