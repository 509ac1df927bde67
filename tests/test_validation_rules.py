"""One test per validation rule: each plants one problem in a valid study and checks the report
names the file, the spreadsheet row (header = row 1), the column and the rule."""

from __future__ import annotations

import pytest

from oncoseries.study import StudyError, read_study, validate_study
from tests.conftest import TODAY, write_study


def check(tmp_path, tables, *, rule, file, row, column, severity="error"):
    report = validate_study(write_study(tmp_path / "s", **tables), today=TODAY)
    hits = [p for p in report.problems if p.rule == rule]
    assert hits, f"no {rule} problem; got {[str(p) for p in report.problems]}"
    p = hits[0]
    assert (p.severity, p.file, p.row, p.column) == (severity, file, row, column), str(p)
    return report, p


def test_valid_base_study_has_no_problems(tmp_path, base_tables):
    report = validate_study(write_study(tmp_path / "s", **base_tables), today=TODAY)
    assert report.problems == []
    assert report.usable
    study = report.study
    assert list(study.patients["patient_id"]) == ["P1", "P2", "P3"]
    assert str(study.patients["start_date"].dtype) == "datetime64[ns]"
    assert study.covariates == ["age", "sex"]
    assert study.patients["age"].tolist() == [17.0, 24.0, 31.0]


def test_missing_patients_file(tmp_path, base_tables):
    report = validate_study(write_study(tmp_path / "s", lesions=base_tables["lesions"]), today=TODAY)
    assert not report.usable
    assert [p.rule for p in report.errors] == ["missing-file"]
    assert "patients" in report.errors[0].message


def test_missing_required_column(tmp_path, base_tables):
    for r in base_tables["patients"]:
        del r["last_contact_date"]
    report, p = check(tmp_path, base_tables, rule="missing-column", file="patients.csv", row=1,
                      column="last_contact_date")
    assert report.study is None


def test_duplicate_patient_id(tmp_path, base_tables):
    base_tables["patients"][2]["patient_id"] = "P1"
    _, p = check(tmp_path, base_tables, rule="duplicate-patient", file="patients.csv", row=2, column="patient_id")
    assert "first at row 2" in p.message
    report = validate_study(tmp_path / "s", today=TODAY)
    assert sorted(x.row for x in report.problems if x.rule == "duplicate-patient") == [2, 4]


def test_unparseable_date(tmp_path, base_tables):
    base_tables["patients"][1]["start_date"] = "2020-02-30"
    _, p = check(tmp_path, base_tables, rule="unparseable-date", file="patients.csv", row=3, column="start_date")
    assert "'2020-02-30' is not a date" in p.message and p.expected == "a date as YYYY-MM-DD"


def test_ambiguous_date_format(tmp_path, base_tables):
    base_tables["lesions"][0]["date"] = "05/01/2020"
    _, p = check(tmp_path, base_tables, rule="unparseable-date", file="lesions.csv", row=2, column="date")
    assert "ambiguous" in p.message


def test_death_before_start(tmp_path, base_tables):
    base_tables["patients"][1]["death_date"] = "2020-01-15"
    base_tables["patients"][1]["last_contact_date"] = "2020-01-15"
    report, p = check(tmp_path, base_tables, rule="date-order", file="patients.csv", row=3, column="death_date")
    assert "before start_date 2020-02-01" in p.message
    assert any(x.column == "last_contact_date" and x.rule == "date-order" for x in report.errors)


def test_last_contact_before_start(tmp_path, base_tables):
    base_tables["patients"][0]["last_contact_date"] = "2019-12-31"
    check(tmp_path, base_tables, rule="date-order", file="patients.csv", row=2, column="last_contact_date")


def test_scan_after_death(tmp_path, base_tables):
    base_tables["lesions"][3]["date"] = "2020-12-01"
    _, p = check(tmp_path, base_tables, rule="after-death", file="lesions.csv", row=5, column="date")
    assert "after the death date 2020-11-20" in p.message


