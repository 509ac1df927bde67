"""Design (model) matrices for regression models, following R's ``model.matrix`` with ``na.omit``.

Rules (R): string/object, category and bool columns are factors coded with treatment contrasts,
coefficient names ``<column><level>`` (a logical ``x`` gives ``xTRUE``); the reference level is the
first level in sorted order (a pandas Categorical keeps its own category order) unless
``reference={"column": "level"}``; numeric columns enter as they are. Rows with a missing value in
any used column are dropped, as R's ``na.omit``, and reported.

Deliberate difference from R: levels that do not occur in the rows kept are dropped (R keeps unused
factor levels and reports an NA coefficient for them); a covariate with a single level or a single
distinct value is an error rather than an NA coefficient.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["Design", "model_matrix", "column_values", "missing_mask"]



@dataclass
class Design:
    """A design matrix and its bookkeeping.

    Attributes
    ----------
    X : ndarray, float64, shape (n_used, p)
        The design matrix (no intercept), rows in the original order of the data.
    columns : list of str
        Coefficient names, R's spelling (``sexmale``, ``flagTRUE``).
    terms : dict
        Term (data column) -> list of column indices into ``X``.
    row_mask : ndarray of bool
        Over the rows of the data: True for rows kept.
    dropped_index : list
        Index labels of the rows dropped for missing values.
    levels : dict
        Term -> list of levels (reference first) for categorical terms.
    ranges : ndarray, shape (p, 2), optional
        Minimum and maximum of each column of ``X`` (dummy columns: 0 and 1), found while checking
        the covariates; the Cox engine reuses them for R's centring rule instead of another pass.
    """

    X: np.ndarray
    columns: list
    terms: dict
    row_mask: np.ndarray
    dropped_index: list
    levels: dict = field(default_factory=dict)
    ranges: np.ndarray | None = None
    #: with ``X`` None (``model_matrix_deferred``): one 1-D float64 array per column, every row kept
    sources: list | None = None

    def fill(self, out: np.ndarray, run2=None) -> np.ndarray:
        """Copy the deferred columns into ``out`` (n x p, column-major), which becomes ``X``;
        ``run2(f, a, b)`` may run ``f(*a)`` and ``f(*b)`` in two threads (half the columns each)."""
        cols = self.sources

        def part(j0, j1):
            for j in range(j0, j1):
                out[:, j] = cols[j]

        if run2 is None:
            part(0, len(cols))
        else:
            run2(part, (0, len(cols) // 2), (len(cols) // 2, len(cols)))
        self.X, self.sources = out, None
        return out

    @property
    def n_dropped(self) -> int:
        return len(self.dropped_index)


def _is_categorical(s: pd.Series) -> bool:
    dt = s.dtype
    if isinstance(dt, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dt):
        return True
    if pd.api.types.is_string_dtype(dt) or dt == object:
        return True
    if isinstance(dt, pd.ArrowDtype):
        import pyarrow as pa  # only reachable with Arrow-backed data

        t = dt.pyarrow_dtype
        return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_boolean(t) \
            or pa.types.is_dictionary(t)
    return False


def _missing_or_none(s: pd.Series) -> np.ndarray | None:
    """Missing-value mask, or ``None`` when a numpy integer or bool column cannot hold one."""
    dt = s.dtype
    if isinstance(dt, np.dtype):
        if dt.kind in "iub":
            return None
        if dt.kind == "f":
            return np.isnan(s.to_numpy())  # what isna does for float64, without the pandas pass
    return np.asarray(s.isna(), dtype=bool)


def missing_mask(s: pd.Series) -> np.ndarray:
    """Boolean array, True where the value is missing (None, NaN, NA, NaT)."""
    m = _missing_or_none(s)
    return np.zeros(len(s), dtype=bool) if m is None else m


def column_values(data: pd.DataFrame, name: str, what: str = "column") -> pd.Series:
    """The column ``name`` of ``data``; a clear error when it does not exist."""
    if not isinstance(name, str) and not np.isscalar(name):
        raise TypeError(f"{what} must be a column name, got {type(name).__name__}")
    if name not in data.columns:
        raise ValueError(f"{what} {name!r} is not a column of the data; columns are {list(data.columns)}")
    return data[name]


def numeric_values(s: pd.Series, name: str, what: str) -> np.ndarray:
    """A numeric column as float64 (no copy when it already is); a clear error otherwise."""
    dt = s.dtype
    if pd.api.types.is_bool_dtype(dt):
        return s.to_numpy(dtype=np.float64, na_value=np.nan)
    if pd.api.types.is_numeric_dtype(dt):
        if dt == np.float64:
            return s.to_numpy()
        return s.to_numpy(dtype=np.float64, na_value=np.nan)
    try:
        return pd.to_numeric(s).to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        raise ValueError(f"{what} {name!r} must be numeric; got values of dtype {dt}") from None


def _fmt_level(v) -> str:
    """R's as.character for a level: 1 not 1.0, TRUE/FALSE for logicals."""
    if isinstance(v, (bool, np.bool_)):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (float, np.floating)):
        return "%.15g" % v
    return str(v)


