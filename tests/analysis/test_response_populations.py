"""A study of non-target-only patients through the whole analysis (issue 12): responses, DCR, PFS, the flow
and the report's response table. Expected values by hand from RECIST 1.1 (Eisenhauer 2009) Table 2 and §4.4."""

from __future__ import annotations

from pathlib import Path

from oncoseries.analysis import analyze
from oncoseries.report.document import build_document

PATIENTS = """patient_id,start_date,last_contact_date,death_date
N01,2021-01-04,2022-02-08,
N02,2021-01-04,2021-10-31,2021-10-31
N03,2021-01-04,2022-05-19,
M01,2021-01-04,2022-05-19,
Z01,2021-01-04,2022-05-19,
"""
# N01 bone stable (NON-CR/NON-PD), N02 unequivocal progression at day 56 (PD), N03 disappears (CR, CR),
# M01 measurable 30 -> 20 mm (PR), Z01 a target on day 56 only (no baseline scan: no disease at baseline)
LESIONS = """patient_id,date,lesion_id,role,organ,nodal,diameter_mm,state
N01,2020-12-28,B1,non_target,bone,false,,present
N01,2021-03-01,B1,non_target,bone,false,,present
N01,2021-04-26,B1,non_target,bone,false,,present
N02,2020-12-28,B1,non_target,bone,false,,present
N02,2021-03-01,B1,non_target,bone,false,,unequivocal_progression
N03,2020-12-28,B1,non_target,bone,false,,present
N03,2021-03-01,B1,non_target,bone,false,,absent
N03,2021-04-26,B1,non_target,bone,false,,absent
M01,2020-12-28,T1,target,lung,false,30,present
M01,2021-03-01,T1,target,lung,false,20,present
Z01,2021-03-01,T1,target,lung,false,20,present
"""


def _study(tmp_path: Path, yaml: str = "") -> Path:
    (tmp_path / "patients.csv").write_text(PATIENTS)
    (tmp_path / "lesions.csv").write_text(LESIONS)
    if yaml:
        (tmp_path / "study.yaml").write_text(yaml)
    return tmp_path


def test_measurable_population_with_non_measurable_patients(tmp_path):
    res = analyze(_study(tmp_path))
    resp = res.sections["response"]
    # response population: M01 only; all with disease: N01, N02, N03, M01 (Z01 has no baseline lesion)
    assert resp["population_n"] == 1
    assert resp["populations"] == {"population": "measurable", "any_disease_n": 4, "measurable_n": 1,
                                   "non_measurable_n": 3, "no_disease_n": 1}
    allrows = {r["category"]: r["n"] for r in resp["any_disease"]["unconfirmed"]}
    # CR (N03) + PR (M01) = ORR 2; DCR adds NON-CR/NON-PD (N01, day 56 >= 42) = 3; PD (N02) = 1
    assert (allrows["CR"], allrows["PR"], allrows["NON-CR/NON-PD"], allrows["PD"], allrows["ORR"],
            allrows["DCR"]) == (1, 1, 1, 1, 2, 3)
    flow = {r["population"]: r for r in res.to_dict()["patient_flow"]}
    assert flow["response_disease"]["included"] == 4
    no_base = "no baseline scan within 28 days before start_date"
    assert flow["response_disease"]["reasons"] == {no_base: 1}                 # Z01
    assert flow["response_evaluable"]["reasons"] == {
        no_base: 1, "non-measurable disease only (no measurable target lesion at baseline)": 3}
    best = res.derived["best_response"].set_index("patient_id")
    assert best["measurable"].to_dict() == {"N01": False, "N02": False, "N03": False, "M01": True}
    # everyone is in PFS: N02 progresses on day 56 (aval 57)
    pfs = res.derived["adtte"].query("paramcd == 'PFS'").set_index("patient_id")
    assert len(pfs) == 5 and (pfs.loc["N02", "aval"], pfs.loc["N02", "cnsr"]) == (57, 0)
    table = next(t for t in build_document(res).tables if t.name == "response")
    assert table.columns[1:] == ["Unconfirmed, n (%)", "Unconfirmed, 95% CI", "Confirmed, n (%)", "Confirmed, 95% CI",
                                 "All with disease, n (%)", "All with disease, 95% CI"]   # headline first
    assert any("3 patient(s) with non-measurable disease only are outside it" in n for n in table.notes)


def test_population_all(tmp_path):
    res = analyze(_study(tmp_path, "response:\n  population: all\n"))
    resp = res.sections["response"]
    rows = {r["category"]: r["n"] for r in resp["unconfirmed"]}
    assert resp["population_n"] == 4 and resp["any_disease"] is None
    assert (rows["ORR"], rows["DCR"]) == (2, 3)
    flow = {r["population"]: r for r in res.to_dict()["patient_flow"]}
    assert flow["response_evaluable"]["label"] == "Evaluable for response (any disease at baseline)"
