"""REDCap exports as they really arrive (issue 9): longitudinal events, repeating instruments, label exports,
files found by header, and the defects that used to lose or misplace data silently."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from oncoseries.study import validate_study
from tests.conftest import TODAY

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "redcap_longitudinal"


def _copy(tmp_path: Path, export: str = "export_raw.csv", yaml: str | None = None, events: bool = True,
          rename: dict | None = None) -> Path:
    folder = tmp_path / "study"
    folder.mkdir(parents=True)
    names = ["dictionary.csv", export, "project_arms.csv"] + (["project_events.csv"] if events else [])
    for name in names:
        shutil.copy(FIXTURE / name, folder / (rename or {}).get(name, name))
    (folder / "study.yaml").write_text(yaml if yaml is not None else (FIXTURE / "study.yaml").read_text())
    return folder


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def _load(folder):
    report = validate_study(folder, today=TODAY)
    assert report.usable, [str(p) for p in report.errors]
    return report


def test_longitudinal_mapping(tmp_path):
    report = _load(_copy(tmp_path))
    study = report.study
    p = study.patients.set_index("patient_id")
    assert list(p.index) == ["101", "102", "104"]                        # 103 left out by where:
    # last contact = the latest follow-up visit or scan, over events and repeat instances
    assert p["last_contact_date"].tolist() == [pd.Timestamp(d) for d in ("2021-06-30", "2020-11-20", "2022-01-15")]
    # death date only where vital status says dead (104 has a stray date with status Alive)
    assert p.loc["102", "death_date"] == pd.Timestamp("2020-11-20") and p["death_date"].isna().sum() == 2
    assert p["ecog_baseline"].tolist() == [0.0, 1.0, 0.0]
    assert p["ecog_month6"].tolist()[:2] == [1.0, 2.0] and pd.isna(p.loc["104", "ecog_month6"])
    assert p["weight"].tolist() == [61.5, 70.0, 80.2]                   # number_1dp_comma_decimal
    assert p["sites_lung"].tolist() == ["true", "true", "false"]         # checkbox code LUNG -> ___lung
    assert p["centre"].tolist() == ["Bologna", "Milan", "Milan"]         # values: on a patient column
    assert len(study.lesions) == 6
    flow = study.flow
    assert flow.excluded("records").to_dict("records") == [
        {"patient_id": "103", "reason": "left out by study.yaml redcap.where: screen_fail is not Yes does not hold"}]
    assert list(flow.included("entered")) == ["101", "102", "104"]
    assert study.labels["weight"] == "Weight (kg)"
    assert study.labels["sites_lung"] == "Sites of relapse: Lung"
    warned = [(p.row, p.column, p.rule) for p in report.warnings]
    assert (15, "dod", "conditional-field") in warned                    # 104: a date of death while alive
    assert any("export_raw.csv" in n and "record id" in n for n in report.notes)


def test_label_export_reads_like_raw(tmp_path):
    raw = _load(_copy(tmp_path / "raw")).study
    lab = _load(_copy(tmp_path / "lab", export="export_labels.csv")).study
    cols = [c for c in raw.patients.columns if not c.startswith("_row@")]
    assert_frame_equal(raw.patients[cols].drop(columns=["sex", "prior_ifo"]),
                       lab.patients[cols].drop(columns=["sex", "prior_ifo"]))
    assert_frame_equal(raw.lesions, lab.lesions)


def test_label_export_events_without_events_file(tmp_path):
    """Event labels ('Imaging (Arm 1: ...)') resolve to unique names by REDCap's rule."""
    yaml = (FIXTURE / "study.yaml").read_text().replace("instrument: ct_lesions", "events: [imaging_arm_1]")
    study = _load(_copy(tmp_path, export="export_labels.csv", yaml=yaml, events=False)).study
    assert len(study.lesions) == 6
    assert study.patients["ecog_month6"].notna().sum() == 2


def test_unknown_event_is_an_error_not_an_empty_table(tmp_path):
    yaml = (FIXTURE / "study.yaml").read_text().replace("instrument: ct_lesions", "events: [scans_arm_1]")
    report = validate_study(_copy(tmp_path, yaml=yaml), today=TODAY)
    (err,) = [p for p in report.errors if p.rule == "unknown-event"]
    assert "scans_arm_1" in err.message and "imaging_arm_1" in err.message


