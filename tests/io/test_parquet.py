"""Parquet study tables: `name.parquet` or a folder `name/part-*.parquet`, same typing and validation as CSV;
problems name the file (the part), the row within it (the N-th record, from 1) and the column."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from oncoseries.study import read_study, validate_study
from tests.conftest import TODAY

EXAMPLE = Path(__file__).resolve().parents[2] / "src" / "oncoseries" / "examples" / "data" / "hdifo"


def _csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _typed_parquet(df: pd.DataFrame) -> pd.DataFrame:
    """The CSV columns as a data engineer would store them: dates as dates, numbers as numbers."""
    out = df.copy()
    for col in df.columns:
        if col.endswith("date") or col == "date":
            out[col] = pd.to_datetime(df[col].replace("", None), format="%Y-%m-%d")
        else:
            num = pd.to_numeric(df[col].replace("", None), errors="coerce")
            if (num.notna() == (df[col] != "")).all() and (df[col] != "").any():
                out[col] = num
            else:
                out[col] = df[col].replace("", None)
    return out


def _to_parquet_study(src: Path, dst: Path, parts: dict[str, int]) -> Path:
    dst.mkdir()
    shutil.copy(src / "study.yaml", dst / "study.yaml")
    for f in sorted(src.glob("*.csv")):
        df = _typed_parquet(_csv(f))
        n = parts.get(f.stem, 0)
        if not n:
            df.to_parquet(dst / f"{f.stem}.parquet", index=False)
            continue
        (dst / f.stem).mkdir()
        cuts = np.linspace(0, len(df), n + 1).astype(int)
        for i in range(n):  # uneven parts would do as well; the first part may be empty
            df.iloc[cuts[i]:cuts[i + 1]].to_parquet(dst / f.stem / f"part-{i}.parquet", index=False)
    return dst


def test_example_from_parquet_equals_csv(tmp_path):
    pq_study = _to_parquet_study(EXAMPLE, tmp_path / "pq", {"lesions": 3, "treatments": 2})
    a = read_study(EXAMPLE, today=TODAY)
    b = read_study(pq_study, today=TODAY)
    assert b.source == "Parquet folder"
    for name in a.tables:
        ta, tb = a.tables[name], b.tables[name]
        cols = [c for c in ta.columns if not c.startswith("_")]
        assert list(tb[cols].columns) == cols
        pd.testing.assert_frame_equal(ta[cols].reset_index(drop=True), tb[cols].reset_index(drop=True),
                                      check_dtype=False)
    assert [(p.rule, p.column) for p in a.problems] == [(p.rule, p.column) for p in b.problems]


def test_problem_names_part_row_and_column(tmp_path):
    folder = tmp_path / "s"
    (folder / "lesions").mkdir(parents=True)
    pd.DataFrame({"patient_id": ["P1", "P2"], "start_date": ["2020-01-10", "2020-01-12"],
                  "last_contact_date": ["2021-06-30", "2021-07-01"]}).to_parquet(folder / "patients.parquet")
    good = pd.DataFrame({"patient_id": ["P1"], "date": ["2020-01-05"], "lesion_id": ["T1"], "role": ["target"],
                         "diameter_mm": [30.0]})
    bad = pd.DataFrame({"patient_id": ["P2", "P2", "P2"], "date": ["2020-01-06", "2020-01-06", "2020-31-01"],
                        "lesion_id": ["T1", "T2", "T3"], "role": ["target", "tumour", "target"],
                        "diameter_mm": [12.0, -3.0, 5.0]})
    good.to_parquet(folder / "lesions" / "part-0.parquet")
    bad.to_parquet(folder / "lesions" / "part-1.parquet")
    report = validate_study(folder, today=TODAY)
    got = {(p.file, p.row, p.column, p.rule) for p in report.errors}
    assert got == {("lesions/part-1.parquet", 2, "role", "unknown-code"),
                   ("lesions/part-1.parquet", 2, "diameter_mm", "negative-value"),
                   ("lesions/part-1.parquet", 3, "date", "unparseable-date")}


def test_cross_table_rule_names_the_part(tmp_path):
    folder = tmp_path / "s"
    (folder / "lesions").mkdir(parents=True)
    pd.DataFrame({"patient_id": ["P1"], "start_date": ["2020-01-10"],
                  "last_contact_date": ["2021-06-30"]}).to_parquet(folder / "patients.parquet")
    row = {"date": "2020-01-05", "lesion_id": "T1", "role": "target", "diameter_mm": 30.0}
    pd.DataFrame([{"patient_id": "P1", **row}]).to_parquet(folder / "lesions" / "part-2.parquet")
    pd.DataFrame([{"patient_id": "P1", **row, "lesion_id": "T2"}, {"patient_id": "P9", **row}]).to_parquet(
        folder / "lesions" / "part-10.parquet")
    report = validate_study(folder, today=TODAY)
    (err,) = report.errors
    assert (err.file, err.row, err.column, err.rule) == ("lesions/part-10.parquet", 2, "patient_id",
                                                         "unknown-patient")
    # parts are read in natural order: part-2 before part-10
    assert list(report.study.lesions["lesion_id"]) == ["T1", "T2", "T1"]


def test_typed_parquet_columns_read_like_csv(tmp_path):
    folder = tmp_path / "s"
    folder.mkdir()
    table = pa.table({
        "patient_id": pa.array([1, 2, 3], pa.int64()),
        "start_date": pa.array(pd.to_datetime(["2020-01-10", "2020-02-01", "2020-03-15"]).date, pa.date32()),
        "last_contact_date": pa.array(pd.to_datetime(["2021-06-30", "2020-11-20", "2022-01-15"]),
                                      pa.timestamp("us")),
        "death_date": pa.array([None, "2020-11-20", None], pa.string()),
        "age": pa.array([17.5, float("nan"), None], pa.float64()),
        "smoker": pa.array([True, False, None], pa.bool_()),
        "sex": pa.array(["male", "female", "NA"], pa.string()).dictionary_encode(),
    })
    pq.write_table(table, folder / "patients.parquet")
    study = read_study(folder, today=TODAY)
    p = study.patients
    assert list(p["patient_id"]) == ["1", "2", "3"]
    assert list(p["start_date"].dt.strftime("%Y-%m-%d")) == ["2020-01-10", "2020-02-01", "2020-03-15"]
    assert p["last_contact_date"].iloc[1] == pd.Timestamp("2020-11-20")
    assert p["death_date"].isna().tolist() == [True, False, True]
    assert p["age"].iloc[0] == 17.5 and p["age"].iloc[1:].isna().all()
    assert list(p["smoker"].iloc[:2]) == ["true", "false"] and p["smoker"].iloc[2] is None
    assert p["sex"].iloc[2] is None  # "NA" is missing, as in a CSV


def test_missing_required_column_has_no_header_row(tmp_path):
    folder = tmp_path / "s"
    folder.mkdir()
    pd.DataFrame({"patient_id": ["P1"], "start_date": ["2020-01-10"]}).to_parquet(folder / "patients.parquet")
    report = validate_study(folder, today=TODAY)
    (err,) = report.errors
    assert (err.file, err.row, err.column, err.rule) == ("patients.parquet", None, "last_contact_date",
                                                         "missing-column")


@pytest.mark.parametrize("content", [b"PAR1 not really", b""])
def test_unreadable_parquet_is_a_problem(tmp_path, content):
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "patients.parquet").write_bytes(content)
    report = validate_study(folder, today=TODAY)
    assert not report.usable
    assert any(p.file == "patients.parquet" and p.rule == "unreadable" for p in report.errors)


def test_table_given_twice_is_an_error(tmp_path):
    folder = tmp_path / "s"
    folder.mkdir()
    df = pd.DataFrame({"patient_id": ["P1"], "start_date": ["2020-01-10"], "last_contact_date": ["2021-06-30"]})
    df.to_csv(folder / "patients.csv", index=False)
    df.to_parquet(folder / "patients.parquet")
    report = validate_study(folder, today=TODAY)
    assert [p.rule for p in report.errors] == ["duplicate-table"]


def test_parts_with_different_columns_warn(tmp_path):
    folder = tmp_path / "s"
    (folder / "patients").mkdir(parents=True)
    pd.DataFrame({"patient_id": ["P1"], "start_date": ["2020-01-10"], "last_contact_date": ["2021-06-30"],
                  "age": [50]}).to_parquet(folder / "patients" / "part-0.parquet")
    pd.DataFrame({"patient_id": ["P2"], "start_date": ["2020-01-10"],
                  "last_contact_date": ["2021-06-30"]}).to_parquet(folder / "patients" / "part-1.parquet")
    report = validate_study(folder, today=TODAY)
    assert report.usable
    (w,) = report.warnings
    assert (w.file, w.column, w.rule) == ("patients/part-1.parquet", "age", "part-columns")
    assert report.study.patients["age"].isna().tolist() == [False, True]


def test_analysis_from_parquet_equals_csv(tmp_path):
    from oncoseries.analysis import analyze

    pq_study = _to_parquet_study(EXAMPLE, tmp_path / "pq", {"lesions": 3, "adverse_events": 2})
    a, b = analyze(EXAMPLE), analyze(pq_study)
    assert a.sections == b.sections
    for name in a.derived:
        assert a.derived[name].equals(b.derived[name]), name


def _date32_study(src: Path, dst: Path, parts: dict[str, int]) -> Path:
    """The example with every date column stored as Parquet date32 (what pyarrow infers from CSV dates)."""
    _to_parquet_study(src, dst, parts)
    for f in list(dst.glob("*.parquet")) + list(dst.glob("*/part-*.parquet")):
        t = pq.read_table(f)
        for i, name in enumerate(t.column_names):
            if pa.types.is_timestamp(t.schema.field(name).type):
                t = t.set_column(i, name, t.column(name).cast(pa.date32()))
        pq.write_table(t, f)
    return dst


def test_date32_columns_read_and_analysed_like_csv(tmp_path):
    """Typed dates skip the text round trip (registry scale): same tables, problems and analysis as CSV,
    in single files and in part folders; a date32 column where no date is expected reads as its ISO text."""
    from oncoseries.analysis import analyze

    pq_study = _date32_study(EXAMPLE, tmp_path / "pq", {"lesions": 3, "adverse_events": 2})
    assert pa.types.is_date32(pq.read_table(pq_study / "patients.parquet").schema.field("start_date").type)
    a, b = read_study(EXAMPLE, today=TODAY), read_study(pq_study, today=TODAY)
    for name in a.tables:
        cols = [c for c in a.tables[name].columns if not c.startswith("_")]
        pd.testing.assert_frame_equal(a.tables[name][cols].reset_index(drop=True),
                                      b.tables[name][cols].reset_index(drop=True), check_dtype=False)
    assert [(p.rule, p.column, p.row) for p in a.problems] == [(p.rule, p.column, p.row) for p in b.problems]
    ra, rb = analyze(EXAMPLE), analyze(pq_study)
    assert ra.sections == rb.sections
    for name in ra.derived:
        assert ra.derived[name].equals(rb.derived[name]), name


@pytest.mark.parametrize("parts", [False, True])
def test_date32_out_of_range_is_reported_like_csv(tmp_path, parts):
    """A date32 pandas cannot hold (year 1) is the same problem as '0001-01-01' in a CSV: file, row, column."""
    import datetime as dt

    folder = tmp_path / "s"
    folder.mkdir()
    table = pa.table({"patient_id": pa.array(["P1", "P2", "P3"]),
                      "start_date": pa.array([dt.date(2020, 1, 10), dt.date(1, 1, 1), None], pa.date32()),
                      "last_contact_date": pa.array([dt.date(2021, 1, 1)] * 3, pa.date32()),
                      "enrolled": pa.array([dt.date(2019, 5, 1), None, dt.date(2019, 6, 2)], pa.date32())})
    if parts:
        (folder / "patients").mkdir()
        pq.write_table(table.slice(0, 1), folder / "patients" / "part-0.parquet")
        pq.write_table(table.slice(1), folder / "patients" / "part-1.parquet")
    else:
        pq.write_table(table, folder / "patients.parquet")
    report = validate_study(folder, today=TODAY)
    bad = [p for p in report.problems if p.rule == "unparseable-date"]
    assert len(bad) == 1
    want = ("patients/part-1.parquet", 1) if parts else ("patients.parquet", 2)
    assert (bad[0].file, bad[0].row, bad[0].column) == (*want, "start_date")
    assert "'0001-01-01' is not a date" in bad[0].message
    empty = [p for p in report.problems if p.rule == "empty-required" and p.column == "start_date"]
    assert [(p.file, p.row) for p in empty] == [("patients/part-1.parquet", 2) if parts else ("patients.parquet", 3)]
    csv = tmp_path / "c"
    csv.mkdir()
    pd.DataFrame({"patient_id": ["P1", "P2", "P3"], "start_date": ["2020-01-10", "0001-01-01", ""],
                  "last_contact_date": ["2021-01-01"] * 3, "enrolled": ["2019-05-01", "", "2019-06-02"]}
                 ).to_csv(csv / "patients.csv", index=False)
    from_csv = validate_study(csv, today=TODAY)
    assert sorted((p.rule, p.column, p.message) for p in from_csv.problems) == \
        sorted((p.rule, p.column, p.message) for p in report.problems)
