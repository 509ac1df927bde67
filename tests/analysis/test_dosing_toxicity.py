"""Exposure (``dosing``) and toxicity sections on a hand-built study whose expected numbers are worked out
below by hand; BSA formulas against published worked examples; bad dosing and toxicity input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from tests.conftest import TODAY, write_study

from oncoseries.analysis import analyze
from oncoseries.analysis.exposure import bsa
from oncoseries.analysis.toxicity import term_group
from oncoseries.study import validate_study

PATIENTS = [
    {"patient_id": "P1", "start_date": "2020-01-10", "last_contact_date": "2021-06-30", "death_date": "",
     "height_cm": "", "weight_kg": ""},
    {"patient_id": "P2", "start_date": "2020-02-01", "last_contact_date": "2020-11-20", "death_date": "2020-11-20",
     "height_cm": "170", "weight_kg": "70"},
    {"patient_id": "P3", "start_date": "2020-03-15", "last_contact_date": "2022-01-15", "death_date": "",
     "height_cm": "160", "weight_kg": ""},
    {"patient_id": "P4", "start_date": "2020-04-01", "last_contact_date": "2021-01-15", "death_date": "",
     "height_cm": "", "weight_kg": ""},
]
LESIONS = [
    {"patient_id": p, "date": d, "lesion_id": "T1", "role": "target", "diameter_mm": mm}
    for p, d, mm in [("P1", "2020-01-05", 30), ("P1", "2020-03-01", 20), ("P2", "2020-01-20", 25),
                     ("P2", "2020-03-20", 35), ("P3", "2020-03-15", 40), ("P3", "2020-05-10", 41)]
]
# planned 100 mg/m2 every 21 days
TREATMENTS = [
    # P1: BSA given; cycle 3 seven days late and reduced to 75 for toxicity; stays at 75; completed
    dict(patient_id="P1", cycle=1, date="2020-01-10", bsa_m2=1.5, dose_mg_m2=100, dose_mg="", weight_kg="",
         planned_dose_mg_m2=100, modification_reason="", stop_reason=""),
    dict(patient_id="P1", cycle=2, date="2020-01-31", bsa_m2=1.5, dose_mg_m2=100, dose_mg="", weight_kg="",
         planned_dose_mg_m2=100, modification_reason="", stop_reason=""),
    dict(patient_id="P1", cycle=3, date="2020-02-28", bsa_m2=1.5, dose_mg_m2=75, dose_mg="", weight_kg="",
         planned_dose_mg_m2=100, modification_reason="Toxicity (febrile neutropenia)", stop_reason=""),
    dict(patient_id="P1", cycle=4, date="2020-03-20", bsa_m2=1.5, dose_mg_m2=75, dose_mg="", weight_kg="",
         planned_dose_mg_m2=100, modification_reason="", stop_reason="completed"),
    # P2: BSA from the patients row (170 cm, 70 kg); cycle 2 given as 200 mg absolute; stopped for toxicity
    dict(patient_id="P2", cycle=1, date="2020-02-01", bsa_m2="", dose_mg_m2=100, dose_mg="", weight_kg="",
         planned_dose_mg_m2=100, modification_reason="", stop_reason=""),
    dict(patient_id="P2", cycle=2, date="2020-02-22", bsa_m2="", dose_mg_m2="", dose_mg=200, weight_kg="",
         planned_dose_mg_m2=100, modification_reason="", stop_reason="toxicity"),
    # P3: 160 cm (patients) and 64 kg (cycle rows); cycle 2 one day late (not a delay: threshold 3 days)
    dict(patient_id="P3", cycle=1, date="2020-03-15", bsa_m2="", dose_mg_m2=100, dose_mg="", weight_kg=64,
         planned_dose_mg_m2=100, modification_reason="", stop_reason=""),
    dict(patient_id="P3", cycle=2, date="2020-04-06", bsa_m2="", dose_mg_m2=100, dose_mg="", weight_kg=64,
         planned_dose_mg_m2=100, modification_reason="", stop_reason="progression"),
]
AES = [
    dict(patient_id="P1", term="Neutropenia", grade=4, cycle=1, date=""),
    dict(patient_id="P1", term="Neutropenia", grade=2, cycle=2, date=""),
    dict(patient_id="P1", term="Nausea", grade=1, cycle=1, date=""),
    dict(patient_id="P1", term="Nausea", grade=3, cycle=3, date=""),
    dict(patient_id="P2", term="Neutropenia", grade=3, cycle=1, date=""),
    dict(patient_id="P2", term="Febrile neutropenia", grade=3, cycle=1, date=""),
    dict(patient_id="P2", term="Nausea", grade=2, cycle=2, date=""),
    dict(patient_id="P2", term="Fatigue", grade=5, cycle=2, date=""),
    dict(patient_id="P3", term="Anaemia", grade=2, cycle=1, date=""),
    dict(patient_id="P3", term="Nausea", grade=1, cycle="", date="2020-04-10"),   # -> cycle 2 by its date
    dict(patient_id="P4", term="Nausea", grade=2, cycle="", date="2020-04-20"),   # P4 has no dose record
]


@pytest.fixture(scope="module")
def res(tmp_path_factory):
    folder = write_study(tmp_path_factory.mktemp("tox") / "s", patients=PATIENTS, lesions=LESIONS,
                         treatments=TREATMENTS, adverse_events=AES)
    return json.loads(json.dumps(analyze(folder).to_dict()))


def test_toxicity_per_patient_table(res):
    t = res["toxicity"]
    assert t["N"] == 3                      # the treated patients (P4 has no cycle)
    rows = [(r["group"], r["term"], r["any"]["n"], r["grade_1"]["n"], r["grade_2"]["n"], r["grade_3"]["n"],
             r["grade_4"]["n"], r["grade_5"]["n"], r["grade_3_plus"]["n"]) for r in t["terms"]]
    assert rows == [
        ("Haematological", "Neutropenia", 2, 0, 0, 1, 1, 0, 2),          # worst: P1 G4, P2 G3
        ("Haematological", "Febrile neutropenia", 1, 0, 0, 1, 0, 0, 1),
        ("Haematological", "Anaemia", 1, 0, 1, 0, 0, 0, 0),
        ("Non-haematological", "Nausea", 3, 1, 1, 1, 0, 0, 1),           # P1 G3, P2 G2, P3 G1 (P4 left out)
        ("Non-haematological", "Fatigue", 1, 0, 0, 0, 0, 1, 1),
    ]
    assert t["terms"][0]["any"]["percent"] == pytest.approx(200 / 3)
    assert (t["summary"]["any"]["n"], t["summary"]["grade_3_plus"]["n"], t["summary"]["grade_5"]["n"]) == (3, 2, 1)
    assert [(g["group"], g["any"]["n"], g["grade_3_plus"]["n"]) for g in t["by_group"]] == [
        ("Haematological", 3, 2), ("Non-haematological", 3, 2)]
    assert t["toxic_deaths"] == [{"term": "Fatigue"}]
    assert t["no_dose_record"] == {"patients": 1, "events": 1, "patient_ids": ["P4"]}
    assert t["excluded_events"] == 1 and t["events"] == 10


def test_toxicity_per_cycle(res):
    pc = res["toxicity"]["per_cycle"]
    assert pc["cycles"] == 8 and pc["events_without_cycle"] == 0
    got = {r["term"]: (r["any"]["n"], r["grade_3_plus"]["n"]) for r in pc["terms"]}
    # Neutropenia: P1 c1 (G4), P1 c2 (G2), P2 c1 (G3); Nausea: P1 c1, P1 c3 (G3), P2 c2, P3 c2 (by date)
    assert got == {"Neutropenia": (3, 2), "Febrile neutropenia": (1, 1), "Anaemia": (1, 0), "Nausea": (4, 1),
                   "Fatigue": (1, 1)}


def test_dosing(res):
    d = res["dosing"]
    assert (d["patients_treated"], d["cycles_total"], d["cycle_days"]) == (3, 8, 21.0)
    assert (d["bsa"]["cycles_given"], d["bsa"]["cycles_computed"], d["bsa"]["cycles_missing"]) == (4, 4, 0)
    assert (d["delays"]["cycles"], d["delays"]["patients"], d["delays"]["days"]["median"]) == (1, 1, 7.0)
    assert d["reductions"] == {"cycles": 2, "events": 1, "patients": 1}
    assert d["toxicity"]["delayed_cycles"] == 1 and d["toxicity"]["reductions"] == 1
    assert d["toxicity"]["discontinuations"] == 1
    assert {r["reason"]: r["n"] for r in d["stop_reasons"]} == {"completed": 1, "progression": 1, "toxicity": 1}
    p2 = 100 + 200 / np.sqrt(170 * 70 / 3600)          # mg/m2: cycle 2 = 200 mg / Mosteller BSA 1.818
    cum = sorted([0.35, p2 / 1000, 0.2])
    assert d["cumulative_dose_g_m2"]["median"] == pytest.approx(cum[1])
    # delivered mg/m2/week: P1 350 / ((70 + 21) / 7); P2 p2 / ((21 + 21) / 7); P3 200 / ((22 + 21) / 7)
    di = sorted([350 / 13, p2 / 6, 200 / (43 / 7)])
    assert d["dose_intensity_mg_m2_week"]["delivered"]["median"] == pytest.approx(di[1])
    assert d["dose_intensity_mg_m2_week"]["planned"]["median"] == pytest.approx(100 / 3)
    assert d["relative_dose_intensity"]["min"] == pytest.approx((350 / 13) / (100 / 3))
    assert d["rdi_at_least_85"] == 2


def test_bsa_published_worked_examples():
    """Mosteller (N Engl J Med 1987;317:1098): 180 cm, 80 kg -> sqrt(14400 / 3600) = 2.0 m2 exactly; the worked
    example of medicalequations.com/body-surface-area (170 cm, 70 kg -> 'about 1.818 m2'). DuBois & DuBois
    (Arch Intern Med 1916;17:863) in its original form A (cm2) = 71.84 W^0.425 H^0.725, and in metres
    0.20247 H(m)^0.725 W^0.425 (harderworld.com BSA calculator references); Haycock et al. (J Pediatr
    1978;93:62) log form: log10 S = 0.5378 log10 W + 0.3964 log10 H - 1.6150."""
    assert float(bsa(180, 80)) == pytest.approx(2.0, rel=1e-12)
    assert round(float(bsa(170, 70)), 3) == 1.818
    for h, w in [(170, 70), (110, 18), (180, 80), (150, 45)]:
        assert float(bsa(h, w, "dubois")) == pytest.approx(71.84 * w ** 0.425 * h ** 0.725 / 1e4, rel=1e-12)
        assert float(bsa(h, w, "dubois")) == pytest.approx(0.20247 * (h / 100) ** 0.725 * w ** 0.425, rel=1e-4)
        assert float(bsa(h, w, "haycock")) == pytest.approx(
            10 ** (0.5378 * np.log10(w) + 0.3964 * np.log10(h) + np.log10(0.024265)), rel=1e-12)
        assert np.log10(0.024265) == pytest.approx(-1.6150, abs=1e-4)
    with pytest.raises(ValueError, match="formula"):
        bsa(170, 70, "boyd")


def test_haematological_grouping_and_soc():
    import pandas as pd

    terms = pd.Series(["Anemia", "neutrophil count decreased", "Nausea", "Alopecia"])
    assert list(term_group(terms)) == ["Haematological", "Haematological", "Non-haematological",
                                       "Non-haematological"]
    soc = pd.Series(["Blood and lymphatic system disorders", "Investigations", "", None])
    assert list(term_group(terms, soc)) == ["Blood and lymphatic system disorders", "Investigations",
                                            "Non-haematological", "Non-haematological"]


@pytest.mark.parametrize("table, row, column, value, rule", [
    ("adverse_events", 2, "grade", "6", "out-of-range"),
    ("adverse_events", 2, "grade", "0", "out-of-range"),
    ("treatments", 2, "dose_mg_m2", "100mg", "not-a-number"),
    ("patients", 3, "height_cm", "tall", "not-a-number"),
    ("patients", 3, "height_cm", "1,70", "out-of-range"),          # 1.70 (decimal comma): metres, not cm
    ("treatments", 8, "weight_kg", "0", "out-of-range"),
    ("treatments", 2, "date", "2020-01-01", "cycle-before-start"),
])
def test_bad_dosing_and_toxicity_input(tmp_path, table, row, column, value, rule):
    tables = {"patients": [dict(r) for r in PATIENTS], "lesions": LESIONS,
              "treatments": [dict(r) for r in TREATMENTS], "adverse_events": [dict(r) for r in AES]}
    tables[table][row - 2][column] = value
    report = validate_study(write_study(tmp_path / "s", **tables), today=TODAY)
    hits = [p for p in report.problems if p.column == column and p.severity == "error"]
    assert hits, [str(p) for p in report.problems]
    p = hits[0]
    assert (p.file, p.row, p.rule) == (f"{table}.csv", row, rule), str(p)


def test_unknown_genes_are_kept(tmp_path):
    muts = [{"patient_id": p, "gene": "MYNEWGENE1", "variant": "x"} for p in ("P1", "P2", "P3")]
    folder = write_study(tmp_path / "s", patients=PATIENTS, lesions=LESIONS, treatments=TREATMENTS,
                         mutations=muts)
    report = validate_study(folder, today=TODAY)
    assert not [p for p in report.problems if p.severity == "error"]
    b = analyze(folder).to_dict()["biomarkers"]
    assert b["genes_tested"] == ["MYNEWGENE1"]


def test_sentences_trace_their_numbers(tmp_path):
    from oncoseries.report import build_report_document
    from oncoseries.report.context import ReportContext, resolve
    from oncoseries.report.narrative import Num, format_value, plain

    folder = write_study(tmp_path / "s", patients=PATIENTS, lesions=LESIONS, treatments=TREATMENTS,
                         adverse_events=AES)
    results = analyze(folder)
    doc = build_report_document(results)
    ctx = ReportContext.from_results(results)
    nums = [p for p in doc.results_text if isinstance(p, Num)]
    assert {"dosing.relative_dose_intensity.median", "toxicity.summary.grade_3_plus.n",
            "toxicity.summary.grade_5.n"} <= {n.path for n in nums}
    for n in nums:
        assert resolve(ctx.data, n.path) == n.value and format_value(ctx, n.kind, n.value) == n.text
    text = plain(doc.results_text)
    assert ("Grade \u2265 3 adverse events occurred in 2 of 3 patients (67%): haematological in 2 and "
            "non-haematological in 2; there was 1 toxic death (grade 5).") in text
    assert "1 patient had a dose reduction (1 of 1 reductions for toxicity)" in text
    names = [t.name for t in doc.tables]
    assert {"dosing", "dosing_per_cycle", "toxicity", "toxicity_per_cycle"} <= set(names)
    tox = next(t for t in doc.tables if t.name == "toxicity")
    assert tox.rows[0] == ["Any adverse event", "3 (100%)", "", "", "1 (33%)", "2 (67%)"]
    assert any("1 event(s) of 1 patient(s) with no dose record" in n for n in tox.notes)


def test_attribution_inferred_without_a_recorded_reason(tmp_path):
    """No modification_reason: a delay or reduction counts as toxicity when the previous cycle had a grade >= 3
    event. P1's cycle 3 (delayed, first reduced) follows cycle 2, whose worst event is grade 2 (not attributed);
    with a grade 3 event planted in cycle 2 (by date: 2020-02-05 lies in cycle 2) it is attributed."""
    tr = [{k: v for k, v in r.items() if k != "modification_reason"} for r in TREATMENTS]
    d = json.loads(json.dumps(analyze(write_study(tmp_path / "a", patients=PATIENTS, lesions=LESIONS,
                                                  treatments=tr, adverse_events=AES)).to_dict()))["dosing"]
    assert d["toxicity"]["attribution"] == "grade >= 3 adverse event in the previous cycle"
    assert (d["toxicity"]["delayed_cycles"], d["toxicity"]["reductions"]) == (0, 0)
    aes = AES + [dict(patient_id="P1", term="Diarrhoea", grade=3, cycle="", date="2020-02-05")]
    d = json.loads(json.dumps(analyze(write_study(tmp_path / "b", patients=PATIENTS, lesions=LESIONS,
                                                  treatments=tr, adverse_events=aes)).to_dict()))["dosing"]
    assert (d["toxicity"]["delayed_cycles"], d["toxicity"]["reductions"]) == (1, 1)


def test_dosing_and_toxicity_tables_replace_the_short_ones(tmp_path):
    """With dose records and CTCAE grades the report shows the dosing and toxicity tables only (the short
    "Treatment exposure" and "Adverse events, worst grade" tables would repeat them); the dosing table
    keeps the cycles per patient."""
    from oncoseries.report.context import ReportContext
    from oncoseries.report.tables import build_tables

    folder = write_study(tmp_path / "s", patients=PATIENTS, lesions=LESIONS, treatments=TREATMENTS,
                         adverse_events=AES)
    results = analyze(folder)
    tables = build_tables(ReportContext.from_results(results))
    ids = [t.name for t in tables]
    assert "dosing" in ids and "toxicity" in ids
    assert "exposure" not in ids and "adverse_events" not in ids
    dosing = next(t for t in tables if t.name == "dosing")
    c = results.to_dict()["exposure"]["cycles_per_patient"]
    row = next(r for r in dosing.rows if r[0] == "Cycles per patient, median (range)")
    assert row[1].endswith(f"({c['min']:.0f}\u2013{c['max']:.0f})")
