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
