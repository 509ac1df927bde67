"""stats/design codes text levels through a dict (``_codes_of``) and finds a categorical column's categories
present from its codes: the levels and codes are those of ``pd.Categorical(values, categories=cats)`` and of
``[c for c in categories if (kept == c).any()]``, for text, categorical, boolean and numeric levels, missing
rows and a value outside the categories."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oncoseries.stats import design as D


def _reference(s: pd.Series, keep: np.ndarray, ref=None):
    """The former _factor_codes (pd.Categorical; categories present by comparison)."""
    sk = s[keep]
    values = sk.to_numpy(dtype=object)
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = [c for c in s.dtype.categories if (sk == c).any()]
    else:
        uniq = pd.unique(values)
        try:
            cats = sorted(uniq)
        except TypeError:
            cats = sorted(uniq, key=str)
    labels = [D._fmt_level(c) for c in cats]
    if ref is not None:
        i = labels.index(D._fmt_level(ref))
        cats = [cats[i]] + cats[:i] + cats[i + 1:]
        labels = [labels[i]] + labels[:i] + labels[i + 1:]
    return cats, labels, pd.Categorical(values, categories=cats).codes.astype(np.int64)


rng = np.random.default_rng(7)
TEXT = pd.Series(rng.choice(["yes", "no", "maybe", "ÿes"], 60).astype(object))
CASES = {
    "text": (TEXT, None),
    "text, reference": (TEXT, "no"),
    "categorical, a category absent": (TEXT.astype(pd.CategoricalDtype(["no", "never", "yes", "maybe", "ÿes"])),
                                       None),
    "categorical, ordered, reference": (TEXT.astype(pd.CategoricalDtype(["yes", "no", "maybe", "ÿes"],
                                                                        ordered=True)), "maybe"),
    "bool": (pd.Series(rng.random(60) > 0.5), None),
    "numbers as objects": (pd.Series(rng.integers(0, 3, 60).astype(object)), None),
    "numeric categories": (pd.Series(rng.integers(1, 4, 60)).astype("category"), None),
}


@pytest.mark.parametrize("name", list(CASES))
def test_factor_codes_equal_pandas_categorical(name):
    s, ref = CASES[name]
    keep = np.ones(len(s), dtype=bool)
    keep[::7] = False
    cats, labels, codes = D._factor_codes(s, keep, "x", ref)
    r_cats, r_labels, r_codes = _reference(s, keep, ref)
    assert cats == r_cats and labels == r_labels
    assert codes.dtype == np.int64 and codes.tolist() == r_codes.tolist()


def test_codes_of_text_is_categorical_s():
    values = np.array(["b", "a", None, "c", "a", "z"], dtype=object)
    cats = ["a", "b", "c"]
    expected = pd.Categorical(values, categories=cats).codes.astype(np.int64)
    assert D._codes_of(values, cats).tolist() == expected.tolist() == [1, 0, -1, 2, 0, -1]
    assert D._codes_of(np.array([], dtype=object), cats).tolist() == []
