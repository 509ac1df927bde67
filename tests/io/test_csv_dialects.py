"""CSV dialects clinicians' tools write: BOM, semicolons with decimal commas, Windows-1252, blank lines."""

from __future__ import annotations

from oncoseries.study import validate_study
from tests.conftest import TODAY

HEADER = "patient_id;start_date;last_contact_date;weight_kg\n"


def test_semicolon_decimal_comma_and_bom(tmp_path):
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "patients.csv").write_bytes("\ufeff".encode() + (HEADER + "P1;2020-01-10;2021-06-30;61,5\n").encode())
    report = validate_study(folder, today=TODAY)
    assert report.usable
    assert report.study.patients.columns[1] == "patient_id"
    assert report.study.patients["weight_kg"].iloc[0] == 61.5 or report.study.patients["weight_kg"].iloc[0] == "61,5"


def test_decimal_comma_in_layout_number_column_warns(tmp_path):
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "patients.csv").write_text(HEADER.replace(";", ",") + "P1,2020-01-10,2021-06-30,60\n")
    (folder / "lesions.csv").write_text("patient_id;date;lesion_id;role;diameter_mm\n"
                                        "P1;2020-01-05;T1;target;12,5\n")
    report = validate_study(folder, today=TODAY)
    assert report.usable
    assert report.study.lesions["diameter_mm"].iloc[0] == 12.5
    (w,) = report.warnings
    assert (w.rule, w.file, w.row, w.column) == ("decimal-comma", "lesions.csv", 2, "diameter_mm")


def test_windows_1252_falls_back_with_warning(tmp_path):
    folder = tmp_path / "s"
    folder.mkdir()
    text = "patient_id,start_date,last_contact_date,centre\nP1,2020-01-10,2021-06-30,Universit\xe0\n"
    (folder / "patients.csv").write_bytes(text.encode("cp1252"))
    report = validate_study(folder, today=TODAY)
    assert report.usable
    assert report.study.patients["centre"].iloc[0] == "Universit\xe0"
    assert [w.rule for w in report.warnings] == ["encoding"]


def test_blank_lines_keep_row_numbers(tmp_path):
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "patients.csv").write_text("patient_id,start_date,last_contact_date\n"
                                         "P1,2020-01-10,2021-06-30\n\n,,\nP2,2020-01-10,someday\n")
    report = validate_study(folder, today=TODAY)
    (p,) = report.errors
    assert (p.row, p.column) == (5, "last_contact_date")


def test_missing_tokens_and_case_insensitive_headers(tmp_path):
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "Patients.CSV").write_text("Patient ID,START_DATE,Last_Contact_Date,Death_Date\n"
                                         "P1,2020-01-10,2021-06-30,NA\nP2,2020-01-10,2021-06-30,.\n")
    report = validate_study(folder, today=TODAY)
    assert report.usable, [str(p) for p in report.problems]
    assert report.study.patients["death_date"].isna().all()


def test_binary_file_is_reported_not_raised(tmp_path):
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "patients.csv").write_bytes(b"\x00\x01\x02garbage\xff")
    report = validate_study(folder, today=TODAY)
    assert not report.usable
    assert report.errors[0].file == "patients.csv" and "binary" in report.errors[0].message