def _factor_codes(s: pd.Series, keep: np.ndarray, name: str, ref):
    """Levels (reference first) and integer codes of a categorical column over the kept rows."""
    sk = s[keep]
    if isinstance(s.dtype, pd.CategoricalDtype):   # the categories present, in their order (= (sk == c).any())
        used = sk.cat.codes.to_numpy()
        present = np.zeros(len(s.dtype.categories), dtype=bool)
        present[used[used >= 0]] = True
        cats = [c for c, p in zip(s.dtype.categories, present) if p]
        values = sk.to_numpy(dtype=object)
    else:
        values = sk.to_numpy(dtype=object)
        uniq = pd.unique(values)
        if all(isinstance(u, (bool, np.bool_)) for u in uniq):
            cats = sorted(uniq)  # FALSE before TRUE, as R's logical
        else:
            try:
                cats = sorted(uniq)
            except TypeError:
                cats = sorted(uniq, key=str)
    labels = [_fmt_level(c) for c in cats]
    if len(labels) != len(set(labels)):
        raise ValueError(f"covariate {name!r}: levels {labels} are not distinct as text")
    if ref is not None:
        ref_s = _fmt_level(ref)
        if ref_s not in labels:
            raise ValueError(f"reference level {ref!r} for covariate {name!r} not found; levels are {labels}")
        i = labels.index(ref_s)
        cats = [cats[i]] + cats[:i] + cats[i + 1:]
        labels = [labels[i]] + labels[:i] + labels[i + 1:]
    if len(cats) < 2:
        raise ValueError(
            f"covariate {name!r} has a single level ({labels[0] if labels else 'none'}) in the rows used; "
            "a factor needs at least two levels")
    codes = _codes_of(values, cats)
    if (codes < 0).any():  # pragma: no cover - every kept value is one of cats
        raise ValueError(f"covariate {name!r}: could not code its levels")
    return cats, labels, codes


def _codes_of(values: np.ndarray, cats: list) -> np.ndarray:
    """``pd.Categorical(values, categories=cats).codes`` as int64 (-1: not a category). Text levels are coded
    per distinct value through a dict: building the Categorical took about 0.2 ms, most of a small model
    matrix (49 Cox models of the bundled study); other levels (numbers, booleans, dates) keep pandas' rules."""
    if not all(type(c) is str for c in cats):
        return pd.Categorical(values, categories=cats).codes.astype(np.int64)
    pos = {c: i for i, c in enumerate(cats)}
    first, uniq = pd.factorize(values)           # missing values: -1, which stays -1
    return np.array([pos.get(u, -1) if type(u) is str else -1 for u in uniq] + [-1], dtype=np.int64)[first]


def _check_numeric(X, cols: list, names: list, ranges: np.ndarray) -> bool:
    """Numeric covariates must be finite and not constant: one min and one max pass per column
    (a column of the column-major X, or of the list of columns ``X``, is contiguous); the minimum and
    maximum go into ``ranges``. False when a column holds NaN (a missing value not removed yet)."""
    column = (lambda j: X[j]) if isinstance(X, list) else (lambda j: X[:, j])
    for j, name in zip(cols, names):
        if not column(j).size:
            return True
        lo, hi = column(j).min(), column(j).max()
        if np.isnan(lo) or np.isnan(hi):
            return False
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise ValueError(f"covariate {name!r} has infinite values")
        if lo == hi:
            raise ValueError(f"covariate {name!r} has a single value ({lo:g}) in the rows used")
        ranges[j] = lo, hi
    return True


def model_matrix(data, covariates: Sequence[str], reference: Mapping[str, object] | None = None,
                 also_required: Sequence[str] = ()) -> Design:
    """Build the design matrix of ``covariates`` as R's ``model.matrix`` (treatment contrasts).

    Parameters
    ----------
    data : pandas.DataFrame
        The data; numpy-, pandas- or Arrow-backed columns.
    covariates : sequence of str
        Column names. String/object, category and bool columns are categorical.
    reference : dict, optional
        ``{"column": "level"}``: the reference level of a categorical covariate (default: the first
        level in sorted order, or a Categorical's own first category).
    also_required : sequence of str
        Further columns (time, event, strata, ...) whose missing values also drop the row (na.omit).

    Returns
    -------
    Design
    """
    return _quick_then_complete(data, covariates, reference, also_required, defer=False)


