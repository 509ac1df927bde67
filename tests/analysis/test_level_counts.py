"""analysis/descriptive.level_counts adds the counts of equal level texts with numpy (np.unique + np.add.at)
instead of a pandas groupby: the counts, their order, dtype and index are the groupby's, for text, whole
and fractional numbers, booleans, missing values, an empty column and values whose texts coincide."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oncoseries.analysis.descriptive import level_counts, level_text


def _reference(s: pd.Series) -> tuple[int, pd.Series]:
    """The former code: level texts of the present values, counted per text, sorted by text (groupby)."""
    levels = level_text(s.dropna())
    per = levels.value_counts()
    return int(s.isna().sum()), pd.Series(per.to_numpy(), index=pd.Index(per.index, dtype=object)).groupby(
        level=0, sort=True).sum()


CASES = {
    "text": pd.Series(["b", "a", None, "c", "a", "b", "a", "Z", "é"], dtype=object),
    "whole floats": pd.Series([2.0, 1.0, np.nan, 10.0, 2.0, 1.0]),
    "ints": pd.Series([3, 1, 2, 3, 3, 10, 1], dtype=np.int64),
    "nullable ints": pd.Series([3, None, 2, 3, 12], dtype="Int64"),
    "fractional": pd.Series([0.5, 1.25, 0.5, np.nan, 2.0]),
    "bools": pd.Series([True, False, True, True]),
    "all missing": pd.Series([None, None], dtype=object),
    "empty": pd.Series([], dtype=object),
    "numbers as text": pd.Series(["10", "9", "10", "1"], dtype=object),
    "one level": pd.Series(["x"] * 5, dtype=object),
}


@pytest.mark.parametrize("name", list(CASES))
def test_level_counts_equal_the_groupby(name):
    s = CASES[name]
    missing, counts = level_counts(s)
    ref_missing, ref = _reference(s)
    assert missing == ref_missing
    assert list(counts.index) == list(ref.index)
    assert counts.index.dtype == object
    assert counts.to_numpy().tolist() == ref.to_numpy().tolist()
    assert counts.dtype == np.int64


def test_equal_texts_are_added():
    """Two distinct values with one text (0.0 and -0.0 are equal to factorize; 1 and 1.0 in one float
    column are one value): counted once per text, the counts added."""
    s = pd.Series([1.0, 1, 0.0, -0.0, 2.0, 1.0])
    missing, counts = level_counts(s)
    assert missing == 0
    assert dict(counts) == {"0": 2, "1": 3, "2": 1}