def test_unknown_instrument_is_an_error(tmp_path):
    yaml = (FIXTURE / "study.yaml").read_text().replace("instrument: ct_lesions", "instrument: mri_lesions")
    report = validate_study(_copy(tmp_path, yaml=yaml), today=TODAY)
    (err,) = [p for p in report.errors if p.rule == "unknown-instrument"]
    assert "ct_lesions" in err.message and err.file == "export_raw.csv"


def test_error_points_at_the_row_holding_the_value(tmp_path):
    """A bad date stored on a later event is reported at its own row, not the record's first row."""
    folder = _copy(tmp_path)
    _edit(folder / "export_raw.csv", "101,month_6_arm_1,,,bologna,,,,,,,,,,,1,2,2020-07-01",
          "101,month_6_arm_1,,,bologna,,,,,,,,,,,1,2,2020-07-41")
    report = validate_study(folder, today=TODAY)
    (err,) = report.errors
    assert (err.file, err.row, err.column, err.rule) == ("export_raw.csv", 3, "fu_date", "unparseable-date")


def test_cross_table_error_points_at_the_row_holding_the_value(tmp_path):
    """death before start: reported at the follow-up row holding the death date, in the dod column."""
    folder = _copy(tmp_path)
    _edit(folder / "export_raw.csv", "2020-11-20,2,2020-11-20", "2020-11-20,2,2019-11-20")
    report = validate_study(folder, today=TODAY)
    hits = [(p.row, p.column) for p in report.errors if p.rule == "date-order"]
    assert hits == [(10, "dod")]


def test_export_found_by_header_whatever_its_name(tmp_path):
    """arms/events files sort first alphabetically; the export is still the one with record_id first."""
    yaml = (FIXTURE / "study.yaml").read_text()
    folder = _copy(tmp_path, yaml=yaml, rename={"export_raw.csv": "zz_data.csv", "project_arms.csv": "a_arms.csv",
                                                "project_events.csv": "b_events.csv", "dictionary.csv": "c_dd.csv"})
    report = _load(folder)
    assert len(report.study.patients) == 3
    notes = "\n".join(report.notes)
    assert "records export: zz_data.csv" in notes and "dictionary: c_dd.csv" in notes
    assert "events: b_events.csv" in notes and "arms: a_arms.csv" in notes


def test_truncated_download_names_the_row(tmp_path):
    folder = _copy(tmp_path)
    text = (folder / "export_raw.csv").read_text()
    (folder / "export_raw.csv").write_text(text[: text.index("102,month_6_arm_1") + 30])
    report = validate_study(folder, today=TODAY)
    (err,) = [p for p in report.errors if p.rule == "malformed-csv"]
    assert err.row == 9 and "cut short" in err.message


def test_truncated_inside_a_quote_names_the_row(tmp_path):
    folder = _copy(tmp_path)
    text = (folder / "export_raw.csv").read_text()
    (folder / "export_raw.csv").write_text(text[: text.index('"70,0"') + 3])
    report = validate_study(folder, today=TODAY)
    (err,) = report.errors
    assert (err.row, err.rule) == (8, "malformed-csv") and "ends inside a quoted value" in err.message


def test_field_missing_from_the_dictionary_is_reported(tmp_path):
    folder = _copy(tmp_path)
    _edit(folder / "dictionary.csv", "weight,enrollment,,text,Weight (kg),,,number_1dp_comma_decimal", "")
    yaml = (FIXTURE / "study.yaml").read_text().replace("sites___bone, weight,", "sites___bone,")
    (folder / "study.yaml").write_text(yaml)
    report = _load(folder)
    (w,) = [p for p in report.warnings if p.rule == "unknown-field"]
    assert (w.file, w.row, w.column) == ("export_raw.csv", 1, "weight") and "data dictionary" in w.message


def test_default_covariates_survive_a_mapped_field_missing_from_the_dictionary(tmp_path):
    """A child table mapping a field the dictionary lacks used to make every patient covariate vanish."""
    folder = _copy(tmp_path)
    _edit(folder / "dictionary.csv", "les_site,ct_lesions,,text,Organ,,,", "")
    yaml = (FIXTURE / "study.yaml").read_text()
    yaml = yaml[: yaml.index("  covariates:")] + yaml[yaml.index("  lesions:"):]
    (folder / "study.yaml").write_text(yaml)
    report = _load(folder)
    p = report.study.patients
    assert {"age", "sex", "weight", "sites_lung"} <= set(p.columns)
    assert any(w.rule == "unknown-field" and w.column == "les_site" for w in report.warnings)


