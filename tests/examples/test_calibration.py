"""The COMMITTED example study, analysed by oncoseries itself, meets the published aggregates of
Palmerini et al. 2020 (Cells 9:2389) within the tolerances of issue 5 (docs/example-study.md).

Analysis path: read_study -> recist.derive_responses -> endpoints.derive_endpoints (settings from the
study's own study.yaml via analysis.plan.make_plan) -> stats kaplan_meier / cox. Months = days / 30.4375.
Biomarkers and mutations: the ``biomarkers`` section of ``analysis.analyze`` (as the report).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import fisher_exact

import oncoseries as osr
from oncoseries.analysis import analyze
from oncoseries.analysis.plan import make_plan
from oncoseries.endpoints import derive_endpoints
from oncoseries.examples import example_study_path, generate_study
from oncoseries.examples import _outcomes as O
from oncoseries.examples._calibrate import (NO_ASSOCIATION_P, calibrated_markers, calibrated_outcomes,
                                            smallest_p)
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


def _p_values(section):
    return {(m["marker"], k): m[k]["p"] for m in section["markers"] for k in ("response", "PFS", "OS")
            if "p" in m.get(k, {})}


@pytest.fixture(scope="module")
def hdifo_biomarkers():
    return analyze(example_study_path()).sections["biomarkers"]


def test_no_biomarker_or_mutation_is_associated_with_outcome(hdifo_biomarkers):
    """Palmerini: no correlation of PARP1 or mutations with outcome. Every test of the report's biomarker
    section (every biomarker column, every gene mutated in >= 3 sequenced patients; Fisher/Wilcoxon for
    response, log-rank/Cox for PFS and OS) has P >= 0.05; the generator asks for NO_ASSOCIATION_P."""
    b = hdifo_biomarkers
    ps = _p_values(b)
    assert len(ps) == b["n_tests"] == 3 * len(b["markers"]) >= 18
    assert {"parp1_ihc", "parp1_category", "TP53_mutated", "RB1_mutated"} <= {m for m, _ in ps}
    assert b["n_p_below_alpha"] == 0
    assert all(p >= 0.05 for p in ps.values()), {k: p for k, p in ps.items() if p < 0.05}
    assert min(ps.values()) >= NO_ASSOCIATION_P >= 0.1


@pytest.mark.parametrize("paramcd", ["PFS", "OS", "response"])
@pytest.mark.parametrize("marker", ["tissue", "ngs_tested"])
def test_who_has_tissue_or_was_sequenced_is_not_associated_with_outcome(hdifo, paramcd, marker):
    """Missing markers are missing at random: tissue availability (PARP1 IHC done) and sequencing status
    are not associated with outcome either (log-rank, Fisher: P >= 0.05)."""
    study, recist, _ = hdifo
    b = study.biomarkers.assign(tissue=np.where(study.biomarkers["parp1_ihc"].notna(), "yes", "no"))
    assert set(b[marker]) == {"yes", "no"}
    if paramcd == "response":
        d = recist.best_response.merge(b, on="patient_id")
        table = pd.crosstab(d[marker], d["bor"].isin(["CR", "PR"])).to_numpy()
        p = fisher_exact(table)[1]
    else:
        d = endpoint(hdifo, paramcd, covariates=False).merge(b, on="patient_id")
        p = osr.logrank(d, "months", "event", by=marker).p_value
    assert p >= 0.05


@pytest.mark.parametrize("n, seed", [(51, 2020), (120, 3)])
def test_generator_checks_markers_with_the_analysis_itself(tmp_path, hdifo_biomarkers, n, seed):
    """The generator's marker check is the biomarkers section `analyze` gives on the written study."""
    path = example_study_path() if (n, seed) == (51, 2020) else generate_study(tmp_path / "s", n, seed)
    got = hdifo_biomarkers if (n, seed) == (51, 2020) else analyze(path).sections["biomarkers"]
    o, _, _ = calibrated_outcomes(seed, n)
    ids = read_study(path).patients["patient_id"].to_numpy(object)
    search = calibrated_markers(seed, o, ids, path / "study.yaml")
    assert _p_values(search.section) == _p_values(got)
    for key in ("n_tests", "genes_tested", "sequenced", "smallest_p"):
        assert search.section[key] == got[key], key
    assert min(_p_values(got).values()) >= NO_ASSOCIATION_P
    assert smallest_p(search.availability) >= NO_ASSOCIATION_P
    assert {m["marker"] for m in search.availability["markers"]} == {"tissue", "sequenced"}


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
