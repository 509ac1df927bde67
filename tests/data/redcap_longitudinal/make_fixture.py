"""Write the longitudinal REDCap fixture (synthetic): dictionary, events, arms, a raw and a label export.

Run from the repository root: ``python tests/data/redcap_longitudinal/make_fixture.py``. The files are
committed; this script documents how they were made and keeps the raw and label exports in step.
"""

from __future__ import annotations

import csv
from pathlib import Path

HERE = Path(__file__).resolve().parent

# field, form, type, label, choices, validation
FIELDS = [
    ("record_id", "enrollment", "text", "Record ID", "", ""),
    ("screen_fail", "enrollment", "yesno", "Screening failure", "", ""),
    ("ifo_start", "enrollment", "text", "Start of ifosfamide", "", "date_ymd"),
    ("sex", "enrollment", "radio", "Sex", "1, Male | 2, Female", ""),
    ("age", "enrollment", "text", "Age at relapse (years)", "", "integer"),
    ("prior_ifo", "enrollment", "yesno", "Prior ifosfamide", "", ""),
    ("sites", "enrollment", "checkbox", "Sites of relapse", "LUNG, Lung | BONE, Bone | -99, Unknown", ""),
    ("weight", "enrollment", "text", "Weight (kg)", "", "number_1dp_comma_decimal"),
    ("ecog", "status", "radio", "ECOG performance status", "0, 0 | 1, 1 | 2, 2", ""),
    ("fu_date", "follow_up", "text", "Date of follow-up visit", "", "date_ymd"),
    ("vital_status", "follow_up", "radio", "Vital status", "1, Alive | 2, Dead", ""),
    ("dod", "follow_up", "text", "Date of death", "", "date_ymd"),
    ("ct_date", "ct_lesions", "text", "CT date", "", "date_ymd"),
    ("les_id", "ct_lesions", "text", "Lesion ID", "", ""),
    ("les_role", "ct_lesions", "dropdown", "Lesion role", "1, Target | 2, Non-target | 3, New", ""),
    ("les_site", "ct_lesions", "text", "Organ", "", ""),
    ("les_diam", "ct_lesions", "text", "Diameter (mm)", "", "number"),
]
FORM_LABELS = {"enrollment": "Enrollment", "status": "Status", "follow_up": "Follow Up", "ct_lesions": "CT Lesions"}
EVENTS = [("Enrollment", "enrollment_arm_1", ["enrollment", "status"]),
          ("Month 6", "month_6_arm_1", ["status", "follow_up"]),
          ("Follow-up", "followup_arm_1", ["follow_up"]),
          ("Imaging", "imaging_arm_1", ["ct_lesions"])]
ARM = "Relapsed osteosarcoma"

# (record, event, repeat instrument, instance, dag, {field: raw value})
ROWS = [
    ("101", "enrollment_arm_1", "", "", "bologna", dict(screen_fail="0", ifo_start="2020-01-10", sex="1", age="17",
     prior_ifo="0", sites___lung="1", sites___bone="0", sites____99="0", weight="61,5", ecog="0")),
    ("101", "month_6_arm_1", "", "", "bologna", dict(ecog="1", fu_date="2020-07-01", vital_status="1")),
    ("101", "followup_arm_1", "follow_up", "1", "bologna", dict(fu_date="2021-02-01", vital_status="1")),
    ("101", "followup_arm_1", "follow_up", "2", "bologna", dict(fu_date="2021-06-30", vital_status="1")),
    ("101", "imaging_arm_1", "ct_lesions", "1", "bologna", dict(ct_date="2020-01-05", les_id="T1", les_role="1",
     les_site="lung", les_diam="30")),
    ("101", "imaging_arm_1", "ct_lesions", "2", "bologna", dict(ct_date="2020-03-01", les_id="T1", les_role="1",
     les_site="lung", les_diam="20")),
    ("102", "enrollment_arm_1", "", "", "milan", dict(screen_fail="0", ifo_start="2020-02-01", sex="2", age="24",
     prior_ifo="1", sites___lung="1", sites___bone="1", sites____99="0", weight="70,0", ecog="1")),
    ("102", "month_6_arm_1", "", "", "milan", dict(ecog="2", fu_date="2020-08-01", vital_status="1")),
    ("102", "followup_arm_1", "follow_up", "1", "milan", dict(fu_date="2020-11-20", vital_status="2",
     dod="2020-11-20")),
    ("102", "imaging_arm_1", "ct_lesions", "1", "milan", dict(ct_date="2020-01-20", les_id="T1", les_role="1",
     les_site="lung", les_diam="25")),
    ("102", "imaging_arm_1", "ct_lesions", "2", "milan", dict(ct_date="2020-03-20", les_id="T1", les_role="1",
     les_site="lung", les_diam="35")),
    ("103", "enrollment_arm_1", "", "", "milan", dict(screen_fail="1", sex="1", age="40", prior_ifo="0",
     sites___lung="0", sites___bone="0", sites____99="1")),
    ("104", "enrollment_arm_1", "", "", "milan", dict(screen_fail="0", ifo_start="2020-03-15", sex="1", age="31",
     prior_ifo="0", sites___lung="0", sites___bone="1", sites____99="0", weight="80,2", ecog="0")),
    ("104", "followup_arm_1", "follow_up", "1", "milan", dict(fu_date="2022-01-15", vital_status="1",
     dod="2021-12-01")),
    ("104", "imaging_arm_1", "ct_lesions", "1", "milan", dict(ct_date="2020-03-15", les_id="T1", les_role="1",
     les_site="bone", les_diam="40")),
    ("104", "imaging_arm_1", "ct_lesions", "2", "milan", dict(ct_date="2020-05-10", les_id="T1", les_role="1",
     les_site="bone", les_diam="41")),
]


