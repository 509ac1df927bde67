"""The pyarrow fast path of the CSV reader (io/fast_read.py) gives the same raw table and problems as the
pandas path, or leaves the file to it (random files: quotes, separators, missing tokens, BOM, CRLF)."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from oncoseries.io import readers
from oncoseries.io.fast_read import read_fast
from oncoseries.problems import ProblemLog

CELLS = st.one_of(st.sampled_from(["", "NA", " n/a ", ".", "P1", "2020-01-05", "12,5", "12.5", "Non-target",
                                   "é", '"quoted, comma"', '"say ""hi"""', '"two\nlines"', " x ", "true"]),
                  st.text(alphabet="abc 01-", max_size=4))


def _read(path, fast: bool, monkeypatch):
    monkeypatch.setattr(readers, "FAST_BYTES", 0 if fast else 10 ** 15)
    log = ProblemLog()
    try:
        raw = readers.read_csv_table(path, "patients", log)
    except readers.UnreadableFile:
        raw = None
    return raw, [p.to_dict() for p in log.problems]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_fast_path_same_as_pandas(tmp_path, monkeypatch, data):
    width = data.draw(st.integers(1, 4))
    sep = data.draw(st.sampled_from([",", ";", "\t"]))
    header = data.draw(st.lists(st.sampled_from(["patient_id", "Start Date", "x", "X", "", "_r", "a b"]),
                                min_size=width, max_size=width))
    rows = data.draw(st.lists(st.lists(CELLS, min_size=width, max_size=width), min_size=1, max_size=8))
    eol = data.draw(st.sampled_from(["\n", "\r\n"]))
    last_eol = data.draw(st.booleans())
    text = eol.join(sep.join(r) for r in [header] + rows) + (eol if last_eol else "")
    bom = data.draw(st.booleans())
    path = tmp_path / "patients.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    fast, fast_problems = _read(path, True, monkeypatch)
    slow, slow_problems = _read(path, False, monkeypatch)
    assert fast_problems == slow_problems
    assert (fast is None) == (slow is None)
    if slow is not None:
        pd.testing.assert_frame_equal(fast.df, slow.df)
        assert fast.rows.tolist() == slow.rows.tolist() and fast.labels == slow.labels


def test_unusual_files_go_to_pandas():
    assert read_fast("patient_id,x\nP1,1,2\n".encode()) is None          # ragged row
    assert read_fast("patient_id,x\nP1,\xe0\n".encode("cp1252")) is None   # not UTF-8
    assert read_fast('patient_id,x\nP1,"open\n'.encode()) is None          # unclosed quote
    assert read_fast(b"patient_id,x\n") is None                             # header only
    header, body, sep = read_fast("a;b\n x ;NA\n".encode())
    assert header == ["a", "b"] and sep == ";" and body.iloc[0].tolist() == ["x", None]


@pytest.mark.parametrize("n", [3])
def test_blank_lines_fall_back(tmp_path, monkeypatch, n):
    path = tmp_path / "patients.csv"
    path.write_text("patient_id,x\nP1,1\n\nP2,2\n")
    fast, p1 = _read(path, True, monkeypatch)
    slow, p2 = _read(path, False, monkeypatch)
    assert p1 == p2 and fast.rows.tolist() == slow.rows.tolist() == [2, 4]