def test_duplicate_record_is_an_error(tmp_path):
    folder = _copy(tmp_path)
    text = (folder / "export_raw.csv").read_text()
    line = next(l for l in text.splitlines() if l.startswith("104,enrollment_arm_1"))
    (folder / "export_raw.csv").write_text(text + line + "\n")
    report = validate_study(folder, today=TODAY)
    (err,) = [p for p in report.errors if p.rule == "duplicate-record"]
    assert err.row == 18 and "first at row 14" in err.message and err.column == "record_id"


def test_classic_project_duplicate_record(tmp_path):
    folder = tmp_path / "classic"
    folder.mkdir()
    shutil.copy(FIXTURE.parent / "redcap" / "dictionary.csv", folder / "dictionary.csv")
    text = (FIXTURE.parent / "redcap" / "records_raw.csv").read_text()
    first = text.splitlines()[1]
    (folder / "records_raw.csv").write_text(text + first + "\n")
    shutil.copy(FIXTURE.parent / "redcap" / "study.yaml", folder / "study.yaml")
    report = validate_study(folder, today=TODAY)
    assert [(p.row, p.rule) for p in report.errors] == [(14, "duplicate-record")]


def test_checkbox_codes_in_upper_case_and_negative(tmp_path):
    yaml = (FIXTURE / "study.yaml").read_text()
    yaml = yaml[: yaml.index("  covariates:")] + yaml[yaml.index("  lesions:"):]
    study = _load(_copy(tmp_path, yaml=yaml)).study
    p = study.patients
    assert p["sites_lung"].tolist() == ["true", "true", "false"]
    assert p["sites_unknown"].tolist() == ["false", "false", "false"]     # code -99 -> sites____99
    assert not [c for c in p.columns if "___" in c or c.startswith("sites__")]


def test_where_filters_and_all_records_accounted(tmp_path):
    yaml = (FIXTURE / "study.yaml").read_text().replace(
        '- {field: screen_fail, is_not: "Yes"}', '- {field: screen_fail, is_not: "Yes"}\n    - {field: sex, is: Male}')
    study = _load(_copy(tmp_path, yaml=yaml)).study
    assert list(study.patients["patient_id"]) == ["101", "104"]
    left = study.flow.excluded("records").set_index("patient_id")["reason"]
    assert "screen_fail" in left["103"] and "sex is Male" in left["102"]
    assert len(study.flow.parts["records"]) == 4


def test_where_on_an_unknown_field_is_an_error(tmp_path):
    yaml = (FIXTURE / "study.yaml").read_text().replace("field: screen_fail", "field: screen_failure")
    report = validate_study(_copy(tmp_path, yaml=yaml), today=TODAY)
    assert ("screen_failure", "missing-column") in [(p.column, p.rule) for p in report.errors]
    assert not report.usable


def test_earliest_and_plain_field_warning_on_differing_values(tmp_path):
    yaml = (FIXTURE / "study.yaml").read_text().replace(
        "{ecog_baseline: ecog@enrollment_arm_1}, {ecog_month6: ecog@month_6_arm_1}", "ecog").replace(
        "start_date: ifo_start", "start_date: ifo_start\n    progression_date: {earliest: [fu_date]}")
    report = _load(_copy(tmp_path, yaml=yaml))
    p = report.study.patients.set_index("patient_id")
    assert p["ecog"].tolist() == [0.0, 1.0, 0.0]                         # the first value, with a warning
    (w,) = [x for x in report.warnings if x.rule == "differing-values"]
    assert w.column == "ecog" and "2 record(s)" in w.message and w.row == 2
    assert p["progression_date"].tolist()[0] == pd.Timestamp("2020-07-01")


def test_when_condition_with_status_dead_and_no_date(tmp_path):
    folder = _copy(tmp_path)
    _edit(folder / "export_raw.csv", "2020-11-20,2,2020-11-20", "2020-11-20,2,")
    report = _load(folder)
    msgs = [p for p in report.warnings if p.rule == "conditional-field" and p.patient_id == "102"]
    assert msgs and "is empty" in msgs[0].message and msgs[0].row == 10


