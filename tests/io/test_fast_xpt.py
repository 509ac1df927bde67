"""The column-wise XPT writer gives pyreadstat's bytes (apart from the time stamps), and reads back."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from oncoseries.io import fast_xpt
from oncoseries.io.fast_xpt import ibm_doubles, write_xport

STAMP = re.compile(rb"\d\d[A-Z]{3}\d\d:\d\d:\d\d:\d\d")


def _pyreadstat_bytes(df, path, date_cols, **args):
    x = df.copy()
    for c in date_cols:
        x[c] = [None if pd.isna(v) else v.date() for v in x[c]]
    for c in x.columns:
        if x[c].dtype == object and c not in date_cols:
            x[c] = ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in x[c]]
    pyreadstat.write_xport(x, str(path), file_format_version=5, **args)
    return path.read_bytes()


def frame(n, seed):
    rng = np.random.default_rng(seed)
    words = np.array(["", "CR", "PR", "Progressive disease", "NE", "Überprüfung", "x" * 40])
    text = words[rng.integers(0, len(words), n)].astype(object)
    text[rng.random(n) < 0.1] = None
    num = rng.normal(0, 10 ** rng.uniform(-8, 12, n)) * rng.choice([1, -1], n)
    num[rng.random(n) < 0.1] = np.nan
    num[rng.random(n) < 0.05] = 0.0
    dates = pd.Series(pd.to_datetime("2001-01-01") + pd.to_timedelta(rng.integers(-20000, 9000, n), "D"))
    dates[rng.random(n) < 0.1] = pd.NaT
    return pd.DataFrame({"USUBJID": text, "AVAL": num, "CNSR": rng.integers(0, 2, n), "ADT": dates,
                         "EMPTY": [""] * n})


@pytest.mark.parametrize("n,seed,block", [(1, 1, None), (7, 2, None), (333, 3, None), (5000, 4, None),
                                          (7, 2, 3), (333, 3, 7), (5000, 4, 1000)])
def test_bytes_equal_pyreadstat(tmp_path, monkeypatch, n, seed, block):
    if block:                          # the records built block by block (fast_xpt.BLOCK)
        monkeypatch.setattr(fast_xpt, "BLOCK", block)
    df = frame(n, seed)
    args = dict(file_label="Time-to-Event Analysis Dataset", table_name="ADTTE",
                column_labels={"USUBJID": "Unique Subject Identifier", "AVAL": "Analysis Value",
                               "CNSR": "Censor", "ADT": "Analysis Date", "EMPTY": None},
                variable_format={"ADT": "DATE9"})
    want = _pyreadstat_bytes(df, tmp_path / "want.xpt", ["ADT"], **args)
    write_xport(df, tmp_path / "got.xpt", ["ADT"], **args)
    got = (tmp_path / "got.xpt").read_bytes()
    assert len(got) == len(want)
    assert STAMP.sub(b"STAMP", got) == STAMP.sub(b"STAMP", want)
    back, meta = pyreadstat.read_xport(str(tmp_path / "got.xpt"))
    np.testing.assert_array_equal(back["AVAL"].to_numpy(), df["AVAL"].to_numpy())
    assert meta.column_labels[0] == "Unique Subject Identifier"


def test_ibm_doubles_known_values_and_limits():
    assert ibm_doubles(np.array([1.5]))[0] == 0x4118000000000000
    assert ibm_doubles(np.array([-2.25]))[0] == 0xC124000000000000
    assert ibm_doubles(np.array([1e10]))[0] == 0x492540BE40000000
    assert ibm_doubles(np.array([0.0]))[0] == 0
    assert ibm_doubles(np.array([np.nan]))[0] == 0x2E00000000000000
    with pytest.raises(ValueError, match="infinite"):
        ibm_doubles(np.array([np.inf]))
    with pytest.raises(ValueError, match="range"):
        ibm_doubles(np.array([1e300]))


@pytest.mark.parametrize("ncols", [1, 2, 3, 4, 5, 8])
@pytest.mark.parametrize("labelled", [True, False])
def test_header_records_equal_pyreadstat_s(tmp_path, ncols, labelled):
    """The header is made without pyreadstat (header_records) for cdisc_export's arguments: the same bytes
    for 1-8 variables (namestr records padded to whole records or not), text, numbers and dates, with
    and without labels, a data set label or a format."""
    base = frame(5, 9)
    cols = ["USUBJID", "AVAL", "ADT", "CNSR", "EMPTY", "X6", "X7", "X8"][:ncols]
    df = pd.DataFrame({c: base[c] if c in base.columns else np.arange(5.0) * len(c) for c in cols})
    date_cols = [c for c in cols if c == "ADT"]
    args = dict(table_name="ADX" if labelled else "A",
                column_labels={c: (f"Label of {c}" if labelled else None) for c in cols},
                variable_format={c: "DATE9" for c in date_cols})
    if labelled:
        args["file_label"] = "A data set label of forty characters ...."[:40]
    text = {c: fast_xpt.longest_text(df[c]) for c in cols if c not in date_cols and df[c].dtype == object}
    assert fast_xpt.header_records(cols, {c: max(1, len(t.encode())) for c, t in text.items()}, args) is not None
    want = _pyreadstat_bytes(df, tmp_path / "want.xpt", date_cols, **args)
    write_xport(df, tmp_path / "got.xpt", date_cols, **args)
    got = (tmp_path / "got.xpt").read_bytes()
    assert STAMP.sub(b"STAMP", got) == STAMP.sub(b"STAMP", want)


def test_header_falls_back_to_pyreadstat(tmp_path):
    """A label that is not ASCII, or a format header_records does not know, is left to pyreadstat's header:
    still pyreadstat's bytes."""
    df = frame(4, 5)
    for args in (dict(table_name="ADTTE", column_labels={"USUBJID": "Überprüfung"}),
                 dict(table_name="ADTTE", variable_format={"ADT": "YYMMDD10"}),
                 dict(table_name="ADTTE", file_label="Analyse über alles")):
        assert fast_xpt.header_records(list(df.columns), {"USUBJID": 40, "EMPTY": 1}, args) is None
        want = _pyreadstat_bytes(df, tmp_path / "want.xpt", ["ADT"], **args)
        write_xport(df, tmp_path / "got.xpt", ["ADT"], **args)
        assert STAMP.sub(b"STAMP", (tmp_path / "got.xpt").read_bytes()) == STAMP.sub(b"STAMP", want)
