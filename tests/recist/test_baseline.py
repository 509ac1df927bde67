"""Baseline scan window, measurability, target counts and the response population."""

import pandas as pd
import pytest

from oncoseries.recist import RecistSettings, derive_responses
from oncoseries.recist.baseline import derive_baseline
from tests.recist.recist_builders import N, T, Study


def _population(study, settings=None):
    pop, table, warnings = derive_baseline(study.patients(), study.lesions(), settings)
    return pop.set_index("patient_id"), table, warnings


@pytest.mark.parametrize("day,evaluable", [(-28, True), (-29, False), (0, True), (-1, True)])
def test_baseline_window_edges(day, evaluable):
    s = Study().patient("p").scan("p", day, T("t1", 20)).scan("p", 60, T("t1", 20))
    pop, _, _ = _population(s)
    assert bool(pop.loc["p", "evaluable"]) is evaluable
    if not evaluable:
        assert pop.loc["p", "reason"] == "no baseline scan within 28 days before start_date"


def test_window_setting_and_scan_on_start_date_is_baseline():
    s = Study().patient("p").scan("p", -35, T("t1", 20)).scan("p", 60, T("t1", 20))
    pop, _, _ = _population(s, RecistSettings(baseline_window_days=35))
    assert pop.loc["p", "evaluable"]
    # a scan on start_date is the baseline, not a follow-up: only day 60 is a time point
    s = Study().patient("q").scan("q", 0, T("t1", 20)).scan("q", 60, T("t1", 10))
    res = derive_responses(s.patients(), s.lesions())
    assert list(res.timepoints["date"]) == [pd.Timestamp("2020-03-01")]
    assert res.timepoints["baseline_sum"].iloc[0] == 20


def test_last_scan_in_window_is_baseline():
    # day -20 (sum 40) and day -3 (sum 50): baseline is day -3
    s = (Study().patient("p").scan("p", -20, T("t1", 40)).scan("p", -3, T("t1", 50))
         .scan("p", 42, T("t1", 35)))
    res = derive_responses(s.patients(), s.lesions())
    tp = res.timepoints
    assert len(tp) == 1 and tp["baseline_sum"].iloc[0] == 50 and tp["target"].iloc[0] == "PR"
    base_rows = res.lesion_table[res.lesion_table["baseline"]]
    assert list(base_rows["date"]) == [pd.Timestamp("2019-12-29")]


@pytest.mark.parametrize("diam,nodal,measurable", [(9.9, False, False), (10.0, False, True),
                                                     (14.9, True, False), (15.0, True, True)])
def test_measurability_thresholds(diam, nodal, measurable):
    s = Study().patient("p").scan("p", -7, T("t1", diam, nodal=nodal))
    pop, table, warnings = _population(s)
    assert bool(pop.loc["p", "evaluable"]) is measurable
    assert table["role"].iloc[0] == ("target" if measurable else "non_target")
    if not measurable:
        assert pop.loc["p", "reason"] == "non-measurable disease only (no measurable target lesion at baseline)"
        assert len(warnings) == 1 and warnings[0].lesion_id == "t1"
        assert "not measurable" in warnings[0].message and warnings[0].row == 2
    else:
        assert warnings == []


def test_pathological_node_target_becomes_non_target_and_is_followed_as_such():
    # node 12 mm chosen as target: non-target; later 8 mm -> normal -> non-target CR
    s = (Study().patient("p")
         .scan("p", -7, T("t1", 30), T("n1", 12, nodal=True, organ="lymph node"))
         .scan("p", 56, T("t1", 0, state="absent"), T("n1", 8, nodal=True, organ="lymph node")))
    res = derive_responses(s.patients(), s.lesions())
    tp = res.timepoints.iloc[0]
    assert (tp["target"], tp["non_target"], tp["overall"]) == ("CR", "CR", "CR")
    assert tp["target_sum"] == 0
    roles = res.lesion_table.set_index(["lesion_id", "baseline"])["role"]
    assert roles[("n1", True)] == "non_target" and roles[("n1", False)] == "non_target"


