"""A study as one workbook reads exactly as the same study as CSV files (INTERFACE §1)."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd
from pandas.testing import assert_frame_equal

from oncoseries.examples import example_study_path
from oncoseries.study import validate_study
from tests.conftest import TODAY, write_study


def csv_study_to_xlsx(folder, target, *, date_cells=True, sheet_case=str.capitalize):
    """Write every CSV of a study as a sheet; ISO date strings become real Excel date cells."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for csv in sorted(folder.glob("*.csv")):
        df = pd.read_csv(csv, dtype=str, keep_default_na=False)
        ws = wb.create_sheet(sheet_case(csv.stem))
        ws.append([c.upper() for c in df.columns])  # column names are case-insensitive
        for row in df.itertuples(index=False):
            cells = []
            for col, v in zip(df.columns, row):
                if date_cells and col.endswith("date") and v:
                    cells.append(dt.datetime.fromisoformat(v))
                elif v and col in ("age", "diameter_mm") and v.replace(".", "", 1).isdigit():
                    cells.append(float(v))
                else:
                    cells.append(v or None)
            ws.append(cells)
    wb.save(target)
    return target


def _tables(report):
    return {k: v.drop(columns="_row") for k, v in report.study.tables.items()}


def test_csv_and_xlsx_read_identically(tmp_path):
    src = example_study_path("mini")
    book = csv_study_to_xlsx(src, tmp_path / "study.xlsx")
    a = validate_study(src, today=TODAY)
    b = validate_study(book, today=TODAY)
    assert a.usable and b.usable
    assert b.study.source == "xlsx workbook"
    ta, tb = _tables(a), _tables(b)
    assert set(ta) == set(tb) == {"patients", "lesions"}
    for name in ta:
        assert_frame_equal(ta[name], tb[name], check_dtype=True)
    assert a.study.tables["lesions"]["_row"].tolist() == b.study.tables["lesions"]["_row"].tolist()


def test_workbook_in_a_folder_is_found(tmp_path, base_tables):
    src = write_study(tmp_path / "csv", **base_tables)
    folder = tmp_path / "book"
    folder.mkdir()
    csv_study_to_xlsx(src, folder / "My series.xlsx", date_cells=False)
    report = validate_study(folder, today=TODAY)
    assert report.usable and report.study.source == "xlsx workbook"
    assert len(report.study.lesions) == len(base_tables["lesions"])


def test_xlsx_problem_names_sheet_and_row(tmp_path, base_tables):
    base_tables["lesions"][2]["diameter_mm"] = "abc"
    src = write_study(tmp_path / "csv", **base_tables)
    book = csv_study_to_xlsx(src, tmp_path / "s.xlsx")
    report = validate_study(book, today=TODAY)
    (p,) = [x for x in report.errors if x.rule == "not-a-number"]
    assert (p.file, p.row, p.column) == ("s.xlsx [sheet Lesions]", 4, "DIAMETER_MM")


def test_excel_serial_dates_accepted_in_workbooks(tmp_path, base_tables):
    src = write_study(tmp_path / "csv", **base_tables)
    book = csv_study_to_xlsx(src, tmp_path / "s.xlsx")
    wb = openpyxl.load_workbook(book)
    wb["Patients"]["B2"] = 43840  # Excel serial for 2020-01-10 (1900 date system)
    wb.save(book)
    report = validate_study(book, today=TODAY)
    assert report.usable
    assert report.study.patients["start_date"].iloc[0] == pd.Timestamp("2020-01-10")


def test_not_a_workbook(tmp_path):
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip")
    report = validate_study(bad, today=TODAY)
    assert not report.usable
    assert report.errors[0].file == "broken.xlsx" and "not a readable .xlsx" in report.errors[0].message
