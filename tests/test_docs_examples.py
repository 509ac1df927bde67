"""The worked example in docs/study-layout.md works as documented."""

from __future__ import annotations

import re
from pathlib import Path

from oncoseries.study import validate_study
from tests.conftest import TODAY

DOC = Path(__file__).resolve().parents[1] / "docs" / "study-layout.md"


def test_worked_example(tmp_path):
    text = DOC.read_text()
    blocks = dict(re.findall(r"`(\w+\.csv)`[^\n]*\n(?:[^\n]*\n)*?\n```csv\n(.*?)```", text, re.S))
    assert set(blocks) == {"patients.csv", "lesions.csv"}
    for name, body in blocks.items():
        (tmp_path / name).write_text(body)
    report = validate_study(tmp_path, today=TODAY)
    assert report.usable and report.problems == []
    assert report.study.describe() == "2 patients, 9 lesions rows"
    assert "2 patients, 9 lesions rows (CSV folder)" in text
    (tmp_path / "patients.csv").write_text(blocks["patients.csv"].replace("2019-02-04", "2019-02-30"))
    (p,) = validate_study(tmp_path, today=TODAY).errors
    assert f"  {p}" in text
