"""`oncoseries analyze` writes the derived tables (INTERFACE §3) for native and SDTM studies."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd

from oncoseries.analysis import analyze, write_outputs
from oncoseries.examples import example_study_path

SUBSET = Path(__file__).resolve().parents[1] / "data" / "pharmaverse-sdtm" / "subset"


def _check_derived(out: Path, patients: list[str]):
    tp = pd.read_csv(out / "derived" / "timepoints.csv", dtype=str)
    assert list(tp.columns[:6]) == ["patient_id", "date", "target", "non_target", "new_lesions", "overall"]
    br = pd.read_csv(out / "derived" / "best_response.csv", dtype=str)
    assert list(br.columns[:5]) == ["patient_id", "bor", "bor_date", "confirmed_bor", "confirmed_bor_date"]
    assert br["bor"].notna().all() and br["confirmed_bor"].notna().all()
    ad = pd.read_csv(out / "derived" / "adtte.csv")
    assert list(ad.columns[:7]) == ["patient_id", "paramcd", "startdt", "adt", "aval", "cnsr", "evntdesc"]
    for param in ("OS", "PFS"):
        assert sorted(ad.loc[ad["paramcd"] == param, "patient_id"].astype(str)) == sorted(patients)
    days = (pd.to_datetime(ad["adt"]) - pd.to_datetime(ad["startdt"])).dt.days + 1
    assert (ad["aval"] == days).all() and ad["cnsr"].isin([0, 1]).all() and ad["evntdesc"].notna().all()
    responders = set(br.loc[br["bor"].isin(["CR", "PR"]), "patient_id"])
    assert set(ad.loc[ad["paramcd"] == "DOR", "patient_id"].astype(str)) == responders
    return tp, br, ad


def test_native_study(tmp_path):
    res = analyze(example_study_path("mini"))
    write_outputs(res, tmp_path)
    tp, br, ad = _check_derived(tmp_path, [f"P0{i}" for i in range(1, 9)])
    assert dict(zip(br["patient_id"], br["bor"])) == {
        "P01": "PR", "P02": "SD", "P03": "CR", "P04": "PD", "P05": "SD", "P06": "SD", "P07": "SD", "P08": "MISSING"}
    assert (tmp_path / "cdisc" / "adtte.xpt").exists() and (tmp_path / "cdisc" / "adrs.csv").exists()
    data = json.loads((tmp_path / "results.json").read_text())
    orr = next(r for r in data["response"]["unconfirmed"] if r["category"] == "ORR")
    assert (orr["n"], orr["N"]) == (2, 8)


def test_sdtm_study(tmp_path):
    folder = tmp_path / "sdtm"
    shutil.copytree(SUBSET, folder, ignore=shutil.ignore_patterns("*.py", "README*"))
    rs = folder / "sdtm_rs_onco.csv"
    rs.write_text(rs.read_text().replace('"CHECK","CHECK"', '"NE","NE"'))
    res = analyze(folder)
    write_outputs(res, tmp_path / "out")
    ids = res.study.patients["patient_id"].tolist()
    tp, br, ad = _check_derived(tmp_path / "out", ids)
    assert len(tp) > 20 and set(tp["overall"]) <= {"CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE"}


def test_investigator_concordance(tmp_path):
    """With lesions and assessments both given, derived responses are used and compared."""
    folder = tmp_path / "s"
    shutil.copytree(example_study_path("mini"), folder)
    derived = analyze(folder).derived["timepoints"]
    inv = derived[["patient_id", "date"]].assign(response=derived["overall"].to_numpy())
    inv.loc[inv.index[0], "response"] = "SD" if inv["response"].iloc[0] != "SD" else "PR"
    inv.to_csv(folder / "assessments.csv", index=False, date_format="%Y-%m-%d")
    res = analyze(folder)
    c = res.sections["response"]["concordance"]
    assert c["scans_matched"] == len(derived) and c["scans_agree"] == len(derived) - 1
    assert c["agreement"] == (len(derived) - 1) / len(derived)
    assert sum(map(sum, c["scan_table"]["counts"])) == len(derived)
    # the headline responses are the derived ones, not the investigator's
    assert res.derived["timepoints"]["overall"].tolist() == derived["overall"].tolist()


def test_plan_settings_reach_the_derivation(tmp_path):
    folder = tmp_path / "s"
    shutil.copytree(example_study_path("mini"), folder)
    base = analyze(folder).derived["best_response"].set_index("patient_id")["bor"]
    (folder / "study.yaml").write_text("response: {sd_min_days: 400}\npfs: {censor_at_new_therapy: false}\n")
    res = analyze(folder)
    bor = res.derived["best_response"].set_index("patient_id")["bor"]
    assert (base == "SD").sum() == 4
    assert "SD" not in set(bor) and set(bor[base == "SD"]) == {"NE", "PD"}  # SD needs day 400 now
    assert bor["P02"] == "PD" and bor["P01"] == "PR"  # P02: SD then a new lesion; responses stay
    pfs = res.derived["adtte"].query("paramcd == 'PFS'").set_index("patient_id")
    assert "new anticancer therapy" not in " ".join(pfs["evntdesc"])


def test_untreated_patients_are_excluded_not_fatal(tmp_path, base_tables):
    """A patient with scans but no treatment cycle is listed as excluded, and the rest is analysed."""
    from tests.conftest import write_study

    base_tables["treatments"] = [{"patient_id": p, "cycle": 1, "date": d}
                                 for p, d in (("P1", "2020-01-10"), ("P2", "2020-02-01"))]
    res = analyze(write_study(tmp_path / "s", **base_tables))
    flow = res.study.flow
    assert flow.excluded("all_treated").to_dict("records") == [
        {"patient_id": "P3", "reason": "no treatment cycle recorded in treatments"}]
    assert sorted(res.derived["adtte"].query("paramcd == 'OS'")["patient_id"]) == ["P1", "P2"]
    assert res.sections["response"]["population_n"] == 2
    orr = next(r for r in res.sections["response"]["unconfirmed"] if r["category"] == "ORR")
    assert orr["N"] == 2


def test_untreated_patient_in_assessments_only_study(tmp_path):
    from tests.conftest import write_study

    patients = [{"patient_id": f"P{i}", "start_date": "2020-01-10", "last_contact_date": "2021-01-10"}
                for i in range(1, 4)]
    assessments = [{"patient_id": "P1", "date": "2020-03-01", "response": "PR"},
                   {"patient_id": "P2", "date": "2020-03-01", "response": "PD"}]
    treatments = [{"patient_id": "P1", "cycle": 1, "date": "2020-01-10"},
                  {"patient_id": "P2", "cycle": 1, "date": "2020-01-10"}]
    res = analyze(write_study(tmp_path / "s", patients=patients, assessments=assessments, treatments=treatments))
    assert res.sections["response"]["population_n"] == 2
    assert set(res.derived["best_response"]["patient_id"]) == {"P1", "P2"}