def test_more_than_five_targets_and_two_per_organ_warn():
    s = Study().patient("p").scan("p", -1, *[T(f"t{i}", 20, organ=f"organ{i}") for i in range(6)])
    s.patient("q").scan("q", -1, T("a", 20, organ="Liver"), T("b", 20, organ="liver "),
                        T("c", 20, organ="LIVER"))
    # all nodes are one organ even when given different sites
    s.patient("r").scan("r", -1, T("n1", 20, nodal=True, organ="neck"),
                        T("n2", 20, nodal=True, organ="axilla"), T("n3", 20, nodal=True, organ="groin"))
    pop, _, warnings = _population(s)
    msgs = {(w.patient_id, w.message) for w in warnings}
    # each warning names the spreadsheet rows (the builder numbers rows from 2)
    assert ("p", "6 target lesions at baseline (RECIST 1.1 allows at most 5); rows 2, 3, 4, 5, 6, 7") in msgs
    assert any(p == "q" and m.endswith("rows 8, 9, 10") for p, m in msgs)
    assert {w.row for w in warnings} == {2, 8, 11}
    assert any(p == "q" and "organ 'liver'" in m and m.startswith("3 target") for p, m in msgs)
    assert any(p == "r" and "organ 'lymph node'" in m for p, m in msgs)
    assert len(warnings) == 3
    assert pop["evaluable"].all()          # warnings only: the investigator's selection is kept


def test_population_reasons_and_non_measurable_patients_keep_timepoints():
    s = Study().patient("none")
    s.patient("late").scan("late", -40, T("t1", 20)).scan("late", 30, T("t1", 20))
    s.patient("ntonly").scan("ntonly", -5, N("n1")).scan("ntonly", 50, N("n1"))
    s.patient("ok").scan("ok", -5, T("t1", 20), N("n1")).scan("ok", 50, T("t1", 20), N("n1"))
    res = derive_responses(s.patients(), s.lesions())
    pop = res.population.set_index("patient_id")
    assert pop.loc["none", "reason"] == "no lesions recorded"
    assert pop.loc["late", "reason"] == "no baseline scan within 28 days before start_date"
    assert pop.loc["ntonly", "reason"] == "non-measurable disease only (no measurable target lesion at baseline)"
    assert pop.loc["ok", "reason"] == "" and pop["evaluable"].tolist() == [False, False, False, True]
    # non-measurable patients get a best response too, outside the default (measurable) population
    best = res.best_response
    assert list(best["patient_id"]) == ["ntonly", "ok"]
    assert best["measurable"].tolist() == [False, True] and best["response_population"].tolist() == [False, True]
    tp = res.timepoints.set_index("patient_id")
    # non-target-only disease: NON-CR/NON-PD, never SD (RECIST 1.1 Table 2)
    assert (tp.loc["ntonly", "target"], tp.loc["ntonly", "overall"]) == ("NA", "NON-CR/NON-PD")
    # no baseline in window: target NE; the scan stays in timepoints for PFS
    assert (tp.loc["late", "target"], tp.loc["late", "overall"]) == ("NE", "NE")


def test_no_baseline_patient_still_shows_unequivocal_progression():
    s = Study().patient("late").scan("late", -60, T("t1", 20), N("n1"))
    s.scan("late", 30, N("n1", state="unequivocal_progression"))
    res = derive_responses(s.patients(), s.lesions())
    assert res.timepoints["overall"].tolist() == ["PD"]


def test_baseline_only_patient_is_missing_and_unknown_patients_warn():
    s = Study().patient("p").scan("p", -3, T("a", 30))
    les = s.lesions()
    stray = les.assign(patient_id="zz", _row=99)
    res = derive_responses(s.patients(), pd.concat([les, stray], ignore_index=True))
    assert res.timepoints.empty and len(res.lesion_table) == 1
    assert res.best_response[["bor", "confirmed_bor"]].values.tolist() == [["MISSING", "MISSING"]]
    assert [(w.patient_id, w.row) for w in res.warnings] == [("zz", 99)]


def test_missing_state_gets_the_interface_default():
    s = Study().patient("p").scan("p", -3, T("a", 30), T("b", 20, organ="liver"))
    s.scan("p", 50, T("a", None), T("b", 10, organ="liver"))
    les = s.lesions().assign(state=None)
    tp = derive_responses(s.patients(), les).timepoints
    assert tp["target"].tolist() == ["NE"]                 # a target without diameter: not evaluated
