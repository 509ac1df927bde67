"""study.yaml: defaults, and errors naming the line and key."""

from __future__ import annotations

from oncoseries.study import validate_study
from tests.conftest import TODAY, write_study


def _problems(tmp_path, base_tables, yaml_text):
    folder = write_study(tmp_path / "s", **base_tables, **{"study.yaml": yaml_text})
    return validate_study(folder, today=TODAY)


def test_defaults_without_yaml(tmp_path, base_tables):
    study = validate_study(write_study(tmp_path / "s", **base_tables), today=TODAY).study
    c = study.config
    assert (c.time_unit, c.baseline_window_days, c.response.confirmation_days, c.response.sd_min_days) == (
        "months", 28, 28, 42)
    assert c.days_per_unit == 30.4375 and c.pfs.censor_at_new_therapy is True


def test_full_example_yaml_is_accepted(tmp_path, base_tables):
    text = """title: High-dose ifosfamide in relapsed osteosarcoma
time_unit: months
response:
  confirmation: false
  confirmation_days: 28
  sd_min_days: 42
  max_ne_between: 1
pfs:
  censor_at_new_therapy: true
  missed_assessments: {interval_days: 63, max_missed: 2}
landmarks: {PFS: [6], OS: [12, 24]}
cox:
  PFS: [prior_ifosfamide]
  OS: [cr2]
"""
    for i, row in enumerate(base_tables["patients"]):
        row.update(prior_ifosfamide=["yes", "no"][i % 2], cr2=["no", "yes"][i % 2])
    report = _problems(tmp_path, base_tables, text)
    assert report.problems == []
    c = report.study.config
    assert c.pfs.missed_assessments.max_missed == 2 and c.landmarks == {"PFS": [6], "OS": [12, 24]}


def test_unknown_key_names_line(tmp_path, base_tables):
    report = _problems(tmp_path, base_tables, "title: x\nresponse:\n  confirmaton: true\n")
    (p,) = report.errors
    assert (p.file, p.row, p.column, p.rule) == ("study.yaml", 3, "response.confirmaton", "config")
    assert "unknown key" in p.message


def test_wrong_type_names_line(tmp_path, base_tables):
    report = _problems(tmp_path, base_tables, "time_unit: fortnights\nbaseline_window_days: -3\n")
    rows = sorted((p.row, p.column) for p in report.errors)
    assert rows == [(1, "time_unit"), (2, "baseline_window_days")]


def test_unknown_endpoint(tmp_path, base_tables):
    report = _problems(tmp_path, base_tables, "landmarks: {EFS: [6]}\n")
    assert "unknown endpoint 'EFS'" in report.errors[0].message


def test_invalid_yaml(tmp_path, base_tables):
    report = _problems(tmp_path, base_tables, "title: [unclosed\n")
    assert report.errors[0].rule == "config" and report.errors[0].file == "study.yaml"


def test_unknown_covariate_in_plan(tmp_path, base_tables):
    report = _problems(tmp_path, base_tables, "cox:\n  PFS: [age]\n  OS:\n    - sex\n    - agee\n")
    (p,) = report.errors
    assert (p.file, p.row, p.column, p.rule) == ("study.yaml", 5, "cox.OS", "config")
    assert "unknown covariate 'agee'; did you mean age?" in p.message


def test_response_population_and_criteria_keys(tmp_path, base_tables):
    ok = _problems(tmp_path, base_tables, "response:\n  population: all\n  criteria: irecist\n")
    assert ok.problems == []
    assert (ok.study.config.response.population, ok.study.config.response.criteria) == ("all", "irecist")
    bad = _problems(tmp_path, base_tables, "response:\n  population: everyone\n  criteria: irRC\n")
    assert sorted((p.row, p.column) for p in bad.errors) == [(2, "response.population"), (3, "response.criteria")]


def test_table1_and_regression_keys(tmp_path, base_tables):
    """table1: {by} and regression: {screen, per, min_events_per_variable} (docs/study-yaml.md)."""
    ok = _problems(tmp_path, base_tables, "table1: {by: sex}\nregression:\n  screen: all\n  per: {age: 10}\n"
                                          "  min_events_per_variable: 15\n")
    assert ok.problems == []
    c = ok.study.config
    assert (c.table1.by, c.regression.screen, c.regression.per, c.regression.min_events_per_variable) == (
        "sex", "all", {"age": 10.0}, 15.0)
    bad = _problems(tmp_path, base_tables, "table1: {by: sexx}\nregression:\n  per: {age: -1}\n")
    assert any((p.row, p.column) == (3, "regression.per") and "age: -1.0 is not a unit; expected a number > 0 or "
               "'iqr'" in p.message for p in bad.errors)
    bad = _problems(tmp_path, base_tables, "regression:\n  screen: some\n")
    assert [(p.row, p.column) for p in bad.errors] == [(2, "regression.screen")]
    bad = _problems(tmp_path, base_tables, "table1: {by: sexx}\nregression:\n  per: {agee: iqr}\n")
    assert [(p.row, p.column) for p in bad.errors] == [(1, "table1.by")]
    assert "'sexx' is not a variable of the study" in bad.errors[0].message
    assert any((p.row, p.column) == (3, "regression.per.agee") and p.severity == "warning" for p in bad.problems)
