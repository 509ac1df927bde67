"""The example-study generator: deterministic, valid, and shaped like the series it imitates."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from oncoseries.examples import example_study_path, generate_study
from oncoseries.examples._calibrate import calibrated_outcomes
from oncoseries.study import read_study, validate_study

FILES = ("patients.csv", "lesions.csv", "biomarkers.csv", "mutations.csv", "treatments.csv",
         "adverse_events.csv", "study.yaml")
COMMITTED_OUT = "src/oncoseries/examples/data/hdifo"
LAST_DATE = pd.Timestamp("2025-12-31")


@pytest.fixture(scope="module")
def study():
    return read_study(example_study_path())


def test_same_seed_gives_byte_identical_files(tmp_path):
    a = generate_study(tmp_path / "a", 51, 2020)
    b = generate_study(tmp_path / "b", 51, 2020)
    for name in FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_committed_study_is_what_the_generator_writes(tmp_path):
    """src/oncoseries/examples/data/hdifo is exactly the output of the call in its README."""
    out = generate_study(tmp_path / "hdifo", 51, 2020, 3)
    committed = example_study_path()
    for name in FILES + ("README.md",):
        text = (out / name).read_text(encoding="utf-8").replace(str(tmp_path / "hdifo"), COMMITTED_OUT)
        assert text == (committed / name).read_text(encoding="utf-8"), name
    assert ("python -m oncoseries.examples.generator --out src/oncoseries/examples/data/hdifo "
            "--patients 51 --seed 2020 --centres 3") in (committed / "README.md").read_text()


def test_another_seed_gives_another_study(tmp_path):
    a = generate_study(tmp_path / "a", 51, 2020)
    b = generate_study(tmp_path / "b", 51, 2021)
    assert (a / "lesions.csv").read_bytes() != (b / "lesions.csv").read_bytes()


def test_committed_study_validates_without_errors_or_warnings():
    report = validate_study(example_study_path())
    assert report.usable
    assert report.problems == []
    assert set(report.study.tables) == {"patients", "lesions", "biomarkers", "mutations", "treatments",
                                        "adverse_events"}


def test_thousand_patient_study_validates(tmp_path):
    out = generate_study(tmp_path / "k", 1000, 11)
    report = validate_study(out)
    assert report.usable and report.problems == []
    o, _, _ = calibrated_outcomes(11, 1000)
    assert (o.bor == "CR").sum() == round(1000 / 51) and (o.bor == "PR").sum() == round(9000 / 51)
    assert (report.study.patients["cr2"] == "yes").sum() == round(26000 / 51)


@pytest.mark.parametrize("n", [1, 2, 7])
def test_tiny_studies_are_valid(tmp_path, n):
    report = validate_study(generate_study(tmp_path / "t", n, 3))
    assert report.usable and report.problems == [] and len(report.study.patients) == n


def test_structure(study):
    p = study.patients
    assert len(p) == 51 and p["patient_id"].is_unique
    assert p["centre"].nunique() == 3
    assert (p["cr2"] == "yes").sum() == 26
    assert set(p["prior_ifosfamide"]) == {"yes", "no"} and set(p["relapse_site"]) <= {"lung", "bone", "both"}
    assert set(p["ecog"]) <= {0, 1, 2} and set(p["line_of_therapy"]) <= {2, 3, 4}
    for col in ("age", "sex", "primary_site", "n_lesions", "relapse_free_interval_months"):
        assert p[col].notna().all(), col
    o, _, _ = calibrated_outcomes(2020, 51)
    assert (o.bor == "CR").sum() == 1 and (o.bor == "PR").sum() == 9
    assert "SYNTHETIC" in study.config.title and study.config.time_unit == "months"
    assert study.config.landmarks == {"PFS": [6], "OS": [12, 24]}
    assert study.config.cox == {"PFS": ["prior_ifosfamide", "ecog", "age"], "OS": ["cr2"]}
    assert study.config.table1.by == "prior_ifosfamide" and study.config.regression.screen == "all"


def test_no_date_after_2025_and_date_order(study):
    p = study.patients
    for name, df in study.tables.items():
        for col in df.columns:
            if pd.api.types.is_datetime64_any_dtype(df[col]):
                assert (df[col].dropna() <= LAST_DATE).all(), (name, col)
    dead = p["death_date"].notna()
    assert (p.loc[dead, "last_contact_date"] == p.loc[dead, "death_date"]).all()
    assert (p["progression_date"].dropna() <= p.loc[p["progression_date"].notna(), "last_contact_date"]).all()
    assert (p["new_therapy_date"].dropna() > p.loc[p["new_therapy_date"].notna(), "start_date"]).all()
    last = p.set_index("patient_id")["last_contact_date"]
    for name in ("lesions", "treatments", "adverse_events"):
        df = study.tables[name]
        assert (df["date"] <= df["patient_id"].map(last)).all(), name


def test_lesions_follow_recist_target_rules(study):
    les = study.lesions
    start = les["patient_id"].map(study.patients.set_index("patient_id")["start_date"])
    days = (les["date"] - start).dt.days
    first = les.groupby("patient_id")["date"].transform("min")
    base = les[les["date"] == first]
    # baseline: one scan 1-27 days before start, and no other scan on or before start
    assert days[les["date"] == first].between(-27, -1).all()
    assert (days[les["date"] != first] > 0).all()
    tgt = base[base["role"] == "target"]
    assert tgt.groupby("patient_id").size().between(1, 5).all()
    assert tgt.groupby(["patient_id", "organ"]).size().max() <= 2
    assert (tgt.loc[~tgt["nodal"], "diameter_mm"] >= 10).all()
    assert (tgt.loc[tgt["nodal"], "diameter_mm"] >= 15).all()
    assert set(base["role"]) <= {"target", "non_target"} and (base["state"] == "present").all()
    # later scans every 6-13 weeks; each repeats every baseline lesion
    scans = les.drop_duplicates(["patient_id", "date"]).sort_values(["patient_id", "date"])
    gaps = scans.groupby("patient_id")["date"].diff().dt.days.dropna()
    assert gaps.between(42, 91).all()
    old = les[les["role"] != "new"]
    per_scan = old.groupby(["patient_id", "date"]).size()
    per_patient = base.groupby("patient_id").size()
    assert (per_scan.to_numpy() == per_patient.loc[per_scan.index.get_level_values(0)].to_numpy()).all()
    # states fit roles; new lesions appear only on a patient's last scan
    assert set(les.loc[les["role"] == "target", "state"]) <= {"present", "absent", "too_small"}
    assert set(les.loc[les["role"] == "non_target", "state"]) <= {"present", "absent",
                                                                  "unequivocal_progression"}
    new = les[les["role"] == "new"]
    assert len(new) > 0
    assert (new["date"] == new["patient_id"].map(les.groupby("patient_id")["date"].max())).all()
    measured = les["state"] == "present"
    assert les.loc[measured & (les["role"] == "target"), "diameter_mm"].notna().all()
    assert les.loc[les["state"].isin(["absent", "too_small"]), "diameter_mm"].isna().all()


def test_treatments_are_hd_ifosfamide_cycles(study):
    t = study.treatments.sort_values(["patient_id", "cycle"])
    p = study.patients.set_index("patient_id")
    assert set(t["drug"]) == {"ifosfamide"} and (t["planned_dose_mg_m2"] == 15000).all()
    assert set(t["dose_mg_m2"]) <= {15000, 12000}
    # BSA from the patient's height and each cycle's weight (Mosteller), as oncoseries computes it
    bsa = np.sqrt(t["patient_id"].map(p["height_cm"]) * t["weight_kg"] / 3600)
    assert bsa.between(1.0, 2.6).all() and p["height_cm"].between(130, 205).all()
    assert set(t["modification_reason"].dropna()) == {"toxicity", "scheduling"}
    last = t.groupby("patient_id").tail(1)
    assert last["stop_reason"].notna().all() and t.drop(last.index)["stop_reason"].isna().all()
    assert set(last["stop_reason"]) <= {"completed", "progression", "metastasectomy", "death or lost to follow-up"}
    assert (last.loc[last["cycle"] == 6, "stop_reason"] == "completed").all()
    c1 = t[t["cycle"] == 1]
    assert len(c1) == 51 and (c1["date"].to_numpy() == p.loc[c1["patient_id"], "start_date"].to_numpy()).all()
    assert t.groupby("patient_id")["cycle"].apply(lambda c: list(c) == list(range(1, len(c) + 1))).all()
    assert (t.groupby("patient_id")["date"].diff().dt.days.dropna() >= 21).all()
    # a reduced dose stays reduced
    assert (t.groupby("patient_id")["dose_mg_m2"].diff().dropna() <= 0).all()
    assert t.groupby("patient_id").size().between(1, 6).all()


def test_adverse_events_are_typical_of_hd_ifosfamide(study):
    ae = study.adverse_events
    assert set(ae["term"]) <= {"Neutropenia", "Febrile neutropenia", "Thrombocytopenia", "Anaemia",
                               "Encephalopathy", "Nephrotoxicity", "Haemorrhagic cystitis", "Nausea"}
    assert ae["grade"].between(1, 4).all()
    worst = ae.groupby(["patient_id", "term"])["grade"].max().unstack()
    assert (worst["Neutropenia"] >= 3).mean() > 0.8               # nearly universal G3-4 neutropenia
    cyc = study.treatments.set_index(["patient_id", "cycle"])["date"]
    day1 = cyc.loc[list(zip(ae["patient_id"], ae["cycle"]))].to_numpy()
    assert (ae["date"].to_numpy() > day1).all()


def test_biomarkers_and_mutations(study):
    b = study.biomarkers
    h = b["parp1_ihc"].dropna()
    assert len(b) == 51 and h.between(0, 300).all() and (h % 5 == 0).all()
    assert ((b["parp1_ihc"] >= 150) == (b["parp1_category"] == "high"))[b["parp1_ihc"].notna()].all()
    assert b.loc[b["parp1_ihc"].isna(), "parp1_category"].isna().all()
    m = study.mutations
    tested = set(b.loc[b["ngs_tested"] == "yes", "patient_id"])
    assert set(m["patient_id"]) <= tested
    assert {"TP53", "RB1"} <= set(m["gene"])
    assert set(m["classification"]) <= {"pathogenic", "likely pathogenic", "VUS"}
    assert m["variant"].notna().all()


def test_module_entry_point(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(p) for p in sys.path if p])}
    r = subprocess.run([sys.executable, "-m", "oncoseries.examples.generator", "--out", str(tmp_path / "s"),
                        "--patients", "30", "--seed", "4"],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "SYNTHETIC" in r.stdout
    assert len(pd.read_csv(tmp_path / "s" / "patients.csv")) == 30
    bad = subprocess.run([sys.executable, "-m", "oncoseries.examples.generator", "--out", str(tmp_path / "x"),
                          "--patients", "0"], capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode == 2 and "n_patients must be >= 1" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.parametrize("kwargs, error", [({"n_patients": 0}, ValueError), ({"n_patients": "51"}, TypeError),
                                           ({"seed": -1}, ValueError), ({"centres": 0}, ValueError),
                                           ({"n_patients": 5.0}, TypeError)])
def test_bad_arguments(tmp_path, kwargs, error):
    with pytest.raises(error):
        generate_study(tmp_path, **kwargs)


def test_out_dir_that_is_a_file(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(ValueError, match="is a file"):
        generate_study(tmp_path / "f", 5)


def test_example_study_path():
    assert example_study_path().name == "hdifo"
    assert example_study_path("mini").name == "mini"
    with pytest.raises(ValueError, match="hdifo"):
        example_study_path("nope")
    with pytest.raises(TypeError):
        example_study_path(3)


def test_many_centres(tmp_path):
    p = pd.read_csv(generate_study(tmp_path / "c", 200, 1, centres=12) / "patients.csv")
    assert p["centre"].nunique() <= 12 and "Bologna" in set(p["centre"])
    assert set(p["centre"]) <= {"Bologna", "Milano", "Firenze", "Torino", "Roma", "Napoli", "Padova",
                                "Genova", "Bari", "Palermo", "Centro 11", "Centro 12"}
