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
