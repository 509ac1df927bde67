"""Non-measurable (non-target only) disease and the two response populations (issue 12).

Sources: [R] Eisenhauer et al., RECIST 1.1, EJC 45:228 (2009): §3.1.2 (measurable disease is needed
for objective response), §4.3.2 and Table 2 (time-point response with non-target disease only: CR,
NON-CR/NON-PD, PD, NE), §4.4.1 (best overall response; the SD minimum duration); [A] admiralonco
``bor_non_crpd`` (NON-CR/NON-PD counts for the BOR at day >= 42, like SD).
"""

from __future__ import annotations

import pandas as pd

from oncoseries.endpoints import derive_endpoints
from oncoseries.recist import RecistSettings, derive_responses, response_summary

from .recist_builders import NEW, N, Study, T


def _study() -> Study:
    s = Study()
    # bone-only disease, stable: NON-CR/NON-PD at days 56 and 112 -> BOR NON-CR/NON-PD ([R] Table 2; §4.4.1)
    s.patient("bone").scan("bone", -3, N("b1", organ="bone")).scan("bone", 56, N("b1", organ="bone")) \
        .scan("bone", 112, N("b1", organ="bone"))
    # non-target only, disappears at day 56 and 112: CR + CR -> BOR CR, confirmed (>= 28 days, [R] §4.4.2)
    s.patient("gone").scan("gone", -3, N("n1")).scan("gone", 56, N("n1", state="absent")) \
        .scan("gone", 112, N("n1", state="absent"))
    # non-target only, NON-CR/NON-PD at day 35 only (< 42 days) then PD (new lesion) at day 70:
    # the early scan does not qualify ([R] §4.4.1 minimum duration, as SD) -> BOR PD dated day 70
    s.patient("early").scan("early", -3, N("n1")).scan("early", 35, N("n1")) \
        .scan("early", 70, N("n1"), NEW("x1", diam=12))
    # unequivocal progression of non-target disease at day 56 -> PD ([R] §4.3.3)
    s.patient("unq").scan("unq", -3, N("n1")).scan("unq", 56, N("n1", state="unequivocal_progression"))
    # measurable disease: 30 -> 20 mm (-33 %) -> PR
    s.patient("meas").scan("meas", -3, T("t1", 30)).scan("meas", 56, T("t1", 20))
    # baseline scan with only a new-lesion row: no target or non-target lesion at baseline
    s.patient("empty").scan("empty", -3, NEW("q1", diam=11)).scan("empty", 56, NEW("q1", diam=11))
    return s


def test_non_target_only_patients_get_table_2_responses_and_a_bor():
    s = _study()
    res = derive_responses(s.patients(), s.lesions())
    tp = res.timepoints.set_index(["patient_id", res.timepoints["date"].dt.strftime("%d")])
    assert list(tp.loc["bone", "overall"]) == ["NON-CR/NON-PD", "NON-CR/NON-PD"]
    assert list(tp.loc["gone", "overall"]) == ["CR", "CR"]
    assert list(tp.loc["early", "overall"]) == ["NON-CR/NON-PD", "PD"]
    assert list(tp.loc["unq", "overall"]) == ["PD"]
    best = res.best_response.set_index("patient_id")
    assert sorted(best.index) == ["bone", "early", "gone", "meas", "unq"]     # "empty" has no disease
    assert best.loc["bone", "bor"] == "NON-CR/NON-PD" and best.loc["bone", "confirmed_bor"] == "NON-CR/NON-PD"
    assert best.loc["gone", "bor"] == "CR" and best.loc["gone", "confirmed_bor"] == "CR"
    assert best.loc["early", "bor"] == "PD"
    assert best.loc["early", "bor_date"] == pd.Timestamp("2020-01-01") + pd.Timedelta(days=70)
    assert best.loc["unq", "bor"] == "PD" and best.loc["meas", "bor"] == "PR"
    assert best["measurable"].to_dict() == {"bone": False, "gone": False, "early": False, "unq": False,
                                           "meas": True}
    pop = res.population.set_index("patient_id")
    assert pop.loc["empty", "reason"] == "no target or non-target lesion on the baseline scan"
    assert not pop.loc["empty", "baseline_disease"]


def test_measurable_population_is_the_default_orr_denominator():
    """Default population: measurable disease only ([R] §3.1.2) -> 1 patient, ORR 1/1."""
    s = _study()
    res = derive_responses(s.patients(), s.lesions())
    assert res.best_response["response_population"].sum() == 1
    summ = res.summary().set_index("category")
    assert (summ.loc["ORR", "n"], summ.loc["ORR", "N"]) == (1, 1)


def test_population_all_counts_non_measurable_patients_in_dcr():
    """population 'all': 5 patients. ORR = CR (gone) + PR (meas) = 2/5; DCR adds NON-CR/NON-PD (bone) = 3/5
    (DCR = CR + PR + SD + NON-CR/NON-PD, admiralonco CB events); PD: early, unq = 2/5."""
    s = _study()
    res = derive_responses(s.patients(), s.lesions(), settings=RecistSettings(population="all"))
    assert res.best_response["response_population"].all() and len(res.best_response) == 5
    summ = res.summary().set_index("category")
    assert summ.loc["ORR", ["n", "N"]].tolist() == [2, 5]
    assert summ.loc["DCR", "n"] == 3 and summ.loc["NON-CR/NON-PD", "n"] == 1 and summ.loc["PD", "n"] == 2
    assert (res.population.set_index("patient_id").loc["bone", "reason"]) == ""


def test_non_measurable_patients_enter_pfs_like_everyone():
    """PFS counts the non-target-only patients: unq progresses at day 56 (aval 57, ADaM +1), bone is censored
    at its last adequate scan (day 112, aval 113)."""
    s = _study()
    res = derive_responses(s.patients(), s.lesions())
    adtte = derive_endpoints(s.patients(), res.timepoints, res.best_response[res.best_response[
        "response_population"]]).adtte
    pfs = adtte[adtte["paramcd"] == "PFS"].set_index("patient_id")
    assert (pfs.loc["unq", "aval"], pfs.loc["unq", "cnsr"]) == (57, 0)
    assert (pfs.loc["bone", "aval"], pfs.loc["bone", "cnsr"]) == (113, 1)
    # DOR only for responders of the response population: "gone" (CR, non-measurable) has none
    assert set(adtte.loc[adtte["paramcd"] == "DOR", "patient_id"]) == {"meas"}
    # response_summary on the whole table (every patient with disease) uses all 5 as denominator
    assert response_summary(res.best_response, column="bor").set_index("category").loc["ORR", "N"] == 5
