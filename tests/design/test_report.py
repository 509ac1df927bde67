"""study.yaml ``design:`` -> results.json ``design`` -> the report section, on the bundled example (which
shows it for HR 0.67, 0.60 and 0.50 against its own PFS) and on studies where no design can be made."""

from __future__ import annotations

import shutil

import pytest

from oncoseries.analysis import analyze
from oncoseries.config import load_config
from oncoseries.design import Accrual, PiecewiseExponential, design_survival, dropout_hazard
from oncoseries.examples import example_study_path
from oncoseries.problems import ProblemLog
from oncoseries.report import build_report_document

TITLE = "Designing a trial with this regimen as control"


@pytest.fixture(scope="module")
def example():
    return analyze(example_study_path("hdifo"))


def test_example_design_section(example):
    d = example.sections["design"]
    assert [r["hr"] for r in d["rows"]] == [0.67, 0.6, 0.5]
    c = d["control"]
    assert c["endpoint"] == "PFS" and c["events"] == example.sections["survival"]["PFS"]["events"]
    model = PiecewiseExponential(tuple(c["starts"]), tuple(c["rates"]))
    s = d["settings"]
    for r in d["rows"]:   # every row is the design for the series' own curve
        again = design_survival(r["hr"], model, Accrual((s["accrual"],)), s["follow_up"], s["alpha"], s["power"],
                                s["ratio"], s["sides"], dropout_hazard(s["dropout"], s["dropout_time"]))
        assert r["patients_planned"] == again.patients_planned and r["events_planned"] == again.events_planned
        assert r["power_curve"]["power"][-1] == pytest.approx(s["alpha"] / s["sides"])
    assert d["rows"][0]["patients_planned"] > d["rows"][1]["patients_planned"] > d["rows"][2]["patients_planned"]
    sim = d["simulation"]["h1"]
    assert abs(sim["rejection_rate"] - d["rows"][0]["power"]) < 4 * sim["rejection_se"] + 0.01
    assert d["single_arm"]["simon_optimal"]["n"] > 0


def test_example_report_has_the_section(example, tmp_path):
    doc = build_report_document(example)
    sec = next(s for s in doc.sections if s.id == "design")
    assert sec.title == TITLE
    assert any("For the protocol" in line for line in sec.text)
    assert [t.name for t in sec.tables] == ["trial_design", "trial_design_single_arm"]
    rows = sec.tables[0].rows
    assert [r[0] for r in rows] == ["0.67", "0.6", "0.5"]
    assert rows[0][2] == str(example.sections["design"]["rows"][0]["events_planned"])
    from oncoseries.report import write_report

    written = write_report(example, tmp_path)
    html = (tmp_path / "report.html").read_text()
    assert TITLE in html and "Power of the designed trials" in html
    assert (tmp_path / "figures" / "trial_design_power.png").exists()
    assert (tmp_path / "tables" / "trial_design.csv") in written
    import docx

    text = "\n".join(p.text for p in docx.Document(tmp_path / "report.docx").paragraphs)
    assert TITLE in text and "For the protocol" in text


def test_no_design_no_section():
    res = analyze(example_study_path("mini"))
    assert "design" not in res.sections
    assert all(s.id != "design" for s in build_report_document(res).sections)


def test_too_few_events_is_a_message_not_an_error(tmp_path):
    folder = shutil.copytree(example_study_path("mini"), tmp_path / "mini")
    with open(folder / "study.yaml", "a", encoding="utf-8") as f:
        f.write("\ndesign: {accrual: 24, follow_up: 12, endpoint: OS}\n")
    res = analyze(folder)
    d = res.sections["design"]
    assert "rows" not in d and "events" in d["message"]
    sec = next(s for s in build_report_document(res).sections if s.id == "design")
    assert sec.text[0].startswith("No design could be computed")


@pytest.mark.parametrize("yaml, fragment", [
    ("design: {accrual: 24, follow_up: 12, hr: [1]}", "hazard ratio 1"),
    ("design: {accrual: 24, follow_up: 12, power: 1.2}", "design.power"),
    ("design: {accrual: -3, follow_up: 12}", "design.accrual"),
    ("design: {follow_up: 12}", "design.accrual"),
    ("design: {accrual: 24, follow_up: 12, looks: 3, spend: obf}", "unknown key 'design.spend'"),
])
def test_bad_design_config_names_the_key_and_line(tmp_path, yaml, fragment):
    p = tmp_path / "study.yaml"
    p.write_text("title: x\n" + yaml + "\n", encoding="utf-8")
    log = ProblemLog()
    load_config(p, log)
    errors = [e for e in log.problems if e.severity == "error"]
    assert errors and any(fragment in str(e) for e in errors), [str(e) for e in errors]
    assert all(e.row == 2 for e in errors)


def test_group_sequential_and_exponential_control(tmp_path):
    folder = shutil.copytree(example_study_path("hdifo"), tmp_path / "ex")
    text = (folder / "study.yaml").read_text(encoding="utf-8")
    (folder / "study.yaml").write_text(text.replace("  simulate: 2000", "  simulate: 0\n  looks: 3\n  spending: pocock\n"
                                                    "  control: exponential"), encoding="utf-8")
    res = analyze(folder)
    d = res.sections["design"]
    assert d["control"]["model"] == "exponential" and "simulation" not in d
    assert d["control"]["model_median"] == pytest.approx(d["control"]["km_median"], rel=1e-12)
    for r in d["rows"]:
        q = r["sequential"]
        assert len(q["events"]) == 3 and q["events"][-1] > r["events_planned"] and q["patients"] > r["patients_planned"]
        assert q["times"] == sorted(q["times"]) and q["times"][-1] < r["time_to_events_h1"] + 1
    assert d["sequential"]["spending"] == "pocock" and len(d["sequential"]["bounds"]) == 3
    sec = next(s for s in build_report_document(res).sections if s.id == "design")
    assert "2 interim analyses" in sec.text[1] and "Pocock-like" in sec.text[1]
