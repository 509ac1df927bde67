"""The immortal-time guard in the analysis and report: the bundled example's CR2 analysed as it happened,
equal to R (tests/golden/time_dependent.R: tmerge + coxph on the example's patients.csv)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from oncoseries.analysis import analyze, write_outputs
from oncoseries.examples import example_study_path
from tests.conftest import BASE_PATIENTS, TODAY, write_study

GOLD = json.loads((Path(__file__).resolve().parents[1] / "golden" / "time_dependent.json").read_text())["hdifo_os"]


def _close(a, b):
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=1e-6)


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    results = analyze(example_study_path())
    out = tmp_path_factory.mktemp("td")
    write_outputs(results, out)
    return results, out


def test_example_cr2_equals_r(example):
    results, _ = example
    os_ = next(r for r in results.sections["time_dependent"] if r["endpoint"] == "OS" and r["covariate"] == "cr2")
    td, naive, lm = os_["time_dependent"], os_["naive"], os_["landmark"]
    _close([td["hr"], td["lower"], td["upper"], td["p"]], [GOLD["td"]["hr"], *GOLD["td"]["ci"], GOLD["td"]["p"]])
    assert td["rows"] == GOLD["td"]["rows"]
    _close([naive["hr"], naive["lower"], naive["upper"]], [GOLD["naive"]["hr"], *GOLD["naive"]["ci"]])
    assert (lm["time"], lm["n"], lm["n_switched"], lm["default"]) == (4.0, GOLD["landmark"]["n"],
                                                                     GOLD["landmark"]["n_switched"], True)
    _close([lm["hr"], lm["lower"], lm["upper"], lm["p"]], [GOLD["landmark"]["hr"], *GOLD["landmark"]["ci"],
                                                          GOLD["landmark"]["p"]])
    assert naive["hr"] < td["hr"] < lm["hr"]          # the naive comparison flatters CR2
    assert sum(lm["excluded"].values()) + lm["n"] == os_["n"] == 51


def test_example_report_shows_both(example):
    _, out = example
    table = pd.read_csv(out / "tables" / "time_dependent.csv", dtype=str, keep_default_na=False)
    assert table["Analysis"].tolist()[:3] == ["Naive (as if known at start)", "Time-dependent Cox",
                                              "Landmark at 4 months"]
    html = (out / "report.html").read_text()
    assert "Analysed as a time-dependent covariate" in html and "immortal-time bias" in html
    assert (out / "figures" / "km_os_by_cr2_time_dependent.png").exists()
    assert "Simon-Makuch" in html


def _study(tmp_path, yaml: str, cr2, cr2_date):
    rows = [dict(r, cr2=c, cr2_date=d) for r, c, d in zip(BASE_PATIENTS, cr2, cr2_date)]
    return write_study(tmp_path / "s", patients=rows, **{"study.yaml": yaml})


def test_date_column_named_after_a_planned_covariate_is_used(tmp_path):
    folder = _study(tmp_path, "cox: {OS: [cr2]}\n", ["yes", "no", "yes"], ["2020-05-01", "", ""])
    results = analyze(folder)
    os_ = next(r for r in results.sections["time_dependent"] if r["endpoint"] == "OS")
    assert os_["date_column"] == "cr2_date"
    assert os_["left_out"] == [{"patient_id": "P3", "reason": "cr2 is yes but cr2_date is empty"}]
    assert os_["n"] == 2
    assert "cr2_date" not in results.study.covariates


def test_post_baseline_name_without_date_warns(tmp_path):
    rows = [dict(r, cr2=c) for r, c in zip(BASE_PATIENTS, ["yes", "no", "yes"])]
    folder = write_study(tmp_path / "s", patients=rows, **{"study.yaml": "cox: {OS: [cr2, age]}\n"})
    results = analyze(folder)
    warned = [p for p in results.problems if p.rule == "immortal-time"]
    assert [p.column for p in warned] == ["cr2"]
    assert "time_dependent" not in results.sections


def test_unknown_date_column_is_an_error(tmp_path):
    from oncoseries.study import validate_study
    folder = _study(tmp_path, "time_dependent: {cr2: surgery_date}\n", ["yes", "no", "no"], ["2020-05-01", "", ""])
    report = validate_study(folder, today=TODAY)
    assert [(p.file, p.column) for p in report.errors] == [("study.yaml", "time_dependent.cr2.date")]


def test_bad_date_in_the_date_column_names_the_cell(tmp_path):
    from oncoseries.study import validate_study
    folder = _study(tmp_path, "time_dependent: {cr2: cr2_date}\n", ["yes", "no", "no"], ["2020-13-01", "", ""])
    report = validate_study(folder, today=TODAY)
    assert [(p.file, p.row, p.column, p.rule) for p in report.errors] == [
        ("patients.csv", 2, "cr2_date", "unparseable-date")]