def model_matrix_deferred(data, covariates: Sequence[str], reference: Mapping[str, object] | None = None,
                          also_required: Sequence[str] = ()) -> Design:
    """``model_matrix`` without its copy when no row is dropped: ``X`` is None and ``sources`` holds
    each column (the data's own float64 columns, read only; dummy columns of a factor), checked as
    ``model_matrix`` checks them. The Cox engine sorts the columns straight from there and later
    fills ``X`` into the buffer of its sorted copy (``Design.fill``): one n x p array per fit instead
    of two. With dropped rows the design is copied as usual."""
    return _quick_then_complete(data, covariates, reference, also_required, defer=True)


def _quick_then_complete(data, covariates, reference, also_required, defer: bool) -> Design:
    """The arguments checked, then ``_model_matrix`` without the missing-value pass of float columns, and
    with it when one of them holds a NaN (or an error was found)."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    if isinstance(covariates, str):
        covariates = [covariates]
    covariates = list(covariates)
    if len(set(covariates)) != len(covariates):
        raise ValueError(f"covariates contain duplicates: {covariates}")
    reference = dict(reference or {})
    for k in reference:
        if k not in covariates:
            raise ValueError(f"reference given for {k!r}, which is not one of the covariates {covariates}")
    try:
        return _model_matrix(data, covariates, reference, also_required, nan_pass=False, defer=defer)
    except (_MissingFloat, ValueError):
        pass
    # a float covariate holds NaN (or the data are in error): again, with every column's missing-value
    # pass first, so the rows used and any message are those of the complete rule
    return _model_matrix(data, covariates, reference, also_required, nan_pass=True, defer=defer)


class _MissingFloat(Exception):
    """A float covariate has missing values: the quick path (no NaN pass before the copy) is redone."""


def _model_matrix(data, covariates, reference, also_required, nan_pass: bool, defer: bool = False) -> Design:
    """model_matrix's work. With ``nan_pass`` False, float64 covariates skip the missing-value pass:
    a NaN shows in the column's minimum or maximum, taken anyway after the copy (then _MissingFloat)."""
    series = {c: column_values(data, c, "covariate") for c in covariates}
    n = len(data)
    miss = None
    for c in list(covariates) + [c for c in also_required if c is not None]:
        s = series[c] if c in series else column_values(data, c)
        if c in series and s.dtype == np.float64 and not nan_pass:
            continue  # a float covariate's NaNs show in its min and max, taken after the copy below
        m = _missing_or_none(s)
        if m is not None and m.any():
            miss = m if miss is None else (miss | m)
    keep = np.ones(n, dtype=bool) if miss is None else ~miss
    n_used = n if miss is None else int(keep.sum())
    if n_used == 0:
        raise ValueError("no rows left after removing rows with missing values")

    blocks, columns, terms, levels = [], [], {}, {}
    numeric = []  # (column of X, name) of numeric covariates, checked together below
    for c in covariates:
        s = series[c]
        start = len(columns)
        if _is_categorical(s):
            cats, labels, codes = _factor_codes(s, keep, c, reference.get(c))
            levels[c] = labels
            k = len(cats) - 1
            block = np.zeros((n_used, k))
            rows = np.flatnonzero(codes > 0)
            block[rows, codes[rows] - 1] = 1.0
            blocks.append(block)
            columns.extend(f"{c}{lab}" for lab in labels[1:])
        else:
            if c in reference:
                raise ValueError(f"reference given for numeric covariate {c!r}; only categorical "
                                 "(string, category or bool) covariates have levels")
            numeric.append((len(columns), c))
            blocks.append(numeric_values(s, c, "covariate"))  # full length; rows selected when copied
            columns.append(str(c))
        terms[c] = list(range(start, len(columns)))

    p = len(columns)
    ranges = np.zeros((p, 2))
    ranges[:, 1] = 1.0  # dummy columns hold 0 and 1
    if defer and n_used == n:
        sources = []
        for b in blocks:
            if b.ndim == 1:
                sources.append(np.asarray(b, dtype=np.float64))
            else:
                sources.extend(b[:, i] for i in range(b.shape[1]))
        if numeric and not _check_numeric(sources, [j for j, _ in numeric], [c for _, c in numeric], ranges):
            raise _MissingFloat
        return Design(X=None, columns=columns, terms=terms, row_mask=keep, dropped_index=[], levels=levels,
                      ranges=ranges if n_used else None, sources=sources)
    # one copy of the numeric block: column-major, so each column is one contiguous copy
    X = np.empty((p, n_used), dtype=np.float64).T
    j = 0
    for b in blocks:
        if b.ndim == 1:
            if n_used < n:
                np.compress(keep, b, out=X[:, j])
            else:
                X[:, j] = b
            j += 1
        else:
            X[:, j:j + b.shape[1]] = b
            j += b.shape[1]
    if numeric:
        if not _check_numeric(X, [j for j, _ in numeric], [c for _, c in numeric], ranges):
            raise _MissingFloat
    dropped = [] if miss is None else list(data.index[miss])
    return Design(X=X, columns=columns, terms=terms, row_mask=keep, dropped_index=dropped, levels=levels,
                  ranges=ranges if n_used else None)
