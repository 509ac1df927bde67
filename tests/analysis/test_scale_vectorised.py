"""Vectorised replacements of per-row code (issue 17, registry scale) agree with the per-row originals."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings, strategies as st

from oncoseries.analysis.biomarkers import _as_levels


def _as_levels_per_row(values: pd.Series) -> pd.Series:
    """The original per-value implementation."""
    present = values.dropna()
    if pd.api.types.is_numeric_dtype(present) and not pd.api.types.is_bool_dtype(present) \
            and (present == present.round()).all():
        return values.map(lambda v: str(int(v)) if pd.notna(v) else None)
    return values.map(lambda v: str(v) if pd.notna(v) else None)


def _check(values: pd.Series) -> None:
    got, want = _as_levels(values), _as_levels_per_row(values)
    assert got.index.equals(want.index)
    assert [None if pd.isna(v) else v for v in got] == [None if pd.isna(v) else v for v in want]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["0", "1", "IHC 2+", "yes", ""])), max_size=20),
       st.lists(st.one_of(st.just(np.nan), st.integers(-3, 3).map(float), st.sampled_from([0.5, -0.0, 2.25])),
                max_size=20),
       st.lists(st.integers(-5, 5), max_size=20))
def test_as_levels_equals_per_row(text, floats, ints):
    _check(pd.Series(text, dtype=object))
    _check(pd.Series(floats, dtype="float64"))
    _check(pd.Series(ints, dtype="int64"))
    _check(pd.Series(ints, dtype="float64", index=np.arange(len(ints))[::-1]))
    _check(pd.Series([1, 1.0, "1", None, True][: len(ints)], dtype=object))        # mixed: value by value
    _check(pd.Series(pd.array([None if i < 0 else i for i in ints], dtype="Int64")))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.just(np.nan), st.sampled_from(["Neutropenia", "", "patient wish",
                                                                      "TOXICITY: renal", "delay", "Fever"]),
                          st.text(max_size=5)), max_size=25))
def test_is_toxicity_equals_per_row(reasons):
    from oncoseries.analysis.exposure import TOXICITY_WORDS, is_toxicity

    s = pd.Series(reasons, dtype=object, index=np.arange(len(reasons)) * 3)
    t = s.fillna("").astype(str).str.lower()
    want = t.apply(lambda v: any(k in v for k in TOXICITY_WORDS)).astype(bool)
    pd.testing.assert_series_equal(is_toxicity(s), want, check_names=False)


def _text_per_row(values: pd.Series) -> pd.Series:
    def one(v):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return None
        if isinstance(v, (float, np.floating)) and float(v).is_integer():
            return str(int(v))
        return str(v).strip()
    return values.map(one).astype(object)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.none(), st.just(np.nan), st.sampled_from([" a", "a", "B ", "1", "1.0", ""]),
                          st.integers(-2, 2), st.sampled_from([0.0, -0.0, 1.5, 2.0]), st.booleans()), max_size=20))
def test_level_text_equals_per_row(values):
    from oncoseries.analysis.labels import _text

    for s in (pd.Series(values, dtype=object),
              pd.Series([v for v in values if isinstance(v, str) or v is None], dtype=object),
              pd.Series([float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)],
                        dtype="float64")):
        got, want = _text(s), _text_per_row(s)
        assert got.tolist() == want.tolist() and got.index.equals(want.index)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["Neutropenia ", "anaemia", "Nausea", " THROMBOCYTOPENIA", "", "nan"]),
                max_size=20))
def test_term_group_equals_per_row(terms):
    from oncoseries.analysis.toxicity import HAEM, HAEMATOLOGICAL, NON_HAEM, term_group

    s = pd.Series(terms, dtype=object)
    want = np.where(s.astype(str).str.strip().str.lower().isin(HAEMATOLOGICAL), HAEM, NON_HAEM)
    assert term_group(s).tolist() == list(want)
