"""Turn raw string tables into typed columns, reporting every cell that does not fit (vectorised).

Dates are ISO ``YYYY-MM-DD`` (a time part is ignored); Excel date cells arrive as ISO text from the
reader, and bare Excel serial day numbers are accepted in workbook cells only.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pandas as pd

from ..problems import ProblemLog
from .layout import Column, TableSpec
from .readers import RawTable, by_unique

ISO_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_BOOL_TRUE = {"true", "t", "yes", "y", "1", "checked"}
_BOOL_FALSE = {"false", "f", "no", "n", "0", "unchecked"}
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def code_key(value: str) -> str:
    """Normalise a code for matching: lower case, separators to underscores ('Non-target' -> non_target)."""
    return re.sub(r"[^a-z0-9/]+", "_", value.strip().lower()).strip("_")


def _code_lookup(codes: tuple[str, ...]) -> dict[str, str]:
    table = {code_key(c): c for c in codes}
    if "NON-CR/NON-PD" in codes:
        for alias in ("noncr/nonpd", "non_cr/non_pd", "non_cr_non_pd", "noncr_nonpd", "non_cr/nonpd"):
            table[alias] = "NON-CR/NON-PD"
    if "too_small" in codes:
        table["too_small_to_measure"] = "too_small"
    if "unequivocal_progression" in codes:
        table["unequivocal"] = "unequivocal_progression"
        table["progression"] = "unequivocal_progression"
    return table


def _report(log: ProblemLog, raw: RawTable, mask: np.ndarray, column: str, values: pd.Series,
            template: str, expected: str, rule: str, severity: str = "error") -> None:
    idx = np.flatnonzero(mask)
    if not len(idx):
        return
    if raw.parts:  # a folder of part files: each problem names its part (io/parquet.py)
        files = raw.df["_file"].to_numpy()[idx]
        for file in dict.fromkeys(files):
            sub = np.zeros(len(mask), dtype=bool)
            sub[idx[files == file]] = True
            _report(log, replace(raw, file=file, parts=False), sub, column, values, template, expected, rule,
                    severity)
        return
    pids = text_cells(raw.df["patient_id"].iloc[idx[:25]]) if "patient_id" in raw.df.columns else None
    msgs = [template.format(value=v) for v in text_cells(values.iloc[idx[:25]])] + \
        [template.format(value="")] * max(0, len(idx) - 25)
    log.add_rows(severity, raw.file, raw.rows_of(column)[idx], raw.label(column), msgs, expected, rule,
                 None if pids is None else list(pids.iloc[:25]) + [None] * max(0, len(idx) - 25))


def text_cells(s: pd.Series, copy: bool = True) -> pd.Series:
    """A raw column as object cells (None for missing): a Categorical column of the study readers
    (``io.fast_read.distinct_as_categorical``) is taken from its categories, one string per distinct value."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        table = np.append(s.cat.categories.to_numpy(dtype=object), None)
        return pd.Series(table[s.cat.codes.to_numpy()], index=s.index, dtype=object)
    return s.astype(object, copy=copy)


#: Text columns kept as categoricals in the typed table (study.compact_text's form: categories in order of
#: first appearance, no unused ones); typed straight from the readers' Categorical cells, no object pass.
COMPACT = {"lesions": ("role", "state", "organ", "lesion_id")}
#: Patient ids kept as the readers' Categorical in the typed table (10^7 lesion rows: validation, the
#: patient flow and RECIST find each row's patient through the 10^6 distinct ids, not the 10^7 cells).
CATEGORICAL_IDS = {"lesions": ("patient_id",)}
_COMPACT_MAX = 2 ** 15


def compact_codes(codes: np.ndarray, names, index) -> pd.Series:
    """Codes into ``names`` (-1: missing) as the categorical ``study.compact_text`` makes of the same cells
    (categories in order of first appearance, unused ones dropped; more than 2^15 distinct values: object
    cells)."""
    names = np.asarray(names, dtype=object)
    k = len(names)
    if k <= 32:      # a few codes: one vectorised comparison each
        first = []
        for c in range(k):
            hit = codes == c
            i = int(hit.argmax())
            if hit[i]:
                first.append((i, c))
        order = np.array([c for _, c in sorted(first)], dtype=np.int64)
    else:
        order = pd.unique(codes[codes >= 0]).astype(np.int64)
    if len(order) > _COMPACT_MAX:
        return pd.Series(np.append(names, None)[codes], index=index, dtype=object)
    remap = np.full(k + 1, -1, dtype=np.int64)
    remap[order] = np.arange(len(order))
    new = remap[codes]
    return pd.Series(pd.Categorical.from_codes(new, categories=pd.Index(names[order], dtype=object)), index=index)