def test_death_after_last_contact_is_warning(tmp_path, base_tables):
    base_tables["patients"][1]["last_contact_date"] = "2020-10-01"
    report, p = check(tmp_path, base_tables, rule="death-after-contact", file="patients.csv", row=3,
                      column="death_date", severity="warning")
    assert report.usable and "death date is used" in p.message


def test_future_date(tmp_path, base_tables):
    base_tables["patients"][2]["last_contact_date"] = "2031-01-01"
    _, p = check(tmp_path, base_tables, rule="future-date", file="patients.csv", row=4, column="last_contact_date")
    assert "in the future" in p.message


def test_child_row_unknown_patient(tmp_path, base_tables):
    base_tables["lesions"][4]["patient_id"] = "P9"
    _, p = check(tmp_path, base_tables, rule="unknown-patient", file="lesions.csv", row=6, column="patient_id")
    assert "'P9' is not in patients" in p.message


def test_non_numeric_diameter(tmp_path, base_tables):
    base_tables["lesions"][1]["diameter_mm"] = "2o"
    _, p = check(tmp_path, base_tables, rule="not-a-number", file="lesions.csv", row=3, column="diameter_mm")
    assert "'2o' is not a number" in p.message


def test_negative_diameter(tmp_path, base_tables):
    base_tables["lesions"][1]["diameter_mm"] = "-4"
    check(tmp_path, base_tables, rule="negative-value", file="lesions.csv", row=3, column="diameter_mm")


def test_implausible_diameter(tmp_path, base_tables):
    base_tables["lesions"][1]["diameter_mm"] = "1e300"
    check(tmp_path, base_tables, rule="out-of-range", file="lesions.csv", row=3, column="diameter_mm")


@pytest.mark.parametrize("column,value,allowed", [
    ("role", "targt", "target, non_target, new"),
    ("state", "gone", "present, absent, too_small, not_evaluated, unequivocal_progression, equivocal"),
])
def test_unknown_lesion_codes(tmp_path, base_tables, column, value, allowed):
    for r in base_tables["lesions"]:
        r.setdefault("state", "")
    base_tables["lesions"][2][column] = value
    _, p = check(tmp_path, base_tables, rule="unknown-code", file="lesions.csv", row=4, column=column)
    assert p.expected == f"one of: {allowed}" and value in p.message


def test_unknown_response_code(tmp_path, base_tables):
    base_tables["assessments"] = [{"patient_id": "P1", "date": "2020-03-01", "response": "PRR"}]
    _, p = check(tmp_path, base_tables, rule="unknown-code", file="assessments.csv", row=2, column="response")
    assert p.expected == "one of: CR, PR, SD, NON-CR/NON-PD, PD, NE"


def test_codes_are_case_insensitive(tmp_path, base_tables):
    base_tables["lesions"][5]["role"] = "Non-Target"
    base_tables["assessments"] = [{"patient_id": "P1", "date": "2020-03-01", "response": "non-cr/non-pd"}]
    report = validate_study(write_study(tmp_path / "s", **base_tables), today=TODAY)
    assert report.problems == []
    assert report.study.lesions["role"].iloc[5] == "non_target"
    assert report.study.assessments["response"].iloc[0] == "NON-CR/NON-PD"


def test_lesion_role_changes(tmp_path, base_tables):
    base_tables["lesions"][7]["role"] = "target"
    _, p = check(tmp_path, base_tables, rule="role-change", file="lesions.csv", row=9, column="role")
    assert "was 'non_target' on an earlier scan" in p.message


def test_state_not_allowed_for_role(tmp_path, base_tables):
    for r in base_tables["lesions"]:
        r["state"] = ""
    base_tables["lesions"][1]["state"] = "equivocal"
    check(tmp_path, base_tables, rule="state-role", file="lesions.csv", row=3, column="state")


