"""study.yaml labels: (issue 11): variable labels and units, level labels, grouped levels, order and
reference, numbers as categories; raw names never reach the report when a label exists."""

from __future__ import annotations

import re
import html
import shutil

import pandas as pd
import pytest

from oncoseries.analysis import analyze, write_outputs
from oncoseries.examples import example_study_path
from oncoseries.study import validate_study
from tests.conftest import TODAY

LABELS = """
labels:
  age: {label: Age, unit: years}
  cr2: {label: Surgical second complete remission, levels: {yes: CR2, no: No CR2}, order: [no, yes]}
  ecog: {label: ECOG performance status, groups: {"0": [0], "≥1": [1, 2]}}
  prior_ifosfamide: {label: Prior ifosfamide, reference: "yes"}
  n_lesions: {label: Number of lesions, categorical: true}
  sex: Sex at birth
"""


@pytest.fixture(scope="module")
def labelled(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lab") / "hdifo"
    shutil.copytree(example_study_path(), folder)
    text = (folder / "study.yaml").read_text()
    (folder / "study.yaml").write_text(text[: text.index("labels:")] + LABELS)
    results = analyze(folder)
    out = folder.parent / "out"
    write_outputs(results, out)
    return results, out


def test_levels_grouped_relabelled_and_ordered(labelled):
    results, _ = labelled
    t1 = {r["variable"]: r for r in results.sections["table1"]}
    assert [lv["level"] for lv in t1["cr2"]["levels"]] == ["No CR2", "CR2"]
    assert [lv["level"] for lv in t1["ecog"]["levels"]] == ["0", "≥1"]
    assert sum(lv["n"] for lv in t1["ecog"]["levels"]) == 51
    assert t1["n_lesions"]["type"] == "categorical" and [lv["level"] for lv in t1["n_lesions"]["levels"]] == \
        ["1", "2", "3", "4", "5"]
    cox = {m["covariates"][0]: m for m in results.sections["cox"] if m["model"] == "univariable" and "terms" in m}
    term = cox["prior_ifosfamide"]["terms"][0]
    assert (term["level"], term["reference"]) == ("no", "yes")          # reference: yes
    naive = cox["cr2"]["terms"][0]
    assert (naive["level"], naive["reference"]) == ("CR2", "No CR2")
    assert results.study.labels["age"] == "Age (years)"


def test_reference_level_inverts_the_hazard_ratio(labelled):
    results, _ = labelled
    plain = analyze(example_study_path())
    hr = {(m["endpoint"], m["covariates"][0]): m["terms"][0]["hr"] for m in plain.sections["cox"]
          if m["model"] == "univariable" and "terms" in m}
    hr_l = {(m["endpoint"], m["covariates"][0]): m["terms"][0]["hr"] for m in results.sections["cox"]
            if m["model"] == "univariable" and "terms" in m}
    assert hr_l[("PFS", "prior_ifosfamide")] == pytest.approx(1 / hr[("PFS", "prior_ifosfamide")], rel=1e-9)
    assert hr_l[("OS", "cr2")] == pytest.approx(hr[("OS", "cr2")], rel=1e-9)             # same comparison, new names


def test_no_raw_name_in_the_report(labelled):
    _, out = labelled
    page = (out / "report.html").read_text()
    body = re.sub(r"<script.*?</script>|<style.*?</style>|<[^>]+>", " ", page, flags=re.S)
    text = html.unescape(body)
    for raw in ("cr2", "prior_ifosfamide", "n_lesions", "ecog"):
        assert not re.search(rf"\b{raw}\b", text), raw
    assert "Age (years), median (range)" in text and "Surgical second complete remission" in text
    from docx import Document
    doc = "\n".join(p.text for p in Document(out / "report.docx").paragraphs)
    cells = "\n".join(c.text for t in Document(out / "report.docx").tables for r in t.rows for c in r.cells)
    for raw in ("cr2", "prior_ifosfamide", "n_lesions"):
        assert not re.search(rf"\b{raw}\b", doc + cells), raw
    csv = pd.read_csv(out / "tables" / "cox_models.csv")
    assert {"Prior ifosfamide", "Surgical second complete remission"} <= set(csv["Characteristic"].dropna())
    assert not {"prior_ifosfamide", "cr2"} & set(csv["Characteristic"].dropna())


def test_time_dependent_follows_relabelled_levels(labelled):
    results, _ = labelled
    os_ = next(r for r in results.sections["time_dependent"] if r["endpoint"] == "OS")
    assert os_["n_switched"] == 26 and os_["time_dependent"] is not None


def test_unknown_label_is_a_warning_at_its_line(tmp_path):
    folder = tmp_path / "hdifo"
    shutil.copytree(example_study_path(), folder)
    (folder / "study.yaml").write_text("title: x\nlabels:\n  age: Age\n  agee: Age\n")
    report = validate_study(folder, today=TODAY)
    (w,) = [p for p in report.warnings if p.rule == "config"]
    assert w.column == "labels.agee" and w.row == 4
