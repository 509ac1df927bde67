"""A CDISC folder goes through the same validation as a native study, with problems pointing into
the SDTM files."""

from __future__ import annotations

import shutil
from pathlib import Path

from oncoseries.study import validate_study
from tests.conftest import TODAY

SUBSET = Path(__file__).resolve().parents[1] / "data" / "pharmaverse-sdtm" / "subset"


def test_sdtm_folder_is_read_as_a_study(tmp_path):
    report = validate_study(SUBSET, today=TODAY)
    assert report.study is not None and report.study.source == "CDISC"
    assert len(report.study.patients) == 20
    # the one unscheduled visit whose OVRLRESP is 'CHECK' (not a response code) is the only error
    (err,) = report.errors
    assert (err.file, err.column) == ("sdtm_rs_onco.csv", "RSSTRESC") and "'CHECK'" in err.message
    assert any(w.rule.startswith("cdisc") and "partial date" in w.message for w in report.warnings)


def test_sdtm_study_usable_once_fixed(tmp_path):
    folder = tmp_path / "sdtm"
    shutil.copytree(SUBSET, folder, ignore=shutil.ignore_patterns("*.py", "README*"))
    rs = folder / "sdtm_rs_onco.csv"
    rs.write_text(rs.read_text().replace('"CHECK","CHECK"', '"NE","NE"'))  # the reader's fix
    report = validate_study(folder, today=TODAY)
    assert report.usable, [str(p) for p in report.errors]
    study = report.study
    assert study.lesions["role"].isin(["target", "non_target", "new"]).all()
    assert study.flow.included("OS").size == 20
    assert study.lesions["_file"].eq("sdtm_tr_onco.csv").all()