def test_no_baseline_scan_is_a_warning_and_excludes_from_response(tmp_path, base_tables):
    base_tables["lesions"][0]["date"] = "2019-12-01"  # 40 days before start: outside the 28-day window
    report, p = check(tmp_path, base_tables, rule="no-baseline", file="lesions.csv", row=2, column="date",
                      severity="warning")
    flow = report.study.flow
    excluded = flow.excluded("response_evaluable")
    assert excluded["patient_id"].tolist() == ["P1"]
    assert excluded["reason"].iloc[0] == "no baseline scan within 28 days before start"
    assert "P1" in flow.included("OS")


def test_baseline_window_is_configurable(tmp_path, base_tables):
    base_tables["lesions"][0]["date"] = "2019-12-01"
    write_study(tmp_path / "s", **base_tables, **{"study.yaml": "baseline_window_days: 45\n"})
    report = validate_study(tmp_path / "s", today=TODAY)
    assert report.problems == []


def test_baseline_window_boundary(tmp_path, base_tables):
    base_tables["lesions"][0]["date"] = "2019-12-13"  # exactly 28 days before 2020-01-10: counts
    assert validate_study(write_study(tmp_path / "a", **base_tables), today=TODAY).problems == []
    base_tables["lesions"][0]["date"] = "2019-12-12"  # 29 days: does not
    report = validate_study(write_study(tmp_path / "b", **base_tables), today=TODAY)
    assert [p.rule for p in report.problems] == ["no-baseline"]


def test_duplicate_lesion_measurement(tmp_path, base_tables):
    base_tables["lesions"].append(dict(base_tables["lesions"][1]))
    check(tmp_path, base_tables, rule="duplicate-lesion", file="lesions.csv", row=10, column="lesion_id")


def test_empty_required_cell(tmp_path, base_tables):
    base_tables["patients"][0]["start_date"] = ""
    check(tmp_path, base_tables, rule="empty-required", file="patients.csv", row=2, column="start_date")


def test_no_follow_up_at_all(tmp_path, base_tables):
    base_tables["patients"][0]["last_contact_date"] = ""
    check(tmp_path, base_tables, rule="no-follow-up", file="patients.csv", row=2, column="last_contact_date")


def test_adverse_event_grade_range(tmp_path, base_tables):
    base_tables["adverse_events"] = [{"patient_id": "P1", "term": "Neutropenia", "grade": "6"},
                                     {"patient_id": "P1", "term": "Anaemia", "grade": "2.5"}]
    report, _ = check(tmp_path, base_tables, rule="out-of-range", file="adverse_events.csv", row=2,
                      column="grade")
    assert any(p.rule == "not-integer" and p.row == 3 for p in report.errors)


def test_duplicate_column_names(tmp_path, base_tables):
    text = "patient_id,start_date,last_contact_date,Age,age\nP1,2020-01-10,2021-06-30,17,18\n"
    report, p = check(tmp_path, {"patients": text}, rule="duplicate-column", file="patients.csv", row=1,
                      column="age")
    assert "columns 4 and 5" in p.message


def test_malformed_csv_row(tmp_path):
    text = "patient_id,start_date,last_contact_date\nP1,2020-01-10,2021-06-30\nP2,2020-01-10,2021-06-30,x,y\n"
    check(tmp_path, {"patients": text}, rule="malformed-csv", file="patients.csv", row=3, column=None)


def test_read_study_raises_with_all_errors(tmp_path, base_tables):
    base_tables["patients"][0]["start_date"] = "soon"
    base_tables["lesions"][1]["diameter_mm"] = "big"
    with pytest.raises(StudyError) as info:
        read_study(write_study(tmp_path / "s", **base_tables), today=TODAY)
    assert {p.rule for p in info.value.problems} >= {"unparseable-date", "not-a-number"}
    assert "patients.csv, row 2, column start_date" in str(info.value)
