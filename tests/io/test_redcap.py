"""REDCap exports (raw and label, repeating instruments, longitudinal events) become the native tables."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from oncoseries.study import validate_study
from tests.conftest import TODAY

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "redcap"


def _copy(tmp_path, records="records_raw.csv", yaml_extra=""):
    folder = tmp_path / "redcap"
    folder.mkdir(parents=True)
    shutil.copy(FIXTURES / "dictionary.csv", folder / "dictionary.csv")
    shutil.copy(FIXTURES / records, folder / records)
    text = (FIXTURES / "study.yaml").read_text().replace("records_raw.csv", records)
    (folder / "study.yaml").write_text(text + yaml_extra)
    return folder


def _load(folder):
    report = validate_study(folder, today=TODAY)
    assert report.usable, [str(p) for p in report.problems]
    return report.study


def test_raw_export(tmp_path):
    study = _load(_copy(tmp_path))
    p = study.patients
    assert study.source == "REDCap export"
    assert p["patient_id"].tolist() == ["1", "2", "3"]
    assert p["start_date"].tolist() == [pd.Timestamp(d) for d in ("2020-01-10", "2020-02-01", "2020-03-15")]
    assert p["death_date"].iloc[1] == pd.Timestamp("2020-11-20") and p["death_date"].isna().sum() == 2
    assert p["sex"].tolist() == ["Male", "Female", "Male"]             # decoded with the dictionary
    assert p["prior_ifo"].tolist() == ["No", "Yes", "No"]
    assert p["relapse_sites_lung"].tolist() == ["true", "true", "false"]   # checkbox ___1
    assert p["relapse_sites_bone"].tolist() == ["false", "true", "true"]
    assert p["age"].tolist() == [17.0, 24.0, 31.0]
    assert p["data_access_group"].tolist() == ["bologna", "milan", "milan"]
    assert "info" not in p.columns and "patient_complete" not in p.columns
    assert p["_row"].tolist() == [2, 5, 11]                               # rows of records_raw.csv
    les = study.lesions
    assert len(les) == 9
    assert les["role"].tolist() == ["target", "target", "target", "non_target", "target", "non_target", "new",
                                    "target", "target"]
    assert les["nodal"].tolist() == [False, False, False, True, False, True, False, False, False]
    assert les["diameter_mm"].iloc[:3].tolist() == [30.0, 20.0, 25.0]
    assert les["_row"].tolist() == [3, 4, 6, 7, 8, 9, 10, 12, 13]
    assert study.flow.included("response_evaluable").tolist() == ["1", "2", "3"]


def test_label_export_reads_like_raw(tmp_path):
    raw = _load(_copy(tmp_path / "a"))
    lab = _load(_copy(tmp_path / "b", records="records_label.csv"))
    for name in ("patients", "lesions"):
        assert_frame_equal(raw.tables[name], lab.tables[name])


def test_longitudinal_events(tmp_path):
    folder = tmp_path / "long"
    folder.mkdir()
    shutil.copy(FIXTURES / "dictionary.csv", folder / "dictionary.csv")
    df = pd.read_csv(FIXTURES / "records_raw.csv", dtype=str, keep_default_na=False)
    is_ct = df["redcap_repeat_instrument"] == "ct_lesions"
    df.insert(1, "redcap_event_name", ["ct_arm_1" if x else "baseline_arm_1" for x in is_ct])
    df["redcap_repeat_instrument"] = ""
    df.loc[~is_ct, "redcap_repeat_instance"] = ""
    df.to_csv(folder / "export.csv", index=False)
    text = (FIXTURES / "study.yaml").read_text().replace("records_raw.csv", "export.csv")
    (folder / "study.yaml").write_text(text.replace("instrument: ct_lesions", "events: [ct_arm_1]"))
    study = _load(folder)
    ref = _load(_copy(tmp_path / "ref"))
    assert_frame_equal(study.lesions.drop(columns="_row"), ref.lesions.drop(columns="_row"))
    assert study.patients["patient_id"].tolist() == ["1", "2", "3"]
    assert study.patients["start_date"].equals(ref.patients["start_date"])


def test_problem_points_into_the_export(tmp_path):
    folder = _copy(tmp_path)
    text = (folder / "records_raw.csv").read_text().replace("2020-03-20,X1,3,liver,0,12", "2020-03-20,X1,7,liver,0,12")
    (folder / "records_raw.csv").write_text(text)
    report = validate_study(folder, today=TODAY)
    (p,) = report.errors
    assert (p.file, p.row, p.column, p.rule) == ("records_raw.csv", 10, "les_role", "unknown-code")


def test_value_recoding_in_yaml(tmp_path):
    folder = _copy(tmp_path, yaml_extra="  values:\n    role: {Target: target, Non-target: non_target, New: new}\n")
    assert len(_load(folder).lesions) == 9


@pytest.mark.parametrize("field", ["start_date: ifo_start", "date: ct_date"])
def test_unknown_mapped_field(tmp_path, field):
    folder = _copy(tmp_path)
    text = (folder / "study.yaml").read_text().replace(field, field.split(":")[0] + ": no_such_field")
    (folder / "study.yaml").write_text(text)
    report = validate_study(folder, today=TODAY)
    assert not report.usable
    assert any(p.column == "no_such_field" and p.rule == "missing-column" for p in report.errors)


def test_missing_dictionary(tmp_path):
    folder = _copy(tmp_path)
    (folder / "dictionary.csv").unlink()
    report = validate_study(folder, today=TODAY)
    assert not report.usable and "data dictionary" in report.errors[0].message
