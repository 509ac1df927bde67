"""The COMMITTED example study, analysed by oncoseries itself, meets the published aggregates of
Palmerini et al. 2020 (Cells 9:2389) within the tolerances of issue 5 (docs/example-study.md).

Analysis path: read_study -> recist.derive_responses -> endpoints.derive_endpoints (settings from the
study's own study.yaml via analysis.plan.make_plan) -> stats kaplan_meier / cox. Months = days / 30.4375.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import fisher_exact

import oncoseries as osr
from oncoseries.analysis.plan import make_plan
from oncoseries.endpoints import derive_endpoints
from oncoseries.examples import example_study_path, generate_study
from oncoseries.examples import _outcomes as O
from oncoseries.examples._calibrate import calibrated_outcomes
from oncoseries.recist import derive_responses
from oncoseries.study import read_study

MONTH = 30.4375


def analyse(path):
    """(study, recist result, adtte with `months` and `event`) as the analysis pipeline derives them."""
    study = read_study(path)
    plan = make_plan(study.config, study.covariates)
    recist = derive_responses(study.patients, study.lesions, None, plan.recist)
    known = study.treatments[["patient_id", "date"]].assign(source="treatment")
    ep = derive_endpoints(study.patients, recist.timepoints, recist.best_response, plan.endpoints,
                          known_alive=known)
    adtte = ep.adtte.assign(months=ep.adtte["aval"] / MONTH, event=1 - ep.adtte["cnsr"])
    assert not recist.warnings and not ep.warnings
    return study, recist, adtte


@pytest.fixture(scope="module")
def hdifo():
    return analyse(example_study_path())


def endpoint(hdifo, paramcd, covariates=True):
    study, _, adtte = hdifo
    d = adtte[adtte["paramcd"] == paramcd]
    if covariates:
        d = d.merge(study.patients.drop(columns="_row"), on="patient_id", how="left")
    return d.reset_index(drop=True)


def median_row(d):
    return osr.kaplan_meier(d, "months", "event").medians.iloc[0]


def test_orr_is_exactly_10_of_51_with_1_cr_and_9_pr(hdifo):
    _, recist, _ = hdifo
    best = recist.best_response
    assert len(best) == 51 and recist.population["evaluable"].all()
    counts = best["bor"].value_counts()
    assert counts.get("CR", 0) == 1 and counts.get("PR", 0) == 9
    assert counts.get("NE", 0) == 0 and counts.get("MISSING", 0) == 0
    summary = recist.summary().set_index("category")
    assert summary.loc["ORR", "n"] == 10 and summary.loc["ORR", "N"] == 51


def test_cr2_in_26_of_51(hdifo):
    study, _, _ = hdifo
    assert (study.patients["cr2"] == "yes").sum() == 26 and len(study.patients) == 51


def test_median_pfs_6_months_and_ci_4_to_9(hdifo):
    m = median_row(endpoint(hdifo, "PFS"))
    assert abs(m["median"] - 6) <= 1
    assert abs(m["lower"] - 4) <= 1 and abs(m["upper"] - 9) <= 1


def test_pfs_at_6_months_51_percent(hdifo):
    at = osr.kaplan_meier(endpoint(hdifo, "PFS"), "months", "event").at([6]).iloc[0]
    assert abs(at["survival"] - 0.51) <= 0.05


def test_median_os_15_months_and_ci_10_to_19(hdifo):
    m = median_row(endpoint(hdifo, "OS"))
    assert abs(m["median"] - 15) <= 1
    assert abs(m["lower"] - 10) <= 1 and abs(m["upper"] - 19) <= 1


def test_os_at_2_years_30_percent(hdifo):
    at = osr.kaplan_meier(endpoint(hdifo, "OS"), "months", "event").at([24]).iloc[0]
    assert abs(at["survival"] - 0.30) <= 0.05


def test_median_dor_about_5_months(hdifo):
    d = endpoint(hdifo, "DOR")
    assert len(d) == 10
    assert abs(median_row(d)["median"] - 5) <= 1


def test_cox_pfs_prior_ifosfamide_hr_2(hdifo):
    s = osr.cox(endpoint(hdifo, "PFS"), "months", "event", ["prior_ifosfamide"]).summary
    row = s.loc["prior_ifosfamideyes"]                     # reference level "no"
    assert 2.0 * 0.75 <= row["hr"] <= 2.0 * 1.25
    assert row["p"] < 0.05


def test_cox_os_cr2_hr_0_13(hdifo):
    s = osr.cox(endpoint(hdifo, "OS"), "months", "event", ["cr2"]).summary
    row = s.loc["cr2yes"]                                  # reference level "no"
    assert 0.13 * 0.75 <= row["hr"] <= 0.13 * 1.25
    assert row["p"] < 0.05


def _marker_frame(study):
    p = study.patients[["patient_id"]].merge(study.biomarkers.drop(columns="_row"), on="patient_id")
    for gene in ("TP53", "RB1"):
        carriers = set(study.mutations.loc[study.mutations["gene"] == gene, "patient_id"])
        p[gene] = np.where(p["patient_id"].isin(carriers), "yes", "no")
    return p


@pytest.mark.parametrize("paramcd", ["PFS", "OS"])
@pytest.mark.parametrize("marker", ["parp1_ihc", "parp1_category", "TP53", "RB1"])
def test_no_association_of_parp1_or_mutations_with_survival(hdifo, paramcd, marker):
    study, _, _ = hdifo
    d = endpoint(hdifo, paramcd, covariates=False).merge(_marker_frame(study), on="patient_id")
    if marker in ("TP53", "RB1"):
        d = d[d["ngs_tested"] == "yes"]
    d = d[d[marker].notna()]
    assert len(d) >= 30
    s = osr.cox(d, "months", "event", [marker]).summary
    assert (s["p"] > 0.05).all(), s


@pytest.mark.parametrize("marker", ["parp1_category", "TP53", "RB1"])
def test_no_association_of_parp1_or_mutations_with_response(hdifo, marker):
    study, recist, _ = hdifo
    d = recist.best_response.merge(_marker_frame(study), on="patient_id")
    if marker != "parp1_category":
        d = d[d["ngs_tested"] == "yes"]
    d = d[d[marker].notna()]
    resp = d["bor"].isin(["CR", "PR"])
    pos = d[marker].isin(["high", "yes"])
    table = pd.crosstab(pos, resp).reindex(index=[True, False], columns=[True, False], fill_value=0)
    assert fisher_exact(table.to_numpy())[1] > 0.05


@pytest.mark.parametrize("n, seed", [(51, 2020), (400, 7)])
def test_every_patient_gets_back_the_intended_outcome(tmp_path, n, seed):
    """Per patient: derived BOR, PFS, OS and DOR (days and censoring) equal the generator's intent."""
    path = example_study_path() if (n, seed) == (51, 2020) else generate_study(tmp_path / "s", n, seed)
    study, recist, adtte = analyse(path)
    o, _, _ = calibrated_outcomes(seed, n)
    ids = study.patients["patient_id"].to_numpy()
    bor = recist.best_response.set_index("patient_id").loc[ids, "bor"].to_numpy()
    np.testing.assert_array_equal(bor, o.bor)
    intended = O.endpoints_months(o)
    for paramcd in ("PFS", "OS"):
        d = adtte[adtte["paramcd"] == paramcd].set_index("patient_id").loc[ids]
        np.testing.assert_allclose(d["months"].to_numpy(), intended[paramcd][0], rtol=0, atol=1e-12)
        np.testing.assert_array_equal(d["event"].to_numpy() == 1, intended[paramcd][1])
    dor = adtte[adtte["paramcd"] == "DOR"].set_index("patient_id")
    responders = ids[o.resp_scan > 0]
    assert set(dor.index) == set(responders)
    np.testing.assert_allclose(dor.loc[responders, "months"].to_numpy(), intended["DOR"][0], atol=1e-12)
