"""Property tests: random malformed CSV and XLSX input always yields problems or a usable Study,
never an unhandled exception (wrong types, missing cells, garbage bytes, huge values, BOMs, semicolons,
duplicate headers)."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oncoseries.study import validate_study
from tests.conftest import TODAY

PATIENT_COLS = ["patient_id", "start_date", "last_contact_date", "death_date", "progression_date", "age", "sex",
                "Patient_ID", "", "new_therapy_date"]
LESION_COLS = ["patient_id", "date", "lesion_id", "role", "diameter_mm", "state", "nodal", "organ", "DATE"]

cell = st.one_of(
    st.sampled_from(["", "NA", "P1", "P2", "P3", "2020-01-10", "2020-02-30", "2031-01-01", "01/02/2020",
                     "1999-12-31T10:00", "target", "non_target", "new", "absent", "equivocal", "yes", "-5",
                     "1e400", "nan", "inf", "12,5", "\ufeff", '"', "a;b", "a,b", "\n", "Ⅻ", "\x00"]),
    st.text(max_size=12),
    st.integers(min_value=-10**20, max_value=10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


def _csv_text(header, rows, sep):
    def q(v):
        v = str(v)
        return '"' + v.replace('"', '""') + '"' if any(c in v for c in (sep, '"', "\n", "\r")) else v
    return "\n".join(sep.join(q(v) for v in r) for r in [header, *rows]) + "\n"


table = st.tuples(
    st.lists(st.sampled_from(PATIENT_COLS), min_size=0, max_size=8),
    st.lists(st.lists(cell, min_size=0, max_size=9), max_size=6),
)
lesion_table = st.tuples(
    st.lists(st.sampled_from(LESION_COLS), min_size=0, max_size=8),
    st.lists(st.lists(cell, min_size=0, max_size=9), max_size=8),
)


def _assert_outcome(report):
    if report.usable:
        assert report.study is not None and len(report.study.patients) >= 0
        assert report.study.flow is not None
    else:
        assert report.errors, "an unusable study must say why"
        for p in report.errors:
            assert p.file and p.message


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(patients=table, lesions=st.one_of(st.none(), lesion_table), sep=st.sampled_from([",", ";", "\t"]),
       bom=st.booleans(), garbage=st.one_of(st.none(), st.binary(max_size=64)))
def test_random_csv_never_raises(patients, lesions, sep, bom, garbage):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        text = _csv_text(*patients, sep)
        data = ("\ufeff" + text if bom else text).encode("utf-8", errors="surrogatepass")
        if garbage is not None:
            data = data[: len(data) // 2] + garbage + data[len(data) // 2:]
        (folder / "patients.csv").write_bytes(data)
        if lesions is not None:
            (folder / "lesions.csv").write_text(_csv_text(*lesions, sep), encoding="utf-8", errors="surrogatepass")
        _assert_outcome(validate_study(folder, today=TODAY))


xcell = st.one_of(st.none(), st.text(max_size=10).filter(lambda s: not any(ord(c) < 32 for c in s)),
                  st.integers(min_value=-10**15, max_value=10**15), st.floats(allow_nan=False, allow_infinity=False),
                  st.booleans(), st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2100, 1, 1)),
                  st.sampled_from(["2020-01-10", "P1", "target", "12,5", "x"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(header=st.lists(st.sampled_from(PATIENT_COLS), max_size=7),
       rows=st.lists(st.lists(xcell, max_size=8), max_size=5),
       sheet=st.sampled_from(["patients", "Patients", "PATIENTS", "other"]))
def test_random_xlsx_never_raises(header, rows, sheet):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "study.xlsx"
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = sheet
        ws.append(header or [None])
        for r in rows:
            ws.append(r)
        wb.save(path)
        _assert_outcome(validate_study(path, today=TODAY))


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=300))
def test_garbage_workbook_never_raises(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "study.xlsx"
        path.write_bytes(data)
        report = validate_study(path, today=TODAY)
        assert not report.usable and report.errors


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=200))
def test_random_study_yaml_never_raises(text):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "patients.csv").write_text("patient_id,start_date,last_contact_date\nP1,2020-01-10,2021-01-01\n")
        (folder / "study.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
        _assert_outcome(validate_study(folder, today=TODAY))
