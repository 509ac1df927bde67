"""Patient flow: everyone is included or excluded with a reason, in every population."""

from __future__ import annotations

from oncoseries.study import validate_study
from tests.conftest import TODAY, write_study


def test_every_patient_in_every_population(tmp_path, base_tables):
    base_tables["patients"].append({"patient_id": "P4", "start_date": "2020-04-01",
                                    "last_contact_date": "2020-09-01"})
    base_tables["lesions"].append({"patient_id": "P3", "date": "2020-03-15", "lesion_id": "X",
                                   "role": "non_target", "diameter_mm": ""})
    base_tables["treatments"] = [{"patient_id": p, "cycle": 1, "date": d}
                                 for p, d in (("P1", "2020-01-10"), ("P2", "2020-02-01"), ("P4", "2020-04-01"))]
    flow = validate_study(write_study(tmp_path / "s", **base_tables), today=TODAY).study.flow
    t = flow.table
    for pop in ("entered", "all_treated", "response_evaluable", "OS", "PFS"):
        assert sorted(t.loc[t["population"] == pop, "patient_id"]) == ["P1", "P2", "P3", "P4"]
    assert flow.excluded("all_treated").to_dict("records") == [
        {"patient_id": "P3", "reason": "no treatment cycle recorded in treatments"}]
    ev = dict(zip(*flow.excluded("response_evaluable").to_dict("list").values()))
    assert ev == {"P3": "not treated", "P4": "no lesion measurements"}
    assert list(flow.included("OS")) == ["P1", "P2", "P4"]
    s = flow.summary().set_index("population")
    assert s.loc["response_evaluable", "reasons"] == {"no lesion measurements": 1, "not treated": 1}
    assert (t.loc[t["included"], "reason"].isna()).all() and t.loc[~t["included"], "reason"].notna().all()


def test_unmeasurable_baseline(tmp_path, base_tables):
    base_tables["lesions"][4]["diameter_mm"] = "9.9"      # P3's only target at baseline: below 10 mm
    flow = validate_study(write_study(tmp_path / "s", **base_tables), today=TODAY).study.flow
    assert flow.excluded("response_evaluable").to_dict("records") == [
        {"patient_id": "P3", "reason": "no measurable target lesion at baseline"}]