@pytest.mark.parametrize("bad", ["{latest: []}", "{field: a, latest: [b]}", "{field: dod, when: {field: x}}"])
def test_bad_field_specs_are_config_errors(tmp_path, bad):
    yaml = (FIXTURE / "study.yaml").read_text().replace("{latest: [fu_date, ct_date]}", bad)
    report = validate_study(_copy(tmp_path, yaml=yaml), today=TODAY)
    assert any(p.rule == "config" and p.file == "study.yaml" and p.row == 6 for p in report.errors)



def test_dictionary_labels_reach_the_report(tmp_path):
    from oncoseries.analysis import analyze, write_outputs

    folder = _copy(tmp_path)
    report = _load(folder)
    assert report.study.labels["ecog_baseline"] == "ECOG performance status (Enrollment)"
    results = analyze(report.study)
    out = tmp_path / "out"
    write_outputs(results, out)
    import json
    data = json.loads((out / "results.json").read_text())
    assert data["study"]["labels"]["weight"] == "Weight (kg)"
    html = (out / "report.html").read_text()
    assert "Weight (kg)" in html and "Sites of relapse: Lung" in html
    flow = {r["population"]: r for r in data["patient_flow"]}
    assert flow["records"]["n"] == 4 and flow["records"]["excluded"] == 1


def test_where_and_when_in_redcap_logic(tmp_path):
    """REDCap users write conditions as REDCap logic; the same result as the structured form."""
    yaml = (FIXTURE / "study.yaml").read_text().replace(
        '- {field: screen_fail, is_not: "Yes"}', "- \"[Screen_Fail] <> '1' and [enrollment_arm_1][sex] <> ''\"").replace(
        "{field: dod, when: {field: vital_status, is: Dead}}", "{field: dod, when: \"[vital_status] = '2'\"}")
    ref = _load(_copy(tmp_path / "a")).study
    study = _load(_copy(tmp_path / "b", yaml=yaml)).study
    assert_frame_equal(study.patients, ref.patients)
    left = study.flow.excluded("records")
    assert left["patient_id"].tolist() == ["103"] and "screen_fail is not 1" in left["reason"].iloc[0]


def test_redcap_logic_with_or_is_a_config_error(tmp_path):
    yaml = (FIXTURE / "study.yaml").read_text().replace(
        '- {field: screen_fail, is_not: "Yes"}', "- \"[screen_fail] = '0' or [sex] = '1'\"")
    report = validate_study(_copy(tmp_path, yaml=yaml), today=TODAY)
    (err,) = [p for p in report.errors if p.rule == "config"]
    assert "or" in err.message and err.row == 8


@pytest.mark.parametrize("fmt", ["DD/MM/YYYY", "MM/DD/YYYY"])
def test_export_with_day_month_dates(tmp_path, fmt):
    """REDCap's export option for D/M/Y or M/D/Y dates: read back as the same dates."""
    ref = _load(_copy(tmp_path / "ref")).study
    folder = _copy(tmp_path / "dmy", yaml=(FIXTURE / "study.yaml").read_text().replace(
        "redcap:\n", f"redcap:\n  date_format: {fmt}\n"))
    text = (folder / "export_raw.csv").read_text()
    import re

    def swap(m):
        y, mo, d = m.groups()
        return f"{d}/{mo}/{y}" if fmt.startswith("DD") else f"{mo}/{d}/{y}"
    (folder / "export_raw.csv").write_text(re.sub(r"(\d{4})-(\d{2})-(\d{2})", swap, text))
    study = _load(folder).study
    assert_frame_equal(study.patients, ref.patients)
    assert_frame_equal(study.lesions, ref.lesions)


def test_validate_json_states_the_files_chosen(tmp_path):
    import json
    import subprocess
    import sys
    folder = _copy(tmp_path)
    r = subprocess.run([sys.executable, "-c", "from oncoseries.cli import main; main()", "validate", str(folder),
                        "--format", "json"], capture_output=True, text=True)
    doc = json.loads(r.stdout)
    assert r.returncode == 0 and doc["valid"] is True
    assert any(n.startswith("REDCap records export: export_raw.csv") for n in doc["notes"])
    flow = {f["population"]: f for f in doc["flow"]}
    assert flow["records"]["n"] == 4 and flow["records"]["excluded"] == 1
