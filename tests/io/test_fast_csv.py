"""io/fast_csv.write_csv writes the bytes of DataFrame.to_csv(index=False, ...) (random frames, edge cases)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from oncoseries.io import fast_csv
from oncoseries.io.fast_csv import write_csv

TEXT = st.one_of(st.none(), st.sampled_from(["", "a", "HDIFO-001", 'say "hi"', "x,y", "two\nlines", " sp ",
                                              "NA", "é", "0", "1.0"]), st.text(max_size=6))
FLOATS = st.one_of(st.just(np.nan), st.floats(allow_nan=False, allow_infinity=True, width=64),
                   st.sampled_from([0.0, 1.0, 12.5, 1e-5, 1e16, 1 / 3]))
DATES = st.one_of(st.none(), st.datetimes(min_value=pd.Timestamp("1900-01-01").to_pydatetime(),
                                           max_value=pd.Timestamp("2200-01-01").to_pydatetime()))


@pytest.fixture(autouse=True)
def _small_blocks(monkeypatch):
    monkeypatch.setattr(fast_csv, "MIN_ROWS", 0)      # exercise the fast path on small frames
    monkeypatch.setattr(fast_csv, "BLOCK", 7)         # and several blocks


def _same(df, tmp_path, **kw):
    a, b = tmp_path / "fast.csv", tmp_path / "pandas.csv"
    write_csv(df, a, **kw)
    df.to_csv(b, index=False, **kw)
    assert a.read_bytes() == b.read_bytes()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_random_frames_same_bytes_as_pandas(tmp_path, data):
    n = data.draw(st.integers(0, 30))
    cols = {
        "patient_id": data.draw(st.lists(TEXT, min_size=n, max_size=n)),
        "aval": data.draw(st.lists(FLOATS, min_size=n, max_size=n)),
        "n": data.draw(st.lists(st.integers(-10**12, 10**12), min_size=n, max_size=n)),
        "adt": pd.to_datetime(data.draw(st.lists(DATES, min_size=n, max_size=n))),
        "flag": data.draw(st.lists(st.booleans(), min_size=n, max_size=n)),
    }
    df = pd.DataFrame(cols).astype({"aval": "float64", "n": "int64", "flag": bool, "patient_id": object})
    df["aval"] = df["aval"].where(df["aval"] != 0, 0.0)       # -0.0 is covered below
    df["maybe_int"] = pd.array(data.draw(st.lists(st.one_of(st.none(), st.integers(-5, 5)), min_size=n,
                                                  max_size=n)), dtype="Int64")
    df["cat"] = pd.Categorical(data.draw(st.lists(st.sampled_from(["CR", "PR", None]), min_size=n, max_size=n)))
    order = data.draw(st.permutations(list(df.columns)))
    _same(df[order], tmp_path, date_format="%Y-%m-%d")
    _same(df[order], tmp_path)


def test_edge_cases_fall_back_or_match(tmp_path):
    df = pd.DataFrame({"a": [1, 1.0, "1", None, True], "b": [-0.0, 0.0, np.nan, 2.0, 3.0]})  # mixed objects
    _same(df, tmp_path)
    _same(pd.DataFrame({"b": [-0.0, 0.0, np.nan, 2.0, 3.0], "c": ["", "", "x", None, '"']}), tmp_path)
    _same(pd.DataFrame({"only": ["", None, "a"]}), tmp_path)                      # one column: pandas quotes ""
    _same(pd.DataFrame({"a": [], "b": []}), tmp_path)
    _same(pd.DataFrame({"a": ["x", None], "b": [np.nan, 1.5]}), tmp_path, na_rep="NA")
    _same(pd.DataFrame({"a": ["x", "y"], "b": [1.23456, np.nan]}), tmp_path, float_format="%.2f")
    _same(pd.DataFrame({"t": pd.to_datetime(["2020-01-01 10:00", None]), "u": [1, 2]}), tmp_path)
