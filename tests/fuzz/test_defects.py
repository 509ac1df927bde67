"""Regression tests for the internal errors and silent misreadings found by fuzzing the bundled studies
(issue 9). Each test reproduced its defect before the fix."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from oncoseries.analysis import analyze, write_outputs
from oncoseries.examples import example_study_path
from oncoseries.study import validate_study
from tests.conftest import TODAY, write_study


def _mini(tmp_path):
    src = example_study_path().parent / "mini"
    dst = tmp_path / "mini"
    shutil.copytree(src, dst)
    return dst


def _rules(report):
    return {(p.severity, p.rule) for p in report.problems}


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1", "utf-16"])
def test_study_yaml_not_utf8_is_read_not_crashed(tmp_path, encoding):
    folder = _mini(tmp_path)
    text = "title: Étude Müller\n" + (folder / "study.yaml").read_text(encoding="utf-8").split("\n", 1)[1]
    (folder / "study.yaml").write_bytes(text.encode(encoding))
    report = validate_study(folder, today=TODAY)
    assert report.usable, report.problems
    assert report.study.config.title == "Étude Müller"
    assert report.study.config.cox == {"PFS": ["prior_ifosfamide"], "OS": ["cr2"]}
    if encoding != "utf-16":
        assert ("warning", "encoding") in _rules(report)
        assert any(p.file == "study.yaml" and p.rule == "encoding" for p in report.problems)


def test_study_yaml_not_utf8_unknown_covariate_keeps_its_line(tmp_path):
    folder = _mini(tmp_path)
    (folder / "study.yaml").write_bytes("title: Étude\ncox:\n  OS: [nothere]\n".encode("cp1252"))
    report = validate_study(folder, today=TODAY)
    bad = [p for p in report.errors if p.column == "cox.OS"]
    assert len(bad) == 1 and bad[0].row == 3 and bad[0].file == "study.yaml"


def test_study_yaml_that_is_a_folder_is_an_error(tmp_path):
    folder = _mini(tmp_path)
    (folder / "study.yaml").unlink()
    (folder / "study.yaml").mkdir()
    report = validate_study(folder, today=TODAY)
    assert not report.usable
    assert [(p.file, p.rule) for p in report.errors] == [("study.yaml", "config")]
    assert "folder" in report.errors[0].message


@pytest.mark.parametrize("value", [".nan", "1e400", "-.inf", "-1"])
@pytest.mark.parametrize("key", ["landmarks", "report"])
def test_landmarks_and_risk_times_must_be_finite(tmp_path, value, key):
    folder = _mini(tmp_path)
    text = (folder / "study.yaml").read_text().replace("landmarks: {PFS: [6], OS: [12, 24]}", "")
    line = f"landmarks: {{PFS: [6], OS: [12, {value}]}}" if key == "landmarks" else \
        f"report: {{risk_times: {{OS: [12, {value}]}}}}"
    (folder / "study.yaml").write_text(text + line + "\n")
    report = validate_study(folder, today=TODAY)
    assert not report.usable
    err = [p for p in report.errors if p.file == "study.yaml"]
    assert len(err) == 1 and err[0].rule == "config" and err[0].row == len(text.splitlines()) + 1
    assert "finite" in err[0].message


# ---------------------------------------------------------------- cascade filter

def _p(rule, row=5, column="visit_date", file="patients.csv"):
    from oncoseries.problems import Problem
    return Problem("error", file, row, column, f"{rule} here", None, rule)


def test_errors_on_one_cell_do_not_cancel_each_other():
    """One REDCap field feeding start_date and last_contact_date: 'empty' and 'no follow-up' land on one
    cell. The empty cell explains the missing follow-up; nothing explains the empty cell."""
    from oncoseries.study import _without_cascades
    empty, no_follow = _p("empty-required"), _p("no-follow-up")
    assert _without_cascades([empty, no_follow]) == [empty]
    assert _without_cascades([no_follow, empty]) == [empty]


def test_cascade_filter_drops_only_what_a_cell_error_explains():
    from oncoseries.study import _without_cascades
    bad_date, order = _p("unparseable-date"), _p("date-order")
    other_col = _p("date-order", column="death_date")
    other_row = _p("empty-required", row=6)
    kept = _without_cascades([bad_date, order, other_col, other_row, _p("empty-required")])
    assert kept == [bad_date, other_col, other_row]


def test_one_field_for_start_and_follow_up_is_not_usable(tmp_path):
    """The whole path: an empty cell read into start_date and last_contact_date is reported and blocks analysis."""
    rows = [{"patient_id": "P1", "start_date": "2020-01-10", "last_contact_date": "2021-06-30"},
            {"patient_id": "P2", "start_date": "", "last_contact_date": ""}]
    folder = write_study(tmp_path / "s", patients=rows)
    report = validate_study(folder, today=TODAY)
    assert not report.usable
    assert {(p.row, p.column, p.rule) for p in report.errors} >= {(3, "start_date", "empty-required"),
                                                                (3, "last_contact_date", "no-follow-up")}


# ---------------------------------------------------------------- log-rank not estimable

def test_logrank_singular_variance_is_not_estimable():
    """R: survdiff(Surv(t, e) ~ g) stops with 'system is exactly singular' on these data."""
    import oncoseries as osr
    d = pd.DataFrame({"t": [100, 100, 100, 50], "e": [1, 1, 1, 0], "g": list("aabb")})
    lr = osr.logrank(d, "t", "e", "g")
    assert not lr.estimable and "singular" in lr.reason
    assert np.isnan(lr.statistic) and np.isnan(lr.p_value) and lr.df == 1
    ok = osr.logrank(pd.DataFrame({"t": [100, 90, 100, 50], "e": [1, 1, 1, 0], "g": list("aabb")}), "t", "e", "g")
    assert ok.estimable and ok.reason is None and np.isfinite(ok.p_value)


def test_planned_covariate_with_every_event_on_one_day_reports_not_estimable(tmp_path):
    """Every death on day 100 with nobody else at risk: the log-rank test for a planned covariate is
    reported as not estimable in results.json and the report, and the analysis finishes."""
    folder = _mini(tmp_path)
    p = pd.read_csv(folder / "patients.csv", dtype=str, keep_default_na=False)
    start = pd.to_datetime(p["start_date"])
    p["death_date"] = (start + pd.Timedelta(days=100)).dt.strftime("%Y-%m-%d")
    p["last_contact_date"] = p["death_date"]
    p["progression_date"] = ""
    p.to_csv(folder / "patients.csv", index=False)
    (folder / "lesions.csv").unlink()
    results = analyze(folder)
    lr = next(r for r in results.sections["logrank"] if r["endpoint"] == "OS" and r["covariate"] == "cr2")
    assert lr["p"] is None and lr["statistic"] is None and "singular" in lr["not_estimable"]
    out = tmp_path / "out"
    write_outputs(results, out, figures=False)
    saved = json.loads((out / "results.json").read_text())
    assert any(r.get("not_estimable") for r in saved["logrank"])
    table = pd.read_csv(out / "tables" / "logrank.csv", dtype=str)
    assert table.apply(lambda c: c.str.contains("not estimable", na=False)).any().any()
    assert "singular" in (out / "report.html").read_text()


# ---------------------------------------------------------------- clinical progression before response

def test_clinical_progression_before_first_response_gives_no_negative_dor(tmp_path):
    """A progression_date before the first CR/PR scan: scans after the progression do not count for the
    best response (RECIST: 'until disease progression'), so that response opens no DOR; DOR >= 0 always."""
    folder = _mini(tmp_path)
    results = analyze(folder)
    best = results.derived["best_response"]
    responder = best.loc[best["first_response_date"].notna()].iloc[0]
    pid, first = responder["patient_id"], pd.Timestamp(responder["first_response_date"])
    p = pd.read_csv(folder / "patients.csv", dtype=str, keep_default_na=False)
    start = pd.Timestamp(p.loc[p["patient_id"] == pid, "start_date"].iloc[0])
    early = start + pd.Timedelta(days=(first - start).days // 2)
    p.loc[p["patient_id"] == pid, "progression_date"] = early.strftime("%Y-%m-%d")
    p.to_csv(folder / "patients.csv", index=False)
    after = analyze(folder)
    adtte = after.derived["adtte"]
    assert (adtte["aval"] >= 1).all()
    assert pid not in set(adtte.loc[adtte["paramcd"] == "DOR", "patient_id"])
    row = after.derived["best_response"].set_index("patient_id").loc[pid]
    assert row["bor"] not in ("CR", "PR")
    pfs = adtte[(adtte["paramcd"] == "PFS") & (adtte["patient_id"] == pid)].iloc[0]
    assert pfs["cnsr"] == 0 and pd.Timestamp(pfs["adt"]) == early


# ---------------------------------------------------------------- covariates named like internal columns

@pytest.mark.parametrize("name", ["bor", "event", "time", "aval", "cnsr", "paramcd", "resp"])
def test_covariate_named_like_an_internal_column_is_analysed(tmp_path, name):
    """A planned covariate called bor/event/time ... is analysed like any other covariate: the same
    log-rank test and Cox model as under its own name (no KeyError, no column renamed event_x)."""
    def run(col):
        folder = _mini(tmp_path / col)
        p = pd.read_csv(folder / "patients.csv", dtype=str, keep_default_na=False)
        p = p.rename(columns={"cr2": col})
        p.to_csv(folder / "patients.csv", index=False)
        y = (folder / "study.yaml").read_text().replace("OS: [cr2]", f"OS: [{col}]")
        (folder / "study.yaml").write_text(y)
        return analyze(folder)

    ref, res = run("cr2"), run(name)
    lr_ref = next(r for r in ref.sections["logrank"] if r["covariate"] == "cr2")
    lr = next(r for r in res.sections["logrank"] if r["covariate"] == name)
    assert (lr["statistic"], lr["p"], lr["n"]) == (lr_ref["statistic"], lr_ref["p"], lr_ref["n"])
    cox_ref = next(m for m in ref.sections["cox"] if m["covariates"] == ["cr2"])
    cox = next(m for m in res.sections["cox"] if m["covariates"] == [name])
    assert cox["terms"][0]["coef"] == cox_ref["terms"][0]["coef"]
    assert cox["terms"][0]["term"] == name
    assert name in res.study.covariates
    t1_ref = next(v for v in ref.sections["table1"] if v["variable"] == "cr2")
    t1 = next(v for v in res.sections["table1"] if v["variable"] == name)
    assert t1["levels"] == t1_ref["levels"]


def test_column_starting_with_underscore_is_reserved(tmp_path):
    folder = _mini(tmp_path)
    p = pd.read_csv(folder / "patients.csv", dtype=str, keep_default_na=False).rename(columns={"cr2": "_row"})
    p.to_csv(folder / "patients.csv", index=False)
    (folder / "study.yaml").write_text((folder / "study.yaml").read_text().replace("OS: [cr2]", "OS: [_row]"))
    report = validate_study(folder, today=TODAY)
    (w,) = [x for x in report.warnings if x.rule == "reserved-column"]
    assert (w.file, w.row, w.column) == ("patients.csv", 1, "_row")
    (e,) = report.errors
    assert e.file == "study.yaml" and e.column == "cox.OS" and "_row" in e.message


def test_covariate_named_bor_with_biomarkers(tmp_path):
    """The biomarker section merges best responses with the covariates: a covariate 'bor' must not clash."""
    folder = tmp_path / "hdifo"
    shutil.copytree(example_study_path().parent / "hdifo", folder)
    p = pd.read_csv(folder / "patients.csv", dtype=str, keep_default_na=False)
    p.rename(columns={"cr2": "bor"}).to_csv(folder / "patients.csv", index=False)
    (folder / "study.yaml").write_text((folder / "study.yaml").read_text().replace("OS: [cr2]", "OS: [bor]"))
    res = analyze(folder)
    ref = analyze(example_study_path().parent / "hdifo")
    assert res.sections["biomarkers"]["markers"] == ref.sections["biomarkers"]["markers"]
    coefs = [[m["terms"][0]["coef"] for m in r.sections["cox"] if "terms" in m] for r in (res, ref)]
    assert coefs[0] == coefs[1]                                  # skipped models (no terms) left aside


# ---------------------------------------------------------------- DOCX tables in linear time

@pytest.mark.parametrize("n_rows", [10, 400])
def test_docx_table_builds_rows_without_rescanning_the_table(n_rows, monkeypatch):
    """A 3,000-marker biomarker table took minutes: python-docx rebuilds its whole row list on every
    ``table.rows[i]``. The writer must reach each row once (no indexed row access in the row loop)."""
    import docx
    import docx.table

    from oncoseries.report.docx import _table
    from oncoseries.report.tables import ReportTable

    calls = {"n": 0}
    original = docx.table._Rows.__getitem__

    def counting(self, idx):
        calls["n"] += 1
        return original(self, idx)

    monkeypatch.setattr(docx.table._Rows, "__getitem__", counting)
    t = ReportTable("markers", "Markers", "biomarkers", ["Marker", "n", "P"])
    for i in range(n_rows):
        t.add([f"m{i}", str(i), "0.5"])
    document = docx.Document()
    _table(document, t)
    assert calls["n"] == 0
    (table,) = document.tables
    assert len(table.rows) == n_rows + 1 and table.rows[-1].cells[0].text == f"m{n_rows - 1}"


# ---------------------------------------------------------------- cells that were silently misread

@pytest.mark.parametrize("value", ["maybe", "2", "-1", "yes?"])
def test_ngs_tested_must_be_yes_or_no(tmp_path, value):
    folder = tmp_path / "hdifo"
    shutil.copytree(example_study_path().parent / "hdifo", folder)
    b = pd.read_csv(folder / "biomarkers.csv", dtype=str, keep_default_na=False)
    b.loc[4, "ngs_tested"] = value
    b.loc[5, "ngs_tested"] = ""          # empty: not known, allowed
    b.to_csv(folder / "biomarkers.csv", index=False)
    report = validate_study(folder, today=TODAY)
    (err,) = report.errors
    assert (err.file, err.row, err.column, err.rule) == ("biomarkers.csv", 6, "ngs_tested", "not-boolean")
    assert value in err.message


@pytest.mark.parametrize("serial", [-5, -1, 0])
def test_excel_date_cell_before_1900_is_an_error(tmp_path, serial):
    """Excel stores dates as day numbers; a date cell holding -5 is shown as 1899-12-25 by openpyxl. No real
    date in an Excel workbook is before 1900-01-01 (serial 1), so it is reported at its cell."""
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "patients"
    ws.append(["patient_id", "start_date", "last_contact_date"])
    ws.append(["P1", dt.datetime(2020, 1, 10), dt.datetime(2021, 1, 10)])
    ws.append(["P2", serial, dt.datetime(2021, 1, 10)])
    ws.cell(row=3, column=2).number_format = "yyyy-mm-dd"
    path = tmp_path / "study.xlsx"
    wb.save(path)
    report = validate_study(path, today=TODAY)
    (err,) = report.errors
    assert (err.row, err.column, err.rule) == (3, "start_date", "unparseable-date")
    assert "sheet patients" in err.file and str(serial) in err.message


def test_report_prints_huge_marker_values():
    """A biomarker cell of 10^30 stopped the report (decimal.InvalidOperation at 28 digits)."""
    from oncoseries.report.numbers import fixed, significant
    assert fixed(1e30, 1) == "1000000000000000000000000000000.0"
    assert fixed(1e300, 0) == "1" + "0" * 300
    assert significant(1.2345e40, 3) == "12300000000000000000000000000000000000000"
    assert fixed(2.5, 0) == "3" and fixed(-0.04, 1) == "0.0"


def test_time_dependent_covariate_with_no_change_during_follow_up(tmp_path):
    """Found by the fuzzing run: every change date after the end of follow-up stopped the analysis
    ('covariate x has a single value'); the time-dependent model is now reported as not estimable."""
    folder = _mini(tmp_path)
    p = pd.read_csv(folder / "patients.csv", dtype=str, keep_default_na=False)
    p["cr2_date"] = np.where(p["cr2"] == "yes", "2026-01-01", "")
    p.to_csv(folder / "patients.csv", index=False)
    with open(folder / "study.yaml", "a") as f:
        f.write("time_dependent: {cr2: {date: cr2_date}}\n")
    res = analyze(folder)
    (td,) = [t for t in res.sections["time_dependent"] if t["endpoint"] == "OS"]
    assert td["time_dependent"] is None and td["n_switched_in_follow_up"] == 0
    assert any("not estimable" in m for m in td["messages"])


def test_redcap_one_field_for_start_and_follow_up(tmp_path):
    """The REDCap case of issue 9: one field feeds start_date and last_contact_date (no separate follow-up
    date); its empty cell was reported twice on one cell, both were dropped, and validate said 'usable'."""
    folder = tmp_path / "rc"
    shutil.copytree(Path(__file__).resolve().parents[1] / "data" / "redcap", folder)
    y = (folder / "study.yaml").read_text()
    (folder / "study.yaml").write_text(y.replace("last_contact_date: fu_date, death_date: dod",
                                                 "last_contact_date: ifo_start"))
    r = pd.read_csv(folder / "records_raw.csv", dtype=str, keep_default_na=False)
    first = r.index[r["redcap_repeat_instrument"] == ""][0]
    r.loc[first, "ifo_start"] = ""
    r.to_csv(folder / "records_raw.csv", index=False)
    report = validate_study(folder, today=TODAY)
    assert not report.usable
    (err,) = report.errors
    assert (err.file, err.row, err.column, err.rule) == ("records_raw.csv", first + 2, "ifo_start", "empty-required")
    assert [p.rule for p in report.explained] == ["no-follow-up"]