def _choices(text: str) -> list[tuple[str, str]]:
    return [(p.split(",", 1)[0].strip(), p.split(",", 1)[1].strip()) for p in text.split("|")] if text else []


def _columns() -> list[tuple[str, str, str]]:
    """(raw header, label header, field) in REDCap's export order."""
    out = [("record_id", "Record ID", "record_id"), ("redcap_event_name", "Event Name", ""),
           ("redcap_repeat_instrument", "Repeat Instrument", ""), ("redcap_repeat_instance", "Repeat Instance", ""),
           ("redcap_data_access_group", "Data Access Group", "")]
    for form in FORM_LABELS:
        for f, frm, typ, label, choices, _ in FIELDS:
            if frm != form or f == "record_id":
                continue
            if typ == "checkbox":
                for code, lab in _choices(choices):
                    col = f"{f}___" + "".join(c if c.isalnum() else "_" for c in code.lower())
                    out.append((col, f"{label} (choice={lab})", col))
            else:
                out.append((f, label, f))
        out.append((f"{form}_complete", "Complete?", f"{form}_complete"))
    return out


def _label_value(field: str, raw: str) -> str:
    spec = next((x for x in FIELDS if x[0] == field), None)
    if "___" in field:
        return {"1": "Checked", "0": "Unchecked"}.get(raw, raw)
    if field.endswith("_complete"):
        return {"2": "Complete", "0": "Incomplete"}.get(raw, raw)
    if spec is None or not raw:
        return raw
    if spec[2] == "yesno":
        return {"1": "Yes", "0": "No"}[raw]
    return dict(_choices(spec[4])).get(raw, raw)


def main() -> None:
    with open(HERE / "dictionary.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
                    "Choices, Calculations, OR Slider Labels", "Field Note",
                    "Text Validation Type OR Show Slider Number", "Text Validation Min", "Text Validation Max",
                    "Identifier?", "Branching Logic (Show field only if...)", "Required Field?", "Custom Alignment",
                    "Question Number (surveys only)", "Matrix Group Name", "Matrix Ranking?", "Field Annotation"])
        for f, form, typ, label, choices, valid in FIELDS:
            w.writerow([f, form, "", typ, label, choices, "", valid] + [""] * 10)
    with open(HERE / "project_events.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["event_name", "arm_num", "day_offset", "offset_min", "offset_max", "unique_event_name",
                    "custom_event_label"])
        for i, (name, unique, _) in enumerate(EVENTS):
            w.writerow([name, "1", str(i * 30), "0", "0", unique, ""])
    with open(HERE / "project_arms.csv", "w", newline="") as fh:
        csv.writer(fh).writerows([["arm_num", "name"], ["1", ARM]])
    cols = _columns()
    event_label = {u: f"{n} (Arm 1: {ARM})" for n, u, _ in EVENTS}
    forms_of = {u: forms for _, u, forms in EVENTS}
    field_form = {f: frm for f, frm, *_ in FIELDS}
    raw_rows, label_rows = [], []
    for rec, event, instrument, instance, dag, values in ROWS:
        forms = [instrument] if instrument else [f for f in forms_of[event] if f not in ("follow_up", "ct_lesions")
                                                 or event == "month_6_arm_1"]
        raw, lab = [], []
        for col, _, field in cols:
            if col == "record_id":
                v = rec
            elif col == "redcap_event_name":
                v, lv = event, event_label[event]
            elif col == "redcap_repeat_instrument":
                v, lv = instrument, FORM_LABELS.get(instrument, "")
            elif col == "redcap_repeat_instance":
                v = instance
            elif col == "redcap_data_access_group":
                v, lv = dag, dag.capitalize()
            elif col.endswith("_complete"):
                v = "2" if col[:-9] in forms else ""
            else:
                base = col.split("___")[0]
                v = values.get(col, "") if field_form.get(base) in forms else ""
            raw.append(v)
            lab.append(lv if col in ("redcap_event_name", "redcap_repeat_instrument", "redcap_data_access_group")
                       else _label_value(col, v))
        raw_rows.append(raw)
        label_rows.append(lab)
    for name, header, rows in (("export_raw.csv", [c[0] for c in cols], raw_rows),
                               ("export_labels.csv", [c[1] for c in cols], label_rows)):
        with open(HERE / name, "w", newline="") as fh:
            w = csv.writer(fh, quoting=csv.QUOTE_ALL if "labels" in name else csv.QUOTE_MINIMAL)
            w.writerow(header)
            w.writerows(rows)


if __name__ == "__main__":
    main()
