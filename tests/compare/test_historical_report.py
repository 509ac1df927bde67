"""study.yaml historical_controls -> results.json historical_controls -> the report section, the overlay
figure; bad entries are errors at their line (study.yaml) or comparisons listed as not made (files)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from oncoseries.analysis import analyze
from oncoseries.examples import example_study_path
from oncoseries.report import build_report_document
from oncoseries.study import validate_study
from tests.conftest import TODAY, write_study

DATA = Path(__file__).resolve().parents[1] / "data" / "published_km"


def test_bundled_example_agrees_with_its_seed_paper():
    """The example compares itself with Palmerini 2020's summary numbers; it was calibrated to them."""
    res = analyze(example_study_path()).to_dict()["historical_controls"]
    pfs, os_, orr = res
    assert [r["endpoint"] for r in res] == ["PFS", "OS", "ORR"]
    assert pfs["reference"]["kind"] == "exponential" and os_["reference"]["kind"] == "weibull"
    for r in (pfs, os_):
        assert r["one_sample"]["p_value"] > 0.5
        assert r["one_sample"]["smr_lower"] < 1 < r["one_sample"]["smr_upper"]
        assert r["horizon"] == r["reference"]["last_time"]
    assert orr["test"]["p_value"] == pytest.approx(1.0)
    doc = build_report_document(analyze(example_study_path()))
    sec = next(s for s in doc.sections if s.id == "historical")
    assert sec.title == "Comparison with published results"
    assert "selection bias" in sec.text[0] and "era bias" in sec.text[0]
    assert [t.name for t in sec.tables] == ["historical_survival", "historical_orr"]


def test_no_section_without_historical_controls():
    doc = build_report_document(analyze(example_study_path("mini")))
    assert "historical" not in [s.id for s in doc.sections]


def _study_with(tmp_path, extra: str) -> Path:
    folder = tmp_path / "study"
    shutil.copytree(example_study_path(), folder)
    for f in ("gandhi_placebo_curve.csv", "gandhi_placebo_at_risk.csv"):
        shutil.copy(DATA / f, folder / f)
    text = (folder / "study.yaml").read_text()
    text = text[: text.index("historical_controls:")] + "historical_controls:\n" + extra
    (folder / "study.yaml").write_text(text)
    return folder


def test_curve_reference_reconstructed_and_compared(tmp_path):
    folder = _study_with(tmp_path, """  - endpoint: OS
    citation: Gandhi L et al. N Engl J Med 2018;378:2078
    label: KEYNOTE-189 placebo
    curve: gandhi_placebo_curve.csv
    at_risk: gandhi_placebo_at_risk.csv
  - endpoint: PFS
    citation: Missing file
    curve: nowhere.csv
    n_total: 40
  - endpoint: OS
    citation: Outside the study
    ipd: ../outside.csv
""")
    (tmp_path / "outside.csv").write_text("time,event\n1,1\n2,0\n")
    results = analyze(folder)
    ok, missing, outside = results.to_dict()["historical_controls"]
    assert "../outside.csv: not a file of the study folder" in outside["error"]
    assert ok["source"] == "curve" and ok["reconstruction"]["n"] == 206
    assert ok["two_sample"]["n_reference"] == 206 and ok["two_sample"]["n_series"] == 51
    assert 0 < ok["two_sample"]["hr"] and ok["two_sample"]["lower"] < ok["two_sample"]["hr"] < ok["two_sample"]["upper"]
    assert "nowhere.csv: file not found in the study folder" in missing["error"]
    assert any(p.column == "historical_controls[1]" and "nowhere.csv" in p.message for p in results.problems)
    ipd = results.derived["historical_ipd"]
    assert set(ipd["reference"]) == {0} and len(ipd) == 206
    from oncoseries.report import write_report

    out = tmp_path / "out"
    write_report(results, out)
    assert (out / "figures" / "historical_os.png").exists() and (out / "tables" / "historical_two_sample.csv").exists()
    html = (out / "report.html").read_text()
    assert "KEYNOTE-189 placebo" in html and "not compared: nowhere.csv: file not found" in html
    assert "against its reconstructed patients, HR" in html and "events up to" in html


@pytest.mark.parametrize("entry, message", [
    ("  - {endpoint: OS, citation: X}", "give the reference one way"),
    ("  - {endpoint: OS, citation: X, median: 12, ipd: a.csv}", "got median or landmarks and ipd"),
    ("  - {endpoint: OS, citation: X, curve: a.csv}", "needs 'at_risk'"),
    ("  - {endpoint: ORR, citation: X}", "ORR benchmark needs"),
    ("  - {endpoint: ORR, citation: X, responders: 12, n: 10}", "cannot exceed"),
    ("  - {endpoint: OS, citation: X, landmarks: {12: 140}}", "proportion"),
    ("  - {endpoint: OS, median: 12}", "citation"),
    ("  - {endpoint: OS, citation: X, median: 12, colour: red}", "unknown key"),
])
def test_bad_entries_name_their_line(tmp_path, base_tables, entry, message):
    text = "title: t\nhistorical_controls:\n" + entry + "\n"
    folder = write_study(tmp_path / "s", **base_tables, **{"study.yaml": text})
    errors = validate_study(folder, today=TODAY).errors
    assert errors and any(message in e.message for e in errors), [e.message for e in errors]
    assert all(e.row == 3 for e in errors if "historical_controls" in (e.column or ""))


def test_horizon_of_the_example_as_documented():
    """docs/historical-control.md: the example's OS over the whole follow-up (SMR 0.69, P = 0.012) against up
    to 24 months (SMR 1.00, P = 0.979); PFS up to 6 months (26 vs 27.0, SMR 0.96, P = 0.848)."""
    import oncoseries as osr
    from oncoseries.analysis.survival import EVENT, TIME, endpoint_frame

    res = analyze(example_study_path())
    adtte = res.derived["adtte"]
    os_ = endpoint_frame(adtte, "OS", res.study.patients).assign(months=lambda d: d[TIME] / 30.4375)
    ref = osr.reference_curve(median=15, landmarks={24: 0.30})
    whole = osr.one_sample_logrank(os_, "months", EVENT, ref)
    cut = osr.one_sample_logrank(os_, "months", EVENT, ref, horizon=24)
    assert (round(whole.smr, 2), round(whole.p_value, 3)) == (0.69, 0.012)
    assert (round(cut.smr, 2), round(cut.p_value, 3)) == (1.00, 0.979)
    pfs = res.to_dict()["historical_controls"][0]["one_sample"]
    assert (pfs["observed"], round(pfs["expected"], 1), round(pfs["smr"], 2), round(pfs["p_value"], 3)) == \
        (26, 27.0, 0.96, 0.848)