def _distinct(s: pd.Series, func, missing) -> pd.Series:
    """``func`` (a pandas string method chain) on the distinct cells only, as text; ``missing`` where the
    cell is missing (registry tables repeat their codes and dates millions of times)."""
    if isinstance(s.dtype, pd.CategoricalDtype):   # the readers' Categorical: the categories are the distinct cells
        return pd.Series(_per_category(s, func, missing, object), index=s.index, dtype=object)
    out = by_unique(s, lambda u: func(u.astype("string")).astype(object))
    return out.where(s.notna(), missing) if missing is not None else out


def _per_category(s: pd.Series, func, missing, dtype) -> np.ndarray:
    """``func`` (a pandas string method chain) on the categories of a categorical column, taken back to
    every row (``missing`` for a missing cell), as an array of ``dtype``."""
    cats = pd.Series(s.cat.categories.to_numpy(dtype=object), dtype=object).astype("string")
    done = np.asarray(func(cats).astype(object), dtype=object) if len(cats) else np.zeros(0, dtype=object)
    table = np.append(done, np.array([missing], dtype=object)).astype(dtype)
    return table[s.cat.codes.to_numpy()]


def _typed_by_unique(s: pd.Series, func, dtype: str) -> pd.Series:
    """``func`` (returning ``dtype`` values, NaN/NaT for unreadable) on the distinct cells only, taken back
    to every row as a typed column (missing cells NaN/NaT); no per-cell Python objects."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    done = np.asarray(func(pd.Series(uniques, dtype=object)), dtype=dtype) if len(uniques) else \
        np.zeros(0, dtype=dtype)
    table = np.append(done, np.array([np.nan if dtype == "float64" else "NaT"], dtype=dtype))
    return pd.Series(table[codes], index=s.index)


def _numbers(u: pd.Series) -> np.ndarray:
    return pd.to_numeric(u, errors="coerce").astype("float64").to_numpy()


def _iso_dates(u: pd.Series) -> pd.Series:
    head = u.astype(str).str.extract(ISO_DATE, expand=False)
    return pd.to_datetime(head, format="%Y-%m-%d", errors="coerce")


def date_text(s: pd.Series) -> pd.Series:
    """Typed dates (a Parquet date32 column) as the ISO text a CSV cell holds, None for a missing one; one
    string per distinct date."""
    codes, uniques = pd.factorize(s.to_numpy().astype("datetime64[D]"), use_na_sentinel=True)
    text = np.append(np.datetime_as_string(np.asarray(uniques, dtype="datetime64[D]"), unit="D").astype(object),
                     None)
    return pd.Series(text[codes], index=s.index, dtype=object)


_NS_FIRST, _NS_LAST = np.datetime64("1677-09-22", "D"), np.datetime64("2262-04-11", "D")


def _typed_dates(raw: RawTable, column: str, s: pd.Series, log: ProblemLog) -> pd.Series:
    """Dates that arrived typed (Parquet date32): used as they are; a date outside pandas' range
    (1677-09-22 to 2262-04-11) is reported like the same text in a CSV ('0001-01-01' is not a date)."""
    days = s.to_numpy().astype("datetime64[D]")
    ok = (days >= _NS_FIRST) & (days <= _NS_LAST)        # NaT compares False
    out = np.full(len(days), np.datetime64("NaT"), dtype="datetime64[ns]")
    out[ok] = days[ok].astype("datetime64[ns]")
    bad = ~np.isnat(days) & ~ok
    if bad.any():
        _report(log, raw, bad, column, date_text(s), "'{value}' is not a date", "a date as YYYY-MM-DD",
                "unparseable-date")
    return pd.Series(out, index=s.index)


def parse_dates(raw: RawTable, column: str, log: ProblemLog) -> pd.Series:
    """ISO dates (and Excel serials in workbooks) to datetime64; bad cells reported."""
    s = raw.df[column]
    if pd.api.types.is_datetime64_any_dtype(s.dtype):   # typed Parquet dates: no text round trip
        return _typed_dates(raw, column, s, log)
    present = s.notna().to_numpy()
    out = _typed_by_unique(s, lambda u: _iso_dates(u).to_numpy(dtype="datetime64[ns]"), "datetime64[ns]")
    if raw.excel:
        serial = pd.to_numeric(s.where(out.isna()), errors="coerce")
        ok = serial.between(1, 100000) & (serial == np.floor(serial))  # 1900..2173: timedelta64[ns] spans 106751 d
        if ok.any():
            out = out.where(~ok, _EXCEL_EPOCH + pd.to_timedelta(serial.where(ok), unit="D"))
    bad = present & out.isna().to_numpy()
    if bad.any():
        text = s.astype("string")
        ambiguous = text.str.match(r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}$").fillna(False).to_numpy()
        _report(log, raw, bad & ambiguous, column, s,
                "'{value}' is not an ISO date (day/month order is ambiguous)", "a date as YYYY-MM-DD",
                "unparseable-date")
        _report(log, raw, bad & ~ambiguous, column, s, "'{value}' is not a date", "a date as YYYY-MM-DD",
                "unparseable-date")
    return out.astype("datetime64[ns]")


def parse_numbers(raw: RawTable, col: Column, log: ProblemLog) -> pd.Series:
    """Numbers (a decimal comma is read as a point, with one warning per column)."""
    s = raw.df[col.name]
    present = s.notna().to_numpy()
    num = _typed_by_unique(s, _numbers, "float64")
    if isinstance(s.dtype, pd.CategoricalDtype):
        comma = num.isna() & _per_category(s, lambda u: u.str.fullmatch(r"-?\d+,\d+"), False, bool)
    else:
        comma = num.isna() & _distinct(s, lambda u: u.str.fullmatch(r"-?\d+,\d+"), False).astype(bool)
    if comma.any():
        num = num.where(~comma, pd.to_numeric(text_cells(s).where(comma).str.replace(",", ".", regex=False),
                                              errors="coerce"))
        first = int(np.flatnonzero(comma.to_numpy())[0])
        log.warning(raw.df["_file"].iloc[first] if raw.parts else raw.file, raw.rows_of(col.name)[first], raw.label(col.name),
                    "decimal commas (e.g. '12,5') were read as decimal points", "numbers like 12.5",
                    rule="decimal-comma")
    num = num.astype("float64")
    values = num.to_numpy()
    bad = present & ~np.isfinite(values)
    _report(log, raw, bad, col.name, s, "'{value}' is not a number", _range_text(col), "not-a-number")
    ok = present & np.isfinite(values)
    if col.min_value is not None:
        low = ok & (values < col.min_value)
        rule = "negative-value" if col.min_value == 0 else "out-of-range"
        _report(log, raw, low, col.name, s, "'{value}' is below the allowed range", _range_text(col), rule)
        ok &= ~low
    if col.max_value is not None:
        high = ok & (values > col.max_value)
        _report(log, raw, high, col.name, s, "'{value}' is implausibly large", _range_text(col), "out-of-range")
        ok &= ~high
    if col.integer:
        frac = ok & (values != np.floor(np.where(ok, values, 0)))
        _report(log, raw, frac, col.name, s, "'{value}' is not a whole number", _range_text(col), "not-integer")
        ok &= ~frac
    return pd.Series(np.where(ok, values, np.nan), index=s.index)


def _range_text(col: Column) -> str:
    kind = "a whole number" if col.integer else "a number"
    if col.min_value is not None and col.max_value is not None:
        return f"{kind} from {col.min_value:g} to {col.max_value:g}"
    if col.min_value is not None:
        return f"{kind} >= {col.min_value:g}"
    return kind


def parse_codes(raw: RawTable, col: Column, log: ProblemLog, compact: bool = False) -> pd.Series:
    """Codes matched case-insensitively (e.g. 'Non-target' -> non_target); unknown codes listed.
    ``compact``: a Categorical raw column gives the categorical of ``compact_codes``."""
    s = raw.df[col.name]
    lookup = _code_lookup(col.codes or ())
    if isinstance(s.dtype, pd.CategoricalDtype):   # each distinct text once, then taken by code
        codes = s.cat.codes.to_numpy()
        table = np.array([lookup.get(code_key(str(u))) for u in s.cat.categories] + [None], dtype=object)
        bad = (codes >= 0) & np.append(pd.isna(table[:-1]), False)[codes]
        _report(log, raw, bad, col.name, s, "unknown code '{value}'", f"one of: {', '.join(col.codes or ())}",
                "unknown-code")
        if compact:
            to_code, names = pd.factorize(table[:-1], use_na_sentinel=True)
            return compact_codes(np.append(to_code, -1)[codes], names, s.index)
        return pd.Series(table[codes], index=s.index, dtype=object)
    by_text = {u: lookup.get(code_key(str(u))) for u in s.dropna().unique()}
    out = s.map(by_text)
    bad = (s.notna() & out.isna()).to_numpy()
    allowed = ", ".join(col.codes or ())
    _report(log, raw, bad, col.name, s, "unknown code '{value}'", f"one of: {allowed}", "unknown-code")
    return out.astype(object).where(out.notna(), None)


def parse_bools(raw: RawTable, column: str, log: ProblemLog) -> pd.Series:
    s = raw.df[column]
    if isinstance(s.dtype, pd.CategoricalDtype):   # decided per category, taken to the rows
        yes = _per_category(s, lambda u: u.str.lower().isin(_BOOL_TRUE), False, bool)
        no = _per_category(s, lambda u: u.str.lower().isin(_BOOL_FALSE), False, bool)
        out = pd.Series(pd.arrays.BooleanArray(yes, ~(yes | no)), index=s.index)
        bad = (s.notna() & out.isna()).to_numpy()
        _report(log, raw, bad, column, s, "'{value}' is not true/false", "true or false (yes/no, 1/0)",
                "not-boolean")
        return out
    low = _distinct(s, lambda u: u.str.lower(), None)
    out = pd.Series(pd.NA, index=s.index, dtype="boolean")
    out[low.isin(_BOOL_TRUE).fillna(False).to_numpy()] = True
    out[low.isin(_BOOL_FALSE).fillna(False).to_numpy()] = False
    bad = (s.notna() & out.isna()).to_numpy()
    _report(log, raw, bad, column, s, "'{value}' is not true/false", "true or false (yes/no, 1/0)",
            "not-boolean")
    return out


def parse_new_flag(raw: RawTable, column: str, log: ProblemLog) -> pd.Series:
    """The new-lesions component of an assessment: yes / no / equivocal."""
    s = raw.df[column]
    low = _distinct(s, lambda u: u.str.lower().str.strip(), None)
    mapping = {**{k: "yes" for k in _BOOL_TRUE | {"pd", "y"}}, **{k: "no" for k in _BOOL_FALSE | {"none"}},
               "equivocal": "equivocal", "unequivocal": "yes"}
    out = low.map(mapping)
    bad = (s.notna() & out.isna()).to_numpy()
    _report(log, raw, bad, column, s, "'{value}' is not a new-lesion flag", "yes, no or equivocal",
            "unknown-code")
    return out.astype(object).where(out.notna(), None)


def type_table(raw: RawTable, spec: TableSpec, log: ProblemLog) -> pd.DataFrame | None:
    """Typed copy of a raw table, or None when a required column is missing."""
    missing = [c for c in spec.required if c not in raw.df.columns]
    for name in missing:
        log.error(raw.file, raw.header_row, name, f"required column '{name}' is missing",
                  f"columns {', '.join(spec.required)}", rule="missing-column")
    if missing:
        return None
    out = {"_row": raw.rows}
    for name in raw.df.columns:   # typed dates (Parquet) where no date is expected: as the ISO text of a CSV
        if pd.api.types.is_datetime64_any_dtype(raw.df[name].dtype) and not (
                name in spec.by_name and spec.by_name[name].kind == "date"):
            raw.df[name] = date_text(raw.df[name])
    # text columns are shared with the raw table, which the caller frees after typing (a registry's
    # tables are 10^7 rows); the raw patients table is kept (read again later), so its cells are copied
    share = raw.name != "patients"
    compact = [c for c in COMPACT.get(raw.name, ()) if c in raw.df.columns
               and isinstance(raw.df[c].dtype, pd.CategoricalDtype)]
    for col in spec.columns:
        if col.name not in raw.df.columns:
            continue
        if col.kind == "date":
            out[col.name] = parse_dates(raw, col.name, log)
        elif col.kind in ("number", "int"):
            out[col.name] = parse_numbers(raw, col, log)
        elif col.kind == "code":
            out[col.name] = parse_codes(raw, col, log, compact=col.name in compact)
        elif col.kind == "bool":
            out[col.name] = parse_bools(raw, col.name, log)
        elif col.kind == "new_flag":
            out[col.name] = parse_new_flag(raw, col.name, log)
        elif col.name in CATEGORICAL_IDS.get(raw.name, ()) and isinstance(raw.df[col.name].dtype,
                                                                          pd.CategoricalDtype):
            out[col.name] = raw.df[col.name]
        elif col.name in compact:
            raw_col = raw.df[col.name]
            out[col.name] = compact_codes(raw_col.cat.codes.to_numpy(), raw_col.cat.categories, raw_col.index)
        else:
            out[col.name] = text_cells(raw.df[col.name], copy=not share)
        if col.required and not col.allow_empty:
            empty = raw.df[col.name].isna().to_numpy()
            if empty.any():
                _report(log, raw, empty, col.name, raw.df[col.name], "the cell is empty",
                        f"a value in every row ({col.kind})", "empty-required")
    for name in raw.df.columns:
        if name not in spec.by_name:
            out[name] = infer_column(raw.df[name], share)
    for name, rows in raw.cell_rows.items():  # where each cell came from (validation names that row)
        if name in out:
            out[f"_row@{raw.label(name)}"] = rows
    return pd.DataFrame(out, index=raw.df.index, copy=False)   # one block per column, not a copy


def infer_column(s: pd.Series, share: bool = False) -> pd.Series:
    """A covariate: numeric when every present value is a number, else text (categorical)."""
    num = _typed_by_unique(s, _numbers, "float64")
    if s.notna().any() and (num.notna() == s.notna()).all() and np.isfinite(num.dropna()).all():
        return num.astype("float64")
    return text_cells(s, copy=not share)
