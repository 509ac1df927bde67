"""oncoseries.stats.design.model_matrix: R model.matrix rules (treatment contrasts, na.omit)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oncoseries.stats.design import Design, model_matrix


def frame():
    return pd.DataFrame({
        "age": [50.0, 61.0, np.nan, 70.0, 45.0, 58.0],
        "sex": ["male", "female", "female", None, "male", "female"],
        "grade": pd.Categorical(["G3", "G1", "G2", "G1", "G3", "G2"], categories=["G3", "G2", "G1"]),
        "flag": [True, False, True, False, True, True],
        "n": [1, 2, 3, 4, 5, 6],
    }, index=[10, 11, 12, 13, 14, 15])


def test_numeric_and_string_factor():
    d = model_matrix(frame(), ["age", "sex"])
    assert isinstance(d, Design)
    assert d.columns == ["age", "sexmale"]  # reference: first level in sorted order (female)
    assert d.levels == {"sex": ["female", "male"]}
    assert d.terms == {"age": [0], "sex": [1]}
    np.testing.assert_array_equal(d.row_mask, [True, True, False, False, True, True])
    assert d.dropped_index == [12, 13] and d.n_dropped == 2
    np.testing.assert_array_equal(d.X, [[50, 1], [61, 0], [45, 1], [58, 0]])
    assert d.X.dtype == np.float64


def test_categorical_keeps_category_order_and_reference_override():
    d = model_matrix(frame(), ["grade"])
    assert d.columns == ["gradeG2", "gradeG1"]
    np.testing.assert_array_equal(d.X, [[0, 0], [0, 1], [1, 0], [0, 1], [0, 0], [1, 0]])
    d2 = model_matrix(frame(), ["grade"], reference={"grade": "G1"})
    assert d2.columns == ["gradeG3", "gradeG2"] and d2.levels["grade"] == ["G1", "G3", "G2"]


def test_bool_is_logical_like_r():
    d = model_matrix(frame(), ["flag", "n"])
    assert d.columns == ["flagTRUE", "n"]
    np.testing.assert_array_equal(d.X[:, 0], [1, 0, 1, 0, 1, 1])


def test_unused_levels_dropped_after_na_omit():
    f = frame()
    f.loc[11, "grade"] = np.nan  # the only other G1 row besides 13 (dropped by sex)
    f.loc[13, "grade"] = "G1"
    d = model_matrix(f, ["sex", "grade"])
    assert d.columns == ["sexmale", "gradeG2"]


def test_also_required_drops_rows():
    f = frame()
    f["time"] = [1.0, np.nan, 3, 4, 5, 6]
    d = model_matrix(f, ["n"], also_required=["time"])
    assert d.dropped_index == [11]


def test_arrow_backed_columns():
    pytest.importorskip("pyarrow")
    f = frame()[["age", "sex", "n"]].convert_dtypes(dtype_backend="pyarrow")
    d = model_matrix(f, ["age", "sex", "n"])
    assert d.columns == ["age", "sexmale", "n"]
    np.testing.assert_array_equal(d.X[:, 1], [1, 0, 1, 0])


def test_errors():
    f = frame()
    with pytest.raises(ValueError, match="'zzz' is not a column"):
        model_matrix(f, ["zzz"])
    with pytest.raises(ValueError, match="single level"):
        model_matrix(f.assign(c="x"), ["c"])
    with pytest.raises(ValueError, match="single value"):
        model_matrix(f.assign(c=3.0), ["c"])
    with pytest.raises(ValueError, match="reference level 'G9'"):
        model_matrix(f, ["grade"], reference={"grade": "G9"})
    with pytest.raises(ValueError, match="numeric covariate 'age'"):
        model_matrix(f, ["age"], reference={"age": 50})
    with pytest.raises(ValueError, match="not one of the covariates"):
        model_matrix(f, ["age"], reference={"sex": "male"})
    with pytest.raises(ValueError, match="duplicates"):
        model_matrix(f, ["age", "age"])
    with pytest.raises(ValueError, match="infinite"):
        model_matrix(f.assign(age=np.inf), ["age"])
    with pytest.raises(TypeError, match="DataFrame"):
        model_matrix(f.to_numpy(), ["age"])
