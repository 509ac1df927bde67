"""study.yaml ``report:`` keys: accepted, validated with the line, and applied to the documents only."""

from __future__ import annotations

from oncoseries.analysis import analyze
from oncoseries.report import build_report_document
from oncoseries.study import validate_study
from tests.conftest import TODAY, write_study


def _report(tmp_path, base_tables, text):
    return validate_study(write_study(tmp_path / "s", **base_tables, **{"study.yaml": text}), today=TODAY)


def test_report_section_accepted(tmp_path, base_tables):
    rep = _report(tmp_path, base_tables, "report:\n  p_style: nejm\n  percent_decimals: 1\n"
                                         "  risk_times: {OS: [0, 6, 12]}\n")
    assert rep.problems == []
    cfg = rep.study.config.report
    assert (cfg.p_style, cfg.percent_decimals, cfg.risk_times) == ("nejm", 1, {"OS": [0, 6, 12]})


def test_report_defaults(tmp_path, base_tables):
    cfg = _report(tmp_path, base_tables, "title: x\n").study.config.report
    assert (cfg.p_style, cfg.percent_decimals, cfg.risk_times) == ("default", None, {})


def test_bad_report_keys_name_their_line(tmp_path, base_tables):
    rep = _report(tmp_path, base_tables, "title: x\nreport:\n  p_style: lancet\n  risk_times: {EFS: [1]}\n")
    rows = sorted((p.row, p.column) for p in rep.errors)
    assert rows == [(3, "report.p_style"), (4, "report.risk_times")]
    assert any("unknown endpoint 'EFS'" in p.message for p in rep.errors)


def test_styles_change_only_the_documents(rich_study, tmp_path):
    text = (rich_study / "study.yaml").read_text()
    text = text.replace("p_style: jama", "p_style: nejm\n  percent_decimals: 1")
    other = tmp_path / "nejm"
    other.mkdir()
    for f in rich_study.iterdir():
        (other / f.name).write_text(f.read_text() if f.name != "study.yaml" else text)
    a, b = analyze(rich_study), analyze(other)
    da, db = a.to_dict(), b.to_dict()
    assert da["cox"] == db["cox"] and da["response"] == db["response"]
    assert da["plan"]["report"]["p_style"] == "jama" and db["plan"]["report"]["p_style"] == "nejm"
    ta = {t.name: t for t in build_report_document(a).tables}
    tb = {t.name: t for t in build_report_document(b).tables}
    j = ta["cox_models"].columns.index("Univariable P")
    pa = [row[j] for row in ta["cox_models"].rows if row[j]]
    pb = [row[j] for row in tb["cox_models"].rows if row[j]]
    assert all(p.startswith(".") for p in pa) and all(p.startswith("0.") for p in pb)
    assert ta["response"].rows[0][1].endswith("%)") and "." in tb["response"].rows[0][1]


def test_figures_follow_report_config(tmp_path):
    """study.yaml report: p_style and risk_times reach the figures too."""
    import shutil

    from oncoseries.analysis import analyze, write_outputs
    from oncoseries.examples import example_study_path

    folder = tmp_path / "s"
    shutil.copytree(example_study_path("mini"), folder)
    yaml = (folder / "study.yaml").read_text()
    (folder / "study.yaml").write_text(yaml + "report:\n  p_style: jama\n  risk_times: {PFS: [0, 2, 5, 7]}\n")
    res = analyze(folder)
    write_outputs(res, tmp_path / "out")
    svg = (tmp_path / "out" / "figures" / "km_pfs_by_prior_ifosfamide.svg").read_text()
    assert "<!-- Log-rank P = .007 -->" in svg or "Log-rank P = .007" in svg
